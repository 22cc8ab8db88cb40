import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCommand } from '../../../src/dialects/line/parse.js';

test('parseCommand: every row of PROTOCOL.md "Client to server"', () => {
  const cases: [string, ReturnType<typeof parseCommand>][] = [
    ['#alice', { kind: 'register', name: 'alice', password: undefined }],
    ['#alice s3cret pass', { kind: 'register', name: 'alice', password: 's3cret pass' }],
    ['# alice', { kind: 'register', name: '', password: 'alice' }],
    ['@bob:hi there', { kind: 'direct', to: 'bob', text: 'hi there' }],
    ['@bob:   spaced   ', { kind: 'direct', to: 'bob', text: 'spaced' }],
    ['@bob:a:b', { kind: 'direct', to: 'bob', text: 'a:b' }],
    ['@bob', { kind: 'directMalformed' }],
    ['@:hi', { kind: 'directMalformed' }],
    ['@ :hi', { kind: 'directMalformed' }],
    ['/who', { kind: 'who', room: undefined }],
    ['/WHO', { kind: 'who', room: undefined }],
    ['/who dev', { kind: 'who', room: 'dev' }],
    ['/who #dev', { kind: 'who', room: 'dev' }],
    ['/join dev', { kind: 'join', room: 'dev' }],
    ['/JOIN #Dev', { kind: 'join', room: 'Dev' }],
    ['/join', { kind: 'join', room: '' }],
    ['/join dev s3cret', { kind: 'join', room: 'dev', key: 's3cret' }],
    ['/join two words', { kind: 'join', room: 'two', key: 'words' }],
    ['/topic', { kind: 'topic', room: undefined, text: undefined }],
    ['/topic  Release on Friday ', { kind: 'topic', room: undefined, text: 'Release on Friday' }],
    ['/op bob', { kind: 'roomMode', room: undefined, word: 'op', changes: [{ what: 'op', on: true, name: 'bob' }] }],
    ['/DEOP bob', { kind: 'roomMode', room: undefined, word: 'deop', changes: [{ what: 'op', on: false, name: 'bob' }] }],
    ['/op', { kind: 'roomMode', room: undefined, word: 'op', changes: [] }],
    ['/private', { kind: 'roomMode', room: undefined, word: 'private', changes: [{ what: 'private', on: true }] }],
    ['/public', { kind: 'roomMode', room: undefined, word: 'public', changes: [{ what: 'private', on: false }] }],
    ['/key s3cret', { kind: 'roomMode', room: undefined, word: 'key', changes: [{ what: 'key', on: true, key: 's3cret' }] }],
    ['/key', { kind: 'roomMode', room: undefined, word: 'key', changes: [{ what: 'key', on: false, key: '' }] }],
    ['/remove bob flooding the room', { kind: 'removeFromRoom', room: undefined, name: 'bob', reason: 'flooding the room' }],
    ['/invite bob', { kind: 'invite', room: undefined, name: 'bob' }],
    ['/part', { kind: 'part', room: '', reason: '' }],
    ['/PART #Dev', { kind: 'part', room: 'Dev', reason: '' }],
    ['/part dev see you  later ', { kind: 'part', room: 'dev', reason: 'see you  later' }],
    ['/part\tdev', { kind: 'part', room: 'dev', reason: '' }],
    ['/part # bye', { kind: 'part', room: '#', reason: 'bye' }],
    ['/mine', { kind: 'mine' }],
    ['/history', { kind: 'history', room: undefined, count: '' }],
    ['/history 50', { kind: 'history', room: undefined, count: '50' }],
    ['/history #50', { kind: 'history', room: '50', count: '' }],
    ['/history dev', { kind: 'history', room: 'dev', count: '' }],
    ['/history #dev 5', { kind: 'history', room: 'dev', count: '5' }],
    ['/history dev 5 more', { kind: 'history', room: 'dev', count: '5 more' }],
    ['/history -1', { kind: 'history', room: '-1', count: '' }],
    ['/rooms', { kind: 'rooms' }],
    ['/ping', { kind: 'ping', token: '' }],
    ['/ping abc 123', { kind: 'ping', token: 'abc 123' }],
    ['/help', { kind: 'help' }],
    ['/quit', { kind: 'quit', reason: '' }],
    ['/quit gone fishing', { kind: 'quit', reason: 'gone fishing' }],
    ['/quitter', { kind: 'unknown', word: 'quitter' }],
    ['/nick bob', { kind: 'unknown', word: 'nick' }],
    ['/', { kind: 'unknown', word: '' }],
    ['//who', { kind: 'room', text: '/who' }],
    ['//', { kind: 'room', text: '/' }],
    ['', { kind: 'empty' }],
    ['   \t', { kind: 'empty' }],
    ['hello all', { kind: 'room', text: 'hello all' }],
    [' leading blanks dropped', { kind: 'room', text: 'leading blanks dropped' }],
    // What looks like a direct message is one, whatever invisible character precedes it.
    ['\uFEFF@bob:the door code is 4711', { kind: 'direct', to: 'bob', text: 'the door code is 4711' }],
    ['\u200B@bob:x', { kind: 'direct', to: 'bob', text: 'x' }],
    ['\u200C\u200D\u2060 \t@bob:x', { kind: 'direct', to: 'bob', text: 'x' }],
    [' \t#alice', { kind: 'register', name: 'alice', password: undefined }],
    ['\uFEFF/who', { kind: 'who', room: undefined }],
    ['\uFEFF', { kind: 'empty' }],
    ['a #hash and @at inside', { kind: 'room', text: 'a #hash and @at inside' }],
    // OLD is one word; NEW is the rest, to the end of the line as typed (as #NAME PASSWORD's).
    ['/passwd old new', { kind: 'passwd', old: 'old', new: 'new' }],
    ['/PASSWD\told \t new with  blanks ', { kind: 'passwd', old: 'old', new: 'new with  blanks ' }],
    ['/passwd', { kind: 'passwd', old: '', new: '' }],
    ['/passwd old', { kind: 'passwd', old: 'old', new: '' }],
    ['/passwd old   ', { kind: 'passwd', old: 'old', new: '' }],
    ['/passwdx a b', { kind: 'unknown', word: 'passwdx' }],
  ];
  for (const [line, expected] of cases) assert.deepEqual(parseCommand(line), expected, JSON.stringify(line));
});

test('parseCommand on a connection that never sent an LF: a line that may hold a second, private message is refused', () => {
  const refused = { kind: 'unframedAddress' };
  // Two send()s joined into one read: a room message, then a direct one.
  assert.deepEqual(parseCommand('hello everyone@bob:my pin', true), refused);
  assert.deepEqual(parseCommand('@alice:hi@bob:my pin', true), refused);
  assert.deepEqual(parseCommand('//x @ bob : y', true), refused);
  // The same lines once the connection has sent an LF are what they say.
  assert.deepEqual(parseCommand('hello everyone@bob:my pin'), { kind: 'room', text: 'hello everyone@bob:my pin' });
  assert.deepEqual(parseCommand('@alice:hi@bob:my pin'), { kind: 'direct', to: 'alice', text: 'hi@bob:my pin' });
  // Nothing to refuse: no second address, or a first address that is no name (no such user).
  assert.deepEqual(parseCommand('mail me at bob@example.com', true), { kind: 'room', text: 'mail me at bob@example.com' });
  assert.deepEqual(parseCommand('@bad name:hi @bob:pin', true), { kind: 'direct', to: 'bad name', text: 'hi @bob:pin' });
  assert.deepEqual(parseCommand('@bob:', true), { kind: 'direct', to: 'bob', text: '' });
});
