import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TOO_MANY_FAILURES } from '../../src/client/login.js';
import { CLI, runServer } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';
import { hasTmux, Terminal } from '../helpers/tmux.js';
import { usersFile } from '../helpers/users.js';
import { WireClient } from '../helpers/wire-client.js';

const skip = !hasTmux && !process.env['CI'] ? 'tmux is not installed (apt-get install tmux to run this)' : false;

describe('chat-client on a terminal', { skip }, () => {
  test('asks the name, shows incoming lines above a half-typed line and keeps it intact', async (t) => {
    const { port } = await startServer(t);
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(port)]);
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
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(port), '--name', 'alice']);
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
    const bob = await WireClient.registered(t, port, 'bob');
    const long = 'x'.repeat(150);
    term.type(long);
    await term.waitFor((s) => s.join('').includes(long), 'the long line');
    bob.send('ping from bob');
    const screen = await term.waitFor((s) => s.includes('<bob> ping from bob'), 'the message');
    const at = screen.indexOf('<bob> ping from bob');
    assert.equal(
      screen
        .slice(at + 1)
        .filter((l) => l !== '')
        .join(''),
      `alice> ${long}`,
      'below it: the prompt, the line',
    );
    assert.equal(screen[at + 1], `alice> ${long.slice(0, 93)}`, 'right below it, with no gap');
    term.press('Enter');
    assert.equal(await bob.lines.until(/^<alice>/), `<alice> ${long}`);
    term.type('/quit');
    term.press('Enter');
    assert.equal(await term.exitCode(), 0);
  });

  test('exit and Ctrl-C twice leave with 0; a lost connection says so and exits 1', async (t) => {
    const { server, port } = await startServer(t);
    const a = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(port), '--name', 'a']);
    const b = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(port), '--name', 'b']);
    const c = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(port), '--name', 'c', '--no-reconnect']);
    for (const term of [a, b, c]) await term.waitFor((s) => /^[abc]>$/.test(Terminal.lastLine(s)), 'the chat prompt');
    a.type('exit');
    a.press('Enter');
    assert.equal(await a.exitCode(), 0);
    b.press('C-c', 'C-c');
    assert.equal(await b.exitCode(), 0);
    await server.close();
    const screen = await c.waitFor((s) => s.some((l) => l.startsWith('connection lost')), 'the lost connection');
    assert.ok(screen.includes('* server shutting down'));
    assert.equal(await c.exitCode(), 1);
  });

  test('after the server restarts, the client reconnects under the same name', async (t) => {
    const first = await startServer(t);
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(first.port), '--name', 'alice']);
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
    // The first clears the half-typed line, the second says how to leave, the third leaves.
    term.press('C-c', 'C-c', 'C-c');
    assert.equal(await term.exitCode(), 0);
  });

  test('closed on purpose (idle): no reconnecting, the reason, exit 1', async (t) => {
    // Long enough for the client to register on a busy machine first (its process starting
    // beside a second suite once took longer than 0.3 s): the close must come after it.
    const { port } = await startServer(t, { idleTimeoutMs: 2000 });
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(port), '--name', 'eve']);
    await term.waitFor((s) => s.some((l) => l.startsWith('disconnected: idle for 2 s: closing the connection')), 'the reason');
    assert.equal(await term.exitCode(), 1);
  });

  test('a name prompt that outlasts --register-timeout connects again', async (t) => {
    const { server, port } = await startServer(t, { registerTimeoutMs: 200 });
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(port)]);
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
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(port), '--name', 'alice']);
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
    await server.close();
    await term.waitFor((s) => /^\(reconnecting/.test(Terminal.lastLine(s)), 'the countdown');
    term.press('C-c', 'C-c');
    assert.equal(await term.exitCode(), 0);
  });

  test('a taken --name exits 3 with a sentence that says what to do', async (t) => {
    const { port } = await startServer(t);
    await WireClient.registered(t, port, 'alice');
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(port), '--name', 'alice']);
    assert.equal(await term.exitCode(), 3);
    assert.ok(term.screen().some((l) => l.includes('name taken: alice. Choose another name with --name.')));
  });
});

