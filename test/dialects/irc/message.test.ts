import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  channelRoom,
  escapeTagValue,
  formatMessage,
  type IrcMessage,
  isValidNick,
  MESSAGE_MAX,
  parseMessage,
  TAGS_MAX,
} from '../../../src/dialects/irc/message.js';

/** The message LINE parses to; fails the test on an error. */
function parsed(line: string): IrcMessage {
  const p = parseMessage(line);
  if (!p.ok) assert.fail(`${JSON.stringify(line)}: ${p.error}`);
  return p.message;
}

function errorOf(line: string): string | undefined {
  const p = parseMessage(line);
  return p.ok ? undefined : p.error;
}

function msg(command: string, params: string[], source?: string, tags: Record<string, string> = {}): IrcMessage {
  return { tags: new Map(Object.entries(tags)), source, command, params };
}

const bytes = (s: string): number => Buffer.byteLength(s);
const numbers = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

describe('parseMessage: the examples of modern.ircdocs.horse', () => {
  test('tags, source, command, params', () => {
    assert.deepEqual(
      parsed("@id=234AB :dan!d@localhost PRIVMSG #chan :Hey what's up!"),
      msg('PRIVMSG', ['#chan', "Hey what's up!"], 'dan!d@localhost', { id: '234AB' }),
    );
    assert.deepEqual(parsed('CAP REQ :sasl'), msg('CAP', ['REQ', 'sasl']));
    assert.deepEqual(
      parsed(':irc.example.com CAP LS * :multi-prefix extended-join sasl'),
      msg('CAP', ['LS', '*', 'multi-prefix extended-join sasl'], 'irc.example.com'),
    );
    assert.deepEqual(parsed(':irc.example.com CAP * LIST :'), msg('CAP', ['*', 'LIST', ''], 'irc.example.com'));
    assert.deepEqual(parsed('CAP * LS :multi-prefix sasl'), msg('CAP', ['*', 'LS', 'multi-prefix sasl']));
    assert.deepEqual(parsed('CAP REQ :sasl message-tags foo'), msg('CAP', ['REQ', 'sasl message-tags foo']));
  });

  test('the trailing colon: needed for spaces, optional otherwise, kept when doubled', () => {
    assert.deepEqual(parsed(':dan!d@localhost PRIVMSG #chan :Hey!'), msg('PRIVMSG', ['#chan', 'Hey!'], 'dan!d@localhost'));
    assert.deepEqual(parsed(':dan!d@localhost PRIVMSG #chan Hey!'), msg('PRIVMSG', ['#chan', 'Hey!'], 'dan!d@localhost'));
    assert.deepEqual(parsed(':dan!d@localhost PRIVMSG #chan ::-)'), msg('PRIVMSG', ['#chan', ':-)'], 'dan!d@localhost'));
  });

  test('an empty tag value and a bare key are both the empty string', () => {
    assert.deepEqual(
      parsed('@url=;netsplit=tur,ty :dan!d@localhost PRIVMSG #chan :Hey!').tags,
      new Map([
        ['url', ''],
        ['netsplit', 'tur,ty'],
      ]),
    );
    assert.deepEqual(parsed('@c;h=;a=b :quux ab cd'), msg('AB', ['cd'], 'quux', { c: '', h: '', a: 'b' }));
  });

  test('numerics stay digits; commands are upper-cased, ASCII only', () => {
    assert.deepEqual(
      parsed(':irc.example.com 001 dan :Welcome to the Internet Relay Network dan'),
      msg('001', ['dan', 'Welcome to the Internet Relay Network dan'], 'irc.example.com'),
    );
    assert.equal(parsed('privmsg #a :x').command, 'PRIVMSG');
    assert.equal(parsed('joın #a').command, 'JOıN', 'a dotless i does not become I');
    assert.equal(parsed('straße').command, 'STRAßE');
  });

  test('no params, and a source that is not a nick!user@host', () => {
    assert.deepEqual(parsed(':src AWAY'), msg('AWAY', [], 'src'));
    assert.deepEqual(parsed(':src AWAY '), msg('AWAY', [], 'src'));
    assert.deepEqual(
      parsed(':coolguy!ag@net\x035w\x03ork.admin PRIVMSG foo :bar baz'),
      msg('PRIVMSG', ['foo', 'bar baz'], 'coolguy!ag@net\x035w\x03ork.admin'),
    );
    assert.equal(parsed(': PING x').source, '', 'an empty source is what was sent');
  });
});

