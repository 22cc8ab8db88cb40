import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { byteLength, decodeEntry, directBody, encodeEntry, eventBody, roomHeader, userHeader } from '../../src/hub/redis/cluster-message.js';

/**
 * A release adds frame kinds (the away answer's `a FROM TEXT` was one), in the same stream
 * field. Servers are upgraded one at a time (docs/cluster.md), so a reader meets frames of a
 * newer release: one it cannot read must cost it only that frame, never the other frames of
 * the turn for its users (room lines, direct messages, kicks), which were lost silently.
 */
describe('a frame kind an older reader does not know', () => {
  test("costs that reader only the frame, not the turn's other frames for its users", () => {
    const A = 'host-1-ab';
    const B = 'host-2-cd';
    const room = eventBody({ kind: 'message', from: 'carol', text: 'for the room' });
    // As an older server sees an away answer: a direct body of a kind it does not know (here `z`).
    const unknown = directBody({ from: 'bob', text: 'out' }).replace(/^m/, 'z');
    const dm = directBody({ from: 'carol', text: 'for sam' });
    const entry = encodeEntry(
      A,
      [['sam', B]],
      [roomHeader(['lobby'], byteLength(room)), room, userHeader('@', 'sam', byteLength(unknown)), unknown, userHeader('@', 'sam', byteLength(dm)), dm],
    );
    assert.deepEqual(decodeEntry(entry, B), [
      { kind: 'room', rooms: ['lobby'], event: { kind: 'message', from: 'carol', text: 'for the room' } },
      { kind: 'direct', to: 'sam', message: { from: 'carol', text: 'for sam' } },
    ]);
  });
});
