// SPDX-License-Identifier: ISC
// Real-browser tests of www/profile.html, the page that talks to the API as
// a single-page frontend does: the flows the reference frontend's own
// Playwright suite walks (issue 16 point 4). A failed sign-in shows words,
// not a message key; forgot-password shows its success message under
// uniform errors and "no account" without them; an avatar is uploaded,
// made the photo, and the <img> loads the served file.
//
// Environment (set by run.py):
//   BASE_URL         the server with the defaults (AUTH_UNIFORM_ERRORS=true)
//   BASE_URL_STRICT  a server with AUTH_UNIFORM_ERRORS=false
//   CHROMIUM         the browser (default /usr/bin/chromium)
//
// Output as demo.test.mjs: "plan N", then "ok <name>" or "FAIL <name>" per
// test, diagnostics on lines starting with "# ". Every wait is bounded.

import zlib from 'node:zlib';
import { chromium } from 'playwright-core';

const BASE = (process.env.BASE_URL || '').replace(/\/+$/, '');
const STRICT = (process.env.BASE_URL_STRICT || '').replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const DEMO_USER = 'john.doe@example.com';
const PASSWORD = 'browser-pass-1';
const STEP_MS = 10000;
const TEST_MS = 30000;
const RUN_MS = 60000;
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync'];
const WRONG = 'Incorrect email or password.';
const NO_ACCOUNT = 'No account with this email address.';

const tests = [];
const serverErrors = [];
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

// A real 2x2 PNG, made here.
function png() {
  const crcTable = [];
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crcTable[n] = c >>> 0;
  }
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(2, 0);
  ihdr.writeUInt32BE(2, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const raw = Buffer.from([0, 255, 0, 0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255]);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

async function register(base, email) {
  const r = await fetch(base + '/api/v1/auth/email/register', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD, firstName: 'Ada', lastName: 'Photo' }),
  });
  check(r.status === 204, `register ${email}: ${r.status}`);
}

