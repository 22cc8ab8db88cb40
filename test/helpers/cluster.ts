import type { TestContext } from 'node:test';
import { type Running, runServer } from './cli.js';
import { TestRedis } from './redis.js';
import type { WireClient } from './wire-client.js';

export type Server = Running & { port: number };

/** N chat-server processes on one Redis of the test's own, as docs/cluster.md runs them. */
export async function cluster(t: TestContext, n: number, leaseMs = 1000, extraArgs: string[] = []): Promise<{ redis: TestRedis; servers: Server[] }> {
  const redis = await TestRedis.start(t);
  const servers: Server[] = [];
  for (let i = 0; i < n; i++) {
    servers.push(await runServer(t, ['--redis', redis.url, '--redis-lease', String(leaseMs), '--rate', '0', ...extraArgs]));
  }
  return { redis, servers };
}

/** Every line a client got after registering, up to the pong of a /ping sent now. */
export async function linesUntilSynced(client: WireClient): Promise<string[]> {
  const token = `fence${Math.random().toString(36).slice(2)}`;
  client.send(`/ping ${token}`);
  const lines: string[] = [];
  for (let line = await client.next(); line !== `* pong ${token}`; line = await client.next()) {
    if (line === undefined) throw new Error(`connection closed; got ${JSON.stringify(lines)}`);
    lines.push(line);
  }
  return lines;
}

let fences = 0;

/**
 * Waits until what FROM (called FROM_NAME) sent so far has reached TO's server, skipping TO's
 * lines up to then: one stream, read in order, so a direct message from FROM arrives after
 * FROM's earlier notices. A user who registers on one server may otherwise still get, from
 * the stream, the "joined" of someone who registered on another server just before.
 */
export async function fence(from: WireClient, fromName: string, to: WireClient, toName: string): Promise<void> {
  const token = `fence ${++fences}`;
  from.send(`@${toName}:${token}`);
  await to.lines.until(new RegExp(`^\\*${fromName}\\* ${token}$`));
}
