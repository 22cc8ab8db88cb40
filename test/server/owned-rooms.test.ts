import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import type { ServerEvent } from '../../src/server/events.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { FakeClock, T0 } from '../helpers/fake-clock.js';
import { MemoryClient, registered, startCore } from '../helpers/memory-client.js';
import { usersFile } from '../helpers/users.js';
import { waitFor } from '../helpers/wait.js';

/** docs/protocol.md, "Rooms people own": over in-memory connections, the core's rules. */

/** LINE, exactly, for lines.until. */
const exact = (line: string): RegExp => new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

const NO_ROOM = (room: string): string => `! no such room: ${room} (nobody is in it; /rooms lists the rooms)`;

/** alice made dev (its operator), bob is in it too; carol is in the lobby only. */
async function devRoom(t: TestContext, options: Parameters<typeof startCore>[1] = {}) {
  // A wrong key's own delay off: the throttle's waits are what these tests count.
  const { core } = startCore(t, { rate: 0, keyFailureMs: 0, ...options });
  const alice = await registered(core, 'alice');
  const bob = await registered(core, 'bob');
  const carol = await registered(core, 'carol');
  alice.send('/join dev');
  await alice.lines.until(exact('* you are in dev'));
  bob.send('/join dev');
  await bob.lines.until(exact('* you are in dev'));
  await alice.lines.until(exact('* bob joined'));
  return { core, alice, bob, carol };
}

