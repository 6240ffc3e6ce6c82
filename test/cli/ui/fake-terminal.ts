/**
 * A stdout and a stdin to hand `renderSearchView` in tests: stdout records every write and reports a fixed size;
 * stdin is a TTY that delivers what `press` writes, as ink reads it ('readable' then read()).
 */

import { EventEmitter } from 'node:events';

export class FakeStdout extends EventEmitter {
  readonly writes: string[] = [];
  isTTY = true;
  constructor(
    readonly columns = 100,
    readonly rows = 60,
  ) {
    super();
  }
  write = (chunk: string): boolean => {
    this.writes.push(chunk);
    return true;
  };
}

export class FakeStdin extends EventEmitter {
  isTTY = true;
  private pending: string[] = [];
  press(keys: string): void {
    this.pending.push(keys);
    this.emit('readable');
  }
  read = (): string | null => this.pending.shift() ?? null;
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}
