#!/usr/bin/env node
/**
 * `npm run bench:attacks`: the floods of the trust tests, against the real chat-server
 * process with default options, measured from outside: how much the server's memory grows
 * (VmRSS from /proc) and the slowest /ping of a bystander while each flood runs. The tests
 * prove the bounds with a fake clock; this shows what they mean in milliseconds and
 * megabytes on this machine. Every flood is bounded in count and time, on 127.0.0.1 only
 * (the web floods spread over 127.0.0.2 and up: every address of 127.0.0.0/8 is this machine).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { hashPassword } from '../src/accounts/password-hash.js';
import { openFiles } from './proc-stats.js';

const SERVER = fileURLToPath(new URL('../src/cli/chat-server.js', import.meta.url));
const json = process.argv.includes('--json');

interface Row {
  flood: string;
  rssGrowthMiB: number;
  worstPingMs: number;
  /** The 99th percentile of the bystander's round trips, where they were timed. */
  p99PingMs?: number;
  pings: number;
  note: string;
  /** The web floods: the server's RSS growth per socket held (growth of its open files), KiB. */
  kibPerSocket?: number;
}

const children = new Set<ChildProcess>();
process.on('exit', () =>
  children.forEach((c) => {
    c.kill('SIGKILL');
  }),
);

/**
 * Starts chat-server with ARGS; resolves with its line port and, with --web-port in ARGS,
 * its web port (the `web on HOST:PORT` line that follows `listening on`).
 */
async function startServer(args: string[]): Promise<{ proc: ChildProcess; port: number; webPort: number }> {
  const proc = spawn(process.execPath, [SERVER, '--port', '0', '--quiet', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(proc);
  const web = args.includes('--web-port');
  const text = await new Promise<string>((resolve) => {
    let text = '';
    proc.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\n') && (!web || /^web on .*\n/m.test(text))) resolve(text);
    });
  });
  const port = (line: string): number => Number(new RegExp(`^${line} on .*:(\\d+)$`, 'm').exec(text)?.[1]);
  return { proc, port: port('listening'), webPort: web ? port('web') : NaN };
}

function stop(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
    children.delete(proc);
  });
}

function rssMiB(proc: ChildProcess): number {
  const status = readFileSync(`/proc/${proc.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** A connection that collects lines and can wait for one. */
class Conn {
  readonly socket: net.Socket;
  #buffer = '';
  #waiters: { test: (l: string) => boolean; resolve: (l: string) => void }[] = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    socket.on('data', (d: string) => {
      this.#buffer += d;
      let nl: number;
      while ((nl = this.#buffer.indexOf('\n')) !== -1) {
        const line = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        const i = this.#waiters.findIndex((w) => w.test(line));
        if (i !== -1) this.#waiters.splice(i, 1)[0]!.resolve(line);
      }
    });
  }

  static async open(port: number): Promise<Conn> {
    const socket = net.connect({ host: '127.0.0.1', port });
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new Conn(socket);
  }

  until(test: (l: string) => boolean, ms = 120_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer in time')), ms);
      this.#waiters.push({
        test,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
    });
  }

  async register(name: string, password?: string): Promise<void> {
    const done = this.until((l) => l.startsWith(`* registered as ${name}`) || l.startsWith('!'));
    this.socket.write(`#${name}${password ? ` ${password}` : ''}\n`);
    const line = await done;
    if (!line.startsWith('*')) throw new Error(`${name}: ${line}`);
  }
}

/**
 * Pings every EVERY ms while FLOOD runs; the slowest round trip, the 99th percentile and how
 * many there were. Every 20 ms is 50 lines a second, over the default --rate of 10: with
 * flood control on, each round trip then includes the bystander's own wait for its turn
 * (about 80 ms on an idle server); the web floods ping every 150 ms, under the rate.
 */
async function pingDuring(pinger: Conn, flood: () => Promise<void>, every = 20): Promise<{ worst: number; p99: number; pings: number }> {
  let running = true;
  let worst = 0;
  let pings = 0;
  const times: number[] = [];
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const t0 = performance.now();
      const pong = pinger.until((l) => l === `* pong p${i}`);
      pinger.socket.write(`/ping p${i}\n`);
      await pong;
      const ms = performance.now() - t0;
      times.push(ms);
      worst = Math.max(worst, ms);
      pings += 1;
      await new Promise((r) => setTimeout(r, every));
    }
  })();
  await flood();
  running = false;
  await loop;
  times.sort((a, b) => a - b);
  return { worst, p99: times[Math.min(times.length - 1, Math.floor(times.length * 0.99))] ?? 0, pings };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs a flood in a process of its own, so that the bystander's round trips measure the
 * server, not this process's event loop busy writing megabytes.
 */
