import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import net from 'node:net';
import { cluster, linesUntilSynced, type Server } from '../helpers/cluster.js';
import { WireClient } from '../helpers/wire-client.js';

/** What a Redis that freezes (SIGSTOP) does to a cluster. Run by cluster.test.ts. */
export function stallTests(): void {
  test('Redis frozen for twice the lease, round after round: no name is freed, nobody is told a false "left"', async (t) => {
    const leaseMs = 1000;
    const { redis, servers } = await cluster(t, 2, leaseMs);
    const [one, two] = servers as [Server, Server];
    // bob first, and every "joined" seen: no notice of the setup is still on its way.
    const bob = await WireClient.registered(t, two.port, 'bob');
    const alice = await WireClient.registered(t, one.port, 'alice');
    const carol = await WireClient.registered(t, one.port, 'carol');
    await bob.lines.until(/^\* carol joined$/);
    await alice.lines.until(/^\* carol joined$/);
    // Users may not see a server counted as dead for a moment (the notices go to servers
    // that are not listening yet), so Redis is watched: only a sweep removes a server. MONITOR
    // over a plain socket: ioredis's monitor() threw "Command queue state error" when a
    // MONITOR line came with its +OK (a busy machine), and took the test process down.
    const sweeps = monitorSweeps(redis.url);
    t.after(() => sweeps.socket.destroy());
    await sweeps.ready;
    const clients = [alice, carol, bob];
    const before = clients.map((c) => c.lines.seen.length);
    for (let round = 1; round <= 4; round++) {
      redis.pause();
      // The stall itself: nothing to wait for but time, which is what a stall is.
      await sleep(2 * leaseMs);
      redis.resume();
      // Until bob's server is back in the chat a message may be refused for now; never with
      // "no such user", since carol never left. One sent while carol's server is not yet
      // reading waits in the stream for it.
      const forNow = ['! not delivered: cluster unavailable'];
      for (;;) {
        bob.send(`@carol:round ${round}`);
        const answers = await linesUntilSynced(bob);
        assert.ok(
          answers.every((l) => forNow.includes(l)),
          `round ${round}: ${JSON.stringify(answers)}`,
        );
        if (answers.length === 0) break;
        await sleep(100);
      }
      assert.equal(await carol.lines.until(/^\*bob\*/), `*bob* round ${round}`);
      assert.deepEqual(sweeps.seen, [], `round ${round}: a server was counted as dead`);
    }
    bob.send('/who');
    assert.equal(await bob.lines.until(/^\* online/), '* online (3): alice, bob, carol');
    for (const [i, c] of clients.entries()) {
      await linesUntilSynced(c);
      assert.deepEqual(
        c.lines.seen.slice(before[i]).filter((l) => /^\* \S+ (left|joined)/.test(l)),
        [],
      );
    }
    for (const s of [one, two])
      assert.deepEqual(
        s.stderr.seen.filter((l) => /stopped answering/.test(l)),
        [],
      );

    // A server that dies during a stall is still found dead once Redis is back.
    redis.pause();
    two.proc.kill('SIGKILL');
    await two.exit;
    await sleep(2 * leaseMs);
    redis.resume();
    const woke = Date.now();
    assert.equal(await alice.lines.until(/^\* bob left/), '* bob left (server stopped answering)');
    const elapsed = Date.now() - woke;
    assert.ok(elapsed < 2 * leaseMs, `freed ${elapsed} ms after Redis woke`);
    carol.send('#bob');
    assert.equal(await carol.lines.until(/^\* you are now/), '* you are now bob');
  });
}

/** The SREM of chat:servers that MONITOR shows on the Redis at URL (a sweep of a server counted as dead). */
function monitorSweeps(url: string): { socket: net.Socket; ready: Promise<void>; seen: string[] } {
  const { hostname, port } = new URL(url);
  const socket = net.connect({ host: hostname, port: Number(port) });
  const seen: string[] = [];
  let partial = '';
  let ready: () => void = () => {};
  const readyP = new Promise<void>((resolve) => {
    ready = resolve;
  });
  socket.setEncoding('utf8');
  socket.on('error', () => {});
  socket.write('MONITOR\r\n');
  socket.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\r\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '+OK') ready();
      else if (/"srem" "chat:servers"/i.test(line)) seen.push(line);
    }
  });
  return { socket, ready: readyP, seen };
}
