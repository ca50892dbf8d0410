// The conversation: per turn the user's message, a collapsible "worked for Xs" group with what
// the agent did (reasoning, commands, edits, tools), the answer, and request cards right after
// the step they are about. It follows the bottom while new text streams in, unless the reader
// has scrolled up; then a "Jump to bottom" button appears.
import { useCallback, useLayoutEffect, useRef, useState } from 'react';
import type { ChatState, EntryView, ItemView, PendingSend, RequestView, TurnView } from '../state/transcript';
import { timeline } from '../state/selectors';
import { asObj, str } from '../state/items';
import { duration, readable } from '../lib/format';
import { useNow } from '../hooks/useNow';
import { ActivityItem, AgentMessage, UserMessage } from './ItemViews';
import { Markdown } from './Markdown';
import { RequestCard } from './RequestCard';

type Decide = (requestId: string, body: unknown) => Promise<string | null>;

type Segment =
  | { kind: 'user'; item: ItemView }
  | { kind: 'answer'; item: ItemView }
  | { kind: 'activity'; items: ItemView[] };

/** Consecutive activity items form one group; messages stand alone. Order is the API's. */
export function segments(items: ItemView[]): Segment[] {
  const out: Segment[] = [];
  for (const it of items) {
    if (it.type === 'userMessage') out.push({ kind: 'user', item: it });
    else if (it.type === 'agentMessage') out.push({ kind: 'answer', item: it });
    else {
      const last = out[out.length - 1];
      if (last && last.kind === 'activity') last.items.push(it);
      else out.push({ kind: 'activity', items: [it] });
    }
  }
  return out;
}

function fileChangePaths(turn: TurnView, itemId: string | null | undefined): string[] {
  const it = turn.items.find((i) => i.id === itemId);
  const changes = it && Array.isArray(it.item.changes) ? it.item.changes : [];
  return changes.map((c) => str(asObj(c).path) ?? '?');
}

function ActivityGroup({
  turn,
  items,
  first,
  requests,
  decide,
  now,
}: {
  turn: TurnView;
  items: ItemView[];
  first: boolean;
  requests: RequestView[];
  decide: Decide;
  now: number;
}) {
  const running = turn.status === 'inProgress';
  const [toggled, setToggled] = useState<boolean | null>(null);
  const hasPending = requests.some((r) => r.status === 'pending');
  const open = toggled ?? (running || hasPending);
  const start = turn.startedAt ? Date.parse(turn.startedAt) : NaN;
  const end = turn.completedAt ? Date.parse(turn.completedAt) : now;
  const took = Number.isFinite(start) ? duration(end - start) : null;
  const label = running
    ? `Working${took ? ` · ${took}` : '…'}`
    : first && took
      ? `Worked for ${took}`
      : 'More activity';
  const steps = items.length;
  return (
    <details className={`activity${running ? ' running' : ''}`} open={open}>
      <summary
        onClick={(e) => {
          e.preventDefault();
          setToggled(!open);
        }}
      >
        <span className="chev" aria-hidden="true" />
        <span className="activity-label">{label}</span>
        <span className="muted small">
          {steps} step{steps === 1 ? '' : 's'}
        </span>
      </summary>
      <div className="activity-items">
        {items.map((it) => (
          <div key={it.id}>
            <ActivityItem it={it} />
            {requests
              .filter((r) => r.req.itemId === it.id)
              .map((r) => (
                <RequestCard key={r.req.id} r={r} decide={decide} fileChanges={fileChangePaths(turn, r.req.itemId)} />
              ))}
          </div>
        ))}
      </div>
    </details>
  );
}

function TurnEnd({ turn }: { turn: TurnView }) {
  if (turn.status === 'interrupted') return <p className="notice turn-end">Stopped.</p>;
  if (turn.status === 'failed') {
    const e = asObj(turn.error);
    let msg: unknown = str(e.message) ?? (typeof turn.error === 'string' ? turn.error : null);
    if (!msg && turn.lastError) msg = turn.lastError;
    if (!msg && turn.reason === 'runtime_exited') msg = 'the Codex runtime stopped';
    return <p className="notice error turn-end">The turn failed: {readable(msg || turn.reason || 'unknown error')}</p>;
  }
  return null;
}

