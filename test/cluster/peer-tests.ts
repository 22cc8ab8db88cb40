import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import net from 'node:net';
import { Redis } from 'ioredis';
import { cluster, linesUntilSynced, type Server } from '../helpers/cluster.js';
import { runServer } from '../helpers/cli.js';
import { CutProxy } from '../helpers/cut-proxy.js';
import { WireClient } from '../helpers/wire-client.js';
import { frame, frameHead } from '../../src/hub/redis/peer-frames.js';
import { HANDSHAKE_MS, HANDSHAKES_MAX } from '../../src/hub/redis/peers.js';
import type { TestRedis } from '../helpers/redis.js';

/** alice on the first server, bob and dave on the second; alice's direct link to the second is up. */
async function linked(t: TestContext) {
  const { redis, servers } = await cluster(t, 2);
  const [one, two] = servers as [Server, Server];
  const bob = await WireClient.registered(t, two.port, 'bob');
  const dave = await WireClient.registered(t, two.port, 'dave');
  const alice = await WireClient.registered(t, one.port, 'alice');
  await bob.lines.until(/^\* alice joined$/);
  // The first message learns bob's server through Redis; the next asks for a link to it.
  alice.send('@bob:first, through the stream');
  await bob.lines.until(/^\*alice\* first/);
  alice.send('@bob:second');
  await bob.lines.until(/^\*alice\* second/);
  await one.stderr.until(/direct link to server \S+ up/);
  return { redis, one, two, alice, bob, dave };
}

/** Every value of the chat's stream, as text. */
async function streamText(redis: TestRedis): Promise<string> {
  const client = new Redis(redis.url);
  try {
    const entries = await client.xrange('chat:stream', '-', '+');
    return entries.map(([, fields]) => fields.join(' ')).join('\n');
  } finally {
    client.disconnect();
  }
}

/** The address of the direct links of the server other than SELF's. */
async function linkPort(redis: TestRedis): Promise<number[]> {
  const client = new Redis(redis.url);
  try {
    const keys = await client.keys('chat:peer:*');
    const values = await Promise.all(keys.map((k) => client.get(k)));
    return values.map((v) => Number(v?.split(' ')[1]));
  } finally {
    client.disconnect();
  }
}

/** Resolves once SOCKET is closed by the other end, with what it said first. */
function closed(socket: net.Socket): Promise<Buffer> {
  const got: Buffer[] = [];
  socket.on('data', (d: Buffer) => got.push(d));
  socket.on('error', () => undefined);
  return new Promise((resolve) => socket.once('close', () => resolve(Buffer.concat(got))));
}

