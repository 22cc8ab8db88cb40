/**
 * Stable codes for every refusal and every close (STYLE.md, point 20). A refusal or a close
 * is named by its code wherever it is decided; the log line and the metric label are derived
 * here, from one table each, and what a person is told comes from the dialect's wording. No
 * part of the server learns what happened by reading a sentence.
 *
 * `detail` is what varies (a name, a room, a command word): it goes to the log, never to a
 * metric label, where any client could make new time series without end.
 */
interface Entry {
  /** The label of chat_lines_refused_total (docs/operations.md): a small, fixed set. */
  readonly label: string;
  /** The log's `reason` field. */
  readonly log: (detail: string) => string;
}

const fixed =
  (text: string) =>
  (_detail?: string): string =>
    text;
const withDetail =
  (text: string, joiner = ': ') =>
  (detail: string): string =>
    detail ? `${text}${joiner}${detail}` : text;

/** Input or a connection that was refused: the `reject` event. */
export const REFUSALS = {
  'line-too-long': { label: 'line too long', log: fixed('line too long') },
  'not-registered': { label: 'not registered', log: fixed('not registered') },
  'invalid-name': { label: 'invalid name', log: fixed('invalid name') },
  'invalid-room': { label: 'invalid room', log: fixed('invalid room') },
  'name-taken': { label: 'name taken', log: withDetail('name taken') },
  'no-password': { label: 'no password', log: fixed('no password') },
  'auth-failed': { label: 'authentication failed', log: withDetail('authentication failed for', ' ') },
  'logins-waiting': { label: 'logins waiting', log: withDetail('too many logins waiting from', ' ') },
  'unknown-command': { label: 'unknown command', log: (word) => `unknown command /${word}` },
  'too-many-rooms': { label: 'too many rooms', log: withDetail('too many rooms: could not create', ' ') },
  'too-many-rooms-per-user': { label: 'too many rooms per user', log: withDetail('in too many rooms: could not join', ' ') },
  'in-no-room': { label: 'in no room', log: fixed('in no room') },
  'not-in-room': { label: 'not in room', log: withDetail('not in room', ' ') },
  'too-many-new-rooms': { label: 'too many new rooms', log: withDetail('too many new rooms: could not open', ' ') },
  'bad-history-count': { label: 'bad history count', log: fixed('bad /history count') },
  'cluster-unavailable': { label: 'cluster unavailable', log: withDetail('cluster unavailable') },
  banned: { label: 'banned', log: (name) => `${name} is banned` },
  'not-operator': { label: 'not an operator', log: (word) => `/${word} by a user who is not an operator` },
  'not-room-operator': { label: 'not a room operator', log: (what) => `${what} by a user who is not its room operator` },
  /** A /join refused by the room: private, keyed (the key itself is never given), full, banned. */
  'room-refused': { label: 'room refused', log: withDetail('could not join', ' ') },
  'bans-unavailable': { label: 'bans unavailable', log: withDetail('the list of bans is unavailable') },
  'unframed-address': { label: 'unframed direct message', log: fixed('a direct message inside a line without LF') },
  'server-full': { label: 'server full', log: fixed('server full') },
  'too-many-from-address': { label: 'too many from address', log: withDetail('too many connections from', ' ') },
  'too-many-connections': { label: 'too many connections', log: fixed('too many connections (before the TLS handshake)') },
  'shutting-down': { label: 'shutting down', log: fixed('shutting down') },
  'web-origin': { label: 'web origin', log: (origin) => `a WebSocket from another site's page (${origin || 'unknown origin'})` },
  /** The Host of a WebSocket upgrade is no name of this server's (docs/web.md, "Security": DNS rebinding). */
  'web-host': { label: 'web host', log: (host) => `a WebSocket for a name this server does not answer to (${host || 'unknown name'})` },
  'tls-handshake': { label: 'tls handshake', log: (what) => what || 'TLS handshake failed' },
  'no-account': { label: 'no account', log: withDetail('/passwd without an account') },
  'bad-new-password': { label: 'bad new password', log: withDetail('/passwd: the new password could never log in') },
  'passwords-unchangeable': { label: 'passwords unchangeable', log: withDetail('cannot change a password') },
  'invalid-device': { label: 'invalid device', log: fixed('invalid device name') },
  'too-many-devices': { label: 'too many devices', log: withDetail('too many devices logged in as', ' ') },
  'rename-with-devices': { label: 'rename with devices', log: withDetail('cannot rename one of several devices of', ' ') },
} as const satisfies Record<string, Entry>;

export type RefusalCode = keyof typeof REFUSALS;

/** Every label chat_lines_refused_total can carry: a fixed, small set. */
export const REFUSAL_LABELS: readonly string[] = [...new Set(Object.values(REFUSALS).map((r) => r.label))];

/** Why a connection ended: the `leave` event. */
export const CLOSES = {
  'connection-closed': { log: fixed('connection closed') },
  /** A socket error (ECONNRESET, EPIPE): the detail is its code. */
  'socket-error': { log: (code) => code || 'socket error' },
  quit: { log: withDetail('quit') },
  'send-queue-exceeded': { log: fixed('send queue exceeded') },
  /** The detail says which (UDP: no datagram for --udp-idle). */
  'idle-timeout': { log: (which) => (which ? `${which} idle timeout` : 'idle timeout') },
  'register-timeout': { log: fixed('not registered in time') },
  'tls-on-plain-port': { log: fixed('TLS handshake on a plain port') },
  'too-many-failures': { log: fixed('too many failed logins') },
  'account-removed': { log: fixed('account removed') },
  /** /kick or /ban: the detail is what the room is shown ("kicked by OP: REASON"). */
  removed: { log: (shown) => shown || 'removed' },
  'logged-in-elsewhere': { log: (name) => `${name} logged in elsewhere`.trimStart() },
  'name-taken-in-outage': { log: (name) => `name ${name} taken on another server during an outage`.replace('name  ', 'name ') },
  'shutting-down': { log: fixed('server shutting down') },
  'internal-error': { log: fixed('internal error') },
} as const satisfies Record<string, Pick<Entry, 'log'>>;

export type CloseCode = keyof typeof CLOSES;

export function refusalLog(code: RefusalCode, detail = ''): string {
  return REFUSALS[code].log(detail);
}

export function closeLog(code: CloseCode, detail = ''): string {
  return CLOSES[code].log(detail);
}

/** Why the cluster, not the user, ended a user's presence: shown in "* NAME left (REASON)". */
export type PresenceEnd = 'server-lost' | 'server-shutdown' | 'name-taken' | 'elsewhere';

/**
 * Why /passwd changed nothing, other than a wrong old password (docs/protocol.md, "Your
 * account"): the dialect words it. The users file's problems say what the server's operator
 * has to do; the log says which file and what the system answered.
 */
export type PasswordRefusal =
  /** A server without --users: nobody has a password. */
  | 'no-accounts'
  /** --guests: the name is no account. */
  | 'guest'
  /** The account left the users file meanwhile. */
  | 'account-gone'
  /** The new password would not fit a login line (`#NAME PASSWORD`). */
  | 'new-too-long'
  /** The new password holds a character the server removes from every line. */
  | 'new-control'
  | 'file-read-only'
  | 'folder-read-only'
  | 'read-only-file-system'
  | 'disk-full'
  /** Another writer held the file's lock for longer than its wait. */
  | 'busy'
  /** Anything else: the file cannot be read whole, or written. */
  | 'file-error';
