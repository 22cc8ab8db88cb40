import net from 'node:net';
import type { TestContext } from 'node:test';
import { LineClient, loggedInAs, register, sendFirst } from './line-client.js';

/** A raw TCP client, as nc would be: writes bytes, reads lines. No protocol knowledge beyond that. */
export class WireClient extends LineClient {
  private constructor(
    readonly socket: net.Socket,
    label: string,
  ) {
    super(socket, label);
  }

  /** Connects and takes the connected notice and the greeting. */
  static async connect(t: TestContext, port: number, label = 'client'): Promise<WireClient> {
    // No Nagle: a line written while the one before is unacknowledged goes at once, not after
    // the server's delayed ACK (40 ms a round trip on Linux), as nc's lines typed apart do.
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new WireClient(socket, label);
    t.after(() => client.socket.destroy());
    return client;
  }

  /** Connects, reads the connected notice and greeting, registers as NAME. */
  static async registered(t: TestContext, port: number, name: string): Promise<WireClient> {
    return register(await WireClient.connect(t, port, name), name);
  }

  /** Connects and sends LINE (a registration, say); resolves with the client and the first reply. */
  static async login(t: TestContext, port: number, line: string): Promise<{ c: WireClient; reply: string | undefined }> {
    return sendFirst(await WireClient.connect(t, port), line);
  }

  /** Connects and logs in as NAME with PASSWORD, on a server with accounts. */
  static async loggedIn(t: TestContext, port: number, name: string, password: string): Promise<WireClient> {
    return loggedInAs(name, await WireClient.login(t, port, `#${name} ${password}`));
  }
}
