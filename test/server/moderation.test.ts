import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import type { Hub } from '../../src/hub/hub.js';
import { MemoryHub } from '../../src/hub/memory-hub.js';
import type { ServerEvent } from '../../src/server/events.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { Store } from '../../src/store/store.js';
import { waitFor } from '../helpers/wait.js';
import { FakeClock, nextAdvancing, stamp, T0 } from '../helpers/fake-clock.js';
import { MemoryClient, startCore } from '../helpers/memory-client.js';
import { usersFile } from '../helpers/users.js';

/**
 * A chat with accounts: op is an operator; alice, bob and carol are not. Over in-memory
 * connections: moderation is the core's, whatever carries the lines.
 */
async function moderated(t: TestContext) {
  const users = await usersFile(t, { op: 'pw-op', alice: 'pw-a', bob: 'pw-b', carol: 'pw-c' }, ['op']);
  const clock = new FakeClock();
  clock.advance(T0);
  const events: ServerEvent[] = [];
  const { core } = startCore(t, { users, timers: clock, authFailureDelayMs: 10, rate: 0, onEvent: (e) => events.push(e) });
  const op = await MemoryClient.loggedIn(core, 'op', 'pw-op');
  const bob = await MemoryClient.loggedIn(core, 'bob', 'pw-b');
  await op.lines.until(/^\* bob joined$/);
  return { core, clock, events, op, bob };
}

const moderation = (events: ServerEvent[]) => events.filter((e) => e.type === 'moderation');

describe('moderation', () => {
  test('everyone but an operator is refused /kick, /ban, /unban and /bans; nobody is removed', async (t) => {
    const { core, bob, op } = await moderated(t);
    const alice = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    for (const word of ['kick', 'ban', 'unban', 'bans']) {
      alice.send(`/${word} bob`);
      assert.equal(await alice.next(), `! only operators may use /${word}`);
    }
    await bob.lines.until(/^\* alice joined$/);
    await bob.expectNothing();
    await op.sync();
    const stranger = MemoryClient.connect(core);
    await stranger.lines.until(/^\* welcome/);
    stranger.send('/kick bob');
    assert.equal(await stranger.next(), '! register first with #yourname');
  });

  test('/kick: the user is told why and disconnected, the room sees it, the operator is answered, the log says who', async (t) => {
    const { core, op, bob, events } = await moderated(t);
    const carol = await MemoryClient.loggedIn(core, 'carol', 'pw-c');
    await op.lines.until(/^\* carol joined$/);
    await bob.lines.until(/^\* carol joined$/);
    op.send('/kick BOB spamming the room');
    assert.equal(await bob.next(), '! kicked by op: spamming the room');
    await bob.closed;
    assert.equal(await op.next(), '* bob left (kicked by op: spamming the room)');
    assert.equal(await op.next(), '* BOB was kicked');
    assert.equal(await carol.lines.until(/^\* bob left/), '* bob left (kicked by op: spamming the room)');
    assert.deepEqual(moderation(events), [{ type: 'moderation', action: 'kick', by: 'op', name: 'BOB', reason: 'spamming the room' }]);
    // A kick is not a ban.
    await MemoryClient.loggedIn(core, 'bob', 'pw-b');
    op.send('/kick bob');
    await op.lines.until(/^\* bob was kicked$/);
  });

  test('/kick refuses what it cannot do, in sentences', async (t) => {
    const { op, bob } = await moderated(t);
    op.send('/kick');
    assert.equal(await op.next(), '! whom? write /kick NAME [REASON]');
    op.send('/kick nobody');
    assert.equal(await op.next(), '! no such user: nobody');
    op.send('/kick OP');
    assert.equal(await op.next(), '! you cannot /kick yourself');
    op.send('/kick bad!name');
    assert.equal(await op.next(), '! no such user: bad!name');
    await bob.expectNothing();
  });

  test('/ban MINUTES: disconnected, refused at login until it runs out, listed by /bans', async (t) => {
    const { core, op, bob, clock, events } = await moderated(t);
    op.send('/ban bob 30 flooding');
    assert.equal(await bob.next(), '! banned by op: flooding');
    await bob.closed;
    assert.equal(await op.next(), '* bob left (banned by op: flooding)');
    assert.equal(await op.next(), `* bob is banned until ${stamp(T0 + 30 * 60_000)}`);
    const refused = await MemoryClient.login(core, '#bob pw-b');
    assert.equal(refused.reply, `! banned until ${stamp(T0 + 30 * 60_000)}: flooding`);
    // The password is checked first: nobody learns of a ban without it.
    const guess = MemoryClient.connect(core);
    await guess.lines.until(/^\* welcome/);
    guess.send('#bob wrong');
    assert.equal(await nextAdvancing(guess, clock, 10), '! authentication failed');
    op.send('/bans');
    assert.equal(await op.next(), `* bans (1): bob until ${stamp(T0 + 30 * 60_000)} (flooding)`);
    clock.advance(30 * 60_000);
    await MemoryClient.loggedIn(core, 'bob', 'pw-b');
    op.send('/bans');
    assert.equal(await op.lines.until(/^\* bans/), '* bans (0): nobody is banned');
    assert.deepEqual(moderation(events), [{ type: 'moderation', action: 'ban', by: 'op', name: 'bob', reason: 'flooding', until: T0 + 30 * 60_000 }]);
  });

  test('/ban without MINUTES lasts until /unban; an account offline can be banned', async (t) => {
    const { core, op, bob, events } = await moderated(t);
    op.send('/ban carol');
    assert.equal(await op.next(), '* carol is banned until /unban carol');
    op.send('/ban bob flooded 12 rooms');
    assert.equal(await bob.next(), '! banned by op: flooded 12 rooms');
    assert.equal((await MemoryClient.login(core, '#carol pw-c')).reply, '! banned');
    assert.equal((await MemoryClient.login(core, '#bob pw-b')).reply, '! banned: flooded 12 rooms');
    await op.lines.until(/^\* bob is banned/);
    op.send('/bans');
    assert.equal(await op.next(), '* bans (2): bob until lifted (flooded 12 rooms), carol until lifted');
    op.send('/unban Carol');
    assert.equal(await op.next(), '* Carol may log in again');
    op.send('/unban carol');
    assert.equal(await op.next(), '! carol is not banned: /bans lists the bans');
    await MemoryClient.loggedIn(core, 'carol', 'pw-c');
    assert.deepEqual(
      moderation(events).map((e) => e.type === 'moderation' && `${e.action} ${e.name}`),
      ['ban carol', 'ban bob', 'unban Carol'],
    );
  });

  test('/ban refuses what it cannot do', async (t) => {
    const { op } = await moderated(t);
    op.send('/ban');
    assert.equal(await op.next(), '! whom? write /ban NAME [MINUTES] [REASON]');
    op.send('/ban\tnobody 5');
    assert.equal(await op.next(), '! no such account: nobody');
    op.send('/ban op');
    assert.equal(await op.next(), '! you cannot /ban yourself');
    for (const bad of ['0', '99999999999', '-5', '1.5', '5m', '+3x']) {
      op.send(`/ban bob ${bad}`);
      assert.equal(await op.next(), '! MINUTES must be a whole number from 1 to 52560000: /ban NAME [MINUTES] [REASON]');
    }
    op.send('/unban');
    assert.equal(await op.next(), '! whom? write /unban NAME');
  });

  test('/help shows operators their commands, and nobody else', async (t) => {
    const { op, bob } = await moderated(t);
    op.send('/help');
    const opHelp = await op.lines.until(/^\*\s+\/ban NAME/);
    assert.match(opHelp, /refuse the account/);
    bob.send('/help');
    await bob.lines.until(/^\*\s+\/quit/);
    await bob.expectNothing();
  });
});

