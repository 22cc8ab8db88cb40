import { isPromise, type Awaitable } from '../protocol/awaitable.js';
import { nameKey } from '../protocol/names.js';
import type { RoomState } from '../protocol/room-state.js';
import type { CommandContext, Outcome } from './command-context.js';
import type { RoomView } from './dialect.js';

/**
 * Who may do what in a room (docs/protocol.md, "Rooms people own"): its operators, the
 * server's, and what a non-member may see of it. Shared by the room commands and the listings.
 */

export function nameOf(ctx: CommandContext): string {
  return ctx.self.name ?? '';
}

/** Whether NAME is an account's (then it is its account's, logged in with its password). */
export function isAccount(ctx: CommandContext, name: string): boolean {
  return ctx.auth?.has(name) === true;
}

/** docs/protocol.md "Moderation": server operators may do everything in every room. */
export function isServerOperator(ctx: CommandContext): boolean {
  const oper = ctx.operator();
  return ctx.auth?.isOperator(nameOf(ctx)) === true || (oper !== undefined && ctx.auth?.isOperator(oper) === true);
}

/**
 * Whether NAME is one of the room's operators: listed (RoomState.ops), or its owner (while
 * the owner is an account: a removed account's name may be anyone's now).
 */
export function isRoomOperator(ctx: CommandContext, state: RoomState, name: string): boolean {
  const key = nameKey(name);
  return state.ops.includes(key) || (state.owner !== undefined && nameKey(state.owner) === key && isAccount(ctx, name));
}

/** What a listing shows of the room (Words.inRoom). */
export function roomView(ctx: CommandContext, state: RoomState): RoomView {
  const name = ctx.self.name;
  return {
    state,
    isOp: (n) => isRoomOperator(ctx, state, n),
    isVoiced: (n) => state.voiced?.includes(nameKey(n)) === true,
    seesKey: name !== undefined && (isRoomOperator(ctx, state, name) || isServerOperator(ctx)),
  };
}

/** Whether ROOM is the asker's, or seen by everyone: a hidden room is to everyone else as one that does not exist. */
export function mayView(ctx: CommandContext, room: string, state: RoomState): boolean {
  if (state.private !== true && state.secret !== true) return true;
  const key = nameKey(room);
  return ctx.hub.roomsOf(ctx.self).some((r) => nameKey(r) === key) || isServerOperator(ctx);
}

/** Whether member is in ROOM (any case), and ROOM as shown if so. */
export function joinedAs(ctx: CommandContext, room: string): string | undefined {
  const key = nameKey(room);
  return ctx.hub.roomsOf(ctx.self).find((r) => nameKey(r) === key);
}

/**
 * Runs a step that may fail (throw, or reject): THEN with its value, or FAILED. The store's
 * room steps must not fail quietly: a private room must not open because the store is away.
 */
export function guarded<T>(step: () => Awaitable<T>, then: (value: T) => Outcome, failed: () => Outcome): Outcome {
  let value: Awaitable<T>;
  try {
    value = step();
  } catch {
    return failed();
  }
  return isPromise(value) ? value.then(then, failed) : then(value);
}
