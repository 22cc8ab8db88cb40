import assert from 'node:assert/strict';
import { test } from 'node:test';
import { heardOnlyWhileIn } from '../helpers/rooms.js';
import { Redis } from 'ioredis';
import { cluster, fence, linesUntilSynced, type Server } from '../helpers/cluster.js';
import { WireClient } from '../helpers/wire-client.js';
import { ircUser } from '../helpers/irc-client.js';
import { usersFile } from '../helpers/users.js';
import { eventually } from '../hub/contract.js';
import { threeInTwoRooms } from '../e2e/rooms-scenario.js';
import { FIELD } from '../../src/hub/redis/cluster-message.js';

/** Polls /rooms on C until it answers ROOMS: another server's change shows within a second (the listing cache). */
async function roomsBecome(c: WireClient, rooms: string): Promise<void> {
  for (let i = 0; ; i++) {
    c.send('/rooms');
    const answer = await c.lines.until(/^\* rooms/);
    if (answer === rooms) return;
    assert.ok(i < 60, answer);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Rooms span the cluster: run by cluster.test.ts, inside its one suite that needs redis-server. */
export function clusterRoomTests(): void {
  test('two servers: a room operator on one, members on the other; a private room is no room to a non-member on either; /remove and /deop cross', async (t) => {
    const users = await usersFile(t, { alice: 'pw-a', bob: 'pw-b', carol: 'pw-c' });
    const { servers } = await cluster(t, 2, 1000, ['--users', users]);
    const [one, two] = servers as [Server, Server];
    const alice = await WireClient.loggedIn(t, one.port, 'alice', 'pw-a');
    const bob = await WireClient.loggedIn(t, two.port, 'bob', 'pw-b');
    const carol = await WireClient.loggedIn(t, two.port, 'carol', 'pw-c');
    alice.send('/join hr');
    assert.equal(await alice.lines.until(/^\* you are in/), '* you are in hr');
    alice.send('/private');
    alice.send('/topic Salaries');
    await alice.lines.until(/^\* alice set the topic: Salaries$/);
    carol.send('/join hr');
    assert.equal(await carol.lines.until(/^!/), '! hr is private: ask a member for an invitation', 'on the other server too');
    for (const line of ['/who hr', '/history hr']) {
      carol.send(line);
      assert.equal(await carol.lines.until(/^!/), '! no such room: hr (nobody is in it; /rooms lists the rooms)', line);
    }
    alice.send('/invite bob');
    assert.equal(await alice.lines.until(/invited/), '* bob is invited to hr');
    assert.equal(await bob.lines.until(/invites/), '* alice invites you to hr: /join hr', 'the invitation crosses');
    bob.send('/join hr');
    assert.equal(await bob.next(), '* you are in hr');
    assert.equal(await bob.next(), '* topic of hr: Salaries (set by alice)', "the topic, from the other server's change");
    await alice.lines.until(/^\* bob joined$/);
    carol.send('/rooms');
    assert.equal(await carol.lines.until(/^\* rooms/), '* rooms (1): lobby (3)');
    alice.send('/op bob');
    assert.equal(await bob.lines.until(/room operator/), '* alice made bob a room operator');
    bob.send('/topic From bob');
    assert.equal(await alice.lines.until(/From bob/), '* bob set the topic: From bob', 'an operator on the other server, as its copy says');
    // Racing /deop of each other from two servers: one of them stays an operator.
    alice.send('/deop bob');
    bob.send('/deop alice');
    const [a, b] = await Promise.all([alice.lines.until(/^\* alice took|^!/), bob.lines.until(/^\* bob took|^!/)]);
    assert.equal([a, b].filter((l) => l.startsWith('!')).length, 1, `one of them wins: ${a} / ${b}`);
    const winner = a.startsWith('!') ? bob : alice;
    const loser = winner === alice ? 'bob' : 'alice';
    winner.send(`/remove ${loser} enough`);
    const removed = winner === alice ? bob : alice;
    assert.equal(await removed.lines.until(/removed from/), `! removed from hr by ${winner === alice ? 'alice' : 'bob'}: enough`, 'across servers');
    assert.equal(await winner.lines.until(/left \(removed/), `* ${loser} left (removed by ${winner === alice ? 'alice' : 'bob'}: enough)`);
    removed.send('/mine');
    assert.equal(await removed.lines.until(/^\* your rooms/), '* your rooms (1): lobby');
    assert.ok(!carol.lines.seen.some((l) => /Salaries|From bob/.test(l)), carol.lines.seen.join('\n'));
    // Everyone leaves: alice's room is owned, its settings kept in Redis for every server.
    winner.send('/part hr');
    await winner.lines.until(/^\* you left hr$/);
    carol.send('/join hr');
    assert.equal(await carol.lines.until(/^!|^\* you are in hr/), '! hr is private: ask a member for an invitation', 'kept while empty, on the other server');
    alice.send('/join hr');
    assert.equal(await alice.lines.until(/^\* you are in hr/), '* you are in hr', 'its owner, as ever');
    assert.equal(await alice.next(), '* topic of hr: From bob (set by bob)');
  });

  test('two servers: three users in lobby and dev at once, lines tagged by room, part and rejoin, as on one server', async (t) => {
    const { servers } = await cluster(t, 2);
    await threeInTwoRooms(
      t,
      servers.map((s) => s.port),
    );
  });

  test('two servers: several rooms at once, lines tagged by room, /part, presence once per person, listings count both', async (t) => {
    const { servers } = await cluster(t, 2);
    const [one, two] = servers as [Server, Server];
    const alice = await WireClient.registered(t, one.port, 'alice');
    const carol = await WireClient.registered(t, one.port, 'carol');
    const bob = await WireClient.registered(t, two.port, 'bob');
    const dave = await WireClient.registered(t, two.port, 'dave');
    for (const c of [alice, carol, bob]) await c.lines.until(/^\* dave joined$/);
    await fence(carol, 'carol', bob, 'bob');
    await fence(carol, 'carol', dave, 'dave');

    alice.send('/join dev');
    assert.equal(await alice.next(), '* you are in dev');
    // Her "joined" is in the stream before bob joins: else bob, on the other server, hears it.
    await fence(alice, 'alice', bob, 'bob');
    bob.send('/join DEV');
    assert.equal(await bob.next(), '* you are in dev', 'created on the other server, shown as created');
    assert.equal(await alice.next(), '* bob joined');

    alice.send('one');
    alice.send('two');
    bob.send('from bob');
    assert.equal(await bob.next(), '<alice> one');
    assert.equal(await bob.next(), '<alice> two');
    assert.equal(await alice.next(), '<bob> from bob');
    carol.send('in the lobby');
    assert.equal(await alice.next(), '<carol#lobby> in the lobby');
    assert.equal(await bob.next(), '<carol#lobby> in the lobby');
    assert.equal(await dave.lines.until(/^<carol>/), '<carol> in the lobby');
    dave.send('@alice:a direct message crosses rooms and servers');
    assert.equal(await alice.next(), '*dave* a direct message crosses rooms and servers');

    for (const c of [carol, dave]) await roomsBecome(c, '* rooms (2): dev (2), lobby (4)');
    carol.send('/who dev');
    assert.equal(await carol.next(), '* in dev (2): @alice, bob');
    // Nothing of dev reached those only in the lobby, on either server.
    for (const c of [carol, dave]) {
      await linesUntilSynced(c);
      assert.deepEqual(
        c.lines.seen.filter((l) => /^<(alice|bob)[#>]/.test(l) || /#dev/.test(l)),
        [],
      );
    }

    bob.send('/part dev see you');
    assert.equal(await bob.next(), '* you left dev');
    assert.equal(await bob.next(), '* you are in lobby');
    assert.equal(await alice.next(), '* bob left (see you)');
    bob.send('/join dev');
    assert.equal(await bob.next(), '* you are in dev');
    assert.equal(await alice.next(), '* bob joined');
    // bob shares two rooms with alice, one with carol and dave: each hears once.
    bob.send('#bobby');
    assert.equal(await bob.next(), '* you are now bobby');
    bob.send('/quit bye');
    for (const c of [alice, carol, dave]) {
      assert.equal(await c.lines.until(/is now bobby/), '* bob is now bobby');
      assert.equal(await c.lines.until(/bobby left/), '* bobby left (bye)');
    }
    for (const c of [alice, carol, dave]) {
      const seen = [...c.lines.seen, ...(await linesUntilSynced(c))];
      assert.equal(seen.filter((l) => /bobby/.test(l)).length, 2, `${seen}`);
    }
    await roomsBecome(carol, '* rooms (2): dev (1), lobby (3)');
  });

  test('three servers: a server killed while its user is in rooms: those who shared one hear why once, the rest nothing', async (t) => {
    const { servers } = await cluster(t, 3);
    const [one, two, three] = servers as [Server, Server, Server];
    const alice = await WireClient.registered(t, one.port, 'alice');
    const bob = await WireClient.registered(t, two.port, 'bob');
    const carol = await WireClient.registered(t, three.port, 'carol');
    await alice.lines.until(/^\* carol joined$/);
    for (const c of [alice, bob]) {
      for (const room of ['ops', 'dev']) {
        c.send(`/join ${room}`);
        await c.lines.until(new RegExp(`^\\* you are in ${room}$`));
      }
    }
    bob.send('/part lobby');
    await bob.lines.until(/^\* you left lobby$/);
    // Everything bob's server said (his joins, his part) has reached alice's.
    await fence(bob, 'bob', alice, 'alice');
    await linesUntilSynced(alice);
    two.proc.kill('SIGKILL');
    assert.equal(await alice.lines.until(/^\* bob left/), '* bob left (server stopped answering)');
    alice.send('/who ops');
    assert.equal(await alice.lines.until(/^\* in ops/), '* in ops (1): @alice');
    await roomsBecome(carol, '* rooms (3): dev (1), lobby (2), ops (1)');
    const seen = [...alice.lines.seen, ...(await linesUntilSynced(alice))];
    assert.equal(
      seen.filter((l) => l.startsWith('* bob left') && l.includes('server stopped answering')).length,
      1,
      `once, though they shared two rooms: ${seen.join(' | ')}`,
    );
    assert.equal(
      carol.lines.seen.some((l) => /bob left.*server stopped answering/.test(l)),
      false,
      'carol shared no room with bob any more',
    );
  });

  test('three servers, racing joins and parts: a room message reaches its members only, never one who has left', async (t) => {
    const { servers } = await cluster(t, 3);
    const [one, two, three] = servers as [Server, Server, Server];
    const speaker = await WireClient.registered(t, one.port, 'speaker');
    const stayer = await WireClient.registered(t, two.port, 'stayer');
    const outsider = await WireClient.registered(t, three.port, 'outsider');
    for (const c of [speaker, stayer]) {
      c.send('/join dev');
      await c.lines.until(/^\* you are in dev$/);
    }
    // At once: what others say while one's registration waits for Redis comes after its answer.
    const racers = await Promise.all([one, two, three, two, three].map((s, i) => WireClient.registered(t, s.port, `racer${i}`)));
    const N = 200;
    racers.forEach((r, i) => {
      r.write(Array.from({ length: 30 + i }, (_, k) => (k % 2 === 0 ? '/join dev\n' : '/part dev\n')).join(''));
    });
    for (let i = 0; i < N; i += 20) speaker.write(Array.from({ length: 20 }, (_, k) => `secret ${i + k}\n`).join(''));
    await linesUntilSynced(speaker);
    // What the speaker said has reached every server once this line from it has.
    speaker.send('@stayer:fence');
    await stayer.lines.until(/^\*speaker\* fence$/);
    for (const c of [stayer, outsider, ...racers]) await linesUntilSynced(c);
    const said = (l: string): boolean => /secret \d+$/.test(l);
    assert.equal(stayer.lines.seen.filter(said).length, N, 'a member throughout gets every one, once');
    assert.deepEqual(outsider.lines.seen.filter(said), [], 'never a member: nothing');
    heardOnlyWhileIn(racers, 'dev', said);
  });

  test('connections that close while their registration and joins wait for Redis leave nothing in Redis, and nobody else hears of them after', async (t) => {
    const { redis, servers } = await cluster(t, 2);
    const [one, two] = servers as [Server, Server];
    const watcher = await WireClient.registered(t, two.port, 'watcher');
    // Each closes at once, at a different point of its registration and joins.
    await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const c = await WireClient.connect(t, one.port, `ghost${i}`);
        c.write(`#ghost${i}\n${Array.from({ length: i % 10 }, (_, k) => `/join g${k}\n`).join('')}`);
        if (i % 3 === 0) await c.lines.until(/registered as/);
        c.socket.destroy();
      }),
    );
    const raw = new Redis(redis.url);
    t.after(() => raw.disconnect());
    await eventually(async () => (await raw.keys('chat:in:ghost*')).length === 0);
    await eventually(async () => JSON.stringify((await raw.keys('chat:room:*')).sort()) === JSON.stringify(['chat:room:lobby']));
    await roomsBecome(watcher, '* rooms (1): lobby (1)');
    watcher.send('/who');
    assert.equal(await watcher.lines.until(/^\* online/), '* online (1): watcher');
    // The watcher heard only the lobby's comings and goings, nothing of the ghosts' own rooms.
    const seen = [...watcher.lines.seen, ...(await linesUntilSynced(watcher))];
    assert.deepEqual(
      seen.filter((l) => /ghost/.test(l) && !/^\* ghost\d+ (joined|left)$/.test(l)),
      [],
    );
  });

  test('Redis holds at most --max-rooms-per-user rooms for a user, and nothing of them once the user is gone', async (t) => {
    const { redis, servers } = await cluster(t, 2, 1000, ['--max-rooms-per-user', '5']);
    const [one, two] = servers as [Server, Server];
    const greedy = await WireClient.registered(t, one.port, 'greedy');
    const watcher = await WireClient.registered(t, two.port, 'watcher');
    greedy.write(Array.from({ length: 200 }, (_, i) => `/join r${i}\n`).join(''));
    greedy.send('/mine');
    assert.equal(await greedy.lines.until(/^\* your rooms/), '* your rooms (5): r3, r2, r1, r0, lobby');
    const raw = new Redis(redis.url);
    t.after(() => raw.disconnect());
    assert.equal(await raw.scard('chat:in:greedy'), 5);
    await roomsBecome(watcher, '* rooms (5): lobby (2), r0 (1), r1 (1), r2 (1), r3 (1)');
    greedy.send('/quit');
    await greedy.closed;
    await roomsBecome(watcher, '* rooms (1): lobby (1)');
    await eventually(async () => (await raw.exists('chat:in:greedy')) === 0);
    assert.deepEqual((await raw.keys('chat:room:*')).sort(), ['chat:room:lobby']);
    // A server that stops: its users' rooms go with them.
    const late = await WireClient.registered(t, one.port, 'late');
    late.send('/join gone-soon');
    await late.lines.until(/you are in gone-soon/);
    await roomsBecome(watcher, '* rooms (2): gone-soon (1), lobby (2)');
    one.proc.kill('SIGTERM');
    await roomsBecome(watcher, '* rooms (1): lobby (1)');
    await eventually(async () => (await raw.exists('chat:in:late')) === 0);
  });

  test('attacks from review: an IRC MODE with a C1 character in a ban mask is a change the other servers drop whole: the room made private stays visible there', async (t) => {
    const { servers } = await cluster(t, 2, 1000, ['--irc-port', '0', '--server-name', 'irc.test']);
    const [one, two] = servers as [Server, Server];
    const ircPort = Number(/^irc on .*:(\d+)$/.exec((await one.stdout.next()) ?? '')?.[1]);
    const bob = await WireClient.registered(t, two.port, 'bob');
    const carol = await WireClient.registered(t, two.port, 'carol');
    const alice = await ircUser(t, ircPort, 'alice');
    alice.send('JOIN #dev');
    await alice.expect(/ 366 /);
    bob.send('/join dev');
    assert.equal(await bob.lines.until(/^\* you are in/), '* you are in dev');
    await alice.expect(/JOIN #dev/);
    // The mask is refused (696): the rest of the change is made, and reaches the other server.
    alice.send('MODE #dev +ib x\u0085!*@*');
    await alice.expect(/MODE #dev \+i/);
    alice.send('PRIVMSG #dev :after the mode');
    const told = await bob.lines.until(/private|after the mode/);
    carol.send('/history dev');
    const history = await carol.lines.until(/^!/);
    assert.deepEqual(
      { told, history },
      { told: '* alice made the room private', history: '! no such room: dev (nobody is in it; /rooms lists the rooms)' },
      'the change reaches the other server, where the private room is no room to a non-member',
    );
  });

  test('attacks from review: a room change in the stream whose state has a null topic is dropped, and does not crash the server at the next /topic', async (t) => {
    const { redis, servers } = await cluster(t, 1, 1000);
    const [one] = servers as [Server];
    const bob = await WireClient.registered(t, one.port, 'bob');
    bob.send('/join dev');
    assert.equal(await bob.lines.until(/^\* you are in/), '* you are in dev');
    const raw = new Redis(redis.url);
    t.after(() => raw.disconnect());
    // Another program's entry (cluster-message.ts: "anything else in the stream is ignored ... and never throws").
    const body = `s mallory ${JSON.stringify({ changes: [], state: { v: 99, ops: [], topic: null } })}`;
    await raw.xadd('chat:stream', '*', FIELD, `other-1-aa 1\n* dev ${Buffer.byteLength(body)}\n${body}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    bob.send('/topic');
    assert.equal(await bob.lines.until(/topic/), '* dev has no topic');
    assert.equal(one.proc.exitCode, null, one.stderr.seen.join('\n'));
  });
}
