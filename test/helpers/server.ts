import type { TestContext } from 'node:test';
import { ChatServer, type ChatServerOptions } from '../../src/index.js';

/** A server on a free port, closed when the test ends (STYLE.md, point 11). */
export async function startServer(t: TestContext, options: ChatServerOptions = {}): Promise<{ server: ChatServer; host: string; port: number }> {
  const server = new ChatServer({ host: '127.0.0.1', port: 0, ...options });
  const address = await server.listen();
  t.after(() => server.close());
  return { server, ...address };
}
