/**
 * ioredis, as the hub and the store load it: with String.prototype made fast again.
 *
 * ioredis defines `class VerbatimString extends String` when it loads. On Node 20, V8 then
 * keeps String.prototype as a dictionary, and every string method that optimized code calls
 * (`line.slice`, `text.indexOf`, `name.trim`) becomes a generic property lookup: 7.3 % of
 * the server's CPU on direct messages, measured on one server, which loads ioredis whether
 * or not it is given --redis.
 */
import { Redis } from 'ioredis';

/**
 * Makes V8 turn PROTO back into a fast object. V8 does so when a property is added, by name,
 * to an object that inherits from it (the store looks along the chain for setters): for
 * objects only, never for strings, which is why the server's own string calls never did it.
 */
function makePrototypeFast(proto: object): void {
  const probe: { added?: number } = Object.create(proto);
  probe.added = 1;
}

makePrototypeFast(String.prototype);

export { Redis };
