import assert from 'node:assert/strict';
import readline from 'node:readline';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { HiddenInput, HiddenPrompts } from '../../src/client/hidden-input.js';

/** A terminal's input, raw mode and all, and the chat's readline on it: the lines it got. */
function chat(): { input: NodeJS.ReadStream; chatLines: string[]; close: () => void } {
  const input = Object.assign(new PassThrough(), { isTTY: true, isRaw: false, setRawMode: () => input }) as unknown as NodeJS.ReadStream;
  const chatLines: string[] = [];
  const rl = readline.createInterface({ input, output: new PassThrough(), terminal: true });
  rl.on('line', (line) => chatLines.push(line));
  return { input, chatLines, close: () => rl.close() };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test("HiddenInput: every key is its own until closed, several questions and all; lines typed ahead wait for theirs, those left over are counted, never the chat's", async (t) => {
  const { input, chatLines, close } = chat();
  t.after(close);
  const keys = new HiddenInput(input);
  const first = keys.next();
  // One read: the answers to three questions, and a line after them.
  input.write('old\rnew\rnew\rafter\r\r');
  assert.equal(await first, 'old');
  assert.equal(await keys.next(), 'new');
  assert.equal(await keys.next(), 'new');
  assert.equal(keys.close(), 1, 'the line after them; the empty one is nothing');
  assert.equal(keys.close(), 0, 'closed once');
  assert.deepEqual(chatLines, [], 'nothing reached the chat');
  input.write('hello\r');
  await tick();
  assert.deepEqual(chatLines, ['hello'], 'the chat has its keys back');
});

test('HiddenInput: Ctrl-C gives up, every question then gets undefined; closing answers an open one so', async (t) => {
  const { input, chatLines, close } = chat();
  t.after(close);
  const keys = new HiddenInput(input);
  const asked = keys.next();
  input.write('half\x03');
  assert.equal(await asked, undefined);
  assert.equal(await keys.next(), undefined);
  keys.close();
  const again = new HiddenInput(input);
  const open = again.next();
  // Another prompt takes over (a reconnect's password while /passwd asks).
  again.close();
  assert.equal(await open, undefined);
  input.write('hello\r');
  await tick();
  assert.deepEqual(chatLines, ['hello']);
});

test("HiddenPrompts: one at a time: a second ends the first, which says so before the second asks; the chat's keys come back after the last", async (t) => {
  const { input, chatLines, close } = chat();
  t.after(close);
  const said: string[] = [];
  const prompts = new HiddenPrompts(input, {
    asked: () => said.push(`asked ${prompts.question}`),
    answered: () => {},
    ended: (what, left) => said.push(`ended ${what} ${left}`),
  });
  const passwd = prompts.run('/passwd', async (ask) => {
    const old = await ask('Current password');
    said.push(`/passwd got ${old}`);
    return old;
  });
  input.write('half typ');
  await tick();
  // The connection is lost; the reconnect asks for the password.
  const reconnect = prompts.run('the password', (ask) => ask('Password for alice'));
  assert.equal(await passwd, undefined);
  await tick();
  assert.equal(prompts.question, 'Password for alice: ');
  input.write('wonderland\rhello\r');
  assert.equal(await reconnect, 'wonderland');
  assert.deepEqual(said, ['asked Current password: ', '/passwd got undefined', 'ended /passwd 0', 'asked Password for alice: ', 'ended the password 1']);
  assert.equal(prompts.question, undefined);
  input.write('to the chat\r');
  await tick();
  assert.deepEqual(chatLines, ['to the chat'], 'no key of either prompt, and the chat has its keys back');
});

test('HiddenPrompts: closed with the chat, the open prompt gives up and none opens again', async (t) => {
  const { input, chatLines, close } = chat();
  t.after(close);
  const prompts = new HiddenPrompts(input, { asked: () => {}, answered: () => {}, ended: () => {} });
  const open = prompts.run('/passwd', (ask) => ask('Current password'));
  prompts.close();
  assert.equal(await open, undefined);
  assert.equal(await prompts.run('the password', (ask) => ask('Password for alice')), undefined);
  input.write('x\r');
  await tick();
  assert.deepEqual(chatLines, ['x'], "the keys stay the chat's");
});
