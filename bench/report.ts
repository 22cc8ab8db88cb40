/** The benchmark's one table: figures, ratios, and the targets of the performance issue. */
import { median, type Summary } from './median.js';

export type CaseName =
  | 'floorDm16'
  | 'chatDm16'
  | 'ircDm16'
  | 'webDm16'
  | 'chatDm16Metrics'
  | 'clusterDm16'
  | 'floorDm1'
  | 'chatDm1'
  | 'floorRoom'
  | 'chatRoom'
  | 'chatRoomTen'
  | 'chatRoomHistoryOff'
  | 'chatRoomHistoryMemory'
  | 'chatRoomHistoryDb'
  | 'floorConnect'
  | 'chatConnect'
  | 'floorIdle'
  | 'chatIdle'
  | 'ircIdle'
  | 'webIdle';
export type Cases = Partial<Record<CaseName, Summary>>;

/**
 * The idle-connection budget of a WebSocket: the line protocol's KiB plus this. IRC over TCP
 * is allowed +1 KiB; a WebSocket holds besides ws's objects (the WebSocket, its Receiver, a
 * Writable, and its Sender) and the Duplex that makes it a stream for the core, measured at
 * +3.2 to +3.9 KiB over an IRC connection at 10,000 (docs/benchmark.md, "IRC over WebSocket").
 */
export const WEB_IDLE_ALLOWANCE_KIB = 5;

export interface Row {
  measure: string;
  /** The floor, or for the rows below it the chat-server run it is compared with. */
  reference: string;
  chatServer: string;
  ratio: string;
  target: string;
  /** "yes", "NO", or empty where the issue sets no target. */
  met: string;
  /** Server CPU during the window, % of one core: reference / chat-server. */
  serverCpu: string;
  lost: string;
  misrouted: string;
}

export const COLUMNS: [keyof Row, string][] = [
  ['measure', 'measure'],
  ['reference', 'floor / reference'],
  ['chatServer', 'chat-server'],
  ['ratio', 'ratio'],
  ['target', 'target'],
  ['met', 'met'],
  ['serverCpu', 'server core %'],
  ['lost', 'lost'],
  ['misrouted', 'misrouted'],
];

const fin = Number.isFinite;

/**
 * CHAT's FIGURE against REF's: the median, over the rounds, of each round's ratio when both
 * ran in the same rounds (run.ts runs them side by side, in alternating order), else the
 * ratio of their medians. On a shared VM the machine's speed drifts between rounds by more
 * than the difference measured (docs/benchmark.md, "How it measures"); a round's two runs
 * share its speed, and the drift cancels in their ratio. A round where either run failed
 * pairs nothing; with fewer than half the rounds paired there is no ratio (NaN). The median
 * is taken of the ratios' logarithms, so that with an even count A against B is the inverse
 * of B against A.
 */
export function pairedRatio(ref: Summary, chat: Summary, figure: (s: Summary) => number): number {
  const a = ref.each;
  const b = chat.each;
  if (a === undefined || b === undefined || a.length !== b.length || a.length === 0) return figure(chat) / figure(ref);
  const logs = a.flatMap((r, i) => {
    const c = b[i]!;
    const ratio = figure(c) / figure(r);
    return r.errors.length === 0 && c.errors.length === 0 && Number.isFinite(ratio) && ratio > 0 ? [Math.log(ratio)] : [];
  });
  return logs.length * 2 < a.length ? NaN : Math.exp(median(logs));
}
const count = (n: number): string => (!fin(n) ? '-' : n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0));
const ms = (us: number): string => (fin(us) ? (us / 1000).toFixed(2) : '-');
const micro = (us: number): string => (fin(us) ? us.toFixed(2) : '-');
const pct = (n: number | undefined): string => (n !== undefined && fin(n) ? n.toFixed(0) : '-');

interface Target {
  atLeast?: number;
  atMost?: number;
}

function judge(value: number, target: Target | undefined): { target: string; met: string } {
  if (!target) return { target: '', met: '' };
  const text = target.atLeast !== undefined ? `>= ${target.atLeast}` : `<= ${target.atMost}`;
  if (!fin(value)) return { target: text, met: '-' };
  const ok = target.atLeast !== undefined ? value >= target.atLeast : value <= target.atMost!;
  return { target: text, met: ok ? 'yes' : 'NO' };
}

