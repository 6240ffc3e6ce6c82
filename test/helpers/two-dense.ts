/** The latency tests' model: flatten -> fc1 (6 units) -> fc2 (3 units); fc1's outputs are the one channel group the knob cuts. */
import * as tf from '../../tfjs.js';

export function twoDenseLayers(inputShape: number[]): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape }),
      tf.layers.dense({ units: 6, activation: 'relu', name: 'fc1' }),
      tf.layers.dense({ units: 3, activation: 'softmax', name: 'fc2' }),
    ],
  });
}
