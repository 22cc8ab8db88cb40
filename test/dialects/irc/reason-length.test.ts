import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ircDialectOf } from '../../../src/app/irc.js';
import { REASON_MAX } from '../../../src/protocol/cut-to-bytes.js';
import { IrcClient } from '../../helpers/irc-client.js';
import { MemoryClient, startCore } from '../../helpers/memory-client.js';

/** RFC 1459/2812: a line is 512 bytes with its CR LF. */
const fits = (line: string): boolean => Buffer.byteLength(line) + 2 <= 512;

/**
 * ISUPPORT says KICKLEN=390, in bytes; but no reason was cut at all: a line user's `/quit`,
 * `/part` or `/remove` with a reason of 390 four-byte characters reached IRC users as a QUIT,
 * PART or KICK line of over 1,600 bytes. Every reason is cut at 390 bytes of UTF-8, never
 * inside a character, in both dialects.
 */
test('reasons of multibyte characters are cut at KICKLEN bytes: the PART, KICK and QUIT an IRC user gets fit in 512 bytes', async (t) => {
  const { core, accounts } = startCore(t, { rate: 0 });
  const dialect = ircDialectOf(core, accounts, 'irc.test');
  const long = '😀'.repeat(REASON_MAX);
  // 97 whole characters: 388 bytes, the most that fits in 390.
  const cut = '😀'.repeat(97);
  const op = await MemoryClient.registered(core, 'op');
  op.send('/join dev');
  await op.lines.until(/^\* you are in dev/);
  const bob = await MemoryClient.registered(core, 'bob');
  const carol = await MemoryClient.registered(core, 'carol');
  for (const c of [bob, carol]) {
    c.send('/join dev');
    await c.lines.until(/^\* you are in dev/);
  }
  const dave = await IrcClient.memory(t, core, dialect, 'dave').register('dave');
  dave.send('JOIN #dev');
  await dave.expect(/ 366 /);

  bob.send(`/part dev ${long}`);
  const part = await dave.expect(/ PART #dev/);
  op.send(`/remove carol ${long}`);
  const kick = await dave.expect(/ KICK #dev carol/);
  const quitter = await MemoryClient.registered(core, 'quitter');
  quitter.send('/join dev');
  await dave.expect(/:quitter!\S+ JOIN #dev/);
  quitter.send(`/quit ${long}`);
  const quit = await dave.expect(/:quitter!\S+ QUIT/);
  for (const line of [part, kick, quit]) {
    assert.ok(fits(line), `${Buffer.byteLength(line)} bytes: ${line.slice(0, 60)}...`);
    assert.ok(line.endsWith(cut), `the reason cut whole, at 388 bytes: ${line.slice(0, 60)}...`);
  }
  // The line user sees the same cut.
  assert.equal(await op.lines.until(/^\* carol left \(removed by op: /), `* carol left (removed by op: ${cut})`);
});
