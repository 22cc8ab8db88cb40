import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cluster, linesUntilSynced, type Server } from '../helpers/cluster.js';
import { usersFile } from '../helpers/users.js';
import { WireClient } from '../helpers/wire-client.js';

const ELSEWHERE = '! logged in elsewhere: closing the connection';

/** Taking your own name back when the older login is on another server. Run by cluster.test.ts. */
export function regainTests(): void {
  test('accounts on two servers: the right password on one takes the name from a login on the other, and back', async (t) => {
    const users = await usersFile(t, { alice: 'wonderland', bob: 'builder', carol: 'singer' });
    const { servers } = await cluster(t, 2, 1000, ['--users', users, '--max-devices', '1']);
    const [one, two] = servers as [Server, Server];
    const bob = await WireClient.loggedIn(t, two.port, 'bob', 'builder');
    const first = await WireClient.loggedIn(t, one.port, 'Alice', 'wonderland');
    const carol = await WireClient.loggedIn(t, one.port, 'carol', 'singer');
    await bob.lines.until(/^\* carol joined$/);
    await first.lines.until(/^\* carol joined$/);

    // A wrong password takes nothing, on any server.
    const { reply } = await WireClient.login(t, two.port, '#alice builder');
    assert.equal(reply, '! authentication failed');
    bob.send('@alice:still the first?');
    assert.equal(await first.next(), '*bob* still the first?');

    const second = await WireClient.loggedIn(t, two.port, 'alice', 'wonderland');
    assert.equal(await first.next(), ELSEWHERE);
    assert.equal(await first.next(), undefined, 'closed');
    // Everyone, on both servers, sees the old login leave before the new one joins.
    for (const c of [bob, carol]) {
      assert.deepEqual([await c.next(), await c.next()], ['* Alice left (logged in elsewhere)', '* alice joined']);
    }
    carol.send('@ALICE:the second one?');
    assert.equal(await second.next(), '*carol* the second one?');
    assert.match(await one.stderr.until(/ leave /), /leave .* Alice .*logged in elsewhere/);

    // And back, from the first server: the second login is on the other side now.
    const third = await WireClient.loggedIn(t, one.port, 'alice', 'wonderland');
    assert.deepEqual(await second.lines.rest(), [ELSEWHERE]);
    for (const c of [bob, carol]) {
      assert.deepEqual([await c.next(), await c.next()], ['* alice left (logged in elsewhere)', '* alice joined']);
    }
    bob.send('@alice:the third one?');
    assert.equal(await third.next(), '*bob* the third one?');
    bob.send('/who');
    assert.equal(await bob.next(), '* online (3): alice, bob, carol');
    // Nothing more: each change was announced once, by the server of the newer login.
    for (const c of [bob, carol, third]) assert.deepEqual(await linesUntilSynced(c), []);
  });

  test("the older login's server frozen (SIGSTOP) while its name is taken back: it learns of it as it wakes", async (t) => {
    const users = await usersFile(t, { alice: 'wonderland', bob: 'builder', carol: 'singer' });
    // A lease far longer than the freeze: the frozen server is not counted as dead.
    const { servers } = await cluster(t, 2, 5000, ['--users', users, '--max-devices', '1']);
    const [one, two] = servers as [Server, Server];
    const bob = await WireClient.loggedIn(t, two.port, 'bob', 'builder');
    const first = await WireClient.loggedIn(t, one.port, 'alice', 'wonderland');
    const carol = await WireClient.loggedIn(t, one.port, 'carol', 'singer');
    await bob.lines.until(/^\* carol joined$/);
    await first.lines.until(/^\* carol joined$/);

    one.proc.kill('SIGSTOP');
    t.after(() => one.proc.kill('SIGCONT'));
    const second = await WireClient.loggedIn(t, two.port, 'alice', 'wonderland');
    assert.deepEqual([await bob.next(), await bob.next()], ['* alice left (logged in elsewhere)', '* alice joined']);
    one.proc.kill('SIGCONT');
    // The eviction waited in the stream: no outage, no sync needed.
    assert.deepEqual(await first.lines.rest(), [ELSEWHERE]);
    assert.deepEqual([await carol.next(), await carol.next()], ['* alice left (logged in elsewhere)', '* alice joined']);
    carol.send('@alice:which one?');
    assert.equal(await second.next(), '*carol* which one?');
    assert.deepEqual(await linesUntilSynced(carol), []);
  });
}
