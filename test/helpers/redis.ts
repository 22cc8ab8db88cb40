import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineQueue } from './lines.js';

const installed = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * For describe(..., { skip }): the cluster tests need a real redis-server. A laptop without
 * one skips them with this line; CI (CI set, as .ci/run does) never skips them, and fails.
 */
export const redisSkip: string | false =
  installed || process.env['CI'] ? false : 'redis-server is not installed: apt-get install redis-server to run the cluster tests';

/**
 * Kills PROC's process group: redis-server and what it forked (an AOF rewrite, with
 * appendonly yes), which would outlive it and write into its folder as it is removed.
 */
function killGroup(proc: ChildProcess): void {
  try {
    process.kill(-proc.pid!, 'SIGKILL');
  } catch {
    proc.kill('SIGKILL');
  }
}

/** A test run that dies outright must not leave a redis-server behind. */
const running = new Set<ChildProcess>();
process.once('exit', () => running.forEach(killGroup));

/** A free TCP port on loopback: Redis has no "port 0", and a restart must come back on the same port. */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export interface RedisOptions {
  /** A command to run redis-server under (the benchmark pins it with taskset). */
  wrap?: string[];
  /** Serve TLS only, with this certificate and key (PEM files). */
  tls?: { cert: string; key: string };
  /** More redis-server options, such as ['--requirepass', 'pw']. */
  args?: string[];
}

/** Whoever stops the server in the end: a test's context, or the benchmark's exit. */
export interface Cleanup {
  after(fn: () => unknown): void;
}

/** A redis-server of the test's own, in a temporary directory; stopped when the test ends. */
export class TestRedis {
  #proc: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly options: RedisOptions,
  ) {}

  /** rediss://localhost:PORT when it serves TLS (the certificate is for localhost). */
  get url(): string {
    return this.options.tls ? `rediss://localhost:${this.port}` : `redis://127.0.0.1:${this.port}`;
  }

  static async start(t: Cleanup, options: RedisOptions = {}): Promise<TestRedis> {
    if (!installed) throw new Error('redis-server is not installed: apt-get install redis-server');
    const dir = mkdtempSync(join(tmpdir(), 'chat-redis-'));
    for (let attempt = 1; ; attempt++) {
      const redis = new TestRedis(await freePort(), dir, options);
      t.after(async () => {
        await redis.stop();
        // Its forked children are killed with it (stop): tried again only for a slow exit.
        rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 });
      });
      try {
        await redis.restart();
        return redis;
      } catch (err) {
        // Another process took the port between the probe and the start: try another.
        if (attempt === 3) throw err;
      }
    }
  }

  /**
   * Starts (again) on the same port: an empty Redis, as after a restart without persistence.
   * ARGS replace the extra options given at start.
   */
  async restart(args = this.options.args ?? []): Promise<void> {
    const { wrap = [], tls } = this.options;
    const listen = tls
      ? ['--port', '0', '--tls-port', String(this.port), '--tls-cert-file', tls.cert, '--tls-key-file', tls.key, '--tls-auth-clients', 'no']
      : ['--port', String(this.port)];
    const argv = [...wrap, 'redis-server', ...listen, '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'no', ...args];
    // A group of its own (detached), so that stop() takes its forked children along.
    const proc = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.#proc = proc;
    running.add(proc);
    proc.once('exit', () => running.delete(proc));
    const out = new LineQueue(proc.stdout!, 'redis-server');
    const line = await out.until(/Ready to accept connections|Address already in use|FATAL|Could not create server TCP/i);
    if (!/Ready to accept/.test(line)) {
      this.stop();
      throw new Error(`redis-server did not start on port ${this.port}: ${line}`);
    }
  }

  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  /** Freezes Redis (SIGSTOP): connections stay open and nothing is answered, as in a stall. */
  pause(): void {
    this.#proc?.kill('SIGSTOP');
  }

  resume(): void {
    this.#proc?.kill('SIGCONT');
  }

  /** Stops at once, as a crash would (SIGKILL): connections drop, nothing is saved. */
  stop(): Promise<void> {
    const proc = this.#proc;
    this.#proc = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
    const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    killGroup(proc);
    return gone;
  }
}
