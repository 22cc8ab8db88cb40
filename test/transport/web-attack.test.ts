import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { describe, test, type TestContext } from 'node:test';
import v8 from 'node:v8';
import tls from 'node:tls';
import vm from 'node:vm';
import type { ChatServerOptions } from '../../src/index.js';
import type { ServerEvent } from '../../src/server/events.js';
import { PAGE_HEADERS } from '../../src/transport/web-page.js';
import { makeCerts } from '../helpers/certs.js';
import { startServer } from '../helpers/server.js';
import { WebClient } from '../helpers/web-client.js';
import { WireClient } from '../helpers/wire-client.js';

/*
 * An attacker's review of the web port (docs/web.md): each test is a finding, and fails on
 * the server as it is. Clients here are raw sockets where the attack needs frames or requests
 * that a WebSocket library would not make.
 */

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const TEXT = 0x1;
const CLOSE = 0x8;
const PING = 0x9;
const PONG = 0xa;

/**
 * The raw sockets of each test, destroyed before its server closes (a server closing waits
 * for a WebSocket's close handshake, which these clients never answer).
 */
const rawSockets = new WeakMap<TestContext, net.Socket[]>();

/** A server with the web port, and its events (the log). */
async function web(t: TestContext, options: ChatServerOptions = {}) {
  const events: ServerEvent[] = [];
  rawSockets.set(t, []);
  t.after(() => {
    for (const s of rawSockets.get(t) ?? []) s.destroy();
  });
  const { server, port } = await startServer(t, { webPort: 0, onEvent: (e) => events.push(e), ...options });
  const at = server.webAddress;
  assert.ok(at);
  return { server, port, url: `ws://127.0.0.1:${at.port}/`, webPort: at.port, events };
}

/** A client frame: masked with a zero key (the payload reads as it is), FIN set unless FIN is false. */
function frame(opcode: number, payload: Buffer | string, fin = true): Buffer {
  const p = Buffer.from(payload);
  const n = p.length;
  const first = (fin ? 0x80 : 0) | opcode;
  const head = n < 126 ? Buffer.from([first, 0x80 | n]) : Buffer.from([first, 0x80 | 126, n >> 8, n & 0xff]);
  return Buffer.concat([head, Buffer.alloc(4), p]);
}

/** A WebSocket client made of a socket: the handshake, frames as given, the server's frames as read. */
class RawWs {
  readonly frames: { opcode: number; payload: Buffer }[] = [];
  /** The server ended or closed the socket. */
  ended = false;
  #buf = Buffer.alloc(0);
  #wake: (() => void) | undefined;

  private constructor(readonly socket: net.Socket) {}

  static async open(t: TestContext, port: number, host = '127.0.0.1', headers: Record<string, string> = {}): Promise<RawWs> {
    const socket = net.connect({ host, port });
    rawSockets.get(t)?.push(socket);
    socket.on('error', () => {});
    const c = new RawWs(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('close', () => reject(new Error('closed before connecting')));
    });
    const all: Record<string, string> = {
      Host: `${net.isIPv6(host) ? `[${host}]` : host}:${port}`,
      Upgrade: 'websocket',
      Connection: 'Upgrade',
      'Sec-WebSocket-Key': crypto.randomBytes(16).toString('base64'),
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Protocol': 'text.ircv3.net',
      ...headers,
    };
    socket.write(
      `GET / HTTP/1.1\r\n${Object.entries(all)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('')}\r\n`,
    );
    await new Promise<void>((resolve, reject) => {
      let head = Buffer.alloc(0);
      const onData = (d: Buffer): void => {
        head = Buffer.concat([head, d]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        const status = head.subarray(0, end).toString();
        if (!status.startsWith('HTTP/1.1 101')) return reject(new Error(status.split('\r\n')[0]));
        c.#read(head.subarray(end + 4));
        socket.on('data', (more: Buffer) => c.#read(more));
        resolve();
      };
      socket.on('data', onData);
      socket.once('close', () => reject(new Error('closed before 101')));
    });
    const gone = (): void => {
      c.ended = true;
      c.#wake?.();
    };
    socket.once('end', gone);
    socket.once('close', gone);
    return c;
  }

  send(opcode: number, payload: Buffer | string): void {
    this.socket.write(frame(opcode, payload));
  }

  /** Resolves with the first frame read that matches, waiting for it. */
  async until(match: (f: { opcode: number; payload: Buffer }) => boolean, timeoutMs = 8000): Promise<{ opcode: number; payload: Buffer }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      if (this.ended || Date.now() > deadline) throw new Error(`no such frame; got ${this.frames.map((f) => `${f.opcode}:${f.payload}`).join(' | ')}`);
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, 100);
      });
    }
  }

  #read(d: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, d]);
    for (;;) {
      const b = this.#buf;
      if (b.length < 2) break;
      let n = b[1]! & 0x7f;
      let at = 2;
      if (n === 126) {
        if (b.length < 4) break;
        n = b.readUInt16BE(2);
        at = 4;
      } else if (n === 127) {
        if (b.length < 10) break;
        n = Number(b.readBigUInt64BE(2));
        at = 10;
      }
      if (b.length < at + n) break;
      this.frames.push({ opcode: b[0]! & 0x0f, payload: b.subarray(at, at + n) });
      this.#buf = b.subarray(at + n);
    }
    this.#wake?.();
  }
}

