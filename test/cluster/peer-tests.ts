import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import net from 'node:net';
import { Redis } from 'ioredis';
import { cluster, linesUntilSynced, type Server } from '../helpers/cluster.js';
import { runServer } from '../helpers/cli.js';
import { CutProxy } from '../helpers/cut-proxy.js';
import { WireClient } from '../helpers/wire-client.js';
import { WAIT_MS } from '../helpers/lines.js';
import { frame, FrameReader, frameHead } from '../../src/hub/redis/peer-frames.js';
import { encodeEntry, userHeader } from '../../src/hub/redis/cluster-message.js';
import { HANDSHAKE_MS, HANDSHAKES_MAX, HANDSHAKES_PER_ADDRESS, proof } from '../../src/hub/redis/peers.js';
import { freePort, type TestRedis } from '../helpers/redis.js';

/**
 * bob (and DAVE, if asked) on TWO, alice on ONE: alice's first message to bob learns his
 * server through Redis, the next asks for a link to it, which is up once this resolves.
 */
async function linkUp(t: TestContext, one: Server, two: Server, dave = false) {
  const bob = await WireClient.registered(t, two.port, 'bob');
  const other = dave ? await WireClient.registered(t, two.port, 'dave') : undefined;
  const alice = await WireClient.registered(t, one.port, 'alice');
  await bob.lines.until(/^\* alice joined$/);
  alice.send('@bob:first, through the stream');
  await bob.lines.until(/^\*alice\* first/);
  alice.send('@bob:second');
  await bob.lines.until(/^\*alice\* second/);
  await one.stderr.until(/direct link to server \S+ up/);
  return { alice, bob, dave: other };
}

/** alice on the first server, bob and dave on the second; alice's direct link to the second is up. */
async function linked(t: TestContext) {
  const { redis, servers } = await cluster(t, 2);
  const [one, two] = servers as [Server, Server];
  const { alice, bob, dave } = await linkUp(t, one, two, true);
  return { redis, one, two, alice, bob, dave: dave! };
}

/**
 * As linked(), but the second server reaches Redis through a relay that can stall or cut
 * (its links do not), with a lease of LEASE_MS; and carol, on the second server, who has
 * not been written to yet.
 */
