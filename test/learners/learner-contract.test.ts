import test from 'ava';
import { type LayerSpec, layerSpec } from '../../learners/types.js';
import { CONTRACT_PRUNINGS as prunings, CONTRACT_QUANTIZATIONS as quantizations, learnerContract } from '../helpers/learner-contract.js';

// dense [in, out]; conv [kh, kw, cin, cout] with cin not a multiple of 4 and cout not a multiple of the block; 1-D
const shapes = [[24, 10], [3, 3, 5, 6], [2, 3]];

for (const shape of shapes) {
  for (const p of prunings) {
    for (const q of quantizations) test(learnerContract, { shape, spec: layerSpec({ ...p, ...q }) });
  }
}
