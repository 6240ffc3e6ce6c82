import test from 'ava';
import * as tf from '../../tfjs.js';
import { createAgent } from '../../agent/create-agent.js';
import { playToyEpisode } from './toy-problem.js';

test.serial('DDPG keeps tf.memory().numTensors constant across warm-up, learning, checkpoint and restore', async (t) => {
  const start = tf.memory().numTensors;
  const options = { stateSize: 5, actionSize: 1, layers: 4, seed: 3, hidden: [16, 16], warmupEpisodes: 2, batchSize: 8 };
  const agent = createAgent('ddpg', options);
  // actor and critic: 3 dense layers x (kernel + bias) = 6 variables each; online, target, Adam m, Adam v: 4 x 12 = 48
  t.is(tf.memory().numTensors - start, 48);
  const initialised = tf.memory().numTensors;
  for (let e = 0; e < 6; e++) playToyEpisode(agent); // 2 warm-up + 4 learning episodes
  t.is(agent.phase(), 'learning');
  t.is(tf.memory().numTensors, initialised);
  const cp = await agent.checkpoint();
  agent.restore(cp);
  agent.act([1, 0, 0, 0, 0], false);
  t.is(tf.memory().numTensors, initialised);
  agent.dispose();
  t.is(tf.memory().numTensors, start);
});
