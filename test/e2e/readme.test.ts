import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import { CLI } from '../helpers/cli.js';
import { tempDir } from '../helpers/users.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const README = readFileSync(new URL('README.md', `file://${ROOT}`), 'utf8');

/** The fenced block right after an HTML comment marker in README.md. */
function blockAfter(marker: string): string {
  const at = README.indexOf(`<!-- ${marker} -->`);
  assert.ok(at >= 0, `README has the marker ${marker}`);
  const m = /```\w*\n([\s\S]*?)\n```/.exec(README.slice(at));
  assert.ok(m?.[1] !== undefined, `a fenced block follows ${marker}`);
  return m[1];
}

for (const [name, file] of [['chat-server', CLI.server], ['chat-client', CLI.client]] as const) {
  test(`README shows ${name} --help exactly as it is`, () => {
    const help = execFileSync(process.execPath, [file, '--help'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '' } });
    assert.equal(blockAfter(`${name} --help`), help.trimEnd(), `update README's "${name} --help" block`);
  });
}

/** Waits until no process carries MARK in its environment; fails with them after a while. */
async function noneLeft(mark: string): Promise<void> {
  const marked = (): string[] =>
    readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/environ`, 'latin1').includes(`CHAT_TEST_MARK=${mark}`);
        } catch {
          return false;
        }
      });
  for (let i = 0; marked().length > 0; i++) {
    if (i > 100) {
      const pids = marked();
      for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
      assert.fail(`the script left processes running: ${pids.join(', ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs a README block with bash from the project folder; resolves with its exit code and output. */
async function runBlock(t: TestContext, marker: string): Promise<{ code: number | null; output: string }> {
  const script = blockAfter(marker);
  // Every process the script starts inherits this mark: afterwards, none may be left.
  const mark = `readme-${marker}-${process.pid}-${Date.now()}`;
  const proc = spawn('bash', ['-c', script], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    // Its mktemp folders go into one of ours, removed when the test ends, whatever the script does.
    env: { ...process.env, CHAT_TEST_MARK: mark, TMPDIR: tempDir(t, 'chat-readme-') },
  });
  // The script's own trap stops its server; this is for a script killed half-way.
  t.after(() => {
    try {
      process.kill(-proc.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  let output = '';
  proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
  await noneLeft(mark);
  return { code, output };
}

test('README\'s CI smoke test runs and passes as written', async (t) => {
  const { code, output } = await runBlock(t, 'smoke-test');
  assert.equal(code, 0, output);
  assert.match(output, /\* registered as alice/);
});

test('README\'s "Running it for real" runs as written: users, certificate, TLS server, client', async (t) => {
  const { code, output } = await runBlock(t, 'running-for-real');
  assert.equal(code, 0, output);
  assert.match(output, /added alice to /);
  assert.match(output, /^\* online \(1\): alice$/m);
});
