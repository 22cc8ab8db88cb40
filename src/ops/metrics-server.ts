import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BoundAddress } from '../protocol/host-port.js';
import type { ChatMetrics } from './metrics.js';

/**
 * The operator's HTTP endpoint (`--metrics HOST:PORT`): Prometheus text at /metrics, "ok" or
 * the reason it is not at /healthz (for a load balancer or systemd's watchdog scripts), 404
 * for anything else. GET and HEAD only; nothing it serves depends on what a request carries.
 */
/** Connections to the metrics endpoint at once; more are closed as they come. */
export const MAX_SCRAPERS = 32;

export class MetricsServer {
  readonly #server: http.Server;

  constructor(private readonly metrics: ChatMetrics) {
    this.#server = http.createServer((req, res) => void this.#answer(req, res));
    // A scraper that opens a connection and sends nothing must not hold it forever.
    this.#server.headersTimeout = 10_000;
    this.#server.requestTimeout = 10_000;
    this.#server.keepAliveTimeout = 5_000;
    // Scrapers are a handful: thousands of idle connections would take file descriptors from
    // the chat's own limit (Node checks the timeouts above only every 30 s).
    this.#server.maxConnections = MAX_SCRAPERS;
  }

  /** Binds; resolves with the address bound (the real port for port 0), rejects with the bind error. */
  listen(host: string, port: number): Promise<BoundAddress> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ host, port }, () => {
        this.#server.off('error', reject);
        // After binding, an error (EMFILE on accept) must not take the chat down.
        this.#server.on('error', () => {});
        const bound = this.#server.address() as AddressInfo;
        resolve({ host: bound.address, port: bound.port });
      });
    });
  }

  async #answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    res.on('error', () => {});
    const path = (req.url ?? '/').split('?')[0];
    const text = (status: number, body: string): void => {
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : `${body}\n`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return text(405, 'only GET and HEAD');
    }
    if (path === '/healthz') {
      const problem = this.metrics.problem();
      return problem === undefined ? text(200, 'ok') : text(503, problem);
    }
    if (path === '/metrics') {
      try {
        const body = await this.metrics.registry.metrics();
        res.writeHead(200, { 'Content-Type': this.metrics.registry.contentType, 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      } catch (err) {
        text(500, `could not collect the metrics: ${(err as Error).message}`);
      }
      return;
    }
    text(404, 'not found: try /metrics or /healthz');
  }

  /** Stops listening and drops open connections (a scraper's keep-alive). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}
