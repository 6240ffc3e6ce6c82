/**
 * The Pareto front of a search's (cost, accuracy) points and its best-so-far curve: small pure functions the charts
 * and the tests share.
 */

export interface CostAccuracy {
  cost: number;
  accuracy: number;
}

/** True when `a` dominates `b`: no costlier, no less accurate, and better in one of the two. */
export function dominates(a: CostAccuracy, b: CostAccuracy): boolean {
  return a.cost <= b.cost && a.accuracy >= b.accuracy && (a.cost < b.cost || a.accuracy > b.accuracy);
}

/**
 * The non-dominated points, cheapest first (accuracy then rises along the front). Points equal in both cost and
 * accuracy (a cached strategy evaluated twice) appear once. One sweep: sorted by cost, then by accuracy downwards, a
 * point is on the front when it is more accurate than every cheaper one.
 */
export function paretoFront<T extends CostAccuracy>(points: readonly T[]): T[] {
  const sorted = [...points].sort((a, b) => a.cost - b.cost || b.accuracy - a.accuracy);
  const front: T[] = [];
  let best = -Infinity;
  for (const p of sorted) {
    if (p.accuracy > best) {
      front.push(p);
      best = p.accuracy;
    }
  }
  return front;
}

/** The running maximum: bestSoFar([1, 3, 2, 5]) = [1, 3, 3, 5]. */
export function bestSoFar(values: readonly number[]): number[] {
  const out: number[] = [];
  let best = -Infinity;
  for (const v of values) {
    best = Math.max(best, v);
    out.push(best);
  }
  return out;
}

/** How many episodes the run played before its agent acted: the leading run of 'warmup' episodes. */
export function warmupLength(phases: readonly string[]): number {
  const i = phases.findIndex((p) => p !== 'warmup');
  return i === -1 ? phases.length : i;
}
