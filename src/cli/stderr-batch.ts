/**
 * stderr, written once per event-loop turn. Writes to stderr are synchronous on Linux (a file
 * or a pipe): at thousands of connections a second, one system call per log line was a large
 * part of a connection's cost. Lines of one turn go out together, in order, and whatever is
 * left is written when the process exits, however it exits.
 */
export class BatchedStderr {
  #pending: string[] = [];
  #scheduled = false;

  constructor(private readonly out: { write(text: string): unknown } = process.stderr) {
    process.on('exit', () => this.flush());
  }

  write(text: string): boolean {
    this.#pending.push(text);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
    return true;
  }

  flush(): void {
    this.#scheduled = false;
    if (this.#pending.length === 0) return;
    const text = this.#pending.join('');
    this.#pending = [];
    this.out.write(text);
  }
}
