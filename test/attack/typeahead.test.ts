import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CLI } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';
import { hasTmux, Terminal } from '../helpers/tmux.js';
import { usersFile } from '../helpers/users.js';
import { WireClient } from '../helpers/wire-client.js';

const skip = !hasTmux && !process.env['CI'] ? 'tmux is not installed (apt-get install tmux to run this)' : false;

/**
 * Lines typed ahead reach the client in one read when its event loop was busy (a flood of
 * lines to print) or the link to the terminal stalled (ssh after a lost packet, mosh): the
 * line-bursts guard (2bffc20) takes them for a paste. A paste's lines are never the client's
 * own commands, so what the user meant for a hidden prompt goes to the room.
 */
describe('attack: lines typed ahead in one read', { skip }, () => {
  test('/passwd then the passwords typed ahead: the passwords never reach the room', async (t) => {
    const users = await usersFile(t, { alice: 'old-pw', bob: 'pw-b' });
    const { port } = await startServer(t, { users, burst: 100 });
    const bob = await WireClient.loggedIn(t, port, 'bob', 'pw-b');
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(port), '--name', 'alice'], {
      CHAT_PASSWORD: 'old-pw',
    });
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
    await bob.lines.until(/alice joined/);
    // One write, as a busy client or a stalled ssh link reads it.
    term.type('/passwd\rold-pw\rnew-pw-1\rnew-pw-1\r');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const seen = bob.lines.seen.join('\n');
    assert.ok(!seen.includes('old-pw') && !seen.includes('new-pw-1'), `bob saw a password:\n${seen}`);
  });

  test('a line, then exit typed ahead: the client leaves, "exit" is not said to the room', async (t) => {
    const { port } = await startServer(t, { burst: 100 });
    const bob = await WireClient.registered(t, port, 'bob');
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(port), '--name', 'alice']);
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
    await bob.lines.until(/alice joined/);
    term.type('bye all\rexit\r');
    assert.equal(await bob.lines.until(/^<alice>/), '<alice> bye all');
    assert.equal(await term.exitCode(), 0);
    assert.ok(!bob.lines.seen.includes('<alice> exit'), 'exit was said to the room');
  });
});

describe('attack: /quit typed ahead after a line', { skip }, () => {
  test('the client leaves with 0, rather than taking the closed connection for a lost one', async (t) => {
    const { port } = await startServer(t, { burst: 100 });
    const bob = await WireClient.registered(t, port, 'bob');
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(port), '--name', 'alice']);
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
    await bob.lines.until(/alice joined/);
    term.type('bye all\r/quit\r');
    assert.equal(await bob.lines.until(/^<alice>/), '<alice> bye all');
    await bob.lines.until(/alice left/);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.ok(!term.history().some((l) => l.includes('reconnect')), `the client reconnects after /quit:\n${term.history().join('\n')}`);
    assert.equal(await term.exitCode(), 0);
  });
});

describe('attack: a password typed right after /passwd, in the same read', { skip }, () => {
  test('goes to the hidden prompt: never on the screen, never left in the chat line', async (t) => {
    const users = await usersFile(t, { alice: 'old-pw' });
    const { port } = await startServer(t, { users });
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(port), '--name', 'alice'], {
      CHAT_PASSWORD: 'old-pw',
    });
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
    // The Enter and the first keys of the password in one read (ssh after a stall, a busy client).
    term.type('/passwd\rold-pw');
    await term.waitFor((s) => Terminal.lastLine(s).startsWith('Current password:'), 'the hidden prompt');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const shown = term.history().join('\n').includes('old-pw');
    term.press('C-c');
    await term.waitFor((s) => Terminal.lastLine(s).startsWith('alice>'), 'the chat prompt again');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(
      { shown, left: Terminal.lastLine(term.screen()) },
      { shown: false, left: 'alice>' },
      `the password on the screen, or left in the chat line:\n${term.history().join('\n')}`,
    );
  });
});
