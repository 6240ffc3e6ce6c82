/**
 * What every benchmark shares: the machine description and writing a results file with the command that made it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release } from 'node:os';
import { dirname } from 'node:path';
import * as tf from '../tfjs.js';

export function machine(): string {
  const cpu = cpus();
  return `${cpu[0]?.model.trim() ?? 'unknown cpu'}, ${cpu.length} cores (shared), ${platform()} ${release()}, node ${process.version}, tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}, load ${loadavg()[0].toFixed(2)}`;
}

export function table(header: string[], rows: Array<Array<string | number>>): string {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

export function writeResults(path: string, title: string, command: string, body: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const text = `# ${title}\n\n- date: ${new Date().toISOString()}\n- machine: ${machine()}\n- command: \`${command}\`\n\n${body}\n`;
  writeFileSync(path, text);
  process.stdout.write(`\n${text}\nwritten to ${path}\n`);
}

export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