/** Direct links between servers (docs/cluster.md, "Direct links"). Run by cluster.test.ts. */
export function peerTests(): void {
  test('a direct message to a known user of another server goes by the direct link, not the stream, to its addressee only, in order', async (t) => {
    const { redis, alice, bob, dave } = await linked(t);
    for (let i = 0; i < 20; i++) alice.send(`@bob:by link ${i}`);
    for (let i = 0; i < 20; i++) assert.equal(await bob.lines.until(/^\*alice\* by link/), `*alice* by link ${i}`);
    const text = await streamText(redis);
    assert.match(text, /first, through the stream/);
    assert.doesNotMatch(text, /by link/);
    // Private: dave, on bob's server, got none of it.
    assert.deepEqual(
      (await linesUntilSynced(dave)).filter((l) => l.includes('alice*')),
      [],
    );
    // Answers and replies go back the same way.
    bob.send('@alice:and back');
    assert.equal(await alice.lines.until(/^\*bob\*/), '*bob* and back');
  });

  test("a direct message by link never overtakes the one sent before it through the stream: it waits for the receiver's reader", async (t) => {
    const { redis, servers } = await cluster(t, 1);
    const [one] = servers as [Server];
    // The second server reaches Redis through a relay that can stall; its links do not.
    const relay = await CutProxy.start(t, Number(new URL(redis.url).port));
    const two = await runServer(t, ['--redis', `redis://127.0.0.1:${relay.port}`, '--redis-lease', '1000', '--rate', '0']);
    const bob = await WireClient.registered(t, two.port, 'bob');
    const alice = await WireClient.registered(t, one.port, 'alice');
    await bob.lines.until(/^\* alice joined$/);
    alice.send('@bob:learn');
    await bob.lines.until(/^\*alice\* learn/);
    alice.send('@bob:link');
    await bob.lines.until(/^\*alice\* link/);
    await one.stderr.until(/direct link to server \S+ up/);
    const carol = await WireClient.registered(t, two.port, 'carol');
    await alice.lines.until(/^\* carol joined$/);
    // carol's server reads nothing from Redis now. The first message goes into the stream
    // (her server is learnt from its answer: the pong comes after it), the second by link.
    relay.stall();
    alice.send('@carol:one, through the stream');
    await linesUntilSynced(alice);
    alice.send('@carol:two, by link');
    await linesUntilSynced(alice);
    relay.unstall();
    assert.equal(await carol.lines.until(/^\*alice\*/), '*alice* one, through the stream');
    assert.equal(await carol.lines.until(/^\*alice\*/), '*alice* two, by link');
    const text = await streamText(redis);
    assert.match(text, /one, through the stream/);
    assert.doesNotMatch(text, /two, by link/);
  });

  test('a connection to the link port that cannot prove it is in the chat is closed, and what it sent reaches nobody', async (t) => {
    const { redis, alice, bob } = await linked(t);
    const ports = await linkPort(redis);
    assert.equal(ports.length, 2);
    const forged = 'someone 1 bob x\n@ bob 15\nm mallory forged';
    for (const port of ports) {
      // Straight to a batch, without the proof.
      const early = net.connect(port, '127.0.0.1');
      const earlyClosed = closed(early);
      early.write(Buffer.concat([frameHead('B', Buffer.byteLength(`1 -\n${forged}`)), Buffer.from(`1 -\n${forged}`)]));
      assert.match((await earlyClosed).toString('latin1'), /^.{4}N[0-9a-f]{32}$/s);
      // A proof that does not hold.
      const wrong = net.connect(port, '127.0.0.1');
      const wrongClosed = closed(wrong);
      wrong.write(frame('P', `someone ${'0'.repeat(64)}`));
      await wrongClosed;
      // A length no frame may have: closed without waiting for the bytes.
      const huge = net.connect(port, '127.0.0.1');
      const hugeClosed = closed(huge);
      huge.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
      await hugeClosed;
    }
    assert.deepEqual(
      (await linesUntilSynced(bob)).filter((l) => l.includes('forged')),
      [],
    );
    // Strangers that hold their connections open: past HANDSHAKES_MAX waiting, the next is
    // closed at once, without a challenge, and the links already proven carry on.
    const idle: net.Socket[] = [];
    t.after(() => idle.forEach((s) => s.destroy()));
    for (const port of ports) {
      for (let i = 0; i < HANDSHAKES_MAX; i++) {
        const s = net.connect(port, '127.0.0.1');
        idle.push(s);
        await new Promise((resolve) => s.once('data', resolve));
      }
      assert.equal((await closed(net.connect(port, '127.0.0.1'))).length, 0);
    }
    alice.send('@bob:still here');
    assert.equal(await bob.lines.until(/^\*alice\* still/), '*alice* still here');
    bob.send('@alice:and you');
    assert.equal(await alice.lines.until(/^\*bob\* and/), '*bob* and you');
  });

  test('a connection that sends its proof a byte at a time past the handshake timer is closed', async (t) => {
    const { redis } = await linked(t);
    const [port] = await linkPort(redis);
    const slow = net.connect(port!, '127.0.0.1');
    const slowClosed = closed(slow);
    const bytes = frame('P', `someone ${'0'.repeat(64)}`);
    let sent = 0;
    const started = Date.now();
    // One byte every tenth of the timer: the proof is never whole before the timer runs out.
    const drip = setInterval(() => {
      if (sent < bytes.length && !slow.destroyed) slow.write(bytes.subarray(sent, ++sent));
    }, HANDSHAKE_MS / 10);
    t.after(() => clearInterval(drip));
    await slowClosed;
    clearInterval(drip);
    assert.ok(sent < bytes.length, `the whole proof went out (${sent} bytes)`);
    assert.ok(Date.now() - started >= HANDSHAKE_MS - 100);
  });

  test('a server that stops answering on its link: the sender is told its messages may not have arrived, and none arrives twice', async (t) => {
    const { two, alice, bob } = await linked(t);
    two.proc.kill('SIGSTOP');
    t.after(() => two.proc.kill('SIGCONT'));
    alice.send('@bob:into a stopped server');
    assert.match(await alice.lines.until(/^! /), /^! your last messages to bob may not have been delivered/);
    two.proc.kill('SIGCONT');
    const seen = (await linesUntilSynced(bob)).filter((l) => l.includes('into a stopped server'));
    assert.ok(seen.length <= 1, JSON.stringify(seen));
  });
}
