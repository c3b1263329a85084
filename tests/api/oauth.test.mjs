// Apps and OAuth 2: POST /api/v1/apps, the authorize page, every grant of
// /oauth/token, PKCE, revocation, Basic client auth, and scope enforcement.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  OOB,
  appToken,
  browserAuthorize,
  codeFlowToken,
  createApp,
  get,
  htmlDecode,
  passwordGrant,
  patch,
  pkcePair,
  post,
  registerUser,
  show,
  startServer,
  tokenRequest,
} from './lib/server.mjs';

const REDIRECT = 'https://client.example/callback';

let srv;
let app; // read write follow push, redirect REDIRECT and OOB
let user;

before(async () => {
  srv = await startServer();
  app = await createApp(srv, { name: 'OAuth test', redirectUris: `${REDIRECT}\n${OOB}`, scopes: 'read write follow push profile' });
  user = await registerUser(srv, { app });
});
after(async () => {
  await srv?.stop();
});

const authParams = (extra = {}) => ({
  response_type: 'code',
  client_id: app.client_id,
  redirect_uri: REDIRECT,
  scope: 'read write',
  state: 'st-123',
  ...extra,
});

async function exchange(params) {
  return tokenRequest(srv, {
    grant_type: 'authorization_code',
    client_id: app.client_id,
    client_secret: app.client_secret,
    redirect_uri: REDIRECT,
    ...params,
  });
}

async function meWith(token) {
  return get(srv, '/api/v1/accounts/verify_credentials', { token });
}

describe('POST /api/v1/apps', () => {
  test('registers an app from a form and returns the Mastodon Application with credentials', async () => {
    const r = await post(srv, '/api/v1/apps', {
      form: { client_name: 'My <App>', redirect_uris: REDIRECT, scopes: 'read write', website: 'https://app.example' },
    });
    assert.equal(r.status, 200, show(r));
    const a = r.json;
    assert.match(a.id, /^\d+$/);
    assert.equal(a.name, 'My <App>');
    assert.equal(a.website, 'https://app.example');
    assert.equal(a.redirect_uri, REDIRECT);
    assert.deepEqual(a.redirect_uris, [REDIRECT]);
    assert.deepEqual(a.scopes, ['read', 'write']);
    assert.equal(typeof a.client_id, 'string');
    assert.ok(a.client_id.length >= 32);
    assert.equal(typeof a.client_secret, 'string');
    assert.ok(a.client_secret.length >= 32);
    assert.notEqual(a.client_id, a.client_secret);
  });

  test('registers an app from JSON with an array of redirect_uris', async () => {
    const r = await post(srv, '/api/v1/apps', {
      json: { client_name: 'json app', redirect_uris: [REDIRECT, OOB], scopes: 'read' },
    });
    assert.equal(r.status, 200, show(r));
    assert.deepEqual(r.json.redirect_uris, [REDIRECT, OOB]);
    assert.equal(r.json.redirect_uri, `${REDIRECT}\n${OOB}`);
  });

  test('scopes default to read when omitted', async () => {
    const r = await post(srv, '/api/v1/apps', { form: { client_name: 'noscope', redirect_uris: OOB } });
    assert.equal(r.status, 200, show(r));
    assert.deepEqual(r.json.scopes, ['read']);
  });

  test('missing client_name is 422 with details', async () => {
    const r = await post(srv, '/api/v1/apps', { form: { redirect_uris: OOB } });
    assert.equal(r.status, 422, show(r));
    assert.equal(typeof r.json.error, 'string');
    assert.equal(r.json.details.client_name[0].error, 'ERR_BLANK');
  });

  test('an invalid redirect URI is 422', async () => {
    for (const uri of ['not a uri', 'https://', '/relative/path', 'https://x.example/cb#frag']) {
      const r = await post(srv, '/api/v1/apps', { form: { client_name: 'x', redirect_uris: uri } });
      assert.equal(r.status, 422, `${uri}: ${show(r)}`);
      assert.equal(r.json.details.redirect_uris[0].error, 'ERR_INVALID');
    }
  });

  test('missing redirect_uris is 422', async () => {
    const r = await post(srv, '/api/v1/apps', { form: { client_name: 'x' } });
    assert.equal(r.status, 422, show(r));
    assert.ok(r.json.details.redirect_uris);
  });

  test('an unknown scope is 422', async () => {
    const r = await post(srv, '/api/v1/apps', { form: { client_name: 'x', redirect_uris: OOB, scopes: 'read destroy:everything' } });
    assert.equal(r.status, 422, show(r));
    assert.equal(r.json.details.scopes[0].error, 'ERR_INVALID');
  });

  test('GET /api/v1/apps/verify_credentials with an app token shows the app without secrets', async () => {
    const tok = await appToken(srv, app, 'read');
    const r = await get(srv, '/api/v1/apps/verify_credentials', { token: tok });
    assert.equal(r.status, 200, show(r));
    assert.equal(r.json.name, 'OAuth test');
    assert.equal(r.json.client_secret, undefined);
    const none = await get(srv, '/api/v1/apps/verify_credentials');
    assert.equal(none.status, 401, show(none));
    assert.equal(none.json.error, 'The access token is invalid');
  });

  test('GET /.well-known/oauth-authorization-server describes the endpoints', async () => {
    const r = await get(srv, '/.well-known/oauth-authorization-server');
    assert.equal(r.status, 200, show(r));
    const m = r.json;
    assert.equal(m.issuer, `${srv.url}/`);
    assert.equal(m.authorization_endpoint, `${srv.url}/oauth/authorize`);
    assert.equal(m.token_endpoint, `${srv.url}/oauth/token`);
    assert.equal(m.revocation_endpoint, `${srv.url}/oauth/revoke`);
    assert.equal(m.app_registration_endpoint, `${srv.url}/api/v1/apps`);
    assert.deepEqual(m.code_challenge_methods_supported, ['S256']);
    assert.deepEqual(m.response_types_supported, ['code']);
    for (const g of ['authorization_code', 'password', 'client_credentials']) assert.ok(m.grant_types_supported.includes(g));
    for (const s of ['read', 'write', 'profile', 'write:accounts']) assert.ok(m.scopes_supported.includes(s));
  });
});

