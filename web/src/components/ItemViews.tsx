// One transcript item each: user message, answer, and the activity kinds (reasoning, command,
// file change, tool call…). Every item element carries `data-item-id`/`data-item-type` and its
// text in `.body`, which the browser tests compare with the API's snapshot.
import { memo } from 'react';
import type { ItemView } from '../state/transcript';
import { asObj, commandLine, str } from '../state/items';
import { DiffView } from './DiffView';
import { Markdown } from './Markdown';

function Badge({ it }: { it: ItemView }) {
  const item = it.item;
  const own = str(item.status);
  const exit = typeof item.exitCode === 'number' ? item.exitCode : null;
  if (it.status === 'canceled') return <span className="badge warn">canceled</span>;
  if (it.status === 'streaming' || own === 'inProgress') return <span className="badge live">running</span>;
  if (own === 'declined' || it.status === 'declined') return <span className="badge warn">declined</span>;
  if (own === 'failed' || it.status === 'failed') return <span className="badge bad">failed{exit !== null ? ` · exit ${exit}` : ''}</span>;
  if (exit !== null) return <span className={`badge ${exit ? 'bad' : 'ok'}`}>exit {exit}</span>;
  return <span className="badge ok">done</span>;
}

export const UserMessage = memo(function UserMessage({ it }: { it: ItemView }) {
  return (
    <div className="item userMessage" data-item-id={it.id} data-item-type={it.type} data-status={it.status}>
      <div className="bubble body">{it.text}</div>
    </div>
  );
});

export const AgentMessage = memo(function AgentMessage({ it }: { it: ItemView }) {
  const streaming = it.status === 'streaming';
  return (
    <div className={`item agentMessage${streaming ? ' streaming' : ''}`} data-item-id={it.id} data-item-type={it.type} data-status={it.status}>
      <Markdown className="body" text={it.text} />
      {it.status === 'canceled' && (
        <div className="item-note">{it.text ? 'Stopped before the reply was complete.' : 'The reply was interrupted.'}</div>
      )}
    </div>
  );
});

/** An added or deleted file's change carries its content, not a diff: shown as one. */
function asDiff(text: string, kind: string): string {
  if (text.includes('\n@@') || text.startsWith('@@') || (kind !== 'add' && kind !== 'delete')) return text;
  const sign = kind === 'add' ? '+' : '-';
  return text.replace(/\n$/, '').split('\n').map((l) => sign + l).join('\n');
}

function changeKind(kind: unknown): string {
  if (typeof kind === 'string') return kind;
  return str(asObj(kind).type) ?? '';
}

function ActivityHead({ icon, label, children, it }: { icon: string; label: string; children?: React.ReactNode; it: ItemView }) {
  return (
    <div className="act-head">
      <span className={`act-icon ${icon}`} aria-hidden="true" />
      <span className="act-label">{label}</span>
      {children}
      <Badge it={it} />
    </div>
  );
}

export const ActivityItem = memo(function ActivityItem({ it }: { it: ItemView }) {
  const item = it.item;
  const common = { 'data-item-id': it.id, 'data-item-type': it.type, 'data-status': it.status };
  switch (it.type) {
    case 'reasoning':
      return (
        <div className="item act reasoning" {...common}>
          <div className="act-head">
            <span className="act-icon think" aria-hidden="true" />
            <span className="act-label">{it.status === 'streaming' ? 'Thinking…' : 'Thought'}</span>
          </div>
          <Markdown className="body reasoning-text" text={it.text} />
        </div>
      );
    case 'commandExecution': {
      const cmd = commandLine(item);
      const ms = typeof item.durationMs === 'number' ? item.durationMs : null;
      return (
        <div className="item act commandExecution" {...common}>
          <ActivityHead icon="term" label="Ran" it={it}>
            <code className="cmd">{cmd}</code>
            {ms !== null && <span className="muted small">{(ms / 1000).toFixed(1)}s</span>}
          </ActivityHead>
          <pre className="body output" hidden={!it.text}>
            {it.text}
          </pre>
        </div>
      );
    }
    case 'fileChange': {
      const changes = Array.isArray(item.changes) ? item.changes.map(asObj) : [];
      return (
        <div className="item act fileChange" {...common}>
          <ActivityHead icon="file" label={`Edited ${changes.length || ''} file${changes.length === 1 ? '' : 's'}`} it={it} />
          {changes.map((c, i) => (
            <div className="change" key={i}>
              <div className="change-path">
                <code>{str(c.path) ?? '?'}</code> <span className="muted small">{changeKind(c.kind)}</span>
              </div>
              {str(c.diff) && <DiffView diff={asDiff(str(c.diff) ?? '', changeKind(c.kind))} />}
            </div>
          ))}
          <pre className="body output" hidden={!it.text}>
            {it.text}
          </pre>
        </div>
      );
    }
    case 'mcpToolCall':
    case 'dynamicToolCall':
    case 'collabAgentToolCall': {
      const name = [str(item.server), str(item.tool)].filter(Boolean).join('.') || it.type;
      const args = item.arguments !== undefined ? JSON.stringify(item.arguments, null, 2) : '';
      const result = item.result ?? item.error ?? item.contentItems;
      return (
        <div className="item act tool" {...common}>
          <ActivityHead icon="tool" label="Tool" it={it}>
            <code className="cmd">{name}</code>
          </ActivityHead>
          {args && args !== '{}' && <pre className="output args">{args}</pre>}
          {str(item.message) && <div className="muted small">{str(item.message)}</div>}
          <pre className="body output" hidden={!it.text && result === undefined}>
            {it.text || (result !== undefined && result !== null ? JSON.stringify(result, null, 2) : '')}
          </pre>
        </div>
      );
    }
    case 'webSearch':
      return (
        <div className="item act tool" {...common}>
          <ActivityHead icon="search" label="Searched the web" it={it}>
            <code className="cmd">{str(item.query) ?? ''}</code>
          </ActivityHead>
          <pre className="body output" hidden={!it.text}>
            {it.text}
          </pre>
        </div>
      );
    default:
      return (
        <div className="item act other" {...common}>
          <ActivityHead icon="dot" label={labelOf(it.type)} it={it} />
          <pre className="body output" hidden={!it.text}>
            {it.text}
          </pre>
        </div>
      );
  }
});

function labelOf(type: string): string {
  switch (type) {
    case 'contextCompaction':
      return 'Compacted the conversation';
    case 'enteredReviewMode':
      return 'Started a review';
    case 'exitedReviewMode':
      return 'Finished the review';
    case 'imageView':
      return 'Viewed an image';
    case 'plan':
      return 'Updated the plan';
    default:
      return type.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  }
}
