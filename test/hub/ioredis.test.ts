import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * Whether String.prototype is a fast object in a fresh Node process once MODULE is loaded
 * (V8's own check, which only a process started with --allow-natives-syntax can make).
 */
function stringsFastAfter(module: string): boolean {
  const script = `await import(${JSON.stringify(module)}); console.log(%HasFastProperties(String.prototype));`;
  const run = spawnSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    cwd: fileURLToPath(new URL('.', import.meta.url)),
  });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout.trim()) as boolean;
}

test('loading ioredis as the server does leaves string methods fast (ioredis alone does not)', () => {
  // Why src/hub/ioredis.ts exists: were this ever true, the workaround could go.
  assert.equal(stringsFastAfter('ioredis'), false);
  assert.equal(stringsFastAfter(new URL('../../src/hub/ioredis.js', import.meta.url).href), true);
  // The whole server, as chat-server loads it, and the library's entry point.
  assert.equal(stringsFastAfter(new URL('../../src/server/chat-server.js', import.meta.url).href), true);
  assert.equal(stringsFastAfter(new URL('../../src/index.js', import.meta.url).href), true);
});
