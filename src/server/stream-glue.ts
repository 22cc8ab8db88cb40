import type { Duplex } from 'node:stream';
import type { CloseCode } from '../protocol/codes.js';

/** What a stream's events go to (Session). */
export interface StreamOwner {
  received(chunk: Buffer): void;
  ended(): void;
  drained(): void;
  close(code: CloseCode, how: { detail?: string; abort?: boolean }): void;
  /** The stream has closed: the owner is forgotten by whoever keeps it. */
  forgotten(): void;
}

/** The owner a stream belongs to, until the stream closes. */
const OWNER = Symbol('owner');
type Owned = Duplex & { [OWNER]?: StreamOwner | undefined };

/**
 * Hands STREAM's events to OWNER. Shared functions, not closures: nothing per connection to
 * make, or to keep while idle, and a closed stream lets its owner go at once (onClose).
 */
export function attach(stream: Duplex, owner: StreamOwner): void {
  (stream as Owned)[OWNER] = owner;
  stream.on('data', onData);
  stream.on('end', onEnd);
  stream.on('error', onError);
  stream.on('close', onClose);
}

/** Tells the owner once STREAM has taken what was waiting for it (write() returned false). */
export function whenDrained(stream: Duplex): void {
  stream.once('drain', onDrain);
}

function onData(this: Duplex, chunk: Buffer): void {
  (this as Owned)[OWNER]?.received(chunk);
}

function onEnd(this: Duplex): void {
  (this as Owned)[OWNER]?.ended();
}

/**
 * A socket error (ECONNRESET, EPIPE) only ends this connection, never the process. Either
 * way the socket is gone: nothing more can be written to it.
 */
function onError(this: Duplex, err: NodeJS.ErrnoException): void {
  (this as Owned)[OWNER]?.close('socket-error', { detail: err.code ?? err.message, abort: true });
}

function onDrain(this: Duplex): void {
  (this as Owned)[OWNER]?.drained();
}

/**
 * The stream is closed: the owner ends and lets go of it. A closed socket can outlive its
 * connection in the heap (once promoted, until a full collection), and V8's quick
 * collections take what it points to as alive and copy it: without this link, the session
 * and all it holds go at the next quick one (docs/benchmark.md, "Connects").
 */
function onClose(this: Duplex): void {
  const owner = (this as Owned)[OWNER];
  if (owner === undefined) return;
  (this as Owned)[OWNER] = undefined;
  owner.close('connection-closed', { abort: true });
  owner.forgotten();
}
