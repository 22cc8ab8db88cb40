import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { ircDialectOf } from '../../../src/app/irc.js';
import { globMatcher } from '../../../src/dialects/irc/words.js';
import { IrcRegistry } from '../../../src/dialects/irc/registry.js';
import { IrcState } from '../../../src/dialects/irc/state.js';
import { IrcClient } from '../../helpers/irc-client.js';
import { MemoryClient, startCore } from '../../helpers/memory-client.js';
import { usersFile, usersText } from '../../helpers/users.js';

/** A core in memory with an IRC dialect beside its line protocol. */
async function chat(t: TestContext, withAccounts = false) {
  const users = withAccounts ? await usersFile(t, { op: 'oppass', plain: 'pw' }, ['op']) : undefined;
  const { core, accounts } = startCore(t, { rate: 0, authFailureDelayMs: 5, guests: true, ...(users === undefined ? {} : { users }) });
  const dialect = ircDialectOf(core, accounts, 'irc.test');
  const irc = async (nick: string, realname = `${nick} Real`): Promise<IrcClient> => {
    const c = IrcClient.memory(t, core, dialect, nick);
    c.send(`NICK ${nick}`);
    c.send(`USER u${nick} 0 * :${realname}`);
    await c.expect(/ 422 /);
    return c;
  };
  return { core, irc };
}

test('WHO and WHOIS show what IRC users said of themselves, away and operators; line users by their name', async (t) => {
  const { core, irc } = await chat(t, true);
  const alice = await irc('alice', 'Alice Liddell');
  const bob = await irc('bob');
  const carol = await MemoryClient.registered(core, 'carol');
  alice.send('AWAY :gone fishing');
  assert.equal(await alice.next(), ':irc.test 306 alice :You have been marked as being away');

  bob.send('WHOIS alice');
  assert.equal(await bob.next(), ':irc.test 311 bob alice ualice chat * :Alice Liddell');
  assert.equal(await bob.next(), ':irc.test 312 bob alice irc.test :tcp-chat');
  assert.equal(await bob.next(), ':irc.test 301 bob alice :gone fishing');
  assert.equal(await bob.next(), ':irc.test 318 bob alice :End of /WHOIS list');
  bob.send('WHOIS carol');
  assert.equal(await bob.next(), ':irc.test 311 bob carol carol chat * :carol');
  assert.equal(await bob.next(), ':irc.test 319 bob carol :#lobby');
  await bob.expect(/ 318 bob carol /);
  bob.send('WHOIS nobody');
  assert.equal(await bob.next(), ':irc.test 401 bob nobody :No such nick/channel');
  assert.equal(await bob.next(), ':irc.test 318 bob nobody :End of /WHOIS list');

  bob.send('PRIVMSG alice :are you there?');
  assert.equal(await bob.next(), ':irc.test 301 bob alice :gone fishing');
  bob.send('NOTICE alice :no answer to a notice');
  await bob.expectNothing();

  bob.send('OPER op wrong');
  assert.equal(await bob.next(), ':irc.test 464 bob :Password incorrect');
  bob.send('OPER plain pw');
  assert.equal(await bob.next(), ':irc.test 491 bob :No O-lines for your host');
  bob.send('OPER op oppass');
  assert.equal(await bob.next(), ':irc.test 381 bob :You are now an IRC operator');
  assert.equal(await bob.next(), ':bob!bob@chat MODE bob :+o');

  bob.send('WHO a*');
  assert.equal(await bob.next(), ':irc.test 352 bob * ualice chat irc.test alice G :0 Alice Liddell');
  assert.equal(await bob.next(), ':irc.test 315 bob a* :End of WHO list');
  bob.send('WHO bob');
  assert.equal(await bob.next(), ':irc.test 352 bob * ubob chat irc.test bob H* :0 bob Real');
  // Invisible (+i): not in a stranger's WHO mask, yet found by its nick.
  alice.send('MODE alice +i');
  await alice.expect(/^:alice!alice@chat MODE alice :\+i$/);
  await bob.expect(/ 315 bob bob /);
  bob.send('WHO a*');
  assert.equal(await bob.next(), ':irc.test 315 bob a* :End of WHO list');
  bob.send('WHO alice');
  assert.match((await bob.next()) ?? '', / 352 bob \* ualice chat irc.test alice G /);
  await bob.expect(/ 315 /);
  bob.send('USERHOST alice bob carol');
  assert.equal(await bob.expect(/ 302 /), ':irc.test 302 bob :alice=-ualice@chat bob*=+ubob@chat carol=+carol@chat');

  // The operator's KILL reaches a line user, who is told as with /kick.
  bob.send('KILL carol :enough');
  assert.equal(await carol.next(), '! kicked by bob: enough');
  await carol.closed;
});

