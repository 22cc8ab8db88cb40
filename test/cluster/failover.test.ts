import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { COMMAND_TIMEOUT_MS } from '../../src/redis/connection.js';
import { runServer } from '../helpers/cli.js';
import type { Server } from '../helpers/cluster.js';
import { replicating, roleOf, sentinelSkip, TestSentinels } from '../helpers/sentinel.js';
import { WAIT_MS } from '../helpers/lines.js';
import { waitFor } from '../helpers/wait.js';
import { WireClient } from '../helpers/wire-client.js';

/** The line every user gets when the cluster's stream lost entries (docs/cluster.md, "Failover"). */
const LOST = "* some messages may have been lost (the cluster's store restarted): /history shows what was kept";
const LEASE_MS = 2000;
const USERS = 20;
/** Messages a second, all users together. */
const RATE = 200;
/** How long after a message its "may not have been delivered" may come: two command timeouts, and 2 s for a loaded machine. */
const NOTICE_WITHIN_MS = 2 * COMMAND_TIMEOUT_MS + 2000;

/** Two chat-servers on the sentinels' Redis. */
async function twoServers(t: TestContext, set: TestSentinels): Promise<Server[]> {
  const args = ['--redis', set.url, '--redis-lease', String(LEASE_MS), '--rate', '0'];
  return [await runServer(t, args), await runServer(t, args)];
}

/** One message of the load: what was sent, by whom, whether its sender was told it failed. */
interface Sent {
  id: number;
  from: number;
  /** The addressee of a direct message; undefined for a room message. */
  to: number | undefined;
  at: number;
  /** Answered: its /ping's pong came with no error before it. */
  answered: boolean;
  refused: boolean;
}

/** What the load saw: messages, and each user's lines. */
interface Load {
  sent: Sent[];
  /** users[i]'s count of each message id received. */
  received: Map<number, number>[];
  told: boolean[];
  /** Every refusal and notice the users got, with when (ms into the load). */
  said: string[];
}

/**
 * USERS users, alternating between the two servers, each sending a direct message to the
 * next user (on the other server) and a room message in turn, RATE a second in all, each
 * followed by /ping so that its answer (an error, or none) is known. DURING runs while the
 * load goes on; the load stops SETTLE ms after it.
 */
