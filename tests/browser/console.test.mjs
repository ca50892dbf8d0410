// Browser tests of the built-in console against a real `codex-manager up --demo`
// (scripts/test-browser.sh starts it and sets CM_BASE_URL and CM_TOKEN).
//
// The page's transcript is compared with `GET /api/sessions/{id}` item by item: same items in
// the same order, same text, so nothing streamed is lost or shown twice.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.env.CM_BASE_URL;
const TOKEN = process.env.CM_TOKEN;
const SHOTS = process.env.CM_SCREENSHOT_DIR || join(process.cwd(), 'screenshots');
const APPROVALS = process.env.CM_APPROVALS === '1';
const USER_INPUT = process.env.CM_USER_INPUT === '1';
const TURN_TIMEOUT = 45_000;

if (!BASE || !TOKEN) {
  throw new Error('CM_BASE_URL and CM_TOKEN must be set (run scripts/test-browser.sh)');
}
mkdirSync(SHOTS, { recursive: true });

let browser;
const pageErrors = [];

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  await browser?.close();
});

// ------------------------------------------------------------------ helpers

async function api(method, path, body) {
  const res = await fetch(BASE + path, {
    method,
    headers: {
      Authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A fresh browser context (empty sessionStorage) and page; page errors fail the run. */
async function openPage(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 820 }, ...options });
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.text().includes(TOKEN)) pageErrors.push('the token was logged to the console');
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) pageErrors.push(m.text());
  });
  return { context, page };
}

async function signedIn(options) {
  const { context, page } = await openPage(options);
  await page.goto(`${BASE}/#token=${TOKEN}`);
  await page.locator('#app').waitFor({ state: 'visible' });
  return { context, page };
}

const sessionOf = (page) => new URL(page.url()).hash.match(/session=([^&]+)/)?.[1];

async function newChat(page) {
  const before = sessionOf(page);
  await page.click('#new-chat');
  await page.waitForFunction((old) => {
    const m = location.hash.match(/session=([^&]+)/);
    return m && m[1] !== old;
  }, before);
  const id = sessionOf(page);
  await page.locator('#conn[data-state="live"]').waitFor();
  return id;
}

async function send(page, text) {
  await page.fill('#input', text);
  await page.press('#input', 'Enter');
}

/** Waits until the page shows no running turn. */
async function pageIdle(page) {
  await page.locator('#state[data-state="idle"]').waitFor({ timeout: TURN_TIMEOUT });
}

