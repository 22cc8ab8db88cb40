import { isValidName } from '../../protocol/names.js';

/** AUTHENTICATE's chunks are 400 bytes: one of 400 says more follows (IRCv3 SASL). */
export const SASL_CHUNK = 400;
/** PLAIN's message at most, in base64: a name, a password and the separators, with room. */
export const SASL_MAX = 4 * SASL_CHUNK;

/**
 * SASL PLAIN's message (base64 of `authzid NUL authcid NUL password`) as the account and its
 * password; undefined when it is not one. AUTHZID, when given, must be the same account: one
 * account does not log in as another here. AUTHCID may name a device, `NAME@DEVICE`, as ergo
 * and soju take it (docs/protocol.md, "Your account"): a device that catches up.
 */
export function saslPlain(base64: string): { name: string; password: string; device?: string } | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) return undefined;
  const parts = Buffer.from(base64, 'base64').toString('utf8').split('\0');
  if (parts.length !== 3) return undefined;
  const [authzid, authcid, password] = parts as [string, string, string];
  const at = authcid.indexOf('@');
  const name = at === -1 ? authcid : authcid.slice(0, at);
  const device = at === -1 ? undefined : authcid.slice(at + 1);
  if (!isValidName(name) || (device !== undefined && !isValidName(device)) || password === '') return undefined;
  if (authzid !== '' && authzid.toLowerCase() !== name.toLowerCase()) return undefined;
  return device === undefined ? { name, password } : { name, password, device };
}
