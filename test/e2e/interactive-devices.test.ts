import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { describe, test } from 'node:test';
import { deviceFromHost } from '../../src/client/device.js';
import { CLI } from '../helpers/cli.js';
import { stamp, T0 } from '../helpers/fake-clock.js';
import { StandIn } from '../helpers/stand-in.js';
import { hasTmux, Terminal } from '../helpers/tmux.js';

const skip = !hasTmux && !process.env['CI'] ? 'tmux is not installed (apt-get install tmux to run this)' : false;

/** `* [TIME] ` of S seconds after T0. */
const at = (s: number): string => `* [${stamp(T0 + s * 1000)}]`;
/** `HH:MM` in time zone TZ at MS. */
const hhmm = (ms: number, tz: string): string =>
  new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);
/** A past line as shown: its local time (with its date when it is not today's), then TEXT. */
const pastLine = (s: number, text: string): RegExp =>
  new RegExp(`^(\\d{4}-\\d\\d-\\d\\d )?${hhmm(T0 + s * 1000, 'Asia/Kolkata')} ${text.replace(/[[\]*]/g, '\\$&')}$`);
/**
 * The attributes in force where TEXT starts in styledScreen(): dim, bold, and the colour
 * (SGR 30-37, 90-97). tmux writes only what changes, so what a line starts with may have
 * been set on a line above.
 */