describe('client_credentials grant', () => {
  test('body credentials give an app token', async () => {
    const r = await tokenRequest(srv, { grant_type: 'client_credentials', client_id: app.client_id, client_secret: app.client_secret, scope: 'read' });
    assert.equal(r.status, 200, show(r));
    assert.equal(r.json.token_type, 'Bearer');
    assert.equal(r.json.scope, 'read');
    assert.equal(typeof r.json.access_token, 'string');
    assert.equal(typeof r.json.created_at, 'number');
    assert.ok(Math.abs(r.json.created_at - Date.now() / 1000) < 600, 'created_at is in seconds');
    assert.equal(r.headers['cache-control'], 'no-store');
  });

  test('HTTP Basic client authentication works', async () => {
    const basic = Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64');
    const r = await post(srv, '/oauth/token', {
      form: { grant_type: 'client_credentials', scope: 'read' },
      headers: { authorization: `Basic ${basic}` },
    });
    assert.equal(r.status, 200, show(r));
    assert.equal(r.json.scope, 'read');
  });

  test('wrong Basic credentials are 401 invalid_client', async () => {
    const basic = Buffer.from(`${app.client_id}:nope`).toString('base64');
    const r = await post(srv, '/oauth/token', {
      form: { grant_type: 'client_credentials', scope: 'read' },
      headers: { authorization: `Basic ${basic}` },
    });
    assert.equal(r.status, 401, show(r));
    assert.equal(r.json.error, 'invalid_client');
  });

  test('a wrong secret, an unknown client and a missing secret are 401 invalid_client', async () => {
    for (const p of [
      { client_id: app.client_id, client_secret: 'wrong' },
      { client_id: 'nope', client_secret: app.client_secret },
      { client_id: app.client_id },
      {},
    ]) {
      const r = await tokenRequest(srv, { grant_type: 'client_credentials', scope: 'read', ...p });
      assert.equal(r.status, 401, `${JSON.stringify(p)}: ${show(r)}`);
      assert.equal(r.json.error, 'invalid_client');
    }
  });

  test('a scope beyond the app is 400 invalid_scope', async () => {
    const r = await tokenRequest(srv, { grant_type: 'client_credentials', client_id: app.client_id, client_secret: app.client_secret, scope: 'admin:write' });
    assert.equal(r.status, 400, show(r));
    assert.equal(r.json.error, 'invalid_scope');
  });

  test('an unknown grant type is 400 unsupported_grant_type; none is 400 invalid_request', async () => {
    const r = await tokenRequest(srv, { grant_type: 'implicit', client_id: app.client_id, client_secret: app.client_secret });
    assert.equal(r.status, 400, show(r));
    assert.equal(r.json.error, 'unsupported_grant_type');
    const r2 = await tokenRequest(srv, { client_id: app.client_id, client_secret: app.client_secret });
    assert.equal(r2.status, 400, show(r2));
    assert.equal(r2.json.error, 'invalid_request');
  });

  test('an app token is not a user: verify_credentials refuses it', async () => {
    const tok = await appToken(srv, app, 'read');
    const r = await meWith(tok);
    assert.ok(r.status === 403 || r.status === 422, show(r));
    assert.equal(r.json.error, 'This method requires an authenticated user');
  });
});

