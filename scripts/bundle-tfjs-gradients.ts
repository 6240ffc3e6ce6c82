/**
 * tfjs-gradients.ts: tfjs-core's gradients and chained ops (`x.add(y)`, which tfjs-layers calls), registered on the
 * one copy of tfjs-core that Node loads. The umbrella package @tensorflow/tfjs registers them for its users; tfjs-core's
 * own Node entry (dist/tf-core.node.js) does not, and the registering modules it ships
 * (dist/register_all_gradients.js, dist/public/chained_ops/register_all_chained_ops.js) are ES modules with
 * extensionless imports that Node cannot load, and that would pull in a second copy of tfjs-core's code if they could.
 *
 * So esbuild bundles those two modules once, here, with every module of tfjs-core they import answered by the
 * public API of the `@tensorflow/tfjs-core` package itself (`core.mul`, `core.backend_util.getReductionAxes`, ...):
 * the output holds the gradient functions and the chained-op methods and nothing else of tfjs-core, no Engine, no
 * Tensor class, no registry. A module whose names the public API lacks is bundled too, its own imports answered the
 * same way: the internal ops tfjs-core does not export (conv2DBackpropInput, maxPoolGrad, ...: small wrappers around
 * `ENGINE.runKernel`) and two pure helpers (convertToTensor, isWebGLData). A module that holds tfjs-core's state
 * (STATEFUL) is never bundled: the build stops instead.
 *
 *   npx tsx scripts/bundle-tfjs-gradients.ts     # rewrite tfjs-gradients.ts (after a tfjs upgrade)
 *
 * test/tfjs.test.ts fails while the committed file differs from what this writes.
 */
import { build, type Plugin } from 'esbuild';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const CORE = dirname(require.resolve('@tensorflow/tfjs-core/package.json'));
const DIST = join(CORE, 'dist');
const ENTRIES = ['register_all_gradients', 'public/chained_ops/register_all_chained_ops'];
/** The modules bundled as they are: the two registering modules and what they register. */
const OWN = /^(register_all_gradients|gradients\/|public\/chained_ops\/)/;

export const GRADIENTS_FILE = fileURLToPath(new URL('../tfjs-gradients.ts', import.meta.url));

/** Internal names with no public export, as public calls: both are what tfjs-core's own modules compute. */
const SHIMS: Record<string, Record<string, string>> = {
  // engine.js: `export const ENGINE = getOrMakeEngine()`; the public engine() returns that same global engine
  engine: { ENGINE: 'core.engine()' },
  // tensor.js: the Tensor class the first tfjs-core loaded registered globally, where the chained ops go
  tensor: { getGlobalTensorClass: '(() => globalThis._tfGlobals?.get("Tensor") ?? core.Tensor)' },
};

/** tfjs-core's modules that hold its state: a copy of one would be a second engine, Tensor class or registry. */
const STATEFUL = ['engine', 'tensor', 'kernel_registry', 'environment', 'global_util', 'base', 'index'];

type Plan = { kind: 'bundle' } | { kind: 'public'; names: Map<string, string> };

/** A relative import of a dist module as the module's id: its path under dist/ without `.js`. */
function moduleId(importerId: string, specifier: string): string {
  const file = resolve(DIST, dirname(importerId), specifier);
  const id = relative(DIST, file);
  return existsSync(`${file}.js`) ? id : `${id}/index`;
}

/** What one module imports from each relative module: named imports, and `ns.member` uses of a namespace import. */
function importsOf(id: string): Map<string, Set<string>> {
  const text = readFileSync(join(DIST, `${id}.js`), 'utf8').replace(/\/\/# sourceMappingURL=.*$/m, '');
  const found = new Map<string, Set<string>>();
  const add = (spec: string, name?: string) => {
    const target = moduleId(id, spec);
    const names = found.get(target) ?? new Set<string>();
    if (name) names.add(name);
    found.set(target, names);
  };
  for (const m of text.matchAll(/^\s*(?:import|export)\s*\{([^}]*)\}\s*from\s*'(\.[^']*)'/gm)) {
    for (const part of m[1].split(',')) {
      const name = part.trim().split(/\s+as\s+/)[0];
      if (name) add(m[2], name);
    }
  }
  for (const m of text.matchAll(/^\s*import\s*\*\s*as\s+(\w+)\s+from\s*'(\.[^']*)'/gm)) {
    add(m[2]);
    for (const use of text.matchAll(new RegExp(`\\b${m[1]}\\.(\\w+)`, 'g'))) add(m[2], use[1]);
  }
  for (const m of text.matchAll(/^\s*import\s*'(\.[^']*)'/gm)) add(m[1]);
  if (/^\s*export\s*\*/m.test(text)) throw new Error(`${id}.js re-exports a whole module: the import scan cannot follow it`);
  return found;
}

