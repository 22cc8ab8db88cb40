import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CLI } from '../helpers/cli.js';
import { CutProxy } from '../helpers/cut-proxy.js';
import { startServer } from '../helpers/server.js';
import { hasTmux, Terminal } from '../helpers/tmux.js';
import { WireClient } from '../helpers/wire-client.js';

const skip = !hasTmux && !process.env['CI'] ? 'tmux is not installed (apt-get install tmux to run this)' : false;

/** How many lines of the screen are exactly LINE. */
const count = (s: string[], line: string): number => s.filter((l) => l === line).length;

describe('chat-client on a terminal, in several rooms at once', { skip }, () => {
  test('lines of another room come tagged and counted in the prompt; /join goes there and clears the count; /part leaves', async (t) => {
    const { port } = await startServer(t, { rate: 0 });
    const bob = await WireClient.registered(t, port, 'bob');
    bob.send('/join dev');
    bob.send('said before');
    bob.send('/join lobby');
    await bob.sync();
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--port', String(port), '--name', 'alice']);
    await term.waitFor((s) => s.some((l) => l.startsWith('* in lobby (2)')) && Terminal.lastLine(s) === 'alice>', 'the chat prompt');

    // Joining a room: it becomes current, and its past is shown, as its own.
    term.type('/join dev');
    term.press('Enter');
    await term.waitFor((s) => s.includes('-- end of history --') && Terminal.lastLine(s) === 'alice@dev>', 'the past of dev');
    const joined = term.screen();
    assert.ok(joined.includes('<bob> said before'), joined.join('\n'));
    assert.ok(
      joined.some((l) => l.startsWith('* in dev (2)')),
      joined.join('\n'),
    );

    // bob talks in lobby, which alice is still in, but not looking at.
    bob.send('one in lobby');
    bob.send('two in lobby');
    await term.waitFor((s) => s.includes('[lobby] <bob> two in lobby') && Terminal.lastLine(s) === 'alice@dev (lobby 2)>', 'the tagged lines, counted');
    assert.ok(term.screen().includes('[lobby] <bob> one in lobby'));
    const styled = term.styledScreen().find((l) => l.includes('one in lobby')) ?? '';
    const codes = [...(/^((?:\x1b\[[\d;]*m)*)\[lobby\]/.exec(styled)?.[1]?.matchAll(/\x1b\[([\d;]*)m/g) ?? [])].flatMap((c) => c[1]!.split(';'));
    assert.ok(
      codes.some((c) => /^(3[0-7]|9[0-7])$/.test(c)),
      `the tag in a colour: ${JSON.stringify(styled)}`,
    );

    // A half-typed line survives a tagged line and the count going up.
    term.type('draft');
    bob.send('three in lobby');
    const typing = await term.waitFor((s) => s.includes('[lobby] <bob> three in lobby'), 'the third line');
    assert.equal(Terminal.lastLine(typing), 'alice@dev (lobby 3)> draft');
    term.press('C-c');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice@dev (lobby 3)>', 'the line cleared');

    // Back to lobby: the count goes; a room we are in already shows no past and no /who again.
    term.type('/join lobby');
    term.press('Enter');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'lobby current, nothing unread');
    term.type('/mine');
    term.press('Enter');
    // Answered after whatever the client would have asked on switching.
    const mine = await term.waitFor((s) => s.includes('* your rooms (2): lobby, dev'), 'the answer to /mine');
    assert.equal(count(mine, '-- end of history --'), 1, mine.join('\n'));
    assert.equal(mine.filter((l) => l.startsWith('* in lobby')).length, 1, mine.join('\n'));

    // Now dev is the other room: its message counts, presence lines do not.
    bob.send('/join dev');
    bob.send('in dev now');
    await term.waitFor((s) => s.includes('[dev] <bob> in dev now') && Terminal.lastLine(s) === 'alice (dev 1)>', 'dev counted');
    const carol = await WireClient.registered(t, port, 'carol');
    carol.send('/join dev');
    await carol.sync();
    const presence = await term.waitFor((s) => s.includes('[dev] * carol joined'), 'carol joining dev, tagged');
    assert.ok(presence.includes('* carol joined'), 'and lobby, untagged');
    assert.equal(Terminal.lastLine(presence), 'alice (dev 1)>');

    // Tab completes our rooms after /part.
    term.type('/part d');
    term.press('Tab');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice (dev 1)> /part dev', 'the room completed');
    term.press('Enter');
    await term.waitFor((s) => s.includes('* you left dev') && Terminal.lastLine(s) === 'alice>', 'dev left, its count with it');
    assert.equal(await carol.lines.until(/^\* alice left/), '* alice left');
    term.press('C-d');
    assert.equal(await term.exitCode(), 0);
  });

  test('after a reconnect: back in every room, the same one current, lobby left as it was; the counts kept', async (t) => {
    const { port } = await startServer(t, { rate: 0 });
    const proxy = await CutProxy.start(t, port);
    const bob = await WireClient.registered(t, port, 'bob');
    bob.send('/join qa');
    await bob.sync();
    const term = Terminal.start(t, [process.execPath, CLI.client, '--no-timestamps', '--history', '0', '--port', String(proxy.port), '--name', 'alice']);
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice>', 'the chat prompt');
    for (const line of ['/join dev', '/join qa', '/join dev', '/part lobby']) {
      term.type(line);
      term.press('Enter');
    }
    await term.waitFor((s) => s.includes('* you left lobby') && Terminal.lastLine(s) === 'alice@dev>', 'in dev and qa, not lobby');
    bob.send('in qa');
    await term.waitFor((s) => Terminal.lastLine(s) === 'alice@dev (qa 1)>', 'qa counted');

    proxy.cut();
    await term.waitFor((s) => /^\(reconnecting.*\) alice@dev \(qa 1\)>$/.test(Terminal.lastLine(s)), 'the rooms kept while reconnecting');
    proxy.restore();
    await term.waitFor((s) => s.includes('reconnected as alice'), 'the reconnection');
    term.type('/mine');
    term.press('Enter');
    const screen = await term.waitFor((s) => s.includes('* your rooms (2): dev, qa'), 'the rooms of the new connection');
    assert.equal(Terminal.lastLine(screen), 'alice@dev (qa 1)>');
    bob.send('/who lobby');
    assert.equal(await bob.lines.until(/^\* in lobby/), '* in lobby (1): bob', 'alice did not stay in lobby');
    bob.send('again in qa');
    await term.waitFor((s) => s.includes('[qa] <bob> again in qa') && Terminal.lastLine(s) === 'alice@dev (qa 2)>', 'qa counted on');
  });
});
