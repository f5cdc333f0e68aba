// SPDX-License-Identifier: ISC
// Real-browser tests of the account pages (cgi-bin/pages, issue 11):
// headless Debian Chromium, driven by playwright-core, against the real
// lighttpd + FastCGI workers that tests/browser/run.py starts (the
// server of demo.test.mjs: its mails link to the demo, and the pages open
// the same hashes; test_pages.py checks AUTH_MAIL_LINKS=pages).
//
//   1. the whole walk with JavaScript off: sign-up, the confirm mail, its
//      page and button, sign-in, a second sign-in from another context,
//      the device list with two, ending the other, the name, the
//      password, sign-out;
//   2. the error paths: wrong password, weak password, taken email,
//      expired reset link, each message next to its field;
//   3. axe-core run in every page (zero serious or critical violations)
//      and screenshots of every page at phone (390x844) and desktop
//      (1280x800) width in OUT_DIR (pages-<name>-<width>.png).
//
// Environment (set by run.py): BASE_URL, MAIL_DIR, MAILCATCH, OUT_DIR,
// CHROMIUM, as for demo.test.mjs. Output: "plan N", then "ok <name>" or
// "FAIL <name>" per test, details on "# " lines. Every wait is bounded.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const BASE = (process.env.BASE_URL || '').replace(/\/+$/, '');
const MAIL_DIR = process.env.MAIL_DIR || '';
const MAILCATCH = process.env.MAILCATCH || '';
const OUT_DIR = process.env.OUT_DIR || path.join(path.dirname(new URL(import.meta.url).pathname), 'out');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf-8');

const P = '/account/';
const PASSWORD = 'Correct-Horse-9';
const STEP_MS = 10000;
const TEST_MS = 60000;
const RUN_MS = 170000;
const SIZES = [{ name: 'phone', width: 390, height: 844 }, { name: 'desktop', width: 1280, height: 800 }];
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync'];

const tests = [];
const serverErrors = [];
const audited = new Map();   // page name -> violations (serious, critical)
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