describe('password grant', () => {
  test('right credentials give a user token that works', async () => {
    const r = await passwordGrant(srv, app, user.username, user.password, 'read write');
    assert.equal(r.status, 200, show(r));
    assert.equal(r.json.scope, 'read write');
    const me = await meWith(r.json.access_token);
    assert.equal(me.status, 200, show(me));
    assert.equal(me.json.username, user.username);
  });

  test('the e-mail address and a differently-cased username sign in too', async () => {
    const r = await passwordGrant(srv, app, user.email.toUpperCase(), user.password, 'read');
    assert.equal(r.status, 200, show(r));
    const r2 = await passwordGrant(srv, app, user.username.toUpperCase(), user.password, 'read');
    assert.equal(r2.status, 200, show(r2));
  });

  test('a wrong password is 400 invalid_grant', async () => {
    const r = await passwordGrant(srv, app, user.username, 'not the password', 'read');
    assert.equal(r.status, 400, show(r));
    assert.equal(r.json.error, 'invalid_grant');
    assert.equal(r.json.access_token, undefined);
  });

  test('a wrong client secret with a right password is 401 invalid_client', async () => {
    const r = await passwordGrant(srv, { ...app, client_secret: 'x' }, user.username, user.password, 'read');
    assert.equal(r.status, 401, show(r));
    assert.equal(r.json.error, 'invalid_client');
  });

  test('a scope beyond the app is 400 invalid_scope', async () => {
    const narrow = await createApp(srv, { scopes: 'read' });
    const r = await passwordGrant(srv, narrow, user.username, user.password, 'read write');
    assert.equal(r.status, 400, show(r));
    assert.equal(r.json.error, 'invalid_scope');
  });
});

