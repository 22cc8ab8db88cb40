import { isIP } from 'node:net';
import { Chalk } from 'chalk';
import { Command, Option } from 'commander';
import { formatHostPort, type BoundAddress } from '../protocol/host-port.js';
import { ChatServer, DEFAULT_HOST, DEFAULT_PORT, IrcBindError } from '../app/server.js';
import { ClusterMismatchError, DEFAULT_LEASE_MS, RedisUnavailableError } from '../hub/redis/hub.js';
import { DEFAULT_LIMITS } from '../server/options.js';
import { UsersFileError } from '../accounts/users-file.js';
import { DEFAULT_UDP_HELLO_RATE, DEFAULT_UDP_IDLE_MS, UdpBindError } from '../transport/udp.js';
import { metricsAddress } from './metrics-option.js';
import { clusterAddress, clusterLink, peerLinks } from './cluster-link.js';
import { MetricsBindError, MetricsOption, StderrLog } from './ops.js';
import { runPasswd, type PasswdOptions } from './passwd.js';
import { hangupEnds, onHangup } from './early-hup.js';
import { hostName, parseOrExit, redisUrl, usageError, wholeNumber } from './program.js';
import { VERSION } from '../app/version.js';
import { DEFAULT_HISTORY_MEMORY, DEFAULT_STORE_LIMITS } from '../store/store.js';

const DAY_MS = 24 * 3600 * 1000;

/** Time allowed for a clean shutdown before the process exits anyway (issue: within 2 s). */
const SHUTDOWN_DEADLINE_MS = 1800;