/** A line of the screen that starts with TEXT. */
const showing =
  (text: string) =>
  (s: string[]): boolean =>
    s.some((l) => l.startsWith(text));
/** How many lines of the screen start with TEXT. */
const count = (s: string[], text: string): number => s.filter((l) => l.startsWith(text)).length;

describe('chat-client logging in on a terminal, against a chat-server with accounts', { skip }, () => {
  /** A chat-server process with the account alice (password wonderland). */
  async function accountsServer(t: Parameters<typeof runServer>[0], ...args: string[]): ReturnType<typeof runServer> {
    const users = await usersFile(t, { alice: 'wonderland' });
    return runServer(t, ['--users', users, ...args]);
  }
  const client = (t: Parameters<typeof runServer>[0], port: number, ...args: string[]): Terminal =>
    Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(port), ...args]);

  test('a mistyped name is asked again after the failure, the last one offered; the right one logs in', async (t) => {
    const { port } = await accountsServer(t);
    const term = client(t, port);
    await term.waitFor(showing('Your name:'), 'the name prompt');
    term.type('alcie');
    term.press('Enter');
    await term.waitFor(showing('Password for alcie:'), 'the password prompt');
    term.type('wonderland');
    term.press('Enter');
    // Typed while the server checks (a second, for a failure): dropped, not shown at the
    // visible name prompt that comes next.
    term.type('typed-ahead');
    const refused = await term.waitFor(showing('Your name [alcie]:'), 'the name prompt again, with the last name');
    assert.ok(refused.includes('! authentication failed'));
    assert.equal(Terminal.lastLine(refused), 'Your name [alcie]:', 'nothing typed ahead at the prompt');
    term.type('alice');
    term.press('Enter');
    await term.waitFor(showing('Password for alice:'), 'the password prompt for the new name');
    term.type('wonderland');
    term.press('Enter');
    const screen = await term.waitFor((s) => s.includes('* registered as alice') && Terminal.lastLine(s) === 'alice>', 'the chat prompt');
    assert.ok(!screen.join('\n').includes('wonderland'), 'the password is never shown');
    term.press('C-d');
    assert.equal(await term.exitCode(), 0);
  });

  test('Enter keeps the name offered; after too many failures: exit 3, what to do, no new connection', async (t) => {
    const server = await accountsServer(t);
    const term = client(t, server.port);
    await term.waitFor(showing('Your name:'), 'the name prompt');
    term.type('alice');
    term.press('Enter');
    for (let i = 1; i <= 5; i++) {
      await term.waitFor((s) => count(s, 'Password for alice:') === i, `password prompt number ${i}`);
      term.type(`wrong-${i}`);
      term.press('Enter');
      if (i === 5) break;
      await term.waitFor((s) => count(s, 'Your name [alice]:') === i, `name prompt number ${i + 1}`);
      term.press('Enter');
    }
    assert.equal(await term.exitCode(), 3);
    const screen = term.screen();
    assert.ok(screen.includes('! too many failed logins: closing the connection'), screen.join('\n'));
    // The sentence wraps at the terminal's width: compare without the white space.
    const squeeze = (text: string): string => text.replace(/\s/g, '');
    assert.ok(squeeze(screen.join('')).includes(squeeze(`chat-client: ${TOO_MANY_FAILURES}`)), screen.join('\n'));
    assert.equal(count(screen, 'Your name'), 5, 'no prompt after the last failure');

    // The server logs every connection as it accepts it: once a connection made after the
    // client exited is logged, any the client made before it are logged too.
    const late = await WireClient.connect(t, server.port);
    await server.stderr.until(new RegExp(` connect 127\\.0\\.0\\.1:${late.socket.localPort}$`));
    assert.equal(server.stderr.seen.filter((l) => / connect /.test(l)).length, 2, 'the client connected once');
  });

  test('Ctrl-C and Ctrl-D leave at the name prompt, at the password prompt and during the check: 130', async (t) => {
    const { port } = await accountsServer(t);
    const cases: { what: string; key: 'C-c' | 'C-d'; at: 'name' | 'password' | 'check' | 'given' }[] = [
      { what: 'Ctrl-C at the name prompt', key: 'C-c', at: 'name' },
      { what: 'Ctrl-D at the name prompt', key: 'C-d', at: 'name' },
      { what: 'Ctrl-C at the password prompt', key: 'C-c', at: 'password' },
      { what: 'Ctrl-D at the password prompt, half typed', key: 'C-d', at: 'password' },
      { what: 'Enter and Ctrl-C at once at the password prompt', key: 'C-c', at: 'check' },
      { what: 'Enter and Ctrl-D at once at the password prompt', key: 'C-d', at: 'check' },
      { what: 'Ctrl-C while a CHAT_PASSWORD is checked', key: 'C-c', at: 'given' },
      { what: 'Ctrl-D while a CHAT_PASSWORD is checked', key: 'C-d', at: 'given' },
    ];
    // The server takes a second to refuse a wrong password: an exit before any answer is
    // an exit during the check.
    for (const { what, key, at } of cases) {
      if (at === 'given') {
        const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(port), '--name', 'alice'], {
          CHAT_PASSWORD: 'wrong',
        });
        // The password goes out as soon as the greeting is shown.
        await term.waitFor(showing('* welcome'), 'the greeting');
        term.press(key);
        await left(term, what, key);
        continue;
      }
      const term = client(t, port);
      await term.waitFor(showing('Your name:'), 'the name prompt');
      term.type('ali');
      if (at !== 'name') {
        term.type('ce');
        term.press('Enter');
        await term.waitFor(showing('Password for alice:'), 'the password prompt');
        term.type('wrong');
      }
      // At once: the key comes in the same read as the Enter, after the prompt has ended.
      if (at === 'check') term.press('Enter', key);
      else term.press(key);
      await left(term, what, key);
    }
  });

  /** The client left with KEY, at once, and said so. */
  async function left(term: Terminal, what: string, key: 'C-c' | 'C-d'): Promise<void> {
    assert.equal(await term.exitCode(), 130, what);
    const screen = term.screen();
    const name = key === 'C-c' ? 'Ctrl-C' : 'Ctrl-D';
    assert.ok(screen.includes(`chat-client: left with ${name} before logging in.`), `${what}:\n${screen.join('\n')}`);
    assert.ok(!screen.includes('! authentication failed'), `${what}: left before the answer`);
  }

  test('a password prompt that outlasts --register-timeout connects again and logs in', async (t) => {
    const server = await accountsServer(t, '--register-timeout', '1');
    const term = client(t, server.port);
    await term.waitFor(showing('Your name:'), 'the name prompt');
    term.type('alice');
    term.press('Enter');
    await term.waitFor(showing('Password for alice:'), 'the password prompt');
    await server.stderr.until(/ leave .*not registered in time$/);
    term.type('wonderland');
    term.press('Enter');
    const screen = await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
    assert.ok(screen.includes('* registered as alice'));
    assert.ok(!screen.some((l) => l.startsWith('! not registered')), 'the client deals with it: nothing to show');
  });
});

test('#alice at the name prompt, as the greeting puts it, registers alice', { skip }, async (t) => {
  const { port } = await startServer(t);
  const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(port)]);
  await term.waitFor(showing('Your name:'), 'the name prompt');
  term.type('#alice');
  term.press('Enter');
  const screen = await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
  assert.ok(screen.includes('* registered as alice'));
  assert.ok(!screen.some((l) => l.startsWith('A name is')), 'no complaint about the #');
});

test('Ctrl-C pressed with the Enter that gives the name is not lost', { skip }, async (t) => {
  const { port } = await startServer(t);
  const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(port)]);
  await term.waitFor(showing('Your name:'), 'the name prompt');
  term.type('alice');
  term.press('Enter', 'C-c');
  assert.equal(await term.exitCode(), 130);
  assert.ok(term.screen().includes('chat-client: left with Ctrl-C before logging in.'));
});
