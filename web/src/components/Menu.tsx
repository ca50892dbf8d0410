// A small accessible dropdown menu: a button that opens a list of actions; Escape or a click
// outside closes it.
import { useEffect, useRef, useState } from 'react';

export interface MenuItem {
  label: string;
  onSelect: () => void;
  danger?: boolean;
  disabled?: boolean;
  id?: string;
  className?: string;
}

export function Menu({
  label,
  items,
  className,
  buttonClass,
  children,
  align = 'right',
}: {
  label: string;
  items: MenuItem[];
  className?: string;
  buttonClass?: string;
  children?: React.ReactNode;
  align?: 'left' | 'right';
}) {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent | KeyboardEvent) => {
      if (e instanceof KeyboardEvent) {
        if (e.key === 'Escape') setOpen(false);
        return;
      }
      if (root.current && !root.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', close);
    return () => {
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', close);
    };
  }, [open]);
  return (
    <div className={`menu ${className ?? ''}`} ref={root}>
      <button
        type="button"
        className={buttonClass ?? 'icon-btn'}
        aria-label={label}
        title={label}
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={(e) => {
          e.stopPropagation();
          setOpen((o) => !o);
        }}
      >
        {children ?? <span className="kebab" aria-hidden="true" />}
      </button>
      {open && (
        <div className={`menu-list ${align}`} role="menu">
          {items.map((it) => (
            <button
              key={it.label}
              type="button"
              role="menuitem"
              className={`menu-item${it.danger ? ' danger' : ''}${it.className ? ` ${it.className}` : ''}`}
              disabled={it.disabled}
              data-action={it.id}
              onClick={(e) => {
                e.stopPropagation();
                setOpen(false);
                it.onSelect();
              }}
            >
              {it.label}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
