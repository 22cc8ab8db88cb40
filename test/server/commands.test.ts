import { lineDialect } from '../../src/dialects/line/dialect.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryHub } from '../../src/hub/memory-hub.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { Hub, Member } from '../../src/hub/hub.js';
import type { Authenticator } from '../../src/accounts/authenticator.js';
import { parseCommand } from '../../src/dialects/line/parse.js';
import type { Action } from '../../src/server/actions.js';
import { dispatch, type CommandContext } from '../../src/server/commands.js';

/** Handlers are pure over the hub: they say what to send, and nothing is sent. */
class FakeMember implements Member {
  delivered: Buffer[] = [];
  constructor(public name: string | undefined) {}
  deliver(bytes: Buffer): void {
    this.delivered.push(bytes);
  }
}

/** What a handler is given, with the in-memory defaults: no accounts unless AUTH. */
function context(self: Member, hub: Hub, auth?: Authenticator, address = '127.0.0.1'): CommandContext {
  return {
    self,
    hub,
    auth,
    address,
    maxRooms: 100,
    maxRoomsPerUser: 50,
    maxDevices: 10,
    store: new MemoryStore(),
    now: Date.now,
    w: lineDialect.words,
    mayOpenRoom: () => true,
    guests: false,
    operator: () => undefined,
    maxOwnedRooms: 20,
    keys: { run: (_address, attempt) => attempt(), failed: () => {}, pad: () => Promise.resolve() },
  };
}

function setup(): { hub: MemoryHub; alice: FakeMember; bob: FakeMember; run: (m: FakeMember, line: string) => Action[] } {
  const hub = new MemoryHub();
  const alice = new FakeMember('Alice');
  const bob = new FakeMember('bob');
  hub.claim('Alice', alice);
  hub.claim('bob', bob);
  return {
    hub,
    alice,
    bob,
    run: (self, line) => dispatch(context(self, hub), parseCommand(line)) as Action[],
  };
}

test('handlers return actions and write nothing', () => {
  const { alice, bob, run } = setup();
  // The hub routes by name: bob may be on another server.
  assert.deepEqual(run(alice, '@BOB: hi '), [{ kind: 'direct', to: 'BOB', from: 'Alice', text: 'hi' }]);
  assert.deepEqual(run(alice, 'hello'), [{ kind: 'room', room: 'lobby', from: 'Alice', text: 'hello' }]);
  assert.deepEqual(run(alice, '/who'), [{ kind: 'reply', line: '* online (2): Alice, bob' }]);
  assert.deepEqual(alice.delivered, []);
  assert.deepEqual(bob.delivered, []);
});

test('the table stops unregistered senders before any handler runs', () => {
  const { run } = setup();
  const stranger = new FakeMember(undefined);
  for (const line of ['hello', '@bob:hi', '@bob']) {
    assert.deepEqual(run(stranger, line), [
      { kind: 'reply', line: '! register first with #yourname' },
      { kind: 'reject', code: 'not-registered' },
    ]);
  }
  assert.deepEqual(run(stranger, '/ping x'), [{ kind: 'reply', line: '* pong x' }]);
});

test('an account removed while its password is checked does not get in', async () => {
  const hub = new MemoryHub();
  const member = new FakeMember(undefined);
  let exists = true;
  let answer: (ok: boolean) => void = () => {};
  const auth = {
    has: () => exists,
    isOperator: () => false,
    authenticate: () => new Promise<boolean>((resolve) => (answer = resolve)),
  };
  const pending = dispatch(context(member, hub, auth, '1.2.3.4'), parseCommand('#alice right'));
  exists = false; // a reload removes alice meanwhile
  answer(true);
  const actions = await pending;
  assert.deepEqual(actions[0], { kind: 'reply', line: '! authentication failed' });
  assert.equal(hub.lookup('alice'), undefined);
});

test('a login whose connection closed while its password was checked takes nothing from the live one', async () => {
  const hub = new MemoryHub();
  const owner = new FakeMember('alice');
  hub.claim('alice', owner);
  const closing = new AbortController();
  const ghost = Object.assign(new FakeMember(undefined), { signal: closing.signal });
  let answer: (ok: boolean) => void = () => {};
  const auth = {
    has: () => true,
    isOperator: () => false,
    authenticate: () => new Promise<boolean>((resolve) => (answer = resolve)),
  };
  const pending = dispatch(context(ghost, hub, auth, '1.2.3.4'), parseCommand('#alice right'));
  closing.abort(); // the connection is reset while the check runs
  answer(true);
  assert.deepEqual(await pending, []);
  assert.equal(hub.lookup('alice'), owner, 'the owner keeps the name');
});

test('register and rename claim names without regard to case', () => {
  const { hub, alice, run } = setup();
  const carol = new FakeMember(undefined);
  assert.deepEqual(run(carol, '#ALICE')[0], { kind: 'reply', line: '! name taken: ALICE' });
  assert.deepEqual(run(carol, '#carol'), [
    { kind: 'registered', name: 'carol' },
    { kind: 'reply', line: '* registered as carol' },
    { kind: 'presence', event: { kind: 'joined', names: ['carol'] } },
  ]);
  // Alice may change the case of her own name.
  assert.deepEqual(run(alice, '#alice'), [
    { kind: 'renamed', from: 'Alice', to: 'alice' },
    { kind: 'reply', line: '* you are now alice' },
    { kind: 'presence', event: { kind: 'renamed', from: 'Alice', to: 'alice' } },
  ]);
  assert.equal(hub.lookup('ALICE'), alice);
  alice.name = 'alice'; // as the session does on 'renamed'
  assert.deepEqual(run(alice, '#alice'), [{ kind: 'reply', line: '* you are now alice' }]);
  assert.deepEqual(run(alice, '#bob')[0], { kind: 'reply', line: '! name taken: bob' });
  assert.deepEqual(run(alice, '#bad.name')[0], { kind: 'reply', line: '! invalid name: use 1-32 letters, digits, _ or -' });
});

test('what needs an unavailable cluster is answered with an error, not left waiting', async () => {
  // A hub whose cluster is down (Redis stopped): every cluster answer is "unavailable".
  const hub = new MemoryHub();
  const down = Object.assign(Object.create(hub) as MemoryHub, {
    claim: () => Promise.resolve('unavailable' as const),
    rename: () => Promise.resolve('unavailable' as const),
    names: () => Promise.resolve(undefined),
    devices: (name: string) => hub.devices(name),
  });
  const alice = new FakeMember('alice');
  const stranger = new FakeMember(undefined);
  const run = (self: FakeMember, line: string): Promise<Action[]> => Promise.resolve(dispatch(context(self, down), parseCommand(line)));
  assert.deepEqual((await run(stranger, '#carol'))[0], {
    kind: 'reply',
    line: '! cannot take a name now: cluster unavailable, try again in a moment',
  });
  assert.deepEqual((await run(alice, '#alicia'))[0], {
    kind: 'reply',
    line: '! cannot take a name now: cluster unavailable, try again in a moment',
  });
  assert.deepEqual(await run(alice, '/who'), [{ kind: 'reply', line: '! cannot list the users now: cluster unavailable, try again in a moment' }]);
});
