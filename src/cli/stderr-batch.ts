import { realTimers, type Timers } from '../protocol/timers.js';

/** How long a log line may wait for others to go out with it. */
export const STDERR_DELAY_MS = 10;
/** Pending characters that go out at once, whatever the delay. */
const STDERR_MAX_PENDING = 64 * 1024;

/**
 * stderr, written at most once every STDERR_DELAY_MS. Writes to stderr are synchronous on
 * Linux (a file or a pipe): at thousands of connections a second, one system call per log
 * line, or even per event-loop turn, was a large part of a connection's cost. Lines go out
 * in order, and whatever is left is written when the process exits, however it exits
 * (but for SIGKILL, which loses at most the last STDERR_DELAY_MS).
 */
export class BatchedStderr {
  #pending: string[] = [];
  #length = 0;
  #timer: unknown = undefined;

  constructor(
    private readonly out: { write(text: string): unknown } = process.stderr,
    private readonly timers: Timers = realTimers,
  ) {
    process.on('exit', () => this.flush());
  }

  write(text: string): boolean {
    this.#pending.push(text);
    this.#length += text.length;
    if (this.#length >= STDERR_MAX_PENDING) this.flush();
    else if (this.#timer === undefined) this.#timer = this.timers.setTimeout(() => this.flush(), STDERR_DELAY_MS);
    return true;
  }

  flush(): void {
    if (this.#timer !== undefined) this.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    const text = this.#pending.join('');
    this.#pending = [];
    this.#length = 0;
    this.out.write(text);
  }
}
