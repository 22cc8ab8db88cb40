import type net from 'node:net';
import type { Hub } from '../hub/hub.js';
import { listenTcp, type BoundAddress } from '../transport/tcp.js';
import { ChatCore } from './core.js';
import type { CoreOptions } from './options.js';

export interface ChatServerOptions extends Partial<CoreOptions> {
  /** Address to listen on; default 127.0.0.1. */
  host?: string;
  /** Port to listen on; 0 picks a free one. Default 12345. */
  port?: number;
  hub?: Hub;
}

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 12345;

/**
 * A chat server in-process: what `chat-server` runs, and what tests start on port 0.
 *
 *   const server = new ChatServer({ port: 0 });
 *   const { host, port } = await server.listen();
 *   ...
 *   await server.close();
 */
export class ChatServer {
  readonly core: ChatCore;
  readonly #host: string;
  readonly #port: number;
  #server: net.Server | undefined;

  constructor(options: ChatServerOptions = {}) {
    const { host, port, hub, ...core } = options;
    this.core = new ChatCore(core, hub);
    this.#host = host ?? DEFAULT_HOST;
    this.#port = port ?? DEFAULT_PORT;
  }

  /** Binds the port; resolves with the address actually bound (the real port for port 0). */
  async listen(): Promise<BoundAddress> {
    const { server, address } = await listenTcp(this.core, this.#host, this.#port);
    this.#server = server;
    return address;
  }

  /** Says "* server shutting down" to everyone, and resolves once every socket is closed. */
  async close(): Promise<void> {
    const server = this.#server;
    const stopped = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    await Promise.all([this.core.close(), stopped]);
  }
}