const program = new Command('chat-server')
  .description(
    'A TCP chat server. Clients register with #NAME, send direct messages with @NAME:TEXT, and ' +
      'every other line goes to everyone in the room. chat-client, nc and telnet can all connect.',
  )
  .addOption(new Option('--host <host>', 'address to listen on; 0.0.0.0 for every interface').env('CHAT_HOST').default(DEFAULT_HOST).argParser(hostName))
  .addOption(
    new Option('--port <port>', 'TCP port to listen on; 0 picks a free one')
      .env('CHAT_PORT')
      .default(DEFAULT_PORT)
      .argParser(wholeNumber('the port', 0, 65535)),
  )
  .addOption(
    new Option('--udp-port <port>', 'also serve UDP on this port (nc -u; see docs/udp.md); 0 picks a free one; off by default')
      .env('CHAT_UDP_PORT')
      .argParser(wholeNumber('the UDP port', 0, 65535)),
  )
  .addOption(
    new Option('--irc-port <port>', 'also serve IRC on this port (irssi, weechat, HexChat; see docs/irc.md); 0 picks a free one; off by default')
      .env('CHAT_IRC_PORT')
      .argParser(wholeNumber('the IRC port', 0, 65535)),
  )
  .addOption(
    new Option('--irc-tls-port <port>', 'also serve IRC over TLS on this port, with --tls-cert and --tls-key; off by default')
      .env('CHAT_IRC_TLS_PORT')
      .argParser(wholeNumber('the IRC TLS port', 0, 65535)),
  )
  .addOption(
    new Option(
      '--web-port <port>',
      'also serve the web chat and IRC over WebSocket on this port (see docs/web.md); HTTPS with --tls-cert; 0 picks a free one; off by default',
    )
      .env('CHAT_WEB_PORT')
      .argParser(wholeNumber('the web port', 0, 65535)),
  )
  .addOption(
    new Option(
      '--web-origin <origin>',
      "with --web-port: this server's public name, or another site, whose pages may open a WebSocket here, as https://host[:port] (repeat for more); the web port answers only to these hosts, IP addresses, localhost and this machine's host name",
    ).argParser(webOrigin),
  )
  .addOption(
    new Option(
      '--trusted-proxy <address>',
      "with --web-port: a reverse proxy's address, whose X-Forwarded-For, X-Forwarded-Host and X-Forwarded-Proto are believed (repeat for more)",
    ).argParser(trustedProxy),
  )
  .addOption(
    new Option('--server-name <name>', "the server's name in IRC replies (default: this machine's host name)").env('CHAT_SERVER_NAME').argParser(serverName),
  )
  .addOption(
    new Option('--guests', 'with --users: names that are not accounts may be used without a password (as on an IRC network with registered nicks)').env(
      'CHAT_GUESTS',
    ),
  )
  .addOption(
    new Option('--udp-hello-rate <n>', 'answers a second to UDP addresses not verified yet, all of them together')
      .env('CHAT_UDP_HELLO_RATE')
      .default(DEFAULT_UDP_HELLO_RATE)
      .argParser(wholeNumber('--udp-hello-rate', 1, 100_000)),
  )
  .addOption(
    new Option('--udp-idle <s>', 'a UDP user silent for this many seconds is closed (at least 60: chat-client --udp pings every 20 s)')
      .env('CHAT_UDP_IDLE')
      .default(DEFAULT_UDP_IDLE_MS / 1000)
      .argParser(wholeNumber('--udp-idle', 60, 86_400)),
  )
  .addOption(
    new Option('--max-line <bytes>', 'longest accepted line in bytes; longer ones get "! line too long"')
      .env('CHAT_MAX_LINE')
      .default(DEFAULT_LIMITS.maxLine)
      .argParser(wholeNumber('--max-line', 16, 1024 * 1024)),
  )
  .addOption(
    new Option('--flush-ms <ms>', 'for clients that never send a newline: bytes that waited this long are a line; 0 turns it off')
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
    new Option('--announce-max <n>', 'no joined/left/renamed notices in a room while it has more users than this')
      .env('CHAT_ANNOUNCE_MAX')
      .default(DEFAULT_LIMITS.announceMax)
      .argParser(wholeNumber('--announce-max', 0)),
  )
  .addOption(
    new Option('--max-rooms <n>', 'rooms at once; /join refuses to create one more')
      .env('CHAT_MAX_ROOMS')
      .default(DEFAULT_LIMITS.maxRooms)
      .argParser(wholeNumber('--max-rooms', 1)),
  )
  .addOption(
    new Option('--max-rooms-per-user <n>', 'rooms one user may be in at once; /join refuses one more')
      .env('CHAT_MAX_ROOMS_PER_USER')
      .default(DEFAULT_LIMITS.maxRoomsPerUser)
      .argParser(wholeNumber('--max-rooms-per-user', 1)),
  )
  .addOption(
    new Option('--max-owned-rooms-per-account <n>', 'rooms one account may own (their settings kept while empty); 0: none are kept')
      .env('CHAT_MAX_OWNED_ROOMS_PER_ACCOUNT')
      .default(DEFAULT_LIMITS.maxOwnedRoomsPerAccount)
      .argParser(wholeNumber('--max-owned-rooms-per-account', 0)),
  )
  .addOption(
    new Option('--max-sendq <bytes>', 'bytes queued for a client that does not read before it is cut off')
      .env('CHAT_MAX_SENDQ')
      .default(DEFAULT_LIMITS.maxSendq)
      .argParser(wholeNumber('--max-sendq', 4096)),
  )
  .addOption(
    new Option('--max-per-ip <n>', 'connections at once from one address (an IPv6 /64 counts as one); 0 for no limit')
      .env('CHAT_MAX_PER_IP')
      .default(DEFAULT_LIMITS.maxPerIp)
      .argParser(wholeNumber('--max-per-ip', 0)),
  )
  .addOption(
    new Option('--rate <lines>', 'lines a second one client may send on average (each 4 KiB of a long answer counts as a line); 0 turns flood control off')
      .env('CHAT_RATE')
      .default(DEFAULT_LIMITS.rate)
      .argParser(wholeNumber('--rate', 0)),
  )
  .addOption(
    new Option('--burst <lines>', 'lines one client may send at once (a paste) before --rate applies')
      .env('CHAT_BURST')
      .default(DEFAULT_LIMITS.burst)
      .argParser(wholeNumber('--burst', 1)),
  )
  .addOption(
    new Option('--register-timeout <s>', 'close connections not registered after this many seconds; 0 never')
      .env('CHAT_REGISTER_TIMEOUT')
      .default(DEFAULT_LIMITS.registerTimeoutMs / 1000)
      .argParser(wholeNumber('--register-timeout', 0)),
  )
  .addOption(
    new Option('--idle-timeout <s>', 'close connections silent for this many seconds; 0 never')
      .env('CHAT_IDLE_TIMEOUT')
      .default(DEFAULT_LIMITS.idleTimeoutMs / 1000)
      .argParser(wholeNumber('--idle-timeout', 0)),
  )
  .addOption(
    new Option('--history <n>', 'room messages each room keeps for /history; 0 keeps none')
      .env('CHAT_HISTORY')
      .default(DEFAULT_STORE_LIMITS.history)
      .argParser(wholeNumber('--history', 0, 1_000_000)),
  )
  .addOption(
    new Option('--history-memory <bytes>', "without --db or --redis: bytes all rooms' history may take in memory; the oldest messages go first")
      .env('CHAT_HISTORY_MEMORY')
      .default(DEFAULT_HISTORY_MEMORY)
      .argParser(wholeNumber('--history-memory', 0)),
  )
  .addOption(
    new Option('--history-disk <bytes>', "with --db or --redis: bytes all rooms' history may take in the file or in Redis; the oldest messages go first")
      .env('CHAT_HISTORY_DISK')
      .default(DEFAULT_STORE_LIMITS.historyDisk)
      .argParser(wholeNumber('--history-disk', 0)),
  )
  .addOption(
    new Option('--offline-max <n>', 'with --users: direct messages kept for an account while it is offline; more are refused')
      .env('CHAT_OFFLINE_MAX')
      .default(DEFAULT_STORE_LIMITS.offlineMax)
      .argParser(wholeNumber('--offline-max', 0, 100_000)),
  )
  .addOption(
    new Option('--offline-days <d>', 'with --users: kept messages older than this many days are dropped')
      .env('CHAT_OFFLINE_DAYS')
      .default(DEFAULT_STORE_LIMITS.offlineMs / DAY_MS)
      .argParser(wholeNumber('--offline-days', 1, 3650)),
  )
  .addOption(
    new Option('--max-devices <n>', 'with --users: connections one account may have logged in at once (a laptop, a phone); 1: a new login closes the older one')
      .env('CHAT_MAX_DEVICES')
      .default(DEFAULT_LIMITS.maxDevices)
      .argParser(wholeNumber('--max-devices', 1, 1000)),
  )
  .addOption(
    new Option(
      '--catchup-days <d>',
      "with --users: how far back a named device's catch-up goes; accounts' direct messages are kept this long for it; 0: no catch-up, none kept",
    )
      .env('CHAT_CATCHUP_DAYS')
      .default(DEFAULT_LIMITS.catchupMs / DAY_MS)
      .argParser(wholeNumber('--catchup-days', 0, 3650)),
  )
  .addOption(new Option('--db <file>', 'keep history, kept messages and bans in this SQLite file, across restarts (see docs/storage.md)').env('CHAT_DB'))
  .addOption(new Option('--users <file>', 'only the users in FILE may register, with their passwords (see "passwd" below)').env('CHAT_USERS'))
  .addOption(new Option('--tls-cert <file>', 'serve TLS with this certificate (PEM); needs --tls-key').env('CHAT_TLS_CERT'))
  .addOption(new Option('--tls-key <file>', 'the private key (PEM) of --tls-cert').env('CHAT_TLS_KEY'))
  .addOption(
    new Option(
      '--redis <url>',
      'join every server on this Redis into one chat: redis://[USER:PASSWORD@]HOST:PORT[/DB], rediss:// for TLS, or redis+sentinel://[USER:PASSWORD@]HOST:PORT[,HOST:PORT...]/MASTER[/DB] to follow Sentinel',
    )
      .env('CHAT_REDIS')
      .argParser(redisUrl),
  )
  .addOption(
    new Option('--redis-lease <ms>', "a dead server's users are freed this long after it was last heard from")
      .env('CHAT_REDIS_LEASE')
      .default(DEFAULT_LEASE_MS)
      .argParser(wholeNumber('--redis-lease', 1000, 600_000)),
  )
  .addOption(
    new Option(
      '--cluster-link <host:port>',
      "with --redis: listen on HOST:PORT for direct links from the other servers, which carry direct messages without a round through Redis; the default is --host and any free port (off by default with rediss://: the links are not encrypted); 'off' for none",
    )
      .env('CHAT_CLUSTER_LINK')
      .argParser(clusterLink),
  )
  .addOption(
    new Option(
      '--cluster-address <host:port>',
      "with --redis: the address the other servers reach this one's direct links at, when it is not the one they listen on (NAT, a container's published port)",
    )
      .env('CHAT_CLUSTER_ADDRESS')
      .argParser(clusterAddress),
  )
  // Operations (docs/operations.md): metrics and the log format.
  .addOption(
    new Option(
      '--metrics <host:port>',
      'serve Prometheus metrics at /metrics and a health check at /healthz on HOST:PORT (HTTP, no TLS: keep it on a private address); off by default',
    )
      .env('CHAT_METRICS')
      .argParser(metricsAddress),
  )
  .addOption(
    new Option('--log-format <format>', 'events on stderr as text lines, or one JSON object a line for log shippers')
      .env('CHAT_LOG_FORMAT')
      .choices(['text', 'json'])
      .default('text'),
  )
  .addOption(new Option('-q, --quiet', 'do not log connections and other events to stderr').env('CHAT_QUIET'))
  .version(VERSION, '-V, --version', 'print the version and exit')
  .helpOption('-h, --help', 'show this help and exit')
  .addHelpText(
    'after',
    `
Output:
  The first line on stdout is "listening on HOST:PORT", printed once the port is bound;
  with --udp-port, "udp on HOST:PORT" follows; with --irc-port, "irc on HOST:PORT"; with
  --irc-tls-port, "irc+tls on HOST:PORT"; with --web-port, "web on HOST:PORT"; then with
  --metrics "metrics on HOST:PORT".
  Events (connect, register, rename, leave, rejected input, moderation) go to stderr, one
  line each; with --log-format json, one JSON object each. Passwords and what users write
  are never logged.

Signals:
  SIGINT, SIGTERM  tell every client "* server shutting down", close, and exit 0
  SIGHUP           re-read the TLS certificate and the users file (which is also
                   re-read whenever it changes, once it has stayed unchanged for 1 s);
                   users no longer in it are dropped

Accounts:
  chat-server passwd FILE NAME             add NAME, or change its password: asked twice
                                           on a terminal, else the first line of stdin
  chat-server passwd --delete FILE NAME    remove NAME
  chat-server passwd --op FILE NAME        mark NAME as an operator (--no-op: unmark)
  chat-server passwd --list FILE           list the accounts and who is an operator
  Users change their own password with /passwd OLD NEW in the chat (chat-client asks
  for both, hidden): the server rewrites FILE under its lock, so FILE and its folder
  must be writable by the server.

Several servers:
  Servers started with the same --redis form one chat: names, direct messages, the room
  and /who span them all. Put a password in CHAT_REDIS rather than on the command line,
  where ps shows it. While Redis is unreachable each server goes on serving its own
  users; what needs the others gets "! ... cluster unavailable".

Exit codes:
  0  stopped by SIGINT or SIGTERM
  1  could not listen (port in use, address not on this machine, no permission), or
     could not use the users file, the TLS files or Redis; for passwd: nothing was changed
  2  usage error (a bad option or value)

Example:
  chat-server --host 0.0.0.0 --port 12345     then: nc HOST 12345, and type #yourname`,
  );

