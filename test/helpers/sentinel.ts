import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { LineQueue, WAIT_MS } from './lines.js';
import { type Cleanup, freePort, TestRedis } from './redis.js';

const installed = spawnSync('redis-sentinel', ['--version'], { stdio: 'ignore' }).status === 0;

/** As redisSkip: CI (CI set) never skips the Sentinel tests, it fails without redis-sentinel. */
export const sentinelSkip: string | false =
  installed || process.env['CI'] ? false : 'redis-sentinel is not installed: apt-get install redis-sentinel to run the failover tests';

/** A one-shot connection to the node or sentinel on PORT: no retries, a command answered within 1 s or failed. */
function probe(port: number): Redis {
  return new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 1000 });
}

/** The primary's name the sentinels watch. */
export const MASTER = 'chat';
/**
 * Sentinel counts a primary as down after this long without an answer. Not 1 s: a sentinel
 * that has just switched to a new primary starts that count at the switch, and on a loaded
 * machine the first answer, from a node busy with its replicas' resync, came 1.07 s later:
 * the sentinels failed the new primary over too, a second failover the test did not make.
 */
export const DOWN_AFTER_MS = 3000;

const running = new Set<ChildProcess>();
process.once('exit', () =>
  running.forEach((proc) => {
    proc.kill('SIGKILL');
  }),
);

/**
 * Redis as production runs it: a primary, two replicas and three sentinels that fail it over,
 * each a process of the test's own on a free port, in temporary folders removed at the end.
 */
export class TestSentinels {
  private constructor(
    /** The three data nodes; nodes[0] is the first primary. */
    readonly nodes: TestRedis[],
    readonly sentinelPorts: number[],
    /** Each sentinel's log, for a failure's message (said). */
    readonly logs: LineQueue[],
  ) {}

  /** What the sentinels logged of failovers (+sdown, +odown, +switch-master...): for a failure's message. */
  said(): string {
    return this.logs.flatMap((log, i) => log.seen.filter((l) => / [+-][a-z-]+ /.test(l)).map((l) => `sentinel ${i}: ${l}`)).join('\n');
  }

  /** The failovers the sentinels carried out so far: each is announced (+switch-master) by every sentinel. */
  get failovers(): number {
    return Math.max(...this.logs.map((log) => log.seen.filter((l) => / \+switch-master /.test(l)).length));
  }

  /** redis+sentinel:// URL of the three sentinels, as --redis takes it. */
  get url(): string {
    return `redis+sentinel://${this.sentinelPorts.map((port) => `127.0.0.1:${port}`).join(',')}/${MASTER}`;
  }

  /** ARGS go to every data node (appendonly, appendfsync, min-replicas-to-write...). */
  static async start(t: Cleanup, given: string[] = []): Promise<TestSentinels> {
    // A replica's first sync starts at once, not after Redis's default 5 s wait for others.
    const args = ['--repl-diskless-sync-delay', '0', ...given];
    const primary = await TestRedis.start(t, { args });
    const replicaArgs = [...args, '--replicaof', '127.0.0.1', String(primary.port)];
    const nodes = [primary, await TestRedis.start(t, { args: replicaArgs }), await TestRedis.start(t, { args: replicaArgs })];
    const dir = mkdtempSync(join(tmpdir(), 'chat-sentinel-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const ports: number[] = [];
    const logs: LineQueue[] = [];
    for (let i = 0; i < 3; i++) {
      const { port, log } = await startSentinel(t, dir, i, primary.port);
      ports.push(port);
      logs.push(log);
    }
    const set = new TestSentinels(nodes, ports, logs);
    await set.settled();
    await writable(primary.port);
    return set;
  }

  /** Asks a sentinel that answers. */
  async #ask<T>(fn: (sentinel: Redis) => Promise<T>): Promise<T> {
    let last: unknown;
    for (const port of this.sentinelPorts) {
      const sentinel = probe(port);
      try {
        await sentinel.connect();
        return await fn(sentinel);
      } catch (err) {
        last = err;
      } finally {
        sentinel.disconnect();
      }
    }
    throw last;
  }

  /** The node that most sentinels (two of three: the quorum) name in NAMED; undefined when no two agree. */
  #byMajority(named: (number | undefined)[]): TestRedis | undefined {
    return this.nodes.find((n) => named.filter((port) => port === n.port).length >= 2);
  }

