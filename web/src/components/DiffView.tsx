// A unified diff with added, removed and hunk lines coloured. Text only (no HTML is parsed).
export function DiffView({ diff, className }: { diff: string; className?: string }) {
  const lines = diff.replace(/\n$/, '').split('\n');
  return (
    <pre className={`diff ${className ?? ''}`}>
      {lines.map((l, i) => {
        const cls =
          l.startsWith('+++') || l.startsWith('---') || l.startsWith('diff ') || l.startsWith('index ')
            ? 'meta'
            : l.startsWith('@@')
              ? 'hunk'
              : l.startsWith('+')
                ? 'add'
                : l.startsWith('-')
                  ? 'del'
                  : 'ctx';
        return (
          <span key={i} className={`line ${cls}`}>
            {l}
            {'\n'}
          </span>
        );
      })}
    </pre>
  );
}
