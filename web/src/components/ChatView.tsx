// One open chat: header (title, state pill, model and effort, thread actions, cancel), the
// transcript, the composer, and the insights drawer / controls panel. Mounted per session id.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError, describe, enc } from '../api/client';
import type { RolledBack, SessionInfo, TurnAccepted } from '../api/types';
import { useChat } from '../hooks/useChat';
import { sessionTitle } from '../lib/format';
import { askNotificationPermission } from '../lib/notify';
import { chatPhase, runningTurn, type ChatPhase } from '../state/selectors';
import { Composer } from './Composer';
import { ControlsPanel, ModelPicker, useControls } from './Controls';
import { useDialog } from './Dialog';
import { Insights } from './Insights';
import { Menu } from './Menu';
import { Transcript } from './Transcript';

const PHASE_LABEL: Record<ChatPhase, string> = {
  idle: 'idle',
  streaming: 'streaming',
  approval: 'waiting for approval',
  input: 'needs input',
};

export interface ChatViewProps {
  sessionId: string;
  known: SessionInfo | null;
  firstMessage: string | null;
  onFirstMessageTaken: () => void;
  onOpenNav: () => void;
  onSelect: (id: string) => void;
  onGone: (id: string) => void;
  onRunning: (id: string, running: boolean) => void;
  onSessionChanged: (s: SessionInfo) => void;
  toast: (msg: string, error?: boolean) => void;
}

