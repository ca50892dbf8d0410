// The insights drawer: the agent's latest plan, the chat's latest diff, token usage and the
// tools it used (commands, edits, tool calls) — what happened, without reading the transcript.
import { useState } from 'react';
import type { ChatState } from '../state/transcript';
import { latest } from '../state/selectors';
import { asObj, commandLine, str } from '../state/items';
import { compactNumber } from '../lib/format';
import { DiffView } from './DiffView';

type Tab = 'plan' | 'diff' | 'usage' | 'tools';

function Plan({ state }: { state: ChatState }) {
  const plan = asObj(latest(state, 'plan'));
  const steps = Array.isArray(plan.steps) ? plan.steps.map(asObj) : [];
  if (!steps.length && !str(plan.explanation)) return <p className="muted">No plan yet. Codex shares one for longer tasks.</p>;
  return (
    <div className="plan">
      {str(plan.explanation) && <p>{str(plan.explanation)}</p>}
      <ol className="plan-steps">
        {steps.map((s, i) => (
          <li key={i} className={`step ${str(s.status) ?? 'pending'}`}>
            <span className="step-mark" aria-hidden="true" />
            <span>{str(s.step) ?? ''}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}

function Usage({ state }: { state: ChatState }) {
  const u = asObj(latest(state, 'usage'));
  const total = asObj(u.total);
  const last = asObj(u.last);
  const win = typeof u.modelContextWindow === 'number' ? u.modelContextWindow : null;
  const n = (o: Record<string, unknown>, k: string) => (typeof o[k] === 'number' ? (o[k] as number) : 0);
  if (!Object.keys(total).length) return <p className="muted">No token usage reported yet.</p>;
  const used = n(last, 'totalTokens');
  const pct = win ? Math.min(100, Math.round((used / win) * 100)) : null;
  return (
    <div className="usage" id="usage">
      {pct !== null && (
        <div className="meter">
          <div className="meter-label">
            <span>Context window</span>
            <span>
              {compactNumber(used)} / {compactNumber(win ?? 0)} ({pct}%)
            </span>
          </div>
          <div className="meter-bar">
            <div className="meter-fill" data-pct={pct} ref={(el) => el?.style.setProperty('width', `${pct}%`)} />
          </div>
        </div>
      )}
      <table className="usage-table">
        <thead>
          <tr>
            <th />
            <th>Last turn</th>
            <th>Chat total</th>
          </tr>
        </thead>
        <tbody>
          {[
            ['Input', 'inputTokens'],
            ['Cached input', 'cachedInputTokens'],
            ['Output', 'outputTokens'],
            ['Reasoning', 'reasoningOutputTokens'],
            ['Total', 'totalTokens'],
          ].map(([label, k]) => (
            <tr key={k}>
              <td>{label}</td>
              <td>{n(last, k).toLocaleString()}</td>
              <td>{n(total, k).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Tools({ state }: { state: ChatState }) {
  const used = state.turns.flatMap((t) => t.items.filter((i) => i.type !== 'userMessage' && i.type !== 'agentMessage' && i.type !== 'reasoning'));
  if (!used.length) return <p className="muted">No commands or tools used yet.</p>;
  return (
    <ul className="tool-list">
      {used.map((i) => {
        const it = i.item;
        const what =
          i.type === 'commandExecution'
            ? commandLine(it)
            : i.type === 'fileChange'
              ? (Array.isArray(it.changes) ? it.changes.map((c) => (str(asObj(c).path) ?? '').split('/').pop()).join(', ') : 'files')
              : [str(it.server), str(it.tool)].filter(Boolean).join('.') || str(it.query) || i.type;
        const st = str(it.status) ?? i.status;
        return (
          <li key={`${i.turnId}/${i.id}`} className="tool-row">
            <span className="tool-kind">{i.type === 'commandExecution' ? 'command' : i.type === 'fileChange' ? 'edit' : 'tool'}</span>
            <code title={i.type === 'fileChange' && Array.isArray(it.changes) ? it.changes.map((c) => str(asObj(c).path)).join('\n') : what}>{what}</code>
            <span className={`badge ${st === 'completed' ? 'ok' : st === 'failed' ? 'bad' : st === 'declined' || st === 'canceled' ? 'warn' : 'live'}`}>
              {st}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

export function Insights({ state, onClose }: { state: ChatState; onClose: () => void }) {
  const [tab, setTab] = useState<Tab>('plan');
  const diff = latest(state, 'diff');
  return (
    <aside className="drawer" id="insights" aria-label="Insights">
      <div className="panel-head">
        <h2>Insights</h2>
        <button type="button" className="icon-btn" aria-label="Close insights" onClick={onClose}>
          ×
        </button>
      </div>
      <div className="tabs" role="tablist">
        {(['plan', 'diff', 'usage', 'tools'] as Tab[]).map((t) => (
          <button key={t} type="button" role="tab" aria-selected={tab === t} className={`tab${tab === t ? ' active' : ''}`} data-tab={t} onClick={() => setTab(t)}>
            {t === 'plan' ? 'Plan' : t === 'diff' ? 'Diff' : t === 'usage' ? 'Usage' : 'Tools'}
          </button>
        ))}
      </div>
      <div className="drawer-body">
        {tab === 'plan' && <Plan state={state} />}
        {tab === 'diff' && (diff ? <DiffView diff={diff} className="big" /> : <p className="muted">No changes to files yet.</p>)}
        {tab === 'usage' && <Usage state={state} />}
        {tab === 'tools' && <Tools state={state} />}
      </div>
    </aside>
  );
}
