#!/usr/bin/env node
/**
 * `npm run bench`: the real server against a minimal line-forwarding baseline, in one run
 * on this machine, so every figure is also a ratio. The server runs on core 0 and the load
 * on core 1 where `taskset` exists. Each figure is the median of 3 rounds (--rounds N).
 * --quick is the short run the tests use; --json prints the results as JSON.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { TestRedis } from '../test/helpers/redis.js';
import { connectRate, directMessages, LoadClient, openClients, roomMessages, sleep, type Throughput } from './load.js';

const quick = process.argv.includes('--quick');
const json = process.argv.includes('--json');
const hasTaskset = spawnSync('taskset', ['-V']).status === 0 && cpus().length >= 2;
const hasRedis = spawnSync('redis-server', ['--version']).status === 0;

// The load generator itself goes to core 1, away from the server.
if (hasTaskset && !process.env['CHAT_BENCH_PINNED']) {
  const child = spawnSync('taskset', ['-c', '1', process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, CHAT_BENCH_PINNED: '1' },
  });
  process.exit(child.status ?? 1);
}

const SERVERS = {
  baseline: { script: fileURLToPath(new URL('./baseline-server.js', import.meta.url)), args: [] as string[] },
  'chat-server': {
    script: fileURLToPath(new URL('../src/cli/chat-server.js', import.meta.url)),
    // Flood control and per-address limits off, as the IRC servers compared were run.
    args: ['--port', '0', '--quiet', '--rate', '0', '--max-per-ip', '0', '--max-clients', '20000', '--register-timeout', '0'],
  },
};
type Kind = keyof typeof SERVERS;

interface Running {
  proc: ChildProcess;
  port: number;
}

/** Every server started, so that none outlives the run, whatever fails. */
const started = new Set<ChildProcess>();
process.on('exit', () => started.forEach((p) => p.kill('SIGKILL')));

async function start(kind: Kind, extra: string[] = []): Promise<Running> {
  const { script, args } = SERVERS[kind];
  const argv = [process.execPath, script, ...args, ...extra];
  const proc = hasTaskset ? spawn('taskset', ['-c', '0', ...argv], { stdio: ['ignore', 'pipe', 'inherit'] }) : spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  started.add(proc);
  proc.once('exit', () => started.delete(proc));
  const first = await new Promise<string>((resolve, reject) => {
    let text = '';
    proc.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
    });
    proc.once('exit', () => reject(new Error(`${kind} exited before listening`)));
  });
  const port = Number(/:(\d+)$/.exec(first)?.[1]);
  return { proc, port };
}

function stop(server: Running): Promise<void> {
  return new Promise((resolve) => {
    server.proc.once('exit', () => resolve());
    server.proc.kill('SIGKILL');
  });
}

/** The server's CPU time so far, in seconds (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1]) * 1024;
}

/** The server's process: under taskset it is taskset's child, exec'd in its place. */
const pidOf = (server: Running): number => server.proc.pid!;

interface Measured extends Throughput {
  /** Deliveries per second of server CPU time. */
  perCpuSecond: number;
}

/** Runs a scenario, counting the CPU time of every process that serves it. */
async function withCpu(server: Running | number[], run: () => Promise<Throughput>): Promise<Measured> {
  const pids = Array.isArray(server) ? server : [pidOf(server)];
  const cpu = (): number => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const before = cpu();
  const result = await run();
  const used = cpu() - before;
  return { ...result, perCpuSecond: used > 0 ? result.delivered / used : NaN };
}

/**
 * Two chat-servers on one Redis, all three on the server's core, with every direct message
 * crossing from one server to the other through Redis. Undefined without redis-server.
 */
async function measureCluster(): Promise<Measured | undefined> {
  if (!hasRedis) return undefined;
  const cleanups: (() => void)[] = [];
  const redis = await TestRedis.start({ after: (fn) => cleanups.push(fn) }, { wrap: hasTaskset ? ['taskset', '-c', '0'] : [] });
  const servers: Running[] = [];
  try {
    for (let i = 0; i < 2; i++) servers.push(await start('chat-server', ['--redis', redis.url]));
    const pids = [...servers.map(pidOf), redis.pid!];
    return await withCpu(pids, () =>
      directMessages(servers.map((s) => s.port), { clients: 100, window: 16, ms: quick ? 400 : 3000 }),
    );
  } finally {
    for (const server of servers) await stop(server);
    cleanups.forEach((fn) => fn());
  }
}