export function ChatView(p: ChatViewProps) {
  const { sessionId, toast } = p;
  const chat = useChat(sessionId, toast);
  const { state } = chat;
  const controls = useControls(sessionId);
  const ask = useDialog();
  const [drawer, setDrawer] = useState<'insights' | 'controls' | null>(null);
  const phase = chatPhase(state);
  const running = !!runningTurn(state);
  const session = state.session ?? p.known;
  const archived = !!session?.archived;


  const { onRunning, onGone, onSessionChanged } = p;
  useEffect(() => onRunning(sessionId, running), [onRunning, sessionId, running]);
  useEffect(() => {
    if (chat.gone) onGone(sessionId);
  }, [chat.gone, onGone, sessionId]);
  useEffect(() => {
    if (state.session) onSessionChanged(state.session);
  }, [state.session, onSessionChanged]);

  useEffect(() => {
    document.title = `${sessionTitle(session)} · Codex Manager`;
    return () => {
      document.title = 'Codex Manager';
    };
  }, [session]);

  // A chat without a title is named after its first message, for every client to see.
  const untitled = !session?.title && state.turns.length === 0;
  const { onSessionChanged: changed } = p;
  const send = useCallback(
    async (text: string) => {
      askNotificationPermission();
      const ok = await chat.send(text);
      if (ok && untitled) {
        const title = text.replace(/\s+/g, ' ').trim().slice(0, 60);
        api<SessionInfo>('PATCH', `/api/sessions/${enc(sessionId)}`, { title })
          .then((s) => chat.alive.current && changed(s))
          .catch(() => {}); // a title is a nicety
      }
      return ok;
    },
    [chat, untitled, sessionId, changed],
  );

  // The message typed on the empty page, sent once this chat exists.
  const took = useRef(false);
  const { firstMessage, onFirstMessageTaken } = p;
  useEffect(() => {
    if (firstMessage && !took.current) {
      took.current = true;
      onFirstMessageTaken();
      void send(firstMessage);
    }
  }, [firstMessage, onFirstMessageTaken, send]);

  const steer = useCallback(
    async (text: string) => {
      try {
        await api<TurnAccepted>('POST', `/api/sessions/${enc(sessionId)}/steer`, { text });
        return true;
      } catch (e) {
        toast(`Could not steer: ${describe(e)}`, true);
        return false;
      }
    },
    [sessionId, toast],
  );

  const stop = useCallback(async () => {
    try {
      await api('POST', `/api/sessions/${enc(sessionId)}/interrupt`);
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 'no_active_turn')) toast(`Could not stop: ${describe(e)}`, true);
    }
  }, [sessionId, toast]);

  const action = async (label: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (e) {
      toast(`${label} failed: ${describe(e)}`, true);
    }
  };

  const fork = () =>
    action('Fork', async () => {
      const s = await api<SessionInfo>('POST', `/api/sessions/${enc(sessionId)}/fork`);
      toast('Forked into a new chat.');
      p.onSelect(s.id);
    });
  const compact = () =>
    action('Compact', async () => {
      await api('POST', `/api/sessions/${enc(sessionId)}/compact`);
      toast('Compacting the conversation…');
    });
  const review = () =>
    action('Review', async () => {
      await api('POST', `/api/sessions/${enc(sessionId)}/review`, {});
      toast('Review started.');
    });
  const rollback = async () => {
    const n = await ask({
      kind: 'choose',
      title: 'Roll back',
      label: 'Remove the last turns from this chat (files are not reverted)',
      options: [1, 2, 3, 5].filter((k) => k <= state.turns.length).map((k) => ({ value: String(k), label: `Last ${k} turn${k > 1 ? 's' : ''}` })),
      value: '1',
      confirm: 'Roll back',
    });
    if (!n) return;
    await action('Roll back', async () => {
      const r = await api<RolledBack>('POST', `/api/sessions/${enc(sessionId)}/rollback`, { turns: Number(n) });
      toast(`Rolled back ${r.removedTurnIds.length} turn${r.removedTurnIds.length === 1 ? '' : 's'}.`);
    });
  };
  const unarchive = () =>
    action('Restore', async () => {
      const s = await api<SessionInfo>('POST', `/api/sessions/${enc(sessionId)}/unarchive`);
      p.onSessionChanged(s);
    });

  const idle = !running && phase === 'idle';
  const conn = chat.conn;
  const reconnecting = conn.status === 'retrying';

  if (chat.gone) {
    return (
      <main className="chat">
        <div className="center-note">
          <p>This chat does not exist any more.</p>
        </div>
      </main>
    );
  }

  return (
    <main className={`chat${drawer ? ' with-drawer' : ''}`}>
      <header className="chat-head">
        <button type="button" className="icon-btn menu-btn" id="menu" aria-label="Chats" onClick={p.onOpenNav}>
          <span className="burger" aria-hidden="true" />
        </button>
        <div className="title-block">
          <h1 id="title" title={session?.cwd ? `Working directory: ${session.cwd}` : undefined}>
            {sessionTitle(session)}
          </h1>
          {session?.cwd && <span className="cwd muted small">{session.cwd}</span>}
        </div>
        <span className="pill" id="state" data-state={phase} aria-live="polite">
          {PHASE_LABEL[phase]}
        </span>
        <span
          className="conn-top"
          id="conn-top"
          data-state={conn.status === 'loading' ? 'connecting' : conn.status}
          title={reconnecting ? 'Reconnecting' : conn.status === 'live' ? 'Live' : conn.status}
        />
        <div className="head-spacer" />
        <ModelPicker c={controls} sessionModel={session?.model} />
        <div className="head-actions">
          <Menu
            label="Thread actions"
            buttonClass="btn ghost"
            items={[
              { label: 'Fork into a new chat', onSelect: fork, id: 'fork', disabled: archived },
              { label: 'Compact conversation', onSelect: compact, id: 'compact', disabled: !idle || archived },
              { label: 'Review changes', onSelect: review, id: 'review', disabled: !idle || archived },
              { label: 'Roll back…', onSelect: rollback, id: 'rollback', disabled: !idle || archived || state.turns.length === 0 },
              // On a phone the drawer toggles live in this menu.
              { label: 'Session controls', onSelect: () => setDrawer('controls'), id: 'controls', className: 'phone-only' },
              { label: 'Insights', onSelect: () => setDrawer('insights'), id: 'insights', className: 'phone-only' },
            ]}
          >
            Actions
          </Menu>
          <button
            type="button"
            className={`btn ghost desktop-only${drawer === 'controls' ? ' active' : ''}`}
            id="toggle-controls"
            aria-pressed={drawer === 'controls'}
            onClick={() => setDrawer((d) => (d === 'controls' ? null : 'controls'))}
          >
            Controls
          </button>
          <button
            type="button"
            className={`btn ghost desktop-only${drawer === 'insights' ? ' active' : ''}`}
            id="toggle-insights"
            aria-pressed={drawer === 'insights'}
            onClick={() => setDrawer((d) => (d === 'insights' ? null : 'insights'))}
          >
            Insights
          </button>
        </div>
      </header>
      {reconnecting && (
        <div className="banner warn" id="reconnect" role="status">
          Connection lost — reconnecting{conn.retryInMs ? ` in ${Math.max(1, Math.round(conn.retryInMs / 1000))}s` : '…'} (attempt {conn.attempt})
        </div>
      )}
      {chat.loadError && (
        <div className="banner error" role="alert">
          Could not load this chat: {chat.loadError}{' '}
          <button type="button" className="link" onClick={chat.retryLoad}>
            Try again
          </button>
        </div>
      )}
      {archived && (
        <div className="banner" role="status">
          This chat is archived.{' '}
          <button type="button" className="link" onClick={unarchive}>
            Restore it
          </button>{' '}
          to continue.
        </div>
      )}
      <div className="chat-body">
        <div className="chat-main">
          {!state.loaded && !chat.loadError ? (
            <div className="center-note muted">Loading…</div>
          ) : (
            <Transcript
              state={state}
              decide={chat.decide}
              onRetrySend={(ps) => {
                chat.dismissSend(ps.clientId);
                void send(ps.text);
              }}
              onDismissSend={chat.dismissSend}
              empty={
                <div className="empty" id="empty">
                  <h2>What should Codex do?</h2>
                  <p className="muted">Ask a question or describe a change. Codex works in {session?.cwd ?? 'the working directory'}.</p>
                </div>
              }
            />
          )}
          <Composer running={running} disabled={archived || !state.loaded} onSend={send} onSteer={steer} onStop={stop} autoFocus />
        </div>
        {drawer === 'insights' && <Insights state={state} onClose={() => setDrawer(null)} />}
        {drawer === 'controls' && <ControlsPanel c={controls} onClose={() => setDrawer(null)} />}
      </div>
    </main>
  );
}
