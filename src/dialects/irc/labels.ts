/**
 * IRCv3 labeled-response: every answer to a command sent with a `label` tag carries the
 * label: one line gets the tag, several come in a `labeled-response` batch, none is an ACK.
 * The voice puts a start and an end mark around the command's answers (they come in order,
 * Session.send), and this gathers what comes between. Marks hold NUL, which no text of ours
 * can (the parser takes it out of every line).
 */
const START = '\0label ';
const END = '\0end';

export const labelStart = (label: string): string => `${START}${label}`;
export const labelEnd = (): string => END;

/** Tags added to a line: merged with those it has. */
export function withTag(line: string, tag: string): string {
  return line.startsWith('@') ? `@${tag};${line.slice(1)}` : `@${tag} ${line}`;
}

export class Labels {
  #label: string | undefined = undefined;
  #lines: string[] = [];
  #batches = 0;

  constructor(private readonly server: string) {}

  /** LINES (an answer, each line ending in CR) as they go out: '' while a labeled command's answers are gathered. */
  answer(lines: string): string {
    if (lines.startsWith(START)) {
      this.#label = lines.slice(START.length).replace(/\r$/, '');
      this.#lines = [];
      return '';
    }
    if (lines === END || lines === `${END}\r`) return this.#end();
    if (this.#label === undefined) return lines;
    for (const line of lines.split('\n')) if (line !== '') this.#lines.push(line);
    return '';
  }

  #end(): string {
    const label = this.#label;
    const lines = this.#lines;
    this.#label = undefined;
    this.#lines = [];
    if (label === undefined) return '';
    const tag = `label=${label}`;
    if (lines.length === 0) return `@${tag} :${this.server} ACK\r`;
    // One line, or one batch of the answer's own (CHATHISTORY's): the label goes on it, as the
    // specification allows for "an existing type applicable to the entire response".
    if (lines.length === 1 || isOneBatch(lines)) return [withTag(lines[0]!, tag), ...lines.slice(1)].join('\n');
    const id = `L${++this.#batches}`;
    // A line inside a batch of its own stays in it: only that batch's start and end are nested in ours.
    const nested = lines.map((l) => (/^@(?:[^ ]*;)?batch=/.test(l) ? l : withTag(l, `batch=${id}`)));
    return [`@${tag} :${this.server} BATCH +${id} labeled-response\r`, ...nested, `:${this.server} BATCH -${id}\r`].join('\n');
  }
}

/** Whether LINES are one batch from its start to its end, nothing outside it. */
function isOneBatch(lines: readonly string[]): boolean {
  const id = /^:\S+ BATCH \+([A-Za-z0-9]+) /.exec(lines[0]!)?.[1];
  if (id === undefined || !new RegExp(`^:\\S+ BATCH -${id}\r?$`).test(lines.at(-1)!)) return false;
  return lines.slice(1, -1).every((l) => l.startsWith(`@batch=${id};`) || l.startsWith(`@batch=${id} `));
}
