// The sidebar's data: projects (with their session counts) and sessions, kept fresh by the
// global event stream (`/api/events` filtered to lifecycle and turn events). The same stream
// drives browser notifications: a turn that ends or asks for approval while the tab is hidden.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, onReachability } from '../api/client';
import { EventStream, type StreamStatus } from '../api/stream';
import type { ProjectInfo, ProjectList, SessionInfo, SessionPage } from '../api/types';
import { getToken } from '../lib/auth';
import { notifyFor } from '../lib/notify';

const KINDS = [
  'session.created',
  'session.updated',
  'session.deleted',
  'project.updated',
  'project.deleted',
  'turn.started',
  'turn.completed',
  'request.opened',
].join(',');

export interface Directory {
  sessions: SessionInfo[];
  projects: ProjectInfo[];
  loaded: boolean;
  conn: StreamStatus;
  reachable: boolean;
  showArchived: boolean;
  setShowArchived: (v: boolean) => void;
  refresh: () => void;
  upsertSession: (s: SessionInfo) => void;
  removeSession: (id: string) => void;
}

export function useDirectory(): Directory {
  const [sessions, setSessions] = useState<SessionInfo[]>([]);
  const [projects, setProjects] = useState<ProjectInfo[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [conn, setConn] = useState<StreamStatus>('connecting');
  const [reachable, setReachable] = useState(true);
  const [showArchived, setShowArchived] = useState(false);
  const gen = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const sessionsRef = useRef(sessions);
  sessionsRef.current = sessions;

  const load = useCallback(async () => {
    const mine = ++gen.current;
    try {
      const [page, plist] = await Promise.all([
        api<SessionPage>('GET', `/api/sessions?limit=200&archived=${showArchived ? 'all' : 'false'}`),
        api<ProjectList>('GET', '/api/projects'),
      ]);
      if (mine !== gen.current) return; // a newer load is under way
      setSessions([...page.sessions].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)));
      setProjects([...plist.projects].sort((a, b) => a.name.localeCompare(b.name)));
      setLoaded(true);
    } catch {
      // shown by the connection indicator; the next event or reconnect loads again
    }
  }, [showArchived]);

  // Many events in a burst (a turn's start and end) cause one reload.
  const refresh = useCallback(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => void load(), 150);
  }, [load]);

  useEffect(() => {
    void load();
  }, [load]);

  useEffect(() => onReachability(setReachable), []);

  useEffect(() => {
    const stream = new EventStream({
      url: `/api/events?kind=${encodeURIComponent(KINDS)}`,
      resumeFrom: null,
      token: getToken,
      onEvent: (ev) => {
        const title = sessionsRef.current.find((s) => s.id === ev.scopeId)?.title ?? null;
        notifyFor(ev, title);
        refresh();
      },
      onStatus: (s) => {
        setConn(s);
        if (s === 'live') refresh(); // catch up on whatever happened while disconnected
      },
    }).start();
    return () => stream.stop();
  }, [refresh]);

  const upsertSession = useCallback((s: SessionInfo) => {
    setSessions((list) => [s, ...list.filter((x) => x.id !== s.id)]);
  }, []);
  const removeSession = useCallback((id: string) => setSessions((list) => list.filter((x) => x.id !== id)), []);

  return { sessions, projects, loaded, conn, reachable, showArchived, setShowArchived, refresh, upsertSession, removeSession };
}