export function buildRows(
  cases: Cases,
  skipped: Map<CaseName, string>,
  sizes: { dmClients: number; roomClients: number; roomSenders: number; connectors: number; idle: number },
): Row[] {
  const rows: Row[] = [];

  /** A row comparing one figure of two cases; lost and misrouted of both are shown when asked. */
  const compare = (
    measure: string,
    refName: CaseName,
    chatName: CaseName,
    figure: (s: Summary) => number,
    format: (n: number) => string,
    target?: Target,
    tally = false,
  ): void => {
    const ref = cases[refName];
    const chat = cases[chatName];
    if (!ref || !chat) {
      // The reason a case was skipped (an option chat-server lacks) tells more than its absence.
      const missing = skipped.get(refName) ?? skipped.get(chatName) ?? 'not measured';
      rows.push({ measure, reference: '', chatServer: `not available: ${missing}`, ratio: '', ...judge(NaN, target), serverCpu: '', lost: '', misrouted: '' });
      return;
    }
    const ratio = pairedRatio(ref, chat, figure);
    rows.push({
      measure,
      reference: format(figure(ref)),
      chatServer: format(figure(chat)),
      ratio: fin(ratio) ? ratio.toFixed(2) : '-',
      ...judge(ratio, target),
      serverCpu: tally ? `${pct(ref.serverCpuPct)} / ${pct(chat.serverCpuPct)}` : '',
      lost: tally ? String(ref.lost + chat.lost) : '',
      misrouted: tally ? String(ref.misrouted + chat.misrouted) : '',
    });
  };
  const latencies = (measure: string, refName: CaseName, chatName: CaseName): void => {
    const ref = cases[refName];
    const chat = cases[chatName];
    if (!ref || !chat) return;
    rows.push({
      measure,
      reference: `${ms(ref.p50Us)} / ${ms(ref.p99Us)}`,
      chatServer: `${ms(chat.p50Us)} / ${ms(chat.p99Us)}`,
      ratio: '',
      target: '',
      met: '',
      serverCpu: '',
      lost: '',
      misrouted: '',
    });
  };
  const perSecond = (s: Summary): number => s.perSecond;
  const perCpu = (s: Summary): number => s.perCpuSecond;
  const usPerDm = (s: Summary): number => 1e6 / s.perCpuSecond;
  const usPerRoomMessage = (s: Summary): number => (1e6 * (sizes.roomClients - 1)) / s.perCpuSecond;

  compare(`direct messages/s (${sizes.dmClients} clients, window 16)`, 'floorDm16', 'chatDm16', perSecond, count, undefined, true);
  compare('  per server CPU-second', 'floorDm16', 'chatDm16', perCpu, count, { atLeast: 0.9 });
  latencies('  p50 / p99 latency, ms', 'floorDm16', 'chatDm16');
  compare(`room deliveries/s (${sizes.roomClients} clients, ${sizes.roomSenders} senders)`, 'floorRoom', 'chatRoom', perSecond, count, undefined, true);
  compare('  per server CPU-second', 'floorRoom', 'chatRoom', perCpu, count, { atLeast: 0.9 });
  compare('room deliveries, users in 10 rooms vs 1: per server CPU-second', 'chatRoom', 'chatRoomTen', perCpu, count, { atLeast: 0.9 });
  compare(`connects + registrations/s (${sizes.connectors} at a time)`, 'floorConnect', 'chatConnect', perSecond, count, undefined, true);
  compare('  per server CPU-second', 'floorConnect', 'chatConnect', perCpu, count, { atLeast: 0.8 });
  compare('p99 latency at window 1, ms', 'floorDm1', 'chatDm1', (s) => s.p99Us, ms, { atMost: 1.2 }, true);
  latencies('  p50 / p99 latency, ms', 'floorDm1', 'chatDm1');

  /**
   * Memory: the target is a difference (at most ALLOWANCE KiB more than the reference), not
   * a ratio; ALLOWANCE null: reported without a target.
   */
  const memory = (measure: string, refName: CaseName, chatName: CaseName, allowance: number | null = 1): void => {
    const ref = cases[refName];
    const chat = cases[chatName];
    const target = allowance === null ? '' : `<= +${allowance} KiB`;
    if (!ref || !chat) {
      const missing = skipped.get(refName) ?? skipped.get(chatName);
      if (missing)
        rows.push({
          measure,
          reference: '',
          chatServer: `not available: ${missing}`,
          ratio: '',
          target,
          met: allowance === null ? '' : '-',
          serverCpu: '',
          lost: '',
          misrouted: '',
        });
      return;
    }
    const diff = chat.kibPerConnection - ref.kibPerConnection;
    rows.push({
      measure,
      reference: ref.kibPerConnection.toFixed(2),
      chatServer: chat.kibPerConnection.toFixed(2),
      ratio: fin(diff) ? `${diff >= 0 ? '+' : ''}${diff.toFixed(2)} KiB` : '-',
      target,
      met: allowance === null ? '' : !fin(diff) ? '-' : diff <= allowance ? 'yes' : 'NO',
      serverCpu: '',
      lost: String(ref.lost + chat.lost),
      misrouted: '0',
    });
  };
  memory(`KiB per idle connection at ${sizes.idle.toLocaleString('en-US')}`, 'floorIdle', 'chatIdle');

  // The IRC dialect against the line protocol, both chat-server: the reference column is the line protocol.
  compare(`IRC vs line protocol: direct messages/s (${sizes.dmClients} clients, window 16)`, 'chatDm16', 'ircDm16', perSecond, count, undefined, true);
  compare('  per server CPU-second', 'chatDm16', 'ircDm16', perCpu, count, { atLeast: 0.9 });
  latencies('  p50 / p99 latency, ms', 'chatDm16', 'ircDm16');
  memory(`IRC vs line protocol: KiB per idle connection at ${sizes.idle.toLocaleString('en-US')}`, 'chatIdle', 'ircIdle');

  // IRC over WebSocket against IRC over TCP (the reference column), both chat-server.
  compare(`WebSocket vs IRC over TCP: direct messages/s (${sizes.dmClients} clients, window 16)`, 'ircDm16', 'webDm16', perSecond, count, undefined, true);
  compare('  per server CPU-second', 'ircDm16', 'webDm16', perCpu, count, { atLeast: 0.8 });
  latencies('  p50 / p99 latency, ms', 'ircDm16', 'webDm16');
  memory(`WebSocket vs IRC over TCP: KiB per idle connection at ${sizes.idle.toLocaleString('en-US')}`, 'ircIdle', 'webIdle', null);
  memory(`WebSocket vs line protocol: KiB per idle connection at ${sizes.idle.toLocaleString('en-US')}`, 'chatIdle', 'webIdle', WEB_IDLE_ALLOWANCE_KIB);

  compare(
    'room message, history 1000 in memory vs off: server µs',
    'chatRoomHistoryOff',
    'chatRoomHistoryMemory',
    usPerRoomMessage,
    micro,
    { atMost: 1.2 },
    true,
  );
  compare(
    'room message, history 1000 in SQLite (--db) vs off: server µs',
    'chatRoomHistoryOff',
    'chatRoomHistoryDb',
    usPerRoomMessage,
    micro,
    { atMost: 1.2 },
    true,
  );
  compare('direct message, metrics on vs off: server µs', 'chatDm16', 'chatDm16Metrics', usPerDm, micro, undefined, true);
  compare('2 chat-servers + Redis on one core vs 1 chat-server: direct msgs/s', 'chatDm16', 'clusterDm16', perSecond, count, { atLeast: 0.5 }, true);
  compare('  per CPU-second of all three processes', 'chatDm16', 'clusterDm16', perCpu, count);
  latencies('  p50 / p99 latency, ms', 'chatDm16', 'clusterDm16');
  return rows;
}

/** A Markdown table, its columns padded so that it also reads as plain text. */
export function formatTable(rows: Row[]): string {
  const widths = COLUMNS.map(([key, title]) => Math.max(title.length, ...rows.map((r) => r[key].length)));
  const line = (cells: string[]): string => `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ')} |`;
  return [
    line(COLUMNS.map(([, title]) => title)),
    `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...rows.map((r) => line(COLUMNS.map(([key]) => r[key]))),
  ].join('\n');
}

/** Every loss, misrouting, dropped connection or failed run: any of them fails the benchmark. */
export function problemsOf(cases: Cases): string[] {
  return Object.entries(cases).flatMap(([name, s]: [string, Summary]) => [
    ...(s.lost ? [`${name}: ${s.lost} lost`] : []),
    ...(s.misrouted ? [`${name}: ${s.misrouted} misrouted`] : []),
    ...(s.dropped ? [`${name}: ${s.dropped} connections dropped by the server`] : []),
    ...s.errors.map((e) => `${name}: ${e}`),
  ]);
}
