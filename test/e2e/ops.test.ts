import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test, type TestContext } from 'node:test';
import { run, runServer, type Running } from '../helpers/cli.js';
import { Redis } from 'ioredis';
import { redisSkip, TestRedis } from '../helpers/redis.js';
import { usersFile } from '../helpers/users.js';
import { WireClient } from '../helpers/wire-client.js';
import { get, sample, scrape, type Samples } from '../ops/prometheus.js';

/** chat-server with --metrics on a free port; resolves with both ports once both are announced. */
async function serverWithMetrics(t: TestContext, args: string[] = [], env: Record<string, string> = {}) {
  const server = env['CHAT_METRICS'] ? run(t, 'server', ['--port', '0', ...args], { env }) : undefined;
  const running: Running & { port: number } = server
    ? { ...server, port: Number(/:(\d+)$/.exec((await server.stdout.next()) ?? '')?.[1]) }
    : await runServer(t, ['--metrics', '127.0.0.1:0', ...args]);
  const line = (await running.stdout.next()) ?? '';
  const metricsPort = Number(/^metrics on 127\.0\.0\.1:(\d+)$/.exec(line)?.[1]);
  assert.ok(metricsPort > 0, `"metrics on 127.0.0.1:PORT" right after "listening on", not ${JSON.stringify(line)}`);
  assert.notEqual(metricsPort, running.port);
  return { ...running, metricsPort };
}

const moved = (before: Samples, after: Samples, series: string): number => sample(after, series) - sample(before, series);

/** Stops a server with SIGTERM; resolves with every line it wrote on stderr. */
async function stopped(server: Running): Promise<string[]> {
  server.proc.kill('SIGTERM');
  assert.equal(await server.exit, 0);
  await server.stderr.rest();
  return server.stderr.seen;
}

describe('chat-server --metrics', () => {
  test('the figures of a real server move with its traffic, by the right amounts', async (t) => {
    const users = await usersFile(t, { alice: 'wonderland', bob: 'builder' });
    const server = await serverWithMetrics(t, ['--users', users, '--rate', '0']);
    const alice = await WireClient.loggedIn(t, server.port, 'alice', 'wonderland');
    const bob = await WireClient.loggedIn(t, server.port, 'bob', 'builder');
    await alice.lines.until(/^\* bob joined$/);
    const before = await scrape(server.metricsPort);
    assert.equal(sample(before, 'chat_connections{transport="tcp"}'), 2);
    assert.equal(sample(before, 'chat_users_online'), 2);
    alice.send('hello room');
    alice.send('hello again');
    alice.send('@bob:hello you');
    bob.send('/nosuchcommand');
    const x = 'x'.repeat(5000);
    bob.send(x); // over the 4096-byte line limit
    await bob.lines.until(/^! line too long/);
    const { c: mallory, reply } = await WireClient.login(t, server.port, '#alice not-her-password');
    assert.equal(reply, '! authentication failed');
    await Promise.all([alice.sync(), bob.sync()]);
    const after = await scrape(server.metricsPort);
    assert.equal(moved(before, after, 'chat_messages_total{kind="room"}'), 2);
    assert.equal(moved(before, after, 'chat_messages_total{kind="direct"}'), 1);
    assert.equal(moved(before, after, 'chat_lines_refused_total{reason="unknown command"}'), 1);
    assert.equal(moved(before, after, 'chat_lines_refused_total{reason="line too long"}'), 1);
    assert.equal(moved(before, after, 'chat_lines_refused_total{reason="authentication failed"}'), 1);
    assert.equal(moved(before, after, 'chat_failed_logins_total'), 1);
    assert.equal(moved(before, after, 'chat_connections_accepted_total'), 1);
    assert.equal(sample(after, 'chat_connections{transport="tcp"}'), 3);
    assert.ok(moved(before, after, 'chat_received_bytes_total') >= 5000 + 'hello room\nhello again\n@bob:hello you\n'.length);
    assert.ok(moved(before, after, 'chat_sent_bytes_total') > 0);
    mallory.socket.destroy();
    const health = await get(server.metricsPort, '/healthz');
    assert.deepEqual([health.status, health.body], [200, 'ok\n']);
    assert.equal((await get(server.metricsPort, '/')).status, 404);
  });

  test('CHAT_METRICS works as --metrics does', async (t) => {
    const server = await serverWithMetrics(t, [], { CHAT_METRICS: '127.0.0.1:0' });
    assert.equal(sample(await scrape(server.metricsPort), 'chat_users_online'), 0);
  });

  test('a bad --metrics value: one sentence naming the option, exit 2', async (t) => {
    for (const value of ['9464', 'localhost', '127.0.0.1:', '127.0.0.1:99999', '127.0.0.1:http', '::1:9464', ':9464', '']) {
      const server = run(t, 'server', ['--port', '0', '--metrics', value]);
      assert.equal(await server.exit, 2, value);
      assert.match(
        server.stderr.seen.join('\n'),
        /--metrics must be HOST:PORT, such as 127\.0\.0\.1:9464 \(\[::1\]:9464 for IPv6; port 0 picks a free one\)\./,
        value,
      );
      assert.deepEqual(server.stdout.seen, []);
    }
    const fromEnv = run(t, 'server', ['--port', '0'], { env: { CHAT_METRICS: 'nope' } });
    assert.equal(await fromEnv.exit, 2);
    assert.match(fromEnv.stderr.seen.join('\n'), /CHAT_METRICS/);
    const format = run(t, 'server', ['--port', '0', '--log-format', 'xml']);
    assert.equal(await format.exit, 2);
    assert.match(format.stderr.seen.join('\n'), /--log-format.*Allowed choices are text, json/);
  });

  test('a metrics port in use: one sentence naming --metrics, exit 1, and the chat is never announced', async (t) => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    t.after(() => blocker.close());
    const { port } = blocker.address() as net.AddressInfo;
    const server = run(t, 'server', ['--port', '0', '--metrics', `127.0.0.1:${port}`]);
    assert.equal(await server.exit, 1);
    assert.deepEqual(server.stdout.seen, []);
    assert.equal(
      server.stderr.seen.join('\n'),
      `chat-server: metrics 127.0.0.1:${port} is already in use. Stop the program using it, or choose another port with --metrics (0 picks a free one).`,
    );
  });
});

