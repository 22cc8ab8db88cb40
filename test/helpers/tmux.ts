import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { WAIT_MS } from './lines.js';

export const hasTmux = spawnSync('tmux', ['-V']).status === 0;

/**
 * A program in a real pseudo-terminal: tmux on a private socket, keys sent with send-keys,
 * the screen read with capture-pane. Killed when the test ends.
 */
export class Terminal {
  readonly #dir: string;
  readonly #socket: string;

  private constructor(dir: string) {
    this.#dir = dir;
    this.#socket = join(dir, 'tmux.sock');
  }

  /** Runs ARGV in a 100x30 terminal; its exit code is kept for exitCode(). */
  static start(t: TestContext, argv: string[], env: Record<string, string> = {}): Terminal {
    const term = new Terminal(mkdtempSync(join(tmpdir(), 'chat-tty-')));
    const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const exports = Object.entries(env)
      .map(([k, v]) => `${k}='${v}'`)
      .join(' ');
    // Written then renamed: a reader never sees the file before the code is in it.
    const exit = join(term.#dir, 'exit');
    const command = `env ${exports} ${quoted}; echo $? > '${exit}.tmp'; mv '${exit}.tmp' '${exit}'; sleep 60`;
    // Registered before tmux runs: a failing start removes the folder too.
    t.after(() => {
      spawnSync('tmux', ['-S', term.#socket, 'kill-server']);
      rmSync(term.#dir, { recursive: true, force: true });
    });
    term.#tmux('new-session', '-d', '-x', '100', '-y', '30', command);
    return term;
  }

  /** Types TEXT literally (no Enter). */
  type(text: string): void {
    this.#tmux('send-keys', '-l', text);
  }

  /** Presses keys by tmux name: Enter, C-c, C-d. */
  press(...keys: string[]): void {
    this.#tmux('send-keys', ...keys);
  }

  /**
   * Pastes TEXT as a terminal does: bracketed (ESC [200~ ... ESC [201~) when the program
   * asked for it, LF sent as CR. With { bracketed: false }, as a terminal without bracketed
   * paste does (or a plain `tmux paste-buffer`): the text alone, in one write.
   */
  paste(text: string, { bracketed = true }: { bracketed?: boolean } = {}): void {
    this.#tmux('set-buffer', '-b', 'paste', '--', text);
    this.#tmux('paste-buffer', ...(bracketed ? ['-p'] : []), '-d', '-b', 'paste');
  }

  /**
   * From now on, every byte the program writes is kept (tmux pipe-pane), escape sequences
   * and bells included, which the screen does not show: the returned function reads them.
   */
  record(): () => string {
    const file = join(this.#dir, 'output');
    writeFileSync(file, '');
    this.#tmux('pipe-pane', '-o', `cat >> '${file}'`);
    return () => readFileSync(file, 'latin1');
  }

  /** Resizes the terminal to COLS columns (the program gets SIGWINCH). */
  resize(cols: number): void {
    this.#tmux('resize-window', '-x', String(cols), '-y', '30');
  }

  /** The screen and the scrollback above it. */
  history(): string[] {
    return this.#tmux('capture-pane', '-p', '-S', '-')
      .split('\n')
      .map((l) => l.trimEnd());
  }

  /** The screen with its colours and attributes, as escape sequences (capture-pane -e). */
  styledScreen(): string[] {
    return this.#tmux('capture-pane', '-p', '-e').split('\n');
  }

  screen(): string[] {
    return this.#tmux('capture-pane', '-p')
      .split('\n')
      .map((l) => l.trimEnd());
  }

  /** Waits until the screen satisfies CHECK; fails with the screen if it never does. */
  async waitFor(check: (lines: string[]) => boolean, what: string): Promise<string[]> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const lines = this.screen();
      if (check(lines)) return lines;
      if (Date.now() > deadline) throw new Error(`terminal never showed ${what}; screen:\n${lines.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The last line with anything on it: where the prompt is. */
  static lastLine(lines: string[]): string {
    return lines.filter((l) => l !== '').at(-1) ?? '';
  }

  /** Resolves with the program's exit code once it has exited. */
  async exitCode(): Promise<number> {
    const file = join(this.#dir, 'exit');
    await this.waitFor(() => existsSync(file), 'the program exiting');
    return Number(readFileSync(file, 'utf8').trim());
  }

  #tmux(...args: string[]): string {
    return execFileSync('tmux', ['-S', this.#socket, ...args], { encoding: 'utf8' });
  }
}
