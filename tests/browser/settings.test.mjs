// Settings, account security: changing the password (a wrong current
// password is refused under its field, a mismatch is caught before asking,
// the right one changes it, this device stays signed in and the others are
// signed out, the new password then signs in through the authorize page),
// the wait message once wrong attempts are rate limited, and signing out
// everywhere (confirmed in a dialog; back to the welcome screen, every token
// revoked). Screenshots: settings-password-375-en and -1280-ar.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { go, launch, person, settle, SHOTS, signUp, SIZES, startServer } from './lib.mjs';

const OLD = 'correct horse battery';
const NEW = 'tr0mbone staple ñew';
const PW_API = '/api/v1/pinhole/account/password';

let server, browser, dana, second;
const people = [];

// Chromium logs every 4xx answer as a console error; the refusals this file
// provokes on purpose are expected, and only those.
const allowPw = (text, url) => /status of (422|429)/.test(text) && url.includes(PW_API);
// The second device: its token is revoked under it (401 from the API), and a
// wrong password on the authorize page answers 401.
const allowSecond = (text, url) => /status of 401/.test(text) && /\/(api\/v1\/|oauth\/authorize)/.test(url);

before(async () => {
  // a low per-account limit so that the 429 comes after a few wrong attempts
  server = await startServer({ rate_account_limit: 4 });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  const r = await server?.stop();
  assert.equal(r?.code, 0, 'the server stops cleanly on SIGTERM');
});

const tokenOf = (p) => p.page.evaluate(() => JSON.parse(localStorage.getItem('pinhole.token')));
const verify = (tok) => fetch(server.url + '/api/v1/accounts/verify_credentials', { headers: { Authorization: 'Bearer ' + tok } }).then((r) => r.status);
const pwForm = (page) => page.locator('form').filter({ has: page.locator('#pw-current') });

async function showForm(page) {
  await page.locator('#pw-current').evaluate((el) => el.closest('form').scrollIntoView({ block: 'center' }));
  await page.waitForTimeout(100);
}

test('a mismatch is caught here, a wrong current password under its field', async () => {
  dana = await signUp(await person(browser, server.url, { allow: allowPw }), 'dana', OLD);
  people.push(dana);
  const { page } = dana;
  let asked = 0;
  page.on('request', (r) => r.url().endsWith(PW_API) && asked++);
  await go(page, '/settings');
  assert.equal(await page.getByText('not available yet').count(), 0, 'the old notice is gone');
  const form = pwForm(page);
  await form.getByRole('heading', { name: 'Password' }).waitFor();

  await page.getByLabel('Current password').fill('not my password');
  await page.getByLabel('New password', { exact: true }).fill(NEW);
  await page.getByLabel('Confirm new password').fill(NEW + '!');
  await form.getByRole('button', { name: 'Change password' }).click();
  await page.locator('#pw-confirm-e').getByText('The two new passwords do not match.').waitFor();
  assert.equal(await page.getByLabel('Confirm new password').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'pw-confirm', 'focus goes to the field to fix');
  assert.equal(asked, 0, 'nothing was sent');

  await page.getByLabel('Show passwords').check();
  assert.equal(await page.getByLabel('Confirm new password').getAttribute('type'), 'text');
  await page.getByLabel('Show passwords').uncheck();
  assert.equal(await page.getByLabel('Current password').getAttribute('type'), 'password');

  await page.getByLabel('Confirm new password').fill(NEW);
  assert.ok(await page.locator('#pw-confirm-e').isHidden(), 'typing clears the field error');
  await form.getByRole('button', { name: 'Change password' }).click();
  const err = page.locator('#pw-current-e');
  await err.getByText('That is not your current password.').waitFor();
  assert.equal(asked, 1);
  assert.equal(await page.getByLabel('Current password').getAttribute('aria-invalid'), 'true');
  assert.match(await page.getByLabel('Current password').getAttribute('aria-describedby'), /pw-current-e/);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'pw-current');
  assert.ok(await page.locator('#pw-new-e').isHidden(), 'no error under the new password');
  assert.equal(await verify(await tokenOf(dana)), 200, 'nothing changed');

  await mkdir(SHOTS, { recursive: true });
  await showForm(page);
  await page.screenshot({ path: join(SHOTS, 'settings-password-375-en.png') });
});

