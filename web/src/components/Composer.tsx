// The message box. Enter sends (Shift+Enter for a new line). While a turn runs, what is typed
// steers it (`POST …/steer`) and Stop cancels the turn.
import { useEffect, useRef, useState } from 'react';

export function Composer({
  running,
  disabled,
  onSend,
  onSteer,
  onStop,
  autoFocus,
  placeholder,
}: {
  running: boolean;
  disabled?: boolean;
  onSend: (text: string) => Promise<boolean> | boolean | void;
  onSteer?: (text: string) => Promise<boolean>;
  onStop?: () => void;
  autoFocus?: boolean;
  placeholder?: string;
}) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    const el = input.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 220)}px`;
  }, [text]);

  useEffect(() => {
    if (autoFocus) input.current?.focus();
  }, [autoFocus]);

  // "/" focuses the composer from anywhere but a text field.
  useEffect(() => {
    const key = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) return;
      e.preventDefault();
      input.current?.focus();
    };
    document.addEventListener('keydown', key);
    return () => document.removeEventListener('keydown', key);
  }, []);

  const steering = running && !!onSteer;
  const submit = async () => {
    const t = text.trim();
    if (!t || busy || disabled || (running && !onSteer)) return;
    setBusy(true);
    setText('');
    const ok = steering ? await onSteer!(t) : await onSend(t);
    setBusy(false);
    // Given back when a steer failed (a failed send stays in the transcript with Retry).
    if (steering && ok === false) setText((cur) => cur || t);
    input.current?.focus();
  };

  return (
    <form
      className="composer"
      id="composer"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <div className="composer-box">
        <textarea
          ref={input}
          id="input"
          rows={1}
          value={text}
          placeholder={placeholder ?? (steering ? 'Steer the running turn…' : 'Message Codex…')}
          title="Enter sends, Shift+Enter starts a new line" 
          aria-label="Message"
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
              e.preventDefault();
              void submit();
            }
            if (e.key === 'Escape' && running && onStop) {
              e.preventDefault();
              onStop();
            }
          }}
        />
        <div className="composer-actions">
          {running && onStop && (
            <button type="button" className="btn stop" id="stop" onClick={onStop} title="Cancel the turn (Esc)">
              <span className="stop-square" aria-hidden="true" /> Stop
            </button>
          )}
          <button type="submit" className="btn primary send" id="send" disabled={!text.trim() || busy || disabled || (running && !onSteer)}>
            {steering ? 'Steer' : 'Send'}
          </button>
        </div>
      </div>
    </form>
  );
}
