/**
 * The layout of docs/design.md, checked on the sources: arrows run `cli -> run -> {agent, env} -> learners`, `agent` never
 * imports `env`, `report` (pure charts of run data, for the CLI and the benchmarks) imports nothing of ours but the
 * root leaves and only it imports the charting packages (vega, vega-lite, resvg), `learners` imports nothing of ours but the root leaves, only run/store (and its schema file) imports
 * better-sqlite3, only cli/ imports ink, react and yargs, only env/backend.ts chooses the tfjs backend, tfjs itself loads
 * only through the leaf tfjs.ts (the floors import its types from the tfjs packages at most; the umbrella @tensorflow/tfjs
 * is not a dependency), runtime/ (the browser reader of model.ashk) imports only learners, errors.ts and units.ts, no
 * `node:` module and tfjs types only; and no source file is over 500 lines. Imports are read with the TypeScript parser
 * (static `import`, `export ... from`, `import()`, `import('x').T` types, `require('x')`), type-only ones included: a
 * type import is an arrow too.
 */
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const repo = fileURLToPath(new URL('..', import.meta.url));
const FOLDERS = ['agent', 'env', 'learners', 'run', 'cli', 'report', 'runtime', 'bench', 'scripts'] as const;
type Folder = (typeof FOLDERS)[number];
/** Root files every folder may import (leaves: they import nothing of ours but what LEAF_IMPORTS lists). */
const LEAVES = ['errors', 'units', 'tfjs'];
/** The one import of ours a leaf has: tfjs.ts loads the gradients generated into tfjs-gradients.ts (not a leaf: no floor imports it). */
const LEAF_IMPORTS: Record<string, string[]> = { 'tfjs.ts': ['./tfjs-gradients.js'] };
const MAX_LINES = 500;

/** What each folder may import of ours: its own files, the folders below it, the root leaves. */
const MAY_IMPORT: Record<Folder, string[]> = {
  cli: ['cli', 'run', 'report', 'index', ...LEAVES],
  // run/report-data.ts hands stored runs to the report in the report's own types (type-only, checked below)
  run: ['run', 'agent', 'env', 'learners', 'report', ...LEAVES],
  agent: ['agent', 'learners', ...LEAVES],
  env: ['env', 'learners', ...LEAVES],
  learners: ['learners', ...LEAVES],
  report: ['report', ...LEAVES],
  // not tfjs.ts: the page brings its own tfjs
  runtime: ['runtime', 'learners', 'errors', 'units'],
  // the benchmarks and the build scripts stand above everything: nothing of ours imports them
  bench: ['bench', 'cli', 'run', 'agent', 'env', 'learners', 'report', 'runtime', 'index', ...LEAVES],
  scripts: ['scripts', 'cli', 'run', 'agent', 'env', 'learners', 'report', 'runtime', 'index', ...LEAVES],
};
const SQLITE_FILES = ['run/store/store.ts', 'run/store/schema.ts'];
const BACKEND_FILES = ['env/backend.ts'];
/** Besides tfjs.ts, the one file that loads tfjs-core itself: the build step that reads its public API to write tfjs-gradients.ts. */
const TFJS_FILES = ['scripts/bundle-tfjs-gradients.ts'];

interface Import {
  specifier: string;
  typeOnly: boolean;
  line: number;
}

/** Every module specifier a source names, and every `setBackend(` call (as the specifier 'setBackend()'). */
function parseImports(fileName: string, text: string): Import[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, fileName.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found: Import[] = [];
  const add = (node: ts.Node, spec: ts.Node | undefined, typeOnly: boolean) => {
    if (spec && (ts.isStringLiteral(spec) || ts.isNoSubstitutionTemplateLiteral(spec))) {
      found.push({ specifier: spec.text, typeOnly, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
    }
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) add(node, node.moduleSpecifier, node.importClause?.isTypeOnly ?? false);
    else if (ts.isExportDeclaration(node)) add(node, node.moduleSpecifier, node.isTypeOnly);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node, node.moduleReference.expression, node.isTypeOnly);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node, node.argument.literal, true);
    else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) add(node, node.arguments[0], false);
      const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : '';
      if (name === 'setBackend') found.push({ specifier: 'setBackend()', typeOnly: false, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function sources(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(join(repo, dir)).sort()) {
      const rel = posix.join(dir, name);
      if (statSync(join(repo, rel)).isDirectory()) walk(rel);
      else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(rel);
    }
  };
  FOLDERS.forEach(walk);
  return out;
}

