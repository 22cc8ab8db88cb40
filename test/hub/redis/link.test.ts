import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { leaveOldPrimary, Link } from '../../../src/hub/redis/link.js';
import type { HubState } from '../../../src/hub/redis/state.js';

/** A connection as leaveOldPrimary and Link see it: its status, where it is connected, its events. */
class FakeConnection extends EventEmitter {
  dropped = 0;
  constructor(
    public status: string,
    public stream: { remoteAddress?: string; remotePort?: number; connecting?: boolean } | undefined,
  ) {
    super();
  }
  disconnect(): void {
    this.dropped++;
    this.status = 'reconnecting';
    this.emit('close');
  }
  connected = 0;
  connect(): Promise<void> {
    this.connected++;
    this.status = 'connecting';
    return Promise.resolve();
  }
}

/** What Link.down touches of the hub's state, up, with its log lines kept in LOGGED. */
function state(cmd: FakeConnection, reader: FakeConnection) {
  const logged: string[] = [];
  const s = {
    cmd,
    reader,
    url: 'redis+sentinel://127.0.0.1:26379/chat',
    up: true,
    closed: false,
    readMax: '0-0',
    readAtOutage: undefined,
    dropReason: undefined as string | undefined,
    canary: { reset: () => {} },
    holders: { clear: () => {} },
    evictionsDue: new Set<string>(),
    events: { log: (line: string) => logged.push(line) },
  };
  return { s, logged };
}

test('leaveOldPrimary drops a connection that is up, or on its way, to another node, and says why', () => {
  const there = new FakeConnection('ready', { remoteAddress: '::ffff:10.0.0.2', remotePort: 6380 });
  const elsewhere = new FakeConnection('ready', { remoteAddress: '10.0.0.1', remotePort: 6380 });
  const otherPort = new FakeConnection('ready', { remoteAddress: '10.0.0.2', remotePort: 6379 });
  // In its ready check on the old primary (frozen: its INFO is not answered yet).
  const checking = new FakeConnection('connect', { remoteAddress: '10.0.0.1', remotePort: 6380 });
  const checkingThere = new FakeConnection('connect', { remoteAddress: '10.0.0.2', remotePort: 6380 });
  // Told where to go before the failover, its socket connecting: it may be going to the old one.
  const connecting = new FakeConnection('connecting', { connecting: true });
  // Still asking the sentinels (its last socket closed, or none yet): dropped now, ioredis
  // would end it for good; it goes where they say.
  const asking = new FakeConnection('connecting', { remoteAddress: '10.0.0.1', remotePort: 6380, connecting: false });
  const askingFirst = new FakeConnection('connecting', undefined);
  // Waiting out its backoff to reconnect: it goes at once, and asks the sentinels where to.
  const waiting = new FakeConnection('reconnecting', undefined);
  const s = { dropReason: undefined as string | undefined };
  leaveOldPrimary([there, checkingThere, asking, askingFirst, waiting], ['10.0.0.2'], 6380, s);
  assert.deepEqual(
    [there, checkingThere, asking, askingFirst, waiting].map((c) => c.dropped),
    [0, 0, 0, 0, 0],
    'already on the new primary (an IPv4-mapped address counts), or still to ask the sentinels',
  );
  assert.equal(waiting.connected, 1, 'no backoff once there is a primary again');
  assert.equal(s.dropReason, undefined, 'nothing dropped, nothing to say');
  const all = [there, elsewhere, otherPort, checking, checkingThere, connecting, asking, askingFirst, waiting];
  leaveOldPrimary(all, ['10.0.0.2'], 6380, s);
  assert.deepEqual(
    all.map((c) => c.dropped),
    [0, 1, 1, 1, 0, 1, 0, 0, 0],
  );
  assert.deepEqual(
    all.map((c) => c.connected),
    [0, 0, 0, 0, 0, 0, 0, 0, 1],
    'only the one that was waiting was made to connect, once (by the first announcement)',
  );
  assert.equal(s.dropReason, 'Sentinel moved the primary to 10.0.0.2:6380');
});

test("an outage the watch caused is logged with the move, not ioredis's older error; the next one with its own", () => {
  const cmd = new FakeConnection('ready', { remoteAddress: '10.0.0.1', remotePort: 6379 });
  const reader = new FakeConnection('ready', { remoteAddress: '10.0.0.1', remotePort: 6379 });
  const { s, logged } = state(cmd, reader);
  const link = new Link(s as unknown as HubState, () => {});
  // An error from long ago (a retry during the last outage): not why we leave now.
  cmd.emit('error', new Error('connect ECONNREFUSED 10.0.0.9:6379'));
  leaveOldPrimary([cmd, reader], ['10.0.0.2'], 6380, s);
  assert.equal(cmd.dropped + reader.dropped, 2);
  assert.deepEqual(logged, [
    "lost Redis at redis+sentinel://127.0.0.1:26379/chat (Sentinel moved the primary to 10.0.0.2:6380): serving this server's users only until it is back",
  ]);
  assert.equal(s.dropReason, undefined, 'said once');
  // Back, then lost for a reason of its own.
  s.up = true;
  cmd.emit('error', new Error('read ECONNRESET'));
  cmd.emit('close');
  assert.equal(logged[1], "lost Redis at redis+sentinel://127.0.0.1:26379/chat (read ECONNRESET): serving this server's users only until it is back");
  // A reason given outright comes first.
  s.up = true;
  s.dropReason = 'Sentinel moved the primary to 10.0.0.3:6380';
  link.down('no answer on the stream connection');
  assert.match(logged[2]!, /\(no answer on the stream connection\)/);
  assert.equal(s.dropReason, undefined);
});
