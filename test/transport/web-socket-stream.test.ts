import assert from 'node:assert/strict';
import type { Writable } from 'node:stream';
import { test } from 'node:test';
import * as ws from 'ws';
import { asciiFrames, framesOf } from '../../src/transport/web-socket-stream.js';

/** ws's frame parser, as a browser's side reads a server's frames (not masked). */
const Receiver = (ws as unknown as { Receiver: new (options: { isServer: boolean; maxPayload: number }) => Writable }).Receiver;

async function receive(bytes: Buffer): Promise<{ text: string; binary: boolean }[]> {
  const receiver = new Receiver({ isServer: false, maxPayload: 1 << 20 });
  const messages: { text: string; binary: boolean }[] = [];
  receiver.on('message', (data: Buffer, binary: boolean) => messages.push({ text: data.toString(), binary }));
  receiver.on('error', (err) => assert.fail(err));
  receiver.write(bytes);
  await new Promise((resolve) => receiver.end(resolve));
  return messages;
}

test('the frames a turn is written as: one message a line, every length form, text or binary', async () => {
  const lines = ['', 'a', 'x'.repeat(125), 'y'.repeat(126), 'é'.repeat(40_000), 'z'.repeat(65_536), ':nc!nc@chat PRIVMSG dora :hi ✓'];
  const text = await receive(
    framesOf(
      lines.map((l) => Buffer.from(l)),
      0x1,
    ),
  );
  assert.deepEqual(
    text.map((m) => m.text),
    lines,
  );
  assert.ok(text.every((m) => !m.binary));
  const binary = await receive(framesOf([Buffer.from('PING :x')], 0x2));
  assert.deepEqual(binary, [{ text: 'PING :x', binary: true }]);
});

test('ASCII text is framed as a latin1 string, byte for byte what framesOf makes of its lines (CRLF or LF ends a line)', async () => {
  const lines = ['', 'a', ':nc!nc@chat PRIVMSG dora :hi', 'x'.repeat(125), 'y'.repeat(126), 'z'.repeat(65_535), 'w'.repeat(65_536)];
  const text = lines.map((l, i) => `${l}${i % 2 === 0 ? '\r\n' : '\n'}`).join('');
  for (const opcode of [0x1, 0x2]) {
    const frames = Buffer.from(asciiFrames(text, opcode), 'latin1');
    assert.deepEqual(
      frames,
      framesOf(
        lines.map((l) => Buffer.from(l)),
        opcode,
      ),
    );
  }
  const read = await receive(Buffer.from(asciiFrames(text, 0x1), 'latin1'));
  assert.deepEqual(
    read.map((m) => m.text),
    lines,
  );
});
