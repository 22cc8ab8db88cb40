import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseInput } from '../../src/web/input.js';
import { httpHref, mentions, messageLines, segments, shortTime, splitBytes } from '../../src/web/text.js';

test('segments: http(s) URLs become links, nothing else does', () => {
  assert.deepEqual(segments('see https://example.org/a?b=1#c, then'), [
    { text: 'see ' },
    { text: 'https://example.org/a?b=1#c', href: 'https://example.org/a?b=1#c' },
    { text: ', then' },
  ]);
  assert.deepEqual(segments('(http://x.org/wiki/A_(b)) ok.'), [
    { text: '(' },
    { text: 'http://x.org/wiki/A_(b)', href: 'http://x.org/wiki/A_(b)' },
    { text: ') ok.' },
  ]);
  for (const text of [
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    '[x](javascript:alert(1))',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:x',
    'http:/x',
    'https://',
    '<img src=x onerror=window.pwned=1>',
    '',
  ]) {
    assert.deepEqual(segments(text), [{ text }], text);
  }
  // A URL that hides javascript: behind http is still an http link to a host.
  assert.deepEqual(segments('xhttp://a.b javascript:http://a.b'), [{ text: 'xhttp://a.b javascript:' }, { text: 'http://a.b', href: 'http://a.b/' }]);
  assert.equal(httpHref('javascript://example.org/%0aalert(1)'), undefined);
  assert.equal(httpHref('https://example.org/"><img>'), 'https://example.org/%22%3E%3Cimg%3E');
  // The text shown is exactly the text sent: nothing lost, nothing added.
  const text = 'a https://a.org/x. b http://b.org c';
  assert.equal(
    segments(text)
      .map((s) => s.text)
      .join(''),
    text,
  );
});

test('mentions: the nick as a word, without regard to case', () => {
  assert.ok(mentions('hi alice', 'alice'));
  assert.ok(mentions('ALICE: look', 'alice'));
  assert.ok(mentions('@alice, look', 'alice'));
  assert.ok(!mentions('malice aforethought', 'alice'));
  assert.ok(!mentions('alice_2 is here', 'alice'));
  assert.ok(!mentions('alice-bob', 'alice'));
  assert.ok(mentions('ping a-b', 'a-b'));
  assert.ok(!mentions('anything', ''));
});

test('messageLines: the lines that hold something, whatever the line ends', () => {
  assert.deepEqual(messageLines('one\r\ntwo\n\n  \nthree\r'), ['one', 'two', 'three']);
  assert.deepEqual(messageLines('one'), ['one']);
  assert.deepEqual(messageLines('\n \n'), []);
});

test('splitBytes: pieces of at most MAX bytes, at a space when one is near, never inside a character', () => {
  assert.deepEqual(splitBytes('short', 400), ['short']);
  assert.deepEqual(splitBytes('', 400), ['']);
  assert.deepEqual(splitBytes('aaaa bbbb cccc', 10), ['aaaa bbbb', 'cccc']);
  assert.deepEqual(splitBytes('abcdefghijkl', 5), ['abcde', 'fghij', 'kl']);
  const euros = '\u20ac'.repeat(10);
  const pieces = splitBytes(euros, 7);
  assert.deepEqual(pieces, ['\u20ac\u20ac', '\u20ac\u20ac', '\u20ac\u20ac', '\u20ac\u20ac', '\u20ac\u20ac']);
  const emoji = '\u{1F600}'.repeat(5);
  assert.equal(splitBytes(emoji, 9).join(''), emoji);
  for (const piece of splitBytes(`${'é'.repeat(300)} ${'x'.repeat(500)}`, 400)) assert.ok(Buffer.byteLength(piece) <= 400);
});

test('shortTime: hours and minutes today, the date on another day (local time)', () => {
  const now = new Date(2026, 10, 27, 18, 0);
  assert.equal(shortTime(new Date(2026, 10, 27, 5, 7).toISOString(), now), '05:07');
  assert.equal(shortTime(new Date(2026, 10, 26, 23, 59).toISOString(), now), '2026-11-26 23:59');
  assert.equal(shortTime('nonsense', now), '');
});

test('parseInput: commands, messages, and // for a message that starts with /', () => {
  assert.deepEqual(parseInput('hello'), { kind: 'say', text: 'hello' });
  assert.deepEqual(parseInput('//join is a command'), { kind: 'say', text: '/join is a command' });
  assert.deepEqual(parseInput('  '), { kind: 'none' });
  assert.deepEqual(parseInput('/join dev'), { kind: 'join', room: 'dev', key: '' });
  assert.deepEqual(parseInput('/JOIN #dev secret'), { kind: 'join', room: '#dev', key: 'secret' });
  assert.deepEqual(parseInput('/part'), { kind: 'part', room: '', reason: '' });
  assert.deepEqual(parseInput('/part #dev gone for lunch'), { kind: 'part', room: '#dev', reason: 'gone for lunch' });
  assert.deepEqual(parseInput('/msg bob hi  there'), { kind: 'msg', nick: 'bob', text: 'hi  there' });
  assert.deepEqual(parseInput('/me waves'), { kind: 'me', text: 'waves' });
  assert.deepEqual(parseInput('/query bob'), { kind: 'query', nick: 'bob' });
  assert.deepEqual(parseInput('/topic'), { kind: 'topic', text: undefined });
  assert.deepEqual(parseInput('/topic new topic'), { kind: 'topic', text: 'new topic' });
  assert.deepEqual(parseInput('/close'), { kind: 'close' });
  assert.deepEqual(parseInput('/away'), { kind: 'away', text: '' });
  assert.deepEqual(parseInput('/nick bob'), { kind: 'nick', nick: 'bob' });
  assert.equal(parseInput('/msg bob').kind, 'error');
  assert.equal(parseInput('/join').kind, 'error');
  assert.match((parseInput('/frobnicate x') as { text: string }).text, /unknown command \/frobnicate/);
});