function styleAt(styled: string[], text: string): { dim: boolean; colour: string | undefined } {
  const row = styled.findIndex((l) => l.includes(text));
  assert.ok(row >= 0, `${text} is on the screen`);
  const before = [...styled.slice(0, row), styled[row]!.slice(0, styled[row]!.indexOf(text))].join('\n');
  const style = { dim: false, colour: undefined as string | undefined };
  for (const code of [...before.matchAll(/\x1b\[([\d;]*)m/g)].flatMap((m) => m[1]!.split(';'))) {
    if (code === '0' || code === '') Object.assign(style, { dim: false, colour: undefined });
    else if (code === '2') style.dim = true;
    else if (code === '22') style.dim = false;
    else if (code === '39') style.colour = undefined;
    else if (/^(3[0-7]|9[0-7])$/.test(code)) style.colour = code;
  }
  return style;
}

describe('chat-client on a terminal, as one of several devices of an account', { skip }, () => {
  test('the catch-up dimmed at local times up to its end, then live lines; what the other devices do', async (t) => {
    const standIn = await StandIn.start(t, (line, c) => {
      if (line === '#alice@laptop pw-alice') {
        for (const l of [
          '* registered as alice',
          '* waiting for you: 1 messages',
          `${at(-7200)} *dave* kept for you`,
          `${at(-3600)} <bob#dev> the build is green`,
          `${at(-120)} <bob#lobby> in lobby while away`,
          `${at(-60)} *alice->carol* in five minutes`,
          '* end of catch-up (3 messages)',
        ]) {
          c.send(l);
        }
        return true;
      }
      if (line !== '/history 20') return false;
      // The newest of lobby's past was in the catch-up: not shown twice.
      for (const l of [`${at(-300)} <bob> older`, `${at(-120)} <bob> in lobby while away`, '* end of history (2 messages)']) c.send(l);
      return true;
    });
    const term = Terminal.start(t, [process.execPath, CLI.client, '--port', String(standIn.port), '--name', 'alice', '--device', 'laptop'], {
      CHAT_PASSWORD: 'pw-alice',
      TZ: 'Asia/Kolkata',
      COLORTERM: 'truecolor',
    });
    const c = await standIn.connection();
    assert.deepEqual([await c.received.next(), await c.received.next(), await c.received.next()], ['#alice@laptop pw-alice', '/who lobby', '/history 20']);
    const screen = await term.waitFor((s) => s.includes('-- end of history --') && Terminal.lastLine(s) === 'alice>', 'the catch-up and the history');
    const from = screen.findIndex((l) => l.endsWith('* waiting for you: 1 messages'));
    const shown = screen.slice(from + 1, from + 9);
    const expected = [
      pastLine(-7200, '*dave* kept for you'),
      pastLine(-3600, '[dev] <bob> the build is green'),
      pastLine(-120, '[lobby] <bob> in lobby while away'),
      pastLine(-60, '*alice->carol* in five minutes'),
      /^\d\d:\d\d \* end of catch-up \(3 messages\)$/,
      /^\d\d:\d\d \* in lobby \(1\):/,
      pastLine(-300, '<bob> older'),
      /^-- end of history --$/,
    ];
    for (const [i, re] of expected.entries()) assert.match(shown[i] ?? '', re, screen.join('\n'));
    assert.ok(!screen.some((l) => l.includes('* [')), `no raw catch-up line:\n${screen.join('\n')}`);
    const styled = term.styledScreen();
    for (const text of ['*dave* kept', '[dev] <bob> the build', '*alice->carol*', '* end of catch-up', '<bob> older']) {
      assert.ok(styleAt(styled, text).dim, `${text} dimmed:\n${JSON.stringify(styled, null, 1)}`);
    }
    assert.ok(!styleAt(styled, '* in lobby (1)').dim, 'an answer after the end is live');

    // After its end, lines that look like the catch-up's are no part of it.
    c.send(`${at(-30)} <bob#dev> not a catch-up any more`);
    c.send('<bob> live now');
    c.send('*alice->bob* sent from my phone');
    await term.waitFor((s) => s.some((l) => l.endsWith('*alice->bob* sent from my phone')), 'the direct message sent on another device');
    const live = term.styledScreen();
    assert.ok(!styleAt(live, 'live now').dim && !styleAt(live, 'not a catch-up any more').dim);
    assert.ok(
      term.screen().some((l) => /^\d\d:\d\d \* \[[^\]]+\] <bob#dev> not a catch-up any more$/.test(l)),
      'shown as it came',
    );
    assert.equal(styleAt(live, '*alice->bob*').colour, '35', 'as a direct message: magenta');

    // A room joined on another device: ours, counted, completed; lobby stays current.
    c.send('* you joined dev from another device');
    c.send('<bob#dev> over here');
    c.send('<alice#dev> me, on my phone');
    await term.waitFor(
      (s) => s.some((l) => l.endsWith('[dev] <alice> me, on my phone')) && Terminal.lastLine(s) === 'alice (dev 1)>',
      'dev counted, lobby current',
    );
    term.type('/part d');
    term.press('Tab');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice (dev 1)> /part dev', 'dev completed as one of ours');
    term.press('C-c');
    // lobby left on another device, unasked here: the server names the current room next.
    c.send('* you left lobby');
    c.send('* you are in dev');
    await term.waitFor((s) => s.some((l) => l.endsWith('* you left lobby')) && Terminal.lastLine(s) === 'alice@dev>', 'in dev, lobby gone');
    term.type('marker');
    term.press('Enter');
    assert.equal(await c.received.next(), 'marker', 'nothing asked of dev: it was ours already (no /who, no /history)');
  });

  test('by default a terminal logs in as its host name; too many devices: exit 3, saying why, no new connection', async (t) => {
    let logins = 0;
    const standIn = await StandIn.start(t, (line, c) => {
      if (!line.startsWith('#')) return false;
      logins += 1;
      c.send('! too many devices logged in as alice (max 2)');
      return true;
    });
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(standIn.port), '--name', 'alice'], {
      CHAT_PASSWORD: 'pw',
    });
    const c = await standIn.connection();
    const device = deviceFromHost(hostname());
    assert.equal(await c.received.next(), device === undefined ? '#alice pw' : `#alice@${device} pw`);
    assert.equal(await term.exitCode(), 3);
    const screen = term.screen();
    assert.ok(screen.includes('! too many devices logged in as alice (max 2)'), screen.join('\n'));
    assert.ok(
      // Wrapped at the terminal's width.
      screen.join('').includes('chat-client: registration refused: too many devices logged in as alice (max 2). Leave the chat on one of your other devices'),
      screen.join('\n'),
    );
    assert.equal(logins, 1);
  });

  test('a reconnect refused for too many devices ends the client (exit 3) rather than trying again', async (t) => {
    let logins = 0;
    const standIn = await StandIn.start(t, (line, c) => {
      if (!line.startsWith('#')) return false;
      logins += 1;
      c.send(logins === 1 ? '* registered as alice' : '! too many devices logged in as alice (max 2)');
      return true;
    });
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--history', '0', '--port', String(standIn.port), '--name', 'alice'], {
      CHAT_PASSWORD: 'pw',
    });
    const first = await standIn.connection();
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
    first.cut();
    await standIn.connection();
    assert.equal(await term.exitCode(), 3);
    assert.ok(
      term.screen().some((l) => l.includes('too many devices logged in as alice (max 2)')),
      term.screen().join('\n'),
    );
    assert.equal(logins, 2);
  });
});
