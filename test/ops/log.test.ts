import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { Chalk } from 'chalk';
import { formatEvent } from '../../src/cli/log.js';
import { JsonLog } from '../../src/ops/json-log.js';
import { forLog } from '../../src/ops/redact.js';
import { refusalLabel, REFUSAL_LABELS } from '../../src/ops/refusals.js';
import type { ServerEvent } from '../../src/server/events.js';
import { isoTime } from '../../src/ops/iso-time.js';

function jsonLines(events: ServerEvent[]): Record<string, unknown>[] {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const log = new JsonLog(out);
  for (const e of events) log.event(e);
  return text.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

const plain = new Chalk({ level: 0 });
const at = Date.parse('2026-11-27T10:00:00.000Z');

describe('logs', () => {
  test('JSON: one object a line with time, level, event and the fields of the event', () => {
    const until = Date.parse('2026-11-27T11:00:00.000Z');
    const [connect, reject, moderation, error] = jsonLines([
      { type: 'connect', peer: '127.0.0.1:5000' },
      { type: 'reject', peer: '127.0.0.1:5000', name: undefined, reason: 'name taken: alice' },
      { type: 'moderation', action: 'ban', by: 'op', name: 'troll', reason: 'spam', until },
      { type: 'error', message: 'lost Redis' },
    ]);
    assert.match(String(connect!['time']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual({ ...connect, time: 'T' }, { level: 'info', time: 'T', event: 'connect', peer: '127.0.0.1:5000' });
    assert.deepEqual({ ...reject, time: 'T' }, { level: 'warn', time: 'T', event: 'reject', peer: '127.0.0.1:5000', reason: 'name taken: alice' });
    assert.deepEqual(
      { ...moderation, time: 'T' },
      { level: 'info', time: 'T', event: 'moderation', action: 'ban', by: 'op', name: 'troll', reason: 'spam', until: '2026-11-27T11:00:00.000Z' },
    );
    assert.deepEqual({ ...error, time: 'T' }, { level: 'error', time: 'T', event: 'error', message: 'lost Redis' });
  });

  test('what users typed stays out of both formats: a /quit message, a message typed as an unknown command', () => {
    const quit: ServerEvent = { type: 'leave', peer: 'p', name: 'alice', reason: 'quit: my secret plans' };
    const typed: ServerEvent = { type: 'reject', peer: 'p', name: 'alice', reason: 'unknown command /secret-plans-for-the-weekend' };
    const mistyped: ServerEvent = { type: 'reject', peer: 'p', name: 'alice', reason: 'unknown command /nick' };
    assert.deepEqual(forLog(quit), { ...quit, reason: 'quit (with a message)' });
    assert.deepEqual(forLog(typed), { ...typed, reason: 'unknown command' });
    assert.deepEqual(forLog(mistyped), mistyped, 'a short command word helps the operator and holds no sentence');
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
    assert.equal(formatEvent({ type: 'moderation', action: 'kick', by: 'op', name: 'troll', reason: '' }, plain, at), '2026-11-27T10:00:00.000Z kick troll by op');
  });

  test('refusal reasons map to their labels; anything else is "other"', () => {
    const cases: [string, string][] = [
      ['line too long', 'line too long'],
      ['not registered', 'not registered'],
      ['invalid name', 'invalid name'],
      ['invalid room', 'invalid room'],
      ['name taken: alice', 'name taken'],
      ['no password', 'no password'],
      ['authentication failed for alice', 'authentication failed'],
      ['too many logins waiting from 10.0.0.1', 'logins waiting'],
      ['unknown command /x', 'unknown command'],
      ['too many rooms: could not create attic', 'too many rooms'],
      ['bad /history count', 'bad history count'],
      ['alice is banned', 'banned'],
      ['/kick by a user who is not an operator', 'not an operator'],
      ['cluster unavailable: could not claim alice', 'cluster unavailable'],
      ['server full', 'server full'],
      ['more than 8 connections from 10.0.0.1', 'too many from address'],
      ['too many connections (before the TLS handshake)', 'too many connections'],
      ['shutting down', 'shutting down'],
      ['TLS handshake timed out (a plaintext client waiting for the server?)', 'tls handshake'],
      ['something new', 'other'],
      ['', 'other'],
    ];
    for (const [reason, label] of cases) assert.equal(refusalLabel(reason), label, reason);
    for (const [, label] of cases) assert.ok(REFUSAL_LABELS.includes(label), label);
  });
});

test('log timestamps are what Date#toISOString writes, at every millisecond of a second and across seconds', () => {
  const start = Date.parse('2026-12-31T23:59:58.000Z');
  for (let ms = start; ms < start + 3000; ms++) assert.equal(isoTime(ms), new Date(ms).toISOString());
  // Out of order, as two clocks' readings may come.
  for (const ms of [start + 2500, start + 10, 0, start + 999, 1_000, 999]) assert.equal(isoTime(ms), new Date(ms).toISOString());
});
