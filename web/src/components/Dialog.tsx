// Modal dialogs (instead of window.prompt/confirm, which block the page and look foreign):
// a text prompt, a choice, or a confirmation. One at a time, driven by a promise.
import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';

type Spec =
  | { kind: 'prompt'; title: string; label: string; value: string; placeholder?: string; confirm: string; allowEmpty?: boolean }
  | { kind: 'choose'; title: string; label: string; options: { value: string; label: string }[]; value: string; confirm: string }
  | { kind: 'confirm'; title: string; message: string; confirm: string; danger?: boolean };

interface Open {
  id: number;
  spec: Spec;
  resolve: (v: string | null) => void;
}

const Ctx = createContext<(spec: Spec) => Promise<string | null>>(async () => null);

export const useDialog = () => useContext(Ctx);

export function DialogProvider({ children }: { children: React.ReactNode }) {
  const [open, setOpen] = useState<Open | null>(null);
  const seq = useRef(0);
  // Each dialog gets a fresh view (keyed), so one never inherits the previous one's input.
  const ask = useCallback((spec: Spec) => new Promise<string | null>((resolve) => setOpen({ id: ++seq.current, spec, resolve })), []);
  const close = (v: string | null) => {
    open?.resolve(v);
    setOpen(null);
  };
  return (
    <Ctx.Provider value={ask}>
      {children}
      {open && <DialogView key={open.id} spec={open.spec} onClose={close} />}
    </Ctx.Provider>
  );
}

function DialogView({ spec, onClose }: { spec: Spec; onClose: (v: string | null) => void }) {
  const [value, setValue] = useState(spec.kind === 'confirm' ? '' : spec.value);
  const input = useRef<HTMLInputElement & HTMLSelectElement>(null);
  useEffect(() => {
    input.current?.focus();
    if (input.current && 'select' in input.current && spec.kind === 'prompt') input.current.select();
    const esc = (e: KeyboardEvent) => e.key === 'Escape' && onClose(null);
    document.addEventListener('keydown', esc);
    return () => document.removeEventListener('keydown', esc);
  }, [onClose, spec.kind]);
  const ok = spec.kind !== 'prompt' || spec.allowEmpty || value.trim() !== '';
  return (
    <div className="modal-scrim" onMouseDown={(e) => e.target === e.currentTarget && onClose(null)}>
      <form
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-label={spec.title}
        onSubmit={(e) => {
          e.preventDefault();
          if (ok) onClose(spec.kind === 'confirm' ? 'yes' : value);
        }}
      >
        <h2>{spec.title}</h2>
        {spec.kind === 'confirm' && <p>{spec.message}</p>}
        {spec.kind === 'prompt' && (
          <label className="field">
            <span>{spec.label}</span>
            <input ref={input} value={value} placeholder={spec.placeholder} onChange={(e) => setValue(e.target.value)} />
          </label>
        )}
        {spec.kind === 'choose' && (
          <label className="field">
            <span>{spec.label}</span>
            <select ref={input} value={value} onChange={(e) => setValue(e.target.value)}>
              {spec.options.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          </label>
        )}
        <div className="modal-actions">
          <button type="button" className="btn" onClick={() => onClose(null)}>
            Cancel
          </button>
          <button type="submit" className={`btn ${spec.kind === 'confirm' && spec.danger ? 'danger' : 'primary'}`} disabled={!ok}>
            {spec.confirm}
          </button>
        </div>
      </form>
    </div>
  );
}
