/**
 * The part of irc-framework (https://github.com/kiwiirc/irc-framework, no types of its own)
 * that the tests use: a client that connects, joins, talks and quits, and its parsed events.
 */
declare module 'irc-framework' {
  export interface ClientOptions {
    host: string;
    port: number;
    nick: string;
    username?: string;
    gecos?: string;
    auto_reconnect?: boolean;
    /** Seconds between the client's own PINGs; 0: none. */
    ping_interval?: number;
    /** Seconds of silence before the client gives up; 0: never. */
    ping_timeout?: number;
  }

  /** A PRIVMSG or a CTCP ACTION: TARGET is a channel or our nick. */
  export interface MessageEvent {
    nick: string;
    ident: string;
    hostname: string;
    target: string;
    message: string;
  }

  export interface JoinEvent {
    nick: string;
    channel: string;
  }

  export interface PartEvent {
    nick: string;
    channel: string;
    message: string;
  }

  export interface QuitEvent {
    nick: string;
    message: string;
  }

  export interface NickEvent {
    nick: string;
    new_nick: string;
  }

  export interface RegisteredEvent {
    nick: string;
  }

  export interface Events {
    registered: RegisteredEvent;
    privmsg: MessageEvent;
    action: MessageEvent;
    join: JoinEvent;
    part: PartEvent;
    quit: QuitEvent;
    nick: NickEvent;
    close: boolean;
  }

  export class Client {
    constructor(options?: Partial<ClientOptions>);
    readonly user: { nick: string };
    readonly connection: { readonly connected: boolean; end(): void };
    connect(options: ClientOptions): void;
    on<E extends keyof Events>(event: E, listener: (event: Events[E]) => void): this;
    join(channel: string): void;
    part(channel: string, message?: string): void;
    say(target: string, message: string): void;
    action(target: string, message: string): void;
    changeNick(nick: string): void;
    quit(message?: string): void;
  }
}
