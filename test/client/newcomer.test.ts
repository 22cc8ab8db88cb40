import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ATTEMPT_MS, connectFirst, parseHosts } from '../../src/client/hosts.js';
import { timestamp } from '../../src/client/render.js';
import { lineLimitIn, splitLine } from '../../src/client/split.js';
import { parseCommand } from '../../src/dialects/line/parse.js';
import { translateTyped } from '../../src/client/typed.js';
import { parseServerLine } from '../../src/dialects/line/server-line.js';

describe('splitLine', () => {
  test('a line within the limit, and a command, come back whole', () => {
    assert.deepEqual(splitLine('hello', 10), ['hello']);
    assert.deepEqual(splitLine(`/who ${'x'.repeat(20)}`, 10), [`/who ${'x'.repeat(20)}`]);
    assert.deepEqual(splitLine(`#alice ${'x'.repeat(20)}`, 10), [`#alice ${'x'.repeat(20)}`]);
  });

  test('cut between characters, each part within the limit, nothing lost, at every limit', () => {
    const text = 'aé€😀'.repeat(30);
    for (let max = 8; max <= 40; max++) {
      const parts = splitLine(text, max)!;
      assert.equal(parts.join(''), text, `max ${max}`);
      for (const p of parts) {
        assert.ok(Buffer.byteLength(p) <= max, `max ${max}: ${p}`);
        assert.equal(Buffer.from(p).toString('utf8'), p, 'whole characters');
        assert.ok(!/[\ud800-\udbff]$/.test(p), 'no surrogate pair cut');
      }
    }
  });

  test('a direct message keeps @NAME: in every part', () => {
    const parts = splitLine(`@bob:${'y'.repeat(25)}`, 15)!;
    assert.deepEqual(parts, ['@bob:yyyyyyyyyy', '@bob:yyyyyyyyyy', '@bob:yyyyy']);
  });

  test('a part never starts with a blank, or in the room with # @ /', () => {
    const parts = splitLine('aaaaaaaa #name /quit @bob:x bbbbbbbb', 10)!;
    assert.equal(parts.join(''), 'aaaaaaaa #name /quit @bob:x bbbbbbbb');
    for (const p of parts.slice(1)) assert.match(p, /^[^\s#@/]/, p);
    assert.equal(splitLine('a####################', 10), undefined, 'no safe cut');
  });

  test('a line is classified as the server classifies it: a direct message behind blanks or invisible characters stays direct in every part', () => {
    const words = Array.from({ length: 600 }, (_, i) => `word${i}`).join(' ');
    for (const lead of ['', ' ', '  ', '\t', '\uFEFF', '\u200E', '\u00A0 ', '\u3164']) {
      const parts = splitLine(`${lead}@bob:${words}`, 4096)!;
      assert.ok(parts.length > 1, JSON.stringify(lead));
      for (const p of parts) {
        const cmd = parseCommand(p);
        assert.equal(cmd.kind, 'direct', `${JSON.stringify(lead)}: a part went to the room: ${p.slice(0, 40)}`);
        assert.equal(cmd.kind === 'direct' && cmd.to, 'bob');
      }
      assert.equal(parts.map((p) => p.slice('@bob:'.length)).join(''), words, 'nothing lost');
    }
  });

  test('a room part never starts with what the server drops or reads as more than room text', () => {
    const text = `${'a'.repeat(9)}\u200B@bob:x ${'b'.repeat(9)}\u00A0#c ${'d'.repeat(9)}\uFEFF/quit`;
    const parts = splitLine(text, 10)!;
    assert.equal(parts.join(''), text);
    for (const p of parts) assert.deepEqual(parseCommand(p), { kind: 'room', text: p }, p);
  });

  test('the limit is read from the greeting or the too-long answer, and nowhere else', () => {
    const limit = (raw: string): number | undefined => lineLimitIn(parseServerLine(raw));
    assert.equal(limit('! line too long (max 200 bytes)'), 200);
    assert.equal(limit('* welcome: lines up to max 8192 bytes'), 8192);
    assert.equal(limit('* welcome: register with #yourname'), undefined);
    assert.equal(limit('* [2026-11-27T05:15:05Z] <eve> welcome max 100 bytes'), undefined, 'what a user wrote');
    assert.equal(limit('<eve> welcome: max 100 bytes'), undefined);
    assert.equal(limit('* welcome: max 3 bytes'), undefined, 'no absurd limit');
  });
});

describe('translateTyped', () => {
  test('/msg, /m and /nick become protocol lines; everything else goes as typed', () => {
    assert.deepEqual(translateTyped('/msg bob hi there '), { send: '@bob:hi there' });
    assert.deepEqual(translateTyped('/M bob x'), { send: '@bob:x' });
    assert.deepEqual(translateTyped('/nick alicia'), { send: '#alicia' });
    assert.deepEqual(translateTyped('/me waves'), { send: '/me waves' });
    assert.deepEqual(translateTyped('@bob:hi'), { send: '@bob:hi' });
    assert.deepEqual(translateTyped('/who'), { send: '/who' });
  });

  test('a missing or bad name is a problem, not a line', () => {
    assert.match((translateTyped('/msg bob') as { problem: string }).problem, /needs a name and a text/);
    assert.match((translateTyped('/m') as { problem: string }).problem, /needs a name and a text/);
    assert.match((translateTyped('/msg b:b hi') as { problem: string }).problem, /not a name/);
    assert.match((translateTyped('/nick') as { problem: string }).problem, /needs a name/);
    assert.match((translateTyped('/nick two words') as { problem: string }).problem, /not a name/);
  });
});

describe('--host', () => {
  test('one or several HOST[:PORT]', () => {
    assert.deepEqual(parseHosts('a'), [{ host: 'a', port: undefined }]);
    assert.deepEqual(parseHosts('a:1, b ,[::1]:3,::1'), [
      { host: 'a', port: 1 },
      { host: 'b', port: undefined },
      { host: '::1', port: 3 },
      { host: '::1', port: undefined },
    ]);
    assert.throws(() => parseHosts('a,,b'), /nothing empty/);
    assert.throws(() => parseHosts('a:70000'), /1-65535/);
  });

  test('the first that answers, from START on; every failure when none does', async () => {
    const hosts = [
      { host: 'a', port: 1 },
      { host: 'b', port: 2 },
      { host: 'c', port: 3 },
    ];
    const tried: string[] = [];
    const only =
      (up: string) =>
      async (host: string): Promise<string> => {
        tried.push(host);
        if (host !== up) throw new Error(`${host} is down.`);
        return host;
      };
    assert.deepEqual(await connectFirst(hosts, 0, only('b')), { conn: 'b', index: 1 });
    assert.deepEqual(tried, ['a', 'b']);
    tried.length = 0;
    assert.deepEqual(await connectFirst(hosts, 2, only('b')), { conn: 'b', index: 1 });
    assert.deepEqual(tried, ['c', 'a', 'b']);
    await assert.rejects(connectFirst(hosts, 0, only('none')), /none of the 3 servers answered\. a is down\. b is down\. c is down\./);
    // TRIES 1: the server that asked for a password, and no other, gets it.
    tried.length = 0;
    assert.deepEqual(await connectFirst(hosts, 1, only('b'), undefined, 1), { conn: 'b', index: 1 });
    await assert.rejects(connectFirst(hosts, 1, only('c'), undefined, 1), /^Error: b is down\.$/);
    assert.deepEqual(tried, ['b', 'b']);
  });

  test('a server that does not answer is given up after ATTEMPT_MS; its late connection is discarded', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const hosts = [
      { host: 'a', port: 1 },
      { host: 'b', port: 2 },
    ];
    let lateA: (c: string) => void = () => {};
    const discarded: string[] = [];
    const connect = (host: string): Promise<string> => (host === 'a' ? new Promise((resolve) => (lateA = resolve)) : Promise.resolve('b'));
    const result = connectFirst(hosts, 0, connect, (c) => discarded.push(c));
    await Promise.resolve();
    t.mock.timers.tick(ATTEMPT_MS);
    assert.deepEqual(await result, { conn: 'b', index: 1 });
    lateA('a');
    await Promise.resolve();
    assert.deepEqual(discarded, ['a']);
  });
});

test('timestamp: local HH:MM', () => {
  assert.equal(timestamp(new Date(2026, 10, 27, 7, 5)), '07:05');
  assert.equal(timestamp(new Date(2026, 10, 27, 23, 59)), '23:59');
});
