import assert from 'node:assert/strict';
import { request } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { describe, test, type TestContext } from 'node:test';
import type { ChatServerOptions } from '../../src/index.js';
import type { ServerEvent } from '../../src/server/events.js';
import { PAGE_HEADERS } from '../../src/transport/web-page.js';
import { WEB_MAX_MESSAGE } from '../../src/transport/web.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { makeCerts } from '../helpers/certs.js';
import { startServer } from '../helpers/server.js';
import { WebClient } from '../helpers/web-client.js';
import { WireClient } from '../helpers/wire-client.js';

/** GET / on PORT of 127.0.0.1 with the headers given (Host among them): the status and the body. */
function get(port: number, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    })
      .on('error', reject)
      .end();
  });
}

/** A server with the web port, and its events (the log). */
async function web(t: TestContext, options: ChatServerOptions = {}) {
  const events: ServerEvent[] = [];
  const { server, port } = await startServer(t, { webPort: 0, onEvent: (e) => events.push(e), ...options });
  const at = server.webAddress;
  assert.ok(at);
  return { server, port, url: `ws://127.0.0.1:${at.port}/`, http: `http://127.0.0.1:${at.port}`, webPort: at.port, events };
}

describe('IRC over WebSocket (docs/web.md)', () => {
  test('a WebSocket user and an nc user: a room and direct messages both ways, nothing to anyone else', async (t) => {
    const { port, url } = await web(t);
    const dora = await WebClient.registered(t, url, 'dora');
    const nc = await WireClient.registered(t, port, 'nc');
    const other = await WireClient.registered(t, port, 'other');
    assert.equal(dora.ws.protocol, 'text.ircv3.net');
    dora.send('JOIN #lobby');
    await dora.lines.until(/ 366 dora #lobby /);
    nc.send('hello from nc');
    assert.equal(await dora.lines.until(/PRIVMSG #lobby/), ':nc!nc@chat PRIVMSG #lobby :hello from nc');
    dora.send('PRIVMSG #lobby :hello from the web');
    assert.equal(await nc.lines.until(/^<dora>/), '<dora> hello from the web');
    dora.send('PRIVMSG nc :a secret');
    assert.equal(await nc.lines.until(/^\*dora\*/), '*dora* a secret');
    nc.send('@dora:a secret back');
    assert.equal(await dora.lines.until(/PRIVMSG dora/), ':nc!nc@chat PRIVMSG dora :a secret back');
    await other.sync();
    assert.ok(!other.lines.seen.some((l) => l.includes('secret')), `a direct message reached another: ${other.lines.seen.join(' | ')}`);
    // Lines go one a message, without CR or LF.
    assert.ok(!dora.lines.seen.some((l) => l.includes('\r')));
    assert.equal(dora.binary, false);
  });

  test('subprotocols: binary.ircv3.net gets binary messages; the client order decides; none offered is text', async (t) => {
    const { url } = await web(t);
    const bin = await WebClient.registered(t, url, 'bin', ['binary.ircv3.net']);
    assert.equal(bin.ws.protocol, 'binary.ircv3.net');
    assert.equal(bin.binary, true);
    const first = await WebClient.connect(t, url, { protocols: ['text.ircv3.net', 'binary.ircv3.net'] });
    assert.equal(first.ws.protocol, 'text.ircv3.net');
    const none = await WebClient.connect(t, url);
    assert.equal(none.ws.protocol, '');
    none.send('PING :x');
    assert.match((await none.lines.next()) ?? '', /PONG|451/);
    assert.equal(none.binary, false);
  });

  test("Origin: the page's own and --web-origin's are served, another site's refused with 403 and logged; none is no browser, served", async (t) => {
    const { url, webPort, events } = await web(t, { webOrigins: ['https://chat.example.com'] });
    await WebClient.connect(t, url, { origin: `http://127.0.0.1:${webPort}` });
    await WebClient.connect(t, url, { origin: 'https://chat.example.com' });
    await WebClient.connect(t, url);
    await assert.rejects(WebClient.connect(t, url, { origin: 'https://evil.example' }), /HTTP 403/);
    await assert.rejects(WebClient.connect(t, url, { origin: `https://127.0.0.1:${webPort}` }), /HTTP 403/);
    await assert.rejects(WebClient.connect(t, url, { origin: 'null' }), /HTTP 403/);
    assert.ok(events.some((e) => e.type === 'reject' && e.code === 'web-origin' && e.detail === 'https://evil.example'));
  });

  test("Host: IP addresses, localhost, this machine's name and --web-origin's hosts are served; another name gets 421 saying to give --web-origin", async (t) => {
    const { url, webPort, events } = await web(t, { webOrigins: ['https://chat.example.com'] });
    const name = os.hostname();
    for (const host of [
      `127.0.0.1:${webPort}`,
      '10.1.2.3',
      `[::1]:${webPort}`,
      `localhost:${webPort}`,
      'chat.localhost',
      `${name}:${webPort}`,
      name.toUpperCase(),
      'chat.example.com',
      `CHAT.Example.com:${webPort}`,
      'chat.example.com.',
    ]) {
      assert.equal((await get(webPort, { host })).status, 200, host);
    }
    for (const host of [`rebind.example:${webPort}`, 'other.chat.example.com', 'localhost.rebind.example', 'chat.example.com.rebind.example', 'x/y']) {
      const res = await get(webPort, { host });
      assert.equal(res.status, 421, host);
      for (const [header, value] of Object.entries(PAGE_HEADERS)) assert.equal(res.headers[header], value, `${header} on 421 for ${host}`);
    }
    const refused = await get(webPort, { host: `rebind.example:${webPort}` });
    assert.equal(
      refused.body,
      `This server does not answer to the name rebind.example:${webPort}: start chat-server with --web-origin http://rebind.example:${webPort} if that is its name.\n`,
    );
    // The WebSocket: the page's own at localhost and at a --web-origin name (another port
    // than its --web-origin: the name counts), served; at another name, 421 and logged.
    await WebClient.connect(t, url, { origin: `http://localhost:${webPort}`, headers: { host: `localhost:${webPort}` } });
    await WebClient.connect(t, url, { origin: `http://chat.example.com:${webPort}`, headers: { host: `chat.example.com:${webPort}` } });
    await assert.rejects(WebClient.connect(t, url, { headers: { host: 'evil.example' } }), /HTTP 421/);
    assert.ok(events.some((e) => e.type === 'reject' && e.code === 'web-host' && e.detail === 'evil.example'));
    assert.ok(!events.some((e) => e.type === 'reject' && e.code !== 'web-host'), 'only the name was refused');
  });

  test('X-Forwarded-Proto and X-Forwarded-Host: believed from a --trusted-proxy, ignored from anyone else', async (t) => {
    const name = os.hostname().toLowerCase();
    const https = { origin: `https://${name}`, headers: { host: name, 'x-forwarded-proto': 'https' } };
    // Not a proxy: its X-Forwarded-Proto changes nothing (the port speaks HTTP), nor its
    // X-Forwarded-Host (the Host is what counts).
    const direct = await web(t);
    await assert.rejects(WebClient.connect(t, direct.url, https), /HTTP 403/);
    assert.ok(direct.events.some((e) => e.type === 'reject' && e.code === 'web-origin' && e.detail === `https://${name}`));
    await WebClient.connect(t, direct.url, { origin: `http://${name}`, headers: { host: name, 'x-forwarded-proto': 'https' } });
    assert.equal((await get(direct.webPort, { host: 'rebind.example', 'x-forwarded-host': 'localhost' })).status, 421);
    assert.equal((await get(direct.webPort, { host: 'localhost', 'x-forwarded-host': 'rebind.example' })).status, 200);
    // A proxy: what it says is taken, both ways.
    const proxied = await web(t, { trustedProxies: ['127.0.0.1'] });
    await WebClient.connect(t, proxied.url, https);
    await assert.rejects(WebClient.connect(t, proxied.url, { origin: `http://${name}`, headers: https.headers }), /HTTP 403/);
    await assert.rejects(WebClient.connect(t, proxied.url, { origin: `https://${name}`, headers: { host: name } }), /HTTP 403/);
    // Apache's mod_proxy: its own upstream name as Host, the browser's in X-Forwarded-Host.
    const upstream = `127.0.0.1:${proxied.webPort}`;
    await WebClient.connect(t, proxied.url, { origin: `https://${name}`, headers: { host: upstream, 'x-forwarded-host': name, 'x-forwarded-proto': 'https' } });
    await assert.rejects(
      WebClient.connect(t, proxied.url, {
        origin: 'https://rebind.example',
        headers: { host: upstream, 'x-forwarded-host': 'rebind.example', 'x-forwarded-proto': 'https' },
      }),
      /HTTP 421/,
    );
    const refused = await get(proxied.webPort, { host: upstream, 'x-forwarded-host': 'rebind.example', 'x-forwarded-proto': 'https' });
    assert.match(refused.body, /--web-origin https:\/\/rebind\.example if that is its name/);
  });

  test('a message over the limit closes with 1009; a text message that is not UTF-8 with 1007; the server goes on', async (t) => {
    const { url } = await web(t);
    const big = await WebClient.registered(t, url, 'big');
    big.send(`PRIVMSG #lobby :${'x'.repeat(WEB_MAX_MESSAGE)}`);
    assert.equal(await big.closed, 1009);
    const bad = await WebClient.registered(t, url, 'bad');
    // ws checks what it sends: the bytes go as a frame of our own, a text frame (opcode 1).
    const frame = Buffer.concat([Buffer.from([0x81, 0x80 | 4]), Buffer.alloc(4), Buffer.from([0x63, 0x61, 0x66, 0xe9])]);
    (bad.ws as unknown as { _socket: net.Socket })._socket.write(frame);
    assert.equal(await bad.closed, 1007);
    const after = await WebClient.registered(t, url, 'after');
    after.send('PING :still');
    assert.match(await after.lines.until(/PONG/), /still/);
  });

  test('an IRC line too long for IRC gets 417, as over TCP, and the connection goes on', async (t) => {
    const { url } = await web(t);
    const c = await WebClient.registered(t, url, 'longer');
    c.send(`PRIVMSG longer :${'y'.repeat(600)}`);
    assert.match(await c.lines.until(/ 417 /), / 417 longer /);
    c.send('PING :ok');
    assert.match(await c.lines.until(/PONG/), /ok/);
  });

  test("the handshake: RFC 6455's accept value; a request that is not a WebSocket upgrade gets 400; frames sent with the request are read", async (t) => {
    const { webPort } = await web(t);
    /** What the server answers to REQUEST (bytes as latin1) on a raw socket, once UNTIL matches it or the server has closed. */
    const exchange = (request: string, until: RegExp): Promise<string> =>
      new Promise((resolve, reject) => {
        const s = net.connect({ host: '127.0.0.1', port: webPort }, () => s.write(Buffer.from(request, 'latin1')));
        t.after(() => s.destroy());
        let seen = '';
        s.setEncoding('latin1');
        s.on('data', (d: string) => {
          seen += d;
          if (until.test(seen)) resolve(seen);
        });
        s.on('close', () => resolve(seen));
        s.on('error', reject);
      });
    const upgrade = (lines: string[]): string => `${['GET / HTTP/1.1', 'Host: 127.0.0.1', ...lines].join('\r\n')}\r\n\r\n`;
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    for (const [what, lines] of [
      ['Upgrade: h2c', ['Connection: Upgrade', 'Upgrade: h2c', 'Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${key}`]],
      ['version 8', ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 8', `Sec-WebSocket-Key: ${key}`]],
      ['no key', ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13']],
    ] as const) {
      const answer = await exchange(upgrade([...lines]), /\r\n\r\n[\s\S]*\n/);
      assert.match(answer, /^HTTP\/1\.1 400 /, what);
      assert.match(answer, /sec-websocket-version: 13/i, what);
    }
    // RFC 6455, 1.3's own example: this key's accept value is s3pPLMBiTxaQ9kYGzzhZRbK+xOo=.
    // A PING framed and masked (zero mask) sent with the request, before any answer.
    const ping = Buffer.concat([Buffer.from([0x81, 0x80 | 7]), Buffer.alloc(4), Buffer.from('PING :x')]).toString('latin1');
    const request = upgrade([
      'Connection: Upgrade',
      'Upgrade: websocket',
      'Sec-WebSocket-Version: 13',
      `Sec-WebSocket-Key: ${key}`,
      'Sec-WebSocket-Protocol: foo, binary.ircv3.net, text.ircv3.net',
    ]);
    const answer = await exchange(request + ping, /PONG/);
    assert.match(answer, /^HTTP\/1\.1 101 /);
    assert.match(answer, /\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/i);
    assert.match(answer, /\r\nsec-websocket-protocol: binary\.ircv3\.net\r\n/i);
    // The answer to the PING, as a binary frame (opcode 2) not masked.
    assert.match(answer, /\x82[\s\S]:\S+ PONG \S+ :x$/);
  });

  test('HTTP: the security headers on every answer, 405 for other methods, 404 elsewhere', async (t) => {
    const { http } = await web(t);
    for (const [method, path, status] of [
      ['GET', '/no-such-file', 404],
      ['POST', '/', 405],
      ['GET', '/../package.json', 404],
    ] as const) {
      const res = await fetch(`${http}${path}`, { method });
      assert.equal(res.status, status, `${method} ${path}`);
      for (const [name, value] of Object.entries(PAGE_HEADERS)) assert.equal(res.headers.get(name), value, `${name} on ${method} ${path}`);
    }
  });

  test("X-Forwarded-For counts only from a --trusted-proxy: the per-address limit is the client's", async (t) => {
    const { url, events } = await web(t, { trustedProxies: ['127.0.0.1'], maxPerIp: 1 });
    await WebClient.connect(t, url, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    await WebClient.connect(t, url, { headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.8' } });
    const third = await WebClient.connect(t, url, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    assert.match(await third.lines.until(/ERROR/), /Too many connections from your address/);
    const connects = events.filter((e) => e.type === 'connect').map((e) => (e as { peer: string }).peer.replace(/:\d+$/, ''));
    assert.deepEqual(connects, ['203.0.113.7', '203.0.113.8']);
  });

  test("without --trusted-proxy, X-Forwarded-For is anyone's to write: ignored", async (t) => {
    const { url, events } = await web(t);
    await WebClient.connect(t, url, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    assert.deepEqual(
      events.filter((e) => e.type === 'connect').map((e) => (e as { peer: string }).peer.replace(/:\d+$/, '')),
      ['127.0.0.1'],
    );
  });

  test('sockets that never finish their request count against the per-address limit, then nothing more is taken', async (t) => {
    const { url, events } = await web(t, { maxPerIp: 5 });
    const sockets: net.Socket[] = [];
    t.after(() => {
      for (const s of sockets) s.destroy();
    });
    const u = new URL(url);
    for (let i = 0; i < 5; i++) {
      const s = net.connect({ host: u.hostname, port: Number(u.port) });
      sockets.push(s);
      await new Promise((resolve) => s.once('connect', resolve));
      s.write('GET / HTTP/1.1\r\nHost: x\r\n');
    }
    // The sixth is closed at once, before any byte is read.
    const sixth = net.connect({ host: u.hostname, port: Number(u.port) });
    sockets.push(sixth);
    await new Promise((resolve) => sixth.once('close', resolve));
    assert.ok(events.some((e) => e.type === 'reject' && e.code === 'too-many-connections'));
    // Once one gives up, a WebSocket comes in.
    sockets[0]!.destroy();
    await new Promise((resolve) => sockets[0]!.once('close', resolve));
    for (let tries = 0; ; tries++) {
      try {
        await WebClient.connect(t, url);
        break;
      } catch (err) {
        // The server may not have seen the close yet: it is a FIN away.
        if (tries > 50) throw err;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  });

  test("a --trusted-proxy's unfinished requests count in --max-clients, not in its address's --max-per-ip", async (t) => {
    const { url, webPort, events } = await web(t, { trustedProxies: ['127.0.0.1'], maxPerIp: 1, maxClients: 3 });
    const sockets: net.Socket[] = [];
    t.after(() => {
      for (const s of sockets) s.destroy();
    });
    const open = async (): Promise<net.Socket> => {
      const s = net.connect({ host: '127.0.0.1', port: webPort });
      sockets.push(s);
      await new Promise((resolve) => s.once('connect', resolve));
      s.write('GET / HTTP/1.1\r\nHost: x\r\n');
      return s;
    };
    await open();
    await open();
    // Two pending from the proxy, past its --max-per-ip of 1: a client's WebSocket comes in.
    const c = await WebClient.connect(t, url, { headers: { 'x-forwarded-for': '203.0.113.50' } });
    c.send('PING :in');
    assert.match(await c.lines.until(/PONG/), /in/);
    // Three in all: the next is closed at once.
    const fourth = net.connect({ host: '127.0.0.1', port: webPort });
    sockets.push(fourth);
    await new Promise((resolve) => fourth.once('close', resolve));
    assert.ok(events.some((e) => e.type === 'reject' && e.code === 'too-many-connections'));
  });

  test("with a certificate: HTTPS and WSS on the web port, the page's https origin accepted, and SIGHUP's reload takes a new certificate", async (t) => {
    const certs = makeCerts(t);
    const { server, webPort } = await web(t, { tls: { cert: certs.cert, key: certs.key } });
    const ca = readFileSync(certs.ca);
    const url = `wss://localhost:${webPort}/`;
    const wss = await WebClient.connect(t, url, { origin: `https://localhost:${webPort}`, tls: { ca } });
    wss.send('PING :secure');
    assert.match(await wss.lines.until(/PONG/), /secure/);
    await assert.rejects(WebClient.connect(t, url, { origin: `http://localhost:${webPort}`, tls: { ca } }), /HTTP 403/);
    // Renewed: the files now hold a certificate of another CA; new connections get it.
    writeFileSync(certs.cert, readFileSync(certs.otherCert));
    writeFileSync(certs.key, readFileSync(certs.otherKey));
    server.reload();
    await assert.rejects(WebClient.connect(t, url, { tls: { ca } }), /self-signed|unable to verify|certificate/);
    const renewed = await WebClient.connect(t, url, { tls: { ca: readFileSync(certs.otherCa) } });
    renewed.send('PING :renewed');
    assert.match(await renewed.lines.until(/PONG/), /renewed/);
  });
});
