import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pastTimestamp } from '../../src/client/render.js';
import { terminalLine, UNKNOWN_COMMAND_HINT } from '../../src/client/terminal-line.js';
import { parseServerLine } from '../../src/dialects/line/server-line.js';
import * as w from '../../src/dialects/line/wording.js';

/** What the terminal shows for RAW, at NOW. */
const shown = (raw: string, now: Date): string => terminalLine(parseServerLine(raw), now).raw;

// Local times, built as local: the test holds in every time zone, on any day.
const NOW = new Date(2026, 11, 7, 9, 30);
const LATER_TODAY = new Date(2026, 11, 7, 11, 0);
const NEXT_WEEK = new Date(2026, 11, 14, 8, 5);

describe('terminalLine: ban times in local time', () => {
  test('at login: HH:MM today, the date too on another day', () => {
    assert.equal(shown(w.bannedAtLogin(LATER_TODAY.getTime(), 'spam'), NOW), '! banned until 11:00: spam');
    assert.equal(shown(w.bannedAtLogin(NEXT_WEEK.getTime(), ''), NOW), '! banned until 2026-12-14 08:05');
    assert.equal(shown(w.bannedAtLogin(undefined, 'for good'), NOW), '! banned: for good', 'no end: nothing to convert');
  });

  test("/bans and /ban's answer", () => {
    const bans = w.bansList([
      { name: 'bob', until: LATER_TODAY.getTime(), reason: 'flood, twice (again)' },
      { name: 'carol', until: undefined, reason: '' },
      { name: 'dave', until: NEXT_WEEK.getTime(), reason: '' },
    ]);
    assert.equal(shown(bans, NOW), '* bans (3): bob until 11:00 (flood, twice (again)), carol until lifted, dave until 2026-12-14 08:05');
    assert.equal(shown(w.youBanned('bob', NEXT_WEEK.getTime()), NOW), '* bob is banned until 2026-12-14 08:05');
    assert.equal(shown(w.youBanned('bob', undefined), NOW), '* bob is banned until /unban bob');
    assert.equal(shown(w.bansList([]), NOW), w.bansList([]), 'none: as the server says it');
    assert.equal(shown('* bans (0): nobody is banned', NOW), '* bans (0): nobody is banned');
  });

  test('the same time that is not a ban stays as it came: in a history line, in a message', () => {
    const utc = w.historyTime(LATER_TODAY.getTime());
    for (const raw of [`<bob> banned until ${utc}: ha`, `* [${utc}] <bob> x`, `! banned by op: until ${utc}`, `* bob left (banned until ${utc})`]) {
      assert.equal(shown(raw, NOW), raw);
    }
  });

  test('local time is what the history lines show', () => {
    assert.equal(shown(w.youBanned('bob', NEXT_WEEK.getTime()), NOW), `* bob is banned until ${pastTimestamp(NEXT_WEEK, NOW)}`);
  });
});

describe('terminalLine: an unknown command points to /help', () => {
  test('on the same line, after the fixed words', () => {
    assert.equal(shown(w.unknownCommand('frobnicate'), NOW), `! unknown command: /frobnicate ${UNKNOWN_COMMAND_HINT}`);
    const line = terminalLine(parseServerLine(w.unknownCommand('x')), NOW);
    assert.equal(line.kind, 'error', 'still an error, shown as one');
  });

  test('not when /help is what the server does not know, nor for a user quoting it', () => {
    assert.equal(shown(w.unknownCommand('help'), NOW), '! unknown command: /help');
    assert.equal(shown(`<bob> ${w.unknownCommand('x')}`, NOW), `<bob> ${w.unknownCommand('x')}`);
  });
});
