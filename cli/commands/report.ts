/**
 * `autoshrink report <run> [<run> ...] --out report.html [--png]`: one self-contained HTML page (inline SVG charts,
 * no script) of one run or a comparison, and with --png the charts as a PNG beside it. Read-only on the store.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { InputError } from '../../errors.js';
import { type GlobalArgs, setupBackend } from '../global-options.js';

type ReportArgs = GlobalArgs & { runs: string[]; out: string; png: boolean };

/** The PNG's path: the page's, with .png for its extension. */
export function pngPathOf(out: string): string {
  return /\.html?$/i.test(out) ? out.replace(/\.html?$/i, '.png') : `${out}.png`;
}

/** Refuse, before any work, an --out that cannot be a file: a directory, or a folder that is not there. */
function checkOut(out: string): void {
  if (existsSync(out) && statSync(out).isDirectory()) throw new InputError(`--out ${out} is a directory; give a file, e.g. --out ${out.replace(/\/$/, '')}/report.html`);
  const dir = dirname(resolve(out));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError(`cannot write --out ${out}: the folder ${dir} does not exist; create it or choose another path`);
}

/** writeFileSync, with the system's refusal (permissions, read-only disk, full disk) as one line. */
function writeOut(path: string, data: string | Uint8Array): void {
  try {
    writeFileSync(path, data);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === undefined) throw e;
    throw new InputError(`cannot write ${path} (${code}: ${(e as Error).message.replace(/^[A-Z]+: /, '')}); choose another --out`);
  }
}

export const reportCommand: CommandModule<GlobalArgs, ReportArgs> = {
  command: 'report <runs..>',
  describe: 'Write an HTML report of one run or a comparison of several: Pareto front, reward curve, per-layer choices, final results',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('runs', { type: 'string', array: true, demandOption: true, describe: 'Run ids or unique prefixes (several: one colour each)' })
      .option('out', { type: 'string', default: 'report.html', describe: 'The HTML file to write' })
      .option('png', { type: 'boolean', default: false, describe: 'Also write the charts as a PNG beside it (report.png)' }) as unknown as Argv<ReportArgs>,
  handler: async (args: ArgumentsCamelCase<ReportArgs>) => {
    checkOut(args.out);
    // the charting packages (vega, vega-lite, resvg) load with the command that draws, not at start
    const [{ readReportRuns }, { buildReport }, { chartsPng }, { AUTOSHRINK_VERSION }] = await Promise.all([
      import('../../run/report-data.js'),
      import('../../report/report.js'),
      import('../../report/png.js'),
      import('../../run/version.js'),
    ]);
    // only a run without a final stage needs its model built (to name its layers' sizes), and so a tfjs backend
    const runs = await readReportRuns(args.workdir, args.runs, { beforeModel: async () => void (await setupBackend({ ...args, quiet: true })) });
    const report = await buildReport(runs, { generated: new Date().toISOString(), madeWith: `autoshrink ${AUTOSHRINK_VERSION}` });
    writeOut(args.out, report.html);
    const png = args.png ? pngPathOf(args.out) : null;
    if (png) writeOut(png, chartsPng(report.charts.map((c) => c.svg)));
    if (args.json) process.stdout.write(`${JSON.stringify({ out: resolve(args.out), png: png && resolve(png), runs: runs.map((r) => r.id), charts: report.charts.map((c) => c.id) })}\n`);
    else if (!args.quiet) process.stderr.write(`wrote ${args.out}${png ? ` and ${png}` : ''} (${runs.length} run${runs.length > 1 ? 's' : ''}, ${report.charts.length} charts)\n`);
  },
};
