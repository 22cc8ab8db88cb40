/**
 * The load generator's WebSocket frames must be what a server reads as one message a line:
 * they are read back here by ws's own Receiver, as chat-server's web port reads them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Writable } from 'node:stream';
import * as ws from 'ws';
import { frameLines, ServerFrames } from '../../bench/web-frames.js';
import { framesOf } from '../../src/transport/web-socket-stream.js';

/** ws's frame parser, which @types/ws does not declare: a Writable that emits each message. */
const Receiver = (ws as unknown as { Receiver: new (options: { isServer: boolean; maxPayload: number }) => Writable }).Receiver;

/** The messages a server's ws Receiver reads from BYTES, fed in pieces of STEP bytes. */
async function receive(bytes: Buffer, step = bytes.length): Promise<string[]> {
  // ws unmasks in place: a copy leaves BYTES as they were.
  bytes = Buffer.from(bytes);
  const receiver = new Receiver({ isServer: true, maxPayload: 1 << 20 });
  const messages: string[] = [];
  receiver.on('message', (data: Buffer, isBinary: boolean) => {
    assert.equal(isBinary, false, 'a text frame');
    messages.push(data.toString());
  });
  receiver.on('error', (err) => assert.fail(err));
  for (let i = 0; i < bytes.length; i += step) receiver.write(bytes.subarray(i, i + step));
  // Writes after the first are buffered by the Writable and parsed on a later tick.
  await new Promise((resolve) => receiver.end(resolve));
  return messages;
}

test('frames: each line one masked text message, the LF not sent', async () => {
  const lines = ['NICK c1', 'USER c1 0 * :c1', 'PRIVMSG c2 :~1.0.123~ xxxx', ''];
  const bytes = frameLines(`${lines.join('\n')}\n`);
  assert.deepEqual(await receive(bytes), lines);
  assert.deepEqual(await receive(bytes, 3), lines, 'cut anywhere, as reads cut them');
  assert.ok(!bytes.includes('PRIVMSG'), 'the payload is masked');
});

test('frames: lengths at the edges of the short and 16-bit forms', async () => {
  for (const n of [1, 2, 3, 4, 5, 124, 125, 126, 127, 300, 8191, 65535]) {
    const line = 'x'.repeat(n - 1) + String(n % 10);
    assert.deepEqual(await receive(frameLines(`${line}\nend\n`)), [line, 'end'], `${n} bytes`);
  }
  assert.throws(() => frameLines(`${'x'.repeat(65536)}\n`), RangeError);
  assert.deepEqual(await receive(frameLines(`a\n${'y'.repeat(200)}`)), ['a', 'y'.repeat(200)], 'a last line without its LF');
});

test('frames: no mask is zero (ws would skip unmasking one, work a browser costs the server)', async () => {
  const bytes = frameLines('a\n'.repeat(20_000));
  // Each frame: 0x81, 0x81 (masked, length 1), 4 mask bytes, 1 byte.
  for (let o = 0; o < bytes.length; o += 7) {
    assert.deepEqual([bytes[o], bytes[o + 1]], [0x81, 0x81]);
    assert.notEqual(bytes.readUInt32BE(o + 2), 0);
  }
  assert.equal((await receive(bytes)).length, 20_000);
});

test("ServerFrames: what a server sends, read back as a TCP read of lines, whatever the reads' cuts; control frames skipped", () => {
  const lines = ['', ':irc.test 001 c1 :Welcome', 'x'.repeat(125), 'y'.repeat(126), 'z'.repeat(70_000)];
  const close = Buffer.from([0x88, 0x02, 0x03, 0xe8]);
  const bytes = Buffer.concat([framesOf(lines.slice(0, 2), 0x1), close, framesOf(lines.slice(2), 0x2)]);
  const expected = `${lines.join('\n')}\n`;
  assert.equal(new ServerFrames().read(bytes).toString(), expected);
  for (const step of [1, 2, 3, 7, 1000]) {
    const reader = new ServerFrames();
    let text = '';
    for (let i = 0; i < bytes.length; i += step) text += reader.read(bytes.subarray(i, i + step)).toString();
    assert.equal(text, expected, `reads of ${step} bytes`);
  }
});
