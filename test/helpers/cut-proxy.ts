import net from 'node:net';
import type { TestContext } from 'node:test';

/**
 * A TCP relay between a client and a real server, to lose a connection the way a network
 * does while the server (and what it remembers) carries on. `cut()` drops every relayed
 * connection and holds new ones (accepted, not relayed) until `restore()`. `stall()` keeps
 * the connections and relays nothing either way until `unstall()`: a slow network.
 */
export class CutProxy {
  readonly port: number;
  readonly #pairs = new Set<[net.Socket, net.Socket | undefined]>();
  #held: (() => void)[] = [];
  #cut = false;

  private constructor(server: net.Server) {
    this.port = (server.address() as net.AddressInfo).port;
  }

  static async start(t: TestContext, target: number): Promise<CutProxy> {
    let proxy: CutProxy | undefined;
    const server = net.createServer((client) => {
      client.on('error', () => {});
      const pair: [net.Socket, net.Socket | undefined] = [client, undefined];
      proxy!.#pairs.add(pair);
      client.on('close', () => {
        pair[1]?.destroy();
        proxy!.#pairs.delete(pair);
      });
      const relay = (): void => {
        if (client.destroyed) return;
        const upstream = net.connect({ host: '127.0.0.1', port: target });
        pair[1] = upstream;
        upstream.on('error', () => client.destroy());
        upstream.on('close', () => client.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
      };
      if (proxy!.#cut) proxy!.#held.push(relay);
      else relay();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new CutProxy(server);
    t.after(async () => {
      for (const [a, b] of proxy!.#pairs) {
        a.destroy();
        b?.destroy();
      }
      await new Promise((resolve) => server.close(resolve));
    });
    return proxy;
  }

  /** Connections made since cut() and waiting to be relayed. */
  get held(): number {
    return this.#held.length;
  }

  cut(): void {
    this.#cut = true;
    for (const [a, b] of this.#pairs) {
      a.destroy();
      b?.destroy();
    }
  }

  stall(): void {
    for (const [a, b] of this.#pairs) {
      a.unpipe();
      b?.unpipe();
    }
  }

  unstall(): void {
    for (const [a, b] of this.#pairs) {
      if (b === undefined) continue;
      a.pipe(b);
      b.pipe(a);
    }
  }

  restore(): void {
    this.#cut = false;
    const held = this.#held;
    this.#held = [];
    for (const relay of held) relay();
  }
}
