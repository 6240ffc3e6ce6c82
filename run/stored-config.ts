/** What a stored run's config meant when it was stored (kept apart from config.ts, which reads it back). */

/**
 * A stored run's config as it meant when it was stored: fields added since then take the value runs had before them,
 * not today's default. Every stored config is a whole parsed config, so a missing field marks an older run:
 * - `bnBatches` (batch-norm re-estimation) absent: 0, so a resumed run keeps scoring as it did;
 * - `channelMethod` absent (stored before the channels knob): `flops:X` then counted sparse MACs, which is
 *   `sparse-flops:X` now (`flops` counts the dense MACs of the built model); and the channels were chosen by L1 norm
 *   (`l1`, the default before LASSO).
 */
export function migrateStoredConfig(stored: unknown): unknown {
  if (typeof stored !== 'object' || stored === null) return stored;
  const raw = { ...(stored as Record<string, unknown>) };
  if (raw.bnBatches === undefined) raw.bnBatches = 0;
  if (raw.warmSigma === undefined) raw.warmSigma = 0;
  if (raw.noiseLayers === undefined) raw.noiseLayers = 0;
  // runs stored before the fill pass and the critic's warm-up had neither
  if (raw.fill === undefined) raw.fill = false;
  // runs stored before the channel fill pass had none
  if (raw.channelFill === undefined) raw.channelFill = false;
  if (raw.criticWarmup === undefined) raw.criticWarmup = 0;
  // runs stored before the redraw of already-measured strategies played the duplicates
  if (raw.redraws === undefined) raw.redraws = 0;
  if (raw.warmStart === undefined) raw.warmStart = 'none';
  // runs stored before --learn-ahead learnt each batch before proposing the next
  if (raw.learnAhead === undefined) raw.learnAhead = false;
  // runs stored before the holdout split trained on those images and re-ranked on validation
  if (raw.holdoutSize === undefined) raw.holdoutSize = 0;
  // runs stored before the references finished without them
  if (raw.references === undefined) raw.references = false;
  // runs stored before cross-entropy became the default reward were searched on accuracy
  if (raw.reward === undefined) raw.reward = 'accuracy';
  // runs stored before --goal gave --max-drop as a fraction (0.01 = one point); it is in points now
  if (raw.goal === undefined) {
    raw.goal = 'budget';
    if (typeof raw.maxDrop === 'number') raw.maxDrop = raw.maxDrop * 100;
  }
  if (raw.channelMethod === undefined && typeof raw.budget === 'string' && raw.budget.startsWith('flops:')) raw.budget = `sparse-${raw.budget}`;
  // runs stored before the channels knob, or before LASSO became its default, chose channels by L1 norm
  if (raw.channelMethod === undefined) raw.channelMethod = 'l1';
  return raw;
}
