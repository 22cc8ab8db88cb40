import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cluster, linesUntilSynced, type Server } from '../helpers/cluster.js';
import { WireClient } from '../helpers/wire-client.js';

/** Rooms span the cluster: run by cluster.test.ts, inside its one suite that needs redis-server. */
export function clusterRoomTests(): void {
  test('two servers: a room message reaches the room on both once, presence is per room, listings count both', async (t) => {
    const { servers } = await cluster(t, 2);
    const [one, two] = servers as [Server, Server];
    const alice = await WireClient.registered(t, one.port, 'alice');
    const carol = await WireClient.registered(t, one.port, 'carol');
    const bob = await WireClient.registered(t, two.port, 'bob');
    const dave = await WireClient.registered(t, two.port, 'dave');
    await alice.lines.until(/^\* dave joined$/);
    await carol.lines.until(/^\* dave joined$/);
    await bob.lines.until(/^\* dave joined$/);

    alice.send('/join dev');
    assert.equal(await alice.next(), '* you are in dev');
    for (const c of [carol, bob, dave]) assert.equal(await c.lines.until(/alice left/), '* alice left (went to dev)');
    bob.send('/join DEV');
    assert.equal(await bob.next(), '* you are in dev', 'created on the other server, shown as created');
    assert.equal(await alice.next(), '* bob joined');
    for (const c of [carol, dave]) assert.equal(await c.lines.until(/bob left/), '* bob left (went to dev)');

    alice.send('one');
    alice.send('two');
    bob.send('from bob');
    assert.equal(await bob.lines.until(/^<alice> two$/), '<alice> two');
    assert.equal(await alice.lines.until(/^<bob>/), '<bob> from bob');
    assert.equal(bob.lines.seen.filter((l) => l === '<alice> one').length, 1, 'once');
    dave.send('@alice:a direct message crosses rooms and servers');
    assert.equal(await alice.lines.until(/^\*dave\*/), '*dave* a direct message crosses rooms and servers');

    for (const c of [carol, dave]) c.send('/rooms');
    for (const c of [carol, dave]) assert.equal(await c.lines.until(/^\* rooms/), '* rooms (2): dev (2), lobby (2)');
    carol.send('/who dev');
    assert.equal(await carol.next(), '* in dev (2): alice, bob');
    dave.send('/who');
    assert.equal(await dave.next(), '* online (4): alice, bob, carol, dave');
    // Nothing of dev reached the lobby, on either server.
    for (const c of [carol, dave]) {
      assert.deepEqual(
        (await linesUntilSynced(c)).filter((l) => /^<alice>|^<bob>/.test(l)),
        [],
      );
      assert.equal(
        c.lines.seen.some((l) => /^<(alice|bob)>/.test(l)),
        false,
      );
    }

    // A rename in dev is told in dev only; the room is gone once both leave it.
    bob.send('#bobby');
    assert.equal(await alice.lines.until(/is now/), '* bob is now bobby');
    alice.send('/join lobby');
    assert.equal(await bob.lines.until(/alice left/), '* alice left (went to lobby)');
    bob.socket.destroy();
    await carol.lines.until(/^\* alice joined$/);
    // Another server's change shows in a listing within a second (the listing cache).
    for (let i = 0; ; i++) {
      carol.send('/rooms');
      const rooms = await carol.lines.until(/^\* rooms/);
      if (rooms === '* rooms (1): lobby (3)') break;
      assert.ok(i < 60, rooms);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(
      carol.lines.seen.some((l) => /is now bobby/.test(l)),
      false,
    );
  });

  test('three servers: a server killed while its user is in a room: that room hears why, the rest nothing', async (t) => {
    const { servers } = await cluster(t, 3);
    const [one, two, three] = servers as [Server, Server, Server];
    const alice = await WireClient.registered(t, one.port, 'alice');
    const bob = await WireClient.registered(t, two.port, 'bob');
    const carol = await WireClient.registered(t, three.port, 'carol');
    await alice.lines.until(/^\* carol joined$/);
    for (const c of [alice, bob]) {
      c.send('/join ops');
      await c.lines.until(/^\* you are in ops$/);
    }
    await alice.lines.until(/^\* bob joined$/);
    two.proc.kill('SIGKILL');
    assert.equal(await alice.lines.until(/^\* bob left/), '* bob left (server stopped answering)');
    alice.send('/who ops');
    assert.equal(await alice.lines.until(/^\* in ops/), '* in ops (1): alice');
    carol.send('/rooms');
    assert.equal(await carol.lines.until(/^\* rooms/), '* rooms (2): lobby (1), ops (1)');
    assert.equal(
      carol.lines.seen.some((l) => /bob left \(server/.test(l)),
      false,
      'the lobby never saw bob in ops',
    );
  });
}
