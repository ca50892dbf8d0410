// The jobs list (pure): a page of `GET /api/jobs`, further pages, the answers of our own cancels
// and the `job.*` events of the stream, reduced into one list, newest first, one row per job.
//
// - Every source carries the job's whole record, so applying one is "keep the newer record":
//   by `updatedAt`, and at the same instant a terminal state wins over a running or queued one
//   (a cancel answer and its event may carry the same time). An older record never overwrites a
//   newer one, so a replay after a reconnect, or an event older than the page, changes nothing.
// - Events are also dropped by stream sequence (`seq` at or below the last applied one).
// - A job is shown only while it matches the view's filter (state, project): a job that leaves
//   the filtered state leaves the list. A job the list does not have is added when it is newer
//   than the oldest one loaded (or everything is loaded); older ones come with "load more".
import type { JobInfo, JobPage, JobState, StreamedEvent } from '../api/types';

export interface JobFilter {
  state: JobState | null;
  projectId: string | null;
}

export interface JobsState {
  filter: JobFilter;
  jobs: JobInfo[];
  /** The cursor of the next page; `null` when everything is loaded. */
  nextCursor: string | null;
  loaded: boolean;
  /** The highest stream sequence applied. */
  lastSeq: number;
  /** The newest record seen of every job, shown or not (one that left the filter included). */
  seen: Record<string, JobInfo>;
}

export type JobsAction =
  | { type: 'reset'; filter: JobFilter }
  | { type: 'page'; page: JobPage; first: boolean }
  | { type: 'job'; job: JobInfo }
  | { type: 'event'; event: StreamedEvent };

export const JOB_EVENT_KINDS = ['job.queued', 'job.started', 'job.retrying', 'job.completed', 'job.failed', 'job.canceled'] as const;

export const TERMINAL: ReadonlySet<JobState> = new Set<JobState>(['completed', 'failed', 'canceled']);

export function initialJobs(filter: JobFilter = { state: null, projectId: null }): JobsState {
  return { filter, jobs: [], nextCursor: null, loaded: false, lastSeq: 0, seen: {} };
}

const rank = (s: JobState) => (TERMINAL.has(s) ? 2 : s === 'running' ? 1 : 0);

/** Whether `b` is at least as new as `a` (the same job). */
export function isNewer(a: JobInfo, b: JobInfo): boolean {
  const ta = Date.parse(a.updatedAt);
  const tb = Date.parse(b.updatedAt);
  if (tb !== ta) return tb > ta;
  if (rank(b.state) !== rank(a.state)) return rank(b.state) > rank(a.state);
  return b.attempts >= a.attempts;
}

export function matches(f: JobFilter, j: JobInfo): boolean {
  if (f.state && j.state !== f.state) return false;
  if (f.projectId && j.projectId !== f.projectId) return false;
  return true;
}

/** Newest first by `createdAt`, then by id (UUIDv7 ids sort by time). */
function order(a: JobInfo, b: JobInfo): number {
  const d = Date.parse(b.createdAt) - Date.parse(a.createdAt);
  if (d) return d;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * Merges records into the list. `fromList` = records of the list endpoint (they belong in the
 * list whatever their age); others are added only when within the loaded range.
 */
function merge(s: JobsState, incoming: JobInfo[], fromList: boolean): Pick<JobsState, 'jobs' | 'seen'> {
  const byId = new Map(s.jobs.map((j) => [j.id, j]));
  const seen = { ...s.seen };
  const oldest = s.jobs.length ? s.jobs[s.jobs.length - 1] : null;
  for (const j of incoming) {
    const prev = seen[j.id] ?? byId.get(j.id);
    const best = prev && !isNewer(prev, j) ? prev : j;
    seen[j.id] = best;
    if (!matches(s.filter, best)) {
      byId.delete(j.id);
      continue;
    }
    if (!byId.has(j.id) && !fromList) {
      // Not loaded yet: only when it sits inside the loaded range (else a later page has it).
      if (!s.loaded) continue;
      if (s.nextCursor !== null && oldest && order(oldest, best) < 0) continue;
    }
    byId.set(j.id, best);
  }
  return { jobs: [...byId.values()].sort(order), seen };
}

export function jobsReducer(s: JobsState, a: JobsAction): JobsState {
  switch (a.type) {
    case 'reset':
      return initialJobs(a.filter);
    case 'page': {
      const page = a.page.jobs;
      if (a.first) {
        // A (re)load of the first page: the newer of each record, the cursor of this page
        // unless more pages were loaded already.
        const merged = merge({ ...s, loaded: true }, page, true);
        const nextCursor = s.loaded && s.jobs.length > page.length ? s.nextCursor : (a.page.nextCursor ?? null);
        return { ...s, ...merged, loaded: true, nextCursor };
      }
      return { ...s, ...merge(s, page, true), nextCursor: a.page.nextCursor ?? null, loaded: true };
    }
    case 'job':
      return { ...s, ...merge(s, [a.job], s.jobs.some((j) => j.id === a.job.id)) };
    case 'event': {
      const ev = a.event;
      if (!(JOB_EVENT_KINDS as readonly string[]).includes(ev.kind)) return s;
      if (typeof ev.seq === 'number' && ev.seq <= s.lastSeq) return s;
      const job = (ev.data as { job?: JobInfo }).job;
      const lastSeq = typeof ev.seq === 'number' ? ev.seq : s.lastSeq;
      if (!job) return { ...s, lastSeq };
      return { ...s, lastSeq, ...merge(s, [job], false) };
    }
  }
}

/** One line about what a finished job answered or why it failed. */
export function jobSummary(j: JobInfo): string | null {
  if (j.state === 'failed' || (j.error && j.state !== 'completed')) {
    return j.error ? `${j.error.class}: ${j.error.message}` : null;
  }
  if (j.state !== 'completed') return null;
  const r = j.result as unknown;
  if (r === undefined || r === null) return null;
  if (j.kind === 'agent_instruction' && r && typeof r === 'object') {
    const o = r as { text?: unknown; json?: unknown };
    if (typeof o.text === 'string') return o.text.trim().split(/\r?\n/)[0] ?? '';
    if (o.json !== undefined) return compact(o.json);
  }
  return compact(r);
}

function compact(v: unknown): string {
  const s = JSON.stringify(v);
  return s.length > 200 ? `${s.slice(0, 199)}…` : s;
}

export const cancellable = (j: JobInfo) => (j.state === 'queued' || j.state === 'running') && !j.cancelRequested;
