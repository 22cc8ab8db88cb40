import readline from 'node:readline';
import type { ChalkInstance } from 'chalk';
import type { ChatConnection } from './connection.js';
import { renderLine } from './render.js';

export interface InteractiveOptions {
  conn: ChatConnection;
  /** The name we are registered under. */
  name: string;
  chalk: ChalkInstance;
  input: NodeJS.ReadableStream;
  output: NodeJS.WriteStream;
}

/** Typed lines that leave rather than being sent as chat. */
const isLeave = (line: string): boolean => line === 'exit' || /^\/quit(\s|$)/i.test(line);

/**
 * The chat loop on a terminal: lines typed at a readline prompt are sent as they are, and
 * every incoming line is printed above the prompt, with the half-typed input redrawn intact.
 * Resolves with the exit code: 0 when the user leaves, 1 when the connection is lost.
 */
export function runInteractive({ conn, name, chalk, input, output }: InteractiveOptions): Promise<number> {
  return new Promise((resolve) => {
    let self = name;
    let leaving = false;
    let done = false;
    const prompt = (): string => `${chalk.yellow.bold(self)}> `;
    const rl = readline.createInterface({ input, output, prompt: prompt(), terminal: true, historySize: 500 });

    const finish = (code: number): void => {
      if (done) return;
      done = true;
      rl.close();
      output.write('\n');
      resolve(code);
    };
    const leave = (line = '/quit'): void => {
      if (leaving) return;
      leaving = true;
      conn.send(line.startsWith('/') ? line : '/quit');
      void conn.close().then(() => finish(0));
    };

    conn.on('line', (line) => {
      const renamed = line.kind === 'notice' ? /^you are now (\S+)$/.exec(line.text) : null;
      if (renamed?.[1]) {
        self = renamed[1];
        rl.setPrompt(prompt());
      }
      printAbove(rl, output, renderLine(line, { chalk, self }));
    });
    conn.on('close', () => {
      if (!leaving) printAbove(rl, output, chalk.red('connection lost: the server closed the connection.'));
      finish(leaving ? 0 : 1);
    });
    rl.on('line', (line) => {
      if (isLeave(line)) return leave(line);
      if (line !== '') conn.send(line);
      rl.prompt();
    });
    rl.on('SIGINT', () => leave()); // Ctrl-C
    rl.on('close', () => leave()); // Ctrl-D
    rl.prompt();
  });
}

/**
 * Prints TEXT above the prompt and redraws the prompt with the user's half-typed line,
 * cursor where it was. The input may wrap over several rows: we clear from the row the
 * prompt starts on. readline's redraw moves up by `prevRows` (the cursor's row at its last
 * redraw, not updated while plain typing), so we tell it the prompt now starts right here.
 */
function printAbove(rl: readline.Interface, output: NodeJS.WriteStream, text: string): void {
  readline.moveCursor(output, 0, -rl.getCursorPos().rows);
  readline.cursorTo(output, 0);
  readline.clearScreenDown(output);
  output.write(`${text}\n`);
  (rl as unknown as { prevRows: number }).prevRows = 0;
  rl.prompt(true);
}
