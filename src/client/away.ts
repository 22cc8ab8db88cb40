import { recogniseUnknownCommand, recogniseYouAreAway, recogniseYouAreBack } from '../dialects/line/recognise.js';
import type { ServerLine } from '../dialects/line/server-line.js';

/**
 * Whether we are away, from the server's answers to /away (docs/protocol.md, "Away"), never
 * from what was typed: the server keeps the text cut and cleaned. Away is the connection's,
 * so a reconnect says it again (docs/client.md, "A lost connection"), and the answer to that
 * is told apart from the user's own: answers come in the order of the requests, and the
 * client's goes first on the new connection. Pure.
 */
export class Away {
  #text: string | undefined;
  /** The client's own /away went on this connection; its answer has not come. */
  #saying = false;

  /** A server line; 'ours' when it answers the /away the client said itself. */
  take(line: ServerLine): 'ours' | undefined {
    const text = recogniseYouAreAway(line);
    // A server of the chat that does not know /away (one of the release before, in a
    // cluster being upgraded): nothing to say again to the next.
    const unknown = this.#saying && recogniseUnknownCommand(line)?.toLowerCase() === 'away';
    if (text === undefined && !recogniseYouAreBack(line) && !unknown) return undefined;
    this.#text = text;
    const ours = this.#saying;
    this.#saying = false;
    return ours ? 'ours' : undefined;
  }

  /** A new connection after a lost one: the line that makes it away again, if we were. */
  again(): string | undefined {
    if (this.#text === undefined) return undefined;
    this.#saying = true;
    return `/away ${this.#text}`;
  }

  /** The connection is gone, and the answer with it. */
  lost(): void {
    this.#saying = false;
  }
}
