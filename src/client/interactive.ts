import readline from 'node:readline';
import type { ChalkInstance } from 'chalk';
import type { ChatConnection } from './connection.js';
import { backoffMs } from './backoff.js';
import { printAbove } from './print-above.js';
import { randomBytes } from 'node:crypto';
import { Completions } from './complete.js';
import { clearInput, fixMidLinePaste, fixResize, forget, internals, setInput } from './readline-fixes.js';
import { HistoryAnswers } from './history-answers.js';
import { CatchUp } from './catch-up.js';
import { RoomLogs, type PastItem } from './history.js';
import { END_OF_PAST, renderLine, renderPast, timestamp } from './render.js';
import { chatPrompt } from './chat-prompt.js';
import { Rooms } from './rooms.js';
import { DEFAULT_MAX_LINE, lineLimitIn, splitLine } from './split.js';
import { translateTyped } from './typed.js';
import type { ServerLine } from '../dialects/line/server-line.js';
import { recogniseClosing, recognisePong, recogniseYouAreNow, type LoginError } from '../dialects/line/recognise.js';
import { askPasswords, asksPasswords, carriesPasswords, newPasswordIn, PasswdAnswers } from './passwd.js';
import { HiddenPrompts } from './hidden-input.js';
import { Away } from './away.js';
import { ExitCode } from './exit-codes.js';
import { LineBursts } from './line-bursts.js';
import { Bell, callsUs } from './mention.js';
import { TOO_MANY_FAILURES } from './login.js';
import { refusal } from './refusals.js';
import { terminalLine } from './terminal-line.js';

/**
 * Said by a reconnect the server refused: the name, or the password (ERROR says which, and
 * LINE is the server's answer). A password missing or refused is asked for; anything else
 * is not tried again.
 */
export class Refused extends Error {
  constructor(
    message: string,
    readonly error?: LoginError | undefined,
    readonly line?: ServerLine | undefined,
  ) {
    super(message);
  }
}

export interface InteractiveOptions {
  conn: ChatConnection;
  /** The name we are registered under. */
  name: string;
  /**
   * Connects and registers NAME again after the connection is lost, with PASSWORD when given
   * (typed by the user for the server that asked for it, which alone gets it: it is the one
   * from now on), else the one it has, trying another server first; rejects with
   * Refused when the server will not have that name or password, with anything else to try
   * again later. Undefined: no reconnecting (--no-reconnect).
   */
  reconnect: ((name: string, password?: string) => Promise<ChatConnection>) | undefined;
  chalk: ChalkInstance;
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
  /** `HH:MM ` (local time) before each received line; --no-timestamps turns it off. */
  timestamps: boolean;
  /** The terminal bell for a direct message and a room message that names us; --no-bell turns it off. */
  bell?: boolean;
  /** The server's line limit, when it announced one before we got here. */
  maxLine?: number | undefined;
  /** Now, for the timestamps. */
  now?: () => Date;
  /**
   * Room messages of the past shown after registering and after joining a room (--history
   * N); 0 asks for none, not even those missed while reconnecting.
   */
  history: number;
  /**
   * The server took a new password (/passwd): the next login, a reconnect, uses it. What it
   * returns is shown (the password file still holds the old one, say).
   */
  passwordChanged?: (password: string) => string | undefined;
}

/** --history when not given, on a terminal. */
export const DEFAULT_HISTORY = 20;
/** After a reconnect, the client asks for this many to find those it missed (the server's most). */
export const MISSED_MAX = 100;