describe('parseMessage: IRCv3 message-tags', () => {
  test('the spec examples: vendor and client tags', () => {
    assert.deepEqual(
      parsed('@aaa=bbb;ccc;example.com/ddd=eee :nick!ident@host.com PRIVMSG me :Hello'),
      msg('PRIVMSG', ['me', 'Hello'], 'nick!ident@host.com', { aaa: 'bbb', ccc: '', 'example.com/ddd': 'eee' }),
    );
    assert.deepEqual(
      parsed('@+icon=https://example.com/favicon.png :url_bot!bot@example.com PRIVMSG #channel :Example.com: A News Story'),
      msg('PRIVMSG', ['#channel', 'Example.com: A News Story'], 'url_bot!bot@example.com', { '+icon': 'https://example.com/favicon.png' }),
    );
    assert.deepEqual(
      parsed('@+example-client-tag=example-value TAGMSG #channel'),
      msg('TAGMSG', ['#channel'], undefined, { '+example-client-tag': 'example-value' }),
    );
    assert.deepEqual(
      parsed('@tag1=value1;tag2;vendor1/tag3=value2;vendor2/tag4= COMMAND param1 param2 :param3 param3'),
      msg('COMMAND', ['param1', 'param2', 'param3 param3'], undefined, { tag1: 'value1', tag2: '', 'vendor1/tag3': 'value2', 'vendor2/tag4': '' }),
    );
  });

  test('escapes: \\: \\s \\\\ \\r \\n', () => {
    assert.equal(parsed('@+example=raw+:=,escaped\\:\\s\\\\ TAGMSG').tags.get('+example'), 'raw+:=,escaped; \\');
    assert.deepEqual(
      parsed('@a=b\\\\and\\nk;c=72\\s45;d=gh\\:764 foo').tags,
      new Map([
        ['a', 'b\\and\nk'],
        ['c', '72 45'],
        ['d', 'gh;764'],
      ]),
    );
    assert.equal(parsed('@x=\\r\\n FOO').tags.get('x'), '\r\n');
    assert.equal(parsed('@tag1=value\\\\ntest COMMAND').tags.get('tag1'), 'value\\ntest');
  });

  test('a backslash before another character is dropped; a trailing lone one too', () => {
    assert.equal(parsed('@tag1=value\\1 COMMAND').tags.get('tag1'), 'value1');
    assert.equal(parsed('@tag1=value1\\ COMMAND').tags.get('tag1'), 'value1');
    assert.equal(parsed('@tag1=\\ COMMAND').tags.get('tag1'), '');
    assert.equal(parsed('@tag1=\\é\\😀 COMMAND').tags.get('tag1'), 'é😀');
  });

  test('a duplicate key: the last value wins', () => {
    assert.deepEqual(
      parsed('@tag1=1;tag2=3;tag3=4;tag1=5 COMMAND').tags,
      new Map([
        ['tag1', '5'],
        ['tag2', '3'],
        ['tag3', '4'],
      ]),
    );
    assert.equal(parsed('@a=1;a FOO').tags.get('a'), '');
  });

  test('empty items and keys are skipped', () => {
    assert.deepEqual(
      [...parsed('@a=1;;b=2; FOO').tags],
      [
        ['a', '1'],
        ['b', '2'],
      ],
    );
    assert.deepEqual([...parsed('@=x;a FOO').tags], [['a', '']]);
    assert.deepEqual(parsed('@ FOO'), msg('FOO', []));
  });

  test('unicode in tag values, raw and escaped', () => {
    assert.equal(parsed('@+draft/react=👍🏽 TAGMSG #a').tags.get('+draft/react'), '👍🏽');
    assert.equal(parsed('@k=héllo\\swörld\\:日本 FOO').tags.get('k'), 'héllo wörld;日本');
    assert.equal(parsed(`@k=${escapeTagValue('ü; ü\\')} FOO`).tags.get('k'), 'ü; ü\\');
  });
});

