import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CLI } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';
import { hasTmux, Terminal } from '../helpers/tmux.js';
import { usersFile } from '../helpers/users.js';
import { WireClient } from '../helpers/wire-client.js';

const skip = !hasTmux && !process.env['CI'] ? 'tmux is not installed (apt-get install tmux to run this)' : false;

/**
 * A reconnect that the server answers with `! password required` asks for the password at a
 * hidden prompt, which may find /passwd's open. One hidden prompt at a time: the reconnect's
 * ends /passwd's first (whose connection is gone anyway). Two at once, the second took the
 * first one's key listeners for the chat's and gave them back when it ended: the first
 * went on reading every key, hidden, under the chat's prompt.
 */
describe('chat-client on a terminal: the connection lost while /passwd asks, and the reconnect asks for the password', { skip }, () => {
  test("/passwd's prompt ends, said so; once logged in again, what is typed at the chat prompt goes to the chat", async (t) => {
    const first = await startServer(t);
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(first.port), '--name', 'alice']);
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
    term.type('/passwd');
    term.press('Enter');
    await term.waitFor((s) => Terminal.lastLine(s) === 'Current password:', "/passwd's prompt");
    const users = await usersFile(t, { alice: 'wonderland', bob: 'builder' });
    await first.server.close();
    const second = await startServer(t, { port: first.port, users, authFailureDelayMs: 10 });
    await term.waitFor((s) => Terminal.lastLine(s) === 'Password for alice:', "the reconnect's password prompt");
    assert.ok(term.screen().includes('/passwd: the connection was lost; nothing was changed.'), term.screen().join('\n'));
    term.type('wonderland');
    term.press('Enter');
    await term.waitFor((s) => s.includes('reconnected as alice'), 'the reconnection');
    const bob = await WireClient.loggedIn(t, second.port, 'bob', 'builder');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const shown = Terminal.lastLine(term.screen());
    term.type('hello bob');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const typed = Terminal.lastLine(term.screen());
    term.press('Enter');
    const said = await bob.lines.until(/^<alice>|^\* alice/).catch(() => 'nothing');
    assert.deepEqual({ shown, typed, said }, { shown: 'alice>', typed: 'alice> hello bob', said: '<alice> hello bob' }, term.history().join('\n'));
  });
});
