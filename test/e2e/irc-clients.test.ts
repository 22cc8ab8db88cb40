import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { Client, type Events } from 'irc-framework';
import { runServer } from '../helpers/cli.js';
import { hasTmux, Terminal } from '../helpers/tmux.js';
import { waitFor } from '../helpers/wait.js';
import { WireClient } from '../helpers/wire-client.js';

/**
 * Real IRC clients against chat-server: irssi and weechat on a terminal (tmux), and bots
 * written with irc-framework, each sharing #lobby and #dev with a line-protocol user.
 */

const installed = (program: string): boolean => spawnSync(program, ['--version']).status === 0;
/** Debian's package of each program (weechat's terminal interface is weechat-curses). */
const PACKAGES: Readonly<Record<string, string>> = { tmux: 'tmux', irssi: 'irssi', weechat: 'weechat-curses' };
/** Skipped where a program is missing, never in CI (.ci/run installs them). */
const skipUnless = (programs: string[]): string | false => {
  if (process.env['CI']) return false;
  const missing = [...(hasTmux ? [] : ['tmux']), ...programs.filter((p) => !installed(p))];
  const packages = missing.map((p) => PACKAGES[p] ?? p).join(' ');
  return missing.length === 0 ? false : `${missing.join(', ')} not installed (apt-get install ${packages} to run this)`;
};

/** chat-server with an IRC port beside its line port, as a process: the line port and the IRC port. */
async function ircServer(t: TestContext): Promise<{ port: number; irc: number }> {
  const server = await runServer(t, ['--irc-port', '0', '--server-name', 'irc.test']);
  const second = await server.stdout.next();
  const irc = Number(/^irc on .*:(\d+)$/.exec(second ?? '')?.[1]);
  if (!irc) throw new Error(`chat-server printed no IRC port: ${second}`);
  return { port: server.port, irc };
}

/** bob, on the line protocol, in dev and lobby, lobby current: lines from dev come tagged. */
async function lineUser(t: TestContext, port: number): Promise<WireClient> {
  const bob = await WireClient.registered(t, port, 'bob');
  bob.send('/join dev');
  assert.equal(await bob.next(), '* you are in dev');
  bob.send('/join lobby');
  assert.equal(await bob.next(), '* you are in lobby');
  return bob;
}

/** bob says TEXT in dev, then makes lobby current again. */
async function sayInDev(bob: WireClient, text: string): Promise<void> {
  bob.send('/join dev');
  assert.equal(await bob.next(), '* you are in dev');
  bob.send(text);
  bob.send('/join lobby');
  assert.equal(await bob.next(), '* you are in lobby');
}

