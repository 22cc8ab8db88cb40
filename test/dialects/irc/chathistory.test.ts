import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { ircDialectOf } from '../../../src/app/irc.js';
import { FakeClock, T0 } from '../../helpers/fake-clock.js';
import { IrcClient } from '../../helpers/irc-client.js';
import { MemoryClient, startCore } from '../../helpers/memory-client.js';
import { usersFile } from '../../helpers/users.js';

/** What a history client negotiates: the batch, the times, its own lines echoed. */
const HISTORY_CAPS = ['batch', 'server-time', 'echo-message', 'draft/chathistory'];

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * IRCv3 draft/chathistory over in-memory connections (docs/irc.md, "History and read
 * markers"), on a fake clock that starts at T0: alice, bob and carol are accounts; other
 * nicks are guests.
 */
async function chat(t: TestContext) {
  const users = await usersFile(t, { alice: 'pw-a', bob: 'pw-b', carol: 'pw-c' });
  const clock = new FakeClock();
  clock.advance(T0);
  const { core, accounts } = startCore(t, { rate: 0, authFailureDelayMs: 5, users, guests: true, timers: clock });
  const dialect = ircDialectOf(core, accounts, 'irc.test');
  /** An account over IRC, logged in with SASL as AUTHCID (`alice@phone`: a named device), with CAPS; at the end of its welcome. */
  const login = (authcid: string, caps: readonly string[] = HISTORY_CAPS): Promise<IrcClient> =>
    IrcClient.memory(t, core, dialect, authcid).sasl(authcid, `pw-${authcid[0]}`, caps);
  /** The same, once what follows the welcome (JOINs, a catch-up) is through. */
  const account = async (authcid: string, caps: readonly string[] = HISTORY_CAPS): Promise<IrcClient> => {
    const c = await login(authcid, caps);
    await c.sync();
    return c;
  };
  /** A guest over IRC with CAPS. */
  const guest = async (nick: string, caps: readonly string[] = HISTORY_CAPS): Promise<IrcClient> => {
    const c = await IrcClient.memory(t, core, dialect, nick).register(nick, { caps: [...caps] });
    await c.sync();
    return c;
  };
  return { core, clock, login, account, guest };
}

/** Sends TEXTS to TARGET from C, the clock moving 10 ms before each; the times their echoes carry. */
async function say(c: IrcClient, clock: FakeClock, target: string, texts: readonly string[]): Promise<number[]> {
  const me = c.label.split('@')[0]!;
  const times: number[] = [];
  for (const text of texts) {
    clock.advance(10);
    c.send(`PRIVMSG ${target} :${text}`);
    const echo = await c.expect(new RegExp(` :${me}!\\S+ PRIVMSG ${target} :${text}$`));
    times.push(Date.parse(/^@time=([^; ]+)/.exec(echo)![1]!));
  }
  return times;
}

/** Asks C for `CHATHISTORY ARGS`; the texts of the batch's PRIVMSGs, after checking its frame. */
async function history(c: IrcClient, args: string, target = args.split(' ')[1]!): Promise<string[]> {
  c.send(`CHATHISTORY ${args}`);
  const start = await c.next();
  const id = new RegExp(`^:irc\\.test BATCH \\+(\\S+) chathistory ${target.replace('#', '\\#')}$`).exec(start ?? '')?.[1];
  assert.ok(id !== undefined, `a chathistory batch for ${target}, not ${start}`);
  const texts: string[] = [];
  for (;;) {
    const line = (await c.next()) ?? '';
    if (line === `:irc.test BATCH -${id}`) return texts;
    const message = new RegExp(`^@batch=${id};time=\\S+ :\\S+ PRIVMSG \\S+ :(.*)$`).exec(line);
    assert.ok(message !== null, `a message of the batch, not ${line}`);
    texts.push(message[1]!);
  }
}

const ten = Array.from({ length: 10 }, (_, i) => `m${i}`);

test('CHATHISTORY is offered, with CHATHISTORY=100 and MSGREFTYPES=timestamp in ISUPPORT', async (t) => {
  const { core } = await chat(t);
  const dialect = ircDialectOf(core, undefined, 'irc.test');
  const c = IrcClient.memory(t, core, dialect, 'ls');
  c.send('CAP LS 302');
  assert.match((await c.next()) ?? '', / LS :.*\bdraft\/chathistory draft\/read-marker\b/);
  c.send('NICK dave');
  c.send('USER dave 0 * :dave');
  c.send('CAP END');
  assert.match(await c.expect(/ 005 .*CHATHISTORY/), / CHATHISTORY=100 MSGREFTYPES=timestamp :are supported by this server$/);
});

test('CHATHISTORY on a channel: LATEST, BEFORE, AFTER, BETWEEN both ways, AROUND, in a chathistory batch with the times of the echoes', async (t) => {
  const { clock, account } = await chat(t);
  const alice = await account('alice');
  alice.send('JOIN #dev');
  await alice.expect(/ 366 /);
  const times = await say(alice, clock, '#dev', ten);
  const at = (i: number): string => `timestamp=${iso(times[i]!)}`;

  alice.send('CHATHISTORY LATEST #dev * 20');
  assert.equal(await alice.next(), ':irc.test BATCH +H1 chathistory #dev');
  assert.equal(await alice.next(), `@batch=H1;time=${iso(times[0]!)} :alice!alice@chat PRIVMSG #dev :m0`);
  await alice.expect(/^:irc\.test BATCH -H1$/);

  assert.deepEqual(await history(alice, 'LATEST #dev * 20'), ten);
  assert.deepEqual(await history(alice, 'LATEST #dev * 5'), ten.slice(5));
  assert.deepEqual(await history(alice, 'LATEST #DEV * 1', '#DEV'), ['m9'], 'the batch names the target as asked');
  assert.deepEqual(await history(alice, `LATEST #dev ${at(4)} 20`), ten.slice(5));
  assert.deepEqual(await history(alice, `BEFORE #dev ${at(6)} 20`), ten.slice(0, 6));
  assert.deepEqual(await history(alice, `BEFORE #dev ${at(6)} 2`), ten.slice(4, 6));
  assert.deepEqual(await history(alice, `AFTER #dev ${at(3)} 20`), ten.slice(4));
  assert.deepEqual(await history(alice, `AFTER #dev ${at(3)} 3`), ten.slice(4, 7));
  assert.deepEqual(await history(alice, `BETWEEN #dev ${at(0)} ${at(9)} 20`), ten.slice(1, 9));
  assert.deepEqual(await history(alice, `BETWEEN #dev ${at(9)} ${at(0)} 20`), ten.slice(1, 9));
  assert.deepEqual(await history(alice, `BETWEEN #dev ${at(0)} ${at(9)} 3`), ten.slice(1, 4), 'counted from the first');
  assert.deepEqual(await history(alice, `BETWEEN #dev ${at(9)} ${at(0)} 3`), ten.slice(6, 9), 'backwards from the first');
  assert.deepEqual(await history(alice, `AROUND #dev ${at(7)} 1`), ['m7']);
  assert.deepEqual(await history(alice, `AROUND #dev ${at(7)} 3`), ten.slice(6, 9));
  assert.deepEqual(await history(alice, `AROUND #dev ${at(9)} 4`), ten.slice(6), 'short after: more before');
  assert.deepEqual(await history(alice, `AFTER #dev ${at(9)} 5`), [], 'an empty batch, not silence');
  // Milliseconds may be left out, as some clients write them.
  const second = `timestamp=${iso(T0 + 1000).replace('.000Z', 'Z')}`;
  assert.deepEqual(await history(alice, `BEFORE #dev ${second} 20`), ten);
  await alice.expectNothing();
});

test('CHATHISTORY answers at most CHATHISTORY=100 messages, the latest', async (t) => {
  const { clock, account } = await chat(t);
  const alice = await account('alice');
  alice.send('JOIN #dev');
  await alice.expect(/ 366 /);
  const texts = Array.from({ length: 120 }, (_, i) => `n${i}`);
  await say(alice, clock, '#dev', texts);
  assert.deepEqual(await history(alice, 'LATEST #dev * 500'), texts.slice(20));
  assert.deepEqual(await history(alice, `AFTER #dev timestamp=${iso(T0)} 999999999`), texts.slice(0, 100));
});

test('CHATHISTORY refusals: FAIL with the codes of the specification; a msgid is no reference here', async (t) => {
  const { account } = await chat(t);
  const alice = await account('alice');
  const ts = `timestamp=${iso(T0)}`;
  const fails: [string, string][] = [
    ['CHATHISTORY', 'FAIL CHATHISTORY INVALID_PARAMS * :Unknown command'],
    ['CHATHISTORY LAST #dev * 10', 'FAIL CHATHISTORY INVALID_PARAMS LAST :Unknown command'],
    ['CHATHISTORY LATEST #dev *', 'FAIL CHATHISTORY INVALID_PARAMS LATEST :Insufficient parameters'],
    ['CHATHISTORY LATEST #dev * 10 more', 'FAIL CHATHISTORY INVALID_PARAMS LATEST :Too many parameters'],
    ['CHATHISTORY BETWEEN #dev * 10', 'FAIL CHATHISTORY INVALID_PARAMS BETWEEN :Insufficient parameters'],
    ['CHATHISTORY LATEST #dev * 0', 'FAIL CHATHISTORY INVALID_PARAMS LATEST 0 :Invalid limit'],
    ['CHATHISTORY LATEST #dev * ten', 'FAIL CHATHISTORY INVALID_PARAMS LATEST ten :Invalid limit'],
    ['CHATHISTORY BEFORE #dev * 10', 'FAIL CHATHISTORY INVALID_PARAMS BEFORE * :Invalid timestamp'],
    [
      'CHATHISTORY BEFORE #dev timestamp=2019-02-30T00:00:00.000Z 10',
      'FAIL CHATHISTORY INVALID_PARAMS BEFORE timestamp=2019-02-30T00:00:00.000Z :Invalid timestamp',
    ],
    ['CHATHISTORY AFTER #dev timestamp=yesterday 10', 'FAIL CHATHISTORY INVALID_PARAMS AFTER timestamp=yesterday :Invalid timestamp'],
    ['CHATHISTORY BEFORE #dev msgid=abc 10', 'FAIL CHATHISTORY INVALID_MSGREFTYPE BEFORE #dev :msgid-based history requests are not supported'],
    [`CHATHISTORY TARGETS ${ts} * 10`, 'FAIL CHATHISTORY INVALID_PARAMS TARGETS * :Invalid timestamp'],
    [`CHATHISTORY LATEST #no.room ${ts} 10`, 'FAIL CHATHISTORY INVALID_TARGET LATEST #no.room :Messages could not be retrieved'],
    [`CHATHISTORY LATEST not@nick ${ts} 10`, 'FAIL CHATHISTORY INVALID_TARGET LATEST not@nick :Messages could not be retrieved'],
    ['CHATHISTORY LATEST #nobody-here * 10', 'FAIL CHATHISTORY INVALID_TARGET LATEST #nobody-here :Messages could not be retrieved'],
  ];
  for (const [line, answer] of fails) {
    alice.send(line);
    assert.equal(await alice.next(), `:irc.test ${answer}`, line);
  }
  await alice.expectNothing();
});

test('a non-member learns nothing of a channel, a private one least: the same FAIL as for no channel at all', async (t) => {
  const { clock, account, guest } = await chat(t);
  const alice = await account('alice');
  alice.send('JOIN #secret');
  await alice.expect(/ 366 /);
  alice.send('MODE #secret +i');
  await alice.expect(/ MODE #secret \+i/);
  await say(alice, clock, '#secret', ['the plan']);
  const mallory = await guest('mallory');
  for (const args of ['LATEST #secret * 10', `AFTER #secret timestamp=${iso(T0)} 10`, 'LATEST #nothing * 10']) {
    mallory.send(`CHATHISTORY ${args}`);
    const [sub, target] = args.split(' ');
    assert.equal(await mallory.next(), `:irc.test FAIL CHATHISTORY INVALID_TARGET ${sub} ${target} :Messages could not be retrieved`);
  }
  mallory.send(`CHATHISTORY TARGETS timestamp=${iso(T0)} timestamp=${iso(T0 + 60_000)} 10`);
  assert.equal(await mallory.next(), ':irc.test BATCH +H1 draft/chathistory-targets');
  assert.equal(await mallory.next(), ':irc.test BATCH -H1');
  // A member who left is a non-member again.
  const bob = await account('bob');
  bob.send('JOIN #open');
  await bob.expect(/ 366 /);
  await say(bob, clock, '#open', ['said while bob was in']);
  bob.send('PART #open');
  await bob.expect(/ PART #open/);
  bob.send('CHATHISTORY LATEST #open * 10');
  assert.equal(await bob.next(), ':irc.test FAIL CHATHISTORY INVALID_TARGET LATEST #open :Messages could not be retrieved');
  await mallory.expectNothing();
});

test("direct messages: only those between the asker and that nick, either way, never another pair's; a guest has none", async (t) => {
  const { clock, account, guest } = await chat(t);
  // Named devices: their accounts' direct messages are logged (docs/storage.md, "Catch-up").
  const alice = await account('alice@phone');
  const bob = await account('bob@laptop');
  const carol = await account('carol@desk');
  const sent: string[] = [];
  for (let i = 0; i < 6; i++) {
    const [from, to] = i % 2 === 0 ? [alice, 'bob'] : [bob, 'alice'];
    await say(from, clock, to, [`ab${i}`]);
    sent.push(`ab${i}`);
  }
  await say(carol, clock, 'bob', ['carol to bob']);
  await say(bob, clock, 'carol', ['bob to carol']);
  await say(carol, clock, 'alice', ['carol to alice']);
  await say(alice, clock, 'alice', ['a note to self']);
  await alice.sync();
  await bob.sync();

  assert.deepEqual(await history(alice, 'LATEST bob * 20'), sent);
  assert.deepEqual(await history(alice, 'LATEST BOB * 2', 'BOB'), sent.slice(4), 'the batch names the nick as asked');
  assert.deepEqual(await history(bob, 'LATEST alice * 20'), sent, "the other side's log says the same");
  assert.deepEqual(await history(alice, 'LATEST carol * 20'), ['carol to alice'], "carol's talk with bob is not alice's");
  assert.deepEqual(await history(alice, 'LATEST alice * 20'), ['a note to self']);
  assert.deepEqual(await history(bob, 'LATEST carol * 20'), ['carol to bob', 'bob to carol']);

  // Each line as it was sent: from whom, to whom.
  alice.send('CHATHISTORY LATEST bob * 2');
  await alice.expect(/ BATCH \+/);
  assert.match((await alice.next()) ?? '', /^@batch=\S+ :alice!alice@chat PRIVMSG bob :ab4$/);
  assert.match((await alice.next()) ?? '', /^@batch=\S+ :bob!bob@chat PRIVMSG alice :ab5$/);
  await alice.expect(/ BATCH -/);

  const dave = await guest('dave');
  await say(dave, clock, 'alice', ['from a guest']);
  assert.deepEqual(await history(dave, 'LATEST alice * 20'), [], 'a guest has no log');
  assert.deepEqual(await history(dave, 'LATEST bob * 20'), []);
  // Another device of carol's, unnamed: the account's log is its too.
  const carolToo = await account('carol', HISTORY_CAPS);
  assert.deepEqual(await history(carolToo, 'LATEST alice * 20'), ['carol to alice'], "the account's log, whichever device asks");
});

test('CHATHISTORY TARGETS: channels one is in and nicks one has talked with, by their latest message, in the window', async (t) => {
  const { clock, account } = await chat(t);
  const alice = await account('alice@phone');
  const bob = await account('bob', ['server-time']);
  const carol = await account('carol', ['server-time']);
  for (const [c, room] of [
    [alice, '#one'],
    [alice, '#two'],
    [bob, '#one'],
  ] as const) {
    c.send(`JOIN ${room}`);
    await c.expect(/ 366 /);
  }
  const [one] = await say(alice, clock, '#one', ['in one']);
  const [toBob] = await say(alice, clock, 'bob', ['to bob']);
  const [two] = await say(alice, clock, '#two', ['in two']);
  const [toCarol] = await say(alice, clock, 'carol', ['to carol']);
  await bob.sync();
  await carol.sync();
  const targets = async (args: string): Promise<string[]> => {
    alice.send(`CHATHISTORY TARGETS ${args}`);
    const id = /^:irc\.test BATCH \+(\S+) draft\/chathistory-targets$/.exec((await alice.next()) ?? '')?.[1];
    assert.ok(id !== undefined);
    const found: string[] = [];
    for (let line = await alice.next(); line !== `:irc.test BATCH -${id}`; line = await alice.next()) {
      const target = new RegExp(`^@batch=${id} :irc\\.test CHATHISTORY TARGETS (\\S+ \\S+)$`).exec(line ?? '');
      assert.ok(target !== null, `a target, not ${line}`);
      found.push(target[1]!);
    }
    return found;
  };
  const before = `timestamp=${iso(T0)}`;
  const after = `timestamp=${iso(T0 + 3_600_000)}`;
  assert.deepEqual(await targets(`${before} ${after} 100`), [`#one ${iso(one!)}`, `bob ${iso(toBob!)}`, `#two ${iso(two!)}`, `carol ${iso(toCarol!)}`]);
  assert.deepEqual(await targets(`${before} ${after} 2`), [`#one ${iso(one!)}`, `bob ${iso(toBob!)}`]);
  assert.deepEqual(await targets(`${after} ${before} 2`), [`#two ${iso(two!)}`, `carol ${iso(toCarol!)}`], 'counted back from the first');
  assert.deepEqual(await targets(`timestamp=${iso(one!)} timestamp=${iso(toCarol!)} 100`), [`bob ${iso(toBob!)}`, `#two ${iso(two!)}`], 'both ends excluded');
  // #one's latest message is now outside the window: #one is left out, whatever it said inside.
  await say(alice, clock, '#one', ['later in one']);
  assert.deepEqual(await targets(`${before} timestamp=${iso(two!)} 100`), [`bob ${iso(toBob!)}`]);
});

test('a labeled CHATHISTORY: the label on the chathistory batch itself; without batch, the lines alone', async (t) => {
  const { clock, account } = await chat(t);
  const alice = await account('alice', [...HISTORY_CAPS, 'labeled-response']);
  alice.send('JOIN #dev');
  await alice.expect(/ 366 /);
  await say(alice, clock, '#dev', ['one', 'two']);
  alice.send('@label=h1 CHATHISTORY LATEST #dev * 10');
  assert.equal(await alice.next(), '@label=h1 :irc.test BATCH +H1 chathistory #dev');
  assert.match((await alice.next()) ?? '', /^@batch=H1;time=\S+ :alice!alice@chat PRIVMSG #dev :one$/);
  assert.match((await alice.next()) ?? '', /^@batch=H1;time=\S+ :alice!alice@chat PRIVMSG #dev :two$/);
  assert.equal(await alice.next(), ':irc.test BATCH -H1');
  alice.send('@label=h2 CHATHISTORY AFTER #dev timestamp=2262-01-01T00:00:00.000Z 10');
  assert.equal(await alice.next(), '@label=h2 :irc.test BATCH +H2 chathistory #dev');
  assert.equal(await alice.next(), ':irc.test BATCH -H2');
  alice.send('@label=h3 CHATHISTORY LATEST #dev * zero');
  assert.equal(await alice.next(), '@label=h3 :irc.test FAIL CHATHISTORY INVALID_PARAMS LATEST zero :Invalid limit');

  const plainly = await account('bob', ['draft/chathistory']);
  plainly.send('JOIN #dev');
  await plainly.expect(/ 366 /);
  plainly.send('CHATHISTORY LATEST #dev * 1');
  assert.equal(await plainly.next(), `:alice!alice@chat PRIVMSG #dev :[${iso(T0 + 20)}] two`, 'no batch, and the time in the text');
  await plainly.expectNothing();
});

test('a named device that negotiated draft/chathistory is not pushed its catch-up: it asks, and its history has it', async (t) => {
  const { core, clock, account, login } = await chat(t);
  const laptop = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
  const phone = await account('alice@phone');
  phone.send('JOIN #dev');
  await phone.expect(/ 366 /);
  phone.send('QUIT');
  await phone.closed;
  const bob = await account('bob');
  bob.send('JOIN #dev');
  await bob.expect(/ 366 /);
  await say(bob, clock, '#dev', ['while the phone was away']);
  await say(bob, clock, 'alice', ['a word for alice']);
  assert.equal(await laptop.lines.until(/^\*bob\*/), '*bob* a word for alice');

  const back = await login('alice@phone');
  const burst = await back.sync();
  assert.deepEqual(
    burst.filter((l) => !/ JOIN #(dev|lobby)$| 353 alice = #(dev|lobby) | 366 alice #(dev|lobby) /.test(l)),
    [],
    'its rooms with their NAMES, and no catch-up',
  );
  assert.deepEqual(await history(back, 'LATEST #dev * 10'), ['while the phone was away']);
  assert.deepEqual(await history(back, 'LATEST bob * 10'), ['a word for alice']);
});
