import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CLI } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';
import { hasTmux, Terminal } from '../helpers/tmux.js';
import { WireClient } from '../helpers/wire-client.js';

const skip = !hasTmux && !process.env['CI'] ? 'tmux is not installed (apt-get install tmux to run this)' : false;

describe('chat-client on a terminal: a paste the terminal does not mark', { skip }, () => {
  test('tmux paste-buffer without -p: more than 5 lines ask first, as a bracketed paste does; fewer go; typing is typing', async (t) => {
    // Room enough in flood control for every line at once: nothing is counted as waiting.
    const { port } = await startServer(t, { burst: 100 });
    const bob = await WireClient.registered(t, port, 'bob');
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(port), '--name', 'alice']);
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
    await bob.lines.until(/alice joined/);
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i}`);

    term.paste(`${lines.join('\n')}\n`, { bracketed: false });
    await term.waitFor((s) => Terminal.lastLine(s) === 'send 30 lines? [y/N]', 'the question');
    await bob.expectNothing();
    term.type('n');
    term.press('Enter');
    await term.waitFor((s) => s.includes('not sent: the 30 lines.') && Terminal.lastLine(s) === 'alice>', 'the refusal');
    await bob.expectNothing();

    // Up to 5 go at once, unasked, as typed lines do.
    term.paste('one\ntwo\nthree\n', { bracketed: false });
    for (const line of ['one', 'two', 'three']) assert.equal(await bob.lines.until(/^<alice>/), `<alice> ${line}`);

    term.paste(`${lines.join('\n')}\n`, { bracketed: false });
    await term.waitFor((s) => Terminal.lastLine(s) === 'send 30 lines? [y/N]', 'the question again');
    term.type('y');
    term.press('Enter');
    for (const line of lines) assert.equal(await bob.lines.until(/^<alice>/), `<alice> ${line}`);

    // Lines typed one after the other, each entered on its own: never a paste, never asked.
    for (let i = 0; i < 7; i++) {
      term.type(`typed ${i}`);
      term.press('Enter');
      assert.equal(await bob.lines.until(/^<alice>/), `<alice> typed ${i}`);
    }
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the prompt, no question');
    term.type('/quit');
    term.press('Enter');
    assert.equal(await term.exitCode(), 0);
  });
});
