import type { Command, Conversation, HistoryWindow } from '../../server/command.js';
import { channelRoom, isValidNick } from './message.js';
import { withTag } from './labels.js';
import type { IrcState } from './state.js';

/**
 * IRCv3 draft/chathistory (docs/irc.md, "History and read markers"): CHATHISTORY parsed into
 * the chat's history commands, and its answers in a `chathistory` batch. Messages are named by
 * their times only (ISUPPORT MSGREFTYPES=timestamp): the chat gives its messages no ids.
 */

/** A refusal the dialect answers itself: FAIL's code and parameters, the last one its text. */
export type Fail = (code: string, ...params: string[]) => Command;

/** The subcommands that take a target and answer messages. */
const WINDOWS = new Set(['LATEST', 'BEFORE', 'AFTER', 'AROUND', 'BETWEEN']);

/**
 * `timestamp=YYYY-MM-DDThh:mm:ss.sssZ` (server-time's form; the milliseconds may be left out)
 * as ms since the epoch; undefined for anything else, a date that does not exist included.
 */
export function timestampOf(ref: string): number | undefined {
  const iso = /^timestamp=(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,3})?Z$/.exec(ref);
  if (iso === null) return undefined;
  const ms = Date.parse(`${iso[1]}${iso[2] ?? ''}Z`);
  // Date.parse rolls 2019-02-30 over into March: a date it changed is no date.
  return Number.isFinite(ms) && new Date(ms).toISOString().startsWith(iso[1]!) ? ms : undefined;
}

/** `#ROOM` or a NICK as the chat's conversation; undefined for what can be neither. */
export function conversationOf(target: string): Conversation | undefined {
  if (target.startsWith('#')) {
    const room = channelRoom(target);
    return room === undefined ? undefined : { room };
  }
  return isValidNick(target) ? { name: target } : undefined;
}

/**
 * `CHATHISTORY SUB TARGET REF [REF] LIMIT` and `CHATHISTORY TARGETS REF REF LIMIT` as the chat's
 * command, or the FAIL the specification names: INVALID_PARAMS for what cannot be parsed,
 * INVALID_MSGREFTYPE for a msgid, INVALID_TARGET for a target that can be no room or nick. The
 * mark handed back to the words (AS) is `SUB TARGET`, or `TARGETS`.
 */
export function chathistoryCommand(params: readonly string[], fail: Fail): Command {
  const sub = (params[0] ?? '').toUpperCase();
  if (sub !== 'TARGETS' && !WINDOWS.has(sub)) return fail('INVALID_PARAMS', sub === '' ? '*' : sub, 'Unknown command');
  const wanted = sub === 'BETWEEN' ? 5 : 4;
  if (params.length < wanted) return fail('INVALID_PARAMS', sub, 'Insufficient parameters');
  if (params.length > wanted) return fail('INVALID_PARAMS', sub, 'Too many parameters');
  const limit = params[wanted - 1]!;
  if (!/^[0-9]{1,9}$/.test(limit) || Number(limit) < 1) return fail('INVALID_PARAMS', sub, limit, 'Invalid limit');
  const refs = sub === 'TARGETS' ? params.slice(1, 3) : params.slice(2, wanted - 1);
  const target = sub === 'TARGETS' ? undefined : params[1]!;
  const times: number[] = [];
  for (const ref of refs) {
    if (ref === '*' && sub === 'LATEST') continue;
    if (ref.startsWith('msgid=')) return fail('INVALID_MSGREFTYPE', sub, target ?? '*', 'msgid-based history requests are not supported');
    const at = timestampOf(ref);
    if (at === undefined) return fail('INVALID_PARAMS', sub, ref, 'Invalid timestamp');
    times.push(at);
  }
  if (target === undefined) return { kind: 'historyTargets', from: times[0]!, to: times[1]!, limit: Number(limit), as: sub };
  const conversation = conversationOf(target);
  if (conversation === undefined) return fail('INVALID_TARGET', sub, target, 'Messages could not be retrieved');
  return { kind: 'historyWindow', target: conversation, window: windowOf(sub, times), limit: Number(limit), as: `${sub} ${target}` };
}

/** SUB's window with its parsed references (LATEST's `*` gave none). */
function windowOf(sub: string, times: readonly number[]): HistoryWindow {
  const at = times[0]!;
  switch (sub) {
    case 'LATEST':
      return times.length === 0 ? { kind: 'latest' } : { kind: 'latest', since: at };
    case 'BETWEEN':
      return { kind: 'between', from: at, to: times[1]! };
    default:
      return { kind: sub === 'BEFORE' ? 'before' : sub === 'AFTER' ? 'after' : 'around', at };
  }
}

/**
 * LINES (each ending in CR) as one batch of TYPE and PARAMS from SERVER, for a client that
 * negotiated `batch` (draft/chathistory answers in one, even an empty one: the client is not
 * left waiting); as they are for any other.
 */
export function inBatch(server: string, state: IrcState, type: string, lines: readonly string[]): string {
  if (!state.caps.has('batch')) return lines.join('\n');
  const id = `H${++state.batches}`;
  return [`:${server} BATCH +${id} ${type}\r`, ...lines.map((l) => withTag(l, `batch=${id}`)), `:${server} BATCH -${id}\r`].join('\n');
}
