/**
 * The one module that chooses the TensorFlow.js backend (the choice and why: docs/design.md, "Backends").
 *
 * Order for 'auto': `@tensorflow/tfjs-node` (native TensorFlow) if it loads, else `@tensorflow/tfjs-backend-wasm`,
 * else the plain JavaScript `cpu` backend. tfjs-node is an optionalDependency whose install needs the internet, so it
 * is only ever reached through a dynamic `import()` that may fail.
 *
 * The wasm backend lacks some conv-gradient kernels and has a few slow ones; loading it registers ours
 * (env/wasm-kernels.ts).
 */
import * as tf from '../tfjs.js';
import { ConfigError } from '../errors.js';
import { registerWasmConvGradKernels } from './wasm-kernels.js';

/** Backends in the order 'auto' tries them. */
import { BACKENDS, type BackendName } from './backend-names.js';

export { BACKENDS, type BackendName };
export type BackendRequest = BackendName | 'auto';

export interface BackendChoice {
  /** Our name for it: one of BACKENDS (`tf.getBackend()` reports 'tensorflow' for 'node'). */
  name: BackendName;
  /** One line: why this backend, e.g. "auto: @tensorflow/tfjs-node is not installed (...); wasm loaded". */
  reason: string;
}

/** The name each backend registers under in tfjs. */
const TFJS_NAME: Record<BackendName, string> = { node: 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

const DESCRIPTIONS: Record<BackendName, string> = {
  node: 'node: @tensorflow/tfjs-node, native TensorFlow, multi-threaded; the fastest, but its install needs internet',
  wasm: 'wasm: WebAssembly SIMD, single thread, ~20 GFLOP/s matmul here; the default when tfjs-node is missing',
  cpu: 'cpu: plain JavaScript, ~0.5 GFLOP/s matmul, LeNet training ~100x slower than wasm here; a correctness reference',
};

/** One line for the README and `--help` (figures from bench/results/backend.md); unknown names say so. */
export function describeBackend(name: string): string {
  return isBackendName(name) ? DESCRIPTIONS[name] : `${name}: unknown backend (choose one of ${BACKENDS.join(', ')})`;
}

function isBackendName(name: string): name is BackendName {
  return (BACKENDS as readonly string[]).includes(name);
}

/** Whether a backend's package can be loaded here; probed once per process. */
type Probe = { ok: true } | { ok: false; why: string };
const probes = new Map<BackendName, Promise<Probe>>();

function probe(name: BackendName): Promise<Probe> {
  let p = probes.get(name);
  if (p === undefined) {
    p = loaders[name]();
    probes.set(name, p);
  }
  return p;
}

const loaders: Record<BackendName, () => Promise<Probe>> = {
  async node() {
    // A variable specifier keeps TypeScript from resolving a package that is usually absent.
    const specifier = '@tensorflow/tfjs-node';
    try {
      await import(specifier);
    } catch (e) {
      // Only the package itself missing counts as "not installed"; a missing native addon is a load failure.
      const code = (e as { code?: unknown }).code;
      const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
      if (missing && firstLine(e).includes(`'${specifier}'`)) {
        return { ok: false, why: '@tensorflow/tfjs-node is not installed (it needs internet at install time)' };
      }
      return { ok: false, why: `@tensorflow/tfjs-node failed to load (${firstLine(e)})` };
    }
    if (tf.findBackendFactory(TFJS_NAME.node) == null) {
      return { ok: false, why: '@tensorflow/tfjs-node loaded but registered on another copy of @tensorflow/tfjs-core' };
    }
    return { ok: true };
  },
  async wasm() {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
    } catch (e) {
      return { ok: false, why: `@tensorflow/tfjs-backend-wasm failed to load (${firstLine(e)})` };
    }
    registerWasmConvGradKernels();
    return { ok: true };
  },
  async cpu() {
    return { ok: true }; // registered by tfjs.ts, with tfjs-core
  },
};

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0];
}

/** Loads and activates a backend; returns why not when it cannot. */
async function activate(name: BackendName): Promise<Probe> {
  const loaded = await probe(name);
  if (!loaded.ok) return loaded;
  try {
    if (await tf.setBackend(TFJS_NAME[name])) {
      await tf.ready();
      return { ok: true };
    }
    return { ok: false, why: `the ${name} backend failed to initialise` };
  } catch (e) {
    return { ok: false, why: `the ${name} backend failed to initialise (${firstLine(e)})` };
  }
}

/**
 * Chooses and activates the tfjs backend. 'auto' takes the first of BACKENDS that works; an explicit name that cannot
 * be loaded, or an unknown name, throws a ConfigError with a one-line message. Safe to call more than once.
 */
export async function selectBackend(requested: BackendRequest | (string & {}) = 'auto'): Promise<BackendChoice> {
  if (requested === 'auto') {
    const skipped: string[] = [];
    for (const name of BACKENDS) {
      const got = await activate(name);
      if (got.ok) {
        const why = skipped.length === 0 ? `${name} loaded` : `${skipped.join('; ')}; so ${name}`;
        return { name, reason: `auto: ${why}` };
      }
      skipped.push(got.why);
    }
    // Unreachable in practice: tfjs.ts registers cpu.
    throw new ConfigError(`no tfjs backend could be initialised: ${skipped.join('; ')}`);
  }
  if (!isBackendName(requested)) {
    throw new ConfigError(`unknown backend '${requested}': choose one of auto, ${BACKENDS.join(', ')}`);
  }
  const got = await activate(requested);
  if (!got.ok) {
    const others: BackendName[] = [];
    for (const name of BACKENDS) {
      if (name !== requested && (await probe(name)).ok) others.push(name);
    }
    const hint = others.length > 0 ? `; use --backend ${others[0]} (available here: ${others.join(', ')})` : '';
    throw new ConfigError(`backend '${requested}' is not available: ${got.why}${hint}`);
  }
  return { name: requested, reason: `requested ${requested}` };
}
