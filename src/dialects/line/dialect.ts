import type { Dialect, Framer, LineSink } from '../../server/dialect.js';
import type { Timers } from '../../protocol/timers.js';
import { LineFramer } from './framer.js';
import { parseCommand } from './parse.js';
import { renderEvent } from './render.js';
import * as words from './wording.js';

/** The line protocol of docs/protocol.md, as the core takes a dialect. */
export const lineDialect: Dialect = {
  words,
  framer: (sink: LineSink, { maxLine, flushMs }, timers: Timers): Framer => new LineFramer(maxLine, flushMs, sink, timers),
  parse: parseCommand,
  render: (event, room, tagged) => renderEvent(words, event, tagged ? room : undefined),
};
