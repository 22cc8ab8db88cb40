/**
 * Starting and stopping what the benchmark measures: the floor, chat-server (alone, through
 * its IRC port or its web port, or two on one Redis), each pinned to core 0 where taskset exists, and the load generator on core 1.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestRedis } from '../test/helpers/redis.js';
import type { Dialect, LoadConfig, LoadResult } from './load-config.js';

const FLOOR = fileURLToPath(new URL('./floor-server.js', import.meta.url));
const CHAT_SERVER = fileURLToPath(new URL('../src/cli/chat-server.js', import.meta.url));
const LOADGEN = fileURLToPath(new URL('./loadgen.js', import.meta.url));

/** Flood control and the per-address limit off, room for the idle scenario's 10,000 users. */
export const CHAT_SERVER_ARGS = ['--max-clients', '30000', '--max-per-ip', '0', '--rate', '0'];

export const pinned = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0 && cpus().length >= 2;
export const hasRedis = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

/** The options chat-server lists in --help: rows for features it does not have say so. */
const help = spawnSync(process.execPath, [CHAT_SERVER, '--help'], { encoding: 'utf8' }).stdout ?? '';
export const chatServerHas = (option: string): boolean => new RegExp(`^\\s*(-\\w, )?${option}\\b`, 'm').test(help);

/** Every child started, so that none outlives the run, whatever fails. */
const children = new Set<ChildProcess>();
process.on('exit', () =>
  children.forEach((child) => {
    child.kill('SIGKILL');
  }),
);

/**
 * Runs ARGV on CORE (when pinned), with as many open files as the hard limit allows: the
 * idle scenario holds 10,000 connections on each side.
 */
function launch(argv: string[], core: number, stdio: ('ignore' | 'pipe' | 'inherit' | number)[]): ChildProcess {
  const pin = pinned ? ['taskset', '-c', String(core)] : [];
  const child = spawn('sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'sh', ...pin, ...argv], { stdio });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export interface Running {
  /** Every process that serves the chat: their CPU time is the cost of the load. */
  pids: number[];
  /** Where clients connect; client i to ports[i % ports.length]. */
  ports: number[];
  stop(): Promise<void>;
}

/**
 * Starts a server that prints "listening on HOST:PORT" first (chat-server then "irc on
 * HOST:PORT" with --irc-port, "web on HOST:PORT" with --web-port); resolves with the port of
 * the line ADDRESS names. Its stderr goes to a file.
 */
async function startOne(argv: string[], dir: string, address = 'listening'): Promise<{ child: ChildProcess; port: number }> {
  const announced = new RegExp(`^${address} on .*:(\\d+)\\s*$`, 'm');
  const log = join(dir, `server-${children.size}.log`);
  const fd = openSync(log, 'w');
  const child = launch(argv, 0, ['ignore', 'pipe', fd]);
  closeSync(fd);
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      text += chunk;
      const m = announced.exec(text);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', () => {
      let said = '';
      try {
        said = readFileSync(log, 'utf8').slice(-500);
      } catch {}
      reject(new Error(`${argv.slice(0, 2).join(' ')} exited before listening: ${said.trim() || text.trim()}`));
    });
  });
  return { child, port };
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** A private temporary directory per server: its log, its database. */
export function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'chat-bench-'));
}

export async function startFloor(): Promise<Running> {
  return startInScratch(() => [process.execPath, FLOOR, '0', '127.0.0.1']);
}

/**
 * chat-server with the benchmark's limits plus EXTRA; `{dir}` in EXTRA is its scratch folder.
 * With DIALECT irc it also serves IRC (--irc-port), and its clients connect there; with web,
 * IRC and IRC over WebSocket (--irc-port, --web-port), and its clients connect to the web port.
 */
export async function startChatServer(extra: string[] = [], dialect: Dialect = 'line'): Promise<Running> {
  const ports = { line: [], irc: ['--irc-port', '0'], web: ['--irc-port', '0', '--web-port', '0'] }[dialect];
  return startInScratch((dir) => {
    const args = [...CHAT_SERVER_ARGS, ...ports, ...extra].map((a) => a.replaceAll('{dir}', dir));
    return [process.execPath, CHAT_SERVER, '--host', '127.0.0.1', '--port', '0', ...args];
  }, { line: 'listening', irc: 'irc', web: 'web' }[dialect]);
}

/** One server process run from a scratch folder of its own, which goes when it stops (or fails to start). */
async function startInScratch(argv: (dir: string) => string[], address?: string): Promise<Running> {
  const dir = scratch();
  try {
    const { child, port } = await startOne(argv(dir), dir, address);
    return {
      pids: [child.pid!],
      ports: [port],
      stop: async () => {
        await kill(child);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Two chat-servers on one redis-server, all three on the server's core. */
export async function startCluster(): Promise<Running> {
  const cleanups: (() => void)[] = [];
  const redis = await TestRedis.start({ after: (fn) => cleanups.push(fn) }, { wrap: pinned ? ['taskset', '-c', '0'] : [] });
  const servers: Running[] = [];
  const stop = async (): Promise<void> => {
    for (const s of servers) await s.stop();
    await redis.stop();
    cleanups.forEach((fn) => {
      fn();
    });
  };
  try {
    for (let i = 0; i < 2; i++) servers.push(await startChatServer(['--redis', redis.url]));
  } catch (err) {
    await stop();
    throw err;
  }
  return { pids: [...servers.flatMap((s) => s.pids), redis.pid!], ports: servers.flatMap((s) => s.ports), stop };
}

/** Runs the load generator on core 1 against SERVER; resolves with its one-line answer. */
export function runLoad(server: Running, config: Omit<LoadConfig, 'ports' | 'pids'>): Promise<LoadResult> {
  const full: LoadConfig = { ...config, ports: server.ports, pids: server.pids };
  const child = launch([process.execPath, LOADGEN, JSON.stringify(full)], 1, ['ignore', 'pipe', 'inherit']);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => (out += chunk));
    child.once('exit', (code) => {
      try {
        resolve(JSON.parse(out) as LoadResult);
      } catch {
        reject(new Error(`the load generator exited (${code}) without a result: ${out.slice(0, 300)}`));
      }
    });
  });
}