describe('parseMessage: spaces and params', () => {
  test('the trailing param keeps its spaces and may be empty', () => {
    assert.deepEqual(parsed(':coolguy foo bar baz :  asdf quux ').params, ['bar', 'baz', '  asdf quux ']);
    assert.deepEqual(parsed(':coolguy PRIVMSG bar :lol :) ').params, ['bar', 'lol :) ']);
    assert.deepEqual(parsed(':coolguy foo bar baz :').params, ['bar', 'baz', '']);
    assert.deepEqual(parsed(':coolguy foo bar baz :  ').params, ['bar', 'baz', '  ']);
    assert.deepEqual(parsed('foo bar baz ::asdf').params, ['bar', 'baz', ':asdf']);
    assert.deepEqual(parsed('PING :').params, ['']);
  });

  test('several spaces are one separator; trailing and leading spaces are no params', () => {
    assert.deepEqual(parsed('@a=b   :src   PRIVMSG   #a    :hi  there'), msg('PRIVMSG', ['#a', 'hi  there'], 'src', { a: 'b' }));
    assert.deepEqual(parsed(':gravel.mozilla.org MODE #tckk +n ').params, ['#tckk', '+n']);
    assert.deepEqual(parsed(':services.esper.net MODE #foo-bar +o foobar  ').params, ['#foo-bar', '+o', 'foobar']);
    assert.deepEqual(parsed('   PING   x   '), msg('PING', ['x']));
  });

  test('at most 15 params: after the 14th middle the rest of the line is the 15th', () => {
    assert.deepEqual(parsed(`CMD ${numbers(1, 15).join(' ')}`).params, numbers(1, 15));
    assert.deepEqual(parsed(`CMD ${numbers(1, 14).join(' ')} 15 16  17 `).params, [...numbers(1, 14), '15 16  17 ']);
    assert.deepEqual(parsed(`CMD ${numbers(1, 14).join(' ')} :a b`).params, [...numbers(1, 14), 'a b']);
    assert.deepEqual(parsed(`CMD ${numbers(1, 14).join(' ')}   ::x y`).params, [...numbers(1, 14), ':x y']);
    assert.deepEqual(parsed(`CMD ${numbers(1, 13).join(' ')} :a b`).params, [...numbers(1, 13), 'a b']);
    assert.equal(parsed(`CMD ${numbers(1, 40).join(' ')}`).params.length, 15);
  });
});

describe('parseMessage: errors', () => {
  test('empty: nothing or only spaces', () => {
    assert.equal(errorOf(''), 'empty');
    assert.equal(errorOf('   '), 'empty');
  });

  test('no command: only tags, only a source, or both', () => {
    assert.equal(errorOf('@a=b'), 'no-command');
    assert.equal(errorOf('@a=b;c   '), 'no-command');
    assert.equal(errorOf(':nick!user@host'), 'no-command');
    assert.equal(errorOf(':nick   '), 'no-command');
    assert.equal(errorOf('@a=b :nick'), 'no-command');
    assert.equal(errorOf(':'), 'no-command');
    assert.equal(errorOf('@'), 'no-command');
  });
});

