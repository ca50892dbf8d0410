// The app mark (the same drawing as public/favicon.svg), inline so it never waits for a fetch.
export function Logo({ big }: { big?: boolean }) {
  return (
    <svg className={`logo${big ? ' big' : ''}`} viewBox="0 0 32 32" aria-hidden="true">
      <rect width="32" height="32" rx="8" fill="#111827" />
      <path d="M11 11l-4 5 4 5M21 11l4 5-4 5M18 9l-4 14" stroke="#a5b4fc" strokeWidth="2.4" fill="none" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}
