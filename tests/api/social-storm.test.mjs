// The invariant storm: 8 concurrent clients do a few thousand random
// social operations (follow, unfollow, remove_from_followers, block,
// unblock, like, unlike, comment, delete a comment, delete a post and post
// a new one) among 12 accounts and a handful of posts, while the server is
// killed with SIGKILL and restarted twice. Afterwards:
//   - `pinhole audit` exits 0 (after each kill, on the crashed data, and at
//     the end);
//   - every count the API shows equals the rows behind it, read through the
//     API as an anonymous client (so no block hides anything):
//       followers_count == the followers list (walked through rel=next),
//       following_count == the following list,
//       statuses_count  == the account's statuses, comments included
//                          (exclude_replies=false, walked),
//       favourites_count == favourited_by (walked),
//       replies_count   == the descendants in the context that reply to it;
//   - every comment acknowledged (200) and never asked to be deleted
//     still exists (nothing acknowledged is lost).
// The run is bounded by operations and by time (ASan builds are slower).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { BIN, REPO_ROOT, get, must, post, registerUser, request, show, sleep, startServer, uniqueName } from './lib/server.mjs';

const PNG = await readFile(join(REPO_ROOT, 'tests', 'fixtures', 'seeding-256.png'));
const JPG = await readFile(join(REPO_ROOT, 'tests', 'fixtures', 'sunset-600.jpg'));

const ACCOUNTS = 12;
const CLIENTS = 8;
const POSTS = 6;
const TARGET_OPS = 3000; // attempted operations, over three phases
const TIME_BUDGET_MS = 24000; // the storm stops at the first of the two
const THREAD_CAP = 150; // comments per thread the clients aim to stay under (context shows 200)

let srv;
before(async () => {
  srv = await startServer();
});
after(async () => {
  await srv?.stop();
});

// ------------------------------------------------------------- helpers

/** A small seeded PRNG (mulberry32), so a failing run can be replayed. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function audit() {
  return new Promise((res) => {
    execFile(BIN, srv.cliArgs(['audit']), { timeout: 60000 }, (err, stdout, stderr) => {
      res({ code: err ? (err.code ?? 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

function nextLink(r) {
  for (const part of (r.headers.link || '').split(/,\s*(?=<)/)) {
    const m = part.match(/^<([^>]+)>;\s*rel="next"$/);
    if (m) {
      const u = new URL(m[1]);
      return u.pathname + u.search;
    }
  }
  return null;
}

/** Every item of a list, following rel=next to the end (anonymous). */
async function walk(path) {
  const items = [];
  let next = path;
  for (let n = 0; next; n++) {
    assert.ok(n < 500, `too many pages: ${path}`);
    const r = await get(srv, next, { timeoutMs: 60000 });
    assert.equal(r.status, 200, `${next}: ${show(r)}`);
    items.push(...r.json);
    next = nextLink(r);
  }
  const ids = items.map((x) => x.id);
  assert.equal(new Set(ids).size, ids.length, `no duplicates in ${path}`);
  return items;
}

async function pool(items, n, fn) {
  let i = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < items.length) {
      const k = i++;
      await fn(items[k]);
    }
  }));
}

// ------------------------------------------------------------- the storm

