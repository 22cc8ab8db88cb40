import { MemoryHub } from '../hub/memory-hub.js';
import type { Hub } from '../hub/hub.js';
import { realTimers } from '../protocol/timers.js';
import { ChatCore } from '../server/core.js';
import type { CoreOptions } from '../server/options.js';
import { MemoryStore } from '../store/memory-store.js';

/** A core with the in-memory defaults for whatever is not given: one server, nothing on disk. */
export function createCore(options: Partial<CoreOptions> = {}, hub: Hub = new MemoryHub()): ChatCore {
  const timers = options.timers ?? realTimers;
  const store = options.store ?? new MemoryStore({}, () => timers.now());
  return new ChatCore({ ...options, store }, hub);
}
