import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { CLI } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';
import { hasTmux, Terminal } from '../helpers/tmux.js';
import { usersFile } from '../helpers/users.js';

const skip = !hasTmux && !process.env['CI'] ? 'tmux is not installed (apt-get install tmux to run this)' : false;

/**
 * A reconnect refused with `! password required` asks for the password, then tries again.
 * The password typed goes to the server that asked for it, alone: a reconnect otherwise
 * starts at the next --host, and another server of the list never asked for it, and may
 * check none (or be anyone's).
 */
describe('chat-client on a terminal: the password asked for by one --host', { skip }, () => {
  test('goes to the server that asked for it, not to the next one of the list', async (t) => {
    // A: a server of the list that checks no password; it records every line it gets.
    const got: string[] = [];
    const sockets = new Set<net.Socket>();
    const a = net.createServer((socket) => {
      sockets.add(socket);
      socket.setEncoding('utf8');
      socket.write('* welcome: register with #yourname\n');
      let buf = '';
      socket.on('data', (d: string) => {
        buf += d;
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          got.push(line);
          const m = /^#([A-Za-z0-9_-]+)/.exec(line);
          if (m) socket.write(`* registered as ${m[1]}\n`);
        }
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => a.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      for (const s of sockets) s.destroy();
      a.close();
    });
    const aPort = (a.address() as net.AddressInfo).port;
    // B: the chat's server, restarted with accounts.
    const users = await usersFile(t, { alice: 'wonderland' });
    const b = await startServer(t, { users });
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--host', `127.0.0.1:${aPort},127.0.0.1:${b.port}`, '--name', 'alice']);
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt, on A');
    // A drops us: the reconnect tries B first, which asks for the password.
    for (const s of sockets) s.destroy();
    await term.waitFor((s) => Terminal.lastLine(s) === 'Password for alice:', "B's question");
    term.type('wonderland');
    term.press('Enter');
    await term.waitFor((s) => s.includes('reconnected as alice'), 'the reconnection');
    assert.deepEqual(
      got.filter((l) => l.includes('wonderland')),
      [],
      'the password asked by B went to A',
    );
  });
});
