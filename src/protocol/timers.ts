/** Injected time, so tests drive timeouts with a fake clock instead of sleeping. */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * Date.now() costs about 75 ns on a VM without a vDSO clock (a system call), and the server
 * reads the time for each read and each line. As Node's own timers do (they use the time the
 * event loop took when its turn began), the clock is read once per task: the first call
 * reads it and queues a microtask that forgets it once the task and its microtasks are done.
 * Within one task every call gives the time of its first call; the next task reads anew.
 */
let cached = 0;
let fresh = false;
const forget = (): void => {
  fresh = false;
};
function nowOncePerTask(): number {
  if (!fresh) {
    cached = Date.now();
    fresh = true;
    queueMicrotask(forget);
  }
  return cached;
}

export const realTimers: Timers = {
  now: nowOncePerTask,
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A pending flush must never keep a closing process alive.
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
