// What the session service computes for an item, mirrored so a live transcript equals the
// snapshot `GET /api/sessions/{id}` returns for the same events (schemas/src/item.rs; the golden
// fixtures under schemas/fixtures/ keep the two equal).

export type Obj = Record<string, unknown>;

export const asObj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
export const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The human-readable text of a runtime item, where it has one (`null`: keep the deltas). */
export function itemText(item: unknown): string | null {
  const it = asObj(item);
  switch (it.type) {
    case 'agentMessage':
      return str(it.text);
    case 'userMessage':
      return Array.isArray(it.content)
        ? it.content
            .map((p) => str(asObj(p).text))
            .filter((t): t is string => t !== null)
            .join('\n')
        : null;
    case 'reasoning':
      return Array.isArray(it.summary) ? it.summary.filter((s): s is string => typeof s === 'string').join('\n') : null;
    case 'commandExecution':
      return str(it.aggregatedOutput);
    default:
      return null;
  }
}

/** Which item type a delta stream belongs to, for a delta that arrives before its item. */
export const DELTA_ITEM_TYPE: Record<string, string> = {
  text: 'agentMessage',
  reasoningSummary: 'reasoning',
  reasoningText: 'reasoning',
  commandOutput: 'commandExecution',
  fileChangeOutput: 'fileChange',
};

/** The stored status of a completed item: the runtime's own, unless it still says inProgress. */
export function completedStatus(item: unknown): string {
  const s = str(asObj(item).status);
  return s && s !== 'inProgress' ? s : 'completed';
}

/** The command line of a command item or approval request. */
export function commandLine(item: unknown): string {
  const it = asObj(item);
  if (Array.isArray(it.commandActions) && it.commandActions.length) {
    const parts = it.commandActions.map((a) => str(asObj(a).command)).filter(Boolean);
    if (parts.length) return parts.join(' && ');
  }
  if (Array.isArray(it.command)) return it.command.filter((c) => typeof c === 'string').join(' ');
  return str(it.command) ?? '';
}
