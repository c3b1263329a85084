// A Mastodon client that runs in the browser on a site of its own (as
// Elk or Phanpy do) uses pinhole's API across origins: Chromium sends a
// preflight for a request with a bearer token and refuses the answer unless
// the server allows it. The client's page here is served by a second server
// on another port, so another origin.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { launch, startServer } from './lib.mjs';

let server, browser, site, siteUrl, token;

before(async () => {
  server = await startServer();
  browser = await launch();
  site = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>a client</title><p>client</p>');
  });
  await new Promise((r) => site.listen(0, '127.0.0.1', r));
  siteUrl = `http://localhost:${site.address().port}`; // localhost: not pinhole's origin
  const form = (o) => new URLSearchParams(o);
  const app = await (await fetch(server.url + '/api/v1/apps', { method: 'POST', body: form({ client_name: 'web client', redirect_uris: 'urn:ietf:wg:oauth:2.0:oob', scopes: 'read write' }) })).json();
  const appTok = await (await fetch(server.url + '/oauth/token', { method: 'POST', body: form({ grant_type: 'client_credentials', client_id: app.client_id, client_secret: app.client_secret, scope: 'read write' }) })).json();
  const reg = await fetch(server.url + '/api/v1/accounts', {
    method: 'POST',
    headers: { authorization: `Bearer ${appTok.access_token}` },
    body: form({ username: 'crossing', email: 'crossing@example.org', password: 'correct horse battery', agreement: 'true', locale: 'en' }),
  });
  assert.equal(reg.status, 200, await reg.clone().text());
  token = (await reg.json()).access_token;
});

after(async () => {
  await browser?.close();
  await new Promise((r) => (site ? site.close(r) : r()));
  const r = await server?.stop();
  assert.equal(r?.code, 0, 'the server stops cleanly on SIGTERM');
});

test('a page on another origin reads and writes through the API with a bearer token', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(siteUrl + '/');
  const out = await page.evaluate(
    async ({ api, token }) => {
      const auth = { authorization: `Bearer ${token}` };
      const me = await fetch(api + '/api/v1/accounts/verify_credentials', { headers: auth });
      const edit = await fetch(api + '/api/v1/accounts/update_credentials', {
        method: 'PATCH',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ display_name: 'From afar' }),
      });
      const bad = await fetch(api + '/api/v1/accounts/verify_credentials', { headers: { authorization: 'Bearer forged' } });
      return {
        origin: location.origin,
        me: { status: me.status, body: await me.json() },
        edit: { status: edit.status, body: await edit.json() },
        bad: { status: bad.status, body: await bad.json() },
      };
    },
    { api: server.url, token },
  );
  assert.notEqual(out.origin, new URL(server.url).origin);
  assert.equal(out.me.status, 200);
  assert.equal(out.me.body.username, 'crossing');
  assert.equal(out.edit.status, 200);
  assert.equal(out.edit.body.display_name, 'From afar');
  assert.equal(out.bad.status, 401, 'an error answer is readable too');
  assert.equal(out.bad.body.error, 'The access token is invalid');
  // Chromium asked first (the preflights are in the server's access log).
  assert.match(server.stderr(), /OPTIONS \/api\/v1\/accounts\/verify_credentials 204/);
  assert.match(server.stderr(), /OPTIONS \/api\/v1\/accounts\/update_credentials 204/);
  await context.close();
});

test('the sign-in form does not take a cross-origin post (no CORS on pages)', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(siteUrl + '/');
  const err = await page.evaluate(async (api) => {
    try {
      await fetch(api + '/oauth/authorize', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      return 'read';
    } catch (e) {
      return String(e);
    }
  }, server.url);
  assert.match(err, /Failed to fetch/);
  await context.close();
});
