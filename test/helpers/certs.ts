import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export interface TestCerts {
  dir: string;
  ca: string;
  cert: string;
  key: string;
  /** Another CA: trusting it alone fails for `cert`. */
  otherCa: string;
  /** A server certificate signed by otherCa, for swapping certificates. */
  otherCert: string;
  otherKey: string;
}

const openssl = (dir: string, ...args: string[]): void => {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
};

/**
 * A CA and a server certificate for NAMES (subjectAltName entries; default localhost and
 * 127.0.0.1), made now in a temporary folder that is removed when the test ends.
 */
export function makeCerts(t: TestContext, names = 'DNS:localhost,IP:127.0.0.1'): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'chat-certs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const subj = (cn: string): string[] => ['-subj', `/CN=${cn}`];
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', ...subj('chat test CA'));
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other.key', '-out', 'other.crt', '-days', '2', ...subj('other CA'));
  openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', ...subj('localhost'));
  writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=${names}\n`);
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
  );
  openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server2.key', '-out', 'server2.csr', ...subj('localhost'));
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'server2.csr',
    '-CA',
    'other.crt',
    '-CAkey',
    'other.key',
    '-CAcreateserial',
    '-out',
    'server2.crt',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
  );
  return {
    dir,
    ca: join(dir, 'ca.crt'),
    cert: join(dir, 'server.crt'),
    key: join(dir, 'server.key'),
    otherCa: join(dir, 'other.crt'),
    otherCert: join(dir, 'server2.crt'),
    otherKey: join(dir, 'server2.key'),
  };
}
