import type { Authenticator } from '../accounts/authenticator.js';
import { ircDialect } from '../dialects/irc/dialect.js';
import { MemoryHub } from '../hub/memory-hub.js';
import type { ChatCore } from '../server/core.js';
import type { Dialect } from '../server/dialect.js';
import { VERSION } from './version.js';

/** The IRC dialect (docs/irc.md) for CORE: its name in replies, clock, accounts and counts. */
export function ircDialectOf(core: ChatCore, accounts: Pick<Authenticator, 'has'> | undefined, serverName: string): Dialect {
  const { timers } = core.options;
  let max = 0;
  return ircDialect(
    {
      serverName,
      version: VERSION,
      now: () => timers.now(),
      isAccount: (name) => accounts?.has(name) ?? false,
      awayOf: (name) => core.awayOf(name),
      users: () => core.hub.size,
      maxUsers: () => (max = Math.max(max, core.hub.size)),
      // What one process knows at once; through Redis it would be a round trip for a count.
      rooms: () => (core.hub instanceof MemoryHub ? core.hub.rooms().length : 0),
      accounts: accounts !== undefined,
    },
    { maxRoomsPerUser: core.options.maxRoomsPerUser },
  );
}
