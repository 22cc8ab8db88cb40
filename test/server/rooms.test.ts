import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { heardOnlyWhileIn } from '../helpers/rooms.js';
import { MemoryClient, startCore } from '../helpers/memory-client.js';

/**
 * docs/protocol.md "Rooms", every row, with who must and who must not see each line. Over
 * in-memory connections: nothing here depends on the socket (protocol.test.ts has framing).
 */
describe('rooms', () => {
  test('/join keeps your rooms: the room joined hears you came, nobody else hears a thing; a line from a room that is not current names it', async (t) => {
    const { core } = startCore(t);
    const alice = await MemoryClient.registered(core, 'alice');
    const bob = await MemoryClient.registered(core, 'bob');
    const carol = await MemoryClient.registered(core, 'carol');
    await alice.lines.until(/carol joined/);
    await bob.lines.until(/carol joined/);

    alice.send('/join dev');
    assert.equal(await alice.next(), '* you are in dev');
    await bob.expectNothing();
    await carol.expectNothing();
    bob.send('/JOIN #dev');
    assert.equal(await bob.next(), '* you are in dev');
    assert.equal(await alice.next(), '* bob joined');
    bob.send('/join DEV');
    assert.equal(await bob.next(), '* you are in dev', 'the room you are in: it only stays current, as created');
    await carol.expectNothing();

    // Room messages stay in their room, named where it is not the receiver's current room.
    alice.send('for dev only');
    assert.equal(await bob.next(), '<alice> for dev only');
    carol.send('for the lobby');
    assert.equal(await alice.next(), '<carol#lobby> for the lobby');
    assert.equal(await bob.next(), '<carol#lobby> for the lobby');
    carol.send('@alice:across rooms');
    assert.equal(await alice.next(), '*carol* across rooms');
    // Making the lobby current again: no presence, and its lines lose their tag for bob.
    bob.send('/join lobby');
    assert.equal(await bob.next(), '* you are in lobby');
    carol.send('again');
    assert.equal(await bob.next(), '<carol> again');
    assert.equal(await alice.next(), '<carol#lobby> again');
    alice.send('still in dev');
    assert.equal(await bob.next(), '<alice#dev> still in dev');
    for (const c of [alice, bob, carol]) await c.expectNothing();
  });

  test('/part and /mine: the room left hears it, the last room made current becomes current, and in no room a plain line is refused', async (t) => {
    const { core } = startCore(t);
    const alice = await MemoryClient.registered(core, 'alice');
    const bob = await MemoryClient.registered(core, 'bob');
    const carol = await MemoryClient.registered(core, 'carol');
    for (const c of [bob, carol, alice]) {
      c.send('/join dev');
      await c.lines.until(/you are in dev/);
    }
    carol.send('/join lobby');
    assert.equal(await carol.lines.until(/you are in/), '* you are in lobby');
    alice.send('/join qa');
    assert.equal(await alice.lines.until(/you are in/), '* you are in qa');
    await bob.sync();
    alice.send('/mine');
    assert.equal(await alice.next(), '* your rooms (3): qa, dev, lobby');

    alice.send('/part #Dev bye for now');
    assert.equal(await alice.next(), '* you left dev');
    assert.equal(await bob.next(), '* alice left (bye for now)', "dev is bob's current room");
    assert.equal(await carol.lines.until(/alice left/), '* alice left #dev (bye for now)', "and not carol's");
    alice.send('/part');
    assert.equal(await alice.next(), '* you left qa');
    assert.equal(await alice.next(), '* you are in lobby', 'the room made current before it');
    alice.send('/part lobby');
    assert.equal(await alice.next(), '* you left lobby');
    assert.equal(await bob.next(), '* alice left #lobby');
    assert.equal(await carol.next(), '* alice left');
    alice.send('hello?');
    assert.equal(await alice.next(), '! you are in no room: /join ROOM');
    alice.send('/mine');
    assert.equal(await alice.next(), '* your rooms (0): ');
    alice.send('/part');
    assert.equal(await alice.next(), '! you are in no room: /join ROOM');
    alice.send('/part nowhere');
    assert.equal(await alice.next(), '! you are not in nowhere: /mine lists your rooms');
    alice.send('/part not/a/room');
    assert.equal(await alice.next(), '! invalid room: use 1-32 letters, digits, _ or -');
    alice.send('/part # bye');
    assert.equal(await alice.next(), '! invalid room: use 1-32 letters, digits, _ or -', 'a lone # is no room, not the current one');
    // Direct messages reach a user in no room.
    bob.send('@alice:still there?');
    assert.equal(await alice.next(), '*bob* still there?');
    alice.send('/join lobby');
    assert.equal(await alice.next(), '* you are in lobby');
    assert.equal(await carol.next(), '* alice joined');
    assert.equal(await bob.next(), '* alice joined #lobby');
    for (const c of [alice, bob, carol]) await c.expectNothing();
  });

  test('leaving the chat and renaming are told once to each person sharing any room, never once per shared room', async (t) => {
    const { core } = startCore(t);
    const alice = await MemoryClient.registered(core, 'alice');
    const bob = await MemoryClient.registered(core, 'bob');
    const carol = await MemoryClient.registered(core, 'carol');
    const eve = await MemoryClient.registered(core, 'eve');
    const dave = await MemoryClient.registered(core, 'dave');
    const rooms = ['a', 'b', 'c', 'd'];
    for (const room of rooms) {
      for (const c of [alice, bob]) {
        c.send(`/join ${room}`);
        await c.lines.until(new RegExp(`you are in ${room}`));
      }
    }
    bob.send('/join c'); // bob's current room is one alice is in
    await bob.lines.until(/you are in c/);
    eve.send('/join b');
    eve.send('/join zz');
    eve.send('/part lobby');
    await eve.lines.until(/you left lobby/);
    dave.send('/join zed');
    dave.send('/part lobby');
    await dave.lines.until(/you left lobby/);
    for (const c of [alice, bob, carol, eve, dave]) await c.sync();

    alice.send('#alicia');
    assert.equal(await alice.next(), '* you are now alicia');
    alice.send('/quit see you');
    for (const [c, left] of [
      [bob, '* alicia left (see you)'],
      [carol, '* alicia left (see you)'],
      [eve, '* alicia left #b (see you)'],
    ] as const) {
      assert.equal(await c.next(), '* alice is now alicia', c === bob ? 'bob shares five rooms: told once' : '');
      assert.equal(await c.next(), left);
      await c.expectNothing();
    }
    await dave.expectNothing();
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
    assert.equal(await carol.next(), '* in Dev (2): @alice, Bob');
    carol.send('/who #lobby');
    assert.equal(await carol.next(), '* in lobby (3): alice, Bob, carol');
    carol.send('/who');
    assert.equal(await carol.next(), '* online (3): alice, Bob, carol');
    carol.send('/rooms');
    assert.equal(await carol.next(), '* rooms (2): Dev (2), lobby (3)');
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
    for (const line of ['/join dev', '/part dev', '/mine']) {
      stranger.send(line);
      assert.equal(await stranger.next(), '! register first with #yourname');
    }
    stranger.send('/rooms');
    assert.equal(await stranger.next(), '* rooms (2): Dev (2), lobby (3)', 'like /who, allowed before registering without accounts');
  });

  test('an empty room is gone, and created again takes the new case', async (t) => {
    const { core } = startCore(t);
    const alice = await MemoryClient.registered(core, 'alice');
    const carol = await MemoryClient.registered(core, 'carol');
    alice.send('/join dev');
    await alice.lines.until(/you are in dev/);
    await alice.close();
    await carol.sync();
    carol.send('/rooms');
    assert.equal(await carol.next(), '* rooms (1): lobby (1)');
    carol.send('/who dev');
    assert.match((await carol.next()) ?? '', /^! no such room: dev/);
    carol.send('/join DEV');
    assert.equal(await carol.next(), '* you are in DEV');
  });

  test('--max-rooms: one more room on the server is refused with its own error; an emptied room frees its place', async (t) => {
    const { core } = startCore(t, { maxRooms: 2 });
    const alice = await MemoryClient.registered(core, 'alice');
    const bob = await MemoryClient.registered(core, 'bob');
    alice.send('/join a');
    await alice.lines.until(/you are in a/);
    bob.send('/join b');
    assert.equal(await bob.lines.until(/^!/), '! too many rooms on this server (max 2): join one that exists, /rooms lists them');
    alice.send('/part a');
    assert.equal(await alice.next(), '* you left a');
    bob.send('/join b');
    assert.equal(await bob.lines.until(/you are in/), '* you are in b');
  });

  test('--max-rooms-per-user: one room more is refused; a user asking for 10,000 rooms is in 50', async (t) => {
    const { core } = startCore(t, { maxRoomsPerUser: 3, rate: 0 });
    const alice = await MemoryClient.registered(core, 'alice');
    alice.send('/join a');
    alice.send('/join b');
    await alice.lines.until(/you are in b/);
    alice.send('/join c');
    assert.equal(await alice.next(), '! too many rooms (max 3): /part one first');
    alice.send('/join A');
    assert.equal(await alice.next(), '* you are in a', 'one already joined is fine');
    alice.send('/part b');
    alice.send('/join c');
    assert.equal(await alice.next(), '* you left b');
    assert.equal(await alice.next(), '* you are in c');

    const { core: big } = startCore(t, { rate: 0 });
    const greedy = await MemoryClient.registered(big, 'greedy');
    greedy.write(Array.from({ length: 10_000 }, (_, i) => `/join r${i}\n`).join(''));
    greedy.send('/mine');
    const mine = await greedy.lines.until(/^\* your rooms/);
    assert.match(mine, /^\* your rooms \(50\): r48, r47, /, 'the lobby and 49 more');
    const refused = greedy.lines.seen.filter((l) => l === '! too many rooms (max 50): /part one first').length;
    assert.equal(refused, 10_000 - 49);
    assert.equal((await big.hub.rooms())?.length, 50);
  });

  test('--announce-max counts the users of each room, not of the server', async (t) => {
    const { core } = startCore(t, { announceMax: 2 });
    const a = await MemoryClient.registered(core, 'a');
    const b = await MemoryClient.registered(core, 'b');
    await a.lines.until(/b joined/);
    for (const c of [a, b]) {
      c.send('/join big');
      c.send('/part lobby');
      await c.lines.until(/you left lobby/);
    }
    assert.equal(await a.lines.until(/b joined/), '* b joined', 'big has two: announced');
    const watcher = await MemoryClient.registered(core, 'watcher');
    const c = await MemoryClient.registered(core, 'c');
    assert.equal(await watcher.next(), '* c joined', 'the lobby has two: announced');
    c.send('/join big');
    assert.equal(await c.next(), '* you are in big');
    c.send('/part lobby');
    assert.equal(await c.next(), '* you left lobby');
    assert.equal(await watcher.next(), '* c left', 'the lobby still hears its own');
    // big has three: its users hear nothing of c, now or when c leaves the chat.
    c.send('/quit');
    await c.closed;
    await a.expectNothing();
    await b.expectNothing();
  });

  test('a v2 script that only ever uses the lobby sees exactly the lines it saw before', async (t) => {
    const { core } = startCore(t);
    const v2 = await MemoryClient.registered(core, 'script');
    const other = await MemoryClient.registered(core, 'other');
    other.send('hello script');
    other.send('@script:psst');
    v2.send('hi other');
    v2.send('/who');
    v2.send('/rooms');
    v2.send('/who lobby');
    v2.send('/history 5');
    await v2.sync();
    other.send('/quit done');
    await other.closed;
    await v2.sync();
    const seen = v2.lines.seen.filter((l) => !/^\* pong /.test(l));
    assert.deepEqual(
      seen.slice(2).map((l) => l.replace(/^\* \[[^\]]+\]/, '* [TIME]')),
      [
        '* registered as script',
        '* other joined',
        '<other> hello script',
        '*other* psst',
        '* online (2): other, script',
        '* rooms (1): lobby (2)',
        '* in lobby (2): other, script',
        '* [TIME] <other> hello script',
        '* [TIME] <script> hi other',
        '* end of history (2 messages)',
        '* other left (done)',
      ],
    );
  });

  test('privacy under racing joins and parts: a room message reaches members only, never one who has left', async (t) => {
    const { core } = startCore(t, { rate: 0 });
    const speaker = await MemoryClient.registered(core, 'speaker');
    speaker.send('/join dev');
    await speaker.lines.until(/you are in dev/);
    const stayer = await MemoryClient.registered(core, 'stayer');
    stayer.send('/join dev');
    await stayer.lines.until(/you are in dev/);
    const outsider = await MemoryClient.registered(core, 'outsider');
    const racers = await Promise.all(Array.from({ length: 5 }, (_, i) => MemoryClient.registered(core, `racer${i}`)));
    const N = 300;
    // The speaker's lines and the racers' joins and parts interleave at random.
    const racing = racers.map(async (r, i) => {
      for (let k = 0; k < 40; k++) {
        r.write(k % 2 === 0 ? '/join dev\n' : '/part dev\n');
        if ((k + i) % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    });
    for (let i = 0; i < N; i++) {
      speaker.write(`secret ${i}\n`);
      if (i % 7 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(racing);
    await speaker.sync();
    for (const c of [stayer, outsider, ...racers]) await c.sync();
    const said = (l: string): boolean => /secret \d+$/.test(l);
    assert.equal(stayer.lines.seen.filter(said).length, N, 'a member throughout gets every one');
    assert.deepEqual(outsider.lines.seen.filter(said), [], 'never a member: nothing');
    heardOnlyWhileIn(racers, 'dev', said);
  });
});
