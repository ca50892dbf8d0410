// The sidebar: new chat, the projects tree (each with its session count and menu), chats without
// a project, the archived toggle, and the connection status.
import { useState } from 'react';
import type { ProjectInfo, SessionInfo } from '../api/types';
import type { Directory } from '../hooks/useDirectory';
import { ago, sessionTitle } from '../lib/format';
import { Logo } from './Logo';
import { Menu } from './Menu';

export interface SidebarActions {
  select: (id: string) => void;
  /** Opens the Jobs view: all jobs, or one project's. */
  jobs: (projectId?: string) => void;
  newChat: (projectId?: string) => void;
  rename: (s: SessionInfo) => void;
  move: (s: SessionInfo) => void;
  archive: (s: SessionInfo) => void;
  unarchive: (s: SessionInfo) => void;
  remove: (s: SessionInfo) => void;
  newProject: () => void;
  projectCwd: (p: ProjectInfo) => void;
  renameProject: (p: ProjectInfo) => void;
  deleteProject: (p: ProjectInfo) => void;
  signOut: () => void;
}

function SessionRow({ s, current, running, a }: { s: SessionInfo; current: boolean; running: boolean; a: SidebarActions }) {
  return (
    <li className={`session-row${current ? ' current' : ''}${s.archived ? ' archived' : ''}`}>
      <button
        type="button"
        className={`session${current ? ' current' : ''}`}
        data-id={s.id}
        aria-current={current ? 'true' : undefined}
        onClick={() => a.select(s.id)}
      >
        <span className="session-title">{sessionTitle(s)}</span>
        <span className="session-meta">
          {running && <span className="running-dot" title="A turn is running" />}
          {s.archived && <span className="tag">archived</span>}
          {ago(s.updatedAt)}
        </span>
      </button>
      <Menu
        label="Chat actions"
        className="row-menu"
        items={[
          { label: 'Rename…', onSelect: () => a.rename(s), id: 'rename' },
          { label: 'Move to project…', onSelect: () => a.move(s), id: 'move' },
          s.archived
            ? { label: 'Restore', onSelect: () => a.unarchive(s), id: 'unarchive' }
            : { label: 'Archive', onSelect: () => a.archive(s), id: 'archive' },
          { label: 'Delete…', onSelect: () => a.remove(s), danger: true, id: 'delete' },
        ]}
      />
    </li>
  );
}

const CONN_LABEL: Record<string, string> = {
  connecting: 'Connecting…',
  live: 'Connected',
  retrying: 'Reconnecting…',
  closed: 'Disconnected',
};

export function Sidebar({
  dir,
  currentId,
  jobsOpen = false,
  runningId,
  a,
}: {
  dir: Directory;
  currentId: string | null;
  jobsOpen?: boolean;
  runningId: string | null;
  a: SidebarActions;
}) {
  const [collapsed, setCollapsed] = useState<Record<string, boolean>>({});
  const byProject = new Map<string, SessionInfo[]>();
  const unassigned: SessionInfo[] = [];
  const known = new Set(dir.projects.map((p) => p.id));
  for (const s of dir.sessions) {
    if (s.projectId && known.has(s.projectId)) byProject.set(s.projectId, [...(byProject.get(s.projectId) ?? []), s]);
    else unassigned.push(s);
  }
  const isRunning = (s: SessionInfo) => (s.id === runningId ? true : s.id === currentId ? false : s.status === 'active');
  const conn = !dir.reachable ? 'closed' : dir.conn;
  return (
    <aside className="sidebar" id="sidebar">
      <div className="brand">
        <Logo />
        <span>Codex Manager</span>
      </div>
      <button type="button" className="btn primary new-chat" id="new-chat" onClick={() => a.newChat()}>
        <span className="plus" aria-hidden="true" /> New chat
      </button>
      <nav className="tree" aria-label="Chats">
        <button
          type="button"
          className={`nav-link${jobsOpen ? ' current' : ''}`}
          id="nav-jobs"
          aria-current={jobsOpen ? 'page' : undefined}
          onClick={() => a.jobs()}
        >
          <span className="jobs-glyph" aria-hidden="true" /> Jobs
        </button>
        <div className="section-head">
          <span>Projects</span>
          <button type="button" className="icon-btn small" title="New project" aria-label="New project" id="new-project" onClick={a.newProject}>
            <span className="plus" aria-hidden="true" />
          </button>
        </div>
        {dir.projects.length === 0 && <p className="muted small pad">No projects yet.</p>}
        <ul className="projects">
          {dir.projects.map((p) => {
            const list = byProject.get(p.id) ?? [];
            const open = !collapsed[p.id];
            return (
              <li key={p.id} className="project" data-project-id={p.id}>
                <div className="project-head">
                  <button
                    type="button"
                    className="project-toggle"
                    aria-expanded={open}
                    onClick={() => setCollapsed((c) => ({ ...c, [p.id]: open }))}
                    title={p.cwd ? `Working directory: ${p.cwd}` : 'No working directory'}
                  >
                    <span className={`chev${open ? ' open' : ''}`} aria-hidden="true" />
                    <span className="folder" aria-hidden="true" />
                    <span className="project-name">{p.name}</span>
                    <span className="count" title={`${p.sessions.active} chats, ${p.sessions.archived} archived`}>
                      {dir.showArchived ? p.sessions.total : p.sessions.active}
                    </span>
                  </button>
                  <Menu
                    label="Project actions"
                    className="row-menu"
                    items={[
                      { label: 'New chat here', onSelect: () => a.newChat(p.id), id: 'project-new-chat' },
                      { label: 'Jobs', onSelect: () => a.jobs(p.id), id: 'project-jobs' },
                      { label: 'Working directory…', onSelect: () => a.projectCwd(p), id: 'project-cwd' },
                      { label: 'Rename…', onSelect: () => a.renameProject(p), id: 'project-rename' },
                      { label: 'Delete project…', onSelect: () => a.deleteProject(p), danger: true, id: 'project-delete' },
                    ]}
                  />
                </div>
                {open && (
                  <ul className="sessions">
                    {list.length === 0 && <li className="muted small pad">No chats</li>}
                    {list.map((s) => (
                      <SessionRow key={s.id} s={s} current={s.id === currentId} running={isRunning(s)} a={a} />
                    ))}
                  </ul>
                )}
              </li>
            );
          })}
        </ul>
        <div className="section-head">
          <span>Chats</span>
        </div>
        <ul className="sessions unassigned" id="session-list">
          {dir.loaded && unassigned.length === 0 && <li className="muted small pad">No chats yet.</li>}
          {unassigned.map((s) => (
            <SessionRow key={s.id} s={s} current={s.id === currentId} running={isRunning(s)} a={a} />
          ))}
        </ul>
      </nav>
      <div className="sidebar-foot">
        <label className="switch">
          <input type="checkbox" id="show-archived" checked={dir.showArchived} onChange={(e) => dir.setShowArchived(e.target.checked)} />
          <span>Show archived</span>
        </label>
        <div className="foot-row">
          <span className="conn" id="conn" data-state={conn} title={CONN_LABEL[conn]}>
            <span className="conn-dot" aria-hidden="true" />
            {CONN_LABEL[conn]}
          </span>
          <button type="button" className="link" id="sign-out" onClick={a.signOut}>
            Sign out
          </button>
        </div>
      </div>
    </aside>
  );
}
