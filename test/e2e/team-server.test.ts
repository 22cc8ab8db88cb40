import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import tls from 'node:tls';
import { makeCerts, type TestCerts } from '../helpers/certs.js';
import { CLI, run } from '../helpers/cli.js';
import { docBlock } from '../helpers/docs.js';
import { LineClient, loggedInAs, sendFirst } from '../helpers/line-client.js';
import { LineQueue } from '../helpers/lines.js';
import { tempDir } from '../helpers/users.js';

/**
 * docs/team-server.md, run here as far as a test can: its blocks are taken from the page and
 * run with bash, in a temporary folder that stands for the machine. What only root on a real
 * machine may do is stood in for (see `machine`); everything else is the real command.
 */

const has = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
/** As for redis-server (test/helpers/redis.ts): skipped on a laptop without the tool, never in CI, where it fails. */
const needs = (tool: string, pkg: string, what: string): string | false =>
  has(tool) || process.env['CI'] ? false : `${tool} is not installed: apt-get install ${pkg} to ${what}`;

const DOMAIN = 'chat.example.test';
const PASSWORD = 'wonderland';
const HERE = { user: userInfo().username, group: execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim() };

/** The machine of the page, in a temporary folder: where each of its system paths lands. */
interface Machine {
  root: string;
  /** `npm prefix -g` here: bin/chat-server links to the built CLI, as a global install does. */
  prefix: string;
  state: string;
  backups: string;
  letsencrypt: string;
  /** What the stand-in systemctl was asked, one call a line. */
  systemctlLog: string;
  unitFile: string;
  env: NodeJS.ProcessEnv;
}

/**
 * A temporary machine. On PATH first, stand-ins for what needs root and a real system:
 * `useradd` (the test runs as the user it finds: the page's `chat-server` account becomes
 * that user in `install -o`, `chgrp`, `User=`), `runuser -u USER --` (runs the command as
 * this user), and `systemctl`, which notes each call and, asked to reload, runs the
 * unit's own ExecReload with MAINPID from the environment, as systemd would.
 */
function machine(t: TestContext): Machine {
  const root = tempDir(t, 'chat-team-');
  const dirs = ['prefix/bin', 'state', 'backups', 'letsencrypt', 'systemd', 'cron.d', 'sbin', 'stand-ins'];
  for (const d of dirs) mkdirSync(join(root, d), { recursive: true });
  const prefix = join(root, 'prefix');
  symlinkSync(CLI.server, join(prefix, 'bin', 'chat-server'));
  symlinkSync(CLI.client, join(prefix, 'bin', 'chat-client'));
  const systemctlLog = join(root, 'systemctl.log');
  const unitFile = join(root, 'systemd', 'chat-server.service');
  const standIns = join(root, 'stand-ins');
  const script = (name: string, body: string): void => writeFileSync(join(standIns, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  script('useradd', 'echo "useradd $*" >> "$0.log"');
  script('runuser', '[ "$1" = -u ] && [ "$2" = chat-server ] && [ "$3" = -- ] || { echo "runuser stand-in: $*" >&2; exit 2; }\nshift 3\nexec "$@"');
  script(
    'systemctl',
    `echo "$*" >> '${systemctlLog}'
case "$1" in
  try-reload-or-restart|reload) if [ -n "\${MAINPID:-}" ]; then eval "$(sed -n 's/^ExecReload=//p' '${unitFile}')"; fi ;;
esac`,
  );
  // A shell of the reader's: no settings of `npm test` (its prefix among them), npm's global prefix ours.
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key)) env[key] = value;
  Object.assign(env, {
    PATH: [standIns, join(prefix, 'bin'), dirname(process.execPath), process.env['PATH']].join(':'),
    npm_config_prefix: prefix,
    npm_config_update_notifier: 'false',
    DOMAIN,
    NO_COLOR: '1',
  });
  return {
    root,
    prefix,
    state: join(root, 'state'),
    backups: join(root, 'backups'),
    letsencrypt: join(root, 'letsencrypt'),
    systemctlLog,
    unitFile,
    env,
  };
}

