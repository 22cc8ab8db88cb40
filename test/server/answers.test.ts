import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Answers } from '../../src/server/answers.js';

/** A promise with its resolve and reject. */
function later<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function recorder(): { given: string[]; failures: string[]; answered: number; answers: Answers } {
  const out = { given: [] as string[], failures: [] as string[], answered: 0, answers: undefined as unknown as Answers };
  out.answers = new Answers({
    failed: (err) => out.failures.push(err.message),
    answered: () => out.answered++,
  });
  return out;
}

test('answers with nothing pending are given at once; a later answer holds those after it, which come in order', async () => {
  const r = recorder();
  r.answers.inOrder('now', (v) => void r.given.push(v));
  assert.deepEqual(r.given, ['now']);
  const slow = later<string>();
  r.answers.inOrder(slow.promise, (v) => void r.given.push(v));
  r.answers.inOrder('ready but behind', (v) => void r.given.push(v));
  const fast = later<string>();
  r.answers.inOrder(fast.promise, (v) => void r.given.push(v));
  assert.equal(r.answers.pending, 3);
  fast.resolve('fast');
  await turn();
  assert.deepEqual(r.given, ['now'], 'nothing overtakes the slow answer');
  slow.resolve('slow');
  await turn();
  assert.deepEqual(r.given, ['now', 'slow', 'ready but behind', 'fast']);
  assert.equal(r.answers.pending, 0);
  assert.equal(r.answered, 1, 'the owner hears once that every answer is given');
});

test('an answer that rejects or throws is reported and the answers after it are still given', async () => {
  const r = recorder();
  const bad = later<string>();
  r.answers.inOrder(bad.promise, (v) => void r.given.push(v));
  r.answers.inOrder('boom', () => {
    throw new Error('a bug in one answer');
  });
  r.answers.inOrder('after', (v) => void r.given.push(v));
  bad.reject(new Error('the cluster failed'));
  await turn();
  assert.deepEqual(r.failures, ['the cluster failed', 'a bug in one answer']);
  assert.deepEqual(r.given, ['after']);
  assert.equal(r.answers.pending, 0);
});

test('the rest of an answer (hold) keeps the next answers waiting; whenAnswered runs instead of answered', async () => {
  const r = recorder();
  const rest = later<void>();
  r.answers.inOrder('first part', (v) => {
    r.given.push(v);
    return rest.promise;
  });
  r.answers.inOrder('next', (v) => void r.given.push(v));
  let waited = 0;
  r.answers.whenAnswered(() => waited++);
  await turn();
  assert.deepEqual(r.given, ['first part'], 'the next answer waits for the rest of the first');
  rest.resolve();
  await turn();
  assert.deepEqual(r.given, ['first part', 'next']);
  assert.equal(waited, 1);
  assert.equal(r.answered, 0);
});
