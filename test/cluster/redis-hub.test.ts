import { describe } from 'node:test';
import { RedisHub } from '../../src/hub/redis-hub.js';
import { redisSkip, TestRedis } from '../helpers/redis.js';
import { hubContract } from '../hub/contract.js';

describe('the Redis hub', { skip: redisSkip }, () => {
  // n servers: n hubs on one Redis of the test's own.
  hubContract(async (t, n) => {
    const redis = await TestRedis.start(t);
    const hubs = Array.from({ length: n }, () => new RedisHub({ url: redis.url, leaseMs: 1000 }));
    for (const hub of hubs) {
      hub.attach({ presence: () => undefined, evicted: () => {}, log: () => {} });
      await hub.start();
      t.after(() => hub.close());
    }
    return hubs;
  });
});
