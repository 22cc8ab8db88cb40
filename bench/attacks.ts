#!/usr/bin/env node
/**
 * `npm run bench:attacks`: the floods of the trust tests, against the real chat-server
 * process with default options, measured from outside: how much the server's memory grows
 * (VmRSS from /proc) and the slowest /ping of a bystander while each flood runs. The tests
 * prove the bounds with a fake clock; this shows what they mean in milliseconds and
 * megabytes on this machine. Every flood is bounded in count and time, on 127.0.0.1 only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { hashPassword } from '../src/accounts/password-hash.js';

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
}

const children = new Set<ChildProcess>();
process.on('exit', () =>
  children.forEach((c) => {
    c.kill('SIGKILL');
  }),
);

async function startServer(args: string[]): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, [SERVER, '--port', '0', '--quiet', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(proc);
  const first = await new Promise<string>((resolve) => {
    let text = '';
    proc.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
    });
  });
  return { proc, port: Number(/:(\d+)$/.exec(first)?.[1]) };
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

/** Pings every 20 ms while FLOOD runs; the slowest round trip, the 99th percentile and how many there were. */
async function pingDuring(pinger: Conn, flood: () => Promise<void>): Promise<{ worst: number; p99: number; pings: number }> {
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
      await new Promise((r) => setTimeout(r, 20));
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

const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const scenarios = { blankLines, whoFlood, abandonedLogins, paddedHistory, endlessLine, noLfLeak };
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
