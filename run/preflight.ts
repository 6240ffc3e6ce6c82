/**
 * Every input a run needs, checked within seconds and before any baseline is trained: the work directory (a writable
 * folder), the model (a built-in name, or a model.json that parses and whose shards exist), the data (the loaders'
 * own checks), the model against the data, and the budget against the smallest cost the search space can reach.
 * A bad input is found here as the same one-line InputError the run would have hit minutes later.
 *
 * The budget check builds the environment on the untrained architecture (a built-in from the zoo, or the loaded
 * model.json): the budget plan, the exclude/pin patterns and the knob bounds are checked by the code that uses them.
 */
import { CompressionEnv } from '../env/compression-env.js';
import { dilatedLayer } from '../env/layers.js';
import { ConfigError } from '../errors.js';
import { rerankStepsOf, type RunConfig } from './config.js';
import * as tf from '../tfjs.js';
import { envConfig, searchSpace } from './environment.js';
import { latencyTableFor, needsLatency } from './latency.js';
import { loadData, modelArchitecture } from './setup.js';
import { checkWorkdir } from './workdir.js';

export async function preflight(config: RunConfig, workdir: string): Promise<void> {
  checkWorkdir(workdir);
  const data = loadData(config);
  const model = await modelArchitecture(config.model, data);
  try {
    checkFinetunable(model, config);
    // a baseline accuracy is only needed for rewards, which are never computed here; a latency budget's table is timed
    // on the architecture (times do not depend on the weights) and cached for the run
    const latency = needsLatency(config) && config.knobs.includes('channels') ? await latencyTableFor(config, searchSpace(config), model, workdir, tf.getBackend()) : undefined;
    new CompressionEnv(model, data, envConfig(config, latency), 0).dispose();
  } finally {
    model.dispose();
  }
}

/**
 * tfjs has no gradient for dilated convolutions: a run that would fine-tune such a model (per episode, in the re-rank
 * or in the final stage) is refused here, not after its search when the final stage first fine-tunes.
 */
function checkFinetunable(model: tf.LayersModel, config: RunConfig): void {
  const dilated = dilatedLayer(model);
  const steps = config.finetuneSteps + config.finalSteps + (config.rerankTop > 0 ? rerankStepsOf(config) : 0);
  if (dilated && steps > 0) {
    throw new ConfigError(`layer ${dilated} cannot be fine-tuned: tfjs has no gradient for dilated convolutions; compress without fine-tuning (--finetune-steps 0 --rerank-top 0 --final-steps 0)`);
  }
}
