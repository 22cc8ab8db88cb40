import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { redisSkip } from '../helpers/redis.js';

const BENCH = fileURLToPath(new URL('../../bench/run.js', import.meta.url));

/** A short run so the benchmark never rots; no figure is judged here (that is the bench's job). */
test('npm run bench works: a quick run measures every scenario for both servers', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [BENCH, '--quick', '--json'], { timeout: 120_000 });
  const report = JSON.parse(stdout) as { quick: boolean; results: Record<string, Record<string, unknown>> };
  assert.equal(report.quick, true);
  for (const kind of ['baseline', 'chat-server']) {
    const r = report.results[kind] as {
      direct: { delivered: number; perSecond: number; p99ms: number };
      directWindow1: { delivered: number };
      room: { delivered: number };
      connectsPerSecond: number;
      bytesPerIdleConnection: Record<string, number>;
      joinWavePingMs: number;
    };
    assert.ok(r.direct.delivered > 0, `${kind}: direct messages were delivered`);
    assert.ok(Number.isFinite(r.direct.p99ms));
    assert.ok(r.directWindow1.delivered > 0);
    assert.ok(r.room.delivered > 0, `${kind}: room messages were delivered`);
    assert.ok(r.connectsPerSecond > 0);
    assert.deepEqual(Object.keys(r.bytesPerIdleConnection), ['100', '300']);
    assert.ok(r.joinWavePingMs > 0, `${kind}: the watcher's pings were answered during the joins`);
  }
  // Across two servers through Redis: measured for chat-server wherever redis-server is.
  const cluster = (report.results['chat-server'] as { cluster: { delivered: number } | null }).cluster;
  if (redisSkip === false) assert.ok(cluster && cluster.delivered > 0, 'direct messages crossed between two servers');
  else assert.equal(cluster, null);
});
