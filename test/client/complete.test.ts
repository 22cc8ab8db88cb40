import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { COMMANDS, Completions, type CompletionsContext } from '../../src/client/complete.js';
import { parseServerLine } from '../../src/dialects/line/server-line.js';
import { stamp, T0 } from '../helpers/fake-clock.js';

/** Completions that have read RAW, in a chat whose current room is lobby (unless CONTEXT says). */
function learnt(raw: readonly string[], context: CompletionsContext = {}): Completions {
  const c = new Completions(context);
  for (const r of raw) c.learn(parseServerLine(r));
  return c;
}

const OPERATOR = '* you are an operator: /help lists your commands';

describe('Completions: names', () => {
  test('from /who, messages and joins, and the rooms from you are in, /who ROOM and /rooms', () => {
    const c = learnt([
      '* online (3): alice, Bob, carol',
      '<dave> hi',
      '*erin* psst',
      '* frank joined',
      '* carol is now caroline',
      '* in dev (1): gina',
      '* rooms (2): lobby (4), ops (1)',
      '* you are in Design',
    ]);
    assert.deepEqual(c.names, ['alice', 'Bob', 'caroline', 'dave', 'erin', 'frank', 'gina']);
    assert.deepEqual(c.rooms, ['Design', 'dev', 'lobby', 'ops']);
  });

  test('the past names nobody: history, messages kept for us and a catch-up may be of those gone since', () => {
    const at = stamp(T0);
    const c = learnt([`* [${at}] <ivan> old`, `* [${at}] *judy* while you were away`, `* [${at}] <dave#qa> old`, `* [${at}] *alice->carol* later`]);
    assert.deepEqual(c.names, []);
    assert.deepEqual(c.rooms, ['qa'], 'the room of the catch-up is ours');
  });

  test('a rename takes the old name away, ours too, and a later history line does not bring it back', () => {
    let self = 'alice';
    const c = learnt(['* in lobby (3): alice, bob, carol', '* bob is now robert'], { self: () => self, mine: () => ['lobby'] });
    assert.deepEqual(c.names, ['carol', 'robert'], 'ours is never offered');
    // What the chat loop does with `* you are now alicia`.
    c.renamed(self, 'alicia');
    self = 'alicia';
    c.learn(parseServerLine(`* [${stamp(T0)}] <bob> before the rename`));
    assert.deepEqual(c.names, ['carol', 'robert']);
    assert.deepEqual(c.complete('al'), [[], 'al']);
    assert.deepEqual(c.complete('b'), [[], 'b']);
    // A rename told once, untagged, even by someone seen only in another room.
    c.learn(parseServerLine('<dave#dev> hi'));
    c.learn(parseServerLine('* dave is now david'));
    assert.deepEqual(c.names, ['carol', 'david', 'robert']);
  });

  test('someone who leaves goes once no other room of ours is known to hold them', () => {
    const mine = ['lobby', 'dev'];
    const c = learnt(['* in lobby (3): alice, bob, carol', '* in dev (2): alice, bob', '*erin* hi'], { mine: () => mine, self: () => 'alice' });
    c.learn(parseServerLine('* carol left (bye)'));
    assert.deepEqual(c.names, ['bob', 'erin'], 'carol left the only room we shared: gone from the chat, or out of sight');
    c.learn(parseServerLine('* bob left #dev'));
    assert.deepEqual(c.names, ['bob', 'erin'], 'bob left dev, and is still in lobby');
    c.learn(parseServerLine('* bob left'));
    assert.deepEqual(c.names, ['erin']);
    c.learn(parseServerLine('* erin joined #dev'));
    c.learn(parseServerLine('* erin left #dev'));
    assert.deepEqual(c.names, [], 'seen leaving the last room known to hold her');
  });

  test('our /part: who was seen only in that room may be anywhere; who wrote to us stays', () => {
    const mine = ['lobby', 'dev'];
    const c = learnt(['* in dev (3): alice, bob, carol', '* in lobby (2): alice, carol', '*dave* psst'], { mine: () => mine });
    mine.pop();
    c.learn(parseServerLine('* you left dev'));
    assert.deepEqual(c.names, ['alice', 'carol', 'dave']);
  });

  test("/who's answer is everyone online: whoever it leaves out has gone", () => {
    const c = learnt(['<bob> hi', '*carol* psst', '* dave joined #dev', '* online (3): alice, bob, erin']);
    assert.deepEqual(c.names, ['alice', 'bob', 'erin']);
  });

  test("a /who ROOM answer: a room of ours is listed anew, another room's people are online", () => {
    const c = learnt(['* in lobby (3): alice, bob, carol', '* in lobby (2): alice, bob', '* in qa (1): zoe'], { mine: () => ['lobby'] });
    assert.deepEqual(c.names, ['alice', 'bob', 'zoe']);
  });

  test('from the lines of our other rooms, and from what we did on another device', () => {
    const c = learnt(['<bob#dev> hi', '* carol joined #qa', '* you joined ops from another device', '*alice->dave* hi', '* your rooms (2): lobby, Design']);
    assert.deepEqual(c.names, ['bob', 'carol', 'dave']);
    assert.deepEqual(c.rooms, ['Design', 'dev', 'lobby', 'ops', 'qa']);
  });
});