describe('parseMessage: length limits', () => {
  const body = (n: number): string => `PRIVMSG #a :${'x'.repeat(n - 'PRIVMSG #a :'.length)}`;

  test('the limits as the specs give them', () => {
    assert.equal(MESSAGE_MAX, 512);
    assert.equal(TAGS_MAX, 8191);
  });

  test('ASCII: 510 bytes pass (512 with CRLF), 511 do not', () => {
    assert.equal(parsed(body(510)).params[1]!.length, 498);
    assert.equal(errorOf(body(511)), 'too-long');
    // Spaces count: they are sent.
    assert.equal(errorOf(`${body(508)}   `), 'too-long');
    assert.equal(errorOf(`   ${body(508)}`), 'too-long');
  });

  test('multi-byte UTF-8: bytes are counted, not characters', () => {
    const at = `PRIVMSG #a :${'é'.repeat(249)}`; // 12 + 498 bytes
    assert.equal(bytes(at), 510);
    assert.equal(at.length, 261);
    assert.ok(parsed(at));
    assert.equal(errorOf(`${at}x`), 'too-long');
    const emoji = `PRIVMSG #a :${'😀'.repeat(124)}xx`; // 12 + 496 + 2 bytes, 262 UTF-16 units
    assert.equal(bytes(emoji), 510);
    assert.ok(parsed(emoji));
    assert.equal(errorOf(`${emoji}x`), 'too-long');
    const three = `PRIVMSG #a :${'€'.repeat(166)}`; // 12 + 498 bytes
    assert.equal(bytes(three), 510);
    assert.ok(parsed(three));
    assert.equal(errorOf(`${three}x`), 'too-long');
    assert.ok(parsed(`PRIVMSG #a :${'€'.repeat(165)}é`), '12 + 495 + 2 bytes');
  });

  test('tags do not count against the 510 bytes', () => {
    const line = `@a=${'v'.repeat(4000)} ${body(510)}`;
    assert.equal(parsed(line).params[1]!.length, 498);
    assert.equal(errorOf(`@a=${'v'.repeat(4000)} ${body(511)}`), 'too-long');
    // The extra spaces after the tag part are part of the message, not of the tags.
    assert.equal(errorOf(`@a=b  ${body(510)}`), 'too-long');
    assert.ok(parsed(`@a=b  ${body(509)}`));
  });

  test('tags: 8191 bytes with the @ and the space pass, 8192 do not', () => {
    const tagPart = (n: number): string => `@k=${'v'.repeat(n - '@k= '.length)} `;
    assert.equal(bytes(tagPart(8191)), 8191);
    assert.equal(parsed(`${tagPart(8191)}PING`).tags.get('k')!.length, 8187);
    assert.equal(errorOf(`${tagPart(8192)}PING`), 'tags-too-long');
  });

  test('tags, multi-byte: the wire bytes are counted, escapes as written', () => {
    const at = `@k=x${'é'.repeat(4093)} PING`; // 4 + 8186 + 1 bytes of tags
    assert.equal(parsed(at).tags.get('k')!.length, 4094);
    assert.equal(errorOf(`@k=xx${'é'.repeat(4093)} PING`), 'tags-too-long');
    const escaped = `@k=${'\\s'.repeat(4093)}x PING`; // 3 + 8186 + 1 + 1 bytes
    assert.equal(parsed(escaped).tags.get('k'), `${' '.repeat(4093)}x`);
    assert.equal(errorOf(`@k=${'\\s'.repeat(4094)} PING`), 'tags-too-long');
  });

  test('a line of only tags: at the limit it has no command, over it its tags are too long', () => {
    assert.equal(errorOf(`@k=${'v'.repeat(8188)}`), 'no-command');
    assert.equal(errorOf(`@k=${'v'.repeat(8189)}`), 'tags-too-long');
  });

  test('both too long: the tags are reported, as they come first', () => {
    assert.equal(errorOf(`@k=${'v'.repeat(9000)} ${body(600)}`), 'tags-too-long');
  });
});

describe('escapeTagValue', () => {
  test('the five escapes, and nothing else changed', () => {
    assert.equal(escapeTagValue('raw+:=,escaped; \\'), 'raw+:=,escaped\\:\\s\\\\');
    assert.equal(escapeTagValue('a\r\nb'), 'a\\r\\nb');
    assert.equal(escapeTagValue('\\s'), '\\\\s');
    assert.equal(escapeTagValue('héllo=😀'), 'héllo=😀');
    assert.equal(escapeTagValue(''), '');
  });
});

