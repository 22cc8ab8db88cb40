/**
 * SIGHUP asks chat-server to reload (its users file, its certificate); the signal's default
 * ends the process. Node runs a script within tens of milliseconds, but the server's modules
 * take hundreds more to load, and a reload sent right after the start (a users file written
 * for a server just started, a service manager's reload) must not kill it: this module,
 * which loads nothing, takes the signal first and keeps that it came.
 */
let early = false;
const note = (): void => {
  early = true;
};
process.on('SIGHUP', note);

/** SIGHUP ends the process again, as by default (a command that is no server); one that came while loading ends it now. */
export function hangupEnds(): void {
  process.off('SIGHUP', note);
  if (early) process.kill(process.pid, 'SIGHUP');
}

/** From now on SIGHUP calls ON; one that came while loading calls it now. */
export function onHangup(on: () => void): void {
  process.off('SIGHUP', note);
  process.on('SIGHUP', on);
  if (early) on();
}
