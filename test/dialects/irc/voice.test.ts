import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Command } from '../../../src/server/command.js';
import type { IrcContext } from '../../../src/dialects/irc/context.js';
import { MAX_CHANNELS, MAX_TARGETS, IrcVoice } from '../../../src/dialects/irc/voice.js';
import { saslPlain } from '../../../src/dialects/irc/sasl.js';
import { toChat, fromAction } from '../../../src/dialects/irc/text.js';
import { labelEnd, labelStart, Labels } from '../../../src/dialects/irc/labels.js';
import { PrivmsgHeads } from '../../../src/dialects/irc/heads.js';
import { T0 } from '../../helpers/fake-clock.js';

const ctx = (accounts = false): IrcContext => ({
  serverName: 'irc.test',
  version: '1.0.0',
  now: () => T0,
  isAccount: (name) => name === 'acct',
  awayOf: () => undefined,
  users: () => 3,
  maxUsers: () => 3,
  rooms: () => 2,
  accounts,
});

const voice = (accounts = false): IrcVoice => new IrcVoice(ctx(accounts), { maxRoomsPerUser: 50 });

/** The commands of one parse, flattened (`several` opened). */
const commands = (c: Command): Command[] => (c.kind === 'several' ? c.commands.flatMap(commands) : [c]);
const answers = (c: Command): string[] => commands(c).flatMap((x) => (x.kind === 'answer' ? x.text.split('\n').map((l) => l.replace(/\r$/, '')) : []));

/** A voice that has registered as NICK (the core's answer given to its words). */
function registered(nick = 'alice', accounts = false): IrcVoice {
  const v = voice(accounts);
  v.parse(`NICK ${nick}`);
  assert.deepEqual(v.parse(`USER ${nick} 0 * :Real Name`), { kind: 'register', name: nick, password: undefined, lobby: false });
  v.words.registered(nick);
  return v;
}

test('registration waits for NICK, USER and CAP END, and starts the user in no room', () => {
  const v = voice();
  assert.deepEqual(answers(v.parse('CAP LS 302')), [
    ':irc.test CAP * LS :account-tag away-notify batch cap-notify draft/chathistory draft/read-marker echo-message labeled-response multi-prefix server-time userhost-in-names',
  ]);
  assert.deepEqual(v.parse('NICK alice'), { kind: 'empty' });
  assert.deepEqual(v.parse('USER alice 0 * :Alice'), { kind: 'empty' }, 'still negotiating');
  assert.deepEqual(answers(v.parse('CAP REQ :server-time echo-message')), [':irc.test CAP * ACK :server-time echo-message']);
  assert.equal(v.form, 1, 'server-time changes the form of room events');
  assert.deepEqual(v.parse('CAP END'), { kind: 'register', name: 'alice', password: undefined, lobby: false });
  assert.deepEqual(v.parse('NICK other'), { kind: 'empty' }, 'one registration in flight at a time');
  const burst = v.words.registered('alice').split('\n');
  assert.match(burst[0]!, /^:irc\.test 001 alice :Welcome/);
  assert.ok(burst.some((l) => l.startsWith(':irc.test 005 alice CASEMAPPING=ascii CHANTYPES=# NICKLEN=32 ')));
  assert.match(burst.at(-1)!, /^:irc\.test 422 alice :MOTD File is missing\r$/);
  assert.ok(
    burst.every((l) => l.endsWith('\r')),
    'every line ends in CR: the core adds the LF',
  );
});

test('echo-message and away-notify follow CAP REQ both ways: the echo, and the form of room events', () => {
  const v = registered('alice');
  assert.equal(v.words.ownDirectMessage?.('bob', 'hi', false, false, 0), undefined);
  v.parse('CAP REQ :echo-message away-notify');
  assert.equal(v.words.ownDirectMessage?.('bob', 'hi', false, false, 0), ':alice!alice@chat PRIVMSG bob :hi\r');
  assert.equal(v.form, 4, 'away-notify is a form of its own (AWAY is shown only to it)');
  v.parse('CAP REQ :-echo-message -away-notify');
  assert.equal(v.words.ownDirectMessage?.('bob', 'hi', false, false, 0), undefined);
  assert.equal(v.form, 0);
});

