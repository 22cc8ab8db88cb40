#!/usr/bin/env node
/**
 * The load generator: one Node process that outruns a server on the other core. Clients
 * keep a window of messages in flight (closed loop), each message carries a marker
 * (markers.ts) that its receivers find in the raw bytes they read, writes are batched per
 * socket per event-loop turn, and reads go into one shared buffer: no line splitting, no
 * string per message received. Every phase is bounded in time. WebSocket clients (dialect
 * web) read through ws, a message at a time, and write a turn's frames in one write.
 *
 * usage: node loadgen.js 'LOAD-CONFIG-JSON'   (see load-config.ts); prints one JSON line,
 * a LoadResult. The server's CPU time is read from /proc over the measured window.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { Histogram } from './histogram.js';
import { failedLoad, type LoadConfig, type LoadResult } from './load-config.js';
import { marker, MarkerScanner } from './markers.js';
import { cpuSeconds, isAlive, openFiles, rssKiB } from './proc-stats.js';
import { frameLines, ServerFrames } from './web-frames.js';

const config = JSON.parse(process.argv[2] ?? '{}') as LoadConfig;
const T0 = performance.now();
const nowUs = (): number => Math.round((performance.now() - T0) * 1000);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const serverCpu = (): number => config.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);

let dropped = 0;
/** After the run, closes are ours: they are not the server dropping anyone. */
let ending = false;

// ---------- clients ----------

/** Read into one buffer for all sockets: it is scanned at once, before the next read. */
const READ_BUFFER = Buffer.allocUnsafe(1 << 18);

interface Client {
  readonly index: number;
  ready: boolean;
  closing: boolean;
  /** Lines queued this event-loop turn. */
  out: string;
  /** Sends a turn's lines, as the dialect words them (speech), at once. */
  write(text: string): void;
  /** Closes the connection at once. */
  destroy(): void;
  /** Whether the connection is still open. */
  isOpen(): boolean;
}

interface ClientEvents {
  ready(client: Client): void;
  failed(client: Client): void;
  /** A marker read by this (registered) client. */
  marker(receiver: number, sender: number, seq: number, sentUs: number): void;
}

// ---------- dialects: what a client says, and what it waits for ----------

/** What the clients of one dialect (load-config.ts) say to register and to send. */
interface Speech {
  /** What registers NAME and, sitting in EXTRA rooms more than the lobby, joins them (the lobby last). */
  register(name: string, extra: number): string;
  /** Whether SETUP (all read so far) shows the registration, and the joins, done. */
  ready(setup: string, name: string, extra: number): boolean;
  /** Whether SETUP shows the server refusing this connection (full, name taken). */
  refused(setup: string): boolean;
  /** A direct message of TEXT to TO, line end included. */
  direct(to: string, text: string): string;
  /** A message of TEXT to the current room. */
  room(text: string): string;
}

const LINE: Speech = {
  register: (name, extra) => `#${name}\n${extra > 0 ? `${Array.from({ length: extra }, (_, i) => `/join r${i + 1}\n`).join('')}/join lobby\n` : ''}`,
  // Registered, or, sitting in several rooms, back in the lobby.
  ready: (setup, name, extra) => setup.includes(extra > 0 ? '* you are in lobby\n' : `* registered as ${name}\n`),
  // "! server full", "! name taken": this connection will not be registered.
  refused: (setup) => setup.startsWith('! ') || setup.includes('\n! '),
  direct: (to, text) => `@${to}:${text}\n`,
  room: (text) => `${text}\n`,
};

/** IRC as clients speak it: the welcome burst ends with the MOTD, or 422 (no MOTD). */
const IRC: Speech = {
  register: (name) => `NICK ${name}\r\nUSER ${name} 0 * :${name}\r\n`,
  ready: (setup, name) => setup.includes(` 422 ${name} `) || setup.includes(` 376 ${name} `),
  // ERROR (closing: server full), 432/433/436 (the nick refused or taken).
  refused: (setup) => /(^|\n)(ERROR |:\S+ 43[236] )/.test(setup),
  direct: (to, text) => `PRIVMSG ${to} :${text}\r\n`,
  room: () => {
    throw new Error('the irc dialect has no room scenario here');
  },
};

