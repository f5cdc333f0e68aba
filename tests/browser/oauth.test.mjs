// SPDX-License-Identifier: ISC
// Social sign-in in a real browser (issue 8): headless Chromium goes through
// the server-side redirect flow with the mock Google of
// tests/integration/mock_provider.py, which tests/browser/run.py starts and
// points the server at (GOOGLE_*_URL settings, BACKEND_DOMAIN = BASE_URL).
// The mock grants a fresh Google identity at every authorize.
//
// Environment (set by run.py):
//   BASE_URL   http://localhost:<port>   (no trailing slash)
//   MOCK_URL   http://127.0.0.1:<port> of the mock provider
//   CHROMIUM   the browser (default /usr/bin/chromium)
//
// Output: "plan N" first, then one line "ok <name>" or "FAIL <name>" per
// test, diagnostics on lines starting with "# ". Every wait is bounded.

import { chromium } from 'playwright-core';

const BASE = (process.env.BASE_URL || '').replace(/\/+$/, '');
const MOCK = (process.env.MOCK_URL || '').replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const STEP_MS = 10000;
const TEST_MS = 30000;
const RUN_MS = 50000;
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync'];

const tests = [];
const serverErrors = [];
const test = (name, fn) => tests.push({ name, fn });

class Fail extends Error {}
function check(cond, msg) {
  if (!cond) throw new Fail(msg);
}

let browser;

async function newPage() {
  const context = await browser.newContext();
  context.setDefaultTimeout(STEP_MS);
  context.setDefaultNavigationTimeout(STEP_MS);
  const page = await context.newPage();
  page.visited = [];
  page.on('request', (r) => {
    if (r.isNavigationRequest()) page.visited.push(r.url());
  });
  page.on('response', (r) => {
    if (r.status() >= 500) serverErrors.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  return { context, page };
}

async function waitFor(page, want) {
  try {
    await page.waitForURL((u) => u.origin === BASE && u.pathname + u.search === want,
      { timeout: STEP_MS });
  } catch (e) {
    throw new Fail(`expected ${BASE}${want}, at ${page.url()} after ${page.visited.join(' -> ')}`);
  }
}

test('google: the redirect flow signs in and lands on the target with the cookies', async () => {
  const { context, page } = await newPage();
  try {
    const target = '/?signed=in';
    await page.goto(`${BASE}/api/v1/auth/google/authorize?redirect=${encodeURIComponent(target)}`);
    await waitFor(page, target);
    // The browser went through the mock Google and our callback.
    check(page.visited.some((u) => u.startsWith(`${MOCK}/google/authorize?`)),
      `never at the provider: ${page.visited.join(' -> ')}`);
    const callback = page.visited.find((u) => u.startsWith(`${BASE}/api/v1/auth/google/callback?`));
    check(callback, `never at the callback: ${page.visited.join(' -> ')}`);
    const q = new URL(callback).searchParams;
    check(q.get('code') && q.get('state'), `callback without code and state: ${callback}`);
    check(!page.url().includes(q.get('code')) && !page.url().includes(q.get('state')),
      `code or state in the final address ${page.url()}`);
    const cookies = Object.fromEntries((await context.cookies(BASE + '/api/v1/auth/'))
      .map((c) => [c.name, c]));
    for (const name of ['authportal_access', 'authportal_refresh']) {
      check(cookies[name] && cookies[name].value, `no ${name} cookie: ${Object.keys(cookies)}`);
      check(cookies[name].httpOnly, `${name} is not HttpOnly`);
    }
    check(cookies.authportal_refresh.sameSite === 'Strict', 'refresh cookie not SameSite=Strict');
    // The access cookie signs the browser in.
    const me = await page.goto(`${BASE}/api/v1/auth/me`);
    check(me.status() === 200, `/me answered ${me.status()}`);
    const user = JSON.parse(await me.text());
    check(user.provider === 'google', `provider ${user.provider}`);
    check(typeof user.socialId === 'string' && user.socialId, `socialId ${user.socialId}`);
    check(typeof user.email === 'string' && user.email.endsWith('@example.com'), `email ${user.email}`);
  } finally {
    await context.close();
  }
});

test('google: a foreign redirect target never leaves the frontend', async () => {
  const { context, page } = await newPage();
  try {
    await page.goto(`${BASE}/api/v1/auth/google/authorize?redirect=${encodeURIComponent('//evil.example/')}`);
    await waitFor(page, '/?error=invalidRedirect');
    check(!page.visited.some((u) => u.startsWith(MOCK)), `went to the provider: ${page.visited}`);
    const names = (await context.cookies(BASE + '/')).map((c) => c.name);
    check(!names.includes('authportal_access'), `signed in: ${names}`);
  } finally {
    await context.close();
  }
});

// ---- the runner (as demo.test.mjs) -----------------------------------------

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Fail(`${what}: no result after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function main() {
  console.log(`plan ${tests.length}`);
  const done = new Set();
  const watchdog = setTimeout(() => {
    for (const t of tests) if (!done.has(t.name)) console.log(`FAIL ${t.name}\n# the run took over ${RUN_MS} ms`);
    process.exit(1);
  }, RUN_MS);
  let failed = 0;
  try {
    if (!BASE.startsWith('http') || !MOCK.startsWith('http')) {
      throw new Error('BASE_URL and MOCK_URL must be set (run tests/browser/run.py)');
    }
    browser = await withTimeout(chromium.launch({
      executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS, timeout: STEP_MS,
    }), STEP_MS + 2000, 'starting chromium');
  } catch (e) {
    for (const t of tests) {
      console.log(`FAIL ${t.name}`);
      done.add(t.name);
    }
    console.log(`# could not start the browser: ${String(e.message || e).split('\n').join('\n# ')}`);
    clearTimeout(watchdog);
    process.exit(1);
  }
  for (const t of tests) {
    const started = Date.now();
    try {
      const before = serverErrors.length;
      await withTimeout(t.fn(), TEST_MS, t.name);
      check(serverErrors.length === before, `5xx answers: ${serverErrors.slice(before).join(', ')}`);
      console.log(`ok ${t.name}`);
      console.log(`# ${Date.now() - started} ms`);
    } catch (e) {
      failed += 1;
      console.log(`FAIL ${t.name}`);
      const msg = e instanceof Fail ? e.message : (e.stack || String(e));
      console.log('# ' + msg.split('\n').slice(0, 12).join('\n# '));
    }
    done.add(t.name);
  }
  clearTimeout(watchdog);
  await withTimeout(browser.close(), 5000, 'closing chromium').catch(() => {});
  process.exit(failed ? 1 : 0);
}

main();
