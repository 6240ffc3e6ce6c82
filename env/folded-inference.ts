/**
 * Scoring (inference) with batch norm folded into the convolution before it, on wasm.
 *
 * A convolution without activation followed by a BatchNormalization, `(conv(x, W) + bias - mean) * a + beta` with
 * a = gamma / sqrt(variance + eps) per output channel, equals one convolution with the filter `W * a` and the bias
 * `(bias - mean) * a + beta` (Jacob et al. 2018, "Quantization and Training of Integer-Arithmetic-Only Inference",
 * section 3.2; TFLite's converter does the same). A ReLU right after the batch norm goes into the same fused op. For
 * mobilenet-tiny that takes every batch norm and ReLU pass out of scoring: 11 of its 20 layers. The filter is folded
 * from the weights as they are at the call (the compressed ones in an episode), so values equal the layer-by-layer
 * pass up to float32 rounding (the product by `a` is taken before the sum instead of after:
 * test/env/wasm-fused-layers.test.ts).
 *
 * Only plain chains (every layer reads the one before it: Sequential models, and functional ones built that way) are
 * folded, and only Conv2D and DepthwiseConv2D channels-last; a layer whose `call` is wrapped for the pass
 * (activation-quant.ts quantizes inputs that way) is run as it is, never folded. Any other model gets null and the
 * caller runs `model.predict`.
 */
import * as tf from '../tfjs.js';

/** The fields of tfjs-layers' conv and batch-norm layers that the fold reads (not in tfjs's public types). */
interface ConvFields {
  kernel?: tf.LayerVariable;
  depthwiseKernel?: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  strides: [number, number];
  padding: 'same' | 'valid';
  dataFormat: string;
  dilationRate: number | [number, number];
  activation: { getClassName(): string };
}

interface BatchNormFields {
  axis: number | number[];
  epsilon: number;
  gamma: tf.LayerVariable | null;
  beta: tf.LayerVariable | null;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

const className = (l: tf.layers.Layer) => l.getClassName();
const wrapped = (l: tf.layers.Layer) => Object.prototype.hasOwnProperty.call(l, 'call');

/** The model's layers from input to output when each reads exactly the one before it; null otherwise. */
export function layerChain(model: tf.LayersModel): tf.layers.Layer[] | null {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return null;
  const chain: tf.layers.Layer[] = [];
  let t: tf.SymbolicTensor = model.outputs[0];
  while (t !== model.inputs[0]) {
    const layer = t.sourceLayer as tf.layers.Layer & { inboundNodes: Array<{ inputTensors: tf.SymbolicTensor[] }> };
    const node = layer.inboundNodes[t.nodeIndex];
    if (!node || node.inputTensors.length !== 1 || t.tensorIndex !== 0) return null;
    chain.push(layer);
    t = node.inputTensors[0];
  }
  const counted = model.layers.filter((l) => className(l) !== 'InputLayer').length;
  return chain.length === counted ? chain.reverse() : null;
}

function foldableConv(l: tf.layers.Layer): boolean {
  const c = l as unknown as ConvFields;
  const name = className(l);
  return (name === 'Conv2D' || name === 'DepthwiseConv2D') && c.dataFormat === 'channelsLast' && c.activation.getClassName() === 'linear' && !wrapped(l);
}

function foldableBatchNorm(l: tf.layers.Layer | undefined): boolean {
  if (!l || className(l) !== 'BatchNormalization' || wrapped(l)) return false;
  const axis = (l as unknown as BatchNormFields).axis;
  return axis === -1 || axis === 3 || (Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3));
}

function plainRelu(l: tf.layers.Layer | undefined): boolean {
  if (!l || wrapped(l)) return false;
  if (className(l) === 'ReLU') return (l as unknown as { maxValue?: number | null }).maxValue == null;
  return className(l) === 'Activation' && (l as unknown as ConvFields).activation.getClassName() === 'relu';
}