async function load(t: TestContext, servers: Server[], set: TestSentinels, during: () => Promise<void>): Promise<Load> {
  const users: WireClient[] = [];
  for (let i = 0; i < USERS; i++) users.push(await WireClient.registered(t, servers[i % 2]!.port, `u${i}`));
  // Everyone has seen everyone join: the room is whole on both servers.
  for (const u of users) u.send('/ping ready');
  for (const u of users) await u.lines.until(/^\* pong ready$/);
  const sent: Sent[] = [];
  const received = users.map(() => new Map<number, number>());
  const told = users.map(() => false);
  /** Every refusal and notice each user got, for a failure's message. */
  const said: string[] = [];
  const byPing = new Map<string, Sent>();
  let next = 0;
  let stopping = false;
  const began = Date.now();
  // Readers: count messages, tie errors to the message before the next pong.
  const reading = users.map(async (u, i) => {
    for (;;) {
      // A failover whose first election fails takes Sentinel twice its failover-timeout more.
      const line = await u.lines.next(4 * WAIT_MS);
      if (line === undefined) return;
      let m = /^\*u(\d+)\* dm (\d+)$/.exec(line) ?? /^<u(\d+)> room (\d+)$/.exec(line);
      if (m) {
        const id = Number(m[2]);
        received[i]!.set(id, (received[i]!.get(id) ?? 0) + 1);
        continue;
      }
      if (line === LOST) {
        said.push(`u${i} at ${Date.now() - began} ms: ${line}`);
        told[i] = true;
        continue;
      }
      m = /^\* pong (p\d+)$/.exec(line);
      if (m) {
        const s = byPing.get(m[1]!);
        if (s) s.answered = !s.refused;
        continue;
      }
      if (line === '* pong end') return;
      if (line.startsWith('! ')) {
        said.push(`u${i} at ${Date.now() - began} ms: ${line}`);
        // In the order of the lines: for the last message sent whose pong has not come yet.
        const pending = sent.filter((s) => s.from === i && !s.answered && !s.refused);
        const mayNot = /^! your last messages to u(\d+) may not have been delivered/.exec(line);
        if (mayNot) {
          // Told after the fact: our messages to that user that have not reached it, sent
          // within the time a batch can take to fail (it waits behind the one Redis did not
          // answer, each for a command timeout: the notice came 4.0 s after them under load).
          // Not older ones: a loss from before is for the "lost" notice to tell.
          const to = Number(mayNot[1]);
          const since = Date.now() - NOTICE_WITHIN_MS;
          for (const s of sent) if (s.from === i && s.to === to && s.at >= since && !received[to]!.has(s.id)) s.refused = true;
        } else if (pending[0]) pending[0].refused = true;
      }
    }
  });
  const sending = (async () => {
    const gap = (1000 * USERS) / RATE;
    let round = 0;
    while (!stopping) {
      const started = Date.now();
      for (let i = 0; i < USERS; i++) {
        const id = next++;
        const direct = (round + i) % 2 === 0;
        const s: Sent = { id, from: i, to: direct ? (i + 1) % USERS : undefined, at: Date.now(), answered: false, refused: false };
        sent.push(s);
        byPing.set(`p${id}`, s);
        users[i]!.send(direct ? `@u${s.to}:dm ${id}` : `room ${id}`);
        users[i]!.send(`/ping p${id}`);
      }
      round++;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, gap - (Date.now() - started))));
    }
  })();
  try {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await during();
    await new Promise((resolve) => setTimeout(resolve, 4000));
  } finally {
    // A failure during the load must not leave the senders going: the test would never end.
    stopping = true;
    await sending;
  }
  // Everything sent has been answered, and what crosses has had time to: a last direct
  // message from each user to the next, through the stream, arrives after all the rest.
  for (let i = 0; i < USERS; i++) users[i]!.send(`@u${(i + 1) % USERS}:dm ${next + i}`);
  const lastFrom = Date.now();
  const lastArrived = (i: number) => received[(i + 1) % USERS]!.has(next + i);
  await waitFor(() => users.every((_, i) => lastArrived(i)), 'the last direct messages').catch((err: Error) => {
    const missing = users.flatMap((_, i) => (lastArrived(i) ? [] : [`u${i} to u${(i + 1) % USERS}`]));
    const logs = servers.flatMap((s) => s.stderr.seen.filter((l) => !/ (connect|register|leave) /.test(l)));
    err.message += ` (${Date.now() - began} ms into the load): missing ${missing.join(', ')}\nthe users were told:\n${said.slice(-40).join('\n')}\nthe servers said:\n${logs.join('\n')}\nthe sentinels said:\n${set.said()}`;
    throw err;
  });
  t.diagnostic(`the last direct messages arrived in ${Date.now() - lastFrom} ms`);
  for (const u of users) u.send('/ping end');
  await Promise.all(reading);
  return { sent, received, told, said };
}

