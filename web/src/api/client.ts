// The HTTP client: every call carries the bearer token from the auth store; decisions and other
// writes are marked `X-CM-Actor: web` so the API records who decided. The token is never put in
// a URL and never logged.
import type { ErrorBody } from './types';
import { getToken, signOut } from '../lib/auth';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string | null;
  readonly details: unknown;
  constructor(status: number, body: ErrorBody | null, message: string) {
    super(message);
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

export async function api<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-CM-Actor'] = 'web';
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
  const text = await res.text();
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
    throw new ApiError(res.status, err, err?.error?.message || `${res.status} ${res.statusText}`);
  }
  return json as T;
}

/** A short, human message for a failed call. */
export function describe(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
