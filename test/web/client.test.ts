import assert from 'node:assert/strict';
import { test } from 'node:test';
import { find } from '../../src/web/chat.js';
import { type Client, connected, createClient, disconnected, input, leave, markers, openQuery, receive, sayLines } from '../../src/web/client.js';

const T0 = Date.UTC(2026, 10, 27, 5, 15, 5);
const at = (ms: number): string => new Date(T0 + ms).toISOString();
const LS =
  ':vm CAP * LS :account-tag away-notify batch cap-notify draft/chathistory draft/read-marker echo-message labeled-response multi-prefix server-time userhost-in-names';
const CAPS = 'server-time echo-message batch draft/chathistory draft/read-marker multi-prefix';

/** Feeds LINES to C; resolves with all C answered. */
function feed(c: Client, ...lines: string[]): string[] {
  return lines.flatMap((line) => receive(c, line));
}

/** A client registered as NICK on a server without accounts, in #lobby (its first login). */
function online(nick = 'alice'): Client {
  const c = createClient({ nick, password: '' }, () => T0 + 999_000);
  connected(c);
  feed(c, LS, `:vm CAP * ACK :${CAPS}`);
  assert.deepEqual(feed(c, `:vm 001 ${nick} :Welcome`), ['JOIN #lobby']);
  feed(c, `@time=${at(0)} :${nick}!${nick}@chat JOIN #lobby`, `:vm 353 ${nick} = #lobby :@${nick} bob`, `:vm 366 ${nick} #lobby :End`);
  return c;
}

const texts = (c: Client, name: string): string[] => find(c.chat, name)?.lines.map((l) => (l.from === '' ? l.text : `<${l.from}> ${l.text}`)) ?? [];

test('registration without accounts: CAP LS 302, NICK, USER; only offered capabilities asked for; a password unused; lobby joined', () => {
  const c = createClient({ nick: 'alice', password: 'unused' });
  assert.deepEqual(connected(c), ['CAP LS 302', 'NICK alice', 'USER alice 0 * alice']);
  // CAP LS in two lines (302's continuation): asked for once both came.
  assert.deepEqual(feed(c, ':vm CAP * LS * :server-time echo-message batch', ':vm CAP * LS :draft/chathistory multi-prefix'), [
    'CAP REQ :server-time echo-message batch draft/chathistory multi-prefix',
  ]);
  assert.equal(c.accounts, false);
  assert.deepEqual(feed(c, ':vm CAP * ACK :server-time echo-message batch draft/chathistory multi-prefix'), ['CAP END']);
  assert.deepEqual(feed(c, 'PING :vm'), ['PONG vm']);
  assert.deepEqual(feed(c, ':vm 001 alice :Welcome', ':vm 005 alice CHATHISTORY=100 :are supported', ':vm 422 alice :MOTD File is missing'), ['JOIN #lobby']);
  assert.ok(c.registered);
  assert.deepEqual(feed(c, `@time=${at(0)} :alice!alice@chat JOIN #lobby`), ['CHATHISTORY LATEST #lobby * 50']);
  assert.equal(c.chat.current, '#lobby');
  assert.equal(c.chat.conversations.size, 1, 'no line for the welcome nor the missing MOTD');
});

test('a CAP NAK still ends the negotiation; a server without CAP answers gets CAP END at once', () => {
  const c = createClient({ nick: 'alice', password: '' });
  connected(c);
  feed(c, LS);
  assert.deepEqual(feed(c, `:vm CAP * NAK :${CAPS}`), ['CAP END']);
  const bare = createClient({ nick: 'bob', password: '' });
  connected(bare);
  assert.deepEqual(feed(bare, ':vm CAP * LS :'), ['CAP END']);
});

