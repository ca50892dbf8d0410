// The Jobs view: the queue's jobs (all, or one project's), newest first, filtered by state, live
// from the job events; Cancel on queued and running ones.
import { useState } from 'react';
import type { JobInfo, JobState } from '../api/types';
import { useJobs } from '../hooks/useJobs';
import { useNow } from '../hooks/useNow';
import { ago, duration } from '../lib/format';
import { cancellable, jobSummary } from '../state/jobs';

const STATES: JobState[] = ['queued', 'running', 'completed', 'failed', 'canceled'];

function JobRow({ j, now, pending, onCancel }: { j: JobInfo; now: number; pending: boolean; onCancel: () => void }) {
  const summary = jobSummary(j);
  const canceling = j.state === 'running' && j.cancelRequested;
  const took = j.startedAt && j.finishedAt ? duration(Date.parse(j.finishedAt) - Date.parse(j.startedAt)) : null;
  return (
    <li className="job" data-job-id={j.id} data-state={j.state}>
      <div className="job-main">
        <div className="job-line">
          <span className="job-kind">{j.kind}</span>
          <span className="job-state" data-state={j.state}>
            {canceling ? 'canceling' : j.state}
          </span>
          {j.priority === 'interactive' && <span className="tag">interactive</span>}
        </div>
        <div className="job-meta">
          <span title={new Date(j.createdAt).toLocaleString()}>{ago(j.createdAt, now)}</span>
          <span title="Attempts started of the most allowed">
            attempt {j.attempts}/{j.maxAttempts}
          </span>
          {j.priority !== 'interactive' && <span>{j.priority}</span>}
          {took && <span>took {took}</span>}
          <span className="job-id" title={j.id}>
            {j.id.slice(-8)}
          </span>
        </div>
        {summary && (
          <div className={`job-summary${j.state === 'completed' ? '' : ' error-text'}`} title={summary}>
            {summary}
          </div>
        )}
      </div>
      {(j.state === 'queued' || j.state === 'running') && (
        <button type="button" className="btn danger job-cancel" disabled={pending || !cancellable(j)} onClick={onCancel}>
          {pending || canceling ? 'Canceling…' : 'Cancel'}
        </button>
      )}
    </li>
  );
}

export function JobsView({
  projectId,
  projectName,
  onOpenNav,
  toast,
}: {
  projectId: string | null;
  projectName: string | null;
  onOpenNav: () => void;
  toast: (text: string, error?: boolean) => void;
}) {
  const [state, setState] = useState<JobState | null>(null);
  const jobs = useJobs(projectId, state);
  const now = useNow(true, 15_000);
  return (
    <main className="chat jobs-view" id="jobs">
      <header className="chat-head">
        <button type="button" className="icon-btn menu-btn" id="menu" aria-label="Chats" onClick={onOpenNav}>
          <span className="burger" aria-hidden="true" />
        </button>
        <div className="title-block">
          <h1 id="title">{projectName ? `Jobs · ${projectName}` : 'Jobs'}</h1>
          <span className="muted small">{projectName ? 'Jobs of this project' : 'All background jobs'}</span>
        </div>
        <span className="conn-top" id="conn-top" data-state={jobs.conn} title={jobs.conn} />
        <span className="head-spacer" />
        <div className="picker job-filter">
          <select id="job-state" aria-label="Filter by state" value={state ?? ''} onChange={(e) => setState((e.target.value || null) as JobState | null)}>
            <option value="">All states</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
      </header>
      {jobs.conn === 'retrying' && <div className="banner warn">Connection lost — reconnecting…</div>}
      {jobs.error && <div className="banner error">{jobs.error}</div>}
      <div className="jobs-body">
        {!jobs.loaded ? (
          <p className="muted pad">Loading…</p>
        ) : jobs.jobs.length === 0 ? (
          <div className="empty" id="jobs-empty">
            <h2>No jobs{state ? ` ${state}` : ''}</h2>
            <p className="muted">Jobs enqueued with POST /api/jobs or `codex-manager jobs enqueue` show up here.</p>
          </div>
        ) : (
          <ul className="jobs-list" id="job-list">
            {jobs.jobs.map((j) => (
              <JobRow
                key={j.id}
                j={j}
                now={now}
                pending={!!jobs.pending[j.id]}
                onCancel={async () => {
                  const err = await jobs.cancel(j.id);
                  if (err) toast(`Cancel failed: ${err}`, true);
                }}
              />
            ))}
          </ul>
        )}
        {jobs.nextCursor && (
          <div className="load-more">
            <button type="button" className="btn" id="jobs-more" disabled={jobs.loadingMore} onClick={() => void jobs.loadMore()}>
              {jobs.loadingMore ? 'Loading…' : 'Load more'}
            </button>
          </div>
        )}
      </div>
    </main>
  );
}
