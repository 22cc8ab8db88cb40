import type readline from 'node:readline';

/** The fields of node:readline's Interface that these fixes read and set. */
export interface RlInternals {
  line: string;
  cursor: number;
  prevRows: number;
  isCompletionEnabled: boolean;
  /** What Up brings back, the newest first. */
  history: string[];
}

export const internals = (rl: readline.Interface): RlInternals => rl as unknown as RlInternals;

/**
 * Pasting into the middle of a line: Node 20's keypress decoder clears
 * `isCompletionEnabled` for every character of a read but the last, and readline then
 * appends those characters at the end of the line whatever the cursor (nodejs/node#60624):
 * `abc`, Left Left, paste `XYZ` gave `abcZXY` on screen and on the wire. Appending is right
 * only when the cursor is at the end; elsewhere we report "enabled", so that readline takes
 * its path that inserts at the cursor and redraws. (The flag also keeps a Tab inside a paste
 * from completing; inside a paste into the middle of a line it now completes.)
 */
export function fixMidLinePaste(rl: readline.Interface): void {
  const r = internals(rl);
  let enabled = r.isCompletionEnabled;
  Object.defineProperty(rl, 'isCompletionEnabled', {
    configurable: true,
    get: () => enabled || r.cursor < r.line.length,
    set: (value: boolean) => {
      enabled = value;
    },
  });
}

/**
 * Redrawing after a resize: readline moves up by the row the cursor had at its last redraw,
 * counted with the old width. A terminal that reflows (tmux, VTE, iTerm2, Windows Terminal,
 * kitty...) has moved the wrapped prompt since: going up the old count erased the lines
 * above it (a message received) or left old copies of the prompt. The cursor's row counted
 * with the new width is where the prompt starts now. Registered before readline's own
 * listener, so that its redraw starts there.
 */
export function fixResize(rl: readline.Interface, output: NodeJS.WriteStream): () => void {
  const onResize = (): void => {
    internals(rl).prevRows = rl.getCursorPos().rows;
  };
  output.prependListener('resize', onResize);
  return () => output.off('resize', onResize);
}

/** Empties the line being typed and redraws the prompt. */
export function clearInput(rl: readline.Interface): string {
  const r = internals(rl);
  const was = r.line;
  // Plain typing does not update prevRows: the redraw must start where the prompt does.
  r.prevRows = rl.getCursorPos().rows;
  r.line = '';
  r.cursor = 0;
  rl.prompt(true);
  return was;
}

/** Puts TEXT back as the line being typed, the cursor at its end. */
export function setInput(rl: readline.Interface, text: string): void {
  const r = internals(rl);
  r.prevRows = rl.getCursorPos().rows;
  r.line = text;
  r.cursor = text.length;
  rl.prompt(true);
}

/**
 * Takes LINES, the last lines entered, out of what Up brings back: they were answers to a
 * hidden prompt, typed ahead into the chat's line. Readline keeps no blank line and no line
 * twice in a row, so a line that is not the newest entry is one it never kept.
 */
export function forget(rl: readline.Interface, lines: readonly string[]): void {
  const history = internals(rl).history;
  for (const line of [...lines].reverse()) if (history[0] === line) history.shift();
}
