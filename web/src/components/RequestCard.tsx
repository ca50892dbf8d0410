// A pending request of the runtime, inline in the transcript: approve / approve for the session /
// deny for approvals, a small form for tool-input questions. The card follows the request's
// state live: when it is decided elsewhere (another tab, the CLI, the API) or expires, the
// buttons go and the outcome shows.
import { useState } from 'react';
import type { RequestView } from '../state/transcript';
import { APPROVAL_KINDS } from '../state/selectors';
import { asObj, commandLine, str } from '../state/items';

type Decide = (requestId: string, body: unknown) => Promise<string | null>;

const TITLES: Record<string, string> = {
  commandApproval: 'Run this command?',
  fileChangeApproval: 'Apply these file changes?',
  permissionsApproval: 'Grant these permissions?',
  userInput: 'Codex has a question',
  mcpElicitation: 'A tool asks for input',
  toolCall: 'Tool call for the client',
};

const EXPIRED: Record<string, string> = {
  turn_completed: 'the turn ended first',
  resolved_by_runtime: 'Codex settled it itself',
  runtime_exited: 'the Codex runtime stopped',
};

export function decisionText(resp: unknown): string {
  const r = asObj(resp);
  const d = r.decision;
  const name = typeof d === 'string' ? d : d && typeof d === 'object' ? Object.keys(d)[0] : null;
  switch (name) {
    case 'accept':
    case 'approved':
      return 'Approved';
    case 'acceptForSession':
    case 'approved_for_session':
      return 'Approved for this session';
    case 'acceptWithExecpolicyAmendment':
      return 'Approved (and remembered)';
    case 'decline':
    case 'denied':
      return 'Denied';
    case 'cancel':
    case 'abort':
      return 'Canceled';
    default:
      break;
  }
  const answers = asObj(r.answers);
  const parts = Object.values(answers).map((a) => {
    const list = asObj(a).answers;
    return Array.isArray(list) ? list.join(', ') : '';
  });
  if (parts.length) return `Answered: ${parts.filter(Boolean).join('; ')}`;
  return 'Answered';
}

export function RequestCard({ r, decide, fileChanges }: { r: RequestView; decide: Decide; fileChanges?: string[] }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const req = r.req;
  const p = asObj(req.params);
  const pending = r.status === 'pending';
  const run = async (body: unknown) => {
    setBusy(true);
    setError(null);
    const err = await decide(req.id, body);
    setBusy(false);
    if (err) setError(err);
  };
  const d = asObj(r.response).decision;
  const decision = typeof d === 'string' ? d : r.status;
  return (
    <div
      className={`request ${pending ? 'pending' : 'done'}${busy ? ' busy' : ''}`}
      data-request-id={req.id}
      data-kind={req.kind}
      data-status={r.status}
      data-decision={pending ? undefined : decision}
    >
      <div className="request-title">
        <span className={`req-icon ${APPROVAL_KINDS.includes(req.kind) ? 'shield' : 'ask'}`} aria-hidden="true" />
        {TITLES[req.kind] ?? 'Codex is waiting'}
      </div>
      {pending && req.kind === 'commandApproval' && (
        <>
          <pre className="request-detail">{commandLine(p)}</pre>
          {str(p.cwd) && <div className="muted small">in {str(p.cwd)}</div>}
        </>
      )}
      {pending && req.kind === 'fileChangeApproval' && (
        <>
          {fileChanges && fileChanges.length > 0 && <pre className="request-detail">{fileChanges.join('\n')}</pre>}
          {str(p.grantRoot) && <div className="muted small">and write access to {str(p.grantRoot)}</div>}
        </>
      )}
      {pending && req.kind === 'permissionsApproval' && <pre className="request-detail">{JSON.stringify(p.permissions ?? p, null, 2)}</pre>}
      {pending && (req.kind === 'mcpElicitation' || req.kind === 'toolCall') && <pre className="request-detail">{JSON.stringify(p, null, 2)}</pre>}
      {pending && str(p.reason) && <div className="request-reason">{str(p.reason)}</div>}
      {pending && APPROVAL_KINDS.includes(req.kind) && (
        <div className="request-actions">
          <button type="button" className="btn primary approve" disabled={busy} onClick={() => run({ decision: 'accept' })}>
            Approve
          </button>
          <button
            type="button"
            className="btn approve-session"
            disabled={busy}
            onClick={() => run({ decision: 'accept', scope: 'session' })}
          >
            Approve for session
          </button>
          <button type="button" className="btn danger deny" disabled={busy} onClick={() => run({ decision: 'decline' })}>
            Deny
          </button>
        </div>
      )}
      {pending && req.kind === 'userInput' && <Questions r={r} busy={busy} onSubmit={(answers) => run({ response: { answers } })} />}
      {pending && (req.kind === 'mcpElicitation' || req.kind === 'toolCall') && (
        <div className="request-actions">
          <span className="muted small">This kind of request is answered through the API.</span>
        </div>
      )}
      {error && <div className="form-error">{error}</div>}
      {!pending && (
        <div className="request-outcome">
          {r.status === 'expired'
            ? `Expired: ${EXPIRED[r.reason ?? ''] ?? r.reason ?? 'no decision was made'}`
            : `${decisionText(r.response)}${r.decidedBy ? ` by ${r.decidedBy}` : ''}`}
        </div>
      )}
    </div>
  );
}