describe('moderation when things go wrong', () => {
  test('a ban written while the login claims its name is still seen: the login is refused, the name given back', async (t) => {
    const users = await usersFile(t, { op: 'pw-op', bob: 'pw-b' }, ['op']);
    const hub: Hub = new MemoryHub();
    const claim = hub.claim.bind(hub);
    let release: (() => void) | undefined;
    // Claims wait for the test (as a slow cluster would) once the operator is in.
    hub.claim = (name, member, takeOver) =>
      name !== 'bob' ? claim(name, member, takeOver) : new Promise((resolve) => (release = () => resolve(claim(name, member, takeOver))));
    const { core } = startCore(t, { users, hub, authFailureDelayMs: 10, rate: 0 });
    const op = await MemoryClient.loggedIn(core, 'op', 'pw-op');
    const bob = MemoryClient.connect(core);
    await bob.lines.until(/^\* welcome/);
    bob.send('#bob pw-b');
    await waitFor(() => release !== undefined, "bob's claim under way");
    op.send('/ban bob 5 raced');
    assert.match(await op.lines.until(/^\* bob is banned/), /until/);
    release!();
    assert.match((await bob.next()) ?? '', /^! banned until .*: raced$/);
    await bob.expectNothing();
    op.send('/who');
    assert.equal(await op.next(), '* online (1): op');
  });

  test('a store that cannot write or read bans: the operator is told and stays; a login is refused, not let in', async (t) => {
    const users = await usersFile(t, { op: 'pw-op', bob: 'pw-b' }, ['op']);
    const store = new MemoryStore();
    const broken = (): never => {
      throw new Error('disk on fire');
    };
    store.ban = broken;
    store.unban = broken;
    const { core } = startCore(t, { users, store, authFailureDelayMs: 10, rate: 0 });
    const op = await MemoryClient.loggedIn(core, 'op', 'pw-op');
    op.send('/ban bob');
    assert.equal(await op.next(), '! cannot do that now: the list of bans cannot be changed, try again in a moment');
    op.send('/unban bob');
    assert.equal(await op.next(), '! cannot do that now: the list of bans cannot be changed, try again in a moment');
    await op.expectNothing();
    store.banOf = broken;
    const refused = await MemoryClient.login(core, '#bob pw-b');
    assert.equal(refused.reply, '! cannot log in now: the list of bans cannot be read, try again in a moment');
  });

  test('a login whose second look at the bans fails after the server closed its connection gives its name back all the same', async (t) => {
    const users = await usersFile(t, { bob: 'pw-b' });
    const store = new MemoryStore();
    const { core } = startCore(t, { users, store, rate: 0, authFailureDelayMs: 5 });
    const banOf = store.banOf.bind(store);
    let calls = 0;
    let fail: (err: Error) => void = () => {};
    const asked = new Promise<void>((claimed) => {
      (store as Store).banOf = (name, now) => {
        // The first look, before the claim, passes; the second, once the name is won, waits.
        if (++calls !== 2) return banOf(name, now);
        claimed();
        return new Promise((_, reject) => (fail = reject));
      };
    });
    const gone = MemoryClient.connect(core, 'gone');
    gone.send('#bob pw-b');
    await asked;
    // Closed by the server meanwhile (an operator's kick, a shutdown): its answer is never applied.
    gone.session?.close('quit');
    fail(new Error('disk on fire'));
    await waitFor(() => core.hub.devices('bob').length === 0, 'the closed login to hold no part of the name');
  });
});
