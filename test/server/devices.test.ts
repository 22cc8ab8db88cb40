import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { FakeClock, stamp, T0 } from '../helpers/fake-clock.js';
import { MemoryClient, startCore, type MemoryCoreOptions } from '../helpers/memory-client.js';
import { usersFile } from '../helpers/users.js';

/**
 * docs/protocol.md, "Your account": one account on several devices at once, over in-memory
 * connections (the sharing is the core's, whatever carries the lines). alice and bob are
 * accounts, op an operator; guests may take other names (alice_, say).
 */
async function chat(t: TestContext, options: MemoryCoreOptions = {}) {
  const users = await usersFile(t, { alice: 'pw-a', bob: 'pw-b', carol: 'pw-c', op: 'pw-op' }, ['op']);
  const clock = new FakeClock();
  clock.advance(T0);
  const { core } = startCore(t, { users, guests: true, timers: clock, authFailureDelayMs: 10, rate: 0, ...options });
  const bob = await MemoryClient.loggedIn(core, 'bob', 'pw-b');
  const device = async (line: string): Promise<MemoryClient> => {
    const c = MemoryClient.connect(core, line.slice(1, line.indexOf(' ')));
    await c.lines.until(/^\* welcome/);
    c.send(line);
    return c;
  };
  return { core, clock, bob, device };
}

