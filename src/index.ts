/** The public API: what the CLIs are built from, for tests and other programs. */
export { ChatServer, DEFAULT_HOST, DEFAULT_PORT, type ChatServerOptions } from './server/chat-server.js';
export { ChatCore, type Peer } from './server/core.js';
export { UdpBindError } from './transport/udp.js';
export { DEFAULT_LIMITS, type ServerLimits, type CoreOptions } from './server/options.js';
export type { ServerEvent } from './server/events.js';
export type { Awaitable, Claim, Delivery, Hub, HubEvents, Member } from './hub/hub.js';
export { MemoryHub } from './hub/memory-hub.js';
export { RedisHub, RedisUnavailableError, DEFAULT_LEASE_MS, type RedisHubOptions } from './hub/redis-hub.js';
export { ChatConnection, ConnectError, type ConnectOptions, type RegisterResult } from './client/connection.js';
export { ExitCode } from './client/exit-codes.js';
export { LineDecoder, type LineSink } from './protocol/decoder.js';
export { LineFramer } from './protocol/framer.js';
export { parseCommand, type Command } from './protocol/command.js';
export { parseServerLine, type ServerLine } from './protocol/server-line.js';
export { stripControls, decodeText } from './protocol/sanitize.js';
export { isValidName, nameKey } from './protocol/names.js';
export type { Timers } from './protocol/timers.js';
