import { isValidName } from '../../protocol/names.js';

/** AUTHENTICATE's chunks are 400 bytes: one of 400 says more follows (IRCv3 SASL). */
export const SASL_CHUNK = 400;
/** PLAIN's message at most, in base64: a name, a password and the separators, with room. */
export const SASL_MAX = 4 * SASL_CHUNK;

/**
 * SASL PLAIN's message (base64 of `authzid NUL authcid NUL password`) as the account and its
 * password; undefined when it is not one. AUTHZID, when given, must be the same account: one
 * account does not log in as another here. A device name (`NAME@DEVICE`) is not taken yet.
 */
export function saslPlain(base64: string): { name: string; password: string } | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) return undefined;
  const parts = Buffer.from(base64, 'base64').toString('utf8').split('\0');
  if (parts.length !== 3) return undefined;
  const [authzid, authcid, password] = parts as [string, string, string];
  if (!isValidName(authcid) || password === '') return undefined;
  if (authzid !== '' && authzid.toLowerCase() !== authcid.toLowerCase()) return undefined;
  return { name: authcid, password };
}
