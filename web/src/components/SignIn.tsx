// Sign-in: the URL `codex-manager up` prints signs in directly (`#token=…`); otherwise the token
// is pasted here. It is kept in this tab's sessionStorage only.
import { useState } from 'react';
import { Logo } from './Logo';

export function SignIn({ error, checking, onSubmit }: { error: string; checking: boolean; onSubmit: (token: string) => void }) {
  const [value, setValue] = useState('');
  return (
    <div className="signin" id="signin">
      <form
        className="signin-card"
        onSubmit={(e) => {
          e.preventDefault();
          const t = value.trim();
          if (t) onSubmit(t);
        }}
      >
        <Logo big />
        <h1>Codex Manager</h1>
        {checking ? (
          <p className="muted">Signing in…</p>
        ) : (
          <>
            <p className="muted">
              Open the link <code>codex-manager up</code> printed, or paste the access token (in <code>&lt;data dir&gt;/token</code>).
            </p>
            <label className="field">
              <span>Access token</span>
              <input
                id="signin-token"
                type="password"
                autoComplete="off"
                spellCheck={false}
                value={value}
                onChange={(e) => setValue(e.target.value)}
                autoFocus
              />
            </label>
            <div className="form-error" id="signin-error" role="alert">
              {error}
            </div>
            <button type="submit" className="btn primary wide" disabled={!value.trim()}>
              Sign in
            </button>
          </>
        )}
      </form>
    </div>
  );
}
