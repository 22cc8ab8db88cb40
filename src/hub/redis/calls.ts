import type { Redis } from '../../redis/ioredis.js';
import { ENTER, JOIN, PART, REENTER, ROOM_LIST, ROOM_NAMES, ROOM_STATE, ROOMS_OF, SET_STATE, VACATE } from './room-scripts.js';
import { BATCH, CLAIM, LEAVE, RELEASE, SYNC, TICK } from './scripts.js';

/** Our scripts, as calls (scriptCalls). */
export interface Scripts {
  chatClaim(...args: (string | Buffer)[]): Promise<[number, string?, string?]>;
  chatRelease(...args: string[]): Promise<[number, number]>;
  chatBatch(...args: (string | Buffer)[]): Promise<string>;
  chatTick(...args: string[]): Promise<[number, number, string[]]>;
  chatSync(...args: string[]): Promise<[string[], string[], string[], number, string, string[]]>;
  chatLeave(...args: string[]): Promise<number>;
  chatEnter(...args: string[]): Promise<[string, number, string, ...string[]] | number>;
  chatJoin(...args: string[]): Promise<[string, number, string, string, number] | number>;
  chatSetState(...args: string[]): Promise<number>;
  chatRoomState(...args: string[]): Promise<[string, string, number] | []>;
  chatPart(...args: string[]): Promise<number>;
  chatVacate(...args: string[]): Promise<(string | string[])[]>;
  chatReenter(...args: string[]): Promise<number>;
  chatRoomNames(...args: string[]): Promise<string[]>;
  chatRoomList(...args: string[]): Promise<(string | number)[]>;
  chatRoomsOf(...args: string[]): Promise<string[]>;
}

/** Each call's Lua (scripts.ts, room-scripts.ts). */
const SCRIPTS: Record<keyof Scripts, string> = {
  chatClaim: CLAIM,
  chatRelease: RELEASE,
  chatBatch: BATCH,
  chatTick: TICK,
  chatSync: SYNC,
  chatLeave: LEAVE,
  chatEnter: ENTER,
  chatJoin: JOIN,
  chatSetState: SET_STATE,
  chatRoomState: ROOM_STATE,
  chatPart: PART,
  chatVacate: VACATE,
  chatReenter: REENTER,
  chatRoomNames: ROOM_NAMES,
  chatRoomList: ROOM_LIST,
  chatRoomsOf: ROOMS_OF,
};

/**
 * SCRIPTS (name: Lua) as calls that send the whole script every time (EVAL), not by its
 * SHA1 as ioredis's defineCommand does. Redis keeps a script compiled by its SHA1 either way;
 * but one it has lost (SCRIPT FLUSH, a failover) ioredis sends again only once the first
 * answer comes, and every command written meanwhile goes in before it: a RELEASE sent
 * again after the CLAIM of the same name made after it freed the new holder's name. Sent
 * whole, our commands reach Redis in the order they are made, always.
 */
export function scriptCalls(redis: Redis): Scripts {
  const calls: Record<string, (...args: (string | Buffer)[]) => Promise<unknown>> = {};
  for (const [name, lua] of Object.entries(SCRIPTS)) calls[name] = (...args) => redis.eval(lua, 0, ...args);
  return calls as unknown as Scripts;
}
