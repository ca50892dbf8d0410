// The chat reducer: a session's transcript built from its snapshot and then from its live
// events. Pure, so it is unit-tested (test/transcript.test.ts).
//
// - `seq` is the stream sequence everything up to which is applied. An event at or below it is
//   dropped: a reconnect's replay, or an event the snapshot already contains, is never applied
//   twice.
// - `gap` (the server could not replay some events) marks the state `refetching`: the owner
//   refetches the snapshot; events arriving meanwhile are buffered and those after the new
//   snapshot's `seq` are applied on top of it, so nothing is lost either.
// - Events of another session (a chat the user has left) are ignored.
import type { PendingRequest, RequestRecord, SessionInfo, SessionSnapshot, StreamedEvent } from '../api/types';
import { asObj, completedStatus, DELTA_ITEM_TYPE, itemText, type Obj } from './items';

export interface ItemView {
  id: string;
  turnId: string;
  type: string;
  /** `streaming`, `completed`, `canceled`, or the runtime's own final status (`declined`, `failed`…). */
  status: string;
  text: string;
  item: Obj;
}

export interface TurnView {
  id: string;
  /** Its place in the session's stream (the seq of its first event), to merge with entries. */
  seq: number | null;
  status: string;
  reason: string | null;
  error: unknown;
  startedAt: string | null;
  completedAt: string | null;
  items: ItemView[];
  usage: unknown;
  plan: unknown;
  diff: string | null;
  lastError: string | null;
}

/** A supplemental transcript entry (a note, a system message) added beside the turns. */
export interface EntryView {
  messageId: string;
  role: string;
  text: string;
  seq: number;
  turnId: string | null;
}

export interface RequestView {
  req: PendingRequest;
  status: 'pending' | 'resolved' | 'expired';
  response: unknown;
  decidedBy: string | null;
  reason: string | null;
}

export interface PendingSend {
  clientId: string;
  text: string;
  status: 'sending' | 'failed';
  turnId: string | null;
  error: string | null;
}

export interface ChatState {
  sessionId: string;
  session: SessionInfo | null;
  loaded: boolean;
  seq: number;
  turns: TurnView[];
  entries: EntryView[];
  requests: RequestView[];
  refetching: boolean;
  buffer: StreamedEvent[];
  deleted: boolean;
  runtimeStatus: unknown;
  warnings: string[];
  sends: PendingSend[];
  /** Turns whose `turn.completed` was seen: a late `turn.started` replay must not reopen them. */
  ended: string[];
}

export type ChatAction =
  | { type: 'snapshot'; snapshot: SessionSnapshot; requests: RequestRecord[] }
  | { type: 'event'; event: StreamedEvent }
  | { type: 'gap' }
  | { type: 'send'; clientId: string; text: string }
  | { type: 'sent'; clientId: string; turnId: string }
  | { type: 'sendFailed'; clientId: string; error: string }
  | { type: 'dismissSend'; clientId: string }
  | { type: 'requestDecided'; record: RequestRecord };

export function initialChat(sessionId: string): ChatState {
  return {
    sessionId,
    session: null,
    loaded: false,
    seq: 0,
    turns: [],
    entries: [],
    requests: [],
    refetching: false,
    buffer: [],
    deleted: false,
    runtimeStatus: null,
    warnings: [],
    sends: [],
    ended: [],
  };
}

const requestStatus = (s: string): RequestView['status'] => (s === 'resolved' ? 'resolved' : s === 'expired' ? 'expired' : 'pending');

function fromSnapshot(prev: ChatState, snap: SessionSnapshot, records: RequestRecord[]): ChatState {
  const turns: TurnView[] = snap.turns.map((t) => ({
    id: t.id,
    seq: t.seq ?? null,
    status: t.status,
    reason: t.reason ?? null,
    error: t.error ?? null,
    startedAt: t.startedAt ?? null,
    completedAt: t.completedAt ?? null,
    usage: t.usage ?? null,
    plan: t.plan ?? null,
    diff: t.diff ?? null,
    lastError: null,
    items: t.items.map((i) => ({ id: i.id, turnId: t.id, type: i.itemType, status: i.status, text: i.text, item: asObj(i.item) })),
  }));
  const requests: RequestView[] = records
    .map((r) => ({
      req: r,
      status: requestStatus(r.status),
      response: r.response ?? null,
      decidedBy: r.decidedBy ?? null,
      reason: r.reason ?? null,
    }))
    .sort((a, b) => a.req.openedAt.localeCompare(b.req.openedAt));
  let next: ChatState = {
    ...prev,
    session: snap.session,
    loaded: true,
    seq: snap.seq,
    turns,
    entries: (snap.entries ?? []).map((e) => ({ messageId: e.messageId, role: e.role, text: e.text, seq: e.seq, turnId: e.turnId ?? null })),
    requests,
    refetching: false,
    buffer: [],
    ended: turns.filter((t) => t.status !== 'inProgress').map((t) => t.id),
  };
  next = reconcileSends(next);
  // Events that arrived while the snapshot was on its way, and are newer than it.
  for (const ev of [...prev.buffer].sort((a, b) => a.seq - b.seq)) next = applyEvent(next, ev);
  return next;
}

