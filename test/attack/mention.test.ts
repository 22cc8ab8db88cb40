import assert from 'node:assert/strict';
import { test } from 'node:test';
import { callsUs } from '../../src/client/mention.js';
import { parseServerLine } from '../../src/dialects/line/server-line.js';

// docs/client.md: the bell "Never for your own lines (said on another device)". A direct
// message an account sends itself (a note from the phone) reaches every device as `*alice* ...`.
test('attack: a direct message from ourselves (another device, or a note to self) does not ring', () => {
  assert.equal(callsUs(parseServerLine('*alice* note to self'), 'alice'), false);
  assert.equal(callsUs(parseServerLine('*ALICE* note to self'), 'alice'), false);
});
