import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cluster, type Server } from '../helpers/cluster.js';
import { usersFile } from '../helpers/users.js';
import { WireClient } from '../helpers/wire-client.js';

/**
 * What the chat remembers and who moderates it, across servers (issues: history, operations):
 * one store in Redis, operators whose commands reach every server.
 */
export function clusterRememberTests(): void {
  test('history, kept messages and bans are shared; a kick and a ban reach a user on the other server', async (t) => {
    const users = await usersFile(t, { op: 'pw-op', alice: 'pw-a', bob: 'pw-b', carol: 'pw-c' }, ['op']);
    const { servers } = await cluster(t, 2, 1000, ['--users', users]);
    const [one, two] = servers as [Server, Server];
    const op = await WireClient.loggedIn(t, one.port, 'op', 'pw-op');
    const alice = await WireClient.loggedIn(t, one.port, 'alice', 'pw-a');
    alice.send('said on one');
    alice.send('@bob:kept on one');
    assert.equal(await alice.lines.until(/is offline/), '* bob is offline: the message will be delivered at their next login');

    const bob = await WireClient.loggedIn(t, two.port, 'bob', 'pw-b');
    assert.equal(await bob.next(), '* waiting for you: 1 messages');
    assert.match((await bob.next()) ?? '', /\*alice\* kept on one$/);
    bob.send('/history');
    assert.match(await bob.lines.until(/<alice>/), /^\* \[[^\]]+\] <alice> said on one$/);
    assert.equal(await bob.next(), '* end of history (1 messages)');

    op.send('/kick bob enough');
    assert.equal(await bob.lines.until(/^! /), '! kicked by op: enough');
    await bob.closed;
    assert.equal(await op.lines.until(/^\* bob was kicked$|^! /), '* bob was kicked');
    assert.equal(await alice.lines.until(/^\* bob left/), '* bob left (kicked by op: enough)');

    const carol = await WireClient.loggedIn(t, two.port, 'carol', 'pw-c');
    await op.lines.until(/^\* carol joined$/);
    op.send('/ban carol 10 spam');
    assert.equal(await carol.lines.until(/^! /), '! banned by op: spam');
    await op.lines.until(/^\* carol is banned until /);
    const refused = await WireClient.login(t, two.port, '#carol pw-c');
    assert.match(refused.reply ?? '', /^! banned until [\d-]+T[\d:]+Z: spam$/);
    op.send('/kick nobody');
    assert.equal(await op.lines.until(/^! /), '! no such user: nobody');
  });
}
