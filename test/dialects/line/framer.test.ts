import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LineFramer } from '../../../src/dialects/line/framer.js';
import { FakeClock } from '../../helpers/fake-clock.js';

function framerFor(flushMs: number, maxLine = 64): { framer: LineFramer; events: string[]; clock: FakeClock } {
  const events: string[] = [];
  const clock = new FakeClock();
  const framer = new LineFramer(maxLine, flushMs, { line: (b) => events.push(b.toString()), overflow: () => events.push('OVERFLOW') }, clock);
  return { framer, events, clock };
}

describe('LineFramer: the flush delay', () => {
  test('bytes without LF become a line once they have waited flushMs', () => {
    const { framer, events, clock } = framerFor(250);
    framer.push(Buffer.from('hello'));
    clock.advance(249);
    assert.deepEqual(events, []);
    clock.advance(1);
    assert.deepEqual(events, ['hello']);
  });

  test('the delay counts from the first waiting byte, not the last', () => {
    const { framer, events, clock } = framerFor(250);
    framer.push(Buffer.from('hel'));
    clock.advance(40); // segments of one send() come close together
    framer.push(Buffer.from('lo'));
    clock.advance(209);
    assert.deepEqual(events, []);
    clock.advance(1);
    assert.deepEqual(events, ['hello']);
  });

  test('arrivals count, not when the bytes are taken: send()s read while the server waited stay apart', () => {
    const { framer, events, clock } = framerFor(250);
    clock.advance(5000); // the server decodes late (a password check, flood control)
    framer.push(Buffer.from('see you'), 400);
    framer.push(Buffer.from('@bob:my pin'), 550);
    assert.deepEqual(events, ['see you'], 'they came 150 ms apart');
    framer.push(Buffer.from(' is 4711'), 560);
    clock.advance(250);
    assert.deepEqual(events, ['see you', '@bob:my pin is 4711'], 'these 10 ms apart: one send() in two segments');
  });

  test('without LF, a send() after a gap is a message of its own, not merged into the one waiting', () => {
    const { framer, events, clock } = framerFor(250);
    framer.push(Buffer.from('room message'));
    clock.advance(100);
    framer.push(Buffer.from('@bob:private'));
    assert.deepEqual(events, ['room message'], 'the waiting bytes end as the new send() comes');
    clock.advance(250);
    assert.deepEqual(events, ['room message', '@bob:private']);
  });

  test('bytes that hold an LF end the waiting line instead: the peer frames its lines', () => {
    const { framer, events, clock } = framerFor(250);
    framer.push(Buffer.from('a'));
    clock.advance(200);
    framer.push(Buffer.from('bc\nd'));
    assert.deepEqual(events, ['abc']);
    clock.advance(60_000);
    assert.deepEqual(events, ['abc'], 'once an LF came, only LF ends a line');
    assert.equal(clock.pending, 0);
    framer.push(Buffer.from('ef\n'));
    assert.deepEqual(events, ['abc', 'def']);
  });

  test('once an LF has come, a line waits for its LF however long the pause', () => {
    for (let cut = 0; cut <= 12; cut++) {
      const { framer, events, clock } = framerFor(250);
      framer.push(Buffer.from('#alice\n'));
      const line = '@bob:pin 4711';
      framer.push(Buffer.from(line.slice(0, cut)));
      clock.advance(10_000);
      framer.push(Buffer.from(`${line.slice(cut)}\n`));
      assert.deepEqual(events, ['#alice', line], `cut at ${cut}`);
    }
  });

  test("pause() stops the delay: time the server is not reading is not the client's", () => {
    const { framer, events, clock } = framerFor(250);
    framer.push(Buffer.from('hel'));
    clock.advance(200);
    framer.pause();
    clock.advance(10_000);
    assert.deepEqual(events, []);
    framer.resume();
    framer.push(Buffer.from('lo'), 0); // it was in the socket all along: it counts as coming with 'hel'
    clock.advance(249);
    assert.deepEqual(events, []);
    clock.advance(1);
    assert.deepEqual(events, ['hello']);
  });

  test('lines that end in LF never start a timer', () => {
    const { framer, clock } = framerFor(250);
    framer.push(Buffer.from('a\nb\n'));
    assert.equal(clock.pending, 0);
  });

  test('flushMs 0 turns it off', () => {
    const { framer, events, clock } = framerFor(0);
    framer.push(Buffer.from('hello'));
    clock.advance(60_000);
    assert.deepEqual(events, []);
    framer.push(Buffer.from('\n'));
    assert.deepEqual(events, ['hello']);
  });

  test('after an overlong line, the delay ends the discarding too', () => {
    const { framer, events, clock } = framerFor(250, 4);
    framer.push(Buffer.from('far too long'));
    clock.advance(250);
    framer.push(Buffer.from('ok'));
    clock.advance(250);
    assert.deepEqual(events, ['OVERFLOW', 'ok']);
  });

  test('an overlong line that keeps coming is discarded whole, however slowly it comes', () => {
    const { framer, events, clock } = framerFor(250, 4);
    for (let i = 0; i < 20; i++) {
      framer.push(Buffer.from('more bytes of one long line'));
      clock.advance(200);
    }
    framer.push(Buffer.from('end\nnext\n'));
    assert.deepEqual(events, ['OVERFLOW', 'next']);
  });

  test('end() takes the last unterminated line at once; dispose() drops it', () => {
    const a = framerFor(250);
    a.framer.push(Buffer.from('bye'));
    a.framer.end();
    assert.deepEqual(a.events, ['bye']);
    assert.equal(a.clock.pending, 0);
    const b = framerFor(250);
    b.framer.push(Buffer.from('lost'));
    b.framer.dispose();
    b.clock.advance(1000);
    assert.deepEqual(b.events, []);
  });
});
