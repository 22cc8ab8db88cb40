import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { ircDialectOf } from '../../../src/app/irc.js';
import { IrcClient } from '../../helpers/irc-client.js';
import { MemoryClient, startCore } from '../../helpers/memory-client.js';
import { usersFile } from '../../helpers/users.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import type { Store } from '../../../src/store/store.js';

/**
 * docs/irc.md, "away-notify": an IRC user who asked for the capability is sent
 * `:NAME!NAME@chat AWAY :TEXT` (or `AWAY` alone, back) when someone sharing a room with it
 * goes away, comes back or changes the text, and after the JOIN of someone who is away.
 * Nobody else is sent anything: not the user itself, not an IRC user without the capability,
 * not a line user (for whom the away text is the answer to a direct message only).
 */
async function chat(t: TestContext) {
  const users = await usersFile(t, { alice: 'pw-a' });
  const { core, accounts } = startCore(t, { users, guests: true, rate: 0, authFailureDelayMs: 5 });
  const dialect = ircDialectOf(core, accounts, 'irc.test');
  const irc = (nick: string, caps: string[] = []): Promise<IrcClient> => IrcClient.memory(t, core, dialect, nick).register(nick, { caps });
  return { core, irc };
}

describe('away-notify', () => {
  test('CAP LS offers it; a room-mate with it is told away, a new text and back; nobody else is told anything', async (t) => {
    const { core, irc } = await chat(t);
    const probe = IrcClient.memory(t, core, ircDialectOf(core, undefined, 'irc.test'), 'probe');
    probe.send('CAP LS 302');
    assert.match(await probe.expect(/ CAP \* LS /), /[ :]away-notify( |$)/);

    const dave = await irc('dave', ['away-notify']);
    const erin = await irc('erin');
    dave.send('JOIN #lobby');
    erin.send('JOIN #lobby');
    await dave.expect(/ 366 dave #lobby /);
    await erin.expect(/ 366 erin #lobby /);
    const bob = await MemoryClient.registered(core, 'bob');
    const carol = await MemoryClient.registered(core, 'carol');
    await dave.expect(/^:carol!\S+ JOIN #lobby$/);
    await bob.lines.until(/^\* carol joined$/);
    await erin.expect(/^:carol!\S+ JOIN #lobby$/);

    bob.send('/away at lunch');
    assert.equal(await bob.next(), '* you are away: at lunch');
    assert.equal(await dave.next(), ':bob!bob@chat AWAY :at lunch');
    bob.send('/away in a meeting');
    assert.equal(await bob.next(), '* you are away: in a meeting');
    assert.equal(await dave.next(), ':bob!bob@chat AWAY :in a meeting');
    // The same text again changes nothing: nobody is told.
    bob.send('/away in a meeting');
    assert.equal(await bob.next(), '* you are away: in a meeting');
    bob.send('/away');
    assert.equal(await bob.next(), '* you are back');
    assert.equal(await dave.next(), ':bob!bob@chat AWAY');

    // An IRC user's own AWAY: its 306, and to the room-mate with the capability only.
    erin.send('AWAY :gone fishing');
    assert.match(String(await erin.next()), / 306 erin /);
    assert.equal(await dave.next(), ':erin!erin@chat AWAY :gone fishing');
    await Promise.all([dave.expectNothing(), erin.expectNothing(), bob.expectNothing(), carol.expectNothing()]);
  });

  test('tags go on the AWAY as on any line; a form without away-notify shares nothing with it', async (t) => {
    const { core, irc } = await chat(t);
    const dave = await irc('dave', ['away-notify', 'account-tag']);
    const erin = await irc('erin', ['account-tag']);
    dave.send('JOIN #lobby');
    erin.send('JOIN #lobby');
    await dave.expect(/ 366 /);
    await erin.expect(/ 366 /);
    const alice = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    await dave.expect(/:alice!\S+ JOIN #lobby$/);
    await erin.expect(/:alice!\S+ JOIN #lobby$/);
    alice.send('/away brb');
    await alice.lines.until(/^\* you are away/);
    assert.equal(await dave.next(), '@account=alice :alice!alice@chat AWAY :brb');
    // A room message still reaches both, each in its own form.
    alice.send('hello');
    assert.equal(await dave.next(), '@account=alice :alice!alice@chat PRIVMSG #lobby :hello');
    assert.equal(await erin.next(), '@account=alice :alice!alice@chat PRIVMSG #lobby :hello');
    await erin.expectNothing();
  });

  test('someone away who joins: JOIN then AWAY, to the room only, not to themselves', async (t) => {
    const { irc } = await chat(t);
    const dave = await irc('dave', ['away-notify']);
    dave.send('JOIN #side');
    await dave.expect(/ 366 dave #side /);
    const frank = await irc('frank', ['away-notify']);
    frank.send('JOIN #other');
    await frank.expect(/ 366 frank #other /);
    const bob = await irc('bob', ['away-notify']);
    bob.send('AWAY :already away');
    await bob.expect(/ 306 /);
    bob.send('JOIN #side');
    await bob.expect(/ 366 bob #side /);
    assert.equal(await dave.next(), ':bob!bob@chat JOIN #side');
    assert.equal(await dave.next(), ':bob!bob@chat AWAY :already away');
    // bob asked for away-notify too, but its own change is no news to itself.
    bob.send('AWAY :still away');
    await bob.expect(/ 306 /);
    assert.equal(await dave.next(), ':bob!bob@chat AWAY :still away');
    // In no room with bob: told nothing, of the join nor of the away.
    await Promise.all([dave.expectNothing(), frank.expectNothing(), bob.expectNothing()]);
    // Leaving the room it shared: told no more.
    bob.send('PART #side');
    await dave.expect(/ PART #side/);
    bob.send('AWAY');
    await bob.expect(/ 305 /);
    await dave.expectNothing();
  });

  test('an account is away when all its devices are: the last one in use going away, a new device, and the device in use leaving are told', async (t) => {
    const { core, irc } = await chat(t);
    const dave = await irc('dave', ['away-notify']);
    dave.send('JOIN #lobby');
    await dave.expect(/ 366 /);
    const laptop = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    await dave.expect(/^:alice!\S+ JOIN #lobby$/);
    const phone = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    laptop.send('/away on the phone');
    await laptop.lines.until(/^\* you are away/);
    // The phone is in use: alice is not away.
    await dave.expectNothing();
    phone.send('/away asleep');
    await phone.lines.until(/^\* you are away/);
    assert.equal(await dave.next(), ':alice!alice@chat AWAY :on the phone');
    // A third device, in use: back.
    const tablet = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    assert.equal(await dave.next(), ':alice!alice@chat AWAY');
    // It leaves: the two left are away again.
    await tablet.close();
    assert.equal(await dave.next(), ':alice!alice@chat AWAY :on the phone');
    // The first device's text is the account's: with it gone, the phone's is.
    await laptop.close();
    assert.equal(await dave.next(), ':alice!alice@chat AWAY :asleep');
    await dave.expectNothing();
    // The last one leaving is a QUIT, not an AWAY.
    await phone.close();
    assert.match(String(await dave.next()), /^:alice!\S+ QUIT /);
    await dave.expectNothing();
  });

  test('a shutdown tells no AWAY: the devices closing one after another are not news to anyone', async (t) => {
    const { core, irc } = await chat(t);
    // The laptop, in use, first.
    await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    const phone = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    phone.send('/away asleep');
    await phone.lines.until(/^\* you are away/);
    const dave = await irc('dave', ['away-notify']);
    dave.send('JOIN #lobby');
    await dave.expect(/ 366 /);
    await core.close();
    await dave.closed;
    // The laptop closes first, leaving the phone, away, alone: said at any other time.
    const aways = dave.lines.seen.filter((l) => / AWAY( |$)/.test(l));
    assert.deepEqual(aways, []);
  });

  test('a login that counted as a device in use, then given back (its bans could not be read), leaves the account away: told then', async (t) => {
    const users = await usersFile(t, { alice: 'pw-a' });
    const store = new MemoryStore();
    const { core, accounts } = startCore(t, { users, store, guests: true, rate: 0, authFailureDelayMs: 5 });
    const dialect = ircDialectOf(core, accounts, 'irc.test');
    const dave = await IrcClient.memory(t, core, dialect, 'dave').register('dave', { caps: ['away-notify'] });
    dave.send('JOIN #lobby');
    await dave.expect(/ 366 /);
    const laptop = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    await dave.expect(/:alice!\S+ JOIN #lobby$/);
    // The second login's second look at the bans (once its name is claimed) waits, then fails.
    const banOf = store.banOf.bind(store);
    let calls = 0;
    let fail: (err: Error) => void = () => {};
    const asked = new Promise<void>((claimed) => {
      (store as Store).banOf = (name, now) => {
        if (++calls < 2) return banOf(name, now);
        claimed();
        return new Promise((_, reject) => (fail = reject));
      };
    });
    const pending = MemoryClient.login(core, '#alice pw-a');
    await asked;
    laptop.send('/away gone');
    await laptop.lines.until(/^\* you are away/);
    // The login in flight is a device in use: alice is not away yet.
    await dave.expectNothing();
    fail(new Error('disk on fire'));
    assert.equal((await pending).reply, '! cannot log in now: the list of bans cannot be read, try again in a moment');
    assert.equal(await dave.next(), ':alice!alice@chat AWAY :gone');
  });

  test('a rename carries the away over (the NICK says it all); a text from a name given up is not told for its next holder', async (t) => {
    const { core, irc } = await chat(t);
    const dave = await irc('dave', ['away-notify']);
    dave.send('JOIN #lobby');
    await dave.expect(/ 366 /);
    const bob = await irc('bob');
    bob.send('JOIN #lobby');
    await dave.expect(/:bob!\S+ JOIN #lobby$/);
    bob.send('AWAY :lunch');
    assert.equal(await dave.next(), ':bob!bob@chat AWAY :lunch');
    bob.send('NICK robert');
    assert.equal(await dave.next(), ':bob!bob@chat NICK :robert');
    bob.send('AWAY');
    assert.equal(await dave.next(), ':robert!robert@chat AWAY');
    const other = await MemoryClient.registered(core, 'bob');
    await dave.expect(/:bob!\S+ JOIN #lobby$/);
    other.send('/away');
    await other.lines.until(/^\* you are back/);
    await dave.expectNothing();
  });
});
