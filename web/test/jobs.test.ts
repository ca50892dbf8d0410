import { describe, expect, it } from 'vitest';
import type { JobInfo, StreamedEvent } from '../src/api/types';
import { cancellable, initialJobs, jobsReducer, jobSummary, type JobsState } from '../src/state/jobs';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

function job(n: number, over: Partial<JobInfo> = {}): JobInfo {
  return {
    id: `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`,
    kind: 'noop',
    version: 1,
    spec: { kind: 'noop' },
    priority: 'background',
    state: 'queued',
    attempts: 0,
    maxAttempts: 3,
    runAfter: at(n),
    timeoutMs: 300000,
    cancelRequested: false,
    createdAt: at(n),
    updatedAt: at(n),
    ...over,
  } as JobInfo;
}

let seqN = 0;
function ev(kind: string, j: JobInfo, seq = ++seqN) {
  const event = { kind, data: { job: j }, seq, id: `e${seq}`, time: j.updatedAt, scope: 'job', scopeId: j.id } as unknown as StreamedEvent;
  return { type: 'event' as const, event };
}

const page = (jobs: JobInfo[], nextCursor: string | null = null) => ({ type: 'page' as const, page: { jobs, nextCursor }, first: true });
const ids = (s: JobsState) => s.jobs.map((j) => j.id.slice(-2));
const run = (s: JobsState, ...actions: Parameters<typeof jobsReducer>[1][]) => actions.reduce(jobsReducer, s);

