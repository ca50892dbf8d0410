// Browser tests of the web UI (web/, served by the gateway from --web-dir) against a real
// `codex-manager up --demo` (scripts/test-browser.sh starts it and sets CM_BASE_URL and
// CM_TOKEN).
//
// The page's transcript is compared with `GET /api/sessions/{id}` item by item: the same items
// in the same order with the same text, so nothing streamed is lost or shown twice.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.env.CM_BASE_URL;
const TOKEN = process.env.CM_TOKEN;
const SHOTS = process.env.CM_SCREENSHOT_DIR || join(process.cwd(), 'screenshots');
const TURN_TIMEOUT = 45_000;

if (!BASE || !TOKEN) {
  throw new Error('CM_BASE_URL and CM_TOKEN must be set (run scripts/test-browser.sh)');
}
mkdirSync(SHOTS, { recursive: true });

let browser;
const pageErrors = [];
const requestUrls = [];

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

async function api(method, path, body, headers = {}) {
  const res = await fetch(BASE + path, {
    method,
    headers: {
      Authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...headers,
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
  page.on('request', (r) => requestUrls.push(r.url()));
  return { context, page };
}

async function signedIn(options) {
  const { context, page } = await openPage(options);
  await page.goto(`${BASE}/#token=${TOKEN}`);
  await page.locator('#app').waitFor({ state: 'visible' });
  return { context, page };
}

const sessionOf = (page) => new URL(page.url()).hash.match(/session=([^&]+)/)?.[1];

/** Types into the composer and sends with Enter. */
async function send(page, text) {
  await page.fill('#input', text);
  await page.press('#input', 'Enter');
}

/** New chat from the sidebar, first message sent: resolves with the new session's id. */
async function newChat(page, text) {
  const before = sessionOf(page);
  await page.click('#new-chat');
  await page.locator('#empty').waitFor();
  await send(page, text);
  await page.waitForFunction((old) => {
    const m = location.hash.match(/session=([^&]+)/);
    return m && m[1] !== old;
  }, before);
  const id = sessionOf(page);
  await live(page);
  return id;
}

/** Waits until the open chat's event stream is connected (the dot is shown on phones only). */
const live = (page, timeout) => page.locator('#conn-top[data-state="live"]').waitFor({ state: 'attached', timeout });

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

// Markdown is rendered, so text is compared without markup characters and whitespace.
const plain = (s) =>
  String(s ?? '')
    .replace(/```[a-z]*/g, '')
    .replace(/^\s*[-+] /gm, '')
    .replace(/[*`\s]/g, '');

const flatten = (snap) => snap.turns.flatMap((t) => t.items.map((i) => ({ id: i.id, type: i.itemType, text: plain(i.text) })));

/** What the page shows: every item, in order, with the text of its body. */
const pageItems = async (page) =>
  (
    await page.$$eval('#turns .item[data-item-id]', (els) =>
      els.map((e) => ({ id: e.dataset.itemId, type: e.dataset.itemType, text: e.querySelector('.body')?.textContent ?? '' })),
    )
  ).map((i) => ({ ...i, text: plain(i.text) }));

async function assertMatchesApi(page, sid) {
  await pageIdle(page);
  const snap = await apiTranscript(sid);
  const expected = flatten(snap);
  // The last events may still be on their way to the page.
  const deadline = Date.now() + 5000;
  let shown = await pageItems(page);
  while (JSON.stringify(shown) !== JSON.stringify(expected) && Date.now() < deadline) {
    await page.waitForTimeout(100);
    shown = await pageItems(page);
  }
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

const shot = (page, name) => page.screenshot({ path: join(SHOTS, `web-${name}.png`) });

/** Answers the dialog titled `title`: fills its field (if any) and confirms. */
async function answerDialog(page, title, value) {
  const modal = page.locator(`.modal[aria-label="${title}"]`);
  await modal.waitFor();
  if (value !== undefined) {
    const select = modal.locator('select');
    if (await select.count()) await select.selectOption(value);
    else await modal.locator('input').fill(value);
  }
  await modal.locator('button[type=submit]').click();
  await modal.waitFor({ state: 'detached' });
}

async function rowAction(page, sid, action) {
  const row = page.locator('.session-row', { has: page.locator(`.session[data-id="${sid}"]`) });
  await row.hover();
  await row.locator('.row-menu > button').click();
  await page.locator(`.menu-item[data-action="${action}"]`).click();
}

// ------------------------------------------------------------------ tests

describe('web UI', { timeout: 900_000 }, () => {
  let helloSession;

  test('the app is served at / with a strict CSP, no inline script and no external URLs', { timeout: 120_000 }, async () => {
    const res = await fetch(`${BASE}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /text\/html/);
    const csp = res.headers.get('content-security-policy');
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    const html = await res.text();
    assert.match(html, /<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js"><\/script>/);
    assert.doesNotMatch(html, /<script>|<script type="module">/, 'no inline script');
    assert.doesNotMatch(html, /https?:\/\//);
    // A client path is the app too; `/api` paths never are.
    assert.equal((await fetch(`${BASE}/some/client/path`)).status, 200);
    assert.equal((await fetch(`${BASE}/api/nope`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status, 404);
  });

  test('the token in the URL signs in, leaves the address bar and survives a reload', { timeout: 120_000 }, async () => {
    const { context, page } = await signedIn();
    assert.ok(!page.url().includes(TOKEN), `token still in ${page.url()}`);
    assert.ok(!page.url().includes('token='));
    assert.equal(await page.evaluate(() => sessionStorage.getItem('cm.token')), TOKEN);
    await page.locator('#conn[data-state="live"]').waitFor();
    await page.reload();
    await page.locator('#app').waitFor({ state: 'visible' });
    assert.ok(!page.url().includes('token='));
    await context.close();
  });

  test('without a token the sign-in form asks for one and refuses a wrong one', { timeout: 120_000 }, async () => {
    const { context, page } = await openPage();
    await page.goto(`${BASE}/`);
    await page.locator('#signin').waitFor({ state: 'visible' });
    await shot(page, 'signin');
    await page.fill('#signin-token', 'cm_wrong');
    await page.click('#signin button[type=submit]');
    await page.locator('#signin-error', { hasText: 'not accepted' }).waitFor();
    await page.fill('#signin-token', TOKEN);
    await page.click('#signin button[type=submit]');
    await page.locator('#app').waitFor({ state: 'visible' });
    await context.close();
  });

  test('a new chat streams the reply as sanitized markdown, equal to the API transcript', { timeout: 120_000 }, async () => {
    const { context, page } = await signedIn();
    const sid = await newChat(page, 'Say hello');
    helloSession = sid;
    // The optimistic message, then the streamed reply.
    await page.locator('.item.userMessage .bubble', { hasText: 'Say hello' }).first().waitFor();
    const answer = page.locator('.item.agentMessage .body').first();
    await answer.filter({ hasText: 'Codex Manager demo model' }).waitFor({ timeout: TURN_TIMEOUT });
    await pageIdle(page);
    const snap = await assertMatchesApi(page, sid);
    assert.deepEqual(flatten(snap).map((i) => i.type), ['userMessage', 'agentMessage']);
    // Rendered markdown: bold and list items, no literal asterisks.
    assert.equal(await page.locator('.item.agentMessage strong', { hasText: 'Hello!' }).count(), 1);
    assert.ok((await page.locator('.item.agentMessage li').count()) >= 5);
    assert.doesNotMatch(await answer.textContent(), /\*\*/);
    // Listed in the sidebar under its first message (the UI names untitled chats).
    await page.locator('.session.current .session-title', { hasText: 'Say hello' }).waitFor();
    assert.equal((await api('GET', `/api/sessions/${sid}`)).session.title, 'Say hello');
    await shot(page, 'desktop');
    await context.close();
  });

  test('approve one command and deny the next in the same turn', { timeout: 120_000 }, async () => {
    const { context, page } = await signedIn();
    const sid = await newChat(page, 'RUN_TWO please');
    const first = page.locator('.request[data-kind="commandApproval"][data-status="pending"]');
    await first.locator('.approve').waitFor({ timeout: TURN_TIMEOUT });
    await page.locator('#state[data-state="approval"]', { hasText: 'waiting for approval' }).waitFor();
    assert.match(await first.locator('.request-detail').textContent(), /echo first command/);
    await shot(page, 'approval');
    const firstId = await first.getAttribute('data-request-id');
    await first.locator('.approve').click();
    await page.locator(`.request[data-request-id="${firstId}"] .request-outcome`, { hasText: 'Approved by web' }).waitFor();
    const second = page.locator('.request[data-kind="commandApproval"][data-status="pending"]');
    await second.locator('.request-detail', { hasText: 'echo second command' }).waitFor({ timeout: TURN_TIMEOUT });
    await second.locator('.deny').click();
    // The turn can end right after the denial and fold its activity group (asserted below),
    // which hides the card: wait for the outcome to be there, not for it to be visible.
    await page.locator('.request-outcome', { hasText: 'Denied by web' }).waitFor({ state: 'attached' });
    await pageIdle(page);
    const snap = await assertMatchesApi(page, sid);
    const cmds = snap.turns[0].items.filter((i) => i.itemType === 'commandExecution');
    assert.equal(cmds.length, 2);
    assert.equal(cmds[0].item.status, 'completed');
    assert.equal(cmds[1].item.status, 'declined');
    // The activity group folds once the turn is over and says how long it took.
    const group = page.locator('details.activity').first();
    assert.equal(await group.getAttribute('open'), null, 'folded once the turn is over');
    assert.match(await group.locator('summary').textContent(), /Worked for \d+s/);
    await group.locator('summary').click();
    await group.locator('.item.commandExecution .badge', { hasText: 'declined' }).waitFor();
    await group.locator('.request-outcome', { hasText: 'Denied by web' }).waitFor();
    await group.locator('.item.commandExecution .body', { hasText: 'first command' }).waitFor();
    const reqs = await api('GET', `/api/sessions/${sid}/requests?includeResolved=true`);
    assert.deepEqual(
      reqs.map((r) => [r.status, r.decidedBy, r.response?.decision]),
      [
        ['resolved', 'web', 'accept'],
        ['resolved', 'web', 'decline'],
      ],
    );
    // After a reload the decided cards are still there.
    await page.reload();
    await page.locator('.request[data-status="resolved"] .request-outcome', { hasText: 'Denied by web' }).waitFor({ state: 'attached' });
    await context.close();
  });

  test('an approval decided elsewhere updates the open card live', { timeout: 120_000 }, async () => {
    const { context, page } = await signedIn();
    const sid = await newChat(page, 'RUN_SHELL please');
    const card = page.locator('.request[data-kind="commandApproval"]');
    await card.locator('.approve').waitFor({ timeout: TURN_TIMEOUT });
    const rid = await card.getAttribute('data-request-id');
    await api('POST', `/api/sessions/${sid}/requests/${rid}/decision`, { decision: 'decline' }, { 'X-CM-Actor': 'cli' });
    // (attached: the activity group folds as soon as the turn is over)
    await card.locator('.request-outcome', { hasText: 'Denied by cli' }).waitFor({ state: 'attached' });
    assert.equal(await card.locator('button').count(), 0, 'no buttons left on a decided card');
    await assertMatchesApi(page, sid);
    await context.close();
  });

  test('a file change: its approval, the edit in the activity and the diff in insights', { timeout: 120_000 }, async () => {
    // The patch adds hello.txt to the working directory: start without one (a rerun on the same stack).
    const { cwd } = (await api('GET', '/api/sessions?limit=1')).sessions[0] ?? {};
    if (cwd) rmSync(join(cwd, 'hello.txt'), { force: true });
    const { context, page } = await signedIn();
    const sid = await newChat(page, 'APPLY_PATCH please');
    const card = page.locator('.request[data-kind="fileChangeApproval"]');
    await card.locator('.request-detail', { hasText: 'hello.txt' }).waitFor({ timeout: TURN_TIMEOUT });
    await card.locator('.approve').click();
    await card.locator('.request-outcome', { hasText: 'Approved by web' }).waitFor({ state: 'attached' }); // folded once the turn ends
    await pageIdle(page);
    await assertMatchesApi(page, sid);
    await page.locator('details.activity summary').first().click();
    const edit = page.locator('.item.fileChange');
    await edit.locator('.change-path', { hasText: 'hello.txt' }).waitFor();
    await edit.locator('.diff .line.add', { hasText: '+Hello from Codex Manager!' }).waitFor();
    await page.click('#toggle-insights');
    await page.click('.tab[data-tab="diff"]');
    await page.locator('#insights .diff .line.add', { hasText: '+Hello from Codex Manager!' }).waitFor();
    await shot(page, 'diff');
    await page.click('.tab[data-tab="tools"]');
    await page.locator('#insights .tool-row', { hasText: 'hello.txt' }).waitFor();
    await context.close();
  });

  test('Stop interrupts a streaming turn', { timeout: 120_000 }, async () => {
    const { context, page } = await signedIn();
    const sid = await newChat(page, 'SLOW please');
    await page.locator('#state[data-state="streaming"]').waitFor({ timeout: TURN_TIMEOUT });
    await page.waitForFunction(
      () => (document.querySelector('.item.agentMessage .body')?.textContent || '').split(' ').length >= 3,
      null,
      { timeout: TURN_TIMEOUT },
    );
    await page.click('#stop');
    await pageIdle(page);
    await page.locator('.turn-end', { hasText: 'Stopped' }).waitFor();
    const snap = await assertMatchesApi(page, sid);
    assert.equal(snap.turns[0].status, 'interrupted');
    assert.ok(await page.locator('#stop').isHidden());
    await context.close();
  });

  test('steer a running turn, then roll it back from the Actions menu', { timeout: 120_000 }, async () => {
    const { context, page } = await signedIn();
    const sid = await newChat(page, 'Say hello first');
    await pageIdle(page);
    await send(page, 'SLOW then steer');
    await page.locator('#state[data-state="streaming"]').waitFor({ timeout: TURN_TIMEOUT });
    await page.locator('#send', { hasText: 'Steer' }).waitFor();
    await send(page, 'Also say hello');
    const turn = page.locator('.turn').nth(1);
    await turn.locator('.item.userMessage .bubble', { hasText: 'Also say hello' }).waitFor({ timeout: TURN_TIMEOUT });
    let snap = await assertMatchesApi(page, sid);
    assert.equal(snap.turns.length, 2);
    assert.ok(
      snap.turns[1].items.some((i) => i.itemType === 'userMessage' && i.text === 'Also say hello'),
      'the steer joined the running turn',
    );
    await page.click('.head-actions .menu > button');
    await page.click('.menu-item[data-action="rollback"]');
    await answerDialog(page, 'Roll back', '1');
    await page.locator('.turn').nth(1).waitFor({ state: 'detached' });
    snap = await assertMatchesApi(page, sid);
    assert.equal(snap.turns.length, 1);
    await context.close();
  });

  test('a reload in the middle of a stream shows the whole reply once, as the API has it', { timeout: 120_000 }, async () => {
    const { context, page } = await signedIn();
    const sid = await newChat(page, 'SLOW reply');
    const agent = page.locator('.item.agentMessage .body').first();
    await page.waitForFunction(
      () => (document.querySelector('.item.agentMessage .body')?.textContent || '').split(' ').length >= 4,
      null,
      { timeout: TURN_TIMEOUT },
    );
    const partial = await agent.textContent();
    await page.reload();
    await page.locator('#app').waitFor({ state: 'visible' });
    assert.equal(sessionOf(page), sid, 'the reload comes back to the same chat');
    await page.locator('#state[data-state="streaming"]').waitFor();
    assert.ok((await agent.textContent()).startsWith(partial.slice(0, 20)));
    await agent.filter({ hasText: 'still streaming.' }).waitFor({ timeout: TURN_TIMEOUT });
    const snap = await assertMatchesApi(page, sid);
    const text = snap.turns[0].items.find((i) => i.itemType === 'agentMessage').text;
    assert.match(text, /^This is a deliberately slow reply/);
    assert.equal((await agent.textContent()).split('deliberately slow').length, 2, 'the reply appears once');
    await context.close();
  });

  test('a gateway restart mid-stream: the reconnect indicator, Last-Event-ID, nothing lost', { timeout: 120_000 }, async () => {
    const { context, page } = await signedIn();
    const resumed = [];
    page.on('request', (r) => {
      if (/\/api\/sessions\/[^/]+\/events/.test(r.url())) resumed.push(r.headers()['last-event-id'] || null);
    });
    const sid = await newChat(page, 'SLOW again');
    await page.waitForFunction(
      () => (document.querySelector('.item.agentMessage .body')?.textContent || '').split(' ').length >= 3,
      null,
      { timeout: TURN_TIMEOUT },
    );
    const pid = gatewayPid();
    assert.ok(pid, 'found the cm-gateway process of this stack');
    process.kill(pid, 'SIGTERM');
    await page.locator('#reconnect').waitFor({ timeout: 20_000 });
    await page.locator('#conn-top[data-state="retrying"]').waitFor({ state: 'attached' });
    await shot(page, 'reconnecting');
    await live(page, 30_000);
    await page.locator('#reconnect').waitFor({ state: 'detached' });
    assert.ok(resumed.length >= 2, `reconnected: ${JSON.stringify(resumed)}`);
    // The first connection resumes from the snapshot's seq (0 for a chat with no events yet),
    // every reconnect from the last event received, never going back.
    const ids = resumed.map((id) => (id === null ? NaN : Number(id)));
    assert.ok(ids.every((id) => Number.isInteger(id)), `every connection sent Last-Event-ID: ${JSON.stringify(resumed)}`);
    assert.ok(ids.slice(1).every((id, i) => id > 0 && id >= ids[i]), `reconnects resumed after what was received: ${JSON.stringify(resumed)}`);
    await assertMatchesApi(page, sid);
    await context.close();
  });

  test('switching chats: the one left never leaks into the next, and coming back shows it whole', { timeout: 120_000 }, async () => {
    const { context, page } = await signedIn();
    const slow = await newChat(page, 'SLOW in the background');
    await page.locator('.item.agentMessage').first().waitFor({ timeout: TURN_TIMEOUT });
    await page.click(`.session[data-id="${helloSession}"]`);
    await page.waitForFunction((id) => location.hash.includes(id), helloSession);
    await live(page);
    await page.waitForTimeout(1500); // the slow turn keeps streaming meanwhile
    assert.deepEqual(await pageItems(page), flatten(await apiTranscript(helloSession)), 'only the selected chat is shown');
    assert.equal(await page.locator('#state').getAttribute('data-state'), 'idle');
    // The background chat is marked running in the sidebar.
    await page.locator(`.session[data-id="${slow}"] .running-dot`).waitFor();
    // Back to it: the snapshot plus the live rest; stop it there.
    await page.click(`.session[data-id="${slow}"]`);
    await page.locator('#stop').waitFor({ state: 'visible' });
    await page.click('#stop');
    await assertMatchesApi(page, slow);
    await context.close();
  });

  test('a question card sends the chosen option', { timeout: 120_000 }, async () => {
    const { context, page } = await signedIn();
    const sid = await newChat(page, 'ASK me');
    const card = page.locator('.request[data-kind="userInput"]');
    await card.locator('.question-text', { hasText: 'Which color?' }).waitFor({ timeout: TURN_TIMEOUT });
    await page.locator('#state[data-state="input"]', { hasText: 'needs input' }).waitFor();
    await card.locator('label.option', { hasText: 'Red' }).click();
    await shot(page, 'question');
    await card.locator('button[type=submit]').click();
    await card.locator('.request-outcome', { hasText: 'Answered: Red by web' }).waitFor({ state: 'attached' }); // folded once the turn ends
    await page.locator('.item.agentMessage .body', { hasText: 'Red' }).waitFor({ timeout: TURN_TIMEOUT });
    await assertMatchesApi(page, sid);
    await context.close();
  });

  test('insights: tools, usage and a reasoning summary; session controls change the API', { timeout: 120_000 }, async () => {
    const { context, page } = await signedIn();
    const sid = await newChat(page, 'REASON please');
    await pageIdle(page);
    const snap = await assertMatchesApi(page, sid);
    assert.deepEqual(flatten(snap).map((i) => i.type), ['userMessage', 'reasoning', 'agentMessage']);
    const group = page.locator('details.activity');
    await group.locator('summary').click();
    await group.locator('.reasoning-text', { hasText: 'Planning the answer' }).waitFor();
    await page.click('#toggle-insights');
    await page.locator('#insights').waitFor();
    await page.click('.tab[data-tab="usage"]');
    await page.locator('#usage .usage-table').waitFor();
    await shot(page, 'insights');
    await page.click('#toggle-controls');
    await page.locator('#controls-panel').waitFor();
    await page.selectOption('#ctl-approval', 'never');
    await page.waitForFunction(() => document.querySelector('#ctl-approval')?.value === 'never');
    const deadline = Date.now() + 5000;
    let ctl;
    do {
      ctl = await api('GET', `/api/sessions/${sid}/controls`);
    } while (ctl.controls.approvalPolicy !== 'never' && Date.now() < deadline && (await new Promise((r) => setTimeout(r, 100))) === undefined);
    assert.equal(ctl.controls.approvalPolicy, 'never');
    assert.equal(ctl.effective.approvalPolicy, 'never');
    await page.selectOption('#ctl-approval', '');
    await page.waitForFunction(() => document.querySelector('#ctl-approval')?.value === '');
    // The header's effort picker is the same session control.
    await page.selectOption('#effort', 'high');
    await page.waitForFunction(() => document.querySelector('#effort')?.value === 'high');
    ctl = await api('GET', `/api/sessions/${sid}/controls`);
    assert.deepEqual([ctl.controls.effort, ctl.controls.approvalPolicy], ['high', null]);
    await context.close();
  });

  test('sidebar: projects with counts, rename, move, archive and restore, fork, delete', { timeout: 120_000 }, async () => {
    const { context, page } = await signedIn();
    const sid = await newChat(page, 'Organize me');
    await pageIdle(page);
    const name = `Project ${Date.now().toString(36)}`;
    // New project (no working directory).
    await page.click('#new-project');
    await answerDialog(page, 'New project', name);
    await answerDialog(page, 'Working directory', '');
    const project = page.locator('.project', { hasText: name });
    await project.waitFor();
    const pid = await project.getAttribute('data-project-id');
    // Move the chat into it: its count becomes 1.
    await rowAction(page, sid, 'move');
    await answerDialog(page, 'Move chat', pid);
    await project.locator(`.session[data-id="${sid}"]`).waitFor();
    await project.locator('.count', { hasText: '1' }).waitFor();
    assert.equal((await api('GET', `/api/sessions/${sid}`)).session.projectId, pid);
    // Rename.
    await rowAction(page, sid, 'rename');
    await answerDialog(page, 'Rename chat', 'Renamed chat');
    await page.locator('#title', { hasText: 'Renamed chat' }).waitFor();
    // Fork: a new chat opens with the history.
    await page.click('.head-actions .menu > button');
    await page.click('.menu-item[data-action="fork"]');
    await page.waitForFunction((id) => !location.hash.includes(id), sid);
    const fork = sessionOf(page);
    await page.locator('#title', { hasText: '(fork)' }).waitFor();
    await page.locator('.item.userMessage .bubble', { hasText: 'Organize me' }).waitFor();
    // Archive: gone from the list until "Show archived"; restore brings it back.
    await rowAction(page, sid, 'archive');
    await page.locator(`.session[data-id="${sid}"]`).waitFor({ state: 'detached' });
    await page.check('#show-archived');
    await page.locator(`.session-row.archived .session[data-id="${sid}"]`).waitFor();
    await rowAction(page, sid, 'unarchive');
    await page.locator(`.session-row:not(.archived) .session[data-id="${sid}"]`).waitFor();
    assert.equal((await api('GET', `/api/sessions/${sid}`)).session.archived, false);
    await page.uncheck('#show-archived');
    // Delete the fork, then the project (its chat moves out first).
    await rowAction(page, fork, 'delete');
    await answerDialog(page, 'Delete chat');
    await page.locator(`.session[data-id="${fork}"]`).waitFor({ state: 'detached' });
    const gone = await fetch(`${BASE}/api/sessions/${fork}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.equal(gone.status, 410);
    await project.locator('.project-head').hover();
    await project.locator('.project-head .row-menu > button').click();
    await page.click('.menu-item[data-action="project-delete"]');
    await answerDialog(page, 'Delete project');
    await project.waitFor({ state: 'detached' });
    assert.equal((await api('GET', `/api/sessions/${sid}`)).session.projectId, null);
    await context.close();
  });

  test('a notification when a turn ends while the tab is hidden', { timeout: 120_000 }, async () => {
    const { context, page } = await openPage();
    await context.addInitScript(() => {
      window.__notes = [];
      window.__hidden = false;
      class FakeNotification {
        static permission = 'granted';
        static requestPermission() {
          return Promise.resolve('granted');
        }
        constructor(title, opts) {
          window.__notes.push({ title, body: opts?.body });
        }
        close() {}
      }
      window.Notification = FakeNotification;
      Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => window.__hidden === true });
    });
    await page.goto(`${BASE}/#token=${TOKEN}&session=${helloSession}`);
    await page.locator('#conn[data-state="live"]').waitFor();
    await page.evaluate(() => {
      window.__hidden = true;
    });
    // A turn elsewhere (another client) ends while this tab is hidden.
    const other = await api('POST', '/api/sessions', { title: 'Background work' });
    await api('POST', `/api/sessions/${other.id}/messages`, { text: 'Say hello' });
    await page.waitForFunction(() => window.__notes.some((n) => n.body === 'The turn finished.'), null, { timeout: TURN_TIMEOUT });
    const notes = await page.evaluate(() => window.__notes);
    assert.ok(notes.some((n) => n.title === 'Background work'), JSON.stringify(notes));
    await context.close();
  });

  test('phone-sized screen: no sideways scrolling, the chat list slides in', { timeout: 120_000 }, async () => {
    const { context, page } = await signedIn({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    await page.goto(`${BASE}/#session=${helloSession}`);
    await page.locator('.item.agentMessage').first().waitFor();
    await live(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no sideways scrolling (overflow ${overflow}px)`);
    assert.ok(await page.locator('#sidebar').evaluate((e) => e.getBoundingClientRect().right <= 0), 'the chat list is tucked away');
    const composer = await page.locator('#composer').boundingBox();
    assert.ok(composer && composer.y + composer.height <= 844 && composer.width <= 390, 'the composer is on screen');
    await shot(page, 'phone');
    await page.click('#menu');
    await page.waitForFunction(() => document.getElementById('sidebar').getBoundingClientRect().left >= 0);
    await page.waitForTimeout(250); // the slide-in transition
    await page.click('#scrim', { position: { x: 370, y: 400 } });
    await page.waitForFunction(() => document.getElementById('sidebar').getBoundingClientRect().right <= 0);
    // An approval on the phone: the card's buttons fit.
    await page.click('#menu');
    await page.click('#new-chat');
    await send(page, 'RUN_SHELL on the phone');
    const card = page.locator('.request[data-kind="commandApproval"]');
    await card.locator('.approve').waitFor({ timeout: TURN_TIMEOUT });
    const box = await card.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390, 'the approval card fits the screen');
    await card.locator('.approve').click();
    await pageIdle(page);
    await context.close();
  });

  test('phone-sized screen in dark mode', { timeout: 120_000 }, async () => {
    const { context, page } = await signedIn({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, colorScheme: 'dark' });
    await page.goto(`${BASE}/#session=${helloSession}`);
    await page.locator('.item.agentMessage').first().waitFor();
    await live(page);
    await shot(page, 'phone-dark');
    await context.close();
  });

  test('jobs: a quick job completes, a slow one runs and is canceled from the view (desktop and phone)', { timeout: 120_000 }, async () => {
    const slow = (await api('POST', '/api/jobs', { spec: { kind: 'noop', sleepMs: 30000 }, priority: 'interactive' }, { 'Idempotency-Key': `jobs-slow-${Date.now()}` })).job;
    const quick = (await api('POST', '/api/jobs', { spec: { kind: 'noop' } }, { 'Idempotency-Key': `jobs-quick-${Date.now()}` })).job;
    const { context, page } = await signedIn();
    await page.click('#nav-jobs');
    await page.locator('#jobs').waitFor();
    assert.match(page.url(), /#jobs/);
    const row = (id) => page.locator(`.job[data-job-id="${id}"]`);
    await row(quick.id).and(page.locator('[data-state="completed"]')).waitFor({ timeout: 30_000 });
    await row(slow.id).and(page.locator('[data-state="running"]')).waitFor({ timeout: 30_000 });
    assert.equal(await row(quick.id).locator('.job-cancel').count(), 0, 'no Cancel on a finished job');
    assert.match(await row(quick.id).locator('.job-meta').innerText(), /attempt 1\/3/);
    await live(page);
    await shot(page, 'jobs');
    // The phone layout of the same view: the rows fit, the sidebar is tucked away.
    const phone = await signedIn({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    await phone.page.goto(`${BASE}/#jobs`);
    await phone.page.locator(`.job[data-job-id="${slow.id}"][data-state="running"]`).waitFor();
    await live(phone.page);
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no sideways scrolling (overflow ${overflow}px)`);
    const cancelBox = await phone.page.locator(`.job[data-job-id="${slow.id}"] .job-cancel`).boundingBox();
    assert.ok(cancelBox && cancelBox.x + cancelBox.width <= 390, 'the Cancel button is on screen');
    await shot(phone.page, 'jobs-phone');
    // Cancel in the desktop page: the button is disabled at once, the row ends canceled, on both pages.
    const cancel = row(slow.id).locator('.job-cancel');
    await cancel.click();
    await page.locator(`.job[data-job-id="${slow.id}"] .job-cancel:disabled`).or(page.locator(`.job[data-job-id="${slow.id}"][data-state="canceled"]`)).first().waitFor();
    await row(slow.id).and(page.locator('[data-state="canceled"]')).waitFor({ timeout: 15_000 });
    await phone.page.locator(`.job[data-job-id="${slow.id}"][data-state="canceled"]`).waitFor({ timeout: 15_000 });
    assert.equal((await api('GET', `/api/jobs/${slow.id}`)).state, 'canceled');
    assert.equal(await page.locator(`.job[data-job-id="${slow.id}"]`).count(), 1, 'one row per job');
    // The state filter.
    await page.selectOption('#job-state', 'canceled');
    await row(slow.id).waitFor();
    await row(quick.id).waitFor({ state: 'detached' });
    await page.selectOption('#job-state', '');
    await row(quick.id).waitFor();
    await shot(page, 'jobs-canceled');
    await phone.context.close();
    await context.close();
  });

  test('no page errors, and the token never reached the console or a URL', () => {
    assert.deepEqual(pageErrors, []);
    const leaked = requestUrls.filter((u) => u.includes(TOKEN));
    assert.deepEqual(leaked, [], 'no request URL carries the token');
  });
});
