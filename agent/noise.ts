/**
 * Exploration noise: a normal around the actor's output, truncated to the action range (HAQ samples the same
 * distribution with scipy's truncnorm). Sampled by rejection from Box-Muller normals; with the mean inside [lo, hi]
 * at least a third of the draws land inside, so a few tries suffice.
 */

/** One standard normal draw from two uniforms. The sine partner is dropped so the RNG state is the whole state. */
export function standardNormal(rng: () => number): number {
  const u1 = 1 - rng(); // in (0, 1]: the log never sees 0
  const u2 = rng();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * A draw of Normal(mu, sigma) conditioned on [lo, hi]. sigma <= 0 gives mu clamped to [lo, hi]; after `maxTries`
 * rejections (only when mu lies far outside the range) it returns the nearer bound, where nearly all the mass is.
 */
export function truncatedNormal(rng: () => number, mu: number, sigma: number, lo = 0, hi = 1, maxTries = 1000): number {
  if (!(sigma > 0)) return Math.min(hi, Math.max(lo, mu));
  for (let i = 0; i < maxTries; i++) {
    const x = mu + sigma * standardNormal(rng);
    if (x >= lo && x <= hi) return x;
  }
  return mu < lo ? lo : mu > hi ? hi : mu;
}

/**
 * The per-episode decay that takes the noise std from `initial` (used in the first learning episode) to `final` in
 * the last of `learningEpisodes`: sigma_e = initial * decay^e for e = 0 .. learningEpisodes - 1, so
 * decay = (final / initial)^(1 / (learningEpisodes - 1)). A fixed factor suits only one run length (HAQ's 0.99 leaves
 * sigma at 0.41 after 20 learning episodes: 0.5 x 0.99^20; docs/search.md); this fits the schedule to the run.
 * With one learning episode, or no noise to decay, the factor is 1.
 */
export function plannedNoiseDecay(initial: number, final: number, learningEpisodes: number): number {
  if (!(initial > 0) || !(final > 0) || learningEpisodes <= 1) return 1;
  return Math.min(1, (final / initial) ** (1 / (learningEpisodes - 1)));
}
