import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { CLI } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';
import { hasTmux, Terminal } from '../helpers/tmux.js';
import { usersFile } from '../helpers/users.js';
import { WireClient } from '../helpers/wire-client.js';

const skip = !hasTmux && !process.env['CI'] ? 'tmux is not installed (apt-get install tmux to run this)' : false;

/**
 * Lines typed ahead reach the client in one read when its event loop was busy (a flood of
 * lines to print) or the link to the terminal stalled (ssh after a lost packet, mosh). They
 * are not a paste (line-bursts.ts): a few are what they would be typed one by one, the
 * client's own commands too (exit, /quit, /passwd alone), and what was meant for a hidden
 * prompt never reaches the room. Each `type` below is one write, read in one go.
 */

/** alice at the chat prompt of a server with accounts, bob logged in beside her. */
async function withAccounts(t: TestContext): Promise<{ term: Terminal; bob: WireClient; port: number }> {
  const users = await usersFile(t, { alice: 'old-pw', bob: 'pw-b' });
  const { port } = await startServer(t, { users, burst: 100 });
  const bob = await WireClient.loggedIn(t, port, 'bob', 'pw-b');
  const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(port), '--name', 'alice'], {
    CHAT_PASSWORD: 'old-pw',
  });
  await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
  await bob.lines.until(/alice joined/);
  return { term, bob, port };
}

/** alice at the chat prompt, bob registered beside her. */
async function plain(t: TestContext): Promise<{ term: Terminal; bob: WireClient }> {
  const { port } = await startServer(t, { burst: 100 });
  const bob = await WireClient.registered(t, port, 'bob');
  const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(port), '--name', 'alice']);
  await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
  await bob.lines.until(/alice joined/);
  return { term, bob };
}

describe('/passwd with what follows typed ahead', { skip }, () => {
  test('the passwords go to its hidden prompts: changed, never in the room, on the screen or under Up; a line after them is dropped', async (t) => {
    const { term, bob, port } = await withAccounts(t);
    term.type('/passwd\rold-pw\rnew-pw-1\rnew-pw-1\rafter\r');
    await term.waitFor((s) => s.includes('* password changed'), 'the change');
    await term.waitFor((s) => s.includes('not sent: 1 line typed after /passwd; type it again.'), 'the line after them dropped');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt again');
    await bob.sync();
    const seen = bob.lines.seen.join('\n');
    assert.ok(!/old-pw|new-pw-1|after/.test(seen), `bob saw it:\n${seen}`);
    assert.ok(!/old-pw|new-pw-1/.test(term.history().join('\n')), 'a password on the screen');
    term.press('Up');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice> /passwd', 'Up: /passwd, no password');
    await WireClient.loggedIn(t, port, 'alice', 'new-pw-1');
  });

  test('the first keys of the password, in the same read as the Enter: at the hidden prompt, never on the screen or left in the chat line', async (t) => {
    const { term } = await withAccounts(t);
    term.type('/passwd\rold-pw');
    await term.waitFor((s) => Terminal.lastLine(s).startsWith('Current password:'), 'the hidden prompt');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const shown = term.history().join('\n').includes('old-pw');
    term.press('C-c');
    await term.waitFor((s) => s.includes('/passwd: given up; nothing was sent.'), 'given up');
    await term.waitFor((s) => Terminal.lastLine(s).startsWith('alice>'), 'the chat prompt again');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(
      { shown, left: Terminal.lastLine(term.screen()) },
      { shown: false, left: 'alice>' },
      `the password on the screen, or left in the chat line:\n${term.history().join('\n')}`,
    );
  });

  test('after a line, in one burst: the line is said; the lines after /passwd, shown as typed, are dropped, and the prompt asks', async (t) => {
    const { term, bob } = await withAccounts(t);
    term.type('brb\r/passwd\rold-pw\rshown-pw\rshown-pw\r');
    assert.equal(await bob.lines.until(/^<alice>/), '<alice> brb');
    await term.waitFor((s) => s.includes('not sent: 3 lines typed after /passwd; type them again.'), 'the lines dropped');
    await term.waitFor((s) => Terminal.lastLine(s) === 'Current password:', 'the hidden prompt');
    term.press('C-c');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt again');
    await bob.sync();
    const seen = bob.lines.seen.join('\n');
    assert.ok(!/old-pw|shown-pw/.test(seen), `bob saw a password:\n${seen}`);
    term.press('Up');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice> /passwd', 'Up: /passwd, no password');
  });
});

describe('leaving typed ahead after a line', { skip }, () => {
  test('exit: the line is said, the client leaves with 0, "exit" is not said', async (t) => {
    const { term, bob } = await plain(t);
    term.type('bye all\rexit\r');
    assert.equal(await bob.lines.until(/^<alice>/), '<alice> bye all');
    assert.equal(await term.exitCode(), 0);
    assert.ok(!bob.lines.seen.includes('<alice> exit'), 'exit was said to the room');
  });

  test('/quit: the client leaves with 0, rather than taking the closed connection for a lost one', async (t) => {
    const { term, bob } = await plain(t);
    term.type('bye all\r/quit\r');
    assert.equal(await bob.lines.until(/^<alice>/), '<alice> bye all');
    await bob.lines.until(/alice left/);
    assert.equal(await term.exitCode(), 0);
    assert.ok(!term.history().some((l) => l.includes('reconnect')), `the client reconnects after /quit:\n${term.history().join('\n')}`);
  });
});