describe('authorization code grant', () => {
  test('the authorize page is an HTML form with the request carried in hidden fields', async () => {
    const q = new URLSearchParams(authParams()).toString();
    const r = await get(srv, `/oauth/authorize?${q}`);
    assert.equal(r.status, 200, show(r));
    assert.match(r.headers['content-type'], /^text\/html/);
    assert.match(r.text, /<form method="post" action="\/oauth\/authorize">/);
    assert.match(r.text, /name="client_id" value="[^"]+"/);
    assert.match(r.text, /name="state" value="st-123"/);
    assert.match(r.text, /OAuth test/);
  });

  test('allow redirects with code and state; the code gives a token for that user', async () => {
    const state = 'a b&c=d/é?';
    const a = await browserAuthorize(srv, authParams({ state }), { username: user.username, password: user.password });
    assert.equal(a.status, 302, show(a));
    assert.ok(a.location.startsWith(`${REDIRECT}?`), a.location);
    assert.equal(a.state, state);
    assert.ok(a.code);
    const t = await exchange({ code: a.code });
    assert.equal(t.status, 200, show(t));
    assert.equal(t.json.token_type, 'Bearer');
    assert.equal(t.json.scope, 'read write');
    const me = await meWith(t.json.access_token);
    assert.equal(me.status, 200, show(me));
    assert.equal(me.json.username, user.username);
  });

  test('PKCE S256: the right verifier gives a token', async () => {
    const { verifier, challenge } = pkcePair();
    const a = await browserAuthorize(srv, authParams({ code_challenge: challenge, code_challenge_method: 'S256' }), {
      username: user.username,
      password: user.password,
    });
    assert.equal(a.status, 302, show(a));
    const t = await exchange({ code: a.code, code_verifier: verifier });
    assert.equal(t.status, 200, show(t));
    assert.equal((await meWith(t.json.access_token)).status, 200);
  });

  test('PKCE S256 from a public client (no secret) works with the right verifier', async () => {
    const { verifier, challenge } = pkcePair();
    const a = await browserAuthorize(srv, authParams({ code_challenge: challenge, code_challenge_method: 'S256' }), {
      username: user.username,
      password: user.password,
    });
    const t = await tokenRequest(srv, {
      grant_type: 'authorization_code',
      client_id: app.client_id,
      redirect_uri: REDIRECT,
      code: a.code,
      code_verifier: verifier,
    });
    assert.equal(t.status, 200, show(t));
  });

  test('PKCE: a wrong verifier is 400 invalid_grant, and the code is spent', async () => {
    const { verifier, challenge } = pkcePair();
    const a = await browserAuthorize(srv, authParams({ code_challenge: challenge, code_challenge_method: 'S256' }), {
      username: user.username,
      password: user.password,
    });
    const bad = await exchange({ code: a.code, code_verifier: pkcePair().verifier });
    assert.equal(bad.status, 400, show(bad));
    assert.equal(bad.json.error, 'invalid_grant');
    const again = await exchange({ code: a.code, code_verifier: verifier });
    assert.equal(again.status, 400, `a failed exchange must burn the code: ${show(again)}`);
  });

  test('PKCE: a missing verifier is refused', async () => {
    const { challenge } = pkcePair();
    const a = await browserAuthorize(srv, authParams({ code_challenge: challenge, code_challenge_method: 'S256' }), {
      username: user.username,
      password: user.password,
    });
    const t = await exchange({ code: a.code });
    assert.equal(t.status, 400, show(t));
    assert.ok(['invalid_grant', 'invalid_request'].includes(t.json.error), show(t));
  });

  test('PKCE: the plain method is refused with error=invalid_request', async () => {
    const a = await browserAuthorize(srv, authParams({ code_challenge: 'x'.repeat(50), code_challenge_method: 'plain' }), {}, );
    assert.equal(a.status, 302, show(a));
    assert.equal(a.error, 'invalid_request');
    assert.equal(a.state, 'st-123');
    assert.equal(a.code, null);
  });

  test('a code without PKCE cannot be redeemed without the client secret by adding a code_verifier', async () => {
    const a = await browserAuthorize(srv, authParams(), { username: user.username, password: user.password });
    assert.equal(a.status, 302, show(a));
    const t = await tokenRequest(srv, {
      grant_type: 'authorization_code',
      client_id: app.client_id,
      redirect_uri: REDIRECT,
      code: a.code,
      code_verifier: pkcePair().verifier,
    });
    assert.ok(t.status === 400 || t.status === 401, show(t));
    assert.equal(t.json.access_token, undefined, 'no client authentication and no PKCE: no token');
  });

  test('a code is single use: the second exchange is 400 invalid_grant', async () => {
    const a = await browserAuthorize(srv, authParams(), { username: user.username, password: user.password });
    const t1 = await exchange({ code: a.code });
    assert.equal(t1.status, 200, show(t1));
    const t2 = await exchange({ code: a.code });
    assert.equal(t2.status, 400, show(t2));
    assert.equal(t2.json.error, 'invalid_grant');
  });

  test('a different redirect_uri at the token endpoint is 400 invalid_grant', async () => {
    const a = await browserAuthorize(srv, authParams(), { username: user.username, password: user.password });
    const t = await exchange({ code: a.code, redirect_uri: OOB });
    assert.equal(t.status, 400, show(t));
    assert.equal(t.json.error, 'invalid_grant');
  });

  test('a missing redirect_uri at the token endpoint is refused (RFC 6749 4.1.3; Mastodon requires it)', async () => {
    const a = await browserAuthorize(srv, authParams(), { username: user.username, password: user.password });
    const t = await tokenRequest(srv, {
      grant_type: 'authorization_code',
      client_id: app.client_id,
      client_secret: app.client_secret,
      code: a.code,
    });
    assert.equal(t.status, 400, show(t));
    assert.ok(['invalid_grant', 'invalid_request'].includes(t.json.error), show(t));
  });

  test('a code issued to one app cannot be redeemed by another', async () => {
    const other = await createApp(srv, { redirectUris: REDIRECT });
    const a = await browserAuthorize(srv, authParams(), { username: user.username, password: user.password });
    const t = await tokenRequest(srv, {
      grant_type: 'authorization_code',
      client_id: other.client_id,
      client_secret: other.client_secret,
      redirect_uri: REDIRECT,
      code: a.code,
    });
    assert.equal(t.status, 400, show(t));
    assert.equal(t.json.error, 'invalid_grant');
  });

  test('a garbage code is 400 invalid_grant', async () => {
    for (const code of ['nope', 'x'.repeat(300), "' OR 1=1 --"]) {
      const t = await exchange({ code });
      assert.equal(t.status, 400, show(t));
      assert.equal(t.json.error, 'invalid_grant');
    }
  });

  test('the scope param at the token endpoint cannot widen a code', async () => {
    const a = await browserAuthorize(srv, authParams({ scope: 'read' }), { username: user.username, password: user.password });
    const t = await exchange({ code: a.code, scope: 'read write' });
    assert.equal(t.status, 200, show(t));
    assert.equal(t.json.scope, 'read');
    const w = await patch(srv, '/api/v1/accounts/update_credentials', { token: t.json.access_token, form: { note: 'x' } });
    assert.equal(w.status, 403, show(w));
  });

  test('deny redirects with error=access_denied and the state, and no code', async () => {
    const a = await browserAuthorize(srv, authParams(), { decision: 'deny' });
    assert.equal(a.status, 302, show(a));
    assert.equal(a.error, 'access_denied');
    assert.equal(a.state, 'st-123');
    assert.equal(a.code, null);
  });

  test('a scope the app does not have redirects with error=invalid_scope', async () => {
    for (const scope of ['admin:write', 'read bogus']) {
      const q = new URLSearchParams(authParams({ scope })).toString();
      const r = await get(srv, `/oauth/authorize?${q}`);
      assert.equal(r.status, 302, show(r));
      const u = new URL(r.headers.location);
      assert.equal(u.origin + u.pathname, REDIRECT);
      assert.equal(u.searchParams.get('error'), 'invalid_scope');
      assert.equal(u.searchParams.get('state'), 'st-123');
    }
  });

  test('response_type other than code redirects with error=unsupported_response_type', async () => {
    const q = new URLSearchParams(authParams({ response_type: 'token' })).toString();
    const r = await get(srv, `/oauth/authorize?${q}`);
    assert.equal(r.status, 302, show(r));
    assert.equal(new URL(r.headers.location).searchParams.get('error'), 'unsupported_response_type');
  });

  test('an unknown client gets a 400 page and no redirect', async () => {
    const q = new URLSearchParams(authParams({ client_id: 'unknown-client' })).toString();
    const r = await get(srv, `/oauth/authorize?${q}`);
    assert.equal(r.status, 400, show(r));
    assert.match(r.headers['content-type'], /^text\/html/);
    assert.equal(r.headers.location, undefined);
    const p = await browserAuthorize(srv, authParams({ client_id: 'unknown-client' }), { username: user.username, password: user.password, direct: true });
    assert.equal(p.status, 400, show(p));
    assert.equal(p.headers.location, undefined);
  });

  test('an unregistered redirect_uri gets a 400 page and is never redirected to', async () => {
    const q = new URLSearchParams(authParams({ redirect_uri: 'https://evil.example/steal' })).toString();
    const r = await get(srv, `/oauth/authorize?${q}`);
    assert.equal(r.status, 400, show(r));
    assert.equal(r.headers.location, undefined);
    const p = await browserAuthorize(srv, authParams({ redirect_uri: 'https://evil.example/steal' }), {
      username: user.username,
      password: user.password,
      direct: true,
    });
    assert.equal(p.status, 400, show(p));
    assert.equal(p.headers.location, undefined);
  });

  test('a wrong password re-renders the form (401) without a code', async () => {
    const a = await browserAuthorize(srv, authParams(), { username: user.username, password: 'wrong password' });
    assert.equal(a.status, 401, show(a));
    assert.equal(a.location, null);
    assert.match(a.text, /<form method="post" action="\/oauth\/authorize">/);
    assert.ok(!a.text.includes('wrong password'), 'the password is not echoed');
  });

  test('the oob redirect shows the code in the page, and it exchanges with redirect_uri oob', async () => {
    const a = await browserAuthorize(srv, authParams({ redirect_uri: OOB }), { username: user.username, password: user.password });
    assert.equal(a.status, 200, show(a));
    const code = (a.text.match(/<code class="code">([^<]+)<\/code>/) || [])[1];
    assert.ok(code, 'code shown in the page');
    const t = await exchange({ code: htmlDecode(code), redirect_uri: OOB });
    assert.equal(t.status, 200, show(t));
  });

  test('a redirect URI with its own query keeps it, and code and state are added', async () => {
    const withQuery = 'https://client.example/cb?tenant=a%20b&x=1';
    const qApp = await createApp(srv, { redirectUris: withQuery, scopes: 'read' });
    const a = await browserAuthorize(
      srv,
      { response_type: 'code', client_id: qApp.client_id, redirect_uri: withQuery, scope: 'read', state: 'q' },
      { username: user.username, password: user.password },
    );
    assert.equal(a.status, 302, show(a));
    const u = new URL(a.location);
    assert.equal(u.searchParams.get('tenant'), 'a b');
    assert.equal(u.searchParams.get('x'), '1');
    assert.equal(u.searchParams.get('state'), 'q');
    assert.ok(u.searchParams.get('code'));
  });

  test('an app with a single redirect URI may leave redirect_uri out of the authorize request', async () => {
    const single = await createApp(srv, { redirectUris: REDIRECT, scopes: 'read' });
    const t = await codeFlowToken(srv, single, user, { scope: 'read', redirectUri: REDIRECT });
    assert.equal(t.status, 200, show(t));
  });
});

