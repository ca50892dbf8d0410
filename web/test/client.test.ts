// The HTTP client's retries: what says "not now" is repeated with the same Idempotency-Key;
// what may have run is not. `fetch` is replaced by a script of answers (fault injection).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, delayMs, RETRIES } from '../src/api/client';

type Step = { status: number; body?: unknown; headers?: Record<string, string> } | 'offline';

/** Replaces fetch with `steps`, in order; returns the requests it saw. */
function script(steps: Step[]): { method: string; key: string | null }[] {
  const seen: { method: string; key: string | null }[] = [];
  vi.stubGlobal('fetch', async (_path: string, init: RequestInit) => {
    const headers = init.headers as Record<string, string>;
    seen.push({ method: String(init.method), key: headers['Idempotency-Key'] ?? null });
    const step = steps.shift();
    if (!step) throw new Error('no more scripted answers');
    if (step === 'offline') throw new TypeError('Failed to fetch');
    return new Response(step.body === undefined ? null : JSON.stringify(step.body), {
      status: step.status,
      headers: step.headers,
    });
  });
  return seen;
}

const err = (code: string, details: unknown = {}) => ({ error: { code, message: code, details } });

/** Runs `call` to its end, letting the retry pauses pass at once. */
async function settle<T>(call: Promise<T>): Promise<T> {
  const done = call.then(
    (v) => ({ v }),
    (e: unknown) => ({ e }),
  );
  await vi.runAllTimersAsync();
  const r = await done;
  if ('e' in r) throw r.e;
  return r.v;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('api retries', () => {
  it('repeats a POST through no connection, 503 and 409 in progress with one key', async () => {
    const seen = script([
      'offline',
      { status: 503, body: err('unavailable', { dependency: 'session' }) },
      { status: 409, body: err('conflict', { inProgress: true }) },
      { status: 202, body: { turnId: 't1' } },
    ]);
    const got = await settle(api<{ turnId: string }>('POST', '/api/sessions/s/messages', { text: 'hi' }));
    expect(got.turnId).toBe('t1');
    expect(seen).toHaveLength(4);
    expect(seen[0].key).toMatch(/^web-[0-9a-f]{32}$/);
    expect(new Set(seen.map((s) => s.key)).size).toBe(1);
  });

  it('gives each POST its own key, and a GET none', async () => {
    const seen = script([
      { status: 201, body: {} },
      { status: 201, body: {} },
      { status: 429, body: err('rate_limited') },
      { status: 200, body: [] },
    ]);
    await settle(api('POST', '/api/projects', { name: 'a' }));
    await settle(api('POST', '/api/projects', { name: 'b' }));
    await settle(api('GET', '/api/projects'));
    expect(seen[0].key).not.toBe(seen[1].key);
    expect(seen.slice(2)).toEqual([
      { method: 'GET', key: null },
      { method: 'GET', key: null },
    ]);
  });

  it('does not repeat what may have run, or a final conflict', async () => {
    for (const [status, code] of [
      [504, 'timeout'],
      [500, 'internal'],
      [409, 'conflict'],
    ] as const) {
      const seen = script([{ status, body: err(code) }, { status: 200, body: {} }]);
      const failed = settle(api('POST', '/api/projects', { name: 'x' }));
      await expect(failed).rejects.toMatchObject({ status, code });
      expect(seen).toHaveLength(1);
    }
  });

  it('gives up after the last retry with the last answer', async () => {
    const busy = { status: 503, body: err('unavailable') };
    const seen = script(Array.from({ length: RETRIES + 1 }, () => busy));
    const failed = settle(api('POST', '/api/sessions', {}));
    await expect(failed).rejects.toBeInstanceOf(ApiError);
    await expect(failed).rejects.toMatchObject({ status: 503, code: 'unavailable' });
    expect(seen).toHaveLength(RETRIES + 1);
  });

  it('stops retrying when the call is aborted during a pause', async () => {
    const seen = script([{ status: 503, body: err('unavailable') }, { status: 200, body: {} }]);
    const ctl = new AbortController();
    const call = api('GET', '/api/sessions', undefined, ctl.signal);
    const outcome = call.then(
      () => 'resolved',
      (e: unknown) => (e as Error).name,
    );
    await vi.advanceTimersByTimeAsync(0);
    ctl.abort();
    await vi.runAllTimersAsync();
    expect(await outcome).toBe('AbortError');
    expect(seen).toHaveLength(1);
  });

  it('waits at least what Retry-After says, within reason', () => {
    for (let attempt = 0; attempt < 6; attempt++) {
      const d = delayMs(attempt, null);
      expect(d).toBeGreaterThan(0);
      expect(d).toBeLessThanOrEqual(4000);
    }
    expect(delayMs(0, 3000)).toBe(3000);
    expect(delayMs(0, 3_600_000)).toBe(30_000);
  });
});