describe('jobs reducer', () => {
  it('loads a page newest first and follows the cursor', () => {
    let s = run(initialJobs(), page([job(3), job(1), job(2)], 'c1'));
    expect(ids(s)).toEqual(['03', '02', '01']);
    expect(s.nextCursor).toBe('c1');
    s = jobsReducer(s, { type: 'page', page: { jobs: [job(0)], nextCursor: null }, first: false });
    expect(ids(s)).toEqual(['03', '02', '01', '00']);
    expect(s.nextCursor).toBeNull();
  });

  it('updates a row in place from events; a new job goes on top', () => {
    let s = run(initialJobs(), page([job(2), job(1)]));
    s = run(s, ev('job.started', job(1, { state: 'running', attempts: 1, updatedAt: at(10) })), ev('job.queued', job(5)));
    expect(ids(s)).toEqual(['05', '02', '01']);
    expect(s.jobs[2].state).toBe('running');
    s = jobsReducer(s, ev('job.completed', job(1, { state: 'completed', attempts: 1, updatedAt: at(11), result: { slept: 0 } })));
    expect(s.jobs[2].state).toBe('completed');
    expect(s.jobs).toHaveLength(3);
  });

  it('a replay after a reconnect changes nothing and duplicates nothing', () => {
    const started = ev('job.started', job(1, { state: 'running', attempts: 1, updatedAt: at(10) }));
    const done = ev('job.completed', job(1, { state: 'completed', attempts: 1, updatedAt: at(11) }));
    const queued = ev('job.queued', job(4));
    let s = run(initialJobs(), page([job(1)]), started, done, queued);
    const before = s;
    s = run(s, started, done, queued); // the same sequences again
    expect(s).toBe(before);
    // The same records under new sequences (another connection) are no newer either.
    s = run(s, ev('job.started', (started.event.data as { job: JobInfo }).job), ev('job.queued', job(4)));
    expect(ids(s)).toEqual(['04', '01']);
    expect(s.jobs[1].state).toBe('completed');
  });

  it('an older record never overwrites a newer one (a stale page or event)', () => {
    let s = run(initialJobs(), page([job(1)]), ev('job.canceled', job(1, { state: 'canceled', updatedAt: at(20) })));
    s = run(s, page([job(1, { state: 'running', updatedAt: at(10) })]));
    expect(s.jobs[0].state).toBe('canceled');
    // At the same instant the terminal state wins.
    s = run(initialJobs(), page([job(2, { state: 'running', updatedAt: at(5) })]), ev('job.canceled', job(2, { state: 'canceled', updatedAt: at(5) })));
    s = run(s, page([job(2, { state: 'running', cancelRequested: true, updatedAt: at(5) })]));
    expect(s.jobs[0].state).toBe('canceled');
  });

  it('the answer of a cancel updates the row', () => {
    let s = run(initialJobs(), page([job(1, { state: 'running', attempts: 1, updatedAt: at(3) })]));
    expect(cancellable(s.jobs[0])).toBe(true);
    s = jobsReducer(s, { type: 'job', job: job(1, { state: 'running', attempts: 1, cancelRequested: true, updatedAt: at(4) }) });
    expect(s.jobs[0].cancelRequested).toBe(true);
    expect(cancellable(s.jobs[0])).toBe(false);
    s = jobsReducer(s, ev('job.canceled', job(1, { state: 'canceled', attempts: 1, cancelRequested: true, updatedAt: at(5) })));
    expect(s.jobs[0].state).toBe('canceled');
  });

  it('keeps to the filter: a job that leaves the filtered state leaves the list, other projects are ignored', () => {
    let s = run(initialJobs({ state: 'running', projectId: 'p1' }), page([job(1, { state: 'running', projectId: 'p1' })]));
    s = run(s, ev('job.started', job(2, { state: 'running', projectId: 'p2' })), ev('job.started', job(3, { state: 'running', projectId: 'p1', updatedAt: at(4) })));
    expect(ids(s)).toEqual(['03', '01']);
    s = jobsReducer(s, ev('job.completed', job(1, { state: 'completed', projectId: 'p1', updatedAt: at(9) })));
    expect(ids(s)).toEqual(['03']);
    // A stale record of it (a reloaded page) does not bring it back.
    s = run(s, page([job(3, { state: 'running', projectId: 'p1', updatedAt: at(4) }), job(1, { state: 'running', projectId: 'p1' })]));
    expect(ids(s)).toEqual(['03']);
  });

  it('an event of a job older than the loaded pages waits for "load more"', () => {
    let s = run(initialJobs(), page([job(5), job(4)], 'c'));
    s = jobsReducer(s, ev('job.started', job(1, { state: 'running', updatedAt: at(30) })));
    expect(ids(s)).toEqual(['05', '04']);
    // ...which then brings the newest record (the event's, not the page's older one).
    s = jobsReducer(s, { type: 'page', page: { jobs: [job(1)], nextCursor: null }, first: false });
    expect(ids(s)).toEqual(['05', '04', '01']);
    expect(s.jobs[2].state).toBe('running');
    // Everything loaded: any job's event is placed.
    s = jobsReducer(s, ev('job.queued', job(3)));
    expect(ids(s)).toEqual(['05', '04', '03', '01']);
  });

  it('events before the first page are not shown on their own; the page brings the jobs', () => {
    let s = jobsReducer(initialJobs(), ev('job.queued', job(1)));
    expect(s.jobs).toEqual([]);
    s = run(s, page([job(1, { state: 'running', updatedAt: at(2) })]));
    expect(s.jobs[0].state).toBe('running');
  });

  it('reloading the first page keeps the further pages and their cursor', () => {
    let s = run(initialJobs(), page([job(5), job(4)], 'c1'));
    s = jobsReducer(s, { type: 'page', page: { jobs: [job(3), job(2)], nextCursor: 'c2' }, first: false });
    s = run(s, page([job(6), job(5)], 'c1'));
    expect(ids(s)).toEqual(['06', '05', '04', '03', '02']);
    expect(s.nextCursor).toBe('c2');
  });

  it('ignores other event kinds', () => {
    const s = run(initialJobs(), page([job(1)]));
    expect(jobsReducer(s, { type: 'event', event: { kind: 'session.created', data: {}, seq: 1000 } as unknown as StreamedEvent })).toBe(s);
  });
});

describe('job summary', () => {
  it('says why a job failed', () => {
    expect(jobSummary(job(1, { state: 'failed', error: { class: 'fatal', message: 'boom' } }))).toBe('fatal: boom');
  });
  it('shows the first line of an agent reply, or its JSON', () => {
    expect(jobSummary(job(1, { kind: 'agent_instruction', state: 'completed', result: { sessionId: 's', turnId: 't', text: '\nDone.\nMore lines' } }))).toBe('Done.');
    expect(jobSummary(job(1, { kind: 'agent_instruction', state: 'completed', result: { sessionId: 's', turnId: 't', json: { ok: true } } }))).toBe('{"ok":true}');
  });
  it('other kinds: compact JSON; nothing while queued or running', () => {
    expect(jobSummary(job(1, { state: 'completed', result: { slept: 5 } }))).toBe('{"slept":5}');
    expect(jobSummary(job(1, { state: 'completed', result: 'x'.repeat(500) }))?.length).toBe(200);
    expect(jobSummary(job(1, { state: 'running' }))).toBeNull();
    expect(jobSummary(job(1, { state: 'completed' }))).toBeNull();
  });
});
