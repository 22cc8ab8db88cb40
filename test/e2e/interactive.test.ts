import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CLI } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';
import { hasTmux, Terminal } from '../helpers/tmux.js';
import { WireClient } from '../helpers/wire-client.js';

const skip = !hasTmux && !process.env['CI'] ? 'tmux is not installed (apt-get install tmux to run this)' : false;

describe('chat-client on a terminal', { skip }, () => {
  test('asks the name, shows incoming lines above a half-typed line and keeps it intact', async (t) => {
    const { port } = await startServer(t);
    const term = Terminal.start(t, [process.execPath, CLI.client, '--port', String(port)]);
    await term.waitFor((s) => s.some((l) => l.startsWith('Your name:')), 'the name prompt');
    term.type('alice');
    term.press('Enter');
    await term.waitFor((s) => s.includes('* registered as alice') && Terminal.lastLine(s) === 'alice>', 'the chat prompt');

    const bob = await WireClient.registered(t, port, 'bob');
    await term.waitFor((s) => s.includes('* bob joined'), 'bob joining');
    term.type('half typed');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice> half typed', 'the half-typed line');

    bob.send('@alice:hi there');
    bob.send('hello room');
    const screen = await term.waitFor((s) => s.includes('<bob> hello room'), 'the incoming messages');
    assert.ok(screen.includes('*bob* hi there'));
    assert.equal(Terminal.lastLine(screen), 'alice> half typed', 'the half-typed line survives');

    // The cursor stayed at the end of the line: typing goes on where it was.
    term.type(' and finished');
    term.press('Enter');
    assert.equal(await bob.lines.until(/^<alice>/), '<alice> half typed and finished');

    term.type('#alicia');
    term.press('Enter');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alicia>', 'the prompt following the rename');

    term.press('C-d');
    assert.equal(await bob.lines.until(/left/), '* alicia left');
    assert.equal(await term.exitCode(), 0);
  });

  test('a long half-typed line that wraps is redrawn intact too', async (t) => {
    const { port } = await startServer(t);
    const term = Terminal.start(t, [process.execPath, CLI.client, '--port', String(port), '--name', 'alice']);
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
    const bob = await WireClient.registered(t, port, 'bob');
    const long = 'x'.repeat(150);
    term.type(long);
    await term.waitFor((s) => s.join('').includes(long), 'the long line');
    bob.send('ping from bob');
    const screen = await term.waitFor((s) => s.includes('<bob> ping from bob'), 'the message');
    const at = screen.indexOf('<bob> ping from bob');
    assert.equal(screen.slice(at + 1).filter((l) => l !== '').join(''), `alice> ${long}`, 'below it: the prompt, the line');
    assert.equal(screen[at + 1], `alice> ${long.slice(0, 93)}`, 'right below it, with no gap');
    term.press('Enter');
    assert.equal(await bob.lines.until(/^<alice>/), `<alice> ${long}`);
    term.type('/quit');
    term.press('Enter');
    assert.equal(await term.exitCode(), 0);
  });

  test('exit and Ctrl-C leave with 0; a lost connection says so and exits 1', async (t) => {
    const { server, port } = await startServer(t);
    const a = Terminal.start(t, [process.execPath, CLI.client, '--port', String(port), '--name', 'a']);
    const b = Terminal.start(t, [process.execPath, CLI.client, '--port', String(port), '--name', 'b']);
    const c = Terminal.start(t, [process.execPath, CLI.client, '--port', String(port), '--name', 'c', '--no-reconnect']);
    for (const term of [a, b, c]) await term.waitFor((s) => /^[abc]>$/.test(Terminal.lastLine(s)), 'the chat prompt');
    a.type('exit');
    a.press('Enter');
    assert.equal(await a.exitCode(), 0);
    b.press('C-c');
    assert.equal(await b.exitCode(), 0);
    await server.close();
    const screen = await c.waitFor((s) => s.some((l) => l.startsWith('connection lost')), 'the lost connection');
    assert.ok(screen.includes('* server shutting down'));
    assert.equal(await c.exitCode(), 1);
  });

  test('after the server restarts, the client reconnects under the same name', async (t) => {
    const first = await startServer(t);
    const term = Terminal.start(t, [process.execPath, CLI.client, '--port', String(first.port), '--name', 'alice']);
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
    term.type('half typed');
    await first.server.close();
    await term.waitFor((s) => /^\(reconnecting in \d+ s\) alice> half typed$/.test(Terminal.lastLine(s)), 'the countdown');
    // The same port again, as a restarted server would have it.
    const second = await startServer(t, { port: first.port });
    await term.waitFor((s) => s.includes('reconnected as alice'), 'the reconnection');
    assert.equal(Terminal.lastLine(term.screen()), 'alice> half typed', 'the half-typed line survives');
    const bob = await WireClient.registered(t, second.port, 'bob');
    bob.send('@alice:welcome back');
    await term.waitFor((s) => s.includes('*bob* welcome back'), 'a message on the new connection');
    term.press('C-c');
    assert.equal(await term.exitCode(), 0);
  });

  test('closed on purpose (idle): no reconnecting, the reason, exit 1', async (t) => {
    const { port } = await startServer(t, { idleTimeoutMs: 300 });
    const term = Terminal.start(t, [process.execPath, CLI.client, '--port', String(port), '--name', 'eve']);
    await term.waitFor((s) => s.some((l) => l.startsWith('disconnected: idle for 0.3 s: closing the connection')), 'the reason');
    assert.equal(await term.exitCode(), 1);
  });

  test('a name prompt that outlasts --register-timeout connects again', async (t) => {
    const { server, port } = await startServer(t, { registerTimeoutMs: 200 });
    const term = Terminal.start(t, [process.execPath, CLI.client, '--port', String(port)]);
    await term.waitFor((s) => s.some((l) => l.startsWith('Your name:')), 'the name prompt');
    for (let i = 0; server.core.connections > 0; i++) {
      assert.ok(i < 400, 'the server closed the silent connection');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    term.type('late');
    term.press('Enter');
    await term.waitFor((s) => Terminal.lastLine(s) === 'late>', 'the chat prompt');
  });

  test('Ctrl-C during the countdown leaves with 0', async (t) => {
    const { server, port } = await startServer(t);
    const term = Terminal.start(t, [process.execPath, CLI.client, '--port', String(port), '--name', 'alice']);
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
    await server.close();
    await term.waitFor((s) => /^\(reconnecting/.test(Terminal.lastLine(s)), 'the countdown');
    term.press('C-c');
    assert.equal(await term.exitCode(), 0);
  });

  test('a taken --name exits 3 with a sentence that says what to do', async (t) => {
    const { port } = await startServer(t);
    await WireClient.registered(t, port, 'alice');
    const term = Terminal.start(t, [process.execPath, CLI.client, '--port', String(port), '--name', 'alice']);
    assert.equal(await term.exitCode(), 3);
    assert.ok(term.screen().some((l) => l.includes('name taken: alice. Choose another name with --name.')));
  });
});
