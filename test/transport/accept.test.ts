import assert from 'node:assert/strict';
import type net from 'node:net';
import { test } from 'node:test';
import type { ChatCore } from '../../src/server/core.js';
import type { Peer } from '../../src/server/host.js';
import { acceptInto } from '../../src/transport/tcp.js';

test('a plain TCP connection may be closed at once when done; a TLS one is ended (its end is a message)', () => {
  const seen: Peer[] = [];
  const core = { accept: (_stream: unknown, peer: Peer) => void seen.push(peer) } as unknown as ChatCore;
  const socket = { remoteAddress: '::ffff:192.0.2.7', remotePort: 4321 } as net.Socket;
  acceptInto(core, 'tcp')(socket);
  acceptInto(core, 'tls')(socket);
  assert.deepEqual(
    seen.map((p) => [p.host, p.port, p.closeEnds]),
    [
      ['192.0.2.7', 4321, true],
      ['192.0.2.7', 4321, false],
    ],
  );
});
