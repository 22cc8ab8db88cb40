import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const EARLY_HUP = fileURLToPath(new URL('../../src/cli/early-hup.js', import.meta.url));

/**
 * src/cli/early-hup.ts: a SIGHUP that comes while chat-server's modules load (before it can
 * reload) neither kills it nor is lost: the reload it asked for is made once the server can.
 * In a process of its own, which sends itself the signal at that moment.
 */
test('a SIGHUP while loading is kept, and carried out once the reload is known; later ones go to it too', () => {
  const script = `
    import { onHangup } from ${JSON.stringify(EARLY_HUP)};
    // A signal handler does not keep the process alive; this does, until the end.
    const alive = setInterval(() => {}, 1000);
    const arrived = new Promise((resolve) => process.once('SIGHUP', resolve));
    process.kill(process.pid, 'SIGHUP');
    await arrived;
    let reloads = 0;
    onHangup(() => reloads++);
    console.log('after loading', reloads);
    const again = new Promise((resolve) => process.once('SIGHUP', resolve));
    process.kill(process.pid, 'SIGHUP');
    await again;
    console.log('later', reloads);
    clearInterval(alive);
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.deepEqual([run.signal, run.status, run.stdout], [null, 0, 'after loading 1\nlater 2\n'], run.stderr);
});

test('hangupEnds: a command that is no server dies of a SIGHUP again, one that came while loading included', () => {
  for (const early of [true, false]) {
    const script = `
      import { hangupEnds } from ${JSON.stringify(EARLY_HUP)};
      const alive = setInterval(() => {}, 1000);
      if (${early}) {
        const arrived = new Promise((resolve) => process.once('SIGHUP', resolve));
        process.kill(process.pid, 'SIGHUP');
        await arrived;
      }
      hangupEnds();
      if (!${early}) process.kill(process.pid, 'SIGHUP');
      setTimeout(() => { console.log('alive'); clearInterval(alive); }, 5000);
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    assert.deepEqual([run.signal, run.stdout], ['SIGHUP', ''], `early: ${early}; ${run.stderr}`);
  }
});

test('without the module, the same SIGHUP ends the process: what chat-server did before it', () => {
  const script = `process.kill(process.pid, 'SIGHUP'); setTimeout(() => console.log('alive'), 2000);`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(run.signal, 'SIGHUP');
});
