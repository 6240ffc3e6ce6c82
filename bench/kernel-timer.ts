/**
 * Wall time per wasm kernel: every kernel registered for 'wasm' is wrapped with a timer; a kernel that calls others
 * (our composites) is counted once, inclusive, under its own name. wasm runs kernels synchronously, so this is the
 * kernel's whole cost. Keys are `${slot}|${kernel}|${input shapes}`; `slot` is whatever the caller sets.
 */
import * as tf from '../tfjs.js';

export class KernelTimer {
  /** Where time is booked now (a phase name); the caller moves it. */
  slot = '';
  readonly ms = new Map<string, number>();
  private depth = 0;
  private readonly unwrapped: tf.KernelConfig[] = [];

  /** Wraps every wasm kernel registered now; `uninstall` puts them back. Re-install after swapping kernel sets. */
  install(): void {
    for (const config of tf.getKernelsForBackend('wasm')) {
      const inner = config.kernelFunc;
      this.unwrapped.push(config);
      tf.unregisterKernel(config.kernelName, 'wasm');
      tf.registerKernel({ ...config, kernelFunc: (args) => this.timed(config.kernelName, inner, args) });
    }
  }

  uninstall(): void {
    for (const config of this.unwrapped.splice(0)) {
      tf.unregisterKernel(config.kernelName, 'wasm');
      tf.registerKernel(config);
    }
  }

  private timed(name: string, inner: tf.KernelFunc, args: Parameters<tf.KernelFunc>[0]): ReturnType<tf.KernelFunc> {
    if (this.depth++ > 0) {
      try {
        return inner(args);
      } finally {
        this.depth--;
      }
    }
    const t0 = performance.now();
    try {
      return inner(args);
    } finally {
      this.depth--;
      const shapes = Object.values(args.inputs).map((t) => `[${t?.shape}]`).join(' ');
      const key = `${this.slot}|${name}|${shapes}`;
      this.ms.set(key, (this.ms.get(key) ?? 0) + performance.now() - t0);
    }
  }

  /** The slowest `n` entries of `slot` as [kernel and shapes, ms / `per`]. */
  top(slot: string, n: number, per = 1): Array<[string, number]> {
    return [...this.ms]
      .filter(([k]) => k.startsWith(`${slot}|`))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => [k.split('|').slice(1).join(' '), v / per]);
  }

  /** Total ms in kernels of `slot`, divided by `per`. */
  total(slot: string, per = 1): number {
    return [...this.ms].filter(([k]) => k.startsWith(`${slot}|`)).reduce((s, [, v]) => s + v, 0) / per;
  }
}