function floodProcess(port: number, script: string): ChildProcess {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, String(port)], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.add(child);
  return child;
}

/** 99 connections of one address, each writing 8 MiB of empty lines as fast as it may, for 5 s. */
const BLANK_FLOOD = `
import net from 'node:net';
const port = Number(process.argv[1]);
const blanks = Buffer.alloc(1024 * 1024, 10);
for (let i = 0; i < 99; i++) {
  const s = net.connect({ host: '127.0.0.1', port });
  s.on('error', () => {});
  s.on('data', () => {});
  s.on('connect', () => { for (let j = 0; j < 8; j++) s.write(blanks); });
}
setTimeout(() => process.exit(0), 5000);
`;

/**
 * Starts a server with ARGS and a bystander, runs SCRIPT as a flood process until it exits
 * (sampling the server's RSS every 200 ms), and gives its row.
 */
async function floodRow(args: string[], script: string, flood: string, note: string): Promise<Row> {
  const { proc, port } = await startServer(args);
  const pinger = await Conn.open(port);
  await pinger.register('pinger');
  const before = rssMiB(proc);
  let peak = before;
  const { worst, p99, pings } = await pingDuring(pinger, async () => {
    const child = floodProcess(port, script);
    let done = false;
    const exited = new Promise((resolve) => child.once('exit', resolve)).then(() => (done = true));
    while (!done) {
      await sleep(200);
      peak = Math.max(peak, rssMiB(proc));
    }
    await exited;
  });
  await stop(proc);
  return { flood, rssGrowthMiB: peak - before, worstPingMs: worst, p99PingMs: p99, pings, note };
}

function blankLines(): Promise<Row> {
  return floodRow([], BLANK_FLOOD, '99 connections x 8 MiB of empty lines, 5 s', 'default options');
}

async function whoFlood(): Promise<Row> {
  const { proc, port } = await startServer(['--max-per-ip', '0', '--announce-max', '0']);
  const idle: Conn[] = [];
  for (let i = 0; i < 8000; i += 200) {
    const batch = await Promise.all(Array.from({ length: 200 }, () => Conn.open(port)));
    await Promise.all(batch.map((c, j) => c.register(`user${i + j}`)));
    idle.push(...batch);
  }
  const pinger = await Conn.open(port);
  await pinger.register('pinger');
  const flooders = await Promise.all(Array.from({ length: 100 }, () => Conn.open(port)));
  await Promise.all(flooders.map((c, i) => c.register(`who${i}`)));
  for (const c of [...idle, ...flooders]) c.socket.on('data', () => {});
  const before = rssMiB(proc);
  let peak = before;
  const { worst, pings } = await pingDuring(pinger, async () => {
    for (const f of flooders) f.socket.write('/who\n'.repeat(50));
    for (let t = 0; t < 25; t++) {
      await sleep(200);
      peak = Math.max(peak, rssMiB(proc));
    }
  });
  for (const c of [...idle, ...flooders, pinger]) c.socket.destroy();
  await stop(proc);
  return { flood: '100 connections x 50 /who, 8,100 online', rssGrowthMiB: peak - before, worstPingMs: worst, pings, note: '--max-per-ip 0 --announce-max 0' };
}

