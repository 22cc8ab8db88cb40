import { createCore } from '../../src/app/core.js';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { describe, test, type TestContext } from 'node:test';
import { bind, tcpServer, tuneAccepted } from '../../src/transport/tcp.js';
import { makeCerts } from '../helpers/certs.js';
import { runServer } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The server's side of the connection from CLIENTPORT to PORT, as Linux lists it: its timer
 * ("tr", 2 for keepalive) and the clock ticks until it fires. Undefined until it is listed.
 */
function serverSide(port: number, clientPort: number): { timer: number; ticks: number; inode: string } | undefined {
  const hex = (n: number): string => n.toString(16).toUpperCase().padStart(4, '0');
  // tcp6 is missing where IPv6 is turned off.
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6'].filter((f) => existsSync(f))) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 6 || !f[1]!.endsWith(`:${hex(port)}`) || !f[2]!.endsWith(`:${hex(clientPort)}`)) continue;
      const [timer, ticks] = f[5]!.split(':').map((x) => parseInt(x, 16));
      return { timer: timer!, ticks: ticks!, inode: f[9]! };
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

/** The file descriptor, in this process, of the server's side of the connection from CLIENTPORT to PORT. */
async function serverFd(port: number, clientPort: number): Promise<number> {
  let inode: string | undefined;
  await waitFor(() => (inode = serverSide(port, clientPort)?.inode) !== undefined, 'the connection in /proc/net/tcp');
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === `socket:[${inode}]`) return Number(fd);
    } catch {} // gone since listed (readdir's own)
  }
  throw new Error(`no descriptor of this process is socket ${inode}`);
}

/** The socket options the kernel reports for FD, read by python3 through a copy of it. */
async function optionsOf(fd: number): Promise<{ noDelay: number; keepAlive: number; idleSeconds: number }> {
  const script = [
    'import socket',
    's = socket.socket(fileno=3)',
    'print(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY), s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE), s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE))',
  ].join('\n');
  const child = spawn('python3', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit', fd] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const code = await new Promise((resolve) => child.once('close', resolve));
  assert.equal(code, 0, `python3 could not read the options: ${out}`);
  const [noDelay, keepAlive, idleSeconds] = out.trim().split(' ').map(Number);
  return { noDelay: noDelay!, keepAlive: keepAlive!, idleSeconds: idleSeconds! };
}

/** Connects, waits for the first bytes, and reads the options of the server's side. */
async function acceptedOptions(t: TestContext, port: number, connect: () => net.Socket): ReturnType<typeof optionsOf> {
  const socket = connect();
  t.after(() => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once('data', () => resolve());
    socket.once('error', reject);
  });
  return optionsOf(await serverFd(port, socket.localPort!));
}

const expected = { noDelay: 1, keepAlive: 1, idleSeconds: 60 };
const noPython = spawnSync('python3', ['--version'], { stdio: 'ignore' }).status !== 0;

// Linux passes a listener's options on to the sockets it accepts; src/transport/tcp.ts sets
// them there, or on each socket where it cannot. Either way the kernel must report them.
describe('no-delay and keepalive as the kernel reports them', {
  skip: (!existsSync('/proc/self/fd') && 'no /proc here') || (noPython && 'no python3 here'),
}, () => {
  test('on a plain connection', async (t) => {
    const { port } = await startServer(t);
    assert.deepEqual(await acceptedOptions(t, port, () => net.connect(port, '127.0.0.1')), expected);
  });

  test('on a TLS connection', async (t) => {
    const certs = makeCerts(t);
    const { port } = await startServer(t, { tls: { cert: certs.cert, key: certs.key } });
    assert.deepEqual(await acceptedOptions(t, port, () => tls.connect({ port, host: '127.0.0.1', ca: readFileSync(certs.ca) })), expected);
  });

  test('on a connection the kernel completed before the listener had them', async (t) => {
    const core = createCore();
    const server = tcpServer(core);
    const connect =
      'import socket, sys\ns = socket.create_connection(("127.0.0.1", int(sys.argv[1])))\nprint(s.getsockname()[1], flush=True)\nsys.stdin.read()';
    let client: ReturnType<typeof spawn> | undefined;
    let port = 0;
    let early = false;
    // Runs before bind's own listener, which sets up the listener's options: this holds the
    // event loop until the kernel has completed a connection, made before the listener had
    // them, that waits in the accept queue.
    server.once('listening', () => {
      port = (server.address() as net.AddressInfo).port;
      client = spawn('python3', ['-c', connect, String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
      const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
      const listed = (): boolean =>
        readFileSync('/proc/net/tcp', 'utf8')
          .split('\n')
          .some((line) => {
            const f = line.trim().split(/\s+/);
            return f[1]?.endsWith(hex) === true && f[3] === '01';
          });
      // Not an assert here: a throw would keep bind's listener from running (checked below).
      const deadline = Date.now() + 10_000;
      while (!(early = listed()) && Date.now() < deadline);
    });
    const bound = bind(server, core, '127.0.0.1', 0);
    t.after(async () => {
      client?.kill();
      await bound.catch(() => {});
      await core.close();
      await new Promise((resolve) => server.close(resolve));
    });
    await bound;
    assert.ok(early, 'python3 connected within 10 s');
    const clientPort = await new Promise<number>((resolve, reject) => {
      client!.stdout!.setEncoding('utf8').once('data', (text: string) => resolve(Number(text.trim())));
      client!.once('exit', (code) => reject(new Error(`python3 exited (${code}) before saying its port`)));
    });
    assert.deepEqual(await optionsOf(await serverFd(port, clientPort)), expected);
  });

  test('on a socket whose listener passed nothing on, set one by one', async (t) => {
    const accepted = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      tuneAccepted(server, socket);
      accepted.add(socket);
      socket.write('hello\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(async () => {
      for (const socket of accepted) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });
    const port = (server.address() as net.AddressInfo).port;
    assert.deepEqual(await acceptedOptions(t, port, () => net.connect(port, '127.0.0.1')), expected);
  });
});
