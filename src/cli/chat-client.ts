#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Readable } from 'node:stream';
import chalkDefault, { Chalk } from 'chalk';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ChatConnection, type ConnectOptions } from '../client/connection.js';
import { chooseDevice } from '../client/device.js';
import { ExitCode } from '../client/exit-codes.js';
import { connectFirst, parseHosts, type HostPort } from '../client/hosts.js';
import { DEFAULT_HISTORY, Refused, runInteractive } from '../client/interactive.js';
import { login } from '../client/login.js';
import { Prompter } from '../client/prompt.js';
import { renderLine, timestamp } from '../client/render.js';
import { runScript } from '../client/script.js';
import { terminalLine } from '../client/terminal-line.js';
import { lineLimitIn } from '../client/split.js';
import { recogniseGreeting, recogniseLoginError } from '../dialects/line/recognise.js';
import { DEFAULT_HOST, DEFAULT_PORT } from '../protocol/defaults.js';
import { isValidName } from '../protocol/names.js';
import { firstLine } from './first-line.js';
import { parseOrExit, usageError, wholeNumber } from './program.js';
import { VERSION } from '../app/version.js';

const program = new Command('chat-client')
  .description(
    'Connects to a chat-server, registers, and chats. On a terminal it is interactive: type to ' +
      'send, and incoming lines appear above what you are typing. Without a terminal (stdin piped) ' +
      'it is a scripting tool: stdin lines are sent, and server lines are printed to stdout.',
  )
  .addOption(
    new Option('--host <hosts>', 'server address; several HOST[:PORT] separated by commas: the first that answers')
      .env('CHAT_HOST')
      .default(DEFAULT_HOST)
      .argParser(parseHosts),
  )
  .addOption(
    new Option('--port <port>', 'server port')
      .env('CHAT_PORT')
      .default(DEFAULT_PORT)
      .argParser(wholeNumber('the port', 1, 65535)),
  )
  .addOption(new Option('--name <name>', 'register under NAME; on a terminal you are asked when it is missing').env('CHAT_NAME'))
  .option('--send <text>', 'send TEXT after registering; repeat for several lines (scripting mode)', collect)
  .option('--expect <regex>', 'exit 0 at the first server line that REGEX finds a match in (scripting mode)')
  .option('--timeout <seconds>', 'give up after this long, exit 4 (default 10 when --expect is given)', seconds)
  .option('--tls', 'connect with TLS, verifying the server against the system CAs or --ca')
  .option('--ca <file>', 'trust the CA certificate (PEM) in FILE for --tls')
  .option('--insecure', 'with --tls, do not verify the server at all (anyone in between can read along)')
  .option('--udp', 'speak UDP to a server started with --udp-port (give that port as --port); best effort: lines may be lost')
  .option('--password-file <file>', 'send the password on the first line of FILE (or set CHAT_PASSWORD)')
  .addOption(
    new Option(
      '--device <name>',
      "with a password, log in as device NAME (1-32 letters, digits, _ or -), which is shown at each login what it missed (on a terminal, default: this machine's host name)",
    )
      .env('CHAT_DEVICE')
      .argParser(deviceName),
  )
  .option('--no-device', 'log in as no device in particular: no catch-up at login')
  .option('--strict', 'exit 5 when the server answers our input with an error line (scripting mode)')
  .option('--no-reconnect', 'on a terminal, exit 1 when the connection is lost instead of reconnecting')
  .option('--no-timestamps', 'on a terminal, no local time (HH:MM) before each received line')
  .option('--no-bell', 'on a terminal, no bell for a direct message or a message that names you (they are still highlighted)')
  .addOption(
    new Option(
      '--history <n>',
      'on a terminal, show the last N messages of the room after registering and after /join, and those missed while reconnecting (default 20; 0: none); in scripting mode, send /history N after registering',
    ).argParser(wholeNumber('the number of history messages', 0, 100)),
  )
  .option('--no-color', 'no colours (NO_COLOR in the environment does the same)')
  .version(VERSION, '-V, --version', 'print the version and exit')
  .helpOption('-h, --help', 'show this help and exit')
  .addHelpText(
    'after',
    `
Passwords (servers started with --users):
  From --password-file, else the CHAT_PASSWORD environment variable, else asked with
  hidden input on a terminal. Never as an argument: other users could read it in ps.

Devices (servers that allow an account several at once):
  With a password, the client logs in as a device: --device, else on a terminal this
  machine's host name. A device that logs in again is first shown its catch-up, what it
  missed: messages of your rooms, direct messages to you and those you sent elsewhere
  (*alice->bob* TEXT), dimmed at their local time, up to "end of catch-up". What you say,
  join and leave on another device shows here too. Scripting mode logs in as a device
  only with --device (or CHAT_DEVICE), and prints the catch-up as it comes.

On a terminal:
  Type a line and press Enter to send it: TEXT to the current room, @NAME:TEXT or /msg
  NAME TEXT to one user, #NAME or /nick NAME to rename, /join ROOM (you stay in the
  others), /part [ROOM] [REASON], /mine, /who, /help. Lines of your other rooms show
  their room, [dev], and the prompt counts their messages until you /join it:
  alice@dev (lobby 3)>. Tab completes the names of those in the chat (anywhere in a
  line), rooms after /join and /part, and commands (/kick, /ban ... for operators only).
  A direct message, or a message that names you, rings the bell (--no-bell: none) and
  shows highlighted. Ban times are shown in local time.
  A line over the server's limit goes as several messages; a paste of more than 5 lines
  asks first (marked by the terminal, or lines that come within 10 ms of each other).
  Ctrl-C clears the line; on an empty line, Ctrl-C twice, Ctrl-D, exit or /quit leaves.
  A lost connection is retried after 1, 2, 4 ... up to 30 s (shown in the prompt), under
  the same name, back in the same rooms, trying the other --host servers first;
  scripting mode never reconnects. Unknown commands are shown with where to look.
  History: after logging in and after joining a room, the room's last messages
  (--history, 20) are shown dimmed, at their local time; back after a lost connection,
  those of the current room missed meanwhile (up to 100). Messages kept for your account
  are shown at login.
  Logging in: after "authentication failed" the name is asked again (Enter keeps the one
  in brackets), then the password. Ctrl-C or Ctrl-D at the name or password prompt leaves.
  A reconnect that the server answers with "password required" (it checks passwords now)
  or "authentication failed" asks for the password.
  /passwd alone asks for your password and the new one (twice), hidden, and changes it
  (a server with accounts); no password is kept in the history of typed lines.

Scripting mode (stdin is not a terminal, or --send or --expect is given):
  Every stdin line is sent after the --send lines, exactly as written (no /msg, no
  splitting). Every server line is printed to stdout as it arrives, uncoloured, without
  times. Without --expect, the client waits until the server has handled everything it
  sent, then exits 0. With --expect it stays until a line matches. --history N sends
  /history N after registering; its answer is printed as it comes, like any line.

Exit codes:
  0    ok: left normally, input all handled, or --expect matched
  1    could not connect; the server did not take us (server full); the connection was
       lost (--no-reconnect, scripting mode) or closed on purpose (idle, account removed)
  2    usage error (a bad option or value)
  3    registration refused, at the login or a reconnect (name taken or invalid, too many
       devices, the account banned, no password in scripting mode), or too many failed
       logins
  4    --expect did not match, or the run did not finish, within --timeout
  5    --strict: the server answered our input with an error line (! ...)
  130  left with Ctrl-C or Ctrl-D at the name or password prompt (a reconnect's too)

Example (a CI smoke test; docs/scripting.md has the whole script):
  chat-client --port 12345 --name bob --expect '^\\*alice\\* hi$' > bob.out &
  # once bob.out shows "* registered as bob":
  echo '@bob:hi' | chat-client --port 12345 --name alice`,
  );

