import { NAME_MAX } from '../protocol/names.js';

/**
 * Devices: one account logged in on several at once, each under a name of its own
 * (docs/client.md, "Devices"). A device name has a name's characters: 1-32 of A-Z a-z 0-9 _ -.
 */

/**
 * The host name as a device name: every character a device name cannot hold becomes `-`,
 * and it is cut to 32 (`my laptop.local` is `my-laptop-local`); none for an empty one. Pure.
 */
export function deviceFromHost(host: string): string | undefined {
  // By code point: a character outside the BMP is one `-`, not two.
  const device = [...host]
    .map((c) => (/^[A-Za-z0-9_-]$/.test(c) ? c : '-'))
    .join('')
    .slice(0, NAME_MAX);
  return device === '' ? undefined : device;
}

/**
 * The device to log in as: --device NAME (or CHAT_DEVICE), none with --no-device (OPTION
 * false). Without either, the host name on a terminal; in scripting mode none, so that what
 * a script prints and --expect matches does not depend on what this machine missed since its
 * last run (the catch-up). Pure.
 */
export function chooseDevice(option: string | false | undefined, terminal: boolean, host: string): string | undefined {
  if (option === false) return undefined;
  if (option !== undefined) return option;
  return terminal ? deviceFromHost(host) : undefined;
}

/**
 * The line that logs in: `#NAME`, `#NAME PASSWORD`, or `#NAME@DEVICE PASSWORD`. A device goes
 * only with a password: a server that checks none has no account whose devices it could tell
 * apart. Pure.
 */
export function registrationLine(name: string, password: string | undefined, device: string | undefined): string {
  if (password === undefined) return `#${name}`;
  return device === undefined ? `#${name} ${password}` : `#${name}@${device} ${password}`;
}
