// POST /api/v1/accounts with Mastodon semantics: an app token with
// write:accounts, validation errors as 422 + details, closed and
// approval-required registrations.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  appToken,
  createApp,
  get,
  passwordGrant,
  patch,
  post,
  registerUser,
  show,
  startServer,
  uniqueName,
} from './lib/server.mjs';

function regForm(over = {}) {
  const username = uniqueName('r');
  return { username, email: `${username}@example.com`, password: 'correct horse battery', agreement: 'true', locale: 'en', ...over };
}

describe('registration on an open server', () => {
  let srv, app, tok;
  before(async () => {
    srv = await startServer();
    app = await createApp(srv, { scopes: 'read write' });
    tok = await appToken(srv, app, 'read write');
  });
  after(async () => {
    await srv?.stop();
  });

  const register = (form, token = tok) => post(srv, '/api/v1/accounts', { token, form });

  test('an app token registers an account and gets a working user token', async () => {
    const f = regForm();
    const r = await register(f);
    assert.equal(r.status, 200, show(r));
    assert.equal(typeof r.json.access_token, 'string');
    assert.equal(r.json.token_type, 'Bearer');
    assert.equal(r.json.scope, 'read write');
    assert.equal(typeof r.json.created_at, 'number');
    const me = await get(srv, '/api/v1/accounts/verify_credentials', { token: r.json.access_token });
    assert.equal(me.status, 200, show(me));
    assert.equal(me.json.username, f.username);
    assert.equal(me.json.acct, f.username);
    const signin = await passwordGrant(srv, app, f.username, f.password, 'read');
    assert.equal(signin.status, 200, show(signin));
    const lookup = await get(srv, `/api/v1/accounts/lookup?acct=${f.username}`);
    assert.equal(lookup.status, 200, show(lookup));
    assert.equal(lookup.json.id, me.json.id);
  });

  test('JSON bodies register too, with agreement as a JSON boolean', async () => {
    const f = regForm();
    const r = await post(srv, '/api/v1/accounts', { token: tok, json: { ...f, agreement: true } });
    assert.equal(r.status, 200, show(r));
  });

  test('without a token: 401', async () => {
    const r = await post(srv, '/api/v1/accounts', { form: regForm() });
    assert.equal(r.status, 401, show(r));
    assert.equal(r.json.error, 'The access token is invalid');
  });

  test('with a garbage token: 401', async () => {
    const r = await register(regForm(), 'garbage');
    assert.equal(r.status, 401, show(r));
  });

  test('with an app token without write:accounts: 403', async () => {
    const readOnly = await appToken(srv, app, 'read');
    const f = regForm();
    const r = await register(f, readOnly);
    assert.equal(r.status, 403, show(r));
    assert.equal((await get(srv, `/api/v1/accounts/lookup?acct=${f.username}`)).status, 404, 'nothing created');
  });

  test('a taken username is 422 ERR_TAKEN, case-insensitively', async () => {
    const f = regForm();
    assert.equal((await register(f)).status, 200);
    const r = await register(regForm({ username: f.username.toUpperCase() }));
    assert.equal(r.status, 422, show(r));
    assert.match(r.json.error, /^Validation failed/);
    assert.equal(r.json.details.username[0].error, 'ERR_TAKEN');
    assert.equal(r.json.details.email, undefined);
  });

  test('a taken e-mail is 422 ERR_TAKEN, case-insensitively', async () => {
    const f = regForm();
    assert.equal((await register(f)).status, 200);
    const r = await register(regForm({ email: f.email.toUpperCase() }));
    assert.equal(r.status, 422, show(r));
    assert.equal(r.json.details.email[0].error, 'ERR_TAKEN');
  });

  test('invalid usernames are 422 ERR_INVALID', async () => {
    for (const username of ['has space', 'dash-at-end-', '.leadingdot', 'émile', 'a@b', 'semi;colon', "quo'te", '<b>x</b>']) {
      const r = await register(regForm({ username }));
      assert.equal(r.status, 422, `${username}: ${show(r)}`);
      assert.equal(r.json.details.username[0].error, 'ERR_INVALID', username);
    }
  });

  test('a blank username is ERR_BLANK and a 31-character one ERR_TOO_LONG; 30 is fine', async () => {
    const blank = await register(regForm({ username: '' }));
    assert.equal(blank.status, 422, show(blank));
    assert.equal(blank.json.details.username[0].error, 'ERR_BLANK');
    const long = await register(regForm({ username: 'a'.repeat(31) }));
    assert.equal(long.status, 422, show(long));
    assert.equal(long.json.details.username[0].error, 'ERR_TOO_LONG');
    const ok = await register(regForm({ username: uniqueName('x').padEnd(30, 'z').slice(0, 30) }));
    assert.equal(ok.status, 200, show(ok));
  });

  test('reserved usernames are refused whatever their case', async () => {
    for (const username of ['admin', 'Admin', 'ROOT', 'well-known']) {
      const r = await register(regForm({ username }));
      assert.equal(r.status, 422, `${username}: ${show(r)}`);
      assert.equal(r.json.details.username[0].error, 'ERR_RESERVED', username);
    }
  });

  test('a short password is 422 ERR_TOO_SHORT; 8 characters are enough', async () => {
    const r = await register(regForm({ password: 'short7!' }));
    assert.equal(r.status, 422, show(r));
    assert.equal(r.json.details.password[0].error, 'ERR_TOO_SHORT');
    const ok = await register(regForm({ password: '12345678' }));
    assert.equal(ok.status, 200, show(ok));
  });

  test('a blank password is ERR_BLANK; a 129-character one ERR_TOO_LONG', async () => {
    const blank = await register(regForm({ password: '' }));
    assert.equal(blank.status, 422);
    assert.equal(blank.json.details.password[0].error, 'ERR_BLANK');
    const long = await register(regForm({ password: 'p'.repeat(129) }));
    assert.equal(long.status, 422, show(long));
    assert.equal(long.json.details.password[0].error, 'ERR_TOO_LONG');
  });

  test('the agreement is required: missing or false is 422 ERR_ACCEPTED', async () => {
    for (const agreement of [undefined, 'false', '0']) {
      const f = regForm({ agreement });
      if (agreement === undefined) delete f.agreement;
      const r = await register(f);
      assert.equal(r.status, 422, `${agreement}: ${show(r)}`);
      assert.equal(r.json.details.agreement[0].error, 'ERR_ACCEPTED');
    }
  });

  test('invalid e-mails are 422 ERR_INVALID; a missing one ERR_BLANK', async () => {
    for (const email of ['plainaddress', '@example.com', 'a@', 'a@b', 'a b@example.com', 'a@example.com.', '<a>@example.com']) {
      const r = await register(regForm({ email }));
      assert.equal(r.status, 422, `${email}: ${show(r)}`);
      assert.equal(r.json.details.email[0].error, 'ERR_INVALID', email);
    }
    const blank = await register(regForm({ email: '' }));
    assert.equal(blank.json.details.email[0].error, 'ERR_BLANK');
  });

  test('several errors are reported together, one details entry per field', async () => {
    const r = await register({ username: '', email: 'nope', password: 'x' });
    assert.equal(r.status, 422, show(r));
    assert.deepEqual(Object.keys(r.json.details).sort(), ['agreement', 'email', 'password', 'username']);
    for (const list of Object.values(r.json.details)) {
      assert.equal(typeof list[0].error, 'string');
      assert.equal(typeof list[0].description, 'string');
    }
  });

  test('a failed registration leaves no account behind', async () => {
    const f = regForm({ password: 'short' });
    assert.equal((await register(f)).status, 422);
    assert.equal((await get(srv, `/api/v1/accounts/lookup?acct=${f.username}`)).status, 404);
    assert.equal((await register({ ...f, password: 'long enough now' })).status, 200);
  });

  test('concurrent registrations of one name: exactly one wins', async () => {
    const username = uniqueName('race');
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => register(regForm({ username, email: `${username}${i}@example.com` }))),
    );
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 422, 422, 422, 422, 422], results.map(show).join('\n'));
  });
});