describe('formatMessage', () => {
  test('the last param gets a colon when empty, spaced or starting with one', () => {
    assert.equal(formatMessage({ command: 'foo', params: ['bar', 'baz', 'asdf'] }), 'foo bar baz asdf');
    assert.equal(formatMessage({ command: 'foo', params: ['bar', 'baz', 'asdf quux'] }), 'foo bar baz :asdf quux');
    assert.equal(formatMessage({ command: 'foo', params: ['bar', 'baz', ''] }), 'foo bar baz :');
    assert.equal(formatMessage({ command: 'foo', params: ['bar', 'baz', ':asdf'] }), 'foo bar baz ::asdf');
    assert.equal(formatMessage({ command: 'PING' }), 'PING');
    assert.equal(formatMessage({ command: 'PING', params: [] }), 'PING');
  });

  test('source and tags, in insertion order; an empty or undefined value is a bare key', () => {
    assert.equal(
      formatMessage({ tags: new Map([['id', '234AB']]), source: 'dan!d@localhost', command: 'PRIVMSG', params: ['#chan', "Hey what's up!"] }),
      "@id=234AB :dan!d@localhost PRIVMSG #chan :Hey what's up!",
    );
    assert.equal(formatMessage({ tags: { z: '1', a: '', m: undefined, b: '2' }, command: 'FOO' }), '@z=1;a;m;b=2 FOO');
    assert.equal(
      formatMessage({
        tags: new Map([
          ['b', ''],
          ['a', 'x'],
        ]),
        command: 'FOO',
      }),
      '@b;a=x FOO',
    );
    assert.equal(formatMessage({ tags: {}, source: undefined, command: 'FOO' }), 'FOO', 'no tags: no @');
    assert.equal(formatMessage({ tags: new Map(), command: 'FOO' }), 'FOO');
  });

  test('tag values are escaped', () => {
    assert.equal(
      formatMessage({ tags: { '+example': 'raw+:=,escaped; \\' }, command: 'TAGMSG', params: ['#a'] }),
      '@+example=raw+:=,escaped\\:\\s\\\\ TAGMSG #a',
    );
    assert.equal(formatMessage({ tags: { k: 'a\r\nb' }, command: 'FOO' }), '@k=a\\r\\nb FOO');
  });

  test('a middle param that is empty, spaced or starts with a colon throws', () => {
    assert.throws(() => formatMessage({ command: 'FOO', params: ['', 'x'] }), /middle param 0/);
    assert.throws(() => formatMessage({ command: 'FOO', params: ['a b', 'x'] }), /middle param 0/);
    assert.throws(() => formatMessage({ command: 'FOO', params: ['a', ':b', 'x'] }), /middle param 1/);
  });

  test('more than 15 params throws; 15 do not', () => {
    assert.equal(formatMessage({ command: 'FOO', params: numbers(1, 15) }), `FOO ${numbers(1, 15).join(' ')}`);
    assert.throws(() => formatMessage({ command: 'FOO', params: numbers(1, 16) }), /16 params/);
  });

  test('CR, LF or NUL anywhere outside a tag value throws: the line would be cut or split', () => {
    assert.throws(() => formatMessage({ command: 'PRIVMSG', params: ['#a', 'hi\r\nQUIT :bye'] }), /CR, LF or NUL/);
    assert.throws(() => formatMessage({ command: 'PRIVMSG', params: ['#a', 'hi\nx'] }), /CR, LF or NUL/);
    assert.throws(() => formatMessage({ command: 'PRIVMSG', params: ['#a', 'a\0b'] }), /CR, LF or NUL/);
    assert.throws(() => formatMessage({ source: 'a\rb', command: 'FOO' }), /CR, LF or NUL/);
    assert.throws(() => formatMessage({ tags: { k: 'a\0b' }, command: 'FOO' }), /CR, LF or NUL/);
  });

  test('a bad command, source or tag key throws', () => {
    for (const command of ['', 'PRIV MSG', ':FOO', '@FOO', '01', '0001', 'A1', 'JOİN']) {
      assert.throws(() => formatMessage({ command }), /bad command/, command);
    }
    assert.equal(formatMessage({ command: '001', params: ['dan', 'Welcome'] }), '001 dan Welcome');
    assert.throws(() => formatMessage({ source: '', command: 'FOO' }), /bad source/);
    assert.throws(() => formatMessage({ source: 'a b', command: 'FOO' }), /bad source/);
    for (const key of ['', 'a=b', 'a;b', 'a b', 'a\nb', 'a\0b']) {
      assert.throws(() => formatMessage({ tags: { [key]: 'v' }, command: 'FOO' }), /bad tag key/, JSON.stringify(key));
    }
  });
});

