// Browser notifications for things that need the user while the tab is hidden: a turn that
// ended, a request for approval or input. Permission is asked once, on a user gesture (the first
// message sent), never on page load.
import type { StreamedEvent } from '../api/types';

export function askNotificationPermission(): void {
  if (typeof Notification === 'undefined') return;
  if (Notification.permission === 'default') void Notification.requestPermission().catch(() => {});
}

/** The notification an event deserves while hidden, or null. Exported for tests. */
export function notificationText(ev: StreamedEvent, title: string | null): { title: string; body: string } | null {
  const chat = title || 'Chat';
  if (ev.kind === 'turn.completed') {
    const st = ev.data.status;
    const body = st === 'completed' ? 'The turn finished.' : st === 'interrupted' ? 'The turn was stopped.' : 'The turn failed.';
    return { title: chat, body };
  }
  if (ev.kind === 'request.opened') {
    const k = ev.data.request.kind;
    const body = k === 'userInput' || k === 'mcpElicitation' ? 'Codex has a question for you.' : 'Codex is waiting for your approval.';
    return { title: chat, body };
  }
  return null;
}

export function notifyFor(ev: StreamedEvent, title: string | null): void {
  if (typeof document === 'undefined' || !document.hidden) return;
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  const n = notificationText(ev, title);
  if (!n) return;
  try {
    const note = new Notification(n.title, { body: n.body, tag: `cm-${ev.scopeId}` });
    note.onclick = () => {
      window.focus();
      location.hash = `session=${encodeURIComponent(ev.scopeId)}`;
      note.close();
    };
  } catch {
    // some browsers only allow notifications from a service worker
  }
}
