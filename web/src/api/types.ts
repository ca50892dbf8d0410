// The API's types, generated from schemas/openapi.json into ./schema.d.ts by
// `npm run gen:api` (openapi-typescript; `npm run build` regenerates it, `npm run check:api`
// fails when the committed file is stale). Only names are given here — no shape is written by
// hand.
import type { components } from './schema';

type S = components['schemas'];

export type SessionInfo = S['SessionInfo'];
export type SessionPage = S['SessionPage'];
export type SessionSnapshot = S['SessionSnapshot'];
export type TurnRecord = S['TurnRecord'];
export type ItemRecord = S['ItemRecord'];
export type TranscriptEntry = S['TranscriptEntry'];
export type ProjectInfo = S['ProjectInfo'];
export type ProjectList = S['ProjectList'];
export type PendingRequest = S['PendingRequest'];
export type RequestRecord = S['RequestRecord'];
export type RequestKind = S['RequestKind'];
export type TurnAccepted = S['TurnAccepted'];
export type Controls = S['Controls'];
export type SessionControls = S['SessionControls'];
export type RolledBack = S['RolledBack'];
export type SessionActionResult = S['SessionActionResult'];
export type Decision = S['Decision'];
export type BusError = S['BusError'];
export type ErrorBody = S['ErrorBody'];
export type StreamedEvent = S['StreamedEvent'];
export type EventKind = StreamedEvent['kind'];
/** The event of one kind, with its `data` typed. */
export type EventOf<K extends EventKind> = Extract<StreamedEvent, { kind: K }>;
export type JobInfo = S['JobInfo'];
export type JobPage = S['JobPage'];
export type JobState = S['JobState'];
export type Enqueued = S['Enqueued'];
