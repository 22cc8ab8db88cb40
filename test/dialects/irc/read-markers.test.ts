import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { T0 } from '../../helpers/fake-clock.js';
import { GUEST_MARKERS_MAX } from '../../../src/server/read-markers.js';
import { IrcClient, ircAccountsChat } from '../../helpers/irc-client.js';

const CAP = 'draft/read-marker';
const iso = (ms: number): string => new Date(ms).toISOString();
/** A time of the past, relative to T0, as MARKREAD writes it. */
const ago = (ms: number): string => `timestamp=${iso(T0 - ms)}`;

/**
 * IRCv3 draft/read-marker over in-memory connections (docs/irc.md, "History and read
 * markers"), on a fake clock that starts at T0: alice and bob are accounts, other nicks guests.
 */
async function chat(t: TestContext) {
  const { core, dialect, clock } = await ircAccountsChat(t);
  /** alice over IRC, logged in with SASL as AUTHCID, with CAPS; resolves once its welcome and what follows are through. */
  const alice = async (authcid = 'alice', caps: readonly string[] = [CAP]): Promise<{ c: IrcClient; burst: string[] }> => {
    const c = await IrcClient.memory(t, core, dialect, authcid).sasl(authcid, 'pw-a', caps);
    return { c, burst: await c.sync() };
  };
  const guest = async (nick: string, caps: readonly string[] = [CAP]): Promise<IrcClient> =>
    IrcClient.memory(t, core, dialect, nick).register(nick, { caps: [...caps] });
  return { clock, alice, guest };
}

/** JOINs ROOM; the lines up to the end of its names. */
async function join(c: IrcClient, room: string): Promise<string[]> {
  c.send(`JOIN ${room}`);
  const lines: string[] = [];
  for (;;) {
    const line = (await c.next()) ?? '';
    lines.push(line.replace(/^@\S+ /, ''));
    if (/ 366 /.test(line)) return lines;
  }
}

