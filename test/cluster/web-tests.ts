import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cluster, linesUntilSynced, type Server } from '../helpers/cluster.js';
import { WebClient } from '../helpers/web-client.js';
import { WireClient } from '../helpers/wire-client.js';

/** docs/web.md: a browser's WebSocket is a user of the cluster like any other. Run by cluster.test.ts. */
export function clusterWebTests(): void {
  test('a WebSocket user on one server and an nc user on another: the room and direct messages both ways, once each, to nobody else', async (t) => {
    const { servers } = await cluster(t, 2, 1000, ['--web-port', '0']);
    const [one, two] = servers as [Server, Server];
    const webPort = Number(/^web on .*:(\d+)$/.exec(await one.stdout.until(/^web on /))?.[1]);
    const dora = await WebClient.registered(t, `ws://127.0.0.1:${webPort}/`, 'dora');
    const nc = await WireClient.registered(t, two.port, 'nc');
    const bystander = await WireClient.registered(t, one.port, 'bystander');
    dora.send('JOIN #lobby');
    await dora.lines.until(/ 366 dora #lobby /);
    await nc.lines.until(/^\* bystander joined$/);
    nc.send('hello across');
    assert.equal(await dora.lines.until(/PRIVMSG #lobby/), ':nc!nc@chat PRIVMSG #lobby :hello across');
    dora.send('PRIVMSG nc :private from the web');
    assert.equal(await nc.lines.until(/^\*dora\*/), '*dora* private from the web');
    nc.send('@dora:private back');
    assert.equal(await dora.lines.until(/PRIVMSG dora/), ':nc!nc@chat PRIVMSG dora :private back');
    dora.send('PRIVMSG #lobby :to the room');
    assert.equal(await nc.lines.until(/^<dora>/), '<dora> to the room');
    assert.equal(await bystander.lines.until(/^<dora>/), '<dora> to the room');
    for (const c of [nc, bystander]) {
      const rest = await linesUntilSynced(c);
      assert.ok(!rest.some((l) => l.includes('to the room')), `told twice: ${rest.join(' | ')}`);
    }
    assert.ok(!bystander.lines.seen.some((l) => l.includes('private')), `a direct message reached another: ${bystander.lines.seen.join(' | ')}`);
  });
}
