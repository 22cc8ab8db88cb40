import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Member, RoomEvent } from '../../src/hub/hub.js';
import type { RoomState } from '../../src/protocol/room-state.js';
import { T0 } from '../helpers/fake-clock.js';
import { RoomTable } from '../../src/hub/rooms.js';
import { lineRender } from '../helpers/line-events.js';

const render = { render: lineRender };
const member = (name: string): Member & { got: string[] } => {
  const got: string[] = [];
  return { name, got, deliver: (bytes) => void got.push(bytes.toString().trimEnd()) };
};
/** Stream ids compared as the reader does: by their time, then their sequence. */
const newer = (id: string) => (since: string) => {
  const [a, b] = id.split('-').map(Number);
  const [c, d] = since.split('-').map(Number);
  return a! !== c! ? a! > c! : b! > d!;
};

test('a room joined through the cluster: what the stream carried before the join is not delivered, what came after is, once the reader is past it the check is gone', () => {
  const rooms = new RoomTable();
  const bob = member('bob');
  const carol = member('carol');
  rooms.enter(carol, 'carol', 'dev');
  rooms.enter(bob, 'bob', 'dev', '100-3');
  const said = (text: string): RoomEvent => ({ kind: 'message', from: 'alice', text });
  rooms.deliver(['dev'], said('before bob came'), undefined, render, false, newer('100-2'));
  rooms.deliver(['dev'], said('as bob came'), undefined, render, false, newer('100-3'));
  rooms.deliver(['dev'], said('after'), undefined, render, false, newer('100-4'));
  rooms.deliver(['dev'], said('said here, on his own server'), undefined, render);
  // The reader is past bob's join: an older id can no longer come, and is not looked at.
  rooms.deliver(['dev'], said('late'), undefined, render, false, newer('99-0'));
  assert.deepEqual(bob.got, ['<alice> after', '<alice> said here, on his own server', '<alice> late']);
  assert.equal(carol.got.length, 5, 'carol joined before all of it');
  // Joined again after a part: the new place counts, not the old.
  rooms.leave(bob, 'dev');
  rooms.enter(bob, 'bob', 'dev', '200-0');
  rooms.deliver(['dev'], said('before the second join'), undefined, render, false, newer('150-0'));
  assert.equal(bob.got.length, 3);
});

test('a quit told to several rooms reaches each member once, untagged when its current room is one of them, else tagged with the first it is in', () => {
  const rooms = new RoomTable();
  const [alice, bob, carol, dave] = ['alice', 'bob', 'carol', 'dave'].map(member) as [
    ReturnType<typeof member>,
    ReturnType<typeof member>,
    ReturnType<typeof member>,
    ReturnType<typeof member>,
  ];
  for (const r of ['a', 'b', 'c']) rooms.enter(alice, 'alice', r);
  for (const r of ['c', 'b', 'a']) rooms.enter(bob, 'bob', r);
  for (const r of ['b', 'x']) rooms.enter(carol, 'carol', r);
  rooms.enter(dave, 'dave', 'x');
  rooms.deliver(['a', 'b', 'c'], { kind: 'left', names: ['alice'], reason: '' }, alice, render, true);
  rooms.deliver(['b', 'a'], { kind: 'left', names: ['alice'], reason: 'again' }, alice, render, true);
  assert.deepEqual(bob.got, ['* alice left', '* alice left (again)']);
  assert.deepEqual(carol.got, ['* alice left #b', '* alice left #b (again)']);
  assert.deepEqual(dave.got, []);
  assert.deepEqual(alice.got, []);
});

test('forms: members of another form get their own rendering, once per form; a join in several rooms reaches a form that names its room once per room', () => {
  const rooms = new RoomTable();
  const made: string[] = [];
  const renderer = {
    render: (event: RoomEvent, room: string, tagged: boolean, form: number) => {
      made.push(`${form}:${room}:${tagged}`);
      return form === 0 ? lineRender(event, room, tagged) : `${event.kind} #${room}\n`;
    },
    namesRoom: (form: number) => form === 1,
  };
  const line = member('line');
  const irc1 = { ...member('irc1'), form: 1 };
  const irc2 = { ...member('irc2'), form: 1 };
  for (const m of [line, irc1, irc2]) for (const r of ['a', 'b']) rooms.enter(m, m.name!, r);
  rooms.deliver(['a'], { kind: 'message', from: 'x', text: 'hi' }, undefined, renderer);
  assert.deepEqual(made, ['0:a:true', '1:a:true'], 'one rendering per form, shared by the members of each');
  assert.deepEqual(irc1.got, ['message #a']);
  rooms.deliver(['a', 'b'], { kind: 'joined', names: ['x'] }, undefined, renderer, true);
  assert.deepEqual(line.got.slice(1), ['* x joined'], 'a line-protocol member is told once');
  assert.deepEqual(irc2.got.slice(1), ['joined #a', 'joined #b'], 'an IRC member learns each room');
  rooms.deliver(['a', 'b'], { kind: 'left', names: ['x'], reason: '', quit: true }, undefined, renderer, true);
  assert.deepEqual(irc2.got.slice(3), ['left #a'], 'a quit is one line, whatever the rooms');
});

test("a room's copy of its state follows its changes, but not one of the room that was before it under the same name", () => {
  const rooms = new RoomTable();
  const bob = member('bob');
  const made = { v: 1, ops: ['bob'], created: T0 };
  rooms.enter(bob, 'bob', 'dev', undefined, made);
  const changed = (state: RoomState): RoomEvent => ({ kind: 'changed', by: 'alice', changes: [{ what: 'private', on: true }], state });
  // Read late from the stream: the room of that name before this one, at a higher version.
  rooms.deliver(['dev'], changed({ v: 5, ops: ['alice'], private: true, created: T0 - 60_000 }), undefined, render);
  assert.deepEqual(rooms.stateOf('dev'), { room: 'dev', state: made, size: 1 });
  rooms.deliver(['dev'], changed({ ...made, v: 2, private: true }), undefined, render);
  const info = rooms.stateOf('dev');
  assert.ok(typeof info === 'object' && info.state.v === 2 && info.state.private === true);
  assert.equal(rooms.setState('dev', 1, { ...made, v: 3 }), 'changed', 'written only over the version held');
  assert.equal(rooms.setState('dev', 2, { ...made, v: 3 }), 'set');
  assert.equal(rooms.setState('nowhere', 0, made), 'no such room');
});
