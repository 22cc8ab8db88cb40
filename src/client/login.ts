import type { ChatConnection } from './connection.js';
import { ExitCode } from './exit-codes.js';
import { LeftPrompt, type Prompter } from './prompt.js';
import { refusal } from './refusals.js';
import { terminalLine } from './terminal-line.js';
import { isValidName } from '../protocol/names.js';
import { recogniseClosing, recogniseLoginError } from '../dialects/line/recognise.js';

export interface LoginOptions {
  /** Connects (again); the caller shows the server's lines. */
  open: () => Promise<ChatConnection>;
  /** --name; asked for when undefined. */
  name: string | undefined;
  /** --password-file or CHAT_PASSWORD; asked for, hidden, when the server wants one. */
  password: string | undefined;
  /** The device to log in as (device.ts, chooseDevice); sent only with a password. */
  device?: string | undefined;
  prompter: Prompter;
  /** The client's own messages (stderr). */
  say: (text: string) => void;
  /** Now: a ban's end is said in local time. */
  now?: () => Date;
}

export type LoginOutcome = { ok: true; conn: ChatConnection; name: string; password: string | undefined } | { ok: false; code: ExitCode };

export const TOO_MANY_FAILURES =
  'the server closed the connection after too many failed logins. Check your name and password, ' +
  'wait a few minutes before trying again (the server slows down logins after failures), or ask ' +
  "the server's operator to check your account.";

/** What a connection has said about itself so far. */
interface Watch {
  /** It said it is closing (a register timeout, too many failures) or it is closed. */
  ending: boolean;
  tooMany: boolean;
  /** Ends an open prompt once the server has closed the login for good. */
  abort: AbortController;
}

/** Ends a prompt when the server has refused the login for good. */
class TooMany extends Error {}

/** A name typed as the server's greeting shows it, `#alice`, is alice. */
export function nameFromAnswer(answer: string): string {
  return answer.trim().replace(/^#/, '');
}

/**
 * The terminal login: asks the name (unless given) and, on a server that checks passwords,
 * the password, hidden. After `! authentication failed` both are asked again, the name with
 * the one just tried as the default, since the server does not say which one was wrong.
 * Ctrl-C or Ctrl-D at a prompt leaves (ExitCode.Interrupted); `! too many failed logins`
 * ends the login (ExitCode.RegistrationRefused) with a sentence saying what to do, and is
 * never answered by connecting again; so does `! too many devices`, which another name or
 * password cannot help either. A connection the server closed while a prompt was open (its
 * register timeout) is replaced by a new one before the answer is sent. The lines after a
 * successful answer (kept messages, a device's catch-up) are held for the chat to release.
 */
export async function login(options: LoginOptions): Promise<LoginOutcome> {
  const { prompter, say } = options;
  const now = options.now ?? ((): Date => new Date());
  let conn: ChatConnection | undefined;
  let watch: Watch = { ending: false, tooMany: false, abort: new AbortController() };
  const open = async (): Promise<ChatConnection> => {
    const c = await options.open();
    const w: Watch = { ending: false, tooMany: false, abort: new AbortController() };
    c.on('line', (line) => {
      if (line.kind !== 'error') return;
      if (recogniseClosing(line) !== undefined) w.ending = true;
      if (recogniseLoginError(line) === 'too-many-failures') {
        w.tooMany = true;
        w.abort.abort(new TooMany());
      }
    });
    c.on('close', () => (w.ending = true));
    watch = w;
    conn = c;
    return c;
  };
  const ask = (question: string, hidden: boolean, fallback?: string): Promise<string> =>
    prompter.ask(question, { hidden, fallback, signal: watch.abort.signal });
  const askName = async (fallback?: string): Promise<string> => {
    for (;;) {
      const name = nameFromAnswer(await ask('Your name', false, fallback));
      if (isValidName(name)) return name;
      prompter.print('A name is 1 to 32 letters, digits, _ or -. Try again.');
    }
  };

  try {
    let c = await open();
    let password = options.password;
    let name = options.name ?? (await askName());
    /** A --name the server refuses ends the run; a typed one is asked again. */
    let typed = options.name === undefined;
    for (;;) {
      if (watch.tooMany) throw new TooMany();
      if (watch.ending) {
        await c.close();
        c = await open();
      }
      const attempt = password;
      const register = (): ReturnType<ChatConnection['register']> => c.register(name, attempt, { hold: true, device: options.device });
      const result = await (attempt === undefined ? register() : prompter.hold(register));
      // The server sends it right after the last `! authentication failed`.
      if (watch.tooMany || (!result.ok && result.error === 'too-many-failures')) throw new TooMany();
      if (result.ok) {
        // Pressed with the Enter that gave the name, on a server that checks no password.
        const left = prompter.pending();
        if (left) throw left;
        return { ok: true, conn: c, name: result.name, password };
      }
      if (result.error === 'register-timeout') continue;
      if (!result.refused) {
        say(`the server did not take us: ${result.reason}`);
        await c.close();
        return { ok: false, code: ExitCode.ConnectionLost };
      }
      if (result.error === 'password-required') {
        password = await ask(`Password for ${name}`, true);
      } else if (result.error === 'authentication-failed') {
        // Either could be wrong: the server does not say which, or names could be tested.
        name = await askName(name);
        typed = true;
        password = await ask(`Password for ${name}`, true);
      } else if (typed && result.error !== 'too-many-devices' && result.error !== 'banned') {
        name = await askName();
      } else {
        const reason = result.line === undefined ? result.reason : terminalLine(result.line, now()).text;
        say(`registration refused: ${refusal(reason, result.error, 'Choose another name with --name.')}`);
        await c.close();
        return { ok: false, code: ExitCode.RegistrationRefused };
      }
    }
  } catch (err) {
    // Not waited for: the server may be busy with a password check, and leaving must be
    // prompt; the process exits next, which closes the socket in any case.
    void conn?.close();
    if (err instanceof LeftPrompt) {
      say(`left with ${err.key} before logging in.`);
      return { ok: false, code: ExitCode.Interrupted };
    }
    if (err instanceof TooMany) {
      say(TOO_MANY_FAILURES);
      return { ok: false, code: ExitCode.RegistrationRefused };
    }
    throw err;
  }
}
