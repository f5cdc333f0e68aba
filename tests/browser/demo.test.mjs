// SPDX-License-Identifier: ISC
// Real-browser tests of the demo pages (www/): headless Debian Chromium,
// driven by playwright-core, against the real lighttpd + FastCGI workers that
// tests/browser/run.py starts (the demo is its own FRONTEND_DOMAIN there).
//
// Environment (set by run.py):
//   BASE_URL   http://localhost:<port>   (no trailing slash)
//   MAIL_DIR   the SMTP catcher's folder of .eml files
//   MAILCATCH  the folder of tests/tools/mailcatch.py
//   OUT_DIR    where screenshots go (tests/browser/out)
//   CHROMIUM   the browser (default /usr/bin/chromium)
//
// Output: "plan N" first, then one line "ok <name>" or "FAIL <name>" per
// test, diagnostics on lines starting with "# ". Every wait is bounded.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = (process.env.BASE_URL || '').replace(/\/+$/, '');
const MAIL_DIR = process.env.MAIL_DIR || '';
const MAILCATCH = process.env.MAILCATCH || '';
const OUT_DIR = process.env.OUT_DIR || path.join(path.dirname(new URL(import.meta.url).pathname), 'out');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const DEMO_USER = 'john.doe@example.com';
const DEMO_PASSWORD = 'secret';
const STEP_MS = 10000;      // one navigation, click or wait
const TEST_MS = 30000;      // one test
const RUN_MS = 50000;       // the whole file

const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync'];

const FORMS = {
  login: 'form[action="/api/v1/auth/email/login"]',
  register: 'form[action="/api/v1/auth/email/register"]',
  forgot: 'form[action="/api/v1/auth/forgot/password"]',
  logout: 'form[action="/api/v1/auth/logout"]',
};

const tests = [];
const serverErrors = [];    // every 5xx the browser saw
const test = (name, fn) => tests.push({ name, fn });

class Fail extends Error {}
function check(cond, msg) {
  if (!cond) throw new Fail(msg);
}

let browser;
let seq = 0;

function uniqueEmail(prefix) {
  seq += 1;
  return `${prefix}-${Date.now()}-${seq}-${Math.random().toString(16).slice(2, 8)}@example.com`;
}

