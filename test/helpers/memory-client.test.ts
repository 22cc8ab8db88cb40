import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatCore } from '../../src/server/core.js';
import { MemoryClient, memoryPair, registered, startCore } from './memory-client.js';
import { waitFor } from './wait.js';

/** The memory client itself: what the tests that use it rely on. */

test('registered(core, name): connected, greeted and registered, with no socket; two users talk', async (t) => {
  const { core } = startCore(t);
  const alice = await registered(core, 'alice');
  assert.match(alice.lines.seen[0]!, /^\* connected from 127\.0\.0\.1:\d+$/);
  assert.match(alice.lines.seen[1]!, /^\* welcome/);
  assert.equal(alice.lines.seen.at(-1), '* registered as alice');
  assert.ok(alice.session, 'the core made a session for it');
  const bob = await registered(core, 'bob');
  assert.equal(await alice.next(), '* bob joined');
  alice.send('@bob:hi');
  assert.equal(await bob.next(), '*alice* hi');
  bob.send('/who');
  assert.equal(await bob.next(), '* online (2): alice, bob');
  await alice.expectNothing();
  assert.equal(core.connections, 2);
});

test('waitFor: a line, a pattern or a test; the line is returned, the ones before it skipped', async (t) => {
  const { core } = startCore(t, { rate: 0 });
  const c = await registered(core, 'carol');
  c.send('/ping one');
  c.send('/ping two');
  c.send('/ping three');
  c.send('/ping four');
  assert.equal(await c.waitFor('* pong two'), '* pong two');
  assert.equal(await c.waitFor(/^\* pong t/), '* pong three');
  assert.equal(await c.waitFor((line) => line.endsWith('four')), '* pong four');
  await c.expectNothing();
});

test('waitFor fails, saying what it waited for and what came, when the line never comes', async (t) => {
  const { core } = startCore(t);
  const c = await registered(core, 'dave');
  c.send('/ping late');
  await assert.rejects(c.waitFor('* pong never', 50), (err: Error) => {
    assert.match(err.message, /^dave: no line matching "\* pong never" within 50 ms; last lines:\n/);
    assert.match(err.message, /\* pong late$/, 'the lines that did come');
    return true;
  });
  // Nothing was lost to the failed wait's guard: the client goes on.
  await c.expectNothing();
  // A connection that ends first fails at once, whatever the timeout.
  c.send('/quit');
  await assert.rejects(c.waitFor(/^\* pong/, 60_000), /^Error: dave: ended before a line matched \/\^\\\* pong\/; last lines:/);
});

test('bytes split across chunks are whole lines, and whole characters, on both sides', async (t) => {
  // Server to client: a line and a two-byte character cut between writes.
  const [near, far] = memoryPair();
  const c = MemoryClient.over(near, 'split');
  far.write(Buffer.from('* one\n* t'));
  far.write(Buffer.from([0xc3]));
  far.write(Buffer.from([0xa9, 0x0a, 0x2a]));
  far.end(Buffer.from(' last\n'));
  assert.deepEqual(await c.lines.rest(), ['* one', '* té', '* last']);

  // Client to server: a registration and a command cut anywhere, a character included.
  const { core } = startCore(t);
  const erin = MemoryClient.connect(core, 'erin');
  await erin.waitFor(/^\* welcome/);
  const bytes = Buffer.from('#erin\n/ping café\n');
  for (let i = 0; i < bytes.length; i += 3) erin.write(bytes.subarray(i, i + 3));
  assert.equal(await erin.next(), '* registered as erin');
  assert.equal(await erin.next(), '* pong café');
});

test('end() is a half-close: what was sent is answered, then the server closes', async (t) => {
  const { core } = startCore(t);
  const c = MemoryClient.connect(core, 'frank');
  await c.waitFor(/^\* welcome/);
  c.end('#frank\n/ping bye\n');
  assert.deepEqual(await c.lines.rest(), ['* registered as frank', '* pong bye']);
  await c.closed;
});

test('close() closes the connection: the core forgets it and the room hears who left', async (t) => {
  const { core } = startCore(t);
  const grace = await registered(core, 'grace');
  const heidi = await registered(core, 'heidi');
  await grace.waitFor('* heidi joined');
  await heidi.close();
  assert.equal(await grace.next(), '* heidi left');
  assert.equal(core.connections, 1);
  assert.equal(core.hub.lookup('heidi'), undefined);
});

test('a client that does not read holds the server back, as a socket does', async (t) => {
  const { core } = startCore(t, { rate: 0, maxSendq: 64 * 1024 * 1024 });
  const slow = await registered(core, 'slow');
  slow.stream.pause();
  // Replies pile up in the server's write queue, not in the client's hands.
  const ping = `/ping ${'x'.repeat(1000)}\n`.repeat(200);
  slow.write(ping);
  const session = slow.session!;
  await waitFor(() => session.queuedBytes >= 16 * 1024, 'replies to wait in the server');
  slow.stream.resume();
  for (let i = 0; i < 200; i++) assert.match((await slow.next()) ?? '', /^\* pong x{1000}$/);
  assert.equal(session.queuedBytes, 0);
});

test('startCore: when the test ends, every client and the core are closed', async (t) => {
  let core: ChatCore | undefined;
  let clients: MemoryClient[] = [];
  await t.test('a test that leaves its clients open', async (inner) => {
    ({ core } = startCore(inner));
    clients = [await registered(core, 'ivan'), await registered(core, 'judy'), MemoryClient.connect(core, 'stranger')];
  });
  assert.equal(core!.connections, 0);
  for (const c of clients) {
    assert.equal(c.stream.destroyed, true, `${c.label} is closed`);
    assert.equal(c.lines.ended, true);
  }
  // Closed: it takes no one new.
  const late = MemoryClient.connect(core!, 'late');
  assert.equal(late.session, undefined);
  assert.equal(await late.next(), '* server shutting down');
});
