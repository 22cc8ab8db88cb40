import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LISTING_CACHE_MS, Listings } from '../../../src/hub/redis/listings.js';
import { FakeClock } from '../../helpers/fake-clock.js';

/** Listings on a stand-in for Redis that counts what it is asked and answers when told (answer). */
function setup(available = () => true) {
  const clock = new FakeClock();
  const asked: string[] = [];
  let answer: Promise<void> = Promise.resolve();
  let fail = false;
  const reply = async <T>(what: string, value: T): Promise<T> => {
    asked.push(what);
    await answer;
    if (fail) throw new Error('Command timed out');
    return value;
  };
  const roomSizes = new Map<string, number>();
  const listings = new Listings({
    cmd: { hvals: (key) => reply(`hvals ${String(key)}`, ['s1 carol', 's2 Bob', 's1 alice']) },
    lua: {
      chatRoomNames: (...args) => reply(`room ${args[1]}`, ['Den', '{"v":3,"ops":["amy"],"private":true}', 'zed', 'amy']),
      chatRoomList: () => reply('rooms', ['lobby', 3, 0, 'Den', 2, 1]),
    },
    prefix: 'chat:',
    roomSizes,
    available,
    now: () => clock.now(),
  });
  return {
    clock,
    asked,
    roomSizes,
    listings,
    /** Answers wait for the promise returned until it is resolved (its function called). */
    hold(): () => void {
      let release!: () => void;
      answer = new Promise<void>((resolve) => (release = resolve));
      return release;
    },
    failing(on: boolean): void {
      fail = on;
    },
  };
}

test(`a listing is served from the cache for ${LISTING_CACHE_MS} ms from when it was asked for, then asked for again`, async () => {
  const { clock, asked, listings } = setup();
  const first = listings.names();
  assert.deepEqual(await first, ['alice', 'Bob', 'carol']);
  assert.deepEqual(asked, ['hvals chat:names']);
  clock.advance(LISTING_CACHE_MS - 1);
  assert.equal(listings.names(), first, 'the same answer, Redis not asked');
  assert.equal(asked.length, 1);
  clock.advance(1);
  const second = listings.names();
  assert.notEqual(second, first);
  assert.deepEqual(await second, ['alice', 'Bob', 'carol']);
  assert.deepEqual(asked, ['hvals chat:names', 'hvals chat:names']);
});

test('the time counts from the asking, not from the answer', async () => {
  const { clock, asked, listings, hold } = setup();
  const release = hold();
  const first = listings.rooms();
  clock.advance(600);
  assert.equal(listings.rooms(), first, 'an answer on its way is shared');
  release();
  assert.deepEqual(await first, [
    { name: 'Den', count: 2, hidden: true },
    { name: 'lobby', count: 3 },
  ]);
  clock.advance(LISTING_CACHE_MS - 600);
  void listings.rooms();
  assert.deepEqual(asked, ['rooms', 'rooms']);
});

test('each listing, and each room, is cached on its own', async () => {
  const { clock, asked, listings, roomSizes } = setup();
  await listings.names();
  clock.advance(500);
  assert.deepEqual(await listings.roomNames('den'), { room: 'Den', names: ['amy', 'zed'], state: { v: 3, ops: ['amy'], private: true } });
  await listings.roomNames('DEN');
  await listings.roomNames('hall');
  await listings.rooms();
  assert.deepEqual(asked, ['hvals chat:names', 'room den', 'room hall', 'rooms']);
  assert.equal(roomSizes.get('den'), 2);
  clock.advance(500);
  await listings.names();
  await listings.roomNames('Den');
  assert.deepEqual(asked.slice(4), ['hvals chat:names'], 'names asked again at 1000 ms, the room at 500 still cached');
});

test('our own changes clear the cache: the next listing is asked for at once', async () => {
  const { asked, listings } = setup();
  await listings.names();
  await listings.rooms();
  listings.changed();
  await listings.names();
  await listings.rooms();
  assert.deepEqual(asked, ['hvals chat:names', 'rooms', 'hvals chat:names', 'rooms']);
});

test('a failed answer is undefined and is not kept: the next asks again at once', async () => {
  const { asked, listings, failing } = setup();
  failing(true);
  assert.equal(await listings.names(), undefined);
  failing(false);
  assert.deepEqual(await listings.names(), ['alice', 'Bob', 'carol']);
  assert.equal(asked.length, 2);
});

test('while Redis is away a listing is undefined, and nothing is asked or cached', async () => {
  let up = false;
  const { asked, listings } = setup(() => up);
  assert.equal(listings.names(), undefined);
  assert.equal(listings.rooms(), undefined);
  assert.equal(listings.roomNames('den'), undefined);
  assert.deepEqual(asked, []);
  up = true;
  await listings.names();
  assert.deepEqual(asked, ['hvals chat:names']);
});
