// The HTML sign-up form: GET shows it, POST creates the account or
// re-renders with 422 and the errors; strict CSP and no inline script.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createApp, get, htmlDecode, parseForm, passwordGrant, post, show, startServer, uniqueName } from './lib/server.mjs';

function assertSafePage(r) {
  assert.match(r.headers['content-type'], /^text\/html; charset=utf-8/);
  const csp = r.headers['content-security-policy'];
  assert.ok(csp, 'Content-Security-Policy header present');
  assert.ok(!csp.includes('unsafe-inline'), csp);
  assert.ok(!csp.includes('unsafe-eval'), csp);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(r.headers['x-frame-options'], 'DENY');
  assert.equal(r.headers['x-content-type-options'], 'nosniff');
  assert.ok(!/<script\b/i.test(r.text), 'no script element');
  assert.ok(!/\son[a-z]+\s*=/i.test(r.text), 'no inline event handler attribute');
  assert.ok(!/javascript:/i.test(r.text), 'no javascript: URL');
}

const form = (over = {}) => {
  const username = uniqueName('w');
  return { username, email: `${username}@example.com`, password: 'a good password', agreement: 'true', ...over };
};

describe('sign-up form on an open server', () => {
  let srv, app;
  before(async () => {
    srv = await startServer();
    app = await createApp(srv);
  });
  after(async () => {
    await srv?.stop();
  });

  test('GET /auth/sign_up shows the form with a strict CSP and no inline script', async () => {
    const r = await get(srv, '/auth/sign_up');
    assert.equal(r.status, 200, show(r));
    assertSafePage(r);
    assert.match(r.text, /<form method="post" action="\/auth\/sign_up">/);
    for (const name of ['username', 'email', 'password', 'agreement']) assert.match(r.text, new RegExp(`name="${name}"`));
  });

  test('POST creates the account: welcome page, lookup finds it, and it can sign in', async () => {
    const f = form();
    const r = await post(srv, '/auth/sign_up', { form: f });
    assert.equal(r.status, 200, show(r));
    assertSafePage(r);
    assert.ok(r.text.includes(`@${f.username}`), 'welcome names the account');
    const l = await get(srv, `/api/v1/accounts/lookup?acct=${f.username}`);
    assert.equal(l.status, 200, show(l));
    const t = await passwordGrant(srv, app, f.username, f.password, 'read');
    assert.equal(t.status, 200, show(t));
  });

  test('errors re-render the form with 422, the errors, the entered values, and no password', async () => {
    const f = form({ password: 'short', agreement: undefined });
    delete f.agreement;
    const r = await post(srv, '/auth/sign_up', { form: f });
    assert.equal(r.status, 422, show(r));
    assertSafePage(r);
    assert.match(r.text, /<form method="post" action="\/auth\/sign_up">/);
    assert.match(r.text, /class="errors"/);
    assert.match(r.text, /password is too short/i);
    assert.match(r.text, /agreement must be accepted/i);
    assert.ok(r.text.includes(`value="${f.username}"`), 'username kept');
    assert.ok(r.text.includes(`value="${f.email}"`), 'email kept');
    assert.ok(!r.text.includes('value="short"'), 'password not echoed');
    assert.equal((await get(srv, `/api/v1/accounts/lookup?acct=${f.username}`)).status, 404, 'nothing created');
  });

  test('a username taken in another case re-renders with 422 "already taken"', async () => {
    const taken = form();
    assert.equal((await post(srv, '/auth/sign_up', { form: taken })).status, 200);
    const r = await post(srv, '/auth/sign_up', { form: form({ username: taken.username.toUpperCase() }) });
    assert.equal(r.status, 422, show(r));
    assertSafePage(r);
    assert.match(r.text, /username is already taken/i);
  });

  test('HTML in the entered values is escaped when the form re-renders', async () => {
    const evil = '"><script>alert(1)</script>';
    const r = await post(srv, '/auth/sign_up', { form: form({ username: evil, email: `${evil}@x.example` }) });
    assert.equal(r.status, 422, show(r));
    assertSafePage(r);
    assert.ok(r.text.includes('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"'), 'escaped value attribute');
  });

  test('return_to an authorize URL redirects there (303) after sign-up; another URL does not', async () => {
    const rt = `/oauth/authorize?response_type=code&client_id=${app.client_id}&redirect_uri=urn%3Aietf%3Awg%3Aoauth%3A2.0%3Aoob&scope=read`;
    const r = await post(srv, '/auth/sign_up', { form: form({ return_to: rt }) });
    assert.equal(r.status, 303, show(r));
    assert.equal(r.headers.location, rt);
    for (const evil of ['https://evil.example/', '//evil.example/oauth/authorize?', '/oauth/authorizeX?']) {
      const e = await post(srv, '/auth/sign_up', { form: form({ return_to: evil }) });
      assert.equal(e.status, 200, `${evil}: ${show(e)}`);
      assert.equal(e.headers.location, undefined);
    }
  });

  test('CR/LF in return_to cannot inject response headers', async () => {
    const rt = `/oauth/authorize?client_id=${app.client_id}\r\nSet-Cookie: injected=1\r\nX-Injected: 1`;
    const r = await post(srv, '/auth/sign_up', { form: form({ return_to: rt }) });
    assert.ok(r.status < 500, show(r));
    assert.equal(r.headers['set-cookie'], undefined);
    assert.equal(r.headers['x-injected'], undefined);
    if (r.headers.location) assert.ok(!/[\r\n]/.test(r.headers.location));
  });

  test('the authorize page links to sign-up with a return_to that the form carries', async () => {
    const q = new URLSearchParams({ response_type: 'code', client_id: app.client_id, redirect_uri: 'urn:ietf:wg:oauth:2.0:oob', scope: 'read', state: 'z' });
    const page = await get(srv, `/oauth/authorize?${q}`);
    const href = (page.text.match(/href="(\/auth\/sign_up\?return_to=[^"]+)"/) || [])[1];
    assert.ok(href, 'sign-up link present');
    const s = await get(srv, htmlDecode(href));
    assert.equal(s.status, 200, show(s));
    const f = parseForm(s.text);
    assert.ok(f.fields.return_to.startsWith('/oauth/authorize?'), JSON.stringify(f.fields));
    assert.ok(f.fields.return_to.includes(app.client_id));
  });

  test('a JSON body to the HTML form works like the form', async () => {
    const f = form();
    const r = await post(srv, '/auth/sign_up', { json: { ...f, agreement: true } });
    assert.equal(r.status, 200, show(r));
  });

  test('a text/plain body is refused with 415 (as an HTML page)', async () => {
    const r = await post(srv, '/auth/sign_up', { body: 'username=x', headers: { 'content-type': 'text/plain' } });
    assert.equal(r.status, 415, show(r));
    assertSafePage(r);
  });
});

describe('sign-up form on a closed server', () => {
  let srv;
  before(async () => {
    srv = await startServer({ set: { registrations: 'closed' } });
  });
  after(async () => {
    await srv?.stop();
  });

  test('GET says registrations are closed and shows no form', async () => {
    const r = await get(srv, '/auth/sign_up');
    assert.equal(r.status, 200, show(r));
    assertSafePage(r);
    assert.match(r.text, /closed/i);
    assert.ok(!r.text.includes('name="password"'));
  });

  test('POST is 403 and creates nothing', async () => {
    const f = form();
    const r = await post(srv, '/auth/sign_up', { form: f });
    assert.equal(r.status, 403, show(r));
    assertSafePage(r);
    assert.equal((await get(srv, `/api/v1/accounts/lookup?acct=${f.username}`)).status, 404);
  });
});
