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
    // Any device may join: the second one too.
    phone.send('/join ops');
    assert.equal(await phone.next(), '* you are in ops');
    assert.equal(await laptop.next(), '* you joined ops from another device');
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

  test("10 devices flooding at once share the account's flood allowance: a second device is no way around flood control", async (t) => {
    const { core, bob, clock } = await chat(t, { rate: 1, burst: 4 });
    const devices: MemoryClient[] = [];
    for (let i = 0; i < 10; i++) {
      const d = MemoryClient.connect(core, { label: `device${i}`, host: `10.0.0.${i + 1}` });
      await d.lines.until(/^\* welcome/);
      d.send('#alice pw-a');
      await d.lines.until(/^\* registered as alice$/);
      devices.push(d);
    }
    clock.advance(10_000); // the logins' spending is made good
    // Every device floods at once: 5 lines each, 50 in all.
    for (const [i, d] of devices.entries()) for (let j = 0; j < 5; j++) d.send(`device ${i} line ${j}`);
    // The account's burst (4) goes through; the rest waits for the clock, whatever device sent it.
    for (let i = 0; i < 4; i++) await bob.lines.until(/^<alice>/);
    await bob.expectNothing();
    clock.advance(1000);
    await bob.lines.until(/^<alice>/);
    await bob.expectNothing();
    assert.equal(bob.lines.seen.filter((l) => l.startsWith('<alice>')).length, 5);
  });

  test('a ban closes every device, and refuses the account at its next login', async (t) => {
    const { core, bob, device } = await chat(t);
    const op = await MemoryClient.loggedIn(core, 'op', 'pw-op');
    const laptop = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    const phone = await MemoryClient.loggedIn(core, 'alice', 'pw-a');
    await bob.lines.until(/^\* alice joined$/);
    op.send('/ban alice 10 spam');
    for (const d of [laptop, phone]) {
      assert.match((await d.lines.until(/^!/)) ?? '', /^! banned by op: spam/);
      await d.closed;
    }
    assert.match((await bob.lines.until(/^\* alice left/)) ?? '', /^\* alice left \(banned by op: spam\)$/);
    const again = await device('#alice pw-a');
    assert.match((await again.next()) ?? '', /^! banned until /);
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

  test('a device whose account was away goes back to its rooms; a kept message is not shown twice, and the other devices catch up on it', async (t) => {
    const { bob, clock, device } = await chat(t);
    bob.send('/join dev');
    await bob.lines.until(/^\* you are in dev$/);
    const phone = await device('#alice@phone pw-a');
    await phone.lines.until(/^\* end of catch-up/);
    phone.send('/quit');
    await phone.closed;
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
    // Announced in the lobby at login, then in dev as it goes back.
    assert.equal(await bob.lines.until(/^\* alice joined/), '* alice joined #lobby');
    assert.equal(await bob.next(), '* alice joined');
    // The phone, away longer, missed the kept message too: it had gone to the laptop.
    const phoneBack = await device('#alice@phone pw-a');
    await phoneBack.lines.until(/^\* you are in dev$/);
    assert.equal(await phoneBack.next(), `* [${stamp(at - 1)}] <bob#dev> while you were out`);
    assert.equal(await phoneBack.next(), `* [${stamp(at)}] *bob* kept for you`);
    assert.equal(await phoneBack.next(), '* end of catch-up (2 messages)');
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

describe('a device that logs in again', () => {
  test('takes the place of its ghost when that was the only device: the account never leaves the chat', async (t) => {
    const { bob, device } = await chat(t);
    const ghost = await device('#alice@laptop pw-a');
    await ghost.lines.until(/^\* end of catch-up/);
    ghost.send('/join dev');
    await ghost.lines.until(/^\* you are in dev$/);
    await bob.lines.until(/^\* alice joined$/);
    const again = await device('#alice@laptop pw-a');
    assert.equal(await ghost.lines.until(/^!/), '! logged in elsewhere: closing the connection');
    await ghost.closed;
    assert.equal(await again.next(), '* registered as alice');
    assert.equal(await again.next(), '* you joined lobby from another device');
    assert.equal(await again.next(), '* you are in dev');
    await again.lines.until(/^\* end of catch-up/);
    await bob.expectNothing();
    assert.ok(!bob.lines.seen.some((l) => l.startsWith('* alice left')));
    assert.equal(bob.lines.seen.filter((l) => l.startsWith('* alice joined')).length, 1);
  });

  test('a rename onto an account that is logged in is refused: one more device is a login of its own', async (t) => {
    const { device } = await chat(t);
    const laptop = await device('#alice pw-a');
    assert.equal(await laptop.next(), '* registered as alice');
    const guest = await device('#someone');
    assert.equal(await guest.next(), '* registered as someone');
    guest.send('#alice pw-a');
    assert.equal(await guest.next(), '! alice is logged in on other devices: log in as alice on a new connection to be one more of them');
    await laptop.lines.until(/^\* someone joined$/);
    await laptop.expectNothing();
  });

  test('takes the place of its older connection still open (a ghost), and counts once toward --max-devices', async (t) => {
    const { bob, device } = await chat(t, { maxDevices: 2 });
    const ghost = await device('#alice@laptop pw-a');
    await ghost.lines.until(/^\* end of catch-up/);
    const phone = await device('#alice@phone pw-a');
    await phone.lines.until(/^\* end of catch-up/);
    await bob.lines.until(/^\* alice joined$/);
    const again = await device('#alice@laptop pw-a');
    assert.equal(await ghost.lines.until(/^!/), '! logged in elsewhere: closing the connection');
    await ghost.closed;
    assert.equal(await again.next(), '* registered as alice');
    await again.lines.until(/^\* end of catch-up/);
    // The account never left.
    await bob.expectNothing();
    assert.ok(!bob.lines.seen.some((l) => l.startsWith('* alice left')));
  });
});

describe('the cost of a catch-up', () => {
  test('at most 100 messages a room and 1000 in all, the latest, said so; charged to flood control', async (t) => {
    const { bob, clock, device } = await chat(t, { maxRoomsPerUser: 20 });
    const laptop = await device('#alice@laptop pw-a');
    await laptop.lines.until(/^\* end of catch-up/);
    const rooms = Array.from({ length: 12 }, (_, i) => `r${i}`);
    for (const room of rooms) {
      laptop.send(`/join ${room}`);
      bob.send(`/join ${room}`);
    }
    await laptop.lines.until(/^\* you are in r11$/);
    await bob.lines.until(/^\* you are in r11$/);
    clock.advance(1000);
    laptop.send('/quit');
    await laptop.closed;
    // 150 messages in each of 12 rooms: 100 of each can be caught up, 1200 in all.
    for (const room of rooms) {
      bob.send(`/join ${room}`);
      for (let i = 0; i < 150; i++) {
        clock.advance(1);
        bob.send(`${room} message ${i}`);
      }
    }
    await bob.sync();
    const back = await device('#alice@laptop pw-a');
    assert.equal(await back.lines.until(/^\* you missed/), "* you missed more than 1000 messages: here are the last 1000; /history ROOM shows a room's");
    const caught: string[] = [];
    for (;;) {
      const line = (await back.next()) ?? '';
      if (line.startsWith('* end of catch-up')) {
        assert.equal(line, '* end of catch-up (1000 messages)');
        break;
      }
      caught.push(line);
    }
    assert.equal(caught.length, 1000);
    // The latest: the last room's last message ends it, the first rooms' earliest are left out.
    assert.match(caught.at(-1) ?? '', /<bob#r11> r11 message 149$/);
    assert.ok(!caught.some((l) => / r0 message \d+$/.test(l)), 'the oldest are the ones left out');
    assert.ok(!caught.some((l) => / message [0-4]?\d$/.test(l)), 'no more than the last 100 of a room');
  });
});
