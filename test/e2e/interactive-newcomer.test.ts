import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { CLI } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';
import { hasTmux, Terminal } from '../helpers/tmux.js';
import { WireClient } from '../helpers/wire-client.js';

const skip = !hasTmux && !process.env['CI'] ? 'tmux is not installed (apt-get install tmux to run this)' : false;

/** A server, alice's client on a terminal at its chat prompt, and bob on the wire. */
async function chat(t: TestContext, args: string[] = [], server: Parameters<typeof startServer>[1] = {}) {
  const { port } = await startServer(t, server);
  const bob = await WireClient.registered(t, port, 'bob');
  const term = Terminal.start(t, [process.execPath, CLI.client, '--port', String(port), '--name', 'alice', ...args]);
  await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
  await bob.lines.until(/alice joined/);
  return { port, bob, term };
}

describe('chat-client on a terminal, as newcomers expect it', { skip }, () => {
  test('a paste into the middle of a line lands at the cursor, on screen and on the wire', async (t) => {
    const { bob, term } = await chat(t, ['--no-timestamps']);
    term.type('abc');
    term.press('Left', 'Left');
    term.paste('XYZ');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice> aXYZbc', 'the paste at the cursor');
    term.type('!');
    term.press('Enter');
    assert.equal(await bob.lines.until(/^<alice>/), '<alice> aXYZ!bc');
    // Without the paste marks: several characters in one read (an input method, a terminal
    // that does not mark pastes) go to the cursor too.
    term.type('12');
    term.press('Left');
    term.type('abc');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice> 1abc2', 'the characters at the cursor');
    term.press('Enter');
    assert.equal(await bob.lines.until(/^<alice>/), '<alice> 1abc2');
  });

  test('HH:MM before each received line; --no-timestamps turns it off', async (t) => {
    const { bob, term } = await chat(t);
    bob.send('hello');
    const screen = await term.waitFor((s) => s.some((l) => l.endsWith('<bob> hello')), 'the message');
    const line = screen.find((l) => l.endsWith('<bob> hello'))!;
    const m = /^(\d\d):(\d\d) <bob> hello$/.exec(line);
    assert.ok(m, line);
    const minutes = Number(m[1]) * 60 + Number(m[2]);
    const d = new Date();
    const nowMinutes = d.getHours() * 60 + d.getMinutes();
    assert.ok((nowMinutes - minutes + 1440) % 1440 <= 1, `local time: ${line}`);
    assert.ok(
      screen.some((l) => /^\d\d:\d\d \* registered as alice$/.test(l)),
      'the lines of the login too',
    );

    const plain = await chat(t, ['--no-timestamps']);
    plain.bob.send('hello');
    await plain.term.waitFor((s) => s.includes('<bob> hello'), 'the message without a time');
  });

  test('Ctrl-C clears the line; on an empty line it says how to leave, and a second one leaves', async (t) => {
    const { bob, term } = await chat(t, ['--no-timestamps']);
    term.type('half typed');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice> half typed', 'the half-typed line');
    term.press('C-c');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the line cleared');
    term.press('C-c');
    await term.waitFor((s) => s.includes('Press Ctrl-C again to leave (or Ctrl-D, or type /quit).'), 'how to leave');
    // Typing in between disarms it: one Ctrl-C after that only clears.
    term.type('x');
    term.press('C-c');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the line cleared again');
    term.type('still here');
    term.press('Enter');
    assert.equal(await bob.lines.until(/^<alice>/), '<alice> still here');
    term.press('C-c');
    term.press('C-c');
    assert.equal(await term.exitCode(), 0);
    assert.equal(await bob.lines.until(/left/), '* alice left');
  });

  test('Ctrl-D on an empty line leaves; on a typed line it does not', async (t) => {
    const { bob, term } = await chat(t, ['--no-timestamps']);
    term.type('ab');
    term.press('Left', 'C-d');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice> a', 'Ctrl-D deleting the character under the cursor');
    term.press('C-u', 'C-d');
    assert.equal(await term.exitCode(), 0);
    assert.equal(await bob.lines.until(/left/), '* alice left');
  });

  test('/msg, /m and /nick are translated; a bad one is not sent and says why', async (t) => {
    const { bob, term } = await chat(t, ['--no-timestamps']);
    term.type('/msg bob hello there');
    term.press('Enter');
    assert.equal(await bob.lines.until(/^\*alice\*/), '*alice* hello there');
    term.type('/M bob short');
    term.press('Enter');
    assert.equal(await bob.lines.until(/^\*alice\*/), '*alice* short');
    term.type('/msg bob');
    term.press('Enter');
    await term.waitFor((s) => s.includes('not sent: /msg needs a name and a text: /msg NAME TEXT'), 'the usage');
    term.type('/nick alicia');
    term.press('Enter');
    assert.equal(await bob.lines.until(/is now/), '* alice is now alicia');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alicia>', 'the new name in the prompt');
  });

  test('after registering and after /join: the prompt shows the room, the client lists who is in it; Tab completes rooms', async (t) => {
    const { bob, term } = await chat(t, ['--no-timestamps']);
    await term.waitFor((s) => s.includes('* in lobby (2): alice, bob'), 'who is in the room we start in');
    bob.send('/join development');
    await bob.lines.until(/you are in development/);
    term.type('/rooms');
    term.press('Enter');
    await term.waitFor((s) => s.includes('* rooms (2): development (1), lobby (2)'), 'the rooms');
    term.type('/jo');
    term.press('Tab');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice> /join', 'the command completed');
    term.type('dev');
    term.press('Tab');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice> /join development', 'the room completed');
    term.press('Enter');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice@development>', 'the room in the prompt');
    // As IRC clients show NAMES on join: asked by the client, answered by the server; bob made the room.
    await term.waitFor((s) => s.includes('* in development (2): alice, @bob'), 'who is in the room');
    assert.equal(await bob.lines.until(/alice joined/), '* alice joined');
  });

  test('Tab completes names seen and from /who, after @ and at the start of a line', async (t) => {
    const { port, bob, term } = await chat(t, ['--no-timestamps']);
    const carol = await WireClient.registered(t, port, 'carol');
    await term.waitFor((s) => s.includes('* carol joined'), 'carol');
    await WireClient.registered(t, port, 'dave');
    await term.waitFor((s) => s.includes('* dave joined'), 'dave');
    term.type('@ca');
    term.press('Tab');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice> @carol:', 'the direct message completed');
    term.type('hi');
    term.press('Enter');
    assert.equal(await carol.lines.until(/^\*alice\*/), '*alice* hi');
    term.type('da');
    term.press('Tab');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice> dave:', 'the name at the start completed');
    term.press('C-u');
    // bob was there before alice: only /who has named him.
    term.type('/who');
    term.press('Enter');
    await term.waitFor((s) => s.includes('* online (4): alice, bob, carol, dave'), 'the /who answer');
    term.type('dave: see @bo');
    term.press('Tab');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice> dave: see @bob', 'the name in a text completed');
    term.press('Enter');
    assert.equal(await bob.lines.until(/^<alice>/), '<alice> dave: see @bob');
  });

  test('a line over the limit goes as several messages, cut between characters', async (t) => {
    const { bob, term } = await chat(t, ['--no-timestamps'], { maxLine: 200 });
    // No greeting says the limit: the client learns it from the server's own refusal.
    term.type('x'.repeat(300));
    term.press('Enter');
    await term.waitFor((s) => s.some((l) => l.includes('line too long (max 200 bytes)')), 'the refusal');
    const text = `${'é'.repeat(150)} end`;
    term.type(`/msg bob ${text}`);
    term.press('Enter');
    const parts = [await bob.lines.until(/^\*alice\*/), await bob.lines.until(/^\*alice\*/)].map((p) => p.slice('*alice* '.length));
    assert.equal(parts.join(''), text);
    assert.ok(
      parts.every((p) => Buffer.byteLength(`@bob:${p}`) <= 200),
      'each part within the limit',
    );
    term.type('y'.repeat(300));
    term.press('Enter');
    assert.equal(await bob.lines.until(/^<alice>/), `<alice> ${'y'.repeat(200)}`);
    assert.equal(await bob.lines.until(/^<alice>/), `<alice> ${'y'.repeat(100)}`);
    // One huge line is many messages: asked about, as a big paste is.
    term.paste('z'.repeat(1300));
    term.press('Enter');
    await term.waitFor((s) => Terminal.lastLine(s) === 'send 7 lines? [y/N]', 'the question');
    term.type('y');
    term.press('Enter');
    for (let i = 0; i < 6; i++) assert.equal(await bob.lines.until(/^<alice>/), `<alice> ${'z'.repeat(200)}`);
    assert.equal(await bob.lines.until(/^<alice>/), `<alice> ${'z'.repeat(100)}`);
  });

  test('a paste of more than 5 lines asks first; the prompt counts what flood control holds back', async (t) => {
    const { bob, term } = await chat(t, ['--no-timestamps'], { burst: 5, rate: 20 });
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i}`);
    term.paste(`${lines.slice(0, 6).join('\n')}\n`);
    await term.waitFor((s) => Terminal.lastLine(s) === 'send 6 lines? [y/N]', 'the question');
    term.type('n');
    term.press('Enter');
    await term.waitFor((s) => s.includes('not sent: the 6 lines.') && Terminal.lastLine(s) === 'alice>', 'the refusal');
    term.paste(`${lines.slice(0, 3).join('\n')}\n`);
    for (const line of lines.slice(0, 3)) assert.equal(await bob.lines.until(/^<alice>/), `<alice> ${line}`);
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the prompt under the paste');
    // What follows the last line end is a draft: kept aside while asking, given back after.
    term.paste(`${lines.join('\n')}\ndraft`);
    await term.waitFor((s) => Terminal.lastLine(s) === 'send 30 lines? [y/N]', 'the question');
    term.type('y');
    term.press('Enter');
    await term.waitFor((s) => /^\(\d+ waiting\) alice> draft$/.test(Terminal.lastLine(s)), 'the lines waiting');
    for (const line of lines) assert.equal(await bob.lines.until(/^<alice>/), `<alice> ${line}`);
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice> draft', 'nothing waiting any more');
    await bob.expectNothing();
  });

  test('a resize while a draft wraps loses no message and leaves no stale prompt', async (t) => {
    const { bob, term } = await chat(t, ['--no-timestamps']);
    const draft = 'd'.repeat(58);
    term.type(draft);
    await term.waitFor((s) => Terminal.lastLine(s) === `alice> ${draft}`, 'the draft');
    term.resize(40);
    await term.waitFor(
      (s) =>
        s
          .filter((l) => l !== '')
          .slice(-2)
          .join('') === `alice> ${draft}`,
      'the draft wrapped',
    );
    bob.send('arrived while narrow');
    await term.waitFor((s) => s.includes('<bob> arrived while narrow'), 'the message');
    term.resize(100);
    const screen = await term.waitFor((s) => Terminal.lastLine(s) === `alice> ${draft}`, 'the draft on one line again');
    assert.ok(term.history().includes('<bob> arrived while narrow'), `the message is still there:\n${screen.join('\n')}`);
    assert.equal(screen.filter((l) => l.startsWith('alice>')).length, 1, `one prompt:\n${screen.join('\n')}`);
    term.press('Enter');
    assert.equal(await bob.lines.until(/^<alice>/), `<alice> ${draft}`);
  });

  test('with several --host servers, a lost connection comes back on another one', async (t) => {
    const a = await startServer(t);
    const b = await startServer(t);
    const term = Terminal.start(t, [process.execPath, CLI.client, '--host', `127.0.0.1:${a.port},127.0.0.1:${b.port}`, '--name', 'alice', '--no-timestamps']);
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
    await a.server.close();
    await term.waitFor((s) => s.includes('reconnected as alice'), 'the reconnection');
    const bob = await WireClient.registered(t, b.port, 'bob');
    bob.send('@alice:on the other server');
    await term.waitFor((s) => s.includes('*bob* on the other server'), 'a message through the second server');
  });

  test('the connection lost while pasted lines wait: it says so, and the count starts again at 0', async (t) => {
    const first = await startServer(t, { burst: 2, rate: 2 });
    const term = Terminal.start(t, [process.execPath, CLI.client, '--port', String(first.port), '--name', 'alice', '--no-timestamps']);
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
    term.paste(`${Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n')}\n`);
    await term.waitFor((s) => Terminal.lastLine(s) === 'send 40 lines? [y/N]', 'the question');
    term.type('y');
    term.press('Enter');
    await term.waitFor((s) => /^\(\d+ waiting\) alice>$/.test(Terminal.lastLine(s)), 'the lines waiting');
    await first.server.close();
    await term.waitFor((s) => s.some((l) => /^\d+ lines sent in bulk may not have been delivered\.$/.test(l)), 'the warning');
    await startServer(t, { port: first.port });
    await term.waitFor((s) => s.includes('reconnected as alice') && Terminal.lastLine(s) === 'alice>', 'the prompt with nothing waiting');
  });
});
