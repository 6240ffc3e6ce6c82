/**
 * autoshrink's public library API: re-exports only (docs/design.md, "Public names"). Names here are stable.
 */

// compression learners (pure functions over Float32Arrays)
export { constantSparsity, polynomialDecay } from './learners/pruning-schedule.js';
export type { PruningSchedule, PruningStep } from './learners/pruning-schedule.js';
export { magnitudeMask, magnitudeKeepCount, blockMask, mByNMask } from './learners/magnitude-pruning.js';
export { initCentroids, assignClusters, clusterWeights } from './learners/clustering.js';
export { quantizeUniform, quantizeNonUniform } from './learners/quantization.js';
export { compressLayer, finalizeLayer, projectLayer, pruneMask } from './learners/compress-layer.js';
export type { CompressedLayer } from './learners/compress-layer.js';
export { sizeBits, fullPrecisionBits, storageLayout, keptWeights } from './learners/size.js';
export { packModel, unpackModel, packedSizeReport, readPackedHeader, unpackTensors, type ReadLimits } from './learners/model-pack.js';
export { encodeLayer, decodeLayer } from './learners/layer-codec.js';
export { layerSpec, FULL_PRECISION } from './learners/types.js';
export type { LayerSpec, PruneKind, ClusterInit, QuantKind, Bucket, QuantRange } from './learners/types.js';

// agents
export { createAgent } from './agent/create-agent.js';
export { Ddpg, DEFAULT_DDPG_CONFIG } from './agent/ddpg.js';
export type { DdpgConfig } from './agent/ddpg.js';
export { greedySearch } from './agent/greedy.js';
export { solveKnapsack } from './agent/knapsack.js';
export type { KnapsackOption, KnapsackResult } from './agent/knapsack.js';
export type { Agent, AgentCheckpoint, Transition } from './agent/agent.js';

// environment: backend, data, models, the compression env, fine-tuning
export { selectBackend, describeBackend, BACKENDS } from './env/backend.js';
export { loadDataset } from './env/data/load-dataset.js';
export type { Dataset, DataSplit } from './env/data/dataset.js';
export { buildModel, BUILTIN_MODELS } from './env/models/zoo.js';
export { loadModel, saveModel } from './env/models/model-io.js';
export { CompressionEnv } from './env/compression-env.js';
export { compressibleLayers, describeLeftOut, kernelVariable, layersLeftOut, type LeftOutLayer, SUPPORTED_LAYERS } from './env/layers.js';
export type { LayerInfo } from './env/layers.js';
export { parseBudget, sparseMacs } from './env/budget.js';
export { finetune } from './env/finetune.js';
export { analyzeChannels } from './env/channel-pruning/analysis.js';
export { countFlops, prunedFlops } from './env/channel-pruning/cost.js';
export { planChannels } from './env/channel-pruning/plan.js';
export { buildPrunedModel } from './env/channel-pruning/surgery.js';
export { pruneChannels } from './env/channel-pruning/select.js';
export { channelL1Norms, lassoSelect, leastSquares } from './learners/channel-selection.js';
export { evaluateAccuracy, evaluateModel } from './env/evaluate.js';

// runs
export { runSearch, resumeSearch } from './run/search.js';
export type { SearchInput, SearchOptions, SearchResult } from './run/search.js';
export type { InMemoryData, InMemorySplit } from './env/data/in-memory.js';
export { applyStrategy, compressInStages, exportStrategy, finishRun } from './run/final/final.js';
export { loadStrategy, parseStrategy, saveStrategy } from './run/final/strategy.js';
export type { Strategy } from './run/final/strategy.js';
export { parseRunConfig, DEFAULT_CONFIG } from './run/config.js';
export { preflight } from './run/preflight.js';
export type { RunConfig } from './run/config.js';
export { openStore } from './run/store/store.js';
export { describeFp32Share, exportQuantizedTfjs, loadPackedModel } from './run/final/model-files.js';
export type { RunEvent } from './run/events.js';

export * from './errors.js';
// the report (vega, vega-lite, resvg) is its own entry point, autoshrink/report, so importing the library does not
// load the charting packages; the browser reader of model.ashk is autoshrink/runtime