test('SASL PLAIN when the server offers sasl and a password is given; the server names us by the account', () => {
  const c = createClient({ nick: 'alice', password: 'secret' });
  connected(c);
  assert.deepEqual(feed(c, LS.replace('server-time', 'sasl=PLAIN server-time')), [`CAP REQ :${CAPS} sasl`]);
  assert.equal(c.accounts, true);
  assert.deepEqual(feed(c, `:vm CAP * ACK :${CAPS} sasl`), ['AUTHENTICATE PLAIN']);
  assert.deepEqual(feed(c, 'AUTHENTICATE +'), [`AUTHENTICATE ${Buffer.from('alice\0alice\0secret').toString('base64')}`]);
  assert.deepEqual(feed(c, ':vm 900 * alice!alice@chat alice :You are now logged in as alice', ':vm 903 * :SASL authentication successful'), ['CAP END']);
  feed(c, ':Alice!Alice@chat NICK :alice', ':vm 001 alice :Welcome');
  assert.equal(c.chat.nick, 'alice');
  // No password on a server with accounts: no sasl asked for.
  const guest = createClient({ nick: 'gus', password: '' });
  connected(guest);
  assert.deepEqual(feed(guest, LS.replace('server-time', 'sasl server-time')), [`CAP REQ :${CAPS}`]);
});

test('refusals before the welcome end the login with words for people; after a first welcome, a taken name is retried', () => {
  const cases: Array<[string, boolean, RegExp]> = [
    [':vm 904 * :SASL authentication failed', true, /^Wrong name or password\.$/],
    [':vm 433 * alice :Nickname is reserved by an account: log in with SASL or PASS', true, /alice is taken, or is an account: give its password/],
    [':vm 433 * alice :Nickname is already in use', false, /^alice is taken: choose another name\.$/],
    [':vm 432 * alice :Erroneous nickname', false, /cannot be a name here/],
    [':vm 465 * :You are banned until 2026-12-01T00:00:00Z: spam', true, /^Refused: You are banned until .*: spam$/],
    ['ERROR :Closing Link: Too many connections from your address (max 100)', false, /^Closing Link: Too many connections/],
  ];
  for (const [line, accounts, want] of cases) {
    const c = createClient({ nick: 'alice', password: '' });
    connected(c);
    feed(c, accounts ? LS.replace('server-time', 'sasl server-time') : LS);
    feed(c, line);
    assert.match(c.refused ?? '', want, line);
  }
  const c = online();
  disconnected(c);
  connected(c);
  feed(c, LS, ':vm 433 * alice :Nickname is already in use');
  assert.equal(c.refused, undefined);
  assert.ok(c.retry, 'our last connection still holds the name: tried again after the back-off');
});

test('messages: a room line, a direct message each way in one conversation, an action; CTCP and server notices', () => {
  const c = online();
  feed(
    c,
    `@time=${at(1)} :bob!bob@chat PRIVMSG #lobby :hi alice`,
    `@time=${at(2)} :bob!bob@chat PRIVMSG alice :psst`,
    `@time=${at(3)} :alice!alice@chat PRIVMSG Bob :yes?`,
    `@time=${at(4)} :bob!bob@chat PRIVMSG #lobby :\x01ACTION waves\x01`,
    `@time=${at(5)} :bob!bob@chat PRIVMSG alice :\x01VERSION\x01`,
    ':vm NOTICE alice :waiting for you: 2 messages',
  );
  assert.deepEqual(texts(c, '#lobby'), ['<bob> hi alice', '<bob> waves', 'waiting for you: 2 messages']);
  assert.equal(find(c.chat, '#lobby')!.lines[1]!.kind, 'action');
  assert.deepEqual(texts(c, 'bob'), ['<bob> psst', '<alice> yes?']);
  const bob = find(c.chat, 'bob')!;
  assert.equal(bob.kind, 'query');
  assert.equal(bob.unread, 1, 'our own line is not unread');
  assert.equal(find(c.chat, '#lobby')!.lines[0]!.mention, true);
  assert.equal(find(c.chat, '#lobby')!.lines[0]!.at, T0 + 1, 'the time is the server-time tag');
});

