// A live event stream that survives disconnects: fetch() + the SSE parser, resumed with
// `Last-Event-ID` after every drop, with exponential back-off and jitter between attempts.
//
// - Every `id:` seen is remembered; a reconnect asks for what came after the last one, so the
//   server replays exactly what was missed (the reducer still drops any seq it already has).
// - `gap` (events that can no longer be replayed) is handed to the owner, who refetches the
//   snapshot; `dropped` (the server gave up on a slow client) ends the stream and it reconnects.
// - A stream silent for longer than `stallMs` (the gateway sends a heartbeat every 15 s) is
//   treated as dead and reconnected.
// - 401 signs out, 404/410 (the session is gone) end it for good; anything else is retried.
import { SseParser } from './sse';
import type { StreamedEvent } from './types';

export type StreamStatus = 'connecting' | 'live' | 'retrying' | 'closed';

export interface Backoff {
  firstMs: number;
  maxMs: number;
  /** Up to this fraction is added at random, so many clients do not retry in step. */
  jitter: number;
}

export const DEFAULT_BACKOFF: Backoff = { firstMs: 500, maxMs: 15_000, jitter: 0.25 };

/** The wait before retry number `attempt` (0-based): first·2^attempt, capped, plus jitter. */
export function backoffDelay(attempt: number, b: Backoff = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const base = Math.min(b.firstMs * 2 ** Math.max(0, attempt), b.maxMs);
  return Math.round(base * (1 + random() * b.jitter));
}

export interface GapInfo {
  from: number;
  to: number;
  action?: string;
}

export interface StreamOptions {
  /** The stream's URL without a resume point. */
  url: string;
  /** Where to resume on the first connection; `null` = from now on (global streams). */
  resumeFrom: number | null;
  token: () => string | null;
  onEvent: (ev: StreamedEvent) => void;
  onGap?: (gap: GapInfo) => void;
  onStatus?: (status: StreamStatus, detail: { attempt: number; retryInMs?: number }) => void;
  /** The stream cannot continue: 401 (signed out) or 404/410 (gone). */
  onFatal?: (status: number) => void;
  fetchImpl?: typeof fetch;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  backoff?: Backoff;
  stallMs?: number;
}

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      if (typeof window !== 'undefined') window.removeEventListener('online', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    // Back online: try at once instead of waiting out the back-off.
    if (typeof window !== 'undefined') window.addEventListener('online', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

export class EventStream {
  private readonly stopped = new AbortController();
  private lastId: number | null;
  private running = false;
  /** Resolves when the loop has ended (after `stop()` or a fatal answer). */
  done: Promise<void> = Promise.resolve();

  constructor(private readonly o: StreamOptions) {
    this.lastId = o.resumeFrom;
  }

  /** The resume point a reconnect would send. */
  get lastEventId(): number | null {
    return this.lastId;
  }

  start(): this {
    if (!this.running) {
      this.running = true;
      this.done = this.loop();
    }
    return this;
  }

  stop(): void {
    this.stopped.abort();
  }

  private status(s: StreamStatus, detail: { attempt: number; retryInMs?: number }) {
    if (!this.stopped.signal.aborted || s === 'closed') this.o.onStatus?.(s, detail);
  }

  private async loop(): Promise<void> {
    const fetchImpl = this.o.fetchImpl ?? fetch.bind(globalThis);
    const sleep = this.o.sleep ?? defaultSleep;
    const backoff = this.o.backoff ?? DEFAULT_BACKOFF;
    const stallMs = this.o.stallMs ?? 40_000;
    let attempt = 0;
    while (!this.stopped.signal.aborted) {
      const conn = new AbortController();
      const onStop = () => conn.abort();
      this.stopped.signal.addEventListener('abort', onStop, { once: true });
      let stall: ReturnType<typeof setTimeout> | undefined;
      const alive = () => {
        clearTimeout(stall);
        stall = setTimeout(() => conn.abort(), stallMs);
      };
      let fatal: number | null = null;
      try {
        this.status(attempt === 0 ? 'connecting' : 'retrying', { attempt });
        const headers: Record<string, string> = { Accept: 'text/event-stream' };
        const token = this.o.token();
        if (token) headers.Authorization = `Bearer ${token}`;
        if (this.lastId !== null) headers['Last-Event-ID'] = String(this.lastId);
        alive();
        const res = await fetchImpl(this.o.url, { headers, cache: 'no-store', signal: conn.signal });
        if (res.status === 401 || res.status === 404 || res.status === 410) {
          fatal = res.status;
        } else if (!res.ok || !res.body) {
          throw new Error(`HTTP ${res.status}`);
        } else {
          this.status('live', { attempt });
          attempt = 0;
          await this.read(res.body, alive);
        }
      } catch {
        // A network error, a stall or stop(): reconnect below unless stopped.
      } finally {
        clearTimeout(stall);
        this.stopped.signal.removeEventListener('abort', onStop);
      }
      if (this.stopped.signal.aborted) break;
      if (fatal !== null) {
        this.status('closed', { attempt });
        this.o.onFatal?.(fatal);
        this.running = false;
        return;
      }
      const wait = backoffDelay(attempt, backoff, this.o.random);
      attempt += 1;
      this.status('retrying', { attempt, retryInMs: wait });
      await sleep(wait, this.stopped.signal);
    }
    this.running = false;
    this.status('closed', { attempt });
  }

  private async read(body: ReadableStream<Uint8Array>, alive: () => void): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let ended = false;
    const parser = new SseParser((m) => {
      if (ended || this.stopped.signal.aborted) return;
      const id = m.id !== null && /^\d+$/.test(m.id) ? Number(m.id) : null;
      let data: unknown;
      try {
        data = JSON.parse(m.data);
      } catch {
        return;
      }
      if (m.event === 'gap') {
        if (id !== null) this.advance(id);
        this.o.onGap?.(data as GapInfo);
        return;
      }
      if (m.event === 'dropped') {
        const last = (data as { lastSeq?: number }).lastSeq;
        if (typeof last === 'number') this.advance(last);
        ended = true; // the server ends the stream; reconnect from lastSeq
        return;
      }
      const ev = data as StreamedEvent;
      const seq = typeof ev.seq === 'number' ? ev.seq : id;
      if (seq === null) return;
      this.advance(seq);
      this.o.onEvent({ ...ev, seq });
    });
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        alive();
        parser.push(decoder.decode(value, { stream: true }));
        if (ended) break;
      }
    } finally {
      reader.cancel().catch(() => {});
    }
  }

  private advance(id: number) {
    if (this.lastId === null || id > this.lastId) this.lastId = id;
  }
}