async function relayedToRedis(t: TestContext, leaseMs = 1000) {
  const { redis, servers } = await cluster(t, 1, leaseMs);
  const [one] = servers as [Server];
  const relay = await CutProxy.start(t, Number(new URL(redis.url).port));
  const two = await runServer(t, ['--redis', `redis://127.0.0.1:${relay.port}`, '--redis-lease', String(leaseMs), '--rate', '0']);
  const { alice } = await linkUp(t, one, two);
  const carol = await WireClient.registered(t, two.port, 'carol');
  await alice.lines.until(/^\* carol joined$/);
  return { redis, relay, two, alice, carol };
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

/** Each server's id and the port of its direct links, from Redis. */
async function linkPorts(redis: TestRedis): Promise<{ id: string; port: number }[]> {
  const client = new Redis(redis.url);
  try {
    const keys = await client.keys('chat:peer:*');
    const values = await Promise.all(keys.map((k) => client.get(k)));
    return keys.map((k, i) => ({ id: k.slice('chat:peer:'.length), port: Number(values[i]?.split(' ')[1]) }));
  } finally {
    client.disconnect();
  }
}

/** A batch frame naming USER on server ID, from a message of FROM. */
function forgedBatch(id: string, user: string, from: string, text: string): Buffer {
  const body = `m ${from} ${text}`;
  const entry = encodeEntry('someone', [[user, id]], [userHeader('@', user, Buffer.byteLength(body)), body]);
  const line = '1 -\n';
  return Buffer.concat([frameHead('B', line.length + entry.length), Buffer.from(line), entry]);
}

/** Resolves once SOCKET is closed by the other end, with what it said first; fails if it is still open past the handshake timer and WAIT_MS. */
function closed(socket: net.Socket): Promise<Buffer> {
  const got: Buffer[] = [];
  socket.on('data', (d: Buffer) => got.push(d));
  socket.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    const late = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open; it sent ${JSON.stringify(Buffer.concat(got).toString('latin1'))}`));
    }, HANDSHAKE_MS + WAIT_MS);
    socket.once('close', () => {
      clearTimeout(late);
      resolve(Buffer.concat(got));
    });
  });
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

  test('a connection to the link port that cannot prove it is in the chat is closed, and what it sent reaches nobody', async (t) => {
    const { redis, alice, bob } = await linked(t);
    const links = await linkPorts(redis);
    assert.equal(links.length, 2);
    for (const { id, port } of links) {
      // Straight to a batch for bob, named on this very server, without the proof.
      const early = net.connect(port, '127.0.0.1');
      const earlyClosed = closed(early);
      early.write(forgedBatch(id, 'bob', 'mallory', 'forged'));
      // The challenge names the server: a connector checks it reached the one it meant.
      assert.match((await earlyClosed).toString('latin1'), new RegExp(`^.{4}N[0-9a-f]{32} ${id}$`, 's'));
      // A proof that does not hold.
      const wrong = net.connect(port, '127.0.0.1');
      const wrongClosed = closed(wrong);
      wrong.write(frame('P', `someone ${'1'.repeat(32)} ${'0'.repeat(64)}`));
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
    // Strangers that hold their connections open: past HANDSHAKES_PER_ADDRESS waiting from one
    // address, or HANDSHAKES_MAX from all, the next is closed at once, without a challenge,
    // and the links already proven carry on. (All of 127.0.0.0/8 is this machine.)
    const idle: net.Socket[] = [];
    t.after(() => {
      for (const s of idle) s.destroy();
    });
    const from = (i: number) => `127.0.0.${2 + Math.floor(i / HANDSHAKES_PER_ADDRESS)}`;
    for (const { port } of links) {
      for (let i = 0; i < HANDSHAKES_MAX; i++) {
        const s = net.connect({ port, host: '127.0.0.1', localAddress: from(i) });
        idle.push(s);
        await new Promise((resolve) => s.once('data', resolve));
      }
      // One more from an address with room: the cap of all.
      assert.equal((await closed(net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.99' }))).length, 0);
    }
    for (const s of idle.splice(HANDSHAKES_PER_ADDRESS)) s.destroy();
    // One more from the first address, now alone: its own cap.
    assert.equal((await closed(net.connect({ port: links[0]!.port, host: '127.0.0.1', localAddress: from(0) }))).length, 0);
    alice.send('@bob:still here');
    assert.equal(await bob.lines.until(/^\*alice\* still/), '*alice* still here');
    bob.send('@alice:and you');
    assert.equal(await alice.lines.until(/^\*bob\* and/), '*bob* and you');
  });

  test('a stranger at the address of a server that is gone gets no link: neither its messages nor a proof to relay', async (t) => {
    const { redis, servers } = await cluster(t, 1);
    const [one] = servers as [Server];
    const alice = await WireClient.registered(t, one.port, 'alice');
    const [own] = await linkPorts(redis);
    const stolen: string[] = [];
    // The stranger hands the server its own challenge under the dead server's id, relays the
    // proof it gets back to the server's own link port (to be let in there), answers with a
    // proof of its own making, and, let in, would send a forged message for alice.
    const stranger = net.createServer((fromOne) => {
      const toOne = net.connect(own!.port, '127.0.0.1');
      const fromOneFrames = new FrameReader(1 << 21);
      const toOneFrames = new FrameReader(1 << 21);
      toOne.on('data', (chunk: Buffer) => {
        const got = toOneFrames.push(chunk);
        if (got === 'bad') return;
        for (const f of got) {
          if (f.type === 'N') fromOne.write(frame('N', `${f.payload.toString('latin1').split(' ')[0]} GONE`));
          if (f.type === 'K') toOne.write(forgedBatch(own!.id, 'alice', 'bob', 'forged by a stranger'));
        }
      });
      fromOne.on('data', (chunk: Buffer) => {
        const got = fromOneFrames.push(chunk);
        if (got === 'bad') return;
        for (const f of got) {
          if (f.type === 'P') {
            toOne.write(frame('P', f.payload.toString('latin1')));
            fromOne.write(frame('K', '0'.repeat(64)));
          }
          if (f.type === 'B') stolen.push(f.payload.toString('latin1'));
        }
      });
      fromOne.on('error', () => undefined);
      toOne.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => stranger.listen(0, '127.0.0.1', resolve));
    t.after(() => stranger.close());
    // What Redis says of a server that died a moment ago, whose port another program took.
    const client = new Redis(redis.url);
    t.after(() => client.disconnect());
    await client.hset('chat:names', 'mallory', 'GONE mallory');
    await client.set('chat:peer:GONE', `127.0.0.1 ${(stranger.address() as net.AddressInfo).port}`);
    alice.send('@mallory:learn');
    await linesUntilSynced(alice);
    alice.send('@mallory:asks for a link');
    await one.stderr.until(/no direct link to server GONE \(its proof does not hold\)/);
    alice.send('@mallory:a secret');
    assert.deepEqual(
      (await linesUntilSynced(alice)).filter((l) => l.includes('forged')),
      [],
    );
    assert.deepEqual(stolen, []);
    assert.match(await streamText(redis), /a secret/);
  });

  test('what goes by link and what goes through the stream keep their order both ways, within one read too', async (t) => {
    const { redis, relay, alice, carol } = await relayedToRedis(t);
    relay.stall();
    // carol's server reads nothing from Redis now. The first message goes into the stream
    // (her server is learnt from its answer: the pong comes after it), the second by link,
    // the third with a room message, into the stream again: the second waits for the first
    // there, the third for the second to be handed over here. A room line first answers the
    // read carol's server has waiting in Redis, so that its next brings both entries at once.
    alice.send('a room line first');
    await linesUntilSynced(alice);
    alice.send('@carol:one, through the stream');
    await linesUntilSynced(alice);
    alice.send('@carol:two, by link');
    await linesUntilSynced(alice);
    alice.send('@carol:three, through the stream\nand a room line');
    await linesUntilSynced(alice);
    relay.unstall();
    for (const text of ['one, through the stream', 'two, by link', 'three, through the stream']) {
      assert.equal(await carol.lines.until(/^\*alice\*/), `*alice* ${text}`);
    }
    const text = await streamText(redis);
    assert.match(text, /one, through the stream/);
    assert.doesNotMatch(text, /two, by link/);
    assert.match(text, /three, through the stream/);
  });

  test('a message through the stream waits for one sent before it by a link that is slow (--cluster-address through a relay)', async (t) => {
    const { redis, servers } = await cluster(t, 1);
    const [one] = servers as [Server];
    // The second server's links are reached through a relay that can stall: a slow network.
    const port = await freePort();
    const relay = await CutProxy.start(t, port);
    const two = await runServer(t, [
      '--redis',
      redis.url,
      '--redis-lease',
      '1000',
      '--rate',
      '0',
      '--cluster-link',
      `127.0.0.1:${port}`,
      '--cluster-address',
      `127.0.0.1:${relay.port}`,
    ]);
    const { alice, bob } = await linkUp(t, one, two);
    relay.stall();
    alice.send('@bob:one, by link');
    // Its own turn (in one with a room message, it would go into the stream with it).
    await linesUntilSynced(alice);
    // With a room message: into the stream, which must not overtake what the link carries.
    alice.send('@bob:two, through the stream\nroom line');
    // A second: the stream would have delivered them by then, were they not waiting (and
    // well within ACK_MS, past which the link would be dropped).
    assert.equal(await bob.lines.next(1000).catch(() => 'nothing'), 'nothing');
    relay.unstall();
    assert.equal(await bob.lines.until(/^\*alice\*/), '*alice* one, by link');
    assert.equal(await bob.lines.until(/^\*alice\*/), '*alice* two, through the stream');
  });

  test('a server cut off from Redis longer than a read takes holds what came by link until it has read what came before', async (t) => {
    const { relay, two, alice, carol } = await relayedToRedis(t, 10_000);
    relay.cut();
    alice.send('@carol:one, through the stream');
    await linesUntilSynced(alice);
    alice.send('@carol:two, by link');
    await linesUntilSynced(alice);
    // Cut off until its reader gives up on Redis: what it holds waits for it all the same.
    await two.stderr.until(/lost Redis/);
    relay.restore();
    // The link batch was acknowledged on receipt: nobody is told a loss, and it comes second.
    assert.equal(await carol.lines.until(/^\*alice\*/), '*alice* one, through the stream');
    assert.equal(await carol.lines.until(/^\*alice\*/), '*alice* two, by link');
    assert.deepEqual(
      (await linesUntilSynced(alice)).filter((l) => l.startsWith('!')),
      [],
    );
  });

  test('a server stopping closes the connections still to prove themselves, and leaves the chat at once', async (t) => {
    const { redis, servers } = await cluster(t, 1);
    const [one] = servers as [Server];
    await WireClient.registered(t, one.port, 'zed');
    const [own] = await linkPorts(redis);
    const waiting = net.connect(own!.port, '127.0.0.1');
    const waitingClosed = closed(waiting);
    await new Promise((resolve) => waiting.once('data', resolve));
    one.proc.kill('SIGTERM');
    assert.equal(await one.exit, 0);
    await waitingClosed;
    const client = new Redis(redis.url);
    t.after(() => client.disconnect());
    assert.deepEqual(await client.smembers('chat:servers'), []);
    assert.equal(await client.hget('chat:names', 'zed'), null);
  });

  test('a server with the secret that sends an id longer than Redis makes: the link is closed, and the chat goes on', async (t) => {
    const { redis, alice, bob } = await linked(t);
    const client = new Redis(redis.url);
    t.after(() => client.disconnect());
    const secret = (await client.get('chat:peer-secret'))!;
    /** A link to the server at PORT (id ID), proven as server ME. */
    const proven = async ({ id, port }: { id: string; port: number }, me: string): Promise<net.Socket> => {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      const frames = new FrameReader(1 << 21);
      const mine = '2'.repeat(32);
      await new Promise<void>((resolve, reject) => {
        socket.on('data', function hello(chunk: Buffer) {
          const got = frames.push(chunk);
          if (got === 'bad') return reject(new Error('bad frame'));
          for (const f of got) {
            if (f.type === 'N') socket.write(frame('P', `${me} ${mine} ${proof(secret, 'P', f.payload.toString('latin1').split(' ')[0]!, me, id, mine)}`));
            if (f.type === 'K') {
              socket.off('data', hello);
              resolve();
            }
          }
        });
      });
      return socket;
    };
    const [two] = (await linkPorts(redis)) as [{ id: string; port: number }];
    // An AFTER id longer than any Redis makes: closed, not compared again and again.
    const long = await proven(two, 'someone');
    const longClosed = closed(long);
    const line = `1 ${'9'.repeat(21)}-0\n`;
    long.write(Buffer.concat([frameHead('B', line.length), Buffer.from(line)]));
    await longClosed;
    alice.send('@bob:still here');
    assert.equal(await bob.lines.until(/^\*alice\* still/), '*alice* still here');
  });

  test('a connection that sends its proof a byte at a time past the handshake timer is closed', async (t) => {
    const { redis } = await linked(t);
    const [own] = await linkPorts(redis);
    const slow = net.connect(own!.port, '127.0.0.1');
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