test('channel operators: the creator is one; TOPIC, MODE, INVITE and KICK with the numerics IRC clients expect, and a line user in the room', async (t) => {
  const { core, irc } = await chat(t);
  const alice = await irc('alice');
  const bob = await irc('bob');
  const carol = await MemoryClient.registered(core, 'carol');
  alice.send('JOIN #dev');
  assert.equal(await alice.next(), ':alice!alice@chat JOIN #dev');
  assert.equal(await alice.next(), ':irc.test 353 alice = #dev :@alice');
  await alice.expect(/ 366 /);
  alice.send('TOPIC #dev');
  assert.equal(await alice.next(), ':irc.test 331 alice #dev :No topic is set');
  bob.send('TOPIC #dev');
  assert.equal(await bob.next(), ':irc.test 331 bob #dev :No topic is set', "an open channel's topic is anyone's to read");
  bob.send('TOPIC #dev :mine');
  assert.equal(await bob.next(), ":irc.test 442 bob #dev :You're not on that channel");
  bob.send('TOPIC #nowhere');
  assert.equal(await bob.next(), ':irc.test 403 bob #nowhere :No such channel');
  alice.send('TOPIC #dev :Release on Friday');
  assert.equal(await alice.next(), ':alice!alice@chat TOPIC #dev :Release on Friday');
  carol.send('/join dev');
  assert.equal(await carol.next(), '* you are in dev');
  assert.equal(await carol.next(), '* topic of dev: Release on Friday (set by alice)');
  await alice.expect(/JOIN #dev/);
  bob.send('JOIN #dev');
  assert.equal(await bob.next(), ':bob!bob@chat JOIN #dev');
  assert.equal(await bob.next(), ':irc.test 332 bob #dev :Release on Friday');
  assert.match((await bob.next()) ?? '', /^:irc\.test 333 bob #dev alice :\d+$/);
  assert.equal(await bob.next(), ':irc.test 353 bob = #dev :@alice bob carol');
  await bob.expect(/ 366 /);
  await alice.expect(/bob!bob@chat JOIN #dev/);
  await carol.lines.until(/^\* bob joined$/);

  bob.send('MODE #dev +k secret');
  assert.equal(await bob.next(), ":irc.test 482 bob #dev :You're not channel operator");
  bob.send('KICK #dev carol');
  assert.equal(await bob.next(), ":irc.test 482 bob #dev :You're not channel operator");
  alice.send('MODE #dev +o bob');
  assert.equal(await alice.next(), ':alice!alice@chat MODE #dev +o bob');
  assert.equal(await bob.next(), ':alice!alice@chat MODE #dev +o bob');
  assert.equal(await carol.next(), '* alice made bob a room operator');
  alice.send('MODE #dev +ik-o key bob');
  assert.equal(await alice.next(), ':alice!alice@chat MODE #dev +ik-o * bob', 'the key is shown to nobody');
  assert.equal(await carol.next(), '* alice made the room private');
  assert.equal(await carol.next(), '* alice set a key');
  assert.equal(await carol.next(), '* alice took room operator from bob');
  alice.send('MODE #dev');
  assert.equal(await alice.next(), ':irc.test 324 alice #dev +ntik :key', 'to an operator, the key');
  assert.match((await alice.next()) ?? '', /^:irc\.test 329 alice #dev :\d+$/);
  await bob.expect(/MODE #dev \+ik-o \* bob/);
  bob.send('MODE #dev');
  assert.equal(await bob.next(), ':irc.test 324 bob #dev +ntik :*');
  await bob.expect(/ 329 /);
  alice.send('MODE #dev +o nobody');
  assert.equal(await alice.next(), ':irc.test 401 alice nobody :No such nick/channel');
  alice.send('MODE #dev +x');
  assert.equal(await alice.next(), ':irc.test 472 alice x :is an unknown mode char to me');

  const dave = await irc('dave');
  dave.send('JOIN #dev');
  assert.equal(await dave.next(), ':irc.test 473 dave #dev :Cannot join channel (+i): ask a member for an invitation');
  dave.send('NAMES #dev');
  assert.equal(await dave.next(), ':irc.test 366 dave #dev :End of /NAMES list', 'a private channel shows a non-member nobody');
  dave.send('LIST');
  assert.equal(await dave.next(), ':irc.test 321 dave Channel :Users  Name');
  assert.equal(await dave.next(), ':irc.test 322 dave #lobby 1 :', "carol's lobby");
  assert.equal(await dave.next(), ':irc.test 323 dave :End of /LIST', 'and not #dev');
  dave.send('TOPIC #dev');
  assert.equal(await dave.next(), ':irc.test 403 dave #dev :No such channel');
  alice.send('INVITE dave #dev');
  assert.equal(await alice.next(), ':irc.test 341 alice dave :#dev');
  assert.equal(await dave.next(), ':alice!alice@chat INVITE dave #dev');
  dave.send('JOIN #dev');
  assert.equal(await dave.next(), ':dave!dave@chat JOIN #dev', 'invited: past the privacy and the key');
  await dave.expect(/ 366 /);

  alice.send('KICK #dev carol,dave :enough');
  assert.equal(await carol.lines.until(/removed/), '! removed from dev by alice: enough');
  assert.equal(await dave.lines.until(/KICK #dev dave/), ':alice!alice@chat KICK #dev dave :enough');
  await alice.expect(/KICK #dev carol :enough/);
  await alice.expect(/KICK #dev dave :enough/);
  assert.equal(await bob.lines.until(/KICK #dev carol/), ':alice!alice@chat KICK #dev carol :enough');
  alice.send('KICK #dev nobody');
  assert.equal(await alice.next(), ':irc.test 401 alice nobody :No such nick/channel');
  alice.send('KICK #dev dave');
  assert.equal(await alice.next(), ":irc.test 441 alice dave #dev :They aren't on that channel");
  bob.send('KICK #nowhere alice');
  assert.equal(await bob.lines.until(/ 403 /), ':irc.test 403 bob #nowhere :No such channel');
});

test('MODE +b, +l, +m: bans by mask, a member limit, a moderated channel', async (t) => {
  const { irc } = await chat(t);
  const alice = await irc('alice');
  const bob = await irc('bob');
  const carol = await irc('carol');
  alice.send('JOIN #dev');
  await alice.expect(/ 366 /);
  alice.send('MODE #dev +b bob!*@*');
  assert.equal(await alice.next(), ':alice!alice@chat MODE #dev +b bob!*@*');
  alice.send('MODE #dev +b');
  assert.equal(await alice.next(), ':irc.test 367 alice #dev :bob!*@*');
  assert.equal(await alice.next(), ':irc.test 368 alice #dev :End of channel ban list');
  bob.send('JOIN #dev');
  assert.equal(await bob.next(), ':irc.test 474 bob #dev :Cannot join channel (+b): you are banned');
  alice.send('MODE #dev -b+l BOB!*@* 2');
  assert.equal(await alice.next(), ':alice!alice@chat MODE #dev -b+l BOB!*@* 2');
  bob.send('JOIN #dev');
  assert.equal(await bob.next(), ':bob!bob@chat JOIN #dev');
  await bob.expect(/ 366 /);
  carol.send('JOIN #dev');
  assert.equal(await carol.next(), ':irc.test 471 carol #dev :Cannot join channel (+l): it is full');
  alice.send('HELP MODE');
  const help: string[] = [];
  for (let line = await alice.next(); line !== undefined && !/ 706 /.test(line); line = await alice.next()) help.push(line);
  assert.ok(
    help.some((l) => l.includes('+k KEY|-k')),
    help.join('\n'),
  );
  alice.send('MODE #dev +l abc');
  assert.match((await alice.lines.until(/ 696 /)) ?? '', / 696 alice #dev l abc /);
  alice.send('MODE #dev +m');
  await bob.expect(/MODE #dev \+m/);
  bob.send('PRIVMSG #dev :may I?');
  assert.equal(await bob.next(), ':irc.test 404 bob #dev :Cannot send to channel (+m)');
  alice.send('MODE #dev +v bob');
  await bob.expect(/MODE #dev \+v bob/);
  bob.send('PRIVMSG #dev :thank you');
  assert.equal(await alice.lines.until(/thank you/), ':bob!bob@chat PRIVMSG #dev :thank you');
  alice.send('NAMES #dev');
  assert.equal(await alice.next(), ':irc.test 353 alice = #dev :@alice +bob');
});

test('a line that is not UTF-8 is refused with FAIL and goes nowhere', async (t) => {
  const { core, irc } = await chat(t);
  const alice = await irc('alice');
  const bob = await MemoryClient.registered(core, 'bob');
  alice.write(Buffer.concat([Buffer.from('PRIVMSG bob :hi'), Buffer.from([0xaa]), Buffer.from('\r\n')]));
  assert.equal(await alice.next(), ':irc.test FAIL PRIVMSG INVALID_UTF8 :Message rejected: it is not valid UTF-8');
  await bob.expectNothing();
});

test('WHOWAS remembers the IRC users that left, a bounded number', () => {
  const users = new IrcRegistry();
  const state = new IrcState();
  Object.assign(state, { nick: 'alice', registered: true, username: 'ua', realname: 'Alice' });
  users.named(state, 'alice');
  assert.equal(users.get('ALICE'), state);
  users.named(state, 'alicia', 'alice');
  state.nick = 'alicia';
  users.closed(state);
  assert.equal(users.get('alicia'), undefined);
  assert.deepEqual(
    users.was('Alicia', 0).map((w) => w.nick),
    ['alicia'],
  );
  assert.deepEqual(
    users.was('alice', 1).map((w) => w.realname),
    ['Alice'],
  );
  for (let i = 0; i < 1000; i++) {
    const s = new IrcState();
    Object.assign(s, { nick: `u${i}`, registered: true });
    users.named(s, `u${i}`);
    users.closed(s);
  }
  assert.deepEqual(users.was('alice', 0), [], 'the oldest went');
  assert.equal(users.was('u999', 0).length, 1);
});

test('a WHO mask matches * and ? and nothing else', () => {
  const m = globMatcher('co?l*');
  assert.ok(m('coolNick'));
  assert.ok(m('COOL'));
  assert.ok(!m('cooNick'));
  assert.ok(globMatcher('a.b')('a.b'));
  assert.ok(!globMatcher('a.b')('axb'), 'a dot is a dot');
});

test('attacks from review: a WHO mask that backtracks, escape sequences in reasons, NickServ, OPER revoked, guests kept at a reload', async (t) => {
  // The mask that held the server 40 s as a regular expression: linear now.
  const long = 'a'.repeat(32);
  assert.equal(globMatcher(`${'*a'.repeat(15)}*b`)(long), false);
  assert.equal(globMatcher(`${'*a'.repeat(15)}*`)(long), true);

  const users = await usersFile(t, { op: 'oppass', other: 'pw' }, ['op']);
  const { core, accounts } = startCore(t, { rate: 0, authFailureDelayMs: 5, guests: true, users });
  const dialect = ircDialectOf(core, accounts, 'irc.test');
  const irc = async (nick: string): Promise<IrcClient> => {
    const c = IrcClient.memory(t, core, dialect, nick);
    c.send(`NICK ${nick}`);
    c.send(`USER ${nick} 0 * :${nick}`);
    await c.expect(/ 422 /);
    return c;
  };
  const guest = await irc('guest');
  const bob = await MemoryClient.registered(core, 'bob');
  guest.send('JOIN #lobby');
  await guest.expect(/ 366 /);
  await bob.lines.until(/^\* guest joined$/);

  // Reasons reach nc users without control characters, whatever the dialect passed on.
  guest.send('PART #lobby :\x1b[2K\x1b[1G! kicked by admin\x07');
  assert.equal(await bob.next(), '* guest left ([2K[1G! kicked by admin)');
  guest.send('JOIN #lobby');
  assert.equal(await bob.next(), '* guest joined');

  // Nobody takes a service's name: IRC clients send it passwords by themselves.
  const fake = IrcClient.memory(t, core, dialect, 'fake');
  fake.send('NICK NickServ');
  fake.send('USER n 0 * :n');
  assert.equal(await fake.next(), ':irc.test 433 * NickServ :Nickname is already in use');
  const lineFake = await MemoryClient.login(core, '#chanserv');
  assert.equal(lineFake.reply, '! name taken: chanserv');

  // OPER lasts while the account is an operator's: the mark removed, KILL is refused.
  const opper = await irc('opper');
  opper.send('OPER op oppass');
  await opper.expect(/ 381 /);
  await opper.expect(/ MODE opper :\+o$/);
  const other = await MemoryClient.loggedIn(core, 'other', 'pw');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(users, await usersText({ op: 'oppass' }, []), { mode: 0o600 });
  const { removed } = accounts!.reload();
  core.dropRemovedAccounts(removed);
  assert.deepEqual(removed, ['other']);
  await other.closed;
  opper.send('KILL bob');
  assert.equal(await opper.next(), ":irc.test 481 opper :Permission Denied- You're not an IRC operator");
  // Guests are no accounts, and were never dropped: they saw the account's user go.
  assert.deepEqual(await guest.sync(), [
    ':guest!guest@chat PART #lobby :[2K[1G! kicked by admin',
    ':guest!guest@chat JOIN #lobby',
    ':irc.test 353 guest = #lobby :bob guest',
    ':irc.test 366 guest #lobby :End of /NAMES list',
    ':other!other@chat JOIN #lobby',
    ':other!other@chat QUIT :account removed',
  ]);
  assert.deepEqual(await bob.lines.until(/left/), '* other left (account removed)');
});

test('attacks from review: a TOPIC and a ban mask from IRC reach line users without control characters', async (t) => {
  const { core, irc } = await chat(t);
  const alice = await irc('alice');
  alice.send('JOIN #dev');
  await alice.expect(/ 366 /);
  const bob = await MemoryClient.registered(core, 'bob');
  bob.send('/join dev');
  await bob.lines.until(/^\* you are in dev$/);
  // ESC clears an nc user's screen, BEL rings; NEL (C1) is a line break to some terminals.
  // The control characters go, as from every text (docs/protocol.md); what is left is text.
  alice.send('TOPIC #dev :\x1b[2Jclean\x07 \u0085x');
  assert.equal(await bob.lines.until(/topic/), '* alice set the topic: [2Jclean x');
  bob.send('/topic');
  assert.equal(await bob.next(), '* topic of dev: [2Jclean x (set by alice)');
  // A mask with a control character is refused (696), and nobody is told of it.
  alice.send('MODE #dev +b evil\u0085!*@*');
  assert.match(await alice.lines.until(/ 696 /), / 696 alice #dev b /);
  await bob.expectNothing();
});
