import { leftBecause } from '../../src/dialects/line/wording.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LOBBY, type Hub, type HubEvents, type Join, type Member, type RoomEvent, type RoomListing } from '../../src/hub/hub.js';
import { dm, lineDirect, testRender } from '../helpers/line-events.js';
import { WAIT_MS } from '../helpers/lines.js';
import { T0 } from '../helpers/fake-clock.js';
import { freshState, type RoomState } from '../../src/protocol/room-state.js';

/** A hub's events as a core would give them, in the line protocol's words (testRender's); OVERRIDES replace some. */
export function testEvents(overrides: Partial<HubEvents> = {}): HubEvents {
  return {
    presence: () => undefined,
    render: testRender,
    direct: lineDirect,
    evicted: () => {},
    removed: () => {},
    log: () => {},
    ...overrides,
  };
}

const message = (from: string, text: string): RoomEvent => ({ kind: 'message', from, text });

/** A member that records what it is sent, and lets a test wait for a line. */
export class TestMember implements Member {
  readonly lines: string[] = [];
  /** What deliver() was given, as given: a string or a Buffer. */
  readonly deliveries: (Buffer | string)[] = [];
  #waiters: (() => void)[] = [];

  constructor(public name: string | undefined) {}

  deliver(bytes: Buffer | string): void {
    this.deliveries.push(bytes);
    for (const line of bytes.toString('utf8').split('\n').slice(0, -1)) this.lines.push(line);
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Resolves once LINE has arrived (a cluster delivers later than a call returns). */
  async receive(line: string): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!this.lines.includes(line)) {
      if (Date.now() > deadline) throw new Error(`${this.name}: no "${line}"; got ${JSON.stringify(this.lines)}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 100).unref();
      });
    }
  }

  count(line: string): number {
    return this.lines.filter((l) => l === line).length;
  }
}

const bytes = (line: string): Buffer => Buffer.from(`${line}\n`);

/** A listing without the room's state (the state has tests of its own). */
function listed(listing: RoomListing | undefined): unknown {
  return typeof listing === 'object' ? { room: listing.room, names: listing.names } : listing;
}

/** A join's room and whether the member was in it already. */
function picked(joined: Join): unknown {
  return typeof joined === 'object' ? { room: joined.room, already: joined.already } : joined;
}

/**
 * What every hub must do (STYLE.md, point 8). `chat(n)` gives n hubs that form one chat, as
 * n servers would: the in-memory hub gives the same hub n times, the Redis hub n hubs on one
 * Redis. Members on different hubs are on different servers.
 */
export function hubContract(chat: (t: import('node:test').TestContext, n: number) => Promise<Hub[]>): void {
  async function join(hub: Hub, name: string): Promise<TestMember> {
    const member = new TestMember(name);
    assert.equal(await hub.claim(name, member), 'claimed');
    return member;
  }

  test('a name is taken on every server, without regard to case, until it is released', async (t) => {
    const [one, two] = (await chat(t, 2)) as [Hub, Hub];
    const alice = await join(one, 'Alice');
    assert.equal(await two.claim('ALICE', new TestMember('ALICE')), 'taken');
    assert.equal(await one.claim('alice', new TestMember('alice')), 'taken');
    assert.equal(await one.claim('Alice', alice), 'claimed', 'claiming again what one holds is fine');
    one.release('Alice', new TestMember('Alice')); // not the holder: nothing happens
    assert.equal(await two.claim('alice', new TestMember('alice')), 'taken');
    one.release('Alice', alice);
    await eventually(async () => (await two.claim('alice', new TestMember('alice'))) === 'claimed');
  });

  test('a direct message reaches its recipient on another server; an unknown name is said so', async (t) => {
    const [one, two] = (await chat(t, 2)) as [Hub, Hub];
    await join(one, 'alice');
    const bob = await join(two, 'Bob');
    assert.equal(await one.direct('BOB', dm(bytes('*alice* hi'))), 'delivered');
    await bob.receive('*alice* hi');
    assert.equal(await one.direct('nobody', dm(bytes('*alice* hi'))), 'no such user');
    assert.equal(bob.count('*alice* hi'), 1);
  });

  test('a room message reaches everyone in the room but its sender, once', async (t) => {
    const [one, two] = (await chat(t, 2)) as [Hub, Hub];
    const alice = await join(one, 'alice');
    const carol = await join(one, 'carol');
    const bob = await join(two, 'bob');
    const dave = await join(two, 'dave');
    for (const [hub, m] of [
      [one, alice],
      [two, bob],
    ] as const)
      assert.deepEqual(hub.roomsOf(m), [LOBBY], 'registering puts you in the lobby');
    assert.equal(await one.toRooms([LOBBY], message('alice', 'one'), alice), 'delivered');
    assert.equal(await one.toRooms([LOBBY], message('alice', 'two'), alice), 'delivered');
    // A server's messages arrive in order: once "two" is everywhere, "one" would have been too.
    for (const m of [carol, bob, dave]) await m.receive('<alice> two');
    for (const m of [carol, bob, dave]) assert.equal(m.count('<alice> one'), 1, `${m.name} got it once`);
    assert.deepEqual(alice.lines, []);
  });

  test('rooms: a join keeps the others, a line from a room that is not current names it; listings count every server; an empty room is gone', async (t) => {
    const [one, two] = (await chat(t, 2)) as [Hub, Hub];
    const alice = await join(one, 'alice');
    const bob = await join(two, 'bob');
    const carol = await join(two, 'carol');
    assert.deepEqual(picked(await one.join(alice, 'Dev', 10)), { room: 'Dev', already: false });
    assert.deepEqual(picked(await two.join(bob, 'DEV', 10)), { room: 'Dev', already: false }, 'the case it was created in');
    assert.deepEqual(one.roomsOf(alice), ['Dev', LOBBY], 'the current room first; still in the lobby');
    assert.deepEqual(picked(await one.join(alice, 'lobby', 10)), { room: LOBBY, already: true }, 'already there: it only becomes current');
    assert.deepEqual(one.roomsOf(alice), [LOBBY, 'Dev']);
    await eventually(
      async () =>
        JSON.stringify(await one.rooms()) ===
        JSON.stringify([
          { name: 'Dev', count: 2 },
          { name: LOBBY, count: 3 },
        ]),
    );
    assert.deepEqual(listed(await two.roomNames('dev')), { room: 'Dev', names: ['alice', 'bob'] });
    assert.deepEqual(listed(await one.roomNames(LOBBY)), { room: LOBBY, names: ['alice', 'bob', 'carol'] });
    assert.equal(await one.roomNames('nowhere'), 'no such room');
    await two.toRooms(['Dev'], message('bob', 'in dev'), bob);
    await two.toRooms([LOBBY], message('carol', 'in the lobby'), carol);
    await alice.receive('<bob#Dev> in dev');
    await alice.receive('<carol> in the lobby');
    await bob.receive('<carol#lobby> in the lobby');
    assert.equal(bob.count('<bob> in dev'), 0, 'not to its sender');
    assert.equal(carol.lines.filter((l) => l.includes('in dev')).length, 0, 'not to the lobby only, on the same server');
    // Everyone leaves dev: it is gone, and a new one keeps the new case.
    assert.deepEqual(one.part(alice, 'dev'), { room: 'Dev', wasCurrent: false, current: undefined });
    assert.equal(one.part(alice, 'dev'), 'not in room');
    assert.deepEqual(two.part(bob, 'Dev'), { room: 'Dev', wasCurrent: true, current: LOBBY }, 'the lobby is current again');
    await eventually(async () => listed(await one.roomNames('dev')) === 'no such room');
    assert.deepEqual(two.part(bob, LOBBY), { room: LOBBY, wasCurrent: true, current: undefined }, 'in no room');
    assert.deepEqual(two.roomsOf(bob), []);
    assert.deepEqual(picked(await two.join(carol, 'dEV', 10)), { room: 'dEV', already: false });
    await eventually(
      async () =>
        JSON.stringify(await one.rooms()) ===
        JSON.stringify([
          { name: 'dEV', count: 1 },
          { name: LOBBY, count: 2 },
        ]),
    );
    await two.toRooms([LOBBY], message('carol', 'bob is gone'), carol);
    await alice.receive('<carol> bob is gone');
    assert.equal(bob.count('<carol#lobby> bob is gone'), 0, 'not to one who left the room');
  });

  test('an event for several rooms reaches each member once, untagged when one of them is current', async (t) => {
    const [one, two] = (await chat(t, 2)) as [Hub, Hub];
    const alice = await join(one, 'alice');
    const bob = await join(two, 'bob');
    const carol = await join(one, 'carol');
    for (const room of ['a', 'b', 'c', 'd']) {
      await one.join(alice, room, 10);
      await two.join(bob, room, 10);
    }
    await one.join(carol, 'b', 10);
    await one.join(carol, 'zed', 10);
    await two.join(bob, 'b', 10); // bob's current room is one of alice's: untagged
    const left: RoomEvent = { kind: 'left', names: ['alice'], reason: 'bye' };
    await one.toRooms(one.roomsOf(alice), left, alice, true);
    await bob.receive('* alice left (bye)');
    await carol.receive('* alice left #b (bye)');
    await one.toRooms([LOBBY], message('alice', 'after'), alice);
    await bob.receive('<alice#lobby> after');
    await carol.receive('<alice#lobby> after');
    assert.equal(bob.lines.filter((l) => l.startsWith('* alice left')).length, 1, 'once, not once per shared room');
    assert.equal(carol.lines.filter((l) => l.startsWith('* alice left')).length, 1);
    assert.equal(alice.lines.filter((l) => l.startsWith('* alice left')).length, 0);
  });

  test('an away change reaches the others in the rooms of the one it is about, once, on every server; never that user', async (t) => {
    const [one, two] = (await chat(t, 2)) as [Hub, Hub];
    const alice = await join(one, 'alice');
    const bob = await join(two, 'bob');
    const carol = await join(one, 'carol');
    const dan = await join(two, 'dan');
    for (const m of [alice, bob]) await (m === alice ? one : two).join(m, 'side', 10);
    await two.join(dan, 'other', 10);
    two.part(dan, LOBBY);
    await one.toRooms(one.roomsOf(alice), { kind: 'away', name: 'alice', text: 'at lunch' }, undefined, true);
    await one.toRooms(one.roomsOf(alice), { kind: 'away', name: 'alice' }, undefined, true);
    await bob.receive('~ alice back');
    await carol.receive('~ alice back');
    await one.toRooms(['other'], message('bob', 'sync'), undefined);
    await dan.receive('<bob> sync');
    const told = (m: TestMember): string[] => m.lines.filter((l) => l.startsWith('~'));
    assert.deepEqual(told(bob), ['~ alice at lunch', '~ alice back'], 'once, not once per shared room');
    assert.deepEqual(told(carol), ['~ alice at lunch', '~ alice back']);
    assert.deepEqual([...told(alice), ...told(dan)], [], 'not to alice, nor to one in no room with her');
  });

  test('rooms: no more than the limit; a rename keeps the rooms', async (t) => {
    const [one, two] = (await chat(t, 2)) as [Hub, Hub];
    const alice = await join(one, 'alice');
    const bob = await join(two, 'bob');
    await join(two, 'carol');
    assert.deepEqual(picked(await one.join(alice, 'a', 2)), { room: 'a', already: false });
    assert.equal(await two.join(bob, 'b', 2), 'full', 'lobby and a are two rooms');
    assert.deepEqual(picked(await two.join(bob, 'A', 2)), { room: 'a', already: false }, 'one that exists is joined');
    assert.equal(await one.rename(alice, 'alice', 'alicia'), 'claimed');
    alice.name = 'alicia';
    assert.deepEqual(one.roomsOf(alice), ['a', LOBBY]);
    await eventually(async () => JSON.stringify(listed(await two.roomNames('a'))) === JSON.stringify({ room: 'a', names: ['alicia', 'bob'] }));
    await eventually(async () => JSON.stringify(listed(await two.roomNames(LOBBY))) === JSON.stringify({ room: LOBBY, names: ['alicia', 'bob', 'carol'] }));
    assert.equal(await one.rename(alice, 'alicia', 'Alicia'), 'claimed');
    alice.name = 'Alicia';
    await eventually(async () => JSON.stringify(listed(await two.roomNames('a'))) === JSON.stringify({ room: 'a', names: ['Alicia', 'bob'] }));
    one.release('Alicia', alice);
    await eventually(async () => JSON.stringify(listed(await two.roomNames('a'))) === JSON.stringify({ room: 'a', names: ['bob'] }));
  });

  test("/who lists every server's users in one list, sorted without regard to case", async (t) => {
    const [one, two, three] = (await chat(t, 3)) as [Hub, Hub, Hub];
    await join(one, 'carol');
    await join(two, 'Bob');
    await join(three, 'alice');
    for (const hub of [one, two, three]) assert.deepEqual(await hub.names(), ['alice', 'Bob', 'carol']);
    assert.equal(three.size, 3);
  });

  test('a rename frees the old name and takes the new one everywhere', async (t) => {
    const [one, two] = (await chat(t, 2)) as [Hub, Hub];
    const alice = await join(one, 'alice');
    await join(two, 'bob');
    assert.equal(await one.rename(alice, 'alice', 'BOB'), 'taken');
    assert.equal(await one.rename(alice, 'alice', 'alicia'), 'claimed');
    alice.name = 'alicia';
    assert.equal(await two.claim('alicia', new TestMember('alicia')), 'taken');
    assert.equal(await two.claim('alice', new TestMember('alice')), 'claimed');
    assert.equal(await one.rename(alice, 'alicia', 'Alicia'), 'claimed', "another case of one's own name");
    assert.equal(await two.direct('alicia', dm(bytes('*bob* hi'))), 'delivered');
    await alice.receive('*bob* hi');
  });

  test('a takeover (a newer login of the account) takes a name from its holder on any server, who is evicted and announced as gone', async (t) => {
    const [one, two] = (await chat(t, 2)) as [Hub, Hub];
    const evicted: string[] = [];
    const announced: string[] = [];
    for (const hub of new Set([one, two])) {
      hub.attach(
        testEvents({
          presence: (rooms, names, change, why) => {
            // The hub names why (a code); the dialect words it.
            const reason = why === undefined ? '' : leftBecause(why);
            announced.push(`${change} ${rooms.join(' ')}: ${names.join(', ')} (${reason})`);
            return { rooms: [...rooms], event: change === 'left' ? { kind: 'left', names, reason } : { kind: 'joined', names } };
          },
          evicted: (m, why) => evicted.push(`${m.name}: ${why}`),
        }),
      );
    }
    const first = await join(one, 'Alice');
    const bob = await join(one, 'bob');
    const dave = await join(two, 'dave');
    await one.join(first, 'dev', 10);
    await two.join(dave, 'dev', 10);
    assert.equal(await two.claim('alice', new TestMember('alice')), 'taken', 'not without takeOver');
    const second = new TestMember('alice');
    assert.equal(await two.claim('alice', second, true), 'claimed', 'from another server');
    await eventually(async () => evicted.length > 0);
    assert.deepEqual(evicted, ['Alice: logged in elsewhere']);
    assert.equal(announced.length, 1, 'announced once, to its rooms, as the holder had the name');
    assert.match(announced[0]!, /^left (dev lobby|lobby dev): Alice \(logged in elsewhere\)$/);
    // Everyone but the newcomer hears it, before the claim is answered on the newcomer's server.
    assert.deepEqual(dave.lines, ['* Alice left (logged in elsewhere)']);
    await bob.receive('* Alice left (logged in elsewhere)');
    assert.deepEqual(second.lines, []);
    assert.equal(await one.direct('ALICE', dm(bytes('*carol* to the newer one'))), 'delivered');
    await second.receive('*carol* to the newer one');
    assert.deepEqual(first.lines, [], 'the evicted member gets nothing more from the hub');

    const third = new TestMember('ALICE');
    assert.equal(await two.claim('ALICE', third, true), 'claimed', 'from the same server');
    assert.deepEqual(evicted, ['Alice: logged in elsewhere', 'alice: logged in elsewhere']);
    assert.equal(await two.claim('ALICE', third, true), 'claimed', 'its own name: nobody to evict');
    assert.equal(evicted.length, 2);
    // A rename into a name an older login holds (on another server) takes it too, and frees the old name.
    assert.equal(await one.rename(bob, 'bob', 'alice', true), 'claimed');
    await eventually(async () => evicted.length === 3);
    assert.equal(evicted[2], 'ALICE: logged in elsewhere');
    assert.ok(!bob.lines.includes('* ALICE left (logged in elsewhere)'), 'not told to the one who took it');
    bob.name = 'alice';
    await eventually(async () => (await two.claim('bob', new TestMember('bob'))) === 'claimed');
    assert.deepEqual(await two.names(), ['alice', 'bob', 'dave']);
  });

  test("an operator's removal (kick, ban) reaches the user on any server, and only that user", async (t) => {
    const [one, two] = (await chat(t, 2)) as [Hub, Hub];
    const removed: string[] = [];
    for (const hub of new Set([one, two])) {
      hub.attach(testEvents({ removed: (m, removal) => removed.push(`${m.name}: ${'shown' in removal ? removal.shown : `${removal.by} ${removal.room}`}`) }));
    }
    await join(one, 'op');
    const bob = await join(two, 'Bob');
    const carol = await join(one, 'carol');
    assert.equal(await one.remove('BOB', { shown: 'kicked by op: spam' }), 'delivered', 'on another server');
    await eventually(async () => removed.length > 0);
    assert.deepEqual(removed, ['Bob: kicked by op: spam']);
    assert.equal(await two.remove('carol', { shown: 'banned by op' }), 'delivered', 'from another server');
    await eventually(async () => removed.length > 1);
    assert.equal(removed[1], 'carol: banned by op');
    assert.equal(await one.remove('nobody', { shown: 'x' }), 'no such user');
    assert.deepEqual([bob.lines, carol.lines], [[], []], 'the hub itself sends nothing: the server tells and disconnects');
    assert.equal(removed.length, 2);
  });
  test("a room's state: made with the room by its first member, written over the version read, gone when the room empties", async (t) => {
    const [one, two] = (await chat(t, 2)) as [Hub, Hub];
    const alice = await join(one, 'alice');
    const bob = await join(two, 'bob');
    const fresh = freshState('alice', T0);
    const made = await one.join(alice, 'Dev', 10, { fresh, account: false });
    assert.ok(typeof made === 'object' && made.created === true, 'this join made the room');
    assert.deepEqual(typeof made === 'object' && made.state, fresh);
    const second = await two.join(bob, 'dev', 10, { fresh: freshState('bob', T0), account: false });
    assert.ok(typeof second === 'object' && second.created === false, 'the room was there: bob is no operator of it');
    assert.deepEqual(typeof second === 'object' && second.state?.ops, ['alice']);
    const info = await two.roomState('DEV', true);
    assert.ok(typeof info === 'object');
    assert.deepEqual([info.room, info.state.ops, info.size], ['Dev', ['alice'], 2]);

    const topic: RoomState = { ...fresh, v: 2, topic: { text: 'release', by: 'alice', at: T0 }, private: true };
    assert.equal(await one.setRoomState('dev', 1, topic), 'set');
    assert.equal(await two.setRoomState('dev', 1, { ...fresh, v: 2, key: 'late' }), 'changed', 'written over a version that is gone');
    assert.equal(await two.setRoomState('nowhere', 0, fresh), 'no such room');
    await eventually(async () => {
      const seen = await two.roomState('dev', true);
      return typeof seen === 'object' && seen.state.v === 2 && seen.state.topic?.text === 'release';
    });
    const listing = await two.roomNames('dev');
    assert.ok(typeof listing === 'object' && listing.state.private === true, "the listing carries the room's state");
    await eventually(async () => (await one.rooms())?.find((r) => r.name === 'Dev')?.hidden === true);

    one.part(alice, 'dev');
    two.part(bob, 'dev');
    await eventually(async () => (await one.roomState('dev', true)) === 'no such room');
    const again = await two.join(bob, 'dev', 10, { fresh: freshState('bob', T0), account: false });
    assert.deepEqual(
      typeof again === 'object' && [again.created, again.state?.ops, again.state?.private],
      [true, ['bob'], undefined],
      'a new room, a new state',
    );
  });

  test("a join uses up the newcomer's invitation, and takes a name that is no account's out of the operators", async (t) => {
    const [one, two] = (await chat(t, 2)) as [Hub, Hub];
    const alice = await join(one, 'alice');
    const bob = await join(two, 'bob');
    const guest = await join(two, 'guest');
    await one.join(alice, 'dev', 10, { fresh: freshState('alice', T0), account: true });
    const state: RoomState = { v: 2, ops: ['alice', 'guest', 'bob'], invited: ['bob', 'carol'], voiced: ['guest'] };
    assert.equal(await one.setRoomState('dev', 1, state), 'set');
    const b = await two.join(bob, 'dev', 10, { fresh: freshState('bob', T0), account: true });
    assert.deepEqual(
      typeof b === 'object' && [b.state?.invited, b.state?.ops],
      [['carol'], ['alice', 'guest', 'bob']],
      "bob's invitation is used; an account stays an operator",
    );
    const g = await two.join(guest, 'dev', 10, { fresh: freshState('guest', T0), account: false });
    assert.ok(typeof g === 'object');
    assert.deepEqual([g.state?.ops, g.state?.voiced], [['alice', 'bob'], undefined], 'whoever was operator under that name has left');
    const info = await one.roomState('dev', true);
    assert.ok(typeof info === 'object' && info.state.v === 4, 'each change a version');
  });

  test("a room's change reaches every server's copy of its state with its event", async (t) => {
    const [one, two] = (await chat(t, 2)) as [Hub, Hub];
    const alice = await join(one, 'alice');
    const bob = await join(two, 'bob');
    const fresh = freshState('alice', T0);
    await one.join(alice, 'dev', 10, { fresh, account: false });
    await two.join(bob, 'dev', 10, { fresh: freshState('bob', T0), account: false });
    const next: RoomState = { ...fresh, v: 2, moderated: true };
    assert.equal(await one.setRoomState('dev', 1, next), 'set');
    await one.toRooms(['dev'], { kind: 'changed', by: 'alice', changes: [{ what: 'moderated', on: true }], state: next }, undefined);
    await bob.receive('* alice moderated the room');
    const copy = await two.roomState('dev');
    assert.ok(typeof copy === 'object' && copy.state.moderated === true, "the other server's copy follows");
  });
}

/** Retries CHECK until it holds: for what another server learns a moment later. */
export async function eventually(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('the condition never held');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
