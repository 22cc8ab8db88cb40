import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashes as stored in a users file: scrypt from node:crypto with a random salt
 * per user and its cost parameters in the string, so they can be raised later without
 * breaking existing lines:  scrypt$N$r$p$SALT$HASH  (SALT and HASH in base64).
 */
export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/** 16 MiB and about 50 ms per check on a current core: slow to guess, quick to log in. */
export const DEFAULT_COST: ScryptCost = { N: 16384, r: 8, p: 1 };
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

function derive(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r + 1024 * 1024 };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_COST): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, cost);
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

const FORMAT = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

/** Whether HASH is a string this module can check; says why not otherwise. */
export function hashProblem(hash: string): string | undefined {
  const m = FORMAT.exec(hash);
  if (!m) return 'the hash is not of the form scrypt$N$r$p$SALT$HASH';
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (N < 2 || (N & (N - 1)) !== 0 || N > 2 ** 20) return 'scrypt N must be a power of two up to 2^20';
  if (r < 1 || r > 32 || p < 1 || p > 16) return 'scrypt r or p is out of range';
  return undefined;
}

/** The cost stored in HASH, or undefined for a hash this module cannot check. */
export function hashCost(hash: string): ScryptCost | undefined {
  const m = FORMAT.exec(hash);
  if (!m || hashProblem(hash)) return undefined;
  return { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
}

/** Work of one check at COST, for comparing costs: scrypt's time grows with N * r * p. */
export function costWork(cost: ScryptCost): number {
  return cost.N * cost.r * cost.p;
}

/** Checks PASSWORD against HASH in constant time for a given hash. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const m = FORMAT.exec(hash);
  if (!m || hashProblem(hash)) return false;
  const salt = Buffer.from(m[4] ?? '', 'base64');
  const expected = Buffer.from(m[5] ?? '', 'base64');
  const key = await derive(password, salt, { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}