/** The package a bare specifier names: `yargs/helpers` -> yargs, `@tensorflow/tfjs-node/x` -> @tensorflow/tfjs-node. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Ours: the folder or root file a relative specifier lands in, or null when it leaves the repository. */
function targetOf(file: string, specifier: string): string | null {
  const resolved = posix.normalize(posix.join(posix.dirname(file), specifier));
  if (resolved.startsWith('../')) return null;
  const first = resolved.split('/')[0];
  return resolved.includes('/') ? first : first.replace(/\.(js|ts|tsx|jsx)$/, '');
}

const isUiPackage = (p: string) => p === 'ink' || p.startsWith('ink-') || p === 'react' || p.startsWith('react-') || p === 'yargs';
const isChartPackage = (p: string) => p === 'vega' || p.startsWith('vega-') || p.startsWith('@resvg/');
const isBackendPackage = (p: string) => p === '@tensorflow/tfjs-node' || p === '@tensorflow/tfjs-node-gpu' || p.startsWith('@tensorflow/tfjs-backend-');
const isTfjsPackage = (p: string) => p === '@tensorflow/tfjs' || p === '@tensorflow/tfjs-core' || p === '@tensorflow/tfjs-layers';

/** The broken rules of one file, each naming the file, the line and the import. */
function violations(file: string, imports: Import[]): string[] {
  const folder = file.split('/')[0] as Folder;
  const out: string[] = [];
  for (const imp of imports) {
    const at = `${file}:${imp.line} imports '${imp.specifier}'`;
    if (imp.specifier === 'setBackend()') {
      if (!BACKEND_FILES.includes(file)) out.push(`${file}:${imp.line} calls setBackend(): only ${BACKEND_FILES.join(', ')} chooses the tfjs backend`);
      continue;
    }
    if (imp.specifier.startsWith('.')) {
      const target = targetOf(file, imp.specifier);
      if (target === null) out.push(`${at}, outside the repository`);
      else if (!MAY_IMPORT[folder].includes(target)) out.push(`${at} (${target}): ${folder}/ may import only ${MAY_IMPORT[folder].join(', ')}`);
      else if (folder === 'run' && target === 'report' && !imp.typeOnly) out.push(`${at}: run/ may import report/'s types only`);
      continue;
    }
    const pkg = packageOf(imp.specifier.replace(/^node:/, ''));
    if (pkg === 'better-sqlite3' && !SQLITE_FILES.includes(file)) out.push(`${at}: only ${SQLITE_FILES.join(' and ')} import better-sqlite3`);
    if (isUiPackage(pkg) && folder !== 'cli') out.push(`${at}: only cli/ imports ink, react and yargs`);
    if (isChartPackage(pkg) && folder !== 'report') out.push(`${at}: only report/ imports vega, vega-lite and resvg`);
    if (isBackendPackage(pkg) && !imp.typeOnly && !BACKEND_FILES.includes(file)) out.push(`${at}: only ${BACKEND_FILES.join(', ')} loads a tfjs backend`);
    if (pkg === '@tensorflow/tfjs') out.push(`${at}: the umbrella package is not a dependency; import tfjs from the leaf tfjs.ts`);
    else if (isTfjsPackage(pkg) && !imp.typeOnly && folder !== 'runtime' && !TFJS_FILES.includes(file)) out.push(`${at}: tfjs loads through the leaf tfjs.ts (one tfjs-core, with the gradients); import its types at most`);
    if (folder === 'runtime' && (imp.specifier.startsWith('node:') || (pkg.startsWith('@tensorflow/') && !imp.typeOnly))) {
      out.push(`${at}: runtime/ runs in a browser with the page's own tfjs: no node: module, tfjs types only`);
    }
  }
  return out;
}

const files = sources();

