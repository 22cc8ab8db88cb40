import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import net from 'node:net';
import type { TestContext } from 'node:test';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { type Running, run } from '../helpers/cli.js';
import { WAIT_MS } from '../helpers/lines.js';

/** Debian's chromium (apt-get install chromium); playwright-core drives it, and downloads none. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * For describe(..., { skip }): the page's tests need a real Chromium. A laptop without one
 * skips them with this line; CI (CI set) never skips them, and fails.
 */
export const chromiumSkip: string | false =
  existsSync(CHROMIUM) || process.env['CI'] ? false : `${CHROMIUM} is not installed: apt-get install chromium to run the web page's tests`;

/** How long a browser test waits for something on the page: a guard, not a sleep. */
export const PAGE_WAIT_MS = WAIT_MS;

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A free TCP port on loopback: a restarted server must come back on the page's port. */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export interface WebServer extends Running {
  /** The line protocol's port, for nc-like users. */
  port: number;
  /** The page: http://127.0.0.1:PORT/ */
  url: string;
  webPort: number;
}

/** Starts chat-server with the web port (WEB_PORT, 0 for a free one) and ARGS; killed when the test ends. */
export async function webServer(t: TestContext, args: string[] = [], webPort = 0): Promise<WebServer> {
  const server = run(t, 'server', ['--port', '0', '--web-port', String(webPort), ...args]);
  const listening = await server.stdout.until(/^listening on /);
  const web = await server.stdout.until(/^web on /);
  const port = Number(/:(\d+)$/.exec(listening)?.[1]);
  const at = Number(/:(\d+)$/.exec(web)?.[1]);
  assert.ok(port && at, `${listening} / ${web}`);
  return { ...server, port, webPort: at, url: `http://127.0.0.1:${at}/` };
}

export interface OpenPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and CSP refusals the page caused: none is expected. */
  errors: string[];
}

/**
 * A page of URL in a context of its own (its own storage: another person), WIDTH pixels
 * wide; closed when the test ends. What the page logs as an error is kept in `errors`,
 * but for the favicon the page does not have.
 */
export async function openPage(
  t: TestContext,
  browser: Browser,
  url: string,
  { width = 1000, height = 700, colorScheme = 'light' }: { width?: number; height?: number; colorScheme?: 'light' | 'dark' } = {},
): Promise<OpenPage> {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme });
  t.after(() => context.close());
  const page = await context.newPage();
  page.setDefaultTimeout(PAGE_WAIT_MS);
  const errors: string[] = [];
  const missing = new Set<string>();
  page.on('response', (r) => {
    if (r.status() === 404) missing.add(r.url());
  });
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const where = m.location().url;
    if (/favicon\.ico$/.test(where) || (/status of 404/.test(m.text()) && [...missing].every((u) => u.endsWith('/favicon.ico')))) return;
    errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  await page.goto(url);
  // The page has asked the server whether it has accounts: the login form is complete.
  await page.waitForSelector('body[data-accounts]');
  return { page, context, errors };
}

/** Logs in as NICK (with PASSWORD on a server with accounts) with the mouse and keys; resolves once online. */
export async function login(page: Page, nick: string, password?: string): Promise<void> {
  await page.fill('#login-nick', nick);
  if (password !== undefined) await page.fill('#login-password', password);
  await page.click('#login-button');
  await online(page);
}

/** Waits until the page is online, at most TIMEOUT ms. */
export async function online(page: Page, timeout = PAGE_WAIT_MS): Promise<void> {
  await page.waitForSelector('body[data-connection="online"]', { timeout });
}

/** Types TEXT into the message box and presses Enter. */
export async function say(page: Page, text: string): Promise<void> {
  await page.fill('#message', text);
  await page.press('#message', 'Enter');
}

/** The lines of the conversation shown, as text. */
export async function shownLines(page: Page): Promise<string[]> {
  return page.$$eval('.log:not([hidden]) > li', (els) => els.map((el) => el.textContent ?? ''));
}

/** Waits until the conversation shown has a line containing TEXT. */
export async function waitForLine(page: Page, text: string): Promise<void> {
  await page.locator('.log:not([hidden]) > li', { hasText: text }).first().waitFor();
}

/**
 * The value of EXPRESSION, JavaScript run in the page. Code for the page is written as text:
 * this program is compiled without the DOM's types (the page's own code has them, in src/web).
 */
export async function inPage<T>(page: Page, expression: string): Promise<T> {
  return (await page.evaluate(expression)) as T;
}

/**
 * Waits until EXPRESSION, run in the page, is true. Asked from here every 20 ms: waitForFunction
 * with a text would eval it inside the page, which the page's CSP forbids, rightly.
 */
export async function until(page: Page, expression: string): Promise<void> {
  const deadline = Date.now() + PAGE_WAIT_MS;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`waited ${PAGE_WAIT_MS} ms for ${expression}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until the page shows the conversation NAME (its title). */
export async function showing(page: Page, name: string): Promise<void> {
  await until(page, `document.getElementById('title').textContent === ${JSON.stringify(name)}`);
}

/** The side list's button for the conversation NAME. */
export function convButton(page: Page, name: string) {
  return page.locator('.conv').filter({ has: page.getByText(name, { exact: true }) });
}