describe('chat-server --metrics in a cluster', { skip: redisSkip }, () => {
  test('/healthz: 200 while in the chat, 503 with the reason while cut off from Redis, 200 again after', async (t) => {
    const redis = await TestRedis.start(t);
    const server = await serverWithMetrics(t, ['--redis', redis.url, '--redis-lease', '1000']);
    const until = async (status: number): Promise<string> => {
      for (let i = 0; ; i++) {
        const answer = await get(server.metricsPort, '/healthz');
        if (answer.status === status) return answer.body;
        assert.ok(i < 400, `/healthz answered ${answer.status} ${answer.body}, not ${status}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    assert.equal(await until(200), 'ok\n');
    assert.equal(sample(await scrape(server.metricsPort), 'chat_redis_connected'), 1);
    await redis.stop();
    assert.match(await until(503), /^cut off from Redis at redis:\/\/127\.0\.0\.1:\d+\/?: serving this server's users only\n$/);
    assert.equal(sample(await scrape(server.metricsPort), 'chat_redis_connected'), 0, '/metrics still answers');
    await redis.restart();
    assert.equal(await until(200), 'ok\n');
    assert.ok(sample(await scrape(server.metricsPort), 'chat_redis_ping_seconds_count') >= 1);
  });

  test('/healthz turns red when the stream delivers nothing while Redis answers, and the reader is made again', async (t) => {
    const redis = await TestRedis.start(t);
    const leaseMs = 3000;
    const one = await serverWithMetrics(t, ['--redis', redis.url, '--redis-lease', String(leaseMs), '--rate', '0']);
    const two = await serverWithMetrics(t, ['--redis', redis.url, '--redis-lease', String(leaseMs), '--rate', '0']);
    // Until /healthz answers STATUS with a body that matches BODY.
    const health = async (port: number, status: number, body = /^/): Promise<string> => {
      for (let i = 0; ; i++) {
        const answer = await get(port, '/healthz');
        if (answer.status === status && body.test(answer.body)) return answer.body;
        assert.ok(i < 1000, `/healthz answered ${answer.status} ${answer.body}, not ${status}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    const alice = await WireClient.registered(t, one.port, 'alice');
    const bob = await WireClient.registered(t, two.port, 'bob');
    await alice.lines.until(/^\* bob joined$/);
    // The canaries come back: their round trips are in the metric.
    for (let i = 0; sample(await scrape(two.metricsPort), 'chat_cluster_delivery_seconds_count') < 1; i++) {
      assert.ok(i < 1000, 'no canary came back within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // Another program's entry with an id an hour ahead (a primary whose clock was ahead),
    // read by both servers, then the stream is gone: what is added now has ids below where
    // both readers are. Each is connected, its reads answered, and delivers nothing.
    const raw = new Redis(redis.url);
    t.after(() => raw.disconnect());
    await raw.xadd('chat:stream', `${Date.now() + 3_600_000}-0`, 'z', 'another program');
    alice.send('@bob:before');
    await bob.lines.until(/^\*alice\* before$/);
    await raw.del('chat:stream');
    const wedged = Date.now();
    alice.send('@bob:lost in the wedge');
    // Red for the canary's reason (the restart it brings is "cut off" for a moment).
    const red = await health(two.metricsPort, 503, /delivered nothing/);
    const after = Date.now() - wedged;
    assert.match(red, /^the cluster's stream has delivered nothing to this server for \d+\.\d s: its reader is made again\n$/);
    // Seen within the lease, by the canary; the timeouts would never have seen it.
    assert.ok(after < 2 * leaseMs, `red after ${after} ms`);
    // Made again: where the reader was is gone, so the users are told, and chat goes on.
    await bob.lines.until(/^\* some messages may have been lost \(the cluster's store restarted\): \/history shows what was kept$/);
    await alice.lines.until(/^\* some messages may have been lost/);
    assert.equal(await health(two.metricsPort, 200), 'ok\n');
    alice.send('@bob:after');
    await bob.lines.until(/^\*alice\* after$/);
    bob.send('@alice:back');
    await alice.lines.until(/^\*bob\* back$/);
    await two.stderr.until(/error lost Redis at .*\(the stream delivered nothing to this server for \d+\.\d s: its reader is made again\)/);
    await two.stderr.until(
      /error the cluster's stream lost entries this server had read, sent or not yet read .*: told its 1 user that messages may have been lost/,
    );
  });
});

describe('chat-server --log-format', () => {
  /** The same session on a server: a login, a failed one, messages, a refusal, a quit with a message. */
  async function traffic(t: TestContext, format: string): Promise<string[]> {
    const users = await usersFile(t, { alice: 'Pa55-alice-secret', bob: 'Pa55-bob-secret' });
    const server = await runServer(t, ['--users', users, '--log-format', format]);
    const alice = await WireClient.loggedIn(t, server.port, 'alice', 'Pa55-alice-secret');
    const bob = await WireClient.loggedIn(t, server.port, 'bob', 'Pa55-bob-secret');
    const { c: wrong } = await WireClient.login(t, server.port, '#bob Wr0ng-guess-secret');
    wrong.socket.destroy();
    alice.send('the launch code is TOPSECRET-ROOM');
    alice.send('@bob:meet me at TOPSECRET-DIRECT');
    alice.send('/TOPSECRET-COMMAND with more words');
    await bob.lines.until(/TOPSECRET-DIRECT/);
    alice.send('/quit TOPSECRET-QUIT');
    await alice.closed;
    await bob.lines.until(/^\* alice left/);
    return stopped(server);
  }

  const secrets = /Pa55|Wr0ng|TOPSECRET/;

  test('json: every stderr line is one JSON object; connect, register, reject and leave have their fields', async (t) => {
    const lines = await traffic(t, 'json');
    const events = lines.map((line) => {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      assert.match(String(parsed['time']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, line);
      assert.match(String(parsed['level']), /^(info|warn|error)$/, line);
      assert.equal(typeof parsed['event'], 'string', line);
      return parsed;
    });
    const of = (event: string): Record<string, unknown>[] => events.filter((e) => e['event'] === event);
    assert.equal(of('connect').length, 3);
    for (const e of of('connect')) assert.match(String(e['peer']), /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(
      of('register').map((e) => e['name']),
      ['alice', 'bob'],
    );
    const reasons = of('reject').map((e) => e['reason']);
    assert.deepEqual(reasons, ['authentication failed for bob', 'unknown command']);
    assert.equal(of('reject')[0]!['level'], 'warn');
    const aliceLeft = of('leave').find((e) => e['name'] === 'alice');
    assert.equal(aliceLeft?.['reason'], 'quit (with a message)');
    assert.match(String(aliceLeft?.['peer']), /^127\.0\.0\.1:\d+$/);
    // The program's own lines too: the warning at start, the signal.
    assert.ok(events.some((e) => e['level'] === 'warn' && /checking passwords without TLS/.test(String(e['message']))));
    assert.ok(events.some((e) => e['message'] === 'SIGTERM: shutting down'));
    assert.doesNotMatch(lines.join('\n'), secrets);
  });

  test('text, the default: no password and no message text either', async (t) => {
    const lines = await traffic(t, 'text');
    assert.ok(
      lines.some((l) => / register alice \(127\.0\.0\.1:\d+\)$/.test(l)),
      lines.join('\n'),
    );
    assert.ok(lines.some((l) => / reject 127\.0\.0\.1:\d+: authentication failed for bob$/.test(l)));
    assert.ok(lines.some((l) => / leave alice \(127\.0\.0\.1:\d+\): quit \(with a message\)$/.test(l)));
    assert.doesNotMatch(lines.join('\n'), secrets);
  });
});
