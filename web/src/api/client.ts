// The HTTP client: every call carries the bearer token from the auth store; decisions and other
// writes are marked `X-CM-Actor: web` so the API records who decided; every POST carries an
// Idempotency-Key, kept across the client's own retries. The token is never put in a URL and
// never logged.
import type { ErrorBody } from './types';
import { getToken, signOut } from '../lib/auth';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string | null;
  readonly details: unknown;
  /** The answer's `Retry-After`, in milliseconds. */
  readonly retryAfterMs: number | null;
  constructor(status: number, body: ErrorBody | null, message: string, retryAfterMs: number | null = null) {
    super(message);
    this.retryAfterMs = retryAfterMs;
    this.name = 'ApiError';
    this.status = status;
    this.code = body?.error?.code ?? null;
    this.details = body?.error?.details ?? null;
  }
}

type Listener = (up: boolean) => void;
const reachability = new Set<Listener>();
/** Follows whether the API answered the last call (for the connection indicator). */
export function onReachability(fn: Listener): () => void {
  reachability.add(fn);
  return () => reachability.delete(fn);
}
const setReachable = (up: boolean) => reachability.forEach((fn) => fn(up));

export const enc = encodeURIComponent;

/** Attempts after the first for a call the API answered "not now" (see `retryable`). */
export const RETRIES = 3;
const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 4000;
const MAX_RETRY_AFTER_MS = 30_000;

/**
 * Sends one call, repeating it while the answer says "not now": no connection (the gateway
 * restarting), 503 (a dependency did not answer, as a rule before anything ran), 429, or 409 with `details.inProgress`
 * (an earlier attempt with the same key still runs). Every attempt of a POST carries the same
 * `Idempotency-Key`, so when only the answer of a first attempt was lost, the next one gets it
 * replayed and the message is sent once. A 500 or 504 may have run and is not repeated.
 */
export async function api<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const key = method === 'POST' ? idempotencyKey() : undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      return await once<T>(method, path, body, signal, key);
    } catch (e) {
      if (attempt >= RETRIES || !retryable(e)) throw e;
      await pause(delayMs(attempt, (e as ApiError).retryAfterMs), signal);
    }
  }
}

/** Whether a failed call is worth repeating. */
export function retryable(e: unknown): boolean {
  if (!(e instanceof ApiError)) return false;
  if (e.status === 0 || e.status === 503 || e.status === 429) return true;
  const details = e.details as { inProgress?: boolean } | null;
  return e.status === 409 && details?.inProgress === true;
}

/** Doubling from FIRST_DELAY_MS with jitter, capped; longer when the server said so. */
export function delayMs(attempt: number, retryAfterMs: number | null): number {
  const backoff = Math.min(FIRST_DELAY_MS * 2 ** attempt, MAX_DELAY_MS);
  const jittered = backoff / 2 + Math.random() * (backoff / 2);
  return Math.max(jittered, Math.min(retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
}

/** `web-` and 128 random bits: getRandomValues works where randomUUID does not (plain http). */
function idempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `web-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** Waits `ms`, or rejects as soon as `signal` aborts (a chat left while retrying). */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const abort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', abort, { once: true });
  });
}

async function once<T>(method: string, path: string, body: unknown, signal: AbortSignal | undefined, key: string | undefined): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-CM-Actor'] = 'web';
  if (key) headers['Idempotency-Key'] = key;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      signal,
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    setReachable(false);
    throw new ApiError(0, null, 'Cannot reach Codex Manager. Is it still running?');
  }
  setReachable(true);
  let text: string;
  try {
    text = await res.text();
  } catch (e) {
    // The connection broke mid-answer: as unreachable, so the call is repeated.
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, null, 'The answer from Codex Manager was cut off.');
  }
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (res.status === 401) {
    signOut('That token was not accepted. Paste the current one.');
    throw new ApiError(401, json as ErrorBody, 'unauthorized');
  }
  if (!res.ok) {
    const err = json as ErrorBody | null;
    const after = Number(res.headers.get('Retry-After'));
    const retryAfterMs = Number.isFinite(after) && after > 0 ? after * 1000 : null;
    throw new ApiError(res.status, err, err?.error?.message || `${res.status} ${res.statusText}`, retryAfterMs);
  }
  return json as T;
}

/** A short, human message for a failed call. */
export function describe(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