describe('Completions: where Tab offers what', () => {
  test('names after @, /msg and room commands, as the first word with `: `, and as any later word as they are', () => {
    const c = learnt(['* online (3): alice, bob, bert', '* rooms (2): lobby (4), dev (1)']);
    assert.deepEqual(c.complete('@b'), [['@bert:', '@bob:'], '@b']);
    assert.deepEqual(c.complete('hi @AL'), [['@alice'], '@AL']);
    assert.deepEqual(c.complete('bo'), [['bob: '], 'bo']);
    assert.deepEqual(c.complete('/msg al'), [['alice '], 'al']);
    assert.deepEqual(c.complete('hello bo'), [['bob'], 'bo'], 'a name in the middle of a line: no `: `');
    assert.deepEqual(c.complete('bob: ask AL'), [['alice'], 'AL']);
    assert.deepEqual(c.complete('hello B'), [['bert', 'bob'], 'B']);
    assert.deepEqual(c.complete('hello '), [[], ''], 'no word, nothing');
    assert.deepEqual(c.complete('hello zed'), [[], 'zed']);
  });

  test('/join completes every room known, /part only ours, with a space for the reason', () => {
    const mine = ['lobby', 'Dev'];
    const c = learnt(['* rooms (3): lobby (4), dev (1), design (2)', '<bob#ops> hi'], { mine: () => mine });
    assert.deepEqual(c.complete('/pa'), [['/part '], '/pa']);
    assert.deepEqual(c.complete('/mi'), [['/mine '], '/mi']);
    assert.deepEqual(c.complete('/join d'), [['design', 'dev'], 'd']);
    assert.deepEqual(c.complete('/join o'), [['ops'], 'o']);
    assert.deepEqual(c.complete('/join #l'), [['#lobby'], '#l']);
    assert.deepEqual(c.complete('/part d'), [['Dev '], 'd']);
    assert.deepEqual(c.complete('/PART '), [['Dev ', 'lobby '], '']);
    assert.deepEqual(c.complete('/part #l'), [['#lobby '], '#l']);
    assert.deepEqual(c.complete('/part o'), [[], 'o'], 'not a room of ours');
    mine.push('ops');
    assert.deepEqual(c.complete('/part o'), [['ops '], 'o'], 'ours as they are now');
  });

  test("room operators' commands complete, and the names they take: `@` marks no name", () => {
    const c = learnt(['* in dev (2): @alice, bob'], { mine: () => ['dev'] });
    assert.deepEqual(c.names, ['alice', 'bob']);
    assert.deepEqual(c.complete('/to'), [['/topic '], '/to']);
    assert.deepEqual(c.complete('/p'), [['/part ', '/ping ', '/private ', '/public '], '/p']);
    assert.deepEqual(c.complete('/op a'), [['alice '], 'a']);
    assert.deepEqual(c.complete('/remove b'), [['bob '], 'b']);
    assert.deepEqual(c.complete('/invite '), [['alice ', 'bob '], '']);
  });

  test("the server operators' commands only once the server says we are one, until the next login", () => {
    const c = learnt([]);
    assert.deepEqual(c.complete('/b'), [[], '/b']);
    assert.deepEqual(c.complete('/k'), [['/key '], '/k']);
    assert.deepEqual(c.complete('/u'), [[], '/u']);
    c.learn(parseServerLine(OPERATOR));
    assert.deepEqual(c.complete('/b'), [['/ban ', '/bans '], '/b']);
    assert.deepEqual(c.complete('/k'), [['/key ', '/kick '], '/k']);
    assert.deepEqual(c.complete('/u'), [['/unban '], '/u']);
    c.loggedIn();
    assert.deepEqual(c.complete('/b'), [[], '/b'], 'a new connection: operator again only when told');
    c.learn(parseServerLine(`<bob> ${OPERATOR}`));
    c.learn(parseServerLine(`*bob* ${OPERATOR}`));
    assert.deepEqual(c.complete('/b'), [[], '/b'], "someone's words do not make us one");
  });

  test("a rename away from the operator account ends the operators' commands; one to another operator account keeps them", () => {
    const c = learnt([OPERATOR]);
    c.learn(parseServerLine('* you are now somebody'));
    assert.deepEqual(c.complete('/ba'), [[], '/ba'], 'an operator is one by its account');
    // The server says it again right after the rename when the new name is an operator's.
    c.learn(parseServerLine('* you are now root'));
    c.learn(parseServerLine(OPERATOR));
    assert.deepEqual(c.complete('/ba'), [['/ban ', '/bans '], '/ba']);
    c.learn(parseServerLine('* bob is now somebody'));
    assert.deepEqual(c.complete('/ba'), [['/ban ', '/bans '], '/ba'], "someone else's rename changes nothing");
  });

  test('/away, the server command that is new, completes', () => {
    assert.ok(COMMANDS.includes('/away'));
    assert.deepEqual(learnt([]).complete('/aw'), [['/away '], '/aw']);
  });
});
