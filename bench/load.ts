/**
 * The load generator: real sockets against a server speaking the chat protocol, driven
 * from one process. It measures what the server delivers, not what it accepts.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';

export class LoadClient {
  readonly socket: net.Socket;
  onLine: (line: string) => void = () => {};
  #rest = '';

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      const text = this.#rest + chunk;
      let start = 0;
      for (let lf = text.indexOf('\n'); lf !== -1; lf = text.indexOf('\n', start)) {
        this.onLine(text.slice(start, lf));
        start = lf + 1;
      }
      this.#rest = text.slice(start);
    });
    socket.on('error', () => {});
  }

  /** Connects and registers NAME; resolves once the server says so. */
  static connect(port: number, name: string): Promise<LoadClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      const client = new LoadClient(socket);
      socket.once('error', reject);
      client.onLine = (line) => {
        if (line === `* registered as ${name}`) {
          client.onLine = () => {};
          resolve(client);
        }
      };
      socket.write(`#${name}\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * Opens N registered clients, CONCURRENCY at a time. With several ports (servers of one
 * chat), client i goes to ports[i % ports.length].
 */
export async function openClients(port: number | number[], n: number, prefix = 'u', concurrency = 200): Promise<LoadClient[]> {
  const ports = typeof port === 'number' ? [port] : port;
  const clients: LoadClient[] = [];
  for (let i = 0; i < n; i += concurrency) {
    const wave = Array.from({ length: Math.min(concurrency, n - i) }, (_, k) =>
      LoadClient.connect(ports[(i + k) % ports.length]!, `${prefix}${i + k}`),
    );
    clients.push(...(await Promise.all(wave)));
  }
  return clients;
}

export interface Throughput {
  /** Messages delivered per second (for the room: messages x recipients). */
  perSecond: number;
  delivered: number;
  seconds: number;
  p50ms: number;
  p99ms: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

function summarise(delivered: number, seconds: number, latencies: number[]): Throughput {
  const sorted = Float64Array.from(latencies).sort();
  return { perSecond: delivered / seconds, delivered, seconds, p50ms: percentile(sorted, 50), p99ms: percentile(sorted, 99) };
}

/** One scenario's run: a warm-up, then MS of counting deliveries and latencies, then stop. */
class Run {
  running = true;
  measuring = false;
  count = 0;
  readonly latencies: number[] = [];

  async measure(ms: number, clients: LoadClient[]): Promise<Throughput> {
    await sleep(Math.min(500, ms / 2)); // warm up
    this.measuring = true;
    const started = performance.now();
    await sleep(ms);
    this.measuring = false;
    const seconds = (performance.now() - started) / 1000;
    this.running = false;
    await sleep(200); // let what is in flight land before the sockets go
    clients.forEach((c) => c.close());
    return summarise(this.count, seconds, this.latencies);
  }
}

const pad = (text: string, size: number): string => (text.length >= size ? text : text + ' '.repeat(size - text.length));

/**
 * Direct messages: each client keeps WINDOW messages to random others in flight and sends
 * another each time one is delivered. 64-byte lines. With several ports (servers of one
 * chat), every message goes to a client of another server.
 */
export async function directMessages(port: number | number[], opts: { clients: number; window: number; ms: number }): Promise<Throughput> {
  const servers = typeof port === 'number' ? 1 : port.length;
  const clients = await openClients(port, opts.clients, 'd');
  const outstanding = new Int32Array(clients.length);
  const run = new Run();

  const pump = (i: number): void => {
    if (!run.running) return;
    let batch = '';
    while (outstanding[i]! < opts.window) {
      let j = Math.floor(Math.random() * (clients.length - 1));
      if (j >= i) j += 1;
      // Across servers: move j to the next server over (client j is on server j % servers).
      if (servers > 1 && j % servers === i % servers) j = (j + 1) % clients.length;
      batch += `${pad(`@d${j}:${i} ${performance.now().toFixed(3)}`, 63)}\n`;
      outstanding[i]! += 1;
    }
    if (batch) clients[i]!.socket.write(batch);
  };
  clients.forEach((c) => {
    c.onLine = (line) => {
      if (line[0] !== '*' || line[1] === ' ') return; // "*dN* i t0"
      const close = line.indexOf('*', 1);
      const rest = line.slice(close + 2);
      const space = rest.indexOf(' ');
      const from = Number(rest.slice(0, space));
      outstanding[from]! -= 1;
      if (run.measuring) {
        run.count += 1;
        run.latencies.push(performance.now() - Number(rest.slice(space + 1)));
      }
      pump(from);
    };
  });
  clients.forEach((_, i) => pump(i));
  return run.measure(opts.ms, clients);
}

/**
 * The room: CLIENTS registered, SENDERS of them each keeping WINDOW room messages in flight;
 * a message counts once its last recipient has it. Deliveries are messages x recipients.
 */
export async function roomMessages(
  port: number,
  opts: { clients: number; senders: number; window: number; ms: number },
): Promise<Throughput> {
  const clients = await openClients(port, opts.clients, 'r');
  const recipients = clients.length - 1;
  const outstanding = new Int32Array(opts.senders);
  const pending = new Map<string, { left: number; t0: number }>();
  let seq = 0;
  const run = new Run();

  const pump = (s: number): void => {
    if (!run.running) return;
    let batch = '';
    while (outstanding[s]! < opts.window) {
      const id = `${s}.${seq++}`;
      const t0 = performance.now();
      pending.set(id, { left: recipients, t0 });
      batch += `${pad(`${id} ${t0.toFixed(3)}`, 56)}\n`;
      outstanding[s]! += 1;
    }
    if (batch) clients[s]!.socket.write(batch);
  };
  clients.forEach((c) => {
    c.onLine = (line) => {
      if (line[0] !== '<') return;
      const start = line.indexOf('> ') + 2;
      const id = line.slice(start, line.indexOf(' ', start));
      const entry = pending.get(id);
      if (!entry) return;
      if (run.measuring) run.count += 1;
      if (--entry.left > 0) return;
      pending.delete(id);
      if (run.measuring) run.latencies.push(performance.now() - entry.t0);
      const s = Number(id.slice(0, id.indexOf('.')));
      outstanding[s]! -= 1;
      pump(s);
    };
  });
  for (let s = 0; s < opts.senders; s++) pump(s);
  return run.measure(opts.ms, clients);
}

/** Connects plus registrations per second, CONCURRENCY at a time, each closed after. */
export async function connectRate(port: number, opts: { n: number; concurrency: number }): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < opts.n) {
      const c = await LoadClient.connect(port, `c${next++}`);
      c.close();
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return opts.n / ((performance.now() - started) / 1000);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