test('the right password changes it: this device stays, others are signed out, the new one signs in', async () => {
  // a second device, signed in with the old password
  second = await person(browser, server.url, { allow: allowSecond });
  people.push(second);
  const sp = second.page;
  await sp.goto(server.url + '/');
  await sp.getByRole('button', { name: 'Sign in' }).first().click();
  await sp.waitForURL(/\/oauth\/authorize/);
  await sp.fill('input[name=username]', 'dana');
  await sp.fill('input[name=password]', OLD);
  await sp.click('button[name=decision][value=allow]');
  await sp.waitForURL((u) => u.pathname === '/' && !u.search);
  const tokB = await tokenOf(second);
  assert.equal(await verify(tokB), 200);

  const { page } = dana;
  const tokA = await tokenOf(dana);
  await page.getByLabel('Current password').fill(OLD);
  await page.getByLabel('New password', { exact: true }).fill(NEW);
  await page.getByLabel('Confirm new password').fill(NEW);
  await pwForm(page).getByRole('button', { name: 'Change password' }).click();
  await page.getByRole('status').filter({ hasText: 'Password changed. Other devices were signed out.' }).waitFor();
  assert.ok(await page.locator('#pw-current-e').isHidden(), 'the earlier error is gone');
  for (const f of ['Current password', 'Confirm new password']) assert.equal(await page.getByLabel(f).inputValue(), '', `${f} is emptied`);
  assert.equal(await verify(tokA), 200, 'this device stays signed in');
  assert.equal(await verify(tokB), 401, 'the other device is signed out');
  await page.reload();
  await settle(page);
  await page.getByText('Signed in as @dana').waitFor();

  // the other device finds its session ended and signs in again
  await sp.reload();
  const dlg = sp.getByRole('dialog', { name: 'Your session has ended' });
  await dlg.waitFor();
  await dlg.getByRole('button', { name: 'Sign in' }).click();
  await sp.waitForURL(/\/oauth\/authorize/);
  await sp.fill('input[name=username]', 'dana');
  await sp.fill('input[name=password]', OLD);
  await sp.click('button[name=decision][value=allow]');
  await sp.getByText('Wrong username or password.').waitFor();
  await sp.fill('input[name=username]', 'dana');
  await sp.fill('input[name=password]', NEW);
  await sp.click('button[name=decision][value=allow]');
  await sp.waitForURL((u) => u.pathname === '/' && !u.search);
  await sp.waitForSelector('a[href="/@dana"]', { state: 'attached' });
  const tokB2 = await tokenOf(second);
  assert.ok(tokB2 && tokB2 !== tokB);
  assert.equal(await verify(tokB2), 200, 'the new password signs in');
  second.tokB2 = tokB2;
});

test('after too many wrong attempts the form says to wait', async () => {
  const { page } = dana;
  const tok = await tokenOf(dana);
  let r;
  for (let i = 0; i < 10; i++) {
    r = await fetch(server.url + PW_API, {
      method: 'POST',
      headers: { Authorization: 'Bearer ' + tok, 'Content-Type': 'application/json' },
      body: JSON.stringify({ current_password: 'guess ' + i, password: 'whatever 123' }),
    });
    if (r.status === 429) break;
    assert.equal(r.status, 422);
  }
  assert.equal(r.status, 429);
  assert.ok(Number(r.headers.get('retry-after')) > 0, 'Retry-After says how long');
  await page.getByLabel('Current password').fill('one more guess');
  await page.getByLabel('New password', { exact: true }).fill(NEW + '2');
  await page.getByLabel('Confirm new password').fill(NEW + '2');
  await pwForm(page).getByRole('button', { name: 'Change password' }).click();
  await pwForm(page).getByRole('alert').getByText('Too many wrong attempts. Wait a few minutes and try again.').waitFor();
  assert.ok(await page.locator('#pw-current-e').isHidden(), 'not a field error');

  // the same form in Arabic on a wide screen, a field error showing
  await page.evaluate(() => localStorage.setItem('pinhole.lang', 'ar'));
  await page.setViewportSize({ width: SIZES[1].width, height: SIZES[1].height });
  await page.reload();
  await settle(page);
  assert.equal(await page.evaluate(() => document.documentElement.dir), 'rtl');
  await page.locator('#pw-current').fill('x');
  await page.locator('#pw-new').fill('short');
  await page.locator('#pw-confirm').fill('short');
  await pwForm(page).locator('button[type=submit]').click();
  await page.locator('#pw-new-e').getByText('قصيرة جدًا').waitFor();
  await showForm(page);
  await page.screenshot({ path: join(SHOTS, 'settings-password-1280-ar.png') });
  await page.evaluate(() => localStorage.removeItem('pinhole.lang'));
  await page.setViewportSize({ width: SIZES[0].width, height: SIZES[0].height });
  await page.reload();
  await settle(page);
});

test('signing out everywhere asks first, then revokes every token and shows the welcome', async () => {
  const { page } = dana;
  const tokA = await tokenOf(dana);
  const out = page.getByRole('button', { name: 'Sign out everywhere' });
  await out.click();
  let dlg = page.getByRole('dialog', { name: 'Sign out everywhere?' });
  await dlg.getByText('Signs you out on every device and app, this one included.').waitFor();
  await dlg.getByRole('button', { name: 'Cancel' }).click();
  await dlg.waitFor({ state: 'detached' });
  assert.equal(await verify(tokA), 200, 'cancel keeps everyone signed in');

  await out.click();
  dlg = page.getByRole('dialog', { name: 'Sign out everywhere?' });
  await dlg.getByRole('button', { name: 'Sign out everywhere' }).click();
  await page.waitForURL((u) => u.pathname === '/');
  await page.getByRole('button', { name: 'Create account' }).first().waitFor();
  await page.getByRole('button', { name: 'Sign in' }).first().waitFor();
  assert.equal(await tokenOf(dana), null, 'the token is forgotten here');
  assert.equal(await verify(tokA), 401, 'this device’s old token is revoked');
  assert.equal(await verify(second.tokB2), 401, 'and the other device’s');
});

test('no console errors and no requests to other origins', () => {
  assert.deepEqual(
    people.flatMap((p) => p.problems),
    [],
  );
});
