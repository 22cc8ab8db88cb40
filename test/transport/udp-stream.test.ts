import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { HelloTokens, TOKEN_LENGTH } from '../../src/transport/hello-token.js';
import { INBOX_BYTES, UdpStream } from '../../src/transport/udp-stream.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('UdpStream', () => {
  test('datagrams in become LF-ended lines; empty ones become nothing', async () => {
    const stream = new UdpStream(() => {});
    const got: string[] = [];
    stream.on('data', (b: Buffer) => got.push(b.toString()));
    stream.receive(Buffer.from('a\nb'));
    stream.receive(Buffer.alloc(0));
    stream.receive(Buffer.from('c\n'));
    await turn();
    assert.equal(got.join(''), 'a\nb\nc\n');
  });

  test('writes go out once per event-loop turn, packed into datagrams; write() never pushes back', async () => {
    const sent: string[] = [];
    const stream = new UdpStream((p) => sent.push(p.toString()));
    for (let i = 0; i < 100; i++) assert.equal(stream.write(`line ${i} ${'x'.repeat(40)}\n`), true);
    assert.deepEqual(sent, [], 'nothing before the turn ends');
    await turn();
    assert.ok(sent.length > 1 && sent.length < 10);
    assert.equal(sent.join(''), Array.from({ length: 100 }, (_, i) => `line ${i} ${'x'.repeat(40)}\n`).join(''));
    assert.ok(stream.write(`${'x'.repeat(1 << 20)}\n`), 'a megabyte is taken too: nothing queues');
  });

  test('end() sends what is left at once, then the stream closes', async () => {
    const sent: string[] = [];
    const stream = new UdpStream((p) => sent.push(p.toString()));
    stream.resume();
    stream.write('* bye\n');
    stream.end();
    await once(stream, 'close');
    assert.deepEqual(sent, ['* bye\n']);
    assert.equal(stream.receive(Buffer.from('late')), false);
  });

  test('a reader that does not read holds at most INBOX_BYTES: a one-byte flood is dropped beyond it', () => {
    const stream = new UdpStream(() => {});
    stream.pause();
    let taken = 0;
    for (let i = 0; i < 100_000; i++) if (stream.receive(Buffer.from('x'))) taken++;
    assert.ok(stream.heldBytes <= INBOX_BYTES);
    assert.ok(taken < 1100, `${taken} taken`);
    // One datagram is always taken, however big: it is answered, not silently lost.
    const big = new UdpStream(() => {});
    big.pause();
    assert.equal(big.receive(Buffer.alloc(65_507)), true);
    assert.equal(big.receive(Buffer.from('x')), false);
    big.destroy();
    stream.destroy();
  });
});

describe('HelloTokens', () => {
  test('a token proves one address and port, for its window and the next', () => {
    let now = 0;
    const tokens = new HelloTokens(() => now, 60_000);
    const token = tokens.issue('127.0.0.1', 5000);
    assert.equal(token.length, TOKEN_LENGTH);
    assert.ok(tokens.verify('127.0.0.1', 5000, token));
    assert.ok(!tokens.verify('127.0.0.1', 5001, token));
    assert.ok(!tokens.verify('127.0.0.2', 5000, token));
    assert.ok(!new HelloTokens(() => now).verify('127.0.0.1', 5000, token), 'another server (secret) does not take it');
    now = 119_999;
    assert.ok(tokens.verify('127.0.0.1', 5000, token));
    now = 120_000;
    assert.ok(!tokens.verify('127.0.0.1', 5000, token));
    for (const bad of ['', 'x', token.slice(1), `${token}=`, '!'.repeat(TOKEN_LENGTH)]) assert.ok(!tokens.verify('127.0.0.1', 5000, bad));
  });
});
