/**
 * The checks of a packed model's topology that need no tfjs: shared by the Node loader (run/final/model-files.ts) and the
 * browser runtime (runtime/), so a forged topology is refused the same way in both before tfjs builds anything.
 */
import { ModelError } from '../errors.js';
import type { PackedHeader } from './pack-reader.js';

const MAX_TOPOLOGY_LAYERS = 10000;

type LayerJson = { class_name?: unknown; config?: Record<string, unknown> };
type Config = Record<string, unknown>;

const ints = (x: unknown) => (Array.isArray(x) ? x : [x]).map(Number);
/** A 2-D window [kh, kw, ...] of the config's kernel_size. */
const window2d = (k: number[], c: Config) => ints(c.kernel_size).length <= 2 && k[0] === ints(c.kernel_size)[0] && k[1] === (ints(c.kernel_size)[1] ?? k[0]);
/** A depthwise kernel as stored, [kh, kw, 1, c * m] (env/layers.ts storageShape). */
// compressed: the learners' storage shape [kh, kw, 1, c * m]; left at fp32 (excluded, or a channels-only strategy):
// the kernel's own [kh, kw, c, m]
const depthwise = (k: number[], c: Config) =>
  k.length === 4 && window2d(k, c) && ((k[2] === 1 && Number.isInteger(k[3] / Number(c.depth_multiplier ?? 1))) || k[3] === Number(c.depth_multiplier ?? 1));
/** The gates of a recurrent layer's kernels: [in, gates x units] and [units, gates x units]. */
const recurrent = (gates: number) => ({
  kernel: (k: number[], c: Config) => k.length === 2 && k[1] === gates * Number(c.units),
  recurrent_kernel: (k: number[], c: Config) => k.length === 2 && k[0] === Number(c.units) && k[1] === gates * Number(c.units),
});

/**
 * Per compressible layer class, its kernels (by weight name) and what the config says of their shapes: every
 * dimension the config alone decides. So tfjs never builds a kernel the tensor table does not hold.
 */
type KernelCheck = (kernel: number[], config: Config) => boolean;
const KERNEL_CHECKS: Record<string, Record<string, KernelCheck>> = {
  Dense: { kernel: (k, c) => k.length === 2 && k[1] === c.units },
  Conv1D: { kernel: (k, c) => k.length === 3 && ints(c.kernel_size).length === 1 && k[0] === ints(c.kernel_size)[0] && k[2] === c.filters },
  Conv2D: { kernel: (k, c) => k.length === 4 && window2d(k, c) && k[3] === c.filters },
  Conv2DTranspose: { kernel: (k, c) => k.length === 4 && window2d(k, c) && k[2] === c.filters },
  DepthwiseConv2D: { depthwise_kernel: depthwise },
  SeparableConv2D: { depthwise_kernel: depthwise, pointwise_kernel: (k, c) => k.length === 4 && k[0] === 1 && k[1] === 1 && k[3] === c.filters },
  Embedding: { embeddings: (k, c) => k.length === 2 && k[0] === c.input_dim && k[1] === c.output_dim },
  SimpleRNN: recurrent(1),
  GRU: recurrent(3),
  LSTM: recurrent(4),
};

/**
 * The kernels of one layer of a topology, as [weight name under the layer, check, the config that decides it]: its
 * class's, or for a Bidirectional / TimeDistributed its inner layer's (`forward_<inner>/kernel`, ...; `kernel`).
 */
function kernelChecks(cls: string, c: Config): Array<[string, KernelCheck, Config]> {
  if (cls !== 'Bidirectional' && cls !== 'TimeDistributed') return Object.entries(KERNEL_CHECKS[cls] ?? {}).map(([role, f]) => [role, f, c]);
  const inner = c.layer as { class_name?: unknown; config?: Config } | undefined;
  const checks = KERNEL_CHECKS[String(inner?.class_name)];
  const config = inner?.config;
  if (!checks || !config || typeof config !== 'object') return [];
  const prefixes = cls === 'TimeDistributed' ? [''] : [`forward_${String(config.name)}/`, `backward_${String(config.name)}/`];
  return prefixes.flatMap((p) => Object.entries(checks).map(([role, f]): [string, KernelCheck, Config] => [`${p}${role}`, f, config]));
}

/**
 * The checks of a packed model's topology that need no tfjs model: it lists its layers, every input shape holds at
 * most `maxWeights` values, and every compressible layer (KERNEL_CHECKS, wrappers included) has its kernels in the
 * tensor table with the units, filters, kernel size, depth multiplier and vocabulary its config names. So a forged
 * topology cannot ask tfjs to build kernels the table does not hold (the exact shapes are compared once the model is
 * built, before any weight is read).
 */
export function checkPackedTopology(header: PackedHeader, source: string, maxWeights: number): void {
  const bad = (what: string) => new ModelError(`packed model ${source}: ${what}; the file is corrupt or not written by autoshrink`);
  const topo = header.topology as { class_name?: unknown; config?: unknown } | null;
  const config = topo && typeof topo === 'object' ? topo.config : undefined;
  const layers = Array.isArray(config) ? config : (config as { layers?: unknown } | undefined)?.layers;
  if (!topo || typeof topo.class_name !== 'string' || !Array.isArray(layers)) throw bad('its topology is not a tfjs layers model');
  if (layers.length > MAX_TOPOLOGY_LAYERS) throw bad(`its topology has ${layers.length} layers (at most ${MAX_TOPOLOGY_LAYERS})`);
  const table = new Map(header.tensors.map((t) => [t.name, t.shape]));
  for (const l of layers as LayerJson[]) {
    const c = l?.config;
    if (!c || typeof c !== 'object' || typeof l.class_name !== 'string') throw bad('a layer of its topology has no class or config');
    const input = c.batch_input_shape ?? c.batchInputShape;
    if (input !== undefined) {
      const dims = Array.isArray(input) ? input.filter((d) => d !== null) : [NaN];
      if (!dims.every((d) => Number.isInteger(d) && d >= 1) || dims.reduce((a: number, d) => a * (d as number), 1) > maxWeights) {
        throw bad(`layer ${String(c.name)} has input shape [${String(input)}]`);
      }
    }
    for (const [role, fits, decides] of kernelChecks(l.class_name, c)) {
      const kernel = table.get(`${String(c.name)}/${role}`);
      if (!kernel) throw bad(`layer ${String(c.name)} has no ${role} in the tensor table`);
      if (!fits(kernel, decides)) throw bad(`layer ${String(c.name)}'s config does not match its ${role} [${kernel}] in the tensor table`);
    }
  }
}

