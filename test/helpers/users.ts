import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { hashPassword } from '../../src/accounts/password-hash.js';

/** Cheap hashes: these tests are about the server, not about scrypt's cost. */
const CHEAP = { N: 1024, r: 8, p: 1 };

/** NAME:HASH lines, NAME:HASH:op for the names in OPS (operators). */
export async function usersText(users: Record<string, string>, ops: readonly string[] = []): Promise<string> {
  const lines = await Promise.all(
    Object.entries(users).map(async ([name, pw]) => `${name}:${await hashPassword(pw, CHEAP)}${ops.includes(name) ? ':op' : ''}\n`),
  );
  return lines.join('');
}

/** A temporary folder, removed when the test ends. */
export function tempDir(t: TestContext, prefix = 'chat-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A users file with these name: password pairs, in a temporary folder. */
export async function usersFile(t: TestContext, users: Record<string, string>, ops: readonly string[] = []): Promise<string> {
  const file = join(tempDir(t, 'chat-users-'), 'users');
  writeFileSync(file, await usersText(users, ops), { mode: 0o600 });
  return file;
}
