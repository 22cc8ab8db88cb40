import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ircDialectOf } from '../../../src/app/irc.js';
import { TOPIC_MAX } from '../../../src/protocol/room-state.js';
import { IrcClient } from '../../helpers/irc-client.js';
import { MemoryClient, startCore } from '../../helpers/memory-client.js';

/**
 * ISUPPORT says TOPICLEN=390, which IRC counts in bytes: a topic of 390 four-byte characters
 * set by a line user was a 332 (and a TOPIC) of about 1,600 bytes, three times what an IRC
 * client must take. The topic is cut at 390 bytes of UTF-8, never inside a character.
 */
test('a topic of multibyte characters is cut at TOPICLEN bytes: the 332 and the TOPIC an IRC user gets fit in 512 bytes', async (t) => {
  const { core, accounts } = startCore(t, { rate: 0 });
  const dialect = ircDialectOf(core, accounts, 'irc.test');
  const bob = await MemoryClient.registered(core, 'bob');
  bob.send('/join dev');
  await bob.lines.until(/^\* you are in dev/);
  const dave = await IrcClient.memory(t, core, dialect, 'dave').register('dave');
  dave.send('JOIN #dev');
  await dave.expect(/ 366 /);
  bob.send(`/topic ${'😀'.repeat(TOPIC_MAX)}`);
  const told = await bob.lines.until(/^\* bob set the topic: /);
  const kept = told.replace(/^\* bob set the topic: /, '');
  // 97 whole characters: 388 bytes, the most that fits in 390.
  assert.equal(kept, '😀'.repeat(97));
  const change = await dave.expect(/ TOPIC #dev :/);
  dave.send('TOPIC #dev');
  const topic = await dave.expect(/ 332 /);
  // RFC 1459/2812: 512 bytes with the CR LF.
  assert.deepEqual(
    [Buffer.byteLength(change) + 2 <= 512, Buffer.byteLength(topic) + 2 <= 512],
    [true, true],
    `TOPIC of ${Buffer.byteLength(change)} bytes, 332 of ${Buffer.byteLength(topic)}`,
  );
  assert.ok(topic.endsWith(` :${'😀'.repeat(97)}`), topic);
  // An ASCII topic is cut at 390 characters, as before.
  bob.send(`/topic ${'t'.repeat(TOPIC_MAX + 10)}`);
  assert.equal(await bob.lines.until(/^\* bob set the topic: t/), `* bob set the topic: ${'t'.repeat(TOPIC_MAX)}`);
});
