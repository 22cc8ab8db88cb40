import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CLI } from '../helpers/cli.js';
import { CutProxy } from '../helpers/cut-proxy.js';
import { startServer } from '../helpers/server.js';
import { StandIn } from '../helpers/stand-in.js';
import { hasTmux, Terminal } from '../helpers/tmux.js';
import { usersFile } from '../helpers/users.js';
import { WireClient } from '../helpers/wire-client.js';

const skip = !hasTmux && !process.env['CI'] ? 'tmux is not installed (apt-get install tmux to run this)' : false;

describe('chat-client on a terminal, history on the wire', { skip }, () => {
  test("a server that does not know /history: its refusal of ours is not shown and nothing more is asked; the user's own is answered", async (t) => {
    const standIn = await StandIn.start(t);
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(standIn.port), '--name', 'alice']);
    const c = await standIn.connection();
    assert.deepEqual([await c.received.next(), await c.received.next(), await c.received.next()], ['#alice', '/who lobby', '/history 20']);
    term.type('/join dev');
    term.press('Enter');
    assert.deepEqual([await c.received.next(), await c.received.next()], ['/join dev', '/who dev'], 'no /history after /join');
    // The answer to /join comes after the refusal: the client has seen both.
    const screen = await term.waitFor((s) => s.includes('* in dev (1): alice') && Terminal.lastLine(s) === 'alice@dev>', 'the join');
    assert.ok(!screen.some((l) => l.includes('unknown command')), screen.join('\n'));

    term.type('/history 3');
    term.press('Enter');
    assert.equal(await c.received.next(), '/history 3');
    // With where to look, as any unknown command is shown on a terminal.
    const after = await term.waitFor((s) => s.includes('! unknown command: /history (/help lists the commands)'), "the answer to the user's /history");
    assert.equal(after.filter((l) => l.includes('unknown command')).length, 1);
  });

  test("answers come in the order asked: ours (without what crossed it live), then the user's own /history, shown as it is", async (t) => {
    const at = '* [2026-11-27T05:15:05Z]';
    const standIn = await StandIn.start(t, (line, c) => {
      if (line === '/history 20') return true; // answered with the user's, below
      if (line !== '/history 2') return false;
      c.send('<bob> crossing'); // live, sent before the server read our /history
      for (const l of [`${at} <bob> old`, `${at} <bob> crossing`, '* end of history (2 messages)']) c.send(l);
      for (const l of [`${at} <bob> crossing`, '* end of history (1 messages)']) c.send(l);
      return true;
    });
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(standIn.port), '--name', 'alice']);
    const c = await standIn.connection();
    assert.equal(await c.received.until(/^\/history/), '/history 20');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
    term.type('/history 2');
    term.press('Enter');
    const screen = await term.waitFor((s) => s.includes('* end of history (1 messages)'), "the user's answer");
    const from = screen.indexOf('<bob> crossing');
    assert.deepEqual(
      screen.slice(from, from + 5),
      ['<bob> crossing', '<bob> old', '-- end of history --', '<bob> crossing', '* end of history (1 messages)'],
      screen.join('\n'),
    );
  });

  test('--history 0 asks for nothing: not at registering, not after /join, not after a reconnect (back in its room)', async (t) => {
    const standIn = await StandIn.start(t);
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--history', '0', '--port', String(standIn.port), '--name', 'alice']);
    const first = await standIn.connection();
    assert.deepEqual([await first.received.next(), await first.received.next()], ['#alice', '/who lobby']);
    term.type('/join dev');
    term.press('Enter');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice@dev>', 'the join');
    term.type('hello');
    term.press('Enter');
    assert.deepEqual([await first.received.next(), await first.received.next(), await first.received.next()], ['/join dev', '/who dev', 'hello']);

    first.cut();
    const second = await standIn.connection();
    assert.deepEqual([await second.received.next(), await second.received.next()], ['#alice', '/join dev']);
    // Then a /ping: once it is answered, the server has answered the rejoin.
    assert.match((await second.received.next()) ?? '', /^\/ping chat-client-/);
    // The prompt showed dev all along; the answer to the /who after the rejoin says it is done.
    await term.waitFor((s) => s.filter((l) => l === '* in dev (1): alice').length === 2 && Terminal.lastLine(s) === 'alice@dev>', 'back in dev');
    term.type('after');
    term.press('Enter');
    assert.deepEqual([await second.received.next(), await second.received.next()], ['/who dev', 'after']);
  });

  test('a connection lost in the middle of the answer to what was missed: nothing of it shown, all of it once after', async (t) => {
    const at = '* [2026-11-27T05:15:05Z]';
    let asked = 0;
    const standIn = await StandIn.start(t, (line, c) => {
      if (!line.startsWith('/history')) return false;
      asked += 1;
      if (asked === 1)
        ['<bob> a', '<bob> b'].forEach((m) => {
          c.send(`${at} ${m}`);
        });
      if (asked === 2)
        ['<bob> b', '<bob> c'].forEach((m) => {
          c.send(`${at} ${m}`);
        });
      if (asked === 3)
        ['<bob> b', '<bob> c', '<bob> d'].forEach((m) => {
          c.send(`${at} ${m}`);
        });
      if (asked === 2)
        c.cut(); // the worst moment: the lines are there, their end is not
      else c.send(`* end of history (${asked === 1 ? 2 : 3} messages)`);
      return true;
    });
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(standIn.port), '--name', 'alice']);
    const first = await standIn.connection();
    await term.waitFor((s) => s.includes('<bob> b') && Terminal.lastLine(s) === 'alice>', 'the past');
    first.send('<bob> c');
    await term.waitFor((s) => s.includes('<bob> c'), 'a live message');
    first.cut();
    const second = await standIn.connection();
    assert.equal(await second.received.until(/^\/history/), '/history 100');
    const third = await standIn.connection();
    assert.equal(await third.received.until(/^\/history/), '/history 100');
    await term.waitFor((s) => s.includes('<bob> d') && Terminal.lastLine(s) === 'alice>', 'what was missed');
    for (const m of ['a', 'b', 'c', 'd']) assert.equal(times(term, `<bob> ${m}`), 1, `<bob> ${m}:\n${term.history().join('\n')}`);
  });
});

