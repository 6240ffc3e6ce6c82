/**
 * What a report shows, as plain data: one `ReportRun` per search run. The chart functions of this folder are pure
 * functions of it (data -> Vega-Lite spec -> SVG string), so anything that has these numbers (the CLI from the run
 * store, a benchmark from its own results) can draw them. Nothing here imports the store or tfjs.
 */

/** What a budget limits, in its unit: packed bytes (`size`), multiply-accumulates (`flops`), bit-operations (`bitops`). */
export type CostKind = 'size' | 'flops' | 'bitops' | 'latency';

/** One evaluated strategy of a search. */
export interface ReportEpisode {
  /** 0-based, as the store numbers them; charts show episode + 1. */
  episode: number;
  /** 'warmup' (random), 'learning' or 'policy'; planners without phases may use any other word. */
  phase: string;
  /** Validation accuracy in [0, 1] after the episode's short fine-tune. */
  accuracy: number;
  /** Cost in the budget's unit. */
  cost: number;
  reward: number;
}

/** One compressed layer of the chosen strategy, with its size. */
export interface ReportLayer {
  name: string;
  /** 'dense', 'conv', 'depthwise', ... */
  kind: string;
  /** Weights in the layer's kernel. */
  params: number;
  bits: number;
  pruneRatio: number;
  /** 0 for no clustering. */
  clusters: number;
}

/** Real file sizes of the final model, in bytes (null where the file was not written or is gone). */
export interface ReportSizes {
  packed: number;
  packedGzip: number;
  /** The tfjs model directory (model.json + weights), as written: quantized or fp32. */
  tfjs: number | null;
  fp32: number;
}

/** A built model timed beside the original in the same rounds (runs with a latency budget): medians, ms per predict call. */
export interface ReportLatency {
  measuredMs: number;
  fp32Ms: number;
}

/** A reference (uniform, the knapsack's or the channel plan's strategy) through the same final stage as the run's pick. */
export interface ReportReference {
  agent: string;
  testAccuracy: number;
  /** model.ashk as written, bytes. */
  packedBytes: number;
  /** Runs with a latency budget. */
  latency?: ReportLatency;
}

/** The final stage: the chosen strategy fine-tuned longer and scored on the test split. */
export interface ReportFinal {
  validationAccuracy: number;
  testAccuracy: number;
  baselineTestAccuracy: number;
  /** Test accuracy of the tfjs export as tf.loadLayersModel reads it, when it was measured. */
  tfjsTestAccuracy: number | null;
  sizes: ReportSizes;
  steps: number;
  seconds: number;
  /** Runs with a latency budget: the built model timed beside the original, and what the latency table predicted. */
  latency?: ReportLatency & { predictedMs: number; batch: number; backend: string; overBudget: boolean };
  /** The references beside the pick, in the order the final stage ran them (none when it ran none). */
  references?: ReportReference[];
}

/** One strategy --goal smallest re-scored on the held-out images with the final's own fine-tune. */
export interface ReportSmallestRow {
  episode: number;
  /** model.ashk bytes at fixed width, as the size wall counts them. */
  bytes: number;
  heldOutAccuracy: number;
  withinDrop: boolean;
  chosen: boolean;
}

/**
 * A --goal smallest run: what it asked, what its search found, and (after the final) its answer, shown in place of the
 * budget (the goal's own size wall binds no setting).
 */
export interface ReportSmallest {
  /** --max-drop, points. */
  maxDrop: number;
  /** The drop the episodes aimed at, points. */
  episodeDrop: number;
  /** The size wall it ran under, e.g. 'size:8bits'. */
  wall: string;
  /** Whether the wall caps the size (a --budget given); the goal's own size:8bits binds no setting. */
  capped: boolean;
  /** The uncompressed model as the run measured it at its start (validation accuracy, bytes); null for older runs. */
  baseline: { accuracy: number; full: number } | null;
  /** The smallest episode within `episodeDrop` of the baseline (cost in bytes), and how many episodes were within. */
  found: { episode: number; accuracy: number; cost: number } | null;
  within: number;
  /** The held-out choice and the test's confirmation, once the final stage ran. */
  choice: {
    heldOut: { split: string; images: number; baseline: number };
    screened: number;
    rows: ReportSmallestRow[];
    met: boolean;
    confirmed: boolean;
    /** Test accuracy lost, points (negative: gained). */
    testDrop: number;
  } | null;
}

export interface ReportRun {
  id: string;
  /** The run as the legend names it, e.g. 'ddpg, seed 1 (20261130-0105-ab12)'. Unique within a report. */
  label: string;
  agent: string;
  seed: number;
  model: string;
  dataset: string;
  status: string;
  budget: { kind: CostKind; limit: number; label: string };
  /** Validation accuracy of the uncompressed model. */
  baselineAccuracy: number;
  episodes: ReportEpisode[];
  /** The strategy the run chose (the final stage's pick, else the best reward) and its layers. */
  chosen: { episode: number; accuracy: number; cost: number; by: 'final stage' | 'best reward' };
  layers: ReportLayer[];
  /** Knobs the search set: a knob not searched is not drawn. */
  knobs: string[];
  final: ReportFinal | null;
  /** --goal smallest runs: the size found against the accuracy kept (shown in place of the budget). */
  smallest?: ReportSmallest;
  /** The run's full config, as stored. */
  config: Record<string, unknown>;
  /** Where it came from: versions, backend, dates, host of the files; shown as a table. */
  provenance: Record<string, string>;
}