async function newPage(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  context.setDefaultTimeout(STEP_MS);
  context.setDefaultNavigationTimeout(STEP_MS);
  const page = await context.newPage();
  page.on('response', (r) => {
    if (r.status() >= 500) serverErrors.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  return { context, page };
}

function here(page) {
  const u = new URL(page.url());
  return u.pathname + u.search;
}

async function go(page, p, status = 200) {
  const resp = await page.goto(BASE + p);
  check(resp && resp.status() === status, `GET ${p}: ${resp && resp.status()}, wanted ${status}`);
  return resp;
}

// Clicks the submit button of the form posting to action and waits for
// the next page: the address want (after a 303), or the same form again.
async function submit(page, action, want) {
  const form = `form[action="${P}${action}"]`;
  const nav = page.waitForNavigation({ timeout: STEP_MS });
  await page.locator(`${form} button[type="submit"]`).first().click();
  await nav.catch(() => { throw new Fail(`submitting ${form}: no new page (at ${page.url()})`); });
  if (want !== undefined) check(here(page) === want, `after ${form}: at ${here(page)}, wanted ${want}`);
}

// The words next to a field (its <p class="error" id="e-field">), which
// the field names in aria-describedby.
async function errorOf(page, field) {
  const described = await page.getAttribute(`#f-${field}`, 'aria-describedby').catch(() => '');
  check(field === 'hash' || (described || '').split(' ').includes(`e-${field}`),
    `#f-${field} is not described by #e-${field}`);
  return (await page.locator(`#e-${field}`).innerText()).trim();
}

async function expectError(page, field, words) {
  const got = await errorOf(page, field);
  check(got.includes(words), `next to ${field}: "${got}", wanted "${words}"`);
  check(await page.locator(`#e-${field}`).isVisible(), `the error of ${field} is not visible`);
  const summary = page.locator('.summary[role="alert"]');
  check(await summary.count() === 1, 'no summary with role="alert"');
  check((await summary.innerText()).includes(words), 'the summary does not say it');
}

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

// axe-core in the page (through the driver: the pages' CSP allows no
// script, rightly), then a screenshot at each width.
async function audit(page, name) {
  await page.evaluate(AXE_SOURCE);
  const found = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] })
    .then((r) => r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`)));
  audited.set(name, found);
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const original = page.viewportSize();
  for (const s of SIZES) {
    await page.setViewportSize({ width: s.width, height: s.height });
    // Nothing may stick out sideways on a phone.
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    check(wide <= s.width, `${name} at ${s.width} px is ${wide} px wide`);
    await page.screenshot({ path: path.join(OUT_DIR, `pages-${name}-${s.name}.png`), fullPage: true });
  }
  await page.setViewportSize(original);
  check(found.length === 0, `axe on ${name}: ${found.join('; ')}`);
}

async function signUp(page, email, password = PASSWORD) {
  await go(page, P + 'signup');
  await page.fill('#f-firstName', 'Grace');
  await page.fill('#f-lastName', 'Hopper');
  await page.fill('#f-email', email);
  await page.fill('#f-password', password);
  await submit(page, 'signup');
}

// The page of a mailed link: the link itself when it points at the pages
// (AUTH_MAIL_LINKS=pages), else the same path and query under them.
function pagesLink(link) {
  const u = new URL(link);
  check(u.origin === BASE, `mail link ${link} is not on ${BASE}`);
  return u.pathname.startsWith(P) ? link : `${BASE}${P}${u.pathname.slice(1)}${u.search}`;
}

async function confirm(page, email) {
  const link = pagesLink(mailLink(email, '/confirm-email?'));
  check(link.startsWith(`${BASE}${P}confirm-email?hash=`), `mail link ${link}`);
  const resp = await page.goto(link);
  check(resp.status() === 200, `GET ${link}: ${resp.status()}`);
  await submit(page, 'confirm-email', `${P}signin?done=emailConfirmed`);
}

async function signIn(page, email, password = PASSWORD, want = `${P}me`) {
  await go(page, P + 'signin');
  await page.fill('#f-email', email);
  await page.fill('#f-password', password);
  await submit(page, 'signin', want);
}

async function text(page) {
  return (await page.locator('main').innerText()).trim();
}

// ---- the tests ------------------------------------------------------------

test('pages, JavaScript off: sign-up, confirm mail, sign-in twice, devices, end the other, name, password, sign-out', async () => {
  const { context, page } = await newPage({ javaScriptEnabled: false });
  const second = await newPage({ javaScriptEnabled: false,
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36' });
  try {
    const email = uniqueEmail('walk');
    await signUp(page, email);
    check(here(page) === `${P}signin?done=signedUp`, `after sign-up at ${here(page)}`);
    check((await text(page)).includes('Check your mail'), 'no "check your mail"');
    await confirm(page, email);
    check((await text(page)).includes('confirmed'), 'no "confirmed" notice');
    await signIn(page, email);
    check((await text(page)).includes(email), 'the account page does not show the address');
    await signIn(second.page, email);
    await go(page, P + 'devices');
    const devices = page.locator('li.device');
    check(await devices.count() === 2, `${await devices.count()} devices listed, wanted 2`);
    check(await page.locator('li.device.current').count() === 1, 'no "this device"');
    const other = page.locator('li.device:not(.current)');
    check((await other.innerText()).includes('Chrome'), `the other device: ${await other.innerText()}`);
    await other.locator('button[type="submit"]').click();
    await page.waitForURL((u) => u.pathname + u.search === `${P}devices?done=deviceEnded`);
    check(await page.locator('li.device').count() === 1, 'the other device is still listed');
    await go(second.page, P + 'me');
    check(here(second.page).startsWith(`${P}signin?redirect=`), `the ended device is at ${here(second.page)}`);
    // The name.
    await go(page, P + 'me');
    await page.fill('#f-firstName', 'Amazing');
    await page.fill('#f-lastName', 'Grace');
    await submit(page, 'me/profile', `${P}me?done=profileSaved`);
    check(await page.inputValue('#f-firstName') === 'Amazing', 'the new first name is not shown');
    // The password, then sign-in with it.
    await page.fill('#f-oldPassword', PASSWORD);
    await page.locator('form[action="/account/me/password"] #f-password').fill('New-Horse-Battery-7');
    await submit(page, 'me/password', `${P}me?done=passwordChanged`);
    await submit(page, 'signout', `${P}signin?done=signedOut`);
    await go(page, P + 'me');
    check(here(page).startsWith(`${P}signin`), 'still signed in after sign-out');
    await signIn(page, email, 'New-Horse-Battery-7');
  } finally {
    await second.context.close();
    await context.close();
  }
});

test('pages: wrong password, weak password, taken email, expired reset link, each next to its field', async () => {
  const { context, page } = await newPage();
  try {
    const email = uniqueEmail('errors');
    await signUp(page, email);
    await confirm(page, email);
    await go(page, P + 'signin');
    await page.fill('#f-email', email);
    await page.fill('#f-password', 'not-the-password');
    await submit(page, 'signin');
    await expectError(page, 'password', 'The email address or the password is wrong.');
    check(await page.inputValue('#f-email') === email, 'the address was not kept');
    check(await page.evaluate(() => document.activeElement && document.activeElement.id) === 'f-password',
      'the first error is not focused');
    await audit(page, 'signin-error');
    await go(page, P + 'signup');
    await page.fill('#f-firstName', 'A');
    await page.fill('#f-lastName', 'B');
    await page.fill('#f-email', uniqueEmail('weak'));
    await page.fill('#f-password', 'short');
    await submit(page, 'signup');
    await expectError(page, 'password', 'Use at least 8 characters.');
    await audit(page, 'signup-error');
    await page.fill('#f-email', email);
    await page.fill('#f-password', PASSWORD);
    await submit(page, 'signup');
    await expectError(page, 'email', 'An account with this email address already exists.');
    // A reset link whose time is up says so when opened, and its form
    // is refused.
    await go(page, P + 'forgot');
    await page.fill('#f-email', email);
    await submit(page, 'forgot', `${P}forgot?done=resetSent`);
    const link = pagesLink(mailLink(email, '/password-change?'));
    const u = new URL(link);
    u.searchParams.set('expires', String(Date.now() - 60000));
    await page.goto(u.toString());
    check((await page.locator('#e-hash').innerText()).includes('This link has expired'),
      `the expired link's page: ${await text(page)}`);
    await audit(page, 'password-change-expired');
    await page.goto(link);
    await page.fill('#f-password', 'Reset-Horse-Battery-8');
    await submit(page, 'password-change', `${P}signin?done=passwordReset`);
    await page.goto(link);
    await page.fill('#f-password', 'Reset-Horse-Battery-9');
    await submit(page, 'password-change');
    check((await page.locator('#e-hash').innerText()).includes('not valid any more'),
      'a used link is not refused in words');
  } finally {
    await context.close();
  }
});

