import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { run, runServer, type Running } from '../helpers/cli.js';
import { IrcClient } from '../helpers/irc-client.js';
import { tempDir, usersFile } from '../helpers/users.js';
import { WireClient } from '../helpers/wire-client.js';

/** chat-client in scripting mode as alice's device DEVICE: its stdin stays open, lines are written to it. */
function device(t: TestContext, port: number, passwordFile: string, name: string): Running {
  return run(t, 'client', ['--port', String(port), '--name', 'alice', '--password-file', passwordFile, '--device', name]);
}

/** How many of C's lines are LINE: every device shows everything once. */
const count = (c: { seen: readonly string[] }, line: string): number => c.seen.filter((l) => l === line).length;

test('alice on two chat-clients and an IRC client at once: every device shows everything once; one away catches up on its return', async (t) => {
  const users = await usersFile(t, { alice: 'pw-a', bob: 'pw-b' });
  const passwordFile = join(tempDir(t), 'alice.pw');
  writeFileSync(passwordFile, 'pw-a\n', { mode: 0o600 });
  const server = await runServer(t, ['--users', users, '--irc-port', '0', '--rate', '0']);
  const ircPort = Number(/^irc on .*:(\d+)$/.exec((await server.stdout.next()) ?? '')?.[1]);
  const bob = await WireClient.loggedIn(t, server.port, 'bob', 'pw-b');

  const laptop = device(t, server.port, passwordFile, 'laptop');
  await laptop.stdout.until(/^\* end of catch-up \(0 messages\)$/);
  const phone = device(t, server.port, passwordFile, 'phone');
  await phone.stdout.until(/^\* end of catch-up \(0 messages\)$/);
  const irc = await (await IrcClient.connect(t, ircPort, 'tablet')).sasl('alice@tablet', 'pw-a', ['server-time', 'echo-message']);
  await irc.expect(/ JOIN #lobby$/);
  await irc.expect(/end of catch-up \(0 messages\)$/);
  assert.equal(count(bob.lines, '* alice joined'), 1);

  // Two rooms: the laptop joins dev, every device is in it.
  laptop.proc.stdin!.write('/join dev\n');
  await laptop.stdout.until(/^\* you are in dev$/);
  await phone.stdout.until(/^\* you joined dev from another device$/);
  await irc.expect(/:alice!alice@chat JOIN #dev$/);
  bob.send('/join dev');
  await bob.lines.until(/^\* you are in dev$/);
  bob.send('hello dev');
  bob.send('/join lobby');
  await bob.lines.until(/^\* you are in lobby$/);
  bob.send('hello lobby');
  phone.proc.stdin!.write('@bob:hi from the phone\n');
  assert.equal(await bob.lines.until(/^\*alice\*/), '*alice* hi from the phone');
  assert.equal(await laptop.stdout.until(/^\*alice->/), '*alice->bob* hi from the phone');
  bob.send('@alice:hi alice');
  await laptop.stdout.until(/^\*bob\* hi alice$/);
  await phone.stdout.until(/^\*bob\* hi alice$/);
  await irc.expect(/PRIVMSG alice :hi alice$/);
  irc.send('PRIVMSG #dev :said on the tablet');
  assert.equal(await bob.lines.until(/said on the tablet$/), '<alice#dev> said on the tablet');
  for (const c of [laptop, phone]) await c.stdout.until(/said on the tablet$/);
  await irc.expect(/PRIVMSG #dev :said on the tablet$/);
  // Everything once on every device.
  for (const c of [laptop.stdout, phone.stdout]) {
    assert.equal(c.seen.filter((l) => /hello dev$/.test(l)).length, 1, c.seen.join('\n'));
    assert.equal(c.seen.filter((l) => /hello lobby$/.test(l)).length, 1);
    assert.equal(count(c, '*bob* hi alice'), 1);
    assert.equal(c.seen.filter((l) => /said on the tablet$/.test(l)).length, 1);
  }
  assert.equal(count(phone.stdout, '*alice->bob* hi from the phone'), 0, 'the phone sent it: it shows no copy');
  assert.equal(irc.lines.seen.filter((l) => /PRIVMSG bob :hi from the phone$/.test(l)).length, 1);
  assert.equal(irc.lines.seen.filter((l) => /hello dev$/.test(l)).length, 1);

  // The phone goes away for a while; on its return it shows what it missed, once.
  phone.proc.stdin!.end();
  assert.equal(await phone.exit, 0);
  bob.send('/join dev');
  await bob.lines.until(/^\* you are in dev$/);
  bob.send('while the phone was away');
  bob.send('@alice:a direct one meanwhile');
  await laptop.stdout.until(/a direct one meanwhile$/);
  const back = device(t, server.port, passwordFile, 'phone');
  await back.stdout.until(/^\* you are in /);
  assert.match((await back.stdout.until(/while the phone was away$/)) ?? '', /^\* \[\S+\] <bob#dev> while the phone was away$/);
  assert.match((await back.stdout.next()) ?? '', /^\* \[\S+\] \*bob\* a direct one meanwhile$/);
  assert.equal(await back.stdout.next(), '* end of catch-up (2 messages)');
  assert.equal(count(bob.lines, '* alice joined'), 1, 'nobody was told alice joined again');
  assert.ok(!bob.lines.seen.some((l) => l.startsWith('* alice left')), 'nobody was told alice left');
});
