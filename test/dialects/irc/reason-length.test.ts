import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ircDialectOf } from '../../../src/app/irc.js';
import { REASON_MAX } from '../../../src/protocol/cut-to-bytes.js';
import { IrcClient } from '../../helpers/irc-client.js';
import { MemoryClient, startCore } from '../../helpers/memory-client.js';

/** RFC 1459/2812: a line is 512 bytes with its CR LF. */
const fits = (line: string): boolean => Buffer.byteLength(line) + 2 <= 512;
/** A name of the longest kind, 32 characters, ending in TAG. */
const longest = (tag: string): string => `${'n'.repeat(32 - tag.length)}${tag}`;

/**
 * ISUPPORT says KICKLEN, in bytes; but no reason was cut at all: a line user's `/quit`,
 * `/part` or `/remove` with a reason of 390 four-byte characters reached IRC users as a QUIT,
 * PART or KICK line of over 1,600 bytes. Every reason is cut at REASON_MAX bytes of UTF-8,
 * never inside a character, in both dialects: what fits with the longest names.
 */
test('reasons of multibyte characters are cut at KICKLEN bytes: the PART, KICK and QUIT an IRC user gets fit in 512 bytes, names of 32 characters and all', async (t) => {
  const { core, accounts } = startCore(t, { rate: 0 });
  const dialect = ircDialectOf(core, accounts, 'irc.test');
  const long = '😀'.repeat(400);
  // 90 whole characters: 360 bytes, the most that fits.
  const cut = '😀'.repeat(Math.floor(REASON_MAX / 4));
  const room = longest('room');
  const opName = longest('op');
  const op = await MemoryClient.registered(core, opName);
  op.send(`/join ${room}`);
  await op.lines.until(/^\* you are in /);
  const [bob, carol, quitter] = await Promise.all(['bob', 'carol', 'quitter'].map((n) => MemoryClient.registered(core, longest(n))));
  for (const c of [bob!, carol!, quitter!]) {
    c.send(`/join ${room}`);
    await c.lines.until(/^\* you are in /);
  }
  const dave = await IrcClient.memory(t, core, dialect, 'dave').register(longest('dave'));
  dave.send(`JOIN #${room}`);
  await dave.expect(/ 366 /);

  bob!.send(`/part ${room} ${long}`);
  const part = await dave.expect(/ PART #/);
  op.send(`/remove ${longest('carol')} ${long}`);
  const kick = await dave.expect(/ KICK #/);
  quitter!.send(`/quit ${long}`);
  const quit = await dave.expect(/ QUIT /);
  for (const line of [part, kick, quit]) {
    assert.ok(fits(line), `${Buffer.byteLength(line)} bytes: ${line.slice(0, 80)}...`);
    assert.ok(line.endsWith(` :${cut}`), `the reason cut whole, at ${REASON_MAX} bytes: ${line.slice(0, 80)}...`);
  }
  // The line user sees the same cut.
  assert.equal(await op.lines.until(/ left \(removed by /), `* ${longest('carol')} left (removed by ${opName}: ${cut})`);
  // And an IRC user's own QUIT is shown back to it cut the same way.
  dave.send(`QUIT :${'é'.repeat(250)}`);
  const error = await dave.expect(/^ERROR /);
  assert.equal(error, `ERROR :Closing Link: Quit: ${'é'.repeat(REASON_MAX / 2)}`);
});
