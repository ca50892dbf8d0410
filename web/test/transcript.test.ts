// The stream reducer: a transcript from a snapshot plus live events, deduplicated by stream
// sequence, in order, with gap → refetch → merge.
import { describe, expect, it } from 'vitest';
import { chatReducer, initialChat, type ChatAction, type ChatState } from '../src/state/transcript';
import { chatPhase, timeline } from '../src/state/selectors';
import {
  agentCompleted,
  agentStarted,
  approval,
  delta,
  ev,
  SID,
  snapshot,
  turnCompleted,
  turnStarted,
  userItem,
} from './fixtures';

const run = (actions: ChatAction[], s: ChatState = initialChat(SID)) => actions.reduce(chatReducer, s);
const events = (...list: ReturnType<typeof ev>[]) => list.map((event) => ({ type: 'event', event }) as ChatAction);
const texts = (s: ChatState) => s.turns.flatMap((t) => t.items.map((i) => `${i.type}:${i.text}`));

describe('chat reducer', () => {
  it('builds a streamed turn from a snapshot and the events after it', () => {
    const s = run([
      { type: 'snapshot', snapshot: snapshot(0), requests: [] },
      ...events(turnStarted(1), userItem(2, 'Say hello'), agentStarted(3), delta(4, 'Hel'), delta(5, 'lo')),
    ]);
    expect(texts(s)).toEqual(['userMessage:Say hello', 'agentMessage:Hello']);
    expect(s.turns[0].items[1].status).toBe('streaming');
    expect(chatPhase(s)).toBe('streaming');
    const done = run(events(agentCompleted(6, 'Hello!'), turnCompleted(7)), s);
    expect(texts(done)).toEqual(['userMessage:Say hello', 'agentMessage:Hello!']);
    expect(done.turns[0].status).toBe('completed');
    expect(done.seq).toBe(7);
    expect(chatPhase(done)).toBe('idle');
  });

  it('drops every event at or below the last applied sequence (replays never double text)', () => {
    const base = run([{ type: 'snapshot', snapshot: snapshot(0), requests: [] }, ...events(turnStarted(1), agentStarted(2), delta(3, 'a'), delta(4, 'b'))]);
    // A reconnect replays 3 and 4, then continues with 5.
    const s = run(events(delta(3, 'a'), delta(4, 'b'), delta(5, 'c'), delta(4, 'b')), base);
    expect(texts(s)).toEqual(['agentMessage:abc']);
    expect(s.seq).toBe(5);
  });

  it('ignores what the snapshot already contains', () => {
    const snap = snapshot(4, [
      {
        id: 't1',
        status: 'inProgress',
        reason: null,
        error: null,
        usage: null,
        plan: null,
        diff: null,
        seq: 1,
        startedAt: '2026-11-25T10:00:01Z',
        completedAt: null,
        items: [{ id: 'a1', itemType: 'agentMessage', status: 'streaming', text: 'ab', item: {} }],
      },
    ]);
    const s = run([{ type: 'snapshot', snapshot: snap, requests: [] }, ...events(delta(3, 'a'), delta(4, 'b'), delta(5, 'c'))]);
    expect(texts(s)).toEqual(['agentMessage:abc']);
  });

  it('applies events in arrival order and refuses an older one that arrives late', () => {
    const s = run([{ type: 'snapshot', snapshot: snapshot(0), requests: [] }, ...events(turnStarted(1), agentStarted(2), delta(5, 'second'), delta(3, 'first'))]);
    expect(texts(s)).toEqual(['agentMessage:second']);
  });

  it('buffers events until the snapshot is loaded and applies only the newer ones', () => {
    const s = run([
      ...events(delta(3, 'x'), delta(6, 'C'), delta(5, 'B'), delta(6, 'C')),
      {
        type: 'snapshot',
        snapshot: snapshot(4, [
          {
            id: 't1',
            status: 'inProgress',
            seq: 1,
            startedAt: '2026-11-25T10:00:01Z',
            items: [{ id: 'a1', itemType: 'agentMessage', status: 'streaming', text: 'A', item: {} }],
          } as never,
        ]),
        requests: [],
      },
    ]);
    // 3 is in the snapshot; 5 then 6 are applied once each, in sequence order.
    expect(texts(s)).toEqual(['agentMessage:ABC']);
    expect(s.seq).toBe(6);
    expect(s.buffer).toEqual([]);
  });

  it('a gap marks the chat for a refetch; the new snapshot plus the buffered newer events lose nothing', () => {
    const live = run([{ type: 'snapshot', snapshot: snapshot(0), requests: [] }, ...events(turnStarted(1), agentStarted(2), delta(3, 'He'))]);
    const gapped = run([{ type: 'gap' }, ...events(delta(9, 'o!'))], live);
    expect(gapped.refetching).toBe(true);
    expect(texts(gapped)).toEqual(['agentMessage:He']); // 9 waits for the snapshot
    const refetched = snapshot(8, [
      {
        id: 't1',
        status: 'inProgress',
        seq: 1,
        startedAt: '2026-11-25T10:00:01Z',
        items: [{ id: 'a1', itemType: 'agentMessage', status: 'streaming', text: 'Hell', item: {} }],
      } as never,
    ]);
    const s = run([{ type: 'snapshot', snapshot: refetched, requests: [] }], gapped);
    expect(s.refetching).toBe(false);
    expect(texts(s)).toEqual(['agentMessage:Hello!']);
    expect(s.seq).toBe(9);
  });

  it('ignores the events of another chat', () => {
    const s = run([
      { type: 'snapshot', snapshot: snapshot(0), requests: [] },
      ...events(turnStarted(1), ev(2, { kind: 'turn.started', data: { turnId: 'other' } }, 'sess-2')),
    ]);
    expect(s.turns.map((t) => t.id)).toEqual(['t1']);
    expect(s.seq).toBe(1);
    // and a snapshot of another session
    const other = { ...snapshot(50), session: { ...snapshot(50).session, id: 'sess-2' } };
    expect(run([{ type: 'snapshot', snapshot: other, requests: [] }], s)).toBe(s);
  });

  it('an interrupted turn cancels what was still streaming', () => {
    const s = run([
      { type: 'snapshot', snapshot: snapshot(0), requests: [] },
      ...events(turnStarted(1), agentStarted(2), delta(3, 'half'), turnCompleted(4, 'interrupted')),
    ]);
    expect(s.turns[0].status).toBe('interrupted');
    expect(s.turns[0].items[0].status).toBe('canceled');
    expect(texts(s)).toEqual(['agentMessage:half']);
  });

  it('a start that arrives after deltas keeps their text', () => {
    const s = run([{ type: 'snapshot', snapshot: snapshot(0), requests: [] }, ...events(turnStarted(1), delta(2, 'early'), agentStarted(3))]);
    expect(texts(s)).toEqual(['agentMessage:early']);
  });

  it('approval requests drive the state pill and follow decisions made elsewhere', () => {
    const opened = ev(5, { kind: 'request.opened', data: { request: approval('r1') } });
    const s = run([{ type: 'snapshot', snapshot: snapshot(0), requests: [] }, ...events(turnStarted(1), opened, opened)]);
    expect(s.requests).toHaveLength(1);
    expect(chatPhase(s)).toBe('approval');
    const resolved = run(
      events(ev(6, { kind: 'request.resolved', data: { requestId: 'r1', outcome: 'resolved', response: { decision: 'decline' }, decidedBy: 'cli' } })),
      s,
    );
    expect(resolved.requests[0]).toMatchObject({ status: 'resolved', decidedBy: 'cli', response: { decision: 'decline' } });
    expect(chatPhase(resolved)).toBe('streaming');
  });

  it('a question makes the chat need input', () => {
    const q = { ...approval('r2'), kind: 'userInput' as const };
    const s = run([{ type: 'snapshot', snapshot: snapshot(0), requests: [q] }, ...events(turnStarted(1))]);
    expect(chatPhase(s)).toBe('input');
  });

  it('an optimistic message stays until the transcript shows it', () => {
    let s = run([{ type: 'snapshot', snapshot: snapshot(0), requests: [] }, { type: 'send', clientId: 'c1', text: 'Hi' }]);
    expect(s.sends).toMatchObject([{ status: 'sending', text: 'Hi' }]);
    expect(chatPhase(s)).toBe('streaming');
    s = run([{ type: 'sent', clientId: 'c1', turnId: 't1' }], s);
    expect(s.sends).toHaveLength(1);
    s = run(events(turnStarted(1), userItem(2, 'Hi')), s);
    expect(s.sends).toEqual([]);
    const failed = run([{ type: 'send', clientId: 'c2', text: 'Again' }, { type: 'sendFailed', clientId: 'c2', error: '503' }], s);
    expect(failed.sends).toMatchObject([{ status: 'failed', error: '503' }]);
  });

  it('rolling back removes the turns with their requests and entries', () => {
    const s = run([
      { type: 'snapshot', snapshot: snapshot(0), requests: [] },
      ...events(
        turnStarted(1, 't1'),
        turnCompleted(2, 'completed', 't1'),
        turnStarted(3, 't2'),
        ev(4, { kind: 'transcript.upserted', data: { messageId: 'm1', role: 'note', text: 'about t2', turnId: 't2' } }),
        ev(5, { kind: 'request.opened', data: { request: approval('r9', 't2') } }),
        turnCompleted(6, 'completed', 't2'),
        ev(7, { kind: 'session.rolled_back', data: { turnIds: ['t2'] } }),
      ),
    ]);
    expect(s.turns.map((t) => t.id)).toEqual(['t1']);
    expect(s.entries).toEqual([]);
    expect(s.requests).toEqual([]);
  });

  it('places transcript entries among the turns by their first sequence and replaces them in place', () => {
    const s = run([
      { type: 'snapshot', snapshot: snapshot(0), requests: [] },
      ...events(
        turnStarted(1, 't1'),
        turnCompleted(2, 'completed', 't1'),
        ev(3, { kind: 'transcript.upserted', data: { messageId: 'n1', role: 'note', text: 'v1' } }),
        turnStarted(4, 't2'),
        ev(5, { kind: 'transcript.upserted', data: { messageId: 'n1', role: 'note', text: 'v2' } }),
      ),
    ]);
    const order = timeline(s).map((x) => (x.kind === 'turn' ? x.turn.id : `${x.entry.messageId}:${x.entry.text}`));
    expect(order).toEqual(['t1', 'n1:v2', 't2']);
  });

  it('a deleted session is flagged', () => {
    const s = run([{ type: 'snapshot', snapshot: snapshot(0), requests: [] }, ...events(ev(3, { kind: 'session.deleted', data: { sessionId: SID } }))]);
    expect(s.deleted).toBe(true);
  });
});
