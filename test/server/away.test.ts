import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { ircDialectOf } from '../../src/app/irc.js';
import { AWAY_MAX } from '../../src/protocol/away.js';
import { IrcClient } from '../helpers/irc-client.js';
import { MemoryClient, startCore } from '../helpers/memory-client.js';
import { usersFile } from '../helpers/users.js';

/**
 * docs/protocol.md, "Away": `/away [TEXT]` and IRC's AWAY are one state of the core, so
 * whoever writes to a user who is away is told so in its own dialect: `* NAME is away: TEXT`
 * or RPL_AWAY (301). alice and op are accounts (op an operator); others are guests.
 */
async function chat(t: TestContext) {
  const users = await usersFile(t, { alice: 'pw-a', op: 'pw-op' }, ['op']);
  const { core, accounts } = startCore(t, { users, guests: true, rate: 0, authFailureDelayMs: 5 });
  const dialect = ircDialectOf(core, accounts, 'irc.test');
  const irc = async (nick: string): Promise<IrcClient> => {
    const c = IrcClient.memory(t, core, dialect, nick);
    c.send(`NICK ${nick}`);
    c.send(`USER u${nick} 0 * :${nick}`);
    await c.expect(/ 422 /);
    return c;
  };
  return { core, irc };
}

describe('/away', () => {
  test('away and back: a direct message is answered with the text, a room line is not, and back ends it', async (t) => {
    const { core } = await chat(t);
    const alice = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    const bob = await MemoryClient.registered(core, 'bob');
    await alice.lines.until(/^\* bob joined$/);
    alice.send('/away  at lunch, back at 2  ');
    assert.equal(await alice.next(), '* you are away: at lunch, back at 2');
    bob.send('@alice:are you there?');
    assert.equal(await alice.next(), '*bob* are you there?');
    assert.equal(await bob.next(), '* alice is away: at lunch, back at 2');
    // Every message is answered (as IRC servers do): the sender may not have seen the last one.
    bob.send('@ALICE:still?');
    assert.equal(await alice.next(), '*bob* still?');
    assert.equal(await bob.next(), '* alice is away: at lunch, back at 2');
    bob.send('hello room');
    assert.equal(await alice.next(), '<bob> hello room');
    await bob.expectNothing();
    alice.send('/AWAY');
    assert.equal(await alice.next(), '* you are back');
    bob.send('@alice:welcome back');
    assert.equal(await alice.next(), '*bob* welcome back');
    await bob.expectNothing();
    // Back when not away: said all the same, as IRC's 305.
    alice.send('/away');
    assert.equal(await alice.next(), '* you are back');
  });

  test('the text holds no control character and is cut at AWAY_MAX bytes, never inside a character; spaces alone mean back', async (t) => {
    const { core } = await chat(t);
    const alice = await MemoryClient.registered(core, 'alice_');
    const bob = await MemoryClient.registered(core, 'bob');
    await alice.lines.until(/^\* bob joined$/);
    alice.send(`/away ${'é'.repeat(AWAY_MAX + 50)}`);
    assert.equal(await alice.next(), `* you are away: ${'é'.repeat(AWAY_MAX / 2)}`);
    // 1 + 2 x 194 = 389 bytes: one more é would be 391.
    alice.send(`/away a${'é'.repeat(AWAY_MAX)}`);
    assert.equal(await alice.next(), `* you are away: a${'é'.repeat(194)}`);
    alice.send('/away \x1b[31mred\x07');
    assert.equal(await alice.next(), '* you are away: [31mred');
    bob.send('@alice_:hi');
    assert.equal(await bob.next(), '* alice_ is away: [31mred');
    assert.equal(await alice.next(), '*bob* hi');
    alice.send('/away    ');
    assert.equal(await alice.next(), '* you are back');
  });

  test('two users away never answer each other in a loop; to oneself, no answer', async (t) => {
    const { core } = await chat(t);
    const alice = await MemoryClient.registered(core, 'alice_');
    const bob = await MemoryClient.registered(core, 'bob');
    alice.send('/away out');
    await alice.lines.until(/^\* you are away/);
    bob.send('/away gone');
    await bob.lines.until(/^\* you are away/);
    bob.send('@alice_:ping');
    assert.equal(await alice.lines.until(/^\*bob\*/), '*bob* ping');
    assert.equal(await bob.next(), '* alice_ is away: out');
    await alice.expectNothing();
    await bob.expectNothing();
    alice.send('@alice_:a note to myself');
    assert.equal(await alice.next(), '*alice_* a note to myself');
    await alice.expectNothing();
  });

  test('an account is away only while every device is: one device in use answers for it', async (t) => {
    const { core } = await chat(t);
    const laptop = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    const phone = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    await phone.lines.until(/^\* you are in lobby$/);
    const bob = await MemoryClient.registered(core, 'bob');
    await laptop.lines.until(/^\* bob joined$/);
    laptop.send('/away on the train');
    assert.equal(await laptop.next(), '* you are away: on the train');
    bob.send('@alice:hi');
    assert.equal(await phone.lines.until(/^\*bob\*/), '*bob* hi');
    assert.equal(await laptop.lines.until(/^\*bob\*/), '*bob* hi');
    await bob.expectNothing();
    phone.send('/away asleep');
    await phone.lines.until(/^\* you are away/);
    bob.send('@alice:hi again');
    // Once, not once a device: the first device's text.
    assert.equal(await bob.next(), '* alice is away: on the train');
    await bob.expectNothing();
    assert.equal(await laptop.lines.until(/^\*bob\*/), '*bob* hi again');
    // A message sent from one device reaches the others as sent, never answered as away.
    laptop.send('@bob:on my way');
    assert.equal(await bob.lines.until(/^\*alice\*/), '*alice* on my way');
    assert.equal(await phone.lines.until(/^\*alice->bob\*/), '*alice->bob* on my way');
    await laptop.expectNothing();
  });

  test('an operator is told so at login, right after its name', async (t) => {
    const { core } = await chat(t);
    const op = MemoryClient.connect(core, 'op');
    await op.lines.until(/^\* welcome/);
    op.send('#op pw-op');
    assert.equal(await op.next(), '* registered as op');
    assert.equal(await op.next(), '* you are an operator: /help lists your commands');
    const alice = MemoryClient.connect(core, 'alice');
    await alice.lines.until(/^\* welcome/);
    alice.send('#alice pw-a');
    assert.equal(await alice.next(), '* registered as alice');
    await alice.expectNothing();
    op.send('/bans');
    assert.equal(await op.lines.until(/^\* bans/), '* bans (0): nobody is banned');
  });
});

