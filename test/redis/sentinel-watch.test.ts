import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { SentinelWatch } from '../../src/redis/sentinel-watch.js';
import { redisSkip, TestRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The watch against real Redis: a plain redis-server stands in for the sentinel (a sentinel's
 * events are Pub/Sub messages, published here by hand), beside a primary and its replica.
 */
describe('SentinelWatch', { skip: redisSkip }, () => {
  test('follows an announced primary, by address or by name, never a replica, another master, or after close', async (t) => {
    const sentinel = await TestRedis.start(t);
    const primary = await TestRedis.start(t);
    const replica = await TestRedis.start(t, { args: ['--replicaof', '127.0.0.1', String(primary.port)] });
    const moves: string[] = [];
    const watch = new SentinelWatch([{ host: '127.0.0.1', port: sentinel.port }], 'chat', {}, (addresses, port) =>
      moves.push(`${addresses.includes('127.0.0.1') ? '127.0.0.1' : addresses.join('|')}:${port}`),
    );
    t.after(() => watch.close());
    watch.start();
    const publisher = new Redis(sentinel.url);
    t.after(() => publisher.disconnect());
    // Subscribed once the sentinel counts our subscriber.
    await waitUntil(async () => ((await publisher.pubsub('NUMSUB', '+switch-master')) as [string, number])[1] === 1);
    const announce = (host: string, port: number, master = 'chat') => publisher.publish('+switch-master', `${master} 127.0.0.1 1 ${host} ${port}`);
    await announce('127.0.0.1', replica.port); // a late sentinel naming a replica: not followed
    await announce('127.0.0.1', primary.port, 'other'); // another chat's primary
    await announce('localhost', primary.port); // a sentinel that announces names
    await waitFor(() => moves.length === 1, 'the primary announced by name');
    assert.deepEqual(moves, [`127.0.0.1:${primary.port}`]);
    await announce('127.0.0.1', primary.port);
    await waitFor(() => moves.length === 2, 'the primary announced by address');
    watch.close();
    await announce('127.0.0.1', primary.port);
    // Nothing follows a close: the publisher's own round trip is time enough for a message.
    await publisher.ping();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(moves.length, 2);
  });

  test('a sentinel down at start is listened to once it is up', async (t) => {
    const sentinel = await TestRedis.start(t);
    const primary = await TestRedis.start(t);
    await sentinel.stop();
    const moves: number[] = [];
    const watch = new SentinelWatch([{ host: '127.0.0.1', port: sentinel.port }], 'chat', {}, (_, port) => moves.push(port));
    t.after(() => watch.close());
    watch.start();
    await sentinel.restart();
    const publisher = new Redis(sentinel.url);
    t.after(() => publisher.disconnect());
    await waitUntil(async () => ((await publisher.pubsub('NUMSUB', '+switch-master')) as [string, number])[1] === 1);
    await publisher.publish('+switch-master', `chat 127.0.0.1 1 127.0.0.1 ${primary.port}`);
    await waitFor(() => moves.length === 1, 'the announcement');
  });
});

/** Polls COND (a question to Redis) until it holds, for at most 10 s. */
async function waitUntil(cond: () => Promise<boolean>): Promise<void> {
  for (let i = 0; !(await cond()); i++) {
    assert.ok(i < 1000, 'never happened');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