/** A paste of more lines than this asks before sending them, as irssi and weechat do. */
export const PASTE_ASK_ABOVE = 5;
/** Lines sent together are followed by a /ping every this many lines, to count what is waiting. */
const PING_EVERY = 10;
/** Turns on bracketed paste: the terminal marks the start and end of what is pasted. */
const PASTE_ON = '\x1b[?2004h';
const PASTE_OFF = '\x1b[?2004l';

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
 * The chat loop on a terminal: lines typed at a readline prompt are sent, and every
 * incoming line is printed above the prompt, with the half-typed input redrawn intact.
 * A lost connection is retried with backoff and a countdown in the prompt, unless
 * `reconnect` is undefined; the new connection goes back to every room (rooms.ts), and a
 * password the server now wants is asked for. Resolves with the exit code: 0 when the user
 * leaves, 1 when the connection is lost for good, 3 when the server no longer takes the name,
 * 130 when the user leaves at a reconnect's password prompt.
 *
 * What the client adds to the protocol (docs/client.md, "In the chat, on a terminal"): `/msg`, `/m` and `/nick`;
 * lines over the server's limit split into several messages; a paste of more than
 * PASTE_ASK_ABOVE lines asked about first (marked by the terminal, or lines that come
 * together: line-bursts.ts), and the lines still waiting on the server's flood control
 * counted in the prompt; the lines of our other rooms tagged with their room, and counted in
 * the prompt until we go there; Tab completion; Ctrl-C as in a shell; local times (of
 * bans too); the bell for a message that calls us; where to look after an unknown command.
 */