/** TEXT with the page's system paths and account moved into machine M. */
function localise(m: Machine, text: string): string {
  return text
    .replaceAll('/etc/systemd/system', join(m.root, 'systemd'))
    .replaceAll('/etc/cron.d', join(m.root, 'cron.d'))
    .replaceAll('/etc/letsencrypt', m.letsencrypt)
    .replaceAll('/usr/local/sbin', join(m.root, 'sbin'))
    .replaceAll('/var/lib/chat-server', m.state)
    .replaceAll('/var/backups/chat-server', m.backups)
    .replace(/(-o |^User=)chat-server\b/gm, `$1${HERE.user}`)
    .replace(/(-g |chgrp |^Group=)chat-server\b/gm, `$1${HERE.group}`);
}

/** Runs a shell script in machine M; resolves with its stdout once it exits 0. */
function sh(m: Machine, script: string, options: { input?: string; env?: NodeJS.ProcessEnv; shell?: string } = {}): Promise<string> {
  const proc = spawn(options.shell ?? 'bash', ['-e', '-c', script], { cwd: m.root, env: { ...m.env, ...options.env }, stdio: 'pipe' });
  proc.stdin.end(options.input ?? '');
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${script}\n${out}${err}`))));
  });
}

/** Runs the page's block after `<!-- MARKER -->` in machine M. */
async function runBlock(m: Machine, marker: string, options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const { page, block } = docBlock(marker);
  assert.equal(page, 'docs/team-server.md');
  return sh(m, localise(m, block), options);
}

/** Lays out certificate N of the domain as certbot does: archive/DOMAIN/*N.pem, and live/DOMAIN/*.pem linking to them. */
function certbotIssues(m: Machine, n: number, cert: string, key: string, ca: string): void {
  const archive = join(m.letsencrypt, 'archive', DOMAIN);
  const live = join(m.letsencrypt, 'live', DOMAIN);
  if (n === 1) {
    mkdirSync(archive, { recursive: true });
    mkdirSync(live, { recursive: true });
    chmodSync(dirname(archive), 0o700);
    chmodSync(dirname(live), 0o700);
  }
  const files = {
    cert: readFileSync(cert),
    chain: readFileSync(ca),
    fullchain: Buffer.concat([readFileSync(cert), readFileSync(ca)]),
    privkey: readFileSync(key),
  };
  for (const [kind, pem] of Object.entries(files)) {
    writeFileSync(join(archive, `${kind}${n}.pem`), pem, { mode: kind === 'privkey' ? 0o600 : 0o644 });
    const link = join(live, `${kind}.pem`);
    symlinkSync(`../../archive/${DOMAIN}/${kind}${n}.pem`, `${link}.new`);
    renameSync(`${link}.new`, link);
  }
}

/** The unit's ExecStart, its continuation lines joined: the program and its arguments. */
function execStart(unit: string): { bin: string; args: string[] } {
  const line = /^ExecStart=((?:.*\\\n)*.*)$/m.exec(unit)?.[1];
  assert.ok(line, unit);
  const [bin, ...args] = line.replace(/\\\n/g, ' ').trim().split(/\s+/);
  return { bin: bin!, args };
}

/** ARGS with FLAG's value replaced: the unit's, moved onto loopback and free ports. */
function withValue(args: string[], flag: string, value: string): string[] {
  const at = args.indexOf(flag);
  assert.ok(at >= 0, `the unit's ExecStart has ${flag}`);
  return args.map((a, i) => (i === at + 1 ? value : a));
}

interface Server {
  pid: number;
  port: number;
  stdout: LineQueue;
  stderr: LineQueue;
  stop(): Promise<void>;
}

