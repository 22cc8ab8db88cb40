import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Chalk } from 'chalk';
import { chatPrompt, type ChatPromptState } from '../../src/client/chat-prompt.js';
import { roomColour } from '../../src/client/room-colour.js';

const plain = new Chalk({ level: 0 });
const colour = new Chalk({ level: 1 });
const state = (more: Partial<ChatPromptState>): ChatPromptState => ({ self: 'bob', current: 'lobby', unread: [], notes: [], ...more });

test('the current room after the name, but lobby, where everyone starts', () => {
  assert.equal(chatPrompt(state({}), plain), 'bob> ');
  assert.equal(chatPrompt(state({ current: 'Lobby' }), plain), 'bob> ');
  assert.equal(chatPrompt(state({ current: 'dev' }), plain), 'bob@dev> ');
});

test('the other rooms with unread messages, and how many', () => {
  assert.equal(chatPrompt(state({ current: 'dev', unread: [{ room: 'lobby', count: 3 }] }), plain), 'bob@dev (lobby 3)> ');
  assert.equal(
    chatPrompt(
      state({
        unread: [
          { room: 'dev', count: 1 },
          { room: 'qa', count: 120 },
        ],
      }),
      plain,
    ),
    'bob (dev 1, qa 120)> ',
  );
});

test('in no room, and what else the user should know, in a note before the name', () => {
  assert.equal(chatPrompt(state({ current: undefined }), plain), '(in no room) bob> ');
  assert.equal(chatPrompt(state({ notes: ['reconnecting in 3 s', '', '12 waiting'], current: 'dev' }), plain), '(reconnecting in 3 s, 12 waiting) bob@dev> ');
  assert.equal(chatPrompt(state({ notes: ['reconnecting'], current: undefined }), plain), '(reconnecting, in no room) bob> ');
});

test('with colour: the note red, each unread room in its own colour', () => {
  const shown = chatPrompt(state({ current: undefined, unread: [{ room: 'dev', count: 2 }] }), colour);
  assert.ok(shown.startsWith(colour.red('(in no room) ')), JSON.stringify(shown));
  assert.ok(shown.includes(`(${roomColour('dev', colour)('dev')} 2)`), JSON.stringify(shown));
});