export function runInteractive(opts: InteractiveOptions): Promise<number> {
  const { conn: first, name, reconnect, chalk, input, output } = opts;
  const now = opts.now ?? ((): Date => new Date());
  return new Promise((resolve) => {
    let conn: ChatConnection | undefined = first;
    let self = name;
    /** Our rooms, the current one, and what is unread in the others: from the server's answers. */
    const rooms = new Rooms(() => self);
    let status = '';
    let leaving = false;
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    /** The last line the server sent: says whether a close was on purpose. */
    let last: ServerLine | undefined;
    let lastFailure = '';
    let maxLine = opts.maxLine ?? DEFAULT_MAX_LINE;
    /** Lines sent in bulk that the server has not handled yet (their /ping is unanswered). */
    let waiting = 0;
    const pings = new Map<string, number>();
    const pingPrefix = `chat-client-${randomBytes(4).toString('hex')}-`;
    let pingSeq = 0;
    /** Inside a bracketed paste: the lines it holds so far. */
    let pasted: string[] | undefined;
    /** A big paste waiting for y or n, and the half-typed line to give back after. */
    let asking: { lines: string[]; draft: string } | undefined;
    /** Ctrl-C on an empty line: the next one leaves. */
    let armed = false;
    const completions = new Completions({ mine: () => rooms.rooms, current: () => rooms.serverCurrent, self: () => self });
    const bell = opts.bell === false ? undefined : new Bell(() => output.write('\x07'), { now: () => now().getTime() });
    /** Off with --history 0, and for good once the server says it does not know /history. */
    let historyOn = opts.history > 0;
    /** The room messages shown of each room: a reconnect shows what came after them. */
    const logs = new RoomLogs();
    /** The /history requests of the current connection. */
    let answers: HistoryAnswers | undefined;
    /** The /passwd lines of the current connection not answered yet. */
    const passwords = new PasswdAnswers();
    /** /passwd's and a reconnect's password prompts, one at a time; the question open is the prompt. */
    const hidden = new HiddenPrompts(input, {
      asked: () => redraw(),
      // The question stays on its line; the next one, or the chat's prompt, goes below.
      answered: () => {
        if (!done) output.write('\n');
      },
      ended: (what, left) => {
        if (done) return;
        dropped(what, left);
        redraw();
      },
    });
    /** Whether we are away: a reconnect says it again (away is the connection's). */
    const away = new Away();

    const prompt = (): string => {
      if (hidden.question !== undefined) return hidden.question;
      if (asking) return `send ${asking.lines.length} lines? [y/N] `;
      const notes = [status, waiting > 0 ? `${waiting} waiting` : ''];
      return chatPrompt({ self, current: rooms.current, unread: rooms.unread(), notes }, chalk);
    };
    const rl = readline.createInterface({
      input,
      output,
      prompt: prompt(),
      terminal: true,
      historySize: 500,
      completer: (before: string) => completions.complete(before),
    });
    fixMidLinePaste(rl);
    // A line that carries passwords is never brought back by Up (nor kept anywhere else).
    rl.on('history', (history: string[]) => {
      if (carriesPasswords(history[0] ?? '')) history.shift();
    });
    const unfixResize = fixResize(rl, output);
    output.write(PASTE_ON);
    const redraw = (): void => {
      // Plain typing does not update prevRows: start the redraw where the prompt starts,
      // the one on the screen (a new one may wrap the line differently).
      internals(rl).prevRows = rl.getCursorPos().rows;
      rl.setPrompt(prompt());
      rl.prompt(true);
    };
    const setStatus = (text: string): void => {
      status = text;
      redraw();
    };
    /** Prints TEXT above the prompt, which is drawn as things are now (its room, its counts). */
    const say = (text: string): void => printAbove(rl, output, text, prompt());

    const finish = (code: number): void => {
      if (done) return;
      done = true;
      // The chat's readline gets its keys back before it lets go of the terminal.
      hidden.close();
      bursts.cancel();
      clearTimeout(timer);
      unfixResize();
      input.off('keypress', onKey);
      output.write(PASTE_OFF);
      // No stale "(reconnecting) name>" left behind.
      readline.cursorTo(output, 0);
      readline.clearLine(output, 0);
      rl.close();
      output.write('\n');
      resolve(code);
    };
    const leave = (line = '/quit'): void => {
      if (leaving) return;
      // Entered before the leaving: sent first. One of those lines may have left already (exit).
      bursts.end();
      if (leaving) return;
      leaving = true;
      if (!conn) return finish(ExitCode.Ok);
      conn.send(line.startsWith('/') ? line : '/quit');
      void conn.close().then(() => finish(ExitCode.Ok));
    };

    /** Sends LINES; several are followed by /pings that say when the server has handled them. */
    const sendAll = (lines: string[]): void => {
      if (!conn) return;
      const send = (line: string): void => {
        answers?.sent(line, self);
        const fresh = newPasswordIn(line);
        if (fresh !== undefined) passwords.sent(fresh);
        conn!.send(line);
      };
      if (lines.length === 1) return send(lines[0]!);
      for (let i = 0; i < lines.length; i += PING_EVERY) {
        const batch = lines.slice(i, i + PING_EVERY);
        for (const line of batch) send(line);
        const token = `${pingPrefix}${pingSeq++}`;
        pings.set(token, batch.length);
        conn.send(`/ping ${token}`);
        waiting += batch.length;
      }
      redraw();
    };

    /**
     * Lines the user entered: the client's commands, then splitting, then the wire. More
     * than PASTE_ASK_ABOVE wire lines (a paste, or one huge line) are asked about first.
     */
    const submit = (lines: string[]): void => {
      const out: string[] = [];
      for (const line of lines) {
        if (line === '') continue;
        const typed = translateTyped(line);
        if ('problem' in typed) {
          say(chalk.red(`not sent: ${typed.problem}`));
          continue;
        }
        const parts = splitLine(typed.send, maxLine);
        if (!parts) {
          say(chalk.red(`not sent: a line over ${maxLine} bytes that cannot be cut into messages.`));
          continue;
        }
        out.push(...parts);
      }
      if (out.length === 0) return;
      if (out.length > PASTE_ASK_ABOVE) {
        asking = { lines: out, draft: clearInput(rl) };
        return redraw();
      }
      deliver(out);
    };

    const deliver = (lines: string[]): void => {
      // Kept in the history: Up brings it back to send once we are back.
      if (!conn) return say(chalk.red('not sent: not connected. Press Up to send it again later.'));
      sendAll(lines);
    };

    /** `HH:MM ` before a line received now, unless --no-timestamps. */
    const received = (): string => (opts.timestamps ? chalk.gray(`${timestamp(now())} `) : '');
    /** Past lines, dimmed, after the local time of each. */
    const showPast = (items: readonly PastItem[]): void => {
      for (const item of items) say(renderPast(item, { chalk, timestamps: opts.timestamps, now: now() }));
    };

    /** RECONNECTED: a new connection after a lost one, rather than the first. */
    const attach = (c: ChatConnection, reconnected: boolean): void => {
      conn = c;
      completions.loggedIn();
      const mine = new HistoryAnswers(
        logs,
        () => rooms.serverCurrent,
        () => now().getTime(),
      );
      answers = mine;
      /** What a device missed while away comes right after its login, before anything else. */
      const catchUp = new CatchUp();
      if (c.device !== undefined) catchUp.loggedIn();
      /**
       * In ROOM, current, for the first time on this connection: who is in it (as IRC
       * clients show NAMES on join; the answer is printed like any line), and its past: the
       * last messages (KIND join) or those missed while we were away (missed).
       */
      const arrived = (room: string | undefined, kind: 'join' | 'missed'): void => {
        if (room === undefined) return;
        c.send(`/who ${room}`);
        if (historyOn) c.send(kind === 'join' ? mine.ask('join', room, opts.history) : mine.ask('missed', room, MISSED_MAX));
      };
      /** The /ping after the lines that take a new connection back to our rooms. */
      let rejoin: string | undefined;
      // Registering puts us in lobby (docs/protocol.md): a new connection after a lost one
      // goes back to the rooms we were in; once the server has answered it all, the current
      // one shows what was missed in it.
      const plan = reconnected ? rooms.reconnected() : [];
      // Before the rooms: whoever writes to us at once is told we are away.
      const again = reconnected ? away.again() : undefined;
      if (again !== undefined) c.send(again);
      if (plan.length === 0) arrived(rooms.serverCurrent, reconnected ? 'missed' : 'join');
      else {
        for (const line of plan) c.send(line);
        rejoin = `${pingPrefix}${pingSeq++}`;
        c.send(`/ping ${rejoin}`);
      }
      c.on('line', (line) => {
        const pong = recognisePong(line);
        if (pong !== undefined && pong === rejoin) {
          rejoin = undefined;
          const missing = rooms.rejoined();
          if (missing.length > 0) say(chalk.red(`not back in ${missing.join(', ')}: the server's answers above say why.`));
          arrived(rooms.serverCurrent, 'missed');
          return redraw();
        }
        if (pong !== undefined && pings.has(pong)) {
          waiting -= pings.get(pong)!;
          pings.delete(pong);
          return redraw();
        }
        last = line;
        completions.learn(line);
        const seen = rooms.take(line);
        if (seen.left) logs.drop(seen.left);
        const caught = catchUp.take(line);
        if (caught.kind === 'past') {
          const { item } = caught;
          // Seen now: a /join's or a reconnect's answer does not show it again.
          if (item.kind === 'room' && item.room !== undefined && rooms.isOurs(item.room)) mine.caughtUp(item.room, item);
          return showPast([item]);
        }
        if (caught.kind === 'end') return say(received() + chalk.dim(line.raw));
        // A line of another room is handled as it reads in that room, and shown with its tag.
        const inRoom = seen.room;
        const plain = inRoom?.line.line ?? line;
        const outcome = mine.take(plain, inRoom?.name);
        if (outcome.kind === 'held') return;
        if (outcome.kind === 'unsupported') {
          // An older server: the client works as before, and asks no more.
          historyOn = false;
          return;
        }
        if (outcome.kind === 'past') {
          if (outcome.lost) say(chalk.dim(`-- more were sent while you were away than the last ${MISSED_MAX} shown here --`));
          showPast(outcome.items);
          if (outcome.end) say(chalk.dim(END_OF_PAST));
          return;
        }
        // The answer to the /away a reconnect said: shown dimmed, as the client's own doing.
        if (away.take(line) === 'ours') return say(received() + chalk.dim(line.raw));
        maxLine = lineLimitIn(line) ?? maxLine;
        const renamed = recogniseYouAreNow(line);
        if (renamed) {
          completions.renamed(self, renamed);
          self = renamed;
        }
        const room = inRoom && !rooms.isCurrent(inRoom.name) ? inRoom.name : undefined;
        say(received() + renderLine(terminalLine(plain, now()), { chalk, self, room }));
        // Live lines only: those of the past (history, kept, catch-up) have been shown above.
        if (callsUs(plain, self)) bell?.ring();
        const fresh = passwords.take(line);
        if (fresh !== undefined) {
          const note = opts.passwordChanged?.(fresh);
          if (note !== undefined) say(chalk.yellow(note));
        }
        // A room we were already in only becomes current: its lines are on the screen.
        if (seen.joined) arrived(seen.joined, 'join');
      });
      const onClose = (): void => {
        conn = undefined;
        answers = undefined;
        passwords.clear();
        away.lost();
        // The prompt keeps our rooms: the next connection goes back to them.
        rooms.lost();
        // Whatever was not handled is gone with the connection.
        if (waiting > 0 && !leaving) say(chalk.red(`${waiting} lines sent in bulk may not have been delivered.`));
        waiting = 0;
        pings.clear();
        if (leaving) return finish(ExitCode.Ok);
        // The server closed us on purpose (idle, account removed, ...): coming back would
        // only be closed again, so say why and stop.
        if (!reconnect || (last && recogniseClosing(last) !== undefined)) {
          say(chalk.red(reconnect ? `disconnected: ${last?.text ?? ''}` : 'connection lost: the server closed the connection.'));
          return finish(ExitCode.ConnectionLost);
        }
        say(chalk.red('connection lost: reconnecting (Ctrl-C twice to leave).'));
        retry(0);
      };
      c.on('close', onClose);
      // Lines that came with the registration (messages kept for us) were held until now.
      c.release();
      // Lost before we listened: 'close' has been and gone.
      if (c.closed) onClose();
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
        tryAgain(attempt);
      };
      tick();
    };

    /** One attempt to reconnect, with the PASSWORD the user has just typed, if any. */
    const tryAgain = (attempt: number, password?: string): void => {
      setStatus('reconnecting');
      withDeadline(reconnect!(self, password), ATTEMPT_MS).then(
        (c) => {
          if (leaving || done) return void c.close();
          setStatus('');
          say(chalk.green(`reconnected as ${self}`));
          attach(c, true);
        },
        (err: Error) => {
          if (leaving || done) return;
          if (err instanceof Refused) return void refused(attempt, err);
          // Each new reason once (a certificate now refused, a host gone), not every attempt.
          if (err.message !== lastFailure) say(chalk.red(`could not reconnect: ${err.message}`));
          lastFailure = err.message;
          retry(attempt + 1);
        },
      );
    };

    /**
     * A reconnect the server refused. A password it now wants (it checks passwords since its
     * restart) or refuses is asked for, hidden, in the chat's own readline (readline-sync
     * would stop the event loop), and tried at once. Anything else, trying again cannot help:
     * the client says why and exits 3. Ctrl-C or Ctrl-D at that prompt leaves (130), as at
     * the login's.
     */
    const refused = async (attempt: number, err: Refused): Promise<void> => {
      if (err.error === 'password-required' || err.error === 'authentication-failed') {
        setStatus('');
        // The half-typed line waits aside: the prompt is the question alone.
        const draft = clearInput(rl);
        const password = await hidden.run('the password', (ask) => {
          say(
            chalk.red(
              err.error === 'password-required'
                ? `the server now checks passwords: type the password of ${self} to log in again (Ctrl-C leaves).`
                : 'authentication failed: the server refused that password; type it again (Ctrl-C leaves).',
            ),
          );
          return ask(`Password for ${self}`);
        });
        if (done) return;
        setInput(rl, draft);
        if (password !== undefined) return tryAgain(attempt, password);
        say(chalk.red('left at the password prompt, without logging in again.'));
        return finish(ExitCode.Interrupted);
      }
      if (err.error === 'too-many-failures') say(chalk.red(TOO_MANY_FAILURES));
      else {
        const reason = err.line === undefined ? err.message : terminalLine(err.line, now()).text;
        say(chalk.red(`the server no longer takes ${self}: ${refusal(reason, err.error)}`));
      }
      finish(ExitCode.RegistrationRefused);
    };

    /** Says that N lines typed after WHAT (/passwd, the password) were not sent. */
    const dropped = (what: string, n: number): void => {
      if (n > 0) say(chalk.red(`not sent: ${n === 1 ? '1 line' : `${n} lines`} typed after ${what}; type ${n === 1 ? 'it' : 'them'} again.`));
    };

    /**
     * `/passwd` typed alone: the passwords asked hidden (askPasswords), then sent
     * (docs/client.md). AHEAD: lines entered after it in the same burst, before the prompt
     * opened. They are dropped, not taken as its answers: the chat's line showed them as they
     * were typed, and a password on the screen must not become the account's new one.
     */
    const changePassword = (ahead: readonly string[]): void => {
      // Up must not bring back a password either.
      forget(rl, ahead);
      dropped('/passwd', ahead.filter((l) => l !== '').length);
      if (!conn) return say(chalk.red('not sent: not connected. Try /passwd again once back.'));
      void hidden.run('/passwd', async (ask) => {
        const line = await askPasswords(ask, maxLine);
        if (done) return;
        // Also when a reconnect's password prompt ended this one: that connection is gone.
        if (!conn) say(chalk.red('/passwd: the connection was lost; nothing was changed.'));
        else if ('problem' in line) say(chalk.red(`/passwd: ${line.problem}; nothing was sent.`));
        else sendAll([line.send]);
      });
    };

    const answer = (reply: string): void => {
      const { lines, draft } = asking!;
      asking = undefined;
      rl.setPrompt(prompt());
      if (/^y(es)?$/i.test(reply.trim())) deliver(lines);
      else say(chalk.red(`not sent: the ${lines.length} lines.`));
      setInput(rl, draft);
    };

    /**
     * The lines of a paste: they go as typed ones do (more than a few are asked about), none
     * of them taken for the client's own commands (exit, /passwd alone).
     */
    const pastedLines = (all: readonly string[]): void => {
      const lines = all.filter((l) => l !== '');
      if (lines.length === 0) return;
      if (asking) say(chalk.red(`not sent: ${lines.length} lines pasted while a question was open.`));
      else submit(lines);
      // The pasted lines were echoed without a prompt: draw it again under them.
      redraw();
    };

    /**
     * Lines typed and entered, one after another: one, or a few read together (typed ahead
     * while the client was busy or the link to the terminal stalled), each as it would be
     * alone. A line that leaves ends them, and /passwd's hidden prompt drops those after it:
     * they may be its passwords, which must never reach the room.
     */
    const entered = (lines: readonly string[]): void => {
      for (const [i, line] of lines.entries()) {
        if (leaving) return;
        if (asking) answer(line);
        else if (isLeave(line)) leave(line);
        else if (asksPasswords(line)) return changePassword(lines.slice(i + 1));
        else {
          submit([line]);
          rl.prompt();
        }
      }
    };

    /**
     * Lines that come together (line-bursts.ts): a few are typed ahead; more than
     * PASTE_ASK_ABOVE are a paste the terminal did not mark (or tmux's paste-buffer), which
     * types the whole text at once.
     */
    const bursts = new LineBursts((lines) => (lines.length > PASTE_ASK_ABOVE ? pastedLines(lines) : entered(lines)));

    function onKey(_s: string | undefined, key: { name?: string; ctrl?: boolean } | undefined): void {
      if (key?.name === 'paste-start') {
        // What was entered before it is not part of it.
        bursts.end();
        pasted = [];
      } else if (key?.name === 'paste-end') {
        const lines = pasted ?? [];
        pasted = undefined;
        pastedLines(lines);
      }
      if (!(key?.ctrl && key.name === 'c')) armed = false;
    }
    // After readline's own listener: a paste's lines reach 'line' before its end mark here.
    input.on('keypress', onKey);

    attach(first, false);
    rl.on('line', (line) => {
      if (pasted) return void pasted.push(line);
      // A line the client acts on itself, entered when no burst is open, is acted on at once,
      // not held for the burst's gap: a hidden prompt it opens (/passwd) then takes the keys
      // typed right after it, in the same read.
      if (!bursts.open && (isLeave(line) || asksPasswords(line))) {
        bursts.end();
        return entered([line]);
      }
      bursts.push(line);
    });
    // Ctrl-C as in a shell: it throws the line away; on an empty line it says how to leave,
    // and a second one leaves.
    rl.on('SIGINT', () => {
      if (asking) return answer('n');
      if (internals(rl).line !== '') {
        clearInput(rl);
        armed = false;
        return;
      }
      if (armed || leaving) return leave();
      armed = true;
      say(chalk.gray('Press Ctrl-C again to leave (or Ctrl-D, or type /quit).'));
    });
    rl.on('close', () => leave()); // Ctrl-D on an empty line
    rl.prompt();
  });
}
