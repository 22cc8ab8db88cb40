import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { describe, test, type TestContext } from 'node:test';
import { makeCerts } from '../helpers/certs.js';
import { run } from '../helpers/cli.js';
import { usersFile } from '../helpers/users.js';
import { cluster, linesUntilSynced, type Server } from '../helpers/cluster.js';
import { docBlock } from '../helpers/docs.js';
import { eventually } from '../hub/contract.js';
import { redisSkip, TestRedis } from '../helpers/redis.js';
import { WireClient } from '../helpers/wire-client.js';
import { redisHubTests } from './redis-hub-tests.js';
import { clusterRoomTests } from './rooms-tests.js';
import { cutoffTests } from './cutoff-tests.js';
import { clusterRememberTests } from './remember-tests.js';
import { regainTests } from './regain-tests.js';
import { stallTests } from './stall-tests.js';
import { clusterDeviceTests } from './devices-tests.js';
import { clusterWebTests } from './web-tests.js';
import { peerTests } from './peer-tests.js';

/** Two servers: alice and carol on the first, bob on the second, each seen by the others. */
async function threeUsers(t: TestContext, leaseMs = 1000) {
  const { redis, servers } = await cluster(t, 2, leaseMs);
  const [one, two] = servers as [Server, Server];
  const alice = await WireClient.registered(t, one.port, 'alice');
  const carol = await WireClient.registered(t, one.port, 'carol');
  const bob = await WireClient.registered(t, two.port, 'bob');
  await alice.lines.until(/^\* bob joined$/);
  await carol.lines.until(/^\* bob joined$/);
  return { redis, one, two, alice, carol, bob };
}

