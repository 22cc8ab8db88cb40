import { existsSync, readFileSync } from 'node:fs';

/** Whether this system shows what a process waits for (Linux /proc). */
export const canSeeWaits = existsSync('/proc/self/wchan');

const SAMPLE_MS = 20;
/** Samples in a row that must find the process asleep in its event loop. */
const QUIET_SAMPLES = 10;
const GIVE_UP_MS = 8000;

/**
 * Resolves true once process PID sits idle in its event loop (Linux: asleep in epoll_wait
 * for QUIET_SAMPLES samples in a row), i.e. it waits for input; false if EXIT resolves
 * first. Used to send input only once a program is waiting for it, without sleeping.
 */
export async function waitUntilBlocked(pid: number, exit: Promise<unknown>): Promise<boolean> {
  if (!canSeeWaits) throw new Error('waitUntilBlocked needs /proc/PID/wchan (Linux): skip the test where canSeeWaits is false');
  let ended = false;
  void exit.then(() => (ended = true));
  let quiet = 0;
  const started = Date.now();
  while (!ended) {
    const state = sample(pid);
    if (state === undefined) break; // no /proc/PID: gone
    quiet = state ? quiet + 1 : 0;
    if (quiet >= QUIET_SAMPLES) return true;
    if (Date.now() - started > GIVE_UP_MS) throw new Error(`process ${pid} never waited for input within ${GIVE_UP_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
  }
  await exit;
  return false;
}

/** true: asleep in epoll_wait; false: doing something else; undefined: no such process. */
function sample(pid: number): boolean | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return undefined;
    return state === 'S' && /epoll/.test(readFileSync(`/proc/${pid}/wchan`, 'utf8'));
  } catch {
    return undefined;
  }
}
