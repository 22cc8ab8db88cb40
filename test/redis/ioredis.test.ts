import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * Whether String.prototype is a fast object in a fresh Node process (a module graph of its
 * own) once MODULE is loaded, by V8's own check, %HasFastProperties.
 */
function stringsFastAfter(module: string): boolean {
  const script = `await import(${JSON.stringify(module)}); console.log(%HasFastProperties(String.prototype));`;
  // A preload of the caller's (NODE_OPTIONS) could print first or load ioredis itself.
  const env = { ...process.env };
  delete env['NODE_OPTIONS'];
  const run = spawnSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    env,
    timeout: 30_000,
  });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout.trim()) as boolean;
}

test('loading ioredis as the server does leaves string methods fast', (t) => {
  // Why src/redis/ioredis.ts exists (ioredis 6 on Node 20). Another ioredis or Node may not
  // slow String.prototype at all: that is said, not failed.
  if (stringsFastAfter('ioredis')) t.diagnostic('ioredis alone leaves String.prototype fast here: src/redis/ioredis.ts has nothing to undo');
  assert.equal(stringsFastAfter(new URL('../../src/redis/ioredis.js', import.meta.url).href), true);
  // The whole server, as chat-server loads it, and the library's entry point.
  assert.equal(stringsFastAfter(new URL('../../src/app/server.js', import.meta.url).href), true);
  assert.equal(stringsFastAfter(new URL('../../src/index.js', import.meta.url).href), true);
});
