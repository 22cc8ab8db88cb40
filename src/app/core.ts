import { lineDialect } from '../dialects/line/dialect.js';
import { MemoryHub } from '../hub/memory-hub.js';
import type { Hub } from '../hub/hub.js';
import { realTimers } from '../protocol/timers.js';
import { ChatCore } from '../server/core.js';
import type { CoreOptions } from '../server/options.js';
import { MemoryStore } from '../store/memory-store.js';

/** A core with the defaults for whatever is not given: the line protocol, one server, nothing on disk. */
export function createCore(options: Partial<CoreOptions> = {}, hub: Hub = new MemoryHub()): ChatCore {
  const timers = options.timers ?? realTimers;
  const store = options.store ?? new MemoryStore({}, () => timers.now());
  return new ChatCore({ dialect: lineDialect, ...options, store }, hub);
}
