import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { run } from '../helpers/cli.js';
import { stamp, T0 } from '../helpers/fake-clock.js';
import { StandIn } from '../helpers/stand-in.js';

/** Every variable the client reads its device or password from, unset: the cases set their own. */
const CLEAN = { CHAT_DEVICE: undefined, CHAT_PASSWORD: undefined };

describe('chat-client scripting mode and devices', () => {
  test('the login line: a device only with a password, from --device or CHAT_DEVICE; none by default, with --no-device or an empty CHAT_DEVICE', async (t) => {
    const cases: [args: string[], env: Record<string, string>, wire: string][] = [
      [['--device', 'laptop'], { CHAT_PASSWORD: 'pw' }, '#alice@laptop pw'],
      [[], { CHAT_PASSWORD: 'pw', CHAT_DEVICE: 'phone_2' }, '#alice@phone_2 pw'],
      [['--device', 'laptop'], { CHAT_PASSWORD: 'pw', CHAT_DEVICE: 'phone' }, '#alice@laptop pw'],
      [[], { CHAT_PASSWORD: 'pw' }, '#alice pw'],
      [['--no-device'], { CHAT_PASSWORD: 'pw', CHAT_DEVICE: 'phone' }, '#alice pw'],
      [[], { CHAT_PASSWORD: 'pw', CHAT_DEVICE: '' }, '#alice pw'],
      [['--device', 'laptop'], {}, '#alice'],
    ];
    for (const [args, env, wire] of cases) {
      const standIn = await StandIn.start(t);
      const c = run(t, 'client', ['--port', String(standIn.port), '--name', 'alice', ...args], { input: '', env: { ...CLEAN, ...env } });
      const what = `${args.join(' ')} ${JSON.stringify(env)}`;
      assert.equal(await (await standIn.connection()).received.next(), wire, what);
      assert.equal(await c.exit, 0, what);
    }
  });

  test('a device name that is not one is a usage error', async (t) => {
    for (const args of [
      ['--device', 'two words'],
      ['--device', 'x'.repeat(33)],
      ['--device', 'a@b'],
    ]) {
      const c = run(t, 'client', args, { input: '', env: CLEAN });
      assert.equal(await c.exit, 2, args.join(' '));
      assert.match(c.stderr.seen.join('\n'), /A device name is 1 to 32 letters, digits, _ or -\./);
    }
  });

  test('the catch-up and what other devices did are printed as the server sends them', async (t) => {
    const at = `* [${stamp(T0)}]`;
    const lines = [
      '* registered as alice',
      `${at} <bob#dev> the build is green`,
      `${at} *carol* call me`,
      `${at} *alice->carol* in five minutes`,
      '* end of catch-up (3 messages)',
      '*alice->bob* from my phone',
      '* you joined dev from another device',
      '<alice#dev> said on my phone',
    ];
    const standIn = await StandIn.start(t, (line, c) => {
      if (line !== '#alice@laptop pw') return false;
      for (const l of lines) c.send(l);
      return true;
    });
    const c = run(t, 'client', ['--port', String(standIn.port), '--name', 'alice', '--device', 'laptop', '--expect', '^<alice#dev>'], {
      env: { ...CLEAN, CHAT_PASSWORD: 'pw' },
    });
    assert.equal(await c.exit, 0);
    const out = c.stdout.seen;
    assert.deepEqual(out.slice(out.indexOf('* registered as alice')), lines);
  });

  test('a server from before devices: refused as an invalid name, logged in again without the device, the refusal not printed', async (t) => {
    const standIn = await StandIn.start(t, (line, c) => {
      if (!line.includes('@')) return false;
      c.send('! invalid name: use 1-32 letters, digits, _ or -');
      return true;
    });
    const c = run(t, 'client', ['--port', String(standIn.port), '--name', 'alice', '--device', 'laptop', '--strict'], {
      input: 'hi\n',
      env: { ...CLEAN, CHAT_PASSWORD: 'pw' },
    });
    const wire = (await standIn.connection()).received;
    assert.deepEqual([await wire.next(), await wire.next(), await wire.next()], ['#alice@laptop pw', '#alice pw', 'hi']);
    assert.equal(await c.exit, 0, '--strict: the refusal was no error of ours');
    assert.ok(c.stdout.seen.includes('* registered as alice'));
    assert.ok(!c.stdout.seen.some((l) => l.includes('invalid name')), c.stdout.seen.join('\n'));
  });

  test('too many devices: exit 3, saying what to do, nothing sent after the login', async (t) => {
    const standIn = await StandIn.start(t, (line, c) => {
      if (!line.startsWith('#')) return false;
      c.send('! too many devices logged in as alice (max 3)');
      return true;
    });
    const c = run(t, 'client', ['--port', String(standIn.port), '--name', 'alice', '--send', 'never sent'], { env: { ...CLEAN, CHAT_PASSWORD: 'pw' } });
    const wire = (await standIn.connection()).received;
    assert.equal(await c.exit, 3);
    assert.deepEqual(await wire.rest(), ['#alice pw']);
    assert.ok(c.stdout.seen.includes('! too many devices logged in as alice (max 3)'));
    assert.match(
      c.stderr.seen.join('\n'),
      /^chat-client: registration refused: too many devices logged in as alice \(max 3\)\. Leave the chat on one of your other devices \(\/quit there\), then try again\.$/m,
    );
  });
});