async function abandonedLogins(): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'chat-attacks-'));
  try {
    const users = join(dir, 'users');
    writeFileSync(users, `alice:${await hashPassword('right')}\n`, { mode: 0o600 });
    const { proc, port } = await startServer(['--users', users]);
    const before = rssMiB(proc);
    // 5 s of attempts that reset their connection right after sending a guess.
    const until = performance.now() + 5000;
    let attempts = 0;
    while (performance.now() < until) {
      const c = await Conn.open(port);
      c.socket.write('#alice guess\n');
      await sleep(5);
      c.socket.resetAndDestroy();
      attempts += 1;
    }
    // The owner, from the same address, tries again every half second while told that too
    // many logins are waiting, as a person would.
    const t0 = performance.now();
    let tries = 0;
    for (;;) {
      tries += 1;
      const owner = await Conn.open(port);
      try {
        await owner.register('alice', 'right');
        owner.socket.destroy();
        break;
      } catch (err) {
        owner.socket.destroy();
        if (!/too many logins are waiting/.test((err as Error).message) || tries > 240) throw err;
        await sleep(500);
      }
    }
    const answered = performance.now() - t0;
    const growth = rssMiB(proc) - before;
    await stop(proc);
    return {
      flood: `${attempts} abandoned logins (reset 5 ms after the guess), then the right password`,
      rssGrowthMiB: growth,
      worstPingMs: answered,
      pings: tries,
      note: "the answer is the owner's login, retried while too many logins wait",
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * 200 connections from two addresses, each sending a short room message with two blank
 * lines of 4,080 bytes in the same write, at the allowed rate (3 lines every 300 ms), 25 s.
 */
const PADDED_HISTORY = `
import net from 'node:net';
const port = Number(process.argv[1]);
const blank = ' '.repeat(4080);
for (let i = 0; i < 200; i++) {
  const s = net.connect({ host: '127.0.0.1', port, localAddress: i % 2 ? '127.0.0.1' : '127.0.0.2' });
  s.on('error', () => {});
  s.on('data', () => {});
  s.on('connect', () => {
    s.write('#pad' + i + '\\n');
    let n = 0;
    setInterval(() => s.write('short message ' + i + ' ' + (n++) + '\\n' + blank + '\\n' + blank + '\\n'), 300);
  });
}
setTimeout(() => process.exit(0), 25000);
`;

function paddedHistory(): Promise<Row> {
  return floodRow(
    ['--history-memory', '8388608'],
    PADDED_HISTORY,
    '200 connections x short room messages padded with 8 KiB of blanks, 25 s',
    '--history-memory 8388608 (target: at most 80 MiB)',
  );
}

/** 99 connections of one address, each streaming a line without end (no LF) for 10 s. */
const ENDLESS_LINE = `
import net from 'node:net';
const port = Number(process.argv[1]);
const chunk = Buffer.alloc(64 * 1024, 97);
for (let i = 0; i < 99; i++) {
  const s = net.connect({ host: '127.0.0.1', port });
  s.on('error', () => {});
  s.on('data', () => {});
  const pour = () => { while (s.write(chunk)); };
  s.on('drain', pour);
  s.on('connect', pour);
}
setTimeout(() => process.exit(0), 10000);
`;

function endlessLine(): Promise<Row> {
  return floodRow([], ENDLESS_LINE, '99 connections x an endless line without LF, 10 s', 'default options (target: p99 at most 100 ms)');
}

/**
 * The tutorial client of "Trust, round three": \`hello everyone\`, then 100 ms later
 * \`@bob:my pin is 4711\`, no LF, 30 times, while 20 connections stream an endless line.
 * Counts the pins the room got (the target is none).
 */
async function noLfLeak(): Promise<Row> {
  const { proc, port } = await startServer([]);
  const bob = await Conn.open(port);
  await bob.register('bob');
  await new Promise<void>((resolve) => bob.socket.write('/join elsewhere\n', () => resolve()));
  const carol = await Conn.open(port);
  await carol.register('carol');
  let leaked = 0;
  let refused = 0;
  let delivered = 0;
  carol.socket.on('data', (d: string) => (leaked += (d.match(/4711/g) ?? []).length));
  bob.socket.on('data', (d: string) => (delivered += (d.match(/\*tut\d+\* my pin is 4711/g) ?? []).length));
  const flood = floodProcess(port, ENDLESS_LINE.replace('i < 99', 'i < 20'));
  const before = rssMiB(proc);
  for (let i = 0; i < 30; i++) {
    const tut = await Conn.open(port);
    tut.socket.on('data', (d: string) => (refused += (d.match(/! not sent: end each message with a newline/g) ?? []).length));
    tut.socket.write(`#tut${i}`);
    await tut.until((l) => l.startsWith('* registered as') || l.startsWith('!'), 10_000).catch(() => '');
    tut.socket.write('hello everyone');
    await sleep(100);
    tut.socket.write('@bob:my pin is 4711');
    await sleep(600);
    tut.socket.destroy();
  }
  const growth = rssMiB(proc) - before;
  flood.kill('SIGKILL');
  await stop(proc);
  return {
    flood: '30 pairs "hello everyone", then "@bob:my pin is 4711" 100 ms later, no LF, 20 endless lines beside',
    rssGrowthMiB: growth,
    worstPingMs: 0,
    pings: 30,
    note: `pins in the room: ${leaked} (target 0); delivered to bob: ${delivered}; refused as joined: ${refused}`,
  };
}

/** The web floods' bystander pings this often: under the default --rate (10 lines a second), so no round trip waits for flood control. */
const WEB_PING_MS = 150;

/** Where ws is, for the flood processes (which run from no file, so resolve nothing of their own). */
const WS_URL = import.meta.resolve('ws');

/**
 * A web flood in a process of its own. It warms the server up first (opens and closes 100
 * of what it floods with, so that the code and pools a first connection brings are not
 * counted per socket) and prints `warm`; floods with half of its sockets and prints `half`;
 * then with the other half; at the end it prints one JSON line of counts, which ends the
 * flood (its process exits after). It waits 1 s after each mark, so the server can be
 * measured.
 */
function reportingFlood(script: string, args: string[]): { mark: (name: string) => Promise<void>; said: Promise<Record<string, number>> } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  let out = '';
  let exited = false;
  const waiting: { name: string; resolve: () => void }[] = [];
  const check = (): void => {
    for (const w of [...waiting])
      if (exited || new RegExp(`^${w.name}$`, 'm').test(out)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve();
      }
  };
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    check();
  });
  child.once('exit', () => {
    children.delete(child);
    exited = true;
    check();
  });
  const mark = (name: string): Promise<void> =>
    new Promise((resolve) => {
      waiting.push({ name, resolve });
      check();
    });
  // The counts come before the flood's sockets close with its process: the flood is over
  // then, and what 1,000 closes at once cost the server is not the flood's.
  const said = mark('\\{.*\\}').then((): Record<string, number> => {
    try {
      return JSON.parse(/^\{.*\}$/m.exec(out)?.[0] ?? '') as Record<string, number>;
    } catch {
      return {};
    }
  });
  return { mark, said };
}