  /** The port each sentinel names as the primary's (undefined for one that does not answer). */
  async #namedByEach(): Promise<(number | undefined)[]> {
    return Promise.all(
      this.sentinelPorts.map(async (port) => {
        const s = probe(port);
        try {
          await s.connect();
          const [, named] = (await s.call('SENTINEL', 'get-master-addr-by-name', MASTER)) as [string, string];
          return Number(named);
        } catch {
          return undefined;
        } finally {
          s.disconnect();
        }
      }),
    );
  }

  /**
   * The primary, once a quorum of sentinels (two) names it and it answers as one. A sentinel
   * slow to hear of the last failover names the old primary: killed before a quorum knows
   * the new one, it would find no quorum to fail it over, as in production when failovers
   * come seconds apart.
   */
  async primary(): Promise<TestRedis> {
    const deadline = Date.now() + 4 * WAIT_MS;
    for (;;) {
      const named = await this.#namedByEach();
      const node = this.#byMajority(named);
      if (node !== undefined && (await roleOf(node.port)) === 'master') return node;
      if (Date.now() > deadline) throw new Error(`no two sentinels agree on a primary: they name ${named.join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * Waits until every sentinel knows the other two and sees two replicas of the primary in
   * sync: a failover needs them, and one started before would find no replica to promote.
   */
  async settled(inSync = 2): Promise<void> {
    const deadline = Date.now() + 4 * WAIT_MS;
    for (;;) {
      const ready = await Promise.all(
        this.sentinelPorts.map(async (port) => {
          const s = probe(port);
          try {
            await s.connect();
            const sentinels = (await s.call('SENTINEL', 'sentinels', MASTER)) as string[][];
            const replicas = (await s.call('SENTINEL', 'replicas', MASTER)) as string[][];
            const good = replicas.filter((r) => {
              const flags = r[r.indexOf('flags') + 1] ?? '';
              const link = r[r.indexOf('master-link-status') + 1];
              return flags === 'slave' && link === 'ok';
            });
            return sentinels.length === 2 && good.length >= inSync;
          } catch {
            return false;
          } finally {
            s.disconnect();
          }
        }),
      );
      if (ready.every(Boolean)) return;
      if (Date.now() > deadline) throw new Error('the sentinels did not settle: each must know the other two and two replicas in sync');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * Waits until the sentinels name a primary other than OLD: a failover done. The old node
   * may still be dead or frozen.
   */
  async failedOverFrom(old: TestRedis): Promise<TestRedis> {
    const deadline = Date.now() + 4 * WAIT_MS;
    for (;;) {
      // Every sentinel names the new primary, and it answers as one (REPLICAOF NO ONE done).
      const now = this.#byMajority(await this.#namedByEach());
      if (now !== undefined && now !== old && (await roleOf(now.port)) === 'master') return now;
      if (Date.now() > deadline) {
        const seen = await this.#ask(async (s) =>
          JSON.stringify([await s.call('SENTINEL', 'master', MASTER), await s.call('SENTINEL', 'replicas', MASTER)]),
        ).catch((err: Error) => err.message);
        throw new Error(`no failover from port ${old.port}; a sentinel sees ${seen}; the sentinels said:\n${this.said()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Waits until the node on PORT is a replica in sync with its primary (after Sentinel converted it). */
export async function replicating(port: number): Promise<void> {
  const deadline = Date.now() + 4 * WAIT_MS;
  for (;;) {
    const r = probe(port);
    try {
      await r.connect();
      const info = await r.info('replication');
      if (/^role:slave\r?$/m.test(info) && /^master_link_status:up\r?$/m.test(info)) return;
    } catch {
      // not up yet
    } finally {
      r.disconnect();
    }
    if (Date.now() > deadline) throw new Error(`the node on port ${port} never became a replica in sync`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Waits until the node on PORT takes a write: with `min-replicas-to-write`, a primary counts
 * a replica good only after it acknowledged (each second), which the sentinels' view of the
 * replicas does not wait for; a chat-server started before would find its first writes refused.
 */
async function writable(port: number): Promise<void> {
  const deadline = Date.now() + 4 * WAIT_MS;
  for (;;) {
    const r = probe(port);
    try {
      await r.connect();
      await r.set('test:writable', '1');
      await r.del('test:writable');
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`the primary on port ${port} never took a write: ${(err as Error).message}`);
    } finally {
      r.disconnect();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** master, slave, or undefined when the node does not answer. */
export async function roleOf(port: number): Promise<string | undefined> {
  const r = probe(port);
  try {
    await r.connect();
    const [role] = (await r.call('ROLE')) as [string];
    return role;
  } catch {
    return undefined;
  } finally {
    r.disconnect();
  }
}

/** One redis-sentinel watching the primary on PRIMARY; resolves with its port and log once it watches. */
async function startSentinel(t: Cleanup, dir: string, i: number, primary: number): Promise<{ port: number; log: LineQueue }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const conf = join(dir, `sentinel-${i}.conf`);
    // Sentinel rewrites its file as it learns the others: each its own, writable.
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${MASTER} 127.0.0.1 ${primary} 2`,
        `sentinel down-after-milliseconds ${MASTER} ${DOWN_AFTER_MS}`,
        `sentinel failover-timeout ${MASTER} 3000`,
        `sentinel parallel-syncs ${MASTER} 2`,
        '',
      ].join('\n'),
    );
    const proc = spawn('redis-sentinel', [conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(proc);
    proc.once('exit', () => running.delete(proc));
    t.after(() => proc.kill('SIGKILL'));
    const out = new LineQueue(proc.stdout!, 'redis-sentinel');
    const line = await out.until(/\+monitor master|Address already in use|FATAL|Could not create/i);
    // The queue reads on (a full pipe would block it); its lines are kept for said().
    if (/\+monitor/.test(line)) return { port, log: out };
    proc.kill('SIGKILL');
    if (attempt === 3) throw new Error(`redis-sentinel did not start on port ${port}: ${line}`);
  }
}