interface Results {
  direct: Measured;
  /** chat-server only: direct messages across two servers through Redis; null without redis-server. */
  cluster: Measured | null;
  directWindow1: Measured;
  room: Measured;
  connectsPerSecond: number;
  connectsWithoutPresence: number;
  bytesPerIdleConnection: Record<string, number>;
  /** The slowest /ping round trip of a watcher while the memory wave joined. */
  joinWavePingMs: number;
}

/** Pings one after another until stopped; resolves with the slowest round trip. */
function pingLoop(client: LoadClient): { stop(): Promise<number> } {
  let running = true;
  let worst = 0;
  const done = (async () => {
    for (let i = 0; running; i++) {
      const t0 = performance.now();
      await new Promise<void>((resolve) => {
        client.onLine = (line) => {
          if (line === `* pong ${i}`) resolve();
        };
        client.socket.write(`/ping ${i}\n`);
      });
      worst = Math.max(worst, performance.now() - t0);
      await sleep(20);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      return worst;
    },
  };
}

async function measure(kind: Kind): Promise<Results> {
  const ms = quick ? 400 : 3000;
  let server = await start(kind);
  const direct = await withCpu(server, () => directMessages(server.port, { clients: 100, window: 16, ms }));
  const directWindow1 = await withCpu(server, () => directMessages(server.port, { clients: 100, window: 1, ms }));
  await stop(server);
  server = await start(kind);
  const room = await withCpu(server, () => roomMessages(server.port, { clients: quick ? 50 : 200, senders: 4, window: 4, ms }));
  await stop(server);
  server = await start(kind);
  const connects = async (): Promise<number> => {
    await connectRate(server.port, { n: quick ? 50 : 2000, concurrency: 50 }); // warm up: JIT, pools
    return connectRate(server.port, { n: quick ? 200 : 5000, concurrency: 50 });
  };
  const connectsPerSecond = await connects();
  await stop(server);
  // The same without presence notices (--announce-max 0), which the baseline does not send:
  // what the protocol's "joined" and "left" cost, apart from the server's own overhead.
  let connectsWithoutPresence = connectsPerSecond;
  if (kind === 'chat-server') {
    server = await start(kind, ['--announce-max', '0']);
    connectsWithoutPresence = await connects();
    await stop(server);
  }

  // Memory: a fresh server, then idle registered connections added in steps. Meanwhile a
  // watcher pings: how long the server keeps everyone waiting during the wave of joins.
  server = await start(kind);
  const watcher = await LoadClient.connect(server.port, 'watcher');
  await sleep(300);
  const base = rssBytes(pidOf(server));
  const pings = pingLoop(watcher);
  const bytesPerIdleConnection: Record<string, number> = {};
  const clients = [];
  for (const n of quick ? [100, 300] : [1000, 10_000]) {
    clients.push(...(await openClients(server.port, n - clients.length, `m${clients.length}-`)));
    await sleep(quick ? 200 : 1000);
    bytesPerIdleConnection[n] = (rssBytes(pidOf(server)) - base) / n;
  }
  const joinWavePingMs = await pings.stop();
  clients.forEach((c) => c.close());
  watcher.close();
  await stop(server);
  const cluster = kind === 'chat-server' ? ((await measureCluster()) ?? null) : null;
  return { direct, cluster, directWindow1, room, connectsPerSecond, connectsWithoutPresence, bytesPerIdleConnection, joinWavePingMs };
}

/** The median of each figure over the rounds: one noisy round on a shared machine does not decide. */
function median<T>(runs: T[]): T {
  const first = runs[0]!;
  if (first === null) return first;
  if (typeof first === 'number') {
    const sorted = (runs as number[]).filter(Number.isFinite).sort((a, b) => a - b);
    return (sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN) as T;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(first as object)) out[key] = median(runs.map((r) => (r as Record<string, unknown>)[key]));
  return out as T;
}

// Rounds alternate the two servers, so drift on the machine touches both alike.
const roundsArg = process.argv.indexOf('--rounds');
const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : quick ? 1 : 3;
const runs: { baseline: Results[]; 'chat-server': Results[] } = { baseline: [], 'chat-server': [] };
for (let r = 0; r < rounds; r++) {
  for (const kind of ['baseline', 'chat-server'] as const) runs[kind].push(await measure(kind));
}
const results = { baseline: median(runs.baseline), 'chat-server': median(runs['chat-server']) };
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}${hasTaskset ? ', server on core 0, load on core 1' : ', no taskset'}, median of ${rounds} round${rounds === 1 ? '' : 's'}`;

if (json) {
  process.stdout.write(`${JSON.stringify({ date: new Date().toISOString(), machine, quick, results }, null, 2)}\n`);
} else {
  const b = results.baseline;
  const c = results['chat-server'];
  const k = (n: number): string => (Number.isFinite(n) ? `${(n / 1000).toFixed(1)}k` : '-');
  const f = (n: number, d = 2): string => (Number.isFinite(n) ? n.toFixed(d) : '-');
  const rows: [string, string, string, string, string][] = [
    ['direct messages/s (100 clients, window 16)', k(b.direct.perSecond), k(c.direct.perSecond), f(c.direct.perSecond / b.direct.perSecond), '>= 0.8'],
    ['  per server CPU-second', k(b.direct.perCpuSecond), k(c.direct.perCpuSecond), f(c.direct.perCpuSecond / b.direct.perCpuSecond), ''],
    ['  p50 / p99 latency ms', `${f(b.direct.p50ms)} / ${f(b.direct.p99ms)}`, `${f(c.direct.p50ms)} / ${f(c.direct.p99ms)}`, '', ''],
    ...(c.cluster
      ? ([
          ['  across 2 servers through Redis (vs 1 server)', '', k(c.cluster.perSecond), f(c.cluster.perSecond / c.direct.perSecond), ''],
          ['    per CPU-second of both servers and Redis', '', k(c.cluster.perCpuSecond), f(c.cluster.perCpuSecond / c.direct.perCpuSecond), ''],
          ['    p50 / p99 latency ms', '', `${f(c.cluster.p50ms)} / ${f(c.cluster.p99ms)}`, '', ''],
        ] as [string, string, string, string, string][])
      : [['  across 2 servers through Redis', '', 'no redis-server', '', ''] as [string, string, string, string, string]]),
    ['direct p99 latency ms, window 1', f(b.directWindow1.p99ms), f(c.directWindow1.p99ms), f(c.directWindow1.p99ms / b.directWindow1.p99ms), '<= 1.5'],
    [`room deliveries/s (${quick ? 50 : 200} clients, 4 senders)`, k(b.room.perSecond), k(c.room.perSecond), f(c.room.perSecond / b.room.perSecond), '>= 0.8'],
    ['  per server CPU-second', k(b.room.perCpuSecond), k(c.room.perCpuSecond), f(c.room.perCpuSecond / b.room.perCpuSecond), ''],
    ['  latency to last recipient p50 / p99 ms', `${f(b.room.p50ms)} / ${f(b.room.p99ms)}`, `${f(c.room.p50ms)} / ${f(c.room.p99ms)}`, '', ''],
    ['slowest /ping ms during the wave of joins', f(b.joinWavePingMs), f(c.joinWavePingMs), '', ''],
    ['connects + registrations/s', f(b.connectsPerSecond, 0), f(c.connectsPerSecond, 0), f(c.connectsPerSecond / b.connectsPerSecond), '>= 0.8'],
    ['  the same without presence notices', f(b.connectsWithoutPresence, 0), f(c.connectsWithoutPresence, 0), f(c.connectsWithoutPresence / b.connectsWithoutPresence), ''],
    ...Object.keys(b.bytesPerIdleConnection).map((n): [string, string, string, string, string] => {
      const bb = b.bytesPerIdleConnection[n]!;
      const cc = c.bytesPerIdleConnection[n]!;
      return [`KiB per idle connection at ${n}`, f(bb / 1024, 1), f(cc / 1024, 1), `+${f((cc - bb) / 1024, 1)} KiB`, '<= +1 KiB'];
    }),
  ];
  const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((r) => r[i]!.length), ['', 'baseline', 'chat-server', 'ratio', 'target'][i]!.length));
  const line = (r: string[]): string => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  process.stdout.write(`${machine}${quick ? ' (quick run: figures are not meaningful)' : ''}\n\n`);
  process.stdout.write(`${line(['', 'baseline', 'chat-server', 'ratio', 'target'])}\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
}