describe('one account on several devices', () => {
  test('a second login adds a device: same rooms, nobody told it joined, and one quit leaves the others', async (t) => {
    const { core, bob, device } = await chat(t);
    const laptop = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    await bob.lines.until(/^\* alice joined$/);
    laptop.send('/join dev');
    await laptop.lines.until(/^\* you are in dev$/);
    const phone = await device('#alice pw-a');
    assert.equal(await phone.next(), '* registered as alice');
    // The account's rooms, its current room last.
    assert.equal(await phone.next(), '* you joined lobby from another device');
    assert.equal(await phone.next(), '* you are in dev');
    await bob.expectNothing();
    bob.send('/who');
    assert.equal(await bob.next(), '* online (2): alice, bob');
    bob.send('/who lobby');
    assert.equal(await bob.next(), '* in lobby (2): alice, bob');
    laptop.send('/quit');
    await laptop.closed;
    await bob.expectNothing();
    phone.send('/who');
    assert.equal(await phone.next(), '* online (2): alice, bob');
    phone.send('/quit see you');
    assert.equal(await bob.lines.until(/^\* alice left/), '* alice left (see you)');
  });

  test("room lines reach every device of the room, the sender's others too; once each", async (t) => {
    const { core, bob } = await chat(t);
    const laptop = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    const phone = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    await phone.lines.until(/^\* you are in lobby$/);
    laptop.send('hi from the laptop');
    assert.equal(await bob.lines.until(/^<alice>/), '<alice> hi from the laptop');
    assert.equal(await phone.next(), '<alice> hi from the laptop');
    bob.send('hello alice');
    assert.equal(await laptop.next(), '<bob> hello alice');
    assert.equal(await phone.next(), '<bob> hello alice');
    await laptop.expectNothing();
    await phone.expectNothing();
    await bob.expectNothing();
  });

  test("a direct message reaches every device of the addressee and the sender's other devices, and nobody else", async (t) => {
    const { core, bob, device } = await chat(t);
    const laptop = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    const phone = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    const carol = await MemoryClient.loggedIn(core, 'carol', 'pw-c');
    // A guest with a name like alice's.
    const lookalike = await device('#alice_');
    assert.equal(await lookalike.next(), '* registered as alice_');
    const bobToo = await MemoryClient.loggedIn(core, 'bob', 'pw-b');
    await bobToo.lines.until(/^\* you are in lobby$/);
    for (const c of [laptop, phone, bob, bobToo, carol, lookalike]) await c.sync();
    bob.send('@ALICE:secret for alice');
    assert.equal(await laptop.lines.until(/^\*bob/), '*bob* secret for alice');
    assert.equal(await phone.lines.until(/^\*bob/), '*bob* secret for alice');
    assert.equal(await bobToo.next(), '*bob->ALICE* secret for alice');
    laptop.send('@bob:secret for bob');
    assert.equal(await bob.lines.until(/^\*alice/), '*alice* secret for bob');
    assert.equal(await bobToo.next(), '*alice* secret for bob');
    assert.equal(await phone.next(), '*alice->bob* secret for bob');
    for (const c of [laptop, phone, bob, bobToo]) await c.expectNothing();
    for (const c of [carol, lookalike]) {
      await c.expectNothing();
      assert.ok(!c.lines.seen.some((l) => l.includes('secret')), `${c.label} saw a private line: ${c.lines.seen.join(' | ')}`);
    }
  });

  test("/join and /part on one device are the account's: the others are told, the room once", async (t) => {
    const { core, bob } = await chat(t);
    bob.send('/join dev');
    await bob.lines.until(/^\* you are in dev$/);
    const laptop = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    const phone = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    await phone.lines.until(/^\* you are in lobby$/);
    laptop.send('/join dev');
    assert.equal(await laptop.next(), '* you are in dev');
    assert.equal(await phone.next(), '* you joined dev from another device');
    assert.equal(await bob.lines.until(/^\* alice joined$/), '* alice joined');
    await bob.expectNothing();
    // The phone's current room is still the lobby.
    phone.send('still in the lobby');
    await bob.lines.until(/^<alice#lobby> still in the lobby$/);
    assert.equal(await laptop.next(), '<alice#lobby> still in the lobby');
    bob.send('/who dev');
    assert.equal(await bob.next(), '* in dev (2): alice, @bob');
    phone.send('/part dev bye dev');
    assert.equal(await phone.next(), '* you left dev');
    assert.equal(await laptop.next(), '* you left dev');
    assert.equal(await laptop.next(), '* you are in lobby');
    assert.equal(await bob.next(), '* alice left (bye dev)');
    await bob.expectNothing();
    // Any device joins, not only the first: the phone now.
    phone.send('/join dev');
    assert.equal(await phone.next(), '* you are in dev');
    assert.equal(await laptop.next(), '* you joined dev from another device');
    assert.equal(await bob.next(), '* alice joined');
  });

  test('--max-devices: the next login is refused and may try again; 1 brings back "logged in elsewhere"', async (t) => {
    const { core, device } = await chat(t, { maxDevices: 2 });
    await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    const second = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    const third = await device('#alice pw-a');
    assert.equal(await third.next(), '! too many devices logged in as alice (max 2)');
    second.send('/quit');
    await second.closed;
    third.send('#alice pw-a');
    assert.equal(await third.next(), '* registered as alice');

    const one = await chat(t, { maxDevices: 1 });
    const old = await MemoryClient.loggedIn(one.core, 'alice', 'pw-a');
    await MemoryClient.loggedIn(one.core, 'alice', 'pw-a');
    assert.equal(await old.next(), '! logged in elsewhere: closing the connection');
    await old.closed;
  });

  test('--max-devices holds under 100 logins racing', async (t) => {
    const { core } = await chat(t, { maxDevices: 10 });
    const clients = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const c = MemoryClient.connect(core, { label: `alice${i}`, host: `10.0.${i >> 8}.${i & 255}` });
        await c.lines.until(/^\* welcome/);
        c.send('#alice pw-a');
        return c;
      }),
    );
    const answers = await Promise.all(clients.map((c) => c.next()));
    assert.equal(answers.filter((a) => a === '* registered as alice').length, 10);
    assert.equal(answers.filter((a) => a === '! too many devices logged in as alice (max 10)').length, 90);
    assert.equal(core.hub.devices('alice').length, 10);
  });

  test('a kick closes every device, and the room is told once', async (t) => {
    const { core, bob } = await chat(t);
    const op = await MemoryClient.loggedIn(core, 'op', 'pw-op');
    const devices = [
      await MemoryClient.loggedIn(core, 'alice', 'pw-a'),
      await MemoryClient.loggedIn(core, 'alice', 'pw-a'),
      await MemoryClient.loggedIn(core, 'alice', 'pw-a'),
    ];
    await bob.lines.until(/^\* alice joined$/);
    op.send('/kick alice enough');
    for (const d of devices) {
      assert.equal(await d.lines.until(/^!/), '! kicked by op: enough');
      await d.closed;
    }
    assert.equal(await bob.lines.until(/^\* alice left/), '* alice left (kicked by op: enough)');
    await bob.expectNothing();
    assert.equal(core.hub.devices('alice').length, 0);
  });

  test('one of several devices is not renamed alone', async (t) => {
    const { core } = await chat(t);
    const laptop = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    laptop.send('#carol pw-c');
    assert.match((await laptop.next()) ?? '', /^! cannot rename: you are logged in as alice on other devices too/);
  });

  test("devices share the account's flood allowance: a second device is no way around flood control", async (t) => {
    const { core, bob, clock } = await chat(t, { rate: 1, burst: 4 });
    const laptop = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    const phone = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    await phone.lines.until(/^\* you are in lobby$/);
    clock.advance(10_000); // both logins' spending is made good
    for (let i = 0; i < 4; i++) laptop.send(`laptop ${i}`);
    for (let i = 0; i < 4; i++) assert.equal(await bob.lines.until(/^<alice>/), `<alice> laptop ${i}`);
    phone.send('from the phone');
    // The account's allowance is spent: the phone's line waits for the clock.
    await bob.expectNothing();
    clock.advance(1000);
    assert.equal(await bob.lines.until(/^<alice>/), '<alice> from the phone');
  });
});