/** Drops optimistic user messages once the transcript has them. */
function reconcileSends(s: ChatState): ChatState {
  if (!s.sends.length) return s;
  const shown = new Set<string>();
  const texts: string[] = [];
  for (const t of s.turns) {
    for (const i of t.items) {
      if (i.type === 'userMessage') {
        shown.add(t.id);
        texts.push(i.text);
      }
    }
  }
  const sends = s.sends.filter((p) => {
    if (p.turnId && shown.has(p.turnId)) return false;
    if (p.status === 'sending' && !p.turnId) {
      const k = texts.indexOf(p.text);
      if (k >= 0 && s.turns.some((t) => t.status === 'inProgress' && t.items.some((i) => i.type === 'userMessage' && i.text === p.text))) {
        texts.splice(k, 1);
        return false;
      }
    }
    return true;
  });
  return sends.length === s.sends.length ? s : { ...s, sends };
}

function newTurn(id: string, time: string | null, seq: number | null): TurnView {
  return {
    id,
    seq,
    status: 'inProgress',
    reason: null,
    error: null,
    startedAt: time,
    completedAt: null,
    items: [],
    usage: null,
    plan: null,
    diff: null,
    lastError: null,
  };
}

function withTurn(s: ChatState, turnId: string, time: string | null, fn: (t: TurnView) => TurnView): ChatState {
  const i = s.turns.findIndex((t) => t.id === turnId);
  const turns = [...s.turns];
  if (i < 0) turns.push(fn(newTurn(turnId, time, s.seq)));
  else turns[i] = fn(turns[i]);
  return { ...s, turns };
}

function withItem(t: TurnView, itemId: string, type: string, fn: (it: ItemView) => ItemView): TurnView {
  const i = t.items.findIndex((x) => x.id === itemId);
  const items = [...t.items];
  if (i < 0) items.push(fn({ id: itemId, turnId: t.id, type, status: 'streaming', text: '', item: {} }));
  else items[i] = fn(items[i]);
  return { ...t, items };
}

function applyEvent(s: ChatState, ev: StreamedEvent): ChatState {
  if (ev.seq <= s.seq) return s;
  const next = applyBody({ ...s, seq: ev.seq }, ev);
  return next;
}

