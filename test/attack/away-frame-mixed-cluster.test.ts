import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { byteLength, decodeEntry, directBody, encodeEntry, eventBody, roomHeader, userHeader } from '../../src/hub/redis/cluster-message.js';
import { runServer } from '../helpers/cli.js';
import { LineQueue } from '../helpers/lines.js';
import { redisSkip, TestRedis } from '../helpers/redis.js';
import { WireClient } from '../helpers/wire-client.js';

/**
 * b6bef94 adds a direct frame kind, `a FROM TEXT` (the away answer), in the same stream field
 * (x) as before. A server of the release before reads it with a directOf that knows no `a`,
 * and decodeEntry gives up the WHOLE entry for one frame it cannot read: every other frame of
 * that turn for its users (room lines, direct messages, kicks) is lost, silently. Servers are
 * upgraded one at a time ("a server must be restarted without ending the chat", cluster.md),
 * and during that time anyone on an old server who writes to someone away on a new one makes
 * the old server drop the room lines batched with the answers.
 */
describe('attack: a frame kind an older reader does not know', () => {
  test("costs that reader only the frame, not the turn's other frames for its users", () => {
    const A = 'host-1-ab';
    const B = 'host-2-cd';
    const room = eventBody({ kind: 'message', from: 'carol', text: 'for the room' });
    // As an older server sees an away answer: a direct body of a kind it does not know (here `z`).
    const unknown = directBody({ from: 'bob', text: 'out' }).replace(/^m/, 'z');
    const dm = directBody({ from: 'carol', text: 'for sam' });
    const entry = encodeEntry(
      A,
      [['sam', B]],
      [roomHeader(['lobby'], byteLength(room)), room, userHeader('@', 'sam', byteLength(unknown)), unknown, userHeader('@', 'sam', byteLength(dm)), dm],
    );
    assert.deepEqual(decodeEntry(entry, B), [
      { kind: 'room', rooms: ['lobby'], event: { kind: 'message', from: 'carol', text: 'for the room' } },
      { kind: 'direct', to: 'sam', message: { from: 'carol', text: 'for sam' } },
    ]);
  });

  // CHAT_OLD_SERVER=/path/to/ab08e38/dist/src/cli/chat-server.js: the release before, built.
  const old = process.env['CHAT_OLD_SERVER'];
  test('live: an old and a new server, DMs to someone away on the new one; the old server loses no room line', { skip: redisSkip || (old ? false : 'CHAT_OLD_SERVER not set') }, async (t) => {
    const redis = await TestRedis.start(t);
    const args = ['--port', '0', '--redis', redis.url, '--redis-lease', '1000', '--rate', '0'];
    const proc = spawn(process.execPath, [old!, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => proc.kill('SIGKILL'));
    const out = new LineQueue(proc.stdout!, 'old server');
    const oldPort = Number(/:(\d+)$/.exec((await out.until(/^listening on /)) ?? '')?.[1]);
    const fresh = await runServer(t, args.slice(2));
    const reader = await WireClient.registered(t, oldPort, 'reader');
    const sender = await WireClient.registered(t, oldPort, 'sender');
    const away = await WireClient.registered(t, fresh.port, 'away');
    const talker = await WireClient.registered(t, fresh.port, 'talker');
    await new Promise((resolve) => setTimeout(resolve, 500));
    away.send('/away out');
    await away.lines.until(/^\* you are away/);
    const n = 200;
    sender.write(Array.from({ length: n }, (_, i) => `@away:m${i}\n`).join(''));
    talker.write(Array.from({ length: n }, (_, i) => `line ${i}\n`).join(''));
    await talker.sync();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await reader.sync();
    const got = reader.lines.seen.filter((l) => /^<talker> line /.test(l)).length;
    assert.equal(got, n, `the old server's user got ${got} of ${n} room lines`);
  });
});