describe('away across dialects', () => {
  test("an IRC user's AWAY answers a line user, and a line user's /away answers IRC with 301, WHOIS and WHO", async (t) => {
    const { core, irc } = await chat(t);
    const dave = await irc('dave');
    const bob = await MemoryClient.registered(core, 'bob');
    dave.send('AWAY :in a meeting');
    assert.equal(await dave.next(), ':irc.test 306 dave :You have been marked as being away');
    bob.send('@dave:lunch?');
    assert.equal(await dave.expect(/PRIVMSG/), ':bob!bob@chat PRIVMSG dave :lunch?');
    assert.equal(await bob.next(), '* dave is away: in a meeting');
    dave.send('AWAY');
    assert.equal(await dave.next(), ':irc.test 305 dave :You are no longer marked as being away');
    bob.send('@dave:now?');
    await dave.expect(/PRIVMSG dave :now\?/);
    await bob.expectNothing();

    bob.send('/away biking');
    assert.equal(await bob.next(), '* you are away: biking');
    dave.send('PRIVMSG bob :hi');
    assert.equal(await bob.next(), '*dave* hi');
    assert.equal(await dave.next(), ':irc.test 301 dave bob :biking');
    dave.send('NOTICE bob :a notice is never answered');
    assert.equal(await bob.next(), '*dave* a notice is never answered');
    await dave.expectNothing();
    dave.send('WHOIS bob');
    assert.equal(await dave.expect(/ 301 /), ':irc.test 301 dave bob :biking');
    await dave.expect(/ 318 /);
    dave.send('WHO bob');
    assert.match((await dave.expect(/ 352 /)) ?? '', / bob G :0 bob$/);
    await dave.expect(/ 315 /);
  });
});