test('the import parser sees static, re-exported, type-only, dynamic and required imports, and setBackend calls', (t) => {
  const text = [
    "import * as tf from '@tensorflow/tfjs';",
    "import type { A } from './a.js';",
    "export { b } from '../b.js';",
    "export type { C } from './c.js';",
    "const d = await import('./d.js');",
    "type E = import('./e.js').E;",
    "const f = require('f');",
    "await tf.setBackend('cpu');",
    "const g = import(name); // not a literal: unknowable, skipped",
  ].join('\n');
  t.deepEqual(
    parseImports('x.ts', text).map((i) => [i.specifier, i.typeOnly, i.line]),
    [['@tensorflow/tfjs', false, 1], ['./a.js', true, 2], ['../b.js', false, 3], ['./c.js', true, 4], ['./d.js', false, 5], ['./e.js', true, 6], ['f', false, 7], ['setBackend()', false, 8]],
  );
});

test('the rules name the file, the line and the import that breaks them', (t) => {
  const imports = (...specifiers: string[]) => specifiers.map((specifier, i) => ({ specifier, typeOnly: false, line: i + 1 }));
  t.deepEqual(violations('cli/commands/x.ts', imports('../../env/data/load-dataset.js', '../../run/setup.js', '../../errors.js', '../../index.js')), [
    "cli/commands/x.ts:1 imports '../../env/data/load-dataset.js' (env): cli/ may import only cli, run, report, index, errors, units, tfjs",
  ]);
  t.deepEqual(violations('agent/x.ts', imports('../env/layers.js')), ["agent/x.ts:1 imports '../env/layers.js' (env): agent/ may import only agent, learners, errors, units, tfjs"]);
  t.deepEqual(violations('learners/x.ts', imports('../units.js', '../run/config.js')), [
    "learners/x.ts:2 imports '../run/config.js' (run): learners/ may import only learners, errors, units, tfjs",
  ]);
  t.deepEqual(violations('run/x.ts', imports('better-sqlite3', 'yargs/helpers', '@tensorflow/tfjs-backend-wasm', 'setBackend()')), [
    "run/x.ts:1 imports 'better-sqlite3': only run/store/store.ts and run/store/schema.ts import better-sqlite3",
    "run/x.ts:2 imports 'yargs/helpers': only cli/ imports ink, react and yargs",
    "run/x.ts:3 imports '@tensorflow/tfjs-backend-wasm': only env/backend.ts loads a tfjs backend",
    'run/x.ts:4 calls setBackend(): only env/backend.ts chooses the tfjs backend',
  ]);
  t.deepEqual(violations('run/store/store.ts', imports('better-sqlite3')), []);
  t.deepEqual(violations('env/x.ts', imports('@tensorflow/tfjs', '@tensorflow/tfjs-layers', '../tfjs.js')), [
    "env/x.ts:1 imports '@tensorflow/tfjs': the umbrella package is not a dependency; import tfjs from the leaf tfjs.ts",
    "env/x.ts:2 imports '@tensorflow/tfjs-layers': tfjs loads through the leaf tfjs.ts (one tfjs-core, with the gradients); import its types at most",
  ]);
  t.deepEqual(violations('agent/x.ts', [{ specifier: '@tensorflow/tfjs-core', typeOnly: true, line: 1 }, { specifier: '../tfjs.js', typeOnly: false, line: 2 }]), []);
  t.deepEqual(violations('agent/x.ts', imports('../tfjs-gradients.js')), [
    "agent/x.ts:1 imports '../tfjs-gradients.js' (tfjs-gradients): agent/ may import only agent, learners, errors, units, tfjs",
  ]);
  t.deepEqual(violations('run/x.ts', imports('../report/page.js')), ["run/x.ts:1 imports '../report/page.js': run/ may import report/'s types only"]);
  t.deepEqual(violations('report/x.ts', imports('vega', '../run/store.js', '../units.js')), [
    "report/x.ts:2 imports '../run/store.js' (run): report/ may import only report, errors, units, tfjs",
  ]);
  t.deepEqual(violations('run/x.ts', imports('vega-lite')), ["run/x.ts:1 imports 'vega-lite': only report/ imports vega, vega-lite and resvg"]);
  t.deepEqual(violations('runtime/x.ts', imports('node:zlib', '@tensorflow/tfjs-core', '../env/layers.js')), [
    "runtime/x.ts:1 imports 'node:zlib': runtime/ runs in a browser with the page's own tfjs: no node: module, tfjs types only",
    "runtime/x.ts:2 imports '@tensorflow/tfjs-core': runtime/ runs in a browser with the page's own tfjs: no node: module, tfjs types only",
    "runtime/x.ts:3 imports '../env/layers.js' (env): runtime/ may import only runtime, learners, errors, units",
  ]);
  t.deepEqual(violations('bench/x.ts', imports('../run/search.js', '../cli/print-final.js', '../index.js', '../test/helpers/tiny-run.js')), [
    "bench/x.ts:4 imports '../test/helpers/tiny-run.js' (test): bench/ may import only bench, cli, run, agent, env, learners, report, runtime, index, errors, units, tfjs",
  ]);
  t.deepEqual(violations('run/x.ts', imports('../bench/stats.js')), ["run/x.ts:1 imports '../bench/stats.js' (bench): run/ may import only run, agent, env, learners, report, errors, units, tfjs"]);
  t.deepEqual(violations('run/x.ts', imports('../runtime/ashk.js')), ["run/x.ts:1 imports '../runtime/ashk.js' (runtime): run/ may import only run, agent, env, learners, report, errors, units, tfjs"]);
});

