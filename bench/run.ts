#!/usr/bin/env node
/**
 * `npm run bench`: chat-server against the floor (floor-server.ts) at saturation, on this
 * machine, in one run: every figure is also a ratio, set against the targets of the
 * performance issue. Its IRC dialect (--irc-port) is set against its line protocol, and IRC
 * over WebSocket (--web-port) against IRC over TCP. Servers run on core 0, the load
 * generator (loadgen.ts) on core 1 where taskset exists. Each scenario runs each server
 * once per round, the servers alternating; figures are medians over the rounds (5 unless
 * --rounds N): on a shared VM one round's figures can move by a third, and a median of 3
 * still follows one bad round too often.
 *
 * --quick: a short run (1 round, small figures) that only shows everything works.
 * --only NAME,...: only these cases (report.ts's CaseName: chatDm16, ircDm16, webDm16, ...);
 *   the rows that need others say "not measured".
 * --json: the table (and the medians behind it) as JSON.
 * Exits 1 if any message was lost or misrouted, any connection dropped, or any run failed.
 */
import { cpus } from 'node:os';
import { failedLoad, type LoadConfig, type LoadResult } from './load-config.js';
import { summarise } from './median.js';
import { buildRows, formatTable, problemsOf, type Cases } from './report.js';
import { chatServerHas, hasRedis, pinned, runLoad, startChatServer, startCluster, startFloor, type Running } from './servers.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const json = args.includes('--json');
const roundsAt = args.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Math.max(1, Number(args[roundsAt + 1]) || 1) : quick ? 1 : 5;
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? new Set((args[onlyAt + 1] ?? '').split(',').filter(Boolean)) : undefined;

/**
 * The scenarios' sizes and durations: the full run's, or the quick run's. The full run warms
 * up 3 s: what is measured is a server that has run a while. After 1 s, V8 was still
 * compiling the cluster's paths (1 to 4 s into the load, 7.7 % of a cluster server's CPU
 * went to the optimizing compiler, docs/benchmark.md), which a server that runs for days
 * pays once.
 */
export const sizes = quick
  ? { dmClients: 20, roomClients: 30, roomSenders: 2, connectors: 4, idle: 300, warmupMs: 200, windowMs: 500, drainMs: 2000 }
  : { dmClients: 100, roomClients: 200, roomSenders: 2, connectors: 10, idle: 10_000, warmupMs: 3000, windowMs: 4000, drainMs: 3000 };

type Load = Omit<LoadConfig, 'ports' | 'pids'>;
const base: Load = {
  scenario: 'dm',
  clients: sizes.dmClients,
  window: 16,
  senders: sizes.roomSenders,
  connectors: sizes.connectors,
  idle: sizes.idle,
  concurrency: 50,
  size: 64,
  warmupMs: sizes.warmupMs,
  windowMs: sizes.windowMs,
  drainMs: sizes.drainMs,
  timeoutMs: 5000,
  setupMs: 60_000,
};
const dm16: Load = { ...base };
const dm1: Load = { ...base, window: 1 };
const room: Load = { ...base, scenario: 'room', clients: sizes.roomClients, window: 1 };
/** The same, every client in 10 rooms (the lobby current): what sitting in many rooms costs a delivery. */
const roomTen: Load = { ...room, rooms: 10 };
const connect: Load = { ...base, scenario: 'connect' };
const idle: Load = { ...base, scenario: 'idle', concurrency: 200 };
/** The same loads through chat-server's IRC port: NICK/USER, PRIVMSG to a nick. */
const ircDm16: Load = { ...dm16, dialect: 'irc' };
const ircIdle: Load = { ...idle, dialect: 'irc' };
/** The same again over WebSocket (subprotocol text.ircv3.net) to chat-server's web port. */
const webDm16: Load = { ...dm16, dialect: 'web' };
const webIdle: Load = { ...idle, dialect: 'web' };

interface Case {
  name: keyof Cases;
  start: () => Promise<Running>;
  load: Load;
  /** Why this case cannot run here; undefined when it can. */
  unavailable?: string;
}

const noOption = (option: string): string | undefined => (chatServerHas(option) ? undefined : `chat-server --help lists no ${option}`);
const historyMissing = noOption('--history');
const dbMissing = historyMissing ?? noOption('--db');
const metricsMissing = noOption('--metrics');
const clusterMissing = hasRedis ? noOption('--redis') : 'no redis-server on this machine';
const ircMissing = noOption('--irc-port');
const webMissing = ircMissing ?? noOption('--web-port');
const chat =
  (...extra: string[]) =>
  () =>
    startChatServer(extra);
/** chat-server as chat() starts it, plus --irc-port: the load goes to the IRC port. */
const irc = (): Promise<Running> => startChatServer([], 'irc');
/** chat-server with --irc-port and --web-port: the load goes to the web port. */
const web = (): Promise<Running> => startChatServer([], 'web');
const opt = (reason: string | undefined): { unavailable?: string } => (reason ? { unavailable: reason } : {});

