import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CLI } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';
import { hasTmux, Terminal } from '../helpers/tmux.js';
import { WireClient } from '../helpers/wire-client.js';

const skip = !hasTmux && !process.env['CI'] ? 'tmux is not installed (apt-get install tmux to run this)' : false;

/**
 * b6bef94: away is the connection's. chat-client reconnects by itself after a lost
 * connection ("back in the same rooms", docs/client.md) but does not say /away again: a user
 * who set /away and left the desk is, after any blip, silently "here" again.
 */
describe('attack: /away and a reconnect', { skip }, () => {
  test('a user away before the connection was lost is away after the client reconnects', async (t) => {
    const first = await startServer(t);
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(first.port), '--name', 'alice']);
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
    term.type('/away at lunch');
    term.press('Enter');
    await term.waitFor((s) => s.includes('* you are away: at lunch'), 'away');
    await first.server.close();
    const second = await startServer(t, { port: first.port });
    await term.waitFor((s) => s.includes('reconnected as alice'), 'the reconnection');
    const bob = await WireClient.registered(t, second.port, 'bob');
    bob.send('@alice:there?');
    await term.waitFor((s) => s.some((l) => l.includes('*bob* there?')), 'the message');
    await bob.sync();
    assert.ok(bob.lines.seen.includes('* alice is away: at lunch'), `bob is not told alice is away:\n${bob.lines.seen.join('\n')}`);
  });
});
