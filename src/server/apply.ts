import type { CloseCode } from '../protocol/codes.js';
import type { Action } from './actions.js';
import * as effects from './effects.js';
import { catchUp, type Catcher } from './catch-up.js';

/** Reply bytes that one flood-control token pays for (see 'reply'). */
const REPLY_BYTES_PER_TOKEN = 4096;

/** What carrying out a handler's actions needs of its connection (Session). */
export interface Carrier extends Catcher {
  name: string | undefined;
  /** The name this device gave itself at login (docs/protocol.md, "Your account"). */
  device: string | undefined;
  /** Logged in to the account NAME: its devices share one flood allowance. */
  shareFlood(name: string): void;
  /** Renamed: to the account ACCOUNT (its allowance shared), as DEVICE, or to neither. */
  renamed(account: string | undefined, device: string | undefined): void;
  readonly peer: string;
  /** Flood control: TOKENS more spent. */
  spend(tokens: number): void;
  /** A wrong name or password (counted; too many close the connection). */
  authFailed(): void;
  /** The operator account whose password this connection proved (IRC's OPER). */
  operator: string | undefined;
  /** Away with this text, or here (undefined). */
  away: string | undefined;
  close(code: CloseCode, how?: { detail?: string; shown?: string }): void;
}

/**
 * Handlers return actions and the session carries them out (STYLE.md, point 5): what a
 * message does is in effects.ts; the rest (replies in order, names taken, the log's events,
 * a /quit) is here.
 */
/** Carries out ACTIONS in order for S; a promise when one of them waits for the cluster. */
export function applyAll(s: Carrier, actions: Action[], from = 0): Promise<void> | undefined {
  for (let i = from; i < actions.length; i++) {
    if (s.closed) return giveBack(s, actions.slice(i));
    const pending = apply(s, actions[i]!);
    if (pending) return pending.then(() => applyAll(s, actions, i + 1));
  }
  return undefined;
}

/**
 * The connection closed while a name was being claimed for it (a password check, the
 * cluster): the name it won must not stay taken by nobody.
 */
function giveBack(s: Carrier, actions: Action[]): undefined {
  for (const action of actions) {
    if (action.kind === 'registered' || action.kind === 'giveBack') giveBackName(s, action.name);
    if (action.kind === 'renamed') giveBackName(s, action.to);
  }
  return undefined;
}

/** NAME, claimed for S, is given back unused: an account's other devices may all be away again. */
function giveBackName(s: Carrier, name: string): void {
  s.host.hub.release(name, s);
  s.host.tellAway(name);
}

function apply(s: Carrier, action: Action): Promise<void> | void {
  switch (action.kind) {
    case 'reply': {
      // A long answer (a listing) costs a token per 4 KiB beyond the first: thousands of
      // /who must not buy thousands of big answers at the price of a short line.
      s.spend(Math.floor(action.line.length / REPLY_BYTES_PER_TOKEN));
      const { line } = action;
      return s.inOrder(undefined, () => s.send(line));
    }
    case 'direct':
      return effects.direct(s, action);
    case 'room':
      return effects.room(s, action);
    case 'kept':
      return effects.kept(s, action.name);
    case 'presence':
      return effects.presence(s, action.event, action.rooms ?? s.host.hub.roomsOf(s), action.leaving);
    case 'moderation': {
      const { kind: _kind, ...what } = action;
      return s.event({ type: 'moderation', by: s.name ?? '', ...what });
    }
    case 'reject': {
      const { code, detail } = action;
      return s.event({ type: 'reject', peer: s.peer, name: s.name, code, ...(detail === undefined ? {} : { detail }) });
    }
    case 'registered':
      s.name = action.name;
      if (action.account === true) s.shareFlood(action.name);
      // One more device, in use: an account all of whose devices were away is back. (A first
      // device's away, set before its name, is told with its joins.)
      if (action.account === true && s.host.hub.devices(action.name).length > 1) s.host.tellAway(action.name);
      if (action.device !== undefined) s.device = action.device;
      return s.event({ type: 'register', peer: s.peer, name: action.name });
    case 'catchUp':
      return catchUp(s, action.name, action.device, action.rejoin);
    case 'tell':
      return effects.tell(s, action.members, action.say);
    case 'devicesJoined':
      for (const member of action.members) s.host.deviceJoined(member, action.room, false);
      return;
    case 'devicesListed':
      // After their read markers (told in this connection's answer order): MARKREAD before NAMES.
      return s.inOrder(undefined, () => {
        for (const member of action.members) s.host.deviceListing(member, action.room);
      });
    case 'perform':
      return s.perform(action.cmd);
    case 'readMarkers':
      return effects.tellReadMarkers(s, action.rooms, action.members);
    case 'renamed':
      s.name = action.to;
      s.host.awayRenamed(action.from, action.to);
      // What it had as the old name's (a device name, an account's allowance) is not the new one's.
      s.renamed(action.account === true ? action.to : undefined, action.device);
      return s.event({ type: 'rename', peer: s.peer, from: action.from, to: action.to });
    case 'authFailed':
      return s.authFailed();
    case 'operator':
      s.operator = action.account;
      return;
    case 'away':
      s.away = action.text;
      if (s.name !== undefined) s.host.tellAway(s.name);
      return;
    case 'giveBack':
      return giveBackName(s, action.name);
    case 'quit':
      return s.close('quit', { detail: action.reason, shown: action.reason });
    case 'roomEvent':
      return effects.roomEvent(s, action.room, action.event);
    case 'invitation':
      return effects.invitation(s, action.to, action.room);
  }
}
