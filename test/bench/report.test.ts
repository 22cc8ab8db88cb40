import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Summary } from '../../bench/median.js';
import { median, summarise } from '../../bench/median.js';
import { buildRows, formatTable, problemsOf, WEB_IDLE_ALLOWANCE_KIB, type CaseName } from '../../bench/report.js';
import type { LoadResult } from '../../bench/load-config.js';

const sizes = { dmClients: 100, roomClients: 200, roomSenders: 2, connectors: 10, idle: 10_000 };

function summary(over: Partial<Summary>): Summary {
  return {
    runs: 3,
    perSecond: 100_000,
    perCpuSecond: 100_000,
    serverCpuPct: 99,
    loadCpuPct: 80,
    p50Us: 1000,
    p99Us: 2000,
    kibPerConnection: 5,
    lost: 0,
    misrouted: 0,
    dropped: 0,
    errors: [],
    ...over,
  };
}

test('median: odd and even counts, non-numbers left out', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([NaN, 5]), 5);
  assert.ok(Number.isNaN(median([])));
});

test('summarise: figures are medians, losses add up over the rounds', () => {
  const run = (perSecond: number, lost: number, error?: string): LoadResult => ({
    scenario: 'dm',
    perSecond,
    perCpuSecond: perSecond,
    serverCpuPct: 99,
    loadCpuPct: 50,
    p50Us: 1,
    p99Us: 2,
    maxUs: 3,
    sent: 1,
    delivered: 1,
    lost,
    misrouted: 0,
    dropped: 0,
    ...(error ? { error } : {}),
  });
  const s = summarise([run(10, 0), run(30, 2), run(20, 1, 'boom')]);
  assert.equal(s.perSecond, 20);
  assert.equal(s.lost, 3);
  assert.deepEqual(s.errors, ['boom']);
});

test("a ratio is the median of the rounds' own ratios when both cases ran in the same rounds, else the ratio of medians", () => {
  const rounds = (...perCpuSecond: number[]): Summary =>
    summary({ each: perCpuSecond.map((n) => summary({ perCpuSecond: n })), perCpuSecond: median(perCpuSecond) });
  // The machine ran at three speeds: each round's pair shares its round's speed.
  const line = rounds(300_000, 200_000, 250_000);
  const irc = rounds(270_000, 190_000, 240_000);
  const perCpu = (cases: Parameters<typeof buildRows>[0]) => {
    const rows = buildRows(cases, new Map(), sizes);
    return rows[rows.findIndex((r) => r.measure.startsWith('IRC vs line protocol: direct')) + 1]!;
  };
  const paired = perCpu({ chatDm16: line, ircDm16: irc });
  // Rounds' ratios 0.90, 0.95, 0.96: median 0.95; the medians' ratio would be 240/250 = 0.96.
  assert.deepEqual([paired.reference, paired.chatServer, paired.ratio, paired.met], ['250.0k', '240.0k', '0.95', 'yes']);
  const slowRound = perCpu({ chatDm16: rounds(300_000, 200_000, 250_000), ircDm16: rounds(200_000, 195_000, 240_000) });
  // 0.67, 0.975, 0.96: one round where the IRC run met a slow machine does not decide the row
  // (the medians' ratio would be 200/250 = 0.80).
  assert.equal(slowRound.ratio, '0.96');
  // A round where either run failed (a figure of 0, an error) pairs nothing; fewer than half paired: no ratio.
  const failed = (n: number): Summary => summary({ perCpuSecond: n, errors: n === 0 ? ['no result'] : [] });
  const withFailures = (ref: number[], chat: number[]) =>
    perCpu({
      chatDm16: summary({ each: ref.map(failed), perCpuSecond: median(ref) }),
      ircDm16: summary({ each: chat.map(failed), perCpuSecond: median(chat) }),
    });
  assert.equal(withFailures([100, 100, 100, 100, 100], [0, 0, 90, 95, 92]).ratio, '0.92');
  // A run that reported an error is left out even with a figure (a run cut short).
  const erred = perCpu({
    chatDm16: summary({ each: [100, 100, 100].map(failed), perCpuSecond: 100 }),
    ircDm16: summary({ each: [summary({ perCpuSecond: 10, errors: ['cut short'] }), failed(90), failed(94)], perCpuSecond: 90 }),
  });
  assert.equal(erred.ratio, '0.92');
  assert.equal(withFailures([100, 0, 0, 100, 100], [0, 90, 95, 92, 91]).ratio, '-');
  // An even count: A against B is the inverse of B against A (a geometric mean of the middle two).
  const even = [withFailures([100, 100], [90, 100]).ratio, withFailures([90, 100], [100, 100]).ratio];
  assert.deepEqual(even, ['0.95', '1.05']);
  const unpaired = perCpu({ chatDm16: summary({ perCpuSecond: 250_000 }), ircDm16: rounds(270_000, 190_000, 240_000) });
  assert.equal(unpaired.ratio, '0.96', 'without rounds on both sides: the ratio of the medians');
});