test('the head of a direct message is made once per sender, and stays right past the most kept', () => {
  const heads = new PrivmsgHeads();
  assert.equal(heads.of('Bob'), ':Bob!Bob@chat PRIVMSG ');
  assert.equal(heads.of('Bob'), ':Bob!Bob@chat PRIVMSG ');
  for (let i = 0; i < 10_050; i++) assert.equal(heads.of(`u${i}`), `:u${i}!u${i}@chat PRIVMSG `);
  assert.equal(heads.of('Bob'), ':Bob!Bob@chat PRIVMSG ');
});

test('a capability not offered refuses the whole request; SASL is offered only with accounts', () => {
  const v = voice();
  assert.deepEqual(answers(v.parse('CAP REQ :server-time sasl')), [':irc.test CAP * NAK :server-time sasl']);
  assert.deepEqual(answers(v.parse('CAP LIST')), [':irc.test CAP * LIST :']);
  assert.match(answers(voice(true).parse('CAP LS 302'))[0]!, / sasl=PLAIN /);
  assert.match(answers(voice(true).parse('CAP LS'))[0]!, / sasl /, 'values only with 302');
  assert.deepEqual(answers(v.parse('CAP FOO')), [':irc.test 410 * FOO :Invalid CAP command']);
});

test('nicks and channels with any character our names cannot hold are refused, never passed on', () => {
  const v = voice();
  for (const bad of ['a b', 'a,b', '#a', 'a*', 'a!b', 'a@b', 'a:b', 'a\x00b', 'é', 'x'.repeat(33), '[bot]']) {
    const out = commands(v.parse(`NICK ${bad}`));
    assert.ok(
      out.every((c) => c.kind === 'answer' || c.kind === 'empty'),
      `NICK ${JSON.stringify(bad)}`,
    );
  }
  const r = registered();
  for (const bad of ['#', '#a\x07', '#é', `#${'x'.repeat(33)}`, 'lobby', '&lobby', '#a:b']) {
    const out = commands(r.parse(`JOIN ${bad}`));
    assert.ok(
      out.every((c) => c.kind === 'answer'),
      `JOIN ${JSON.stringify(bad)}: ${JSON.stringify(out)}`,
    );
  }
});

test('JOIN of several channels is a join and the names of each; a line of thousands is capped', () => {
  const v = registered();
  assert.deepEqual(commands(v.parse('JOIN #a,#b')), [
    { kind: 'join', room: 'a' },
    { kind: 'who', room: 'a', as: 'join' },
    { kind: 'join', room: 'b' },
    { kind: 'who', room: 'b', as: 'join' },
  ]);
  // As many as a line of 512 bytes holds: more than the cap.
  const many = Array.from({ length: 120 }, (_, i) => `#${i}`).join(',');
  assert.equal(commands(v.parse(`JOIN ${many}`)).length, 2 * MAX_CHANNELS);
  const tooLong = Array.from({ length: 10_000 }, (_, i) => `#r${i}`).join(',');
  assert.match(answers(v.parse(`JOIN ${tooLong}`))[0]!, / 417 /);
});

test('PRIVMSG to a channel is a room message for that room, to a nick a direct message; targets are capped', () => {
  const v = registered();
  assert.deepEqual(v.parse('PRIVMSG #dev :hi there'), { kind: 'room', room: 'dev', text: 'hi there' });
  assert.deepEqual(v.parse('PRIVMSG bob :psst'), { kind: 'direct', to: 'bob', text: 'psst' });
  assert.deepEqual(v.parse('NOTICE bob :psst'), { kind: 'direct', to: 'bob', text: 'psst', notice: true });
  assert.deepEqual(v.parse('NOTICE #a,nobody!x :psst'), { kind: 'room', room: 'a', text: 'psst', notice: true }, 'a NOTICE is never answered');
  const targets = Array.from({ length: 1000 }, (_, i) => `u${i}`).join(',');
  const out = commands(v.parse(`PRIVMSG ${targets.slice(0, 400)} :x`));
  assert.equal(out.filter((c) => c.kind === 'direct').length, MAX_TARGETS);
  assert.ok(out.slice(MAX_TARGETS).every((c) => c.kind === 'answer' && / 407 /.test(c.text)));
  assert.deepEqual(answers(v.parse('PRIVMSG bob')), [':irc.test 412 alice :No text to send']);
  assert.deepEqual(answers(v.parse('PRIVMSG')), [':irc.test 411 alice :No recipient given (PRIVMSG)']);
});