test('history: a chathistory batch is merged when it ends; the same history again (a reconnect) adds nothing', () => {
  const c = online();
  const history = [
    ':vm BATCH +H1 chathistory #lobby',
    `@batch=H1;time=${at(-2000)} :bob!bob@chat PRIVMSG #lobby :before`,
    `@batch=H1;time=${at(-1000)} :alice!alice@chat PRIVMSG #lobby :mine`,
  ];
  feed(c, ...history);
  assert.deepEqual(texts(c, '#lobby'), [], 'held until the batch ends');
  feed(c, ':vm BATCH -H1');
  assert.deepEqual(texts(c, '#lobby'), ['<bob> before', '<alice> mine']);
  feed(c, `@time=${at(10)} :bob!bob@chat PRIVMSG #lobby :live`);
  disconnected(c);
  assert.equal(find(c.chat, '#lobby')!.joined, false);
  connected(c);
  feed(c, LS, `:vm CAP * ACK :${CAPS}`);
  assert.deepEqual(feed(c, ':vm 001 alice :Welcome'), ['JOIN #lobby'], 'the rooms are joined again, lobby no more than them');
  assert.deepEqual(feed(c, `@time=${at(20)} :alice!alice@chat JOIN #lobby`), ['CHATHISTORY LATEST #lobby * 50']);
  feed(
    c,
    ':vm BATCH +H2 chathistory #lobby',
    `@batch=H2;time=${at(-2000)} :bob!bob@chat PRIVMSG #lobby :before`,
    `@batch=H2;time=${at(-1000)} :alice!alice@chat PRIVMSG #lobby :mine`,
    `@batch=H2;time=${at(10)} :bob!bob@chat PRIVMSG #lobby :live`,
    `@batch=H2;time=${at(15)} :bob!bob@chat PRIVMSG #lobby :while away`,
    ':vm BATCH -H2',
  );
  assert.deepEqual(texts(c, '#lobby'), ['<bob> before', '<alice> mine', '<bob> live', '<bob> while away']);
});

test('a reconnect joins every room again (several a line), asks for each conversation\u2019s history, and keeps the one shown', () => {
  const c = online();
  feed(c, `:alice!alice@chat JOIN #dev`, `@time=${at(1)} :bob!bob@chat PRIVMSG alice :hi`);
  input(c, '/join secret key1');
  feed(c, ':alice!alice@chat JOIN #secret');
  assert.equal(c.chat.current, '#secret');
  disconnected(c);
  connected(c);
  feed(c, LS, `:vm CAP * ACK :${CAPS}`);
  assert.deepEqual(feed(c, ':vm 001 alice :Welcome'), ['JOIN #secret key1', 'JOIN #dev,#lobby', 'CHATHISTORY LATEST bob * 50']);
  assert.equal(c.chat.current, '#secret');
});

test('room events: joins, parts, quits only where the user was, renames, topics, removal', () => {
  const c = online();
  feed(c, ':alice!alice@chat JOIN #dev', ':vm 332 alice #dev :the topic', ':vm 353 alice = #dev :@+alice carol', ':vm 366 alice #dev :End');
  assert.equal(find(c.chat, '#dev')!.topic, 'the topic');
  assert.deepEqual([...find(c.chat, '#dev')!.members.values()], ['alice', 'carol']);
  feed(
    c,
    ':dave!dave@chat JOIN #dev',
    ':dave!dave@chat PART #dev :bye',
    ':bob!bob@chat QUIT :Quit: gone',
    ':carol!carol@chat NICK :caroline',
    ':caroline!caroline@chat TOPIC #dev :new one',
    ':caroline!caroline@chat KICK #dev alice :enough',
  );
  assert.deepEqual(texts(c, '#dev'), [
    'dave joined',
    'dave left (bye)',
    'carol is now caroline',
    'caroline set the topic: new one',
    'alice was removed by caroline: enough',
  ]);
  assert.deepEqual(texts(c, '#lobby'), ['bob left the chat (Quit: gone)']);
  assert.equal(find(c.chat, '#dev')!.topic, 'new one');
  assert.equal(find(c.chat, '#dev')!.joined, false, 'removed: the room stays, not joined');
});

