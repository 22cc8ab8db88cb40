import { createCore } from '../../src/app/core.js';
/**
 * Run with `node --expose-gc` (test/server/retained.test.ts): COUNT registered connections
 * over in-memory streams, in 40 rooms, each send a short room message with two blank lines of 4,080 bytes
 * in the same read, as the attacker of "--history-memory does not bound memory" did. Prints
 * one JSON line: the heap the chat holds after a full collection, and what the store counts.
 */
import { Duplex } from 'node:stream';
import { MemoryStore } from '../../src/store/memory-store.js';

declare const gc: () => void;

const count = Number(process.argv[2] ?? 1000);
const store = new MemoryStore({ history: process.argv[3] === 'off' ? 0 : 1_000_000 });
const core = createCore({ store, rate: 0, flushMs: 0, maxPerIp: 0 });
const sink = (): Duplex =>
  new Duplex({
    read() {},
    write(_chunk, _enc, done) {
      done();
    },
  });
/**
 * Lets every turn of work the pushes started run out (data, the pump, the uncork, the
 * write): immediates first, since a timer may come before them on a busy machine.
 */
async function settle(): Promise<void> {
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
/** Forty rooms: a message reaches 99 others, not thousands (the broadcast is not what is measured). */
const ROOMS = 40;
const streams: Duplex[] = [];
for (let i = 0; i < count; i++) {
  const stream = sink();
  streams.push(stream);
  core.accept(stream, { host: '127.0.0.1', port: 10_000 + i });
  stream.push(`#user_with_a_long_name_${i}\n/join r${i % ROOMS}\n`);
}
await settle();
gc();
const before = process.memoryUsage().heapUsed;
const blank = ' '.repeat(4080);
for (const [i, stream] of streams.entries()) stream.push(Buffer.from(`a short room message ${i}\n${blank}\n${blank}\n`));
await settle();
gc();
gc();
const held = process.memoryUsage().heapUsed - before;
let messages = 0;
for (let r = 0; r < ROOMS; r++) messages += store.history(`r${r}`, count).length;
process.stdout.write(`${JSON.stringify({ held, counted: store.historyBytes, messages })}\n`);
for (const stream of streams) stream.destroy();
await core.close();