parseOrExit(program, process.argv);
const opts = program.opts<{
  host: string | HostPort[];
  port: number;
  name?: string;
  send?: string[];
  expect?: string;
  timeout?: number;
  tls?: boolean;
  ca?: string;
  insecure?: boolean;
  udp?: boolean;
  passwordFile?: string;
  device?: string | false;
  strict?: boolean;
  reconnect: boolean;
  timestamps: boolean;
  bell: boolean;
  history?: number;
  color: boolean;
}>();
// The default is not parsed by commander.
const hosts = (typeof opts.host === 'string' ? parseHosts(opts.host) : opts.host).map((h) => ({ host: h.host, port: h.port ?? opts.port }));
/** The server of HOSTS we are connected to: a reconnect tries the next one first. */
let current = 0;

if ((opts.ca !== undefined || opts.insecure) && !opts.tls) usageError('chat-client', '--ca and --insecure go with --tls.');
if (opts.udp && opts.tls) usageError('chat-client', '--udp and --tls do not go together: UDP is not encrypted.');
const ca = opts.ca === undefined ? undefined : readOrExit(opts.ca, 'the CA file');
if (ca && !ca.includes('-----BEGIN CERTIFICATE-----')) usageError('chat-client', `--ca ${opts.ca} holds no PEM certificate.`);
let password =
  opts.passwordFile === undefined ? process.env['CHAT_PASSWORD'] || undefined : firstLine(readOrExit(opts.passwordFile, 'the password file').toString('utf8'));