test('an action is `/me` text; other CTCP is a direct message for IRC users only; controls never enter the chat', () => {
  assert.equal(toChat('\x01ACTION waves\x01'), '/me waves');
  assert.equal(toChat('\x01VERSION\x01'), undefined);
  assert.equal(toChat('\x02bold\x02 \x0304red\x03 \x1b[2J'), 'bold 04red [2J');
  assert.equal(fromAction('/me waves'), '\x01ACTION waves\x01');
  assert.equal(fromAction('me waves'), 'me waves');
  const v = registered();
  assert.deepEqual(v.parse('PRIVMSG bob :\x01VERSION\x01'), { kind: 'direct', to: 'bob', text: 'VERSION', ctcp: true });
  assert.deepEqual(v.parse('NOTICE bob :\x01PING 1\x01'), { kind: 'direct', to: 'bob', text: 'PING 1', ctcp: true, notice: true });
  assert.deepEqual(v.parse('PRIVMSG #a :\x01VERSION\x01'), { kind: 'empty' }, 'never to a room');
  assert.deepEqual(v.parse('PRIVMSG #a :\x01ACTION waves\x01'), { kind: 'room', room: 'a', text: '/me waves' });
});

test('NUL and CR inside a line are taken out before parsing: nothing we echo can end a line', () => {
  const v = registered();
  const ping = v.parse('PING :a\rQUIT\x00x');
  assert.deepEqual(ping, { kind: 'ping', token: 'aQUITx' });
  assert.doesNotMatch(v.words.pong('aQUITx'), /\r./);
});

test('lines over the limits get 417 and the connection goes on', () => {
  const v = registered();
  assert.deepEqual(answers(v.parse(`PRIVMSG #a :${'x'.repeat(510)}`)), [':irc.test 417 alice :Input line was too long']);
  assert.deepEqual(answers(v.parse(`@a=${'x'.repeat(8200)} PING x`)), [':irc.test 417 alice :Input line was too long']);
  assert.deepEqual(v.parse(`@a=${'x'.repeat(8000)} PING x`), { kind: 'ping', token: 'x' });
});

test('before registration only registration commands are taken', () => {
  const v = voice();
  assert.deepEqual(answers(v.parse('JOIN #a')), [':irc.test 451 * :You have not registered']);
  assert.deepEqual(answers(v.parse('PRIVMSG bob :hi')), [':irc.test 451 * :You have not registered']);
  assert.deepEqual(v.parse('PING x'), { kind: 'ping', token: 'x' });
});

test('SASL PLAIN: chunks of 400, an abort, a message too long, and the account checked by the core', () => {
  const v = voice(true);
  v.parse('CAP REQ :sasl');
  assert.deepEqual(answers(v.parse('AUTHENTICATE PLAIN')), ['AUTHENTICATE +']);
  const b64 = Buffer.from('\0acct\0secret').toString('base64');
  assert.deepEqual(v.parse(`AUTHENTICATE ${b64}`), { kind: 'authenticate', name: 'acct', password: 'secret' });
  v.words.authenticated('acct');
  v.parse('NICK someone');
  v.parse('USER u 0 * :u');
  assert.deepEqual(v.parse('CAP END'), { kind: 'register', name: 'acct', password: 'secret', lobby: false }, 'the account is the name');

  const w = voice(true);
  w.parse('AUTHENTICATE PLAIN');
  assert.deepEqual(answers(w.parse('AUTHENTICATE *')), [':irc.test 906 * :SASL authentication aborted']);
  w.parse('AUTHENTICATE PLAIN');
  for (let i = 0; i < 4; i++) assert.deepEqual(w.parse(`AUTHENTICATE ${'A'.repeat(400)}`), { kind: 'empty' });
  // Chunks that never end: a failed login; one chunk over 400: too long (IRCv3 SASL's 905).
  assert.deepEqual(answers(w.parse(`AUTHENTICATE ${'A'.repeat(400)}`)), [':irc.test 904 * :SASL authentication failed']);
  w.parse('AUTHENTICATE PLAIN');
  assert.deepEqual(answers(w.parse(`AUTHENTICATE ${'A'.repeat(401)}`)), [':irc.test 905 * :SASL message too long']);
  assert.deepEqual(answers(w.parse('AUTHENTICATE EXTERNAL')), [
    ':irc.test 908 * PLAIN :are available SASL mechanisms',
    ':irc.test 904 * :SASL authentication failed',
  ]);

  assert.equal(saslPlain(Buffer.from('other\0acct\0pw').toString('base64')), undefined, 'one account does not log in as another');
  assert.equal(saslPlain(Buffer.from('acct\0pw').toString('base64')), undefined);
  assert.equal(saslPlain('!!!'), undefined);
  assert.deepEqual(saslPlain(Buffer.from('acct\0acct\0p w').toString('base64')), { name: 'acct', password: 'p w' });
});

