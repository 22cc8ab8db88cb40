// The web page's entry: the login form, the WebSocket (IRC, IRCv3 WebSocket spec), reconnection
// with back-off, the keyboard, and the dialog that asks before a paste goes out as several
// messages. What the server says and what the user types go through client.ts (pure);
// page-view.ts draws the result.

import { backoffMs } from './backoff.js';
import { select, setVisible, step } from './chat.js';
import {
  type Client,
  capLs,
  connected,
  createClient,
  disconnected,
  input,
  join,
  leave,
  markers,
  messageCount,
  openQuery,
  receive,
  saslPlainOffered,
  sayLines,
} from './client.js';
import { NAME_RE, parse } from './irc.js';
import { messageLines } from './text.js';
import { byId, type Status, View } from './page-view.js';

/** The server's WebSocket: any path of the page's own host and port (PROTOCOL.md, "WebSocket and the web page"). */
const URL_WS = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`;
const SUBPROTOCOL = 'text.ircv3.net';
/** The nick is remembered between visits; the password never is. */
const NICK_KEY = 'chat.nick';
/** Silence after which the page asks the server whether it is there, and after which it gives up on it. */
const PING_AFTER_MS = 30_000;
const DEAD_AFTER_MS = 60_000;
/** Read markers go out at most this often while messages come in. */
const MARKER_DELAY_MS = 1000;

let client: Client | undefined;
let socket: WebSocket | undefined;
let attempt = 0;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let markerTimer: ReturnType<typeof setTimeout> | undefined;
let lastHeard = 0;
let pinged = false;
let status: Status = { connection: 'offline', text: '' };
let drawPending = false;

const view = new View({
  select: (id) => {
    if (client === undefined) return;
    select(client.chat, id);
    closeSide();
    draw();
    byId('message').focus();
  },
});

function send(lines: string[]): void {
  if (socket?.readyState !== WebSocket.OPEN) return;
  // One WebSocket message a line, without CR LF (IRCv3 WebSocket spec).
  for (const line of lines) socket.send(line);
}

/** Draws at the next frame: a burst of lines (history) is drawn once. */
function draw(): void {
  if (drawPending) return;
  drawPending = true;
  const run = (): void => {
    drawPending = false;
    if (client !== undefined) view.render(client.chat, status);
  };
  // A background tab gets no animation frames, but its title should still count what came.
  if (document.hidden) setTimeout(run, 0);
  else requestAnimationFrame(run);
}

function setStatus(connection: Status['connection'], text: string): void {
  status = { connection, text };
  draw();
}

// --- login --------------------------------------------------------------------------------

const nickInput = byId<HTMLInputElement>('login-nick');
const passwordInput = byId<HTMLInputElement>('login-password');
const loginError = byId('login-error');

try {
  nickInput.value = localStorage.getItem(NICK_KEY) ?? '';
} catch {
  // Storage refused (a private window's settings): the name is typed again.
}
(nickInput.value === '' ? nickInput : byId('login-button')).focus();

/**
 * Whether the server has accounts, from its CAP LS (sasl): a short connection that leaves
 * before registering. The password field is shown only where a password can be used.
 */
function probe(): void {
  const ws = new WebSocket(URL_WS, SUBPROTOCOL);
  const offered = new Map<string, string>();
  let finished = false;
  const done = (accounts: boolean | undefined): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    if (ws.readyState === WebSocket.OPEN) ws.send('QUIT');
    ws.close();
    showPassword(accounts);
  };
  const timer = setTimeout(() => done(undefined), 5000);
  ws.onopen = () => ws.send('CAP LS 302');
  ws.onmessage = (e) => {
    const msg = typeof e.data === 'string' ? parse(e.data) : undefined;
    if (msg?.command === 'CAP' && msg.params[1] === 'LS' && capLs(msg, offered)) done(saslPlainOffered(offered));
  };
  ws.onerror = () => done(undefined);
}

/** Shows the password field on a server with accounts, or when that cannot be told. */
function showPassword(accounts: boolean | undefined): void {
  const field = byId('password-field');
  const wasHidden = field.hidden;
  field.hidden = accounts === false;
  document.body.dataset['accounts'] = accounts === undefined ? 'unknown' : String(accounts);
  // Focus stays where the user is; but a name typed already leads on to its password.
  if (wasHidden && !field.hidden && document.activeElement === byId('login-button')) passwordInput.focus();
}

byId<HTMLFormElement>('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const nick = nickInput.value.trim();
  if (!NAME_RE.test(nick)) {
    loginError.textContent = 'A name is 1 to 32 letters, digits, _ or -.';
    nickInput.setAttribute('aria-invalid', 'true');
    nickInput.focus();
    return;
  }
  nickInput.removeAttribute('aria-invalid');
  const password = byId('password-field').hidden ? '' : passwordInput.value;
  // The password lives in the session's memory for reconnecting, not in the form nor in storage.
  passwordInput.value = '';
  try {
    localStorage.setItem(NICK_KEY, nick);
  } catch {
    // Not remembered: fine.
  }
  loginError.textContent = '';
  start(createClient({ nick, password }));
});

function start(c: Client): void {
  client = c;
  attempt = 0;
  byId('login-view').hidden = true;
  byId('chat-view').hidden = false;
  setVisible(c.chat, document.visibilityState === 'visible');
  byId('message').focus();
  connect();
}

/** Back to the login form, with WHY (a refusal) said there. */
function stop(why: string): void {
  const was = socket;
  socket = undefined;
  if (was !== undefined) {
    if (was.readyState === WebSocket.OPEN) was.send('QUIT');
    was.close();
  }
  clearTimeout(retryTimer);
  clearTimeout(markerTimer);
  client = undefined;
  view.clear();
  status = { connection: 'offline', text: '' };
  document.body.dataset['connection'] = 'offline';
  document.title = 'Chat';
  byId('chat-view').hidden = true;
  byId('login-view').hidden = false;
  loginError.textContent = why;
  (why === '' ? byId('login-button') : nickInput).focus();
}

// --- the connection -----------------------------------------------------------------------

function connect(): void {
  if (client === undefined) return;
  clearTimeout(retryTimer);
  const c = client;
  setStatus('connecting', 'Connecting\u2026');
  const ws = new WebSocket(URL_WS, SUBPROTOCOL);
  ws.binaryType = 'arraybuffer';
  socket = ws;
  ws.onopen = () => {
    lastHeard = Date.now();
    pinged = false;
    send(connected(c));
  };
  ws.onmessage = (e) => {
    if (ws !== socket) return;
    lastHeard = Date.now();
    pinged = false;
    // binary.ircv3.net, if a server picked it: the same lines as UTF-8 bytes.
    const data = typeof e.data === 'string' ? e.data : new TextDecoder().decode(e.data as ArrayBuffer);
    for (const line of data.split(/\r?\n/)) if (line !== '') send(receive(c, line));
    heard(c);
  };
  ws.onclose = () => closed(ws);
}

/** After the server's lines: a refusal ends the session, a welcome sets the state online. */
function heard(c: Client): void {
  if (c.refused !== undefined) return stop(c.refused);
  if (c.retry) return drop();
  const online = `Online as ${c.chat.nick}`;
  if (c.registered && status.text !== online) {
    attempt = 0;
    setStatus('online', online);
  }
  laterMarkers();
  draw();
}

/** Gives up on the connection now, whatever its state, and goes on as if it had closed. */
function drop(): void {
  const ws = socket;
  if (ws === undefined) return;
  ws.close();
  closed(ws);
}

function closed(ws: WebSocket): void {
  if (ws !== socket || client === undefined) return;
  socket = undefined;
  const c = client;
  disconnected(c);
  if (c.refused !== undefined) return stop(c.refused);
  if (c.kicked) return stop(c.error ?? 'Disconnected by the server.');
  const delay = backoffMs(attempt++);
  const why = c.error !== undefined ? `Disconnected (${c.error})` : c.wasOnline ? 'Connection lost' : 'Cannot reach the server';
  setStatus('waiting', `${why}: reconnecting in ${Math.round(delay / 1000)} s`);
  retryTimer = setTimeout(connect, delay);
}

/** A connection that went silent (a laptop that slept, a network that dropped) is found out and made again. */
setInterval(() => {
  if (socket?.readyState !== WebSocket.OPEN || client === undefined) return;
  const silent = Date.now() - lastHeard;
  if (silent > DEAD_AFTER_MS) drop();
  else if (silent > PING_AFTER_MS && !pinged && client.registered) {
    pinged = true;
    send(['PING :alive']);
  }
}, 5000);

function laterMarkers(): void {
  if (markerTimer !== undefined) return;
  markerTimer = setTimeout(() => {
    markerTimer = undefined;
    if (client !== undefined) send(markers(client));
  }, MARKER_DELAY_MS);
}

byId('retry').addEventListener('click', () => {
  if (socket === undefined) connect();
});
window.addEventListener('online', () => {
  if (client !== undefined && socket === undefined) connect();
});

byId('logout').addEventListener('click', () => stop(''));

document.addEventListener('visibilitychange', () => {
  if (client === undefined) return;
  setVisible(client.chat, document.visibilityState === 'visible');
  laterMarkers();
  draw();
});

// --- typing -------------------------------------------------------------------------------

const message = byId<HTMLTextAreaElement>('message');

/** What the user does: the lines it sends go out, the state is drawn. */
function act(lines: string[]): void {
  send(lines);
  if (client !== undefined) heard(client);
}

message.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    void submit();
  }
});
message.addEventListener('input', () => {
  message.rows = Math.min(6, Math.max(1, message.value.split('\n').length));
});

byId<HTMLFormElement>('send-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void submit();
});

async function submit(): Promise<void> {
  const c = client;
  if (c === undefined) return;
  const text = message.value;
  const lines = messageLines(text);
  if (lines.length === 0) return;
  if (socket?.readyState !== WebSocket.OPEN || !c.registered) {
    // The text stays in the box, to be sent once back online.
    const notSent = ' \u2014 not sent: not connected';
    if (!status.text.endsWith(notSent)) setStatus(status.connection, `${status.text}${notSent}`);
    return;
  }
  if (lines.length === 1) {
    act(input(c, lines[0]!));
  } else {
    if (!(await confirmSeveral(lines))) return;
    if (client !== c) return;
    act(sayLines(c, text));
  }
  message.value = '';
  message.rows = 1;
  message.focus();
}

/** Asks, in a dialog of the page, whether LINES go out as that many messages. */
function confirmSeveral(lines: string[]): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>('confirm');
  const n = messageCount(lines.join('\n'));
  byId('confirm-title').textContent = `Send ${n} messages?`;
  byId('confirm-text').textContent = `The text has ${n} lines: each is sent as a message of its own.`;
  byId('confirm-preview').textContent = lines.slice(0, 5).join('\n') + (lines.length > 5 ? `\n\u2026 and ${lines.length - 5} more` : '');
  const ok = byId<HTMLButtonElement>('confirm-send');
  ok.textContent = `Send ${n} messages`;
  return new Promise((resolve) => {
    const answer = (yes: boolean): void => {
      ok.removeEventListener('click', onOk);
      cancel.removeEventListener('click', onCancel);
      dialog.removeEventListener('close', onClose);
      if (dialog.open) dialog.close();
      message.focus();
      resolve(yes);
    };
    const cancel = byId<HTMLButtonElement>('confirm-cancel');
    const onOk = (): void => answer(true);
    const onCancel = (): void => answer(false);
    // Escape closes a modal dialog: a no.
    const onClose = (): void => answer(false);
    ok.addEventListener('click', onOk);
    cancel.addEventListener('click', onCancel);
    dialog.addEventListener('close', onClose);
    dialog.showModal();
    ok.focus();
  });
}

// --- rooms and conversations --------------------------------------------------------------

const openName = byId<HTMLInputElement>('open-name');

byId<HTMLFormElement>('open-form').addEventListener('submit', (e) => {
  e.preventDefault();
  if (client === undefined || openName.value.trim() === '') return;
  act(join(client, openName.value));
  openName.value = '';
  closeSide();
});

byId('query-button').addEventListener('click', () => {
  if (client === undefined || openName.value.trim() === '') return;
  act(openQuery(client, openName.value));
  openName.value = '';
  closeSide();
  message.focus();
});

byId('leave').addEventListener('click', () => {
  const c = client;
  if (c?.chat.current === undefined) return;
  act(leave(c, c.chat.current));
  message.focus();
});

// --- the room list on narrow screens, and the keyboard ------------------------------------

const menu = byId<HTMLButtonElement>('menu');
const chatView = byId('chat-view');

function closeSide(): void {
  chatView.classList.remove('side-open');
  menu.setAttribute('aria-expanded', 'false');
}

menu.addEventListener('click', () => {
  const open = chatView.classList.toggle('side-open');
  menu.setAttribute('aria-expanded', String(open));
  if (open) ((client && view.currentButton(client.chat)) || openName).focus();
});

document.addEventListener('keydown', (e) => {
  const c = client;
  if (c === undefined || byId<HTMLDialogElement>('confirm').open) return;
  // Alt+Up, Alt+Down: the conversation above or below in the side list.
  if (e.altKey && !e.ctrlKey && !e.metaKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
    e.preventDefault();
    const inList = byId('side').contains(document.activeElement);
    step(c.chat, e.key === 'ArrowUp' ? -1 : 1);
    view.render(c.chat, status);
    laterMarkers();
    if (inList) view.currentButton(c.chat)?.focus();
    return;
  }
  if (e.key === 'Escape' && chatView.classList.contains('side-open')) {
    closeSide();
    menu.focus();
  }
});

probe();