/** Per message answered to its sender: how many of its addressees got it once, twice, never. */
function tally(result: Load) {
  const first = result.sent[0]?.at ?? 0;
  const last = result.sent.at(-1)!.at - 1000;
  /** Each message lost to someone never told, for a failure's message. */
  const untold: string[] = [];
  const figures = {
    sent: result.sent.length,
    lastSecond: 0,
    lastSecondAnswered: 0,
    answered: 0,
    deliveredOnce: 0,
    duplicated: 0,
    lost: 0,
    lostUntold: 0,
    unansweredArrived: 0,
  };
  for (const s of result.sent) {
    const to = s.to === undefined ? [...Array(USERS).keys()].filter((user) => user !== s.from) : [s.to];
    const counts = to.map((u) => result.received[u]!.get(s.id) ?? 0);
    if (counts.some((c) => c > 1)) figures.duplicated++;
    if (s.at >= last) figures.lastSecond++;
    if (s.at >= last && s.answered && !s.refused) figures.lastSecondAnswered++;
    if (!s.answered || s.refused) {
      if (counts.some((c) => c > 0)) figures.unansweredArrived++;
      continue;
    }
    figures.answered++;
    if (counts.every((c) => c === 1)) figures.deliveredOnce++;
    const missed = to.filter((_, k) => counts[k] === 0);
    if (missed.length > 0) figures.lost++;
    if (missed.some((u) => !result.told[u])) {
      figures.lostUntold++;
      untold.push(
        `${s.to === undefined ? 'room' : 'dm'} ${s.id} from u${s.from} at ${s.at - first} ms, missed by ${missed.map((u) => `u${u}${result.told[u] ? ' (told)' : ''}`).join(', ')}`,
      );
    }
  }
  return { figures, untold, said: result.said };
}

/** Kills the primary (SIGKILL) and waits for the sentinels to promote a replica. */
async function killPrimary(set: TestSentinels): Promise<void> {
  const old = await set.primary();
  await old.stop();
  await set.failedOverFrom(old);
}