// One suite, so that a machine without redis-server skips all of it with one line.
describe('several servers through Redis', { skip: redisSkip }, () => {
  describe('the Redis hub', redisHubTests);
  describe('rooms across servers', clusterRoomTests);
  describe('a Redis that stalls', stallTests);
  describe('taking your own name back', regainTests);
  describe('nothing lost across a cut-off', cutoffTests);
  describe('history, kept messages and moderation across servers', clusterRememberTests);
  describe('one account on devices on several servers', clusterDeviceTests);
  describe('the web port in a cluster', clusterWebTests);
  describe('direct links between servers', { timeout: 300_000 }, peerTests);

  test('two servers: a direct message crosses, the room is seen once by everyone, a name is taken on both', async (t) => {
    const { one, two, alice, carol, bob } = await threeUsers(t);

    alice.send('@BOB:hi from the other server');
    assert.equal(await bob.lines.until(/^\*alice\*/), '*alice* hi from the other server');
    // UTF-8 crosses whole, in a direct message as in the room.
    alice.send('@bob:héllo ✓ 😀 ñ');
    assert.equal(await bob.lines.until(/^\*alice\* h/), '*alice* héllo ✓ 😀 ñ');
    alice.send('ça va ✓');
    assert.equal(await bob.lines.until(/^<alice> ç/), '<alice> ça va ✓');

    alice.send('hello room');
    alice.send('second');
    // Each server delivers a message once: the sender's own server does not get it back
    // from Redis, and the counters drop a duplicate.
    assert.equal(await bob.lines.until(/^<alice> second$/), '<alice> second');
    assert.equal(await carol.lines.until(/^<alice> second$/), '<alice> second');
    for (const c of [bob, carol]) assert.equal(c.lines.seen.filter((l) => l === '<alice> hello room').length, 1);
    assert.deepEqual(await linesUntilSynced(alice), [], 'the sender gets nothing of its own back');

    const mallory = await WireClient.connect(t, two.port, 'mallory');
    await mallory.lines.until(/^\* welcome/);
    mallory.send('#ALICE');
    assert.equal(await mallory.next(), '! name taken: ALICE');
    mallory.send('#carol');
    assert.equal(await mallory.next(), '! name taken: carol');

    // A server that stops tells the others' users who left with it.
    one.proc.kill('SIGTERM');
    assert.equal(await one.exit, 0);
    assert.deepEqual(
      [await bob.lines.until(/^\* alice left/), await bob.lines.until(/^\* carol left/)],
      ['* alice left (server shutting down)', '* carol left (server shutting down)'],
    );
    mallory.send('#alice');
    assert.equal(await mallory.next(), '* registered as alice');
  });

  test('a sender who closes as Redis freezes, with a message answered at once on its way: the server goes on, the text reaches nobody else, at most once', async (t) => {
    const { redis, servers } = await cluster(t, 2);
    const [one, two] = servers as [Server, Server];
    const alice = await WireClient.registered(t, one.port, 'alice');
    const carol = await WireClient.registered(t, one.port, 'carol');
    const bob = await WireClient.registered(t, two.port, 'bob');
    // The first message looks bob up: server one knows his server from then on.
    alice.send('@bob:first');
    assert.equal(await bob.lines.until(/^\*alice\*/), '*alice* first');
    redis.pause();
    t.after(() => redis.resume());
    alice.send('@bob:secret into the stall');
    alice.socket.destroy();
    await one.stderr.until(/lost Redis/);
    redis.resume();
    await one.stderr.until(/Redis is back/);
    // Server one is alive and serving: a newcomer's message crosses.
    const dave = await WireClient.registered(t, one.port, 'dave');
    dave.send('@bob:after');
    assert.equal(await bob.lines.until(/^\*dave\*/), '*dave* after');
    assert.ok(bob.lines.seen.filter((l) => l.includes('secret')).length <= 1);
    for (const c of [carol, dave])
      assert.deepEqual(
        (await linesUntilSynced(c)).filter((l) => l.includes('secret')),
        [],
      );
  });

  test('three servers: /who lists everyone, and a direct message reaches each', async (t) => {
    const { servers } = await cluster(t, 3);
    const names = ['Carol', 'alice', 'bob'];
    const clients = await Promise.all(servers.map((s, i) => WireClient.registered(t, s.port, names[i]!)));
    for (const c of clients) {
      c.send('/who');
      assert.equal(await c.lines.until(/^\* online/), '* online (3): alice, bob, Carol');
    }
    const [carol, alice, bob] = clients as [WireClient, WireClient, WireClient];
    bob.send('@carol:one');
    bob.send('@alice:two');
    assert.equal(await carol.lines.until(/^\*bob\*/), '*bob* one');
    assert.equal(await alice.lines.until(/^\*bob\*/), '*bob* two');
    bob.send('@dave:three');
    assert.equal(await bob.lines.until(/^!/), '! no such user: dave');
  });

  test('a server killed with SIGKILL: its names are freed once the lease runs out, and the others are told', async (t) => {
    const leaseMs = 3000;
    const { servers } = await cluster(t, 2, leaseMs);
    const [one, two] = servers as [Server, Server];
    const alice = await WireClient.registered(t, one.port, 'alice');
    await WireClient.registered(t, two.port, 'bob');
    await alice.lines.until(/^\* bob joined$/);

    two.proc.kill('SIGKILL');
    await two.exit;
    const killed = Date.now();
    // Until the lease is out bob's name is held: a direct message waits in the stream for his
    // server, which may only be cut off for a moment. This one died: the message goes with it.
    alice.send('@bob:are you there?');
    assert.deepEqual(await linesUntilSynced(alice), []);

    assert.equal(await alice.lines.until(/^\* bob left/), '* bob left (server stopped answering)');
    const elapsed = Date.now() - killed;
    // Its last renewal was at most lease/3 before the kill, and another server looks every lease/3.
    assert.ok(elapsed > leaseMs / 2 && elapsed < leaseMs * 1.5, `freed after ${elapsed} ms`);
    assert.match(await one.stderr.until(/ stopped answering/), / notice server \S+ stopped answering: freed its name$/);
    const newBob = await WireClient.registered(t, one.port, 'bob');
    alice.send('@bob:welcome back');
    assert.equal(await newBob.lines.until(/^\*alice\*/), '*alice* welcome back');
  });

  test('Redis stopped and restarted mid-chat: local users go on, the rest is a clear error, then all resumes', async (t) => {
    const { redis, one, two, alice, carol, bob } = await threeUsers(t);

    await redis.stop();
    for (const s of [one, two]) await s.stderr.until(/ error lost Redis at redis:\/\/127\.0\.0\.1:\d+\/?.*: serving this server's users only/);

    alice.send('@bob:lost?');
    assert.equal(await alice.next(), '! not delivered: cluster unavailable');
    alice.send('@carol:still here');
    assert.equal(await carol.lines.until(/^\*alice\*/), '*alice* still here');
    alice.send('room during the outage');
    assert.equal(await alice.next(), '! not delivered: cluster unavailable');
    assert.equal(await carol.lines.until(/^<alice>/), '<alice> room during the outage');
    alice.send('/who');
    assert.equal(await alice.next(), '! cannot list the users now: cluster unavailable, try again in a moment');
    const dave = await WireClient.connect(t, one.port, 'dave');
    await dave.lines.until(/^\* welcome/);
    dave.send('#dave');
    assert.equal(await dave.next(), '! cannot take a name now: cluster unavailable, try again in a moment');
    assert.deepEqual(await linesUntilSynced(bob), [], 'bob got nothing meanwhile, and was answered at once');

    await redis.restart();
    for (const s of [one, two]) await s.stderr.until(/ notice Redis is back: \d+ names? reclaimed$/);
    // The outage was logged once per server, however many requests failed.
    for (const s of [one, two]) assert.equal(s.stderr.seen.filter((l) => / lost Redis /.test(l)).length, 1);

    alice.send('@bob:back?');
    assert.equal(await bob.lines.until(/^\*alice\*/), '*alice* back?');
    bob.send('/who');
    assert.equal(await bob.lines.until(/^\* online/), '* online (3): alice, bob, carol');
    // Redis came back empty: new names wait until every server has had time to reclaim its own.
    for (;;) {
      dave.send('#dave');
      const answer = await dave.next();
      if (answer === '* registered as dave') break;
      assert.equal(answer, '! cannot take a name now: cluster unavailable, try again in a moment');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });

  test('Redis emptied by FLUSHALL mid-chat: nobody is told "no such user", every sender of a lost message is told, and all resumes', async (t) => {
    const { redis, one, two, alice, bob } = await threeUsers(t, 3000);
    const cli = new Redis(redis.url);
    t.after(() => cli.disconnect());
    await cli.flushall();
    // alice's server has not looked bob up yet: the lookup finds an empty registry.
    alice.send('@bob:after the flush');
    const answer = await alice.next();
    if (answer?.startsWith('!')) assert.equal(answer, '! not delivered: cluster unavailable');
    else assert.equal(await bob.lines.until(/^\*alice\*/), '*alice* after the flush');
    for (const s of [one, two]) await s.stderr.until(/ notice Redis had lost its data \(emptied, or restarted without it\): \d+ names? reclaimed$/);
    alice.send('@bob:back?');
    assert.equal(await bob.lines.until(/^\*alice\* back/), '*alice* back?');
    assert.ok(!alice.lines.seen.some((l) => l.startsWith('! no such user')), 'bob was online all along');
    // What the servers said of themselves was said again: one with accounts is still refused.
    const strict = run(t, 'server', ['--port', '0', '--redis', redis.url, '--users', await usersFile(t, { bob: 'pw' })]);
    assert.equal(await strict.exit, 1);
    assert.match(strict.stderr.seen.join('\n'), /its servers run without accounts and this one with --users/);
  });

  test('the servers of one chat agree on accounts: one started without --users beside one with it refuses to join, saying why', async (t) => {
    const users = await usersFile(t, { bob: 'pw-b' });
    const { redis, servers } = await cluster(t, 1, 1000, ['--users', users]);
    const open = run(t, 'server', ['--port', '0', '--redis', redis.url, '--rate', '0']);
    assert.equal(await open.exit, 1);
    assert.match(
      open.stderr.seen.join('\n'),
      /chat-server: cannot join the chat at redis:\/\/127\.0\.0\.1:\d+: its servers run with accounts \(--users\) and this one without --users; start it with --users and the same users file, or use another Redis database\./,
    );
    // The one with accounts is untouched: bob logs in there, and nobody else can be bob.
    const bob = await WireClient.loggedIn(t, servers[0]!.port, 'bob', 'pw-b');
    bob.send('/ping still');
    assert.equal(await bob.next(), '* pong still');
    // And the other way round.
    const second = await cluster(t, 1, 1000);
    const strict = run(t, 'server', ['--port', '0', '--redis', second.redis.url, '--users', users]);
    assert.equal(await strict.exit, 1);
    assert.match(strict.stderr.seen.join('\n'), /its servers run without accounts and this one with --users; start it without --users, as they run/);
  });

  test('a server cut off past its lease: names taken meanwhile are lost and said so, the rest come back', async (t) => {
    const { one, two, alice, carol, bob } = await threeUsers(t);

    // A stopped process renews nothing: to the others it is dead, as behind a partition.
    one.proc.kill('SIGSTOP');
    t.after(() => one.proc.kill('SIGCONT'));
    await bob.lines.until(/^\* alice left \(server stopped answering\)$/);
    await bob.lines.until(/^\* carol left \(server stopped answering\)$/);
    const newAlice = await WireClient.registered(t, two.port, 'alice');

    one.proc.kill('SIGCONT');
    assert.equal(await alice.lines.until(/^!/), '! the name alice was taken on another server while this one was cut off: closing the connection');
    assert.equal(await alice.next(), undefined);
    assert.equal(await carol.lines.until(/^\* alice left/), '* alice left (name taken on another server)');
    // carol kept her name: the users of the other server see her come back.
    assert.equal(await bob.lines.until(/^\* carol joined$/), '* carol joined');
    carol.send('@alice:are you the new one?');
    assert.equal(await newAlice.lines.until(/^\*carol\*/), '*carol* are you the new one?');
    // On the other server alice is the new one, online: nobody there is told she left.
    for (const c of [bob, newAlice]) {
      await linesUntilSynced(c);
      assert.deepEqual(
        c.lines.seen.filter((l) => /^\* alice left \(name taken/.test(l)),
        [],
      );
    }
  });

  test('the production Redis of docs/cluster.md: a Redis user of its own, its password only in CHAT_REDIS, never logged', async (t) => {
    const redis = await TestRedis.start(t);
    const { block } = docBlock('redis-acl');
    // Our Redis, never one on the default port that may be this machine's own.
    const command = block.replace(/^ +/gm, '').replace(/^redis-cli /, `redis-cli -p ${redis.port} `);
    assert.ok(command.startsWith(`redis-cli -p ${redis.port} ACL SETUSER chat `), command);
    assert.equal(execFileSync('bash', ['-c', command], { encoding: 'utf8' }).trim(), 'OK');
    // The default user needs a password from now on: the chat uses its own user only.
    execFileSync('redis-cli', ['-p', String(redis.port), 'CONFIG', 'SET', 'requirepass', 'admin-only']);
    const env = { CHAT_REDIS: `redis://chat:CHANGE-ME@127.0.0.1:${redis.port}` };
    const start = async (): Promise<Server> => {
      const server = run(t, 'server', ['--port', '0'], { env });
      const port = Number(/^listening on .*:(\d+)$/.exec((await server.stdout.next()) ?? '')?.[1]);
      assert.ok(port, server.stderr.seen.join('\n'));
      return { ...server, port };
    };
    const [one, two] = [await start(), await start()];
    const alice = await WireClient.registered(t, one.port, 'alice');
    const bob = await WireClient.registered(t, two.port, 'bob');
    alice.send('@bob:hi');
    assert.equal(await bob.lines.until(/^\*alice\*/), '*alice* hi');
    bob.send('/who');
    assert.equal(await bob.lines.until(/^\* online/), '* online (2): alice, bob');
    // Rooms use commands of their own inside their scripts: the user may run them too.
    bob.send('/join dev');
    assert.equal(await bob.lines.until(/^\* you are in/), '* you are in dev');
    alice.send('/rooms');
    assert.equal(await alice.lines.until(/^\* rooms/), '* rooms (2): dev (1), lobby (2)');
    alice.send('/who dev');
    assert.equal(await alice.lines.until(/^\* in dev/), '* in dev (1): @bob');
    // Two renewals of the lease (every lease/3) ran under the ACL, their scripts and all:
    // the servers are still in the chat, and a message still crosses.
    const leases = () =>
      execFileSync('redis-cli', ['-p', String(redis.port), '--no-auth-warning', '-a', 'admin-only', 'HGETALL', 'chat:leases'], { encoding: 'utf8' });
    for (let i = 0; i < 2; i++) {
      const before = leases();
      await eventually(async () => leases() !== before);
    }
    alice.send('@bob:after the renewals');
    assert.equal(await bob.lines.until(/^\*alice\* after/), '*alice* after the renewals');
    for (const s of [one, two]) assert.doesNotMatch(s.stderr.seen.join('\n'), /lost Redis/);
    const log = await one.stderr.until(/ joined the chat through Redis /);
    assert.match(log, /redis:\/\/chat:\*\*\*@127\.0\.0\.1:\d+/);
    for (const s of [one, two]) assert.doesNotMatch(s.stderr.seen.join('\n'), /CHANGE-ME/);
    const wrong = run(t, 'server', ['--port', '0'], { env: { CHAT_REDIS: `redis://chat:wrong@127.0.0.1:${redis.port}` } });
    assert.equal(await wrong.exit, 1);
    assert.match(wrong.stderr.seen.join('\n'), /: WRONGPASS [^;]*[^.]; check the user, password and permissions in the Redis URL\.$/m);
    // A database Redis does not have: refused, not quietly database 0, where another chat lives.
    const noSuchDb = run(t, 'server', ['--port', '0'], { env: { CHAT_REDIS: `redis://chat:CHANGE-ME@127.0.0.1:${redis.port}/99` } });
    assert.equal(await noSuchDb.exit, 1);
    assert.match(noSuchDb.stderr.seen.join('\n'), /: ERR DB index is out of range; choose a database this Redis has \(see its "databases" setting\)\.$/m);
  });

  test('a Redis over TLS (rediss://), verified against a CA given in NODE_EXTRA_CA_CERTS', async (t) => {
    const certs = makeCerts(t);
    const redis = await TestRedis.start(t, { tls: { cert: certs.cert, key: certs.key } });
    const trusting = { NODE_EXTRA_CA_CERTS: certs.ca };
    const startWith = async (env: Record<string, string>): Promise<Server> => {
      const server = run(t, 'server', ['--port', '0', '--redis', redis.url], { env });
      const port = Number(/^listening on .*:(\d+)$/.exec((await server.stdout.next()) ?? '')?.[1]);
      assert.ok(port, server.stderr.seen.join('\n'));
      return { ...server, port };
    };
    const [one, two] = [await startWith(trusting), await startWith(trusting)];
    const alice = await WireClient.registered(t, one.port, 'alice');
    const bob = await WireClient.registered(t, two.port, 'bob');
    alice.send('@bob:over TLS');
    assert.equal(await bob.lines.until(/^\*alice\*/), '*alice* over TLS');
    // Without the CA, the certificate is refused, and the server says so and does not start.
    const untrusting = run(t, 'server', ['--port', '0', '--redis', redis.url]);
    assert.equal(await untrusting.exit, 1);
    assert.match(
      untrusting.stderr.seen.join('\n'),
      /cannot use Redis at rediss:\/\/localhost:\d+\/?: .*certificate.*; check the certificate, or trust Redis's CA with NODE_EXTRA_CA_CERTS=FILE\.$/m,
    );
  });
});
