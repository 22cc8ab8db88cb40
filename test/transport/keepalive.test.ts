import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { describe, test, type TestContext } from 'node:test';
import { makeCerts } from '../helpers/certs.js';
import { runServer } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The server's side of the connection from CLIENTPORT to PORT, as Linux lists it: its timer
 * ("tr", 2 for keepalive) and the clock ticks until it fires. Undefined until it is listed.
 */
function serverSide(port: number, clientPort: number): { timer: number; ticks: number } | undefined {
  const hex = (n: number): string => n.toString(16).toUpperCase().padStart(4, '0');
  // tcp6 is missing where IPv6 is turned off.
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6'].filter((f) => existsSync(f))) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 6 || !f[1]!.endsWith(`:${hex(port)}`) || !f[2]!.endsWith(`:${hex(clientPort)}`)) continue;
      const [timer, ticks] = f[5]!.split(':').map((x) => parseInt(x, 16));
      return { timer: timer!, ticks: ticks! };
    }
  }
  return undefined;
}

/** Connects, waits for the greeting, then for the server's side to be idle with its keepalive timer set. */
async function checkKeepalive(t: TestContext, port: number, connect: () => net.Socket): Promise<void> {
  const socket = connect();
  t.after(() => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once('data', () => resolve());
    socket.once('error', reject);
  });
  let side: ReturnType<typeof serverSide>;
  // Right after a write the retransmit timer runs instead, until the bytes are acknowledged.
  await waitFor(() => (side = serverSide(port, socket.localPort!))?.timer === 2, 'the keepalive timer on the server side');
  // The first probe after a minute of silence (USER_HZ is 100 on Linux).
  assert.ok(side!.ticks > 50 * 100 && side!.ticks <= 60 * 100, `the first probe in ${side!.ticks / 100} s`);
}

// Linux shows a socket's timers in /proc; elsewhere there is nothing to read them from.
describe('TCP keepalive on accepted connections', { skip: !existsSync('/proc/net/tcp') && 'no /proc/net/tcp here' }, () => {
  test('a plain connection: the first probe after a minute of silence', async (t) => {
    const server = await runServer(t);
    await checkKeepalive(t, server.port, () => net.connect(server.port, '127.0.0.1'));
  });

  test('a TLS connection too', async (t) => {
    const certs = makeCerts(t);
    const server = await runServer(t, ['--tls-cert', certs.cert, '--tls-key', certs.key]);
    await checkKeepalive(t, server.port, () => tls.connect({ port: server.port, host: '127.0.0.1', ca: readFileSync(certs.ca) }));
  });
});