/** Polls CHECK (a state the server reaches by itself) every 20 ms, for at most MS. */
async function eventually(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

const MIB = 1024 * 1024;
/** 490 unsolicited pongs (the server ignores them): 64 KiB, a read of the server's socket with what follows. */
const PADDING = Buffer.concat(Array<Buffer>(490).fill(frame(PONG, Buffer.alloc(125, 0x61))));

/**
 * Writes WRITE(i) COUNT times to C's socket (the server is in this process), or as much as
 * the server reads (one that stops reading is the right answer), and measures what the
 * process holds in buffers after a full collection once the server has read it.
 */
async function heldAfter(c: RawWs, write: (i: number) => Buffer, count: number): Promise<{ bytes: number; text: string }> {
  gc();
  const before = process.memoryUsage().arrayBuffers;
  let stalled = false;
  let sent = 0;
  for (let i = 0; i < count && !stalled && !c.ended; i++) {
    const bytes = write(i);
    sent += bytes.length;
    if (!c.socket.write(bytes)) {
      stalled = !(await Promise.race([
        new Promise<boolean>((resolve) => c.socket.once('drain', () => resolve(true))),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1000)),
      ]));
    }
  }
  // What the kernel still holds is read by then.
  let held = 0;
  for (let i = 0; i < 10; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    gc();
    held = process.memoryUsage().arrayBuffers - before;
  }
  return {
    bytes: held,
    text: `${(held / MIB).toFixed(1)} MiB of ${(sent / MIB).toFixed(1)} MiB sent (server stopped reading: ${stalled}, closed: ${c.ended})`,
  };
}

