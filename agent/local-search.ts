/**
 * Best-improvement local search over whole strategies, the control that tells whether DDPG's critic adds anything:
 * it starts at a given strategy (the knapsack's answer), measures every neighbour with the run's own episode
 * (fine-tune and reward, one episode each), moves to the best neighbour if it beats the current strategy, and when
 * none does, restarts from a perturbation of the best strategy seen (iterated local search, Lourenco et al. 2003).
 *
 * A strategy is an option index per layer into `ladders[l]` (the layer's options sorted by cost). A move takes one
 * layer a step up its ladder and another a step down, so the cost stays near the budget instead of draining it; a
 * move is allowed when the new total fits `budget`. Each neighbour then goes through the fill pass (agent/fill.ts)
 * when `fill` is set, so what is measured spends the budget. Neighbours are handed out best predicted loss first, so
 * a run that ends mid-scan has measured the most promising. A strategy is never handed out twice; the rewards of
 * strategies already measured (in an earlier scan) are reused.
 *
 * Coupled costs (the channels knob: a layer's kept channels are its consumer's input): `fits` judges whole strategies
 * instead of the summed ladder costs, and `fillWith` is the fill pass that costs whole strategies
 * (agent/coupled-fill.ts); the moves and the scan are the same.
 *
 * Numbers only, no env: `next()` gives the next strategy to measure (null when the rest of the scan waits for
 * results), `report()` takes its reward. `state()` is plain JSON and `restore()` continues exactly.
 */
import { ConfigError } from '../errors.js';
import { fill, type FillOption } from './fill.js';
import { createRng, type RngState } from './rng.js';

export interface LocalSearchArgs {
  /** Per layer, its options sorted by cost, cheapest first (loss: predicted, orders the scan). */
  ladders: FillOption[][];
  /** The largest total cost allowed (same unit as the options' costs); unused when `fits` is given. */
  budget: number;
  /** Whether a whole strategy holds the budget, where costs do not add up layer by layer (default: summed cost <= budget). */
  fits?: (choice: number[]) => boolean;
  /** The fill pass for coupled costs (with `fits`): a neighbour's choice after it (default: agent/fill.ts). */
  fillWith?: (choice: number[]) => number[];
  /** The starting strategy (option index per layer). */
  start: number[];
  seed: number;
  /** Run each neighbour through the fill pass (default true). */
  fill?: boolean;
  /** Random moves in a restart's perturbation (default 2). */
  kicks?: number;
}

/** What a checkpoint keeps. */
export interface LocalSearchState {
  current: number[];
  currentReward: number | null;
  queue: number[][];
  outstanding: number;
  rewards: Array<[string, number]>;
  handed: string[];
  scan: Array<[string, number]>;
  rng: RngState;
  restarts: number;
  moves: number;
  exhausted?: boolean;
}

const keyOf = (choice: number[]) => choice.join(',');

export class LocalSearch {
  private current: number[];
  private currentReward: number | null = null;
  private queue: number[][];
  private outstanding = 0;
  private readonly rewards = new Map<string, number>();
  private readonly handed = new Set<string>();
  /** The current strategy's measured neighbours: key -> reward. */
  private scan = new Map<string, number>();
  private rng;
  /** Restarts from a perturbation, and moves taken: for the log. */
  restarts = 0;
  moves = 0;
  /** Every strategy the moves reach from the best has been measured: the best is handed out again (a cache hit). */
  exhausted = false;

  constructor(private readonly args: LocalSearchArgs) {
    const { ladders, start, budget } = args;
    if (ladders.length !== start.length || ladders.some((o, l) => !(start[l] >= 0 && start[l] < o.length))) {
      throw new ConfigError('local search: the start must choose one option of each layer');
    }
    if (args.fits ? !args.fits(start) : this.cost(start) > budget) throw new ConfigError(`local search: the start ${args.fits ? 'does not fit' : `costs ${this.cost(start)}, over the budget ${budget}`}`);
    this.current = start.slice();
    this.queue = [start.slice()];
    this.rng = createRng(`local:${args.seed}`);
  }

  cost(choice: number[]): number {
    return choice.reduce((s, j, l) => s + this.args.ladders[l][j].cost, 0);
  }

  predicted(choice: number[]): number {
    return choice.reduce((s, j, l) => s + this.args.ladders[l][j].loss, 0);
  }

  /** The best strategy measured so far and its reward, or null before the first report. */
  best(): { choice: number[]; reward: number } | null {
    let out: { choice: number[]; reward: number } | null = null;
    for (const [k, r] of this.rewards) if (out === null || r > out.reward) out = { choice: k.split(',').map(Number), reward: r };
    return out;
  }

  private holds(choice: number[]): boolean {
    return this.args.fits ? this.args.fits(choice) : this.cost(choice) <= this.args.budget;
  }