describe('rooms people own', () => {
  test('the creator is the room operator: /topic, /op, /deop; everyone else is refused; the topic is shown on joining', async (t) => {
    const { alice, bob, carol } = await devRoom(t);
    bob.send('/topic');
    assert.equal(await bob.next(), '* dev has no topic');
    for (const line of ['/topic mine now', '/op bob', '/deop alice', '/private', '/public', '/key k', '/key', '/remove alice']) {
      bob.send(line);
      assert.equal(await bob.next(), `! only room operators may use /${line.split(' ')[0]!.slice(1)}`, line);
    }
    alice.send('/topic Release on Friday');
    assert.equal(await alice.next(), '* alice set the topic: Release on Friday');
    assert.equal(await bob.next(), '* alice set the topic: Release on Friday');
    bob.send('/topic');
    assert.equal(await bob.next(), '* topic of dev: Release on Friday (set by alice)');
    bob.send('/join lobby');
    bob.send('/join dev');
    assert.deepEqual([await bob.next(), await bob.next()], ['* you are in lobby', '* you are in dev'], 'a room one is in only becomes current: no topic again');
    await bob.expectNothing();
    carol.send('/join dev');
    assert.equal(await carol.next(), '* you are in dev');
    assert.equal(await carol.next(), '* topic of dev: Release on Friday (set by alice)', 'the topic, right after joining');
    carol.send('/who dev');
    assert.equal(await carol.next(), '* in dev (3): @alice, bob, carol');
    alice.send('/op bob');
    assert.equal(await alice.lines.until(/made bob/), '* alice made bob a room operator');
    assert.equal(await bob.lines.until(/made bob/), '* alice made bob a room operator');
    bob.send('/who dev');
    assert.equal(await bob.next(), '* in dev (3): @alice, @bob, carol');
    bob.send('/deop alice');
    assert.equal(await bob.next(), '* bob took room operator from alice');
    alice.send('/topic still mine?');
    assert.equal(await alice.lines.until(/^!/), '! only room operators may use /topic');
    alice.send('/op nobody');
    assert.equal(await alice.lines.until(/^!/), '! only room operators may use /op');
    bob.send('/op nobody');
    assert.equal(await bob.next(), '! no such user: nobody');
    bob.send('/op');
    assert.equal(await bob.next(), '! whom? write /op NAME');
  });

  test('/remove takes a user out of the room only: told why, the room sees it, its current room moves on', async (t) => {
    const { alice, bob, carol } = await devRoom(t);
    alice.send('/remove bob flooding');
    assert.equal(await bob.next(), '! removed from dev by alice: flooding');
    assert.equal(await bob.next(), '* you are in lobby');
    assert.equal(await alice.next(), '* bob left (removed by alice: flooding)');
    bob.send('/mine');
    assert.equal(await bob.next(), '* your rooms (1): lobby', 'still in the chat, and in the lobby');
    alice.send('/remove carol');
    assert.equal(await alice.next(), '! carol is not in dev: /who dev lists who is');
    alice.send('/remove nobody');
    assert.equal(await alice.next(), '! no such user: nobody');
    await carol.expectNothing();
  });

  test('a private room: only the invited come in, and nobody else learns anything of it by any path', async (t) => {
    const { alice, bob, carol, core } = await devRoom(t);
    alice.send('/private');
    assert.equal(await alice.next(), '* alice made the room private');
    assert.equal(await bob.next(), '* alice made the room private');
    alice.send('secret plans');
    assert.equal(await bob.next(), '<alice> secret plans');
    carol.send('/join dev');
    assert.equal(await carol.next(), '! dev is private: ask a member for an invitation');
    // Every way in, answered exactly as for a room nobody is in.
    for (const [line, room] of [
      ['/who dev', 'dev'],
      ['/who DEV', 'DEV'],
      ['/history dev', 'dev'],
      ['/history #dev 100', 'dev'],
    ] as const) {
      carol.send(line);
      assert.equal(await carol.next(), NO_ROOM(room), line);
      carol.send(line.replace(/dev/i, 'nowhere'));
      assert.equal(await carol.next(), NO_ROOM('nowhere'), `${line}, for a room nobody is in`);
    }
    carol.send('/rooms');
    assert.equal(await carol.next(), '* rooms (1): lobby (3)');
    bob.send('/rooms');
    assert.equal(await bob.next(), '* rooms (2): dev (2), lobby (3)', 'to its members it is listed');
    // A rename does not make one a member.
    const dave = await registered(core, 'dave');
    await alice.lines.until(exact('* dave joined #lobby'));
    await carol.lines.until(exact('* dave joined'));
    await bob.lines.until(exact('* dave joined #lobby'));
    alice.send('/invite dave');
    assert.equal(await alice.next(), '* dave is invited to dev');
    assert.equal(await dave.next(), '* alice invites you to dev: /join dev');
    carol.send('/join dev');
    assert.equal(await carol.next(), '! dev is private: ask a member for an invitation', "someone else's invitation is no invitation");
    bob.send('/invite carol');
    assert.equal(await bob.next(), '! only room operators may use /invite', 'in a private room only its operators invite');
    dave.send('/join dev');
    assert.equal(await dave.next(), '* you are in dev');
    dave.send('/part dev');
    await dave.lines.until(exact('* you are in lobby'));
    dave.send('/join dev');
    assert.equal(await dave.next(), '! dev is private: ask a member for an invitation', 'an invitation is used once');
    alice.send('/invite bob');
    assert.equal(await alice.lines.until(/^!/), '! bob is in dev already');
    await carol.expectNothing();
  });

  test('an invitation ends when the room empties', async (t) => {
    const { alice, bob, carol } = await devRoom(t);
    alice.send('/private');
    alice.send('/invite carol');
    await alice.lines.until(exact('* carol is invited to dev'));
    await carol.lines.until(exact('* alice invites you to dev: /join dev'));
    for (const c of [alice, bob]) {
      c.send('/part dev');
      await c.lines.until(exact('* you left dev'));
    }
    await bob.lines.until(exact('* you are in lobby'));
    bob.send('/join dev');
    assert.equal(await bob.next(), '* you are in dev', 'a new room, nobody owns it: open');
    bob.send('/private');
    await bob.lines.until(exact('* bob made the room private'));
    carol.send('/join dev');
    assert.equal(await carol.next(), '! dev is private: ask a member for an invitation');
  });

  test('a keyed room: the key, exactly, or an invitation; a wrong key is answered as slowly as a wrong password', async (t) => {
    const clock = new FakeClock();
    clock.advance(T0);
    const events: ServerEvent[] = [];
    const { alice, bob, core } = await devRoom(t, { timers: clock, onEvent: (e) => events.push(e) });
    alice.send('/key Open-Sesame');
    assert.equal(await alice.next(), '* alice set a key');
    assert.equal(await bob.next(), '* alice set a key', 'the key itself is told to nobody');
    const guesser = await registered(core, 'eve');
    guesser.send('/join dev');
    assert.equal(await guesser.next(), '! dev needs a key: /join dev KEY');
    guesser.send('/join dev open-sesame');
    assert.equal(await guesser.next(), '! dev needs a key: /join dev KEY', 'a key of the wrong case is a wrong key');
    const other = await registered(core, 'mallory');
    for (let i = 0; i < 3; i++) {
      other.send(`/join dev guess${i}`);
      assert.equal(await other.next(), '! dev needs a key: /join dev KEY');
    }
    // Five failures from one address: the next attempt waits 2 s first, whichever connection makes it.
    other.send('/join dev Open-Sesame');
    await waitFor(() => clock.nextDue === 2000, 'the attempt waits 2 s');
    clock.advance(1999);
    assert.equal(other.lines.queued, 0, 'not answered yet');
    clock.advance(1);
    assert.equal(await other.next(), '* you are in dev');
    assert.ok(!JSON.stringify(events).includes('Open-Sesame'), 'the key is never logged');
    assert.ok(!JSON.stringify(events).includes('guess'), 'nor the keys tried');
  });

  test('a wrong key is answered after the delay a wrong password has; a right one at once', async (t) => {
    const { alice, core } = await devRoom(t, { keyFailureMs: 300 });
    alice.send('/key k1');
    await alice.lines.until(exact('* alice set a key'));
    const eve = await registered(core, 'eve');
    let started = Date.now();
    eve.send('/join dev k2');
    assert.equal(await eve.next(), '! dev needs a key: /join dev KEY');
    assert.ok(Date.now() - started >= 300, `answered after ${Date.now() - started} ms`);
    started = Date.now();
    eve.send('/join dev k1');
    assert.equal(await eve.next(), '* you are in dev');
    assert.ok(Date.now() - started < 300, 'the right key waits for nothing');
  });

  test('the lobby is open to everyone: not private, keyed or limited', async (t) => {
    const { core } = startCore(t, { rate: 0 });
    const alice = await registered(core, 'alice');
    for (const line of ['/private', '/key k']) {
      alice.send(line);
      assert.equal(await alice.next(), `! only room operators may use /${line.slice(1).split(' ')[0]}`, 'nobody made the lobby');
    }
  });

  test("two operators taking each other's operator at once: one of them stays one", async (t) => {
    const { alice, bob } = await devRoom(t);
    alice.send('/op bob');
    await bob.lines.until(exact('* alice made bob a room operator'));
    await alice.lines.until(exact('* alice made bob a room operator'));
    alice.send('/deop bob');
    bob.send('/deop alice');
    const [a, b] = await Promise.all([alice.lines.until(/^\* alice took|^!/), bob.lines.until(/^\* bob took|^!/)]);
    const refused = [a, b].filter((l) => l.startsWith('!'));
    assert.equal(refused.length, 1, `one wins: ${a} / ${b}`);
    bob.send('/who dev');
    const listing = await bob.lines.until(/^\* in dev/);
    assert.equal((listing.match(/@/g) ?? []).length, 1, listing);
  });

  test('the last operator leaving a room nobody owns leaves it without one until it empties; a server operator still manages it', async (t) => {
    const users = await usersFile(t, { op: 'pw-op' }, ['op']);
    const { core } = startCore(t, { users, guests: true, rate: 0, authFailureDelayMs: 10 });
    const alice = await registered(core, 'alice');
    const bob = await registered(core, 'bob');
    alice.send('/join dev');
    await alice.lines.until(exact('* you are in dev'));
    bob.send('/join dev');
    await bob.lines.until(exact('* you are in dev'));
    alice.send('/part dev');
    await bob.lines.until(/^\* alice left$/);
    bob.send('/topic mine now?');
    assert.equal(await bob.next(), '! only room operators may use /topic', 'nobody inherits it');
    bob.send('/who dev');
    assert.equal(await bob.next(), '* in dev (1): bob');
    const op = await MemoryClient.loggedIn(core, 'op', 'pw-op');
    op.send('/join dev');
    await op.lines.until(exact('* you are in dev'));
    op.send('/op bob');
    assert.equal(await op.lines.until(/room operator/), '* op made bob a room operator', "the server's operator may");
    const guest = await registered(core, 'visitor');
    guest.send('#op');
    assert.equal(await guest.next(), '! password required: this server checks passwords, send #NAME PASSWORD', "a guest never takes an account's name");
  });

  test("a name that is no account's: whoever takes it after its operator left is no operator, by joining or by renaming", async (t) => {
    const { alice, bob, carol, core } = await devRoom(t);
    alice.send('/op bob');
    await alice.lines.until(exact('* alice made bob a room operator'));
    bob.send('/quit');
    await alice.lines.until(/^\* bob left/);
    const imposter = await registered(core, 'bob');
    imposter.send('/join dev');
    await imposter.lines.until(exact('* you are in dev'));
    imposter.send('/topic mine');
    assert.equal(await imposter.lines.until(/^!/), '! only room operators may use /topic');
    // The same by a rename inside the room.
    carol.send('/join dev');
    await carol.lines.until(exact('* you are in dev'));
    alice.send('/op carol');
    await alice.lines.until(exact('* alice made carol a room operator'));
    carol.send('#carla');
    await carol.lines.until(exact('* you are now carla'));
    carol.send('/topic carla keeps it');
    assert.equal(await carol.lines.until(/topic/), '* carla set the topic: carla keeps it', "the operator goes with its user's new name");
    imposter.send('#carol');
    await imposter.lines.until(exact('* you are now carol'));
    imposter.send('/private');
    assert.equal(await imposter.lines.until(/^!/), '! only room operators may use /private');
  });
});

