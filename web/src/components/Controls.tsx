// The model/effort picker of the header and the session controls panel (approval policy,
// sandbox, network access). Both edit the session's controls with a merge (`PATCH
// /api/sessions/{id}/controls`, `null` = back to the default) and show what is in effect; a knob
// locked by the administrator's defaults is shown but cannot be changed.
import { useEffect, useState } from 'react';
import { api, describe, enc } from '../api/client';
import type { Controls, SessionControls } from '../api/types';
import { asObj, str } from '../state/items';

const EFFORTS = ['minimal', 'low', 'medium', 'high', 'xhigh'];
const POLICIES: [string, string][] = [
  ['untrusted', 'Ask for anything untrusted'],
  ['on-request', 'Ask when the model requests'],
  ['on-failure', 'Ask when a command fails'],
  ['never', 'Never ask'],
];
const SANDBOXES: [string, string][] = [
  ['read-only', 'Read only'],
  ['workspace-write', 'Workspace write'],
  ['danger-full-access', 'Full access (no sandbox)'],
];

export interface ModelOption {
  id: string;
  label: string;
  efforts: string[];
  defaultEffort: string | null;
  isDefault: boolean;
}

let modelsCache: Promise<ModelOption[]> | null = null;
export function loadModels(): Promise<ModelOption[]> {
  if (!modelsCache) {
    modelsCache = api<unknown>('GET', '/api/models')
      .then((res) => {
        const data = Array.isArray(asObj(res).data) ? (asObj(res).data as unknown[]) : [];
        return data
          .map(asObj)
          .filter((m) => !m.hidden)
          .map((m) => ({
            id: str(m.model) ?? str(m.id) ?? '?',
            label: str(m.displayName) ?? str(m.model) ?? '?',
            efforts: Array.isArray(m.supportedReasoningEfforts)
              ? m.supportedReasoningEfforts.map((e) => str(asObj(e).reasoningEffort) ?? '').filter(Boolean)
              : [],
            defaultEffort: str(m.defaultReasoningEffort),
            isDefault: m.isDefault === true,
          }));
      })
      .catch(() => {
        modelsCache = null; // try again next time
        return [];
      });
  }
  return modelsCache;
}

export function useControls(sessionId: string) {
  const [ctl, setCtl] = useState<SessionControls | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    api<SessionControls>('GET', `/api/sessions/${enc(sessionId)}/controls`)
      .then((c) => alive && setCtl(c))
      .catch((e) => alive && setError(describe(e)));
    return () => {
      alive = false;
    };
  }, [sessionId]);
  const patch = async (p: Partial<Record<keyof Controls, unknown>>) => {
    setError(null);
    try {
      const c = await api<SessionControls>('PATCH', `/api/sessions/${enc(sessionId)}/controls`, p);
      setCtl(c);
    } catch (e) {
      setError(describe(e));
    }
  };
  return { ctl, error, patch };
}

export function ModelPicker({ c, sessionModel }: { c: ReturnType<typeof useControls>; sessionModel?: string | null }) {
  const [models, setModels] = useState<ModelOption[]>([]);
  useEffect(() => {
    let alive = true;
    void loadModels().then((m) => alive && setModels(m));
    return () => {
      alive = false;
    };
  }, []);
  const ctl = c.ctl;
  const locked = new Set(ctl?.locked ?? []);
  const model = ctl?.controls.model ?? '';
  const effective = ctl?.effective.model ?? sessionModel ?? models.find((m) => m.isDefault)?.id ?? '';
  const current = models.find((m) => m.id === (model || effective));
  const efforts = current?.efforts.length ? current.efforts : EFFORTS;
  const known = models.some((m) => m.id === model);
  return (
    <div className="picker" id="model-picker">
      <select
        aria-label="Model"
        id="model"
        value={model}
        disabled={!ctl || locked.has('model')}
        onChange={(e) => void c.patch({ model: e.target.value || null })}
      >
        <option value="">{effective ? `Default (${effective})` : 'Default model'}</option>
        {!known && model && <option value={model}>{model}</option>}
        {models.map((m) => (
          <option key={m.id} value={m.id}>
            {m.label}
          </option>
        ))}
      </select>
      <select
        aria-label="Reasoning effort"
        id="effort"
        value={ctl?.controls.effort ?? ''}
        disabled={!ctl || locked.has('effort')}
        onChange={(e) => void c.patch({ effort: e.target.value || null })}
      >
        <option value="">{`Effort: ${ctl?.effective.effort ?? current?.defaultEffort ?? 'default'}`}</option>
        {efforts.map((e) => (
          <option key={e} value={e}>
            {e}
          </option>
        ))}
      </select>
    </div>
  );
}