interface Question {
  id: string;
  header?: string;
  question?: string;
  options?: { label: string; description?: string }[];
  isOther?: boolean;
  isSecret?: boolean;
}

function Questions({ r, busy, onSubmit }: { r: RequestView; busy: boolean; onSubmit: (a: Record<string, { answers: string[] }>) => void }) {
  const questions = (Array.isArray(asObj(r.req.params).questions) ? asObj(r.req.params).questions : []) as Question[];
  const [chosen, setChosen] = useState<Record<string, string>>({});
  const [typed, setTyped] = useState<Record<string, string>>({});
  const complete = questions.every((q) => (typed[q.id] ?? '').trim() || chosen[q.id]);
  return (
    <form
      className="questions"
      onSubmit={(e) => {
        e.preventDefault();
        const answers: Record<string, { answers: string[] }> = {};
        for (const q of questions) {
          const t = (typed[q.id] ?? '').trim();
          answers[q.id] = { answers: t ? [t] : chosen[q.id] ? [chosen[q.id]] : [] };
        }
        onSubmit(answers);
      }}
    >
      {questions.map((q) => {
        const options = Array.isArray(q.options) ? q.options : [];
        return (
          <fieldset className="question" key={q.id} data-question-id={q.id}>
            {q.header && <legend>{q.header}</legend>}
            <div className="question-text">{q.question}</div>
            <div className="options">
              {options.map((o) => (
                <label key={o.label} className={`option${chosen[q.id] === o.label ? ' chosen' : ''}`}>
                  <input
                    type="radio"
                    name={`q-${r.req.id}-${q.id}`}
                    value={o.label}
                    checked={chosen[q.id] === o.label}
                    onChange={() => setChosen((c) => ({ ...c, [q.id]: o.label }))}
                  />
                  <span className="option-label">{o.label}</span>
                  {o.description && <span className="muted small">{o.description}</span>}
                </label>
              ))}
            </div>
            {(!options.length || q.isOther) && (
              <input
                className="free-text"
                type={q.isSecret ? 'password' : 'text'}
                placeholder={options.length ? 'Or type an answer' : 'Your answer'}
                value={typed[q.id] ?? ''}
                onChange={(e) => setTyped((t) => ({ ...t, [q.id]: e.target.value }))}
              />
            )}
          </fieldset>
        );
      })}
      <div className="request-actions">
        <button type="submit" className="btn primary" disabled={busy || !complete}>
          Send answer
        </button>
      </div>
    </form>
  );
}
