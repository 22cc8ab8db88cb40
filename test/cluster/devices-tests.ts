import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { cluster, linesUntilSynced, type Server } from '../helpers/cluster.js';
import { usersFile } from '../helpers/users.js';
import { WireClient } from '../helpers/wire-client.js';
import { ircUser } from '../helpers/irc-client.js';

/**
 * Three servers: alice's laptop on the first, her phone on the second, bob on the third,
 * carol on the first and a guest alice_ on the second. Run by cluster.test.ts.
 */
async function spread(t: TestContext, leaseMs = 1000) {
  const users = await usersFile(t, { alice: 'pw-a', bob: 'pw-b', carol: 'pw-c', op: 'pw-op' }, ['op']);
  const { servers } = await cluster(t, 3, leaseMs, ['--users', users, '--guests']);
  const [one, two, three] = servers as [Server, Server, Server];
  const bob = await WireClient.loggedIn(t, three.port, 'bob', 'pw-b');
  const laptop = await WireClient.loggedIn(t, one.port, 'alice', 'pw-a');
  await bob.lines.until(/^\* alice joined$/);
  const phone = await WireClient.loggedIn(t, two.port, 'alice', 'pw-a');
  assert.equal(await phone.next(), '* you are in lobby');
  const carol = await WireClient.loggedIn(t, one.port, 'carol', 'pw-c');
  const lookalike = await WireClient.registered(t, two.port, 'alice_');
  for (const c of [bob, laptop]) await c.lines.until(/^\* alice_ joined$/);
  await phone.lines.until(/^\* alice_ joined$/);
  return { one, two, three, bob, laptop, phone, carol, lookalike };
}