/**
 * IRC over WebSocket: the same words, one line a message, without CR or LF on the wire.
 * Lines are ended by LF here only to be told apart: the client frames each as a message
 * (web-frames.ts), and each message read is set-up text with an LF added.
 */
const WEB: Speech = {
  ...IRC,
  register: (name) => `NICK ${name}\nUSER ${name} 0 * :${name}\n`,
  direct: (to, text) => `PRIVMSG ${to} :${text}\n`,
};

const speech = config.dialect === 'irc' ? IRC : config.dialect === 'web' ? WEB : LINE;

/** What a client does with what it reads: before registration, set-up text; after, markers. */
type Reader = (buf: Buffer, n: number) => void;

/** Connects, registers NAME, reports the registration done (speech.ready) or a failure. */
function connect(index: number, name: string, port: number, events: ClientEvents): Client {
  const scanner = new MarkerScanner();
  const extraRooms = Math.max(0, (config.rooms ?? 1) - 1);
  let setup = '';
  let settled = false;
  const onMarker = (sender: number, seq: number, sentUs: number): void => events.marker(index, sender, seq, sentUs);
  const read: Reader = (buf, n) => {
    if (client.ready) return scanner.scan(buf, n, onMarker);
    setup += buf.toString('latin1', 0, n);
    if (config.dialect === 'web') setup += '\n';
    if (speech.ready(setup, name, extraRooms)) {
      client.ready = true;
      settled = true;
      setup = '';
      events.ready(client);
    } else if (speech.refused(setup)) fail();
  };
  const fail = (): void => {
    if (settled) return;
    settled = true;
    client.closing = true;
    client.destroy();
    events.failed(client);
  };
  const closed = (): void => {
    if (!client.ready) return fail();
    if (!client.closing && !ending) dropped++;
  };
  const transport = config.dialect === 'web' ? webSocketClient : tcpClient;
  const client: Client = transport(index, port, speech.register(name, extraRooms), read, closed);
  return client;
}

/** A TCP client (line protocol, IRC): reads go to the shared buffer, REGISTER is written once connected. */
function tcpClient(index: number, port: number, register: string, read: Reader, closed: () => void): Client {
  const socket = net.connect({
    host: '127.0.0.1',
    port,
    noDelay: true,
    onread: {
      buffer: READ_BUFFER,
      // Returns true: false would pause the socket.
      callback: (n: number, buf: Uint8Array): boolean => {
        read(buf as Buffer, n);
        return true;
      },
    },
  });
  socket.on('connect', () => socket.write(register));
  socket.on('error', () => {});
  socket.on('close', closed);
  return {
    index,
    ready: false,
    closing: false,
    out: '',
    write: (text) => void socket.write(text),
    destroy: () => void socket.destroy(),
    isOpen: () => !socket.destroyed,
  };
}

/**
 * A WebSocket client (ws) of IRC over WebSocket: ws makes the opening handshake (offering
 * text.ircv3.net) and checks its answer; REGISTER's lines go as messages (ws's send). From
 * then on the socket is read here (ServerFrames: a read's messages as one buffer of lines,
 * as a TCP read), and a turn's lines go as frames made here (web-frames.ts) in one write:
 * ws's send costs a write a message, and its reading an event a message.
 */
function webSocketClient(index: number, port: number, register: string, read: Reader, closed: () => void): Client {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, ['text.ircv3.net'], {
    perMessageDeflate: false,
    // Whether the server's text is UTF-8 is not measured here; the markers are ASCII.
    skipUTF8Validation: true,
    handshakeTimeout: config.timeoutMs,
  });
  let socket: net.Socket | undefined;
  ws.once('upgrade', (res) => {
    socket = res.socket as net.Socket;
  });
  ws.once('open', () => {
    for (const line of register.split('\n')) if (line) ws.send(line);
    // The server sends nothing before the registration, so ws has read nothing yet: its
    // reader leaves the socket to ours. ws still sees the socket close ('close' below).
    if (socket === undefined) return;
    const frames = new ServerFrames();
    socket.removeAllListeners('data');
    socket.on('data', (chunk: Buffer) => {
      const lines = frames.read(chunk);
      if (lines.length > 0) read(lines, lines.length);
    });
  });
  ws.on('error', () => {});
  ws.once('close', closed);
  return {
    index,
    ready: false,
    closing: false,
    out: '',
    write: (text) => {
      if (socket && ws.readyState === WebSocket.OPEN) socket.write(frameLines(text));
    },
    destroy: () => ws.terminate(),
    isOpen: () => ws.readyState === WebSocket.OPEN,
  };
}

