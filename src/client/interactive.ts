import readline from 'node:readline';
import type { ChalkInstance } from 'chalk';
import type { ChatConnection } from './connection.js';
import { backoffMs } from './backoff.js';
import { printAbove } from './print-above.js';
import { renderLine } from './render.js';

/** Said by a reconnect that must not be tried again: the server refused the name. */
export class Refused extends Error {}

export interface InteractiveOptions {
  conn: ChatConnection;
  /** The name we are registered under. */
  name: string;
  /**
   * Connects and registers NAME again after the connection is lost; rejects with Refused
   * when the server will not have that name, with anything else to try again later.
   * Undefined: no reconnecting (--no-reconnect).
   */
  reconnect: ((name: string) => Promise<ChatConnection>) | undefined;
  chalk: ChalkInstance;
  input: NodeJS.ReadableStream;
  output: NodeJS.WriteStream;
}

/**
 * One reconnection attempt may take this long: a host that drops packets must not hang us,
 * but a server slowing logins down (up to 60 s after failures) must get its answer in.
 */
const ATTEMPT_MS = 90_000;

/** PROMISE, or a rejection after MS; a connection that comes too late is closed. */
function withDeadline(promise: Promise<ChatConnection>, ms: number): Promise<ChatConnection> {
  return new Promise((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(new Error(`no answer within ${ms / 1000} s`));
    }, ms);
    promise.then(
      (c) => {
        clearTimeout(timer);
        if (late) void c.close();
        else resolve(c);
      },
      (err: unknown) => {
        clearTimeout(timer);
        if (!late) reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** Typed lines that leave rather than being sent as chat. */
const isLeave = (line: string): boolean => line === 'exit' || /^\/quit(\s|$)/i.test(line);

/**
 * The chat loop on a terminal: lines typed at a readline prompt are sent as they are, and
 * every incoming line is printed above the prompt, with the half-typed input redrawn intact.
 * A lost connection is retried with backoff and a countdown in the prompt, unless
 * `reconnect` is undefined. Resolves with the exit code: 0 when the user leaves, 1 when the
 * connection is lost for good, 3 when the server no longer takes the name.
 */
export function runInteractive({ conn: first, name, reconnect, chalk, input, output }: InteractiveOptions): Promise<number> {
  return new Promise((resolve) => {
    let conn: ChatConnection | undefined = first;
    let self = name;
    let status = '';
    let leaving = false;
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    /** The last line the server sent: says whether a close was on purpose. */
    let last = '';
    let lastFailure = '';
    const prompt = (): string => `${status ? chalk.red(`(${status}) `) : ''}${chalk.yellow.bold(self)}> `;
    const rl = readline.createInterface({ input, output, prompt: prompt(), terminal: true, historySize: 500 });
    const setStatus = (text: string): void => {
      status = text;
      rl.setPrompt(prompt());
      rl.prompt(true);
    };

    const finish = (code: number): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // No stale "(reconnecting) name>" left behind.
      readline.cursorTo(output, 0);
      readline.clearLine(output, 0);
      rl.close();
      output.write('\n');
      resolve(code);
    };
    const leave = (line = '/quit'): void => {
      if (leaving) return;
      leaving = true;
      if (!conn) return finish(0);
      conn.send(line.startsWith('/') ? line : '/quit');
      void conn.close().then(() => finish(0));
    };

    const attach = (c: ChatConnection): void => {
      conn = c;
      c.on('line', (line) => {
        last = line.text;
        const renamed = line.kind === 'notice' ? /^you are now (\S+)$/.exec(line.text) : null;
        if (renamed?.[1]) {
          self = renamed[1];
          rl.setPrompt(prompt());
        }
        printAbove(rl, output, renderLine(line, { chalk, self }));
      });
      c.on('close', () => {
        conn = undefined;
        if (leaving) return finish(0);
        // The server closed us on purpose (idle, account removed, ...): coming back would
        // only be closed again, so say why and stop.
        if (!reconnect || /closing the connection$/.test(last)) {
          printAbove(rl, output, chalk.red(reconnect ? `disconnected: ${last}` : 'connection lost: the server closed the connection.'));
          return finish(1);
        }
        printAbove(rl, output, chalk.red('connection lost: reconnecting (Ctrl-C to leave).'));
        retry(0);
      });
    };

    /** Counts down in the prompt, then tries; a failure waits longer next time. */
    const retry = (attempt: number): void => {
      let left = Math.ceil(backoffMs(attempt) / 1000);
      const tick = (): void => {
        if (leaving || done) return;
        if (left > 0) {
          setStatus(`reconnecting in ${left} s`);
          left -= 1;
          timer = setTimeout(tick, 1000);
          return;
        }
        setStatus('reconnecting');
        withDeadline(reconnect!(self), ATTEMPT_MS).then(
          (c) => {
            if (leaving || done) return void c.close();
            attach(c);
            setStatus('');
            printAbove(rl, output, chalk.green(`reconnected as ${self}`));
          },
          (err: Error) => {
            // Each new reason once (a certificate now refused, a host gone), not every attempt.
            if (err.message !== lastFailure) printAbove(rl, output, chalk.red(`could not reconnect: ${err.message}`));
            lastFailure = err.message;
            if (err instanceof Refused) {
              printAbove(rl, output, chalk.red(`the server no longer takes ${self}: ${err.message}`));
              return finish(3);
            }
            retry(attempt + 1);
          },
        );
      };
      tick();
    };

    attach(first);
    rl.on('line', (line) => {
      if (isLeave(line)) return leave(line);
      if (line !== '' && conn) conn.send(line);
      // Kept in the history: Up brings it back to send once we are back.
      else if (line !== '') printAbove(rl, output, chalk.red('not sent: not connected. Press Up to send it again later.'));
      rl.prompt();
    });
    rl.on('SIGINT', () => leave()); // Ctrl-C
    rl.on('close', () => leave()); // Ctrl-D
    rl.prompt();
  });
}
