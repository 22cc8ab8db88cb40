import assert from 'node:assert/strict';
import net from 'node:net';
import { test, type TestContext } from 'node:test';
import { ChatMetrics } from '../../src/ops/metrics.js';
import { MAX_SCRAPERS, MetricsServer } from '../../src/ops/metrics-server.js';
import { startServer } from '../helpers/server.js';
import { get, parseSamples } from './prometheus.js';

async function endpoint(t: TestContext): Promise<number> {
  const metrics = new ChatMetrics();
  const { server } = await startServer(t, { onEvent: metrics.onEvent() });
  metrics.watch(server);
  const http = new MetricsServer(metrics);
  const { port } = await http.listen('127.0.0.1', 0);
  t.after(() => http.close());
  return port;
}

test('the endpoint: Prometheus text at /metrics, ok at /healthz, 404 elsewhere, GET and HEAD only', async (t) => {
  const port = await endpoint(t);
  const metrics = await get(port, '/metrics?x=1');
  assert.equal(metrics.status, 200);
  assert.match(metrics.type ?? '', /^text\/plain; version=0\.0\.4/);
  assert.equal(parseSamples(metrics.body).get('chat_users_online'), 0);
  assert.deepEqual([(await get(port, '/healthz')).status, (await get(port, '/healthz')).body], [200, 'ok\n']);
  for (const path of ['/', '/metrics/', '/healthz/x', '/../metrics', '/%00']) assert.equal((await get(port, path)).status, 404, path);
  assert.equal((await get(port, '/metrics', 'POST')).status, 405);
  const head = await get(port, '/metrics', 'HEAD');
  assert.deepEqual([head.status, head.body], [200, '']);
});

test('a client that connects and sends nothing, or half a request, does not stop the others', async (t) => {
  const port = await endpoint(t);
  const idle = Array.from({ length: 20 }, () => net.connect({ host: '127.0.0.1', port }));
  for (const s of idle) {
    s.on('error', () => {});
    t.after(() => s.destroy());
  }
  idle[0]!.write('GET /metrics HTTP/1.1\r\nHost: x\r\n'); // headers never finished
  idle[1]!.write('garbage\r\n\r\n');
  for (let i = 0; i < 5; i++) assert.equal((await get(port, '/healthz')).status, 200);
});

test('connections beyond MAX_SCRAPERS are closed at once; the endpoint still answers after', async (t) => {
  const port = await endpoint(t);
  const idle = await Promise.all(
    Array.from({ length: MAX_SCRAPERS + 20 }, () => {
      const socket = net.connect(port, '127.0.0.1');
      t.after(() => socket.destroy());
      socket.on('error', () => {});
      return new Promise<net.Socket>((resolve) => socket.once('connect', () => resolve(socket)));
    }),
  );
  const closed = await Promise.all(
    idle.map(
      (s) =>
        new Promise<boolean>((resolve) => {
          s.once('close', () => resolve(true));
          setTimeout(() => resolve(false), 1000).unref();
        }),
    ),
  );
  assert.equal(closed.filter(Boolean).length, 20, 'the ones over the limit');
  for (const s of idle) s.destroy();
  // Once the server has seen them go (a moment later), a scrape is served again.
  let status = 0;
  for (let i = 0; i < 100 && status !== 200; i++)
    status = await get(port, '/healthz').then(
      (r) => r.status,
      () => 0,
    );
  assert.equal(status, 200);
});

test('scrapers that hang up mid-request or mid-answer do not hurt the endpoint', async (t) => {
  const port = await endpoint(t);
  for (let i = 0; i < 50; i++) {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('error', () => {});
    s.write(i % 2 ? 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n' : 'GET /metr');
    if (i % 3 === 0) s.destroy();
    else s.once('data', () => s.destroy());
    t.after(() => s.destroy());
  }
  const answer = await get(port, '/metrics');
  assert.equal(answer.status, 200);
  assert.ok(parseSamples(answer.body).has('chat_users_online'));
});
