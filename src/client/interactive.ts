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
 * Prints TEXT above the prompt and redraws the prompt with the user's half-typed line.
 * readline's redraw first moves up as many rows as the cursor was below the prompt's
 * start, so we leave that many spare rows under TEXT for it to land on.
 */
function printAbove(rl: readline.Interface, output: NodeJS.WriteStream, text: string): void {
  const { rows } = rl.getCursorPos();
  readline.moveCursor(output, 0, -rows);
  readline.cursorTo(output, 0);
  readline.clearScreenDown(output);
  output.write(`${text}\n${'\n'.repeat(rows)}`);
  rl.prompt(true);
}
