import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LINE_MAX, messageLines, relayedTooLong, splitText } from '../../../src/dialects/irc/split.js';

const bytes = (s: string): number => Buffer.byteLength(s);

/**
 * splitText's rule, checked on every part of TEXT cut for ROOM: each fits, they give TEXT back,
 * and each cut is after a space in the last fifth of the room, or else at the room's last
 * whole character (the next character would not have fitted).
 */
function checkCuts(text: string, room: number): string[] {
  const parts = splitText(text, room);
  assert.equal(parts.join(''), text, `room ${room}: the parts give the text back`);
  const window = Math.max(1, Math.floor(room / 5));
  for (const [i, part] of parts.entries()) {
    const size = bytes(part);
    assert.ok(size <= room, `room ${room}: part ${i} of ${size} bytes`);
    assert.ok(part.length > 0, `room ${room}: part ${i} is empty`);
    if (i === parts.length - 1) continue;
    // The bytes where a space would have been taken: the last fifth of the room, within the part.
    const tail = Buffer.from(part).subarray(Math.max(0, room - window));
    if (part.endsWith(' ')) {
      assert.ok(size > room - window, `room ${room}: part ${i} cut at a space ${room - size} bytes before the limit`);
    } else {
      assert.equal(tail.includes(0x20), false, `room ${room}: part ${i} cut at the limit with a space in its last fifth`);
      const nextChar = String.fromCodePoint(parts[i + 1]!.codePointAt(0)!);
      assert.ok(size + bytes(nextChar) > room, `room ${room}: part ${i} (${size} bytes) could have taken the next character`);
    }
  }
  return parts;
}

describe('splitText (docs/irc.md, "Long messages")', () => {
  test('a text that fits is one part, up to exactly the room; one byte more is two', () => {
    assert.deepEqual(splitText('hello', 100), ['hello']);
    assert.deepEqual(splitText('x'.repeat(100), 100), ['x'.repeat(100)]);
    assert.deepEqual(splitText('x'.repeat(101), 100), ['x'.repeat(100), 'x']);
    assert.deepEqual(splitText('', 10), ['']);
  });

  test('no space at all: cut at the limit, every part full but the last', () => {
    const parts = checkCuts('x'.repeat(1000), 300);
    assert.deepEqual(
      parts.map((p) => p.length),
      [300, 300, 300, 100],
    );
  });

  test('a space in the last fifth of the room: the cut goes after it, the space stays with its part', () => {
    const text = `${'a'.repeat(85)} ${'b'.repeat(50)}`;
    assert.deepEqual(splitText(text, 100), [`${'a'.repeat(85)} `, 'b'.repeat(50)]);
    // The last space of several in the window.
    assert.deepEqual(splitText(`${'a'.repeat(82)} bb ${'c'.repeat(50)}`, 100), [`${'a'.repeat(82)} bb `, 'c'.repeat(50)]);
    // A space as the room's very last byte.
    assert.deepEqual(splitText(`${'a'.repeat(99)} ${'b'.repeat(10)}`, 100), [`${'a'.repeat(99)} `, 'b'.repeat(10)]);
  });

  test('a space before the last fifth: cut at the limit rather than leave a short part', () => {
    const text = `${'a'.repeat(50)} ${'b'.repeat(100)}`;
    assert.deepEqual(splitText(text, 100), [`${'a'.repeat(50)} ${'b'.repeat(49)}`, 'b'.repeat(51)]);
    // The space just outside the window (80 bytes of room before it, the window is 20).
    assert.deepEqual(splitText(`${'a'.repeat(79)} ${'b'.repeat(30)}`, 100), [`${'a'.repeat(79)} ${'b'.repeat(20)}`, 'b'.repeat(10)]);
    assert.deepEqual(splitText(`${'a'.repeat(80)} ${'b'.repeat(30)}`, 100), [`${'a'.repeat(80)} `, 'b'.repeat(30)]);
  });

  test('every cut point: words of every length, for every room from 1 to 120', () => {
    const words = Array.from({ length: 40 }, (_, i) => 'w'.repeat(1 + ((i * 7) % 23))).join(' ');
    for (let room = 1; room <= 120; room++) checkCuts(words, room);
    for (let room = 1; room <= 120; room++) checkCuts(`  ${words}  double  spaces `, room);
  });

  test('never inside a UTF-8 character: 2, 3 and 4 bytes ones straddling the limit at each of their bytes', () => {
    for (const char of ['é', '€', '😀']) {
      const size = bytes(char);
      for (let before = 100 - size; before <= 100; before++) {
        const text = `${'x'.repeat(before)}${char}${'y'.repeat(20)}`;
        const parts = checkCuts(text, 100);
        const fits = before + size <= 100;
        assert.equal(parts[0], fits ? `${'x'.repeat(before)}${char}${'y'.repeat(100 - before - size)}` : 'x'.repeat(before), `${char} after ${before}`);
      }
    }
    // Nothing but multibyte characters, for every room; a room smaller than a character still moves on.
    const text = 'é€😀a'.repeat(40);
    for (let room = 1; room <= 60; room++) {
      const parts = splitText(text, room);
      assert.equal(parts.join(''), text);
      for (const part of parts) assert.ok(bytes(part) <= Math.max(room, 4), `room ${room}: ${bytes(part)} bytes`);
      if (room >= 4) checkCuts(text, room);
    }
  });

  test('an action is cut inside its frame: every part is an action, their texts give the message back', () => {
    const body = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
    const text = `\x01ACTION ${body}\x01`;
    const parts = splitText(text, 300);
    assert.ok(parts.length > 1);
    const inner: string[] = [];
    for (const part of parts) {
      assert.ok(bytes(part) <= 300, `${bytes(part)} bytes`);
      const framed = /^\x01ACTION (.+)\x01$/s.exec(part);
      assert.ok(framed !== null, `not an action: ${JSON.stringify(part.slice(0, 20))}`);
      inner.push(framed[1]!);
    }
    assert.equal(inner.join(''), body);
    // The body's cuts follow the rule, in the room the frame leaves (9 bytes).
    assert.deepEqual(inner, checkCuts(body, 300 - 9));
    // Without spaces, each part is exactly full.
    assert.deepEqual(splitText(`\x01ACTION ${'z'.repeat(250)}\x01`, 109).map(bytes), [109, 109, 59]);
  });

  test('another CTCP is never split; one too long is cut at its end, its frame kept', () => {
    const ping = `\x01PING ${'1'.repeat(80)}\x01`;
    assert.deepEqual(splitText(ping, 100), [ping]);
    const long = `\x01VERSION ${'v'.repeat(200)}\x01`;
    assert.deepEqual(splitText(long, 100), [`\x01VERSION ${'v'.repeat(90)}\x01`]);
    assert.deepEqual(splitText(`\x01PING ${'€'.repeat(50)}\x01`, 100), [`\x01PING ${'€'.repeat(31)}\x01`], 'not inside a character either');
  });
});

