/** A value now, or later: what an interface answers when one implementation is in memory and another is not. */
export type Awaitable<T> = T | Promise<T>;

/**
 * Runs `then` on a value now, or on a promised value (any thenable) once it comes. `then` may
 * itself answer later: a promise of a promise is one promise.
 */
export function after<T, U>(value: Awaitable<T>, then: (value: T) => Awaitable<U>): Awaitable<U> {
  return isPromise(value) ? Promise.resolve(value).then(then) : then(value);
}

export function isPromise<T>(value: Awaitable<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** VALUES once all have come: at once when none waits (an in-memory answer), else one promise. */
export function all<T>(values: readonly Awaitable<T>[]): Awaitable<T[]> {
  return values.some(isPromise) ? Promise.all(values) : (values as T[]);
}