/** Processes whose command line holds TEXT (a private folder's path): what a test started there. */
function processesWith(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      // A zombie is gone already: it only waits for a parent to read its status.
      if (/^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${entry}/stat`, 'utf8'))) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // Ended as we looked.
    }
  }
  return pids;
}

/**
 * A throwaway home for a program, removed when the test ends. What was started with it in its
 * command line is ended first, by its id (tmux's kill-server, which runs before, has hung up
 * on it already): nothing writes there once it is gone.
 */
function throwawayHome(t: TestContext, prefix: string, start: (dir: string) => Terminal): { dir: string; term: Terminal } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let term: Terminal;
  try {
    term = start(dir);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  // Registered after Terminal.start's own: it runs after tmux is gone.
  t.after(async () => {
    const deadline = Date.now() + 2000;
    while (processesWith(dir).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    for (const pid of processesWith(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, term };
}

/** Types LINE and presses Enter. */
function enter(term: Terminal, line: string): void {
  term.type(line);
  term.press('Enter');
}

/** Whether a line of the screen matches PATTERN. */
const shows = (pattern: RegExp) => (s: string[]) => s.some((l) => pattern.test(l));

describe('irssi against chat-server', { skip: skipUnless(['irssi']) }, () => {
  // No command queue (irssi sends at most one command each 2.2 s once it has sent a few), no
  // config written back: the home is thrown away.
  const config = `settings = {
  core = { settings_autosave = "no"; real_name = "irssi test"; user_name = "alice"; };
  "irc/core" = { cmd_queue_speed = "0msec"; };
};
`;

  test('irssi joins #lobby and #dev, talks with a line user in both, a private message each way, parts and quits', async (t) => {
    const { port, irc } = await ircServer(t);
    const bob = await lineUser(t, port);
    const { term } = throwawayHome(t, 'chat-irssi-', (dir) => {
      writeFileSync(join(dir, 'config'), config);
      return Terminal.start(t, ['irssi', `--home=${dir}`, '-c', '127.0.0.1', '-p', String(irc), '-n', 'alice'], { HOME: dir });
    });
    await term.waitFor(shows(/MOTD File is missing/), 'irssi registered');

    enter(term, '/join #lobby');
    assert.equal(await bob.next(), '* alice joined');
    await term.waitFor((s) => Terminal.lastLine(s) === '[#lobby]' && shows(/alice \[alice@chat\] has joined #lobby/)(s), 'the #lobby window');
    bob.send('hello from nc');
    await term.waitFor(shows(/< ?bob> hello from nc$/), "bob's line in #lobby");
    enter(term, 'hello from irssi');
    assert.equal(await bob.next(), '<alice> hello from irssi');

    enter(term, '/join #dev');
    assert.equal(await bob.next(), '* alice joined #dev');
    await term.waitFor((s) => Terminal.lastLine(s) === '[#dev]', 'the #dev window');
    enter(term, 'hi dev');
    assert.equal(await bob.next(), '<alice#dev> hi dev');
    await sayInDev(bob, 'in dev too');
    // bob made #dev: its room operator, shown as @bob.
    await term.waitFor(shows(/< ?@bob> in dev too$/), "bob's line in #dev");
    enter(term, '/me waves');
    assert.equal(await bob.next(), '<alice#dev> /me waves');

    enter(term, '/msg bob psst');
    assert.equal(await bob.next(), '*alice* psst');
    bob.send('@alice:psst back');
    enter(term, '/query bob');
    await term.waitFor((s) => Terminal.lastLine(s) === '[bob]' && shows(/<bob> psst back$/)(s), 'the query window with the answer');

    enter(term, '/part #dev bye dev');
    assert.equal(await bob.next(), '* alice left #dev (bye dev)');
    enter(term, '/quit bye now');
    assert.equal(await bob.next(), '* alice left (bye now)');
    assert.equal(await term.exitCode(), 0);
  });
});

/** The option that turns TLS off on `/server add`: weechat 4 connects with TLS by default and calls it tls, 3 calls it ssl. */
function weechatNoTls(): string {
  const version = spawnSync('weechat', ['--version'], { encoding: 'utf8' }).stdout.trim();
  return Number(version.split('.')[0]) >= 4 ? '-notls' : '-nossl';
}

describe('weechat against chat-server', { skip: skipUnless(['weechat']) }, () => {
  test('weechat joins #lobby and #dev, talks with a line user in both, a private message each way, parts and quits', async (t) => {
    const { port, irc } = await ircServer(t);
    const bob = await lineUser(t, port);
    const commands = [
      // No anti-flood queue (weechat 3: seconds between two messages; 4: anti_flood, in ms).
      '/set irc.server_default.anti_flood_prio_high 0',
      '/set irc.server_default.anti_flood_prio_low 0',
      '/set irc.server_default.anti_flood 0',
      '/set weechat.look.save_config_on_exit off',
      // One buffer on the screen, the whole width: no buffer list, no nick list.
      '/set weechat.bar.buflist.hidden on',
      '/set weechat.bar.nicklist.hidden on',
      `/server add t 127.0.0.1/${irc} ${weechatNoTls()} -nicks=alice -username=alice -realname=weechat`,
      '/connect t',
    ];
    const { term } = throwawayHome(t, 'chat-weechat-', (dir) =>
      Terminal.start(t, ['weechat', '--dir', dir, '--no-script', '--run-command', commands.join(';')], { HOME: dir }),
    );
    await term.waitFor(shows(/MOTD File is missing/), 'weechat registered');

    enter(term, '/join #lobby');
    assert.equal(await bob.next(), '* alice joined');
    await term.waitFor(shows(/alice \(alice@chat\) has joined #lobby/), 'the #lobby buffer');
    bob.send('hello from nc');
    await term.waitFor(shows(/ bob [|│] hello from nc$/), "bob's line in #lobby");
    enter(term, 'hello from weechat');
    assert.equal(await bob.next(), '<alice> hello from weechat');

    enter(term, '/join #dev');
    assert.equal(await bob.next(), '* alice joined #dev');
    await term.waitFor(shows(/alice \(alice@chat\) has joined #dev/), 'the #dev buffer');
    enter(term, 'hi dev');
    assert.equal(await bob.next(), '<alice#dev> hi dev');
    await sayInDev(bob, 'in dev too');
    await term.waitFor(shows(/ @bob [|│] in dev too$/), "bob's line in #dev, bob its room operator");
    enter(term, '/me waves');
    assert.equal(await bob.next(), '<alice#dev> /me waves');

    enter(term, '/msg bob psst');
    assert.equal(await bob.next(), '*alice* psst');
    bob.send('@alice:psst back');
    enter(term, '/query bob');
    await term.waitFor(shows(/ bob [|│] psst back$/), 'the private buffer with the answer');

    enter(term, '/buffer #dev');
    enter(term, '/part #dev bye dev');
    assert.equal(await bob.next(), '* alice left #dev (bye dev)');
    await term.waitFor(shows(/alice \(alice@chat\) has left #dev \(bye dev\)$/), 'its own part in #dev, with the reason it gave');
    enter(term, '/quit bye now');
    assert.equal(await bob.next(), '* alice left (bye now)');
    assert.equal(await term.exitCode(), 0);
  });
});

/** An irc-framework client and what it has been told, in order. */
class Bot {
  readonly client = new Client();
  readonly seen: { name: keyof Events; event: unknown }[] = [];

  private constructor(readonly nick: string) {
    for (const name of ['registered', 'privmsg', 'action', 'join', 'part', 'quit', 'nick', 'close'] as const) {
      this.client.on(name, (event) => this.seen.push({ name, event }));
    }
  }

  /** Connects and registers NICK; the connection is ended when the test ends. */
  static async connect(t: TestContext, port: number, nick: string): Promise<Bot> {
    const bot = new Bot(nick);
    t.after(() => bot.client.connection.end());
    bot.client.connect({ host: '127.0.0.1', port, nick, username: nick, gecos: nick, auto_reconnect: false, ping_interval: 0, ping_timeout: 0 });
    await bot.saw('registered');
    return bot;
  }

  /** Resolves with the first event NAME that matches FIELDS, once it has come. */
  async saw<E extends keyof Events>(name: E, fields: Partial<Events[E]> = {}): Promise<Events[E]> {
    const matches = (e: { name: keyof Events; event: unknown }): boolean =>
      e.name === name && Object.entries(fields).every(([k, v]) => (e.event as Record<string, unknown>)[k] === v);
    await waitFor(() => this.seen.some(matches), `${this.nick} to see ${name} ${JSON.stringify(fields)}`).catch((error: Error) => {
      throw new Error(`${error.message}; ${this.nick} saw:\n${this.seen.map((e) => `${e.name} ${JSON.stringify(e.event)}`).join('\n')}`);
    });
    return this.seen.find(matches)!.event as Events[E];
  }
}

describe('bots written with irc-framework', () => {
  test('two bots and a line user in #lobby and #dev: messages, an action, private messages, a nick change, part and quit', async (t) => {
    const { port, irc } = await ircServer(t);
    const bob = await lineUser(t, port);
    const ann = await Bot.connect(t, irc, 'ann');
    const ben = await Bot.connect(t, irc, 'ben');

    for (const bot of [ann, ben]) {
      bot.client.join('#lobby');
      await bot.saw('join', { nick: bot.nick, channel: '#lobby' });
      assert.equal(await bob.next(), `* ${bot.nick} joined`);
      bot.client.join('#dev');
      await bot.saw('join', { nick: bot.nick, channel: '#dev' });
      assert.equal(await bob.next(), `* ${bot.nick} joined #dev`);
    }
    await ann.saw('join', { nick: 'ben', channel: '#dev' });

    bob.send('hello bots');
    for (const bot of [ann, ben]) await bot.saw('privmsg', { nick: 'bob', target: '#lobby', message: 'hello bots' });
    ann.client.say('#lobby', 'hello bob');
    assert.equal(await bob.next(), '<ann> hello bob');
    await ben.saw('privmsg', { nick: 'ann', target: '#lobby', message: 'hello bob' });

    ben.client.say('#dev', 'dev talk');
    assert.equal(await bob.next(), '<ben#dev> dev talk');
    await ann.saw('privmsg', { nick: 'ben', target: '#dev', message: 'dev talk' });
    await sayInDev(bob, 'dev answer');
    for (const bot of [ann, ben]) await bot.saw('privmsg', { nick: 'bob', target: '#dev', message: 'dev answer' });

    bob.send('/join dev');
    assert.equal(await bob.next(), '* you are in dev');
    ann.client.action('#dev', 'waves');
    assert.equal(await bob.next(), '<ann> /me waves');
    await ben.saw('action', { nick: 'ann', target: '#dev', message: 'waves' });
    bob.send('//me waves back');
    await ann.saw('action', { nick: 'bob', target: '#dev', message: 'waves back' });
    bob.send('/join lobby');
    assert.equal(await bob.next(), '* you are in lobby');

    ann.client.say('bob', 'psst');
    assert.equal(await bob.next(), '*ann* psst');
    bob.send('@ben:psst back');
    await ben.saw('privmsg', { nick: 'bob', target: 'ben', message: 'psst back' });

    ben.client.changeNick('benny');
    assert.equal(await bob.next(), '* ben is now benny');
    await ben.saw('nick', { nick: 'ben', new_nick: 'benny' });
    await ann.saw('nick', { nick: 'ben', new_nick: 'benny' });
    await waitFor(() => ben.client.user.nick === 'benny', "irc-framework's own nick to change");
    ben.client.say('#lobby', 'renamed');
    assert.equal(await bob.next(), '<benny> renamed');

    ann.client.part('#dev', 'bye dev');
    assert.equal(await bob.next(), '* ann left #dev (bye dev)');
    await ben.saw('part', { nick: 'ann', channel: '#dev', message: 'bye dev' });
    const own = await ann.saw('part', { nick: 'ann', channel: '#dev' });
    assert.equal(own.message, 'bye dev', 'its own PART carries its reason');

    ben.client.quit('done');
    assert.equal(await bob.next(), '* benny left (done)');
    await ann.saw('quit', { nick: 'benny', message: 'done' });
    await ben.saw('close');
    ann.client.quit('me too');
    assert.equal(await bob.next(), '* ann left (me too)');
    await ann.saw('close');
    assert.ok(!ann.client.connection.connected && !ben.client.connection.connected);
  });
});
