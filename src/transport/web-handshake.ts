import { createHash } from 'node:crypto';

/** The IRCv3 WebSocket subprotocols: the first of them a client offers is taken (chooseSubprotocol). */
export const SUBPROTOCOLS = ['text.ircv3.net', 'binary.ircv3.net'] as const;

/** RFC 6455, 1.3: what a key is joined with before it is hashed into the accept value. */
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * The subprotocol for an offer (Sec-WebSocket-Protocol, comma-separated): the first offered
 * that we speak. None: the answer names none, and the messages are text (IRCv3's default).
 */
export function chooseSubprotocol(offer: string | undefined): (typeof SUBPROTOCOLS)[number] | undefined {
  if (offer === undefined) return undefined;
  for (const p of offer.split(',')) {
    const name = p.trim();
    if ((SUBPROTOCOLS as readonly string[]).includes(name)) return name as (typeof SUBPROTOCOLS)[number];
  }
  return undefined;
}

/**
 * RFC 6455, 4.2.2: the answer that makes the connection a WebSocket, for a request's KEY
 * (already checked) and the subprotocol chosen. No extension is agreed: compression would
 * cost memory per connection (zlib's windows), and chat lines are short.
 */
export function switchingProtocols(key: string, protocol: string | undefined): string {
  const accept = createHash('sha1').update(`${key}${WEBSOCKET_GUID}`).digest('base64');
  const named = protocol === undefined ? '' : `sec-websocket-protocol: ${protocol}\r\n`;
  return `HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept}\r\n${named}\r\n`;
}
