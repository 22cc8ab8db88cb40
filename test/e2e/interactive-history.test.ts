import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CLI } from '../helpers/cli.js';
import { StandIn } from '../helpers/stand-in.js';
import { hasTmux, Terminal } from '../helpers/tmux.js';

const skip = !hasTmux && !process.env['CI'] ? 'tmux is not installed (apt-get install tmux to run this)' : false;

describe('chat-client on a terminal, history on the wire', { skip }, () => {
  test('a server that does not know /history: its refusal of ours is not shown and nothing more is asked; the user\'s own is answered', async (t) => {
    const standIn = await StandIn.start(t);
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(standIn.port), '--name', 'alice']);
    const c = await standIn.connection();
    assert.deepEqual([await c.received.next(), await c.received.next(), await c.received.next()], ['#alice', '/who lobby', '/history 20']);
    term.type('/join dev');
    term.press('Enter');
    assert.deepEqual([await c.received.next(), await c.received.next()], ['/join dev', '/who dev'], 'no /history after /join');
    // The answer to /join comes after the refusal: the client has seen both.
    const screen = await term.waitFor((s) => s.includes('* in dev (1): alice') && Terminal.lastLine(s) === 'alice@dev>', 'the join');
    assert.ok(!screen.some((l) => l.includes('unknown command')), screen.join('\n'));

    term.type('/history 3');
    term.press('Enter');
    assert.equal(await c.received.next(), '/history 3');
    const after = await term.waitFor((s) => s.includes('! unknown command: /history'), 'the answer to the user\'s /history');
    assert.equal(after.filter((l) => l.includes('unknown command')).length, 1);
  });

  test('--history 0 asks for nothing: not at registering, not after /join, not after a reconnect (back in its room)', async (t) => {
    const standIn = await StandIn.start(t);
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--history', '0', '--port', String(standIn.port), '--name', 'alice']);
    const first = await standIn.connection();
    assert.deepEqual([await first.received.next(), await first.received.next()], ['#alice', '/who lobby']);
    term.type('/join dev');
    term.press('Enter');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice@dev>', 'the join');
    term.type('hello');
    term.press('Enter');
    assert.deepEqual([await first.received.next(), await first.received.next(), await first.received.next()], ['/join dev', '/who dev', 'hello']);

    first.cut();
    const second = await standIn.connection();
    assert.deepEqual([await second.received.next(), await second.received.next()], ['#alice', '/join dev']);
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice@dev>', 'back in dev');
    term.type('after');
    term.press('Enter');
    assert.deepEqual([await second.received.next(), await second.received.next()], ['/who dev', 'after']);
  });
});
