import assert from 'node:assert/strict';
import { Duplex, PassThrough } from 'node:stream';
import { test } from 'node:test';
import { ChatCore } from '../../src/server/core.js';
import { LineQueue } from '../helpers/lines.js';

/** Two connected in-memory streams: what one writes, the other reads. */
function duplexPair(): [Duplex, Duplex] {
  const ab = new PassThrough();
  const ba = new PassThrough();
  return [Duplex.from({ readable: ba, writable: ab }), Duplex.from({ readable: ab, writable: ba })];
}

test('the core serves any duplex stream: no socket needed', async () => {
  const core = new ChatCore();
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
  const core = new ChatCore({ auth });
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
