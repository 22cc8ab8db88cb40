import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addLine,
  type ChatState,
  conversation,
  createChat,
  MAX_LINES,
  makeLine,
  mergeHistory,
  ordered,
  remove,
  rename,
  select,
  setMarker,
  setVisible,
  step,
  takeMarkers,
  totals,
} from '../../src/web/chat.js';

const T0 = Date.UTC(2026, 10, 27, 5, 15, 5);

const said = (chat: ChatState, from: string, text: string, at: number) => makeLine(chat, { at, kind: 'message', from, text });

test('a line in a conversation not shown is unread; a mention is counted apart; showing it reads them', () => {
  const chat = createChat('alice');
  const lobby = conversation(chat, '#lobby');
  const dev = conversation(chat, '#dev');
  select(chat, lobby.id);
  addLine(chat, dev, said(chat, 'bob', 'hello', T0));
  addLine(chat, dev, said(chat, 'bob', 'Alice: look', T0 + 1));
  addLine(chat, dev, said(chat, 'alice', 'yes?', T0 + 2));
  addLine(chat, dev, makeLine(chat, { at: T0 + 3, kind: 'event', text: 'carol joined' }));
  addLine(chat, lobby, said(chat, 'bob', 'in the room shown', T0 + 4));
  assert.equal(dev.unread, 2, 'our own line and events are not unread');
  assert.equal(dev.mentionCount, 1);
  assert.ok(dev.lines[1]!.mention);
  assert.ok(dev.lines[2]!.self);
  assert.equal(lobby.unread, 0);
  assert.deepEqual(totals(chat), { unread: 2, mentions: 1 });
  select(chat, dev.id);
  assert.equal(dev.unread, 0);
  assert.equal(dev.mentionCount, 0);
  assert.equal(dev.seenAt, T0 + 3);
});

test('while the page is hidden the conversation shown gathers unread lines too', () => {
  const chat = createChat('alice');
  const dev = conversation(chat, '#dev');
  select(chat, dev.id);
  setVisible(chat, false);
  addLine(chat, dev, said(chat, 'bob', 'are you there, alice?', T0));
  assert.equal(dev.unread, 1);
  assert.equal(dev.mentionCount, 1);
  setVisible(chat, true);
  assert.equal(dev.unread, 0);
});

test('history merges in time order and once: an echo, then the same message in history, is one line', () => {
  const chat = createChat('alice');
  const dev = conversation(chat, '#dev');
  select(chat, dev.id);
  addLine(chat, dev, said(chat, 'alice', 'mine', T0 + 10));
  assert.equal(addLine(chat, dev, said(chat, 'alice', 'mine', T0 + 10)), false, 'the same line twice (a note to yourself) is one');
  const revision = dev.revision;
  mergeHistory(chat, dev, [said(chat, 'bob', 'older', T0), said(chat, 'alice', 'mine', T0 + 10), said(chat, 'bob', 'newer', T0 + 20)]);
  assert.deepEqual(
    dev.lines.map((l) => l.text),
    ['older', 'mine', 'newer'],
  );
  assert.ok(dev.revision > revision, 'the view redraws');
  // A reconnect asks for the same history again: nothing changes.
  const again = dev.revision;
  mergeHistory(chat, dev, [said(chat, 'bob', 'older', T0), said(chat, 'alice', 'mine', T0 + 10), said(chat, 'bob', 'newer', T0 + 20)]);
  assert.equal(dev.lines.length, 3);
  assert.equal(dev.revision, again);
});

test('the first history of a conversation with no read marker is its past, not unread; later history counts from what was read', () => {
  const chat = createChat('alice');
  const lobby = conversation(chat, '#lobby');
  select(chat, lobby.id);
  const dev = conversation(chat, '#dev');
  mergeHistory(chat, dev, [said(chat, 'bob', 'a', T0), said(chat, 'bob', 'b', T0 + 1)]);
  assert.equal(dev.unread, 0);
  // Offline a while; the reconnect's history brings what was said meanwhile.
  mergeHistory(chat, dev, [said(chat, 'bob', 'b', T0 + 1), said(chat, 'bob', 'c alice', T0 + 2), said(chat, 'bob', 'd', T0 + 3)]);
  assert.equal(dev.unread, 2);
  assert.equal(dev.mentionCount, 1);
});

test('a read marker from the server (another device read it) takes the unread lines before it off', () => {
  const chat = createChat('alice');
  select(chat, conversation(chat, '#lobby').id);
  const dev = conversation(chat, '#dev');
  setMarker(chat, dev, T0);
  mergeHistory(chat, dev, [said(chat, 'bob', 'a', T0 - 1), said(chat, 'bob', 'b', T0 + 1), said(chat, 'bob', 'c', T0 + 2)]);
  assert.equal(dev.unread, 2, 'the marker was set before: history after it is unread');
  setMarker(chat, dev, T0 + 1);
  assert.equal(dev.unread, 1);
  setMarker(chat, dev, T0 - 5);
  assert.equal(dev.unread, 1, 'a marker only moves forward');
  assert.deepEqual(takeMarkers(chat), [], 'what the server told is not sent back');
  select(chat, dev.id);
  assert.deepEqual(takeMarkers(chat), [{ name: '#dev', at: T0 + 2 }]);
  assert.deepEqual(takeMarkers(chat), []);
});

test('a conversation keeps its last MAX_LINES lines', () => {
  const chat = createChat('alice');
  const dev = conversation(chat, '#dev');
  for (let i = 0; i < MAX_LINES + 1; i++) addLine(chat, dev, said(chat, 'bob', `m${i}`, T0 + i));
  assert.ok(dev.lines.length <= MAX_LINES);
  assert.equal(dev.lines.at(-1)!.text, `m${MAX_LINES}`);
  assert.equal(dev.keys.size, dev.lines.length);
  // A dropped line can come again from history: it is then older than all and goes first.
  mergeHistory(chat, dev, [said(chat, 'bob', 'm0', T0)]);
  assert.equal(dev.lines[0]!.text, 'm0');
});

test('order: rooms, then direct messages, by name; Alt+Up and Alt+Down wrap around; removing shows a neighbour', () => {
  const chat = createChat('alice');
  for (const name of ['zed', '#b', 'Carl', '#A']) conversation(chat, name);
  assert.deepEqual(
    ordered(chat).map((c) => c.name),
    ['#A', '#b', 'Carl', 'zed'],
  );
  step(chat, 1);
  assert.equal(chat.current, '#a');
  step(chat, -1);
  assert.equal(chat.current, 'zed');
  step(chat, 1);
  assert.equal(chat.current, '#a');
  remove(chat, '#a');
  assert.equal(chat.current, '#b');
  remove(chat, 'zed');
  assert.equal(chat.current, '#b');
  remove(chat, '#b');
  assert.equal(chat.current, 'carl');
});

test('rename: members and the direct-message conversation follow a new nick; our own too', () => {
  const chat = createChat('alice');
  const dev = conversation(chat, '#dev');
  dev.members.set('bob', 'bob');
  const bob = conversation(chat, 'bob');
  select(chat, bob.id);
  const touched = rename(chat, 'Bob', 'robert');
  assert.deepEqual(
    touched.map((c) => c.name),
    ['#dev', 'robert'],
  );
  assert.ok(dev.members.has('robert'));
  assert.equal(chat.current, 'robert');
  assert.equal(chat.conversations.get('robert'), bob);
  rename(chat, 'alice', 'alicia');
  assert.equal(chat.nick, 'alicia');
});
