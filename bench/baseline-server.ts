#!/usr/bin/env node
/**
 * The benchmark's baseline: the least a line-forwarding chat server in Node can do.
 * Split lines, look the name up, write; no-delay on; each socket's writes corked and
 * uncorked once per event-loop turn. No validation, no sanitising, no limits: every
 * figure of the real server is measured as a ratio to this one on the same machine.
 */
import net from 'node:net';

const users = new Map<string, net.Socket>();
const names = new WeakMap<net.Socket, string>();
let corked: net.Socket[] = [];
let scheduled = false;

function write(socket: net.Socket, data: Buffer | string): void {
  if (!socket.writableCorked) {
    socket.cork();
    corked.push(socket);
    if (!scheduled) {
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        const list = corked;
        corked = [];
        for (const s of list) s.uncork();
      });
    }
  }
  socket.write(data);
}

function onLine(socket: net.Socket, line: string): void {
  const me = names.get(socket);
  if (line[0] === '#') {
    const name = line.slice(1);
    users.set(name, socket);
    names.set(socket, name);
    write(socket, `* registered as ${name}\n`);
  } else if (line[0] === '@') {
    const colon = line.indexOf(':');
    const to = users.get(line.slice(1, colon));
    if (to) write(to, `*${me}* ${line.slice(colon + 1)}\n`);
  } else if (line.startsWith('/ping')) {
    write(socket, `* pong${line.slice(5)}\n`);
  } else {
    const out = Buffer.from(`<${me}> ${line}\n`);
    for (const s of users.values()) if (s !== socket) write(s, out);
  }
}

const server = net.createServer({ noDelay: true }, (socket) => {
  socket.setNoDelay(true);
  let rest = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    const text = rest + chunk;
    let start = 0;
    for (let lf = text.indexOf('\n'); lf !== -1; lf = text.indexOf('\n', start)) {
      onLine(socket, text.slice(start, lf));
      start = lf + 1;
    }
    rest = text.slice(start);
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    const name = names.get(socket);
    if (name !== undefined && users.get(name) === socket) users.delete(name);
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as net.AddressInfo;
  process.stdout.write(`listening on 127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
