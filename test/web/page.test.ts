import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { run } from '../helpers/cli.js';
import { WireClient } from '../helpers/wire-client.js';
import {
  chromiumSkip,
  convButton,
  freePort,
  inPage,
  launch,
  login,
  online,
  openPage,
  say,
  showing,
  shownLines,
  until,
  waitForLine,
  webServer,
} from './browser.js';

/** A temporary folder, removed when the test ends. */
function tempDir(t: { after: (fn: () => void) => void }, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('the web page in Chromium (docs/web.md, "The page")', { skip: chromiumSkip }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test('two pages and an nc user chat in two rooms; unread counts and a mention; direct messages each way', async (t) => {
    const server = await webServer(t);
    const alice = await openPage(t, browser, server.url);
    const bob = await openPage(t, browser, server.url);
    await login(alice.page, 'alice');
    await login(bob.page, 'bob');
    await showing(alice.page, '#lobby');
    await showing(bob.page, '#lobby');
    const carol = await WireClient.registered(t, server.port, 'carol');

    await say(alice.page, 'hello from alice');
    await waitForLine(bob.page, 'hello from alice');
    assert.equal(await carol.lines.until(/^<alice>/), '<alice> hello from alice');
    carol.send('hello from carol');
    await waitForLine(alice.page, 'hello from carol');
    await waitForLine(bob.page, 'hello from carol');

    // A second room: alice types /join, bob uses the Join button, carol /join.
    await say(alice.page, '/join dev');
    await showing(alice.page, '#dev');
    await bob.page.fill('#open-name', 'dev');
    await bob.page.click('#join-button');
    await showing(bob.page, '#dev');
    await waitForLine(alice.page, 'bob joined');
    carol.send('/join dev');
    await carol.lines.until(/^\* you are in dev/);
    await waitForLine(alice.page, 'carol joined');

    // Bob looks at the lobby while carol, in dev, names him: dev counts it, and the mention.
    await convButton(bob.page, '#lobby').click();
    await showing(bob.page, '#lobby');
    carol.send('bob, look at this');
    await waitForLine(alice.page, 'bob, look at this');
    const dev = convButton(bob.page, '#dev');
    await until(bob.page, "document.querySelector('#rooms .mentioned') !== null");
    assert.equal(await dev.getAttribute('aria-label'), '#dev, 1 unread, 1 mention');
    assert.equal(await dev.locator('.badge').textContent(), '@1');
    assert.match(await bob.page.title(), /^\(@1\) #lobby/);
    await dev.click();
    await showing(bob.page, '#dev');
    assert.equal(await bob.page.locator('.log:not([hidden]) > li.mention').count(), 1);
    assert.equal(await dev.getAttribute('aria-label'), '#dev');
    // Not a mention for alice, who is not named.
    assert.equal(await alice.page.locator('.log:not([hidden]) > li.mention').count(), 0);

    // nc -> page and back: a conversation of its own in the side list.
    carol.send('@alice:a secret');
    const fromCarol = convButton(alice.page, 'carol');
    await fromCarol.waitFor();
    assert.equal(await fromCarol.getAttribute('aria-label'), 'carol, 1 unread');
    await fromCarol.click();
    await waitForLine(alice.page, 'a secret');
    await say(alice.page, 'a secret back');
    assert.equal(await carol.lines.until(/^\*alice\*/), '*alice* a secret back');

    // Page -> page and back: /msg opens the conversation.
    await say(bob.page, '/msg alice from bob');
    await showing(bob.page, 'alice');
    await convButton(alice.page, 'bob').click();
    await waitForLine(alice.page, 'from bob');
    await say(alice.page, 'from alice to bob');
    await waitForLine(bob.page, 'from alice to bob');

    await carol.sync();
    assert.ok(!carol.lines.seen.some((l) => l.includes('from bob') || l.includes('to bob')), 'a direct message reached another');
    assert.deepEqual(alice.errors, []);
    assert.deepEqual(bob.errors, []);
  });

  test('the server restarts (--db): the page says so, comes back by itself, and shows the history once', async (t) => {
    const dir = tempDir(t, 'web-restart-');
    const args = ['--db', join(dir, 'chat.db')];
    const webPort = await freePort();
    const first = await webServer(t, args, webPort);
    const alice = await openPage(t, browser, first.url);
    const frames: string[] = [];
    alice.page.on('websocket', (ws) => ws.on('framereceived', (f) => frames.push(String(f.payload))));
    await login(alice.page, 'alice');
    await say(alice.page, '/join dev');
    await showing(alice.page, '#dev');
    await say(alice.page, 'kept one');
    await waitForLine(alice.page, 'kept one');
    await say(alice.page, 'kept two');
    await waitForLine(alice.page, 'kept two');

    first.proc.kill('SIGTERM');
    assert.equal(await first.exit, 0);
    await until(
      alice.page,
      "document.body.dataset.connection === 'waiting' && /: reconnecting in \\d+ s$/.test(document.getElementById('status').textContent)",
    );
    frames.length = 0;

    await webServer(t, args, webPort);
    // Back by itself: the attempts come after 1, 2, 4, 8 s (+-20 %); a busy machine may miss two.
    await online(alice.page, 30_000);
    await showing(alice.page, '#dev');
    // Answers come in order: once this echo is shown, the history asked for at the JOIN was too.
    await say(alice.page, 'after the restart');
    await waitForLine(alice.page, 'after the restart');
    assert.ok(
      frames.some((f) => /^@batch=\S+ :alice!alice@chat PRIVMSG #dev :kept one$/.test(f.replace(/;time=\S+/, ''))),
      `the history came again:\n${frames.join('\n')}`,
    );
    const lines = await shownLines(alice.page);
    for (const text of ['kept one', 'kept two', 'after the restart']) {
      assert.equal(lines.filter((l) => l.endsWith(text)).length, 1, `${text} once in:\n${lines.join('\n')}`);
    }
    assert.deepEqual(await alice.page.$$eval('.conv .name', (els) => els.map((e) => e.textContent)), ['#dev', '#lobby']);
    // A page that comes later gets the room's history on entering it.
    const bob = await openPage(t, browser, first.url);
    await login(bob.page, 'bob');
    await say(bob.page, '/join dev');
    await waitForLine(bob.page, 'kept two');
    assert.deepEqual(
      alice.errors.filter((e) => !/ERR_CONNECTION_REFUSED/.test(e)),
      [],
      'none but the refused connections while the server was down',
    );
  });

  test('320 px wide: nothing overflows, the room list folds behind a button that counts; dark and light follow the system', async (t) => {
    const server = await webServer(t);
    const { page, errors } = await openPage(t, browser, server.url, { width: 320, height: 568 });
    const width = () => inPage<number>(page, 'document.documentElement.scrollWidth');
    assert.ok((await width()) <= 320, `the login form is ${await width()} px wide`);
    await login(page, 'sam');
    const ana = await WireClient.registered(t, server.port, 'ana');
    await say(page, '/join release');
    await showing(page, '#release');
    await say(page, '/topic Release planning for 2.0: the notes are at https://example.org/notes/release-2.0');
    ana.send('/join release');
    await waitForLine(page, 'ana joined');
    // What is hard to fit: a long word (a hash), a long URL, a long name.
    ana.send('morning sam! the build is green: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08');
    ana.send('checklist: https://example.org/notes/release-2.0/checklist?step=signing#the-release-key');
    await say(page, 'great, I will tag it after lunch');
    ana.send('//me waves');
    await waitForLine(page, 'ana waves');
    ana.send('/join lobby');
    ana.send('anyone up for lunch?');
    await until(page, "document.getElementById('menu').textContent === 'Rooms \\u00b7 1'");
    assert.equal(await page.getAttribute('#menu', 'aria-label'), 'Rooms, 1 unread');
    assert.ok((await width()) <= 320, `the chat is ${await width()} px wide`);
    assert.ok(await page.isHidden('#side'), 'the room list is folded');
    await page.screenshot({ path: process.env['WEB_SCREENSHOT'] ?? join(tempDir(t, 'web-320-'), 'web-320.png') });

    const menu = page.locator('#menu');
    assert.equal(await menu.getAttribute('aria-expanded'), 'false');
    await menu.click();
    assert.equal(await menu.getAttribute('aria-expanded'), 'true');
    assert.ok(await page.isVisible('#side'));
    assert.ok((await width()) <= 320, `the room list is ${await width()} px wide`);
    await page.keyboard.press('Escape');
    assert.ok(await page.isHidden('#side'));
    await menu.click();
    await convButton(page, '#lobby').click();
    await showing(page, '#lobby');
    assert.ok(await page.isHidden('#side'), 'choosing a room folds the list again');
    await waitForLine(page, 'anyone up for lunch?');
    assert.deepEqual(errors, []);

    const background = (p: typeof page) => inPage<string>(p, 'getComputedStyle(document.body).backgroundColor');
    const dark = await openPage(t, browser, server.url, { colorScheme: 'dark' });
    assert.equal(await background(page), 'rgb(255, 255, 255)');
    assert.notEqual(await background(dark.page), 'rgb(255, 255, 255)');
  });

  test('the keyboard alone: log in, send, a text of several lines asks first, switch rooms; every input has a label', async (t) => {
    const server = await webServer(t);
    const { page, errors } = await openPage(t, browser, server.url);
    const focused = () => inPage<string>(page, "document.activeElement?.id ?? ''");
    assert.equal(await focused(), 'login-nick');
    assert.ok(await page.isHidden('#password-field'), 'no accounts here: no password asked');
    await page.keyboard.type('kim');
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'login-button');
    await page.keyboard.press('Enter');
    await online(page);
    await showing(page, '#lobby');
    assert.equal(await focused(), 'message');
    await page.keyboard.type('typed with keys');
    await page.keyboard.press('Enter');
    await waitForLine(page, 'typed with keys');
    assert.equal(await page.inputValue('#message'), '');
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'send-button');
    await page.keyboard.press('Shift+Tab');

    // Shift+Enter starts a line; Enter on two lines asks; Escape says no, and keeps the text.
    await page.keyboard.type('first line');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('second line');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#confirm[open]');
    assert.equal(await page.textContent('#confirm-title'), 'Send 2 messages?');
    assert.equal(await focused(), 'confirm-send');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#confirm[open]', { state: 'detached' });
    assert.equal(await page.inputValue('#message'), 'first line\nsecond line');
    assert.equal(await focused(), 'message');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#confirm[open]');
    await page.keyboard.press('Enter');
    await waitForLine(page, 'second line');
    const lines = await shownLines(page);
    assert.ok(lines.some((l) => l.endsWith('kim first line')) && lines.some((l) => l.endsWith('kim second line')), lines.join('\n'));
    // A paste of several lines goes the same way: here Cancel, by Tab and Enter.
    await page.fill('#message', 'pasted 1\npasted 2\npasted 3');
    await page.focus('#message');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#confirm[open]');
    assert.equal(await page.textContent('#confirm-title'), 'Send 3 messages?');
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'confirm-cancel');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#confirm[open]', { state: 'detached' });
    assert.ok(!(await shownLines(page)).some((l) => l.includes('pasted')));
    await page.fill('#message', '');

    // Alt+Up and Alt+Down switch rooms, from the message box.
    await page.keyboard.type('/join dev');
    await page.keyboard.press('Enter');
    await showing(page, '#dev');
    await page.keyboard.press('Alt+ArrowUp');
    await showing(page, '#lobby');
    await page.keyboard.press('Alt+ArrowDown');
    await showing(page, '#dev');
    await page.keyboard.press('Alt+ArrowDown');
    await showing(page, '#lobby');
    assert.equal(await focused(), 'message');

    const unlabelled = await inPage<string[]>(
      page,
      "[...document.querySelectorAll('input, textarea, select')].filter((e) => e.labels.length === 0 && !e.getAttribute('aria-label')).map((e) => e.id)",
    );
    assert.deepEqual(unlabelled, []);
    const nameless = await page.$$eval('button', (els) =>
      els.filter((e) => (e.getAttribute('aria-label') ?? e.textContent ?? '').trim() === '').map((e) => e.outerHTML),
    );
    assert.deepEqual(nameless, []);
    const log = page.locator('.log:not([hidden])');
    assert.equal(await log.getAttribute('role'), 'log');
    assert.equal(await log.getAttribute('aria-live'), 'polite');
    assert.deepEqual(errors, []);
  });

  test('names and texts are text: markup, javascript: links and a hostile name stay inert', async (t) => {
    const server = await webServer(t);
    const { page, errors } = await openPage(t, browser, server.url);
    const payload = '<img src=x onerror=window.pwned=1>';
    // A name is checked before it goes anywhere, and the refusal says it as text.
    await page.fill('#login-nick', payload);
    await page.click('#login-button');
    assert.match((await page.textContent('#login-error')) ?? '', /1 to 32 letters/);
    await login(page, 'alice');
    const carol = await WireClient.registered(t, server.port, 'carol');
    await waitForLine(page, 'carol joined');
    carol.send(payload);
    carol.send('javascript:window.pwned=2');
    carol.send('[click](javascript:window.pwned=3) <a href="javascript:window.pwned=4">x</a> <script>window.pwned=5</script>');
    carol.send('fine: https://example.org/ok');
    // lobby has no room operators: a room of alice's own for the topic.
    await say(page, '/join mine');
    await showing(page, '#mine');
    await say(page, `/topic ${payload}`);
    await until(page, `document.getElementById('topic').textContent.startsWith(${JSON.stringify(payload)})`);
    await convButton(page, '#lobby').click();
    await say(page, `/join ${payload}`);
    await say(page, `/msg ${payload} hi`);
    await waitForLine(page, 'fine: https://example.org/ok');
    const lines = await shownLines(page);
    assert.ok(
      lines.some((l) => l.endsWith(`carol ${payload}`)),
      lines.join('\n'),
    );
    assert.ok(lines.some((l) => l.includes('<script>window.pwned=5</script>')));
    // The links that are: only http(s), opened apart from this page.
    await page.click('text=javascript:window.pwned=2');
    const state = await inPage(
      page,
      `({
        pwned: window.pwned,
        images: document.querySelectorAll('img').length,
        scripts: [...document.querySelectorAll('script')].map((s) => s.getAttribute('src')),
        links: [...document.querySelectorAll('a')].map((a) => ({ href: a.href, rel: a.rel, target: a.target })),
      })`,
    );
    assert.deepEqual(state, {
      pwned: undefined,
      images: 0,
      scripts: ['page.js'],
      links: [{ href: 'https://example.org/ok', rel: 'noopener noreferrer', target: '_blank' }],
    });
    assert.deepEqual(errors, []);
  });

  test('accounts: the password field where the server has them, SASL PLAIN, refusals said, the password kept nowhere', async (t) => {
    const dir = tempDir(t, 'web-accounts-');
    const users = join(dir, 'users');
    const passwd = run(t, 'server', ['passwd', '--password-stdin', users, 'alice'], { input: 'correct horse\n' });
    assert.equal(await passwd.exit, 0);
    const server = await webServer(t, ['--users', users]);
    const { page, errors } = await openPage(t, browser, server.url);
    assert.equal(await page.getAttribute('body', 'data-accounts'), 'true');
    assert.ok(await page.isVisible('#login-password'));

    await page.fill('#login-nick', 'alice');
    await page.click('#login-button');
    await until(page, "document.getElementById('login-error').textContent !== ''");
    assert.equal(await page.textContent('#login-error'), 'alice is taken, or is an account: give its password to log in as it.');
    await page.fill('#login-nick', 'alice');
    await page.fill('#login-password', 'wrong');
    await page.click('#login-button');
    await until(page, "document.getElementById('login-error').textContent === 'Wrong name or password.'");
    assert.ok(await page.isVisible('#login-form'));

    await login(page, 'alice', 'correct horse');
    assert.equal(await page.textContent('#status'), 'Online as alice');
    await say(page, 'logged in');
    await waitForLine(page, 'logged in');
    const stored = await inPage(
      page,
      `({
        local: JSON.stringify({ ...localStorage }),
        session: JSON.stringify({ ...sessionStorage }),
        field: document.getElementById('login-password').value,
        cookie: document.cookie,
      })`,
    );
    assert.deepEqual(stored, { local: JSON.stringify({ 'chat.nick': 'alice' }), session: '{}', field: '', cookie: '' });
    assert.deepEqual(errors, []);
  });
});
