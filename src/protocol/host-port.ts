/** Where a listener is bound: the real port when 0 was asked for. */
export interface BoundAddress {
  host: string;
  port: number;
}

/** HOST:PORT, with IPv6 hosts in brackets so the port stays the part after the last colon. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
