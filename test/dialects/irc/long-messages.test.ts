import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { describe, test, type TestContext } from 'node:test';
import { IrcClient, ircAccountsChat, ircUser } from '../../helpers/irc-client.js';
import { MemoryClient } from '../../helpers/memory-client.js';
import { startServer } from '../../helpers/server.js';
import { WebClient } from '../../helpers/web-client.js';
import { WireClient } from '../../helpers/wire-client.js';

/**
 * docs/irc.md, "Long messages": a message whose IRC line would pass 512 bytes with its CRLF
 * (tags not counted) reaches an IRC user as several lines of the same command, each within
 * the limit, whose texts put together are the message.
 */

const bytes = (s: string): number => Buffer.byteLength(s);

/** 4000 bytes of text as a line user may send it: words, multibyte ones, and a run without spaces. */
const LONG = [
  ...Array.from({ length: 300 }, (_, i) => ['héllo', 'wörld', '€uro', '😀', 'plain', 'text'][i % 6]!),
  `https://example.com/${'x'.repeat(1140)}`,
  ...Array.from({ length: 220 }, (_, i) => `w${i}`),
].join(' ');

/** A line without its tags: what the 512-byte limit counts. */
const untagged = (line: string): string => (line.startsWith('@') ? line.slice(line.indexOf(' ') + 1) : line);

/** What STREAM receives from now on, raw: each line's bytes and its CRLF are checked on it, not on a reader's lines. */
function capture(stream: Duplex): { lines(): string[] } {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return {
    /** The lines so far, after checking that each ends in CRLF and fits in 512 bytes with it, tags aside. */
    lines(): string[] {
      const text = Buffer.concat(chunks).toString('utf8');
      assert.ok(text.endsWith('\r\n'), 'the last line is whole');
      const lines = text.slice(0, -2).split('\r\n');
      for (const line of lines) {
        assert.ok(!line.includes('\n') && !line.includes('\r'), `a line with a bare CR or LF: ${JSON.stringify(line.slice(0, 80))}`);
        assert.ok(bytes(untagged(line)) + 2 <= 512, `a line of ${bytes(untagged(line)) + 2} bytes: ${line.slice(0, 80)}...`);
      }
      return lines;
    },
  };
}

/** The texts of LINES that start (tags aside) with HEAD, put together. */
function joined(lines: readonly string[], head: string): string {
  return lines
    .map(untagged)
    .filter((l) => l.startsWith(head))
    .map((l) => l.slice(head.length))
    .join('');
}

/** A server with the IRC and web ports beside the line port. */
async function ports(t: TestContext) {
  const { server, port } = await startServer(t, { ircPort: 0, webPort: 0, serverName: 'irc.test', rate: 0 });
  const irc = server.ircAddress?.port;
  const web = server.webAddress?.port;
  assert.ok(irc !== undefined && web !== undefined);
  return { line: port, irc, url: `ws://127.0.0.1:${web}/` };
}

