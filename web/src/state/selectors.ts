// What the views read off a chat's state: its phase, the running turn, the latest plan, diff
// or usage, and turns and entries as one timeline. Pure, like the reducer.
import type { ChatState, EntryView, TurnView } from './transcript';

export const APPROVAL_KINDS = ['commandApproval', 'fileChangeApproval', 'permissionsApproval'];

export type ChatPhase = 'idle' | 'streaming' | 'approval' | 'input';

/** The running turn, if any (the last one still in progress). */
export function runningTurn(s: ChatState): TurnView | null {
  for (let i = s.turns.length - 1; i >= 0; i--) if (s.turns[i].status === 'inProgress') return s.turns[i];
  return null;
}

/** What the state pill says. */
export function chatPhase(s: ChatState): ChatPhase {
  const pending = s.requests.filter((r) => r.status === 'pending');
  if (pending.some((r) => APPROVAL_KINDS.includes(r.req.kind))) return 'approval';
  if (pending.length) return 'input';
  if (runningTurn(s) || s.sends.some((p) => p.status === 'sending')) return 'streaming';
  return 'idle';
}

/** The latest value of a per-turn field (plan, diff, usage) across the transcript. */
export function latest<K extends 'plan' | 'diff' | 'usage'>(s: ChatState, key: K): TurnView[K] | null {
  for (let i = s.turns.length - 1; i >= 0; i--) {
    const v = s.turns[i][key];
    if (v !== null && v !== undefined) return v;
  }
  return null;
}

export type TimelineEntry = { kind: 'turn'; turn: TurnView } | { kind: 'entry'; entry: EntryView };

/** Turns and supplemental entries in one list, by their place in the stream. */
export function timeline(s: ChatState): TimelineEntry[] {
  const out: (TimelineEntry & { at: number; n: number })[] = [];
  s.turns.forEach((turn, n) => out.push({ kind: 'turn', turn, at: turn.seq ?? Number.MAX_SAFE_INTEGER, n }));
  s.entries.forEach((entry, n) => out.push({ kind: 'entry', entry, at: entry.seq, n: n + s.turns.length }));
  out.sort((a, b) => a.at - b.at || a.n - b.n);
  return out.map(({ at: _at, n: _n, ...e }) => e as TimelineEntry);
}
