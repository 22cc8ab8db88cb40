import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startServer } from '../helpers/server.js';
import { usersFile } from '../helpers/users.js';
import { WireClient } from '../helpers/wire-client.js';

const ELSEWHERE = '! logged in elsewhere: closing the connection';

const PASSWORDS = { alice: 'wonderland', bob: 'builder', carol: 'singer' };

describe('taking your own name back (accounts, --max-devices 1)', () => {
  test('the right password takes the name from an older login: it is told and closed, the others see it leave, then the new one join', async (t) => {
    const users = await usersFile(t, PASSWORDS);
    const { port } = await startServer(t, { users, authFailureDelayMs: 1, maxDevices: 1 });
    const old = await WireClient.loggedIn(t, port, 'Alice', 'wonderland');
    const bob = await WireClient.loggedIn(t, port, 'bob', 'builder');
    await old.lines.until(/^\* bob joined$/);

    const newer = await WireClient.loggedIn(t, port, 'alice', 'wonderland');
    assert.equal(await old.next(), ELSEWHERE);
    assert.equal(await old.next(), undefined, 'the old connection is closed');
    // The old login's name as it had it, then the new one's.
    assert.deepEqual([await bob.next(), await bob.next()], ['* Alice left (logged in elsewhere)', '* alice joined']);
    await newer.expectNothing();

    bob.send('@alice:is it you?');
    assert.equal(await newer.next(), '*bob* is it you?');
    bob.send('/who');
    assert.equal(await bob.next(), '* online (2): alice, bob');
  });

  test('a wrong password takes nothing: the holder stays, nobody is told anything', async (t) => {
    const users = await usersFile(t, PASSWORDS);
    const { port } = await startServer(t, { users, authFailureDelayMs: 1, maxDevices: 1 });
    const alice = await WireClient.loggedIn(t, port, 'alice', 'wonderland');
    const bob = await WireClient.loggedIn(t, port, 'bob', 'builder');
    await alice.lines.until(/^\* bob joined$/);
    const { c: mallory, reply } = await WireClient.login(t, port, '#alice builder');
    assert.equal(reply, '! authentication failed');
    mallory.send('#ALICE');
    assert.equal(await mallory.next(), '! password required: this server checks passwords, send #NAME PASSWORD');
    await alice.expectNothing();
    await bob.expectNothing();
    bob.send('@alice:still you');
    assert.equal(await alice.next(), '*bob* still you');
  });

  test("renaming into a logged-in name needs that account's password, and then takes the name", async (t) => {
    const users = await usersFile(t, PASSWORDS);
    const { port } = await startServer(t, { users, authFailureDelayMs: 1, maxDevices: 1 });
    const alice = await WireClient.loggedIn(t, port, 'alice', 'wonderland');
    const carol = await WireClient.loggedIn(t, port, 'carol', 'singer');
    const bob = await WireClient.loggedIn(t, port, 'bob', 'builder');
    for (const c of [alice, carol]) await c.lines.until(/^\* bob joined$/);
    bob.send('#alice builder');
    assert.equal(await bob.next(), '! authentication failed', "bob's password is not alice's");
    bob.send('#alice');
    assert.equal(await bob.next(), '! password required: this server checks passwords, send #NAME PASSWORD');
    await alice.expectNothing();

    bob.send('#alice wonderland');
    assert.equal(await bob.next(), '* you are now alice');
    assert.equal(await alice.lines.until(/^!/), ELSEWHERE);
    assert.deepEqual([await carol.next(), await carol.next()], ['* alice left (logged in elsewhere)', '* bob is now alice']);
    // bob's own name is free again, for bob's account.
    const newBob = await WireClient.loggedIn(t, port, 'bob', 'builder');
    carol.send('@alice:hi');
    assert.equal(await bob.lines.until(/^\*carol\*/), '*carol* hi');
    await newBob.expectNothing();
  });

  test('a login each taking the name from the one before, ten times: one alice in the end, each pair announced', async (t) => {
    const users = await usersFile(t, PASSWORDS);
    const { port } = await startServer(t, { users, authFailureDelayMs: 1, maxDevices: 1 });
    const bob = await WireClient.loggedIn(t, port, 'bob', 'builder');
    let previous = await WireClient.loggedIn(t, port, 'alice', 'wonderland');
    assert.equal(await bob.next(), '* alice joined');
    for (let i = 0; i < 10; i++) {
      const next = await WireClient.loggedIn(t, port, 'alice', 'wonderland');
      assert.deepEqual(await previous.lines.rest(), [ELSEWHERE]);
      assert.deepEqual([await bob.next(), await bob.next()], ['* alice left (logged in elsewhere)', '* alice joined']);
      previous = next;
    }
    bob.send('/who');
    assert.equal(await bob.next(), '* online (2): alice, bob');
  });

  test('the old login quits at the same moment: one "left", one "joined", whichever came first', async (t) => {
    const users = await usersFile(t, PASSWORDS);
    const { port } = await startServer(t, { users, authFailureDelayMs: 1, maxDevices: 1 });
    const bob = await WireClient.loggedIn(t, port, 'bob', 'builder');
    const old = await WireClient.loggedIn(t, port, 'alice', 'wonderland');
    assert.equal(await bob.next(), '* alice joined');
    const newer = await WireClient.connect(t, port);
    await newer.lines.until(/^\* welcome/);
    old.send('/quit bye');
    newer.send('#alice wonderland');
    assert.equal(await newer.next(), '* registered as alice');
    const left = await bob.next();
    assert.ok(left === '* alice left (bye)' || left === '* alice left (logged in elsewhere)', left);
    assert.equal(await bob.next(), '* alice joined');
    await bob.expectNothing();
    await old.closed;
  });

  test('without accounts a name belongs to nobody: a second #alice, with or without a password, is refused', async (t) => {
    const { port } = await startServer(t);
    const alice = await WireClient.registered(t, port, 'alice');
    for (const line of ['#alice', '#alice wonderland']) {
      const { reply } = await WireClient.login(t, port, line);
      assert.equal(reply, '! name taken: alice');
    }
    await alice.expectNothing();
  });
});