test(`invariant storm: ${CLIENTS} clients, ${ACCOUNTS} accounts, kill -9 twice, then audit and every count`, async (t) => {
  const seed = Number(process.env.STORM_SEED ?? Date.now() % 2147483647);
  t.diagnostic(`seed ${seed} (STORM_SEED sets it; the interleaving still varies)`);
  const users = [];
  for (let i = 0; i < ACCOUNTS; i++) {
    const u = await registerUser(srv, { username: uniqueName('st') });
    u.id = must(await get(srv, '/api/v1/accounts/verify_credentials', { token: u.token }), 'me').id;
    users.push(u);
  }
  // statuses the clients know about: {id, owner, root, comment}
  const known = [];
  const threadSize = new Map(); // root id -> comments created there
  const acked = new Map(); // comment id -> owner index, acknowledged creations
  const deleteAsked = new Set();
  async function newPost(k, agent) {
    const u = users[k];
    const m = await post(srv, '/api/v1/media', { token: u.token, agent, multipart: [['file', new Blob([k % 2 ? PNG : JPG]), 'p.jpg']], timeoutMs: 30000 });
    if (m.status !== 200) return m;
    const r = await post(srv, '/api/v1/statuses', { token: u.token, agent, form: [['status', `post by ${k}`], ['media_ids[]', m.json.id]], timeoutMs: 30000 });
    if (r.status === 200) {
      known.push({ id: r.json.id, owner: k, root: r.json.id, comment: false });
      threadSize.set(r.json.id, 0);
    }
    return r;
  }
  for (let k = 0; k < POSTS; k++) must(await newPost(k), 'initial post');

  const state = { ops: 0, ok: 0, failed: 0, down: false, up: Promise.resolve(), stop: false, refusals: [] };
  const tally = {};
  const rnd = prng(seed);
  const pick = (arr) => arr[Math.floor(rnd() * arr.length)];
  const other = (k) => {
    let j = Math.floor(rnd() * (ACCOUNTS - 1));
    if (j >= k) j++;
    return j;
  };

  /** One random operation by one random account. Returns [name, response]. */
  async function operation(agent) {
    const k = Math.floor(rnd() * ACCOUNTS);
    const u = users[k];
    const x = rnd();
    const o = { token: u.token, agent, timeoutMs: 30000 };
    if (x < 0.24) return ['follow', await post(srv, `/api/v1/accounts/${users[other(k)].id}/follow`, o)];
    if (x < 0.38) return ['unfollow', await post(srv, `/api/v1/accounts/${users[other(k)].id}/unfollow`, o)];
    if (x < 0.41) return ['remove_from_followers', await post(srv, `/api/v1/accounts/${users[other(k)].id}/remove_from_followers`, o)];
    if (x < 0.43) return ['block', await post(srv, `/api/v1/accounts/${users[other(k)].id}/block`, o)];
    if (x < 0.46) return ['unblock', await post(srv, `/api/v1/accounts/${users[other(k)].id}/unblock`, o)];
    if (x < 0.64) {
      const s = pick(known);
      return ['favourite', await post(srv, `/api/v1/statuses/${s.id}/favourite`, o)];
    }
    if (x < 0.75) {
      const s = pick(known);
      return ['unfavourite', await post(srv, `/api/v1/statuses/${s.id}/unfavourite`, o)];
    }
    if (x < 0.87) {
      // comment on a post, or (a third of the time) on a comment
      const roots = known.filter((s) => !s.comment && (threadSize.get(s.id) ?? 0) < THREAD_CAP);
      if (roots.length === 0) return ['skip', null];
      const root = pick(roots);
      const inThread = known.filter((s) => s.root === root.id && s.comment);
      const parent = inThread.length && rnd() < 0.33 ? pick(inThread) : root;
      threadSize.set(root.id, (threadSize.get(root.id) ?? 0) + 1);
      const r = await post(srv, '/api/v1/statuses', { ...o, form: { status: `comment by ${k}`, in_reply_to_id: parent.id } });
      if (r.status === 200) {
        known.push({ id: r.json.id, owner: k, root: root.id, comment: true });
        acked.set(r.json.id, k);
      }
      return ['comment', r];
    }
    if (x < 0.985) {
      const mine = known.filter((s) => s.owner === k && s.comment);
      if (mine.length === 0) return ['skip', null];
      const s = pick(mine);
      known.splice(known.indexOf(s), 1);
      threadSize.set(s.root, Math.max(0, (threadSize.get(s.root) ?? 1) - 1));
      deleteAsked.add(s.id);
      return ['delete comment', await request(srv, 'DELETE', `/api/v1/statuses/${s.id}`, o)];
    }
    // delete one of one's posts (its comments stay, orphaned) and post anew
    const mine = known.filter((s) => s.owner === k && !s.comment);
    if (mine.length === 0 || known.filter((s) => !s.comment).length <= 3) return ['new post', await newPost(k, agent)];
    const s = pick(mine);
    known.splice(known.indexOf(s), 1);
    for (const c of known) if (c.root === s.id) c.root = null; // no longer commented on
    const r = await request(srv, 'DELETE', `/api/v1/statuses/${s.id}`, o);
    await newPost(k, agent);
    return ['delete post', r];
  }

  async function client() {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      while (!state.stop) {
        if (state.down) {
          await state.up;
          continue;
        }
        state.ops++;
        let name, r;
        try {
          [name, r] = await operation(agent);
        } catch {
          state.failed++; // the server died under this request
          await sleep(5);
          continue;
        }
        if (!r) continue;
        tally[name] = (tally[name] ?? 0) + 1;
        if (r.status >= 200 && r.status < 300) state.ok++;
        else if (!state.down && ![403, 404, 422].includes(r.status)) {
          // 403: following across a block; 404: a status deleted meanwhile;
          // 422: commenting on a status deleted meanwhile. Anything else is wrong.
          const why = srv.stderrTail.split('\n').filter((l) => / ERROR /.test(l)).slice(-2).join(' | ');
          state.refusals.push(`${name}: ${show(r).slice(0, 200)} (latest ERROR lines in the server log, maybe of another request: ${why.slice(-400)})`);
        }
      }
    } finally {
      agent.destroy();
    }
  }

  const t0 = Date.now();
  const running = Array.from({ length: CLIENTS }, () => client());
  const auditFailures = []; // reported at the end, after the API's own counts are compared
  for (let phase = 1; phase <= 3; phase++) {
    const goal = (TARGET_OPS * phase) / 3;
    const deadline = t0 + (TIME_BUDGET_MS * phase) / 3;
    while (state.ops < goal && Date.now() < deadline) await sleep(10);
    if (phase === 3) break;
    let release;
    state.up = new Promise((r) => (release = r));
    state.down = true;
    await srv.kill9(); // requests are in flight: the clients never pause before it
    const a = await audit();
    if (a.code !== 0) auditFailures.push(`after kill -9 #${phase}: exit ${a.code}\n${a.out}`);
    await srv.restart();
    state.down = false;
    release();
    t.diagnostic(`kill -9 #${phase} after ${state.ops} operations (${Date.now() - t0} ms); audit exit ${a.code}; restarted`);
  }
  state.stop = true;
  await Promise.all(running);
  t.diagnostic(`${state.ops} operations attempted in ${Date.now() - t0} ms: ${state.ok} succeeded, ${state.failed} cut by a kill; ${JSON.stringify(tally)}`);
  assert.deepEqual(state.refusals, [], 'unexpected answers while the server was up');
  assert.ok(state.ok >= 300, `enough operations succeeded (${state.ok})`);

  const final = await audit();
  if (final.code !== 0) auditFailures.push(`after the storm: exit ${final.code}\n${final.out}`);

  // ---- every count the API shows equals the rows behind it
  const problems = [];
  const statuses = new Map(); // id -> status JSON
  for (const u of users) {
    const acc = must(await get(srv, `/api/v1/accounts/${u.id}`), 'account');
    const followers = await walk(`/api/v1/accounts/${u.id}/followers?limit=5`);
    const following = await walk(`/api/v1/accounts/${u.id}/following?limit=7`);
    const own = await walk(`/api/v1/accounts/${u.id}/statuses?exclude_replies=false&limit=40`);
    if (acc.followers_count !== followers.length) problems.push(`account ${u.id}: followers_count ${acc.followers_count}, followers list ${followers.length}`);
    if (acc.following_count !== following.length) problems.push(`account ${u.id}: following_count ${acc.following_count}, following list ${following.length}`);
    if (acc.statuses_count !== own.length) problems.push(`account ${u.id}: statuses_count ${acc.statuses_count}, statuses listed ${own.length}`);
    for (const s of own) {
      if (s.account.id !== u.id) problems.push(`status ${s.id} listed under ${u.id} but by ${s.account.id}`);
      statuses.set(s.id, s);
    }
  }
  // every acknowledged comment that no one asked to delete still exists
  for (const [id, k] of acked) {
    if (!deleteAsked.has(id) && !statuses.has(id)) problems.push(`comment ${id} by account ${users[k].id} was acknowledged and is gone`);
  }
  // replies: one context per root (a post, or a comment whose parent is gone)
  const replies = new Map([...statuses.keys()].map((id) => [id, 0]));
  const roots = [...statuses.values()].filter((s) => !s.in_reply_to_id || !statuses.has(s.in_reply_to_id));
  const covered = new Set();
  await pool(roots, 4, async (root) => {
    const ctx = must(await get(srv, `/api/v1/statuses/${root.id}/context`, { timeoutMs: 60000 }), 'context');
    assert.ok(ctx.descendants.length < 200, `thread ${root.id} has ${ctx.descendants.length} descendants: the context may be cut`);
    covered.add(root.id);
    for (const d of ctx.descendants) {
      covered.add(d.id);
      if (replies.has(d.in_reply_to_id)) replies.set(d.in_reply_to_id, replies.get(d.in_reply_to_id) + 1);
      else problems.push(`descendant ${d.id} of ${root.id} replies to ${d.in_reply_to_id}, which no account lists`);
    }
  });
  for (const id of statuses.keys()) if (!covered.has(id)) problems.push(`status ${id} is in no context`);
  await pool([...statuses.values()], 4, async (s) => {
    const fresh = must(await get(srv, `/api/v1/statuses/${s.id}`, { timeoutMs: 60000 }), 'status');
    const likers = await walk(`/api/v1/statuses/${s.id}/favourited_by?limit=4`);
    if (fresh.favourites_count !== likers.length) problems.push(`status ${s.id}: favourites_count ${fresh.favourites_count}, favourited_by ${likers.length}`);
    if (fresh.replies_count !== replies.get(s.id)) problems.push(`status ${s.id}: replies_count ${fresh.replies_count}, direct replies in its context ${replies.get(s.id)}`);
  });
  t.diagnostic(`checked ${users.length} accounts and ${statuses.size} statuses (${roots.length} threads); ${acked.size} comments acknowledged`);
  assert.deepEqual(problems, [], 'counts that differ from the rows behind them');
  assert.deepEqual(auditFailures, [], 'pinhole audit found differences');
  assert.ok(statuses.size >= POSTS, 'the posts are there');
});
