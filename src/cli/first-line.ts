import type { Readable } from 'node:stream';

/** The first line of TEXT without its line end: how passwords are read from files and stdin. */
export function firstLine(text: string): string {
  return text.split('\n')[0]?.replace(/\r$/, '') ?? '';
}

/**
 * The first line of STREAM, read as it arrives. A pipe from a password manager may stay
 * empty for a while, and Node makes a piped stdin non-blocking: readFileSync(0) then fails
 * with EAGAIN instead of waiting. Reading stops at the first LF, at the end, or after LIMIT
 * bytes (the caller refuses a line that long), so `yes | passwd` cannot fill memory.
 */
export function readFirstLine(stream: Readable, limit = 64 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (): void => {
      stream.off('data', onData);
      stream.off('end', finish);
      stream.off('error', onError);
      stream.pause();
      // Decoded once whole: a character split between two chunks stays one character.
      resolve(firstLine(Buffer.concat(chunks).toString('utf8')));
    };
    const onData = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      chunks.push(bytes);
      size += bytes.length;
      if (bytes.includes(0x0a) || size >= limit) finish();
    };
    const onError = (err: Error): void => {
      stream.off('data', onData);
      stream.off('end', finish);
      reject(err);
    };
    stream.on('data', onData);
    stream.once('end', finish);
    stream.once('error', onError);
  });
}
