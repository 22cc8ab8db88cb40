import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test, type TestContext } from 'node:test';
import type { ChatServerOptions } from '../../src/index.js';
import { cluster } from '../helpers/cluster.js';
import { IrcClient, ircUser } from '../helpers/irc-client.js';
import { redisSkip } from '../helpers/redis.js';
import { startServer } from '../helpers/server.js';
import { usersFile } from '../helpers/users.js';
import { WireClient } from '../helpers/wire-client.js';

/** A server with an IRC port beside its line port. */
async function both(
  t: TestContext,
  options: ChatServerOptions = {},
): Promise<{ line: number; irc: number; server: Awaited<ReturnType<typeof startServer>>['server'] }> {
  const { server, port } = await startServer(t, { ircPort: 0, serverName: 'irc.test', rate: 0, ...options });
  const irc = server.ircAddress?.port;
  assert.ok(irc !== undefined);
  return { line: port, irc, server };
}

test('an IRC user and an nc user share rooms, presence and direct messages, each in their own words', async (t) => {
  const { line, irc } = await both(t);
  const bob = await WireClient.registered(t, line, 'bob');
  const alice = await ircUser(t, irc, 'alice');
  await bob.expectNothing();

  alice.send('JOIN #lobby');
  await alice.expect(/^:alice!alice@chat JOIN #lobby$/);
  assert.match((await alice.expect(/ 353 /)) ?? '', /^:irc\.test 353 alice = #lobby :alice bob$/);
  await alice.expect(/ 366 alice #lobby /);
  assert.equal(await bob.next(), '* alice joined');

  bob.send('hi from nc');
  assert.equal(await alice.next(), ':bob!bob@chat PRIVMSG #lobby :hi from nc');
  alice.send('PRIVMSG #lobby :hello from irc');
  assert.equal(await bob.next(), '<alice> hello from irc');
  alice.send('PRIVMSG #lobby :\x01ACTION waves\x01');
  assert.equal(await bob.next(), '<alice> /me waves', 'an action, inside a message: no user can make it a notice');
  bob.send('//me waves back');
  assert.equal(await alice.next(), ':bob!bob@chat PRIVMSG #lobby :\x01ACTION waves back\x01');

  alice.send('PRIVMSG bob :psst');
  assert.equal(await bob.next(), '*alice* psst');
  bob.send('@alice:psst back');
  assert.equal(await alice.next(), ':bob!bob@chat PRIVMSG alice :psst back');

  // Another room: tagged for the nc user, whose current room stays.
  bob.send('/join dev');
  assert.equal(await bob.next(), '* you are in dev');
  alice.send('JOIN #dev');
  await alice.expect(/ 366 alice #dev /);
  assert.equal(await bob.next(), '* alice joined');
  alice.send('PRIVMSG #lobby :in the lobby');
  assert.equal(await bob.next(), '<alice#lobby> in the lobby');

  alice.send('NICK alicia');
  assert.equal(await alice.next(), ':alice!alice@chat NICK :alicia');
  assert.equal(await bob.next(), '* alice is now alicia');

  alice.send('PART #dev :enough');
  assert.equal(await alice.next(), ':alicia!alicia@chat PART #dev :enough');
  assert.equal(await bob.next(), '* alicia left (enough)');
  bob.send('/part dev');
  await bob.lines.until(/^\* you are in lobby$/);
  alice.send('PRIVMSG #dev :nobody here');
  assert.equal(await alice.next(), ':irc.test 404 alicia #dev :Cannot send to channel');

  bob.send('/quit off now');
  assert.equal(await alice.next(), ':bob!bob@chat QUIT :off now', 'a quit, not a part: bob is gone from every channel');
  alice.send('QUIT :bye');
  assert.equal(await alice.next(), 'ERROR :Closing Link: Quit: bye');
  await alice.closed;
});

test('a direct message reaches its addressee only, across dialects', async (t) => {
  const { line, irc } = await both(t);
  const bob = await WireClient.registered(t, line, 'bob');
  const dave = await WireClient.registered(t, line, 'dave');
  const alice = await ircUser(t, irc, 'alice');
  const carol = await ircUser(t, irc, 'carol');
  for (const c of [alice, carol]) {
    c.send('JOIN #lobby');
    await c.expect(/ 366 /);
  }
  await bob.sync();
  await dave.sync();
  await alice.sync();
  alice.send('PRIVMSG bob :secret one');
  bob.send('@carol:secret two');
  carol.send('PRIVMSG alice,dave :secret three');
  assert.equal(await bob.next(), '*alice* secret one');
  assert.equal(await carol.next(), ':bob!bob@chat PRIVMSG carol :secret two');
  assert.equal(await alice.next(), ':carol!carol@chat PRIVMSG alice :secret three');
  assert.equal(await dave.next(), '*carol* secret three');
  await Promise.all([bob.expectNothing(), dave.expectNothing(), alice.expectNothing(), carol.expectNothing()]);

  // CTCP passes between IRC users only: a line user never gets it, not even as text.
  alice.send('PRIVMSG carol :\x01VERSION\x01');
  assert.equal(await carol.next(), ':alice!alice@chat PRIVMSG carol :\x01VERSION\x01');
  carol.send('NOTICE alice :\x01VERSION tcp-chat test\x01');
  assert.equal(await alice.next(), ':carol!carol@chat NOTICE alice :\x01VERSION tcp-chat test\x01');
  alice.send('PRIVMSG bob :\x01VERSION\x01');
  alice.send('PRIVMSG #lobby :\x01VERSION\x01');
  await Promise.all([bob.expectNothing(), dave.expectNothing(), alice.expectNothing(), carol.expectNothing()]);
});

test('accounts: SASL, PASS, a guest kept off an account name, kept messages with their time, an operator KILL', async (t) => {
  const users = await usersFile(t, { acct: 'secret', other: 'pw2' }, ['acct']);
  const { line, irc } = await both(t, { users, guests: true, authFailureDelayMs: 10 });
  // A guest: a name that is no account is open without a password.
  const guest = await ircUser(t, irc, 'guest');
  // An account's name needs its password: the nick is refused, the client may pick another.
  const thief = await IrcClient.connect(t, irc, 'thief');
  thief.send('NICK acct');
  thief.send('USER x 0 * :x');
  assert.equal(await thief.next(), ':irc.test 433 * acct :Nickname is reserved by an account: log in with SASL or PASS');
  thief.send('NICK thief');
  await thief.expect(/ 001 thief /);

  // A direct message to the account while it is away is kept.
  const bob = await WireClient.registered(t, line, 'bob');
  bob.send('@acct:while you were out');
  assert.equal(await bob.next(), '* acct is offline: the message will be delivered at their next login');

  // SASL PLAIN, with server-time: the kept message comes as a PRIVMSG at the time it was sent.
  const acct = await IrcClient.connect(t, irc, 'acct');
  acct.send('CAP LS 302');
  acct.send('CAP REQ :sasl server-time');
  acct.send('NICK whatever');
  acct.send('USER a 0 * :a');
  await acct.expect(/ ACK /);
  acct.send('AUTHENTICATE PLAIN');
  assert.equal(await acct.next(), 'AUTHENTICATE +');
  acct.send(`AUTHENTICATE ${Buffer.from('\0acct\0secret').toString('base64')}`);
  assert.match((await acct.next()) ?? '', / 900 \* whatever!whatever@chat acct :You are now logged in as acct$/);
  assert.match((await acct.next()) ?? '', / 903 /);
  acct.send('CAP END');
  assert.equal(await acct.next(), ':whatever!whatever@chat NICK :acct');
  await acct.expect(/ 422 acct /);
  await acct.expect(/NOTICE acct :waiting for you: 1 messages$/);
  assert.match((await acct.next()) ?? '', /^@time=\d{4}-\d\d-\d\dT[0-9:.]+Z :bob!bob@chat PRIVMSG acct :while you were out$/);

  // PASS before NICK, for a client without SASL.
  const other = await IrcClient.connect(t, irc, 'other');
  other.send('PASS wrong');
  other.send('NICK other');
  other.send('USER o 0 * :o');
  assert.match((await other.next()) ?? '', / 464 \* :Password incorrect$/);
  const other2 = await IrcClient.connect(t, irc, 'other2');
  await other2.register('other', { pass: 'pw2' });

  // KILL is the operator's /kick: the line user is told, as nc users are.
  guest.send('KILL bob :spam');
  assert.equal(await guest.next(), ":irc.test 481 guest :Permission Denied- You're not an IRC operator");
  acct.send('KILL bob :spam');
  assert.equal(await bob.next(), '! kicked by acct: spam');
  await bob.closed;
  acct.send('KILL guest');
  assert.equal(await guest.next(), 'ERROR :Closing Link: kicked by acct');
  await guest.closed;
  // OPER for an operator account logged in as itself.
  acct.send('OPER acct secret');
  assert.match((await acct.expect(/ 381 /)) ?? '', /You are now an IRC operator/);
});

test('flood control, the per-address limit and the send queue hold for IRC as for the line protocol', async (t) => {
  const { irc, server } = await both(t, { rate: 40, burst: 5, maxPerIp: 3, maxSendq: 64 * 1024 });
  const alice = await ircUser(t, irc, 'alice');
  for (let i = 0; i < 40; i++) alice.send(`PING flood${i}`);
  await alice.expect(/PONG \S+ :flood39$/);
  assert.ok(server.core.stats.floodPauses > 0, 'the rate held the flood back');
  // A line of several commands costs one token each: 4 targets are 4 lines.
  const before = server.core.stats.floodPauses;
  alice.send('JOIN #a,#b,#c,#d');
  await alice.expect(/ 366 alice #d /);
  assert.ok(server.core.stats.floodPauses >= before);

  await ircUser(t, irc, 'bob');
  await IrcClient.connect(t, irc, 'third');
  const fourth = await IrcClient.connect(t, irc, 'fourth');
  assert.equal(await fourth.next(), 'ERROR :Closing Link: Too many connections from your address (max 3)');
  await fourth.closed;
});

test('a client that never reads is cut off at the send queue, and the others go on', async (t) => {
  const { irc, line, server } = await both(t, { maxSendq: 16 * 1024 });
  const sink = await ircUser(t, irc, 'sink');
  sink.send('JOIN #lobby');
  await sink.expect(/ 366 /);
  sink.stream.pause();
  const bob = await WireClient.registered(t, line, 'bob');
  // Cut off once its queue is full: from then on it is nobody (its paused socket never reads the end).
  const cut = (): boolean => bob.lines.seen.includes('! no such user: sink');
  for (let i = 0; i < 10_000 && !cut(); i++) {
    bob.send(`@sink:${'x'.repeat(1000)}`);
    if (i % 100 === 0) await bob.sync();
  }
  assert.ok(cut(), 'the sleeper was cut off');
  assert.equal(server.core.connections, 1);
});

test('attacks on the input: a line cut at every byte with pauses, tags at and over their limit, CR and NUL inside, floods of listings', async (t) => {
  const { irc, line } = await both(t, { registerTimeoutMs: 500 });
  const bob = await WireClient.registered(t, line, 'bob');
  const alice = await ircUser(t, irc, 'alice');
  alice.send('JOIN #lobby');
  await alice.expect(/ 366 /);
  await bob.sync();

  const message = Buffer.from('PRIVMSG #lobby :slow ✓ message\r\n');
  for (let i = 0; i < message.length; i++) {
    alice.write(message.subarray(i, i + 1));
    // Longer than the line protocol's flush delay (250 ms) once: IRC lines end at LF only.
    await sleep(i === 10 ? 300 : 1);
  }
  assert.equal(await bob.next(), '<alice> slow ✓ message');

  alice.send(`@a=${'x'.repeat(8186)} PING at-limit`);
  await alice.expect(/PONG \S+ :at-limit$/);
  alice.send(`@a=${'x'.repeat(8200)} PING over`);
  assert.equal(await alice.next(), ':irc.test 417 alice :Input line was too long');
  alice.send(`PRIVMSG #lobby :${'y'.repeat(600)}`);
  assert.equal(await alice.next(), ':irc.test 417 alice :Input line was too long');
  alice.write(`${'z'.repeat(100_000)}\r\n`);
  assert.equal(await alice.next(), ':irc.test 417 alice :Input line was too long');
  alice.send('PING still-here');
  await alice.expect(/PONG \S+ :still-here$/);

  alice.write('PRIVMSG #lobby :a\rb\0c\x1b[2Jd\r\n');
  assert.equal(await bob.next(), '<alice> abc[2Jd');

  for (let i = 0; i < 2000; i++) alice.send(i % 2 === 0 ? 'NAMES #lobby' : 'LIST');
  await alice.sync();
  await bob.expectNothing();

  // CAP negotiation never ended, SASL never finished: the register timeout closes both.
  const stuck = await IrcClient.connect(t, irc, 'stuck');
  stuck.send('CAP LS 302');
  stuck.send('NICK stuck');
  stuck.send('USER s 0 * :s');
  assert.match((await stuck.expect(/^ERROR/)) ?? '', /Registration timed out/);
  await stuck.closed;
});

test('the cluster: an IRC user on one server and an nc user on another', { skip: redisSkip }, async (t) => {
  const { servers } = await cluster(t, 2, 1000, ['--irc-port', '0', '--server-name', 'irc.test']);
  const ircPort = Number(/^irc on .*:(\d+)$/.exec((await servers[0]!.stdout.next()) ?? '')?.[1]);
  assert.ok(ircPort > 0);
  const bob = await WireClient.registered(t, servers[1]!.port, 'bob');
  const alice = await ircUser(t, ircPort, 'alice');
  alice.send('JOIN #lobby');
  await alice.expect(/ 353 alice = #lobby :alice bob$/);
  await alice.expect(/ 366 /);
  assert.equal(await bob.next(), '* alice joined');
  bob.send('over the cluster');
  assert.equal(await alice.next(), ':bob!bob@chat PRIVMSG #lobby :over the cluster');
  alice.send('PRIVMSG bob :and back');
  assert.equal(await bob.next(), '*alice* and back');
  bob.send('@alice:direct');
  assert.equal(await alice.next(), ':bob!bob@chat PRIVMSG alice :direct');
  alice.send('QUIT :done');
  assert.equal(await bob.next(), '* alice left (done)');
});
