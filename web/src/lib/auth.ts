// The access token: taken from the URL fragment `codex-manager up` prints
// (`http://127.0.0.1:PORT/#token=…`; a fragment never reaches the server or its logs), kept in
// sessionStorage for this tab only, and removed from the address bar at once.
const KEY = 'cm.token';

type Listener = (token: string | null, message: string) => void;
const listeners = new Set<Listener>();
let current: string | null = null;

export function onAuthChange(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function getToken(): string | null {
  return current;
}

export function setToken(token: string): void {
  current = token;
  try {
    sessionStorage.setItem(KEY, token);
  } catch {
    // storage disabled: the token lasts as long as the page
  }
  listeners.forEach((fn) => fn(token, ''));
}

export function signOut(message = ''): void {
  current = null;
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    /* nothing stored */
  }
  listeners.forEach((fn) => fn(null, message));
}

/** Reads `#token=…` (moving it into sessionStorage) or the stored token. */
export function takeTokenFromUrl(): string | null {
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.has('token')) {
    const t = (params.get('token') || '').trim();
    params.delete('token');
    replaceHash(params);
    if (t) {
      try {
        sessionStorage.setItem(KEY, t);
      } catch {
        current = t;
      }
      current = t;
      return t;
    }
  }
  try {
    current = sessionStorage.getItem(KEY);
  } catch {
    current = null;
  }
  return current;
}

export function replaceHash(params: URLSearchParams): void {
  const rest = params.toString();
  history.replaceState(history.state, '', location.pathname + location.search + (rest ? `#${rest}` : ''));
}

/** The chat named in the address bar (`#session=…`). */
export function hashSession(): string | null {
  return new URLSearchParams(location.hash.slice(1)).get('session');
}

export function setHashSession(id: string | null): void {
  const params = new URLSearchParams(location.hash.slice(1));
  if (id) params.set('session', id);
  else params.delete('session');
  params.delete('jobs');
  replaceHash(params);
}

/** The Jobs view named in the address bar: `#jobs` (all) or `#jobs=<projectId>`; else `null`. */
export function hashJobs(): { projectId: string | null } | null {
  const v = new URLSearchParams(location.hash.slice(1)).get('jobs');
  return v === null ? null : { projectId: v || null };
}

export function setHashJobs(projectId: string | null): void {
  const params = new URLSearchParams(location.hash.slice(1));
  params.delete('session');
  params.set('jobs', projectId ?? '');
  replaceHash(params);
}
