// Rate limits on sign-in and sign-up (per client address and per account),
// 429 + Retry-After, and sign-in answers that do not reveal whether an
// account exists. Each test speaks from its own loopback address
// (127.0.0.0/8), since the limits are per address.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { appToken, browserAuthorize, createApp, passwordGrant, post, registerUser, show, sleep, startServer, uniqueName } from './lib/server.mjs';

const WINDOW_S = 600;
const AUTH_LIMIT = 5;
const ACCOUNT_LIMIT = 3;

let srv, app;
const users = {};
let nextIp = 2;
const freshIp = () => `127.0.0.${nextIp++}`;

async function adminUser(name) {
  const password = `pw-${name}-secret`;
  const r = await srv.admin('create-user', name, '--email', `${name}@example.com`, '--password', password);
  if (r.code !== 0) throw new Error(`create-user ${name}: ${r.stderr}`);
  return { username: name, password };
}

function assertRetryAfter(r) {
  const ra = r.headers['retry-after'];
  assert.ok(ra !== undefined, `Retry-After missing: ${show(r)}`);
  assert.match(ra, /^\d+$/);
  assert.ok(Number(ra) >= 1 && Number(ra) <= WINDOW_S, `Retry-After ${ra}`);
}

before(async () => {
  // Fixed windows: do not start a test run right before a window boundary.
  const left = WINDOW_S * 1000 - (Date.now() % (WINDOW_S * 1000));
  if (left < 15000) await sleep(left + 100);
  // A real (if small) Argon2 cost, so that skipping the hash for unknown
  // users would show in the timing comparison.
  srv = await startServer({
    fast: false,
    set: {
      argon2_mem_kib: 16384,
      argon2_ops: 2,
      rate_auth_limit: AUTH_LIMIT,
      rate_account_limit: ACCOUNT_LIMIT,
      rate_auth_window_s: WINDOW_S,
    },
  });
  app = await createApp(srv, { scopes: 'read write' });
  // Registered through the API, each from its own address (sign-up is
  // limited per address too); the admin CLI would cost a process each.
  const names = ['ipuser', 'victim', 'bystander', 'formuser', 't1', 't2', 't3'];
  const made = await Promise.all(names.map((k) => registerUser(srv, { app, scope: 'read write', username: uniqueName(k), localAddress: freshIp() })));
  names.forEach((k, i) => (users[k] = made[i]));
});
after(async () => {
  await srv?.stop();
});

describe('per-address sign-in limit', () => {
  test(`the ${AUTH_LIMIT + 1}th password grant from one address is 429 with Retry-After`, async () => {
    const ip = freshIp();
    const u = users.ipuser;
    for (let i = 0; i < AUTH_LIMIT; i++) {
      const r = await passwordGrant(srv, app, u.username, u.password, 'read', { localAddress: ip });
      assert.equal(r.status, 200, `attempt ${i + 1}: ${show(r)}`);
    }
    const r = await passwordGrant(srv, app, u.username, u.password, 'read', { localAddress: ip });
    assert.equal(r.status, 429, show(r));
    assertRetryAfter(r);
    assert.equal(r.json.error, 'Too many requests');
    assert.equal(r.json.access_token, undefined);
    const other = await passwordGrant(srv, app, u.username, u.password, 'read', { localAddress: freshIp() });
    assert.equal(other.status, 200, `another address is not limited: ${show(other)}`);
  });

  test('X-Forwarded-For does not move a client into another bucket (trust_proxy is off)', async () => {
    const ip = freshIp();
    const u = users.ipuser;
    const statuses = [];
    for (let i = 0; i <= AUTH_LIMIT; i++) {
      const r = await passwordGrant(srv, app, u.username, u.password, 'read', {
        localAddress: ip,
        headers: { 'x-forwarded-for': `203.0.113.${i + 1}`, 'x-real-ip': `198.51.100.${i + 1}` },
      });
      statuses.push(r.status);
    }
    assert.deepEqual(statuses, [...Array(AUTH_LIMIT).fill(200), 429]);
  });

  test('the authorize form shares the limit and answers a 429 page with Retry-After', async () => {
    const ip = freshIp();
    const u = users.formuser;
    const params = { response_type: 'code', client_id: app.client_id, redirect_uri: 'urn:ietf:wg:oauth:2.0:oob', scope: 'read' };
    for (let i = 0; i < AUTH_LIMIT; i++) {
      const r = await browserAuthorize(srv, params, { username: 'nobody_by_that_name', password: 'whatever1', localAddress: ip });
      assert.equal(r.status, 401, `attempt ${i + 1}: ${show(r)}`);
    }
    const r = await browserAuthorize(srv, params, { username: u.username, password: u.password, localAddress: ip });
    assert.equal(r.status, 429, show(r));
    assertRetryAfter(r);
    assert.match(r.headers['content-type'], /^text\/html/);
    assert.ok(!/<code class="code">/.test(r.text), 'no code issued');
  });
});