// A line end would split it: what follows would go to the room, in clear, after the login.
if (password !== undefined && /[\r\n]/.test(password)) usageError('chat-client', 'CHAT_PASSWORD must be one line: it holds a line end.');

let expect: RegExp | undefined;
if (opts.expect !== undefined) {
  try {
    expect = new RegExp(opts.expect);
  } catch (err) {
    usageError('chat-client', `--expect is not a valid regular expression: ${(err as Error).message}.`);
  }
}

const sends = opts.send ?? [];
const scripting = !process.stdin.isTTY || sends.length > 0 || expect !== undefined;
const colour = opts.color && !process.env['NO_COLOR'] && process.stdout.isTTY && !scripting;
const chalk = new Chalk({ level: colour ? (Math.max(chalkDefault.level, 1) as 1) : 0 });
const say = (text: string): void => void process.stderr.write(`chat-client: ${text}\n`);
const device = chooseDevice(opts.device, !scripting, hostname());
let warnedUdp = false;

process.exit(scripting ? await script() : await interactive());

async function connect(): Promise<ChatConnection> {
  try {
    if (opts.insecure) {
      say("WARNING: --insecure: the server's certificate is not checked. Anyone between you and the server can read and change everything, passwords too.");
    }
    if (opts.udp && !warnedUdp) {
      warnedUdp = true;
      say('UDP is best effort: lines can be lost, duplicated or come out of order, and nothing is encrypted.');
    }
    return await connectAny(current);
  } catch (err) {
    say(err instanceof Error ? err.message : String(err));
    process.exit(ExitCode.ConnectionLost);
  }
}

/** The first of --host's servers that answers, from START on, TRIES of them (all when not given). */
async function connectAny(start: number, tries?: number): Promise<ChatConnection> {
  const { conn, index } = await connectFirst(
    hosts,
    start,
    (host, port) => ChatConnection.connect(connectOptions(host, port)),
    (late) => void late.close(),
    tries,
  );
  current = index;
  return conn;
}

function connectOptions(host: string, port: number): ConnectOptions {
  return { host, port, tls: opts.tls ? { ca, insecure: opts.insecure } : undefined, udp: opts.udp ? {} : undefined };
}

async function script(): Promise<number> {
  // --timeout bounds the whole run, connecting included: a host that drops packets
  // would otherwise hold a CI job for the system's connect timeout, minutes.
  const timeout = opts.timeout ?? (expect ? 10 : undefined);
  const deadline = timeout === undefined ? undefined : Date.now() + timeout * 1000;
  const connecting =
    deadline === undefined
      ? undefined
      : setTimeout(() => {
          say(`could not connect to the server within ${timeout} s.`);
          process.exit(ExitCode.Timeout);
        }, deadline - Date.now());
  const conn = await connect();
  clearTimeout(connecting);
  return runScript({
    conn,
    name: opts.name,
    password,
    device,
    sends,
    expect,
    timeoutMs: deadline === undefined ? undefined : Math.max(1, deadline - Date.now()),
    timeoutSeconds: timeout,
    strict: opts.strict,
    history: opts.history,
    // On a terminal (--send or --expect given) there is nothing piped to read.
    input: process.stdin.isTTY ? Readable.from([]) : process.stdin,
    output: process.stdout,
    errors: process.stderr,
  });
}