/** `core.name` or `core.namespace.name` for a public name, preferring the namespace named like the module. */
function publicName(core: Record<string, unknown>, id: string, name: string): string | null {
  const shim = SHIMS[id]?.[name];
  if (shim) return shim;
  const base = id.split('/').pop()!;
  const ns = (key: string) => core[key] as Record<string, unknown> | undefined;
  if (ns(base) && typeof ns(base) === 'object' && name in ns(base)!) return `core.${base}.${name}`;
  if (name in core) return `core.${name}`;
  const holders = Object.keys(core).filter((k) => core[k] !== null && typeof core[k] === 'object' && name in (core[k] as object));
  const values = new Set(holders.map((k) => (core[k] as Record<string, unknown>)[name]));
  if (values.size === 1) return `core.${holders[0]}.${name}`;
  return null;
}

/** Walks the two registering modules and decides, module by module, what is bundled and what the public API answers. */
function plan(core: Record<string, unknown>): Map<string, Plan> {
  const plans = new Map<string, Plan>();
  const wanted = new Map<string, Set<string>>();
  const queue = [...ENTRIES];
  const seen = new Set<string>();
  while (queue.length > 0) {
    while (queue.length > 0) {
      const id = queue.shift()!;
      if (seen.has(id)) continue;
      seen.add(id);
      plans.set(id, { kind: 'bundle' });
      for (const [target, names] of importsOf(id)) {
        if (OWN.test(target)) queue.push(target);
        else wanted.set(target, new Set([...(wanted.get(target) ?? []), ...names]));
      }
    }
    for (const [target, names] of wanted) {
      if (seen.has(target)) continue;
      const mapped = new Map([...names].map((n) => [n, publicName(core, target, n)] as const));
      if ([...mapped.values()].every((v) => v !== null)) plans.set(target, { kind: 'public', names: mapped as Map<string, string> });
      else if (STATEFUL.includes(target)) {
        const missing = [...mapped].filter(([, v]) => v === null).map(([n]) => n);
        throw new Error(`${target}.js holds tfjs-core's state and ${missing.join(', ')} has no public export: add a shim`);
      } else queue.push(target); // an internal op or helper tfjs-core does not export: bundled, its imports answered in turn
    }
  }
  // (each pass re-plans every module not bundled with all the names wanted so far, so the last pass settles them all)
  return plans;
}

function publicModule(names: Map<string, string>): string {
  const lines = [...names].sort(([a], [b]) => a.localeCompare(b)).map(([n, v]) => `export const ${n} = ${v};`);
  return ["import * as core from '@tensorflow/tfjs-core';", ...lines].join('\n');
}

/** The text of tfjs-gradients.ts for the tfjs-core installed here. */
export async function bundleTfjsGradients(): Promise<string> {
  const core = require('@tensorflow/tfjs-core') as Record<string, unknown>;
  const version = (require('@tensorflow/tfjs-core/package.json') as { version: string }).version;
  const plans = plan(core);
  const plugin: Plugin = {
    name: 'tfjs-core-public-api',
    setup(b) {
      b.onResolve({ filter: /^entry$/ }, () => ({ path: 'entry', namespace: 'tfjs' }));
      b.onResolve({ filter: /^\./ }, (args) => {
        // every module is loaded in this namespace, so its importer is a module id (the entry sits at dist/)
        return { path: moduleId(args.importer === 'entry' ? '' : args.importer, args.path), namespace: 'tfjs' };
      });
      b.onLoad({ filter: /.*/, namespace: 'tfjs' }, (args) => {
        if (args.path === 'entry') return { contents: ENTRIES.map((e) => `import './${e}';`).join('\n'), resolveDir: DIST };
        const p = plans.get(args.path);
        if (p === undefined) throw new Error(`unplanned module ${args.path}`);
        if (p.kind === 'public') return { contents: publicModule(p.names), resolveDir: DIST };
        return { contents: readFileSync(join(DIST, `${args.path}.js`), 'utf8'), resolveDir: dirname(join(DIST, args.path)) };
      });
    },
  };
  const result = await build({
    entryPoints: ['entry'],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'es2022',
    external: ['@tensorflow/tfjs-core'],
    plugins: [plugin],
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const bundled = [...plans.values()].filter((p) => p.kind === 'bundle').length;
  const head = [
    '// @ts-nocheck',
    `// Generated by scripts/bundle-tfjs-gradients.ts from @tensorflow/tfjs-core ${version} (Apache-2.0, Google LLC): do not edit.`,
    `// tfjs-core's gradients and chained ops (${bundled} of its modules), every other name from the public API of`,
    "// '@tensorflow/tfjs-core': registered on the one tfjs-core Node loads. Imported by tfjs.ts only.",
  ];
  return `${head.join('\n')}\n${result.outputFiles[0].text}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const text = await bundleTfjsGradients();
  writeFileSync(GRADIENTS_FILE, text);
  console.log(`wrote ${relative(process.cwd(), GRADIENTS_FILE)}: ${text.split('\n').length} lines, ${Buffer.byteLength(text)} bytes`);
}