describe('rooms people own: attacks from review', () => {
  test("in an open room a member's /invite only tells NAME: it lets nobody past the key, nor past a privacy set after it", async (t) => {
    const { alice, bob, carol } = await devRoom(t);
    alice.send('/key sekrit');
    await bob.lines.until(exact('* alice set a key'));
    bob.send('/invite carol');
    assert.equal(await bob.next(), '* carol is invited to dev');
    assert.equal(await carol.next(), '* bob invites you to dev: /join dev');
    carol.send('/join dev');
    assert.equal(await carol.next(), '! dev needs a key: /join dev KEY', 'bob is no room operator: his invitation is no key');
    // The same for a privacy the operator sets after a member's invitation.
    alice.send('/key');
    await bob.lines.until(exact('* alice removed the key'));
    bob.send('/invite carol');
    await bob.lines.until(exact('* carol is invited to dev'));
    alice.send('/private');
    await bob.lines.until(exact('* alice made the room private'));
    carol.send('/join dev');
    assert.equal(await carol.lines.until(/^!/), '! dev is private: ask a member for an invitation');
  });

  test('a key attempt that waited its turn is checked against the room as it is then: not past a key changed and a privacy set meanwhile', async (t) => {
    const clock = new FakeClock();
    clock.advance(T0);
    const { alice, bob, core } = await devRoom(t, { timers: clock });
    alice.send('/key old-key');
    await bob.lines.until(exact('* alice set a key'));
    const guesser = await registered(core, 'eve');
    for (let i = 0; i < 4; i++) {
      guesser.send(`/join dev guess${i}`);
      assert.equal(await guesser.next(), '! dev needs a key: /join dev KEY');
    }
    guesser.send('/quit');
    // The fifth failure from this address makes the next attempt wait 2 s.
    const mallory = await registered(core, 'mallory');
    mallory.send('/join dev guess4');
    assert.equal(await mallory.next(), '! dev needs a key: /join dev KEY');
    // The old key leaked: mallory tries it, and waits her turn...
    mallory.send('/join dev old-key');
    await waitFor(() => clock.nextDue === 2000, 'the attempt waits 2 s');
    // ...while the operator changes the key and makes the room private.
    alice.send('/key new-key');
    await bob.lines.until(exact('* alice set a key'));
    alice.send('/private');
    await bob.lines.until(exact('* alice made the room private'));
    clock.advance(2000);
    assert.notEqual(await mallory.next(), '* you are in dev', 'the old key of a room made private since opens nothing');
    bob.send('/who dev');
    assert.equal(await bob.next(), '* in dev (2): @alice, bob');
  });

  test("a right key to one's own keyed room does not wipe the failures of guessing someone else's", async (t) => {
    const clock = new FakeClock();
    clock.advance(T0);
    const { alice, bob, core } = await devRoom(t, { timers: clock });
    alice.send('/key Open-Sesame');
    await bob.lines.until(exact('* alice set a key'));
    // An accomplice keeps a keyed room of the attacker's open (same address).
    const friend = await registered(core, 'friend');
    friend.send('/join mine');
    await friend.lines.until(exact('* you are in mine'));
    friend.send('/key x');
    await friend.lines.until(exact('* friend set a key'));
    const m = await registered(core, 'mallory');
    for (let i = 0; i < 4; i++) {
      m.send(`/join dev guess${i}`);
      assert.equal(await m.next(), '! dev needs a key: /join dev KEY');
    }
    const m2 = await registered(core, 'mallory2');
    m2.send('/join dev guess4');
    assert.equal(await m2.next(), '! dev needs a key: /join dev KEY');
    // Five failures: her own room's right key waits its turn too, and wipes nothing.
    m2.send('/join mine x');
    await waitFor(() => clock.nextDue === 2000, 'the right key waits 2 s as well');
    clock.advance(2000);
    assert.equal(await m2.next(), '* you are in mine');
    m2.send('/join dev guess5');
    await waitFor(() => clock.nextDue === 2000, 'the next guess still waits: the failures are not forgotten');
    clock.advance(2000);
    assert.equal(await m2.next(), '! dev needs a key: /join dev KEY');
    m2.send('/join dev guess6');
    await waitFor(() => clock.nextDue === 4000, 'and the one after longer');
  });

  test("the lobby made again by someone who walked out of it is still nobody's: no operator, no topic, no /remove", async (t) => {
    const { core } = startCore(t, { rate: 0 });
    const alice = await registered(core, 'alice');
    alice.send('/join dev');
    await alice.lines.until(exact('* you are in dev'));
    alice.send('/part lobby');
    await alice.lines.until(exact('* you left lobby'));
    alice.send('/join lobby');
    assert.equal(await alice.next(), '* you are in lobby');
    const bob = await registered(core, 'bob');
    await alice.lines.until(exact('* bob joined'));
    alice.send('/topic I rule the lobby');
    assert.equal(await alice.next(), '! only room operators may use /topic', "nobody but a server operator is the lobby's operator");
    alice.send('/remove bob go away');
    assert.equal(await alice.next(), '! only room operators may use /remove');
    await bob.expectNothing();
  });

  test("a private room's conversation is not read by whoever makes a room of its name after it emptied", async (t) => {
    const { core } = startCore(t, { rate: 0 });
    const alice = await registered(core, 'alice');
    const carol = await registered(core, 'carol');
    alice.send('/join hr');
    await alice.lines.until(exact('* you are in hr'));
    alice.send('/private');
    await alice.lines.until(exact('* alice made the room private'));
    alice.send('the launch code is 1234');
    alice.send('/part hr');
    await alice.lines.until(exact('* you left hr'));
    carol.send('/join hr');
    assert.equal(await carol.lines.until(/hr/), '* you are in hr', 'open again: nobody owns it');
    carol.send('/history');
    const answer = await carol.lines.until(/history|launch/);
    assert.ok(!answer.includes('launch code'), `a private room's history reached a non-member: ${answer}`);
  });
});

