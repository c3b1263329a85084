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

// The last suite runs on its own server with small limits and fixed windows
// of W seconds: every limited request of its first phase is sent in one
// window (it waits for a fresh window when too little of the current one is
// left, and checks that it stayed inside), then it waits as long as
// Retry-After says and tries again.
const W = 5;
const BUDGET_MS = 3500;
const LIMIT = 3;
const ACCT = 2;

/** A server with a short window and small limits, and three users on it. */
async function startShortWindow() {
  const s = await startServer({ set: { rate_auth_limit: LIMIT, rate_account_limit: ACCT, rate_auth_window_s: W } });
  const a = await createApp(s, { scopes: 'read write' });
  const users = {};
  for (const k of ['walker', 'guarded', 'changer']) {
    users[k] = await registerUser(s, { app: a, scope: 'read write', username: uniqueName(k), localAddress: freshIp() });
  }
  return { srv: s, app: a, users };
}

let shortWindow; // the last suite's server, started alongside this one

before(async () => {
  shortWindow = startShortWindow();
  shortWindow.catch(() => {}); // its suite reports a failure
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
  await (await shortWindow?.catch(() => null))?.srv.stop();
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

describe('a short window: the limit lifts when the window passes', () => {
  let s2, app2, u2;
  before(async () => {
    ({ srv: s2, app: app2, users: u2 } = await shortWindow);
  });

  const is429 = (r, what) => {
    assert.equal(r.status, 429, `${what}: ${show(r)}`);
    assert.match(r.headers['content-type'], /^application\/json/, what);
    assert.deepEqual(r.json, { error: 'Too many requests' }, what);
    const ra = r.headers['retry-after'];
    assert.match(ra ?? '', /^\d+$/, `${what}: Retry-After ${ra}`);
    assert.ok(Number(ra) >= 1 && Number(ra) <= W, `${what}: Retry-After ${ra} within the ${W} s window`);
    return Date.now() + Number(ra) * 1000; // when this client may try again
  };

  test(`sign-in, sign-up and the account limit: request ${LIMIT} passes, the next is 429, another address is not limited, and after Retry-After the same user gets in`, async (t) => {
    const w = u2.walker;
    const g = u2.guarded;
    const c = u2.changer;
    const grant = (user, password, localAddress) => passwordGrant(s2, app2, user.username, password, 'read', { localAddress });
    const signup = async (localAddress) => {
      const name = uniqueName('w');
      return post(s2, '/api/v1/accounts', {
        token: await appToken(s2, app2, 'read write'),
        localAddress,
        form: { username: name, email: `${name}@example.com`, password: 'signup password', agreement: 'true' },
      });
    };
    const change = (current) => post(s2, '/api/v1/pinhole/account/password', {
      token: c.token, localAddress: freshIp(), form: { current_password: current, password: 'another good password' },
    });
    // Returns when Retry-After says to come back (the earliest of its four
    // answers: one window, so any of them is past its end); every request
    // inside one window.
    // The four limits have separate buckets (and users), so they run side by side.
    const phase = async (ip, signupIp) => {
      const settled = await Promise.allSettled([
        (async () => { // per address, sign-in
          for (let i = 1; i <= LIMIT; i++) assert.equal((await grant(w, w.password, ip)).status, 200, `sign-in ${i} of ${LIMIT}`);
          const ra = is429(await grant(w, w.password, ip), `sign-in ${LIMIT + 1}`);
          assert.equal((await grant(w, w.password, freshIp())).status, 200, 'the same user from another address');
          return ra;
        })(),
        (async () => { // per address, sign-up
          for (let i = 1; i <= LIMIT; i++) assert.equal((await signup(signupIp)).status, 200, `sign-up ${i} of ${LIMIT}`);
          const ra = is429(await signup(signupIp), `sign-up ${LIMIT + 1}`);
          assert.equal((await signup(freshIp())).status, 200, 'sign-up from another address');
          return ra;
        })(),
        (async () => { // per account: failed sign-ins from many addresses
          for (let i = 1; i <= ACCT; i++) assert.equal((await grant(g, 'wrong password!', freshIp())).status, 400, `failure ${i}`);
          return is429(await grant(g, g.password, freshIp()), 'the right password after the account limit');
        })(),
        (async () => { // per account: the password change
          for (let i = 1; i <= ACCT; i++) assert.equal((await change('not my password')).status, 422, `wrong current password ${i}`);
          return is429(await change('not my password'), 'the password change after the account limit');
        })(),
      ]);
      const failed = settled.find((x) => x.status === 'rejected');
      if (failed) throw failed.reason;
      return Math.min(...settled.map((x) => x.value));
    };
    let ip, signupIp, retryAt;
    for (let attempt = 1; ; attempt++) {
      const left = W * 1000 - (Date.now() % (W * 1000));
      if (left < BUDGET_MS || attempt > 1) await sleep(W * 1000 - (Date.now() % (W * 1000)) + 50);
      const t0 = Date.now();
      const windowEnd = t0 + W * 1000 - (t0 % (W * 1000));
      ip = freshIp();
      signupIp = freshIp();
      let failure = null;
      try {
        retryAt = await phase(ip, signupIp);
      } catch (e) {
        failure = e;
      }
      // A machine too slow for one window: try again from a window's start.
      if (Date.now() >= windowEnd && attempt < 3) continue;
      assert.ok(Date.now() < windowEnd, `the limited requests took ${Date.now() - t0} ms and crossed a window boundary ${attempt} times: the test cannot judge`);
      if (failure) throw failure;
      t.diagnostic(`one window: attempt ${attempt}, ${Date.now() - t0} ms of ${W * 1000}; Retry-After in ${retryAt - Date.now()} ms`);
      break;
    }

    await sleep(Math.max(0, retryAt - Date.now()) + 100);
    assert.equal((await grant(w, w.password, ip)).status, 200, 'the same user from the same address, after the window');
    assert.equal((await signup(signupIp)).status, 200, 'sign-up from the same address, after the window');
    assert.equal((await grant(g, g.password, freshIp())).status, 200, 'the limited account, after the window');
    assert.equal((await change('not my password')).status, 422, 'the password change is judged again, after the window');
  });
});
