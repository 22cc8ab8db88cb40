import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { describe, test, type TestContext } from 'node:test';
import { ChatMetrics } from '../../src/ops/metrics.js';
import { REFUSAL_LABELS } from '../../src/protocol/codes.js';
import type { ChatServerOptions } from '../../src/app/server.js';
import { makeCerts } from '../helpers/certs.js';
import { LineQueue } from '../helpers/lines.js';
import { redisSkip, TestRedis } from '../helpers/redis.js';
import { startServer } from '../helpers/server.js';
import { UdpWire } from '../helpers/udp-wire.js';
import { usersFile } from '../helpers/users.js';
import { waitFor } from '../helpers/wait.js';
import { WireClient } from '../helpers/wire-client.js';
import { parseSamples, sample, seriesOf, type Samples } from './prometheus.js';

/** A server whose events go through a ChatMetrics, as chat-server --metrics runs it. */
async function withMetrics(t: TestContext, options: ChatServerOptions = {}, pingMs?: number) {
  const metrics = new ChatMetrics(pingMs === undefined ? {} : { pingMs });
  t.after(() => metrics.close());
  const started = await startServer(t, { rate: 0, ...options, onEvent: metrics.onEvent() });
  metrics.watch(started.server);
  const read = async (): Promise<Samples> => parseSamples(await metrics.registry.metrics());
  return { ...started, metrics, read };
}

const delta = (before: Samples, after: Samples, series: string): number => sample(after, series) - sample(before, series);

