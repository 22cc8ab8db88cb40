import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { ircDialectOf } from '../../../src/app/irc.js';
import { IrcClient, saslPlain } from '../../helpers/irc-client.js';
import { MemoryClient, startCore } from '../../helpers/memory-client.js';
import { usersFile } from '../../helpers/users.js';

async function chat(t: TestContext) {
  const users = await usersFile(t, { alice: 'pw-a', bob: 'pw-b' });
  const { core, accounts } = startCore(t, { rate: 0, authFailureDelayMs: 5, users });
  const dialect = ircDialectOf(core, accounts, 'irc.test');
  /** alice over IRC, logged in with SASL as AUTHCID (`alice@phone`: a named device). */
  const sasl = (authcid: string, caps: string[] = []): Promise<IrcClient> => IrcClient.memory(t, core, dialect, authcid).sasl(authcid, 'pw-a', caps);
  return { core, sasl, open: (label: string) => IrcClient.memory(t, core, dialect, label) };
}

test('IRC devices: a login joins the account, JOIN and PART follow it, a sent message shows in the self-message form', async (t) => {
  const { core, sasl } = await chat(t);
  const bob = await MemoryClient.loggedIn(core, 'bob', 'pw-b');
  const laptop = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
  laptop.send('/join dev');
  await laptop.lines.until(/^\* you are in dev$/);
  const phone = await sasl('alice@phone', ['server-time']);
  // The account's rooms, as JOINs.
  const joins = [await phone.expect(/ JOIN /), await phone.expect(/ JOIN /)].map((l) => l.replace(/^@\S+ /, ''));
  assert.deepEqual(joins.sort(), [':alice!alice@chat JOIN #dev', ':alice!alice@chat JOIN #lobby']);
  assert.match(await phone.expect(/end of catch-up/), /NOTICE alice :end of catch-up \(0 messages\)$/);
  laptop.send('@bob:from the laptop');
  assert.equal(await bob.lines.until(/^\*alice\*/), '*alice* from the laptop');
  assert.match(await phone.expect(/PRIVMSG bob/), /^@time=\S+ :alice!alice@chat PRIVMSG bob :from the laptop$/);
  phone.send('PRIVMSG bob :from the phone');
  assert.equal(await bob.lines.until(/^\*alice\*/), '*alice* from the phone');
  assert.equal(await laptop.lines.until(/^\*alice->/), '*alice->bob* from the phone');
  laptop.send('/join ops');
  assert.match(await phone.expect(/ JOIN /), /:alice!alice@chat JOIN #ops$/);
  // With its nick list, as after a JOIN of its own.
  assert.match(await phone.expect(/ 353 /), / 353 alice = #ops :@?alice$/);
  await phone.expect(/ 366 alice #ops /);
  phone.send('PART #ops :enough');
  assert.match(await phone.expect(/ PART /), /:alice!alice@chat PART #ops :enough$/);
  assert.equal(await laptop.lines.until(/^\* you left/), '* you left ops');
  await phone.expectNothing();
});

test('IRC: SASL with a device name that cannot be one fails, and says so the SASL way', async (t) => {
  const { open } = await chat(t);
  const c = open('bad');
  c.send('CAP REQ :sasl');
  await c.expect(/ CAP \S+ ACK /);
  c.send('AUTHENTICATE PLAIN');
  await c.expect(/^AUTHENTICATE \+$/);
  c.send(`AUTHENTICATE ${saslPlain('alice@my.phone', 'pw-a')}`);
  assert.match(await c.expect(/ 90\d /), / 904 /);
});