let flushList: Client[] = [];
function flushAll(): void {
  const list = flushList;
  flushList = [];
  for (const c of list) {
    const out = c.out;
    c.out = '';
    if (!c.closing) c.write(out);
  }
}
/** Queues TEXT for CLIENT: one write per socket per event-loop turn. */
function send(client: Client, text: string): void {
  if (client.out === '' && flushList.push(client) === 1) setImmediate(flushAll);
  client.out += text;
}

/**
 * Opens COUNT registered clients, CONCURRENCY at a time, client i on ports[i % ports.length];
 * resolves with the clients (ready or not) once all are settled or set-up time is out.
 */
function openClients(count: number, prefix: string, onMarker: ClientEvents['marker']): Promise<Client[]> {
  return new Promise((resolve) => {
    const clients: Client[] = [];
    let started = 0;
    let settled = 0;
    const deadline = setTimeout(() => resolve(clients), config.setupMs);
    const events: ClientEvents = {
      ready: () => settle(),
      failed: () => settle(),
      marker: onMarker,
    };
    const settle = (): void => {
      settled++;
      if (settled === count) {
        clearTimeout(deadline);
        resolve(clients);
      } else startMore();
    };
    const startMore = (): void => {
      while (started < count && started - settled < config.concurrency) {
        const i = started++;
        clients.push(connect(i, `${prefix}${i}`, config.ports[i % config.ports.length]!, events));
      }
    };
    startMore();
  });
}

function closeAll(clients: Client[]): void {
  ending = true;
  for (const c of clients) {
    c.closing = true;
    c.destroy();
  }
}

// ---------- dm and room: a closed loop of messages in flight ----------

/** Per sender, a ring of message slots; a slot is reused RING messages later. */
const RING = 4096;
// Slot states; a slot never used is 0.
const IN_FLIGHT = 1;
const DONE = 2;
const EXPIRED = 3;

