/**
 * The IRCv3 capabilities this dialect offers (docs/irc.md), with the value CAP LS 302 shows.
 * SASL is offered only on a server with accounts.
 */
export const CAPABILITIES: readonly (readonly [name: string, value: string])[] = [
  ['account-tag', ''],
  ['away-notify', ''],
  ['batch', ''],
  ['cap-notify', ''],
  ['draft/chathistory', ''],
  ['draft/read-marker', ''],
  ['echo-message', ''],
  ['labeled-response', ''],
  ['multi-prefix', ''],
  ['sasl', 'PLAIN'],
  ['server-time', ''],
  ['userhost-in-names', ''],
];

/** The capabilities offered, as CAP LS lists them (values with 302). */
export function capList(accounts: boolean, v302: boolean): string {
  return CAPABILITIES.filter(([name]) => accounts || name !== 'sasl')
    .map(([name, value]) => (v302 && value !== '' ? `${name}=${value}` : name))
    .join(' ');
}

/** Whether NAME is offered. */
export function offered(name: string, accounts: boolean): boolean {
  return CAPABILITIES.some(([n]) => n === name && (accounts || n !== 'sasl'));
}

/**
 * A CAP REQ's list applied to ENABLED: all or nothing, as the spec says. Returns the new set,
 * or undefined (NAK) when one is not offered. `-NAME` disables.
 */
export function request(enabled: ReadonlySet<string>, asked: string, accounts: boolean): Set<string> | undefined {
  const next = new Set(enabled);
  const words = asked.split(' ').filter((w) => w !== '');
  if (words.length === 0) return undefined;
  for (const word of words) {
    const off = word.startsWith('-');
    const name = off ? word.slice(1) : word;
    if (!offered(name, accounts)) return undefined;
    if (off) next.delete(name);
    else next.add(name);
  }
  return next;
}
