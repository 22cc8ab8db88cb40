import type { Readable } from 'node:stream';

/** How long a test waits for a line before failing with what it got: a guard, not a sleep. */
export const WAIT_MS = 8000;

/**
 * Collects the lines of a readable and hands them out in order: `next()` waits for the next
 * one, `until(re)` skips to the first that matches. Failing waits show what did arrive.
 */
export class LineQueue {
  readonly seen: string[] = [];
  #queue: string[] = [];
  #waiter: ((line: string | undefined) => void) | undefined;
  #ended = false;
  #partial = '';

  constructor(
    stream: Readable,
    private readonly label: string,
  ) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (this.#partial + chunk).split('\n');
      this.#partial = parts.pop() ?? '';
      for (const line of parts) this.#push(line);
    });
    stream.on('close', () => this.#end());
    stream.on('end', () => this.#end());
    stream.on('error', () => this.#end());
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Lines arrived and not taken yet. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Resolves with the next line, or undefined if the stream ended first; rejects after TIMEOUT ms without one. */
  next(timeoutMs = WAIT_MS): Promise<string | undefined> {
    const line = this.#queue.shift();
    if (line !== undefined || this.#ended) return Promise.resolve(line);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        reject(new Error(`${this.label}: no line within ${timeoutMs} ms; last lines:\n${this.#tail()}`));
      }, timeoutMs);
      this.#waiter = (l) => {
        clearTimeout(timer);
        resolve(l);
      };
    });
  }

  /** Skips lines until one matches; resolves with it, rejects if the stream ends first. */
  async until(pattern: RegExp): Promise<string> {
    for (;;) {
      const line = await this.next();
      if (line === undefined) {
        throw new Error(`${this.label}: ended before a line matched ${pattern}; last lines:\n${this.#tail()}`);
      }
      if (pattern.test(line)) return line;
    }
  }

  /** Resolves once the stream has ended, with the lines not yet taken. */
  async rest(): Promise<string[]> {
    const lines: string[] = [];
    for (let l = await this.next(); l !== undefined; l = await this.next()) lines.push(l);
    return lines;
  }

  /** The last few lines seen, shortened: enough to see what went wrong. */
  #tail(): string {
    return this.seen
      .slice(-10)
      .map((l) => (l.length > 200 ? `${l.slice(0, 200)}... (${l.length} characters)` : l))
      .join('\n');
  }

  #push(line: string): void {
    this.seen.push(line);
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter(line);
    } else {
      this.#queue.push(line);
    }
  }

  #end(): void {
    if (this.#ended) return;
    if (this.#partial !== '') this.#push(this.#partial);
    this.#partial = '';
    this.#ended = true;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.(undefined);
  }
}