/**
 * Runs FLOOD (a reporting flood) against SERVER with a bystander (a /ping every
 * WEB_PING_MS), and samples the server's RSS and open files every 200 ms from the flood's
 * `warm` on. A socket's cost is the slope from `half` to when the server held the most
 * sockets: what a first half costs besides (V8 growing its young generation under the
 * allocations, about 16 MiB however many sockets come) is then not counted per socket. The
 * growth per socket over the whole flood is given too, and the bystander's round trips
 * meanwhile.
 */
async function webFloodRow(
  server: { proc: ChildProcess; port: number },
  flood: () => ReturnType<typeof reportingFlood>,
): Promise<{
  worst: number;
  p99: number;
  pings: number;
  growthMiB: number;
  held: number;
  kibPerSocket: number;
  kibOverall: number;
  said: Record<string, number>;
}> {
  const { proc, port } = server;
  const pinger = await Conn.open(port);
  await pinger.register('pinger');
  let base = { held: 0, rss: NaN };
  let half = { held: 0, rss: NaN };
  let most = { held: 0, rss: NaN };
  let peak = NaN;
  let said: Record<string, number> = {};
  const { worst, p99, pings } = await pingDuring(
    pinger,
    async () => {
      const running = flood();
      let done = false;
      void running.said.then((s) => {
        said = s;
        done = true;
      });
      await running.mark('warm');
      await sleep(500);
      const files0 = openFiles(proc.pid!);
      const sample = (): { held: number; rss: number } => ({ held: openFiles(proc.pid!) - files0, rss: rssMiB(proc) });
      base = sample();
      most = base;
      peak = base.rss;
      void running.mark('half').then(() =>
        sleep(500).then(() => {
          half = sample();
        }),
      );
      while (!done) {
        await sleep(200);
        const now = sample();
        peak = Math.max(peak, now.rss);
        if (now.held > most.held) most = now;
      }
    },
    WEB_PING_MS,
  );
  pinger.socket.destroy();
  await stop(proc);
  const kib = (from: { held: number; rss: number }): number => (most.held > from.held ? ((most.rss - from.rss) * 1024) / (most.held - from.held) : NaN);
  return { worst, p99, pings, growthMiB: peak - base.rss, held: most.held, kibPerSocket: kib(half), kibOverall: kib(base), said };
}

