import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { Chalk } from 'chalk';
import { formatEvent } from '../../src/cli/log.js';
import { JsonLog } from '../../src/ops/json-log.js';
import { forLog } from '../../src/ops/redact.js';
import { REFUSAL_LABELS, REFUSALS, CLOSES, type RefusalCode } from '../../src/protocol/codes.js';
import type { ServerEvent } from '../../src/server/events.js';
import { isoTime } from '../../src/ops/iso-time.js';

function jsonLines(events: ServerEvent[]): Record<string, unknown>[] {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const log = new JsonLog(out);
  for (const e of events) log.event(e);
  return text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const plain = new Chalk({ level: 0 });
const at = Date.parse('2026-11-27T10:00:00.000Z');

describe('logs', () => {
  test('JSON: one object a line with time, level, event and the fields of the event', () => {
    const until = Date.parse('2026-11-27T11:00:00.000Z');
    const [connect, reject, moderation, error] = jsonLines([
      { type: 'connect', peer: '127.0.0.1:5000' },
      { type: 'reject', peer: '127.0.0.1:5000', name: undefined, code: 'name-taken', detail: 'alice' },
      { type: 'moderation', action: 'ban', by: 'op', name: 'troll', reason: 'spam', until },
      { type: 'error', message: 'lost Redis' },
    ]);
    assert.match(String(connect!['time']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual({ ...connect, time: 'T' }, { level: 'info', time: 'T', event: 'connect', peer: '127.0.0.1:5000' });
    assert.deepEqual(
      { ...reject, time: 'T' },
      { level: 'warn', time: 'T', event: 'reject', peer: '127.0.0.1:5000', code: 'name-taken', reason: 'name taken: alice' },
    );
    assert.deepEqual(
      { ...moderation, time: 'T' },
      { level: 'info', time: 'T', event: 'moderation', action: 'ban', by: 'op', name: 'troll', reason: 'spam', until: '2026-11-27T11:00:00.000Z' },
    );
    assert.deepEqual({ ...error, time: 'T' }, { level: 'error', time: 'T', event: 'error', message: 'lost Redis' });
  });

  test('what users typed stays out of both formats: a /quit message, a message typed as an unknown command', () => {
    const quit: ServerEvent = { type: 'leave', peer: 'p', name: 'alice', code: 'quit', detail: 'my secret plans' };
    const typed: ServerEvent = { type: 'reject', peer: 'p', name: 'alice', code: 'unknown-command', detail: 'secret-plans-for-the-weekend' };
    const mistyped: ServerEvent = { type: 'reject', peer: 'p', name: 'alice', code: 'unknown-command', detail: 'nick' };
    assert.deepEqual(forLog(quit), { type: 'leave', peer: 'p', name: 'alice', code: 'quit', reason: 'quit (with a message)' });
    assert.deepEqual(forLog(typed), { type: 'reject', peer: 'p', name: 'alice', code: 'unknown-command', reason: 'unknown command' });
    assert.deepEqual(
      forLog(mistyped),
      { type: 'reject', peer: 'p', name: 'alice', code: 'unknown-command', reason: 'unknown command /nick' },
      'a short command word helps the operator and holds no sentence',
    );
    for (const e of [quit, typed]) {
      assert.doesNotMatch(formatEvent(e, plain, at), /secret/);
      assert.doesNotMatch(JSON.stringify(jsonLines([e])), /secret/);
    }
    assert.equal(formatEvent(quit, plain, at), '2026-11-27T10:00:00.000Z leave alice (p): quit (with a message)');
  });

  test('text: a moderation line says who did what to whom, and why', () => {
    const until = Date.parse('2026-11-27T11:00:00.000Z');
    assert.equal(
      formatEvent({ type: 'moderation', action: 'ban', by: 'op', name: 'troll', reason: 'spam', until }, plain, at),
      '2026-11-27T10:00:00.000Z ban troll by op: spam',
    );
    assert.equal(
      formatEvent({ type: 'moderation', action: 'kick', by: 'op', name: 'troll', reason: '' }, plain, at),
      '2026-11-27T10:00:00.000Z kick troll by op',
    );
  });

  test('every refusal code has a label and a log reason; the labels are a small fixed set; closes log as before', () => {
    const cases: [RefusalCode, string, string, string][] = [
      ['line-too-long', '', 'line too long', 'line too long'],
      ['name-taken', 'alice', 'name taken', 'name taken: alice'],
      ['auth-failed', 'alice', 'authentication failed', 'authentication failed for alice'],
      ['logins-waiting', '10.0.0.1', 'logins waiting', 'too many logins waiting from 10.0.0.1'],
      ['unknown-command', 'x', 'unknown command', 'unknown command /x'],
      ['too-many-rooms', 'attic', 'too many rooms', 'too many rooms: could not create attic'],
      ['bad-history-count', '', 'bad history count', 'bad /history count'],
      ['banned', 'alice', 'banned', 'alice is banned'],
      ['not-operator', 'kick', 'not an operator', '/kick by a user who is not an operator'],
      ['not-room-operator', '/topic in dev', 'not a room operator', '/topic in dev by a user who is not its room operator'],
      ['room-refused', 'hr: wrong key', 'room refused', 'could not join hr: wrong key'],
      ['cluster-unavailable', 'could not claim alice', 'cluster unavailable', 'cluster unavailable: could not claim alice'],
      ['too-many-connections', '', 'too many connections', 'too many connections (before the TLS handshake)'],
      ['tls-handshake', 'TLS handshake timed out', 'tls handshake', 'TLS handshake timed out'],
      ['web-origin', 'https://evil.example', 'web origin', "a WebSocket from another site's page (https://evil.example)"],
      ['web-host', 'rebind.example:8080', 'web host', 'a WebSocket for a name this server does not answer to (rebind.example:8080)'],
    ];
    for (const [code, detail, label, reason] of cases) {
      assert.equal(REFUSALS[code].label, label, code);
      assert.equal(
        forLog({ type: 'reject', peer: 'p', name: undefined, code, detail }).type === 'reject' &&
          (forLog({ type: 'reject', peer: 'p', name: undefined, code, detail }) as { reason: string }).reason,
        reason,
        code,
      );
    }
    for (const entry of Object.values(REFUSALS)) assert.ok(REFUSAL_LABELS.includes(entry.label));
    assert.ok(REFUSAL_LABELS.length <= Object.keys(REFUSALS).length);
    assert.equal(CLOSES['send-queue-exceeded'].log(''), 'send queue exceeded');
    assert.equal(CLOSES['socket-error'].log('ECONNRESET'), 'ECONNRESET');
    assert.equal(CLOSES.quit.log('bye'), 'quit: bye');
    assert.equal(CLOSES.quit.log(''), 'quit');
  });
});

test('log timestamps are what Date#toISOString writes, at every millisecond of a second and across seconds', () => {
  const start = Date.parse('2026-12-31T23:59:58.000Z');
  for (let ms = start; ms < start + 3000; ms++) assert.equal(isoTime(ms), new Date(ms).toISOString());
  // Out of order, as two clocks' readings may come.
  for (const ms of [start + 2500, start + 10, 0, start + 999, 1_000, 999]) assert.equal(isoTime(ms), new Date(ms).toISOString());
});