describe('round trips', () => {
  test('format(parse(line)) is the line, for lines in the form format writes', () => {
    for (const line of [
      "@id=234AB :dan!d@localhost PRIVMSG #chan :Hey what's up!",
      '@aaa=bbb;ccc;example.com/ddd=eee :nick!ident@host.com PRIVMSG me Hello',
      '@+example=raw+:=,escaped\\:\\s\\\\ TAGMSG #a',
      '@a=b\\\\and\\nk;c=72\\s45;d=gh\\:764 FOO',
      '@k=héllo\\swörld\\:日本😀 :srv NOTICE * :Ünïcödé  with  spaces ',
      ':irc.example.com CAP * LIST :',
      ':dan!d@localhost PRIVMSG #chan ::-)',
      `CMD ${numbers(1, 14).join(' ')} :a b`,
      ':irc.example.com 001 dan :Welcome to the Internet Relay Network dan',
    ]) {
      assert.equal(formatMessage(parsed(line)), line);
    }
  });

  test('parse(format(m)) is m, escapes and all', () => {
    const values = ['', ' ', ';', '\\', '\r\n', '\\s', 'a;b c\\d\re\nf', 'ü 😀;日本\\', '\\\\:'];
    // CR and LF are only sendable escaped, in tag values.
    for (const value of values.filter((v) => !/[\r\n]/.test(v))) {
      const m = msg('PRIVMSG', ['#a', value], 'nick!u@h', { k: value, '+client/x': 'y' });
      assert.deepEqual(parsed(formatMessage(m)), m, JSON.stringify(value));
    }
    for (const value of values) {
      const m = msg('TAGMSG', ['#a'], undefined, { k: value });
      assert.deepEqual(parsed(formatMessage(m)), m, JSON.stringify(value));
    }
  });
});

describe('names', () => {
  test('isValidNick: 1-32 of A-Z a-z 0-9 _ -', () => {
    for (const nick of ['a', 'A', '0', '_', '-', 'Bob_the-2nd', 'x'.repeat(32)]) assert.ok(isValidNick(nick), nick);
    for (const nick of ['', 'x'.repeat(33), 'a b', 'a,b', '#a', 'a*', 'a!b', 'a@b', 'a:b', ':a', 'a\0', 'é', 'a.b', '[a]', 'a\tb']) {
      assert.equal(isValidNick(nick), false, JSON.stringify(nick));
    }
  });

  test('channelRoom: #ROOM is ROOM when ROOM is a name', () => {
    assert.equal(channelRoom('#dev'), 'dev');
    assert.equal(channelRoom('#Dev_2-b'), 'Dev_2-b');
    assert.equal(channelRoom(`#${'r'.repeat(32)}`), 'r'.repeat(32));
    for (const target of ['', '#', 'dev', '&dev', '##dev', '#de v', '#a,#b', '#a*', '#a!b', '#a@b', '#a:b', '#a\0', `#${'r'.repeat(33)}`, ' #dev', '#dév']) {
      assert.equal(channelRoom(target), undefined, JSON.stringify(target));
    }
  });
});
