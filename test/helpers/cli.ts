import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { LineQueue } from './lines.js';

export const CLI = {
  server: fileURLToPath(new URL('../../src/cli/chat-server.js', import.meta.url)),
  client: fileURLToPath(new URL('../../src/cli/chat-client.js', import.meta.url)),
};

export interface Running {
  proc: ChildProcess;
  stdout: LineQueue;
  stderr: LineQueue;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  exit: Promise<number | string>;
}

/** Starts one of the built CLIs as a process; it is killed when the test ends. */
export function run(
  t: TestContext,
  which: keyof typeof CLI,
  args: string[],
  options: { input?: string; env?: Record<string, string | undefined> } = {},
): Running {
  const proc = spawn(process.execPath, [CLI[which], ...args], {
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (options.input !== undefined) proc.stdin.end(options.input);
  const exit = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  t.after(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  return { proc, stdout: new LineQueue(proc.stdout!, `${which} stdout`), stderr: new LineQueue(proc.stderr!, `${which} stderr`), exit };
}

/** Starts chat-server on a free port and resolves once it prints "listening on HOST:PORT". */
export async function runServer(t: TestContext, args: string[] = []): Promise<Running & { port: number }> {
  const server = run(t, 'server', ['--port', '0', ...args]);
  const first = await server.stdout.next();
  const port = Number(/^listening on .*:(\d+)$/.exec(first ?? '')?.[1]);
  if (!port) throw new Error(`chat-server did not start: ${first}\n${server.stderr.seen.join('\n')}`);
  return { ...server, port };
}