/**
 * After the warm-up, 10,000 connections from 100 addresses (127.0.0.2 to 127.0.0.101, 100
 * each), each sending half of a WebSocket upgrade request (no empty line: the request never
 * ends) and then nothing, opened 500 at a time, in two halves 1 s apart. Prints when the
 * server closed them: it should at 10 s (WEB_HANDSHAKE_MS in src/transport/web.ts), none
 * before. Times are from this process's connect event, which may come a little after the
 * server accepted (its clock starts then): 9 to 12 s counts as on time.
 */
const HALF_HANDSHAKES = `
import net from 'node:net';
const port = Number(process.argv[1]);
const half = 'GET / HTTP/1.1\\r\\nHost: 127.0.0.1:' + port + '\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\n';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Opens COUNT half handshakes, 500 connecting at a time, from 127.0.0.2 and up; resolves with the sockets once all are open (or failed). */
const open = (count, onClose) => new Promise((resolve) => {
  const sockets = [];
  let started = 0, connecting = 0, settled = 0;
  const more = () => {
    if (settled === count) return resolve(sockets);
    while (started < count && connecting < 500) {
      const i = started++;
      connecting++;
      const s = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.' + (2 + (i % 100)) });
      sockets.push(s);
      s.on('error', () => {});
      s.once('connect', () => { connecting--; settled++; s.at = performance.now(); s.write(half); more(); });
      s.once('close', () => {
        if (!s.at) { connecting--; settled++; more(); }
        onClose(s);
      });
    }
  };
  more();
});
// Warm-up: 100 opened, then closed by us.
const warm = await open(100, () => {});
await sleep(200);
for (const s of warm) s.destroy();
process.stdout.write('warm\\n');
await sleep(1000);
const total = 10000;
let failed = 0, closed = 0, early = 0, onTime = 0, late = 0;
let firstClose = Infinity, lastClose = 0;
let over = false;
const finish = (sockets) => {
  if (over) return;
  over = true;
  const opened = sockets.filter((s) => s.at).length;
  process.stdout.write(JSON.stringify({ opened, failed, closed, early, onTime, late, stillOpen: opened - closed, firstCloseMs: firstClose, lastCloseMs: lastClose, openingMs: openedAt - t0 }) + '\\n', () => process.exit(0));
};
const t0 = performance.now();
let openedAt = t0;
let all = [];
const onClose = (s) => {
  if (!s.at) failed++;
  else {
    const after = performance.now() - s.at;
    firstClose = Math.min(firstClose, after); lastClose = Math.max(lastClose, after);
    if (after < 9000) early++; else if (after < 12000) onTime++; else late++;
    closed++;
  }
  if (all.length === total && failed + closed === total) finish(all);
};
const first = await open(total / 2, onClose);
process.stdout.write('half\\n');
await sleep(1000);
all = [...first, ...(await open(total / 2, onClose))];
openedAt = performance.now();
if (failed + closed === total) finish(all);
// Bounded: 30 s after the last opened, whatever the server does.
setTimeout(() => finish(all), 30000);
`;

/** What a socket of a web flood costs, as its row's note says it. */
const perSocket = (r: { kibPerSocket: number; kibOverall: number; held: number }): string =>
  `${r.kibPerSocket.toFixed(2)} KiB a socket from the first half to ${r.held} held (${r.kibOverall.toFixed(2)} over the whole flood)`;

async function halfHandshakes(): Promise<Row> {
  const server = await startServer(['--web-port', '0', '--max-clients', '20000']);
  const r = await webFloodRow(server, () => reportingFlood(HALF_HANDSHAKES, [String(server.webPort)]));
  const s = r.said;
  const sec = (ms: number | undefined): string => ((ms ?? NaN) / 1000).toFixed(1);
  return {
    flood: '10,000 half WebSocket handshakes (half an upgrade request, then nothing), 100 addresses x 100',
    rssGrowthMiB: r.growthMiB,
    worstPingMs: r.worst,
    p99PingMs: r.p99,
    pings: r.pings,
    kibPerSocket: r.kibPerSocket,
    note:
      `--web-port 0 --max-clients 20000, --max-per-ip 100 as shipped; ${perSocket(r)}; ` +
      `opened ${s.opened ?? '?'} in ${sec(s.openingMs)} s, refused ${s.failed ?? '?'}; closed by the server ${s.onTime ?? '?'} at 9 to 12 s, ` +
      `${s.early ?? '?'} before, ${s.late ?? '?'} after, ${s.stillOpen ?? '?'} still open at the end ` +
      `(the first ${sec(s.firstCloseMs)} s, the last ${sec(s.lastCloseMs)} s after its request)`,
  };
}