test('MARKREAD: asked, set, never moved back, never ahead of the clock; told after a JOIN, before the end of the names', async (t) => {
  const { clock, guest } = await chat(t);
  const c = await guest('dave');
  c.send('MARKREAD #nosuchtarget');
  assert.equal(await c.next(), ':irc.test MARKREAD #nosuchtarget *');
  assert.deepEqual(await join(c, '#test'), [
    ':dave!dave@chat JOIN #test',
    ':irc.test MARKREAD #test *',
    ':irc.test 353 dave = #test :@dave',
    ':irc.test 366 dave #test :End of /NAMES list',
  ]);
  c.send(`MARKREAD #test ${ago(60_000)}`);
  assert.equal(await c.next(), `:irc.test MARKREAD #test ${ago(60_000)}`);
  c.send(`MARKREAD #TEST ${ago(120_000)}`);
  assert.equal(await c.next(), `:irc.test MARKREAD #TEST ${ago(60_000)}`, 'the later one stays, named as asked');
  c.send('MARKREAD #test');
  assert.equal(await c.next(), `:irc.test MARKREAD #test ${ago(60_000)}`);
  c.send('PART #test');
  await c.expect(/ PART #test/);
  assert.deepEqual((await join(c, '#test'))[1], `:irc.test MARKREAD #test ${ago(60_000)}`, 'kept across a PART');
  // A marker set ahead of the server's clock would hold still until then: it is the clock's time.
  c.send('MARKREAD bob timestamp=2262-01-01T00:00:00.000Z');
  assert.equal(await c.next(), `:irc.test MARKREAD bob timestamp=${iso(T0)}`);
  clock.advance(5_000);
  c.send(`MARKREAD bob timestamp=${iso(T0 + 1_000)}`);
  assert.equal(await c.next(), `:irc.test MARKREAD bob timestamp=${iso(T0 + 1_000)}`);
  c.send('MARKREAD Bob');
  assert.equal(await c.next(), `:irc.test MARKREAD Bob timestamp=${iso(T0 + 1_000)}`, 'nicks without regard to case');
  await c.expectNothing();
});

test('MARKREAD refusals: FAIL NEED_MORE_PARAMS and INVALID_PARAMS, a `*` from a client among them', async (t) => {
  const { guest } = await chat(t);
  const c = await guest('dave');
  const fails: [string, string][] = [
    ['MARKREAD', 'FAIL MARKREAD NEED_MORE_PARAMS :Missing parameters'],
    ['MARKREAD #test *', 'FAIL MARKREAD INVALID_PARAMS #test * :Invalid timestamp'],
    ['MARKREAD #test timestamp=not-a-timestamp', 'FAIL MARKREAD INVALID_PARAMS #test timestamp=not-a-timestamp :Invalid timestamp'],
    ['MARKREAD #test 2019-01-04T14:33:26.123Z', 'FAIL MARKREAD INVALID_PARAMS #test 2019-01-04T14:33:26.123Z :Invalid timestamp'],
    [`MARKREAD #test ${ago(1)} more`, 'FAIL MARKREAD INVALID_PARAMS #test :Too many parameters'],
    [`MARKREAD #no.room ${ago(1)}`, 'FAIL MARKREAD INVALID_PARAMS #no.room :Invalid target'],
  ];
  for (const [line, answer] of fails) {
    c.send(line);
    assert.equal(await c.next(), `:irc.test ${answer}`, line);
  }
  await c.expectNothing();
});

test(`a guest's connection keeps at most GUEST_MARKERS_MAX (${GUEST_MARKERS_MAX}) markers, the oldest dropped first`, async (t) => {
  const { guest } = await chat(t);
  const c = await guest('dave');
  for (let i = 0; i <= GUEST_MARKERS_MAX; i++) c.send(`MARKREAD n${i} ${ago(10_000 - i)}`);
  await c.sync();
  c.send('MARKREAD n0');
  assert.equal(await c.next(), ':irc.test MARKREAD n0 *');
  c.send('MARKREAD n1');
  assert.equal(await c.next(), `:irc.test MARKREAD n1 ${ago(10_000 - 1)}`);
});

test("a guest's markers are its connection's: the next holder of the name starts with none", async (t) => {
  const { guest } = await chat(t);
  const first = await guest('dave');
  first.send(`MARKREAD #test ${ago(1_000)}`);
  assert.equal(await first.next(), `:irc.test MARKREAD #test ${ago(1_000)}`);
  first.send('QUIT');
  await first.closed;
  const next = await guest('dave');
  next.send('MARKREAD #test');
  assert.equal(await next.next(), ':irc.test MARKREAD #test *');
});

test("an account's markers: one device's set tells its others that asked to be told; kept across logins, told after the JOINs of a login", async (t) => {
  const { alice } = await chat(t);
  const { c: laptop } = await alice('alice@laptop');
  const { c: phone, burst } = await alice('alice@phone');
  assert.deepEqual(shown(burst), [], 'in no room yet');
  const { c: deaf } = await alice('alice', ['server-time']);
  for (const c of [laptop, phone, deaf]) await c.sync();

  laptop.send(`MARKREAD #dev ${ago(30_000)}`);
  assert.equal(await laptop.next(), `:irc.test MARKREAD #dev ${ago(30_000)}`);
  assert.equal(await phone.next(), `:irc.test MARKREAD #dev ${ago(30_000)}`);
  // An older one moves nothing: its sender is told the kept one, the others nothing.
  phone.send(`MARKREAD #dev ${ago(40_000)}`);
  assert.equal(await phone.next(), `:irc.test MARKREAD #dev ${ago(30_000)}`);
  await laptop.expectNothing();
  phone.send(`MARKREAD bob ${ago(10_000)}`);
  assert.equal(await phone.next(), `:irc.test MARKREAD bob ${ago(10_000)}`);
  assert.equal(await laptop.next(), `:irc.test MARKREAD bob ${ago(10_000)}`);
  // Without the capability a device may still ask, and is told nothing unasked.
  await deaf.expectNothing();
  deaf.send('MARKREAD BOB');
  assert.equal(await deaf.next(), `:irc.test MARKREAD BOB ${ago(10_000)}`);

  // A JOIN on one device: every device that asked to be told gets the JOIN and its marker.
  assert.deepEqual((await join(laptop, '#dev')).slice(0, 2), [':alice!alice@chat JOIN #dev', `:irc.test MARKREAD #dev ${ago(30_000)}`]);
  assert.equal(await phone.next(), ':alice!alice@chat JOIN #dev');
  assert.equal(await phone.next(), `:irc.test MARKREAD #dev ${ago(30_000)}`);
  assert.equal((await deaf.next())?.replace(/^@\S+ /, ''), ':alice!alice@chat JOIN #dev');
  // Each with its NAMES, as after a JOIN of its own.
  for (const c of [phone, deaf]) {
    assert.match((await c.next()) ?? '', / 353 alice = #dev :/);
    assert.match((await c.next()) ?? '', / 366 alice #dev /);
  }
  for (const c of [laptop, phone, deaf]) await c.expectNothing();

  // A device logging in to the account online is put in its rooms, and told their markers.
  const { c: tablet, burst: joins } = await alice('alice@tablet');
  assert.deepEqual(shown(joins), [':alice!alice@chat JOIN #dev', `:irc.test MARKREAD #dev ${ago(30_000)}`]);

  // Every device gone, then a named one back: the markers were kept, and its rejoin tells them.
  for (const c of [laptop, phone, deaf, tablet]) {
    c.send('QUIT');
    await c.closed;
  }
  const { c: back, burst: rejoined } = await alice('alice@laptop');
  assert.deepEqual(shown(rejoined), [':alice!alice@chat JOIN #dev', `:irc.test MARKREAD #dev ${ago(30_000)}`]);
  back.send('MARKREAD bob');
  assert.equal(await back.next(), `:irc.test MARKREAD bob ${ago(10_000)}`);
});

/** LINES without their tags, and without the notices of a catch-up nor the NAMES of each JOIN. */
function shown(lines: readonly string[]): string[] {
  return lines.map((l) => l.replace(/^@\S+ /, '')).filter((l) => !/ NOTICE | 35[3] | 366 /.test(l));
}