program
  .command('passwd')
  .description('add a user to a users file or change their password; --delete, --op, --list: see passwd --help')
  .argument('<file>', 'the users file; created (mode 0600) if missing')
  .argument('[name]', 'the user name')
  .option('--delete', 'remove the user')
  .option('--op', 'mark the user as an operator (/kick, /ban); the password is kept')
  .option('--no-op', 'remove the operator mark')
  .option('--list', 'list the accounts of FILE, one a line: the name, and "operator" for operators')
  .option('--password-stdin', 'read the password from the first line of stdin, even on a terminal')
  .addHelpText(
    'after',
    `
A password is asked twice (hidden) on a terminal, else read from the first line of stdin.
It must fit in one login line, "#NAME PASSWORD" of at most 4096 bytes, and hold no
control characters (the server removes them). FILE has one NAME:HASH line per user,
NAME:HASH:op for an operator.`,
  )
  .action(async (file: string, name: string | undefined, options: PasswdOptions) => {
    // A hangup (its terminal closed) ends it, as the signal does by default.
    hangupEnds();
    process.exit(await runPasswd(file, name, options));
  });
program.action(serve);

parseOrExit(program, process.argv);

interface ServeOptions {
  host: string;
  port: number;
  udpPort?: number;
  ircPort?: number;
  ircTlsPort?: number;
  webPort?: number;
  webOrigin?: string[];
  trustedProxy?: string[];
  serverName?: string;
  guests?: boolean;
  udpHelloRate: number;
  udpIdle: number;
  maxLine: number;
  flushMs: number;
  maxClients: number;
  announceMax: number;
  maxRooms: number;
  maxRoomsPerUser: number;
  maxOwnedRoomsPerAccount: number;
  maxSendq: number;
  maxPerIp: number;
  rate: number;
  burst: number;
  registerTimeout: number;
  idleTimeout: number;
  history: number;
  historyMemory: number;
  historyDisk: number;
  offlineMax: number;
  offlineDays: number;
  catchupDays: number;
  db?: string;
  users?: string;
  tlsCert?: string;
  tlsKey?: string;
  redis?: string;
  redisLease: number;
  clusterLink?: BoundAddress | 'off';
  clusterAddress?: BoundAddress;
  quiet?: boolean;
  metrics?: BoundAddress;
  logFormat: 'text' | 'json';
}