describe('messageLines', () => {
  const head = ':web!web@chat PRIVMSG nonweb :';
  const room = LINE_MAX - head.length;

  test('exactly 510 bytes is one line; 511 is two, the first exactly 510 (irctest testSendTruncation)', () => {
    assert.equal(messageLines('', head, 'x'.repeat(room)), `${head}${'x'.repeat(room)}`);
    const two = messageLines('', head, 'x'.repeat(room + 1)).split('\r\n');
    assert.deepEqual(two, [`${head}${'x'.repeat(room)}`, `${head}x`]);
    assert.equal(bytes(two[0]!), 510);
    // An IRC user's 510-byte PRIVMSG, relayed with its source.
    const sent = 'x'.repeat(510 - 'PRIVMSG nonweb :'.length);
    const lines = messageLines('', head, sent).split('\r\n');
    assert.equal(bytes(lines[0]!), 510);
    assert.equal(lines.map((l) => l.slice(head.length)).join(''), sent);
  });

  test('every part carries the tags, which the limit does not count', () => {
    const tags = '@time=2024-01-01T00:00:00.000Z;account=web ';
    const lines = messageLines(tags, head, 'y'.repeat(1200)).split('\r\n');
    assert.equal(lines.length, 3);
    for (const line of lines) {
      assert.ok(line.startsWith(`${tags}${head}`));
      assert.ok(bytes(line) - bytes(tags) <= 510);
    }
    assert.equal(bytes(lines[0]!) - bytes(tags), 510);
  });

  test('a 4000-byte line-protocol message of multibyte words: lines within 512 bytes with CRLF, the text whole', () => {
    const text = Array.from({ length: 600 }, (_, i) => (i % 3 === 0 ? 'héllo' : i % 3 === 1 ? 'wörld😀' : 'x')).join(' ');
    const lines = messageLines('', head, text).split('\r\n');
    for (const line of lines) assert.ok(bytes(`${line}\r\n`) <= 512);
    assert.equal(lines.map((l) => l.slice(head.length)).join(''), text);
  });
});

test("relayedTooLong: an IRC user's message as IRC users get it, for its longest target, in bytes: 510 fits, 511 does not", () => {
  // `:a!a@chat PRIVMSG bob :` is 23 bytes.
  assert.equal(relayedTooLong('a', 'PRIVMSG', 'bob', 'x'.repeat(487)), false);
  assert.equal(relayedTooLong('a', 'PRIVMSG', 'bob', 'x'.repeat(488)), true);
  assert.equal(relayedTooLong('a', 'PRIVMSG', 'bob,#longer', 'x'.repeat(487)), true);
  assert.equal(relayedTooLong('a', 'NOTICE', 'bob', 'x'.repeat(488)), false);
  // 244 characters of two bytes each: 488 bytes.
  assert.equal(relayedTooLong('a', 'PRIVMSG', 'bob', 'é'.repeat(244)), true);
  assert.equal(relayedTooLong('a', 'PRIVMSG', 'bob', `${'é'.repeat(243)}x`), false);
});
