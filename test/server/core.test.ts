import { createCore } from '../../src/app/core.js';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Duplex, PassThrough } from 'node:stream';
import { test } from 'node:test';
import type { ChatCore } from '../../src/server/core.js';
import { LineQueue } from '../helpers/lines.js';
import { dm } from '../helpers/line-events.js';
import { waitFor } from '../helpers/wait.js';

/** Two connected in-memory streams: what one writes, the other reads. */
function duplexPair(): [Duplex, Duplex] {
  const ab = new PassThrough();
  const ba = new PassThrough();
  return [Duplex.from({ readable: ba, writable: ab }), Duplex.from({ readable: ab, writable: ba })];
}

test('the core serves any duplex stream: no socket needed', async () => {
  const core = createCore();
  const [serverSide, clientSide] = duplexPair();
  core.accept(serverSide, { host: 'memory', port: 1 });
  const lines = new LineQueue(clientSide, 'memory client');
  clientSide.on('end', () => clientSide.end()); // as a TCP socket without half-open does
  assert.equal(await lines.next(), '* connected from memory:1');
  await lines.until(/^\* welcome/);
  clientSide.write('#alice\n/who\n');
  assert.equal(await lines.next(), '* registered as alice');
  assert.equal(await lines.next(), '* online (1): alice');
  await core.close();
  assert.equal(await lines.next(), '* server shutting down');
  assert.equal(core.connections, 0);
});

test('a connection that closes while its name is being claimed leaves the name free', async () => {
  // A password check that answers when the test says: the client is gone by then.
  let answer: (ok: boolean) => void = () => {};
  let asked: () => void = () => {};
  const checking = new Promise<void>((resolve) => (asked = resolve));
  const auth = {
    has: () => true,
    isOperator: () => false,
    authenticate: () => {
      asked();
      return new Promise<boolean>((resolve) => (answer = resolve));
    },
  };
  const core = createCore({ auth });
  const [serverSide, clientSide] = duplexPair();
  core.accept(serverSide, { host: 'memory', port: 1 });
  const lines = new LineQueue(clientSide, 'memory client');
  clientSide.on('end', () => clientSide.end());
  await lines.until(/^\* welcome/);
  clientSide.write('#alice right\n');
  await checking;
  serverSide.destroy(); // the connection is reset, and the session closes
  await new Promise((resolve) => serverSide.once('close', resolve));
  answer(true);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(core.hub.lookup('alice'), undefined, 'nobody holds alice');
  assert.equal(await core.hub.claim('alice', { name: 'alice', deliver: () => {} }), 'claimed');
  await core.close();
});

