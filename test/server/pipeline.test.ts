import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Delivery, Hub } from '../../src/hub/hub.js';
import { MemoryHub } from '../../src/hub/memory-hub.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { HistoryEntry, Keep, Store } from '../../src/store/store.js';
import { MemoryClient, startCore } from '../helpers/memory-client.js';
import { usersFile } from '../helpers/users.js';
import { waitFor } from '../helpers/wait.js';

// Over in-memory connections: the order of answers is the core's, whatever carries the lines.

/** A hub whose direct messages wait for the test to answer them, as the cluster's would. */
function slowHub(): { hub: Hub; asked: { to: string; answer: (d: Delivery) => void }[] } {
  const asked: { to: string; answer: (d: Delivery) => void }[] = [];
  const hub: Hub = new MemoryHub();
  hub.direct = (to) => new Promise((resolve) => asked.push({ to, answer: resolve }));
  return { hub, asked };
}

test('messages do not wait for each other’s round trips; the answers still come in the order of the lines', async (t) => {
  const { hub, asked } = slowHub();
  const { core } = startCore(t, { hub, rate: 0 });
  const alice = await MemoryClient.registered(core, 'alice');
  alice.send('@one:first');
  alice.send('@two:second');
  alice.send('@three:third');
  alice.send('@:no name');
  alice.send('/ping after');
  // All three are under way before any is answered: no round trip per line.
  await waitFor(() => asked.length === 3, 'three deliveries asked for at once');
  assert.deepEqual(
    asked.map((a) => a.to),
    ['one', 'two', 'three'],
  );
  // Answered last to first: the replies still come first to last, then the rest.
  asked[2]!.answer('no such user');
  asked[1]!.answer('unavailable');
  assert.equal(alice.lines.queued, 0);
  asked[0]!.answer('no such user');
  assert.equal(await alice.next(), '! no such user: one');
  assert.equal(await alice.next(), '! not delivered: cluster unavailable');
  assert.equal(await alice.next(), '! no such user: three');
  assert.equal(await alice.next(), '! a direct message looks like @NAME:TEXT');
  assert.equal(await alice.next(), '* pong after');
});

test('a line that is not a message waits for the answers before it: /join then a room message', async (t) => {
  const { hub, asked } = slowHub();
  const { core } = startCore(t, { hub, rate: 0 });
  const alice = await MemoryClient.registered(core, 'alice');
  const bob = await MemoryClient.registered(core, 'bob');
  await alice.lines.until(/^\* bob joined$/);
  bob.send('/join dev');
  assert.equal(await bob.next(), '* you are in dev');
  alice.send('@carol:pending');
  alice.send('/join dev');
  alice.send('said in dev');
  await waitFor(() => asked.length === 1, 'the direct message asked for');
  asked[0]!.answer('delivered');
  assert.equal(await alice.next(), '* you are in dev');
  // Said once alice was in dev: had it run before the /join, it would have gone to the lobby.
  assert.equal(await bob.next(), '* alice joined');
  assert.equal(await bob.next(), '<alice> said in dev');
  await bob.expectNothing();
});

test('a flood of messages over a slow cluster: at most 64 wait for answers, the rest wait their turn, nothing lost or reordered', async (t) => {
  const { hub, asked } = slowHub();
  const { core } = startCore(t, { hub, rate: 0 });
  const alice = await MemoryClient.registered(core, 'alice');
  alice.write(Array.from({ length: 130 }, (_, i) => `@nobody${i}:x\n`).join(''));
  const session = [...core.sessions].find((s) => s.name === 'alice')!;
  for (const upTo of [64, 128, 130]) {
    await waitFor(() => asked.length === upTo, `${upTo} deliveries asked for`);
    // The next line waits for the answers ahead of it: no more are under way.
    if (upTo < 130) await waitFor(() => session.answering, 'the session to wait');
    assert.equal(asked.length, upTo);
    for (const a of asked.slice(upTo === 64 ? 0 : upTo === 128 ? 64 : 128)) a.answer('no such user');
  }
  for (let i = 0; i < 130; i++) assert.equal(await alice.next(), `! no such user: nobody${i}`);
  await alice.expectNothing();
});

test('an answer that itself waits (a message kept for an account offline) keeps its place ahead of later answers', async (t) => {
  const { hub, asked } = slowHub();
  // A store whose keep() answers when the test says, as Redis's would.
  const store: Store = new MemoryStore();
  const keeps: (() => void)[] = [];
  const keep = store.keep.bind(store);
  store.keep = (to: string, entry: HistoryEntry) => new Promise<Keep>((resolve) => keeps.push(() => resolve(keep(to, entry))));
  const users = await usersFile(t, { alice: 'pw-a', carol: 'pw-c' });
  const { core } = startCore(t, { hub, store, users, rate: 0, authFailureDelayMs: 10 });
  const alice = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
  alice.send('@carol:for later');
  alice.send('@nobody:hi');
  await waitFor(() => asked.length === 2, 'both deliveries asked for');
  // carol is an account and offline: the message is being kept when nobody's answer is ready.
  asked[0]!.answer('no such user');
  await waitFor(() => keeps.length === 1, 'the message handed to the store');
  asked[1]!.answer('no such user');
  assert.equal(alice.lines.queued, 0);
  keeps[0]!();
  assert.equal(await alice.next(), '* carol is offline: the message will be delivered at their next login');
  assert.equal(await alice.next(), '! no such user: nobody');
});
