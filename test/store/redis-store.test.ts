import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { RedisHub } from '../../src/hub/redis/hub.js';
import { HISTORY_IDLE_MS, RedisStore } from '../../src/store/redis-store.js';
import { DIRECT_LOG_MAX, READ_MARKERS_MAX, type StoreLimits } from '../../src/store/store.js';
import { execFileSync } from 'node:child_process';
import { docBlock } from '../helpers/docs.js';
import { redisSkip, TestRedis } from '../helpers/redis.js';
import { StoreClock, storeContract } from './contract.js';
import { T0 } from '../helpers/fake-clock.js';

async function open(t: TestContext, redis: TestRedis | Redis, limits: Partial<StoreLimits>, clock: StoreClock, errors: Error[] = []): Promise<RedisStore> {
  const store = new RedisStore({ redis: redis instanceof TestRedis ? redis.url : redis, limits, now: clock.now, events: { onError: (e) => errors.push(e) } });
  await store.start();
  t.after(() => store.close());
  return store;
}

describe('the Redis store', { skip: redisSkip }, () => {
  /** The Redis of the test being run: make() starts it, reopen() and another() use it. */
  const redisOf = new WeakMap<TestContext, TestRedis>();
  storeContract({
    async make(t, limits, clock) {
      let redis = redisOf.get(t);
      if (redis === undefined) {
        redis = await TestRedis.start(t);
        redisOf.set(t, redis);
      }
      return open(t, redis, limits, clock);
    },
    async reopen(t, store, limits, clock) {
      await store.close();
      return open(t, redisOf.get(t)!, limits, clock);
    },
    async another(t, limits, clock) {
      return open(t, redisOf.get(t)!, limits, clock);
    },
  });

  test('Redis restarted from its append-only file keeps history, kept messages, bans and owned rooms', async (t) => {
    const args = ['--appendonly', 'yes', '--appendfsync', 'always'];
    const redis = await TestRedis.start(t, { args });
    const clock = new StoreClock();
    const store = await open(t, redis, { history: 3 }, clock);
    for (const text of ['a', 'b', 'c', 'd']) store.append('Dev', { at: clock.now(), from: 'alice', text });
    assert.equal(await store.keep('Bob', { at: clock.now(), from: 'alice', text: 'for later' }), 'kept');
    await store.ban({ name: 'eve', by: 'op', reason: 'spam', at: clock.now(), until: undefined });
    await store.saveRoom('Ops', { v: 4, owner: 'Alice', ops: ['alice'], key: 'sesame' });
    // Answered after the room messages (one connection, in order): all of it is in the file.
    assert.deepEqual(
      (await store.history('dev', 10))?.map((e) => e.text),
      ['b', 'c', 'd'],
    );
    await store.close();
    await redis.stop(); // SIGKILL: nothing is saved on the way out
    await redis.restart(args);
    const again = await open(t, redis, { history: 3 }, clock);
    assert.deepEqual(
      (await again.history('DEV', 10))?.map((e) => e.text),
      ['b', 'c', 'd'],
    );
    assert.deepEqual(
      (await again.kept('bob'))?.map((m) => [m.from, m.text]),
      [['alice', 'for later']],
    );
    assert.equal((await again.banOf('EVE', clock.now()))?.reason, 'spam');
    assert.deepEqual(await again.ownedRoom('ops'), { v: 4, owner: 'Alice', ops: ['alice'], key: 'sesame' });
    assert.equal(await again.ownedRooms('alice'), 1);
  });

  test("a store sharing a connection of its caller (the hub's) uses its keys, and leaves it open", async (t) => {
    const redis = await TestRedis.start(t);
    const shared = new Redis(redis.url);
    t.after(() => shared.disconnect());
    const clock = new StoreClock();
    const store = new RedisStore({ redis: shared, prefix: 'chat7:', now: clock.now });
    await store.start();
    store.append('dev', { at: clock.now(), from: 'alice', text: 'shared' });
    assert.deepEqual(
      (await store.history('dev', 5))?.map((e) => e.text),
      ['shared'],
    );
    assert.deepEqual((await shared.keys('*')).sort(), ['chat7:history-bytes', 'chat7:history-rooms', 'chat7:history-total', 'chat7:history:dev']);
    // A room left idle loses its history in the end: it does not hold Redis's memory for ever.
    const ttl = await shared.pttl('chat7:history:dev');
    assert.ok(ttl > HISTORY_IDLE_MS - 60_000 && ttl <= HISTORY_IDLE_MS, `expires in ${ttl} ms`);
    await store.close();
    assert.equal(await shared.ping(), 'PONG', 'still open');
  });

  test("--history-disk bounds all rooms' history together, the oldest going first; --history each room, exactly", async (t) => {
    const redis = await TestRedis.start(t);
    const peek = new Redis(redis.url);
    t.after(() => peek.disconnect());
    const clock = new StoreClock();
    const historyDisk = 256 * 1024;
    // A history written before counting began (an older release) is counted once met.
    for (let i = 0; i < 5; i++) await peek.xadd('chat:history:legacy', '*', 'at', '1', 'f', 'old', 't', `legacy ${i}`);
    const store = await open(t, redis, { history: 20, historyDisk }, clock);
    /** What the streams hold, counted as the store counts it: the fields' bytes and 40. */
    const held = async (): Promise<number> => {
      let bytes = 0;
      for (const key of await peek.keys('chat:history:*')) {
        for (const [, fields] of await peek.xrange(key, '-', '+'))
          bytes += 40 + fields.filter((_, i) => i % 2 === 1).reduce((n, f) => n + Buffer.byteLength(f), 0);
      }
      return bytes;
    };
    const text = 'x'.repeat(1000);
    for (let i = 0; i < 1200; i++) {
      store.append(`room${i % 40}`, { at: clock.now(), from: 'walker', text: `${i} ${text}` });
      if (i === 100) store.append('legacy', { at: clock.now(), from: 'walker', text: 'new' });
      // Rooms made once and filled: one turn every 10 messages, as a busy chat would.
      if (i % 10 === 9) await store.history('room0', 1);
      // A history that expired while idle (PEXPIRE), then spoken in again: not counted twice.
      if (i === 600) await peek.del('chat:history:room5');
      if (i === 109 || i === 649) assert.equal(await held(), Number(await peek.get('chat:history-total')), `counted as held, at ${i}`);
    }
    assert.deepEqual(
      (await store.history('room39', 1))?.map((e) => e.text.split(' ')[0]),
      ['1199'],
      'the newest stay',
    );
    const total = Number(await peek.get('chat:history-total'));
    assert.ok(total <= historyDisk && total > historyDisk / 2, `${total} bytes counted`);
    assert.equal(await held(), total, 'what is counted is what the streams hold');
    // About the last 250 messages fit: none of the first half is left, in any room.
    for (const room of ['room0', 'room1', 'room39']) {
      for (const e of (await store.history(room, 100)) ?? []) assert.ok(Number(e.text.split(' ')[0]) >= 600, `${room}: ${e.text.slice(0, 8)}`);
    }
    assert.ok((await peek.xlen('chat:history:room39')) <= 20, 'a room keeps --history at most');
  });

  test("a store on the hub's command connection: one connection for both, the hub's database", async (t) => {
    const redis = await TestRedis.start(t);
    const hub = new RedisHub({ url: `${redis.url}/3`, leaseMs: 1000 });
    hub.attach({ presence: () => undefined, render: () => '', direct: () => {}, evicted: () => {}, removed: () => {}, log: () => {} });
    await hub.start();
    t.after(() => hub.close());
    const clock = new StoreClock();
    const store = new RedisStore({ redis: hub.connection, now: clock.now });
    await store.start();
    store.append('dev', { at: clock.now(), from: 'alice', text: 'through the hub' });
    assert.equal(await store.keep('bob', { at: clock.now(), from: 'alice', text: 'kept' }), 'kept');
    assert.deepEqual(
      (await store.history('dev', 5))?.map((e) => e.text),
      ['through the hub'],
    );
    await store.close();
    const raw = new Redis(`${redis.url}/3`);
    t.after(() => raw.disconnect());
    assert.deepEqual((await raw.keys('chat:history:*')).concat(await raw.keys('chat:kept:*')), ['chat:history:dev', 'chat:kept:bob']);
    assert.deepEqual(await hub.names(), [], 'the hub goes on after the store is closed');
  });

  test('the Redis user of docs/cluster.md may do all the store does', async (t) => {
    const redis = await TestRedis.start(t);
    const command = docBlock('redis-acl')
      .block.replace(/^ +/gm, '')
      .replace(/^redis-cli /, `redis-cli -p ${redis.port} `);
    assert.equal(execFileSync('bash', ['-c', command], { encoding: 'utf8' }).trim(), 'OK');
    const clock = new StoreClock();
    const chat = new Redis(`redis://chat:CHANGE-ME@127.0.0.1:${redis.port}`);
    t.after(() => chat.disconnect());
    const store = await open(t, chat, { offlineMax: 1 }, clock);
    store.append('dev', { at: clock.now(), from: 'alice', text: 'allowed' });
    assert.deepEqual(
      (await store.history('dev', 5))?.map((e) => e.text),
      ['allowed'],
    );
    assert.equal(await store.keep('bob', { at: clock.now(), from: 'alice', text: 'kept' }), 'kept');
    assert.equal(await store.keep('bob', { at: clock.now(), from: 'alice', text: 'full' }), 'full');
    const [kept] = (await store.kept('bob')) ?? [];
    await store.remove('bob', [kept!.id]);
    await store.ban({ name: 'eve', by: 'op', reason: '', at: clock.now(), until: undefined });
    assert.deepEqual(
      (await store.bans(clock.now()))?.map((b) => b.name),
      ['eve'],
    );
    assert.equal(await store.unban('eve'), true);
    for (const device of ['d1', 'd2', 'd3']) await store.markDevice('alice', device, { at: clock.now() - 1, rooms: ['dev'] });
    await store.markDevice('alice', 'd1', { at: clock.now(), rooms: [] });
    assert.deepEqual(await store.deviceMark('alice', 'd1'), { at: clock.now(), rooms: [] });
    store.logDirect('alice', { at: clock.now(), from: 'bob', to: 'alice', text: 'logged' });
    assert.deepEqual(
      (await store.directsSince('alice', 0))?.map((e) => e.text),
      ['logged'],
    );
    await store.saveRoom('dev', { v: 1, owner: 'alice', ops: ['alice'] });
    await store.saveRoom('dev', { v: 2, owner: 'bob', ops: ['bob'] });
    assert.equal((await store.ownedRoom('dev'))?.owner, 'bob');
    assert.equal(await store.ownedRooms('bob'), 1);
    // Past the bound, so that the script drops one too.
    for (let i = 0; i <= READ_MARKERS_MAX; i++) await store.setReadMarker('alice', `t${i}`, clock.now() + i);
    assert.equal(await store.readMarker('alice', 't0'), undefined);
    assert.equal(await store.setReadMarker('alice', 't1', clock.now()), clock.now() + 1);
  });

  test('read markers: a hash of times and a sorted set for the bound; a damaged time is an error that changes nothing', async (t) => {
    const redis = await TestRedis.start(t);
    const store = await open(t, redis, {}, new StoreClock());
    await store.setReadMarker('Alice', '#Dev', T0);
    const raw = new Redis(redis.url);
    t.after(() => raw.disconnect());
    assert.deepEqual(await raw.hgetall('chat:read-markers:alice'), { '#dev': String(T0) });
    assert.deepEqual(await raw.zrange('chat:read-marker-times:alice', '0', '-1', 'WITHSCORES'), ['#dev', String(T0)]);
    await raw.hset('chat:read-markers:alice', '#dev', 'soon');
    await assert.rejects(async () => store.readMarker('alice', '#dev'), /could not be read in Redis: the kept read marker #dev is damaged/);
    await assert.rejects(async () => store.setReadMarker('alice', '#dev', T0 + 1), /could not be kept in Redis: .*the kept read marker #dev is damaged/);
    assert.equal(await raw.hget('chat:read-markers:alice', '#dev'), 'soon');
  });

  test('owned rooms: one hash of states and one of counts under the prefix; a damaged state or count is an error that changes nothing', async (t) => {
    const redis = await TestRedis.start(t);
    const shared = new Redis(redis.url);
    t.after(() => shared.disconnect());
    const store = new RedisStore({ redis: shared, prefix: 'chat7:' });
    await store.start();
    await store.saveRoom('Dev', { v: 2, owner: 'Alice', ops: ['alice'], key: 'sesame' });
    await store.saveRoom('ops', { v: 1, owner: 'alice', ops: [] });
    assert.deepEqual((await shared.keys('*')).sort(), ['chat7:owned-count', 'chat7:owned-rooms']);
    assert.deepEqual(await shared.hgetall('chat7:owned-rooms'), {
      dev: '{"v":2,"owner":"Alice","ops":["alice"],"key":"sesame"}',
      ops: '{"v":1,"owner":"alice","ops":[]}',
    });
    assert.deepEqual(await shared.hgetall('chat7:owned-count'), { alice: '2' });
    await store.saveRoom('ops', { v: 2, owner: 'bob', ops: [] });
    await store.saveRoom('dev', { v: 3, owner: 'bob', ops: [] });
    assert.deepEqual(await shared.hgetall('chat7:owned-count'), { bob: '2' }, 'an owner with none left has no field');

    await shared.hset('chat7:owned-rooms', 'dev', '{"v":3,"owner":"bob","ops":["bo');
    await assert.rejects(Promise.resolve(store.ownedRoom('DEV')), /a room's state in Redis could not be read: the kept state of the room dev is damaged/);
    await assert.rejects(Promise.resolve(store.saveRoom('dev', { v: 9, owner: 'carol', ops: [] })), /the kept state of the room dev is damaged/);
    assert.deepEqual(await shared.hgetall('chat7:owned-count'), { bob: '2' });
    await shared.hset('chat7:owned-rooms', 'dev', '{"v":3,"ops":[]}');
    await assert.rejects(Promise.resolve(store.ownedRoom('dev')), /is damaged: it has no owner/);

    await shared.hset('chat7:owned-count', 'bob', 'lots');
    await assert.rejects(Promise.resolve(store.ownedRooms('Bob')), /the rooms an account owns could not be counted in Redis: the count is damaged \("lots"\)/);
    await assert.rejects(Promise.resolve(store.saveRoom('ops', { v: 3, owner: 'carol', ops: [] })), /the count of the rooms bob owns is damaged/);
    assert.equal((await store.ownedRoom('ops'))?.owner, 'bob', 'nothing changed');
    assert.equal(await store.ownedRooms('carol'), 0);
    await store.close();
  });

  test('catch-up: a log stream and two marks keys per account under the prefix, each expiring catchupMs after its last write; a damaged mark is an error', async (t) => {
    const redis = await TestRedis.start(t);
    const shared = new Redis(redis.url);
    t.after(() => shared.disconnect());
    const clock = new StoreClock();
    const catchupMs = 3 * 24 * 3600 * 1000;
    const store = new RedisStore({ redis: shared, prefix: 'chat7:', now: clock.now, limits: { catchupMs } });
    await store.start();
    await store.markDevice('Alice', 'Laptop', { at: clock.now(), rooms: ['dev'] });
    store.logDirect('ALICE', { at: clock.now(), from: 'bob', to: 'Alice', text: 'hello' });
    store.logDirect('bob', { at: clock.now(), from: 'Alice', to: 'bob', text: 'bob never named a device' });
    assert.equal((await store.directsSince('alice', 0))?.length, 1);
    assert.deepEqual((await shared.keys('*')).sort(), ['chat7:device-times:alice', 'chat7:devices:alice', 'chat7:directs:alice']);
    assert.deepEqual(await shared.hgetall('chat7:devices:alice'), { laptop: `{"at":${clock.now()},"rooms":["dev"]}` });
    assert.deepEqual(await shared.zrange('chat7:device-times:alice', '0', '-1', 'WITHSCORES'), ['laptop', String(clock.now())]);
    // An account that goes away leaves nothing for ever.
    for (const key of ['chat7:device-times:alice', 'chat7:devices:alice', 'chat7:directs:alice']) {
      const ttl = await shared.pttl(key);
      assert.ok(ttl > catchupMs - 60_000 && ttl <= catchupMs, `${key} expires in ${ttl} ms`);
    }
    // Trimmed exactly, not about: a log never holds more than DIRECT_LOG_MAX.
    for (let i = 0; i < DIRECT_LOG_MAX + 50; i++) {
      store.logDirect('alice', { at: clock.now(), from: 'bob', to: 'alice', text: `m${i}` });
      if (i % 300 === 299) await store.directsSince('alice', 0);
    }
    assert.equal((await store.directsSince('alice', 0))?.at(-1)?.text, `m${DIRECT_LOG_MAX + 49}`);
    assert.equal(await shared.xlen('chat7:directs:alice'), DIRECT_LOG_MAX);

    await shared.hset('chat7:devices:alice', 'laptop', '{"at":"soon","rooms":["dev"]}');
    await assert.rejects(
      Promise.resolve(store.deviceMark('alice', 'laptop')),
      /where a device left could not be read in Redis: the kept mark of the device laptop is damaged: its time is not a whole number/,
    );
    await shared.hset('chat7:devices:alice', 'laptop', 'not json');
    await assert.rejects(Promise.resolve(store.deviceMark('alice', 'laptop')), /is damaged: its time is not a whole number/);
    await shared.hset('chat7:devices:alice', 'laptop', `{"at":${clock.now()},"rooms":"dev"}`);
    await assert.rejects(Promise.resolve(store.deviceMark('alice', 'laptop')), /is damaged: its rooms are not a list/);
    await store.close();
  });

  test('history never answers more than the limit, whatever Redis kept (it trims about the limit)', async (t) => {
    const redis = await TestRedis.start(t);
    const clock = new StoreClock();
    const store = await open(t, redis, { history: 150 }, clock);
    for (let i = 1; i <= 1000; i++) store.append('busy', { at: i, from: 'alice', text: `m${i}` });
    const all = (await store.history('busy', 10_000)) ?? [];
    assert.equal(all.length, 150);
    assert.deepEqual([all[0]?.text, all.at(-1)?.text], ['m851', 'm1000']);
    const raw = new Redis(redis.url);
    t.after(() => raw.disconnect());
    const length = await raw.xlen('chat:history:busy');
    assert.ok(length >= 150 && length < 400, `${length} entries held for a limit of 150`);
  });

  test('two servers keeping for one account at once never pass offlineMax', async (t) => {
    const redis = await TestRedis.start(t);
    const clock = new StoreClock();
    const one = await open(t, redis, { offlineMax: 10 }, clock);
    const two = await open(t, redis, { offlineMax: 10 }, clock);
    // Twenty senders, two messages each: within a sender's share, so offlineMax alone refuses.
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? one : two).keep('alice', { at: clock.now(), from: `sender${i % 20}`, text: `m${i}` })),
    );
    assert.equal(answers.filter((a) => a === 'kept').length, 10);
    assert.equal(answers.filter((a) => a === 'full').length, 30);
    assert.equal((await one.kept('alice'))?.length, 10);
  });

  test('Redis unreachable: reads answer undefined and keep "unavailable" at once, writes are reported once, and all resumes', async (t) => {
    const redis = await TestRedis.start(t);
    const clock = new StoreClock();
    const errors: Error[] = [];
    const store = await open(t, redis, {}, clock, errors);
    await redis.stop();
    const started = Date.now();
    assert.equal(await store.history('dev', 10), undefined);
    assert.equal(await store.kept('alice'), undefined);
    assert.equal(await store.keep('alice', { at: clock.now(), from: 'bob', text: 'x' }), 'unavailable');
    // Never taken for "not banned": a login must be refused, not let in.
    await assert.rejects(Promise.resolve(store.banOf('eve', clock.now())), /the bans in Redis could not be read/);
    assert.equal(await store.bans(clock.now()), undefined);
    await assert.rejects(Promise.resolve(store.ban({ name: 'eve', by: 'op', reason: '', at: 0, until: undefined })), /the bans in Redis could not be changed/);
    await assert.rejects(Promise.resolve(store.unban('eve')), /the bans in Redis could not be changed/);
    await assert.rejects(Promise.resolve(store.remove('alice', ['1-1'])));
    // Nor is an owned room taken for "owned by nobody": a private room must not open.
    await assert.rejects(Promise.resolve(store.ownedRoom('dev')), /a room's state in Redis could not be read/);
    await assert.rejects(Promise.resolve(store.saveRoom('dev', { v: 1, owner: 'alice', ops: [] })), /a room's state could not be kept in Redis/);
    await assert.rejects(Promise.resolve(store.ownedRooms('alice')), /the rooms an account owns could not be counted in Redis/);
    // Nor is a device taken for one that never left: its catch-up is refused, not made up.
    assert.equal(await store.directsSince('alice', 0), undefined);
    await assert.rejects(Promise.resolve(store.deviceMark('alice', 'laptop')), /where a device left could not be read in Redis/);
    await assert.rejects(Promise.resolve(store.markDevice('alice', 'laptop', { at: 0, rooms: [] })), /where a device left could not be kept in Redis/);
    assert.ok(Date.now() - started < 1000, `answered after ${Date.now() - started} ms`);
    for (let i = 0; i < 50; i++) {
      store.append('dev', { at: clock.now(), from: 'alice', text: `lost ${i}` });
      store.logDirect('alice', { at: clock.now(), from: 'bob', to: 'alice', text: `lost ${i}` });
      await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(errors.length, 1, errors.map((e) => e.message).join('\n'));
    assert.match(errors[0]!.message, /^could not write a room message to the history in Redis: /);

    await redis.restart();
    for (;;) {
      if ((await store.history('dev', 10)) !== undefined) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    store.append('dev', { at: clock.now(), from: 'alice', text: 'back' });
    assert.deepEqual(
      (await store.history('dev', 10))?.map((e) => e.text),
      ['back'],
    );
  });

  test('a Redis that stops answering: a read gives up after the timeout instead of hanging', async (t) => {
    const redis = await TestRedis.start(t);
    const clock = new StoreClock();
    const store = await open(t, redis, {}, clock);
    redis.pause();
    t.after(() => redis.resume());
    const started = Date.now();
    assert.equal(await store.kept('alice'), undefined);
    const waited = Date.now() - started;
    assert.ok(waited >= 1500 && waited < 4000, `answered after ${waited} ms`);
    redis.resume();
  });

  test('a Redis that cannot be used: start() says where and why', async (t) => {
    const redis = await TestRedis.start(t);
    await redis.stop();
    const store = new RedisStore({ redis: redis.url });
    await assert.rejects(store.start(), /^Error: cannot use Redis at redis:\/\/127\.0\.0\.1:\d+\/? for history: .*ECONNREFUSED/);
  });
});
