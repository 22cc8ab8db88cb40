import type { Dialect, Framer, LineSink } from '../../server/dialect.js';
import type { Timers } from '../../protocol/timers.js';
import { LineFramer } from '../line/framer.js';
import type { IrcContext } from './context.js';
import { MESSAGE_MAX, TAGS_MAX } from './message.js';
import { FORMS, renderIrc } from './render.js';
import { IrcRegistry } from './registry.js';
import { IrcVoice } from './voice.js';
import type { Limits } from './words.js';

/** A line at most: 8191 bytes of tags and 512 of message (the specs' limits), CRLF not counted. */
export const IRC_MAX_LINE = TAGS_MAX + MESSAGE_MAX;

/**
 * The IRC dialect (docs/irc.md) for a server of CTX: a listener that speaks it hands it to the
 * core with each connection (Peer.dialect). Lines end at LF (a CR before it goes) and are
 * always framed: IRC clients end every line. Control characters are kept for the parser
 * (CTCP's \x01); texts lose them on their way into the chat (text.ts).
 */
export function ircDialect(ctx: IrcContext, limits: Limits): Dialect {
  const users = new IrcRegistry();
  // For what is said before a connection has its own (a refusal at accept); every connection
  // gets a voice of its own (voice), so this one parses nothing.
  const nobody = new IrcVoice(ctx, limits, users);
  const dialect: Dialect = {
    words: nobody.words,
    framer: (sink: LineSink, _limits, timers: Timers): Framer => new LineFramer(IRC_MAX_LINE, 0, sink, timers, true),
    parse: (line) => nobody.parse(line),
    voice: () => new IrcVoice(ctx, limits, users),
    forms: FORMS,
    render: (event, room, _tagged, form) => renderIrc(ctx, event, room, form),
    namesRoom: true,
  };
  return dialect;
}
