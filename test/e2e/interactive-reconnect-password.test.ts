import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CLI } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';
import { hasTmux, Terminal } from '../helpers/tmux.js';
import { usersFile } from '../helpers/users.js';
import { WireClient } from '../helpers/wire-client.js';

const skip = !hasTmux && !process.env['CI'] ? 'tmux is not installed (apt-get install tmux to run this)' : false;

const count = (s: string[], text: string): number => s.filter((l) => l.startsWith(text)).length;

describe('chat-client on a terminal: a reconnect to a server that now checks passwords', { skip }, () => {
  test('asks for the password, hidden, again after a wrong one, and logs in; the next reconnect uses it', async (t) => {
    const first = await startServer(t);
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(first.port), '--name', 'alice']);
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
    term.type('half typed');
    const users = await usersFile(t, { alice: 'wonderland', bob: 'builder' });
    // Restarted with accounts, on the same port, as an operator would.
    await first.server.close();
    const second = await startServer(t, { port: first.port, users, authFailureDelayMs: 10 });
    await term.waitFor((s) => Terminal.lastLine(s) === 'Password for alice:', 'the password prompt');
    assert.ok(term.screen().some((l) => l.startsWith('the server now checks passwords: type the password of alice')));
    term.type('wrong');
    term.press('Enter');
    await term.waitFor((s) => count(s, 'Password for alice:') === 2, 'the password prompt again');
    assert.ok(term.screen().some((l) => l.startsWith('authentication failed: the server refused that password')));
    term.type('wonderland');
    term.press('Enter');
    await term.waitFor((s) => s.includes('reconnected as alice') && Terminal.lastLine(s) === 'alice> half typed', 'the chat, the draft kept');
    assert.ok(!term.history().join('\n').includes('wonderland'), 'the password is never shown');
    const bob = await WireClient.loggedIn(t, second.port, 'bob', 'builder');
    bob.send('@alice:welcome back');
    await term.waitFor((s) => s.includes('*bob* welcome back'), 'a message on the new connection');

    // Lost again: the password typed is the one from now on, nothing is asked.
    await second.server.close();
    await startServer(t, { port: first.port, users });
    await term.waitFor((s) => count(s, 'reconnected as alice') === 2, 'the second reconnection');
    assert.equal(count(term.history(), 'Password for alice:'), 2, 'not asked again');
    term.press('C-u', 'C-d');
    assert.equal(await term.exitCode(), 0);
  });

  test('Ctrl-C at that prompt leaves with 130, as at the login', async (t) => {
    const first = await startServer(t);
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(first.port), '--name', 'alice']);
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
    const users = await usersFile(t, { alice: 'wonderland' });
    await first.server.close();
    await startServer(t, { port: first.port, users });
    await term.waitFor((s) => Terminal.lastLine(s) === 'Password for alice:', 'the password prompt');
    term.press('C-c');
    assert.equal(await term.exitCode(), 130);
    assert.ok(term.screen().includes('left at the password prompt, without logging in again.'));
  });
});
