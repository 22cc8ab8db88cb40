import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CLI } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';
import { hasTmux, Terminal } from '../helpers/tmux.js';
import { WireClient } from '../helpers/wire-client.js';

const skip = !hasTmux && !process.env['CI'] ? 'tmux is not installed (apt-get install tmux to run this)' : false;

/**
 * Away is the connection's (docs/protocol.md, "Away"). chat-client reconnects by itself after
 * a lost connection, and says /away again with the text the server last answered, so that a
 * user who set /away and left the desk is not "here" again after any blip. The answer is
 * shown dimmed, as the client's own doing.
 */
describe('chat-client on a terminal: /away and a reconnect', { skip }, () => {
  test('a user away before the connection was lost is away after the client reconnects; back, stays back', async (t) => {
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
    assert.equal(term.screen().filter((l) => l === '* you are away: at lunch').length, 2, "the answer to the client's /away is shown");

    // Back: the next reconnect says nothing.
    term.type('/away');
    term.press('Enter');
    await term.waitFor((s) => s.includes('* you are back'), 'back');
    await second.server.close();
    const third = await startServer(t, { port: first.port });
    await term.waitFor((s) => s.filter((l) => l.includes('reconnected as alice')).length === 2, 'the second reconnection');
    const carol = await WireClient.registered(t, third.port, 'carol');
    carol.send('@alice:still there?');
    await term.waitFor((s) => s.some((l) => l.includes('*carol* still there?')), 'the message');
    await carol.sync();
    assert.ok(!carol.lines.seen.some((l) => l.startsWith('* alice is away')), `carol is told alice is away:\n${carol.lines.seen.join('\n')}`);
  });
});
