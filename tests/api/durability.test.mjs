// Durability: 4 clients register accounts in a loop against a server with
// the default database sync settings; the server is killed with SIGKILL
// at a random moment 1-3 s in, restarted on the same data dir, and every
// account whose registration got a 2xx must exist (lookup), sign in with
// its password, and its registration token must still work. 3 rounds.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';

import { appToken, createApp, get, passwordGrant, post, show, sleep, startServer, uniqueName } from './lib/server.mjs';

const ROUNDS = 3;
const CLIENTS = 4;

let srv, app;
const acknowledged = []; // {username, password, token, round}

before(async () => {
  srv = await startServer();
  app = await createApp(srv, { scopes: 'read write' });
});
after(async () => {
  await srv?.stop();
});

/** Runs `fn` over `items` with at most `n` in flight. */
async function pool(items, n, fn) {
  let i = 0;
  const out = [];
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < items.length) {
        const k = i++;
        out[k] = await fn(items[k]);
      }
    }),
  );
  return out;
}

async function client(url, token, round, state) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    while (!state.killed) {
      const username = uniqueName(`d${round}`);
      const password = `durable-${username}`;
      let r;
      try {
        r = await post(url, '/api/v1/accounts', {
          token,
          agent,
          timeoutMs: 10000,
          form: { username, email: `${username}@example.com`, password, agreement: 'true' },
        });
      } catch {
        break; // the server is gone
      }
      if (r.status >= 200 && r.status < 300 && r.json?.access_token) {
        acknowledged.push({ username, password, token: r.json.access_token, round });
        state.acked++;
      } else if (!state.killed) {
        state.errors.push(show(r));
      }
    }
  } finally {
    agent.destroy();
  }
}

async function verify(list) {
  const lost = [];
  await pool(list, 4, async (a) => {
    const l = await get(srv, `/api/v1/accounts/lookup?acct=${a.username}`);
    if (l.status !== 200) {
      lost.push(`${a.username}: lookup ${l.status}`);
      return;
    }
    const t = await passwordGrant(srv, app, a.username, a.password, 'read');
    if (t.status !== 200) lost.push(`${a.username}: sign-in ${show(t)}`);
    const me = await get(srv, '/api/v1/accounts/verify_credentials', { token: a.token });
    if (me.status !== 200 || me.json.username !== a.username) lost.push(`${a.username}: registration token ${me.status}`);
  });
  return lost;
}

test(`kill -9 during registrations loses no acknowledged account (${ROUNDS} rounds, ${CLIENTS} clients)`, async (t) => {
  let totalLost = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    // The app itself must have survived the previous crash.
    const token = await appToken(srv, app, 'read write');
    const state = { killed: false, acked: 0, errors: [] };
    const url = srv.url;
    const clients = Array.from({ length: CLIENTS }, () => client(url, token, round, state));
    const delay = 1000 + Math.floor(Math.random() * 2000);
    await sleep(delay);
    state.killed = true;
    await srv.kill9();
    await Promise.all(clients);
    assert.deepEqual(state.errors, [], 'registrations failed before the kill');
    await srv.restart();
    if (round === ROUNDS) {
      // A fresh process renders the instance document anew.
      const inst = await get(srv, '/api/v1/instance');
      assert.ok(inst.json.stats.user_count >= acknowledged.length, `user_count ${inst.json.stats.user_count} < ${acknowledged.length}`);
    }
    const mine = acknowledged.filter((a) => a.round === round);
    const lost = await verify(mine);
    totalLost += lost.length;
    const msg = `durability round ${round}: killed after ${delay} ms; ${mine.length} acknowledged registrations checked, ${lost.length} lost`;
    t.diagnostic(msg);
    assert.ok(mine.length > 0, `round ${round}: no registration was acknowledged in ${delay} ms`);
    assert.deepEqual(lost, [], `round ${round}: acknowledged accounts lost`);
  }
  // Every earlier round's accounts are still there after the later crashes.
  const missing = [];
  await pool(acknowledged, 8, async (a) => {
    const l = await get(srv, `/api/v1/accounts/lookup?acct=${a.username}`);
    if (l.status !== 200) missing.push(`${a.username} (round ${a.round}): ${l.status}`);
  });
  const msg = `durability total: ${acknowledged.length} acknowledged registrations checked, ${totalLost + missing.length} lost`;
  t.diagnostic(msg);
  assert.deepEqual(missing, []);
});
