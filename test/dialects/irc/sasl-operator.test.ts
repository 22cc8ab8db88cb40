import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ircDialectOf } from '../../../src/app/irc.js';
import { IrcClient } from '../../helpers/irc-client.js';
import { MemoryClient, startCore } from '../../helpers/memory-client.js';
import { usersFile } from '../../helpers/users.js';

/**
 * b6bef94: "An operator is told so at login" (docs/protocol.md, "Moderation"); the IRC
 * dialect's youAreOperator is '' because "An IRC operator is one after OPER, and told so then
 * (381)". But an operator account logged in with SASL is one already, without OPER
 * (commands.ts: isOperator(nameOf(ctx))): it may KILL, and is never told, by 381, 313 or MODE.
 */
test('an operator account logged in with IRC SASL, an operator without OPER, is told so', async (t) => {
  const users = await usersFile(t, { op: 'pw-op', bob: 'pw-b' }, ['op']);
  const { core, accounts } = startCore(t, { users, rate: 0, authFailureDelayMs: 5 });
  const dialect = ircDialectOf(core, accounts, 'irc.test');
  const op = IrcClient.memory(t, core, dialect, 'op');
  op.send('CAP LS 302');
  await op.sasl('op', 'pw-op');
  const welcome = op.lines.seen.join('\n');
  op.send('WHOIS op');
  const whois = (await op.sync()).join('\n');
  const bob = await MemoryClient.loggedIn(core, 'bob', 'pw-b');
  op.send('KILL bob :test');
  assert.equal(await bob.lines.until(/^!/), '! kicked by op: test', 'SASL alone makes an operator');
  assert.ok(/ 381 | 313 | MODE op :?\+o/.test(`${welcome}\n${whois}`), `never told:\n${welcome}\n${whois}`);
});
