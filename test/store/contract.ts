import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { RoomState } from '../../src/protocol/room-state.js';
import { ROOM_STATE_MAX } from '../../src/store/owned-rooms.js';
import { DEVICE_MARKS_MAX, DIRECT_LOG_MAX, READ_MARKERS_MAX, type DirectEntry, type Store, type StoreLimits } from '../../src/store/store.js';
import { T0 } from '../helpers/fake-clock.js';

/** A clock a test moves by hand: kept messages and bans run out by it. */
export class StoreClock {
  constructor(public ms = T0) {}
  readonly now = (): number => this.ms;
}

export interface StoreMaker {
  /** A new, empty store with these limits, on this clock; closed at the end of the test. */
  make(t: TestContext, limits: Partial<StoreLimits>, clock: StoreClock): Promise<Store>;
  /**
   * For stores that outlive their process: closes STORE and opens the same data again, as a
   * restarted server would. Absent for the memory store.
   */
  reopen?(t: TestContext, store: Store, limits: Partial<StoreLimits>, clock: StoreClock): Promise<Store>;
  /** For shared stores (Redis): a second store on the same data, as another server has. */
  another?(t: TestContext, limits: Partial<StoreLimits>, clock: StoreClock): Promise<Store>;
}

const entry = (clock: StoreClock, from: string, text: string) => ({ at: clock.now(), from, text });

/** A direct message FROM sent to TO now. */
const direct = (clock: StoreClock, from: string, to: string, text: string): DirectEntry => ({ at: clock.now(), from, to, text });

const texts = (entries: DirectEntry[] | undefined): string[] | undefined => entries?.map((e) => e.text);

const DAY = 24 * 3600 * 1000;

/** An owned room's state at version V, with every field a kept room has. */
const owned = (v: number, owner: string, more: Partial<RoomState> = {}): RoomState => ({
  v,
  owner,
  ops: ['alice', 'bob'],
  voiced: ['carol'],
  topic: { text: `topic ${v}: héllo ✓`, by: 'Alice', at: T0 },
  private: true,
  secret: true,
  moderated: true,
  key: 'Sesame"open"',
  limit: 12,
  bans: ['mallory!*@*'],
  ...more,
});