/** Starts the unit's ExecStart as systemd would run it (the program at npm's prefix), on 127.0.0.1 and free ports. */
async function startUnit(t: TestContext, m: Machine): Promise<Server> {
  const { bin, args } = execStart(readFileSync(m.unitFile, 'utf8'));
  let local = withValue(args, '--host', '127.0.0.1');
  local = withValue(local, '--port', '0');
  local = withValue(local, '--irc-tls-port', '0');
  const proc = spawn(bin, local, { env: m.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exit = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  t.after(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  const stdout = new LineQueue(proc.stdout, 'chat-server stdout');
  const stderr = new LineQueue(proc.stderr, 'chat-server stderr');
  const first = (await stdout.next()) ?? '';
  const port = Number(/^listening on 127\.0\.0\.1:(\d+)$/.exec(first)?.[1]);
  assert.ok(port, `chat-server did not start: ${first}\n${stderr.seen.join('\n')}`);
  assert.match((await stdout.next()) ?? '', /^irc\+tls on 127\.0\.0\.1:\d+$/);
  return {
    pid: proc.pid!,
    port,
    stdout,
    stderr,
    stop: async () => {
      proc.kill('SIGTERM');
      await exit;
      assert.equal(proc.exitCode, 0, stderr.seen.join('\n'));
    },
  };
}

/** A TLS connection as `openssl s_client` would make: lines in and out, and the certificate it was served. */
class TlsClient extends LineClient {
  private constructor(readonly socket: tls.TLSSocket) {
    super(socket, 'tls client');
  }

  static async connect(t: TestContext, port: number, ca: string): Promise<TlsClient> {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(ca) });
    t.after(() => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    return new TlsClient(socket);
  }

  static async loggedIn(t: TestContext, port: number, ca: string): Promise<TlsClient> {
    return loggedInAs('alice', await sendFirst(await TlsClient.connect(t, port, ca), `#alice ${PASSWORD}`));
  }

  get served(): string {
    return this.socket.getPeerX509Certificate()?.fingerprint256 ?? '';
  }
}

const fingerprint = (pem: string): string => new X509Certificate(readFileSync(pem)).fingerprint256;

/**
 * Steps 2 to 5 of the page on machine M: the service's user and folders, alice's account
 * and operator mark, the unit, the certbot hook, certificate 1 (CERTS' first) at certbot's
 * paths with the hook run as certbot runs it, and the server started from the unit.
 */
async function setUp(t: TestContext, m: Machine, certs: TestCerts): Promise<Server> {
  await runBlock(m, 'team-server-user');
  assert.equal(statSync(m.state).mode & 0o777, 0o700);
  // passwd reads the password from the first line of stdin when it is not a terminal.
  await runBlock(m, 'team-server-accounts', { input: `${PASSWORD}\n` });
  assert.equal(statSync(join(m.state, 'users')).mode & 0o777, 0o600);
  assert.equal(await sh(m, `chat-server passwd --list ${m.state}/users`), 'alice operator\n');
  await runBlock(m, 'team-server-unit');
  await runBlock(m, 'team-server-hook');
  certbotIssues(m, 1, certs.cert, certs.key, certs.ca);
  // certbot runs the hook once the certificate is there; the server is not running yet.
  await sh(m, `${m.root}/sbin/chat-server-certbot-hook`, { env: { RENEWED_LINEAGE: join(m.letsencrypt, 'live', DOMAIN) } });
  return startUnit(t, m);
}

describe('docs/team-server.md, as written', () => {
  test('the unit the shell writes runs chat-server from `npm prefix -g` and passes systemd-analyze verify', {
    skip: needs('systemd-analyze', 'systemd', 'check the unit in docs/team-server.md'),
  }, async (t) => {
    assert.ok(has('systemd-analyze'), 'systemd-analyze is not installed: apt-get install systemd');
    const m = machine(t);
    const { block } = docBlock('team-server-unit');
    assert.match(block, /^ExecStart=\$\(npm prefix -g\)\/bin\/chat-server /m);
    assert.match(block, /^User=chat-server$/m);
    await runBlock(m, 'team-server-unit');
    const unit = readFileSync(m.unitFile, 'utf8');
    const { bin, args } = execStart(unit);
    assert.equal(bin, join(m.prefix, 'bin', 'chat-server'), 'the path npm prefix -g gives');
    assert.match(unit, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m, 'the shell wrote $MAINPID as it is');
    assert.match(unit, /\.pem \\\n/, 'a continued line ends with one backslash');
    assert.ok(args.includes(`/etc/letsencrypt/live/${DOMAIN}/fullchain.pem`.replace('/etc/letsencrypt', m.letsencrypt)));
    assert.equal(readFileSync(m.systemctlLog, 'utf8'), 'daemon-reload\nenable chat-server\n');
    // User= and Group= name the user running this test: verify may check that they exist.
    const verify = spawnSync('systemd-analyze', ['verify', m.unitFile], { encoding: 'utf8' });
    assert.equal(verify.status, 0, verify.stderr);
    assert.equal(verify.stderr.trim(), '', 'no key systemd ignores or cannot parse');
    const help = execFileSync(process.execPath, [CLI.server, '--help'], { encoding: 'utf8' });
    const flags = args.filter((a) => a.startsWith('--'));
    assert.ok(flags.length >= 7, args.join(' '));
    for (const flag of flags) assert.ok(help.includes(`  ${flag} `), `chat-server has no ${flag}`);
  });

  test('accounts, TLS at certbot’s paths, a renewal: the hook reloads, new connections get the new certificate', async (t) => {
    const m = machine(t);
    const certs = makeCerts(t);
    const server = await setUp(t, m, certs);
    const live = join(m.letsencrypt, 'live', DOMAIN);
    // What the hook did for the service's group: through the folders, and this key.
    for (const dir of ['live', 'archive']) assert.equal(statSync(join(m.letsencrypt, dir)).mode & 0o777, 0o710);
    const key = realpathSync(join(live, 'privkey.pem'));
    assert.equal(statSync(key).mode & 0o777, 0o640);
    assert.equal(statSync(key).gid, userInfo().gid);

    const alice = await TlsClient.loggedIn(t, server.port, certs.ca);
    assert.equal(alice.served, fingerprint(certs.cert));
    alice.send('/bans');
    assert.match((await alice.next()) ?? '', /^\* bans \(0\)/, 'alice is an operator');
    const pw = join(m.root, 'alice.pw');
    writeFileSync(pw, `${PASSWORD}\n`, { mode: 0o600 });
    const client = ['--tls', '--host', 'localhost', '--port', String(server.port), '--name', 'alice', '--password-file', pw];
    const who = run(t, 'client', [...client, '--ca', certs.ca], { input: '/who\n' });
    assert.equal(await who.exit, 0, who.stderr.seen.join('\n'));
    assert.ok(who.stdout.seen.includes('* online (1): alice'), who.stdout.seen.join('\n'));

    // certbot renews: a new key and certificate, the links moved to them, then the hook.
    certbotIssues(m, 2, certs.otherCert, certs.otherKey, certs.otherCa);
    await sh(m, `${m.root}/sbin/chat-server-certbot-hook`, { env: { RENEWED_LINEAGE: live, MAINPID: String(server.pid) } });
    assert.match(await server.stderr.until(/reloaded the TLS certificate/), new RegExp(`reloaded the TLS certificate ${live}/fullchain\\.pem$`));
    assert.equal(statSync(realpathSync(join(live, 'privkey.pem'))).mode & 0o777, 0o640, 'the new key too');
    assert.match(readFileSync(m.systemctlLog, 'utf8'), /^try-reload-or-restart chat-server$/m);

    const renewed = await TlsClient.loggedIn(t, server.port, certs.otherCa);
    assert.equal(renewed.served, fingerprint(certs.otherCert));
    const after = run(t, 'client', [...client, '--ca', certs.otherCa], { input: '/who\n' });
    assert.equal(await after.exit, 0, after.stderr.seen.join('\n'));
    const old = run(t, 'client', [...client, '--ca', certs.ca], { input: '/who\n' });
    assert.equal(await old.exit, 1, 'the old CA no longer fits what the server serves');
    // The connection from before the renewal goes on.
    await alice.sync();
    await server.stop();
  });

  test('the nightly backup, taken while messages are written, restores into a fresh state folder with its history', {
    skip: needs('sqlite3', 'sqlite3', 'run the backup of docs/team-server.md'),
  }, async (t) => {
    assert.ok(has('sqlite3'), 'sqlite3 is not installed: apt-get install sqlite3');
    const m = machine(t);
    const certs = makeCerts(t);
    const server = await setUp(t, m, certs);
    const alice = await TlsClient.loggedIn(t, server.port, certs.ca);
    let sent = 0;
    for (; sent < 10; ) alice.send(`message ${++sent}`);
    // Reading history writes what is queued: these ten are in the file now.
    alice.send('/history 1');
    await alice.lines.until(/^\* end of history/);
    const written = sent;

    // The cron line of the page, as cron runs it: its command with sh, `\%` read as `%`.
    await runBlock(m, 'team-server-backup');
    const cron = readFileSync(join(m.root, 'cron.d', 'chat-server-backup'), 'utf8');
    const job = /^15 3 \* \* \* chat-server (.+)$/m.exec(cron)?.[1];
    assert.ok(job, cron);
    // Messages flow, one after another, each handled before the next, before, while and after the backup runs.
    const flow = async (n: number): Promise<void> => {
      for (const last = sent + n; sent < last; ) {
        alice.send(`message ${++sent}`);
        await alice.sync();
      }
    };
    await flow(5);
    let done = false;
    const backup = sh(m, job.replaceAll('\\%', '%'), { shell: 'sh' }).finally(() => (done = true));
    const from = sent;
    do await flow(1);
    while (!done && sent < 90);
    await backup;
    assert.ok(sent > from, 'messages were sent while the backup ran');
    await flow(3);
    const copies = readdirSync(m.backups).sort();
    assert.equal(copies.length, 2, copies.join(', '));
    const day = /^chat-([1-7])\.db$/.exec(copies[0]!)?.[1];
    assert.ok(day, copies.join(', '));
    assert.deepEqual(copies, [`chat-${day}.db`, `users-${day}`]);
    assert.equal(execFileSync('sqlite3', [join(m.backups, copies[0]!), 'PRAGMA integrity_check'], { encoding: 'utf8' }), 'ok\n');
    await server.stop();

    // A fresh state folder (a new machine, or a lost disk), then the page's restore.
    rmSync(m.state, { recursive: true });
    mkdirSync(m.state, { mode: 0o700 });
    const { block } = docBlock('team-server-restore');
    assert.match(block, /^day=\d$/m);
    await sh(m, localise(m, block.replace(/^day=\d$/m, `day=${day}`)));
    assert.match(readFileSync(m.systemctlLog, 'utf8'), /^stop chat-server\nstart chat-server\n$/m);
    for (const file of ['chat.db', 'users']) assert.equal(statSync(join(m.state, file)).mode & 0o777, 0o600, file);

    const restored = await startUnit(t, m);
    const back = await TlsClient.loggedIn(t, restored.port, certs.ca);
    back.send('/history 100');
    const lines: string[] = [];
    for (;;) {
      const line = await back.next();
      assert.ok(line !== undefined, 'the server closed the connection');
      if (line.startsWith('* end of history')) break;
      lines.push(line.replace(/^\* \[[^\]]+\] /, ''));
    }
    // The backup holds the messages up to some point after the first ten, all of them, in order.
    const kept = lines.length;
    assert.ok(kept >= written && kept <= sent, `${kept} messages restored; ${written} written before the backup, ${sent} sent`);
    assert.deepEqual(
      lines,
      Array.from({ length: kept }, (_, i) => `<alice> message ${i + 1}`),
    );
    assert.ok(!restored.stderr.seen.some((l) => /warning/.test(l)), restored.stderr.seen.join('\n'));
    await restored.stop();
  });
});
