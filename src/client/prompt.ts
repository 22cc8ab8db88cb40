import readline from 'node:readline';
import { Writable } from 'node:stream';
import { printAbove } from './print-above.js';

/** The user left at a prompt: Ctrl-C, Ctrl-D, or the terminal went away. */
export class LeftPrompt extends Error {
  constructor(readonly key: 'Ctrl-C' | 'Ctrl-D') {
    super(`${key} at the prompt`);
    this.name = 'LeftPrompt';
  }
}

export interface AskOptions {
  /** Nothing typed is shown (a password). */
  hidden?: boolean;
  /** What Enter on an empty line gives; shown in brackets after the question. */
  fallback?: string | undefined;
  /** Ends the prompt early; it then rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
}

interface Active {
  rl: readline.Interface;
  shown: string;
  hidden: boolean;
}

/**
 * The login prompts (name, hidden password), on node:readline rather than readline-sync.
 *
 * Why: the login happens while the connection is open, and readline-sync blocks the event
 * loop and reads the terminal raw: Ctrl-C and Ctrl-D would be taken as input (at its hidden
 * prompt nothing stops the process), and a server line such as `! too many failed logins`
 * could not be seen until the prompt returned. Here the event
 * loop runs during a prompt: Ctrl-C and Ctrl-D always leave (rejecting with LeftPrompt,
 * whatever has been typed: at a hidden prompt nobody can see whether the line is empty),
 * server lines are printed above the prompt, and a prompt can be ended by the caller.
 *
 * The hidden prompt is readline with its output muted: readline still puts the terminal in
 * raw mode (no echo by the terminal) and handles the keys, but draws nothing.
 */
export class Prompter {
  #active: Active | undefined;
  /** Ends what holds the keyboard now (a prompt, a hold) when Ctrl-C or Ctrl-D is pressed. */
  #leave: ((key: LeftPrompt['key']) => void) | undefined;
  /**
   * Ctrl-C or Ctrl-D read while nothing held the keyboard: keys that came in the same read
   * as the Enter that ended a prompt (Enter, then Ctrl-C at once). The next prompt or hold
   * leaves at once instead of losing them.
   */
  #left: LeftPrompt['key'] | undefined;
  #listening = false;

  constructor(
    private readonly input: NodeJS.ReadStream,
    private readonly output: NodeJS.WriteStream,
  ) {}

  ask(question: string, { hidden = false, fallback, signal }: AskOptions = {}): Promise<string> {
    const shown = fallback ? `${question} [${fallback}]: ` : `${question}: `;
    return new Promise((resolve, reject) => {
      if (this.#left) return reject(new LeftPrompt(this.#left));
      if (signal?.aborted) return reject(signal.reason);
      const rl = readline.createInterface({
        input: this.input,
        output: hidden ? mute() : this.output,
        terminal: true,
        // A password must not stay in a history; a name needs none.
        historySize: 0,
        prompt: hidden ? '' : shown,
      });
      // createInterface has made the input emit keypresses.
      this.#listen();
      let settled = false;
      const end = (outcome: () => void, newline: boolean): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        this.#active = undefined;
        this.#leave = undefined;
        rl.close();
        // Readline ends a visible line itself; a hidden one, or one left half-way, we end.
        if (newline) this.output.write('\n');
        outcome();
      };
      const leave = (key: LeftPrompt['key']): void => end(() => reject(new LeftPrompt(key)), true);
      const onAbort = (): void => end(() => reject(signal?.reason), true);
      rl.once('line', (answer) => end(() => resolve(answer === '' && fallback ? fallback : answer), hidden));
      rl.on('SIGINT', () => leave('Ctrl-C'));
      // Closed by readline: Ctrl-D on an empty line, or the input ended (the terminal closed).
      rl.on('close', () => leave('Ctrl-D'));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#active = { rl, shown, hidden };
      this.#leave = leave;
      if (hidden) this.output.write(shown);
      rl.prompt();
    });
  }

  /**
   * Runs WORK (a password being checked) with the keyboard held: keys are read raw and
   * dropped, so that nothing typed meanwhile (the next password, as likely as not) is shown
   * or lands at the next prompt, which may be the visible name prompt. Unix login(1) drops
   * type-ahead after a failure in the same way. Ctrl-C and Ctrl-D still leave (LeftPrompt).
   */
  hold<T>(work: () => Promise<T>): Promise<T> {
    const input = this.input;
    return new Promise((resolve, reject) => {
      if (this.#left) return reject(new LeftPrompt(this.#left));
      let settled = false;
      const end = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        this.#leave = undefined;
        input.off('data', onData);
        input.pause();
        input.setRawMode(false);
        outcome();
      };
      const leave = (key: LeftPrompt['key']): void => end(() => reject(new LeftPrompt(key)));
      // Raw bytes, not keypresses: before the first prompt nothing decodes keys yet.
      const onData = (chunk: Buffer | string): void => {
        const keys = chunk.toString();
        if (keys.includes('\x03')) leave('Ctrl-C');
        else if (keys.includes('\x04')) leave('Ctrl-D');
      };
      this.#leave = leave;
      input.setRawMode(true);
      input.on('data', onData);
      input.resume();
      work().then(
        (value) => end(() => resolve(value)),
        (err: unknown) => end(() => reject(err)),
      );
    });
  }

  /** Prints TEXT on its own line, above the prompt if one is open, which is then redrawn. */
  print(text: string): void {
    const active = this.#active;
    if (!active) return void this.output.write(`${text}\n`);
    if (!active.hidden) return printAbove(active.rl, this.output, text);
    // What was typed is not shown: only the question needs drawing again.
    readline.cursorTo(this.output, 0);
    readline.clearLine(this.output, 0);
    this.output.write(`${text}\n${active.shown}`);
  }

  /** Ctrl-C or Ctrl-D pressed since the last prompt ended, that nothing has acted on yet. */
  pending(): LeftPrompt | undefined {
    return this.#left && new LeftPrompt(this.#left);
  }

  /** Lets go of the keyboard: the chat loop handles its keys itself. */
  close(): void {
    this.input.off('keypress', this.#onKey);
    this.#listening = false;
  }

  #listen(): void {
    if (this.#listening) return;
    this.#listening = true;
    this.input.on('keypress', this.#onKey);
  }

  /** Readline itself leaves only on Ctrl-D at an empty line; we leave on any. */
  readonly #onKey = (_: unknown, key: readline.Key | undefined): void => {
    const left = key?.ctrl && key.name === 'c' ? 'Ctrl-C' : key?.ctrl && key.name === 'd' ? 'Ctrl-D' : undefined;
    if (!left) return;
    if (this.#leave) this.#leave(left);
    else this.#left ??= left;
  };
}

/** An output that drops what is written: a readline that must draw nothing (a hidden prompt). */
export function mute(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}