function Row({ label, hint, children }: { label: string; hint?: string; children: React.ReactNode }) {
  return (
    <label className="ctl-row">
      <span className="ctl-label">
        {label}
        {hint && <span className="muted small">{hint}</span>}
      </span>
      {children}
    </label>
  );
}

export function ControlsPanel({ c, onClose }: { c: ReturnType<typeof useControls>; onClose: () => void }) {
  const ctl = c.ctl;
  const locked = new Set(ctl?.locked ?? []);
  const eff: Partial<Controls> = ctl?.effective ?? {};
  const lockNote = (k: string) => (locked.has(k) ? 'locked by the defaults' : undefined);
  return (
    <div className="panel controls-panel" id="controls-panel" role="dialog" aria-label="Session controls">
      <div className="panel-head">
        <h2>Session controls</h2>
        <button type="button" className="icon-btn" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </div>
      <p className="muted small">These apply to the next turns of this chat. “Default” follows the global defaults.</p>
      {!ctl && !c.error && <p className="muted">Loading…</p>}
      {ctl && (
        <>
          <Row label="Approvals" hint={lockNote('approvalPolicy')}>
            <select
              id="ctl-approval"
              value={ctl.controls.approvalPolicy ?? ''}
              disabled={locked.has('approvalPolicy')}
              onChange={(e) => void c.patch({ approvalPolicy: e.target.value || null })}
            >
              <option value="">Default ({eff.approvalPolicy ?? 'runtime'})</option>
              {POLICIES.map(([v, l]) => (
                <option key={v} value={v}>
                  {l}
                </option>
              ))}
            </select>
          </Row>
          <Row label="Sandbox" hint={lockNote('sandbox')}>
            <select
              id="ctl-sandbox"
              value={ctl.controls.sandbox ?? ''}
              disabled={locked.has('sandbox')}
              onChange={(e) => void c.patch({ sandbox: e.target.value || null })}
            >
              <option value="">Default ({eff.sandbox ?? 'runtime'})</option>
              {SANDBOXES.map(([v, l]) => (
                <option key={v} value={v}>
                  {l}
                </option>
              ))}
            </select>
          </Row>
          <Row label="Network access" hint={lockNote('networkAccess')}>
            <select
              id="ctl-network"
              value={ctl.controls.networkAccess === undefined || ctl.controls.networkAccess === null ? '' : String(ctl.controls.networkAccess)}
              disabled={locked.has('networkAccess')}
              onChange={(e) => void c.patch({ networkAccess: e.target.value === '' ? null : e.target.value === 'true' })}
            >
              <option value="">Default ({eff.networkAccess === undefined || eff.networkAccess === null ? 'runtime' : eff.networkAccess ? 'on' : 'off'})</option>
              <option value="true">On</option>
              <option value="false">Off</option>
            </select>
          </Row>
          <dl className="effective">
            <dt>In effect</dt>
            <dd>
              {[eff.model, eff.effort, eff.approvalPolicy, eff.sandbox, eff.networkAccess === true ? 'network' : null]
                .filter(Boolean)
                .join(' · ') || 'runtime defaults'}
            </dd>
          </dl>
        </>
      )}
      {c.error && <div className="form-error">{c.error}</div>}
    </div>
  );
}
