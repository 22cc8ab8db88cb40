import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryClient, startCore } from '../helpers/memory-client.js';

/**
 * PROTOCOL.md "Rooms", every row, with who must and who must not see each line. Over
 * in-memory connections: nothing here depends on the socket (protocol.test.ts has framing).
 */
describe('rooms', () => {
  test('/join moves you: the room left hears where you went, the new one that you came, and nobody else hears a thing', async (t) => {
    const { core } = startCore(t);
    const alice = await MemoryClient.registered(core, 'alice');
    const bob = await MemoryClient.registered(core, 'bob');
    const carol = await MemoryClient.registered(core, 'carol');
    await alice.lines.until(/carol joined/);
    await bob.lines.until(/carol joined/);

    alice.send('/join dev');
    assert.equal(await alice.next(), '* you are in dev');
    assert.equal(await bob.next(), '* alice left (went to dev)');
    assert.equal(await carol.next(), '* alice left (went to dev)');
    bob.send('/JOIN #dev');
    assert.equal(await bob.next(), '* you are in dev');
    assert.equal(await alice.next(), '* bob joined');
    assert.equal(await carol.next(), '* bob left (went to dev)');
    bob.send('/join DEV');
    assert.equal(await bob.next(), '* you are in dev', 'the room you are in: just where you are, as created');

    // Room messages stay in their room; direct messages cross rooms.
    alice.send('for dev only');
    assert.equal(await bob.next(), '<alice> for dev only');
    carol.send('for the lobby only');
    carol.send('@alice:across rooms');
    assert.equal(await alice.next(), '*carol* across rooms');
    await alice.expectNothing();
    await bob.expectNothing();
    await carol.expectNothing();
  });

  test('/who ROOM, /who, /rooms; errors for a room nobody is in, a bad room name, a missing one', async (t) => {
    const { core } = startCore(t);
    const alice = await MemoryClient.registered(core, 'alice');
    const bob = await MemoryClient.registered(core, 'Bob');
    const carol = await MemoryClient.registered(core, 'carol');
    alice.send('/join Dev');
    await alice.lines.until(/you are in Dev/);
    bob.send('/join dev');
    assert.equal(await bob.lines.until(/you are in/), '* you are in Dev', 'shown in the case it was created in');
    await carol.sync();
    carol.send('/who dev');
    assert.equal(await carol.next(), '* in Dev (2): alice, Bob');
    carol.send('/who #lobby');
    assert.equal(await carol.next(), '* in lobby (1): carol');
    carol.send('/who');
    assert.equal(await carol.next(), '* online (3): alice, Bob, carol');
    carol.send('/rooms');
    assert.equal(await carol.next(), '* rooms (2): Dev (2), lobby (1)');
    carol.send('/who nowhere');
    assert.equal(await carol.next(), '! no such room: nowhere (nobody is in it; /rooms lists the rooms)');
    carol.send('/who not a room');
    assert.equal(await carol.next(), '! invalid room: use 1-32 letters, digits, _ or -');
    carol.send('/join not/a/room');
    assert.equal(await carol.next(), '! invalid room: use 1-32 letters, digits, _ or -');
    carol.send('/join');
    assert.equal(await carol.next(), '! which room? write /join ROOM');
    await carol.expectNothing();

    const stranger = MemoryClient.connect(core, 'stranger');
    await stranger.lines.until(/^\* welcome/);
    stranger.send('/join dev');
    assert.equal(await stranger.next(), '! register first with #yourname');
    stranger.send('/rooms');
    assert.equal(await stranger.next(), '* rooms (2): Dev (2), lobby (1)', 'like /who, allowed before registering without accounts');
  });

  test('rename and leave inside a room are told to that room only; an empty room is gone', async (t) => {
    const { core } = startCore(t);
    const alice = await MemoryClient.registered(core, 'alice');
    const bob = await MemoryClient.registered(core, 'bob');
    const carol = await MemoryClient.registered(core, 'carol');
    for (const c of [alice, bob]) {
      c.send('/join dev');
      await c.lines.until(/you are in dev/);
    }
    await alice.lines.until(/bob joined/);
    alice.send('#alicia');
    assert.equal(await alice.next(), '* you are now alicia');
    assert.equal(await bob.next(), '* alice is now alicia');
    bob.send('/quit gone home');
    assert.equal(await alice.next(), '* bob left (gone home)');
    await alice.close();
    await carol.sync();
    carol.send('/rooms');
    assert.equal(await carol.next(), '* rooms (1): lobby (1)');
    carol.send('/who dev');
    assert.match((await carol.next()) ?? '', /^! no such room: dev/);
    // Created again, it takes the new case.
    carol.send('/join DEV');
    assert.equal(await carol.next(), '* you are in DEV');
    // carol saw none of it: not the rename, not the leaves (only the two moves away).
    assert.deepEqual(
      carol.lines.seen.filter((l) => /alicia|bob left \(gone/.test(l)),
      [],
    );
  });

  test('--max-rooms: one more room is refused with its own error; leaving a room of one frees its place', async (t) => {
    const { core } = startCore(t, { maxRooms: 2 });
    const alice = await MemoryClient.registered(core, 'alice');
    const bob = await MemoryClient.registered(core, 'bob');
    await MemoryClient.registered(core, 'carol'); // keeps the lobby
    alice.send('/join a');
    await alice.lines.until(/you are in a/);
    bob.send('/join b');
    assert.equal(await bob.lines.until(/^!/), '! too many rooms (max 2): join one that exists, /rooms lists them');
    alice.send('/join c');
    assert.equal(await alice.next(), '* you are in c');
    bob.send('/join c');
    assert.equal(await bob.lines.until(/you are in/), '* you are in c');
  });

  test('--announce-max counts the users of the room, not of the server', async (t) => {
    const { core } = startCore(t, { announceMax: 2 });
    const a = await MemoryClient.registered(core, 'a');
    const b = await MemoryClient.registered(core, 'b');
    await a.lines.until(/b joined/);
    for (const c of [a, b]) {
      c.send('/join big');
      await c.lines.until(/you are in big/);
    }
    assert.equal(await a.next(), '* b joined', 'big has two: announced');
    const watcher = await MemoryClient.registered(core, 'watcher');
    const c = await MemoryClient.registered(core, 'c');
    assert.equal(await watcher.next(), '* c joined', 'the lobby has two: announced');
    c.send('/join big');
    assert.equal(await c.next(), '* you are in big');
    assert.equal(await watcher.next(), '* c left (went to big)');
    // big now has three: its users hear nothing of c; the lobby still hears its own.
    await a.expectNothing();
    const d = await MemoryClient.registered(core, 'd');
    assert.equal(await watcher.next(), '* d joined');
    await d.expectNothing();
    await b.expectNothing();
  });
});
