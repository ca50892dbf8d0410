// The web fold against the Rust fold's golden fixtures (schemas/fixtures/transcript): both must
// give the same turns, item ids, agent text and request outcomes, so the two cannot drift.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StreamedEvent } from '../src/api/types';
import { chatReducer, initialChat, type ChatAction } from '../src/state/transcript';
import { SID, snapshot } from './fixtures';

const DIR = join(__dirname, '../../schemas/fixtures/transcript');
const read = (f: string) => JSON.parse(readFileSync(join(DIR, f), 'utf8'));

describe('golden transcript fixtures', () => {
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.events.json'))) {
    it(file, () => {
      const events: StreamedEvent[] = read(file);
      const expected = read(file.replace('.events.json', '.transcript.json'));
      // A redelivered event keeps its id and so its stream sequence.
      const seqs = new Map<string, number>();
      const actions: ChatAction[] = [{ type: 'snapshot', snapshot: snapshot(0), requests: [] }];
      for (const e of events) {
        if (!seqs.has(e.id)) seqs.set(e.id, seqs.size + 1);
        actions.push({ type: 'event', event: { ...e, scopeId: SID, seq: seqs.get(e.id)! } as StreamedEvent });
      }
      const s = actions.reduce(chatReducer, initialChat(SID));
      const turns = s.turns.map((t) => ({
        turnId: t.id,
        status: t.status,
        items: t.items.map((i) => i.id),
        agent: t.items.filter((i) => i.type === 'agentMessage').map((i) => i.text),
      }));
      type Item = { itemId: string; itemType: string; text: string };
      type Turn = { turnId: string; status: string; items: Item[] };
      const want = (expected.turns as Turn[]).map((t) => ({
        turnId: t.turnId,
        status: t.status,
        items: t.items.map((i) => i.itemId),
        agent: t.items.filter((i) => i.itemType === 'agentMessage').map((i) => i.text),
      }));
      expect(turns).toEqual(want);
      const requests = Object.values(s.requests)
        .map((r) => ({ id: r.req.id, status: r.status }))
        .sort((a, b) => a.id.localeCompare(b.id));
      type Req = { requestId: string; outcome?: string };
      const wantReq = (expected.requests as Req[]).map((r) => ({ id: r.requestId, status: r.outcome ?? 'pending' }));
      expect(requests).toEqual(wantReq);
    });
  }
});
