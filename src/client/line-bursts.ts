import { realTimers, type Timers } from '../protocol/timers.js';

/**
 * Lines entered within this many ms of each other came together: a paste, not typing. A
 * terminal without bracketed paste (or a `tmux paste-buffer`, a `screen` paste) writes the
 * whole text at once, so its lines reach us in the same read, or in reads well under a ms
 * apart. Typing cannot come close: a line typed takes at least a key and Enter, and the
 * fastest typists press a key every 50 ms or so; Enter held down repeats every 30 ms or
 * more, and gives empty lines, which are not sent anyway. 10 ms also keeps the wait that
 * every typed line now has before it goes out well below what anyone notices.
 */
export const BURST_GAP_MS = 10;

/**
 * Groups entered lines into bursts: a line that comes within BURST_GAP_MS of the one before
 * belongs to the same burst. A burst ends once BURST_GAP_MS pass without a line, or when
 * `end` is called, and is handed to ENDED whole: one line is a line typed; a few, lines typed
 * ahead (read together after a stall); many, a paste. Time comes from TIMERS, so a test
 * drives it with a fake clock.
 */
export class LineBursts {
  #lines: string[] = [];
  #last = 0;
  #timer: unknown;

  constructor(
    private readonly ended: (lines: string[]) => void,
    private readonly timers: Timers = realTimers,
  ) {}

  /** Whether a line entered now belongs to a burst: one is open, its last line within BURST_GAP_MS. */
  get open(): boolean {
    return this.#lines.length > 0 && this.timers.now() - this.#last <= BURST_GAP_MS;
  }

  push(line: string): void {
    // A timer running late (a busy event loop) must not join a line typed well after.
    if (!this.open) this.end();
    this.#lines.push(line);
    this.#last = this.timers.now();
    this.timers.clearTimeout(this.#timer);
    this.#timer = this.timers.setTimeout(() => this.end(), BURST_GAP_MS);
  }

  /** Ends the burst now: a bracketed paste starts, or the chat ends. Nothing when none is open. */
  end(): void {
    this.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#lines.length === 0) return;
    const lines = this.#lines;
    this.#lines = [];
    this.ended(lines);
  }

  /** Drops the open burst unsent (the chat has ended). */
  cancel(): void {
    this.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#lines = [];
  }
}