/** Freezes the primary (SIGSTOP) past the sentinels' timeout, then thaws it: it comes back as a replica. */
async function freezeThenThaw(set: TestSentinels): Promise<void> {
  const old = await set.primary();
  old.pause();
  await set.failedOverFrom(old);
  old.resume();
  for (let i = 0; (await roleOf(old.port)) !== 'slave'; i++) {
    assert.ok(i < 200, 'the old primary never became a replica');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The load (load()) on two servers on Sentinel, its data nodes started with NODE_ARGS, and
 * FAILURE during it. Nothing is ever delivered twice, and the last second's messages were
 * all answered: the servers followed the new primary. Returns the figures and the servers.
 */
async function underLoad(t: TestContext, nodeArgs: string[], failure: (set: TestSentinels) => Promise<void>) {
  const set = await TestSentinels.start(t, nodeArgs);
  const servers = await twoServers(t, set);
  const { figures, untold, said: usersTold } = tally(await load(t, servers, set, () => failure(set)));
  t.diagnostic(JSON.stringify(figures));
  assert.equal(figures.duplicated, 0);
  const logs = servers.flatMap((s) => s.stderr.seen.filter((l) => !/ (connect|register|leave) /.test(l)));
  const context = `their logs:\n${logs.join('\n')}\nthe sentinels said:\n${set.said()}`;
  // Every loss told (asserted by the tests that expect it): what was lost, and what was said.
  const whyUntold = () =>
    `lost and never told:\n${untold.slice(0, 40).join('\n')}\nwhat the users were told of losses:\n${usersTold.filter((l) => / may not | may have been lost/.test(l)).join('\n')}\nand their first refusals:\n${usersTold
      .filter((l) => !/ may not | may have been lost/.test(l))
      .slice(0, 20)
      .join('\n')}\n${context}`;
  assert.equal(figures.lastSecondAnswered, figures.lastSecond, `chatting as before once the servers have followed the new primary; ${context}`);
  return { figures, servers, whyUntold };
}

// A bound on the whole: a failover that never comes fails it rather than holding CI.
describe('the cluster on Redis with Sentinel', { skip: sentinelSkip, concurrency: false, timeout: 400_000 }, () => {
  test('failover under load with appendfsync always and min-replicas-to-write 1: nothing answered is lost or duplicated', async (t) => {
    const { figures, servers } = await underLoad(t, ['--appendonly', 'yes', '--appendfsync', 'always', '--min-replicas-to-write', '1'], killPrimary);
    assert.equal(figures.lost, 0);
    for (const server of servers) await server.stderr.until(/notice Redis is back \(primary at 127\.0\.0\.1:\d+\): \d+ names reclaimed/);
  });

  test('failover under load, asynchronous replication: nothing duplicated, every loss told', async (t) => {
    const { figures, whyUntold } = await underLoad(t, [], killPrimary);
    assert.equal(figures.lostUntold, 0, whyUntold());
  });

  test("a primary frozen past the sentinels' timeout, then thawed: nothing delivered twice, no name held twice", async (t) => {
    const { figures, servers, whyUntold } = await underLoad(t, [], freezeThenThaw);
    assert.equal(figures.lostUntold, 0, whyUntold());
    // Each name once in the chat: listed once, and refused to a newcomer on either server.
    const a = await WireClient.registered(t, servers[0]!.port, 'checker');
    a.send('/who');
    const who = await a.lines.until(/^\* online \(\d+\): /);
    const names = who.replace(/^\* online \(\d+\): /, '').split(', ');
    assert.equal(new Set(names).size, names.length, who);
    for (const server of servers) {
      const { reply } = await WireClient.login(t, server.port, '#u3');
      assert.match(reply ?? '', /taken/);
    }
  });

  test('five failovers in a row: every user still chatting after each', async (t) => {
    const set = await TestSentinels.start(t, ['--appendonly', 'yes']);
    const servers = await twoServers(t, set);
    const alice = await WireClient.registered(t, servers[0]!.port, 'alice');
    const bob = await WireClient.registered(t, servers[1]!.port, 'bob');
    await alice.lines.until(/^\* bob joined$/);
    for (let round = 1; round <= 5; round++) {
      const t0 = Date.now();
      const old = await set.primary();
      await old.stop();
      const now = await set.failedOverFrom(old);
      const t1 = Date.now();
      // Chatting again as soon as the servers have followed: a refusal in between is retried.
      for (const [from, to, name, fromName] of [
        [alice, bob, 'bob', 'alice'],
        [bob, alice, 'alice', 'bob'],
      ] as const) {
        for (let attempt = 0; ; attempt++) {
          from.send(`@${name}:round ${round} try ${attempt}`);
          from.send(`/ping r${round}t${attempt}`);
          const answer = await from.lines.until(new RegExp(`^(\\* pong r${round}t${attempt}|! .*)$`));
          if (answer.startsWith('* pong')) {
            await to.lines.until(new RegExp(`^\\*${fromName}\\* round ${round} try ${attempt}$`));
            break;
          }
          assert.ok(
            attempt < 100,
            `round ${round}: ${answer}; the servers said:\n${servers.flatMap((s) => s.stderr.seen.filter((l) => !/ (connect|register|leave) /.test(l))).join('\n')}`,
          );
          await from.lines.until(new RegExp(`^\\* pong r${round}t${attempt}$`));
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      // The old primary back, as a replica of the new one (as its redis.conf would say once
      // Sentinel rewrote it): the next failover has two to choose from.
      const t2 = Date.now();
      await old.restart(['--appendonly', 'yes', '--repl-diskless-sync-delay', '0', '--replicaof', '127.0.0.1', String(now.port)]);
      await replicating(old.port);
      t.diagnostic(`round ${round}: failover ${t1 - t0} ms, chatting ${t2 - t1} ms, settled ${Date.now() - t2} ms`);
    }
    // At most one outage a failover: each sentinel announces it (+switch-master), the leader
    // first and the others up to seconds later; a server already on the new primary stays.
    // Should the sentinels fail over once more of their own (a primary slow to answer for
    // DOWN_AFTER_MS on a loaded machine), that is a failover too, and counted as one.
    const failovers = set.failovers;
    assert.ok(failovers >= 5, set.said());
    for (const server of servers) {
      const outages = server.stderr.seen.filter((l) => / error lost Redis at /.test(l));
      assert.ok(outages.length >= 1 && outages.length <= failovers, `${failovers} failovers:\n${outages.join('\n')}\nthe sentinels said:\n${set.said()}`);
    }
  });
});