/** A line of styledScreen() whose text matches TEXT and is dim (SGR 2) from its start. */
function dimmed(styled: string, text: RegExp): boolean {
  const m = /^((?:\x1b\[[\d;]*m)*)(.*)$/.exec(styled)!;
  const codes = [...m[1]!.matchAll(/\x1b\[([\d;]*)m/g)].flatMap((c) => c[1]!.split(';'));
  const dimAt = codes.lastIndexOf('2');
  return dimAt >= 0 && !codes.slice(dimAt).some((c) => c === '0' || c === '22') && text.test(m[2]!.replace(/\x1b\[[\d;]*m/g, ''));
}

/** How many lines of the scrollback and screen are exactly LINE. */
const times = (term: Terminal, line: string): number => term.history().filter((l) => l === line).length;
/** `HH:MM` in time zone TZ at MS. */
const hhmm = (ms: number, tz: string): string =>
  new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);

describe('chat-client on a terminal, with a chat-server that keeps history', { skip }, () => {
  test("after registering and after /join: the room's past, dimmed, at local time, as <NAME> TEXT; /history typed is shown the same way", async (t) => {
    const { port } = await startServer(t, { rate: 0 });
    const bob = await WireClient.registered(t, port, 'bob');
    const carol = await WireClient.registered(t, port, 'carol');
    carol.send('/join dev');
    bob.send('one');
    bob.send('two');
    carol.send('in dev');
    await bob.sync();
    await carol.sync();
    const from = Date.now();
    // UTC+05:30: the time shown is the local one, not the server's UTC.
    const term = Terminal.start(t, [process.execPath, CLI.client, '--port', String(port), '--name', 'alice'], { TZ: 'Asia/Kolkata' });
    const screen = await term.waitFor((s) => s.some((l) => l.endsWith('-- end of history --')) && Terminal.lastLine(s) === 'alice>', 'the past of lobby');
    const local = [hhmm(from, 'Asia/Kolkata'), hhmm(Date.now(), 'Asia/Kolkata')];
    const at = screen.findIndex((l) => l.endsWith(' <bob> one'));
    assert.ok(
      local.some((hm) => screen[at] === `${hm} <bob> one`),
      `local time: ${screen[at]} (${local.join(' or ')})`,
    );
    assert.ok(/^\d\d:\d\d <bob> two$/.test(screen[at + 1] ?? ''), screen.join('\n'));
    assert.equal(screen[at + 2], '-- end of history --');
    assert.ok(!screen.some((l) => l.includes('* [') || l.includes('end of history (')), `no raw answer:\n${screen.join('\n')}`);
    const styled = term.styledScreen().find((l) => l.includes('<bob> one')) ?? '';
    assert.ok(dimmed(styled, /^\d\d:\d\d <bob> one/), `dimmed: ${JSON.stringify(styled)}`);

    term.type('/join dev');
    term.press('Enter');
    const dev = await term.waitFor((s) => s.filter((l) => l.endsWith('-- end of history --')).length === 2, 'the past of dev');
    assert.ok(
      dev.some((l) => /^\d\d:\d\d <carol> in dev$/.test(l)),
      dev.join('\n'),
    );

    term.type('/history 1');
    term.press('Enter');
    const again = await term.waitFor((s) => s.some((l) => l.endsWith('* end of history (1 messages)')), 'the answer to /history 1');
    assert.equal(again.filter((l) => / <carol> in dev$/.test(l)).length, 2, again.join('\n'));
    // Nothing of it reached a room as a message. alice is in lobby still, and in dev too;
    // carol, in both, sees her come to lobby as a line of another room than her current one.
    assert.equal(await bob.lines.until(/^\* alice/), '* alice joined');
    await bob.expectNothing();
    assert.equal(await carol.lines.until(/^\* alice/), '* alice joined #lobby');
    assert.equal(await carol.next(), '* alice joined');
    await carol.expectNothing();
  });

  test('after a reconnect: back in its room, what was missed appears once, what was seen does not, a half-typed line survives', async (t) => {
    const { port } = await startServer(t, { rate: 0 });
    const proxy = await CutProxy.start(t, port);
    const bob = await WireClient.registered(t, port, 'bob');
    bob.send('/join dev');
    bob.send('old');
    await bob.sync();
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(proxy.port), '--name', 'alice']);
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
    term.type('/join dev');
    term.press('Enter');
    await term.waitFor((s) => s.includes('<bob> old') && s.includes('-- end of history --'), 'the past of dev');
    await bob.lines.until(/^\* alice joined$/);
    // Several in one second: only their order tells them apart.
    bob.send('seen 1');
    bob.send('seen 2');
    await term.waitFor((s) => s.includes('<bob> seen 2'), 'the live messages');
    term.type('mine');
    term.press('Enter');
    assert.equal(await bob.next(), '<alice> mine');

    proxy.cut();
    await bob.lines.until(/^\* alice left$/);
    bob.send('missed 1');
    bob.send('seen 2'); // said again, in the same second as the one seen
    bob.send('missed 3');
    await bob.sync();
    await term.waitFor((s) => /^\(reconnecting/.test(Terminal.lastLine(s)), 'the countdown');
    term.type('half typed');
    proxy.restore();
    await bob.lines.until(/^\* alice joined$/);
    const screen = await term.waitFor((s) => s.includes('<bob> missed 3') && s.filter((l) => l === '-- end of history --').length === 2, 'the missed messages');
    assert.equal(Terminal.lastLine(screen), 'alice@dev> half typed', 'back in dev, the half-typed line intact');
    const shown = screen.slice(screen.indexOf('reconnected as alice'));
    assert.deepEqual(
      shown.filter((l) => l.startsWith('<')),
      ['<bob> missed 1', '<bob> seen 2', '<bob> missed 3'],
      `only what was missed, in order:\n${screen.join('\n')}`,
    );
    for (const [line, n] of [
      ['<bob> old', 1],
      ['<bob> seen 1', 1],
      ['<bob> seen 2', 2],
      ['<alice> mine', 0],
    ] as const) {
      assert.equal(times(term, line), n, `${line}:\n${term.history().join('\n')}`);
    }
    bob.send('live again');
    await term.waitFor((s) => s.includes('<bob> live again'), 'a live message after');
    assert.equal(times(term, '<bob> missed 3'), 1);
  });

  test('messages kept for an account: shown at login and after a reconnect, dimmed, as direct messages', async (t) => {
    const users = await usersFile(t, { alice: 'pw-alice', bob: 'pw-bob' });
    const { port } = await startServer(t, { users, rate: 0, authFailureDelayMs: 10 });
    const proxy = await CutProxy.start(t, port);
    const bob = await WireClient.loggedIn(t, port, 'bob', 'pw-bob');
    bob.send('@alice:while you were out');
    assert.match((await bob.next()) ?? '', /^\* alice is offline/);
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(proxy.port), '--name', 'alice'], {
      CHAT_PASSWORD: 'pw-alice',
    });
    const screen = await term.waitFor((s) => s.includes('*bob* while you were out') && Terminal.lastLine(s) === 'alice>', 'the kept message');
    assert.ok(screen.includes('* waiting for you: 1 messages'), screen.join('\n'));
    const styled = term.styledScreen().find((l) => l.includes('*bob* while you were out')) ?? '';
    assert.ok(dimmed(styled, /^\*bob\* while you were out$/), `dimmed: ${JSON.stringify(styled)}`);

    proxy.cut();
    await bob.lines.until(/^\* alice left$/);
    bob.send('@alice:during the cut');
    assert.match((await bob.next()) ?? '', /^\* alice is offline/);
    proxy.restore();
    await term.waitFor((s) => s.includes('*bob* during the cut'), 'the message kept during the cut');
    assert.equal(times(term, '*bob* while you were out'), 1);
  });
});