  private filled(choice: number[]): number[] {
    if (this.args.fill === false) return choice;
    if (this.args.fillWith) return this.args.fillWith(choice);
    return fill(this.args.ladders, choice, this.args.budget - this.cost(choice)).choice;
  }

  /** Every move from `from` that fits, filled, new, best predicted loss first (ties: first layer pair in order). */
  neighbours(from: number[]): number[][] {
    const { ladders } = this.args;
    const out: number[][] = [];
    const seen = new Set<string>([keyOf(from)]);
    for (let up = 0; up < from.length; up++) {
      if (from[up] + 1 >= ladders[up].length) continue;
      for (let down = 0; down < from.length; down++) {
        if (down === up || from[down] === 0) continue;
        const moved = from.slice();
        moved[up] += 1;
        moved[down] -= 1;
        if (!this.holds(moved)) continue;
        const f = this.filled(moved);
        const k = keyOf(f);
        if (seen.has(k)) continue;
        seen.add(k);
        out.push(f);
      }
    }
    return out.map((c, i) => ({ c, i, p: this.predicted(c) })).sort((a, b) => a.p - b.p || a.i - b.i).map((x) => x.c);
  }

  /** The next strategy to measure, or null while the scan's last results are outstanding. */
  next(): number[] | null {
    for (let guard = 0; guard < 1000 && !this.exhausted; guard++) {
      const c = this.queue.shift();
      if (c) {
        this.outstanding++;
        this.handed.add(keyOf(c));
        return c;
      }
      if (this.outstanding > 0) return null;
      this.advance();
    }
    // nothing new anywhere near: measure the best again (a cache hit)
    this.exhausted = true;
    this.outstanding++;
    return this.best()?.choice ?? this.current.slice();
  }

  report(choice: number[], reward: number): void {
    const k = keyOf(choice);
    this.rewards.set(k, reward);
    if (this.outstanding > 0) this.outstanding--;
    if (this.currentReward === null && k === keyOf(this.current)) {
      this.currentReward = reward;
      this.openScan();
    } else this.scan.set(k, reward);
  }

  /** Queue the current strategy's unmeasured neighbours; those measured before join the scan with their reward. */
  private openScan(): void {
    this.scan = new Map();
    this.queue = [];
    for (const n of this.neighbours(this.current)) {
      const k = keyOf(n);
      const r = this.rewards.get(k);
      if (r !== undefined) this.scan.set(k, r);
      else if (!this.handed.has(k)) this.queue.push(n);
    }
  }

  /** The scan is complete: take the best improving move, or restart from a perturbation of the best seen. */
  private advance(): void {
    let bestKey: string | null = null;
    let bestReward = -Infinity;
    for (const [k, r] of this.scan) if (r > bestReward) [bestKey, bestReward] = [k, r];
    if (bestKey !== null && this.currentReward !== null && bestReward > this.currentReward) {
      this.current = bestKey.split(',').map(Number);
      this.currentReward = bestReward;
      this.moves++;
      this.openScan();
      return;
    }
    this.restarts++;
    const from = this.best()?.choice ?? this.current;
    // at least `kicks` random moves, and on until the strategy is one not measured yet (a known one would walk back)
    let kicked = from.slice();
    for (let i = 0; i < 50 && (i < (this.args.kicks ?? 2) || this.handed.has(keyOf(kicked))); i++) {
      const options = this.neighbours(kicked);
      if (options.length === 0) break;
      kicked = options[Math.floor(this.rng() * options.length)];
    }
    if (this.handed.has(keyOf(kicked))) {
      this.exhausted = true;
      return;
    }
    this.current = kicked;
    this.currentReward = null;
    this.scan = new Map();
    this.queue = [kicked];
  }

  state(): LocalSearchState {
    return {
      current: this.current.slice(),
      currentReward: this.currentReward,
      queue: this.queue.map((c) => c.slice()),
      outstanding: this.outstanding,
      rewards: [...this.rewards],
      handed: [...this.handed],
      scan: [...this.scan],
      rng: this.rng.state(),
      restarts: this.restarts,
      moves: this.moves,
      exhausted: this.exhausted,
    };
  }

  restore(s: LocalSearchState): void {
    this.current = s.current.slice();
    this.currentReward = s.currentReward;
    this.queue = s.queue.map((c) => c.slice());
    this.outstanding = s.outstanding;
    this.rewards.clear();
    for (const [k, r] of s.rewards) this.rewards.set(k, r);
    this.handed.clear();
    for (const k of s.handed) this.handed.add(k);
    this.scan = new Map(s.scan);
    this.rng = createRng(`local:${this.args.seed}`, s.rng);
    this.restarts = s.restarts;
    this.moves = s.moves;
    this.exhausted = s.exhausted ?? false;
  }
}
