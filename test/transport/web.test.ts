import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test, type TestContext } from 'node:test';
import type { ChatServerOptions } from '../../src/index.js';
import type { ServerEvent } from '../../src/server/events.js';
import { PAGE_HEADERS, WEB_MAX_MESSAGE } from '../../src/transport/web.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { makeCerts } from '../helpers/certs.js';
import { startServer } from '../helpers/server.js';
import { WebClient } from '../helpers/web-client.js';
import { WireClient } from '../helpers/wire-client.js';

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
