import { isPromise, type Awaitable } from '../protocol/awaitable.js';

/** An answer to give in order: GIVE with VALUE, once READY. (Not `then`: that would make it a thenable.) */
interface Answer {
  ready: boolean;
  value: unknown;
  give: (value: unknown) => Promise<void> | void;
}

/** What the answers of a connection report to it. */
export interface AnswersOwner {
  /** An answer failed (a bug, or work that rejected): the connection is closed. */
  failed(err: Error): void;
  /** Every answer is given: waiting lines may go on. */
  answered(): void;
}

/**
 * Answers still to give for lines already handled, in the order of those lines: replies to
 * one connection come in the order of its requests (docs/protocol.md), while the work behind
 * them (a message through Redis) is already under way. Without anything pending, as on a
 * single server, an answer is given at once. A queue rather than a chain of promises: one
 * callback for an answer that comes later, nothing for one that is here.
 */
export class Answers {
  #answers: Answer[] = [];
  /** A line that waits until every answer before it is given (see whenAnswered). */
  #next: (() => void) | undefined = undefined;

  constructor(private readonly owner: AnswersOwner) {}

  /** Answers not given yet. */
  get pending(): number {
    return this.#answers.length;
  }

  /** Runs NEXT once every pending answer is given, instead of AnswersOwner.answered. */
  whenAnswered(next: () => void): void {
    this.#next = next;
  }

  /** Runs THEN on VALUE once it has come and once every answer queued before it has been given. */
  inOrder<T>(value: Awaitable<T>, then: (value: T) => Promise<void> | void): void {
    if (this.#answers.length === 0 && !isPromise(value)) {
      const more = then(value);
      if (more) this.hold(more);
      return;
    }
    const answer: Answer = { ready: !isPromise(value), value, give: then as Answer['give'] };
    this.#answers.push(answer);
    if (isPromise(value)) this.#await(value, answer);
  }

  /**
   * Holds the queue until WORK is done: the rest of an answer, such as kept messages written
   * part by part, or a line's actions that wait for the cluster.
   */
  hold(work: Promise<unknown>): void {
    const held: Answer = { ready: false, value: undefined, give: () => {} };
    this.#answers.unshift(held);
    this.#await(work, held);
  }

  /** Marks ANSWER ready once WORK has come. */
  #await(work: Promise<unknown>, answer: Answer): void {
    work.then(
      (value) => {
        answer.value = value;
        answer.ready = true;
        this.#give();
      },
      (err: Error) => {
        this.owner.failed(err);
        answer.give = () => {};
        answer.ready = true;
        this.#give();
      },
    );
  }

  /** Gives the answers that are ready, in order, up to the first that is not. */
  #give(): void {
    const answers = this.#answers;
    while (answers.length > 0 && answers[0]!.ready) {
      const answer = answers.shift()!;
      let more: Promise<void> | void = undefined;
      try {
        more = answer.give(answer.value);
      } catch (err) {
        // A bug in one answer closes this connection; it must not stop the process.
        this.owner.failed(err as Error);
      }
      if (more) return this.hold(more);
    }
    if (answers.length > 0) return;
    const next = this.#next;
    this.#next = undefined;
    if (next) next();
    else this.owner.answered();
  }
}