/** What every store must do (STYLE.md, "store/"): test/store/*.test.ts run it for each one. */
export function storeContract(maker: StoreMaker): void {
  test('history: the last N messages of a room, oldest first, without regard to the case of its name', async (t) => {
    const clock = new StoreClock();
    const store = await maker.make(t, {}, clock);
    for (let i = 1; i <= 5; i++) {
      store.append('Dev', entry(clock, 'alice', `m${i}`));
      clock.ms += 1000;
    }
    store.append('lobby', entry(clock, 'bob', 'elsewhere'));
    const last3 = await store.history('dev', 3);
    assert.deepEqual(
      last3?.map((e) => e.text),
      ['m3', 'm4', 'm5'],
    );
    assert.deepEqual(last3?.[0], { at: T0 + 2000, from: 'alice', text: 'm3' });
    assert.deepEqual(
      (await store.history('DEV', 100))?.map((e) => e.text),
      ['m1', 'm2', 'm3', 'm4', 'm5'],
    );
    assert.deepEqual(await store.history('nowhere', 10), []);
    assert.deepEqual(await store.history('dev', 0), []);
  });

  test('history keeps at most `history` messages per room, and none with 0', async (t) => {
    const clock = new StoreClock();
    const store = await maker.make(t, { history: 3 }, clock);
    for (let i = 1; i <= 7; i++) store.append('dev', entry(clock, 'alice', `m${i}`));
    assert.deepEqual(
      (await store.history('dev', 10))?.map((e) => e.text),
      ['m5', 'm6', 'm7'],
    );
    const off = await maker.make(t, { history: 0 }, clock);
    off.append('dev', entry(clock, 'alice', 'gone'));
    assert.deepEqual(await off.history('dev', 10), []);
  });

  test('history keeps text as it was sent: unicode, quotes, long lines', async (t) => {
    const clock = new StoreClock();
    const store = await maker.make(t, {}, clock);
    const texts = ['héllo wörld ✓ 日本', `it's "quoted" \\ back\tslash`, 'x'.repeat(4096)];
    for (const text of texts) store.append('dev', entry(clock, 'Zoë-1', text));
    assert.deepEqual(
      (await store.history('dev', 10))?.map((e) => [e.from, e.text]),
      texts.map((text) => ['Zoë-1', text]),
    );
  });

  test('kept messages: per account without regard to case, oldest first, removed by id', async (t) => {
    const clock = new StoreClock();
    const store = await maker.make(t, {}, clock);
    assert.equal(await store.keep('Alice', entry(clock, 'bob', 'first')), 'kept');
    clock.ms += 1000;
    assert.equal(await store.keep('alice', entry(clock, 'carol', 'second')), 'kept');
    assert.equal(await store.keep('bob', entry(clock, 'alice', 'not for alice')), 'kept');
    const kept = (await store.kept('ALICE')) ?? [];
    assert.deepEqual(
      kept.map((m) => [m.from, m.text]),
      [
        ['bob', 'first'],
        ['carol', 'second'],
      ],
    );
    assert.equal(kept[0]?.at, T0);
    assert.notEqual(kept[0]?.id, kept[1]?.id);
    await store.remove('alice', [kept[0]!.id]);
    assert.deepEqual(
      (await store.kept('alice'))?.map((m) => m.text),
      ['second'],
    );
    await store.remove('alice', [kept[1]!.id, 'no-such-id']);
    assert.deepEqual(await store.kept('alice'), []);
    assert.deepEqual(
      (await store.kept('bob'))?.map((m) => m.text),
      ['not for alice'],
    );
    assert.deepEqual(await store.kept('nobody'), []);
  });

  test('kept messages: at most offlineMax per account, then `full` until some are removed', async (t) => {
    const clock = new StoreClock();
    const store = await maker.make(t, { offlineMax: 3 }, clock);
    // From three senders: one sender alone may fill only a quarter (the next test).
    for (const [i, from] of ['bob', 'carol', 'dave'].entries()) assert.equal(await store.keep('alice', entry(clock, from, `m${i + 1}`)), 'kept');
    assert.equal(await store.keep('alice', entry(clock, 'eve', 'm4')), 'full');
    assert.equal(await store.keep('carol', entry(clock, 'bob', 'other account')), 'kept');
    const [first] = (await store.kept('alice')) ?? [];
    await store.remove('alice', [first!.id]);
    assert.equal(await store.keep('alice', entry(clock, 'frank', 'm5')), 'kept');
    assert.deepEqual(
      (await store.kept('alice'))?.map((m) => m.text),
      ['m2', 'm3', 'm5'],
    );
  });

  test("kept messages: one sender may have a quarter of an account's offlineMax waiting, then `full from you`", async (t) => {
    const clock = new StoreClock();
    const store = await maker.make(t, { offlineMax: 8 }, clock);
    assert.equal(await store.keep('alice', entry(clock, 'mallory', 'm1')), 'kept');
    assert.equal(await store.keep('alice', entry(clock, 'Mallory', 'm2')), 'kept');
    assert.equal(await store.keep('alice', entry(clock, 'MALLORY', 'm3')), 'full from you', 'names without regard to case');
    assert.equal(await store.keep('alice', entry(clock, 'bob', 'b1')), 'kept', 'others still reach alice');
    assert.equal(await store.keep('carol', entry(clock, 'mallory', 'c1')), 'kept', 'a quarter per account');
    const [first] = (await store.kept('alice')) ?? [];
    await store.remove('alice', [first!.id]);
    assert.equal(await store.keep('alice', entry(clock, 'mallory', 'm4')), 'kept');
    assert.deepEqual(
      (await store.kept('alice'))?.map((m) => m.text),
      ['m2', 'b1', 'm4'],
    );
  });

  test('kept messages older than offlineMs are dropped, and make room', async (t) => {
    const clock = new StoreClock();
    const day = 24 * 3600 * 1000;
    const store = await maker.make(t, { offlineMax: 2, offlineMs: 7 * day }, clock);
    await store.keep('alice', entry(clock, 'bob', 'old'));
    clock.ms += 3 * day;
    await store.keep('alice', entry(clock, 'carol', 'newer'));
    clock.ms += 4 * day + 1;
    assert.deepEqual(
      (await store.kept('alice'))?.map((m) => m.text),
      ['newer'],
    );
    assert.equal(await store.keep('alice', entry(clock, 'bob', 'newest')), 'kept', "bob's old one ran out: his share is free again");
    assert.deepEqual(
      (await store.kept('alice'))?.map((m) => m.text),
      ['newer', 'newest'],
    );
  });

  test('bans: in force until they run out or are lifted, without regard to case, listed by name', async (t) => {
    const clock = new StoreClock();
    const store = await maker.make(t, {}, clock);
    const now = clock.now();
    await store.ban({ name: 'Mallory', by: 'op', reason: 'spam', at: now, until: now + 60_000 });
    await store.ban({ name: 'eve', by: 'op', reason: '', at: now, until: undefined });
    await store.ban({ name: 'Bob', by: 'op', reason: 'short', at: now, until: now + 1000 });
    assert.deepEqual(await store.banOf('mallory', now), { name: 'Mallory', by: 'op', reason: 'spam', at: now, until: now + 60_000 });
    assert.deepEqual(
      (await store.bans(now))?.map((b) => b.name),
      ['Bob', 'eve', 'Mallory'],
    );
    assert.equal(await store.banOf('bob', now + 1000), undefined, 'a ban has run out at its end');
    assert.deepEqual(
      (await store.bans(now + 1000))?.map((b) => b.name),
      ['eve', 'Mallory'],
    );
    assert.deepEqual(await store.banOf('EVE', now + 1e12), { name: 'eve', by: 'op', reason: '', at: now, until: undefined });
    assert.equal(await store.unban('MALLORY'), true);
    assert.equal(await store.unban('mallory'), false);
    assert.equal(await store.banOf('mallory', now), undefined);
    await store.ban({ name: 'EVE', by: 'op2', reason: 'again', at: now + 5, until: now + 10 });
    assert.deepEqual(await store.banOf('eve', now), { name: 'EVE', by: 'op2', reason: 'again', at: now + 5, until: now + 10 });
    assert.equal(await store.banOf('nobody', now), undefined);
  });

  test('owned rooms: a state as it was saved, found without regard to the case of the name; a room nobody owns is undefined', async (t) => {
    const store = await maker.make(t, {}, new StoreClock());
    assert.equal(await store.ownedRoom('Dev'), undefined);
    await store.saveRoom('Dev', owned(1, 'Alice'));
    assert.deepEqual(await store.ownedRoom('dev'), owned(1, 'Alice'));
    assert.deepEqual(await store.ownedRoom('DEV'), owned(1, 'Alice'));
    assert.equal(await store.ownedRoom('devs'), undefined);
    await store.saveRoom('lean', { v: 7, owner: 'bob', ops: [] });
    assert.deepEqual(await store.ownedRoom('LEAN'), { v: 7, owner: 'bob', ops: [] }, 'no field is added');
    // Invitations last until the room empties, and a kept room is an empty one.
    await store.saveRoom('dev', owned(2, 'Alice', { invited: ['dave'] }));
    assert.deepEqual(await store.ownedRoom('dev'), owned(2, 'Alice'), 'invitations are not kept');
  });

  test('owned rooms: the newest version is kept, whatever order the writes come in; an equal one is not written', async (t) => {
    const store = await maker.make(t, {}, new StoreClock());
    await store.saveRoom('dev', owned(3, 'alice'));
    await store.saveRoom('DEV', owned(2, 'alice', { topic: { text: 'older', by: 'bob', at: T0 } }));
    assert.deepEqual(await store.ownedRoom('dev'), owned(3, 'alice'));
    await store.saveRoom('dev', owned(3, 'alice', { key: 'another-change-from-v2' }));
    assert.deepEqual(await store.ownedRoom('dev'), owned(3, 'alice'), 'the first write of a version wins');
    await store.saveRoom('Dev', owned(4, 'alice', { key: 'newer' }));
    assert.deepEqual(await store.ownedRoom('dev'), owned(4, 'alice', { key: 'newer' }));
  });

  test('owned rooms: counted per owner without regard to case; a count moves with its room', async (t) => {
    const store = await maker.make(t, {}, new StoreClock());
    assert.equal(await store.ownedRooms('alice'), 0);
    await store.saveRoom('dev', owned(1, 'Alice'));
    await store.saveRoom('ops', owned(1, 'alice'));
    await store.saveRoom('misc', owned(1, 'bob'));
    assert.equal(await store.ownedRooms('ALICE'), 2);
    assert.equal(await store.ownedRooms('Bob'), 1);
    await store.saveRoom('dev', owned(2, 'ALICE', { topic: { text: 'same owner', by: 'alice', at: T0 } }));
    assert.equal(await store.ownedRooms('alice'), 2, 'a room saved again is counted once');
    await store.saveRoom('DEV', owned(3, 'Bob'));
    assert.equal(await store.ownedRooms('alice'), 1);
    assert.equal(await store.ownedRooms('bob'), 2);
    await store.saveRoom('dev', owned(2, 'carol'));
    assert.equal(await store.ownedRooms('carol'), 0, 'an older version moves nothing');
    assert.equal(await store.ownedRooms('bob'), 2);
    await store.saveRoom('ops', owned(2, 'bob'));
    assert.equal(await store.ownedRooms('alice'), 0);
    assert.equal(await store.ownedRooms('bob'), 3);
    assert.equal(await store.ownedRooms('nobody'), 0);
  });

  test('owned rooms: refused, and nothing kept: a state over 64 KiB of JSON, one without an owner, a name that is no room name', async (t) => {
    const store = await maker.make(t, {}, new StoreClock());
    // A topic fills the JSON to exactly ROOM_STATE_MAX bytes (UTF-8: é is two): kept.
    const topic = (text: string) => ({ topic: { text, by: 'Alice', at: T0 } });
    const room = Buffer.byteLength(JSON.stringify(owned(1, 'alice', topic(''))));
    const text = 'é'.repeat(Math.floor((ROOM_STATE_MAX - room) / 2)) + ((ROOM_STATE_MAX - room) % 2 ? 'x' : '');
    assert.equal(Buffer.byteLength(JSON.stringify(owned(1, 'alice', topic(text)))), ROOM_STATE_MAX);
    await store.saveRoom('full', owned(1, 'alice', topic(text)));
    assert.equal((await store.ownedRoom('full'))?.topic?.text, text);
    await assert.rejects(
      async () => store.saveRoom('full', owned(2, 'alice', topic(`${text}x`))),
      /cannot keep the state of the room full: 65537 bytes as JSON, over 65536/,
    );
    assert.equal((await store.ownedRoom('full'))?.v, 1);
    await assert.rejects(async () => store.saveRoom('dev', { v: 1, ops: ['alice'] }), /cannot keep the state of the room dev: it has no owner/);
    await assert.rejects(async () => store.saveRoom('dev', { v: 0, owner: 'alice', ops: [] }), /its version \(v\) is not a whole number/);
    await assert.rejects(async () => store.saveRoom('#dev', owned(1, 'alice')), /cannot keep the state of the room "#dev": it is not a room name/);
    await assert.rejects(async () => store.saveRoom('x'.repeat(33), owned(1, 'alice')), /it is not a room name/);
    assert.equal(await store.ownedRoom('dev'), undefined);
    assert.equal(await store.ownedRooms('alice'), 1);
  });

  test('catch-up: the direct messages of an account that named a device, oldest first, after `since` (exclusive), without regard to case', async (t) => {
    const clock = new StoreClock();
    const store = await maker.make(t, {}, clock);
    await store.markDevice('Alice', 'Laptop', { at: clock.now(), rooms: ['dev'] });
    const sent: DirectEntry[] = [];
    for (let i = 1; i <= 4; i++) {
      clock.ms += 1000;
      const e = i % 2 ? direct(clock, 'bob', 'Alice', `to alice ${i}`) : direct(clock, 'Alice', 'bob', `from alice ${i}`);
      store.logDirect(i % 2 ? 'ALICE' : 'alice', e);
      sent.push(e);
    }
    assert.deepEqual(await store.directsSince('alice', T0), sent);
    assert.deepEqual(texts(await store.directsSince('aLiCe', T0 + 2000)), ['to alice 3', 'from alice 4'], 'a message at `since` itself is not after it');
    assert.deepEqual(await store.directsSince('alice', T0 + 4000), []);
    assert.deepEqual(await store.directsSince('alice', 0), sent);
    assert.deepEqual(await store.directsSince('nobody', 0), []);
  });

  test("catch-up: one account's log is never another's (alice_ is not alice, Alice is)", async (t) => {
    const clock = new StoreClock();
    const store = await maker.make(t, {}, clock);
    await store.markDevice('alice', 'laptop', { at: clock.now(), rooms: [] });
    await store.markDevice('alice_', 'laptop', { at: clock.now(), rooms: [] });
    store.logDirect('Alice', direct(clock, 'bob', 'Alice', 'for alice'));
    store.logDirect('alice_', direct(clock, 'bob', 'alice_', 'for alice_'));
    store.logDirect('alic', direct(clock, 'bob', 'alic', 'for alic, who has no mark'));
    assert.deepEqual(texts(await store.directsSince('ALICE', 0)), ['for alice']);
    assert.deepEqual(texts(await store.directsSince('Alice_', 0)), ['for alice_']);
    assert.deepEqual(await store.directsSince('alic', 0), []);
    assert.deepEqual(await store.directsSince('alice__', 0), []);
    assert.equal(await store.deviceMark('alic', 'laptop'), undefined);
  });

  test('catch-up: nothing is logged for an account that never named a device, nor with catchupMs 0', async (t) => {
    const clock = new StoreClock();
    const store = await maker.make(t, {}, clock);
    store.logDirect('bob', direct(clock, 'carol', 'bob', 'before any mark'));
    await store.markDevice('carol', 'phone', { at: clock.now(), rooms: [] });
    store.logDirect('bob', direct(clock, 'carol', 'bob', "carol's mark is not bob's"));
    assert.deepEqual(await store.directsSince('bob', 0), []);
    await store.markDevice('bob', 'phone', { at: clock.now(), rooms: [] });
    store.logDirect('bob', direct(clock, 'carol', 'bob', 'after'));
    assert.deepEqual(texts(await store.directsSince('bob', 0)), ['after']);

    const off = await maker.make(t, { catchupMs: 0 }, clock);
    await off.markDevice('dave', 'phone', { at: clock.now(), rooms: ['dev'] });
    assert.equal(await off.deviceMark('dave', 'phone'), undefined);
    off.logDirect('dave', direct(clock, 'carol', 'dave', 'not kept'));
    assert.deepEqual(await off.directsSince('dave', 0), []);
  });

  test('device marks: per account and device without regard to case; a later mark replaces the earlier; copies in and out', async (t) => {
    const clock = new StoreClock();
    const store = await maker.make(t, {}, clock);
    const rooms = ['dev', 'Ops'];
    await store.markDevice('Alice', 'Laptop', { at: T0, rooms });
    rooms.push('later');
    assert.deepEqual(await store.deviceMark('alice', 'LAPTOP'), { at: T0, rooms: ['dev', 'Ops'] }, 'the rooms as they were marked, case kept');
    (await store.deviceMark('alice', 'laptop'))?.rooms.push('changed by a caller');
    assert.deepEqual(await store.deviceMark('ALICE', 'laptop'), { at: T0, rooms: ['dev', 'Ops'] });
    assert.equal(await store.deviceMark('alice', 'phone'), undefined);
    assert.equal(await store.deviceMark('alice_', 'laptop'), undefined);
    assert.equal(await store.deviceMark('bob', 'laptop'), undefined);
    clock.ms += 1000;
    await store.markDevice('ALICE', 'laptop', { at: clock.now(), rooms: [] });
    await store.markDevice('alice', 'Phone', { at: clock.now(), rooms: ['x-1'] });
    assert.deepEqual(await store.deviceMark('alice', 'Laptop'), { at: T0 + 1000, rooms: [] });
    assert.deepEqual(await store.deviceMark('alice', 'phone'), { at: T0 + 1000, rooms: ['x-1'] });
  });

  test('device marks: refused, and nothing kept: an account, a device or a room that is no name', async (t) => {
    const store = await maker.make(t, {}, new StoreClock());
    const mark = { at: T0, rooms: ['dev'] };
    await assert.rejects(
      async () => store.markDevice('alice', 'my laptop', mark),
      /cannot remember the device "my laptop" of "alice": the account and the device must be names/,
    );
    await assert.rejects(async () => store.markDevice('alice', 'x'.repeat(33), mark), /must be names/);
    await assert.rejects(async () => store.markDevice('alice', '', mark), /must be names/);
    await assert.rejects(async () => store.markDevice('chat:bans', 'laptop', mark), /must be names/);
    await assert.rejects(async () => store.markDevice('alice', 'laptop', { at: T0, rooms: ['#dev'] }), /one of its rooms is not a room name/);
    await assert.rejects(async () => store.markDevice('alice', 'laptop', { at: Number.NaN, rooms: [] }), /its time is not a whole number/);
    assert.equal(await store.deviceMark('alice', 'laptop'), undefined);
    store.logDirect('alice', direct(new StoreClock(), 'bob', 'alice', 'no mark was kept'));
    assert.deepEqual(await store.directsSince('alice', 0), []);
  });

  test(`device marks: at most DEVICE_MARKS_MAX (${DEVICE_MARKS_MAX}) per account, the least recently left dropped first`, async (t) => {
    const clock = new StoreClock();
    const store = await maker.make(t, {}, clock);
    for (let i = 0; i < DEVICE_MARKS_MAX; i++) await store.markDevice('alice', `d${i}`, { at: T0 + i, rooms: [] });
    await store.markDevice('bob', 'd1', { at: T0, rooms: ['bobs'] });
    // d0 left again, last: d1 is now the one that left longest ago.
    await store.markDevice('alice', 'D0', { at: T0 + 100, rooms: [] });
    await store.markDevice('alice', 'new', { at: T0 + 101, rooms: [] });
    assert.equal(await store.deviceMark('alice', 'd1'), undefined);
    assert.equal((await store.deviceMark('alice', 'd0'))?.at, T0 + 100);
    assert.equal((await store.deviceMark('alice', 'new'))?.at, T0 + 101);
    for (let i = 2; i < DEVICE_MARKS_MAX; i++) assert.equal((await store.deviceMark('alice', `d${i}`))?.at, T0 + i, `d${i}`);
    assert.deepEqual(await store.deviceMark('bob', 'd1'), { at: T0, rooms: ['bobs'] }, "another account's marks are its own");
  });

  test(`catch-up: at most DIRECT_LOG_MAX (${DIRECT_LOG_MAX}) messages per account, the oldest dropped first`, async (t) => {
    const clock = new StoreClock();
    const store = await maker.make(t, {}, clock);
    await store.markDevice('alice', 'laptop', { at: clock.now(), rooms: [] });
    await store.markDevice('bob', 'laptop', { at: clock.now(), rooms: [] });
    store.logDirect('bob', direct(clock, 'carol', 'bob', 'for bob'));
    const log = (n: number) => {
      clock.ms += 1;
      store.logDirect('alice', direct(clock, 'bob', 'alice', `m${n}`));
    };
    // Over two turns: a log already full is trimmed as well as one that fills in one turn.
    for (let i = 0; i < 600; i++) log(i);
    assert.equal((await store.directsSince('alice', 0))?.length, 600);
    for (let i = 600; i < DIRECT_LOG_MAX + 5; i++) log(i);
    const all = (await store.directsSince('alice', 0)) ?? [];
    assert.equal(all.length, DIRECT_LOG_MAX);
    assert.deepEqual([all[0]?.text, all.at(-1)?.text], ['m5', `m${DIRECT_LOG_MAX + 4}`]);
    assert.deepEqual(texts(await store.directsSince('bob', 0)), ['for bob'], 'a full log drops nothing of another');
  });

  test('catch-up: messages and marks older than catchupMs are gone; an account whose marks all ran out logs nothing', async (t) => {
    const clock = new StoreClock();
    const store = await maker.make(t, { catchupMs: DAY }, clock);
    await store.markDevice('alice', 'laptop', { at: clock.now(), rooms: ['dev'] });
    store.logDirect('alice', direct(clock, 'bob', 'alice', 'old'));
    clock.ms += DAY / 2;
    await store.markDevice('alice', 'phone', { at: clock.now(), rooms: [] });
    store.logDirect('alice', direct(clock, 'bob', 'alice', 'newer'));
    assert.deepEqual(texts(await store.directsSince('alice', 0)), ['old', 'newer']);
    // catchupMs after: run out, as kept messages are (`at > now - catchupMs` stays).
    clock.ms = T0 + DAY;
    assert.deepEqual(texts(await store.directsSince('alice', 0)), ['newer']);
    assert.equal(await store.deviceMark('alice', 'laptop'), undefined, 'a mark that ran out is as if there were none');
    assert.deepEqual(await store.deviceMark('alice', 'phone'), { at: T0 + DAY / 2, rooms: [] });
    store.logDirect('alice', direct(clock, 'bob', 'alice', 'newest'));
    assert.deepEqual(texts(await store.directsSince('alice', 0)), ['newer', 'newest']);
    clock.ms = T0 + DAY + DAY / 2;
    assert.equal(await store.deviceMark('alice', 'phone'), undefined);
    store.logDirect('alice', direct(clock, 'bob', 'alice', 'after every mark ran out'));
    assert.deepEqual(texts(await store.directsSince('alice', 0)), ['newest']);
    clock.ms = T0 + 2 * DAY;
    assert.deepEqual(await store.directsSince('alice', 0), []);
  });

  test('catch-up: texts come back exactly as logged: 4 KB, newlines, CR, NUL, quotes, unicode, Redis framing', async (t) => {
    const clock = new StoreClock();
    const store = await maker.make(t, {}, clock);
    const rooms = ['dev', 'Z-9_'];
    await store.markDevice('alice', 'laptop', { at: clock.now(), rooms });
    const sent = [
      'x'.repeat(4096),
      'line one\nline two\r\nthree\rfour\0five\0',
      '*2\r\n$3\r\nDEL\r\n$9\r\nchat:bans\r\n',
      `it's "quoted" \\ back\tslash {"at":1} héllo ✓ 日本 😀`,
      '',
      ' spaces around ',
    ];
    for (const text of sent) store.logDirect('alice', direct(clock, 'Zoë-1', 'alice', text));
    const got = (await store.directsSince('alice', 0)) ?? [];
    assert.deepEqual(
      got.map((e) => [e.from, e.to, e.text]),
      sent.map((text) => ['Zoë-1', 'alice', text]),
    );
    assert.deepEqual(await store.deviceMark('alice', 'laptop'), { at: T0, rooms });
  });

  test('read markers: per account and target without regard to case, never moved back; the room dev is not the name dev', async (t) => {
    const store = await maker.make(t, {}, new StoreClock());
    assert.equal(await store.readMarker('alice', '#dev'), undefined);
    assert.equal(await store.setReadMarker('Alice', '#Dev', T0), T0);
    assert.equal(await store.readMarker('ALICE', '#dev'), T0);
    assert.equal(await store.setReadMarker('alice', '#DEV', T0 - 1000), T0, 'an older time moves nothing: the kept one is answered');
    assert.equal(await store.setReadMarker('alice', '#dev', T0), T0);
    assert.equal(await store.setReadMarker('alice', '#dev', T0 + 5), T0 + 5);
    assert.equal(await store.readMarker('alice', '#dev'), T0 + 5);
    assert.equal(await store.readMarker('alice', 'dev'), undefined);
    assert.equal(await store.setReadMarker('alice', 'Bob', T0 + 1), T0 + 1);
    assert.equal(await store.readMarker('alice', 'BOB'), T0 + 1);
    assert.equal(await store.readMarker('alice_', '#dev'), undefined, "one account's markers are never another's");
    assert.equal(await store.readMarker('bob', '#dev'), undefined);
  });

  test('read markers: refused, and nothing kept: an account or a target that is no name, a time that is no whole number', async (t) => {
    const store = await maker.make(t, {}, new StoreClock());
    for (const [account, target] of [
      ['alice', '#my room'],
      ['alice', '##dev'],
      ['alice', '#'],
      ['alice', ''],
      ['chat:bans', '#dev'],
      ['', 'bob'],
      ['alice', 'x'.repeat(33)],
    ] as const) {
      await assert.rejects(async () => store.setReadMarker(account, target, T0), /must be names/, `${account} ${target}`);
      await assert.rejects(async () => store.readMarker(account, target), /must be names/, `${account} ${target}`);
    }
    await assert.rejects(async () => store.setReadMarker('alice', '#dev', Number.NaN), /its time is not a whole number/);
    await assert.rejects(async () => store.setReadMarker('alice', '#dev', T0 + 0.5), /its time is not a whole number/);
    assert.equal(await store.readMarker('alice', '#dev'), undefined);
  });

  test(`read markers: at most READ_MARKERS_MAX (${READ_MARKERS_MAX}) per account, the oldest dropped first`, async (t) => {
    const store = await maker.make(t, {}, new StoreClock());
    for (let i = 0; i < READ_MARKERS_MAX; i++) await store.setReadMarker('alice', `t${i}`, T0 + i);
    await store.setReadMarker('bob', 't0', T0 - 5);
    // t0 read again, later than all: t1 is now the oldest.
    await store.setReadMarker('alice', 'T0', T0 + 5000);
    await store.setReadMarker('alice', '#new', T0 + 5001);
    assert.equal(await store.readMarker('alice', 't1'), undefined);
    assert.equal(await store.readMarker('alice', 't0'), T0 + 5000);
    assert.equal(await store.readMarker('alice', '#new'), T0 + 5001);
    for (const i of [2, 3, 500, READ_MARKERS_MAX - 1]) assert.equal(await store.readMarker('alice', `t${i}`), T0 + i, `t${i}`);
    assert.equal(await store.readMarker('bob', 't0'), T0 - 5, "another account's markers are its own");
  });

  if (maker.reopen) {
    const reopen = maker.reopen;
    test('read markers survive a restart', async (t) => {
      const clock = new StoreClock();
      const store = await maker.make(t, {}, clock);
      await store.setReadMarker('Alice', '#Dev', T0);
      await store.setReadMarker('alice', 'bob', T0 + 1);
      const again = await reopen(t, store, {}, clock);
      assert.equal(await again.readMarker('alice', '#dev'), T0);
      assert.equal(await again.setReadMarker('ALICE', 'BOB', T0), T0 + 1, 'still never moved back');
    });

    test('catch-up logs and device marks survive a restart', async (t) => {
      const clock = new StoreClock();
      const store = await maker.make(t, {}, clock);
      await store.markDevice('Alice', 'Laptop', { at: clock.now(), rooms: ['dev', 'ops'] });
      store.logDirect('alice', direct(clock, 'bob', 'Alice', 'while away'));
      const again = await reopen(t, store, {}, clock);
      assert.deepEqual(await again.deviceMark('ALICE', 'laptop'), { at: T0, rooms: ['dev', 'ops'] });
      assert.deepEqual(await again.directsSince('alice', 0), [direct(clock, 'bob', 'Alice', 'while away')]);
      again.logDirect('alice', direct(clock, 'carol', 'alice', 'after the restart'));
      const third = await reopen(t, again, {}, clock);
      assert.deepEqual(texts(await third.directsSince('alice', 0)), ['while away', 'after the restart']);
      const off = await reopen(t, third, { catchupMs: 0 }, clock);
      assert.equal(await off.deviceMark('alice', 'laptop'), undefined, 'turned off: what was kept is not answered');
      assert.deepEqual(await off.directsSince('alice', 0), []);
    });

    test('owned rooms survive a restart: states, versions and counts', async (t) => {
      const clock = new StoreClock();
      const store = await maker.make(t, {}, clock);
      await store.saveRoom('Dev', owned(5, 'Alice'));
      await store.saveRoom('ops', owned(1, 'alice'));
      const again = await reopen(t, store, {}, clock);
      assert.deepEqual(await again.ownedRoom('dev'), owned(5, 'Alice'));
      assert.equal(await again.ownedRooms('alice'), 2);
      await again.saveRoom('dev', owned(4, 'bob'));
      assert.deepEqual(await again.ownedRoom('dev'), owned(5, 'Alice'), 'the version was kept with the state');
      await again.saveRoom('dev', owned(6, 'bob'));
      const third = await reopen(t, again, {}, clock);
      assert.deepEqual(await third.ownedRoom('DEV'), owned(6, 'bob'));
      assert.equal(await third.ownedRooms('alice'), 1);
      assert.equal(await third.ownedRooms('bob'), 1);
    });

    test('history, kept messages and bans survive a restart', async (t) => {
      const clock = new StoreClock();
      const limits = { history: 2 };
      const store = await maker.make(t, limits, clock);
      for (const text of ['a', 'b', 'c']) store.append('dev', entry(clock, 'alice', text));
      await store.keep('bob', entry(clock, 'alice', 'for later'));
      await store.ban({ name: 'eve', by: 'op', reason: 'spam', at: clock.now(), until: undefined });
      const again = await reopen(t, store, limits, clock);
      assert.deepEqual(
        (await again.history('dev', 10))?.map((e) => e.text),
        ['b', 'c'],
      );
      const kept = (await again.kept('bob')) ?? [];
      assert.deepEqual(
        kept.map((m) => m.text),
        ['for later'],
      );
      assert.equal((await again.banOf('eve', clock.now()))?.reason, 'spam');
      await again.remove('bob', [kept[0]!.id]);
      again.append('dev', entry(clock, 'alice', 'd'));
      const third = await reopen(t, again, limits, clock);
      assert.deepEqual(await third.kept('bob'), []);
      assert.deepEqual(
        (await third.history('dev', 10))?.map((e) => e.text),
        ['c', 'd'],
      );
    });
  }

  if (maker.another) {
    const another = maker.another;
    test('every server of a cluster sees the same history, kept messages and bans', async (t) => {
      const clock = new StoreClock();
      const one = await maker.make(t, {}, clock);
      const two = await another(t, {}, clock);
      one.append('dev', entry(clock, 'alice', 'from one'));
      await one.keep('bob', entry(clock, 'alice', 'kept on one'));
      await one.ban({ name: 'eve', by: 'op', reason: 'spam', at: clock.now(), until: undefined });
      assert.deepEqual(
        (await two.history('dev', 10))?.map((e) => e.text),
        ['from one'],
      );
      const kept = (await two.kept('bob')) ?? [];
      assert.deepEqual(
        kept.map((m) => m.text),
        ['kept on one'],
      );
      await two.remove('bob', [kept[0]!.id]);
      assert.deepEqual(await one.kept('bob'), []);
      assert.equal((await two.banOf('eve', clock.now()))?.by, 'op');
      assert.equal(await two.unban('eve'), true);
      assert.equal(await one.banOf('eve', clock.now()), undefined);
    });

    test('every server of a cluster sees the same device marks and catch-up logs; a mark made on one lets the other log', async (t) => {
      const clock = new StoreClock();
      const one = await maker.make(t, {}, clock);
      const two = await another(t, {}, clock);
      await one.markDevice('alice', 'laptop', { at: clock.now(), rooms: ['dev'] });
      assert.deepEqual(await two.deviceMark('Alice', 'Laptop'), { at: T0, rooms: ['dev'] });
      two.logDirect('alice', direct(clock, 'bob', 'alice', 'via two'));
      assert.deepEqual(texts(await two.directsSince('alice', 0)), ['via two']);
      one.logDirect('alice', direct(clock, 'carol', 'alice', 'via one'));
      assert.deepEqual(texts(await one.directsSince('alice', 0)), ['via two', 'via one']);
      assert.deepEqual(texts(await two.directsSince('alice', 0)), ['via two', 'via one']);
      two.logDirect('bob', direct(clock, 'alice', 'bob', 'bob has no mark on either'));
      assert.deepEqual(await one.directsSince('bob', 0), []);
    });

    test('every server of a cluster sees the same read markers; set from both at once, the latest stays', async (t) => {
      const clock = new StoreClock();
      const one = await maker.make(t, {}, clock);
      const two = await another(t, {}, clock);
      await one.setReadMarker('alice', '#dev', T0);
      assert.equal(await two.readMarker('Alice', '#DEV'), T0);
      await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? one : two).setReadMarker('alice', '#dev', T0 + ((i * 7) % 20))));
      assert.equal(await one.readMarker('alice', '#dev'), T0 + 19);
      assert.equal(await two.setReadMarker('alice', '#dev', T0 + 1), T0 + 19);
    });

    test("every server of a cluster sees the same owned rooms; one server's older write never overwrites another's newer", async (t) => {
      const clock = new StoreClock();
      const one = await maker.make(t, {}, clock);
      const two = await another(t, {}, clock);
      await one.saveRoom('Dev', owned(3, 'alice'));
      assert.deepEqual(await two.ownedRoom('dev'), owned(3, 'alice'));
      assert.equal(await two.ownedRooms('ALICE'), 1);
      await two.saveRoom('dev', owned(2, 'bob'));
      assert.deepEqual(await one.ownedRoom('DEV'), owned(3, 'alice'));
      await two.saveRoom('dev', owned(4, 'bob'));
      assert.deepEqual(await one.ownedRoom('dev'), owned(4, 'bob'));
      assert.equal(await one.ownedRooms('alice'), 0);
      assert.equal(await one.ownedRooms('bob'), 1);
      // Both at once, in no order: the newest stays, and the counts are those of what stays.
      await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? one : two).saveRoom('dev', owned(5 + ((i * 7) % 20), i % 3 ? 'carol' : 'dave'))));
      const last = (await one.ownedRoom('dev'))!;
      assert.equal(last.v, 24);
      assert.equal((await one.ownedRooms(last.owner!)) + (await one.ownedRooms('bob')), 1);
      assert.equal((await two.ownedRooms('carol')) + (await two.ownedRooms('dave')), 1);
    });
  }
}
