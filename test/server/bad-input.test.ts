import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { startServer } from '../helpers/server.js';
import { WireClient } from '../helpers/wire-client.js';

/** Waits for a condition the test cannot be told about by an event. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; !condition(); i++) {
    if (i > 2000) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Whatever one client sends, the server stays up, bounded, and serves the others. */
describe('bad input', () => {
  test('1 MB without LF: refused once, never buffered, others served meanwhile', async (t) => {
    // Without flood control: what it costs is the next test's.
    const { server, port } = await startServer(t, { flushMs: 0, rate: 0 });
    const alice = await WireClient.registered(t, port, 'alice');
    const bob = await WireClient.registered(t, port, 'bob');
    const flooder = await WireClient.registered(t, port, 'flooder');
    await alice.lines.until(/flooder joined/);
    const chunk = Buffer.alloc(64 * 1024, 'a');
    for (let i = 0; i < 16; i++) {
      flooder.write(chunk);
      // Others are served while the megabyte streams in.
      bob.send(`@alice:still here ${i}`);
      assert.equal(await alice.next(), `*bob* still here ${i}`);
      assert.ok(server.core.pendingBytes <= 4097, `server holds ${server.core.pendingBytes} bytes`);
    }
    flooder.write('\n');
    // Refused once, as soon as it went over, however long it went on.
    assert.equal(await flooder.next(), '! line too long (max 4096 bytes)');
    await flooder.expectNothing();
    flooder.send('back to normal');
    assert.equal(await alice.next(), '<flooder> back to normal');
  });

  test('invalid UTF-8 arrives as U+FFFD, NUL bytes are removed', async (t) => {
    const { port } = await startServer(t);
    const alice = await WireClient.registered(t, port, 'alice');
    const bob = await WireClient.registered(t, port, 'bob');
    await alice.lines.until(/bob joined/);
    bob.write(Buffer.concat([Buffer.from('bad '), Buffer.from([0xff, 0xc3, 0x28, 0x00, 0x00]), Buffer.from(' end\n')]));
    assert.equal(await alice.next(), '<bob> bad \ufffd\ufffd( end');
  });

  test('a megabyte of random bytes: every relayed line is clean and within the limit', async (t) => {
    // Flood control off: the thousands of lines in the noise are the point here. Relayed with
    // U+FFFD for its bad bytes it is about 2.5 MiB: a send queue that holds it, so that alice,
    // read slowly on a busy machine, is not cut off (--max-sendq: another test's point).
    const { server, port } = await startServer(t, { rate: 0, maxSendq: 16 * 1024 * 1024 });
    const alice = await WireClient.registered(t, port, 'alice');
    const noise = await WireClient.registered(t, port, 'noise');
    await alice.lines.until(/noise joined/);
    noise.write(randomBytes(1024 * 1024));
    noise.write('\nafter the noise\n');
    // The noise may hold "#name" lines: the sender may have renamed itself by now.
    const line = await alice.lines.until(/^<[A-Za-z0-9_-]+> after the noise$/);
    assert.ok(line);
    for (const l of alice.lines.seen) {
      assert.doesNotMatch(l, /[\x00-\x08\x0a-\x1f\x7f-\x9f]/);
      assert.ok(Buffer.byteLength(l) <= 4096 * 3 + 100, 'U+FFFD is 3 bytes for each bad byte at most');
    }
    assert.equal(server.core.connections, 2);
  });

  test('a client that drops mid-line: nothing half-sent is relayed, the others go on', async (t) => {
    const { server, port } = await startServer(t);
    const alice = await WireClient.registered(t, port, 'alice');
    const bob = await WireClient.registered(t, port, 'bob');
    await alice.lines.until(/bob joined/);
    bob.write('half a li');
    await until(() => server.core.pendingBytes === 9);
    // An RST, as when a network drops: the server holds half a line and then loses the peer.
    bob.socket.resetAndDestroy();
    assert.equal(await alice.next(), '* bob left');
    await alice.expectNothing();
  });

  test('a client that drops mid-registration leaves no trace', async (t) => {
    const { server, port } = await startServer(t);
    const alice = await WireClient.registered(t, port, 'alice');
    const c = await WireClient.connect(t, port);
    c.write('#bo');
    await until(() => server.core.pendingBytes === 3);
    c.socket.resetAndDestroy();
    await c.closed;
    const d = await WireClient.registered(t, port, 'bob');
    assert.equal(await alice.next(), '* bob joined');
    d.send('/who');
    assert.equal(await d.next(), '* online (2): alice, bob');
    assert.equal(server.core.connections, 2);
  });

  test('200 clients joining and leaving at once', async (t) => {
    const { server, port } = await startServer(t, { maxPerIp: 0 });
    const watcher = await WireClient.registered(t, port, 'watcher');
    const clients = await Promise.all(Array.from({ length: 200 }, (_, i) => WireClient.registered(t, port, `user${i}`)));
    const joined = new Set<string>();
    while (joined.size < 200) joined.add((await watcher.lines.until(/ joined$/)).slice(2, -7));
    watcher.send('/who');
    assert.match((await watcher.next()) ?? '', /^\* online \(201\): /);
    for (const c of clients) c.socket.destroy();
    const left = new Set<string>();
    while (left.size < 200) left.add((await watcher.lines.until(/ left$/)).slice(2, -5));
    watcher.send('/who');
    assert.equal(await watcher.next(), '* online (1): watcher');
    assert.equal(server.core.connections, 1);
  });

  test('a client that never reads is cut off at maxSendq; the others are served', async (t) => {
    const { server, port } = await startServer(t, { maxSendq: 64 * 1024, rate: 0 });
    const alice = await WireClient.registered(t, port, 'alice');
    const sleeper = await WireClient.registered(t, port, 'sleeper');
    await alice.lines.until(/sleeper joined/);
    sleeper.socket.pause();
    const talker = await WireClient.registered(t, port, 'talker');
    await alice.lines.until(/talker joined/);
    const line = `@sleeper:${'z'.repeat(1000)}`;
    let cut = false;
    void alice.lines.until(/^\* sleeper left \(send queue exceeded\)$/).then(() => (cut = true));
    for (let i = 0; i < 10_000 && !cut; i++) {
      talker.send(line);
      if (i % 100 === 0) await talker.sync();
    }
    assert.ok(cut, 'the sleeper was cut off');
    talker.send('@alice:still served');
    assert.equal(await alice.lines.until(/^\*talker\*/), '*talker* still served');
    assert.equal(server.core.connections, 2);
  });
});
