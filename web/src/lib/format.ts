// Small formatting helpers shared by the views.

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

export function ago(iso: string | null | undefined, now = Date.now()): string {
  const t = iso ? Date.parse(iso) : NaN;
  if (!Number.isFinite(t)) return '';
  const s = Math.max(0, (now - t) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(t).toLocaleDateString();
}

export function compactNumber(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** A provider's JSON error body (`{"error": {"message": …}}`) shown as its message. */
export function readable(msg: unknown): string {
  if (msg && typeof msg === 'object') {
    const o = msg as { message?: unknown; error?: { message?: unknown } };
    if (typeof o.message === 'string') return readable(o.message);
    if (o.error && typeof o.error.message === 'string') return o.error.message;
    return JSON.stringify(msg);
  }
  const s = String(msg ?? '');
  try {
    const v = JSON.parse(s) as { error?: { message?: string }; message?: string };
    const inner = v?.error?.message ?? v?.message;
    if (typeof inner === 'string' && inner) return inner;
  } catch {
    /* not JSON */
  }
  return s;
}

export function sessionTitle(s: { title?: string | null } | null | undefined): string {
  return s?.title?.trim() || 'New chat';
}
