import net from 'node:net';
import type { TestContext } from 'node:test';
import { LineQueue } from './lines.js';

/** One connection to a StandIn: what the client sent, and a way to answer it. */
export interface StandInConnection {
  /** The lines the client sent, in order. */
  readonly received: LineQueue;
  send(line: string): void;
  /** Cuts the connection from the server's side, as a crash or a lost network would. */
  cut(): void;
}

/**
 * A stand-in for chat-server that speaks just enough of the protocol for a client to log
 * in (with a password and a device too), join rooms and ping, and records every line it gets: tests check the wire with it.
 * `answer` handles the lines it does not (return false to fall back to the defaults); by
 * default `/history` gets `! unknown command: /history`, as a server older than history does.
 */
export class StandIn {
  readonly port: number;
  readonly #waiting: ((c: StandInConnection) => void)[] = [];
  readonly #arrived: StandInConnection[] = [];

  private constructor(server: net.Server) {
    this.port = (server.address() as net.AddressInfo).port;
  }

  static async start(t: TestContext, answer: (line: string, c: StandInConnection) => boolean = () => false): Promise<StandIn> {
    const sockets = new Set<net.Socket>();
    let standIn: StandIn | undefined;
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
      const received = new LineQueue(socket, 'stand-in received');
      const c: StandInConnection = {
        received,
        send: (line) => void (socket.writable && socket.write(`${line}\n`)),
        cut: () => socket.destroy(),
      };
      let name = '';
      c.send(`* connected from 127.0.0.1:${socket.remotePort}`);
      c.send('* welcome: register with #yourname');
      // Its own reader: the queue is the test's.
      let partial = '';
      socket.on('data', (chunk: Buffer | string) => {
        const parts = (partial + String(chunk)).split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) {
          if (answer(line, c)) continue;
          let m: RegExpExecArray | null;
          // `#NAME`, `#NAME PASSWORD`, `#NAME@DEVICE PASSWORD`: any password will do.
          if ((m = /^#([^\s@]+)(?:@\S+)?(?: .*)?$/.exec(line))) c.send(name ? `* you are now ${(name = m[1]!)}` : `* registered as ${(name = m[1]!)}`);
          else if ((m = /^\/who (\S+)$/.exec(line))) c.send(`* in ${m[1]} (1): ${name}`);
          else if ((m = /^\/join #?(\S+)$/.exec(line))) c.send(`* you are in ${m[1]}`);
          else if ((m = /^\/ping ?(.*)$/.exec(line))) c.send(`* pong ${m[1]}`);
          else if (/^\/history\b/i.test(line)) c.send('! unknown command: /history');
          else if (/^\/quit\b/.test(line)) socket.end();
        }
      });
      standIn!.#arrive(c);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    standIn = new StandIn(server);
    t.after(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    });
    return standIn;
  }

  /** The next connection made to it (connections already made are handed out in order first). */
  connection(): Promise<StandInConnection> {
    const c = this.#arrived.shift();
    if (c) return Promise.resolve(c);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #arrive(c: StandInConnection): void {
    const waiter = this.#waiting.shift();
    if (waiter) waiter(c);
    else this.#arrived.push(c);
  }
}
