/**
 * The load generator must catch a server that loses, misroutes or duplicates messages, or
 * drops connections: the benchmark fails on exactly those counts. Servers here are small
 * in-process line routers with one fault each; the load generator is the real process.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import WebSocket, { WebSocketServer } from 'ws';
import type { LoadConfig, LoadResult } from '../../bench/load-config.js';

const LOADGEN = fileURLToPath(new URL('../../bench/loadgen.js', import.meta.url));

type Fault = (kind: 'dm' | 'room', count: number) => 'deliver' | 'drop' | 'misroute' | 'twice' | 'hang-up';

/** A chat-protocol router (register, direct, room) whose deliveries go through FAULT. */
async function faultyServer(t: TestContext, fault: Fault): Promise<number> {
  const users = new Map<string, net.Socket>();
  const counts = { dm: 0, room: 0 };
  const server = net.createServer((socket) => {
    let me = '';
    let rest = '';
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    socket.on('close', () => users.get(me) === socket && users.delete(me));
    const deliver = (kind: 'dm' | 'room', to: net.Socket, text: string): void => {
      const what = fault(kind, ++counts[kind]);
      if (what === 'drop') return;
      if (what === 'hang-up') return void to.destroy();
      if (what === 'misroute') {
        const other = [...users.values()].find((s) => s !== to && s !== socket);
        return void other?.write(text);
      }
      to.write(text);
      if (what === 'twice') to.write(text);
    };
    socket.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('#')) {
          me = line.slice(1);
          users.set(me, socket);
          socket.write(`* registered as ${me}\n`);
        } else if (line.startsWith('@')) {
          const colon = line.indexOf(':');
          const to = users.get(line.slice(1, colon));
          if (to) deliver('dm', to, `*${me}* ${line.slice(colon + 1)}\n`);
        } else {
          for (const s of users.values()) if (s !== socket) deliver('room', s, `<${me}> ${line}\n`);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of users.values()) s.destroy();
    server.close();
  });
  return (server.address() as net.AddressInfo).port;
}

async function load(port: number, scenario: LoadConfig['scenario'], over: Partial<LoadConfig> = {}): Promise<LoadResult> {
  const config: LoadConfig = {
    scenario,
    ports: [port],
    pids: [process.pid],
    clients: 6,
    window: 4,
    senders: 2,
    connectors: 2,
    idle: 10,
    concurrency: 6,
    size: 64,
    warmupMs: 100,
    windowMs: 400,
    drainMs: 1500,
    timeoutMs: 600,
    setupMs: 5000,
    ...over,
  };
  const { stdout } = await promisify(execFile)(process.execPath, [LOADGEN, JSON.stringify(config)], { timeout: 30_000 });
  return JSON.parse(stdout) as LoadResult;
}

test('loadgen: a correct server delivers everything, nothing lost or misrouted', async (t) => {
  const port = await faultyServer(t, () => 'deliver');
  for (const scenario of ['dm', 'room'] as const) {
    const r = await load(port, scenario);
    assert.equal(r.error, undefined);
    assert.ok(r.delivered > 0 && r.perSecond > 0, `${scenario}: delivered`);
    assert.deepEqual([r.lost, r.misrouted, r.dropped], [0, 0, 0], scenario);
  }
});

test('loadgen: messages a server drops are counted lost', async (t) => {
  const port = await faultyServer(t, (_, n) => (n % 50 === 0 ? 'drop' : 'deliver'));
  for (const scenario of ['dm', 'room'] as const) {
    const r = await load(port, scenario);
    assert.ok(r.lost > 0, `${scenario}: lost ${r.lost}`);
    assert.ok(r.delivered > 0, 'and the others still flow: a lost message frees its slot after the timeout');
  }
});

test('loadgen: a direct message at the wrong client is misrouted, not delivered', async (t) => {
  const port = await faultyServer(t, (kind, n) => (kind === 'dm' && n % 50 === 0 ? 'misroute' : 'deliver'));
  const r = await load(port, 'dm');
  assert.ok(r.misrouted > 0, `misrouted ${r.misrouted}`);
  assert.ok(r.lost > 0, 'the addressee never got it: lost too');
});

test('loadgen: a message delivered twice is counted as misrouted', async (t) => {
  const port = await faultyServer(t, (kind, n) => (kind === 'dm' && n % 50 === 0 ? 'twice' : 'deliver'));
  const r = await load(port, 'dm');
  assert.ok(r.misrouted > 0, `misrouted ${r.misrouted}`);
});

test('loadgen: a connection the server closes is counted dropped', async (t) => {
  const port = await faultyServer(t, (kind, n) => (kind === 'room' && n === 100 ? 'hang-up' : 'deliver'));
  const r = await load(port, 'room');
  assert.equal(r.dropped, 1);
  assert.ok(r.lost > 0, 'what was on its way to the closed connection never arrived');
});

/**
 * An IRC router as far as the load generator needs one: NICK/USER answered with 001 to 422,
 * PRIVMSG to a nick delivered with the sender as prefix through FAULT, a taken nick refused
 * with 433. A connection gives it lines and takes lines (without their ends) through SAY.
 */