async function interactive(): Promise<number> {
  const prompter = new Prompter(process.stdin, process.stdout);
  let maxLine: number | undefined;
  const early = (line: Parameters<typeof renderLine>[0]): void => {
    maxLine = lineLimitIn(line) ?? maxLine;
    // The client handles these itself: it asks for the password, hidden; it connects again
    // when the server gave up waiting while a prompt was open.
    const error = recogniseLoginError(line);
    if (error === 'password-required' || error === 'register-timeout') return;
    const stamp = opts.timestamps ? chalk.gray(`${timestamp(new Date())} `) : '';
    prompter.print(stamp + renderLine(terminalLine(line, new Date()), { chalk, self: opts.name }));
  };
  // Connect first: no point asking a name for a server that is not there.
  const open = async (): Promise<ChatConnection> => {
    const c = await connect();
    c.on('line', early);
    // Show the server's greeting before any prompt (no more than a moment's wait for it).
    await Promise.race([c.waitFor((l) => recogniseGreeting(l) !== undefined).catch(() => {}), sleep(2000)]);
    return c;
  };
  // At a prompt and while a password is checked the terminal is raw and Ctrl-C is a key
  // the prompter handles; while connecting it is a signal.
  const interrupted = (): void => {
    process.stdout.write('\n');
    say('left with Ctrl-C before logging in.');
    process.exit(ExitCode.Interrupted);
  };
  process.on('SIGINT', interrupted);
  const outcome = await login({ open, name: opts.name, password, device, prompter, say });
  process.off('SIGINT', interrupted);
  prompter.close();
  if (!outcome.ok) return outcome.code;
  const { conn, name } = outcome;
  password = outcome.password;
  conn.off('line', early);
  const reconnect = async (again: string, typed?: string): Promise<ChatConnection> => {
    // Another server of the chat first: the one we lost may be the one that is down. A
    // password typed for the server that asked goes to that one alone: another of the list
    // never asked for it, and may check none (or be anyone's).
    const next = typed === undefined ? await connectAny(current + 1) : await connectAny(current, 1);
    const result = await next.register(again, typed ?? password, { hold: true, device });
    if (result.ok) {
      // Asked for since the server checks passwords (or refused ours): the next reconnect needs it too.
      if (typed !== undefined) password = typed;
      return next;
    }
    await next.close();
    throw result.refused ? new Refused(result.reason, result.error, result.line) : new Error(result.reason);
  };
  return runInteractive({
    conn,
    name,
    reconnect: opts.reconnect ? reconnect : undefined,
    chalk,
    input: process.stdin,
    output: process.stdout,
    timestamps: opts.timestamps,
    bell: opts.bell,
    maxLine,
    history: opts.history ?? DEFAULT_HISTORY,
    passwordChanged: (fresh) => {
      // A reconnect logs in with it. Where the old one came from is not ours to change.
      password = fresh;
      const from = opts.passwordFile !== undefined ? `the password file ${opts.passwordFile}` : process.env['CHAT_PASSWORD'] ? 'CHAT_PASSWORD' : undefined;
      return from === undefined ? undefined : `${from} still holds the old password: change it there too.`;
    },
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function readOrExit(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    usageError('chat-client', `cannot read ${what} ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
  }
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** --device, CHAT_DEVICE: a name's characters; empty is no device, as --no-device. */
function deviceName(value: string): string | false {
  if (value === '') return false;
  if (!isValidName(value)) throw new InvalidArgumentError('A device name is 1 to 32 letters, digits, _ or -.');
  return value;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('The timeout must be a number of seconds above 0.');
  return n;
}