describe('long messages over sockets', () => {
  test('a line user 4000 bytes to a room and to an IRC user: parts within 512 bytes with CRLF, the text whole, the time on each', async (t) => {
    const { line, irc } = await ports(t);
    assert.equal(bytes(LONG), 4000);
    const bob = await WireClient.registered(t, line, 'bob');
    const alice = await ircUser(t, irc, 'alice', { caps: ['server-time'] });
    alice.send('JOIN #lobby');
    await alice.expect(/ 366 alice #lobby /);
    await alice.sync();

    const raw = capture(alice.stream);
    bob.send(LONG);
    bob.send(`@alice:${LONG}`);
    await alice.expect(/ PRIVMSG alice :.* w219$/);
    await alice.sync();
    const lines = raw.lines();
    const room = lines.filter((l) => untagged(l).startsWith(':bob!bob@chat PRIVMSG #lobby :'));
    const direct = lines.filter((l) => untagged(l).startsWith(':bob!bob@chat PRIVMSG alice :'));
    assert.ok(room.length >= 9 && direct.length === room.length, `${room.length} and ${direct.length} parts`);
    assert.equal(joined(room, ':bob!bob@chat PRIVMSG #lobby :'), LONG);
    assert.equal(joined(direct, ':bob!bob@chat PRIVMSG alice :'), LONG);
    // One message: its parts carry the same time.
    for (const parts of [room, direct]) assert.equal(new Set(parts.map((l) => /^@time=(\S+) /.exec(l)?.[1])).size, 1, parts[0]);
  });

  test("irctest's truncation scenario: an IRC user's 510-byte PRIVMSG would pass 512 bytes once relayed: 417, and nothing reaches anyone; one that fits arrives whole", async (t) => {
    const { irc, url } = await ports(t);
    const nonweb = await ircUser(t, irc, 'nonweb');
    const other = await ircUser(t, irc, 'other');
    const web = await WebClient.registered(t, url, 'web');
    const sent = 'x'.repeat(510 - 'PRIVMSG nonweb :'.length);

    other.send(`PRIVMSG nonweb :${sent}`);
    assert.match(
      await other.expect(/ 417 /),
      /^:irc\.test 417 other :Input line was too long: with your source, other!other@chat, .* send it in shorter lines$/,
    );
    web.send(`PRIVMSG nonweb :${sent}`);
    assert.match(await web.lines.until(/ 417 /), / 417 web :Input line was too long/);
    nonweb.send(`PRIVMSG web :${'x'.repeat(510 - 'PRIVMSG web :'.length)}`);
    assert.match(await nonweb.expect(/ 417 /), / 417 nonweb :/);
    // Nothing of them was relayed: what comes next is the next message.
    other.send('PRIVMSG nonweb :next');
    assert.equal(await nonweb.expect(/PRIVMSG/), ':other!other@chat PRIVMSG nonweb :next');
    nonweb.send('PRIVMSG web :next');
    assert.equal(await web.lines.until(/PRIVMSG/), ':nonweb!nonweb@chat PRIVMSG web :next');

    // As long as fits once relayed: one line of exactly 510 bytes, the text whole.
    const head = ':other!other@chat PRIVMSG nonweb :';
    const fits = 'y'.repeat(510 - bytes(head));
    const raw = capture(nonweb.stream);
    other.send(`PRIVMSG nonweb :${fits}`);
    await nonweb.expect(/y$/);
    await nonweb.sync();
    const lines = raw.lines().filter((l) => l.startsWith(head));
    assert.deepEqual(lines, [`${head}${fits}`]);
    assert.equal(bytes(lines[0]!), 510);
    // With several targets, the longest counts; a multibyte text counts in bytes.
    other.send(`PRIVMSG nonweb,#a-much-longer-room :${fits}`);
    await other.expect(/ 417 /);
    other.send(`PRIVMSG nonweb :${'é'.repeat(Math.ceil(fits.length / 2) + 1)}`);
    await other.expect(/ 417 /);
  });

  test('a line user 4000 bytes to a web user: every WebSocket message within the limit, the text whole', async (t) => {
    const { line, url } = await ports(t);
    const bob = await WireClient.registered(t, line, 'bob');
    const web = await WebClient.registered(t, url, 'web');
    bob.send(`@web:${LONG}`);
    bob.send('@web:the end');
    await web.lines.until(/ :the end$/);
    const parts = web.lines.seen.filter((l) => l.startsWith(':bob!bob@chat PRIVMSG web :') && !l.endsWith(':the end'));
    for (const part of parts) assert.ok(bytes(part) <= 510, `a message of ${bytes(part)} bytes`);
    assert.equal(joined(parts, ':bob!bob@chat PRIVMSG web :'), LONG);
  });
});

describe('long messages in memory: every way a message reaches an IRC user', () => {
  /** A core with the accounts alice and bob, on a fake clock at T0; IRC connections to it. */
  async function chat(t: TestContext) {
    const { core, dialect } = await ircAccountsChat(t);
    const irc = async (nick: string, caps: string[] = []): Promise<IrcClient> => {
      const c = await IrcClient.memory(t, core, dialect, nick).register(nick, { caps });
      await c.sync();
      return c;
    };
    const sasl = (authcid: string, caps: string[]): Promise<IrcClient> => IrcClient.memory(t, core, dialect, authcid).sasl(authcid, `pw-${authcid[0]}`, caps);
    return { core, irc, sasl };
  }

  /** The lines C got that start (tags aside) with HEAD, once one ending in LAST came; each checked to fit. */
  async function parts(c: IrcClient, head: string, last: string): Promise<string[]> {
    await c.expect(new RegExp(`${last}$`));
    await c.sync();
    const lines = c.lines.seen.filter((l) => untagged(l).startsWith(head));
    for (const line of lines) assert.ok(bytes(untagged(line)) <= 510, `a line of ${bytes(untagged(line))} bytes`);
    return lines;
  }

  test("echo-message: a line user's long message reaches an IRC user in parts; an IRC user's own, refused, is echoed to nobody", async (t) => {
    const { core, irc } = await chat(t);
    const carol = await irc('carol', ['echo-message', 'server-time']);
    const dave = await irc('dave', ['server-time']);
    const zed = await MemoryClient.registered(core, 'zed');
    for (const c of [carol, dave]) {
      c.send('JOIN #dev');
      await c.expect(/ 366 /);
    }
    zed.send('/join dev');
    await zed.lines.until(/you are in dev/);
    // 490 bytes, as much as a PRIVMSG #dev takes: 522 with carol's source. Refused, not echoed.
    const sent = `${'ab '.repeat(140)}${'y'.repeat(70)}`;
    carol.send(`PRIVMSG #dev :${sent}`);
    await carol.expect(/ 417 carol :/);
    carol.send('PRIVMSG #dev :short');
    assert.match(await carol.expect(/PRIVMSG #dev/), /:carol!carol@chat PRIVMSG #dev :short$/);
    assert.match(await dave.expect(/PRIVMSG #dev/), /:carol!carol@chat PRIVMSG #dev :short$/);
    // The same text from a line user: parts, cut after the last space in the last fifth.
    zed.send(sent);
    const head = ':zed!zed@chat PRIVMSG #dev :';
    const theirs = await parts(dave, head, 'y'.repeat(70));
    assert.deepEqual(await parts(carol, head, 'y'.repeat(70)), theirs);
    assert.equal(theirs.length, 2);
    assert.equal(joined(theirs, head), sent);
    assert.equal(untagged(theirs[0]!), `${head}${'ab '.repeat(149)}`.slice(0, untagged(theirs[0]!).length));
    assert.ok(untagged(theirs[0]!).endsWith(' '));
  });

  test('an action keeps its frame in every part; an IRC NOTICE too long is refused', async (t) => {
    const { core, irc } = await chat(t);
    const dave = await irc('dave');
    const zed = await MemoryClient.registered(core, 'zed');
    const body = Array.from({ length: 300 }, (_, i) => `wave${i}`).join(' ');
    zed.send(`@dave:/me ${body}`);
    const actions = await parts(dave, ':zed!zed@chat PRIVMSG dave :', 'wave299\x01');
    assert.ok(actions.length > 1);
    const inner = actions.map((l) => /PRIVMSG dave :\x01ACTION (.*)\x01$/s.exec(l)?.[1]);
    assert.ok(
      inner.every((p) => p !== undefined),
      actions.join('\n'),
    );
    assert.equal(inner.join(''), body);

    // An IRC user's NOTICE too long once relayed is refused as a PRIVMSG is (the sender is told).
    const carol = await irc('carol');
    carol.send(`NOTICE dave :${'n'.repeat(494)}`);
    await carol.expect(/ 417 carol :/);
    carol.send('NOTICE dave :fits');
    assert.equal(await dave.expect(/NOTICE dave/), ':carol!carol@chat NOTICE dave :fits');
  });

  test('kept messages and CHATHISTORY give a long message in parts, each with its time (and in the batch)', async (t) => {
    const { core, sasl } = await chat(t);
    const zed = await MemoryClient.registered(core, 'zed');
    // Kept for alice while her account is offline, given at her login.
    zed.send(`@alice:${LONG}`);
    await zed.lines.until(/alice is offline/);
    const alice = await sasl('alice', ['server-time', 'batch', 'draft/chathistory']);
    const kept = await parts(alice, ':zed!zed@chat PRIVMSG alice :', 'w219');
    assert.ok(kept.length > 1);
    assert.equal(joined(kept, ':zed!zed@chat PRIVMSG alice :'), LONG);
    assert.equal(new Set(kept.map((l) => /^@time=(\S+) /.exec(l)?.[1])).size, 1, kept[0]);
    // Without server-time the time is in the text, before the message: the parts still give it whole.
    zed.send(`@bob:${LONG}`);
    await zed.lines.until(/bob is offline/);
    const bob = await sasl('bob', []);
    const keptText = joined(await parts(bob, ':zed!zed@chat PRIVMSG bob :', 'w219'), ':zed!zed@chat PRIVMSG bob :');
    assert.match(keptText, /^\[\S+\] /);
    assert.equal(keptText.slice(keptText.indexOf('] ') + 2), LONG);

    // History: every part in the batch, with the batch's tag and the time.
    zed.send('/join dev');
    await zed.lines.until(/you are in dev/);
    alice.send('JOIN #dev');
    await alice.expect(/ 366 /);
    zed.send('h'.repeat(600));
    await alice.expect(/PRIVMSG #dev :h+$/);
    await alice.sync();
    alice.send('CHATHISTORY LATEST #dev * 10');
    const batch = await alice.sync();
    const id = /^:irc\.test BATCH \+(\S+) chathistory #dev$/.exec(batch[0] ?? '')?.[1];
    assert.ok(id !== undefined, batch.join('\n'));
    assert.equal(batch.at(-1), `:irc.test BATCH -${id}`);
    const inBatch = batch.slice(1, -1);
    assert.equal(inBatch.length, 2);
    for (const line of inBatch) {
      assert.match(line, new RegExp(`^@batch=${id};time=\\S+ :zed!zed@chat PRIVMSG #dev :h+$`));
      assert.ok(bytes(untagged(line)) <= 510);
    }
    assert.equal(joined(inBatch, ':zed!zed@chat PRIVMSG #dev :'), 'h'.repeat(600));
  });
});
