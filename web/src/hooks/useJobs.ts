// The Jobs view's data: `GET /api/jobs` (filtered, newest first, more pages through the cursor),
// kept live by the job events of `GET /api/events?scope=job` (the same EventStream as the chats:
// Last-Event-ID on every reconnect) and the answers of our own cancels, all reduced by
// `state/jobs.ts`. After every (re)connect and on a `gap` the first page is loaded again and
// merged, so whatever happened while disconnected shows up once.
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { api, describe, enc } from '../api/client';
import { EventStream, type StreamStatus } from '../api/stream';
import type { JobInfo, JobPage, JobState } from '../api/types';
import { getToken } from '../lib/auth';
import { initialJobs, JOB_EVENT_KINDS, jobsReducer, type JobFilter } from '../state/jobs';

const PAGE = 50;

function listUrl(f: JobFilter, cursor?: string | null): string {
  const q = new URLSearchParams({ limit: String(PAGE) });
  if (f.state) q.set('state', f.state);
  if (f.projectId) q.set('projectId', f.projectId);
  if (cursor) q.set('cursor', cursor);
  return `/api/jobs?${q}`;
}

export function useJobs(projectId: string | null, state: JobState | null) {
  const [s, dispatch] = useReducer(jobsReducer, { state, projectId }, initialJobs);
  const [conn, setConn] = useState<StreamStatus>('connecting');
  const [error, setError] = useState('');
  const [loadingMore, setLoadingMore] = useState(false);
  const [pending, setPending] = useState<Record<string, boolean>>({});
  const filter = useRef<JobFilter>({ state, projectId });
  const gen = useRef(0);

  const loadFirst = useCallback(async () => {
    const f = filter.current;
    const mine = gen.current;
    try {
      const page = await api<JobPage>('GET', listUrl(f));
      if (mine !== gen.current) return; // the filter changed meanwhile
      dispatch({ type: 'page', page, first: true });
      setError('');
    } catch (e) {
      if (mine === gen.current) setError(describe(e));
    }
  }, []);

  useEffect(() => {
    filter.current = { state, projectId };
    gen.current += 1;
    dispatch({ type: 'reset', filter: { state, projectId } });
    void loadFirst();
  }, [state, projectId, loadFirst]);

  useEffect(() => {
    const stream = new EventStream({
      url: `/api/events?scope=job&kind=${enc(JOB_EVENT_KINDS.join(','))}`,
      resumeFrom: null,
      token: getToken,
      onEvent: (event) => dispatch({ type: 'event', event }),
      onGap: () => void loadFirst(),
      onStatus: (st) => {
        setConn(st);
        if (st === 'live') void loadFirst(); // catch up on what happened while not connected
      },
    }).start();
    return () => stream.stop();
  }, [loadFirst]);

  const loadMore = useCallback(async () => {
    if (!s.nextCursor || loadingMore) return;
    const mine = gen.current;
    setLoadingMore(true);
    try {
      const page = await api<JobPage>('GET', listUrl(filter.current, s.nextCursor));
      if (mine === gen.current) dispatch({ type: 'page', page, first: false });
    } catch (e) {
      if (mine === gen.current) setError(describe(e));
    } finally {
      setLoadingMore(false);
    }
  }, [s.nextCursor, loadingMore]);

  const cancel = useCallback(async (id: string): Promise<string | null> => {
    setPending((p) => ({ ...p, [id]: true }));
    try {
      const job = await api<JobInfo>('POST', `/api/jobs/${enc(id)}/cancel`);
      dispatch({ type: 'job', job });
      return null;
    } catch (e) {
      return describe(e);
    } finally {
      setPending((p) => {
        const { [id]: _, ...rest } = p;
        return rest;
      });
    }
  }, []);

  return { ...s, conn, error, loadingMore, pending, loadMore, cancel, reload: loadFirst };
}