describe('revocation', () => {
  test('a revoked token answers 401 afterwards', async () => {
    const t = await passwordGrant(srv, app, user.username, user.password, 'read');
    const tok = t.json.access_token;
    assert.equal((await meWith(tok)).status, 200);
    const r = await post(srv, '/oauth/revoke', { form: { client_id: app.client_id, client_secret: app.client_secret, token: tok } });
    assert.equal(r.status, 200, show(r));
    assert.deepEqual(r.json, {});
    const after = await meWith(tok);
    assert.equal(after.status, 401, show(after));
    assert.equal(after.json.error, 'The access token is invalid');
  });

  test('revocation with HTTP Basic client auth works and is idempotent', async () => {
    const t = await passwordGrant(srv, app, user.username, user.password, 'read');
    const basic = Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64');
    for (let i = 0; i < 2; i++) {
      const r = await post(srv, '/oauth/revoke', { form: { token: t.json.access_token }, headers: { authorization: `Basic ${basic}` } });
      assert.equal(r.status, 200, show(r));
    }
    assert.equal((await meWith(t.json.access_token)).status, 401);
  });

  test('revocation with a wrong secret is 403 unauthorized_client and the token lives', async () => {
    const t = await passwordGrant(srv, app, user.username, user.password, 'read');
    const r = await post(srv, '/oauth/revoke', { form: { client_id: app.client_id, client_secret: 'nope', token: t.json.access_token } });
    assert.equal(r.status, 403, show(r));
    assert.equal(r.json.error, 'unauthorized_client');
    assert.equal((await meWith(t.json.access_token)).status, 200);
  });

  test("one app cannot revoke another app's token: 403 (Mastodon/Doorkeeper), token still valid", async () => {
    const t = await passwordGrant(srv, app, user.username, user.password, 'read');
    const other = await createApp(srv);
    const r = await post(srv, '/oauth/revoke', { form: { client_id: other.client_id, client_secret: other.client_secret, token: t.json.access_token } });
    assert.equal((await meWith(t.json.access_token)).status, 200, 'the token must survive');
    assert.equal(r.status, 403, show(r));
    assert.equal(r.json.error, 'unauthorized_client');
  });
});

