import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ircDialectOf } from '../../../src/app/irc.js';
import { AWAY_MAX } from '../../../src/protocol/away.js';
import { IrcClient } from '../../helpers/irc-client.js';
import { MemoryClient, startCore } from '../../helpers/memory-client.js';

/**
 * src/protocol/away.ts: AWAY_MAX is 390 "(what fits a 512-byte 301 reply)", and ISUPPORT says
 * AWAYLEN=390; but it counts characters, and a line user's text of 390 four-byte characters
 * is a 301 (and a WHOIS 301) of about 1600 bytes, three times what an IRC client must take.
 */
test('an away text of multibyte characters still fits the 301 an IRC user gets in 512 bytes', async (t) => {
  const { core, accounts } = startCore(t, { rate: 0 });
  const dialect = ircDialectOf(core, accounts, 'irc.test');
  const dave = IrcClient.memory(t, core, dialect, 'dave');
  dave.send('NICK dave');
  dave.send('USER udave 0 * :dave');
  await dave.expect(/ 422 /);
  const bob = await MemoryClient.registered(core, 'bob');
  bob.send(`/away ${'😀'.repeat(AWAY_MAX)}`);
  await bob.lines.until(/^\* you are away/);
  dave.send('PRIVMSG bob :hi');
  const rpl = await dave.expect(/ 301 /);
  dave.send('WHOIS bob');
  const whois = await dave.expect(/ 301 /);
  // RFC 1459/2812: 512 bytes with the CR LF.
  assert.deepEqual(
    [Buffer.byteLength(rpl) + 2 <= 512, Buffer.byteLength(whois) + 2 <= 512],
    [true, true],
    `301 of ${Buffer.byteLength(rpl)} bytes, WHOIS's of ${Buffer.byteLength(whois)}`,
  );
});