function ircRouter(fault: Fault): (say: (line: string) => void) => { line(line: string): void; closed(): void } {
  const users = new Map<string, (line: string) => void>();
  let count = 0;
  return (say) => {
    let me = '';
    return {
      closed: () => users.get(me) === say && users.delete(me),
      line: (line) => {
        const [command, target] = line.split(' ');
        if (command === 'NICK' && target) {
          if (users.has(target)) say(`:irc 433 * ${target} :Nickname is already in use`);
          else me = target;
        } else if (command === 'USER' && me) {
          users.set(me, say);
          for (const l of [`:irc 001 ${me} :Welcome`, `:irc 005 ${me} CHANTYPES=# :are supported`, `:irc 422 ${me} :MOTD File is missing`]) say(l);
        } else if (command === 'PRIVMSG' && target) {
          const to = users.get(target);
          const text = `:${me}!${me}@irc ${line}`;
          const what = fault('dm', ++count);
          if (!to || what === 'drop') return;
          if (what === 'misroute') [...users.values()].find((s) => s !== to && s !== say)?.(text);
          else to(text);
        }
      },
    };
  };
}

/** The IRC router on TCP: lines end with CR LF. */
async function ircServer(t: TestContext, fault: Fault): Promise<number> {
  const router = ircRouter(fault);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const conn = router((line) => socket.write(`${line}\r\n`));
    let rest = '';
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      conn.closed();
    });
    socket.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\r\n');
      rest = lines.pop()!;
      for (const line of lines) conn.line(line);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return (server.address() as net.AddressInfo).port;
}

/** The IRC router over WebSocket (ws): subprotocol text.ircv3.net, one line a message, no CR or LF. */
async function webIrcServer(t: TestContext, fault: Fault): Promise<number> {
  const router = ircRouter(fault);
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (offered) => (offered.has('text.ircv3.net') ? 'text.ircv3.net' : false) });
  wss.on('connection', (ws) => {
    assert.equal(ws.protocol, 'text.ircv3.net');
    const conn = router((line) => ws.send(line));
    ws.on('error', () => {});
    ws.on('close', () => conn.closed());
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const line = data.toString();
      assert.ok(!isBinary && !/[\r\n]/.test(line), `one line a text message: ${JSON.stringify(line)}`);
      conn.line(line);
    });
  });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  t.after(() => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
  });
  return (wss.address() as net.AddressInfo).port;
}

test('loadgen, irc dialect: NICK/USER and PRIVMSG; everything delivered, a misrouting caught', async (t) => {
  const good = await ircServer(t, () => 'deliver');
  const r = await load(good, 'dm', { dialect: 'irc' });
  assert.equal(r.error, undefined);
  assert.ok(r.delivered > 0 && r.perSecond > 0, 'delivered');
  assert.deepEqual([r.lost, r.misrouted, r.dropped], [0, 0, 0]);
  const idle = await load(good, 'idle', { dialect: 'irc' });
  assert.deepEqual([idle.delivered, idle.lost], [10, 0], 'every idle connection registered');

  const bad = await ircServer(t, (_, n) => (n % 50 === 0 ? 'misroute' : 'deliver'));
  const m = await load(bad, 'dm', { dialect: 'irc' });
  assert.ok(m.misrouted > 0 && m.lost > 0, `misrouted ${m.misrouted}, lost ${m.lost}`);
});

test('loadgen, irc dialect: a refused nick fails the set-up, and rooms are not offered', async (t) => {
  const port = await ircServer(t, () => 'deliver');
  // Another client holds c0 already: the load generator's c0 gets 433.
  const squatter = net.connect({ host: '127.0.0.1', port });
  t.after(() => squatter.destroy());
  squatter.write('NICK c0\r\nUSER c0 0 * :c0\r\n');
  await new Promise<void>((resolve) => squatter.once('data', () => resolve()));
  const r = await load(port, 'dm', { dialect: 'irc' });
  assert.match(r.error ?? '', /set-up: 5 of 6 clients registered/);
  const room = await load(port, 'room', { dialect: 'irc' });
  assert.match(room.error ?? '', /no room scenario/);
});

test('loadgen, web dialect: WebSocket clients, NICK/USER and PRIVMSG a message each; everything delivered, a misrouting caught', async (t) => {
  const good = await webIrcServer(t, () => 'deliver');
  const r = await load(good, 'dm', { dialect: 'web' });
  assert.equal(r.error, undefined);
  assert.ok(r.delivered > 0 && r.perSecond > 0, 'delivered');
  assert.deepEqual([r.lost, r.misrouted, r.dropped], [0, 0, 0]);
  const idle = await load(good, 'idle', { dialect: 'web' });
  assert.deepEqual([idle.delivered, idle.lost], [10, 0], 'every idle WebSocket registered');

  const bad = await webIrcServer(t, (_, n) => (n % 50 === 0 ? 'misroute' : 'deliver'));
  const m = await load(bad, 'dm', { dialect: 'web' });
  assert.ok(m.misrouted > 0 && m.lost > 0, `misrouted ${m.misrouted}, lost ${m.lost}`);
});

test('loadgen, web dialect: a refused nick and a refused upgrade fail the set-up; rooms are not offered', async (t) => {
  const port = await webIrcServer(t, () => 'deliver');
  const squatter = new WebSocket(`ws://127.0.0.1:${port}/`, ['text.ircv3.net']);
  t.after(() => squatter.terminate());
  await new Promise((resolve) => squatter.once('open', resolve));
  const welcomed = new Promise((resolve) => squatter.once('message', resolve));
  squatter.send('NICK c0');
  squatter.send('USER c0 0 * :c0');
  await welcomed;
  const r = await load(port, 'dm', { dialect: 'web' });
  assert.match(r.error ?? '', /set-up: 5 of 6 clients registered/);
  const room = await load(port, 'room', { dialect: 'web' });
  assert.match(room.error ?? '', /no room scenario/);

  // A plain TCP server is no WebSocket server: the upgrade fails, nothing hangs.
  const tcp = await ircServer(t, () => 'deliver');
  const notWeb = await load(tcp, 'dm', { dialect: 'web' });
  assert.match(notWeb.error ?? '', /set-up: 0 of 6 clients registered/);
});
