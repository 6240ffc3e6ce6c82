/**
 * The built-in baselines: small, well-known networks that train in a minute or two on the wasm backend.
 * - `lenet5`: LeCun et al. 1998 as usually re-implemented (conv 6@5x5 same, pool, conv 16@5x5, pool, 120, 84, classes).
 * - `mlp`: LeNet-300-100 (Deep Compression's other LeNet): 784-300-100-10.
 * - `mobilenet-tiny`: a small depthwise-separable network (Howard et al. 2017 blocks: depthwise 3x3 + BN + ReLU,
 *   pointwise 1x1 + BN + ReLU), so depthwise layers and batch-norm groups are exercised.
 * Every initializer is seeded, so the same seed builds the same model.
 */
import * as tf from '../../tfjs.js';
import { ConfigError } from '../../errors.js';
import { BUILTIN_MODELS, type BuiltinModel, isBuiltinModel } from './builtin-models.js';

export { BUILTIN_MODELS, type BuiltinModel, isBuiltinModel };

/** Seeded initializers: each layer gets its own seed derived from the model seed and its position. */
function seeded(seed: number) {
  let n = 0;
  return () => tf.initializers.glorotUniform({ seed: seed * 1000 + n++ });
}

export function buildLenet5(inputShape: number[], numClasses: number, seed = 1): tf.LayersModel {
  const init = seeded(seed);
  return tf.sequential({
    name: 'lenet5',
    layers: [
      tf.layers.conv2d({ inputShape, filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', kernelInitializer: init(), name: 'conv1' }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: 'pool1' }),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, padding: 'valid', activation: 'relu', kernelInitializer: init(), name: 'conv2' }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: 'pool2' }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ units: 120, activation: 'relu', kernelInitializer: init(), name: 'fc1' }),
      tf.layers.dense({ units: 84, activation: 'relu', kernelInitializer: init(), name: 'fc2' }),
      tf.layers.dense({ units: numClasses, activation: 'softmax', kernelInitializer: init(), name: 'fc3' }),
    ],
  });
}

export function buildMlp(inputShape: number[], numClasses: number, seed = 1): tf.LayersModel {
  const init = seeded(seed);
  return tf.sequential({
    name: 'mlp',
    layers: [
      tf.layers.flatten({ inputShape, name: 'flatten' }),
      tf.layers.dense({ units: 300, activation: 'relu', kernelInitializer: init(), name: 'fc1' }),
      tf.layers.dense({ units: 100, activation: 'relu', kernelInitializer: init(), name: 'fc2' }),
      tf.layers.dense({ units: numClasses, activation: 'softmax', kernelInitializer: init(), name: 'fc3' }),
    ],
  });
}

export function buildMobilenetTiny(inputShape: number[], numClasses: number, seed = 1): tf.LayersModel {
  const init = seeded(seed);
  const input = tf.input({ shape: inputShape, name: 'input' });
  let x = tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init(), name: 'conv0' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'conv0_bn' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: 'conv0_relu' }).apply(x) as tf.SymbolicTensor;
  const blocks: Array<[number, number]> = [
    [32, 2],
    [64, 2],
    [64, 1],
  ];
  blocks.forEach(([filters, stride], i) => {
    const b = i + 1;
    x = tf.layers.depthwiseConv2d({ kernelSize: 3, strides: stride, padding: 'same', useBias: false, depthwiseInitializer: init(), name: `dw${b}` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ name: `dw${b}_bn` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU({ name: `dw${b}_relu` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.conv2d({ filters, kernelSize: 1, useBias: false, kernelInitializer: init(), name: `pw${b}` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ name: `pw${b}_bn` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU({ name: `pw${b}_relu` }).apply(x) as tf.SymbolicTensor;
  });
  x = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: numClasses, activation: 'softmax', kernelInitializer: init(), name: 'fc' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'mobilenet-tiny' });
}

export function buildModel(name: string, inputShape: number[], numClasses: number, seed = 1): tf.LayersModel {
  switch (name) {
    case 'lenet5':
      return buildLenet5(inputShape, numClasses, seed);
    case 'mlp':
      return buildMlp(inputShape, numClasses, seed);
    case 'mobilenet-tiny':
      return buildMobilenetTiny(inputShape, numClasses, seed);
    default:
      throw new ConfigError(`unknown model '${name}'; use one of ${BUILTIN_MODELS.join(', ')} or a path to a model.json`);
  }
}