export function clusterDeviceTests(): void {
  test('away-notify across servers: an IRC user hears of an away on another server, and of the account on two servers, which is then never away', async (t) => {
    const users = await usersFile(t, { alice: 'pw-a' });
    const { servers } = await cluster(t, 2, 1000, ['--users', users, '--guests', '--irc-port', '0', '--server-name', 'irc.test']);
    const [one, two] = servers as [Server, Server];
    const ircPort = Number(/^irc on .*:(\d+)$/.exec((await two.stdout.next()) ?? '')?.[1]);
    const dave = await ircUser(t, ircPort, 'dave', { caps: ['away-notify'] });
    dave.send('JOIN #lobby');
    await dave.expect(/ 366 /);
    const laptop = await WireClient.loggedIn(t, one.port, 'alice', 'pw-a');
    await dave.expect(/^:alice!\S+ JOIN #lobby$/);
    laptop.send('/away gone');
    await laptop.lines.until(/^\* you are away/);
    assert.equal(await dave.expect(/ AWAY/), ':alice!alice@chat AWAY :gone');
    // The phone, on dave's server: the laptop's server learns the account is on two servers.
    await WireClient.loggedIn(t, two.port, 'alice', 'pw-a');
    assert.equal(await dave.expect(/ AWAY/), ':alice!alice@chat AWAY');
    dave.send('PRIVMSG alice :there?');
    assert.equal(await laptop.lines.until(/^\*dave\*/), '*dave* there?');
    assert.ok(!(await dave.sync()).some((l) => / 301 /.test(l)), 'no 301 from an account on two servers');
  });

  test('devices of one account on two servers: direct messages reach both once, sent ones show on the other, nobody else gets any', async (t) => {
    const { bob, laptop, phone, carol, lookalike } = await spread(t);
    // Nobody was told alice joined twice.
    assert.deepEqual(
      bob.lines.seen.filter((l) => l.startsWith('* alice joined')),
      ['* alice joined'],
    );
    bob.send('@alice:secret one');
    assert.equal(await laptop.lines.until(/^\*bob\*/), '*bob* secret one');
    assert.equal(await phone.lines.until(/^\*bob\*/), '*bob* secret one');
    laptop.send('@bob:secret two');
    assert.equal(await bob.lines.until(/^\*alice\*/), '*alice* secret two');
    assert.equal(await phone.lines.until(/^\*alice->/), '*alice->bob* secret two');
    phone.send('a room line from the phone');
    assert.equal(await bob.lines.until(/^<alice>/), '<alice> a room line from the phone');
    assert.equal(await laptop.lines.until(/^<alice>/), '<alice> a room line from the phone');
    for (const c of [bob, laptop, phone]) {
      const rest = await linesUntilSynced(c);
      assert.ok(!rest.some((l) => l.includes('secret') || l.includes('room line')), `a line came twice: ${rest.join(' | ')}`);
    }
    for (const c of [carol, lookalike]) {
      await linesUntilSynced(c);
      assert.ok(!c.lines.seen.some((l) => l.includes('secret')), `a private line reached another: ${c.lines.seen.join(' | ')}`);
      assert.equal(c.lines.seen.filter((l) => l.includes('room line')).length, 1);
    }
  });

  test('devices on two servers: /join and /part follow the account; one quits and the room is told only at the last', async (t) => {
    const { bob, laptop, phone } = await spread(t);
    bob.send('/join dev');
    await bob.lines.until(/^\* you are in dev$/);
    phone.send('/join dev');
    assert.equal(await phone.lines.until(/^\* you are in dev$/), '* you are in dev');
    assert.equal(await laptop.lines.until(/^\* you joined dev/), '* you joined dev from another device');
    assert.equal(await bob.lines.until(/^\* alice joined/), '* alice joined');
    bob.send('in dev');
    assert.equal(await laptop.lines.until(/in dev$/), '<bob#dev> in dev');
    assert.equal(await phone.lines.until(/in dev$/), '<bob> in dev');
    laptop.send('/part dev');
    assert.equal(await laptop.lines.until(/^\* you left dev$/), '* you left dev');
    assert.equal(await phone.lines.until(/^\* you left dev$/), '* you left dev');
    assert.equal(await phone.next(), '* you are in lobby');
    assert.equal(await bob.lines.until(/^\* alice left/), '* alice left');
    // Neither device was told of its own account's comings and goings as if another's.
    for (const d of [laptop, phone]) {
      await linesUntilSynced(d);
      assert.deepEqual(
        d.lines.seen.filter((l) => /^\* alice (joined|left)/.test(l)),
        [],
      );
    }
    laptop.send('/quit');
    await laptop.closed;
    bob.send('@alice:still there?');
    assert.equal(await phone.lines.until(/^\*bob\*/), '*bob* still there?');
    assert.ok(!(await linesUntilSynced(bob)).some((l) => l.startsWith('* alice left')), 'alice left while her phone was on');
    phone.send('/quit bye');
    assert.equal(await bob.lines.until(/^\* alice left/), '* alice left #lobby (bye)');
  });

  test("a server's death drops only its devices: the account stays with its others", async (t) => {
    const { two, bob, laptop } = await spread(t);
    two.proc.kill('SIGKILL');
    // Once the lease has run out, the dead server's users are announced: not alice.
    await bob.lines.until(/^\* alice_ left/);
    bob.send('@alice:after the phone died');
    assert.equal(await laptop.lines.until(/^\*bob\*/), '*bob* after the phone died');
    bob.send('/who');
    assert.equal(await bob.lines.until(/^\* online/), '* online (3): alice, bob, carol');
    assert.ok(!bob.lines.seen.some((l) => l.startsWith('* alice left')), 'alice announced as gone');
  });

  test('a kick closes every device on every server, and the rooms are told once', async (t) => {
    const { one, bob, laptop, phone } = await spread(t);
    const op = await WireClient.loggedIn(t, one.port, 'op', 'pw-op');
    await bob.lines.until(/^\* op joined$/);
    op.send('/kick alice enough');
    for (const d of [laptop, phone]) {
      assert.equal(await d.lines.until(/^!/), '! kicked by op: enough');
      await d.closed;
    }
    assert.equal(await bob.lines.until(/^\* alice left/), '* alice left (kicked by op: enough)');
    assert.ok(!(await linesUntilSynced(bob)).some((l) => l.startsWith('* alice left')), 'told twice');
  });

  test("away across servers: the answer comes back from the addressee's server; an account on several servers is never said to be away", async (t) => {
    const { bob, laptop, phone, carol, lookalike } = await spread(t);
    carol.send('/away reading');
    assert.equal(await carol.lines.until(/^\* you are away/), '* you are away: reading');
    bob.send('@carol:lunch?');
    assert.equal(await carol.lines.until(/^\*bob\*/), '*bob* lunch?');
    assert.equal(await bob.lines.until(/^\* carol is away/), '* carol is away: reading');
    for (const d of [laptop, phone]) {
      d.send('/away out');
      await d.lines.until(/^\* you are away: out$/);
    }
    lookalike.send('/away elsewhere');
    await lookalike.lines.until(/^\* you are away/);
    bob.send('@alice:still there?');
    for (const d of [laptop, phone]) assert.equal(await d.lines.until(/^\*bob\*/), '*bob* still there?');
    // Answers from alice's two servers would come before these, from the same two servers.
    bob.send('@carol:and you?');
    bob.send('@alice_:and you?');
    const answers = [await bob.lines.until(/ is away: /), await bob.lines.until(/ is away: /)].sort();
    assert.deepEqual(answers, ['* alice_ is away: elsewhere', '* carol is away: reading']);
    assert.ok(!bob.lines.seen.some((l) => l.startsWith('* alice is away')), 'alice said to be away while on two servers');
    await linesUntilSynced(lookalike);
    assert.ok(!lookalike.lines.seen.some((l) => l.includes('lunch') || l.includes('still there')), `reached another: ${lookalike.lines.seen.join(' | ')}`);
  });
}
