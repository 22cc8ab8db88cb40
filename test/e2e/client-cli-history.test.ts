import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { run } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';
import { StandIn } from '../helpers/stand-in.js';
import { WireClient } from '../helpers/wire-client.js';

/** What the client sent on its connection, up to its closing /ping. */
async function sentUntilPing(standIn: StandIn): Promise<string[]> {
  const c = await standIn.connection();
  const lines: string[] = [];
  for (let line = await c.received.next(); line !== undefined && !line.startsWith('/ping '); line = await c.received.next()) lines.push(line);
  return lines;
}

describe('chat-client scripting mode and --history', () => {
  test('/history N goes out after registering only when --history N is given (and N is not 0)', async (t) => {
    const cases: [string[], string[]][] = [
      [
        ['--history', '5'],
        ['#alice', '/history 5', 'hi'],
      ],
      [[], ['#alice', 'hi']],
      [
        ['--history', '0'],
        ['#alice', 'hi'],
      ],
    ];
    for (const [args, wire] of cases) {
      const standIn = await StandIn.start(t);
      const c = run(t, 'client', ['--port', String(standIn.port), '--name', 'alice', ...args], { input: 'hi\n' });
      assert.deepEqual(await sentUntilPing(standIn), wire, args.join(' ') || 'no --history');
      assert.equal(await c.exit, 0);
      // The answer is printed as the server sent it, like any other line.
      assert.equal(c.stdout.seen.includes('! unknown command: /history'), args[1] === '5');
    }
  });

  test('--history takes 0 to 100', async (t) => {
    for (const value of ['101', '-1', 'x', '2.5']) {
      const c = run(t, 'client', ['--history', value], { input: '' });
      assert.equal(await c.exit, 2, value);
      assert.match(c.stderr.seen.join('\n'), /The number of history messages must be a whole number from 0 to 100\./);
    }
  });
});

test('scripting mode against a chat-server with history: the answer printed raw, and only when asked', async (t) => {
  const { port } = await startServer(t);
  const bob = await WireClient.registered(t, port, 'bob');
  bob.send('one');
  bob.send('two');
  await bob.sync();
  const asked = run(t, 'client', ['--port', String(port), '--name', 'alice', '--history', '5'], { input: '' });
  assert.equal(await asked.exit, 0);
  const out = asked.stdout.seen;
  const at = out.indexOf('* registered as alice');
  assert.match(out[at + 1] ?? '', /^\* \[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] <bob> one$/, out.join('\n'));
  assert.match(out[at + 2] ?? '', /^\* \[[^\]]+\] <bob> two$/);
  assert.equal(out[at + 3], '* end of history (2 messages)');
  const plain = run(t, 'client', ['--port', String(port), '--name', 'carol'], { input: '' });
  assert.equal(await plain.exit, 0);
  assert.ok(!plain.stdout.seen.some((l) => l.includes('<bob>') || l.includes('history')), plain.stdout.seen.join('\n'));
});
