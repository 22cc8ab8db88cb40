import { CANARY_FIELD } from '../../src/hub/redis/canary.js';
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { byteLength, decodeEntry, directBody, encodeEntry, eventBody, FIELD, roomHeader, userHeader } from '../../src/hub/redis/cluster-message.js';
import { LOBBY, type DirectMessage, type HubEvents, type Member, type Removal, type RoomEvent } from '../../src/hub/hub.js';
import { dm, lineDirect, lineRender, testRender } from '../helpers/line-events.js';
import { RedisHub } from '../../src/hub/redis/hub.js';
import { TestRedis } from '../helpers/redis.js';
import { mayHaveLost, mayNotBeDelivered } from '../../src/dialects/line/wording.js';
import { WAIT_MS } from '../helpers/lines.js';
import { eventually, hubContract, TestMember } from '../hub/contract.js';

/** What a hub told its server, for the tests to wait on. */
class Recorder implements HubEvents {
  readonly logs: string[] = [];
  readonly presences: string[] = [];
  readonly evictions: string[] = [];
  #waiters: (() => void)[] = [];

  presence(rooms: readonly string[], names: readonly string[], change: 'left' | 'joined'): undefined {
    this.presences.push(`${change} ${rooms.join(' ')}: ${names.join(', ')}`);
    this.#wake();
    return undefined;
  }

  render(event: RoomEvent, room: string, tagged: boolean): Buffer | string {
    return testRender(event, room, tagged);
  }

  direct(member: Member, message: DirectMessage): void {
    lineDirect(member, message);
  }

  evicted(member: Member, why: string): void {
    this.evictions.push(`${member.name}: ${why}`);
    this.#wake();
  }

  removed(member: Member, removal: Removal): void {
    this.evictions.push(`${member.name}: ${'shown' in removal ? removal.shown : `removed from ${removal.room} by ${removal.by}`}`);
    this.#wake();
  }

  log(message: string): void {
    this.logs.push(message);
    this.#wake();
  }

  /** As the core does (ChatCore's hub events): the sender is told, in the dialect's words. */
  undelivered(from: Member, to: string): void {
    from.deliver(`${mayNotBeDelivered(to)}\n`);
  }

  /** As the core does: the member is told that messages may have been lost. */
  lost(member: Member): void {
    member.deliver(`${mayHaveLost()}\n`);
  }

