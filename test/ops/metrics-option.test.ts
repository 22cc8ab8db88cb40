import assert from 'node:assert/strict';
import { test } from 'node:test';
import { metricsAddress } from '../../src/cli/metrics-option.js';

test('--metrics HOST:PORT: names, IPv4, IPv6 in brackets; port 0 to 65535', () => {
  assert.deepEqual(metricsAddress('127.0.0.1:9464'), { host: '127.0.0.1', port: 9464 });
  assert.deepEqual(metricsAddress('localhost:0'), { host: 'localhost', port: 0 });
  assert.deepEqual(metricsAddress('[::1]:65535'), { host: '::1', port: 65535 });
  assert.deepEqual(metricsAddress(' 0.0.0.0:80 '), { host: '0.0.0.0', port: 80 });
  for (const bad of ['', ':80', '9464', 'host', 'host:', 'host:65536', 'host:-1', 'host:1e3', '::1:80', '[::1]', '[]:80', 'a b:80', 'host:80:80']) {
    assert.throws(() => metricsAddress(bad), /--metrics must be HOST:PORT/, bad);
  }
});