function applyBody(s: ChatState, ev: StreamedEvent): ChatState {
  const time = ev.time ?? null;
  switch (ev.kind) {
    case 'turn.started':
      if (s.ended.includes(ev.data.turnId)) return s;
      return withTurn(s, ev.data.turnId, time, (t) => ({ ...t, status: 'inProgress', startedAt: t.startedAt ?? time }));
    case 'item.started': {
      const d = ev.data;
      return reconcileSends(
        withTurn(s, d.turnId, time, (t) => {
          const seen = t.items.some((x) => x.id === d.itemId);
          return withItem(t, d.itemId, d.itemType, (it) => ({
            ...it,
            type: d.itemType,
            item: asObj(d.item),
            // Like the session service: a start after deltas (a replay) keeps their text.
            text: seen ? it.text : (itemText(d.item) ?? ''),
          }));
        }),
      );
    }
    case 'item.delta': {
      const d = ev.data;
      return withTurn(s, d.turnId, time, (t) =>
        withItem(t, d.itemId, DELTA_ITEM_TYPE[d.stream] ?? 'unknown', (it) => ({ ...it, text: it.text + d.delta })),
      );
    }
    case 'item.updated': {
      const d = ev.data;
      return withTurn(s, d.turnId, time, (t) =>
        t.items.some((x) => x.id === d.itemId) ? withItem(t, d.itemId, 'unknown', (it) => ({ ...it, item: { ...it.item, ...asObj(d.update) } })) : t,
      );
    }
    case 'item.completed': {
      const d = ev.data;
      return reconcileSends(
        withTurn(s, d.turnId, time, (t) =>
          withItem(t, d.itemId, d.itemType, (it) => {
            const text = itemText(d.item);
            return { ...it, type: d.itemType, status: completedStatus(d.item), item: asObj(d.item), text: text ?? it.text };
          }),
        ),
      );
    }
    case 'turn.completed': {
      const d = ev.data;
      const ended = s.ended.includes(d.turnId) ? s.ended : [...s.ended, d.turnId];
      const next = withTurn({ ...s, ended }, d.turnId, time, (t) => ({
        ...t,
        status: d.status,
        reason: d.reason ?? null,
        error: d.error ?? null,
        completedAt: time,
        items: t.items.map((i) => (i.status === 'streaming' ? { ...i, status: 'canceled' } : i)),
      }));
      // Requests still open when their turn ends expire (the bridge says so too, in order).
      return next;
    }
    case 'usage.updated':
      return ev.data.turnId ? withTurn(s, ev.data.turnId, time, (t) => ({ ...t, usage: ev.data.usage })) : s;
    case 'plan.updated': {
      const d = ev.data;
      return withTurn(s, d.turnId, time, (t) => ({ ...t, plan: { explanation: d.explanation ?? null, steps: d.plan } }));
    }
    case 'diff.updated':
      return withTurn(s, ev.data.turnId, time, (t) => ({ ...t, diff: ev.data.diff }));
    case 'runtime.error': {
      const d = ev.data;
      if (!d.turnId || d.willRetry) return s;
      return withTurn(s, d.turnId, time, (t) => ({ ...t, lastError: d.message }));
    }
    case 'runtime.warning':
      return { ...s, warnings: [...s.warnings, ev.data.message].slice(-20) };
    case 'session.status':
      return { ...s, runtimeStatus: ev.data.status };
    case 'request.opened': {
      const r = ev.data.request;
      if (s.requests.some((x) => x.req.id === r.id)) return s;
      return { ...s, requests: [...s.requests, { req: r, status: 'pending', response: null, decidedBy: null, reason: null }] };
    }
    case 'request.resolved': {
      const d = ev.data;
      return {
        ...s,
        requests: s.requests.map((r) =>
          r.req.id !== d.requestId || r.status !== 'pending'
            ? r
            : {
                ...r,
                status: d.outcome === 'expired' ? 'expired' : 'resolved',
                response: r.response ?? d.response ?? null,
                decidedBy: r.decidedBy ?? d.decidedBy ?? null,
                reason: d.reason ?? null,
              },
        ),
      };
    }
    case 'session.created':
    case 'session.updated':
      return ev.data.session.id === s.sessionId ? { ...s, session: ev.data.session } : s;
    case 'session.deleted':
      return { ...s, deleted: true };
    case 'transcript.upserted': {
      const d = ev.data;
      const i = s.entries.findIndex((e) => e.messageId === d.messageId);
      const entry: EntryView = { messageId: d.messageId, role: d.role, text: d.text, turnId: d.turnId ?? null, seq: i < 0 ? s.seq : s.entries[i].seq };
      const entries = [...s.entries];
      if (i < 0) entries.push(entry);
      else entries[i] = entry; // replaced in place: its position stays
      return { ...s, entries };
    }
    case 'session.rolled_back': {
      const gone = new Set(ev.data.turnIds);
      return {
        ...s,
        turns: s.turns.filter((t) => !gone.has(t.id)),
        entries: s.entries.filter((e) => !e.turnId || !gone.has(e.turnId)),
        requests: s.requests.filter((r) => !r.req.turnId || !gone.has(r.req.turnId)),
      };
    }
    default:
      return s;
  }
}

export function chatReducer(s: ChatState, a: ChatAction): ChatState {
  switch (a.type) {
    case 'snapshot':
      if (a.snapshot.session.id !== s.sessionId) return s;
      return fromSnapshot(s, a.snapshot, a.requests);
    case 'event': {
      const ev = a.event;
      if (ev.scope && ev.scope !== 'session') return s;
      if (ev.scopeId && ev.scopeId !== s.sessionId) return s;
      if (s.refetching || !s.loaded) {
        if (ev.seq <= s.seq || s.buffer.some((b) => b.seq === ev.seq)) return s;
        return { ...s, buffer: [...s.buffer, ev] };
      }
      return applyEvent(s, ev);
    }
    case 'gap':
      return s.refetching ? s : { ...s, refetching: true };
    case 'send':
      return { ...s, sends: [...s.sends, { clientId: a.clientId, text: a.text, status: 'sending', turnId: null, error: null }] };
    case 'sent':
      return reconcileSends({ ...s, sends: s.sends.map((p) => (p.clientId === a.clientId ? { ...p, turnId: a.turnId } : p)) });
    case 'sendFailed':
      return { ...s, sends: s.sends.map((p) => (p.clientId === a.clientId ? { ...p, status: 'failed', error: a.error } : p)) };
    case 'dismissSend':
      return { ...s, sends: s.sends.filter((p) => p.clientId !== a.clientId) };
    case 'requestDecided': {
      const r = a.record;
      return {
        ...s,
        requests: s.requests.map((x) =>
          x.req.id !== r.id || x.status !== 'pending'
            ? x
            : { ...x, status: requestStatus(r.status), response: r.response ?? null, decidedBy: r.decidedBy ?? null, reason: r.reason ?? null },
        ),
      };
    }
  }
}
