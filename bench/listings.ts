#!/usr/bin/env node
/**
 * `npm run bench:listings`: what /who, /who ROOM and /rooms cost a server with 10,000 users
 * in 1,000 rooms, in one process (the in-memory hub) and through Redis (a redis-server of
 * its own on a free loopback port, when one is installed). Each figure is the median time
 * of one answer, reply formatting included, over 200 calls.
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { Hub, Member } from '../src/hub/hub.js';
import { MemoryHub } from '../src/hub/memory-hub.js';
import { RedisHub } from '../src/hub/redis/hub.js';
import * as w from '../src/dialects/line/wording.js';
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
  hub.attach({ presence: () => undefined, evicted: () => {}, removed: () => {}, log: () => {} });
  await hub.start();
  rows.push(...(await measure('Redis', hub)));
  await hub.close();
  for (const fn of cleanups.reverse()) await fn();
}
console.log(`${USERS} users in ${ROOMS} rooms, median of ${CALLS} answers`);
console.log('hub | listing | time per answer');
console.log('---|---|---');
for (const row of rows) console.log(row);
process.exit(0);