test('typing: /join shows the room once joined, /part leaves it, /msg opens the conversation, /me, long and several lines', () => {
  const c = online();
  assert.deepEqual(input(c, '/join dev'), ['JOIN #dev']);
  assert.equal(c.chat.current, '#lobby');
  feed(c, ':alice!alice@chat JOIN #dev');
  assert.equal(c.chat.current, '#dev');
  assert.deepEqual(input(c, '/join lobby'), [], 'a room joined already is only shown');
  assert.equal(c.chat.current, '#lobby');
  assert.deepEqual(input(c, 'hello'), ['PRIVMSG #lobby hello']);
  assert.deepEqual(input(c, '//etc/passwd is a path'), ['PRIVMSG #lobby :/etc/passwd is a path']);
  assert.deepEqual(input(c, '/me waves'), ['PRIVMSG #lobby :\x01ACTION waves\x01']);
  assert.deepEqual(input(c, '/msg bob hi there'), ['CHATHISTORY LATEST bob * 50', 'PRIVMSG bob :hi there']);
  assert.equal(c.chat.current, 'bob');
  assert.deepEqual(input(c, 'again'), ['PRIVMSG bob again']);
  const long = input(c, 'x'.repeat(900));
  assert.equal(long.length, 3);
  assert.deepEqual(sayLines(c, 'one\ntwo\r\n\nPRIVMSG #x :three'), ['PRIVMSG bob one', 'PRIVMSG bob two', 'PRIVMSG bob :PRIVMSG #x :three']);
  assert.deepEqual(input(c, '/part'), [], 'a conversation is no room');
  assert.deepEqual(texts(c, 'bob').at(-1), 'This is not a room: /close closes it.');
  assert.deepEqual(input(c, '/close'), []);
  assert.equal(find(c.chat, 'bob'), undefined);
  assert.deepEqual(input(c, '/part #dev see you'), ['PART #dev :see you']);
  assert.ok(find(c.chat, '#dev'), 'the room goes when the server confirms');
  feed(c, ':alice!alice@chat PART #dev :see you');
  assert.equal(find(c.chat, '#dev'), undefined);
  assert.deepEqual(input(c, '/join no#way'), []);
  assert.match(texts(c, '#lobby').at(-1)!, /cannot be a room/);
  assert.deepEqual(input(c, '/topic'), []);
  assert.equal(texts(c, '#lobby').at(-1), '#lobby has no topic.');
  assert.deepEqual(input(c, '/topic hello world'), ['TOPIC #lobby :hello world']);
});

test('typing with no conversation shown says so instead of sending', () => {
  const c = online();
  assert.deepEqual(leave(c, '#lobby'), ['PART #lobby']);
  feed(c, ':alice!alice@chat PART #lobby');
  assert.equal(c.chat.current, undefined);
  assert.deepEqual(input(c, 'hello?'), []);
  assert.match(texts(c, '*')[0]!, /Choose a room or a person first/);
});

test('errors after the welcome go to the conversation they are about', () => {
  const c = online();
  openQuery(c, 'nobody');
  feed(c, ':vm 401 alice nobody :No such nick/channel', ':vm 404 alice #lobby :Cannot send to channel', ':vm 421 alice FOO :Unknown command');
  assert.deepEqual(texts(c, 'nobody'), ['nobody: No such nick/channel', 'FOO: Unknown command']);
  assert.deepEqual(texts(c, '#lobby'), ['#lobby: Cannot send to channel']);
});

test('read markers: what was shown is marked once, with the time of its last line', () => {
  const c = online();
  feed(c, `@time=${at(5)} :bob!bob@chat PRIVMSG #lobby :one`, ':vm MARKREAD #lobby *');
  assert.deepEqual(markers(c), [`MARKREAD #lobby timestamp=${at(5)}`]);
  assert.deepEqual(markers(c), []);
  feed(c, `:vm MARKREAD #lobby timestamp=${at(9)}`);
  assert.deepEqual(markers(c), []);
  // The page's own lines are timed by the browser's clock, not the server's: they move no marker.
  input(c, '/frobnicate');
  input(c, '/help');
  assert.deepEqual(markers(c), []);
});

test('ERROR: a kick is not come back from; any other close is', () => {
  const c = online();
  feed(c, 'ERROR :Closing Link: kicked by root: spam');
  assert.ok(c.kicked);
  assert.equal(c.refused, undefined);
  const d = online();
  feed(d, 'ERROR :Closing Link: Server shutting down');
  assert.ok(!d.kicked);
  assert.equal(d.refused, undefined);
});