describe('registration when registrations are closed', () => {
  let srv;
  before(async () => {
    srv = await startServer({ set: { registrations: 'closed' } });
  });
  after(async () => {
    await srv?.stop();
  });

  test('POST /api/v1/accounts is 403 and creates nothing', async () => {
    const app = await createApp(srv);
    const tok = await appToken(srv, app, 'read write');
    const f = regForm();
    const r = await post(srv, '/api/v1/accounts', { token: tok, form: f });
    assert.equal(r.status, 403, show(r));
    assert.equal(typeof r.json.error, 'string');
    assert.equal((await get(srv, `/api/v1/accounts/lookup?acct=${f.username}`)).status, 404);
  });

  test('the admin CLI still creates users', async () => {
    const name = uniqueName('adm');
    const r = await srv.admin('create-user', name, '--email', `${name}@example.com`, '--password', 'admin password 1');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await get(srv, `/api/v1/accounts/lookup?acct=${name}`)).status, 200);
    const app = await createApp(srv);
    const t = await passwordGrant(srv, app, name, 'admin password 1', 'read');
    assert.equal(t.status, 200, show(t));
  });

  test('`admin token NAME... --scope` prints a working token per account, with that scope only', async () => {
    const names = [uniqueName('tka'), uniqueName('tkb')];
    for (const n of names) assert.equal((await srv.admin('create-user', n, '--email', `${n}@example.com`)).code, 0);
    const r = await srv.admin('token', ...names, '--scope', 'read');
    assert.equal(r.code, 0, r.stderr);
    const tokens = r.stdout.trim().split('\n');
    assert.equal(tokens.length, 2);
    for (const [i, token] of tokens.entries()) {
      const me = await get(srv, '/api/v1/accounts/verify_credentials', { token });
      assert.equal(me.status, 200, show(me));
      assert.equal(me.json.username, names[i]);
      const w = await patch(srv, '/api/v1/accounts/update_credentials', { token, form: { display_name: 'x' } });
      assert.equal(w.status, 403, `a read token cannot write: ${show(w)}`);
    }
    const missing = await srv.admin('token', 'no_such_account_here');
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no account named no_such_account_here/);
    const bad = await srv.admin('token', names[0], '--scope', 'everything');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /invalid --scope/);
  });
});

