import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterLink, peerLinks } from '../../src/cli/cluster-link.js';

test('--cluster-link HOST:PORT or off', () => {
  assert.deepEqual(clusterLink('10.0.0.5:7000'), { host: '10.0.0.5', port: 7000 });
  assert.deepEqual(clusterLink('[::1]:0'), { host: '::1', port: 0 });
  assert.equal(clusterLink(' off '), 'off');
  assert.throws(() => clusterLink('7000'), /--cluster-link must be HOST:PORT, such as 10\.0\.0\.5:7000/);
});

test('direct links by default on the server host, any port; none with a Redis over TLS unless asked for; never with off', () => {
  assert.deepEqual(peerLinks(undefined, 'redis://10.0.0.9:6379', '10.0.0.5'), { host: '10.0.0.5', port: 0 });
  assert.deepEqual(peerLinks(undefined, 'redis+sentinel://a:26379/mymaster', '0.0.0.0'), { host: '0.0.0.0', port: 0 });
  assert.equal(peerLinks(undefined, 'rediss://10.0.0.9:6380', '10.0.0.5'), undefined);
  assert.equal(peerLinks(undefined, 'REDISS://10.0.0.9:6380', '10.0.0.5'), undefined);
  assert.deepEqual(peerLinks({ host: '10.0.0.5', port: 7000 }, 'rediss://10.0.0.9:6380', '127.0.0.1'), { host: '10.0.0.5', port: 7000 });
  assert.equal(peerLinks('off', 'redis://10.0.0.9:6379', '10.0.0.5'), undefined);
  // Where the others reach them, behind NAT: given with the links, and asking for them with rediss://.
  const nat = { host: '203.0.113.5', port: 7000 };
  assert.deepEqual(peerLinks(undefined, 'redis://10.0.0.9:6379', '10.0.0.5', nat), { host: '10.0.0.5', port: 0, address: nat });
  assert.deepEqual(peerLinks({ host: '0.0.0.0', port: 7000 }, 'redis://r', '127.0.0.1', nat), { host: '0.0.0.0', port: 7000, address: nat });
  assert.deepEqual(peerLinks(undefined, 'rediss://10.0.0.9:6380', '10.0.0.5', nat), { host: '10.0.0.5', port: 0, address: nat });
});
