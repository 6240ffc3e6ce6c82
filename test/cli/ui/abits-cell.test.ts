import test from 'ava';
import { layerTableRow } from '../../../cli/ui/layer-table.js';

test('with activation bits the bits cell reads weight / activation bits: 4 and 8 -> "4/8"; without them it is unchanged', (t) => {
  const choice = { name: 'fc1', bits: 4, pruneRatio: 0, clusters: 0 };
  // 'fc1' padded to 5, two spaces, the bits cell padded to 4, two spaces, prune padded to 5, ...
  t.is(layerTableRow('fc1', 5, { ...choice, activationBits: 8 }, false), `${'fc1  '}  ${' 4/8'}  ${'   0%'}  ${'       -'}`);
  t.is(layerTableRow('fc1', 5, choice, false), `${'fc1  '}  ${'   4'}  ${'   0%'}  ${'       -'}`);
});
