import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffMs } from '../../src/web/backoff.js';
import { actionOf, base64Utf8, channelName, fold, format, fromServer, isCtcp, nickOf, parse, saslPlain } from '../../src/web/irc.js';

test('parse: tags (unescaped), source, command in upper case, middle and last parameters', () => {
  const msg = parse('@time=2026-11-27T05:15:05.000Z;batch=H1;x=a\\sb\\:c\\\\ :alice!alice@chat privmsg #dev :hi  there ')!;
  assert.equal(msg.tags.get('time'), '2026-11-27T05:15:05.000Z');
  assert.equal(msg.tags.get('batch'), 'H1');
  assert.equal(msg.tags.get('x'), 'a b;c\\');
  assert.equal(msg.source, 'alice!alice@chat');
  assert.equal(msg.command, 'PRIVMSG');
  assert.deepEqual(msg.params, ['#dev', 'hi  there ']);
  assert.deepEqual(parse(':vm 353 me = #dev :@alice +bob')!.params, ['me', '=', '#dev', '@alice +bob']);
  assert.deepEqual(parse('PING abc')!.params, ['abc']);
  assert.deepEqual(parse('PRIVMSG #dev :')!.params, ['#dev', '']);
  assert.equal(parse(''), undefined);
  assert.equal(parse(':vm'), undefined);
  assert.equal(parse('@a=b'), undefined);
});

test('format: the last parameter after a colon when it needs one; CR, LF and NUL never get through', () => {
  assert.equal(format('JOIN', '#dev'), 'JOIN #dev');
  assert.equal(format('PRIVMSG', '#dev', 'hi there'), 'PRIVMSG #dev :hi there');
  assert.equal(format('PRIVMSG', '#dev', ':)'), 'PRIVMSG #dev ::)');
  assert.equal(format('TOPIC', '#dev', ''), 'TOPIC #dev :');
  assert.equal(format('PRIVMSG', '#dev', 'a\r\nQUIT :b\0'), 'PRIVMSG #dev :aQUIT :b');
  // A middle parameter with a space or a colon cannot become two parameters or the last one.
  assert.equal(format('PRIVMSG', '#a b', 'x'), 'PRIVMSG #ab x');
  assert.equal(format('PRIVMSG', ':x', 'y'), 'PRIVMSG * y');
});

test('names: nick of a source, the server, channels, ASCII folding', () => {
  assert.equal(nickOf('alice!alice@chat'), 'alice');
  assert.equal(nickOf('vm'), 'vm');
  assert.ok(fromServer('irc.example.org'));
  assert.ok(!fromServer('bob!bob@chat'));
  assert.equal(channelName('dev'), '#dev');
  assert.equal(channelName('#dev'), '#dev');
  assert.equal(fold('#Dev-ROOM_1'), '#dev-room_1');
  assert.equal(fold('ÄB'), 'Äb');
});

test('SASL PLAIN: base64 of the UTF-8 bytes, in pieces of 400, and a + after an exact 400', () => {
  assert.deepEqual(saslPlain('alice', 'pässwörd'), [`AUTHENTICATE ${Buffer.from('alice\0alice\0pässwörd').toString('base64')}`]);
  assert.equal(base64Utf8('\u20ac'), Buffer.from('\u20ac').toString('base64'));
  // 'a\0a\0' + 296 bytes = 300 bytes = 400 base64 characters exactly.
  const exact = saslPlain('a', 'x'.repeat(296));
  assert.equal(exact.length, 2);
  assert.equal(exact[0]!.length, 'AUTHENTICATE '.length + 400);
  assert.equal(exact[1], 'AUTHENTICATE +');
  const long = saslPlain('a', 'x'.repeat(400));
  assert.equal(long.length, 2);
  assert.equal(Buffer.from(long.map((l) => l.slice('AUTHENTICATE '.length)).join(''), 'base64').toString(), `a\0a\0${'x'.repeat(400)}`);
});

test('CTCP: ACTION is shown as an action, any other request is not shown', () => {
  assert.equal(actionOf('\x01ACTION waves\x01'), 'waves');
  assert.equal(actionOf('\x01ACTION waves'), 'waves');
  assert.equal(actionOf('\x01ACTION\x01'), '');
  assert.equal(actionOf('waves'), undefined);
  assert.ok(isCtcp('\x01VERSION\x01'));
  assert.ok(!isCtcp('\x01ACTION x\x01'));
  assert.ok(!isCtcp('hello'));
});

test('back-off: 1 s doubling up to 30 s, spread by +-20 %', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 20].map((a) => backoffMs(a, () => 0.5)),
    [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000],
  );
  assert.equal(
    backoffMs(0, () => 0),
    800,
  );
  assert.equal(
    backoffMs(5, () => 1),
    36000,
  );
});
