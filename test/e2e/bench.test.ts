import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { type Row, WEB_IDLE_ALLOWANCE_KIB } from '../../bench/report.js';
import { redisSkip } from '../helpers/redis.js';

const BENCH = fileURLToPath(new URL('../../bench/run.js', import.meta.url));
const SERVER = fileURLToPath(new URL('../../src/cli/chat-server.js', import.meta.url));
const help = spawnSync(process.execPath, [SERVER, '--help'], { encoding: 'utf8' }).stdout;
const lists = (option: string): boolean => new RegExp(`^\\s*${option}\\b`, 'm').test(help);

/** A short run so the benchmark never rots; no figure is judged here (that is the bench's job). */
test('npm run bench -- --quick: every scenario runs for both servers, nothing lost, one table with targets', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [BENCH, '--quick', '--json'], { timeout: 180_000 });
  const report = JSON.parse(stdout) as { quick: boolean; rows: Row[]; problems: string[] };
  assert.equal(report.quick, true);
  assert.deepEqual(report.problems, [], 'no loss, misrouting, dropped connection or failed run');
  const columns = ['measure', 'reference', 'chatServer', 'ratio', 'target', 'met', 'serverCpu', 'lost', 'misrouted'];
  for (const row of report.rows) assert.deepEqual(Object.keys(row), columns);
  const row = (start: string): Row => {
    const found = report.rows.find((r) => r.measure.startsWith(start));
    assert.ok(found, `a row "${start}..."`);
    return found;
  };
  const measured = (r: Row, target: string): void => {
    assert.match(r.reference, /\d/, `${r.measure}: the reference was measured`);
    assert.match(r.chatServer, /\d/, `${r.measure}: chat-server was measured`);
    assert.match(r.ratio, /\d/, `${r.measure}: a ratio`);
    assert.equal(r.target, target, `${r.measure}: the issue's target`);
    assert.match(r.met, /^(yes|NO)$/, `${r.measure}: judged`);
  };
  const perCpu = report.rows.filter((r) => r.measure.trim() === 'per server CPU-second');
  assert.equal(perCpu.length, 5, 'direct, room, connects, IRC and WebSocket per server CPU-second');
  measured(perCpu[0]!, '>= 0.9');
  measured(perCpu[1]!, '>= 0.9');
  measured(perCpu[2]!, '>= 0.8');
  measured(perCpu[3]!, '>= 0.9');
  measured(perCpu[4]!, '>= 0.8');
  for (const main of ['direct messages/s', 'room deliveries/s', 'connects + registrations/s', 'p99 latency at window 1']) {
    const r = row(main);
    assert.deepEqual([r.lost, r.misrouted], ['0', '0'], `${main}: lost and misrouted reported`);
    assert.match(r.serverCpu, /^\d+ \/ \d+$/, `${main}: server core % of both`);
  }
  measured(row('p99 latency at window 1'), '<= 1.2');
  measured(row('KiB per idle connection at 300'), '<= +1 KiB');
  measured(row('IRC vs line protocol: KiB per idle connection'), '<= +1 KiB');
  measured(row('WebSocket vs line protocol: KiB per idle connection'), `<= +${WEB_IDLE_ALLOWANCE_KIB} KiB`);

  // Rows for features chat-server may not have yet: measured where --help lists them.
  const optional: [string, boolean][] = [
    ['room message, history 1000 in memory', lists('--history')],
    ['room message, history 1000 in SQLite', lists('--history') && lists('--db')],
    ['direct message, metrics on vs off', lists('--metrics')],
    ['2 chat-servers + Redis', redisSkip === false && lists('--redis')],
  ];
  for (const [start, available] of optional) {
    const r = row(start);
    if (available) assert.match(r.chatServer, /\d/, `${start}: measured`);
    else assert.match(r.chatServer, /^not available: /, `${start}: says why it was not measured`);
  }
});
