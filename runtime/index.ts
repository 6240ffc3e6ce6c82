/**
 * autoshrink/runtime: load a model.ashk in a web page or any JavaScript runtime with tfjs, without Node and without
 * the rest of autoshrink. `const model = await tf.loadLayersModel(ashk('model.ashk'))`.
 */
export { ashk, ashkArtifacts, readAshk, type AshkModel, type AshkOptions, type AshkSource } from './ashk.js';
export { DEFAULT_READ_LIMITS, type ReadLimits } from '../learners/pack-reader.js';
export { ModelError, InputError } from '../errors.js';