test('every import runs cli -> run -> {agent, env} -> learners, and the packages stay where docs/design.md puts them', (t) => {
  t.true(files.length > 50, `found ${files.length} source files under ${FOLDERS.join(', ')}`);
  const broken = files.flatMap((file) => violations(file, parseImports(file, readFileSync(join(repo, file), 'utf8'))));
  t.deepEqual(broken, [], `imports against the layout:\n  ${broken.join('\n  ')}`);
});

test('the root leaves (errors.ts, units.ts, tfjs.ts) import nothing of ours but tfjs.ts its generated gradients', (t) => {
  const broken = LEAVES.map((leaf) => `${leaf}.ts`)
    .filter((file) => statSync(join(repo, file), { throwIfNoEntry: false })?.isFile())
    .flatMap((file) =>
      parseImports(file, readFileSync(join(repo, file), 'utf8'))
        .filter((i) => i.specifier.startsWith('.') && !(LEAF_IMPORTS[file] ?? []).includes(i.specifier))
        .map((i) => `${file}:${i.line} imports '${i.specifier}'`),
    );
  t.deepEqual(broken, [], `a leaf imports: ${broken.join(', ')}`);
});

test(`no source file is over ${MAX_LINES} lines`, (t) => {
  const roots = ['index.ts', ...LEAVES.map((l) => `${l}.ts`)].filter((f) => statSync(join(repo, f), { throwIfNoEntry: false })?.isFile());
  const long = [...roots, ...files]
    .map((file) => {
      const text = readFileSync(join(repo, file), 'utf8');
      return { file, lines: text.split('\n').length - (text.endsWith('\n') ? 1 : 0) };
    })
    .filter((f) => f.lines > MAX_LINES)
    .map((f) => `${f.file} (${f.lines} lines)`);
  t.deepEqual(long, [], `over ${MAX_LINES} lines; split by job: ${long.join(', ')}`);
});

/** File-level import cycles (type-only imports count: a reader follows them too), each as the files on the circle. */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

test('cycles() finds the files that import each other: a -> b -> a, c alone', (t) => {
  t.deepEqual(cycles(new Map([['a', ['b']], ['b', ['a', 'c']], ['c', []]])), [['a', 'b']]);
});

test('no two source files import each other, directly or round a circle', (t) => {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = parseImports(file, readFileSync(join(repo, file), 'utf8'))
      .filter((i) => i.specifier.startsWith('.'))
      .map((i) => posix.normalize(posix.join(posix.dirname(file), i.specifier)).replace(/\.js$/, ''))
      .flatMap((base) => [`${base}.ts`, `${base}.tsx`].filter((f) => known.has(f)));
    graph.set(file, targets);
  }
  const circles = cycles(graph).map((c) => c.join(' <-> '));
  t.deepEqual(circles, [], `import circles:\n  ${circles.join('\n  ')}`);
});