async function newPage(base) {
  const context = await browser.newContext();
  context.setDefaultTimeout(STEP_MS);
  context.setDefaultNavigationTimeout(STEP_MS);
  const page = await context.newPage();
  page.jsErrors = [];
  page.on('pageerror', (e) => page.jsErrors.push(String(e)));
  page.on('response', (r) => {
    if (r.status() >= 500) serverErrors.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  const resp = await page.goto(base + '/profile.html');
  check(resp && resp.status() === 200, `GET /profile.html: ${resp && resp.status()}`);
  return { context, page };
}

async function textOf(page, sel) {
  await page.locator(sel).waitFor({ state: 'visible', timeout: STEP_MS })
    .catch(() => { throw new Fail(`${sel} never showed`); });
  return (await page.locator(sel).innerText()).trim();
}

// Submits the sign-in form and waits for the API's answer (the page clears
// its message before it asks, and writes the new one after).
async function signIn(page, email, password) {
  await page.fill('#signin-email', email);
  await page.fill('#signin-password', password);
  const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/email/login'));
  await page.locator('#signin button[type="submit"]').click();
  return answered;
}

async function forgot(page, email) {
  await page.fill('#forgot-email', email);
  await page.locator('#forgot button[type="submit"]').click();
}

// The avatar <img> has loaded an image of the server's (naturalWidth > 0).
async function avatarLoaded(page) {
  await page.waitForFunction(() => {
    const img = document.getElementById('avatar');
    return img && !img.hidden && img.complete && img.naturalWidth > 0;
  }, null, { timeout: STEP_MS }).catch(() => { throw new Fail('the avatar never loaded'); });
  return page.locator('#avatar').getAttribute('src');
}

// ---- the tests ------------------------------------------------------------

test('a failed sign-in shows words, the same for a wrong password and an unknown address', async () => {
  const { context, page } = await newPage(BASE);
  try {
    await signIn(page, DEMO_USER, 'not-the-password');
    const wrong = await textOf(page, '#signin-error');
    check(wrong === WRONG, `wrong password shows "${wrong}"`);
    const r = await signIn(page, uniqueEmail('nobody'), 'whatever-password');
    check(r.status() === 422, `an unknown address answered ${r.status()}`);
    const unknown = await textOf(page, '#signin-error');
    check(unknown === WRONG, `unknown address shows "${unknown}"`);
    const body = await page.locator('body').innerText();
    check(!/incorrectEmailOrPassword|validation\.server/.test(body), 'a raw message key on the page');
    check(page.jsErrors.length === 0, `JavaScript errors: ${page.jsErrors}`);
  } finally {
    await context.close();
  }
});

test('forgot-password under uniform errors: the success message, for any address', async () => {
  const { context, page } = await newPage(BASE);
  try {
    await forgot(page, uniqueEmail('nobody'));
    const done = await textOf(page, '#forgot-done');
    check(done.startsWith('If the address has an account'), `shows "${done}"`);
    check(await page.locator('#forgot-error').isHidden(), 'an error is shown too');
  } finally {
    await context.close();
  }
});

test('forgot-password with AUTH_UNIFORM_ERRORS=false: "no account" for an unknown address', async () => {
  const { context, page } = await newPage(STRICT);
  try {
    await forgot(page, 'nonexistentemail@mail.com');
    const err = await textOf(page, '#forgot-error');
    check(err === NO_ACCOUNT, `shows "${err}"`);
    check(await page.locator('#forgot-done').isHidden(), 'the success message is shown too');
    // A known address still gets its success message.
    await forgot(page, DEMO_USER);
    const done = await textOf(page, '#forgot-done');
    check(done.startsWith('If the address has an account'), `a known address shows "${done}"`);
  } finally {
    await context.close();
  }
});

test('avatar upload: the photo is set and the <img> loads the served file', async () => {
  const email = uniqueEmail('avatar');
  await register(BASE, email);
  const { context, page } = await newPage(BASE);
  try {
    await signIn(page, email, PASSWORD);
    check((await textOf(page, '#profile-name')) === 'Ada Photo', 'the profile did not show');
    check(await page.locator('#avatar').isHidden(), 'an avatar before any upload');
    const uploaded = page.waitForResponse((r) => r.url().endsWith('/api/v1/files/upload'));
    await page.setInputFiles('#photo', { name: 'me.png', mimeType: 'image/png', buffer: png() });
    const up = await uploaded;
    check(up.status() === 201, `upload answered ${up.status()}`);
    const src = await avatarLoaded(page);
    check(new RegExp(`^${BASE}/api/v1/files/[0-9a-f]{32}\\.png$`).test(src), `avatar src ${src}`);
    const served = await page.request.get(src);
    check(served.status() === 200 && served.headers()['content-type'] === 'image/png',
      `GET ${src}: ${served.status()} ${served.headers()['content-type']}`);
    // Signed in again, elsewhere: the photo is the account's.
    const again = await newPage(BASE);
    try {
      await signIn(again.page, email, PASSWORD);
      check((await avatarLoaded(again.page)) === src, 'the photo is not there at the next sign-in');
    } finally {
      await again.context.close();
    }
    // An SVG is refused in words, and the photo stays.
    await page.setInputFiles('#photo', { name: 'x.svg', mimeType: 'image/svg+xml',
      buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>') });
    const err = await textOf(page, '#photo-error');
    check(err === 'Only JPEG, PNG and GIF images can be uploaded.', `an SVG shows "${err}"`);
    check((await page.locator('#avatar').getAttribute('src')) === src, 'the photo changed');
    check(page.jsErrors.length === 0, `JavaScript errors: ${page.jsErrors}`);
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
  try {
    if (!BASE.startsWith('http') || !STRICT.startsWith('http')) {
      throw new Error('BASE_URL and BASE_URL_STRICT must be set (run tests/browser/run.py)');
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