async function traffic(): Promise<LoadResult> {
  const dm = config.scenario === 'dm';
  const senders = dm ? config.clients : Math.min(config.senders, config.clients);
  const recipients = dm ? 1 : config.clients - 1;
  const slots = senders * RING;
  const seqAt = new Int32Array(slots).fill(-1);
  const sentAt = new Float64Array(slots);
  const dest = new Int32Array(slots);
  const remain = new Int32Array(slots);
  const state = new Uint8Array(slots);
  const nextSeq = new Int32Array(senders);
  const inFlight = new Int32Array(senders);
  const oldest = new Int32Array(senders);
  const hist = new Histogram();
  const pad = 'x'.repeat(config.size);
  let sending = false;
  let winStart = Infinity;
  let winEnd = Infinity;
  let sent = 0;
  let delivered = 0;
  let deliveredInWindow = 0;
  let lost = 0;
  let misrouted = 0;

  const onMarker = (receiver: number, sender: number, seq: number, sentUs: number): void => {
    if (sender >= senders) return void misrouted++;
    const k = sender * RING + (seq & (RING - 1));
    if (seqAt[k] !== seq) return; // from a slot long reused: it was counted lost
    const st = state[k];
    if (st === DONE) return void misrouted++; // a second time
    if (st !== IN_FLIGHT) return; // arrived after it was counted lost
    if (dm ? dest[k] !== receiver : receiver === sender) return void misrouted++;
    delivered++;
    const now = nowUs();
    if (now >= winStart && now <= winEnd) {
      deliveredInWindow++;
      hist.add(now - sentUs);
    }
    if (--remain[k]! === 0) {
      state[k] = DONE;
      inFlight[sender]!--;
      refill(sender);
    }
  };

  const clients = await openClients(config.clients, 'c', onMarker);
  const ready = clients.filter((c) => c.ready).length;
  if (ready < config.clients) {
    closeAll(clients);
    return failure(`set-up: ${ready} of ${config.clients} clients registered`);
  }
  await sleep(300); // presence notices of the set-up go out before the load starts

  let refillList: number[] = [];
  const queued = new Uint8Array(senders);
  const refillAll = (): void => {
    const list = refillList;
    refillList = [];
    for (const s of list) {
      queued[s] = 0;
      fill(s);
    }
  };
  // Senders whose messages arrived are topped up once per turn, so that their lines batch.
  const refill = (s: number): void => {
    if (!sending || queued[s]) return;
    queued[s] = 1;
    if (refillList.push(s) === 1) setImmediate(refillAll);
  };
  const fill = (s: number): void => {
    if (!sending) return;
    const client = clients[s]!;
    const t = nowUs();
    let out = '';
    while (inFlight[s]! < config.window) {
      const seq = nextSeq[s]!++;
      const k = s * RING + (seq & (RING - 1));
      if (state[k] === IN_FLIGHT) {
        lost++; // its slot is needed again: it has been in flight for RING messages
        inFlight[s]!--;
      }
      seqAt[k] = seq;
      sentAt[k] = t;
      state[k] = IN_FLIGHT;
      remain[k] = recipients;
      inFlight[s]!++;
      const m = marker(s, seq, t);
      const text = `${m} ${pad.slice(0, Math.max(0, config.size - m.length - 1))}`;
      if (dm) {
        let to = Math.floor(Math.random() * (config.clients - 1));
        if (to >= s) to++;
        dest[k] = to;
        out += speech.direct(`c${to}`, text);
      } else out += speech.room(text);
      sent++;
    }
    if (out) send(client, out);
  };
  const expire = (): void => {
    const limit = nowUs() - config.timeoutMs * 1000;
    for (let s = 0; s < senders; s++) {
      if (nextSeq[s]! - oldest[s]! > RING) oldest[s] = nextSeq[s]! - RING;
      let advancing = true;
      for (let seq = oldest[s]!; seq < nextSeq[s]!; seq++) {
        const k = s * RING + (seq & (RING - 1));
        if (seqAt[k] === seq && state[k] === IN_FLIGHT) {
          if (sentAt[k]! < limit) {
            state[k] = EXPIRED;
            lost++;
            inFlight[s]!--;
            refill(s);
          } else advancing = false;
        }
        if (advancing) oldest[s] = seq + 1;
      }
    }
  };

  sending = true;
  const start = nowUs();
  winStart = start + config.warmupMs * 1000;
  winEnd = winStart + config.windowMs * 1000;
  const expiry = setInterval(expire, 100);
  for (let s = 0; s < senders; s++) fill(s);
  const { cpu, load } = await measuredWindow();
  sending = false;
  const drainEnd = performance.now() + config.drainMs;
  while (performance.now() < drainEnd && inFlight.some((n) => n > 0)) await sleep(20);
  clearInterval(expiry);
  for (let k = 0; k < slots; k++) if (state[k] === IN_FLIGHT) lost++;
  closeAll(clients);
  return windowResult(config.scenario, deliveredInWindow, cpu, load, hist, { sent, delivered, lost, misrouted, dropped });
}

/**
 * A scenario's result: COUNT events in the measured window, which cost the servers CPU
 * seconds and the load generator LOAD, with their latencies in HIST.
 */
function windowResult(
  scenario: LoadResult['scenario'],
  count: number,
  cpu: number,
  load: { user: number; system: number },
  hist: Histogram,
  counts: Pick<LoadResult, 'sent' | 'delivered' | 'lost' | 'misrouted' | 'dropped'>,
): LoadResult {
  const seconds = config.windowMs / 1000;
  return {
    scenario,
    perSecond: count / seconds,
    perCpuSecond: count / cpu,
    serverCpuPct: (cpu / seconds) * 100,
    loadCpuPct: ((load.user + load.system) / 1e6 / seconds) * 100,
    p50Us: hist.quantile(0.5),
    p99Us: hist.quantile(0.99),
    maxUs: hist.max,
    ...counts,
    ...alive(),
  };
}

