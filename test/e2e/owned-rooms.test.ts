import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { runServer } from '../helpers/cli.js';
import { ircUser } from '../helpers/irc-client.js';
import { tempDir, usersFile } from '../helpers/users.js';
import { WireClient } from '../helpers/wire-client.js';

/**
 * docs/protocol.md, "Rooms people own", as the "done when" says it, with the real
 * chat-server (--users, --db): alice makes a private keyed room with a topic and invites
 * bob; carol finds nothing of it by any path, on the line protocol or IRC; the room keeps
 * its settings over a restart.
 */

const NO_ROOM = (room: string): string => `! no such room: ${room} (nobody is in it; /rooms lists the rooms)`;

async function server(t: TestContext, users: string, db: string) {
  return runServer(t, ['--users', users, '--db', db, '--irc-port', '0', '--server-name', 'irc.test']);
}

/** The IRC port a server printed (`irc on HOST:PORT`). */
async function ircPort(s: Awaited<ReturnType<typeof server>>): Promise<number> {
  const line = await s.stdout.until(/^irc on /);
  return Number(/:(\d+)$/.exec(line)?.[1]);
}

describe('owned rooms, with a real server and a database', () => {
  test('a private keyed room with a topic: the invited come in, nobody else sees or reads it, and it outlives a restart', async (t) => {
    const dir = tempDir(t);
    const users = await usersFile(t, { alice: 'pw-alice-1', bob: 'pw-bob-1', carol: 'pw-carol-1', dave: 'pw-dave-1' });
    const db = join(dir, 'chat.db');
    let s = await server(t, users, db);
    let irc = await ircPort(s);
    const alice = await WireClient.loggedIn(t, s.port, 'alice', 'pw-alice-1');
    const bob = await WireClient.loggedIn(t, s.port, 'bob', 'pw-bob-1');
    const carol = await WireClient.loggedIn(t, s.port, 'carol', 'pw-carol-1');
    alice.send('/join hr');
    assert.equal(await alice.lines.until(/^\* you are in/), '* you are in hr');
    alice.send('/topic Salaries, Friday');
    alice.send('/private');
    alice.send('/key Pay-Day');
    await alice.lines.until(/^\* alice set a key$/);
    alice.send('the numbers are in');
    alice.send('/invite bob');
    assert.equal(await alice.lines.until(/invited/), '* bob is invited to hr');
    assert.equal(await bob.lines.until(/invites/), '* alice invites you to hr: /join hr');
    bob.send('/join hr');
    assert.equal(await bob.next(), '* you are in hr');
    assert.equal(await bob.next(), '* topic of hr: Salaries, Friday (set by alice)');
    bob.send('/history 5');
    assert.match((await bob.next()) ?? '', /^\* \[[0-9TZ:-]+\] <alice> the numbers are in$/, 'its history, to a member');
    assert.equal(await bob.next(), '* end of history (1 messages)');

    // carol, by every path.
    carol.send('/join hr');
    assert.equal(await carol.lines.until(/^!/), '! hr is private: ask a member for an invitation');
    carol.send('/join hr Pay-Day');
    assert.equal(await carol.next(), '! hr is private: ask a member for an invitation', 'the key is no invitation');
    for (const line of ['/who hr', '/history hr', '/history #hr 100']) {
      carol.send(line);
      assert.equal(await carol.next(), NO_ROOM('hr'), line);
    }
    carol.send('/rooms');
    assert.equal(await carol.next(), '* rooms (1): lobby (3)');
    // dave, over IRC.
    const ircCarol = await ircUser(t, irc, 'dave', { pass: 'pw-dave-1' });
    for (const [line, answer] of [
      ['JOIN #hr', / 473 dave #hr /],
      ['NAMES #hr', / 366 dave #hr /],
      ['TOPIC #hr', / 403 dave #hr /],
      ['WHO #hr', / 315 dave #hr /],
      ['WHOIS alice', / 318 dave alice /],
    ] as const) {
      ircCarol.send(line);
      const got = await ircCarol.lines.until(answer);
      assert.match(got, answer, line);
    }
    ircCarol.send('LIST');
    const listing = await ircCarol.lines.until(/ 323 /);
    // Beyond the refusals above, nothing names #hr: not LIST, not WHOIS's channels, not NAMES or a topic.
    const told = ircCarol.lines.seen.filter((l) => / (322|319|353|332|333|352) .*#hr/.test(l));
    assert.deepEqual(told, [], `nothing of #hr reached dave (${listing})`);
    assert.ok(!carol.lines.seen.some((l) => /numbers|Salaries|Pay-Day/.test(l)), carol.lines.seen.join('\n'));

    // A restart: the room's settings are in the database.
    s.proc.kill('SIGTERM');
    await s.exit;
    s = await server(t, users, db);
    irc = await ircPort(s);
    const carol2 = await WireClient.loggedIn(t, s.port, 'carol', 'pw-carol-1');
    carol2.send('/join hr Pay-Day');
    assert.equal(await carol2.next(), '! hr is private: ask a member for an invitation', 'still private, though nobody is in it');
    const bob2 = await WireClient.loggedIn(t, s.port, 'bob', 'pw-bob-1');
    bob2.send('/join hr');
    assert.equal(await bob2.next(), '! hr is private: ask a member for an invitation', 'an invitation ends when the room empties');
    const alice2 = await WireClient.loggedIn(t, s.port, 'alice', 'pw-alice-1');
    alice2.send('/join hr');
    assert.equal(await alice2.next(), '* you are in hr', 'its owner, past its privacy and key');
    assert.equal(await alice2.next(), '* topic of hr: Salaries, Friday (set by alice)');
    alice2.send('/public');
    await alice2.lines.until(/made the room public/);
    bob2.send('/join hr pay-day');
    assert.equal(await bob2.lines.until(/^! hr|^\* you are in/), '! hr needs a key: /join hr KEY', 'public now, and a key of the wrong case is a wrong key');
    bob2.send('/join hr Pay-Day');
    assert.equal(await bob2.lines.until(/^! hr|^\* you are in/), '* you are in hr');
    bob2.send('/who hr');
    assert.equal(await bob2.lines.until(/^\* in hr/), '* in hr (2): @alice, bob');
    assert.ok(!s.stdout.seen.concat(s.stderr.seen).some((l) => l.includes('Pay-Day') || l.includes('pay-day')), 'no key in the log');
  });
});