/** The API transcript once no turn is in progress any more. */
async function apiTranscript(sid) {
  const deadline = Date.now() + TURN_TIMEOUT;
  for (;;) {
    const snap = await api('GET', `/api/sessions/${sid}`);
    if (snap.turns.length && snap.turns.every((t) => t.status !== 'inProgress')) return snap;
    if (Date.now() > deadline) throw new Error(`turns still in progress: ${JSON.stringify(snap.turns.map((t) => t.status))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const flatten = (snap) =>
  snap.turns.flatMap((t) => t.items.map((i) => ({ id: i.id, type: i.itemType, text: i.text })));

/** What the page shows: every item, in order, with the text of its body. */
const pageItems = (page) =>
  page.$$eval('#turns .item', (els) =>
    els.map((e) => ({ id: e.dataset.itemId, type: e.dataset.itemType, text: e.querySelector('.body')?.textContent ?? '' })),
  );

async function assertMatchesApi(page, sid) {
  await pageIdle(page);
  const snap = await apiTranscript(sid);
  const expected = flatten(snap);
  const shown = await pageItems(page);
  assert.deepEqual(shown, expected, 'the page shows exactly the API transcript');
  const ids = shown.map((i) => i.id);
  assert.equal(new Set(ids).size, ids.length, 'no item is shown twice');
  return snap;
}

/** The cm-gateway process of the stack under test (the one serving CM_BASE_URL's port). */
function gatewayPid() {
  const addr = `CM_HTTP_ADDR=127.0.0.1:${new URL(BASE).port}`;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv0 = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0')[0];
      if (!argv0.endsWith('/cm-gateway')) continue;
      if (readFileSync(`/proc/${d}/environ`, 'utf8').split('\0').includes(addr)) return Number(d);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return null;
}

const shot = (page, name) => page.screenshot({ path: join(SHOTS, `console-${name}.png`) });

// ------------------------------------------------------------------ tests

describe('web console', { timeout: 120_000 }, () => {
  let helloSession;

  test('the page is served at / with a strict CSP and no external URLs', async () => {
    const res = await fetch(`${BASE}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /text\/html/);
    assert.match(res.headers.get('content-security-policy'), /default-src 'none'/);
    const html = await res.text();
    assert.match(html, /console\.js/);
    assert.doesNotMatch(html, /https?:\/\//);
  });

  test('a token in the URL signs in and leaves the address bar', async () => {
    const { context, page } = await signedIn();
    assert.ok(!page.url().includes(TOKEN), `token still in ${page.url()}`);
    assert.ok(!page.url().includes('token='));
    assert.equal(await page.evaluate(() => sessionStorage.getItem('cm.token')), TOKEN);
    // A reload stays signed in (sessionStorage), still without the token in the URL.
    await page.reload();
    await page.locator('#app').waitFor({ state: 'visible' });
    assert.ok(!page.url().includes('token='));
    await context.close();
  });

  test('without a token the sign-in box asks for one and refuses a wrong one', async () => {
    const { context, page } = await openPage();
    await page.goto(`${BASE}/`);
    await page.locator('#signin').waitFor({ state: 'visible' });
    assert.ok(await page.locator('#app').isHidden());
    await shot(page, 'signin');
    await page.fill('#signin-token', 'cm_wrong');
    await page.click('#signin button[type=submit]');
    await page.locator('#signin-error', { hasText: 'not accepted' }).waitFor();
    await page.fill('#signin-token', TOKEN);
    await page.click('#signin button[type=submit]');
    await page.locator('#app').waitFor({ state: 'visible' });
    await context.close();
  });

  test('new chat: "Say hello" streams the demo reply, equal to the API transcript', async () => {
    const { context, page } = await signedIn();
    const sid = await newChat(page);
    helloSession = sid;
    const listed = await api('GET', '/api/sessions?limit=100');
    assert.ok(listed.sessions.some((s) => s.id === sid), 'the new chat exists');
    await send(page, 'Say hello');
    await page.waitForFunction(() => document.getElementById('input').value === '');
    // While it streams: the state pill and the Stop button.
    await page.locator('#state[data-state="streaming"]').waitFor({ timeout: TURN_TIMEOUT });
    assert.ok(await page.locator('#stop').isVisible());
    const agent = page.locator('.item.agentMessage .body');
    await agent.filter({ hasText: 'Codex Manager demo model' }).waitFor({ timeout: TURN_TIMEOUT });
    await pageIdle(page);
    assert.ok(await page.locator('#stop').isHidden());
    const snap = await assertMatchesApi(page, sid);
    const types = flatten(snap).map((i) => i.type);
    assert.deepEqual(types, ['userMessage', 'agentMessage']);
    // Markdown stays plain text: the asterisks are shown, no <strong> was created.
    assert.match(await agent.first().textContent(), /\*\*Hello!\*\*/);
    assert.equal(await page.locator('.item.agentMessage strong').count(), 0);
    // The chat is listed under the first message.
    await page.locator('.session.current .session-title', { hasText: 'Say hello' }).waitFor();
    await shot(page, 'desktop');
    await context.close();
  });

  test('a reload in the middle of a stream shows the full reply once', async () => {
    const { context, page } = await signedIn();
    const sid = await newChat(page);
    await send(page, 'SLOW please');
    const agent = page.locator('.item.agentMessage .body').first();
    // A couple of deltas in (the slow rule sends a word every 200 ms).
    await page.waitForFunction(
      () => (document.querySelector('.item.agentMessage .body')?.textContent || '').split(' ').length >= 4,
      null,
      { timeout: TURN_TIMEOUT },
    );
    const partial = await agent.textContent();
    await shot(page, 'streaming');
    await page.reload();
    await page.locator('#app').waitFor({ state: 'visible' });
    assert.equal(sessionOf(page), sid, 'the reload comes back to the same chat');
    // Still streaming after the reload: the snapshot's text, then the rest live.
    await page.locator('#state[data-state="streaming"]').waitFor();
    assert.ok((await agent.textContent()).startsWith(partial.slice(0, 20)));
    await agent.filter({ hasText: 'still streaming.' }).waitFor({ timeout: TURN_TIMEOUT });
    const snap = await assertMatchesApi(page, sid);
    const text = flatten(snap).find((i) => i.type === 'agentMessage').text;
    assert.match(text, /^This is a deliberately slow reply/);
    assert.equal(text.split('deliberately slow').length, 2, 'the reply appears once');
    await context.close();
  });

  test('a gateway restart mid-stream: the page reconnects with Last-Event-ID and loses nothing', async () => {
    const { context, page } = await signedIn();
    const sid = await newChat(page);
    const resumed = [];
    page.on('request', (r) => {
      if (r.url().includes('/events')) resumed.push(r.headers()['last-event-id'] || null);
    });
    await send(page, 'SLOW again');
    await page.waitForFunction(
      () => (document.querySelector('.item.agentMessage .body')?.textContent || '').split(' ').length >= 3,
      null,
      { timeout: TURN_TIMEOUT },
    );
    // `up` restarts the gateway; the stream ends and the page retries with back-off meanwhile.
    const pid = gatewayPid();
    assert.ok(pid, 'found the cm-gateway process of this stack');
    process.kill(pid, 'SIGTERM');
    await page.locator('#conn[data-state="retry"]').waitFor({ timeout: 20_000 });
    await page.locator('#conn[data-state="live"]').waitFor({ timeout: 30_000 });
    assert.ok(resumed.some((id) => id && Number(id) > 0), `reconnected with Last-Event-ID: ${JSON.stringify(resumed)}`);
    await assertMatchesApi(page, sid);
    await context.close();
  });

  test('events of a chat that was left are not shown in the next one', async () => {
    const { context, page } = await signedIn();
    const slowSession = await newChat(page);
    await send(page, 'SLOW in the background');
    await page.locator('.item.agentMessage').first().waitFor({ timeout: TURN_TIMEOUT });
    await page.click(`.session[data-id="${helloSession}"]`);
    await page.waitForFunction((id) => location.hash.includes(id), helloSession);
    await page.locator('#conn[data-state="live"]').waitFor();
    await new Promise((r) => setTimeout(r, 1500));
    const shown = await pageItems(page);
    const expected = flatten(await apiTranscript(helloSession));
    assert.deepEqual(shown, expected, 'only the selected chat is shown');
    assert.equal(await page.locator('#state').textContent(), 'idle');
    // The background turn is still running; stop it from its own page.
    await page.click(`.session[data-id="${slowSession}"]`);
    await page.locator('#stop').waitFor({ state: 'visible' });
    await page.click('#stop');
    await pageIdle(page);
    await page.locator('.turn-end', { hasText: 'Stopped' }).waitFor();
    await assertMatchesApi(page, slowSession);
    await context.close();
  });

  test('phone-sized screen', async () => {
    const { context, page } = await signedIn({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    await page.goto(`${BASE}/#session=${helloSession}`);
    await page.locator('.item.agentMessage').first().waitFor();
    await page.locator('#conn-top[data-state="live"]').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no sideways scrolling (overflow ${overflow}px)`);
    assert.ok(await page.locator('#sidebar').evaluate((e) => e.getBoundingClientRect().right <= 0), 'the chat list is tucked away');
    await shot(page, 'phone');
    await page.click('#menu');
    await page.waitForFunction(() => document.getElementById('sidebar').getBoundingClientRect().left >= 0);
    await page.waitForTimeout(250); // the slide-in transition
    await shot(page, 'phone-menu');
    await page.click('#scrim', { position: { x: 370, y: 400 } });
    await page.waitForFunction(() => document.getElementById('sidebar').getBoundingClientRect().right <= 0);
    await context.close();
  });

  test('phone-sized screen in dark mode', async () => {
    const { context, page } = await signedIn({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      colorScheme: 'dark',
    });
    await page.goto(`${BASE}/#session=${helloSession}`);
    await page.locator('.item.agentMessage').first().waitFor();
    await page.locator('#conn-top[data-state="live"]').waitFor();
    await shot(page, 'phone-dark');
    await context.close();
  });

  test('a reasoning summary is shown folded before the answer', async () => {
    const { context, page } = await signedIn();
    const sid = await newChat(page);
    await send(page, 'REASON please');
    await pageIdle(page);
    const snap = await assertMatchesApi(page, sid);
    assert.deepEqual(flatten(snap).map((i) => i.type), ['userMessage', 'reasoning', 'agentMessage']);
    const fold = page.locator('.item.reasoning details');
    assert.equal(await fold.getAttribute('open'), null, 'folded once done');
    await fold.locator('summary').click();
    assert.match(await fold.locator('.body').textContent(), /Planning the answer/);
    await context.close();
  });

  test('a failing model request ends the turn with a visible error', async () => {
    const { context, page } = await signedIn();
    const sid = await newChat(page);
    await send(page, 'FAIL400 please');
    await page.locator('.turn-end.error', { hasText: 'scripted bad request' }).waitFor({ timeout: TURN_TIMEOUT });
    await pageIdle(page);
    const snap = await assertMatchesApi(page, sid);
    assert.equal(snap.turns[0].status, 'failed');
    await shot(page, 'failed');
    await context.close();
  });

  test('approval card: Approve runs the command', { skip: !APPROVALS && 'the stack runs with approval policy "never"' }, async () => {
    const { context, page } = await signedIn();
    const sid = await newChat(page);
    await send(page, 'RUN_SHELL please');
    const card = page.locator('.request[data-kind="commandApproval"]');
    await card.locator('.approve').waitFor({ timeout: TURN_TIMEOUT });
    await page.locator('#state', { hasText: 'waiting for approval' }).waitFor();
    assert.match(await card.locator('.request-detail').textContent(), /echo hello from codex-manager/);
    await shot(page, 'approval');
    await card.locator('.approve').click();
    await card.locator('.request-outcome', { hasText: 'Approved by web' }).waitFor();
    await pageIdle(page);
    await page.locator('.item.agentMessage .body', { hasText: 'hello from codex-manager' }).waitFor();
    await assertMatchesApi(page, sid);
    const reqs = await api('GET', `/api/sessions/${sid}/requests?includeResolved=true`);
    assert.equal(reqs.length, 1);
    assert.deepEqual([reqs[0].status, reqs[0].decidedBy, reqs[0].response], ['resolved', 'web', { decision: 'accept' }]);
    await shot(page, 'approved');
    // After a reload the decided card is still there, resolved.
    await page.reload();
    await page.locator('.request[data-status="resolved"] .request-outcome', { hasText: 'Approved by web' }).waitFor();
    await context.close();
  });

  test('approval card: Deny declines the command', { skip: !APPROVALS && 'the stack runs with approval policy "never"' }, async () => {
    const { context, page } = await signedIn();
    const sid = await newChat(page);
    await send(page, 'RUN_SHELL please');
    const card = page.locator('.request[data-kind="commandApproval"]');
    await card.locator('.deny').click({ timeout: TURN_TIMEOUT });
    await card.locator('.request-outcome', { hasText: 'Denied by web' }).waitFor();
    await pageIdle(page);
    await page.locator('.item.commandExecution .badge', { hasText: 'declined' }).waitFor();
    await assertMatchesApi(page, sid);
    await context.close();
  });

  test('question card: the chosen option reaches codex', { skip: !USER_INPUT && 'request_user_input is not enabled' }, async () => {
    const { context, page } = await signedIn();
    const sid = await newChat(page);
    await send(page, 'ASK me');
    const card = page.locator('.request[data-kind="userInput"]');
    await card.locator('.question-text', { hasText: 'Which color?' }).waitFor({ timeout: TURN_TIMEOUT });
    await page.locator('#state', { hasText: 'waiting for you' }).waitFor();
    await card.locator('label.option', { hasText: 'Red' }).click();
    await shot(page, 'question');
    await card.locator('button[type=submit]').click();
    await card.locator('.request-outcome', { hasText: 'Answered: Red by web' }).waitFor();
    await pageIdle(page);
    await page.locator('.item.agentMessage .body', { hasText: 'Red' }).waitFor();
    await assertMatchesApi(page, sid);
    await context.close();
  });

  test('no page errors and the token never reached the console', () => {
    assert.deepEqual(pageErrors, []);
  });
});