async function serve(): Promise<void> {
  // A log reader that goes away (2>&1 | head, a restarted shipper) must not take the server down.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  const {
    metrics: metricsOn,
    logFormat,
    tlsCert,
    tlsKey,
    quiet,
    users,
    registerTimeout,
    idleTimeout,
    redis,
    redisLease,
    clusterLink: link,
    clusterAddress: linkAddress,
    udpPort,
    ircPort,
    ircTlsPort,
    webPort,
    webOrigin,
    trustedProxy,
    serverName: ircName,
    guests,
    udpHelloRate,
    udpIdle,
    history,
    historyMemory,
    historyDisk,
    offlineMax,
    offlineDays,
    catchupDays,
    db,
    ...limits
  } = program.opts<ServeOptions>();
  if (udpPort === undefined) {
    for (const option of ['udpHelloRate', 'udpIdle']) {
      if (program.getOptionValueSource(option) !== 'default') usageError('chat-server', '--udp-hello-rate and --udp-idle apply to UDP: add --udp-port PORT.');
    }
  }
  if ((tlsCert === undefined) !== (tlsKey === undefined)) usageError('chat-server', 'TLS needs both --tls-cert and --tls-key.');
  if (ircTlsPort !== undefined && tlsCert === undefined) usageError('chat-server', '--irc-tls-port needs a certificate: add --tls-cert FILE --tls-key FILE.');
  if (webPort === undefined && (webOrigin !== undefined || trustedProxy !== undefined)) {
    usageError('chat-server', '--web-origin and --trusted-proxy apply to the web port: add --web-port PORT.');
  }
  if (guests && users === undefined) usageError('chat-server', '--guests applies to a server with accounts: add --users FILE.');
  if (redis === undefined && program.getOptionValueSource('redisLease') !== 'default') {
    usageError('chat-server', '--redis-lease only applies to several servers: add --redis URL.');
  }
  if (redis === undefined && (link !== undefined || linkAddress !== undefined)) {
    usageError('chat-server', '--cluster-link and --cluster-address only apply to several servers: add --redis URL.');
  }
  if (link === 'off' && linkAddress !== undefined)
    usageError('chat-server', '--cluster-address is where the links are reached: drop it, or --cluster-link off.');
  if (db !== undefined && redis !== undefined) {
    usageError('chat-server', '--db and --redis do not go together: with --redis, history, kept messages and bans live in Redis.');
  }
  const tls = tlsCert && tlsKey ? { cert: tlsCert, key: tlsKey } : undefined;
  const chalk = new Chalk({ level: process.stderr.isTTY && !process.env['NO_COLOR'] ? 1 : 0 });
  const stderr = new StderrLog(logFormat, chalk);
  const metrics = new MetricsOption(metricsOn);

  const catchupMs = catchupDays * DAY_MS;
  const storeLimits = { history, offlineMax, offlineMs: offlineDays * DAY_MS, historyDisk, catchupMs };
  const storeEvents = {
    onError: (err: Error) => stderr.event({ type: 'error', message: err.message }),
    onWrite: (ms: number) => metrics.metrics?.observeStoreWrite(ms),
    onWarning: (message: string) => stderr.event({ type: 'notice', message: `warning: ${message}` }),
  };
  let server: ChatServer;
  try {
    // Loaded only when asked for: a machine where the native module did not build still serves.
    const store = db === undefined ? undefined : new (await import('../store/sqlite-store.js')).SqliteStore(db, storeLimits, Date.now, storeEvents);
    server = new ChatServer({
      store,
      ...limits,
      catchupMs,
      registerTimeoutMs: registerTimeout * 1000,
      idleTimeoutMs: idleTimeout * 1000,
      udpPort,
      udpHelloRate,
      udpIdleMs: udpIdle * 1000,
      ircPort,
      ircTlsPort,
      webPort,
      webOrigins: webOrigin,
      trustedProxies: trustedProxy,
      serverName: ircName,
      guests: guests === true,
      storeLimits,
      storeEvents,
      historyMemory,
      users,
      tls,
      redis: redis === undefined ? undefined : { url: redis, leaseMs: redisLease, peers: peerLinks(link, redis, limits.host, linkAddress) },
      // --quiet keeps errors: they are the operator's to fix.
      onEvent: metrics.onEvent((e) => {
        if (!quiet || e.type === 'error') stderr.event(e);
      }),
    });
  } catch (err) {
    const hint = err instanceof UsersFileError && err.line === undefined ? ' Create it with: chat-server passwd FILE NAME' : '';
    stderr.error(`${(err as Error).message}.${hint}`);
    process.exit(1);
  }

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) process.exit(0); // a second Ctrl-C: do not wait
    stopping = true;
    if (!quiet) stderr.stopping(signal);
    setTimeout(() => process.exit(0), SHUTDOWN_DEADLINE_MS).unref();
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // Before listening: a SIGHUP that comes right after "listening on" must not kill us (one
  // that came while the modules loaded is carried out now: early-hup.ts).
  onHangup(() => server.reload());
  try {
    const { host, port } = await server.listen();
    // Bound before anything is said: a metrics port in use stops the server before it is announced.
    const metricsAt = await metrics.start(server);
    process.stdout.write(`listening on ${formatHostPort(host, port)}\n`);
    const udp = server.udpAddress;
    if (udp) process.stdout.write(`udp on ${formatHostPort(udp.host, udp.port)}\n`);
    const irc = server.ircAddress;
    if (irc) process.stdout.write(`irc on ${formatHostPort(irc.host, irc.port)}\n`);
    const ircTls = server.ircTlsAddress;
    if (ircTls) process.stdout.write(`irc+tls on ${formatHostPort(ircTls.host, ircTls.port)}\n`);
    const web = server.webAddress;
    if (web) process.stdout.write(`web on ${formatHostPort(web.host, web.port)}\n`);
    if (metricsAt) process.stdout.write(`metrics on ${formatHostPort(metricsAt.host, metricsAt.port)}\n`);
  } catch (err) {
    const message =
      err instanceof RedisUnavailableError || err instanceof ClusterMismatchError
        ? `${err.message}.`
        : err instanceof UdpBindError
          ? listenError(err.error, err.host, err.port, '--udp-port', 'UDP ')
          : err instanceof IrcBindError
            ? listenError(err.error, err.host, err.port, err.option, err.option === '--web-port' ? 'web ' : 'IRC ')
            : err instanceof MetricsBindError
              ? listenError(err.error, err.host, err.port, '--metrics', 'metrics ')
              : listenError(err as NodeJS.ErrnoException, limits.host, limits.port);
    stderr.error(message);
    process.exit(1);
  }
  // Said once at start, whatever --quiet says.
  if (!tls && !isLoopback(limits.host)) {
    stderr.warning(`listening on ${limits.host} without TLS: everything sent crosses the network in clear. Add --tls-cert and --tls-key.`);
  }
  if (udpPort !== undefined && !isLoopback(limits.host)) {
    stderr.warning('UDP has no TLS: what UDP users send, passwords too, crosses the network in clear.');
  }
  if (!tls && users) {
    stderr.warning('checking passwords without TLS: they cross the network in clear. Add --tls-cert and --tls-key.');
  }
}

