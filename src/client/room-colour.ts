import type { ChalkInstance } from 'chalk';
import { nameKey } from '../protocol/names.js';

/**
 * The colours a room's tag may take, of the 16 every colour terminal has: none of those
 * that already say something (red for errors, grey for notices, magenta for direct
 * messages, cyan for names, yellow for you) but a brighter magenta.
 */
const PALETTE = ['green', 'blue', 'greenBright', 'blueBright', 'magentaBright', 'whiteBright'] as const;

/**
 * ROOM's colour: always the same for the same room, whatever its case, in every run and on
 * every machine (a hash of its name, not the order rooms were seen in), so that the eye
 * learns it. Pure.
 */
export function roomColour(room: string, chalk: ChalkInstance): ChalkInstance {
  // FNV-1a: a name's few characters spread over the palette.
  let hash = 0x811c9dc5;
  for (const c of nameKey(room)) hash = Math.imul(hash ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return chalk[PALETTE[hash % PALETTE.length]!];
}
