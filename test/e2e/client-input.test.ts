import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { run } from '../helpers/cli.js';
import { LineQueue } from '../helpers/lines.js';

/**
 * What chat-client puts on the wire, seen by a stand-in server that records every line: an
 * older server relays a leading BOM to the room, so the client must not send one.
 */
test('chat-client drops the BOM of a UTF-8 file piped into it', async (t) => {
  const received: string[] = [];
  const server = net.createServer((socket) => {
    socket.write('* connected from 127.0.0.1:1\n* welcome\n');
    const lines = new LineQueue(socket, 'stand-in');
    void (async () => {
      for (let line = await lines.next(); line !== undefined; line = await lines.next()) {
        received.push(line);
        if (line.startsWith('#')) socket.write(`* registered as ${line.slice(1)}\n`);
        const ping = /^\/ping (.*)$/.exec(line);
        if (ping) socket.write(`* pong ${ping[1]}\n`);
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const port = String((server.address() as net.AddressInfo).port);
  const client = run(t, 'client', ['--port', port, '--name', 'alice'], {
    input: '\uFEFF@bob:the door code is 4711\n\uFEFFsecond line keeps what it has\n',
  });
  assert.equal(await client.exit, 0);
  assert.deepEqual(received.slice(0, 3), ['#alice', '@bob:the door code is 4711', '\uFEFFsecond line keeps what it has']);
});