describe('registration with approval required', () => {
  let srv, app;
  before(async () => {
    srv = await startServer({ set: { registrations: 'approval' } });
    app = await createApp(srv, { scopes: 'read write' });
  });
  after(async () => {
    await srv?.stop();
  });

  test('the token of a pending account answers 403 "pending approval" until `admin approve`', async () => {
    const u = await registerUser(srv, { app, scope: 'read write' });
    const r = await patch(srv, '/api/v1/accounts/update_credentials', { token: u.token, form: { display_name: 'Pending' } });
    assert.equal(r.status, 403, show(r));
    assert.equal(r.json.error, 'Your login is currently pending approval');
    const a = await srv.admin('approve', u.username.toUpperCase());
    assert.equal(a.code, 0, a.stderr);
    const r2 = await patch(srv, '/api/v1/accounts/update_credentials', { token: u.token, form: { display_name: 'Approved' } });
    assert.equal(r2.status, 200, show(r2));
    assert.equal(r2.json.display_name, 'Approved');
  });

  test('a pending account that signs in with a password gets the same 403 on write routes', async () => {
    const u = await registerUser(srv, { app, scope: 'read write' });
    const t = await passwordGrant(srv, app, u.username, u.password, 'read write');
    if (t.status === 200) {
      const r = await patch(srv, '/api/v1/accounts/update_credentials', { token: t.json.access_token, form: { note: 'x' } });
      assert.equal(r.status, 403, show(r));
      assert.equal(r.json.error, 'Your login is currently pending approval');
    } else {
      assert.ok(t.status === 400 || t.status === 403, show(t));
    }
  });

  test('approving an unknown name fails', async () => {
    const a = await srv.admin('approve', 'nobody_here_at_all');
    assert.notEqual(a.code, 0);
  });

  test('a reason over 500 characters is 422', async () => {
    const tok = await appToken(srv, app, 'read write');
    const r = await post(srv, '/api/v1/accounts', { token: tok, form: regForm({ reason: 'r'.repeat(501) }) });
    assert.equal(r.status, 422, show(r));
    assert.equal(r.json.details.reason[0].error, 'ERR_TOO_LONG');
  });
});