/**
 * After the warm-up, 1,000 WebSockets (subprotocol text.ircv3.net) from 10 addresses
 * (127.0.0.2 to 127.0.0.11, 100 each), each registered with NICK/USER and then silent, opened
 * 100 at a time in two halves 1 s apart, held 8 s after the last.
 */
const IDLE_WEBSOCKETS = `
const { WebSocket } = await import(process.argv[2]);
const port = Number(process.argv[1]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let registered = 0, failed = 0, dropped = 0, holding = false;
/** Opens COUNT registered WebSockets named PREFIX0..., 100 at a time; resolves with them once all are settled. */
const open = (count, prefix) => new Promise((resolve) => {
  const sockets = [];
  let started = 0, settled = 0;
  const more = () => {
    if (settled === count) return resolve(sockets);
    while (started < count && started - settled < 100) {
      const i = started++;
      const ws = new WebSocket('ws://127.0.0.1:' + port + '/', ['text.ircv3.net'], { localAddress: '127.0.0.' + (2 + (i % 10)), perMessageDeflate: false });
      sockets.push(ws);
      let done = false;
      const settle = (ok) => { if (done) return; done = true; settled++; if (ok) registered++; else failed++; more(); };
      ws.on('error', () => {});
      ws.on('open', () => { ws.send('NICK ' + prefix + i); ws.send('USER ' + prefix + i + ' 0 * :idle'); });
      ws.on('message', (data) => { if (/ (422|376) /.test(String(data))) settle(true); });
      ws.on('close', () => { if (holding) dropped++; settle(false); });
    }
  };
  more();
});
setTimeout(() => { process.stdout.write(JSON.stringify({ registered, failed, dropped, timedOut: 1 }) + '\\n', () => process.exit(0)); }, 60000);
const warm = await open(100, 'warm');
for (const ws of warm) ws.terminate();
await sleep(200);
process.stdout.write('warm\\n');
await sleep(1000);
registered = 0; failed = 0;
holding = true;
await open(500, 'idle');
process.stdout.write('half\\n');
await sleep(1000);
await open(500, 'idler');
await sleep(8000);
process.stdout.write(JSON.stringify({ registered, failed, dropped }) + '\\n', () => process.exit(0));
`;

async function idleWebSockets(): Promise<Row> {
  const server = await startServer(['--web-port', '0']);
  const r = await webFloodRow(server, () => reportingFlood(IDLE_WEBSOCKETS, [String(server.webPort), WS_URL]));
  const s = r.said;
  return {
    flood: '1,000 idle WebSockets (registered, then silent 8 s), 10 addresses x 100',
    rssGrowthMiB: r.growthMiB,
    worstPingMs: r.worst,
    p99PingMs: r.p99,
    pings: r.pings,
    kibPerSocket: r.kibPerSocket,
    note:
      `--web-port 0, defaults otherwise; ${perSocket(r)}; ` +
      `registered ${s.registered ?? '?'}, failed ${s.failed ?? '?'}, dropped by the server while silent ${s.dropped ?? '?'}${s.timedOut ? ', TIMED OUT' : ''}`,
  };
}

const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const scenarios = { blankLines, whoFlood, abandonedLogins, paddedHistory, endlessLine, noLfLeak, halfHandshakes, idleWebSockets };
const rows: Row[] = [];
for (const [name, scenario] of Object.entries(scenarios)) if (only.length === 0 || only.includes(name)) rows.push(await scenario());
if (json) {
  console.log(JSON.stringify(rows));
} else {
  console.log('flood | server RSS growth | slowest answer to a bystander | p99 | answers | options');
  console.log('---|---|---|---|---|---');
  for (const r of rows) {
    const p99 = r.p99PingMs === undefined ? '' : `${r.p99PingMs.toFixed(0)} ms`;
    console.log(`${r.flood} | ${r.rssGrowthMiB.toFixed(1)} MiB | ${r.worstPingMs.toFixed(0)} ms | ${p99} | ${r.pings} | ${r.note}`);
  }
}
process.exit(0);
