#!/usr/bin/env node
/**
 * The benchmark's floor: the least a Node server can do to route chat lines (protocol v1).
 * `#name` registers, `@to:text` goes to one user, any other line to everyone else;
 * `/ping` is answered. No validation, no sanitising, no limits, no backpressure: what
 * chat-server costs is measured as a ratio to this, on the same machine in the same run.
 *
 * Writes are corked and uncorked once per event-loop turn: with no-delay sockets this
 * batches a turn's output into one write without Nagle's 40 ms tail.
 *
 * usage: node floor-server.js [PORT] [HOST]; prints "listening on HOST:PORT" once bound.
 */
import net from 'node:net';

interface User {
  readonly name: string;
  readonly key: string;
  readonly socket: net.Socket;
}

const users = new Map<string, User>();
let corked: net.Socket[] = [];

function uncorkAll(): void {
  const list = corked;
  corked = [];
  for (const socket of list) socket.uncork();
}

function send(socket: net.Socket, text: string): void {
  if (!socket.writableCorked) {
    socket.cork();
    if (corked.push(socket) === 1) setImmediate(uncorkAll);
  }
  socket.write(text);
}

function serve(socket: net.Socket): void {
  socket.setNoDelay(true);
  socket.setEncoding('utf8');
  let me: User | undefined;
  let rest = '';
  send(socket, `* connected from ${socket.remoteAddress}:${socket.remotePort}\n`);

  const onLine = (line: string): void => {
    if (line === '') return;
    const first = line.charCodeAt(0);
    if (first === 35 /* # */) {
      const name = line.slice(1).split(' ')[0]!;
      if (me) users.delete(me.key);
      me = { name, key: name.toLowerCase(), socket };
      users.set(me.key, me);
      send(socket, `* registered as ${name}\n`);
    } else if (!me) {
      send(socket, '! register first with #yourname\n');
    } else if (first === 64 /* @ */) {
      const colon = line.indexOf(':');
      const to = users.get(line.slice(1, colon).toLowerCase());
      if (to) send(to.socket, `*${me.name}* ${line.slice(colon + 1).trim()}\n`);
      else send(socket, `! no such user: ${line.slice(1, colon)}\n`);
    } else if (first === 47 /* / */ && line.startsWith('/ping')) {
      send(socket, `* pong ${line.slice(6)}\n`);
    } else {
      const text = `<${me.name}> ${line}\n`;
      for (const user of users.values()) if (user !== me) send(user.socket, text);
    }
  };

  socket.on('data', (chunk: string) => {
    const text = rest + chunk;
    let start = 0;
    for (let lf = text.indexOf('\n'); lf !== -1; lf = text.indexOf('\n', start)) {
      const end = lf > start && text.charCodeAt(lf - 1) === 13 ? lf - 1 : lf;
      onLine(text.slice(start, end));
      start = lf + 1;
    }
    rest = text.slice(start);
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    if (me && users.get(me.key) === me) users.delete(me.key);
  });
}

const port = Number(process.argv[2] ?? 0);
const host = process.argv[3] ?? '127.0.0.1';
const server = net.createServer(serve);
server.listen(port, host, () => {
  const address = server.address() as net.AddressInfo;
  process.stdout.write(`listening on ${address.address}:${address.port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
