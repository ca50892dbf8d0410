// A small accessible dropdown menu: a button that opens a list of actions; Escape or a click
// outside closes it. The list is placed with fixed coordinates next to its button (above it near
// the bottom of the screen), so a scrolling sidebar never clips it.
import { useEffect, useRef, useState } from 'react';

const WIDTH = 210;
const ITEM_H = 36;

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
  const [pos, setPos] = useState<{ top: number; left: number }>({ top: 0, left: 0 });
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const place = () => {
    const r = button.current?.getBoundingClientRect();
    if (!r) return;
    const height = items.length * ITEM_H + 12;
    const below = r.bottom + 4 + height <= window.innerHeight;
    const left = align === 'right' ? r.right - WIDTH : r.left;
    setPos({
      top: below ? r.bottom + 4 : Math.max(8, r.top - 4 - height),
      left: Math.min(Math.max(8, left), window.innerWidth - WIDTH - 8),
    });
  };
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent | KeyboardEvent) => {
      if (e instanceof KeyboardEvent) {
        if (e.key === 'Escape') setOpen(false);
        return;
      }
      if (root.current && !root.current.contains(e.target as Node)) setOpen(false);
    };
    const dismiss = () => setOpen(false);
    // Only when what holds the button scrolls (the transcript streaming below does not count).
    const scrolled = (e: Event) => {
      const t = e.target;
      if (t === document || (t instanceof Node && button.current && t.contains(button.current))) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', close);
    window.addEventListener('resize', dismiss);
    document.addEventListener('scroll', scrolled, true);
    return () => {
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', close);
      window.removeEventListener('resize', dismiss);
      document.removeEventListener('scroll', scrolled, true);
    };
  }, [open]);
  return (
    <div className={`menu ${className ?? ''}`} ref={root}>
      <button
        ref={button}
        type="button"
        className={buttonClass ?? 'icon-btn'}
        aria-label={label}
        title={label}
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={(e) => {
          e.stopPropagation();
          if (!open) place();
          setOpen((o) => !o);
        }}
      >
        {children ?? <span className="kebab" aria-hidden="true" />}
      </button>
      {open && (
        <div className="menu-list" role="menu" style={{ top: pos.top, left: pos.left, width: WIDTH }}>
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