test('pages, JavaScript off: "Continue with Google" signs in through the provider and lands on the account page', async () => {
  const { context, page } = await newPage({ javaScriptEnabled: false });
  try {
    await go(page, P + 'signin');
    const button = page.locator('a.provider-google');
    check(await button.count() === 1, 'no Google button on the sign-in page');
    check((await button.innerText()).trim() === 'Continue with Google', `the button says ${await button.innerText()}`);
    await button.click();
    await page.waitForURL((u) => u.origin === BASE && u.pathname === `${P}me`, { timeout: STEP_MS })
      .catch(() => { throw new Fail(`after the Google button: at ${page.url()}`); });
    check((await text(page)).includes('@example.com'), `the account page: ${(await text(page)).slice(0, 200)}`);
    check(await page.locator('#s-password').count() === 0, 'a social account is offered a password change');
  } finally {
    await context.close();
  }
});

test('pages: axe-core finds no serious or critical violation on any page; screenshots at 390 and 1280 px', async () => {
  const { context, page } = await newPage();
  try {
    for (const [name, p] of [['signin', 'signin'], ['signup', 'signup'], ['forgot', 'forgot'],
      ['password-change', 'password-change?hash=x'], ['confirm-email', 'confirm-email?hash=x'],
      ['confirm-new-email', 'confirm-new-email?hash=x']]) {
      await go(page, P + p);
      await audit(page, name);
    }
    await go(page, P + 'no-such-page', 404);
    await audit(page, 'not-found');
    const email = uniqueEmail('axe');
    await signUp(page, email);
    await audit(page, 'signin-signed-up');
    await confirm(page, email);
    await signIn(page, email);
    await audit(page, 'me');
    await go(page, P + 'devices');
    await audit(page, 'devices');
    await go(page, P + 'me/delete');
    await audit(page, 'me-delete');
    await submit(page, 'me/delete');
    await audit(page, 'me-delete-error');
    await page.check('#f-confirm');
    await submit(page, 'me/delete', `${P}signin?done=accountDeleted`);
    const bad = [...audited].filter(([, v]) => v.length > 0);
    check(bad.length === 0, bad.map(([n, v]) => `${n}: ${v.join('; ')}`).join(' | '));
    console.log(`# audited ${audited.size} pages: ${[...audited.keys()].join(', ')}`);
  } finally {
    await context.close();
  }
});

// ---- the runner (as in demo.test.mjs) --------------------------------------

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
    if (!BASE.startsWith('http') || !MAIL_DIR || !MAILCATCH) throw new Error('run tests/browser/run.py');
    browser = await withTimeout(chromium.launch({
      executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS, timeout: STEP_MS,
    }), STEP_MS + 2000, 'starting chromium');
  } catch (e) {
    for (const t of tests) console.log(`FAIL ${t.name}`);
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
