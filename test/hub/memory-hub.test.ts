import { describe } from 'node:test';
import { MemoryHub } from '../../src/hub/memory-hub.js';
import { hubContract, testEvents } from './contract.js';

describe('the in-memory hub', () => {
  // One process is the whole chat: its "n servers" are one hub.
  hubContract(async (_t, n) => {
    const hub = new MemoryHub();
    hub.attach(testEvents());
    return Array.from({ length: n }, () => hub);
  });
});