test('rows: ratios judged against the targets, in both directions', () => {
  const rows = buildRows(
    {
      floorDm16: summary({ perCpuSecond: 200_000 }),
      chatDm16: summary({ perCpuSecond: 190_000 }),
      floorConnect: summary({ perCpuSecond: 10_000 }),
      chatConnect: summary({ perCpuSecond: 7_000 }),
      floorDm1: summary({ p99Us: 1000 }),
      chatDm1: summary({ p99Us: 1300 }),
      floorIdle: summary({ kibPerConnection: 5.5 }),
      chatIdle: summary({ kibPerConnection: 6.2 }),
    },
    new Map<CaseName, string>([['chatRoomHistoryMemory', 'chat-server --help lists no --history']]),
    sizes,
  );
  const row = (start: string, nth = 0) => rows.filter((r) => r.measure.trim().startsWith(start))[nth]!;
  assert.deepEqual([row('per server CPU-second').ratio, row('per server CPU-second').met], ['0.95', 'yes']);
  const connects = rows[rows.findIndex((r) => r.measure.startsWith('connects')) + 1]!;
  assert.deepEqual([connects.ratio, connects.target, connects.met], ['0.70', '>= 0.8', 'NO']);
  assert.deepEqual([row('p99 latency at window 1').ratio, row('p99 latency at window 1').met], ['1.30', 'NO']);
  assert.deepEqual([row('KiB per idle').ratio, row('KiB per idle').met], ['+0.70 KiB', 'yes']);
  assert.equal(row('room message, history 1000 in memory').chatServer, 'not available: chat-server --help lists no --history');
  assert.equal(row('room deliveries/s').chatServer, 'not available: not measured');
  const table = formatTable(rows).split('\n');
  assert.match(table[0]!, /^\| measure +\| floor \/ reference \| +chat-server \| +ratio \| +target \| met \| server core % \| lost \| misrouted \|$/);
  assert.equal(new Set(table.map((l) => l.length)).size, 1, 'columns line up');
});

test('rows: the IRC dialect against the line protocol, per CPU-second and per idle connection', () => {
  const rows = buildRows(
    {
      chatDm16: summary({ perCpuSecond: 300_000 }),
      ircDm16: summary({ perCpuSecond: 240_000, lost: 1 }),
      chatIdle: summary({ kibPerConnection: 5.3 }),
      ircIdle: summary({ kibPerConnection: 6.5 }),
    },
    new Map(),
    sizes,
  );
  const at = rows.findIndex((r) => r.measure.startsWith('IRC vs line protocol: direct messages/s'));
  assert.ok(at >= 0);
  assert.deepEqual([rows[at]!.reference, rows[at]!.chatServer, rows[at]!.lost], ['100.0k', '100.0k', '1']);
  const perCpu = rows[at + 1]!;
  assert.deepEqual([perCpu.measure.trim(), perCpu.ratio, perCpu.target, perCpu.met], ['per server CPU-second', '0.80', '>= 0.9', 'NO']);
  const idle = rows.find((r) => r.measure.startsWith('IRC vs line protocol: KiB per idle'))!;
  assert.deepEqual([idle.reference, idle.chatServer, idle.ratio, idle.target, idle.met], ['5.30', '6.50', '+1.20 KiB', '<= +1 KiB', 'NO']);
  assert.equal(
    rows.find((r) => r.measure.startsWith('KiB per idle')),
    undefined,
    'no floor measured: no floor row',
  );

  const without = buildRows(
    { chatDm16: summary({}), chatIdle: summary({}) },
    new Map<CaseName, string>([
      ['ircDm16', 'chat-server --help lists no --irc-port'],
      ['ircIdle', 'chat-server --help lists no --irc-port'],
    ]),
    sizes,
  );
  const missing = without.filter((r) => r.measure.startsWith('IRC vs line protocol'));
  assert.equal(missing.length, 2);
  for (const r of missing) assert.equal(r.chatServer, 'not available: chat-server --help lists no --irc-port');
});