// A fresh context (own cookie jar) and page; JavaScript errors are kept.
async function newPage() {
  const context = await browser.newContext();
  context.setDefaultTimeout(STEP_MS);
  context.setDefaultNavigationTimeout(STEP_MS);
  const page = await context.newPage();
  page.jsErrors = [];
  page.on('pageerror', (e) => page.jsErrors.push(String(e)));
  page.on('response', (r) => {
    if (r.status() >= 500) serverErrors.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  return { context, page };
}

function here(page) {
  const u = new URL(page.url());
  return u.pathname + u.search;
}

// Clicks the submit button of `form` and waits until the address is `want`
// (a path + query string, exactly) on our origin.
async function submitAndExpect(page, form, want) {
  await page.locator(`${form} button[type="submit"]`).click();
  try {
    await page.waitForURL((u) => u.origin === BASE && u.pathname + u.search === want,
      { timeout: STEP_MS });
  } catch (e) {
    throw new Fail(`after submitting ${form}: expected ${want}, at ${page.url()}`);
  }
}

async function signIn(page, email, password, want = '/api/v1/auth/me') {
  await page.goto(BASE + '/');
  await page.fill('#login-email', email);
  await page.fill('#login-password', password);
  await submitAndExpect(page, FORMS.login, want);
}

async function bodyText(page) {
  return (await page.locator('body').innerText({ timeout: STEP_MS })).trim();
}

async function expectMe(page, email) {
  const text = await bodyText(page);
  check(text.includes(email), `/api/v1/auth/me does not show ${email}: ${text.slice(0, 300)}`);
  let user;
  try {
    user = JSON.parse(text);
  } catch (e) {
    throw new Fail(`/api/v1/auth/me is not JSON: ${text.slice(0, 300)}`);
  }
  check(user.email === email, `me.email is ${user.email}, wanted ${email}`);
  return user;
}

// The link of the newest mail to `address` whose link contains `part`,
// read with the project's own reader (tests/tools/mailcatch.py).
function mailLink(address, part) {
  const code = `
import sys, time
sys.path.insert(0, sys.argv[1])
import mailcatch
d, addr, part = sys.argv[2], sys.argv[3], sys.argv[4]
deadline = time.monotonic() + 8
while True:
    links = [mailcatch.find_link(m) for m in mailcatch.messages_to(d, addr)]
    links = [l for l in links if part in l]
    if links:
        print(links[-1])
        break
    if time.monotonic() > deadline:
        sys.exit("no mail to %s with %r in its link in %s" % (addr, part, d))
    time.sleep(0.05)
`;
  try {
    return execFileSync('/usr/bin/python3', ['-c', code, MAILCATCH, MAIL_DIR, address, part],
      { timeout: 15000, encoding: 'utf-8' }).trim();
  } catch (e) {
    throw new Fail(`reading the mail: ${(e.stderr || e.message || '').toString().trim()}`);
  }
}

// Opens a mail link, checks that the page's script copied ?hash= into the
// form. Returns the hash.
async function openMailLink(page, link, pagePath) {
  check(link.startsWith(`${BASE}${pagePath}?hash=`), `mail link ${link} is not ${BASE}${pagePath}?hash=...`);
  const hash = new URL(link).searchParams.get('hash');
  check(hash && hash.length > 20, `no hash in ${link}`);
  const resp = await page.goto(link);
  check(resp && resp.ok(), `GET ${link}: ${resp && resp.status()}`);
  const u = new URL(page.url());
  check(u.searchParams.get('hash') === hash, `the link landed on ${page.url()}, the hash got lost`);
  await page.waitForFunction((h) => document.getElementById('hash') &&
    document.getElementById('hash').value === h, hash, { timeout: STEP_MS })
    .catch(() => { throw new Fail(`the page's script did not fill in the hash (at ${page.url()})`); });
  return hash;
}

async function signUp(page, email, password) {
  await page.goto(BASE + '/');
  await page.fill('#reg-email', email);
  await page.fill('#reg-password', password);
  await page.fill('#reg-first', 'Browser');
  await page.fill('#reg-last', 'Test');
  await submitAndExpect(page, FORMS.register, '/?registered=check-your-mail');
}

async function signUpAndConfirm(page, email, password) {
  await signUp(page, email, password);
  const link = mailLink(email, '/confirm-email?');
  await openMailLink(page, link, '/confirm-email');
  await submitAndExpect(page, 'form[action="/api/v1/auth/email/confirm"]', '/?done=confirm-email');
}

function accessCookie(cookies) {
  return cookies.find((c) => c.name === 'authportal_access');
}

// ---- the tests ------------------------------------------------------------

test('index page renders the four forms (screenshot out/index.png)', async () => {
  const { context, page } = await newPage();
  try {
    const resp = await page.goto(BASE + '/');
    check(resp && resp.status() === 200, `GET /: ${resp && resp.status()}`);
    check((await page.title()) === 'authportal demo', `title: ${await page.title()}`);
    check((await page.locator('form').count()) === 4, `${await page.locator('form').count()} forms`);
    for (const [name, sel] of Object.entries(FORMS)) {
      check((await page.locator(sel).count()) === 1, `no ${name} form (${sel})`);
      const method = await page.locator(sel).getAttribute('method');
      check(method === 'post', `${name} form method ${method}`);
      check(await page.locator(`${sel} button[type="submit"]`).isVisible(), `${name} button not visible`);
    }
    for (const id of ['login-email', 'login-password', 'reg-email', 'reg-password',
      'reg-first', 'reg-last', 'forgot-email']) {
      check(await page.locator('#' + id).isVisible(), `#${id} not visible`);
    }
    // The stylesheet loaded and applies.
    const css = await page.request.get(BASE + '/style.css');
    check(css.status() === 200, `GET /style.css: ${css.status()}`);
    fs.mkdirSync(OUT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(OUT_DIR, 'index.png'), fullPage: true });
    check(fs.statSync(path.join(OUT_DIR, 'index.png')).size > 1000, 'empty screenshot');
    check(page.jsErrors.length === 0, `JavaScript errors: ${page.jsErrors}`);
  } finally {
    await context.close();
  }
});

test('sign in through the form shows /api/v1/auth/me; HttpOnly cookie unreadable by JS', async () => {
  const { context, page } = await newPage();
  try {
    await signIn(page, DEMO_USER, DEMO_PASSWORD);
    await expectMe(page, DEMO_USER);
    const cookies = await context.cookies(BASE + '/api/v1/auth/me');
    const access = accessCookie(cookies);
    check(access, `no authportal_access cookie: ${cookies.map((c) => c.name)}`);
    check(access.httpOnly === true, 'authportal_access is not HttpOnly');
    check(access.path === '/', `authportal_access path ${access.path}`);
    check(access.sameSite === 'Lax', `authportal_access SameSite ${access.sameSite}`);
    const refresh = cookies.find((c) => c.name === 'authportal_refresh');
    check(refresh, 'no authportal_refresh cookie');
    check(refresh.httpOnly === true, 'authportal_refresh is not HttpOnly');
    check(refresh.path === '/api/v1/auth', `authportal_refresh path ${refresh.path}`);
    check(refresh.sameSite === 'Strict', `authportal_refresh SameSite ${refresh.sameSite}`);
    // Scripts on the API page and on the demo page cannot read the tokens.
    const onMe = await page.evaluate(() => document.cookie);
    check(!onMe.includes('authportal_'), `document.cookie on /me: ${onMe}`);
    await page.goto(BASE + '/');
    const onIndex = await page.evaluate(() => document.cookie);
    check(!onIndex.includes('authportal_'), `document.cookie on /: ${onIndex}`);
    // A link of the demo page uses the cookie too.
    await page.locator('a[href="/api/v1/auth/sessions"]').click();
    await page.waitForURL(BASE + '/api/v1/auth/sessions');
    const sessions = await bodyText(page);
    check(sessions.startsWith('['), `/api/v1/auth/sessions: ${sessions.slice(0, 200)}`);
  } finally {
    await context.close();
  }
});

test('wrong password lands on /?error=incorrectPassword', async () => {
  const { context, page } = await newPage();
  try {
    await signIn(page, DEMO_USER, 'not-the-password', '/?error=incorrectPassword');
    check((await page.title()) === 'authportal demo', 'not back on the demo page');
    const cookies = await context.cookies(BASE + '/api/v1/auth/me');
    check(!accessCookie(cookies), 'a failed sign-in set authportal_access');
  } finally {
    await context.close();
  }
});

test('sign up, open the confirm link of the mail, confirm, then sign in', async () => {
  const { context, page } = await newPage();
  const email = uniqueEmail('browser-signup');
  const password = 'Browser-Pass-1';
  try {
    await signUp(page, email, password);
    const link = mailLink(email, '/confirm-email?');
    await openMailLink(page, link, '/confirm-email');
    check((await page.title()) === 'Confirm your email', `title: ${await page.title()}`);
    await submitAndExpect(page, 'form[action="/api/v1/auth/email/confirm"]', '/?done=confirm-email');
    check(page.jsErrors.length === 0, `JavaScript errors: ${page.jsErrors}`);
  } finally {
    await context.close();
  }
  const second = await newPage();
  try {
    await signIn(second.page, email, password);
    const user = await expectMe(second.page, email);
    check(user.status && user.status.id === 1, `status after confirm: ${JSON.stringify(user.status)}`);
  } finally {
    await second.context.close();
  }
});

test('forgot password: mail link, new password, old one refused', async () => {
  const email = uniqueEmail('browser-forgot');
  const oldPassword = 'Browser-Old-1';
  const newPassword = 'Browser-New-2';
  let s = await newPage();
  try {
    await signUpAndConfirm(s.page, email, oldPassword);
    await s.page.goto(BASE + '/');
    await s.page.fill('#forgot-email', email);
    await submitAndExpect(s.page, FORMS.forgot, '/?forgot=check-your-mail');
    const link = mailLink(email, '/password-change?');
    await openMailLink(s.page, link, '/password-change');
    check((await s.page.title()) === 'Choose a new password', `title: ${await s.page.title()}`);
    await s.page.fill('#password', newPassword);
    await submitAndExpect(s.page, 'form[action="/api/v1/auth/reset/password"]', '/?done=password-change');
    check(s.page.jsErrors.length === 0, `JavaScript errors: ${s.page.jsErrors}`);
  } finally {
    await s.context.close();
  }
  s = await newPage();
  try {
    await signIn(s.page, email, newPassword);
    await expectMe(s.page, email);
  } finally {
    await s.context.close();
  }
  s = await newPage();
  try {
    await signIn(s.page, email, oldPassword, '/?error=incorrectPassword');
  } finally {
    await s.context.close();
  }
});

test('sign out through the form; /api/v1/auth/me then answers 401', async () => {
  const { context, page } = await newPage();
  try {
    await signIn(page, DEMO_USER, DEMO_PASSWORD);
    await expectMe(page, DEMO_USER);
    const before = accessCookie(await context.cookies(BASE + '/'));
    check(before, 'no authportal_access cookie after sign-in');
    await page.goto(BASE + '/');
    await submitAndExpect(page, FORMS.logout, '/?signed-out');
    // The token cookies go; the device cookie stays on purpose: it lets
    // this browser sign in again despite guesses from elsewhere (API.md
    // §10 item 7).
    const after = await context.cookies(BASE + '/api/v1/auth/me');
    check(!after.some((c) => c.name.startsWith('authportal_') &&
                             c.name !== 'authportal_device'),
      `cookies left after sign-out: ${after.map((c) => c.name)}`);
    const resp = await page.goto(BASE + '/api/v1/auth/me');
    check(resp && resp.status() === 401, `/api/v1/auth/me after sign-out: ${resp && resp.status()}`);
    // The old access token itself is dead too (the session ended), not only
    // the cookie dropped: replay it in a fresh context.
    const other = await newPage();
    try {
      await other.context.addCookies([{ name: before.name, value: before.value, url: BASE + '/' }]);
      const replay = await other.page.goto(BASE + '/api/v1/auth/me');
      check(replay && replay.status() === 401,
        `the signed-out access token still works: ${replay && replay.status()}`);
    } finally {
      await other.context.close();
    }
  } finally {
    await context.close();
  }
});

// ---- the runner -----------------------------------------------------------

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
  const missing = [];
  if (!BASE.startsWith('http')) missing.push('BASE_URL');
  if (!MAIL_DIR) missing.push('MAIL_DIR');
  if (!MAILCATCH) missing.push('MAILCATCH');
  try {
    if (missing.length) throw new Error(`not set: ${missing.join(', ')} (run tests/browser/run.py)`);
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
