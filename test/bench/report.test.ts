import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Summary } from '../../bench/median.js';
import { median, summarise } from '../../bench/median.js';
import { buildRows, formatTable, problemsOf, type CaseName } from '../../bench/report.js';
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

test('problems: any loss, misrouting, dropped connection or error fails the run', () => {
  assert.deepEqual(problemsOf({ chatDm16: summary({}) }), []);
  assert.deepEqual(problemsOf({ chatDm16: summary({ lost: 2, misrouted: 1, dropped: 3, errors: ['server process 7 died'] }) }), [
    'chatDm16: 2 lost',
    'chatDm16: 1 misrouted',
    'chatDm16: 3 connections dropped by the server',
    'chatDm16: server process 7 died',
  ]);
});