// ---------- connect: connect, register, close, again ----------

async function connects(): Promise<LoadResult> {
  const hist = new Histogram();
  let running = true;
  let attempts = 0;
  let completed = 0;
  let inWindow = 0;
  let failed = 0;
  let winStart = Infinity;
  let winEnd = Infinity;
  const loop = (): void => {
    if (!running) return;
    const t0 = nowUs();
    const id = attempts++;
    const timer = setTimeout(() => {
      client.closing = true;
      client.destroy(); // its close reports the failure
    }, config.timeoutMs);
    const client = connect(id, `k${id}`, config.ports[id % config.ports.length]!, {
      ready: (c) => {
        clearTimeout(timer);
        const now = nowUs();
        completed++;
        if (t0 >= winStart && now <= winEnd) {
          inWindow++;
          hist.add(now - t0);
        }
        c.closing = true;
        c.destroy();
        setImmediate(loop);
      },
      failed: () => {
        clearTimeout(timer);
        if (running) failed++;
        setTimeout(loop, 10);
      },
      marker: () => {},
    });
  };
  winStart = nowUs() + config.warmupMs * 1000;
  winEnd = winStart + config.windowMs * 1000;
  for (let i = 0; i < config.connectors; i++) loop();
  const { cpu, load } = await measuredWindow();
  running = false;
  ending = true;
  await sleep(200);
  return windowResult('connect', inWindow, cpu, load, hist, { sent: attempts, delivered: completed, lost: failed, misrouted: 0, dropped });
}

// ---------- idle: memory per registered connection held ----------

async function idle(): Promise<LoadResult> {
  const pid = config.pids[0]!;
  const rss0 = rssKiB(pid);
  const files0 = openFiles(pid);
  const clients = await openClients(config.idle, 'i', () => {});
  await sleep(1000); // let the server settle: presence notices, garbage collection
  const rss1 = rssKiB(pid);
  const held = openFiles(pid) - files0;
  const open = clients.filter((c) => c.ready && c.isOpen()).length;
  const counted = Math.min(open, held);
  closeAll(clients);
  return {
    scenario: 'idle',
    perSecond: 0,
    perCpuSecond: 0,
    serverCpuPct: 0,
    loadCpuPct: 0,
    p50Us: null,
    p99Us: null,
    maxUs: 0,
    sent: config.idle,
    delivered: open,
    lost: config.idle - open,
    misrouted: 0,
    dropped,
    kibPerConnection: (rss1 - rss0) / counted,
    held,
    ...alive(),
  };
}

// ---------- the run ----------

/** Waits out the warm-up, then the measured window: the server's and our own CPU over it. */
async function measuredWindow(): Promise<{ cpu: number; load: NodeJS.CpuUsage }> {
  await sleep(config.warmupMs);
  const cpu0 = serverCpu();
  const load0 = process.cpuUsage();
  await sleep(config.windowMs);
  return { cpu: serverCpu() - cpu0, load: process.cpuUsage(load0) };
}

function alive(): { error?: string } {
  const dead = config.pids.filter((pid) => !isAlive(pid));
  return dead.length ? { error: `server process ${dead.join(', ')} died` } : {};
}

function failure(error: string): LoadResult {
  return failedLoad(config.scenario, error, 0, dropped);
}

function report(result: LoadResult): void {
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
}

// Whatever the server does, this process ends.
const hardDeadline = config.setupMs + config.warmupMs + config.windowMs + config.drainMs + 20_000;
setTimeout(() => report(failure(`no result within ${Math.round(hardDeadline / 1000)} s`)), hardDeadline);

const run =
  (config.dialect === 'irc' || config.dialect === 'web') && (config.scenario === 'room' || (config.rooms ?? 1) > 1)
    ? () => Promise.resolve(failure(`the ${config.dialect} dialect has no room scenario here`))
    : { dm: traffic, room: traffic, connect: connects, idle }[config.scenario];
run()
  .then(report)
  .catch((err: unknown) => report(failure(String((err as Error)?.stack ?? err))));
