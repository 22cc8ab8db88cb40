import { nameKey } from '../protocol/names.js';
import type { ServerLine } from '../dialects/line/server-line.js';

/** The commands Tab completes after `/`: the server's (docs/protocol.md) and the client's own. */
export const COMMANDS = [
  '/ban', '/bans', '/help', '/history', '/join', '/kick', '/m', '/msg', '/nick', '/ping', '/quit', '/rooms',
  '/unban', '/who',
] as const;

const LIST = /^(?:online|in (\S+)) \(\d+\): (.*)$/;

/**
 * What Tab can complete: the names seen in any server line and in /who answers, the rooms
 * seen in `* you are in ROOM`, `/who ROOM` and `/rooms` answers, and the commands. Keys are
 * without regard to case, as the server's; the case shown is the last one seen.
 */
export class Completions {
  readonly #names = new Map<string, string>();
  readonly #rooms = new Map<string, string>();

  /** Learns from one server line. */
  learn(line: ServerLine): void {
    if (line.kind === 'room' || line.kind === 'direct') return this.#name(line.from);
    if (line.kind !== 'notice') return;
    const t = line.text;
    let m: RegExpExecArray | null;
    if ((m = LIST.exec(t))) {
      if (m[1]) this.#room(m[1]);
      for (const name of (m[2] ?? '').split(', ')) this.#name(name);
    } else if ((m = /^rooms \(\d+\): (.*)$/.exec(t))) {
      for (const entry of (m[1] ?? '').split(', ')) this.#room(/^(\S+)/.exec(entry)?.[1] ?? '');
    } else if ((m = /^you are in (\S+)$/.exec(t))) {
      this.#room(m[1]!);
    } else if ((m = /^(\S+) is now (\S+)$/.exec(t))) {
      this.#names.delete(nameKey(m[1]!));
      this.#name(m[2]!);
    } else if ((m = /^(\S+) (?:joined|left)(?: \(went to (\S+)\))?/.exec(t))) {
      this.#name(m[1]!);
      if (m[2]) this.#room(m[2].replace(/\)$/, ''));
    } else if ((m = /^\[[^\]]+\] (?:<(\S+)>|\*(\S+)\*) /.exec(t))) {
      this.#name(m[1] ?? m[2]!);
    }
  }

  get names(): string[] {
    return [...this.#names.values()].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' }));
  }

  get rooms(): string[] {
    return [...this.#rooms.values()].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' }));
  }

  /**
   * readline's completer: for the line up to the cursor, the candidates and the part of the
   * line they replace. Commands after a leading `/`; rooms after `/join `; names after
   * `/msg `, after `@` (`@bob:` at the start of a line, `@bob` in a text) and as the first
   * word (`bob: `, as in IRC clients).
   */
  complete(before: string): [string[], string] {
    const word = /\S*$/.exec(before)?.[0] ?? '';
    const head = before.slice(0, before.length - word.length);
    const starts = (list: readonly string[], typed: string): string[] =>
      list.filter((c) => c.toLowerCase().startsWith(typed.toLowerCase()));
    if (head === '' && word.startsWith('/')) return [starts(COMMANDS, word).map((c) => `${c} `), word];
    if (/^\/join\s+$/i.test(head)) {
      const hash = word.startsWith('#') ? '#' : '';
      return [starts(this.rooms, word.slice(hash.length)).map((r) => hash + r), word];
    }
    if (/^\/(msg|m|who|kick|ban|unban)\s+$/i.test(head)) {
      const list = /^\/who/i.test(head) ? this.rooms : this.names;
      return [starts(list, word).map((n) => `${n} `), word];
    }
    if (word.startsWith('@')) {
      const end = head === '' ? ':' : '';
      return [starts(this.names, word.slice(1)).map((n) => `@${n}${end}`), word];
    }
    if (head === '' && word !== '') return [starts(this.names, word).map((n) => `${n}: `), word];
    return [[], word];
  }

  #name(name: string): void {
    if (/^[A-Za-z0-9_-]{1,32}$/.test(name)) this.#names.set(nameKey(name), name);
  }

  #room(room: string): void {
    if (/^[A-Za-z0-9_-]{1,32}$/.test(room)) this.#rooms.set(nameKey(room), room);
  }
}
