import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CLI } from '../helpers/cli.js';
import { stamp, T0 } from '../helpers/fake-clock.js';
import { StandIn, type StandInConnection } from '../helpers/stand-in.js';
import { hasTmux, Terminal } from '../helpers/tmux.js';

const skip = !hasTmux && !process.env['CI'] ? 'tmux is not installed (apt-get install tmux to run this)' : false;

/** `* [TIME] ` of S seconds after T0. */
const at = (s: number): string => `* [${stamp(T0 + s * 1000)}]`;
const bells = (output: string): number => output.split('\x07').length - 1;

/**
 * The colour (SGR 30-37) in force where the sender `<bob>` starts, on the row of
 * styledScreen() that reads LINE once its escape sequences are taken out. tmux writes only
 * what changes, so the rows above count too.
 */
function senderColour(styled: string[], line: string): string | undefined {
  const plain = (row: string): string => row.replace(/\x1b\[[\d;]*m/g, '');
  const row = styled.findIndex((l) => plain(l) === line);
  assert.ok(row >= 0, `${line} is on the screen:\n${styled.map(plain).join('\n')}`);
  const before = [...styled.slice(0, row), styled[row]!.slice(0, styled[row]!.indexOf('<bob>'))].join('\n');
  let colour: string | undefined;
  for (const code of [...before.matchAll(/\x1b\[([\d;]*)m/g)].flatMap((m) => m[1]!.split(';'))) {
    if (code === '0' || code === '' || code === '39') colour = undefined;
    else if (/^3[0-7]$/.test(code)) colour = code;
  }
  return colour;
}

/**
 * alice's client on a terminal at its chat prompt, against a stand-in server whose /history
 * answer waits for the test; and the stand-in's connection.
 */
async function chat(t: Parameters<typeof StandIn.start>[0], ...args: string[]): Promise<{ term: Terminal; c: StandInConnection }> {
  const standIn = await StandIn.start(t, (line) => line === '/history 20');
  const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(standIn.port), '--name', 'alice', ...args]);
  const c = await standIn.connection();
  await c.received.until(/^\/history 20$/);
  await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
  return { term, c };
}

describe('chat-client on a terminal: a message that calls you', { skip }, () => {
  test('the bell for a room message that names you, never for the past or your own words; the line highlighted', async (t) => {
    const { term, c } = await chat(t);
    const output = term.record();
    // The past names alice too: history, a message kept for her. No bell for them.
    for (const line of [`${at(-60)} <bob> alice, are you there?`, '* end of history (1 messages)', `${at(-30)} *dave* alice: call me`]) c.send(line);
    c.send('<alice> alice here, from my phone');
    c.send('<bob> nothing for you');
    c.send('<bob> malice is no name of yours');
    c.send('* alice is now known');
    await term.waitFor((s) => s.includes('* alice is now known'), 'the lines that are no call');
    assert.equal(bells(output()), 0, 'no bell yet');

    c.send('<bob> lunch, ALICE?');
    await term.waitFor((s) => s.includes('<bob> lunch, ALICE?'), 'the mention');
    // Written before the prompt is drawn again: once the prompt is back, the bell has been.
    await term.waitFor(() => bells(output()) === 1, 'one bell');
    const styled = term.styledScreen();
    assert.equal(senderColour(styled, '<bob> lunch, ALICE?'), '33', 'the sender highlighted: yellow');
    assert.equal(senderColour(styled, '<bob> nothing for you'), '36', 'an ordinary line as ever: cyan');
    term.press('C-d');
    assert.equal(await term.exitCode(), 0);
    assert.equal(bells(output()), 1, 'one bell in all');
  });

  test('a direct message rings the bell too', async (t) => {
    const { term, c } = await chat(t);
    const output = term.record();
    c.send('*carol* psst');
    await term.waitFor((s) => s.includes('*carol* psst'), 'the direct message');
    await term.waitFor(() => bells(output()) === 1, 'the bell');
  });

  test('--no-bell: no bell at all, the highlight stays', async (t) => {
    const { term, c } = await chat(t, '--no-bell');
    const output = term.record();
    c.send('*carol* psst');
    c.send('<bob> lunch, alice?');
    await term.waitFor((s) => s.includes('<bob> lunch, alice?'), 'the mention');
    c.send('<bob> after');
    await term.waitFor((s) => s.includes('<bob> after'), 'the line after');
    assert.equal(bells(output()), 0);
    assert.equal(senderColour(term.styledScreen(), '<bob> lunch, alice?'), '33');
  });
});

describe('chat-client on a terminal: what the server says in fixed words, for a person', { skip }, () => {
  /** `HH:MM` of MS in time zone TZ, and its date before when it is not the day of T0 there. */
  const local = (ms: number, tz: string): string => {
    const day = (n: number): string => new Intl.DateTimeFormat('en-CA', { timeZone: tz }).format(n);
    const time = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);
    return day(ms) === day(Date.now()) ? time : `${day(ms)} ${time}`;
  };
  const TZ = 'Asia/Kolkata';

  test("an operator is offered the operators' commands; ban times in local time; an unknown command points to /help", async (t) => {
    const standIn = await StandIn.start(t, (line, c) => {
      if (line === '#alice') {
        c.send('* registered as alice');
        c.send('* you are an operator: /help lists your commands');
        return true;
      }
      if (line === '/bans') c.send(`* bans (2): bob until ${stamp(T0 + 3_600_000)} (spam, twice), carol until lifted`);
      else if (line === '/ban dave 10080') c.send(`* dave is banned until ${stamp(T0 + 7 * 86_400_000)}`);
      else if (line === '/frob') c.send('! unknown command: /frob');
      else return false;
      return true;
    });
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(standIn.port), '--name', 'alice'], { TZ });
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
    term.type('/unb');
    term.press('Tab');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice> /unban', "the operators' command completed");
    term.press('C-u');
    term.type('/bans');
    term.press('Enter');
    const until = local(T0 + 3_600_000, TZ);
    await term.waitFor((s) => s.includes(`* bans (2): bob until ${until} (spam, twice), carol until lifted`), 'the bans at local time');
    term.type('/ban dave 10080');
    term.press('Enter');
    await term.waitFor((s) => s.includes(`* dave is banned until ${local(T0 + 7 * 86_400_000, TZ)}`), 'the end of the ban, with its date');
    term.type('/frob');
    term.press('Enter');
    await term.waitFor((s) => s.includes('! unknown command: /frob (/help lists the commands)'), 'the hint');
  });

  test('not an operator: no /unban to complete', async (t) => {
    const standIn = await StandIn.start(t);
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(standIn.port), '--name', 'alice']);
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
    term.type('/unb');
    term.press('Tab');
    term.type('!');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice> /unb!', 'nothing completed');
  });

  test('a banned account: the end of the ban in local time, on the line and in what the client says; exit 3', async (t) => {
    const end = T0 + 2 * 86_400_000;
    const standIn = await StandIn.start(t, (line, c) => {
      if (line !== '#alice') return false;
      c.send(`! banned until ${stamp(end)}: spam`);
      return true;
    });
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(standIn.port), '--name', 'alice'], { TZ });
    assert.equal(await term.exitCode(), 3);
    const screen = term.screen().join('\n');
    assert.ok(screen.includes(`! banned until ${local(end, TZ)}: spam`), screen);
    const squeeze = (text: string): string => text.replace(/\s/g, '');
    assert.ok(squeeze(screen).includes(squeeze(`registration refused: banned until ${local(end, TZ)}: spam. Ask one of the server's operators`)), screen);
    assert.ok(!screen.includes(stamp(end)), 'no UTC');
  });
});
