import assert from 'node:assert/strict';
import net from 'node:net';
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

  test('a sentinel that wants a password, or refuses SUBSCRIBE, is told of once, not at every retry', async (t) => {
    const locked = await TestRedis.start(t, { args: ['--requirepass', 'sentinel-secret'] });
    const noSubscribe = await TestRedis.start(t, { args: ['--user', 'default', 'on', 'nopass', '~*', '&*', '+@all', '-subscribe'] });
    const problems: string[] = [];
    const watch = new SentinelWatch(
      [
        { host: '127.0.0.1', port: locked.port },
        { host: '127.0.0.1', port: noSubscribe.port },
      ],
      'chat',
      {},
      () => assert.fail('nothing moved'),
      (message) => problems.push(message),
    );
    t.after(() => watch.close());
    watch.start();
    await waitFor(() => problems.length === 2, 'both sentinels told of');
    const byPort = new Map(problems.map((p) => [Number(/^cannot listen to the sentinel at 127\.0\.0\.1:(\d+) /.exec(p)?.[1]), p]));
    assert.match(byPort.get(locked.port) ?? '', /\(NOAUTH /);
    assert.match(byPort.get(noSubscribe.port) ?? '', /\(NOPERM /);
    for (const p of problems) {
      assert.match(
        p,
        /: a failover is followed only once the connection to the old primary fails; let the sentinels answer SUBSCRIBE without a password \(docs\/cluster\.md, "Redis with Sentinel"\)$/,
      );
    }
    // The locked one is retried (ioredis reconnects): two more connections to it, still told once.
    const probe = new Redis(locked.url, { password: 'sentinel-secret' });
    t.after(() => probe.disconnect());
    const connections = async () => Number(/total_connections_received:(\d+)/.exec(await probe.info('stats'))?.[1]);
    const before = await connections();
    await waitUntil(async () => (await connections()) >= before + 3);
    assert.equal(problems.length, 2, problems.join('\n'));
  });

  test('a SUBSCRIBE lost with its connection is no refusal: nothing told, and the next connection subscribes', async (t) => {
    const primary = await TestRedis.start(t);
    // A sentinel that drops the connection at the first SUBSCRIBE (it restarts, say), then
    // takes the next and announces a failover to PRIMARY on it.
    let subscribes = 0;
    const sentinel = net.createServer((socket) => {
      let pending = '';
      socket.on('data', (data) => {
        pending += data.toString('latin1');
        for (let command = nextCommand(pending); command !== undefined; command = nextCommand(pending)) {
          pending = pending.slice(command.length);
          const name = command.args[0]?.toUpperCase();
          // ioredis speaks RESP3 (HELLO 3), whose Pub/Sub messages are pushes (`>`).
          if (name === 'HELLO') socket.write(`%1\r\n${bulk('proto')}:3\r\n`);
          else if (name !== 'SUBSCRIBE') {
            socket.write(name === 'INFO' ? bulk('# Server\r\nredis_mode:sentinel\r\n') : '+OK\r\n');
          } else if (++subscribes === 1) {
            socket.destroy();
          } else {
            socket.write(`>3\r\n${bulk('subscribe')}${bulk('+switch-master')}:1\r\n`);
            socket.write(`>3\r\n${bulk('message')}${bulk('+switch-master')}${bulk(`chat 127.0.0.1 1 127.0.0.1 ${primary.port}`)}`);
          }
        }
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => sentinel.listen(0, '127.0.0.1', resolve));
    t.after(() => sentinel.close());
    const moves: number[] = [];
    const problems: string[] = [];
    const watch = new SentinelWatch(
      [{ host: '127.0.0.1', port: (sentinel.address() as net.AddressInfo).port }],
      'chat',
      {},
      (_, port) => moves.push(port),
      (message) => problems.push(message),
    );
    t.after(() => watch.close());
    watch.start();
    await waitFor(() => moves.length === 1, 'the failover announced on the second connection');
    assert.equal(subscribes, 2);
    assert.deepEqual(problems, [], 'a lost connection is not a refusal to tell the operator of');
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

/** RESP's bulk string of TEXT (ASCII). */
const bulk = (text: string): string => `$${text.length}\r\n${text}\r\n`;

/** The first whole command of TEXT (a RESP array of bulk strings) and its length; undefined until one is whole. */
function nextCommand(text: string): { args: string[]; length: number } | undefined {
  const head = /^\*(\d+)\r\n/.exec(text);
  if (head === null) return undefined;
  let at = head[0].length;
  const args: string[] = [];
  for (let i = 0; i < Number(head[1]); i++) {
    const size = /^\$(\d+)\r\n/.exec(text.slice(at));
    if (size === null || text.length < at + size[0].length + Number(size[1]) + 2) return undefined;
    at += size[0].length;
    args.push(text.slice(at, at + Number(size[1])));
    at += Number(size[1]) + 2;
  }
  return { args, length: at };
}

/** Polls COND (a question to Redis) until it holds, for at most 10 s. */
async function waitUntil(cond: () => Promise<boolean>): Promise<void> {
  for (let i = 0; !(await cond()); i++) {
    assert.ok(i < 1000, 'never happened');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