/** Cases that are compared run one after the other, so that drift touches them alike. */
const groups: Case[][] = [
  [
    { name: 'floorDm16', start: startFloor, load: dm16 },
    { name: 'chatDm16', start: chat(), load: dm16 },
    { name: 'ircDm16', start: irc, load: ircDm16, ...opt(ircMissing) },
    { name: 'webDm16', start: web, load: webDm16, ...opt(webMissing) },
    { name: 'chatDm16Metrics', start: chat('--metrics', '127.0.0.1:0'), load: dm16, ...opt(metricsMissing) },
    { name: 'clusterDm16', start: startCluster, load: dm16, ...opt(clusterMissing) },
  ],
  [
    { name: 'floorDm1', start: startFloor, load: dm1 },
    { name: 'chatDm1', start: chat(), load: dm1 },
  ],
  [
    { name: 'floorRoom', start: startFloor, load: room },
    { name: 'chatRoom', start: chat(), load: room },
    { name: 'chatRoomTen', start: chat(), load: roomTen },
    { name: 'chatRoomHistoryOff', start: chat('--history', '0'), load: room, ...opt(historyMissing) },
    { name: 'chatRoomHistoryMemory', start: chat('--history', '1000'), load: room, ...opt(historyMissing) },
    { name: 'chatRoomHistoryDb', start: chat('--history', '1000', '--db', '{dir}/bench.db'), load: room, ...opt(dbMissing) },
  ],
  [
    { name: 'floorConnect', start: startFloor, load: connect },
    { name: 'chatConnect', start: chat(), load: connect },
  ],
  [
    { name: 'floorIdle', start: startFloor, load: idle },
    { name: 'chatIdle', start: chat(), load: idle },
    { name: 'ircIdle', start: irc, load: ircIdle, ...opt(ircMissing) },
    { name: 'webIdle', start: web, load: webIdle, ...opt(webMissing) },
  ],
];

const say = (text: string): void => void process.stderr.write(`${text}\n`);

async function measure(c: Case): Promise<LoadResult> {
  let server: Running;
  try {
    server = await c.start();
  } catch (err) {
    return failed(c, (err as Error).message);
  }
  try {
    return await runLoad(server, c.load);
  } catch (err) {
    return failed(c, (err as Error).message);
  } finally {
    await server.stop();
  }
}

function failed(c: Case, error: string): LoadResult {
  return failedLoad(c.load.scenario, error, NaN, 0);
}

const k = (n: number): string => (n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0));
const runs = new Map<keyof Cases, LoadResult[]>();
const skipped = new Map<keyof Cases, string>();
for (let round = 0; round < rounds; round++) {
  for (const group of groups) {
    // Odd rounds run a group backwards: neither server always goes first.
    for (const c of round % 2 ? [...group].reverse() : group) {
      if (only && !only.has(c.name)) continue;
      if (c.unavailable) {
        skipped.set(c.name, c.unavailable);
        continue;
      }
      const r = await measure(c);
      runs.set(c.name, [...(runs.get(c.name) ?? []), r]);
      const figure = r.scenario === 'idle' ? `${r.kibPerConnection?.toFixed(2)} KiB/conn` : `${k(r.perSecond)}/s, ${k(r.perCpuSecond)}/CPU-s`;
      say(
        `round ${round + 1}/${rounds} ${c.name}: ${figure}, server ${r.serverCpuPct.toFixed(0)} %, load ${r.loadCpuPct.toFixed(0)} %` +
          `${r.lost || r.misrouted || r.dropped ? `, lost ${r.lost}, misrouted ${r.misrouted}, dropped ${r.dropped}` : ''}${r.error ? `, ERROR ${r.error}` : ''}`,
      );
    }
  }
}

const cases: Cases = {};
for (const [name, list] of runs) cases[name] = summarise(list);
const rows = buildRows(cases, skipped, sizes);
const machine =
  `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}, ` +
  (pinned ? 'server on core 0, load on core 1 (taskset)' : 'no taskset: server and load unpinned') +
  `, median of ${rounds} round${rounds === 1 ? '' : 's'}${quick ? ' (quick run: the figures mean nothing)' : ''}`;
const problems = problemsOf(cases);

if (json) {
  process.stdout.write(`${JSON.stringify({ date: new Date().toISOString(), machine, quick, rounds, pinned, rows, cases, problems }, null, 2)}\n`);
} else {
  process.stdout.write(`${machine}\n\n${formatTable(rows)}\n`);
  process.stdout.write(
    problems.length ? `\nFAILED:\n${problems.map((p) => `- ${p}`).join('\n')}\n` : '\nNo message lost or misrouted, no connection dropped, in any run.\n',
  );
}
process.exitCode = problems.length ? 1 : 0;
