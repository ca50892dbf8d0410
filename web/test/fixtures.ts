// Builders for snapshots and events shaped like the API's (types from the generated schema).
import type { RequestRecord, SessionInfo, SessionSnapshot, StreamedEvent } from '../src/api/types';

export const SID = 'sess-1';

export function session(over: Partial<SessionInfo> = {}): SessionInfo {
  return {
    id: SID,
    title: null,
    cwd: '/work',
    model: 'mock-model',
    createdAt: '2026-11-25T10:00:00Z',
    updatedAt: '2026-11-25T10:00:00Z',
    status: 'idle',
    projectId: null,
    archived: false,
    owner: null,
    systemOwned: false,
    ...over,
  } as SessionInfo;
}

export function snapshot(seq: number, turns: SessionSnapshot['turns'] = [], over: Partial<SessionSnapshot> = {}): SessionSnapshot {
  return { session: session(), turns, seq, entries: [], ...over } as SessionSnapshot;
}

type Body = { kind: StreamedEvent['kind']; data: unknown };

export function ev(seq: number, body: Body, scopeId = SID): StreamedEvent {
  return {
    seq,
    id: `00000000-0000-7000-8000-${String(seq).padStart(12, '0')}`,
    time: new Date(Date.UTC(2026, 10, 25, 10, 0, seq)).toISOString(),
    scope: 'session',
    scopeId,
    ...body,
  } as StreamedEvent;
}

export const turnStarted = (seq: number, turnId = 't1') => ev(seq, { kind: 'turn.started', data: { turnId } });
export const userItem = (seq: number, text: string, turnId = 't1', itemId = 'u1') =>
  ev(seq, {
    kind: 'item.completed',
    data: { turnId, itemId, itemType: 'userMessage', item: { type: 'userMessage', id: itemId, content: [{ type: 'text', text }] } },
  });
export const agentStarted = (seq: number, turnId = 't1', itemId = 'a1') =>
  ev(seq, { kind: 'item.started', data: { turnId, itemId, itemType: 'agentMessage', item: { type: 'agentMessage', id: itemId, text: '' } } });
export const delta = (seq: number, text: string, turnId = 't1', itemId = 'a1') =>
  ev(seq, { kind: 'item.delta', data: { turnId, itemId, stream: 'text', delta: text } });
export const agentCompleted = (seq: number, text: string, turnId = 't1', itemId = 'a1') =>
  ev(seq, { kind: 'item.completed', data: { turnId, itemId, itemType: 'agentMessage', item: { type: 'agentMessage', id: itemId, text } } });
export const turnCompleted = (seq: number, status = 'completed', turnId = 't1') =>
  ev(seq, { kind: 'turn.completed', data: { turnId, status } });

export function approval(id: string, turnId = 't1', itemId = 'c1'): RequestRecord {
  return {
    id,
    sessionId: SID,
    turnId,
    itemId,
    kind: 'commandApproval',
    method: 'item/commandExecution/requestApproval',
    params: { command: 'echo hi', cwd: '/work' },
    availableDecisions: null,
    openedAt: '2026-11-25T10:00:05Z',
    status: 'pending',
    response: null,
    decidedBy: null,
    reason: null,
    resolvedAt: null,
  } as RequestRecord;
}
