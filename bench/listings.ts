#!/usr/bin/env node
/**
 * `npm run bench:listings`: what /who, /who ROOM and /rooms cost a server with 10,000 users
 * in 1,000 rooms (and the lobby), in one process (the in-memory hub) and through Redis (a
 * redis-server of its own on a free loopback port, when one is installed). Each figure is
 * the median time of one answer, reply formatting included, over 200 calls. Then what a
 * quit costs to tell (docs/protocol.md, "Rooms": once to each person sharing a room): a user
 * in one room of 1,000 against one in 50 rooms of the same 1,000 people, and against 50
 * rooms of 1,000 people each, as a time per person told.
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { Hub, Member } from '../src/hub/hub.js';
import { MemoryHub } from '../src/hub/memory-hub.js';
import { RedisHub } from '../src/hub/redis/hub.js';
import * as w from '../src/dialects/line/wording.js';
import { lineDialect } from '../src/dialects/line/dialect.js';
import type { RoomEvent } from '../src/hub/hub.js';
import { TestRedis } from '../test/helpers/redis.js';

const USERS = 10_000;
const ROOMS = 1_000;
const CALLS = 200;

const member = (name: string): Member => ({ name, deliver: () => {} });

async function fill(hub: Hub): Promise<void> {
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < USERS; i++) {
    const m = member(`user${i}`);
    pending.push(Promise.resolve(hub.claim(m.name!, m)).then(() => hub.join(m, `room${i % ROOMS}`, ROOMS + 1)));
    if (pending.length >= 500) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
}

async function median(what: () => unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const t0 = performance.now();
    await what();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

async function measure(label: string, hub: Hub): Promise<string[]> {
  await fill(hub);
  const who = await median(async () => w.online((await hub.names()) ?? []));
  const whoRoom = await median(async () => {
    const l = await hub.roomNames('room7');
    return typeof l === 'object' ? w.inRoom(l.room, l.names) : l;
  });
  const rooms = await median(async () => w.roomList((await hub.rooms()) ?? []));
  const sizes = [w.online((await hub.names()) ?? []).length, w.roomList((await hub.rooms()) ?? []).length];
  return [
    `${label} | /who (${sizes[0]} bytes) | ${who.toFixed(3)} ms`,
    `${label} | /who ROOM (10 users) | ${whoRoom.toFixed(3)} ms`,
    `${label} | /rooms (${sizes[1]} bytes) | ${rooms.toFixed(3)} ms`,
  ];
}

const rows = await measure('in memory', new MemoryHub());
if (spawnSync('redis-server', ['--version']).status === 0) {
  const cleanups: (() => unknown)[] = [];
  const t = { after: (fn: () => unknown) => cleanups.push(fn) } as unknown as import('node:test').TestContext;
  const redis = await TestRedis.start(t);
  const hub = new RedisHub({ url: redis.url });
  hub.attach({ presence: () => undefined, render: () => '', direct: () => {}, evicted: () => {}, removed: () => {}, log: () => {} });
  await hub.start();
  rows.push(...(await measure('Redis', hub)));
  await hub.close();
  for (const fn of cleanups.reverse()) await fn();
}
console.log(`${USERS} users in ${ROOMS} rooms, median of ${CALLS} answers`);
console.log('hub | listing | time per answer');
console.log('---|---|---');
for (const row of rows) console.log(row);

/**
 * The median time of telling a quit to everyone sharing a room with the leaver, who is in
 * ROOMS rooms of PEOPLE each (SHARED: the same people in every room, else others in each),
 * and how many were told.
 */
async function quit(rooms: number, people: number, shared: boolean): Promise<{ ms: number; told: number }> {
  const hub = new MemoryHub();
  let told = 0;
  hub.attach({
    presence: () => undefined,
    render: (event, room, tagged) => lineDialect.render(event, room, tagged, 0),
    direct: () => {},
    evicted: () => {},
    removed: () => {},
    log: () => {},
  });
  const counting = (name: string): Member => ({ name, deliver: () => void told++, notify: () => void told++ });
  const names = Array.from({ length: rooms }, (_, r) => `room${r}`);
  for (let r = 0; r < (shared ? 1 : rooms); r++) {
    for (let i = 0; i < people; i++) {
      const m = counting(`u${r}x${i}`);
      hub.claim(m.name!, m);
      for (const room of shared ? names : [names[r]!]) hub.join(m, room, 1e9);
    }
  }
  const leaver = counting('leaver');
  hub.claim('leaver', leaver);
  for (const room of names) hub.join(leaver, room, 1e9);
  const event: RoomEvent = { kind: 'left', names: ['leaver'], reason: 'bye' };
  told = 0;
  const ms = await median(() => hub.toRooms(hub.roomsOf(leaver), event, leaver, true));
  return { ms, told: told / CALLS };
}
/** /who ROOM and /rooms with 1,000 users each in the same 50 rooms: listings of 1,000 names and of 50 rooms. */
async function manyRooms(): Promise<string[]> {
  const hub = new MemoryHub();
  for (let i = 0; i < 1000; i++) {
    const m = member(`user${i}`);
    hub.claim(m.name!, m);
    for (let r = 0; r < 50; r++) hub.join(m, `room${r}`, 1e9);
  }
  const whoRoom = await median(async () => {
    const l = await hub.roomNames('room7');
    return typeof l === 'object' ? w.inRoom(l.room, l.names) : l;
  });
  const rooms = await median(async () => w.roomList((await hub.rooms()) ?? []));
  return [
    `in memory, 1,000 users each in 50 rooms | /who ROOM (1,000 users) | ${whoRoom.toFixed(3)} ms`,
    `in memory, 1,000 users each in 50 rooms | /rooms (51 rooms) | ${rooms.toFixed(3)} ms`,
  ];
}
for (const row of await manyRooms()) console.log(row);

const one = await quit(1, 1000, true);
const fifty = await quit(50, 1000, true);
const apart = await quit(50, 1000, false);
const per = (q: { ms: number; told: number }): number => (q.ms * 1000) / q.told;
console.log('\nquit of a user | people told | time | per person told');
console.log('---|---|---|---');
for (const [label, q] of [
  ['in 1 room of 1,000', one],
  ['in 50 rooms of the same 1,000', fifty],
  ['in 50 rooms of 1,000 each', apart],
] as const) {
  console.log(`${label} | ${q.told} | ${q.ms.toFixed(3)} ms | ${per(q).toFixed(2)} µs`);
}
console.log(`per person told, 50 rooms of 1,000 each vs 1 room: ${(per(apart) / per(one)).toFixed(2)}x (target <= 2)`);
process.exit(0);
