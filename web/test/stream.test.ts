// The reconnecting event stream: Last-Event-ID on every reconnect, exponential back-off with
// jitter, gap and dropped frames, fatal answers, stalls — against a scripted fake fetch.
import { describe, expect, it } from 'vitest';
import { SseParser, type SseMessage } from '../src/api/sse';
import { backoffDelay, EventStream, type StreamStatus } from '../src/api/stream';
import type { StreamedEvent } from '../src/api/types';

const enc = new TextEncoder();

/** A scripted answer: a response whose body is the given chunks, then ends (or stays open with
 *  `hang`); like a real fetch body, it fails when the request is aborted. */
function sse(chunks: string[], { hang = false, status = 200 } = {}) {
  return (signal: AbortSignal): Response => {
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (const ch of chunks) c.enqueue(enc.encode(ch));
        if (!hang) c.close();
        else signal.addEventListener('abort', () => c.error(new DOMException('aborted', 'AbortError')));
      },
    });
    return new Response(body, { status, headers: { 'content-type': 'text/event-stream' } });
  };
}

const frame = (seq: number, kind = 'item.delta') =>
  `id: ${seq}\nevent: ${kind}\ndata: ${JSON.stringify({ seq, kind, scope: 'session', scopeId: 's', data: {} })}\n\n`;

interface Call {
  lastEventId: string | null;
  auth: string | null;
}

/** A fetch that answers with the scripted responses in turn and records each request. */
function scripted(answers: ((signal: AbortSignal) => Response | Promise<Response>)[]) {
  const calls: Call[] = [];
  const fetchImpl = (async (_url: RequestInfo | URL, init?: RequestInit) => {
    const h = new Headers(init?.headers);
    calls.push({ lastEventId: h.get('Last-Event-ID'), auth: h.get('Authorization') });
    const next = answers.shift();
    if (!next) {
      // No more answers: the request hangs until it is aborted.
      return new Promise<Response>((_, reject) =>
        init!.signal!.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))),
      );
    }
    return next(init!.signal!);
  }) as typeof fetch;
  return { calls, fetchImpl };
}

function harness(answers: Parameters<typeof scripted>[0], opts: { resumeFrom?: number | null; stallMs?: number } = {}) {
  const { calls, fetchImpl } = scripted(answers);
  const seqs: number[] = [];
  const waits: number[] = [];
  const statuses: StreamStatus[] = [];
  const gaps: unknown[] = [];
  const fatal: number[] = [];
  const stream = new EventStream({
    url: '/api/sessions/s/events',
    resumeFrom: opts.resumeFrom === undefined ? 10 : opts.resumeFrom,
    token: () => 'tok',
    fetchImpl,
    random: () => 0.5,
    stallMs: opts.stallMs,
    sleep: async (ms) => {
      waits.push(ms);
    },
    onEvent: (e: StreamedEvent) => seqs.push(e.seq),
    onGap: (g) => gaps.push(g),
    onStatus: (s) => statuses.push(s),
    onFatal: (s) => fatal.push(s),
  });
  return { stream, calls, seqs, waits, statuses, gaps, fatal };
}

const until = async (cond: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('back-off', () => {
  it('doubles from the first delay up to the cap, plus at most the jitter', () => {
    const b = { firstMs: 500, maxMs: 15_000, jitter: 0.25 };
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, b, () => 0))).toEqual([500, 1000, 2000, 4000, 8000, 15000, 15000]);
    expect(backoffDelay(0, b, () => 1)).toBe(625);
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(2, b);
      expect(d).toBeGreaterThanOrEqual(2000);
      expect(d).toBeLessThanOrEqual(2500);
    }
  });
});

