import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { describe, test, type TestContext } from 'node:test';
import { ChatConnection } from '../../src/client/connection.js';
import { LineQueue } from '../helpers/lines.js';
import { PassThrough } from 'node:stream';

/** A scripted UDP "server": every datagram it gets is a line in `heard`; it answers by hand. */
async function fakeServer(t: TestContext) {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  t.after(() => socket.close());
  const feed = new PassThrough();
  const heard = new LineQueue(feed, 'fake server');
  let client: dgram.RemoteInfo | undefined;
  socket.on('message', (m, from) => {
    client = from;
    feed.write(m.toString().endsWith('\n') ? m : `${m.toString()}\n`);
  });
  const say = (text: string): void => void socket.send(text, client!.port, client!.address);
  return { port: socket.address().port, heard, say };
}

describe('the UDP client socket against a scripted server', () => {
  test('a late duplicate hello line is checked with a ping, not taken for a lost session', async (t) => {
    const server = await fakeServer(t);
    const connecting = ChatConnection.connect({ host: '127.0.0.1', port: server.port, udp: { keepaliveMs: 60_000 } });
    assert.equal(await server.heard.next(), '/hello');
    server.say('* send /hello AAAAAAAAAAAA to start\n');
    assert.equal(await server.heard.next(), '/hello AAAAAAAAAAAA');
    server.say('* connected from 127.0.0.1:1\n* welcome\n');
    const conn = await connecting;
    t.after(() => conn.close());
    const lines: string[] = [];
    conn.on('line', (l) => lines.push(l.raw));

    // The first answer again, late, and the answer to a hello sent twice.
    server.say('* send /hello AAAAAAAAAAAA to start\n');
    server.say('* connected from 127.0.0.1:1\n');
    const probe = (await server.heard.next()) ?? '';
    assert.match(probe, /^\/ping udp-keepalive-[0-9a-f]+$/);
    server.say(`* pong ${probe.slice(6)}\n`);
    server.say('<bob> still here\n');
    await conn.waitFor((l) => l.raw === '<bob> still here');
    assert.deepEqual(lines, ['* connected from 127.0.0.1:1', '* welcome', '<bob> still here'], 'no hello, no second "connected", no pong');
    assert.ok(!conn.closed);

    // Now the server really has forgotten us: the probe gets a hello line too.
    const closed = new Promise<void>((resolve) => conn.once('close', () => resolve()));
    server.say('* send /hello BBBBBBBBBBBB to start\n');
    await server.heard.until(/^\/ping udp-keepalive-/);
    server.say('* send /hello BBBBBBBBBBBB to start\n');
    await closed;
  });

  test('no answer at all: a sentence that names --udp-port, after the tries', async (t) => {
    const server = await fakeServer(t);
    const err = await ChatConnection.connect({ host: '127.0.0.1', port: server.port, udp: { retryMs: 20, tries: 3 } }).catch((e: Error) => e);
    assert.ok(err instanceof Error);
    assert.match(err.message, /^no answer from 127\.0\.0\.1:\d+ over UDP: is chat-server running there with --udp-port \d+\? A firewall may also drop UDP\.$/);
    assert.deepEqual([await server.heard.next(), await server.heard.next(), await server.heard.next()], ['/hello', '/hello', '/hello']);
  });
});
