// Harness for the browser suites: a pinhole server on a free loopback port
// with a fresh data dir, Debian's chromium driven by playwright-core, pages
// that record console errors and requests to other origins, the sign-up
// flow through the server's own pages, and screenshots of each screen at
// phone and desktop sizes in English and Arabic.
//
// Binary: $PINHOLE_BIN, default build/pinhole. Photos: $PINHOLE_FIXTURES,
// the fixtures folder (default build/fixtures, made by tests/fixtures/prepare.sh); photos in its photos/.
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = process.env.PINHOLE_BIN ? resolve(process.env.PINHOLE_BIN) : join(ROOT, 'build', 'pinhole');
export const PHOTOS = join(process.env.PINHOLE_FIXTURES ? resolve(process.env.PINHOLE_FIXTURES) : join(ROOT, 'build', 'fixtures'), 'photos');
export const SHOTS = join(ROOT, 'test-output', 'screenshots');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const SIZES = [
  { name: '375', width: 375, height: 812 },
  { name: '1280', width: 1280, height: 800 },
];
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** Starts a server; returns {url, stop(), stderr()}. */
export async function startServer(set = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'pinhole-web-'));
  const settings = { argon2_mem_kib: 8192, argon2_ops: 1, rate_auth_limit: 100000, web_dir: join(ROOT, 'web'), ...set };
  let lastErr;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const args = ['serve', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`];
    for (const [k, v] of Object.entries(settings)) args.push('--set', `${k}=${v}`);
    const proc = spawn(BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (c) => (err = (err + c).slice(-20000)));
    let exited = false;
    const done = new Promise((r) => proc.on('exit', (code, sig) => ((exited = true), r({ code, sig }))));
    proc.on('error', (e) => (err += e.message));
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 20000;
    while (!exited && Date.now() < deadline) {
      try {
        const r = await fetch(url + '/healthz');
        if (r.ok) {
          process.on('exit', () => proc.kill('SIGKILL'));
          return {
            url,
            dataDir,
            stderr: () => err,
            async stop() {
              proc.kill('SIGTERM');
              const r2 = await Promise.race([done, sleep(12000).then(() => null)]);
              if (!r2) proc.kill('SIGKILL');
              await rm(dataDir, { recursive: true, force: true });
              return r2;
            },
          };
        }
      } catch {
        /* not yet */
      }
      await sleep(50);
    }
    proc.kill('SIGKILL');
    lastErr = new Error(`pinhole did not start: ${err.slice(-2000)}`);
  }
  throw lastErr;
}

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * A person's browser: a context of its own (its own localStorage) and a page
 * whose console errors and other-origin requests are recorded in `problems`.
 * allow(msg) can excuse an expected console error (e.g. a probed 404).
 */
export async function person(browser, base, { locale = 'en-US', size = SIZES[0], allow } = {}) {
  const context = await browser.newContext({ viewport: { width: size.width, height: size.height }, locale, colorScheme: 'light', deviceScaleFactor: 1, reducedMotion: 'reduce' });
  const page = await context.newPage();
  const problems = [];
  const origin = new URL(base).origin;
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const where = m.location()?.url || '';
    if (allow && allow(m.text(), where)) return;
    problems.push(`console error: ${m.text()} (${where})`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const u = r.url();
    if (/^(data|blob):/.test(u)) return;
    if (new URL(u).origin !== origin) problems.push(`request to another origin: ${u}`);
  });
  page.setDefaultTimeout(15000);
  return { context, page, problems, base };
}

/** Waits until the app's view is mounted and nothing is loading. */
export async function settle(page) {
  await page.waitForFunction(() => !document.querySelector('.view.loading, .pager.busy') && document.querySelector('#main .view'), null, { timeout: 15000, polling: 50 });
  // photos in view have arrived (or failed) so screenshots show them
  await page
    .waitForFunction(
      () =>
        [...document.querySelectorAll('.ph img[src]')]
          .filter((i) => {
            const r = i.getBoundingClientRect();
            return r.bottom > 0 && r.top < innerHeight && r.width > 0;
          })
          .every((i) => i.complete),
      null,
      { timeout: 8000, polling: 50 },
    )
    .catch(() => {});
  await sleep(120);
}

/** Signs NAME up through the server's sign-up page and the OAuth flow. */
export async function signUp(p, name, password = 'correct horse battery') {
  const { page, base } = p;
  await page.goto(base + '/');
  await page.getByRole('button', { name: 'Create account' }).first().click();
  await page.waitForURL(/\/auth\/sign_up/);
  await page.fill('input[name=username]', name);
  await page.fill('input[name=email]', `${name}@example.org`);
  await page.fill('input[name=password]', password);
  await page.check('input[name=agreement]');
  await page.click('button[type=submit]');
  await page.waitForURL(/\/oauth\/authorize/);
  await page.fill('input[name=username]', name);
  await page.fill('input[name=password]', password);
  await page.click('button[name=decision][value=allow]');
  await page.waitForURL((u) => u.pathname === '/' && !u.search, { timeout: 15000 });
  await page.waitForSelector('.tabbar a[href="/@' + name + '"], .rail a[href="/@' + name + '"]', { state: 'attached' });
  return p;
}

/** In-app navigation, as a click on a link would do. */
export async function go(page, path) {
  await page.evaluate((x) => window.nav(x), path);
  await settle(page);
}

/**
 * Screenshots of the current route at each size, in English and Arabic
 * (the page is reloaded in each: client routes must survive a reload).
 */
export async function shoot(p, name, { langs = ['en', 'ar'], sizes = SIZES, before } = {}) {
  const { page } = p;
  await mkdir(SHOTS, { recursive: true });
  const files = [];
  for (const lang of langs) {
    await page.evaluate((l) => localStorage.setItem('pinhole.lang', l), lang);
    for (const size of sizes) {
      await page.setViewportSize({ width: size.width, height: size.height });
      await page.reload();
      await settle(page);
      if (before) await before(page);
      const file = join(SHOTS, `${name}-${size.name}-${lang}.png`);
      await page.screenshot({ path: file });
      files.push(file);
    }
  }
  await page.evaluate(() => localStorage.removeItem('pinhole.lang'));
  await page.setViewportSize({ width: SIZES[0].width, height: SIZES[0].height });
  await page.reload();
  await settle(page);
  return files;
}

export async function photos() {
  const list = (await readdir(PHOTOS)).filter((f) => /\.jpe?g$/i.test(f)).sort();
  return list.map((f) => join(PHOTOS, f));
}
