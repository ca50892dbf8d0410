// One chat's live state: the snapshot, then its event stream from the snapshot's `seq`.
// Mounted per session (the view is keyed by the session id): leaving a chat aborts its fetches
// and stops its stream, and every late answer is checked against `alive` before it is used, so
// responses for a chat already left are ignored.
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { api, ApiError, describe, enc } from '../api/client';
import { EventStream, type StreamStatus } from '../api/stream';
import type { RequestRecord, SessionSnapshot, TurnAccepted } from '../api/types';
import { getToken } from '../lib/auth';
import { chatReducer, initialChat } from '../state/transcript';

export interface Connection {
  status: StreamStatus | 'loading' | 'error';
  attempt: number;
  retryInMs?: number;
}

export function useChat(sessionId: string, toast: (msg: string, error?: boolean) => void) {
  const [state, dispatch] = useReducer(chatReducer, sessionId, initialChat);
  const [conn, setConn] = useState<Connection>({ status: 'loading', attempt: 0 });
  const [loadError, setLoadError] = useState<string | null>(null);
  const [gone, setGone] = useState(false);
  const alive = useRef(true);
  const abort = useRef(new AbortController());
  const [reload, setReload] = useState(0);

  const fetchSnapshot = useCallback(async () => {
    const signal = abort.current.signal;
    const [snapshot, requests] = await Promise.all([
      api<SessionSnapshot>('GET', `/api/sessions/${enc(sessionId)}`, undefined, signal),
      api<RequestRecord[]>('GET', `/api/sessions/${enc(sessionId)}/requests?includeResolved=true`, undefined, signal).catch(
        (e: unknown) => {
          if ((e as Error).name === 'AbortError') throw e;
          return [] as RequestRecord[]; // new requests still arrive on the stream
        },
      ),
    ]);
    return { snapshot, requests };
  }, [sessionId]);

  // Load, then follow.
  useEffect(() => {
    alive.current = true;
    abort.current = new AbortController();
    let stream: EventStream | null = null;
    setLoadError(null);
    setConn({ status: 'loading', attempt: 0 });
    fetchSnapshot()
      .then(({ snapshot, requests }) => {
        if (!alive.current) return;
        dispatch({ type: 'snapshot', snapshot, requests });
        stream = new EventStream({
          url: `/api/sessions/${enc(sessionId)}/events`,
          resumeFrom: snapshot.seq,
          token: getToken,
          onEvent: (event) => alive.current && dispatch({ type: 'event', event }),
          onGap: () => alive.current && dispatch({ type: 'gap' }),
          onStatus: (status, d) => alive.current && setConn({ status, ...d }),
          onFatal: (status) => {
            if (!alive.current) return;
            if (status === 404 || status === 410) setGone(true);
          },
        }).start();
      })
      .catch((e: unknown) => {
        if (!alive.current || (e as Error).name === 'AbortError') return;
        if (e instanceof ApiError && (e.status === 404 || e.status === 410)) setGone(true);
        else if (!(e instanceof ApiError && e.status === 401)) setLoadError(describe(e));
        setConn({ status: 'error', attempt: 0 });
      });
    return () => {
      alive.current = false;
      abort.current.abort();
      stream?.stop();
    };
  }, [sessionId, fetchSnapshot, reload]);

  // A gap: refetch the snapshot; the reducer buffers live events meanwhile.
  useEffect(() => {
    if (!state.refetching) return;
    let cancelled = false;
    const run = async (attempt: number): Promise<void> => {
      try {
        const { snapshot, requests } = await fetchSnapshot();
        if (!cancelled && alive.current) dispatch({ type: 'snapshot', snapshot, requests });
      } catch (e) {
        if (cancelled || !alive.current || (e as Error).name === 'AbortError') return;
        await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** attempt, 10_000)));
        if (!cancelled) return run(attempt + 1);
      }
    };
    void run(0);
    return () => {
      cancelled = true;
    };
  }, [state.refetching, fetchSnapshot]);

  useEffect(() => {
    if (state.deleted) setGone(true);
  }, [state.deleted]);

  const send = useCallback(
    async (text: string) => {
      const clientId = `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
      dispatch({ type: 'send', clientId, text });
      try {
        const acc = await api<TurnAccepted>('POST', `/api/sessions/${enc(sessionId)}/messages`, { text });
        if (alive.current) dispatch({ type: 'sent', clientId, turnId: acc.turnId });
        return true;
      } catch (e) {
        if (alive.current) dispatch({ type: 'sendFailed', clientId, error: describe(e) });
        return false;
      }
    },
    [sessionId],
  );

  const decide = useCallback(
    async (requestId: string, body: unknown) => {
      try {
        const record = await api<RequestRecord>('POST', `/api/sessions/${enc(sessionId)}/requests/${enc(requestId)}/decision`, body);
        if (alive.current) dispatch({ type: 'requestDecided', record });
        return null;
      } catch (e) {
        if (!alive.current) return null;
        if (e instanceof ApiError && e.status === 409) return `Already decided elsewhere (${e.message}).`;
        toast(`Could not decide: ${describe(e)}`, true);
        return describe(e);
      }
    },
    [sessionId, toast],
  );

  const retryLoad = useCallback(() => setReload((n) => n + 1), []);
  const dismissSend = useCallback((clientId: string) => dispatch({ type: 'dismissSend', clientId }), []);

  return { state, conn, loadError, gone, send, decide, retryLoad, dismissSend, alive };
}