describe('metrics', () => {
  test('chat figures move with traffic: messages by kind, bytes in and out exactly, refusals', async (t) => {
    const { port, read } = await withMetrics(t);
    const alice = await WireClient.registered(t, port, 'alice');
    const bob = await WireClient.registered(t, port, 'bob');
    await alice.lines.until(/^\* bob joined$/);
    const before = await read();
    const wrote = [alice, bob].map((c) => c.socket.bytesWritten);
    const got = [alice, bob].map((c) => c.socket.bytesRead);
    for (let i = 0; i < 3; i++) alice.send(`hello ${i}`);
    for (let i = 0; i < 2; i++) alice.send(`@bob:psst ${i}`);
    alice.send('@nobody:lost'); // not delivered: not counted
    alice.send('/frobnicate');
    await alice.sync();
    for (let i = 0; i < 3; i++) await bob.lines.until(new RegExp(`^<alice> hello ${i}$`));
    for (let i = 0; i < 2; i++) await bob.lines.until(new RegExp(`^\\*alice\\* psst ${i}$`));
    await bob.sync();
    const after = await read();
    assert.equal(delta(before, after, 'chat_messages_total{kind="room"}'), 3);
    assert.equal(delta(before, after, 'chat_messages_total{kind="direct"}'), 2);
    assert.equal(delta(before, after, 'chat_messages_total{kind="kept"}'), 0);
    assert.equal(delta(before, after, 'chat_lines_refused_total{reason="unknown command"}'), 1);
    const sent = [alice, bob].reduce((n, c, i) => n + c.socket.bytesWritten - wrote[i]!, 0);
    const received = [alice, bob].reduce((n, c, i) => n + c.socket.bytesRead - got[i]!, 0);
    assert.equal(delta(before, after, 'chat_received_bytes_total'), sent);
    assert.equal(delta(before, after, 'chat_sent_bytes_total'), received);
    assert.equal(sample(after, 'chat_users_online'), 2);
    assert.equal(sample(after, 'chat_rooms'), 1);
    assert.equal(sample(after, 'chat_connections_accepted_total'), 2);
    // Node's own figures, from the same registry.
    for (const name of ['nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes', 'process_cpu_seconds_total']) {
      assert.ok(sample(after, name) >= 0, name);
    }
  });

  test('connections by transport, users and rooms follow connections as they come and go', async (t) => {
    const certs = makeCerts(t);
    const { server, port, read } = await withMetrics(t, { tls: { cert: certs.cert, key: certs.key }, udpPort: 0 });
    const plain = await withMetrics(t);
    const tcp = await WireClient.registered(t, plain.port, 'carol');
    const secure = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(certs.ca), servername: 'localhost' });
    t.after(() => secure.destroy());
    const lines = new LineQueue(secure, 'tls');
    await lines.until(/^\* welcome/);
    secure.write('#alice\n/join attic\n');
    await lines.until(/^\* you are in attic/);
    const udp = await UdpWire.registered(t, server.udpAddress!.port, 'bob');
    let now = await read();
    assert.equal(sample(now, 'chat_connections{transport="tls"}'), 1);
    assert.equal(sample(now, 'chat_connections{transport="udp"}'), 1);
    assert.equal(sample(now, 'chat_connections{transport="tcp"}'), 0);
    assert.equal(sample(now, 'chat_users_online'), 2);
    assert.equal(sample(now, 'chat_rooms'), 2, 'attic and the lobby');
    const other = await plain.read();
    assert.equal(sample(other, 'chat_connections{transport="tcp"}'), 1);
    assert.equal(sample(other, 'chat_connections{transport="tls"}'), 0);
    secure.end('/quit\n');
    await waitFor(() => server.core.connections === 1, 'the TLS client gone');
    now = await read();
    assert.equal(sample(now, 'chat_connections{transport="tls"}'), 0);
    assert.equal(sample(now, 'chat_users_online'), 1);
    assert.equal(sample(now, 'chat_rooms'), 1);
    // alice was in the lobby too, with bob.
    assert.equal(await udp.next(), '* alice left');
    await udp.expectNothing();
    await tcp.expectNothing();
  });

  test('refusal labels stay a fixed set, whatever clients send; failed logins are counted', async (t) => {
    const users = await usersFile(t, { alice: 'wonderland', bob: 'builder' });
    const { port, read } = await withMetrics(t, { users, authFailureDelayMs: 1 });
    const alice = await WireClient.loggedIn(t, port, 'alice', 'wonderland');
    // Every refusal reason that carries client text, with new text each time.
    const words = Array.from({ length: 200 }, (_, i) => `w${i}x${Math.random().toString(36).slice(2, 8)}`);
    alice.write(words.map((w) => `/${w} ${w}\n/join ${w}!\n`).join(''));
    await alice.sync();
    const mallory = await WireClient.connect(t, port);
    await mallory.lines.until(/^\* welcome/);
    for (const w of words.slice(0, 4)) mallory.send(`#bob ${w}`);
    for (let i = 0; i < 4; i++) assert.equal(await mallory.next(), '! authentication failed');
    mallory.send(`#${'bad name'.repeat(3)} x`);
    await mallory.next();
    const now = await read();
    const refused = seriesOf(now, 'chat_lines_refused_total');
    assert.deepEqual([...refused.keys()].sort(), REFUSAL_LABELS.map((l) => `chat_lines_refused_total{reason="${l}"}`).sort());
    assert.equal(refused.get('chat_lines_refused_total{reason="unknown command"}'), 200);
    assert.equal(refused.get('chat_lines_refused_total{reason="invalid room"}'), 200);
    assert.equal(refused.get('chat_lines_refused_total{reason="authentication failed"}'), 4);
    assert.equal(sample(now, 'chat_failed_logins_total'), 4);
  });

  test('a reader that stops reading and is cut off is one send-queue cut-off', async (t) => {
    const { server, port, read } = await withMetrics(t, { maxSendq: 4096 });
    const sleeper = await WireClient.registered(t, port, 'sleeper');
    sleeper.socket.pause();
    const flooder = await WireClient.registered(t, port, 'flooder');
    const chunk = Array.from({ length: 64 }, () => `@sleeper:${'x'.repeat(1000)}\n`).join('');
    const cut = (): boolean => server.core.hub.lookup('sleeper') === undefined;
    for (let i = 0; i < 1000 && !cut(); i++) {
      flooder.write(chunk);
      await flooder.sync();
    }
    assert.ok(cut(), 'the sleeper was cut off');
    const now = await read();
    assert.equal(sample(now, 'chat_send_queue_cutoffs_total'), 1);
  });

  test('flood-control pauses are read from the core', async (t) => {
    const { server, port, read } = await withMetrics(t, { rate: 50, burst: 1 });
    const alice = await WireClient.registered(t, port, 'alice');
    alice.write('/ping a\n/ping b\n/ping c\n');
    await alice.lines.until(/^\* pong c$/);
    const now = await read();
    assert.ok(server.core.stats.floodPauses > 0);
    assert.equal(sample(now, 'chat_flood_pauses_total'), server.core.stats.floodPauses);
  });

  test('kicks, bans and unbans are counted by action; store writes go into the latency histogram', async (t) => {
    const { metrics, read } = await withMetrics(t);
    const log: string[] = [];
    const onEvent = metrics.onEvent((e) => log.push(e.type));
    onEvent({ type: 'moderation', action: 'kick', by: 'op', name: 'troll', reason: 'spam' });
    onEvent({ type: 'moderation', action: 'ban', by: 'op', name: 'troll', reason: 'spam', until: Date.now() + 60_000 });
    onEvent({ type: 'moderation', action: 'ban', by: 'op', name: 'other', reason: '' });
    metrics.observeStoreWrite(3);
    metrics.observeStoreWrite(40);
    const now = await read();
    assert.deepEqual(log, ['moderation', 'moderation', 'moderation'], 'every event goes on to the log');
    assert.equal(sample(now, 'chat_moderation_actions_total{action="kick"}'), 1);
    assert.equal(sample(now, 'chat_moderation_actions_total{action="ban"}'), 2);
    assert.equal(sample(now, 'chat_moderation_actions_total{action="unban"}'), 0);
    assert.equal(sample(now, 'chat_store_write_seconds_count'), 2);
    assert.equal(sample(now, 'chat_store_write_seconds_bucket{le="0.005"}'), 1);
    assert.ok(Math.abs(sample(now, 'chat_store_write_seconds_sum') - 0.043) < 1e-9);
    assert.equal(now.has('chat_redis_connected'), false, 'no Redis figures without Redis');
  });
});

describe('metrics of a clustered server', { skip: redisSkip }, () => {
  test('Redis connected 0/1 and its round trip; the health problem while cut off', async (t) => {
    const redis = await TestRedis.start(t);
    const { metrics, read } = await withMetrics(t, { redis: { url: redis.url, leaseMs: 1000 } }, 20);
    let now = await read();
    for (let i = 0; sample(now, 'chat_redis_ping_seconds_count') < 3; i++) {
      assert.ok(i < 400, 'PINGs are timed');
      await new Promise((resolve) => setTimeout(resolve, 20));
      now = await read();
    }
    assert.equal(sample(now, 'chat_redis_connected'), 1);
    assert.equal(metrics.problem(), undefined);
    await redis.stop();
    await waitFor(() => metrics.problem() !== undefined, 'the server to see Redis gone');
    assert.match(metrics.problem()!, /^cut off from Redis at redis:\/\/127\.0\.0\.1:\d+\/?: serving this server's users only$/);
    now = await read();
    assert.equal(sample(now, 'chat_redis_connected'), 0);
    const pings = sample(now, 'chat_redis_ping_seconds_count');
    await redis.restart();
    await waitFor(() => metrics.problem() === undefined, 'the server back in the chat');
    now = await read();
    assert.equal(sample(now, 'chat_redis_connected'), 1);
    assert.ok(sample(now, 'chat_redis_ping_seconds_count') >= pings);
  });
});