function Turn({ turn, requests, decide, now }: { turn: TurnView; requests: RequestView[]; decide: Decide; now: number }) {
  const segs = segments(turn.items);
  const itemIds = new Set(turn.items.map((i) => i.id));
  // Requests about an item that is not an activity step (or not known yet) go after the turn.
  const activityIds = new Set(turn.items.filter((i) => i.type !== 'userMessage' && i.type !== 'agentMessage').map((i) => i.id));
  const loose = requests.filter((r) => !r.req.itemId || !itemIds.has(r.req.itemId) || !activityIds.has(r.req.itemId));
  let firstGroup = true;
  return (
    <section className="turn" data-turn-id={turn.id} data-status={turn.status}>
      {segs.map((s) => {
        if (s.kind === 'user') return <UserMessage key={s.item.id} it={s.item} />;
        if (s.kind === 'answer') return <AgentMessage key={s.item.id} it={s.item} />;
        const first = firstGroup;
        firstGroup = false;
        const ids = new Set(s.items.map((i) => i.id));
        return (
          <ActivityGroup
            key={s.items[0].id}
            turn={turn}
            items={s.items}
            first={first}
            requests={requests.filter((r) => r.req.itemId && ids.has(r.req.itemId))}
            decide={decide}
            now={now}
          />
        );
      })}
      {loose.map((r) => (
        <RequestCard key={r.req.id} r={r} decide={decide} fileChanges={fileChangePaths(turn, r.req.itemId)} />
      ))}
      {turn.status === 'inProgress' && !turn.items.some((i) => i.type !== 'userMessage') && (
        <div className="thinking" aria-live="polite">
          <span className="dots" aria-hidden="true">
            <i />
            <i />
            <i />
          </span>
          Working…
        </div>
      )}
      <TurnEnd turn={turn} />
    </section>
  );
}

/** A supplemental entry written by a client or an extension (a note, a system message). */
function Entry({ e }: { e: EntryView }) {
  return (
    <div className={`entry role-${e.role}`} data-message-id={e.messageId} data-role={e.role}>
      <span className="entry-role">{e.role}</span>
      <Markdown className="body" text={e.text} />
    </div>
  );
}

function Pending({ p, onDismiss, onRetry }: { p: PendingSend; onDismiss: () => void; onRetry: () => void }) {
  return (
    <div className={`item userMessage pending ${p.status}`} data-send-state={p.status}>
      <div className="bubble">{p.text}</div>
      <div className="send-state">
        {p.status === 'sending' ? (
          'Sending…'
        ) : (
          <>
            <span className="error-text">Not sent: {p.error}</span>
            <button type="button" className="link" onClick={onRetry}>
              Retry
            </button>
            <button type="button" className="link" onClick={onDismiss}>
              Dismiss
            </button>
          </>
        )}
      </div>
    </div>
  );
}

export function Transcript({
  state,
  decide,
  onRetrySend,
  onDismissSend,
  empty,
}: {
  state: ChatState;
  decide: Decide;
  onRetrySend: (p: PendingSend) => void;
  onDismissSend: (clientId: string) => void;
  empty: React.ReactNode;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const following = useRef(true);
  const [showJump, setShowJump] = useState(false);
  const running = state.turns.some((t) => t.status === 'inProgress');
  const now = useNow(running);

  const onScroll = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    following.current = atBottom;
    setShowJump(!atBottom);
  }, []);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && following.current) el.scrollTop = el.scrollHeight;
  });

  const jump = () => {
    const el = scroller.current;
    if (!el) return;
    following.current = true;
    el.scrollTo({ top: el.scrollHeight, behavior: 'smooth' });
    setShowJump(false);
  };

  const byTurn = new Map<string, RequestView[]>();
  const orphan: RequestView[] = [];
  const turnIds = new Set(state.turns.map((t) => t.id));
  for (const r of state.requests) {
    const t = r.req.turnId;
    if (t && turnIds.has(t)) byTurn.set(t, [...(byTurn.get(t) ?? []), r]);
    else orphan.push(r);
  }
  const nothing = state.loaded && state.turns.length === 0 && state.entries.length === 0 && state.sends.length === 0;
  return (
    <div className="transcript-wrap">
      <div className="transcript" ref={scroller} onScroll={onScroll} id="transcript">
        <div className="turns" id="turns">
          {nothing && empty}
          {timeline(state).map((x) =>
            x.kind === 'turn' ? (
              <Turn key={x.turn.id} turn={x.turn} requests={byTurn.get(x.turn.id) ?? []} decide={decide} now={now} />
            ) : (
              <Entry key={`e-${x.entry.messageId}`} e={x.entry} />
            ),
          )}
          {orphan.map((r) => (
            <RequestCard key={r.req.id} r={r} decide={decide} />
          ))}
          {state.sends.map((p) => (
            <Pending key={p.clientId} p={p} onDismiss={() => onDismissSend(p.clientId)} onRetry={() => onRetrySend(p)} />
          ))}
        </div>
      </div>
      {showJump && (
        <button type="button" className="jump" onClick={jump} id="jump">
          ↓ Jump to bottom
        </button>
      )}
    </div>
  );
}
