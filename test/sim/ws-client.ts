/** A small recording websocket client for simulator tests. */
import WebSocket, { type ClientOptions } from 'ws';

export interface Recorder {
  ws: WebSocket;
  /** Every text frame received, in order. */
  texts: string[];
  pings: number;
  closed: Promise<{ code: number; reason: string }>;
  isClosed(): boolean;
  /** Resolves with the first frame (from `from` on) that satisfies `pred`. */
  waitFor(pred: (text: string) => boolean, timeoutMs?: number, from?: number): Promise<string>;
  send(body: unknown): void;
}

export async function connect(url: string, options: ClientOptions = {}): Promise<Recorder> {
  const ws = new WebSocket(url, options);
  const texts: string[] = [];
  let pings = 0;
  let closedFlag = false;
  const waiters: { pred: (t: string) => boolean; resolve: (t: string) => void }[] = [];
  ws.on('message', (data) => {
    const text = data.toString();
    texts.push(text);
    for (const w of [...waiters]) if (w.pred(text)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(text);
    }
  });
  ws.on('ping', () => pings++);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => {
      closedFlag = true;
      resolve({ code, reason: reason.toString() });
    }),
  );
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  const rec: Recorder = {
    ws,
    texts,
    get pings() {
      return pings;
    },
    closed,
    isClosed: () => closedFlag,
    waitFor(pred, timeoutMs = 5000, from = 0) {
      const seen = texts.slice(from).find(pred);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('timed out waiting for a frame')), timeoutMs);
        waiters.push({
          pred,
          resolve: (t) => {
            clearTimeout(timer);
            resolve(t);
          },
        });
      });
    },
    send: (body) => ws.send(typeof body === 'string' ? body : JSON.stringify(body)),
  };
  return rec;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function streamUrl(base: string, symbols: string[]): string {
  return `${base}/stream?streams=${symbols.map((s) => encodeURIComponent(`${s.toLowerCase()}@kline_1m`)).join('/')}`;
}

export interface KlineEvent {
  e: string;
  E: number;
  s: string;
  k: { t: number; T: number; s: string; i: string; f: number; L: number; o: string; c: string; h: string; l: string; v: string; n: number; x: boolean; q: string; V: string; Q: string; B: string };
}

export function parseCombined(text: string): { stream: string; data: KlineEvent } {
  return JSON.parse(text) as { stream: string; data: KlineEvent };
}
