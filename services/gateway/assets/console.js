// Codex Manager console: one page, no dependencies, no build step.
//
// The bearer token comes from the URL fragment (`#token=…`, never sent to the server), is kept
// in sessionStorage and removed from the address bar. A session's transcript is loaded from
// `GET /api/sessions/{id}` (which says up to which stream sequence it is complete), then kept
// live from `GET /api/sessions/{id}/events?after=<seq>`, read with fetch() and a streaming SSE
// parser because EventSource cannot send the Authorization header. Every event carries its
// sequence: one at or below the last applied is dropped, so a reconnect (with Last-Event-ID)
// neither loses nor repeats anything. All text is rendered with textContent.
'use strict';

(() => {
  const TOKEN_KEY = 'cm.token';
  const TITLES_KEY = 'cm.titles';
  const BACKOFF_FIRST_MS = 500;
  const BACKOFF_MAX_MS = 15000;
  // The gateway sends a heartbeat every 15 s; a stream silent for longer is dead.
  const STALL_MS = 40000;

  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  };
  const enc = encodeURIComponent;

  const state = {
    token: null,
    sessions: [],
    view: null, // the selected session (see newView)
    gen: 0,
    apiUp: true,
  };

  // ---------------------------------------------------------------- token

  /** Moves `#token=…` into sessionStorage and out of the address bar. */
  function takeTokenFromUrl() {
    const params = new URLSearchParams(location.hash.slice(1));
    if (params.has('token')) {
      const t = (params.get('token') || '').trim();
      params.delete('token');
      replaceHash(params);
      if (t) sessionStorage.setItem(TOKEN_KEY, t);
    }
    return sessionStorage.getItem(TOKEN_KEY);
  }

  function replaceHash(params) {
    const rest = params.toString();
    history.replaceState(history.state, '', location.pathname + location.search + (rest ? '#' + rest : ''));
  }

  function hashSession() {
    return new URLSearchParams(location.hash.slice(1)).get('session');
  }

  function setHashSession(id) {
    const params = new URLSearchParams(location.hash.slice(1));
    if (id) params.set('session', id);
    else params.delete('session');
    replaceHash(params);
  }

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, body, message) {
      super(message);
      this.status = status;
      this.code = body && body.error ? body.error.code : null;
    }
  }

  async function api(method, path, body, signal) {
    const headers = { Authorization: 'Bearer ' + state.token, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method !== 'GET') headers['X-CM-Actor'] = 'web';
    let res;
    try {
      res = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        signal,
      });
    } catch (e) {
      if (e && e.name === 'AbortError') throw e;
      setApiUp(false);
      throw new ApiError(0, null, 'Cannot reach Codex Manager. Is it still running?');
    }
    setApiUp(true);
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch (_) {
      json = null;
    }
    if (res.status === 401) {
      signOut('That token was not accepted. Paste the current one.');
      throw new ApiError(401, json, 'unauthorized');
    }
    if (!res.ok) {
      const msg = json && json.error && json.error.message ? json.error.message : res.status + ' ' + res.statusText;
      throw new ApiError(res.status, json, msg);
    }
    return json;
  }

  function setApiUp(up) {
    if (state.apiUp === up) return;
    state.apiUp = up;
    if (!state.view) setConn(up ? 'idle' : 'off', up ? 'Not connected' : 'Offline');
  }

  // ---------------------------------------------------------------- small UI helpers

  let toastTimer = null;
  function toast(message, isError) {
    const t = $('toast');
    t.textContent = message;
    t.classList.toggle('error', !!isError);
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.hidden = true; }, isError ? 6000 : 3000);
  }

  function setConn(kind, label) {
    $('conn').dataset.state = kind;
    $('conn-label').textContent = label;
    const top = $('conn-top'); // the phone layout's copy, next to the state pill
    top.dataset.state = kind;
    top.title = label;
  }

  function loadTitles() {
    try {
      return JSON.parse(localStorage.getItem(TITLES_KEY) || '{}') || {};
    } catch (_) {
      return {};
    }
  }

  /** Remembers the first user message of a session as its title (the API has none yet). */
  function rememberTitle(id, text) {
    const titles = loadTitles();
    if (titles[id] || !text) return;
    titles[id] = text.replace(/\s+/g, ' ').trim().slice(0, 80);
    const keys = Object.keys(titles);
    if (keys.length > 300) delete titles[keys[0]];
    try {
      localStorage.setItem(TITLES_KEY, JSON.stringify(titles));
    } catch (_) { /* storage full or disabled: titles are a nicety */ }
    renderSessions();
  }

  function sessionTitle(s) {
    return s.title || loadTitles()[s.id] || 'New chat';
  }

  function ago(iso) {
    const t = Date.parse(iso);
    if (!t) return '';
    const s = Math.max(0, (Date.now() - t) / 1000);
    if (s < 60) return 'just now';
    if (s < 3600) return Math.floor(s / 60) + ' min ago';
    if (s < 86400) return Math.floor(s / 3600) + ' h ago';
    return new Date(t).toLocaleDateString();
  }

  function sleep(ms, signal) {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        window.removeEventListener('online', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      window.addEventListener('online', done);
      if (signal) signal.addEventListener('abort', done, { once: true });
    });
  }

  // Keeps the transcript pinned to the bottom while it grows, unless the reader scrolled up.
  function pinned(fn) {
    const t = $('transcript');
    const atBottom = t.scrollHeight - t.scrollTop - t.clientHeight < 80;
    fn();
    if (atBottom) t.scrollTop = t.scrollHeight;
  }

  // ---------------------------------------------------------------- sign-in

  function showSignIn(message) {
    $('app').hidden = true;
    $('signin').hidden = false;
    $('signin-error').textContent = message || '';
    $('signin-token').value = '';
    $('signin-token').focus();
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    state.token = null;
    leaveView();
    showSignIn(message);
  }

  async function signIn(token) {
    state.token = token;
    try {
      await api('GET', '/api/sessions?limit=1');
    } catch (e) {
      if (e.status !== 401) $('signin-error').textContent = e.message;
      return false;
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    $('signin').hidden = true;
    $('app').hidden = false;
    await refreshSessions();
    const wanted = hashSession();
    if (wanted) selectSession(wanted);
    else showEmpty();
    $('input').focus();
    return true;
  }

  // ---------------------------------------------------------------- sessions list

  async function refreshSessions() {
    try {
      const page = await api('GET', '/api/sessions?limit=100');
      state.sessions = (page && page.sessions) || [];
      state.sessions.sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));
      renderSessions();
      fillTitles();
    } catch (e) {
      if (e.status !== 401) toast('Could not load chats: ' + e.message, true);
    }
  }

  // Chats started elsewhere get their first message as title too: looked up once per change.
  const titleChecked = new Map(); // session id -> updatedAt when looked at
  let fillingTitles = false;
  async function fillTitles() {
    if (fillingTitles) return;
    fillingTitles = true;
    try {
      const titles = loadTitles();
      const todo = state.sessions
        .filter((s) => !s.title && !titles[s.id] && titleChecked.get(s.id) !== s.updatedAt)
        .slice(0, 30);
      for (const s of todo) {
        titleChecked.set(s.id, s.updatedAt);
        try {
          const snap = await api('GET', '/api/sessions/' + enc(s.id));
          const items = (snap.turns || []).flatMap((t) => t.items || []);
          const first = items.find((i) => i.itemType === 'userMessage' && i.text);
          if (first) rememberTitle(s.id, first.text);
        } catch (e) {
          if (e.status === 401) return;
        }
      }
    } finally {
      fillingTitles = false;
    }
  }

  function renderSessions() {
    const list = $('session-list');
    list.replaceChildren();
    const current = state.view ? state.view.id : null;
    for (const s of state.sessions) {
      const li = el('li');
      const b = el('button', 'session' + (s.id === current ? ' current' : ''));
      b.type = 'button';
      b.dataset.id = s.id;
      const running = state.view && state.view.id === s.id ? state.view.running : s.status === 'active';
      b.append(el('span', 'session-title', sessionTitle(s)));
      const meta = el('span', 'session-meta', ago(s.updatedAt || s.createdAt));
      if (running) meta.prepend(el('span', 'running-dot'));
      b.append(meta);
      if (s.id === current) b.setAttribute('aria-current', 'true');
      b.addEventListener('click', () => {
        closeNav();
        if (!state.view || state.view.id !== s.id) selectSession(s.id);
      });
      li.append(b);
      list.append(li);
    }
    $('session-empty').hidden = state.sessions.length > 0;
  }

  async function newChat() {
    const b = $('new-chat');
    b.disabled = true;
    try {
      const s = await api('POST', '/api/sessions', {});
      state.sessions = state.sessions.filter((x) => x.id !== s.id);
      state.sessions.unshift(s);
      closeNav();
      await selectSession(s.id);
      $('input').focus();
      return s;
    } catch (e) {
      if (e.status !== 401) toast('Could not start a chat: ' + e.message, true);
      return null;
    } finally {
      b.disabled = false;
    }
  }

  function openNav() { document.body.classList.add('nav-open'); }
  function closeNav() { document.body.classList.remove('nav-open'); }

  // ---------------------------------------------------------------- the session view

  function newView(id) {
    return {
      id,
      gen: ++state.gen,
      abort: new AbortController(),
      lastSeq: 0,
      lastEventId: null,
      turns: new Map(), // turnId -> {el, status, error}
      items: new Map(), // turnId/itemId -> item
      requests: new Map(), // requestId -> request
      running: false,
      turnId: null,
      completedTurns: new Set(),
    };
  }

  const isCurrent = (view) => state.view === view && view.gen === state.gen;

  function leaveView() {
    if (state.view) state.view.abort.abort();
    state.view = null;
  }

  function showEmpty() {
    leaveView();
    setHashSession(null);
    $('turns').replaceChildren();
    $('empty').hidden = false;
    $('title').textContent = 'New chat';
    setConn(state.apiUp ? 'idle' : 'off', state.apiUp ? 'Not connected' : 'Offline');
    updateControls();
    renderSessions();
  }

  async function selectSession(id) {
    leaveView();
    const view = newView(id);
    state.view = view;
    setHashSession(id);
    $('turns').replaceChildren(el('p', 'loading', 'Loading…'));
    $('empty').hidden = true;
    const known = state.sessions.find((s) => s.id === id);
    $('title').textContent = known ? sessionTitle(known) : 'Chat';
    updateControls();
    renderSessions();
    setConn('connecting', 'Loading…');
    let snap;
    let reqs = [];
    try {
      snap = await api('GET', '/api/sessions/' + enc(id), undefined, view.abort.signal);
      if (!isCurrent(view)) return;
      try {
        reqs = await api('GET', '/api/sessions/' + enc(id) + '/requests?includeResolved=true', undefined, view.abort.signal);
      } catch (e) {
        if (e.name === 'AbortError' || e.status === 401) return;
        reqs = []; // the stream still brings new requests
      }
    } catch (e) {
      if (!isCurrent(view) || e.name === 'AbortError' || e.status === 401) return;
      if (e.status === 404) {
        toast('That chat does not exist any more.', true);
        state.sessions = state.sessions.filter((s) => s.id !== id);
        showEmpty();
      } else {
        const retry = el('button', 'link', 'Try again');
        retry.type = 'button';
        retry.addEventListener('click', () => selectSession(id));
        const notice = el('p', 'notice error', 'Could not load this chat: ' + e.message + ' ');
        notice.append(retry);
        $('turns').replaceChildren(notice);
        setConn('off', 'Offline');
      }
      return;
    }
    if (!isCurrent(view)) return;
    renderSnapshot(view, snap, reqs || []);
    const t = $('transcript');
    t.scrollTop = t.scrollHeight;
    streamEvents(view);
  }

  function renderSnapshot(view, snap, reqs) {
    $('turns').replaceChildren();
    view.lastSeq = snap.seq || 0;
    const s = snap.session;
    if (s) {
      const i = state.sessions.findIndex((x) => x.id === s.id);
      if (i >= 0) state.sessions[i] = s;
      else state.sessions.unshift(s);
    }
    for (const turn of snap.turns || []) {
      const t = ensureTurn(view, turn.id);
      t.status = turn.status;
      for (const rec of turn.items || []) {
        upsertItem(view, turn.id, rec.id, rec.itemType, { text: rec.text, status: rec.status, item: rec.item });
      }
      if (turn.status === 'inProgress') {
        view.running = true;
        view.turnId = turn.id;
      } else {
        view.completedTurns.add(turn.id);
        endTurnNotice(view, turn.id, turn.status, turn.error, turn.reason);
      }
    }
    // Requests of turns the snapshot does not have yet arrive, in order, on the stream.
    for (const r of reqs) {
      if (!r.turnId || view.turns.has(r.turnId)) upsertRequest(view, r, r);
    }
    updateTitle(view);
    updateControls();
  }

  function updateTitle(view) {
    const s = state.sessions.find((x) => x.id === view.id);
    if (s && !s.title && !loadTitles()[s.id]) {
      const first = [...view.items.values()].find((it) => it.type === 'userMessage' && it.text);
      if (first) rememberTitle(s.id, first.text);
    }
    $('title').textContent = s ? sessionTitle(s) : 'Chat';
    $('empty').hidden = view.turns.size > 0;
  }

  // ---------------------------------------------------------------- turns and items

  function ensureTurn(view, turnId) {
    let t = view.turns.get(turnId);
    if (!t) {
      const e = el('div', 'turn');
      e.dataset.turnId = turnId;
      $('turns').append(e);
      t = { el: e, status: 'inProgress' };
      view.turns.set(turnId, t);
      $('empty').hidden = true;
    }
    return t;
  }

  /** The text of a runtime item, as the session service computes it (null: keep the deltas). */
  function itemText(item) {
    if (!item || typeof item !== 'object') return null;
    switch (item.type) {
      case 'agentMessage':
        return typeof item.text === 'string' ? item.text : null;
      case 'userMessage':
        return Array.isArray(item.content)
          ? item.content.filter((p) => p && typeof p.text === 'string').map((p) => p.text).join('\n')
          : null;
      case 'reasoning':
        return Array.isArray(item.summary) ? item.summary.filter((x) => typeof x === 'string').join('\n') : null;
      case 'commandExecution':
        return typeof item.aggregatedOutput === 'string' ? item.aggregatedOutput : null;
      default:
        return null;
    }
  }

  const DELTA_TYPES = {
    text: 'agentMessage',
    reasoningSummary: 'reasoning',
    reasoningText: 'reasoning',
    commandOutput: 'commandExecution',
    fileChangeOutput: 'fileChange',
  };

  function upsertItem(view, turnId, itemId, type, patch) {
    const key = turnId + '/' + itemId;
    let it = view.items.get(key);
    const turn = ensureTurn(view, turnId);
    if (!it) {
      it = { key, turnId, id: itemId, type: type || 'unknown', status: 'streaming', text: '', item: {} };
      it.el = el('div');
      it.el.dataset.itemId = itemId;
      turn.el.append(it.el);
      view.items.set(key, it);
    }
    if (type && type !== 'unknown') it.type = type;
    if (patch.item && Object.keys(patch.item).length) it.item = patch.item;
    if (patch.status) it.status = patch.status;
    if (typeof patch.text === 'string') it.text = patch.text;
    renderItem(it);
    return it;
  }

  function appendDelta(view, d) {
    const key = d.turnId + '/' + d.itemId;
    const it = view.items.get(key);
    if (!it) {
      upsertItem(view, d.turnId, d.itemId, DELTA_TYPES[d.stream] || 'unknown', { text: d.delta });
      return;
    }
    it.text += d.delta;
    if (it.body) {
      it.body.append(d.delta); // a text node: never parsed as HTML
      it.body.hidden = false;
    } else {
      renderItem(it);
    }
  }

  function badge(text, kind) {
    return el('span', 'badge' + (kind ? ' ' + kind : ''), text);
  }

  function statusBadge(it) {
    const st = (it.item && it.item.status) || it.status;
    if (it.status === 'canceled') return badge('canceled', 'warn');
    if (it.status === 'streaming' || st === 'inProgress') return badge('running', 'live');
    if (st === 'declined') return badge('declined', 'warn');
    if (st === 'failed') {
      const code = it.item && typeof it.item.exitCode === 'number' ? ' (exit ' + it.item.exitCode + ')' : '';
      return badge('failed' + code, 'bad');
    }
    if (it.item && typeof it.item.exitCode === 'number') return badge('exit ' + it.item.exitCode, it.item.exitCode ? 'bad' : 'ok');
    return badge('done', 'ok');
  }

  function commandLine(item) {
    if (Array.isArray(item.commandActions) && item.commandActions.length) {
      const parts = item.commandActions.map((a) => a && a.command).filter(Boolean);
      if (parts.length) return parts.join(' && ');
    }
    return typeof item.command === 'string' ? item.command : '';
  }

  function changeKind(kind) {
    if (!kind) return '';
    if (typeof kind === 'string') return kind;
    return kind.type || '';
  }

  /** (Re)builds an item's element from its state; deltas only append to `it.body`. */
  function renderItem(it) {
    const e = it.el;
    e.className = 'item ' + it.type + (it.status === 'canceled' ? ' canceled' : '');
    e.dataset.itemType = it.type;
    e.dataset.status = it.status;
    e.replaceChildren();
    it.body = null;
    const item = it.item || {};
    switch (it.type) {
      case 'userMessage': {
        it.body = el('div', 'body bubble', it.text);
        e.append(it.body);
        break;
      }
      case 'agentMessage': {
        const head = el('div', 'who', 'Codex');
        if (it.status === 'streaming') head.append(el('span', 'typing', '●'));
        if (it.status === 'canceled') head.append(badge('stopped', 'warn'));
        it.body = el('div', 'body', it.text);
        e.append(head, it.body);
        break;
      }
      case 'reasoning': {
        const d = el('details', 'fold');
        d.open = it.status === 'streaming';
        d.append(el('summary', null, it.status === 'streaming' ? 'Thinking…' : 'Reasoning'));
        it.body = el('div', 'body', it.text);
        d.append(it.body);
        e.append(d);
        break;
      }
      case 'commandExecution': {
        const head = el('div', 'tool-head');
        head.append(el('span', 'tool-kind', 'Command'), el('code', 'cmd', commandLine(item)), statusBadge(it));
        it.body = el('pre', 'body output', it.text);
        it.body.hidden = !it.text;
        e.append(head, it.body);
        break;
      }
      case 'fileChange': {
        const head = el('div', 'tool-head');
        head.append(el('span', 'tool-kind', 'File changes'), statusBadge(it));
        e.append(head);
        const changes = Array.isArray(item.changes) ? item.changes : [];
        if (changes.length) {
          const ul = el('ul', 'changes');
          for (const c of changes) {
            const li = el('li');
            li.append(el('code', null, c.path || '?'), el('span', 'muted', ' ' + changeKind(c.kind)));
            if (c.diff) {
              const d = el('details', 'fold');
              d.append(el('summary', null, 'diff'), el('pre', 'diff', c.diff));
              li.append(d);
            }
            ul.append(li);
          }
          e.append(ul);
        }
        it.body = el('pre', 'body output', it.text);
        it.body.hidden = !it.text;
        e.append(it.body);
        break;
      }
      default: {
        const head = el('div', 'tool-head');
        let label = it.type;
        if (it.type === 'mcpToolCall' && item.tool) label = 'Tool ' + (item.server ? item.server + '.' : '') + item.tool;
        if (it.type === 'webSearch' && item.query) label = 'Web search: ' + item.query;
        head.append(el('span', 'tool-kind', label), statusBadge(it));
        it.body = el('pre', 'body output', it.text);
        it.body.hidden = !it.text;
        e.append(head, it.body);
      }
    }
  }

  /** A provider's JSON error body (`{"error": {"message": …}}`) shown as its message. */
  function readable(msg) {
    try {
      const v = JSON.parse(msg);
      const inner = v && (v.error && v.error.message ? v.error.message : v.message);
      if (typeof inner === 'string' && inner) return inner;
    } catch (_) { /* not JSON: as it is */ }
    return String(msg);
  }

  function endTurnNotice(view, turnId, status, error, reason) {
    const t = ensureTurn(view, turnId);
    const old = t.el.querySelector(':scope > .turn-end');
    if (old) old.remove();
    if (status === 'interrupted') {
      t.el.append(el('p', 'notice turn-end', 'Stopped.'));
    } else if (status === 'failed') {
      let msg = error && (error.message || (typeof error === 'string' ? error : null));
      if (!msg && t.lastError) msg = t.lastError;
      if (!msg && reason === 'runtime_exited') msg = 'the Codex runtime stopped';
      t.el.append(el('p', 'notice error turn-end', 'The turn failed: ' + readable(msg || reason || 'unknown error')));
    }
  }

  // ---------------------------------------------------------------- requests

  const APPROVALS = ['commandApproval', 'fileChangeApproval', 'permissionsApproval'];

  /** Adds or updates a request card; `outcome` ({status, response, decidedBy, reason}) resolves it. */
  function upsertRequest(view, req, outcome) {
    let r = view.requests.get(req.id);
    if (!r) {
      r = { id: req.id, req, status: 'pending', response: null, decidedBy: null, reason: null };
      r.el = buildRequestCard(view, r);
      placeRequest(view, r);
      view.requests.set(req.id, r);
    }
    if (outcome && outcome.status && outcome.status !== 'pending') {
      r.status = outcome.status;
      r.response = outcome.response || null;
      r.decidedBy = outcome.decidedBy || null;
      r.reason = outcome.reason || null;
    }
    renderRequestState(r);
    updateControls();
    return r;
  }

  function placeRequest(view, r) {
    const turnId = r.req.turnId;
    const container = turnId ? ensureTurn(view, turnId).el : $('turns');
    const item = r.req.itemId && turnId ? view.items.get(turnId + '/' + r.req.itemId) : null;
    if (item && item.el.parentNode === container) item.el.after(r.el);
    else container.append(r.el);
  }

  function requestTitle(kind) {
    switch (kind) {
      case 'commandApproval': return 'Run this command?';
      case 'fileChangeApproval': return 'Apply these file changes?';
      case 'permissionsApproval': return 'Grant these permissions?';
      case 'userInput': return 'Codex has a question';
      case 'mcpElicitation': return 'A tool asks for input';
      case 'toolCall': return 'Tool call for the client';
      default: return 'Codex is waiting';
    }
  }

  function buildRequestCard(view, r) {
    const req = r.req;
    const p = req.params || {};
    const card = el('div', 'request');
    card.dataset.requestId = req.id;
    card.dataset.kind = req.kind;
    card.append(el('div', 'request-title', requestTitle(req.kind)));
    if (req.kind === 'commandApproval') {
      const cmd = commandLine(p) || (Array.isArray(p.command) ? p.command.join(' ') : '');
      card.append(el('pre', 'request-detail', cmd));
      if (p.cwd) card.append(el('div', 'muted small', 'in ' + p.cwd));
    } else if (req.kind === 'fileChangeApproval') {
      const item = req.itemId && req.turnId ? view.items.get(req.turnId + '/' + req.itemId) : null;
      const changes = item && Array.isArray(item.item.changes) ? item.item.changes : [];
      if (changes.length) card.append(el('pre', 'request-detail', changes.map((c) => c.path).join('\n')));
      if (p.grantRoot) card.append(el('div', 'muted small', 'and write access to ' + p.grantRoot));
    } else if (req.kind === 'permissionsApproval') {
      card.append(el('pre', 'request-detail', JSON.stringify(p.permissions || p, null, 2)));
    }
    if (p.reason) card.append(el('div', 'request-reason', p.reason));

    const actions = el('div', 'request-actions');
    const error = el('div', 'form-error');
    r.error = error;
    if (APPROVALS.includes(req.kind)) {
      const btn = (label, cls, body) => {
        const b = el('button', cls, label);
        b.type = 'button';
        b.addEventListener('click', () => decide(view, r, body));
        return b;
      };
      actions.append(
        btn('Approve', 'primary approve', { decision: 'accept' }),
        btn('Approve for session', 'approve-session', { decision: 'accept', scope: 'session' }),
        btn('Deny', 'danger deny', { decision: 'decline' }),
      );
    } else if (req.kind === 'userInput') {
      actions.append(buildQuestions(view, r));
    } else {
      actions.append(el('div', 'muted small', 'This console cannot answer this kind of request; answer it through the API.'));
    }
    r.actions = actions;
    r.outcome = el('div', 'request-outcome');
    card.append(actions, error, r.outcome);
    return card;
  }

  function buildQuestions(view, r) {
    const form = el('form', 'questions');
    const questions = Array.isArray(r.req.params && r.req.params.questions) ? r.req.params.questions : [];
    const readers = [];
    questions.forEach((q, qi) => {
      const fs = el('fieldset', 'question');
      if (q.header) fs.append(el('legend', null, q.header));
      fs.append(el('div', 'question-text', q.question || ''));
      const name = 'q-' + r.id + '-' + qi;
      const options = Array.isArray(q.options) ? q.options : [];
      let other = null;
      options.forEach((o, oi) => {
        const lab = el('label', 'option');
        const input = el('input');
        input.type = 'radio';
        input.name = name;
        input.value = o.label;
        if (oi === 0) input.required = true;
        lab.append(input, el('span', 'option-label', o.label));
        if (o.description) lab.append(el('span', 'muted', ' — ' + o.description));
        fs.append(lab);
      });
      if (!options.length || q.isOther) {
        other = el('input', 'free-text');
        other.type = q.isSecret ? 'password' : 'text';
        other.placeholder = options.length ? 'Or type an answer' : 'Your answer';
        if (!options.length) other.required = true;
        fs.append(other);
      }
      readers.push(() => {
        const typed = other && other.value.trim();
        if (typed) return [typed];
        const chosen = form.querySelector('input[name="' + name + '"]:checked');
        return chosen ? [chosen.value] : [];
      });
      fs.dataset.questionId = q.id;
      form.append(fs);
    });
    const submit = el('button', 'primary', 'Send answer');
    submit.type = 'submit';
    form.append(submit);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const answers = {};
      questions.forEach((q, i) => { answers[q.id] = { answers: readers[i]() }; });
      decide(view, r, { response: { answers } });
    });
    return form;
  }

  async function decide(view, r, body) {
    r.el.classList.add('busy');
    r.error.textContent = '';
    for (const b of r.el.querySelectorAll('button, input')) b.disabled = true;
    try {
      const rec = await api('POST', '/api/sessions/' + enc(view.id) + '/requests/' + enc(r.id) + '/decision', body);
      if (!isCurrent(view)) return;
      upsertRequest(view, r.req, rec);
    } catch (e) {
      if (!isCurrent(view) || e.status === 401) return;
      if (e.status === 409) {
        r.error.textContent = 'Already decided: ' + e.message;
      } else {
        r.error.textContent = e.message;
        for (const b of r.el.querySelectorAll('button, input')) b.disabled = false;
      }
    } finally {
      r.el.classList.remove('busy');
    }
  }

  function decisionText(resp) {
    if (!resp || typeof resp !== 'object') return 'Answered';
    const d = resp.decision;
    const name = typeof d === 'string' ? d : d && typeof d === 'object' ? Object.keys(d)[0] : null;
    switch (name) {
      case 'accept': return 'Approved';
      case 'acceptForSession': return 'Approved for this session';
      case 'acceptWithExecpolicyAmendment': return 'Approved (and remembered)';
      case 'decline': return 'Denied';
      case 'cancel': return 'Canceled';
      default: break;
    }
    if (resp.answers && typeof resp.answers === 'object') {
      const parts = Object.values(resp.answers).map((a) => (a && Array.isArray(a.answers) ? a.answers.join(', ') : ''));
      return 'Answered: ' + parts.filter(Boolean).join('; ');
    }
    return 'Answered';
  }

  const EXPIRED = {
    turn_completed: 'the turn ended first',
    resolved_by_runtime: 'Codex settled it itself',
    runtime_exited: 'the Codex runtime stopped',
  };

  function renderRequestState(r) {
    r.el.dataset.status = r.status;
    const pending = r.status === 'pending';
    r.actions.hidden = !pending;
    if (pending) {
      r.outcome.textContent = '';
      return;
    }
    r.error.textContent = '';
    if (r.status === 'expired') {
      r.outcome.textContent = 'Expired: ' + (EXPIRED[r.reason] || r.reason || 'no decision was made');
    } else {
      r.outcome.textContent = decisionText(r.response) + (r.decidedBy ? ' by ' + r.decidedBy : '');
    }
    const d = r.response && r.response.decision;
    r.el.dataset.decision = typeof d === 'string' ? d : r.status;
  }

  // ---------------------------------------------------------------- events

  function applyEvent(view, ev) {
    const d = ev.data || {};
    switch (ev.kind) {
      case 'turn.started':
        ensureTurn(view, d.turnId).status = 'inProgress';
        if (!view.completedTurns.has(d.turnId)) {
          view.running = true;
          view.turnId = d.turnId;
        }
        break;
      case 'item.started': {
        // Like the session service: a start after deltas (a replay) keeps the text they built.
        const seen = view.items.has(d.turnId + '/' + d.itemId);
        const text = seen ? undefined : itemText(d.item) ?? undefined;
        upsertItem(view, d.turnId, d.itemId, d.itemType, { item: d.item, status: seen ? undefined : 'streaming', text });
        if (d.itemType === 'userMessage') updateTitle(view);
        break;
      }
      case 'item.delta':
        appendDelta(view, d);
        break;
      case 'item.updated': {
        const it = view.items.get(d.turnId + '/' + d.itemId);
        if (it && d.update && typeof d.update === 'object') {
          it.item = Object.assign({}, it.item, d.update);
          renderItem(it);
        }
        break;
      }
      case 'item.completed': {
        const st = d.item && typeof d.item.status === 'string' && d.item.status !== 'inProgress' ? d.item.status : 'completed';
        const text = itemText(d.item);
        upsertItem(view, d.turnId, d.itemId, d.itemType, { item: d.item, status: st, text: text ?? undefined });
        if (d.itemType === 'userMessage') updateTitle(view);
        break;
      }
      case 'turn.completed': {
        const t = ensureTurn(view, d.turnId);
        t.status = d.status;
        view.completedTurns.add(d.turnId);
        for (const it of view.items.values()) {
          if (it.turnId === d.turnId && it.status === 'streaming') {
            it.status = 'canceled';
            renderItem(it);
          }
        }
        endTurnNotice(view, d.turnId, d.status, d.error, d.reason);
        if (view.turnId === d.turnId || !view.turnId) {
          view.running = false;
          view.turnId = null;
        }
        refreshSessions();
        break;
      }
      case 'runtime.error':
        if (d.turnId && !d.willRetry) ensureTurn(view, d.turnId).lastError = d.message;
        break;
      case 'request.opened':
        if (d.request) upsertRequest(view, d.request, null);
        break;
      case 'request.resolved': {
        const r = view.requests.get(d.requestId);
        if (r) {
          upsertRequest(view, r.req, {
            status: d.outcome === 'expired' ? 'expired' : 'resolved',
            response: d.response,
            decidedBy: d.decidedBy,
            reason: d.reason,
          });
        }
        break;
      }
      case 'session.updated':
        if (d.session) {
          const i = state.sessions.findIndex((x) => x.id === d.session.id);
          if (i >= 0) state.sessions[i] = d.session;
          updateTitle(view);
          renderSessions();
        }
        break;
      case 'session.rolled_back':
        for (const turnId of d.turnIds || []) {
          const t = view.turns.get(turnId);
          if (t) t.el.remove();
          view.turns.delete(turnId);
          for (const [k, it] of view.items) if (it.turnId === turnId) view.items.delete(k);
          for (const [k, r] of view.requests) if (r.req.turnId === turnId) view.requests.delete(k);
        }
        break;
      case 'session.deleted':
        toast('This chat was deleted.', true);
        state.sessions = state.sessions.filter((s) => s.id !== view.id);
        showEmpty();
        return;
      default:
        return; // status, usage, plan, diff, warnings: not shown in this console
    }
    updateControls();
  }

  /**
   * Reads an SSE body, calling `onEvent({id, event, data})` per dispatched event and `onChunk()`
   * for every chunk received (heartbeats included). Resolves when the stream ends.
   */
  async function readSse(body, onEvent, onChunk) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    let data = [];
    let event = '';
    let id = null;
    const line = (l) => {
      if (l === '') {
        if (data.length) onEvent({ id, event: event || 'message', data: data.join('\n') });
        data = [];
        event = '';
        return;
      }
      if (l[0] === ':') return; // comment (heartbeat)
      const i = l.indexOf(':');
      const field = i < 0 ? l : l.slice(0, i);
      let value = i < 0 ? '' : l.slice(i + 1);
      if (value[0] === ' ') value = value.slice(1);
      if (field === 'data') data.push(value);
      else if (field === 'event') event = value;
      else if (field === 'id' && !value.includes('\0')) id = value;
    };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      onChunk();
      buf += decoder.decode(value, { stream: true });
      let start = 0;
      for (let i = 0; i < buf.length; i++) {
        const c = buf.charCodeAt(i);
        if (c !== 10 && c !== 13) continue;
        if (c === 13 && i + 1 === buf.length) break; // a CR LF may be split across chunks
        line(buf.slice(start, i));
        if (c === 13 && buf.charCodeAt(i + 1) === 10) i++;
        start = i + 1;
      }
      buf = buf.slice(start);
    }
  }

  /** Follows the session's events until the view is left, reconnecting with back-off. */
  async function streamEvents(view) {
    let backoff = BACKOFF_FIRST_MS;
    let first = true;
    while (isCurrent(view)) {
      const conn = new AbortController();
      const stop = () => conn.abort();
      view.abort.signal.addEventListener('abort', stop, { once: true });
      let stall = null;
      const resetStall = () => {
        clearTimeout(stall);
        stall = setTimeout(() => conn.abort(), STALL_MS);
      };
      let fatal = null;
      try {
        setConn('connecting', first ? 'Connecting…' : 'Reconnecting…');
        const headers = { Authorization: 'Bearer ' + state.token, Accept: 'text/event-stream' };
        let url = '/api/sessions/' + enc(view.id) + '/events';
        if (first) url += '?after=' + view.lastSeq;
        else headers['Last-Event-ID'] = String(view.lastEventId || view.lastSeq);
        resetStall();
        const res = await fetch(url, { headers, cache: 'no-store', signal: conn.signal });
        if (res.status === 401) {
          signOut('That token was not accepted. Paste the current one.');
          return;
        }
        if (res.status === 404) fatal = 'This chat does not exist any more.';
        else if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
        if (!fatal) {
          setApiUp(true);
          if (isCurrent(view)) setConn('live', 'Live');
          backoff = BACKOFF_FIRST_MS;
          first = false;
          await readSse(res.body, (sse) => {
            if (!isCurrent(view)) return; // a session we have left
            let ev;
            try {
              ev = JSON.parse(sse.data);
            } catch (_) {
              return;
            }
            if (sse.id) view.lastEventId = sse.id;
            const seq = Number(ev.seq != null ? ev.seq : sse.id);
            if (!(seq > view.lastSeq)) return; // seen already: never apply twice
            view.lastSeq = seq;
            if (ev.scopeId && ev.scopeId !== view.id) return;
            pinned(() => applyEvent(view, ev));
          }, resetStall);
        }
      } catch (_) {
        // network error, stall or abort: reconnect below unless the view was left
      } finally {
        clearTimeout(stall);
        view.abort.signal.removeEventListener('abort', stop);
      }
      if (!isCurrent(view)) return;
      if (fatal) {
        setConn('off', 'Chat not found');
        toast(fatal, true);
        return;
      }
      const wait = Math.round(backoff * (1 + Math.random() * 0.25));
      setConn('retry', 'Reconnecting in ' + Math.max(1, Math.round(wait / 1000)) + ' s');
      await sleep(wait, view.abort.signal);
      backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
    }
  }

  // ---------------------------------------------------------------- composer

  function pendingKind(view) {
    let approval = false;
    let input = false;
    for (const r of view.requests.values()) {
      if (r.status !== 'pending') continue;
      if (APPROVALS.includes(r.req.kind)) approval = true;
      else input = true;
    }
    return approval ? 'approval' : input ? 'input' : null;
  }

  function updateControls() {
    const view = state.view;
    const running = !!(view && view.running);
    const pill = $('state');
    let label = 'idle';
    let kind = 'idle';
    if (running) {
      const p = pendingKind(view);
      label = p === 'approval' ? 'waiting for approval' : p === 'input' ? 'waiting for you' : 'streaming';
      kind = p ? 'waiting' : 'streaming';
    }
    pill.textContent = label;
    pill.dataset.state = kind;
    $('stop').hidden = !running;
    $('send').disabled = running || sending || !$('input').value.trim();
    const s = view && state.sessions.find((x) => x.id === view.id);
    if (s && (s.status === 'active') !== running) {
      s.status = running ? 'active' : 'idle';
      renderSessions();
    }
  }

  let sending = false;
  async function send() {
    const input = $('input');
    const text = input.value.trim();
    if (!text || sending || (state.view && state.view.running)) return;
    sending = true;
    // Cleared at once; given back if the message could not be sent.
    input.value = '';
    autosize();
    updateControls();
    let sent = false;
    try {
      let view = state.view;
      if (!view) {
        const s = await newChat();
        if (!s) return;
        view = state.view;
      }
      const acc = await api('POST', '/api/sessions/' + enc(view.id) + '/messages', { text });
      sent = true;
      if (!isCurrent(view)) return;
      rememberTitle(view.id, text);
      updateTitle(view);
      if (acc && acc.turnId && !view.completedTurns.has(acc.turnId)) {
        view.running = true;
        view.turnId = acc.turnId;
      }
    } catch (e) {
      if (e.status !== 401) toast('Not sent: ' + e.message, true);
    } finally {
      sending = false;
      if (!sent && !input.value) {
        input.value = text;
        autosize();
      }
      updateControls();
    }
  }

  async function interrupt() {
    const view = state.view;
    if (!view) return;
    $('stop').disabled = true;
    try {
      await api('POST', '/api/sessions/' + enc(view.id) + '/interrupt');
    } catch (e) {
      if (e.code !== 'no_active_turn' && e.status !== 401) toast('Could not stop: ' + e.message, true);
    } finally {
      $('stop').disabled = false;
    }
  }

  function autosize() {
    const t = $('input');
    t.style.height = 'auto';
    t.style.height = Math.min(t.scrollHeight, 200) + 'px';
  }

  // ---------------------------------------------------------------- start

  function wire() {
    $('signin-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const t = $('signin-token').value.trim();
      if (t) signIn(t);
    });
    $('sign-out').addEventListener('click', () => signOut(''));
    $('new-chat').addEventListener('click', newChat);
    $('menu').addEventListener('click', openNav);
    $('scrim').addEventListener('click', closeNav);
    $('composer').addEventListener('submit', (ev) => {
      ev.preventDefault();
      send();
    });
    const input = $('input');
    input.addEventListener('input', () => {
      autosize();
      updateControls();
    });
    input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) {
        ev.preventDefault();
        send();
      }
    });
    $('stop').addEventListener('click', interrupt);
    window.addEventListener('hashchange', () => {
      const params = new URLSearchParams(location.hash.slice(1));
      if (params.has('token')) {
        const t = takeTokenFromUrl();
        if (t && t !== state.token) {
          signIn(t);
          return;
        }
      }
      const wanted = params.get('session');
      if (state.token && wanted && (!state.view || state.view.id !== wanted)) selectSession(wanted);
    });
    document.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') closeNav();
    });
  }

  function start() {
    wire();
    const token = takeTokenFromUrl();
    if (token) {
      signIn(token).then((ok) => {
        if (!ok && $('app').hidden) showSignIn($('signin-error').textContent || 'That token was not accepted. Paste the current one.');
      });
    } else {
      showSignIn('');
    }
    // Relative times in the list stay fresh.
    setInterval(renderSessions, 60000);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
