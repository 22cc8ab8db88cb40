import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ChatMetrics } from '../../src/ops/metrics.js';
import { CLI } from '../helpers/cli.js';
import { docBlock, docPage } from '../helpers/docs.js';
import { redisSkip, TestRedis } from '../helpers/redis.js';
import { startServer } from '../helpers/server.js';
import { tempDir } from '../helpers/users.js';

const installed = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0;
/** As for redis-server (test/helpers/redis.ts): skipped on a laptop without it, never in CI. */
const systemdSkip: string | false =
  installed || process.env['CI'] ? false : 'systemd-analyze is not installed: apt-get install systemd to check the unit in docs/operations.md';

describe('docs/operations.md', () => {
  test('the unit the shell writes gets ExecStart from `npm prefix -g`, passes systemd-analyze verify, and uses only options chat-server has', {
    skip: systemdSkip,
  }, (t) => {
    const { block } = docBlock('systemd-unit');
    const target = 'sudo tee /etc/systemd/system/chat-server.service > /dev/null <<EOF\n';
    assert.ok(block.startsWith(target), block);
    assert.match(block, /^ExecStart=\$\(npm prefix -g\)\/bin\/chat-server /m);
    // npm's global prefix is a folder of ours, whose bin/chat-server is the built CLI, as a
    // global install links it: verify checks that ExecStart can be run.
    const dir = tempDir(t, 'chat-unit-');
    const prefix = join(dir, 'prefix');
    mkdirSync(join(prefix, 'bin'), { recursive: true });
    symlinkSync(CLI.server, join(prefix, 'bin', 'chat-server'));
    const unit = join(dir, 'chat-server.service');
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key)) env[key] = value;
    execFileSync('bash', ['-e', '-c', `tee '${unit}' > /dev/null <<EOF\n${block.slice(target.length)}`], {
      env: { ...env, npm_config_prefix: prefix, npm_config_update_notifier: 'false' },
    });
    const written = readFileSync(unit, 'utf8');
    assert.match(written, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m, 'the shell wrote $MAINPID as it is');
    const verify = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    assert.equal(verify.status, 0, verify.stderr);
    assert.equal(verify.stderr.trim(), '', 'no key systemd ignores or cannot parse');
    const help = execFileSync(process.execPath, [CLI.server, '--help'], { encoding: 'utf8' });
    const execStart = /^ExecStart=([\s\S]*?[^\\])$/m.exec(written)?.[1] ?? '';
    assert.ok(execStart.startsWith(`${join(prefix, 'bin', 'chat-server')} `), execStart);
    const flags = [...execStart.matchAll(/\s(--[a-z-]+)/g)].map((m) => m[1]!);
    assert.ok(flags.length >= 8, execStart);
    const known = (flag: string): boolean => help.includes(`${flag} `);
    for (const flag of flags) assert.ok(known(flag), `chat-server has no ${flag}`);
  });

  test('every metric the page names is one the server serves', { skip: redisSkip }, async (t) => {
    const redis = await TestRedis.start(t);
    const metrics = new ChatMetrics();
    t.after(() => metrics.close());
    const { server } = await startServer(t, { redis: { url: redis.url, leaseMs: 1000 }, onEvent: metrics.onEvent() });
    metrics.watch(server);
    const served = new Set([...(await metrics.registry.metrics()).matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
    const page = docPage('docs/operations.md');
    const named = new Set([...page.matchAll(/\b((?:chat|nodejs|process)_[a-z0-9_]*[a-z0-9])\b/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, '')));
    assert.ok(named.size > 15, [...named].join(', '));
    for (const name of named) assert.ok(served.has(name), `docs/operations.md names ${name}, which the server does not serve`);
  });
});