describe('catch-up of a named device', () => {
  test('a device away while its account stayed gets exactly what it missed, in order, once', async (t) => {
    const { bob, clock, device } = await chat(t);
    bob.send('/join dev');
    await bob.lines.until(/^\* you are in dev$/);
    const laptop = await device('#alice@laptop pw-a');
    assert.equal(await laptop.next(), '* registered as alice');
    assert.equal(await laptop.next(), '* end of catch-up (0 messages)');
    laptop.send('/join dev');
    await laptop.lines.until(/^\* you are in dev$/);
    const phone = await device('#alice@phone pw-a');
    await phone.lines.until(/^\* end of catch-up/);
    clock.advance(1000);
    const left = clock.now();
    laptop.send('/quit');
    await laptop.closed;
    await bob.sync();
    const expected: string[] = [];
    for (let i = 0; i < 50; i++) {
      clock.advance(1);
      bob.send(`room message ${i}`);
      expected.push(`* [${stamp(clock.now())}] <bob#dev> room message ${i}`);
      await phone.lines.until(new RegExp(`room message ${i}$`));
    }
    for (let i = 0; i < 5; i++) {
      clock.advance(1);
      bob.send(`@alice:dm ${i}`);
      expected.push(`* [${stamp(clock.now())}] *bob* dm ${i}`);
      await phone.lines.until(new RegExp(`dm ${i}$`));
    }
    clock.advance(1);
    phone.send('@bob:sent from the phone');
    expected.push(`* [${stamp(clock.now())}] *alice->bob* sent from the phone`);
    await bob.lines.until(/sent from the phone$/);
    assert.ok(clock.now() > left);
    const back = await device('#alice@laptop pw-a');
    assert.equal(await back.next(), '* registered as alice');
    assert.equal(await back.next(), '* you joined lobby from another device');
    assert.equal(await back.next(), '* you are in dev');
    for (const line of expected) assert.equal(await back.next(), line);
    assert.equal(await back.next(), `* end of catch-up (${expected.length} messages)`);
    await back.expectNothing();
    // Again: nothing twice.
    clock.advance(1000);
    back.send('/quit');
    await back.closed;
    const again = await device('#alice@laptop pw-a');
    await again.lines.until(/^\* you are in dev$/);
    assert.equal(await again.next(), '* end of catch-up (0 messages)');
  });

  test('a device whose account was away goes back to its rooms; kept messages are not shown twice', async (t) => {
    const { bob, clock, device } = await chat(t);
    bob.send('/join dev');
    await bob.lines.until(/^\* you are in dev$/);
    const laptop = await device('#alice@laptop pw-a');
    await laptop.lines.until(/^\* end of catch-up/);
    laptop.send('/join dev');
    await laptop.lines.until(/^\* you are in dev$/);
    clock.advance(1000);
    laptop.send('/quit');
    await laptop.closed;
    clock.advance(1);
    bob.send('while you were out');
    clock.advance(1);
    bob.send('@alice:kept for you');
    assert.match((await bob.lines.until(/^\* alice is offline/)) ?? '', /will be delivered/);
    const at = clock.now();
    clock.advance(1);
    const back = await device('#alice@laptop pw-a');
    assert.equal(await back.next(), '* registered as alice');
    assert.equal(await back.next(), '* waiting for you: 1 messages');
    assert.equal(await back.next(), `* [${stamp(at)}] *bob* kept for you`);
    assert.equal(await back.next(), '* you are in dev');
    assert.equal(await back.next(), `* [${stamp(at - 1)}] <bob#dev> while you were out`);
    assert.equal(await back.next(), '* end of catch-up (1 messages)');
    assert.equal(await bob.lines.until(/^\* alice joined/), '* alice joined');
    // A device that never named itself gets no catch-up.
    const unnamed = await device('#alice pw-a');
    assert.equal(await unnamed.next(), '* registered as alice');
    await unnamed.lines.until(/^\* you are in dev$/);
    await unnamed.expectNothing();
    assert.ok(!unnamed.lines.seen.some((l) => l.includes('catch-up')));
  });

  test('a device name that cannot be one is refused; a guest names none', async (t) => {
    const { device } = await chat(t);
    const bad = await device('#alice@my.laptop pw-a');
    assert.equal(await bad.next(), '! invalid device name: use 1-32 letters, digits, _ or -, as in #NAME@laptop PASSWORD');
    const guest = await device('#dave@laptop x');
    assert.equal(await guest.next(), '* registered as dave');
    await guest.expectNothing();
  });
});