/** The filter and bias of conv + batch norm folded into one convolution, from the weights as they are now. */
function foldWeights(convLayer: tf.layers.Layer, bnLayer: tf.layers.Layer): { filter: tf.Tensor4D; bias: tf.Tensor1D } {
  return tf.tidy(() => {
    const conv = convLayer as unknown as ConvFields;
    const bn = bnLayer as unknown as BatchNormFields;
    const depthwise = className(convLayer) === 'DepthwiseConv2D';
    const w = (depthwise ? conv.depthwiseKernel! : conv.kernel!).read() as tf.Tensor4D;
    const mean = bn.movingMean.read();
    const c = mean.size;
    const inv = tf.rsqrt(tf.add(bn.movingVariance.read(), bn.epsilon));
    const a = bn.gamma ? tf.mul(bn.gamma.read(), inv) : inv;
    const centred = conv.bias ? tf.sub(conv.bias.read(), mean) : tf.neg(mean);
    const bias = tf.reshape(bn.beta ? tf.add(tf.mul(centred, a), bn.beta.read()) : tf.mul(centred, a), [c]) as tf.Tensor1D;
    // the output channel is the last filter axis for Conv2D ([kh,kw,cin,cout]); c*m + k over the last two for depthwise
    const filter = tf.mul(w, tf.reshape(a, depthwise ? [1, 1, w.shape[2], w.shape[3]] : [1, 1, 1, c])) as tf.Tensor4D;
    return { filter, bias };
  });
}

/** One step of the folded pass: a layer as it is, or conv + batch norm (+ ReLU) as one fused convolution. */
type Stage = ({ layer: tf.layers.Layer } | { conv: tf.layers.Layer; filter: tf.Tensor4D; bias: tf.Tensor1D; relu: boolean }) & { start: number };

/** The model's inference pass with every conv + batch norm (+ ReLU) folded; `dispose` frees the folded weights. */
export interface FoldedForward {
  apply(x: tf.Tensor): tf.Tensor;
  /** The stages that start at chain indices [from, to) (env/prefix-cache.ts runs a pass in two parts). */
  applyRange(x: tf.Tensor, from: number, to: number): tf.Tensor;
  /** The chain index at which the stage holding chain index `at` starts (a fused stage is never split). */
  cut(at: number): number;
  dispose(): void;
}

/**
 * The model's inference pass with every conv + batch norm (+ ReLU) folded, with the weights as they are now (make a
 * new one after the weights change); null when the model is not a plain chain or has nothing to fold.
 */
export function foldedForward(model: tf.LayersModel): FoldedForward | null {
  const chain = layerChain(model);
  if (!chain || !chain.some((l, i) => foldableConv(l) && foldableBatchNorm(chain[i + 1]))) return null;
  const stages: Stage[] = [];
  for (let i = 0; i < chain.length; i++) {
    const l = chain[i];
    if (foldableConv(l) && foldableBatchNorm(chain[i + 1])) {
      const relu = plainRelu(chain[i + 2]);
      const { filter, bias } = foldWeights(l, chain[i + 1]);
      stages.push({ conv: l, filter: tf.keep(filter), bias: tf.keep(bias), relu, start: i });
      i += relu ? 2 : 1;
    } else {
      stages.push({ layer: l, start: i });
    }
  }
  const applyRange = (x: tf.Tensor, from: number, to: number) =>
    tf.tidy(() => {
      let y = x;
      for (const s of stages) {
        if (s.start < from || s.start >= to) continue;
        if ('layer' in s) {
          y = s.layer.apply(y, { training: false }) as tf.Tensor;
          continue;
        }
        const conv = s.conv as unknown as ConvFields;
        const args = { x: y as tf.Tensor4D, filter: s.filter, bias: s.bias, strides: conv.strides, pad: conv.padding, dilations: conv.dilationRate, activation: s.relu ? 'relu' : 'linear' } as const;
        y = className(s.conv) === 'DepthwiseConv2D' ? tf.fused.depthwiseConv2d(args) : tf.fused.conv2d(args);
      }
      // a range with no stage returns its input: a copy, so the caller owns what it gets
      return y === x ? tf.clone(x) : y;
    });
  return {
    apply: (x) => applyRange(x, 0, chain.length),
    applyRange,
    cut: (at) => stages.filter((s) => s.start <= at).at(-1)?.start ?? 0,
    dispose: () => {
      for (const s of stages) if ('filter' in s) tf.dispose([s.filter, s.bias]);
    },
  };
}