/** A stream whose events the test makes, one turn at a time, and which keeps what is written to it. */
class ScriptedStream extends EventEmitter {
  written = '';
  writes = 0;
  ended = false;
  writableLength = 0;
  write(data: string | Buffer, done?: (err?: Error | null) => void): boolean {
    if (this.ended) throw new Error('written after end()');
    this.written += data.toString();
    this.writes++;
    done?.();
    return true;
  }
  end(): void {
    this.ended = true;
    this.destroy();
  }
  destroy(): void {
    if (this.#closing) return;
    this.#closing = true;
    setImmediate(() => this.emit('close'));
  }
  #closing = false;
  cork(): void {}
  uncork(): void {}
  pause(): void {}
  resume(): void {}
  say(text: string): void {
    this.emit('data', Buffer.from(text));
  }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A new connection to CORE from memory:PORT. */
function connect(core: ChatCore, port: number): ScriptedStream {
  const peer = new ScriptedStream();
  core.accept(peer as unknown as Duplex, { host: 'memory', port });
  return peer;
}

/** A connection to CORE from memory:PORT, registered as NAME once its turn is over. */
async function user(core: ChatCore, port: number, name: string): Promise<ScriptedStream> {
  const peer = connect(core, port);
  peer.say(`#${name}\n`);
  await nextTurn();
  return peer;
}

async function twoUsers(): Promise<{ core: ChatCore; alice: ScriptedStream; bob: ScriptedStream }> {
  const core = createCore({ flushMs: 0 });
  const alice = connect(core, 1);
  const bob = connect(core, 2);
  alice.say('#alice\n');
  bob.say('#bob\n');
  await nextTurn();
  assert.match(bob.written, /registered as bob/);
  return { core, alice, bob };
}

test('a peer that has finished sending gets the answers to its lines, with the chat of that turn', async () => {
  const { core, alice, bob } = await twoUsers();
  // In one turn: alice speaks, bob sends a last line and closes its side (printf ... | nc -N).
  alice.say('hello\n');
  bob.say('/ping last\n');
  bob.emit('end');
  assert.equal(bob.ended, true, 'closed once every line was answered');
  assert.match(bob.written, /\* pong last\n/);
  assert.match(bob.written, /<alice> hello\n/);
  await core.close();
});

test('a peer that has finished sending, its lines all answered, is sent no more chat: it has most likely gone', async () => {
  const { core, alice, bob } = await twoUsers();
  const before = bob.written;
  alice.say('hello\n');
  bob.emit('end');
  assert.equal(bob.ended, true);
  assert.equal(bob.written, before, 'nothing written to a peer that only closes');
  await waitFor(() => alice.written.includes('* bob left'), 'the others told');
  await core.close();
});

test('a peer that sends an empty line and closes at once still gets the greeting', async () => {
  const core = createCore({ flushMs: 0 });
  const peer = connect(core, 3);
  peer.say('\n');
  peer.emit('end');
  assert.equal(peer.ended, true);
  assert.match(peer.written, /^\* connected from memory:3\n\* welcome/);
  await core.close();
});

test('presence notices wait a moment for each other: joins in separate turns reach a member in one write, in order', async () => {
  // The wait is real time, 10 ms: three registrations on a busy machine may take longer.
  // A minute here, so that nothing but the wait decides; the first output ends it.
  const core = createCore({ flushMs: 0, noticeDelayMs: 60_000 });
  const alice = await user(core, 1, 'alice');
  const before = alice.writes;
  for (const [i, name] of ['bob', 'carol', 'dave'].entries()) await user(core, i + 2, name);
  assert.equal(alice.writes, before, 'nothing written yet');
  core.hub.direct('alice', dm('*dave* hi\n'));
  await waitFor(() => alice.written.includes('dave joined'), 'the notices');
  assert.equal(alice.writes, before + 1, 'one write for three notices and what came after them');
  assert.match(alice.written, /\* bob joined\n\* carol joined\n\* dave joined\n\*dave\* hi\n$/);
  await core.close();
});

test('a presence notice goes out by itself once the wait is over', async () => {
  const core = createCore({ flushMs: 0 });
  const alice = await user(core, 1, 'alice');
  await user(core, 2, 'bob');
  await waitFor(() => alice.written.includes('bob joined'), 'the notice, with nothing after it');
  await core.close();
});

test('a notice goes out with whatever comes after it, before it', async () => {
  const core = createCore({ flushMs: 0 });
  const alice = await user(core, 1, 'alice');
  const bob = await user(core, 2, 'bob');
  bob.say('@alice:hello\n');
  await nextTurn();
  assert.match(alice.written, /\* bob joined\n\*bob\* hello\n$/, 'the notice first, at once with the message');
  await core.close();
});

test('a member that closes while a notice waits for it is written nothing more, and the notice goes nowhere else', async () => {
  const core = createCore({ flushMs: 0 });
  const alice = await user(core, 1, 'alice');
  const carol = await user(core, 2, 'carol');
  await waitFor(() => alice.written.includes('carol joined'), 'carol announced');
  const before = carol.written;
  await user(core, 3, 'bob'); // a notice now waits for alice and carol
  carol.emit('end'); // carol goes before it is written: ScriptedStream throws on a write after end()
  await waitFor(() => alice.written.includes('* carol left'), 'alice told');
  assert.equal(carol.written, before, 'nothing written to carol after she closed');
  assert.doesNotMatch(alice.written, /bob joined[\s\S]*bob joined/, 'the notice once');
  await core.close();
});

/**
 * A connection's stream as the core sees it: the peer's lines, then its end; what the server
 * writes is taken at once, or never (a peer that stopped reading).
 */
function finishedPeer(input: string, takesWrites: boolean): { stream: Duplex; written: string[] } {
  const written: string[] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      written.push(chunk.toString());
      if (takesWrites) done();
    },
  });
  stream.push(input);
  stream.push(null);
  return { stream, written };
}

test('a plain TCP peer that has finished, with all written: closed at once, after its answer', async () => {
  const core = createCore();
  const { stream, written } = finishedPeer('#alice\n/ping bye\n', true);
  core.accept(stream, { host: 'memory', port: 1, closeEnds: true });
  await waitFor(() => stream.destroyed || stream.writableEnded, 'the session to close');
  assert.equal(stream.destroyed, true);
  assert.equal(stream.writableEnded, false, 'no end() first: closing the socket sends the FIN');
  assert.match(written.join(''), /\* pong bye\n$/);
  await core.close();
});

test('a plain TCP peer that has finished with answers still unwritten: ended, not cut off', async () => {
  const core = createCore();
  const { stream, written } = finishedPeer('#alice\n/ping bye\n', false);
  core.accept(stream, { host: 'memory', port: 1, closeEnds: true });
  await waitFor(() => stream.destroyed || stream.writableEnded, 'the session to close');
  assert.equal(stream.destroyed, false, 'what waits to be written is not dropped');
  assert.equal(stream.writableEnded, true);
  assert.ok(stream.writableLength > 0);
  assert.equal(written.length, 1, 'the peer took nothing: one write waits');
  stream.destroy();
  await core.close();
});

test('a peer whose end is a message of its own (TLS): ended, never just closed', async () => {
  const core = createCore();
  const { stream } = finishedPeer('#alice\n/ping bye\n', true);
  core.accept(stream, { host: 'memory', port: 1 });
  await waitFor(() => stream.destroyed || stream.writableEnded, 'the session to close');
  assert.equal(stream.writableEnded, true);
  await core.close();
});

test("after /quit the server keeps reading (and dropping) what still comes, so the peer's end is seen at once", async () => {
  const core = createCore({ flushMs: 0 });
  const [serverSide, clientSide] = duplexPair();
  core.accept(serverSide, { host: 'memory', port: 1 });
  const lines = new LineQueue(clientSide, 'memory client');
  await lines.until(/^\* welcome/);
  clientSide.write('#alice\n/quit bye\n');
  assert.equal(await lines.next(), '* registered as alice');
  await waitFor(() => core.connections === 0 || serverSide.writableEnded, 'the server to end its side');
  // Not paused again after the close (a pause would leave the peer's FIN unread until the grace timer).
  assert.equal(serverSide.isPaused(), false);
  clientSide.end();
  await waitFor(() => core.connections === 0, 'the connection to close once the peer ends');
  await core.close();
});
