import type { Command } from '../../server/command.js';
import { conversationOf, type Fail, timestampOf } from './chathistory.js';

/**
 * IRCv3 draft/read-marker (docs/irc.md, "History and read markers"): `MARKREAD TARGET` asks for
 * the marker, `MARKREAD TARGET timestamp=...` sets it; a `*` is the server's to send, never a
 * client's. The answers are the words' (IrcWords.readMarker).
 */
export function markReadCommand(params: readonly string[], fail: Fail): Command {
  const [target, ref] = params;
  if (target === undefined || target === '') return fail('NEED_MORE_PARAMS', 'Missing parameters');
  if (params.length > 2) return fail('INVALID_PARAMS', target, 'Too many parameters');
  const conversation = conversationOf(target);
  if (conversation === undefined) return fail('INVALID_PARAMS', target, 'Invalid target');
  if (ref === undefined) return { kind: 'readMarker', target: conversation, as: target };
  const at = timestampOf(ref);
  if (at === undefined) return fail('INVALID_PARAMS', target, ref === '' ? '*' : ref, 'Invalid timestamp');
  return { kind: 'readMarker', target: conversation, at, as: target };
}
