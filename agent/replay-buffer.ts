/**
 * A fixed-capacity ring buffer of transitions in flat Float32Arrays; when full, the oldest transition is overwritten.
 * Sampling is uniform WITH replacement (as CleanRL's buffer does), so a batch can be drawn before the buffer holds a
 * full batch, and the draw is a pure function of the RNG state.
 */

export interface StoredTransition {
  state: ArrayLike<number>;
  action: ArrayLike<number>;
  reward: number;
  nextState: ArrayLike<number>;
  done: boolean;
}

/** A sampled batch, row-major: `states` is [size, stateSize], `rewards` and `dones` (1 or 0) are [size]. */
export interface Batch {
  size: number;
  states: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  nextStates: Float32Array;
  dones: Float32Array;
}

/** A buffer's counters as saved; `pushed` and `capacity` are absent in checkpoints from before they were saved. */
export interface ReplayCounters {
  size: number;
  next: number;
  pushed?: number;
  capacity?: number;
}

export class ReplayBuffer {
  private readonly states: Float32Array;
  private readonly actions: Float32Array;
  private readonly rewards: Float32Array;
  private readonly nextStates: Float32Array;
  private readonly dones: Float32Array;
  private count = 0;
  /** The slot the next push writes. */
  private next = 0;
  /** Transitions pushed since the buffer was made: transition k sits in slot k % capacity while it is kept. */
  private pushed = 0;

  constructor(
    readonly capacity: number,
    readonly stateSize: number,
    readonly actionSize: number,
  ) {
    this.states = new Float32Array(capacity * stateSize);
    this.actions = new Float32Array(capacity * actionSize);
    this.rewards = new Float32Array(capacity);
    this.nextStates = new Float32Array(capacity * stateSize);
    this.dones = new Float32Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(t: StoredTransition): void {
    const i = this.next;
    this.states.set(t.state, i * this.stateSize);
    this.actions.set(t.action, i * this.actionSize);
    this.rewards[i] = t.reward;
    this.nextStates.set(t.nextState, i * this.stateSize);
    this.dones[i] = t.done ? 1 : 0;
    this.next = (i + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
    this.pushed++;
  }

  /** The transition in slot `i` (0 <= i < size), as stored. */
  at(i: number): StoredTransition {
    if (!(i >= 0 && i < this.count)) throw new RangeError(`replay slot ${i} is empty (size ${this.count})`);
    const s = this.stateSize;
    const a = this.actionSize;
    return {
      state: this.states.slice(i * s, (i + 1) * s),
      action: this.actions.slice(i * a, (i + 1) * a),
      reward: this.rewards[i],
      nextState: this.nextStates.slice(i * s, (i + 1) * s),
      done: this.dones[i] === 1,
    };
  }

  /** `batchSize` transitions drawn uniformly with replacement; slot j is chosen as floor(rng() * size). */
  sample(batchSize: number, rng: () => number): Batch {
    if (this.count === 0) throw new RangeError('cannot sample an empty replay buffer');
    const s = this.stateSize;
    const a = this.actionSize;
    const batch: Batch = {
      size: batchSize,
      states: new Float32Array(batchSize * s),
      actions: new Float32Array(batchSize * a),
      rewards: new Float32Array(batchSize),
      nextStates: new Float32Array(batchSize * s),
      dones: new Float32Array(batchSize),
    };
    for (let b = 0; b < batchSize; b++) {
      const j = Math.floor(rng() * this.count);
      batch.states.set(this.states.subarray(j * s, (j + 1) * s), b * s);
      batch.actions.set(this.actions.subarray(j * a, (j + 1) * a), b * a);
      batch.rewards[b] = this.rewards[j];
      batch.nextStates.set(this.nextStates.subarray(j * s, (j + 1) * s), b * s);
      batch.dones[b] = this.dones[j];
    }
    return batch;
  }

  /** The filled slots as blobs (keys prefixed by `prefix`) plus the counters and the capacity as JSON. `pushed` and
   * `capacity` let a store keep the transitions one by one (transition k in slot k % capacity) and write only the new. */
  save(prefix: string): { json: ReplayCounters; blobs: Record<string, Float32Array> } {
    const n = this.count;
    return {
      json: { size: n, next: this.next, pushed: this.pushed, capacity: this.capacity },
      blobs: {
        [`${prefix}/states`]: this.states.slice(0, n * this.stateSize),
        [`${prefix}/actions`]: this.actions.slice(0, n * this.actionSize),
        [`${prefix}/rewards`]: this.rewards.slice(0, n),
        [`${prefix}/nextStates`]: this.nextStates.slice(0, n * this.stateSize),
        [`${prefix}/dones`]: this.dones.slice(0, n),
      },
    };
  }

  /** Take back what save() gave. Throws a RangeError when the blobs do not fit this buffer. */
  load(prefix: string, json: ReplayCounters, blobs: Record<string, Float32Array>): void {
    const n = json.size;
    if (!(Number.isInteger(n) && n >= 0 && n <= this.capacity && json.next >= 0 && json.next < this.capacity)) {
      throw new RangeError(`replay checkpoint of ${n} transitions does not fit a buffer of ${this.capacity}`);
    }
    const parts: [Float32Array, string, number][] = [
      [this.states, 'states', this.stateSize],
      [this.actions, 'actions', this.actionSize],
      [this.rewards, 'rewards', 1],
      [this.nextStates, 'nextStates', this.stateSize],
      [this.dones, 'dones', 1],
    ];
    for (const [target, name, width] of parts) {
      const blob = blobs[`${prefix}/${name}`];
      if (!blob || blob.length !== n * width) throw new RangeError(`replay checkpoint blob ${prefix}/${name} is missing or has the wrong length`);
      target.fill(0);
      target.set(blob);
    }
    this.count = n;
    this.next = json.next;
    // saved before the count was kept: any count that puts the kept transitions in their slots
    this.pushed = json.pushed ?? (n < this.capacity ? n : this.capacity + json.next);
  }
}
