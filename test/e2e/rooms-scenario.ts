import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { fence } from '../helpers/cluster.js';
import { WireClient } from '../helpers/wire-client.js';

/**
 * The "done when", as raw TCP (what `nc` sends and sees): three users sit in lobby
 * and dev at once, see each room's lines tagged as docs/protocol.md says, part and rejoin.
 * PORTS: one server, or several of one chat (users alternate between them), for the same
 * transcript either way. Run by test/e2e/rooms.test.ts and test/cluster/rooms-tests.ts.
 */
export async function threeInTwoRooms(t: TestContext, ports: readonly number[]): Promise<void> {
  const port = (i: number): number => ports[i % ports.length]!;
  const alice = await WireClient.registered(t, port(0), 'alice');
  const bob = await WireClient.registered(t, port(1), 'bob');
  const carol = await WireClient.registered(t, port(2), 'carol');
  assert.equal(await alice.lines.until(/carol joined/), '* carol joined');
  assert.equal(await bob.lines.until(/carol joined/), '* carol joined');
  // Each has read what the others' servers said before (on several servers, the stream).
  await fence(carol, 'carol', bob, 'bob');
  await fence(bob, 'bob', alice, 'alice');
  await fence(bob, 'bob', carol, 'carol');

  alice.send('/join dev');
  assert.equal(await alice.next(), '* you are in dev');
  // Her "joined" is in the stream before bob joins: else, from another server, bob would hear it.
  await fence(alice, 'alice', bob, 'bob');
  bob.send('/join dev');
  assert.equal(await bob.next(), '* you are in dev');
  assert.equal(await alice.next(), '* bob joined');
  await fence(bob, 'bob', carol, 'carol');
  carol.send('/join dev');
  assert.equal(await carol.next(), '* you are in dev');
  for (const c of [alice, bob]) assert.equal(await c.next(), '* carol joined');
  // bob makes the lobby current again: dev's lines now reach him tagged, and the lobby's plain.
  bob.send('/join lobby');
  assert.equal(await bob.next(), '* you are in lobby');
  alice.send('the build is green');
  assert.equal(await carol.next(), '<alice> the build is green');
  assert.equal(await bob.next(), '<alice#dev> the build is green');
  bob.send('lunch?');
  assert.equal(await alice.next(), '<bob#lobby> lunch?');
  assert.equal(await carol.next(), '<bob#lobby> lunch?');
  carol.send('/mine');
  assert.equal(await carol.next(), '* your rooms (2): dev, lobby');

  carol.send('/part dev back soon');
  assert.equal(await carol.next(), '* you left dev');
  assert.equal(await carol.next(), '* you are in lobby');
  assert.equal(await alice.next(), '* carol left (back soon)');
  assert.equal(await bob.next(), '* carol left #dev (back soon)');
  alice.send('carol cannot read this');
  assert.equal(await bob.next(), '<alice#dev> carol cannot read this');
  carol.send('/join dev');
  assert.equal(await carol.next(), '* you are in dev');
  assert.equal(await alice.next(), '* carol joined');
  assert.equal(await bob.next(), '* carol joined #dev');
  // A direct message reaches its addressee in any room, and nobody else.
  alice.send('@bob:only for you');
  assert.equal(await bob.next(), '*alice* only for you');
  carol.send('/quit');
  for (const c of [alice, bob]) assert.equal(await c.next(), '* carol left', 'once, though they shared two rooms');
  for (const c of [alice, bob]) await c.expectNothing();
  assert.equal(
    [...alice.lines.seen, ...bob.lines.seen].some((l) => l.includes('carol cannot read this') && !l.startsWith('<alice#dev>')),
    false,
  );
}