  /** Resolves once CHECK holds; each event looks again. */
  async until(check: () => boolean): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`never happened; logs: ${JSON.stringify(this.logs)}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 100).unref();
      });
    }
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}

async function hubOn(t: TestContext, url: string, leaseMs = 1000): Promise<{ hub: RedisHub; events: Recorder }> {
  const hub = new RedisHub({ url, leaseMs });
  const events = new Recorder();
  hub.attach(events);
  await hub.start();
  t.after(() => hub.close());
  return { hub, events };
}

/** The stream's entries from the BEFORE-th on, but the servers' canaries (canary.ts), which come every third of a lease. */
async function entriesFrom(raw: Redis, before: number): Promise<[Buffer, Buffer[]][]> {
  const all = (await raw.xrangeBuffer('chat:stream', '-', '+')) as [Buffer, Buffer[]][];
  return all.slice(before).filter(([, fields]) => fields[0]!.toString('latin1') !== CANARY_FIELD);
}

/** Two hubs on one Redis, alice on the first and bob on the second, and a raw connection to read the stream. */
async function aliceAndBob(t: TestContext) {
  const redis = await TestRedis.start(t);
  const { hub: one } = await hubOn(t, redis.url);
  const { hub: two } = await hubOn(t, redis.url);
  const alice = new TestMember('alice');
  const bob = new TestMember('bob');
  await one.claim('alice', alice);
  await two.claim('bob', bob);
  const raw = new Redis(redis.url);
  t.after(() => raw.disconnect());
  return { one, two, alice, bob, raw, before: await raw.xlen('chat:stream') };
}

/** Entries as another server would add them (cluster-message.ts). */
const OTHER = 'elsewhere-1-aa';
/** An entry with a direct message for KEY on SERVER, given as the line it is shown as (`*FROM* TEXT`). */
const directEntry = (server: string, key: string, shown: string): Buffer => {
  const body = directBody(dm(shown));
  return encodeEntry(OTHER, [[key, server]], [userHeader('@', key, byteLength(body)), body]);
};
const evictionEntry = (server: string, key: string): Buffer => encodeEntry(OTHER, [[key, server]], [userHeader('!', key, 0), '']);
/** `<NAME> TEXT` as the room event it is. */
function said(line: string): RoomEvent {
  const [, from, text] = /^<([^>]+)> (.*)$/.exec(line.replace(/\n$/, ''))!;
  return { kind: 'message', from: from!, text: text! };
}
const roomEntry = (origin: string, room: string, lines: string[], skip = ''): Buffer =>
  encodeEntry(
    origin,
    [],
    lines.flatMap((line) => {
      const body = eventBody(said(line));
      return [roomHeader([room], byteLength(body), skip), body];
    }),
  );

/** The Redis hub on its own: the contract, and what only a cluster has. Run by cluster.test.ts. */
export function redisHubTests(): void {
  // n servers: n hubs on one Redis of the test's own.
  hubContract(async (t, n) => {
    const redis = await TestRedis.start(t);
    return Promise.all(Array.from({ length: n }, async () => (await hubOn(t, redis.url)).hub));
  });

  test("the stream: a direct message for another server's holder of the name, junk, and our own messages are not delivered here", async (t) => {
    const redis = await TestRedis.start(t);
    const { hub } = await hubOn(t, redis.url);
    const bob = new TestMember('bob');
    await hub.claim('bob', bob);
    const raw = new Redis(redis.url);
    t.after(() => raw.disconnect());
    const add = (message: Buffer | string) => raw.xadd('chat:stream', '*', FIELD, message);
    await add(directEntry('another-2-bb', 'bob', '*alice* for the bob of another server\n'));
    await add(roomEntry(hub.id, 'lobby', ['<bob> ours, delivered when sent\n']));
    await add(roomEntry(OTHER, 'lobby', ['<carol> not about us\n'], hub.id));
    await add('junk\n');
    // Another program's entries: another field, more fields, the last release's form.
    await raw.xadd('chat:stream', '*', 'm', directEntry(hub.id, 'bob', '*alice* under another field\n'));
    await raw.xadd('chat:stream', '*', FIELD, directEntry(hub.id, 'bob', '*alice* one of two fields\n'), 'x', 'y');
    await raw.xadd('chat:stream', '*', 'm', `${OTHER} @${hub.id} bob\n*alice* old form\n`);
    const lastForm = `${OTHER} 3 ${hub.id} ${hub.id}\n* lobby 24\n<carol> the last form 1\n@ bob 24\n*alice* the last form 2\n@ bob 24\n*alice* the last form 3\n`;
    await raw.xadd('chat:stream', '*', 'u', lastForm);
    // The release before: direct messages as wire bytes, under 'v'.
    await raw.xadd('chat:stream', '*', 'v', `${OTHER} 1 bob ${hub.id}\n@ bob 24\n*alice* the v form xxxxx\n`);
    // Cut short: nothing of it is delivered, not even its first, whole, frame.
    const whole = roomEntry(OTHER, 'lobby', ['<alice> cut\n', '<alice> short\n']);
    await add(whole.subarray(0, whole.length - 2));
    // One entry holds a turn's messages: each is delivered, in order.
    await add(roomEntry(OTHER, 'lobby', ['<alice> one\n', '<alice> two\n']));
    await add(directEntry(hub.id, 'bob', '*alice* fence\n'));
    await bob.receive('*alice* fence');
    assert.deepEqual(bob.lines, ['<alice> one', '<alice> two', '*alice* fence']);
  });

  test('the stream is trimmed by age: entries older than twice the lease and the reconnect time go, newer ones stay', async (t) => {
    const leaseMs = 1000; // hubOn's
    const { one, alice, bob, raw } = await aliceAndBob(t);
    // Old entries, as if written long ago (ids are Redis's time in ms): 500 of them, in a
    // stream begun again (the servers' canaries are in it already, with today's ids).
    const now = Number((await raw.time())[0]) * 1000;
    const keepMs = 2 * leaseMs + 5000 + 2 * 2000;
    // In one transaction: a canary written between would be above them all.
    const old = raw.multi().del('chat:stream');
    for (let i = 0; i < 500; i++) old.xadd('chat:stream', `${now - keepMs - 60_000 + i}-0`, 'm', 'old');
    await old.exec();
    // Every entry is before the last one each server read: newer ones are added after it.
    for (let i = 0; i < 200; i++) {
      assert.equal(await one.toRooms([LOBBY], said(`<alice> ${i}`), alice), 'delivered');
    }
    await bob.receive('<alice> 199');
    assert.equal(await one.toRooms([LOBBY], said('<alice> last'), alice), 'delivered');
    await bob.receive('<alice> last');
    const entries = await raw.xrange('chat:stream', '-', '+');
    assert.ok(
      entries.every(([, fields]) => fields[1] !== 'old'),
      `${entries.filter(([, f]) => f[1] === 'old').length} old entries left`,
    );
    assert.equal(entries.filter(([, fields]) => fields[0] !== CANARY_FIELD).length, 201, 'the new ones stay, beside the canaries');
    assert.equal(bob.count('<alice> 0'), 1);
  });

  test('the messages of one turn, room and direct, go into one entry in the order they were sent; an unknown name is said so', async (t) => {
    const { one, two, alice, bob, raw, before } = await aliceAndBob(t);
    const answers = [
      one.toRooms([LOBBY], said('<alice> a'), alice),
      one.toRooms([LOBBY], said('<alice> b'), alice),
      one.direct('bob', dm(Buffer.from('*alice* c\n'))),
      one.direct('nobody', dm('*alice* lost\n')),
      one.toRooms([LOBBY], said('<alice> d'), alice),
      one.direct('BOB', dm('*alice* e\n')),
    ];
    assert.deepEqual(await Promise.all(answers), ['delivered', 'delivered', 'delivered', 'no such user', 'delivered', 'delivered']);
    await bob.receive('*alice* e');
    assert.deepEqual(bob.lines, ['<alice> a', '<alice> b', '*alice* c', '<alice> d', '*alice* e']);
    const entries = await entriesFrom(raw, before);
    assert.equal(entries.length, 1, 'one entry, one command, for the whole turn');
    const [[, fields]] = entries as [[Buffer, Buffer[]]];
    assert.deepEqual(fields[0], Buffer.from(FIELD));
    // Six messages, two of them to bob, who is named once with his server; "nobody" not at all.
    const header = fields[1]!.subarray(0, fields[1]!.indexOf('\n')).toString();
    assert.equal(header, `${one.id} 6 bob ${two.id}`);
    assert.deepEqual(
      decodeEntry(fields[1]!, two.id)?.map((m) =>
        m.kind === 'room' ? lineRender(m.event, '', false).toString() : m.kind === 'direct' ? `*${m.message.from}* ${m.message.text}\n` : m.kind,
      ),
      ['<alice> a\n', '<alice> b\n', '*alice* c\n', '<alice> d\n', '*alice* e\n'],
    );
  });

  test('a direct message crosses as text, decoded once: non-ASCII text arrives whole, as a string', async (t) => {
    const { one, alice, bob } = await aliceAndBob(t);
    const text = '*alice* héllo ✓ 😀 \u{10FFFF} ñ\n';
    assert.equal(await one.direct('bob', dm(text)), 'delivered');
    assert.equal(await one.toRooms([LOBBY], said('<alice> ça va ✓'), alice), 'delivered');
    await bob.receive('<alice> ça va ✓');
    assert.deepEqual(bob.deliveries, [text, Buffer.from('<alice> ça va ✓\n')], 'the direct message a string, the room message bytes');
  });

  test('names no user can hold are no such user, and never shift the others of the turn', async (t) => {
    const { one, two, bob, raw } = await aliceAndBob(t);
    const carol = new TestMember('carol');
    await two.claim('carol', carol);
    // A registry entry not in our form (no server id before a space) holds nobody.
    await raw.hset('chat:names', 'ghost', 'ghost');
    // Nor one with an empty server id: it must not spoil the entry's header for the others.
    await raw.hset('chat:names', 'ghost2', ' ghost2');
    const before = await raw.xlen('chat:stream');
    // The entry's header line parts users and servers by spaces: a name with one must not become two.
    const answers = [
      one.direct('carol bob', dm('*x* 1\n')),
      one.direct('bob', dm('*x* 2\n')),
      one.direct('carol\nbob', dm('*x* 3\n')),
      one.remove('bob carol', { shown: 'kicked' }),
      one.direct('', dm('*x* 4\n')),
      one.direct('ghost', dm('*x* 4\n')),
      one.direct('ghost2', dm('*x* 4\n')),
      one.direct('carol', dm('*x* 5\n')),
    ];
    assert.deepEqual(await Promise.all(answers), [
      'no such user',
      'delivered',
      'no such user',
      'no such user',
      'no such user',
      'no such user',
      'no such user',
      'delivered',
    ]);
    await carol.receive('*x* 5');
    assert.deepEqual([bob.lines, carol.lines], [['*x* 2'], ['*x* 5']]);
    // A turn that reaches nobody adds nothing to the stream.
    const after = await raw.xlen('chat:stream');
    assert.equal(await one.direct('nobody', dm('*x* lost\n')), 'no such user');
    assert.equal(await raw.xlen('chat:stream'), after);
    assert.equal(after, before + 1);
  });

  test('a turn to many users, some named twice, some nobody holds: each answer is its own, each text reaches only its addressee', async (t) => {
    const { one, two, raw, before } = await aliceAndBob(t);
    const users = Array.from({ length: 30 }, (_, i) => new TestMember(`u${i}`));
    for (const u of users) await two.claim(u.name!, u);
    // Interleaved: a held name, an unknown one, the held one again in another case, a room message.
    const answers: Promise<string>[] = [];
    const expected: string[] = [];
    for (let i = 0; i < 30; i++) {
      answers.push(Promise.resolve(one.direct(`u${i}`, dm(`*alice* first ${i}\n`))), Promise.resolve(one.direct(`ghost${i}`, dm(`*alice* lost ${i}\n`))));
      answers.push(Promise.resolve(one.direct(`U${i}`, dm(`*alice* second ${i}\n`))), Promise.resolve(one.toRooms([LOBBY], said(`<alice> r${i}`), undefined)));
      expected.push('delivered', 'no such user', 'delivered', 'delivered');
    }
    assert.deepEqual(await Promise.all(answers), expected);
    await users[29]!.receive('*alice* second 29');
    users.forEach((u, i) => {
      assert.deepEqual(
        u.lines.filter((l) => l.startsWith('*')),
        [`*alice* first ${i}`, `*alice* second ${i}`],
        u.name,
      );
    });
    const entries = await entriesFrom(raw, before);
    assert.equal(entries.length, 1);
    // Thirty users named once each, with their server; no ghost.
    const header = entries[0]![1][1]!.subarray(0, entries[0]![1][1]!.indexOf('\n')).toString().split(' ');
    assert.equal(header.length, 2 + 60);
    assert.ok(
      header.slice(2).every((part, i) => (i % 2 === 0 ? /^u\d+$/.test(part) : part === two.id)),
      header.join(' '),
    );

    // A flood of the cheapest turn: a thousand names nobody holds adds nothing to the stream.
    const length = await raw.xlen('chat:stream');
    const lost = await Promise.all(Array.from({ length: 1000 }, (_, i) => one.direct(`nobody${i}`, dm('x\n'))));
    assert.ok(lost.every((a) => a === 'no such user'));
    assert.equal(await raw.xlen('chat:stream'), length);
  });

  test('a turn of many messages, or of long ones, goes in several entries of bounded size, each message once, in order', async (t) => {
    const { one, two, alice, bob, raw, before } = await aliceAndBob(t);
    // 2500 short direct messages, then 300 room messages of 4 KB, all in one turn.
    const answers: Promise<string>[] = [];
    for (let i = 0; i < 2500; i++) answers.push(Promise.resolve(one.direct('bob', dm(`*alice* d${i}\n`))));
    const long = 'x'.repeat(4000);
    for (let i = 0; i < 300; i++) answers.push(Promise.resolve(one.toRooms([LOBBY], said(`<alice> r${i} ${long}`), alice)));
    assert.ok((await Promise.all(answers)).every((a) => a === 'delivered'));
    await bob.receive(`<alice> r299 ${long}`);
    const expected = [...Array.from({ length: 2500 }, (_, i) => `*alice* d${i}`), ...Array.from({ length: 300 }, (_, i) => `<alice> r${i} ${long}`)];
    assert.deepEqual(bob.lines, expected);
    const entries = await entriesFrom(raw, before);
    const sizes = entries.map(([, fields]) => fields[1]!.length);
    const counts = entries.map(([, fields]) => decodeEntry(fields[1]!, two.id)!.length);
    assert.deepEqual(counts.slice(0, 2), [1000, 1000], 'at most 1000 messages an entry');
    assert.ok(
      counts.every((c) => c <= 1000),
      `${counts}`,
    );
    assert.equal(
      counts.reduce((a, b) => a + b),
      2800,
    );
    // 1.2 MB of room messages: in entries of 256 KiB, give or take the message that passed it.
    assert.ok(entries.length >= 7, `${entries.length} entries`);
    assert.ok(Math.max(...sizes) <= 256 * 1024 + 4100, `an entry of ${Math.max(...sizes)} bytes`);
  });

  test('the bound of an entry counts bytes: a turn of long lines in a script of three bytes a character', async (t) => {
    const { one, bob, raw, before } = await aliceAndBob(t);
    // 300 direct messages of 1360 characters, 4 KB each on the wire, in one turn.
    const long = '日'.repeat(1360);
    const answers: Promise<string>[] = [];
    for (let i = 0; i < 300; i++) answers.push(Promise.resolve(one.direct('bob', dm(`*alice* ${i} ${long}\n`))));
    assert.ok((await Promise.all(answers)).every((a) => a === 'delivered'));
    await bob.receive(`*alice* 299 ${long}`);
    assert.equal(bob.lines.length, 300);
    const entries = await entriesFrom(raw, before);
    const sizes = entries.map(([, fields]) => fields[1]!.length);
    assert.ok(Math.max(...sizes) <= 256 * 1024 + 4200, `an entry of ${Math.max(...sizes)} bytes`);
  });

  test('Redis restarted empty: the stream begins again, and reading begins again at its start', async (t) => {
    const redis = await TestRedis.start(t);
    const { hub, events } = await hubOn(t, redis.url);
    const bob = new TestMember('bob');
    await hub.claim('bob', bob);
    const raw = new Redis(redis.url);
    t.after(() => raw.disconnect());
    const to = (text: string) => directEntry(hub.id, 'bob', `*alice* ${text}\n`);
    // An entry far ahead of Redis's clock (as from a Redis whose clock was ahead): read past it.
    await raw.xadd('chat:stream', '9999999999999-0', FIELD, to('from the future'));
    await bob.receive('*alice* from the future');
    await redis.stop();
    await events.until(() => events.logs.some((l) => l.startsWith('lost Redis')));
    await redis.restart();
    await events.until(() => events.logs.some((l) => l.startsWith('Redis is back')));
    // The new stream's ids are today's, far before the last one read: read all the same.
    await raw.xadd('chat:stream', '*', FIELD, to('after the restart'));
    await bob.receive('*alice* after the restart');
  });

  test('cut off for longer than the stream keeps messages: what was trimmed unread is logged as missed', async (t) => {
    const redis = await TestRedis.start(t);
    const raw = new Redis(redis.url);
    t.after(() => raw.disconnect());
    await raw.acl('SETUSER', 'one', 'on', '>pw', '~chat:*', '+@all');
    const { hub, events } = await hubOn(t, `redis://one:pw@127.0.0.1:${redis.port}`, 60_000);
    const bob = new TestMember('bob');
    await hub.claim('bob', bob);
    const to = (text: string) => directEntry(hub.id, 'bob', `*alice* ${text}\n`);
    await raw.xadd('chat:stream', '*', FIELD, to('read'));
    await bob.receive('*alice* read');
    await raw.acl('SETUSER', 'one', 'off');
    await raw.client('KILL', 'USER', 'one');
    await events.until(() => events.logs.some((l) => l.startsWith('lost Redis')));
    // Sent and trimmed while the hub could not read: as after a cut-off past the stream's keep.
    const id = await raw.xadd('chat:stream', '*', FIELD, to('lost'));
    await raw.xadd('chat:stream', '*', FIELD, to('kept'));
    await raw.xtrim('chat:stream', 'MINID', `${id!.split('-')[0]}-${Number(id!.split('-')[1]) + 1}`);
    await raw.acl('SETUSER', 'one', 'on');
    await events.until(() => events.logs.some((l) => l.startsWith('Redis is back')));
    const missed = events.logs.filter((l) => l.startsWith('this server was cut off for longer'));
    assert.deepEqual(missed, [
      'this server was cut off for longer than messages are kept (129 s): its users may have missed some sent meanwhile; told its 1 user',
    ]);
    await bob.receive('*alice* kept');
    assert.deepEqual(bob.lines, ['*alice* read', mayHaveLost(), '*alice* kept']);
    // Cut off again with nothing trimmed: nothing said.
    await raw.client('KILL', 'USER', 'one');
    await events.until(() => events.logs.filter((l) => l.startsWith('Redis is back')).length === 2);
    assert.equal(events.logs.filter((l) => l.startsWith('this server was cut off')).length, 1);
  });

  test('a failover lost an entry one server had read and the other had not: both servers tell their users, once', async (t) => {
    const redis = await TestRedis.start(t);
    const raw = new Redis(redis.url);
    t.after(() => raw.disconnect());
    await raw.acl('SETUSER', 'one', 'on', '>pw', '~chat:*', '+@all');
    await raw.acl('SETUSER', 'two', 'on', '>pw', '~chat:*', '+@all');
    const { hub: one, events: oneEvents } = await hubOn(t, `redis://one:pw@127.0.0.1:${redis.port}`, 60_000);
    const { hub: two, events: twoEvents } = await hubOn(t, `redis://two:pw@127.0.0.1:${redis.port}`, 60_000);
    const alice = new TestMember('alice');
    const bob = new TestMember('bob');
    await one.claim('alice', alice);
    await two.claim('bob', bob);
    const to = (server: string, name: string, text: string) => directEntry(server, name, `*x* ${text}\n`);
    await raw.xadd('chat:stream', '*', FIELD, to(one.id, 'alice', 'both read'));
    await raw.xadd('chat:stream', '*', FIELD, to(two.id, 'bob', 'both read'));
    await alice.receive('*x* both read');
    await bob.receive('*x* both read');
    // Two is cut off; one reads an entry two never will: the old primary's last.
    await raw.acl('SETUSER', 'two', 'off');
    await raw.client('KILL', 'USER', 'two');
    await twoEvents.until(() => twoEvents.logs.some((l) => l.startsWith('lost Redis')));
    const lastId = await raw.xadd('chat:stream', '*', FIELD, to(one.id, 'alice', 'only one read'));
    await alice.receive('*x* only one read');
    // The failover: the new primary never had that entry, and one's connection drops too.
    await raw.acl('SETUSER', 'one', 'off');
    await raw.client('KILL', 'USER', 'one');
    await oneEvents.until(() => oneEvents.logs.some((l) => l.startsWith('lost Redis')));
    await raw.xdel('chat:stream', lastId!);
    await raw.acl('SETUSER', 'one', 'on');
    await oneEvents.until(() => oneEvents.logs.some((l) => l.startsWith('Redis is back')));
    await alice.receive(mayHaveLost());
    // Two's own last entry is still there: only one's "lost" entry tells it.
    await raw.acl('SETUSER', 'two', 'on');
    await twoEvents.until(() => twoEvents.logs.some((l) => l.startsWith('Redis is back')));
    await bob.receive(mayHaveLost());
    await raw.xadd('chat:stream', '*', FIELD, to(two.id, 'bob', 'after'));
    await raw.xadd('chat:stream', '*', FIELD, to(one.id, 'alice', 'after'));
    await bob.receive('*x* after');
    await alice.receive('*x* after');
    assert.deepEqual(alice.lines, ['*x* both read', '*x* only one read', mayHaveLost(), '*x* after']);
    assert.deepEqual(bob.lines, ['*x* both read', mayHaveLost(), '*x* after']);
    for (const events of [oneEvents, twoEvents]) {
      assert.equal(events.logs.filter((l) => l.startsWith("the cluster's stream lost entries")).length, 1, JSON.stringify(events.logs));
    }
  });

  test('chats in two databases of one Redis do not hear each other', async (t) => {
    const redis = await TestRedis.start(t);
    const { hub: one } = await hubOn(t, `${redis.url}/1`);
    const { hub: two } = await hubOn(t, `${redis.url}/2`);
    const { hub: twoToo } = await hubOn(t, `${redis.url}/2`);
    const alice = new TestMember('alice');
    const bob = new TestMember('bob');
    const carol = new TestMember('carol');
    await one.claim('alice', alice);
    assert.equal(await two.claim('alice', new TestMember('alice')), 'claimed', 'another chat, another registry');
    await two.claim('bob', bob);
    await twoToo.claim('carol', carol);
    await one.toRooms([LOBBY], said('<alice> for chat 1 only'), alice);
    await two.toRooms([LOBBY], said('<bob> for chat 2'), bob);
    await carol.receive('<bob> for chat 2');
    assert.deepEqual(carol.lines, ['<bob> for chat 2'], 'nothing from the chat in database 1');
  });

  test('a Redis that comes back refusing our password: the reason is logged once, with what to check', async (t) => {
    const redis = await TestRedis.start(t, { args: ['--requirepass', 'right'] });
    const { events } = await hubOn(t, `redis://:right@127.0.0.1:${redis.port}`);
    await redis.stop();
    await events.until(() => events.logs.some((l) => l.startsWith('lost Redis')));
    await redis.restart(['--requirepass', 'changed']);
    const refused =
      /^still cut off from Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/?: WRONGPASS .*; check the user, password and permissions in the Redis URL$/;
    await events.until(() => events.logs.some((l) => refused.test(l)));
    await redis.stop();
    await redis.restart(['--requirepass', 'right']);
    await events.until(() => events.logs.some((l) => l.startsWith('Redis is back')));
    assert.equal(events.logs.filter((l) => refused.test(l)).length, 1, JSON.stringify(events.logs));
    assert.ok(!events.logs.some((l) => /ECONNREFUSED/.test(l) && l.startsWith('still')), 'retries refused by a stopped Redis are not news');
  });

  test('a takeover of a name our member had already lost elsewhere: the late eviction is for that member, not the newcomer', async (t) => {
    const redis = await TestRedis.start(t);
    const { hub, events } = await hubOn(t, redis.url);
    const first = new TestMember('alice');
    await hub.claim('alice', first);
    // Another server's login takes alice (as its CLAIM would), its eviction still on the way.
    const raw = new Redis(redis.url);
    t.after(() => raw.disconnect());
    await raw.hset('chat:names', 'alice', 'elsewhere-1-aa alice');
    await raw.srem(`chat:server:${hub.id}`, 'alice');
    // A third login, here, takes it back: our first member goes now.
    const third = new TestMember('alice');
    assert.equal(await hub.claim('alice', third, true), 'claimed');
    assert.deepEqual(events.evictions, ['alice: logged in elsewhere']);
    // The eviction from the other server arrives now: it was for the first member.
    await raw.xadd('chat:stream', '*', FIELD, evictionEntry(hub.id, 'alice'));
    await raw.xadd('chat:stream', '*', FIELD, directEntry(hub.id, 'alice', '*bob* fence\n'));
    await third.receive('*bob* fence');
    assert.deepEqual(events.evictions, ['alice: logged in elsewhere'], 'the newcomer keeps its name');
    assert.equal(hub.lookup('alice'), third);
    // A later eviction for the name is heard again.
    await raw.xadd('chat:stream', '*', FIELD, evictionEntry(hub.id, 'alice'));
    await events.until(() => events.evictions.length === 2);
    assert.equal(hub.lookup('alice'), undefined);
  });

  test('a Redis that stops answering: answers come within the timeout, the outage is logged once, and names are put right after', async (t) => {
    const redis = await TestRedis.start(t);
    const leaseMs = 6000; // longer than the stall, so that no server is counted as dead
    const { hub: one, events } = await hubOn(t, redis.url, leaseMs);
    const { hub: two } = await hubOn(t, redis.url, leaseMs);
    const carol = new TestMember('carol');
    await one.claim('carol', carol);
    redis.pause();
    t.after(() => redis.resume());
    const started = Date.now();
    assert.equal(await one.claim('dave', new TestMember('dave')), 'unavailable');
    assert.ok(Date.now() - started < 4500, `answered after ${Date.now() - started} ms`);
    // The next lease renewal times out too: Redis counts as lost, and answers come at once.
    await events.until(() => events.logs.some((l) => l.startsWith('lost Redis')));
    const atOnce = Date.now();
    assert.equal(await one.direct('bob', dm(Buffer.from('*carol* hi\n'))), 'unavailable');
    assert.ok(Date.now() - atOnce < 100);
    one.release('carol', carol); // carol leaves while Redis is away
    redis.resume();
    await events.until(() => events.logs.some((l) => l.startsWith('Redis is back')));
    assert.deepEqual(events.logs.filter((l) => l.startsWith('lost Redis')).length, 1, JSON.stringify(events.logs));
    assert.match(
      events.logs[0]!,
      /^lost Redis at redis:\/\/127\.0\.0\.1:\d+\/? \((Command timed out|no answer on the stream connection)\): serving this server's users only until it is back$/,
    );
    // The other servers' users are told carol left; her name is free again.
    assert.deepEqual(events.presences, ['left lobby: carol']);
    // The other server may have counted Redis as lost too: it comes back by itself.
    await eventually(async () => (await two.claim('carol', new TestMember('carol'))) === 'claimed');
    // A renewal sent during the stall may still time out after it: two can be down once more.
    await eventually(async () => (await two.names()) !== undefined);
    assert.deepEqual(await two.names(), ['carol']);
  });

  /**
   * Server one has read, in the stream, everything added before SPEAKER's hub says something
   * in the lobby now: alice, on one, hears it.
   */
  async function heard(speaker: RedisHub, alice: TestMember, what: string): Promise<void> {
    assert.equal(await speaker.toRooms([LOBBY], { kind: 'message', from: 'fence', text: what }, undefined), 'delivered');
    await alice.receive(`<fence> ${what}`);
  }

  /** Alice on server one, bob and carol on two, and one knowing where bob is (a message to him went through the lookup). */
  async function oneKnowsBob(t: TestContext) {
    const redis = await TestRedis.start(t);
    const { hub: one, events: oneEvents } = await hubOn(t, redis.url);
    const { hub: two, events: twoEvents } = await hubOn(t, redis.url);
    const alice = new TestMember('alice');
    const bob = new TestMember('bob');
    const carol = new TestMember('carol');
    await one.claim('alice', alice);
    await two.claim('bob', bob);
    await two.claim('carol', carol);
    const first = one.direct('bob', dm('*alice* first\n'), alice);
    assert.ok(first instanceof Promise, 'the first message to bob is looked up in Redis');
    assert.equal(await first, 'delivered');
    const raw = new Redis(redis.url);
    t.after(() => raw.disconnect());
    return { redis, raw, one, oneEvents, two, twoEvents, alice, bob, carol };
  }
  type Known = Awaited<ReturnType<typeof oneKnowsBob>>;

  test('a user of another server is looked up once: later messages are answered at once, go in without the lookup, and arrive in order, only to them', async (t) => {
    const { raw, one, alice, bob, carol } = await oneKnowsBob(t);
    await bob.receive('*alice* first');
    await raw.config('RESETSTAT');
    for (let i = 2; i <= 50; i++) assert.equal(one.direct('bob', dm(`*alice* ${i}\n`), alice), 'delivered', `message ${i} answered at once`);
    await bob.receive('*alice* 50');
    assert.deepEqual(bob.lines, ['*alice* first', ...Array.from({ length: 49 }, (_, i) => `*alice* ${i + 2}`)]);
    assert.deepEqual(carol.lines, []);
    assert.deepEqual(alice.lines, []);
    // One plain XADD for the turn; the lookup script adds with an XADD of its own.
    assert.match(await raw.info('commandstats'), /cmdstat_xadd:calls=1,/);
  });

  // Each way a name leaves its server: the stream says so, and server one forgets where it was.
  // Each returns a hub still in the chat to speak after it, and who holds the name now.
  const ways: [string, (c: Known, t: TestContext) => Promise<{ speaker: RedisHub; holder?: TestMember }>][] = [
    [
      'leaves',
      async ({ two, bob }) => {
        two.release('bob', bob);
        return { speaker: two };
      },
    ],
    [
      'takes another name',
      async ({ two, bob }) => {
        assert.equal(await two.rename(bob, 'bob', 'bobby'), 'claimed');
        return { speaker: two };
      },
    ],
    [
      'loses the name to a login of the account on a third server',
      async ({ redis, twoEvents }, t) => {
        const { hub: three } = await hubOn(t, redis.url);
        const holder = new TestMember('bob');
        assert.equal(await three.claim('bob', holder, true), 'claimed');
        await twoEvents.until(() => twoEvents.evictions.length === 1);
        return { speaker: three, holder };
      },
    ],
    [
      'is on a server that shuts down',
      async ({ redis, two }, t) => {
        const { hub: three } = await hubOn(t, redis.url);
        await two.close();
        return { speaker: three };
      },
    ],
  ];
  for (const [way, go] of ways) {
    test(`a user of another server who ${way}: the next message to that name is looked up again`, async (t) => {
      const known = await oneKnowsBob(t);
      const { one, alice, bob } = known;
      assert.equal(one.direct('bob', dm('*alice* known\n'), alice), 'delivered');
      await bob.receive('*alice* known');
      const { speaker, holder } = await go(known, t);
      await heard(speaker, alice, `after bob ${way}`);
      const next = one.direct('bob', dm('*alice* again\n'), alice);
      assert.ok(next instanceof Promise, 'looked up in Redis');
      assert.equal(await next, holder === undefined ? 'no such user' : 'delivered');
      if (holder) await holder.receive('*alice* again');
      assert.equal(bob.count('*alice* again'), 0);
    });
  }

  test('a user of a server that stopped answering, freed at the end of its lease: the next message to that name is looked up again', async (t) => {
    const redis = await TestRedis.start(t);
    const { hub: one, events: oneEvents } = await hubOn(t, redis.url);
    const { hub: two, events: twoEvents } = await hubOn(t, redis.url);
    const alice = new TestMember('alice');
    await one.claim('alice', alice);
    // A server that is in the chat but runs nowhere: dave is its user, in Redis only.
    const raw = new Redis(redis.url);
    t.after(() => raw.disconnect());
    const ghost = 'ghost-1-aa';
    await raw.hset('chat:names', 'dave', `${ghost} dave`);
    await raw.sadd(`chat:server:${ghost}`, 'dave');
    await raw.hset('chat:leases', ghost, String(Date.now() + 3_600_000));
    await raw.sadd('chat:servers', ghost);
    assert.equal(await one.direct('dave', dm('*alice* first\n'), alice), 'delivered');
    assert.equal(one.direct('dave', dm('*alice* known\n'), alice), 'delivered');
    // Its lease runs out: the next tick of one or two frees dave.
    await raw.hset('chat:leases', ghost, '0');
    const freed = (logs: string[]) => logs.some((l) => l.startsWith(`server ${ghost} stopped answering`));
    await eventually(async () => freed(oneEvents.logs) || freed(twoEvents.logs));
    await heard(two, alice, 'after the lease');
    const next = one.direct('dave', dm('*alice* again\n'), alice);
    assert.ok(next instanceof Promise, 'looked up in Redis');
    assert.equal(await next, 'no such user');
  });

  test('while an entry is on its way to Redis, the next turns add to one entry, sent once Redis answers', async (t) => {
    const { redis, raw, one, alice, bob } = await oneKnowsBob(t);
    await bob.receive('*alice* first');
    const before = await raw.xlen('chat:stream');
    redis.pause();
    t.after(() => redis.resume());
    // Five turns: the first's entry goes out and waits on the frozen Redis; the four after it wait for its answer.
    for (let i = 1; i <= 5; i++) {
      assert.equal(one.direct('bob', dm(`*alice* turn ${i}\n`), alice), 'delivered');
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
    }
    redis.resume();
    await bob.receive('*alice* turn 5');
    assert.deepEqual(bob.lines, ['*alice* first', ...[1, 2, 3, 4, 5].map((i) => `*alice* turn ${i}`)]);
    assert.equal((await raw.xlen('chat:stream')) - before, 2, 'two entries: the first turn, then the four after it');
  });

  test('"names changed" entries from another program (empty, junk, huge): known users stay known unless named, and nothing else changes', async (t) => {
    const { raw, one, oneEvents, two, alice, bob } = await oneKnowsBob(t);
    await bob.receive('*alice* first');
    for (const junk of ['', ' ', '\u00ff\u0000\n\n', 'x'.repeat(100_000), 'carol  dave']) await raw.xadd('chat:stream', '*', 'n', junk);
    await raw.xadd('chat:stream', '*', 'n', 'a', 'b', 'c');
    await heard(two, alice, 'after the junk');
    assert.equal(one.direct('bob', dm('*alice* still known\n'), alice), 'delivered');
    await bob.receive('*alice* still known');
    await raw.xadd('chat:stream', '*', 'n', 'bob');
    await heard(two, alice, 'after bob was named');
    const next = one.direct('bob', dm('*alice* looked up\n'), alice);
    assert.ok(next instanceof Promise, 'named: looked up again');
    assert.equal(await next, 'delivered');
    await bob.receive('*alice* looked up');
    assert.deepEqual(oneEvents.logs, []);
  });

  test('a known user that Redis says nobody holds (the change not read yet): forgotten, and the next message is looked up', async (t) => {
    const { raw, one, alice, bob } = await oneKnowsBob(t);
    await bob.receive('*alice* first');
    // Bob's name gone from Redis without a change in the stream, as if it had not been read yet.
    await raw.hdel('chat:names', 'bob');
    // A turn to bob (known) and carol (not): it goes through the lookup, which answers that nobody holds bob.
    assert.equal(one.direct('bob', dm('*alice* to nobody\n'), alice), 'delivered');
    assert.equal(await one.direct('carol', dm('*alice* to carol\n'), alice), 'delivered');
    const next = one.direct('bob', dm('*alice* again\n'), alice);
    assert.ok(next instanceof Promise, 'looked up in Redis');
    assert.equal(await next, 'no such user');
    assert.deepEqual(bob.lines, ['*alice* first']);
  });

  test('Redis forgot our scripts (SCRIPT FLUSH): a turn sent again as a script is not overtaken by the next turn', async (t) => {
    const { raw, one, alice, bob } = await oneKnowsBob(t);
    await bob.receive('*alice* first');
    await raw.script('FLUSH');
    // A room message makes the first entry a script. Every 1000 messages an entry goes at once,
    // without waiting for the one before: the second is a plain XADD. A script sent by its
    // SHA1 would be answered NOSCRIPT and sent again after it; ours go whole.
    assert.equal(one.toRooms([LOBBY], said('<alice> room'), alice) instanceof Promise, true);
    for (let i = 1; i <= 2500; i++) assert.equal(one.direct('bob', dm(`*alice* ${i}\n`), alice), 'delivered');
    await bob.receive('*alice* 2500');
    assert.deepEqual(bob.lines, ['*alice* first', '<alice> room', ...Array.from({ length: 2500 }, (_, i) => `*alice* ${i + 1}`)]);
  });

  test('Redis forgot our scripts on a new connection: a name released, then claimed again at once, stays held', async (t) => {
    const redis = await TestRedis.start(t);
    const { hub: one, events } = await hubOn(t, redis.url, 5000);
    const raw = new Redis(redis.url);
    t.after(() => raw.disconnect());
    const alice = new TestMember('alice');
    const bob = new TestMember('bob');
    assert.equal(await one.claim('alice', alice), 'claimed');
    assert.equal(await one.claim('bob', bob), 'claimed');
    // A new command connection, on which no script has been used yet.
    const commands = String(await raw.client('LIST'))
      .split('\n')
      .find((l: string) => l.includes(`name=chat-server:${one.id}`) && !l.includes('cmd=xread'));
    assert.ok(commands, 'the command connection of the hub');
    await raw.client('KILL', 'ID', /id=(\d+)/.exec(commands)![1]!);
    await events.until(() => events.logs.some((l) => l.startsWith('Redis is back')));
    one.release('alice', alice);
    await eventually(async () => (await raw.hget('chat:names', 'alice')) === null);
    await raw.script('FLUSH');
    // Sent by SHA1, this RELEASE would be answered NOSCRIPT and sent again behind the CLAIM
    // made after it, and free the name of the new bob.
    one.release('bob', bob);
    const bob2 = new TestMember('bob');
    assert.equal(await one.claim('bob', bob2), 'claimed');
    // One more round trip on the connection: a RELEASE sent again would have run by now.
    assert.equal(await one.claim('erin', new TestMember('erin')), 'claimed');
    assert.equal(one.lookup('bob'), bob2);
    assert.match((await raw.hget('chat:names', 'bob')) ?? '', new RegExp(one.id));
  });

  test('the command connection killed in the middle of a flood answered at once: what arrives is in order, once, only to the addressee, and the sender hears of any loss', async (t) => {
    const { raw, one, oneEvents, alice, bob, carol } = await oneKnowsBob(t);
    await bob.receive('*alice* first');
    const commands = String(await raw.client('LIST'))
      .split('\n')
      .find((l: string) => l.includes(`name=chat-server:${one.id}`) && !l.includes('cmd=xread'));
    assert.ok(commands, 'the command connection of the hub');
    const sent: string[] = [];
    const say = (n: number): void => {
      sent.push(`*alice* flood ${n}`);
      assert.equal(one.direct('bob', dm(`*alice* flood ${n}\n`), alice), one.connected ? 'delivered' : 'unavailable');
    };
    for (let n = 0; n < 300; n++) say(n);
    // The first 300 are on their way as one entry; the next 300 wait for its answer, and the
    // connection is killed behind it.
    await new Promise((resolve) => setImmediate(resolve));
    const killed = raw.client('KILL', 'ID', /id=(\d+)/.exec(commands)![1]!);
    for (let n = 300; n < 600; n++) say(n);
    await killed;
    await oneEvents.until(() => oneEvents.logs.some((l) => l.startsWith('Redis is back')));
    // Once back, a last message: whatever got into the stream before it has arrived by then.
    await eventually(async () => (await one.direct('bob', dm('*alice* after\n'), alice)) === 'delivered');
    await bob.receive('*alice* after');
    const flood = bob.lines.filter((l) => l.startsWith('*alice* flood '));
    const order = flood.map((l) => sent.indexOf(l));
    assert.ok(
      order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1]!)),
      `in order, each once: ${JSON.stringify(order.slice(0, 20))}`,
    );
    assert.deepEqual(carol.lines, [], 'nothing reaches another user');
    assert.ok(!alice.lines.some((l) => l.includes('flood')), 'the sender gets none of its own text');
    if (flood.length < sent.length)
      assert.ok(
        alice.lines.some((l) => l.includes('may not have been delivered')),
        'a loss is told to the sender',
      );
  });

  test('after losing Redis, users of other servers are looked up again once it is back', async (t) => {
    const { redis, one, oneEvents, alice, bob } = await oneKnowsBob(t);
    await bob.receive('*alice* first');
    redis.pause();
    t.after(() => redis.resume());
    await oneEvents.until(() => oneEvents.logs.some((l) => l.startsWith('lost Redis')));
    redis.resume();
    await oneEvents.until(() => oneEvents.logs.some((l) => l.startsWith('Redis is back')));
    // On a busy machine a command sent during the pause can time out after the reconnect, and
    // the hub is cut off once more: then it is asked again once it is back again.
    for (let backs = 1; !one.connected; backs++) {
      await oneEvents.until(() => oneEvents.logs.filter((l) => l.startsWith('Redis is back')).length > backs);
    }
    const next = one.direct('bob', dm('*alice* back\n'), alice);
    assert.ok(next instanceof Promise, 'looked up in Redis');
    assert.equal(await next, 'delivered');
    await bob.receive('*alice* back');
  });

  test('messages answered at once that then do not reach Redis: the sender is told, once for each addressee', async (t) => {
    const { redis, one, alice, bob } = await oneKnowsBob(t);
    assert.equal(await one.direct('carol', dm('*alice* to carol\n'), alice), 'delivered');
    await bob.receive('*alice* first');
    redis.pause();
    t.after(() => redis.resume());
    for (const name of ['bob', 'bob', 'carol']) assert.equal(one.direct(name, dm('*alice* into the stall\n'), alice), 'delivered');
    // Redis does not answer within the command timeout (the lease, 1 s, here).
    const told = (name: string) => `! your last messages to ${name} may not have been delivered: cluster unavailable, send them again in a moment`;
    await alice.receive(told('carol'));
    assert.deepEqual(alice.lines, [told('bob'), told('carol')]);
    redis.resume();
  });
  test('Redis restarted empty while our users are in many rooms: every room entry is written again', async (t) => {
    // 600 users in 50 rooms each is some 60,000 arguments for the rooms written again: more
    // than one call's arguments may be spread (a RangeError), and seconds of Lua in one script.
    const redis = await TestRedis.start(t);
    const { hub, events } = await hubOn(t, redis.url);
    const USERS = 600;
    const ROOMS = 49;
    const members = Array.from({ length: USERS }, (_, i) => new TestMember(`m${i}`));
    for (let i = 0; i < USERS; i += 200) await Promise.all(members.slice(i, i + 200).map((m) => hub.claim(m.name!, m)));
    for (let k = 0; k < ROOMS; k++) {
      for (let i = 0; i < USERS; i += 200) await Promise.all(members.slice(i, i + 200).map((m) => hub.join(m, `r${k}`, 10_000)));
    }
    const raw = new Redis(redis.url);
    t.after(() => raw.disconnect());
    assert.equal(await raw.scard('chat:in:m0'), ROOMS + 1);
    await redis.stop();
    await events.until(() => events.logs.some((l) => l.startsWith('lost Redis')));
    await redis.restart();
    await events.until(() => events.logs.some((l) => l.startsWith('Redis is back')));
    assert.equal(await raw.scard(`chat:in:m${USERS - 1}`), ROOMS + 1);
    assert.equal(await raw.hlen('chat:room:r0'), USERS);
  });
}