describe('per-address sign-up limit', () => {
  test(`the ${AUTH_LIMIT + 1}th registration from one address is 429; sign-in from there still works`, async () => {
    const ip = freshIp();
    const tok = await appToken(srv, app, 'read write');
    for (let i = 0; i < AUTH_LIMIT; i++) {
      const name = uniqueName('s');
      const r = await post(srv, '/api/v1/accounts', {
        token: tok,
        localAddress: ip,
        form: { username: name, email: `${name}@example.com`, password: 'signup password', agreement: 'true' },
      });
      assert.equal(r.status, 200, `registration ${i + 1}: ${show(r)}`);
    }
    const name = uniqueName('s');
    const r = await post(srv, '/api/v1/accounts', {
      token: tok,
      localAddress: ip,
      form: { username: name, email: `${name}@example.com`, password: 'signup password', agreement: 'true' },
    });
    assert.equal(r.status, 429, show(r));
    assertRetryAfter(r);
    const html = await post(srv, '/auth/sign_up', {
      localAddress: ip,
      form: { username: name, email: `${name}@example.com`, password: 'signup password', agreement: 'true' },
    });
    assert.equal(html.status, 429, `the HTML form shares the sign-up limit: ${show(html)}`);
    assertRetryAfter(html);
    const signin = await passwordGrant(srv, app, users.ipuser.username, users.ipuser.password, 'read', { localAddress: ip });
    assert.equal(signin.status, 200, `sign-in is limited separately: ${show(signin)}`);
  });
});

describe('per-account failed sign-in limit', () => {
  test(`after ${ACCOUNT_LIMIT} wrong passwords from different addresses the account answers 429, even to the right password`, async () => {
    const v = users.victim;
    for (let i = 0; i < ACCOUNT_LIMIT; i++) {
      const r = await passwordGrant(srv, app, v.username, `wrong-${i}-password`, 'read', { localAddress: freshIp() });
      assert.equal(r.status, 400, `failure ${i + 1}: ${show(r)}`);
      assert.equal(r.json.error, 'invalid_grant');
    }
    const r = await passwordGrant(srv, app, v.username, v.password, 'read', { localAddress: freshIp() });
    assert.equal(r.status, 429, show(r));
    assertRetryAfter(r);
    assert.equal(r.json.access_token, undefined);
    const viaEmail = await passwordGrant(srv, app, `${v.username}@example.com`, v.password, 'read', { localAddress: freshIp() });
    assert.equal(viaEmail.status, 429, `the e-mail login is the same account: ${show(viaEmail)}`);
    const viaForm = await browserAuthorize(
      srv,
      { response_type: 'code', client_id: app.client_id, redirect_uri: 'urn:ietf:wg:oauth:2.0:oob', scope: 'read' },
      { username: v.username, password: v.password, localAddress: freshIp() },
    );
    assert.equal(viaForm.status, 429, `the authorize form too: ${show(viaForm)}`);
    const b = users.bystander;
    const ok = await passwordGrant(srv, app, b.username, b.password, 'read', { localAddress: freshIp() });
    assert.equal(ok.status, 200, `another account is not limited: ${show(ok)}`);
  });
});

describe('sign-in does not reveal whether an account exists', () => {
  test('unknown user and wrong password: same status, same body, similar time', async () => {
    const unknown = [];
    const wrong = [];
    const bodies = new Set();
    const statuses = new Set();
    const time = async (fn) => {
      const t0 = process.hrtime.bigint();
      const r = await fn();
      return { r, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
    };
    // Two wrong passwords per account stay under the account limit.
    for (const k of ['t1', 't2', 't3', 't1', 't2', 't3']) {
      const w = await time(() => passwordGrant(srv, app, users[k].username, 'definitely-wrong', 'read', { localAddress: freshIp() }));
      const n = await time(() => passwordGrant(srv, app, uniqueName('ghost'), 'definitely-wrong', 'read', { localAddress: freshIp() }));
      for (const x of [w, n]) {
        statuses.add(x.r.status);
        bodies.add(x.r.text);
      }
      wrong.push(w.ms);
      unknown.push(n.ms);
    }
    assert.deepEqual([...statuses], [400]);
    assert.equal(bodies.size, 1, `bodies differ: ${[...bodies].join(' | ')}`);
    const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    const mw = median(wrong);
    const mu = median(unknown);
    assert.ok(mu > mw / 4 && mu < mw * 4, `median times differ too much: wrong password ${mw.toFixed(1)} ms, unknown user ${mu.toFixed(1)} ms`);
  });

  test('the authorize form answers unknown user and wrong password alike', async () => {
    const params = { response_type: 'code', client_id: app.client_id, redirect_uri: 'urn:ietf:wg:oauth:2.0:oob', scope: 'read' };
    const login = 'same_login_text';
    // Same login text for both, so the echoed value cannot differ: create it first.
    const u = await adminUser(uniqueName('f'));
    const w = await browserAuthorize(srv, params, { username: u.username, password: 'wrong one!', localAddress: freshIp() });
    const n = await browserAuthorize(srv, params, { username: login, password: 'wrong one!', localAddress: freshIp() });
    assert.equal(w.status, 401, show(w));
    assert.equal(n.status, 401, show(n));
    assert.equal(w.text.replaceAll(u.username, login), n.text, 'pages differ beyond the echoed login');
  });
});
