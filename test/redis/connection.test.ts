import assert from 'node:assert/strict';
import { test } from 'node:test';
import { databaseOf, redactUrl, redisTarget } from '../../src/redis/connection.js';

test('redis:// and rediss:// URLs go to ioredis as they are, with their database', () => {
  assert.deepEqual(redisTarget('redis://127.0.0.1:6379'), { options: { url: 'redis://127.0.0.1:6379' }, db: 0, sentinel: false });
  assert.equal(databaseOf('rediss://u:p@redis.example.com:6380/3'), 3);
  assert.equal(databaseOf('redis://127.0.0.1:6379/abc'), undefined);
  assert.equal(redisTarget('localhost:6379'), undefined, 'no scheme: ioredis would read it as something else');
  assert.equal(redisTarget('http://127.0.0.1:6379'), undefined);
});

test('a Sentinel URL names the sentinels, the primary, its database and its credentials', () => {
  assert.deepEqual(redisTarget('redis+sentinel://chat:s%40cret@10.0.0.1:26379,10.0.0.2:26380,[::1]:26381/mymaster/2'), {
    options: {
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '10.0.0.2', port: 26380 },
        { host: '::1', port: 26381 },
      ],
      name: 'mymaster',
      db: 2,
      username: 'chat',
      password: 's@cret',
    },
    db: 2,
    sentinel: true,
  });
  // Sentinel's own port when none is given; the password alone, as with requirepass.
  assert.deepEqual(redisTarget('redis+sentinel://:pw@sentinel.example.com/chat')?.options, {
    sentinels: [{ host: 'sentinel.example.com', port: 26379 }],
    name: 'chat',
    db: 0,
    password: 'pw',
  });
  assert.equal(redisTarget('redis+sentinel://127.0.0.1:26379'), undefined, 'no primary named');
  assert.equal(redisTarget('redis+sentinel://127.0.0.1:0/chat'), undefined);
  assert.equal(redisTarget('redis+sentinel://a:26379,,b:26379/chat'), undefined);
  assert.equal(databaseOf('redis+sentinel://127.0.0.1:26379/chat/x'), undefined);
  assert.equal(databaseOf('redis+sentinel://127.0.0.1:26379/chat/99999999999999999999'), undefined);
  assert.equal(redisTarget('redis+sentinel://127.0.0.1:0x10/chat'), undefined, 'ports are decimal');
  assert.equal(redisTarget('redis+sentinel://::1:26379/chat'), undefined, 'IPv6 in brackets');
  assert.deepEqual(redisTarget('redis+sentinel://[::1]/chat')?.options['sentinels'], [{ host: '::1', port: 26379 }]);
  assert.equal(redisTarget('redis+sentinel://u:%E0%A4%A@a:26379/chat'), undefined, 'a malformed escape is no URL, not a crash');
});

test('passwords never reach a log, in either form of URL', () => {
  assert.equal(redactUrl('redis://chat:CHANGE-ME@127.0.0.1:6379/2'), 'redis://chat:***@127.0.0.1:6379/2');
  assert.equal(redactUrl('redis://:CHANGE-ME@127.0.0.1:6379'), 'redis://:***@127.0.0.1:6379');
  assert.equal(redactUrl('redis+sentinel://chat:CHANGE-ME@a:26379,b:26379/chat'), 'redis+sentinel://chat:***@a:26379,b:26379/chat');
  assert.equal(redactUrl('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
  assert.equal(redactUrl('redis://chat@127.0.0.1:6379'), 'redis://chat@127.0.0.1:6379', 'a user without a password stays');
  // ioredis splits at the last @: a password may hold one, and none of it shows.
  assert.equal(redactUrl('redis://:hunter@2secret@127.0.0.1:6379/1'), 'redis://:***@127.0.0.1:6379/1');
  assert.equal(redactUrl('redis+sentinel://u:p%40ss@a:26379/chat'), 'redis+sentinel://u:***@a:26379/chat');
});
