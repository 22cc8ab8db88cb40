import readline from 'node:readline';
import { randomBytes } from 'node:crypto';
import type { ChatConnection } from './connection.js';
import { refusal } from './refusals.js';
import { ExitCode } from './exit-codes.js';
import { recognisePong } from '../dialects/line/recognise.js';

export interface ScriptOptions {
  conn: ChatConnection;
  /** Register under this name first; without it the connection stays unregistered. */
  name: string | undefined;
  /** Sent with the name on a server that checks passwords. */
  password: string | undefined;
  /** The device to log in as, with the password (device.ts); undefined: none. */
  device?: string | undefined;
  /** Lines to send first (--send), in order, before those read from input. */
  sends: readonly string[];
  /** Exit 0 at the first server line this matches (--expect). */
  expect: RegExp | undefined;
  /** What is left of --timeout once connected; undefined for no bound. */
  timeoutMs: number | undefined;
  /** --timeout as the user gave it, for messages. */
  timeoutSeconds: number | undefined;
  /** --strict: exit 5 at the first error line (`! ...`) the server answers with. */
  strict?: boolean | undefined;
  /** --history N: `/history N` is sent after registering (not when 0 or not given). */
  history?: number | undefined;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Where the client's own messages (not server lines) go. */
  errors: NodeJS.WritableStream;
}

/**
 * Without a terminal the client is a scripting tool: lines in, server lines out, and an
 * exit code that says how it went (see exit-codes.ts).
 */
export function runScript(opts: ScriptOptions): Promise<ExitCode> {
  const { conn, expect, output, errors } = opts;
  const say = (text: string): void => void errors.write(`chat-client: ${text}\n`);
  // The /ping that ends a run is ours, not the user's: its pong is not printed.
  const token = `chat-client-${randomBytes(6).toString('hex')}`;
  let quitSent = false;
  /** Refusals of the login have their own exit code (3); --strict judges what follows. */
  let registered = opts.name === undefined;

  return new Promise<ExitCode>((resolve) => {
    // Read input at once, so nothing is lost while we register; send it after.
    const input = readline.createInterface({ input: opts.input, crlfDelay: Infinity });
    const lines = input[Symbol.asyncIterator]();

    let settled = false;
    const finish = (code: ExitCode): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      input.close();
      void conn.close().then(() => resolve(code));
    };

    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            say(expect ? `no server line matched ${expect} within ${opts.timeoutSeconds} s.` : `the run did not finish within ${opts.timeoutSeconds} s.`);
            finish(ExitCode.Timeout);
          }, opts.timeoutMs);

    conn.on('line', (line) => {
      if (settled || recognisePong(line) === token) return;
      output.write(`${line.raw}\n`);
      if (expect?.test(line.raw)) return finish(ExitCode.Ok);
      // Errors answer this connection's own requests (docs/protocol.md), so each one is ours.
      if (opts.strict && registered && line.kind === 'error') {
        say(`the server answered with an error (--strict): ${line.text}`);
        finish(ExitCode.ServerError);
      }
    });
    conn.on('close', () => {
      if (settled) return;
      if (quitSent && !expect) return finish(ExitCode.Ok);
      say(expect ? `the connection closed before a line matched ${expect}: ${conn.lostReason()}` : conn.lostReason());
      finish(ExitCode.ConnectionLost);
    });

    void (async () => {
      try {
        if (opts.name !== undefined) {
          const result = await conn.register(opts.name, opts.password, { device: opts.device });
          if (!result.ok && !result.refused) {
            say(`the server did not take us: ${result.reason}`);
            return finish(ExitCode.ConnectionLost);
          }
          if (!result.ok) {
            // The server's advice (`send #NAME PASSWORD`) is for nc users: ours is the option.
            const reason = result.error === 'password-required' ? `password required for ${opts.name} on this server` : result.reason;
            say(`registration refused: ${refusal(reason, result.error)}`);
            return finish(ExitCode.RegistrationRefused);
          }
          registered = true;
        }
        const send = (line: string): void => {
          if (/^\/quit(\s|$)/i.test(line)) quitSent = true;
          conn.send(line);
        };
        // Asked for on purpose: its answer is printed as the server sends it, like any line.
        if (opts.history && opts.name !== undefined) send(`/history ${opts.history}`);
        for (const line of opts.sends) send(line);
        // A file saved with a BOM must not hide a direct message behind it (the server drops
        // a leading BOM too, but older servers relay it to the room).
        let first = true;
        for (let next = await lines.next(); !next.done && !settled; next = await lines.next()) {
          send(first ? next.value.replace(/^\uFEFF/, '') : next.value);
          first = false;
        }
        if (expect || settled) return; // --expect waits for its line, whatever happens to input.
        if (quitSent) return; // the server closes; 'close' finishes.
        // Everything sent has been handled once the pong is back: nothing is lost by closing.
        await conn.ping(token);
        finish(ExitCode.Ok);
      } catch {
        // The connection closed under us; the 'close' handler has said so.
      }
    })();
  });
}
