#!/usr/bin/env node
import { Chalk } from 'chalk';
import { Command, Option } from 'commander';
import { formatHostPort } from '../protocol/wording.js';
import { ChatServer, DEFAULT_HOST, DEFAULT_PORT } from '../server/chat-server.js';
import { DEFAULT_LIMITS } from '../server/options.js';
import { formatEvent } from './log.js';
import { parseOrExit, wholeNumber } from './program.js';
import { VERSION } from './version.js';

/** Time allowed for a clean shutdown before the process exits anyway (issue: within 2 s). */
const SHUTDOWN_DEADLINE_MS = 1800;

const program = new Command('chat-server')
  .description(
    'A TCP chat server. Clients register with #NAME, send direct messages with @NAME:TEXT, and ' +
      'every other line goes to everyone in the room. chat-client, nc and telnet can all connect.',
  )
  .addOption(new Option('--host <host>', 'address to listen on; 0.0.0.0 for every interface').env('CHAT_HOST').default(DEFAULT_HOST))
  .addOption(
    new Option('--port <port>', 'TCP port to listen on; 0 picks a free one')
      .env('CHAT_PORT')
      .default(DEFAULT_PORT)
      .argParser(wholeNumber('the port', 0, 65535)),
  )
  .addOption(
    new Option('--max-line <bytes>', 'longest accepted line in bytes; longer ones get "! line too long"')
      .env('CHAT_MAX_LINE')
      .default(DEFAULT_LIMITS.maxLine)
      .argParser(wholeNumber('--max-line', 16, 1024 * 1024)),
  )
  .addOption(
    new Option('--flush-ms <ms>', 'bytes without a newline count as a line after this long; 0 turns it off')
      .env('CHAT_FLUSH_MS')
      .default(DEFAULT_LIMITS.flushMs)
      .argParser(wholeNumber('--flush-ms', 0, 60_000)),
  )
  .addOption(
    new Option('--max-clients <n>', 'connections at once; the next one gets "! server full"')
      .env('CHAT_MAX_CLIENTS')
      .default(DEFAULT_LIMITS.maxClients)
      .argParser(wholeNumber('--max-clients', 1)),
  )
  .addOption(
    new Option('--announce-max <n>', 'no joined/left/renamed notices while more users than this are online')
      .env('CHAT_ANNOUNCE_MAX')
      .default(DEFAULT_LIMITS.announceMax)
      .argParser(wholeNumber('--announce-max', 0)),
  )
  .addOption(
    new Option('--max-sendq <bytes>', 'bytes queued for a client that does not read before it is cut off')
      .env('CHAT_MAX_SENDQ')
      .default(DEFAULT_LIMITS.maxSendq)
      .argParser(wholeNumber('--max-sendq', 4096)),
  )
  .addOption(new Option('-q, --quiet', 'do not log connections and other events to stderr').env('CHAT_QUIET'))
  .version(VERSION, '-V, --version', 'print the version and exit')
  .helpOption('-h, --help', 'show this help and exit')
  .addHelpText(
    'after',
    `
Output:
  The first line on stdout is "listening on HOST:PORT", printed once the port is bound.
  Events (connect, register, rename, leave, rejected input) go to stderr, one line each.

Signals:
  SIGINT, SIGTERM  tell every client "* server shutting down", close, and exit 0

Exit codes:
  0  stopped by SIGINT or SIGTERM
  1  could not listen (port in use, address not on this machine, no permission)
  2  usage error (a bad option or value)

Example:
  chat-server --host 0.0.0.0 --port 12345     then: nc HOST 12345, and type #yourname`,
  );

parseOrExit(program, process.argv);
const opts = program.opts<{
  host: string;
  port: number;
  maxLine: number;
  flushMs: number;
  maxClients: number;
  announceMax: number;
  maxSendq: number;
  quiet?: boolean;
}>();

const chalk = new Chalk({ level: process.stderr.isTTY && !process.env['NO_COLOR'] ? 1 : 0 });
const server = new ChatServer({
  host: opts.host,
  port: opts.port,
  maxLine: opts.maxLine,
  flushMs: opts.flushMs,
  maxClients: opts.maxClients,
  announceMax: opts.announceMax,
  maxSendq: opts.maxSendq,
  onEvent: opts.quiet
    ? (e) => {
        if (e.type === 'error') process.stderr.write(`${formatEvent(e, chalk)}\n`);
      }
    : (e) => process.stderr.write(`${formatEvent(e, chalk)}\n`),
});

try {
  const { host, port } = await server.listen();
  process.stdout.write(`listening on ${formatHostPort(host, port)}\n`);
} catch (err) {
  process.stderr.write(`chat-server: ${listenError(err as NodeJS.ErrnoException, opts.host, opts.port)}\n`);
  process.exit(1);
}

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) process.exit(0); // a second Ctrl-C: do not wait
  stopping = true;
  if (!opts.quiet) process.stderr.write(`${chalk.gray(new Date().toISOString())} ${signal}: shutting down\n`);
  setTimeout(() => process.exit(0), SHUTDOWN_DEADLINE_MS).unref();
  void server.close().then(() => process.exit(0));
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));

function listenError(err: NodeJS.ErrnoException, host: string, port: number): string {
  const where = formatHostPort(host, port);
  switch (err.code) {
    case 'EADDRINUSE':
      return `${where} is already in use. Stop the program using it, or choose another port with --port (0 picks a free one).`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${host}: that address is not one of this machine's. Use 127.0.0.1, 0.0.0.0 or an address this machine has.`;
    case 'EACCES':
      return `no permission to listen on ${where}: ports below 1024 need root. Choose a port from 1024 up with --port.`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on ${host}: the host name could not be resolved. Check --host.`;
    default:
      return `cannot listen on ${where}: ${err.message}`;
  }
}