test('QUIT is answered with ERROR, then the connection closes; NICK after registration is a rename', () => {
  const v = registered();
  const quit = commands(v.parse('QUIT :gone fishing'));
  assert.deepEqual(answers(v.parse('QUIT :gone fishing')), ['ERROR :Closing Link: Quit: gone fishing']);
  assert.deepEqual(quit.at(-1), { kind: 'quit', reason: 'gone fishing' });
  assert.deepEqual(v.parse('NICK bob'), { kind: 'register', name: 'bob', password: undefined });
  assert.equal(v.words.youAreNow('bob'), ':alice!alice@chat NICK :bob\r');
});

test('the client is told JOIN once per channel: a room joined again says nothing, a part forgets it', () => {
  const v = registered();
  assert.equal(v.words.youAreIn('dev'), ':alice!alice@chat JOIN #dev\r');
  assert.equal(v.words.youAreIn('dev'), '');
  assert.match(v.words.inRoom('dev', ['alice', 'bob'], 'join'), /353 alice = #dev :alice bob\r\n.* 366 /);
  assert.equal(v.words.youLeft('dev'), ':alice!alice@chat PART #dev\r');
  assert.equal(v.words.inRoom('dev', ['bob'], 'join'), '', 'no names for a join that did not happen');
  const names = Array.from({ length: 1000 }, (_, i) => `user${i}`);
  const lines = v.words.inRoom('big', names, 'names').split('\n');
  assert.ok(lines.length > 10);
  assert.ok(lines.every((l) => Buffer.byteLength(l) <= 510));
});

test('labeled-response: one answer is tagged, several come in a batch, none is an ACK, tags are merged', () => {
  const labels = new Labels('irc.test');
  const say = (...answers: string[]): string[] => answers.map((a) => labels.answer(a)).filter((a) => a !== '');
  assert.deepEqual(say(labelStart('a1'), ':irc.test PONG irc.test :x\r', labelEnd()), ['@label=a1 :irc.test PONG irc.test :x\r']);
  assert.deepEqual(say(labelStart('a2'), labelEnd()), ['@label=a2 :irc.test ACK\r']);
  assert.deepEqual(say(labelStart('a3'), '@time=T :me JOIN #a\r\n:irc.test 366 me #a :End\r', labelEnd()), [
    '@label=a3 :irc.test BATCH +L1 labeled-response\r\n@batch=L1;time=T :me JOIN #a\r\n@batch=L1 :irc.test 366 me #a :End\r\n:irc.test BATCH -L1\r',
  ]);
  assert.deepEqual(say(':not labeled\r'), [':not labeled\r'], 'outside a label, answers pass as they are');
  const v = registered();
  v.parse('CAP REQ :labeled-response batch');
  assert.deepEqual(commands(v.parse('@label=x PING t')), [
    { kind: 'answer', text: labelStart('x') },
    { kind: 'ping', token: 't' },
    { kind: 'answer', text: labelEnd() },
  ]);
  assert.deepEqual(v.parse('@label=x\\sy PING t'), { kind: 'ping', token: 't' }, 'a label that could break the tags is ignored');
});

test('IRC has no command to change a password; should the core say the words, they are notices', () => {
  const v = registered();
  assert.deepEqual(answers(v.parse('PASSWD old new')), [':irc.test 421 alice PASSWD :Unknown command']);
  assert.equal(v.words.passwordChanged(), ':irc.test NOTICE alice :password changed\r');
  assert.equal(v.words.passwordNotChanged('guest'), ':irc.test NOTICE alice :no password to change: you are a guest (your name is not an account)\r');
});

test('the plain PRIVMSG read straight to its command gives what the general path gives, for every form it takes or leaves', () => {
  const v = registered('alice');
  // `privmsg` in lower case goes the general way (parseMessage, #command, #message).
  const lines = [
    'PRIVMSG bob :hi there',
    'PRIVMSG #lobby :hi all',
    'PRIVMSG #lobby :\x01ACTION waves\x01',
    'PRIVMSG bob :\x01VERSION\x01',
    'PRIVMSG bob :\x02bold\x02 and \x0304colour',
    'PRIVMSG bob,carol :two',
    'PRIVMSG bob :',
    'PRIVMSG bob hi',
    'PRIVMSG  bob :two spaces',
    'PRIVMSG bob  :two spaces',
    'PRIVMSG :bob',
    'PRIVMSG #no#such :x',
    'PRIVMSG bad!nick :x',
    'PRIVMSG bob :nul\0inside',
    'PRIVMSG bob :cr\rinside',
    'PRIVMSG bob :not utf-8 \uFFFD',
    `PRIVMSG bob :${'x'.repeat(494)}`,
    `PRIVMSG bob :${'x'.repeat(500)}`,
    `PRIVMSG bob :${'é'.repeat(246)}`,
    `PRIVMSG bob :${'é'.repeat(248)}`,
    `PRIVMSG #lobby :${'y'.repeat(470)}`,
    'PRIVMSG bob ::colon first',
    'PRIVMSG bob :a\ttab',
    'PRIVMSG bob :\x7fdel and \x9bcsi',
    'PRIVMSG b\u00f6b :not a name',
  ];
  for (const line of lines) {
    const general = v.parse(`privmsg${line.slice('PRIVMSG'.length)}`);
    assert.deepEqual(v.parse(line), general, JSON.stringify(line));
    // A line the framer found plain (printable ASCII, TAB, CR only) is read the same.
    if (/^[\t\r -~]*$/.test(line)) assert.deepEqual(v.parse(line, false, true), general, `plain: ${JSON.stringify(line)}`);
  }
  // And before registration, the general path's 451.
  const fresh = voice();
  assert.deepEqual(answers(fresh.parse('PRIVMSG bob :hi')), [':irc.test 451 * :You have not registered']);
});

test('a direct message to an IRC user: one line as the general form makes it, tags, actions, notices and long texts included', () => {
  const plain = registered('alice');
  assert.equal(plain.words.directMessage('bob', 'hi there'), ':bob!bob@chat PRIVMSG alice :hi there\r');
  assert.equal(plain.words.directMessage('bob', '/me waves'), ':bob!bob@chat PRIVMSG alice :\x01ACTION waves\x01\r');
  assert.equal(plain.words.directMessage('bob', '/mean it'), ':bob!bob@chat PRIVMSG alice :/mean it\r');
  assert.equal(plain.words.directMessage('bob', 'psst', true), ':bob!bob@chat NOTICE alice :psst\r');
  assert.equal(plain.words.directMessage('bob', 'VERSION', false, true), ':bob!bob@chat PRIVMSG alice :\x01VERSION\x01\r');
  // Longer than an IRC line: parts, each a whole PRIVMSG (split.ts).
  const long = plain.words.directMessage('bob', 'w'.repeat(600));
  const parts = long.replace(/\r$/, '').split('\r\n');
  assert.equal(parts.length, 2, long);
  for (const part of parts) assert.match(part, /^:bob!bob@chat PRIVMSG alice :w+$/);
  assert.equal(parts.join('').replaceAll(':bob!bob@chat PRIVMSG alice :', ''), 'w'.repeat(600));
  // With server-time, the tag comes first.
  const timed = voice();
  timed.parse('CAP REQ :server-time');
  timed.parse('NICK carol');
  timed.parse('USER carol 0 * :Carol');
  timed.parse('CAP END');
  timed.words.registered('carol');
  assert.match(timed.words.directMessage('bob', 'hi'), /^@time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z :bob!bob@chat PRIVMSG carol :hi\r$/);
});