describe('scope enforcement', () => {
  async function tokenWith(scope) {
    const r = await passwordGrant(srv, app, user.username, user.password, scope);
    assert.equal(r.status, 200, show(r));
    return r.json.access_token;
  }

  test('a read token cannot PATCH update_credentials: 403', async () => {
    const tok = await tokenWith('read');
    const r = await patch(srv, '/api/v1/accounts/update_credentials', { token: tok, form: { display_name: 'nope' } });
    assert.equal(r.status, 403, show(r));
    assert.equal(r.json.error, 'This action is outside the authorized scopes');
    const me = await meWith(tok);
    assert.equal(me.json.display_name, '', 'nothing changed');
  });

  test('a write token can PATCH update_credentials', async () => {
    const tok = await tokenWith('write');
    const r = await patch(srv, '/api/v1/accounts/update_credentials', { token: tok, form: { display_name: 'Scoped' } });
    assert.equal(r.status, 200, show(r));
    assert.equal(r.json.display_name, 'Scoped');
  });

  test('a write-only token cannot read verify_credentials: 403', async () => {
    const tok = await tokenWith('write');
    const r = await meWith(tok);
    assert.equal(r.status, 403, show(r));
  });

  test('profile and read:accounts can read verify_credentials but not write', async () => {
    for (const scope of ['profile', 'read:accounts']) {
      const narrow = await createApp(srv, { scopes: scope });
      const r0 = await passwordGrant(srv, narrow, user.username, user.password, scope);
      assert.equal(r0.status, 200, show(r0));
      const tok = r0.json.access_token;
      assert.equal((await meWith(tok)).status, 200, scope);
      const w = await patch(srv, '/api/v1/accounts/update_credentials', { token: tok, form: { note: 'x' } });
      assert.equal(w.status, 403, `${scope}: ${show(w)}`);
    }
  });

  test('follow and push do not grant write:accounts', async () => {
    const tok = await tokenWith('follow push');
    const w = await patch(srv, '/api/v1/accounts/update_credentials', { token: tok, form: { note: 'x' } });
    assert.equal(w.status, 403, show(w));
  });

  test('an app token with write:accounts cannot PATCH a user profile', async () => {
    const tok = await appToken(srv, app, 'write');
    const r = await patch(srv, '/api/v1/accounts/update_credentials', { token: tok, form: { note: 'x' } });
    assert.ok(r.status === 403 || r.status === 422, show(r));
    assert.equal(r.json.error, 'This method requires an authenticated user');
  });

  test('a token from the code flow carries only the authorized scopes', async () => {
    const t = await codeFlowToken(srv, app, user, { scope: 'read', redirectUri: REDIRECT });
    assert.equal(t.status, 200, show(t));
    assert.equal(t.json.scope, 'read');
    const w = await patch(srv, '/api/v1/accounts/update_credentials', { token: t.json.access_token, form: { note: 'x' } });
    assert.equal(w.status, 403, show(w));
  });
});
