import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServerEvent } from '../../src/server/events.js';
import { CLI } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';
import { hasTmux, Terminal } from '../helpers/tmux.js';
import { usersFile } from '../helpers/users.js';

const skip = !hasTmux && !process.env['CI'] ? 'tmux is not installed (apt-get install tmux to run this)' : false;

const OLD = 'old-pw';
const TYPED = 'typed-pw';
const NEW = 'n3w secret';

test('/passwd on a terminal: asked hidden, kept out of the history and off the screen; a reconnect logs in with the new one', { skip }, async (t) => {
  const users = await usersFile(t, { alice: OLD });
  const events: ServerEvent[] = [];
  const first = await startServer(t, { users, onEvent: (e) => events.push(e) });
  const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(first.port), '--name', 'alice'], {
    CHAT_PASSWORD: OLD,
  });
  const prompted = (line: string) => term.waitFor((s) => Terminal.lastLine(s) === line, `"${line}"`);
  await prompted('alice>');
  term.type('hello');
  term.press('Enter');

  // Typed in full: sent as it is, never brought back by Up.
  term.type(`/passwd ${OLD} ${TYPED}`);
  term.press('Enter');
  await term.waitFor((s) => s.includes('* password changed'), 'the first change');
  await term.waitFor((s) => s.includes('CHAT_PASSWORD still holds the old password: change it there too.'), 'the note');
  term.press('Up');
  await prompted('alice> hello');
  term.press('C-c');
  await prompted('alice>');

  /** `/passwd` alone, each question answered once it shows. */
  const changed = async (current: string, fresh: string, again: string): Promise<void> => {
    term.type('/passwd');
    term.press('Enter');
    for (const [question, answer] of [
      ['Current password:', current],
      ['New password:', fresh],
      ['New password again:', again],
    ] as const) {
      await prompted(question);
      term.type(answer);
      term.press('Enter');
    }
  };

  // Alone: asked for, hidden; the two new ones must match.
  await changed(TYPED, NEW, `${NEW}!`);
  await term.waitFor((s) => s.includes('/passwd: the two new passwords differ; nothing was sent.'), 'the mismatch');
  await prompted('alice>');
  await changed(TYPED, NEW, NEW);
  await term.waitFor((s) => s.filter((l) => l === '* password changed').length === 2, 'the second change');
  await prompted('alice>');
  term.press('Up');
  await prompted('alice> /passwd');
  term.press('Up');
  await prompted('alice> hello');
  term.press('C-c');

  // What was typed in full is on the screen, as typed; what was asked for is not.
  assert.ok(!term.history().join('\n').includes(NEW.slice(0, 3)), 'a hidden password is on the screen');
  const logged = JSON.stringify(events);
  for (const secret of [OLD, TYPED, NEW.slice(0, 3)]) assert.ok(!logged.includes(secret), `"${secret}" is in the server's events`);

  // The server restarts: the client logs in again, with the password it now has.
  await first.server.close();
  await term.waitFor((s) => /^\(reconnecting in \d+ s\) alice>/.test(Terminal.lastLine(s)), 'the countdown');
  await startServer(t, { users, port: first.port });
  await term.waitFor((s) => s.includes('reconnected as alice'), 'the reconnection');
  term.press('C-d');
  assert.equal(await term.exitCode(), 0);
});
