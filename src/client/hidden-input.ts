import readline from 'node:readline';
import { mute } from './prompt.js';

type Listener = (...args: unknown[]) => void;

/**
 * Lines read from a terminal that the chat's readline holds, with nothing of them shown,
 * until `close`: the answers of a hidden prompt (/passwd's three passwords, a reconnect's
 * one). The chat's key listeners are set aside meanwhile, so no key reaches its line, its
 * history or the screen; a readline of our own, its output muted, reads the keys (the
 * terminal stays raw: it echoes nothing). The caller shows the questions as the chat's prompt.
 *
 * Every key from opening to closing is ours, however many questions come between: lines
 * typed faster than they are asked for (in the same read as the line that opened it, say)
 * wait for their question instead of slipping to the chat between two questions.
 */
export class HiddenInput {
  readonly #input: NodeJS.ReadStream;
  readonly #chat: Listener[];
  readonly #rl: readline.Interface;
  /** Lines typed, not asked for yet. */
  readonly #typed: string[] = [];
  #asked: ((answer: string | undefined) => void) | undefined;
  /** Given up (Ctrl-C, Ctrl-D) or closed: every question now gets undefined. */
  #over = false;
  #closed = false;

  constructor(input: NodeJS.ReadStream) {
    this.#input = input;
    this.#chat = input.listeners('keypress') as Listener[];
    input.removeAllListeners('keypress');
    this.#rl = readline.createInterface({ input, output: mute(), terminal: true, historySize: 0 });
    this.#rl.on('line', (line) => this.#take(line));
    this.#rl.on('SIGINT', () => this.#giveUp());
    this.#rl.on('close', () => this.#giveUp());
    input.on('keypress', this.#onKey);
  }

  /** The next line typed, or undefined once given up or closed. */
  next(): Promise<string | undefined> {
    if (this.#over) return Promise.resolve(undefined);
    const line = this.#typed.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve) => {
      this.#asked = resolve;
    });
  }

  /**
   * Gives the keys back to the chat (a question still open gets undefined). The number of
   * lines typed that no question took, empty ones left out: dropped, never the chat's (they
   * may be passwords). Again: nothing, 0.
   */
  close(): number {
    if (this.#closed) return 0;
    this.#closed = true;
    this.#giveUp();
    this.#input.off('keypress', this.#onKey);
    this.#rl.close();
    // Closing took the terminal out of raw mode and paused it: the chat's readline needs both.
    this.#input.setRawMode(true);
    for (const listener of this.#chat) this.#input.on('keypress', listener);
    this.#input.resume();
    return this.#typed.splice(0).filter((line) => line !== '').length;
  }

  #take(line: string): void {
    const asked = this.#asked;
    this.#asked = undefined;
    if (asked && !this.#over) asked(line);
    else this.#typed.push(line);
  }

  #giveUp(): void {
    this.#over = true;
    this.#asked?.(undefined);
    this.#asked = undefined;
  }

  // Any Ctrl-D gives up, not only on an empty line: nobody can see whether the line is empty.
  readonly #onKey = (_s: unknown, key: readline.Key | undefined): void => {
    if (key?.ctrl && (key.name === 'c' || key.name === 'd')) this.#giveUp();
  };
}

/** A question at a hidden prompt: the answer, undefined when given up or ended. */
export type Ask = (question: string) => Promise<string | undefined>;

/** What the chat does as a hidden prompt goes: it draws the prompt, the prompts only say when. */
export interface HiddenPromptsView {
  /** A question is open now (`question`): draw it as the prompt. */
  asked(): void;
  /** A question was answered: the next one, or the chat's prompt, goes below it. */
  answered(): void;
  /** The dialog WHAT is over, LEFT lines typed that no question took (dropped). */
  ended(what: string, left: number): void;
}

/**
 * The chat's hidden prompts (/passwd's, a reconnect's password), one at a time. Two at once,
 * the second took the first one's key listeners for the chat's and gave them back when it
 * ended, leaving the first reading every key, hidden, under the chat's prompt. So a prompt
 * that opens ends the one open, whose questions get undefined, and waits until that dialog
 * is done (it says how it ended, before the new question shows).
 */
export class HiddenPrompts {
  #open: { question: string; keys: HiddenInput; ended: Promise<unknown> } | undefined;
  #closed = false;

  constructor(
    private readonly input: NodeJS.ReadStream,
    private readonly view: HiddenPromptsView,
  ) {}

  /** The question open now, `Password for alice: `; undefined when no hidden prompt is. */
  get question(): string | undefined {
    return this.#open?.question;
  }

  /**
   * Runs DIALOG (WHAT it is, for `ended`) at a hidden prompt: each question it asks is open
   * until answered, and every key is the prompt's until DIALOG is done (HiddenInput).
   */
  async run<T>(what: string, dialog: (ask: Ask) => Promise<T>): Promise<T> {
    const before = this.#open;
    if (before) {
      before.keys.close();
      await before.ended;
    }
    // The chat ended meanwhile: the terminal is no longer ours to read.
    if (this.#closed) return dialog(async () => undefined);
    const keys = new HiddenInput(this.input);
    const open = { question: '', keys, ended: Promise.resolve() as Promise<unknown> };
    this.#open = open;
    const ask: Ask = async (question) => {
      open.question = `${question}: `;
      this.view.asked();
      const answer = await keys.next();
      this.view.answered();
      return answer;
    };
    const run = dialog(ask).finally(() => {
      const left = keys.close();
      if (this.#open === open) this.#open = undefined;
      this.view.ended(what, left);
    });
    open.ended = run.catch(() => {});
    return run;
  }

  /** The chat ends: the open prompt gives the keys back (its questions get undefined), and none opens again. */
  close(): void {
    this.#closed = true;
    this.#open?.keys.close();
  }
}