describe('owned rooms (accounts)', () => {
  async function accounts(t: TestContext, store = new MemoryStore(), more: Parameters<typeof startCore>[1] = {}) {
    const users = await usersFile(t, { op: 'pw-op', alice: 'pw-a', bob: 'pw-b', carol: 'pw-c' }, ['op']);
    const { core, accounts } = startCore(t, { users, store, rate: 0, authFailureDelayMs: 10, guests: true, ...more });
    return { core, accounts, store, users };
  }

  test('an owned room keeps its operators, topic, privacy and key while empty; its owner is its operator whenever they join', async (t) => {
    const { core, store } = await accounts(t);
    const alice = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    alice.send('/join hr');
    await alice.lines.until(exact('* you are in hr'));
    alice.send('/topic Salaries');
    alice.send('/private');
    alice.send('/key pay-day');
    await alice.lines.until(exact('* alice set a key'));
    alice.send('/quit');
    await alice.closed;
    assert.equal(await store.ownedRooms('ALICE'), 1);
    const bob = await MemoryClient.loggedIn(core, 'bob', 'pw-b');
    bob.send('/join hr pay-day');
    assert.equal(await bob.next(), '! hr is private: ask a member for an invitation', 'private, though nobody is in it');
    const back = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    back.send('/join hr');
    assert.equal(await back.next(), '* you are in hr', 'its owner passes its key and privacy');
    assert.equal(await back.next(), '* topic of hr: Salaries (set by alice)');
    back.send('/invite bob');
    assert.equal(await back.next(), '* bob is invited to hr');
    bob.send('/join hr');
    assert.equal(await bob.lines.until(/hr/), '* alice invites you to hr: /join hr');
    assert.equal(await bob.next(), '* you are in hr');
    back.send('/op bob');
    await bob.lines.until(/^\* alice made bob a room operator$/);
    bob.send('/deop alice');
    assert.equal(await bob.next(), '! alice owns hr: its owner is always one of its room operators');
  });

  test('a guest owns nothing; an account owns --max-owned-rooms-per-account rooms at most', async (t) => {
    const { core, store } = await accounts(t, new MemoryStore(), { maxOwnedRoomsPerAccount: 1 });
    const guest = await registered(core, 'visitor');
    guest.send('/join cafe');
    assert.equal(await guest.next(), '* you are in cafe');
    assert.equal(await store.ownedRoom('cafe'), undefined, "a guest's room is nobody's");
    const alice = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    alice.send('/join one');
    assert.equal(await alice.next(), '* you are in one');
    alice.send('/join two');
    assert.equal(await alice.next(), '* you are in two');
    assert.equal(await alice.next(), '* two is not kept for you: you own 1 rooms already (max 1)');
    assert.equal((await store.ownedRoom('one'))?.owner, 'alice');
    assert.equal(await store.ownedRoom('two'), undefined);
  });

  test("a removed owner's name gives nothing: its room's settings stay, a guest under that name is no operator", async (t) => {
    const { core, store, accounts: file, users } = await accounts(t);
    const alice = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    alice.send('/join hr');
    alice.send('/private');
    await alice.lines.until(exact('* alice made the room private'));
    const { writeFile } = await import('node:fs/promises');
    const { readFileSync } = await import('node:fs');
    await writeFile(
      users,
      readFileSync(users, 'utf8')
        .split('\n')
        .filter((l) => !l.startsWith('alice:'))
        .join('\n'),
    );
    core.dropRemovedAccounts(file?.reload().removed ?? []);
    await alice.closed;
    const guest = await registered(core, 'alice');
    guest.send('/join hr');
    assert.equal(await guest.next(), '! hr is private: ask a member for an invitation');
    assert.equal((await store.ownedRoom('hr'))?.private, true);
  });
});
