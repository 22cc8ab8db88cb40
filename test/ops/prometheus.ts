import assert from 'node:assert/strict';
import http from 'node:http';

/** A scrape: each sample by its series as printed, `name` or `name{label="value",...}`. */
export type Samples = Map<string, number>;

/** Parses Prometheus text (version 0.0.4): comments skipped, one sample a line. */
export function parseSamples(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?) (\S+)$/.exec(line);
    assert.ok(m, `a sample line: ${line}`);
    samples.set(m[1]!, Number(m[2]));
  }
  return samples;
}

/** The value of one series; fails when the scrape lacks it. */
export function sample(samples: Samples, series: string): number {
  const value = samples.get(series);
  assert.ok(value !== undefined, `the scrape has ${series}; it has: ${[...samples.keys()].filter((k) => k.startsWith('chat_')).join(', ')}`);
  return value;
}

/** The series of one metric name, with their values. */
export function seriesOf(samples: Samples, name: string): Map<string, number> {
  return new Map([...samples].filter(([key]) => key === name || key.startsWith(`${name}{`)));
}

export interface Answer {
  status: number;
  type: string | undefined;
  body: string;
}

/** One HTTP request to the metrics endpoint (a fresh connection: no keep-alive left behind). */
export function get(port: number, path: string, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** GET /metrics, parsed. */
export async function scrape(port: number): Promise<Samples> {
  const answer = await get(port, '/metrics');
  assert.equal(answer.status, 200, answer.body);
  return parseSamples(answer.body);
}