describe('event stream', () => {
  it('resumes with Last-Event-ID: the snapshot seq first, then the last id it received', async () => {
    const h = harness([sse([frame(11), frame(12)]), sse([': heartbeat\n\n', frame(13)])]);
    h.stream.start();
    await until(() => h.seqs.length === 3 && h.calls.length === 3);
    h.stream.stop();
    await h.stream.done;
    expect(h.calls.map((c) => c.lastEventId)).toEqual(['10', '12', '13']);
    expect(h.calls[0].auth).toBe('Bearer tok');
    expect(h.seqs).toEqual([11, 12, 13]);
    expect(h.statuses).toContain('live');
    expect(h.statuses[h.statuses.length - 1]).toBe('closed');
  });

  it('a global stream starts without a resume point and resumes after the first event', async () => {
    const h = harness([sse([frame(40)])], { resumeFrom: null });
    h.stream.start();
    await until(() => h.calls.length === 2);
    h.stream.stop();
    expect(h.calls.map((c) => c.lastEventId)).toEqual([null, '40']);
  });

  it('backs off exponentially while the server is unreachable and starts over after a success', async () => {
    const down = () => Promise.reject(new TypeError('Failed to fetch'));
    const h = harness([down, down, down, sse([frame(11)]), down]);
    h.stream.start();
    await until(() => h.calls.length === 6);
    h.stream.stop();
    await h.stream.done;
    // 500, 1000, 2000 (+12.5 % jitter) while down; after a success the doubling starts over.
    expect(h.waits.slice(0, 5)).toEqual([563, 1125, 2250, 563, 1125]);
    expect(h.calls.map((c) => c.lastEventId)).toEqual(['10', '10', '10', '10', '11', '11']);
    expect(h.statuses.filter((s) => s === 'retrying').length).toBeGreaterThanOrEqual(4);
  });

  it('retries server errors and rate limits, but stops for good on 401, 404 and 410', async () => {
    for (const status of [401, 404, 410]) {
      const h = harness([sse([], { status: 503 }), sse([], { status: 429 }), sse([], { status })]);
      h.stream.start();
      await h.stream.done;
      expect(h.fatal).toEqual([status]);
      expect(h.calls).toHaveLength(3);
      expect(h.statuses[h.statuses.length - 1]).toBe('closed');
    }
  });

  it('hands a gap to its owner and moves the resume point past it', async () => {
    const gap = `id: 20\nevent: gap\ndata: {"from":11,"to":20,"action":"refetch_snapshot"}\n\n`;
    const h = harness([sse([gap, frame(21)])]);
    h.stream.start();
    await until(() => h.calls.length === 2);
    h.stream.stop();
    expect(h.gaps).toEqual([{ from: 11, to: 20, action: 'refetch_snapshot' }]);
    expect(h.seqs).toEqual([21]);
    expect(h.calls[1].lastEventId).toBe('21');
  });

  it('reconnects from lastSeq when the server drops a slow consumer', async () => {
    const dropped = `event: dropped\ndata: {"reason":"slow_consumer","lastSeq":12}\n\n`;
    const h = harness([sse([frame(11), frame(12), dropped, frame(99)], { hang: true })]);
    h.stream.start();
    await until(() => h.calls.length === 2);
    h.stream.stop();
    expect(h.seqs).toEqual([11, 12]); // nothing after `dropped` is taken
    expect(h.calls[1].lastEventId).toBe('12');
  });

  it('treats a silent connection as dead and reconnects', async () => {
    const h = harness([sse([frame(11)], { hang: true })], { stallMs: 50 });
    h.stream.start();
    await until(() => h.calls.length === 2);
    h.stream.stop();
    expect(h.calls[1].lastEventId).toBe('11');
  });

  it('stop() ends a live connection at once', async () => {
    let aborted = false;
    const h = harness([
      (signal) => {
        signal.addEventListener('abort', () => (aborted = true));
        return sse([frame(11)], { hang: true })(signal);
      },
    ]);
    h.stream.start();
    await until(() => h.seqs.length === 1);
    h.stream.stop();
    await h.stream.done;
    expect(aborted).toBe(true);
    expect(h.calls).toHaveLength(1);
  });
});

describe('SSE parser', () => {
  it('handles CRLF split across chunks, comments and multi-line data', () => {
    const got: SseMessage[] = [];
    const p = new SseParser((m) => got.push(m));
    for (const chunk of ['id: 1\r', '\nevent: a\r\ndata: x\r', '\ndata: y\r\n\r', '\n: ping\n\nid: 2\ndata: z\n', '\n']) p.push(chunk);
    expect(got).toEqual([
      { id: '1', event: 'a', data: 'x\ny' },
      { id: '2', event: 'message', data: 'z' },
    ]);
  });
});