test('rows: IRC over WebSocket against IRC over TCP, per CPU-second (at least 0.8x) and per idle connection (the line protocol + the allowance)', () => {
  const rows = buildRows(
    {
      chatIdle: summary({ kibPerConnection: 6 }),
      ircDm16: summary({ perCpuSecond: 250_000, p50Us: 3000, p99Us: 9000 }),
      webDm16: summary({ perCpuSecond: 190_000, p50Us: 4000, p99Us: 12_000, misrouted: 2 }),
      ircIdle: summary({ kibPerConnection: 6.8 }),
      webIdle: summary({ kibPerConnection: 10.5 }),
    },
    new Map(),
    sizes,
  );
  const at = rows.findIndex((r) => r.measure.startsWith('WebSocket vs IRC over TCP: direct messages/s'));
  assert.ok(at >= 0);
  assert.deepEqual([rows[at]!.serverCpu, rows[at]!.misrouted], ['99 / 99', '2']);
  const perCpu = rows[at + 1]!;
  assert.deepEqual(
    [perCpu.measure.trim(), perCpu.reference, perCpu.chatServer, perCpu.ratio, perCpu.target, perCpu.met],
    ['per server CPU-second', '250.0k', '190.0k', '0.76', '>= 0.8', 'NO'],
  );
  assert.deepEqual([rows[at + 2]!.reference, rows[at + 2]!.chatServer], ['3.00 / 9.00', '4.00 / 12.00']);
  const overIrc = rows.find((r) => r.measure.startsWith('WebSocket vs IRC over TCP: KiB per idle'))!;
  assert.deepEqual([overIrc.ratio, overIrc.target, overIrc.met], ['+3.70 KiB', '', ''], 'reported, no target of its own');
  const overLine = rows.find((r) => r.measure.startsWith('WebSocket vs line protocol: KiB per idle'))!;
  assert.deepEqual(
    [overLine.reference, overLine.chatServer, overLine.ratio, overLine.target, overLine.met],
    ['6.00', '10.50', '+4.50 KiB', `<= +${WEB_IDLE_ALLOWANCE_KIB} KiB`, 4.5 <= WEB_IDLE_ALLOWANCE_KIB ? 'yes' : 'NO'],
  );
  const table = formatTable(rows).split('\n');
  assert.equal(new Set(table.map((l) => l.length)).size, 1, 'columns line up');

  const without = buildRows(
    { ircDm16: summary({}), chatIdle: summary({}), ircIdle: summary({}) },
    new Map<CaseName, string>([
      ['webDm16', 'chat-server --help lists no --web-port'],
      ['webIdle', 'chat-server --help lists no --web-port'],
    ]),
    sizes,
  );
  const missing = without.filter((r) => r.measure.startsWith('WebSocket vs'));
  assert.equal(missing.length, 3, 'messages/s and the two idle rows; no latency row without figures');
  for (const r of missing) assert.equal(r.chatServer, 'not available: chat-server --help lists no --web-port');
});

test('problems: any loss, misrouting, dropped connection or error fails the run', () => {
  assert.deepEqual(problemsOf({ chatDm16: summary({}) }), []);
  assert.deepEqual(problemsOf({ chatDm16: summary({ lost: 2, misrouted: 1, dropped: 3, errors: ['server process 7 died'] }) }), [
    'chatDm16: 2 lost',
    'chatDm16: 1 misrouted',
    'chatDm16: 3 connections dropped by the server',
    'chatDm16: server process 7 died',
  ]);
});
