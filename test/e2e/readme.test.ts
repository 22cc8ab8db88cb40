import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { CLI } from '../helpers/cli.js';
import { docBlock, docPages, ROOT } from '../helpers/docs.js';
import { projectCopy, type ProjectCopy } from '../helpers/project-copy.js';
import { tempDir } from '../helpers/users.js';

for (const [name, file] of [
  ['chat-server', CLI.server],
  ['chat-client', CLI.client],
] as const) {
  test(`the docs show ${name} --help exactly as it is`, () => {
    const help = execFileSync(process.execPath, [file, '--help'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '' } });
    const { page, block } = docBlock(`${name} --help`);
    assert.equal(block, help.trimEnd(), `update the "${name} --help" block in ${page}`);
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

/**
 * The project as a reader's clone has it, made once for this file's scripts and removed when
 * it ends. The scripts' first `npx` links the folder it runs in and builds it (its `prepare`):
 * in the repository, that would rewrite dist/ while the test files beside this one load it.
 */
let clone: ProjectCopy | undefined;
const privateClone = (): ProjectCopy => (clone ??= projectCopy('chat-readme-clone-'));
after(() => clone?.remove());

/** Runs a block of the docs with bash in a private copy of the project; resolves with its exit code and output. */
async function runBlock(t: TestContext, marker: string): Promise<{ code: number | null; output: string; tmp: string }> {
  const { block: script } = docBlock(marker);
  const project = privateClone();
  // The repository's build, which the test files beside this one load, is left alone.
  const built = (): number => statSync(join(ROOT, 'dist', 'src', 'cli', 'chat-server.js')).mtimeMs;
  const before = built();
  // Every process the script starts inherits this mark: afterwards, none may be left.
  const tmp = tempDir(t, 'chat-readme-');
  const mark = `readme-${marker}-${process.pid}-${Date.now()}`;
  const proc = spawn('bash', ['-c', script], {
    cwd: project.dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    // Its mktemp folders go into one of ours, removed when the test ends, whatever the script does.
    env: { ...project.env, CHAT_TEST_MARK: mark, TMPDIR: tmp },
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
  assert.equal(built(), before, "the script rebuilt the repository's dist/");
  assert.ok(existsSync(join(project.dir, 'dist', 'src', 'cli', 'chat-server.js')), 'npx built the copy it ran in');
  return { code, output, tmp };
}

test('the CI smoke test (docs/scripting.md) runs and passes as written, and removes its folder', async (t) => {
  const { code, output, tmp } = await runBlock(t, 'smoke-test');
  assert.equal(code, 0, output);
  assert.match(output, /\* registered as alice/);
  assert.doesNotMatch(output, /No such file/);
  assert.deepEqual(readdirSync(tmp), [], 'the script removes its temporary folder');
});

test('"Accounts and TLS, tried on one machine" (docs/running.md) runs as written: users, certificate, TLS server, client', async (t) => {
  const { code, output, tmp } = await runBlock(t, 'running-for-real');
  assert.equal(code, 0, output);
  assert.match(output, /added alice to /);
  assert.match(output, /^\* online \(1\): alice$/m);
  assert.deepEqual(readdirSync(tmp), [], 'the script removes its temporary folder, keys and all');
});

test('every relative link in README.md and docs/ leads to a file of the repository', () => {
  for (const [page, text] of docPages()) {
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue; // https: and the like
      const path = target!.replace(/#.*$/, '');
      if (path === '') continue; // a heading of the same page
      const file = join(ROOT, dirname(page), path);
      const inside = relative(ROOT, file);
      assert.ok(!inside.startsWith('..'), `${page} links to ${target}, outside the repository: a clone does not have it`);
      assert.ok(existsSync(file), `${page} links to ${target}, which does not exist`);
    }
  }
});