/** --web-origin, repeatable: an origin as a browser sends it (scheme, host, port; no path). */
function webOrigin(value: string, before: string[] | undefined): string[] {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (
    url === undefined ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.pathname !== '/' ||
    url.search !== '' ||
    !/^https?:\/\/[^/]+\/?$/.test(value)
  ) {
    usageError('chat-server', `--web-origin must be an origin such as https://chat.example.com or http://localhost:8080, not "${value}".`);
  }
  return [...(before ?? []), url!.origin];
}

/** --trusted-proxy, repeatable: an IP address. */
function trustedProxy(value: string, before: string[] | undefined): string[] {
  if (isIP(value) === 0) usageError('chat-server', `--trusted-proxy must be an IP address such as 127.0.0.1, not "${value}".`);
  return [...(before ?? []), value];
}

/** --server-name: one word an IRC line can carry as a source (no space, no ':', not empty). */
function serverName(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/.test(value))
    usageError('chat-server', `--server-name must be a host name (letters, digits, dots, dashes), not "${value}".`);
  return value;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function listenError(err: NodeJS.ErrnoException, host: string, port: number, option = '--port', kind = ''): string {
  const where = `${kind}${formatHostPort(host, port)}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return `${where} is already in use. Stop the program using it, or choose another port with ${option} (0 picks a free one).`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${host}: that address is not one of this machine's. Use 127.0.0.1, 0.0.0.0 or an address this machine has.`;
    case 'EACCES':
      return `no permission to listen on ${where}: ports below 1024 need root. Choose a port from 1024 up with ${option}.`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on ${host}: the host name could not be resolved. Check --host.`;
    default:
      return err.code ? `cannot listen on ${where}: ${err.message}` : err.message;
  }
}