describe('the web port under attack (docs/web.md)', () => {
  test('memory: a one-line message read with 64 KiB of control frames keeps its own bytes, not the whole read, while it waits for flood control', async (t) => {
    const { webPort } = await web(t);
    const c = await RawWs.open(t, webPort);
    // 490 unsolicited pongs (ignored) and one message "\n" (an empty line, which costs a
    // flood-control token): one read of the server's socket each. Past the burst the lines
    // wait; were each a 1-byte view of its 64 KiB read (as ws's messages were: subarrays of
    // what the socket read), the stream's buffer would count it as 1 byte, 16384 of them
    // before the socket is paused.
    const held = await heldAfter(c, () => Buffer.concat([PADDING, frame(TEXT, '\n')]), 1024);
    assert.ok(held.bytes < 16 * MIB, `one WebSocket made the server hold ${held.text}`);
  });

  test('memory: an unfinished fragmented message keeps its bytes, not the 64 KiB reads its 1-byte fragments came in', async (t) => {
    const { webPort } = await web(t);
    const c = await RawWs.open(t, webPort);
    // A text message never finished: a first frame and continuations of 1 byte each (512
    // bytes in all, far under the 10 KiB limit), each after 64 KiB of pongs in its read. A
    // reader that kept the fragments as views of their reads would keep every whole read.
    // No flood control, no registration needed, and no timer ends an unfinished message.
    const held = await heldAfter(c, (i) => Buffer.concat([PADDING, i === 0 ? frame(TEXT, 'P', false) : frame(0, 'x', false)]), 512);
    assert.ok(held.bytes < 16 * MIB, `one unfinished message made the server hold ${held.text}`);
  });

  test('--max-sendq: a WebSocket that never reads is cut off; the others are served', async (t) => {
    const { server, port, webPort, events } = await web(t, { maxSendq: 64 * 1024, rate: 0 });
    const alice = await WireClient.registered(t, port, 'alice');
    const sleeper = await RawWs.open(t, webPort);
    sleeper.send(TEXT, 'NICK sleeper');
    sleeper.send(TEXT, 'USER sleeper 0 * :s');
    await sleeper.until((f) => / 422 sleeper /.test(f.payload.toString()));
    sleeper.socket.pause();
    const talker = await WireClient.registered(t, port, 'talker');
    const cut = (): boolean => events.some((e) => e.type === 'leave' && e.name === 'sleeper' && e.code === 'send-queue-exceeded');
    // Direct messages of 1 KB to the sleeper: what it does not read piles up in the server
    // (its socket's buffer, then the stream's) until the send queue is exceeded.
    for (let i = 0; i < 20_000 && !cut(); i++) {
      talker.send(`@sleeper:${'z'.repeat(1000)}`);
      if (i % 100 === 0) await talker.sync();
    }
    assert.ok(cut(), 'the sleeper was cut off');
    talker.send('@alice:still served');
    assert.equal(await alice.lines.until(/^\*talker\*/), '*talker* still served');
    assert.equal(server.core.connections, 2);
  });

  test('flood control pauses a WebSocket and resumes it: lines past the burst wait, then every one is answered', async (t) => {
    // The session pauses the stream (its 'pause') and resumes it: the socket under it must
    // not be read meanwhile, and must be read again after, or the connection hangs.
    // 200 lines of 400 bytes: past the burst they wait, 80 KB, more than the 64 KiB of input
    // a session holds before it pauses its stream.
    const { url } = await web(t, { rate: 200, burst: 10 });
    const c = await WebClient.registered(t, url, 'paced');
    const pad = 'x'.repeat(400);
    for (let i = 0; i < 200; i++) c.send(`PING :${pad}${i}`);
    await c.lines.until(/PONG .*x199$/);
    assert.equal(c.lines.seen.filter((l) => / PONG /.test(l)).length, 200);
    c.send('PING :after');
    await c.lines.until(/PONG .* :after$/);
  });

  test('pings: a flood of 6-byte pings gets a pong a read at most (the last ping of each), and the connection goes on', async (t) => {
    // Flood control off: with it, the pings' bytes are charged (the next test), and the
    // PING line below would wait for their tokens.
    const { webPort } = await web(t, { rate: 0 });
    const c = await RawWs.open(t, webPort);
    // 100,000 pings in 10 writes of 60 KB: each a frame the server must answer, were every one answered.
    for (let w = 0; w < 10; w++) c.socket.write(Buffer.concat(Array.from({ length: 10_000 }, (_, i) => frame(PING, `${w * 10_000 + i}`))));
    c.send(PING, 'last');
    await c.until((f) => f.opcode === PONG && f.payload.toString() === 'last');
    const pongs = c.frames.filter((f) => f.opcode === PONG).length;
    assert.ok(pongs <= 200, `${pongs} pongs for 100,001 pings`);
    c.send(TEXT, 'PING :alive');
    await c.until((f) => f.opcode === TEXT && /PONG .* :alive/.test(f.payload.toString()));
  });

  test('sockets: a WebSocket the server closed is gone soon even if the peer never answers its close frame, or it counts against --max-per-ip', async (t) => {
    const { webPort, server } = await web(t, { maxPerIp: 1 });
    const clients: RawWs[] = [];
    for (let i = 0; i < 3; i++) {
      let c: RawWs | undefined;
      for (let tries = 0; c === undefined; tries++) {
        try {
          c = await RawWs.open(t, webPort);
        } catch (err) {
          // The one before still counts: wait for it to go, as a fixed server makes it go.
          if (tries > 150) throw err;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      clients.push(c);
      c.send(TEXT, 'QUIT :bye');
      // The server's close frame: it is done with us. We never answer it, nor read on.
      await c.until((f) => f.opcode === CLOSE);
      assert.ok(await eventually(() => server.core.connections === 0, 5000), 'the session never ended');
    }
    // Each session ended about a second after its QUIT (the close grace); its socket stays
    // open for ws's close timeout (30 s), counted nowhere: one address holds 30 times
    // --max-per-ip sockets (and past --max-clients), QUIT after QUIT.
    const closed = await eventually(() => clients.every((c) => c.ended), 3000);
    assert.ok(closed, `${clients.filter((c) => !c.ended).length} of 3 sockets still open with --max-per-ip 1, their sessions over`);
  });

  test('lines: what a WebSocket sent before closing is all handled, as over TCP, flood control or not (the QUIT reason too)', async (t) => {
    const { url, port } = await web(t);
    const watcher = await WireClient.registered(t, port, 'watcher');
    const w = await WebClient.registered(t, url, 'webby');
    w.send('JOIN #lobby');
    await w.lines.until(/ 366 webby #lobby /);
    await watcher.lines.until(/webby joined/);
    // 60 lines: 40 go at once (the burst), 20 wait for the rate; then QUIT and a clean close.
    for (let i = 0; i < 60; i++) w.send(`PRIVMSG #lobby :line ${i}`);
    w.send('QUIT :done');
    w.ws.close(1000);
    const left = await watcher.lines.until(/^\* webby left/);
    const said = watcher.lines.seen.filter((l) => /^<webby> line /.test(l)).length;
    assert.deepEqual(
      { said, left },
      { said: 60, left: '* webby left (done)' },
      'a TCP client that sends the same and its FIN gets all 60 lines and its reason through',
    );
  });

  test('--trusted-proxy: the address given is trusted, not every address of its IPv6 /64', async (t) => {
    const events: ServerEvent[] = [];
    const { server } = await startServer(t, { host: '::1', webPort: 0, trustedProxies: ['::2'], onEvent: (e) => events.push(e) });
    const webPort = server.webAddress!.port;
    // ::1 is not the proxy (::2), but shares its /64 (addressKey): its X-Forwarded-For is believed.
    const c = await WebClient.connect(t, `ws://[::1]:${webPort}/`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    c.send('PING :x');
    await c.lines.until(/PONG/);
    const peers = events.filter((e) => e.type === 'connect').map((e) => (e as { peer: string }).peer);
    assert.ok(!peers.some((p) => p.startsWith('203.0.113.7')), `a peer that is not the proxy set its own address: ${peers.join(', ')}`);
  });

  test('Origin: a page on another name that resolves to this server (DNS rebinding) is not this page: refused', async (t) => {
    const { url, webPort, events } = await web(t);
    // A browser on http://rebind.example:PORT/ (the attacker's name, rebound to this server's
    // address) sends that Origin, and that Host: they match, so the check passes.
    // docs/web.md, "Security": the server answers only to names it knows, the page (421) and
    // the WebSocket alike; the refusal is logged as such (web-host), not as an origin's.
    const origin = `http://rebind.example:${webPort}`;
    await assert.rejects(WebClient.connect(t, url, { origin, headers: { host: `rebind.example:${webPort}` } }), /HTTP 421/);
    assert.ok(events.some((e) => e.type === 'reject' && e.code === 'web-host' && e.detail === `rebind.example:${webPort}`));
    const page = await new Promise<number>((resolve, reject) =>
      http
        .get({ host: '127.0.0.1', port: webPort, path: '/', headers: { host: `rebind.example:${webPort}` } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject),
    );
    assert.equal(page, 421, 'the page itself, loaded at the rebound name');
  });

  test('--max-per-ip: the page a browser loaded (its connection kept alive, idle) holds no slot its WebSocket needs', async (t) => {
    const { url, webPort } = await web(t, { maxPerIp: 1 });
    const agent = new http.Agent({ keepAlive: true });
    t.after(() => agent.destroy());
    const status = await new Promise<number>((resolve, reject) =>
      http
        .get({ host: '127.0.0.1', port: webPort, path: '/', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
        .on('error', reject),
    );
    assert.equal(status, 200);
    // The page is served; the browser opens its WebSocket, while its page connection idles
    // (Node's keep-alive: 5 s), and still counts as a socket not a WebSocket yet.
    const c = await WebClient.connect(t, url);
    c.send('PING :in');
    assert.match(await c.lines.until(/PONG/), /in/);
  });

  test("--trusted-proxy: one client's unfinished requests through the proxy do not refuse another client's WebSocket", async (t) => {
    const { url, webPort } = await web(t, { trustedProxies: ['127.0.0.1'], maxPerIp: 2 });
    // Two requests the proxy forwards and that are not finished yet (a slow client's, or
    // the proxy's idle upstream connections): pending, counted for the proxy's address.
    const slow: net.Socket[] = [];
    t.after(() => {
      for (const s of slow) s.destroy();
    });
    for (let i = 0; i < 2; i++) {
      const s = net.connect({ host: '127.0.0.1', port: webPort });
      slow.push(s);
      await new Promise((resolve) => s.once('connect', resolve));
      s.write('GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 198.51.100.66\r\n');
    }
    // Another client, through the same proxy: within its own --max-per-ip, it is refused.
    const c = await WebClient.connect(t, url, { headers: { 'x-forwarded-for': '203.0.113.50' } });
    c.send('PING :other');
    assert.match(await c.lines.until(/PONG/), /other/);
  });

  test("Origin: behind a --trusted-proxy that ends TLS, the page's own https origin is its own, not another site's", async (t) => {
    const { url } = await web(t, { trustedProxies: ['127.0.0.1'] });
    // docs/web.md, "Behind a reverse proxy": the page is https://NAME/, the proxy speaks plain
    // HTTP to this port and says so (X-Forwarded-Proto), passing the Host on. The check
    // wants http: here, so the page's own WebSocket gets 403 unless the operator also finds
    // --web-origin, which the docs give for "a page you host elsewhere".
    // NAME is this machine's host name, one the server answers to without --web-origin
    // (docs/web.md, "Security": DNS rebinding); another public name takes --web-origin
    // https://NAME, which names the server and allows that page at once.
    const name = os.hostname().toLowerCase();
    const c = await WebClient.connect(t, url, {
      origin: `https://${name}`,
      headers: { host: name, 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' },
    });
    c.send('PING :proxied');
    assert.match(await c.lines.until(/PONG/), /proxied/);
  });

  test('IRC over WebSocket: a message is one IRC line; an LF in it does not make a second command', async (t) => {
    const { url, port } = await web(t);
    const nc = await WireClient.registered(t, port, 'nc');
    const w = await WebClient.registered(t, url, 'webby');
    // docs/web.md: "Each message is one IRC line without CR or LF". A web client (or a paste
    // into one) that leaves an LF in a text makes the rest a command of its own.
    w.send('PRIVMSG #lobby :hello\r\nPRIVMSG nc :injected command');
    w.send('PING :done');
    await w.lines.until(/PONG.*done/);
    await nc.sync();
    assert.ok(!nc.lines.seen.some((l) => l === '*webby* injected command'), `the second line ran as a command: ${nc.lines.seen.join(' | ')}`);
  });

  test('HTTP: the security headers on every answer, the 403 of a refused Origin and the 400 of a bad upgrade too', async (t) => {
    const { webPort } = await web(t);
    const answer = async (request: string): Promise<string> => {
      const s = net.connect({ host: '127.0.0.1', port: webPort });
      t.after(() => s.destroy());
      let out = '';
      s.on('data', (d: Buffer) => {
        out += d.toString('latin1');
      });
      s.write(request);
      await new Promise((resolve) => s.once('close', resolve));
      return out.split('\r\n\r\n')[0]!.toLowerCase();
    };
    const upgrade = (extra: string): string =>
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${webPort}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`;
    const forbidden = await answer(upgrade('Sec-WebSocket-Version: 13\r\nOrigin: https://evil.example\r\n'));
    const bad = await answer(upgrade('Sec-WebSocket-Version: 99\r\n'));
    assert.match(forbidden, /^http\/1.1 403/);
    assert.match(bad, /^http\/1.1 400/);
    const missing = (head: string): string[] =>
      Object.entries(PAGE_HEADERS)
        .filter(([name, value]) => !head.includes(`${name}: ${value}`.toLowerCase()))
        .map(([name]) => name);
    assert.deepEqual({ 403: missing(forbidden), 400: missing(bad) }, { 403: [], 400: [] });
  });
  test('flood control: frames that carry no line (pongs, pings whose pongs are never read, empty fragments of a message never ended) are read without end; an endless TCP line is not', async (t) => {
    const { webPort, port } = await web(t);
    const LIMIT = 32 * MIB;
    /** Writes CHUNK to SOCKET until LIMIT bytes: whether the server stopped reading them (no drain for 1 s), closed, or read them all. */
    const pump = async (socket: net.Socket, chunk: Buffer): Promise<string> => {
      let gone = false;
      socket.once('close', () => (gone = true));
      for (let sent = 0; sent < LIMIT; sent += chunk.length) {
        if (gone) return 'held back';
        if (!socket.write(chunk)) {
          const drained = await Promise.race([
            new Promise<boolean>((resolve) => socket.once('drain', () => resolve(true))),
            new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1000)),
          ]);
          if (!drained) return 'held back';
        }
      }
      return gone ? 'held back' : `all ${LIMIT / MIB} MiB read`;
    };
    const results: Record<string, string> = {};
    // An endless line over TCP is thrown away, but not for free (Session: a flood-control
    // token per 4 KiB): past the burst the server stops reading it, after about 4 MiB here.
    const tcp = net.connect({ host: '127.0.0.1', port });
    t.after(() => tcp.destroy());
    tcp.on('error', () => {});
    await new Promise((resolve) => tcp.once('connect', resolve));
    results['TCP: an endless line'] = await pump(tcp, Buffer.alloc(64 * 1024, 0x61));
    // The web port's cheapest frames reach no flood control: 6 bytes each, parsed (and a
    // pong's payload copied) one by one, never a line. ws (before) closed a message of more
    // than 16,384 fragments (1008: maxFragments) and cut a peer with 60 pongs unsent
    // (maxPendingAutoPongs); the frame reader has neither limit. Measured on a 2-core box,
    // one client sending empty pongs at 22 MiB/s kept the server's thread busy: an IRC
    // client's PING took a median 113 ms instead of 1 (four such clients: 508 ms).
    const kinds: [string, Buffer, Buffer?][] = [
      ['web: empty pongs', frame(PONG, '')],
      ['web: empty pings, the pongs never read', frame(PING, '')],
      ['web: empty continuation frames (FIN=0) of a message never ended', frame(0, '', false), frame(TEXT, 'PRIVMSG #lobby :', false)],
    ];
    for (const [what, one, first] of kinds) {
      const c = await RawWs.open(t, webPort);
      c.socket.pause();
      if (first !== undefined) c.socket.write(first);
      results[what] = await pump(c.socket, Buffer.concat(Array<Buffer>(Math.floor((64 * 1024) / one.length)).fill(one)));
      c.socket.destroy();
    }
    assert.deepEqual(results, Object.fromEntries(Object.keys(results).map((k) => [k, 'held back'])));
  });

  test('TLS: a rule broken in the frames sent with the request gets its close frame (1002, 1009) over TLS as it does over TCP', async (t) => {
    const certs = makeCerts(t);
    const plain = await web(t);
    const secure = await web(t, { tls: { cert: certs.cert, key: certs.key } });
    const ca = readFileSync(certs.ca);
    // A client may send frames right behind its request (web.test: "frames sent with the
    // request are read"). One that breaks a rule gets a close frame saying which, then the
    // end; over TLS the socket is destroyed (WebSocketStream._destroy) while the 101's write
    // is still pending there, and the close frame behind it is dropped: the client sees a
    // connection gone without a close frame (1006), not 1002 or 1009.
    const cases: [string, Buffer, number][] = [
      ['an unmasked frame', Buffer.from([0x81, 0x02, 0x68, 0x69]), 1002],
      ['a frame of 64 KiB', Buffer.concat([Buffer.from([0x81, 0xff, 0, 0, 0, 0, 0, 1, 0, 0]), Buffer.alloc(4)]), 1009],
    ];
    const results: Record<string, string> = {};
    const expected: Record<string, string> = {};
    for (const secured of [false, true]) {
      for (const [what, bad, code] of cases) {
        const port = secured ? secure.webPort : plain.webPort;
        const socket: net.Socket = secured ? tls.connect({ host: '127.0.0.1', servername: 'localhost', port, ca }) : net.connect({ host: '127.0.0.1', port });
        t.after(() => socket.destroy());
        socket.on('error', () => {});
        await new Promise((resolve) => socket.once(secured ? 'secureConnect' : 'connect', resolve));
        let got = Buffer.alloc(0);
        socket.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
        const request = `GET / HTTP/1.1\r\nHost: localhost:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
        socket.write(Buffer.concat([Buffer.from(request), bad]));
        await new Promise((resolve) => socket.once('close', resolve));
        const at = got.indexOf('\r\n\r\n');
        const rest = got.subarray(at + 4);
        const key = `${secured ? 'TLS' : 'TCP'}: ${what}`;
        results[key] = at < 0 ? 'no 101' : rest.length >= 4 && (rest[0]! & 0x0f) === CLOSE ? `close frame ${rest.readUInt16BE(2)}` : 'no close frame';
        expected[key] = `close frame ${code}`;
      }
    }
    assert.deepEqual(results, expected);
  });
});
