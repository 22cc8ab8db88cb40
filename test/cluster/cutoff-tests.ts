import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { runServer } from '../helpers/cli.js';
import { linesUntilSynced, type Server } from '../helpers/cluster.js';
import { TestRedis } from '../helpers/redis.js';
import { WireClient } from '../helpers/wire-client.js';

/**
 * Long enough that no cut-off here (a reconnect waits up to 2 s), on a busy machine, makes
 * the other server count the cut-off one as dead: that is another test's subject.
 */
const LEASE_MS = 15_000;

/**
 * Two servers, each with a Redis user of its own, so that one can be cut off from Redis
 * (its user disabled, its connections killed) while the other carries on.
 */
async function twoServers(t: TestContext, leaseMs: number) {
  const redis = await TestRedis.start(t);
  const admin = new Redis(redis.url);
  t.after(() => admin.disconnect());
  const servers: Server[] = [];
  for (const user of ['one', 'two']) {
    await admin.acl('SETUSER', user, 'on', `>pw-${user}`, '~chat:*', '+@all');
    const url = `redis://${user}:pw-${user}@127.0.0.1:${redis.port}`;
    servers.push(await runServer(t, ['--redis', url, '--redis-lease', String(leaseMs), '--rate', '0']));
  }
  const cut = async (user: string) => {
    await admin.acl('SETUSER', user, 'off');
    await admin.client('KILL', 'USER', user);
  };
  const restore = (user: string) => admin.acl('SETUSER', user, 'on');
  return { servers: servers as [Server, Server], cut, restore };
}

/** Nothing lost across a cut-off: run by cluster.test.ts. */
export function cutoffTests(): void {
  test('a server cut off from Redis for less than the lease: its users get what was sent meanwhile, once each, in order, and nobody else does', async (t) => {
    const { servers, cut, restore } = await twoServers(t, LEASE_MS);
    const [one, two] = servers;
    const alice = await WireClient.registered(t, one.port, 'alice');
    const carol = await WireClient.registered(t, one.port, 'carol');
    const bob = await WireClient.registered(t, two.port, 'bob');
    const dave = await WireClient.registered(t, two.port, 'dave');
    const erin = await WireClient.registered(t, two.port, 'erin');
    for (const c of [carol, dave]) {
      c.send('/join dev');
      c.send('/part lobby');
      await c.lines.until(/^\* you left lobby$/);
    }
    await carol.lines.until(/^\* dave joined$/);
    const clients = { alice, carol, bob, dave, erin };
    for (const c of Object.values(clients)) await linesUntilSynced(c);
    const before = new Map(Object.entries(clients).map(([name, c]) => [name, c.lines.seen.length]));

    await cut('one');
    await one.stderr.until(/ error lost Redis at /);
    // While one is cut off, two's users talk to the lobby and dev, and to one's users.
    const sent: [WireClient, string][] = [
      [bob, 'lobby 1'],
      [bob, '@alice:direct 1'],
      [dave, 'dev 1'],
      [bob, '@carol:direct 2'],
      [bob, 'lobby 2'],
      [dave, '@alice:direct 3'],
      [dave, 'dev 2'],
    ];
    for (const [from, line] of sent) {
      from.send(line);
      // Answered by nothing at all: no error, the message is on its way.
      assert.deepEqual(await linesUntilSynced(from), [], line);
    }
    assert.equal(alice.lines.seen.length, before.get('alice'), 'alice got nothing while cut off');
    assert.equal(carol.lines.seen.length, before.get('carol'));

    await restore('one');
    await one.stderr.until(/ notice Redis is back: 2 names reclaimed$/);
    bob.send('@alice:after');
    await alice.lines.until(/^\*bob\* after$/);
    dave.send('dev after');
    await carol.lines.until(/^<dave> dev after$/);
    for (const c of Object.values(clients)) await linesUntilSynced(c);
    const since = (name: keyof typeof clients) => clients[name].lines.seen.slice(before.get(name)).filter((l) => !l.startsWith('* pong '));
    assert.deepEqual(since('alice'), ['<bob> lobby 1', '*bob* direct 1', '<bob> lobby 2', '*dave* direct 3', '*bob* after']);
    assert.deepEqual(since('carol'), ['<dave> dev 1', '*bob* direct 2', '<dave> dev 2', '<dave> dev after']);
    // The other server's users got their rooms' messages from their own server, once, and nothing else.
    assert.deepEqual(since('erin'), ['<bob> lobby 1', '<bob> lobby 2']);
    assert.deepEqual(since('bob'), []);
    assert.deepEqual(since('dave'), []);
  });

  test('cut off again and again while messages flow: each arrives once, in the order sent', async (t) => {
    const { servers, cut, restore } = await twoServers(t, LEASE_MS);
    const [one, two] = servers;
    const alice = await WireClient.registered(t, one.port, 'alice');
    const bob = await WireClient.registered(t, two.port, 'bob');
    await alice.lines.until(/^\* bob joined$/);
    // bob sends all along, without waiting for answers; one is cut off and restored three times meanwhile.
    let n = 0;
    let cutting = true;
    const sending = (async () => {
      while (cutting) {
        bob.send(`n${++n}`);
        bob.send(`@alice:d${n}`);
        if (n % 10 === 0) {
          // No error and no message of bob's comes back to bob. alice's presence may: on a busy
          // machine a cut can outlast the lease, and two then tells that alice left and came back.
          const synced = await linesUntilSynced(bob);
          assert.deepEqual(
            synced.filter((l) => !/^\* alice (joined|left( \(server stopped answering\))?)$/.test(l)),
            [],
          );
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
    })();
    const atCuts: number[] = [];
    for (let round = 1; round <= 3; round++) {
      await cut('one');
      atCuts.push(n);
      await one.stderr.until(/ error lost Redis at /);
      await restore('one');
      await one.stderr.until(/ notice Redis is back: 1 name reclaimed$/);
    }
    cutting = false;
    await sending;
    await alice.lines.until(new RegExp(`^\\*bob\\* d${n}$`));
    assert.ok(atCuts[2]! < n, `cut at ${atCuts.join(', ')} of ${n} messages`);
    const got = alice.lines.seen.filter((l) => /^(<bob> n|\*bob\* d)\d+$/.test(l));
    const expected = Array.from({ length: n }, (_, i) => [`<bob> n${i + 1}`, `*bob* d${i + 1}`]).flat();
    assert.deepEqual(got, expected);
  });
}
