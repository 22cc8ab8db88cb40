import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DATAGRAM_BYTES, datagramLines, firstLine, packLines } from '../../../src/dialects/line/datagrams.js';

const lines = (...ls: string[]): Buffer => Buffer.from(ls.map((l) => `${l}\n`).join(''));

describe('datagrams', () => {
  test('packLines: several lines to a datagram, never over the size, never a line split', () => {
    const input = lines(...Array.from({ length: 300 }, (_, i) => `* line ${i} ${'x'.repeat(i % 50)}`));
    const payloads = packLines(input);
    assert.ok(payloads.length > 1);
    assert.deepEqual(Buffer.concat(payloads), input, 'nothing lost, nothing reordered');
    for (const p of payloads) {
      assert.ok(p.length <= DATAGRAM_BYTES);
      assert.equal(p[p.length - 1], 0x0a, 'ends with a whole line');
    }
    // Full: the next line would not have fit.
    for (let i = 0; i < payloads.length - 1; i++) {
      const nextLine = payloads[i + 1]!.subarray(0, payloads[i + 1]!.indexOf(0x0a) + 1);
      assert.ok(payloads[i]!.length + nextLine.length > DATAGRAM_BYTES);
    }
  });

  test('packLines: a line longer than a datagram goes alone, whole', () => {
    const long = 'y'.repeat(3000);
    const payloads = packLines(lines('a', long, 'b', 'c'));
    assert.deepEqual(payloads.map(String), ['a\n', `${long}\n`, 'b\nc\n']);
    assert.deepEqual(packLines(lines(long)).map(String), [`${long}\n`]);
    assert.deepEqual(packLines(Buffer.alloc(0)), []);
    assert.deepEqual(packLines(lines('x'), 2).map(String), ['x\n']);
    assert.deepEqual(packLines(lines('x', 'y'), 3).map(String), ['x\n', 'y\n']);
    assert.deepEqual(packLines(lines('x', 'y'), 4).map(String), ['x\ny\n']);
  });

  test('datagramLines: the last line is ended, so it never continues into the next datagram', () => {
    assert.equal(datagramLines(Buffer.from('a\nb')).toString(), 'a\nb\n');
    assert.equal(datagramLines(Buffer.from('a\n')).toString(), 'a\n');
    assert.equal(datagramLines(Buffer.alloc(0)).length, 0);
  });

  test('firstLine: the first line without CR, the rest; nothing past the limit', () => {
    assert.deepEqual(firstLine(Buffer.from('/hello x\r\n#a\nb')), { line: '/hello x', rest: Buffer.from('#a\nb') });
    assert.deepEqual(firstLine(Buffer.from('/hello x')), { line: '/hello x', rest: Buffer.alloc(0) });
    assert.equal(firstLine(Buffer.alloc(300, 'x')), undefined);
    assert.deepEqual(firstLine(Buffer.from(`${'x'.repeat(256)}\nmore`))?.line, 'x'.repeat(256));
  });
});
