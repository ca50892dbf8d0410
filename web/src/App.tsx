// The application shell: sign-in, the sidebar and the open chat (selected by `#session=…` in the
// address bar, so a reload or a shared link comes back to it).
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, describe, enc } from './api/client';
import type { ProjectInfo, SessionInfo } from './api/types';
import { ChatView } from './components/ChatView';
import { Composer } from './components/Composer';
import { DialogProvider, useDialog } from './components/Dialog';
import { JobsView } from './components/JobsView';
import { Sidebar, type SidebarActions } from './components/Sidebar';
import { Logo } from './components/Logo';
import { SignIn } from './components/SignIn';
import { useDirectory } from './hooks/useDirectory';
import { getToken, hashJobs, hashSession, onAuthChange, setHashJobs, setHashSession, setToken, signOut, takeTokenFromUrl } from './lib/auth';
import { sessionTitle } from './lib/format';

interface Toast {
  id: number;
  text: string;
  error: boolean;
}

export function App() {
  const [token, setTok] = useState<string | null>(() => takeTokenFromUrl());
  const [signInError, setSignInError] = useState('');
  const [verified, setVerified] = useState(false);

  useEffect(
    () =>
      onAuthChange((t, msg) => {
        setTok(t);
        setVerified(false);
        setSignInError(msg);
      }),
    [],
  );

  // A token from the URL (or storage) is checked once before the app shows.
  useEffect(() => {
    if (!token || verified) return;
    let alive = true;
    api('GET', '/api/sessions?limit=1')
      .then(() => alive && setVerified(true))
      .catch((e) => {
        if (!alive) return;
        if (getToken()) setSignInError(describe(e));
      });
    return () => {
      alive = false;
    };
  }, [token, verified]);

  // `#token=…` pasted into the address bar of an open tab.
  useEffect(() => {
    const onHash = () => {
      if (new URLSearchParams(location.hash.slice(1)).has('token')) {
        const t = takeTokenFromUrl();
        if (t) setToken(t);
      }
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  if (!token || !verified) {
    return (
      <SignIn
        error={signInError}
        checking={!!token && !signInError}
        onSubmit={(t) => {
          setSignInError('');
          setToken(t);
        }}
      />
    );
  }
  return (
    <DialogProvider>
      <Shell />
    </DialogProvider>
  );
}

function Shell() {
  const [current, setCurrent] = useState<string | null>(() => hashSession());
  // The Jobs view (all jobs, or one project's) instead of a chat.
  const [jobs, setJobs] = useState<{ projectId: string | null } | null>(() => (hashSession() ? null : hashJobs()));
  const [navOpen, setNavOpen] = useState(false);
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [firstMessage, setFirstMessage] = useState<{ id: string; text: string } | null>(null);
  const [runningId, setRunningId] = useState<string | null>(null);
  const dir = useDirectory();
  const ask = useDialog();
  const toastId = useRef(0);

  const toast = useCallback((text: string, error = false) => {
    const id = ++toastId.current;
    setToasts((t) => [...t.slice(-3), { id, text, error }]);
    setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), error ? 6000 : 3000);
  }, []);

  const select = useCallback((id: string | null) => {
    setCurrent(id);
    setJobs(null);
    setHashSession(id);
    setNavOpen(false);
  }, []);

  const openJobs = useCallback((projectId: string | null) => {
    setCurrent(null);
    setJobs({ projectId });
    setHashJobs(projectId);
    setNavOpen(false);
  }, []);

  useEffect(() => {
    const onHash = () => {
      const id = hashSession();
      if (id) setJobs(null);
      else {
        const j = hashJobs();
        if (j) {
          setCurrent(null);
          setJobs((o) => (o && o.projectId === j.projectId ? o : j));
        }
      }
      setCurrent((c) => (id && id !== c ? id : c));
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const createChat = useCallback(
    async (projectId?: string) => {
      try {
        const s = await api<SessionInfo>('POST', '/api/sessions', projectId ? { projectId } : {});
        dir.upsertSession(s);
        dir.refresh();
        return s;
      } catch (e) {
        toast(`Could not start a chat: ${describe(e)}`, true);
        return null;
      }
    },
    [dir, toast],
  );

  const projectOptions = useCallback(
    (except?: string | null) => [
      { value: '', label: 'No project' },
      ...dir.projects.filter((p) => p.id !== except).map((p) => ({ value: p.id, label: p.name })),
    ],
    [dir.projects],
  );

  const run = useCallback(
    async (label: string, fn: () => Promise<unknown>, ok?: string) => {
      try {
        await fn();
        if (ok) toast(ok);
      } catch (e) {
        toast(`${label}: ${describe(e)}`, true);
      } finally {
        dir.refresh();
      }
    },
    [dir, toast],
  );

  const actions: SidebarActions = useMemo(
    () => ({
      select: (id) => select(id),
      jobs: (projectId) => openJobs(projectId ?? null),
      newChat: async (projectId) => {
        if (!projectId) {
          // A chat is created when its first message is sent (no empty chats piling up).
          select(null);
          return;
        }
        const s = await createChat(projectId);
        if (s) select(s.id);
      },
      rename: async (s) => {
        const title = await ask({ kind: 'prompt', title: 'Rename chat', label: 'Title', value: s.title ?? '', confirm: 'Rename' });
        if (title === null) return;
        await run('Rename failed', async () => dir.upsertSession(await api<SessionInfo>('PATCH', `/api/sessions/${enc(s.id)}`, { title: title.trim() })));
      },
      move: async (s) => {
        const to = await ask({
          kind: 'choose',
          title: 'Move chat',
          label: `Move “${sessionTitle(s)}” to`,
          options: projectOptions(),
          value: s.projectId ?? '',
          confirm: 'Move',
        });
        if (to === null) return;
        await run(
          'Move failed',
          async () => dir.upsertSession(await api<SessionInfo>('PATCH', `/api/sessions/${enc(s.id)}`, { projectId: to || null })),
        );
      },
      archive: (s) => void run('Archive failed', () => api('POST', `/api/sessions/${enc(s.id)}/archive`), 'Chat archived.'),
      unarchive: (s) => void run('Restore failed', () => api('POST', `/api/sessions/${enc(s.id)}/unarchive`), 'Chat restored.'),
      remove: async (s) => {
        const ok = await ask({
          kind: 'confirm',
          title: 'Delete chat',
          message: `Delete “${sessionTitle(s)}” and its whole history? This cannot be undone.`,
          confirm: 'Delete',
          danger: true,
        });
        if (!ok) return;
        await run('Delete failed', async () => {
          await api('DELETE', `/api/sessions/${enc(s.id)}`);
          dir.removeSession(s.id);
          if (s.id === current) select(null);
        });
      },
      newProject: async () => {
        const name = await ask({ kind: 'prompt', title: 'New project', label: 'Name', value: '', confirm: 'Create' });
        if (!name) return;
        const cwd = await ask({
          kind: 'prompt',
          title: 'Working directory',
          label: 'New chats of this project start in (optional)',
          value: '',
          placeholder: '/path/to/repo',
          confirm: 'Save',
          allowEmpty: true,
        });
        await run('Could not create the project', () => api<ProjectInfo>('POST', '/api/projects', { name: name.trim(), ...(cwd?.trim() ? { cwd: cwd.trim() } : {}) }));
      },
      projectCwd: async (p) => {
        const cwd = await ask({
          kind: 'prompt',
          title: 'Working directory',
          label: `New chats of “${p.name}” start in (empty: the default)`,
          value: p.cwd ?? '',
          placeholder: '/path/to/repo',
          confirm: 'Save',
          allowEmpty: true,
        });
        if (cwd === null) return;
        await run('Could not change it', () => api('PATCH', `/api/projects/${enc(p.id)}`, { cwd: cwd.trim() || null }), 'Working directory saved.');
      },
      renameProject: async (p) => {
        const name = await ask({ kind: 'prompt', title: 'Rename project', label: 'Name', value: p.name, confirm: 'Rename' });
        if (!name) return;
        await run('Rename failed', () => api('PATCH', `/api/projects/${enc(p.id)}`, { name: name.trim() }));
      },
      deleteProject: async (p) => {
        const n = p.sessions.total;
        const ok = await ask({
          kind: 'confirm',
          title: 'Delete project',
          message: n
            ? `“${p.name}” has ${n} chat${n === 1 ? '' : 's'}. They move to “Chats” (no project); then the project is deleted.`
            : `Delete the project “${p.name}”?`,
          confirm: 'Delete project',
          danger: true,
        });
        if (!ok) return;
        await run('Delete failed', async () => {
          if (n) await api('POST', `/api/projects/${enc(p.id)}/sessions/move`, { toProjectId: null });
          await api('DELETE', `/api/projects/${enc(p.id)}`);
        });
      },
      signOut: () => signOut(''),
    }),
    [ask, createChat, current, dir, openJobs, projectOptions, run, select],
  );

  // Shortcuts: Alt+N new chat, Alt+↑/↓ previous/next chat.
  useEffect(() => {
    const key = (e: KeyboardEvent) => {
      if (!e.altKey || e.ctrlKey || e.metaKey) return;
      if (e.key === 'n' || e.key === 'N') {
        e.preventDefault();
        select(null);
      } else if (e.key === 'ArrowUp' || e.key === 'ArrowDown') {
        const ids = dir.sessions.map((s) => s.id);
        const i = current ? ids.indexOf(current) : -1;
        const j = e.key === 'ArrowUp' ? i - 1 : i + 1;
        if (ids[j]) {
          e.preventDefault();
          select(ids[j]);
        }
      }
    };
    document.addEventListener('keydown', key);
    return () => document.removeEventListener('keydown', key);
  }, [current, dir.sessions, select]);

  const onRunning = useCallback((id: string, running: boolean) => {
    setRunningId((r) => (running ? id : r === id ? null : r));
  }, []);
  const onGone = useCallback(
    (id: string) => {
      dir.removeSession(id);
      toast('That chat does not exist any more.', true);
      setCurrent((c) => (c === id ? null : c));
      if (hashSession() === id) setHashSession(null);
    },
    [dir, toast],
  );

  const known = dir.sessions.find((s) => s.id === current) ?? null;

  return (
    <div className={`app${navOpen ? ' nav-open' : ''}`} id="app">
      <Sidebar dir={dir} currentId={current} jobsOpen={jobs && !jobs.projectId ? true : false} runningId={runningId} a={actions} />
      <div className="scrim" id="scrim" onClick={() => setNavOpen(false)} />
      {jobs ? (
        <JobsView
          key={jobs.projectId ?? ''}
          projectId={jobs.projectId}
          projectName={jobs.projectId ? (dir.projects.find((p) => p.id === jobs.projectId)?.name ?? 'Project') : null}
          onOpenNav={() => setNavOpen(true)}
          toast={toast}
        />
      ) : current ? (
        <ChatView
          key={current}
          sessionId={current}
          known={known}
          firstMessage={firstMessage && firstMessage.id === current ? firstMessage.text : null}
          onFirstMessageTaken={() => setFirstMessage(null)}
          onOpenNav={() => setNavOpen(true)}
          onSelect={select}
          onGone={onGone}
          onRunning={onRunning}
          onSessionChanged={dir.upsertSession}
          toast={toast}
        />
      ) : (
        <main className="chat">
          <header className="chat-head">
            <button type="button" className="icon-btn menu-btn" id="menu" aria-label="Chats" onClick={() => setNavOpen(true)}>
              <span className="burger" aria-hidden="true" />
            </button>
            <div className="title-block">
              <h1 id="title">New chat</h1>
            </div>
            <span className="pill" id="state" data-state="idle">
              idle
            </span>
          </header>
          <div className="chat-body">
            <div className="chat-main">
              <div className="transcript">
                <div className="empty hero" id="empty">
                  <Logo big />
                  <h2>What should Codex do?</h2>
                  <p className="muted">Ask a question or describe a change. A new chat starts with your first message.</p>
                </div>
              </div>
              <Composer
                running={false}
                autoFocus
                onSend={async (text) => {
                  const s = await createChat();
                  if (!s) return false;
                  setFirstMessage({ id: s.id, text });
                  select(s.id);
                  return true;
                }}
              />
            </div>
          </div>
        </main>
      )}
      <div className="toasts" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className={`toast${t.error ? ' error' : ''}`} id="toast">
            {t.text}
          </div>
        ))}
      </div>
    </div>
  );
}
