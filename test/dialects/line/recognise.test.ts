import assert from 'node:assert/strict';
import { T0 } from '../../helpers/fake-clock.js';
import { describe, test } from 'node:test';
import * as recognise from '../../../src/dialects/line/recognise.js';
import { parseServerLine } from '../../../src/dialects/line/server-line.js';
import * as w from '../../../src/dialects/line/wording.js';

type Recogniser = keyof typeof recognise;
/** A server line, built by wording.ts, and what each recogniser makes of it: the others, nothing. */
type Case = [raw: string, expected: Partial<Record<Recogniser, unknown>>];

const RECOGNISERS = Object.keys(recognise).filter((k) => k.startsWith('recognise')) as Recogniser[];

/** What every recogniser makes of RAW, the ones that make nothing of it left out. */
function readBack(raw: string): Partial<Record<Recogniser, unknown>> {
  const line = parseServerLine(raw);
  const out: Partial<Record<Recogniser, unknown>> = {};
  for (const name of RECOGNISERS) {
    // biome-ignore lint/performance/noDynamicNamespaceImportAccess: every recogniser by name is what this test checks
    const value: unknown = recognise[name](line);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** A second of today and 999 ms: history times are to the second, so it reads back as that second. */
const AT = T0 + 999;
const AT_SECOND = AT - 999;
const NAME = 'a-b_C';
const LONGEST = `${'_'.repeat(16)}${'-'.repeat(16)}`;
const TRICKY = 'x: @bob:hi *carol* ! no such user: y <z> [t] * pong';

/** The lines of protocol version 3 ("Rooms"): our rooms, and the lines of the other ones. */
const ROOMS_CASES: Case[] = [
  [w.roomMessage(NAME, 'hi', 'Dev_2-x'), { recogniseTaggedMessage: { from: NAME, room: 'Dev_2-x', text: 'hi' } }],
  [w.roomMessage(LONGEST, TRICKY, LONGEST), { recogniseTaggedMessage: { from: LONGEST, room: LONGEST, text: TRICKY } }],
  [w.roomMessage('bob', '', 'dev'), { recogniseTaggedMessage: { from: 'bob', room: 'dev', text: '' } }],
  [w.roomMessage('bob', w.roomMessage('carol', 'x', 'qa'), 'dev'), { recogniseTaggedMessage: { from: 'bob', room: 'dev', text: '<carol#qa> x' } }],
  [w.joined('_', 'qa-1'), { recogniseJoined: { name: '_', room: 'qa-1' } }],
  [w.left(NAME, undefined, 'dev'), { recogniseLeft: { name: NAME, room: 'dev', reason: undefined } }],
  [w.left('bob', 'bye (for now) #qa', 'dev'), { recogniseLeft: { name: 'bob', room: 'dev', reason: 'bye (for now) #qa' } }],
  [w.left('bob', w.kickedBy('op', ''), LONGEST), { recogniseLeft: { name: 'bob', room: LONGEST, reason: 'kicked by op' } }],
  [w.left('bob', '#dev'), { recogniseLeft: { name: 'bob', room: undefined, reason: '#dev' } }],
  [w.youLeft('Dev_2-x'), { recogniseYouLeft: 'Dev_2-x' }],
  [w.yourRooms(['dev', 'lobby', 'Q-a_1']), { recogniseYourRooms: ['dev', 'lobby', 'Q-a_1'] }],
  [w.yourRooms([]), { recogniseYourRooms: [] }],
  [w.inNoRoom(), { recogniseNoRoom: true }],
  [w.invalidRoom(), { recogniseHistoryRefused: 'invalid-room' }],
  [w.historyNotMember('Dev_2-x'), { recogniseHistoryRefused: 'not-member' }],
  [w.tooManyRooms(10), { recogniseTooManyRooms: 10 }],
];

/**
 * The lines of devices (one account logged in on several at once). Written out: the
 * server's side of them, with their wordings, comes with the server's change.
 */
const at = `[${w.historyTime(AT)}]`;
const DEVICE_CASES: Case[] = [
  [`*${NAME}->${LONGEST}* ${TRICKY}`, { recogniseSentDirect: { from: NAME, to: LONGEST, text: TRICKY } }],
  ['*alice->bob* ', { recogniseSentDirect: { from: 'alice', to: 'bob', text: '' } }],
  // A name may end in `-`: the arrow is the `->` before the only `>`.
  ['*a-->-b* x', { recogniseSentDirect: { from: 'a-', to: '-b', text: 'x' } }],
  ['* you joined Dev_2-x from another device', { recogniseJoinedElsewhere: 'Dev_2-x' }],
  [`* ${at} <${NAME}#${LONGEST}> ${TRICKY}`, { recogniseCaughtUpRoom: { at: AT_SECOND, from: NAME, room: LONGEST, text: TRICKY } }],
  [`* ${at} <bob#dev> `, { recogniseCaughtUpRoom: { at: AT_SECOND, from: 'bob', room: 'dev', text: '' } }],
  [`* ${at} *alice->${NAME}* ${TRICKY}`, { recogniseCaughtUpSent: { at: AT_SECOND, from: 'alice', to: NAME, text: TRICKY } }],
  ['* end of catch-up (0 messages)', { recogniseEndOfCatchUp: 0 }],
  ['* end of catch-up (1 message)', { recogniseEndOfCatchUp: 1 }],
  ['* end of catch-up (123456 messages)', { recogniseEndOfCatchUp: 123_456 }],
  [`! too many devices logged in as ${NAME} (max 3)`, { recogniseLoginError: 'too-many-devices' }],
];

/** Moderation: ban times (UTC) the terminal shows in local time, and the operator's own line. */
const BANNED = { recogniseLoginError: 'banned' } as const;
const MODERATION_CASES: Case[] = [
  [w.bannedAtLogin(undefined, ''), { ...BANNED, recogniseBannedAtLogin: { until: undefined, reason: '' } }],
  [w.bannedAtLogin(AT, 'spam'), { ...BANNED, recogniseBannedAtLogin: { until: AT_SECOND, reason: 'spam' } }],
  [w.bannedAtLogin(undefined, TRICKY), { ...BANNED, recogniseBannedAtLogin: { until: undefined, reason: TRICKY } }],
  [w.bannedAtLogin(AT, ''), { ...BANNED, recogniseBannedAtLogin: { until: AT_SECOND, reason: '' } }],
  [
    w.bansList([
      { name: NAME, until: AT, reason: 'spam, again (twice) :)' },
      { name: 'bob', until: undefined, reason: '' },
      { name: LONGEST, until: 0, reason: 'x until lifted' },
    ]),
    {
      recogniseBansList: [
        { name: NAME, until: AT_SECOND, reason: 'spam, again (twice) :)' },
        { name: 'bob', until: undefined, reason: '' },
        { name: LONGEST, until: 0, reason: 'x until lifted' },
      ],
    },
  ],
  [w.bansList([]), { recogniseBansList: [] }],
  // What newer servers answer for none.
  ['* bans (0): nobody is banned', { recogniseBansList: [] }],
  [w.youBanned(NAME, AT), { recogniseYouBanned: { name: NAME, until: AT_SECOND } }],
  [w.youBanned('bob', undefined), { recogniseYouBanned: { name: 'bob', until: undefined } }],
  // Written out: the server's side of it comes with the server's change.
  ['* you are an operator: /help lists your commands', { recogniseYouAreOperator: true }],
];

const CASES: Case[] = [
  [w.greeting(), { recogniseGreeting: { maxLine: undefined } }],
  [w.connected('127.0.0.1', 5000), { recogniseConnected: { host: '127.0.0.1', port: 5000 } }],
  [w.connected('::ffff:10.0.0.1', 65535), { recogniseConnected: { host: '::ffff:10.0.0.1', port: 65535 } }],
  [w.connected('chat-1.example', 1), { recogniseConnected: { host: 'chat-1.example', port: 1 } }],
  [w.udpHello('Ab-_09xyzQ'), { recogniseUdpHello: 'Ab-_09xyzQ' }],
  [w.registered(NAME), { recogniseRegistered: NAME }],
  [w.registered(LONGEST), { recogniseRegistered: LONGEST }],
  [w.youAreNow('-'), { recogniseYouAreNow: '-' }],
  [w.youAreIn('Dev_2-x'), { recogniseYouAreIn: 'Dev_2-x' }],
  [w.joined('_'), { recogniseJoined: { name: '_', room: undefined } }],
  [w.left(NAME), { recogniseLeft: { name: NAME, room: undefined, reason: undefined } }],
  [w.left(NAME, ''), { recogniseLeft: { name: NAME, room: undefined, reason: undefined } }],
  [w.left('bob', w.leftBecause('server-shutdown')), { recogniseLeft: { name: 'bob', room: undefined, reason: 'server shutting down' } }],
  [w.left('bob', w.kickedBy('op', 'spam (again) :)')), { recogniseLeft: { name: 'bob', room: undefined, reason: 'kicked by op: spam (again) :)' } }],
  // A version 2 server's /join: now a REASON like any other.
  [w.left(NAME, 'went to qa-1_'), { recogniseLeft: { name: NAME, room: undefined, reason: 'went to qa-1_' } }],
  ...ROOMS_CASES,
  [w.renamed('a-b', 'c_d'), { recogniseRenamed: { from: 'a-b', to: 'c_d' } }],
  [w.online(['alice', 'B-c', '_', LONGEST]), { recogniseOnline: ['alice', 'B-c', '_', LONGEST] }],
  [w.online([]), { recogniseOnline: [] }],
  [w.inRoom('dev-1', ['x_y', '-']), { recogniseInRoom: { room: 'dev-1', names: ['x_y', '-'], ops: [] } }],
  [w.inRoom('dev', []), { recogniseInRoom: { room: 'dev', names: [], ops: [] } }],
  [
    w.inRoom('dev', ['alice', 'bob'], undefined, { state: { v: 1, ops: ['alice'] }, isOp: (n) => n === 'alice', isVoiced: () => false, seesKey: false }),
    { recogniseInRoom: { room: 'dev', names: ['alice', 'bob'], ops: ['alice'] } },
  ],
  [
    w.roomList([
      { name: 'lobby', count: 4 },
      { name: 'a-b_c', count: 123_456_789 },
    ]),
    {
      recogniseRoomList: [
        { name: 'lobby', count: 4 },
        { name: 'a-b_c', count: 123_456_789 },
      ],
    },
  ],
  [w.roomList([]), { recogniseRoomList: [] }],
  [w.pong(TRICKY), { recognisePong: TRICKY }],
  [w.pong('a'), { recognisePong: 'a' }],
  [w.pong(''), { recognisePong: '' }],
  [w.shuttingDown(), { recogniseShuttingDown: true }],
  [w.historyEntry(AT, NAME, TRICKY), { recogniseHistoryEntry: { at: AT_SECOND, from: NAME, text: TRICKY } }],
  [w.historyEntry(AT, '-', ''), { recogniseHistoryEntry: { at: AT_SECOND, from: '-', text: '' } }],
  [w.historyEntry(AT, 'eve', w.pong('x')), { recogniseHistoryEntry: { at: AT_SECOND, from: 'eve', text: '* pong x' } }],
  [w.keptMessage(AT, '_', TRICKY), { recogniseKeptMessage: { at: AT_SECOND, from: '_', text: TRICKY } }],
  [w.keptMessage(0, 'eve', w.serverFull()), { recogniseKeptMessage: { at: 0, from: 'eve', text: '! server full' } }],
  [w.endOfHistory(0), { recogniseEndOfHistory: 0 }],
  [w.endOfHistory(Number.MAX_SAFE_INTEGER), { recogniseEndOfHistory: Number.MAX_SAFE_INTEGER }],
  [w.lineTooLong(4096), { recogniseLineTooLong: 4096 }],
  [w.lineTooLong(2 ** 40), { recogniseLineTooLong: 2 ** 40 }],
  [w.unknownCommand('history'), { recogniseUnknownCommand: 'history' }],
  [w.unknownCommand('x-y:z@*!'), { recogniseUnknownCommand: 'x-y:z@*!' }],
  [w.historyUsage(100), { recogniseHistoryRefused: 'usage' }],
  [w.historyUnavailable(), { recogniseHistoryRefused: 'unavailable' }],
  [w.nameTaken(NAME), { recogniseLoginError: 'name-taken' }],
  [w.invalidName(), { recogniseLoginError: 'invalid-name' }],
  [w.authenticationFailed(), { recogniseLoginError: 'authentication-failed', recognisePasswdAnswer: 'refused' }],
  [w.passwordRequired(), { recogniseLoginError: 'password-required' }],
  ...MODERATION_CASES,
  [w.tooManyFailures(), { recogniseLoginError: 'too-many-failures', recogniseClosing: 'too many failed logins' }],
  [w.registerTimeout(10_000), { recogniseLoginError: 'register-timeout', recogniseClosing: 'not registered within 10 s' }],
  [w.idleTimeout(3_600_000), { recogniseClosing: 'idle for 3600 s' }],
  [w.loggedInElsewhere(), { recogniseClosing: 'logged in elsewhere' }],
  [w.evicted(NAME), { recogniseClosing: `the name ${NAME} was taken on another server while this one was cut off` }],
  [w.accountRemoved(), { recogniseClosing: 'your account was removed' }],
  [w.removed(w.kickedBy('op-1', '')), { recogniseKicked: { by: 'op-1', reason: '' } }],
  [w.removed(w.kickedBy('op_2', TRICKY)), { recogniseKicked: { by: 'op_2', reason: TRICKY } }],
  [w.tooManyFromAddress(1_000_000), { recogniseTooManyFromAddress: 1_000_000 }],
  [w.serverFull(), { recogniseServerFull: true }],
  [w.passwordChanged(), { recognisePasswdAnswer: 'changed' }],
  [w.passwdUsage(), { recognisePasswdAnswer: 'refused' }],
  [w.passwordNotChanged('guest'), { recognisePasswdAnswer: 'refused' }],
  [w.passwordNotChanged('new-too-long', 4089), { recognisePasswdAnswer: 'refused' }],
  [w.passwordNotChanged('folder-read-only'), { recognisePasswdAnswer: 'refused' }],
  [w.loginsWaiting(), { recognisePasswdAnswer: 'refused' }],
  [w.unknownCommand('passwd'), { recogniseUnknownCommand: 'passwd', recognisePasswdAnswer: 'refused' }],
  [w.youAreAway(TRICKY), { recogniseYouAreAway: TRICKY }],
  [w.youAreAway('at lunch\tback at 2'), { recogniseYouAreAway: 'at lunch\tback at 2' }],
  [w.youAreBack(), { recogniseYouAreBack: true }],
  ...DEVICE_CASES,
];

/** Server lines the client does not act on: nothing takes them for one it does. */
const UNRECOGNISED = [
  w.noSuchUser('x'),
  // `@closing the connection:hi`: the server did not close us.
  w.noSuchUser('closing the connection'),
  w.keptForLater(NAME),
  w.waitingForYou(3),
  w.removed(w.bannedBy('op', 'x')),
  w.youKicked('bob'),
  w.mayLogInAgain('bob'),
  w.notBanned('bob'),
  w.noSuchRoom('dev'),
  // A new room refused on a server that has too many: not our own limit.
  w.serverRoomsFull(5),
  w.notInRoom('dev'),
  w.clusterUnavailable(),
  w.keptFull('bob'),
  w.notKept('bob'),
  w.mayNotBeDelivered('bob'),
  w.mayHaveLost(),
  w.directNeedsColon(),
  w.registerFirst(),
  // Someone else away: not us.
  w.isAway(NAME, 'at lunch'),
  w.isAway('you', 'x'),
  w.notice(''),
  w.error(''),
  ...w.help(),
  ...w.helpOperators(),
];

describe('recognisers: each reads back what wording.ts wrote, and nothing else', () => {
  test('every recogniser is exercised', () => {
    const used = new Set(CASES.flatMap(([, expected]) => Object.keys(expected)));
    assert.deepEqual(
      RECOGNISERS.filter((name) => !used.has(name)),
      [],
    );
  });

  for (const [raw, expected] of CASES) {
    test(raw, () => assert.deepEqual(readBack(raw), expected));
  }

  test('server lines the client does not act on are none of them', () => {
    for (const raw of UNRECOGNISED) assert.deepEqual(readBack(raw), {}, raw);
  });
});

describe('near misses: what a user writes is never a server line', () => {
  test('a room or direct message whose text is a server line', () => {
    for (const [raw] of CASES) {
      assert.deepEqual(readBack(w.roomMessage('bob', raw)), {}, `<bob> ${raw}`);
      assert.deepEqual(readBack(w.directMessage('bob', raw)), {}, `*bob* ${raw}`);
    }
    assert.deepEqual(readBack('<bob> * pong x'), {});
    assert.deepEqual(readBack('<bob> ! no such user: x'), {});
  });

  test('a history entry or kept message whose text is a server line is that, and only that', () => {
    for (const [raw] of CASES) {
      assert.deepEqual(readBack(w.historyEntry(AT, 'bob', raw)), { recogniseHistoryEntry: { at: AT_SECOND, from: 'bob', text: raw } });
      assert.deepEqual(readBack(w.keptMessage(AT, 'bob', raw)), { recogniseKeptMessage: { at: AT_SECOND, from: 'bob', text: raw } });
    }
  });

  test("a user's words inside a server line: a /quit reason, a name", () => {
    const left = (name: string, reason: string): unknown => ({ recogniseLeft: { name, room: undefined, reason } });
    // Not a greeting that lowers the line limit, not a close on purpose.
    assert.deepEqual(readBack(w.left('welcome', 'max 64 bytes')), left('welcome', 'max 64 bytes'));
    assert.deepEqual(readBack(w.left('bob', w.idleTimeout(1000))), left('bob', '! idle for 1 s: closing the connection'));
    assert.deepEqual(readBack(w.left('bob', '* pong x')), left('bob', '* pong x'));
    assert.deepEqual(readBack(w.joined('welcome')), { recogniseJoined: { name: 'welcome', room: undefined } });
    assert.deepEqual(readBack('* welcome joined #max'), { recogniseJoined: { name: 'welcome', room: 'max' } });
    assert.deepEqual(readBack('* welcome left #dev (max 64 bytes)'), { recogniseLeft: { name: 'welcome', room: 'dev', reason: 'max 64 bytes' } });
    // A user named you: their leaving is theirs, not our /part.
    assert.deepEqual(readBack('* you left'), { recogniseLeft: { name: 'you', room: undefined, reason: undefined } });
    assert.deepEqual(readBack('* you left #dev'), { recogniseLeft: { name: 'you', room: 'dev', reason: undefined } });
    assert.deepEqual(readBack(w.renamed('welcome', 'max')), { recogniseRenamed: { from: 'welcome', to: 'max' } });
  });

  test('the wrong mark: a notice is not an error, nor an error a notice', () => {
    const swap = (raw: string): string => (raw.startsWith('* ') ? `! ${raw.slice(2)}` : `* ${raw.slice(2)}`);
    for (const [raw, expected] of CASES) {
      // Either mark closes: `* your account was removed: closing the connection` is a notice.
      const both = expected.recogniseClosing === undefined ? {} : { recogniseClosing: expected.recogniseClosing };
      assert.deepEqual(readBack(swap(raw)), both, swap(raw));
    }
  });

  test('malformed or foreign lines', () => {
    for (const raw of [
      '* registered as two words',
      '* registered as ',
      '* you are in ',
      '* bob joined the party',
      '* bob joined dev',
      '* bob joined #',
      '* bob joined #two words',
      '* bob left dev',
      '* you left #',
      '* you left two rooms',
      '<bob#> hi',
      '<#dev> hi',
      '<bob#dev>hi',
      '<bob#dev#qa> hi',
      '<bo b#dev> hi',
      ' <bob#dev> hi',
      '* your rooms: dev',
      '* online (2) alice, bob',
      '* pongx',
      '* [2026-11-27 05:15:05] <bob> no T',
      '* [2026-13-45T05:15:05Z] <bob> no such day',
      '* [2026-11-27T05:15:05Z] <bad name> x',
      '* [2026-11-27T05:15:05Z] plain text',
      '* end of history',
      '* connected from 1.2.3.4',
      '* send /hello  to start',
      '! line too long (max many bytes)',
      '! kicked by two words: x',
      '* server shutting down now',
      '*alice->* hi',
      '*->bob* hi',
      '*alice->bob*hi',
      '*alice=>bob* hi',
      '*alice->bob->carol* hi',
      '* you joined dev from another server',
      '* you joined dev',
      '* you joined #dev from another device',
      '* end of catch-up',
      '* end of catch-up (some messages)',
      `* ${at} <bob#dev>no space`,
      `* ${at} *alice->* x`,
      '! server full!',
      'welcome',
      '! banned until tomorrow: x',
      '! banned until 2026-13-45T05:15:05Z: no such day',
      '! banned for a while',
      '* bans (2): bob until lifted',
      '* bans (1): bob until tomorrow',
      '* bans (1): bob until lifted, carol until lifted',
      '* bans (0): bob until lifted',
      '* bans: bob until lifted',
      '* bob is banned until tomorrow',
      '* bob is banned until /unban',
      '* you are an operators',
      '* you are no operator',
    ]) {
      assert.deepEqual(readBack(raw), {}, raw);
    }
  });
});

describe('what other servers may send', () => {
  test('a greeting that announces a line limit', () => {
    assert.deepEqual(readBack('* Welcome! Lines up to max 8192 bytes.'), { recogniseGreeting: { maxLine: 8192 } });
    assert.deepEqual(readBack('* welcome: maximum line length is 512 bytes'), { recogniseGreeting: { maxLine: 512 } });
    assert.deepEqual(readBack('* welcomed: max 100 bytes'), {});
  });

  test('the end of a history of one message, in the singular', () => {
    assert.deepEqual(readBack('* end of history (1 message)'), { recogniseEndOfHistory: 1 });
  });

  test('login errors and /history refusals are known by how they start', () => {
    assert.deepEqual(readBack('! name taken'), { recogniseLoginError: 'name-taken' });
    assert.deepEqual(readBack('! password required'), { recogniseLoginError: 'password-required' });
    assert.deepEqual(readBack('! /history takes a number'), { recogniseHistoryRefused: 'usage' });
    assert.deepEqual(readBack('! Unknown command: /HISTORY'), { recogniseUnknownCommand: 'HISTORY' });
  });
});
