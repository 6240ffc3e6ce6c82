/**
 * Which of a layer's options to measure, so a capped number of measurements lands where the knapsack needs them: on
 * the layer's frontier of cost against expected loss. Thinning the options by cost rank (every k-th) spends most
 * measurements on dominated settings (8 bits at 90% pruned costs about what 1 bit unpruned does and loses far more);
 * the knapsack only ever picks options on the lower-left frontier.
 *
 * Options are points on a grid: each has a coordinate per axis (its index among the values of bits, prune ratio,
 * clusters, ...). The plan:
 * 1. Coarse: on an axis of at most COARSE_AXIS values every value, on a longer one its first, middle and last (bits
 *    1..8 x prune {0, 0.45, 0.9}: 24 options). If that exceeds half the cap, thinned evenly by cost.
 * 2. Refine, in rounds: the Pareto frontier of what is measured (cost ascending, loss strictly falling); for each
 *    frontier point and each axis, the midpoints between it and the nearest measured points along that axis (or the
 *    axis ends): bisection towards the frontier. Cheapest frontier points first, until the cap or nothing is new.
 * Pure: the caller measures each round's options (in one batch, so workers share it) and reports the losses.
 */

export interface GridOption {
  /** Index per axis, e.g. [bits index, prune index]. */
  coords: number[];
  cost: number;
}

/** Axes with at most this many values are measured whole in the coarse pass. */
export const COARSE_AXIS = 8;

/** Indices (into `points`) of the Pareto frontier: cost ascending, each strictly below every cheaper point's loss. */
export function paretoFrontier(points: Array<{ cost: number; loss: number }>): number[] {
  const order = points.map((_, i) => i).sort((a, b) => points[a].cost - points[b].cost || points[a].loss - points[b].loss || a - b);
  const out: number[] = [];
  let best = Infinity;
  for (const i of order) {
    if (points[i].loss < best) {
      out.push(i);
      best = points[i].loss;
    }
  }
  return out;
}

/** The coarse set (indices into `options`), at most `limit` of them. */
export function coarseOptions(options: GridOption[], limit: number): number[] {
  const axes = options[0]?.coords.length ?? 0;
  const size = Array.from({ length: axes }, (_, a) => 1 + Math.max(...options.map((o) => o.coords[a])));
  const keep = (a: number, x: number) => size[a] <= COARSE_AXIS || x === 0 || x === size[a] - 1 || x === Math.floor((size[a] - 1) / 2);
  const picked = options.map((_, i) => i).filter((i) => options[i].coords.every((x, a) => keep(a, x)));
  if (picked.length <= limit) return picked;
  const byCost = picked.slice().sort((a, b) => options[a].cost - options[b].cost || a - b);
  const thinned = new Set(Array.from({ length: limit }, (_, r) => byCost[Math.round((r * (byCost.length - 1)) / Math.max(1, limit - 1))]));
  return [...thinned].sort((a, b) => a - b);
}

/**
 * The next round: unmeasured options bisecting towards the frontier of `measured` (option index -> loss), at most
 * `limit`, cheapest frontier points first.
 */
export function refineOptions(options: GridOption[], measured: Map<number, number>, limit: number): number[] {
  if (limit <= 0) return [];
  const byKey = new Map(options.map((o, i) => [o.coords.join(','), i]));
  const done = [...measured.keys()];
  const frontier = paretoFrontier(done.map((i) => ({ cost: options[i].cost, loss: measured.get(i)! }))).map((f) => done[f]);
  const axes = options[0].coords.length;
  const size = Array.from({ length: axes }, (_, a) => 1 + Math.max(...options.map((o) => o.coords[a])));
  const out: number[] = [];
  const seen = new Set<number>();
  for (const f of frontier) {
    const at = options[f].coords;
    for (let a = 0; a < axes; a++) {
      // nearest measured neighbours along axis a (other coordinates fixed), or the axis ends
      let below = -1;
      let above = size[a];
      for (const i of done) {
        const c = options[i].coords;
        if (!c.every((x, b) => b === a || x === at[b])) continue;
        if (c[a] < at[a] && c[a] > below) below = c[a];
        if (c[a] > at[a] && c[a] < above) above = c[a];
      }
      const targets = [Math.floor((Math.max(below, 0) + at[a]) / 2), Math.ceil((at[a] + Math.min(above, size[a] - 1)) / 2)];
      if (below < 0 && at[a] > 0) targets.push(0);
      for (const x of targets) {
        if (x === at[a]) continue;
        const coords = at.slice();
        coords[a] = x;
        const i = byKey.get(coords.join(','));
        if (i === undefined || measured.has(i) || seen.has(i)) continue;
        seen.add(i);
        out.push(i);
        if (out.length >= limit) return out;
      }
    }
  }
  return out;
}

/**
 * Indices (into `points`) of the lower convex hull of the Pareto frontier: cost ascending, loss falling, each step
 * saving less loss per unit of cost than the one before. Walking it one rung at a time in order of loss per unit of
 * cost saved is the classic greedy for the multiple-choice knapsack (Sinha and Zoltners): on the hull each layer's
 * next step down is its best ratio, so a layer is never held behind a costly rung that hides a cheap one.
 */
export function lowerHull(points: Array<{ cost: number; loss: number }>): number[] {
  const hull: number[] = [];
  for (const i of paretoFrontier(points)) {
    while (hull.length >= 2) {
      const [o, a, b] = [points[hull[hull.length - 2]], points[hull[hull.length - 1]], points[i]];
      // keep a if o -> a -> b turns counter-clockwise (the slope rises towards 0) or runs straight (a point on the
      // chord has the chord's ratio: a finer place to stop at no loss of efficiency)
      if ((a.cost - o.cost) * (b.loss - o.loss) - (a.loss - o.loss) * (b.cost - o.cost) >= 0) break;
      hull.pop();
    }
    hull.push(i);
  }
  return hull;
}
