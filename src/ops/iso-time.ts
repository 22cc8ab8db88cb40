/**
 * Timestamps for the logs. Date#toISOString costs about 0.75 µs, and a busy server writes a
 * log line per connection, registration and leave: the date and time down to the second
 * are made once a second, the milliseconds appended.
 */
let second = NaN;
let prefix = '';

/** MS (ms since the epoch) as Date#toISOString writes it: 2026-11-27T10:00:00.000Z. */
export function isoTime(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s !== second) {
    second = s;
    prefix = new Date(s * 1000).toISOString().slice(0, -4); // without "000Z"
  }
  const milli = ms - s * 1000;
  return `${prefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}
