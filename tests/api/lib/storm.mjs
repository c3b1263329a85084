// The invariant storm's shared parts (social-storm.test.mjs, one server
// killed twice; social-storm-two.test.mjs, two servers on one PostgreSQL
// database, each killed once):
//   - Storm: concurrent clients doing random social operations among a few
//     accounts and posts (follow, unfollow, remove_from_followers, block,
//     unblock, like, unlike, comment, delete a comment, delete a post and
//     post a new one), and the ledger of what was acknowledged;
//   - readBack + countProblems: every count the API shows against the rows
//     behind it, read through the API as an anonymous client;
//   - canonical / ledgerProblems: what two servers must agree on, and the
//     acknowledged writes (comments, posts, deletes, follow, block and like
//     edges) checked against the final state.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { REPO_ROOT, get, must, post, registerUser, request, show, sleep, uniqueName } from './server.mjs';

const PNG = await readFile(join(REPO_ROOT, 'tests', 'fixtures', 'seeding-256.png'));
const JPG = await readFile(join(REPO_ROOT, 'tests', 'fixtures', 'sunset-600.jpg'));

export const THREAD_CAP = 150; // comments per thread the clients aim to stay under (context shows 200)

// Refusals the storm expects: 403 following across a block; 404 a status
// deleted meanwhile; 422 commenting on a status deleted meanwhile.
const EXPECTED_REFUSALS = [403, 404, 422];

/** A small seeded PRNG (mulberry32), so a failing run can be replayed. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `pinhole audit` against a server's database: {code, out}. */
export async function audit(srv) {
  const r = await srv.cli(['audit']);
  return { code: r.code, out: `${r.stdout}${r.stderr}` };
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
export async function walk(srv, path) {
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

export async function pool(items, n, fn) {
  let i = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < items.length) {
      const k = i++;
      await fn(items[k]);
    }
  }));
}

/**
 * `n` accounts registered in turn through `servers` (one or several),
 * `parallel` at a time; each gets its id.
 */
export async function registerAccounts(servers, n, { parallel = 1 } = {}) {
  const list = Array.isArray(servers) ? servers : [servers];
  const users = new Array(n);
  await pool([...users.keys()], parallel, async (i) => {
    const srv = list[i % list.length];
    const u = await registerUser(srv, { username: uniqueName('st') });
    u.id = must(await get(srv, '/api/v1/accounts/verify_credentials', { token: u.token }), 'me').id;
    users[i] = u;
  });
  return users;
}

// ------------------------------------------------------------- the storm

export class Storm {
  /**
   * @param {object} o
   * @param {object[]} o.users accounts from registerAccounts
   * @param {number} o.seed PRNG seed
   * @param {() => object} o.target the server the next operation goes to
   * @param {(srv) => number} [o.epoch] changes when `srv` is being killed:
   *   an answer or error from a server whose epoch moved during the request
   *   is the kill's doing, not a refusal
   * @param {boolean} [o.strict] a request that fails without a kill (a
   *   timeout, a reset) is a refusal too
   */
  constructor({ users, seed, target, epoch = () => 0, strict = false }) {
    this.users = users;
    this.target = target;
    this.epoch = epoch;
    this.strict = strict;
    this.rnd = prng(seed);
    this.known = []; // statuses the clients know about: {id, owner, root, comment}
    this.threadSize = new Map(); // root id -> comments created there
    this.acked = new Map(); // comment id -> owner index, acknowledged creations
    this.ackedPosts = new Map(); // post id -> owner index, acknowledged creations
    this.deleteAsked = new Set();
    this.deleted = new Set(); // statuses whose DELETE was acknowledged
    this.events = []; // {what, srv, effects: [[key, value]], start, end, outcome, status}: the edge ledger
    this.t0 = performance.now();
    this.state = { ops: 0, ok: 0, failed: 0, down: false, up: Promise.resolve(), stop: false, refusals: [] };
    this.tally = {};
  }

  pick(arr) {
    return arr[Math.floor(this.rnd() * arr.length)];
  }

  other(k) {
    let j = Math.floor(this.rnd() * (this.users.length - 1));
    if (j >= k) j++;
    return j;
  }

  /**
   * Runs one request and notes it in the edge ledger: `effects` are the
   * [key, value] pairs an acknowledged answer sets (f:a:b follows, b:a:b
   * blocks, l:k:status likes). A refused request changes nothing; one cut
   * by a kill may have changed them until the kill; one cut otherwise
   * (a timeout) at any time. `answer` holds the fields a 200 must carry (a
   * relationship read in the write's own transaction); a 200 that says
   * otherwise is noted as the event's `mismatch`, judged at the end (a
   * concurrent request on the same edge may explain it).
   */
  async #track(srv, what, effects, send, answer = null) {
    const ep = this.epoch(srv);
    const ev = { what, srv: srv.url, effects, start: performance.now(), end: Infinity, outcome: 'unknown', status: null };
    this.events.push(ev);
    try {
      const r = await send();
      ev.end = performance.now();
      ev.outcome = r.status >= 200 && r.status < 300 ? 'acked' : 'refused';
      ev.status = r.status;
      if (answer && r.status === 200) {
        const bad = Object.entries(answer).filter(([f, v]) => r.json?.[f] !== v);
        if (bad.length) ev.mismatch = `${what} answered 200 with ${bad.map(([f]) => `${f}: ${r.json?.[f]}`).join(', ')}`;
      }
      return r;
    } catch (e) {
      if (this.epoch(srv) !== ep) ev.end = performance.now();
      throw e;
    }
  }

  async newPost(k, agent, srv = this.target()) {
    const u = this.users[k];
    const m = await post(srv, '/api/v1/media', { token: u.token, agent, multipart: [['file', new Blob([k % 2 ? PNG : JPG]), 'p.jpg']], timeoutMs: 30000 });
    if (m.status !== 200) return m;
    const r = await post(srv, '/api/v1/statuses', { token: u.token, agent, form: [['status', `post by ${k}`], ['media_ids[]', m.json.id]], timeoutMs: 30000 });
    if (r.status === 200) {
      this.known.push({ id: r.json.id, owner: k, root: r.json.id, comment: false });
      this.threadSize.set(r.json.id, 0);
      this.ackedPosts.set(r.json.id, k);
    }
    return r;
  }

  /** One random operation by one random account on `srv`. Returns [name, response]. */
  async operation(agent, srv) {
    const { users, known, threadSize } = this;
    const rnd = this.rnd;
    const k = Math.floor(rnd() * users.length);
    const u = users[k];
    const x = rnd();
    const o = { token: u.token, agent, timeoutMs: 30000 };
    // A graph operation answers the relationship as its transaction left it.
    const graph = async (name, effects, want, j) =>
      [name, await this.#track(srv, `${name} by ${u.id} of ${users[j].id}`, effects(j), () => post(srv, `/api/v1/accounts/${users[j].id}/${name}`, o), want)];
    if (x < 0.24) return graph('follow', (j) => [[`f:${k}:${j}`, true]], { following: true }, this.other(k));
    if (x < 0.38) return graph('unfollow', (j) => [[`f:${k}:${j}`, false]], { following: false }, this.other(k));
    if (x < 0.41) return graph('remove_from_followers', (j) => [[`f:${j}:${k}`, false]], { followed_by: false }, this.other(k));
    if (x < 0.43) return graph('block', (j) => [[`f:${k}:${j}`, false], [`f:${j}:${k}`, false], [`b:${k}:${j}`, true]], { blocking: true, following: false, followed_by: false }, this.other(k));
    if (x < 0.46) return graph('unblock', (j) => [[`b:${k}:${j}`, false]], { blocking: false }, this.other(k));
    if (x < 0.64) {
      const s = this.pick(known);
      return ['favourite', await this.#track(srv, `favourite by ${u.id} of ${s.id}`, [[`l:${k}:${s.id}`, true]], () => post(srv, `/api/v1/statuses/${s.id}/favourite`, o))];
    }
    if (x < 0.75) {
      const s = this.pick(known);
      return ['unfavourite', await this.#track(srv, `unfavourite by ${u.id} of ${s.id}`, [[`l:${k}:${s.id}`, false]], () => post(srv, `/api/v1/statuses/${s.id}/unfavourite`, o))];
    }
    if (x < 0.87) {
      // comment on a post, or (a third of the time) on a comment
      const roots = known.filter((s) => !s.comment && (threadSize.get(s.id) ?? 0) < THREAD_CAP);
      if (roots.length === 0) return ['skip', null];
      const root = this.pick(roots);
      const inThread = known.filter((s) => s.root === root.id && s.comment);
      const parent = inThread.length && rnd() < 0.33 ? this.pick(inThread) : root;
      threadSize.set(root.id, (threadSize.get(root.id) ?? 0) + 1);
      const r = await post(srv, '/api/v1/statuses', { ...o, form: { status: `comment by ${k}`, in_reply_to_id: parent.id } });
      if (r.status === 200) {
        known.push({ id: r.json.id, owner: k, root: root.id, comment: true });
        this.acked.set(r.json.id, k);
      }
      return ['comment', r];
    }
    if (x < 0.985) {
      const mine = known.filter((s) => s.owner === k && s.comment);
      if (mine.length === 0) return ['skip', null];
      const s = this.pick(mine);
      known.splice(known.indexOf(s), 1);
      threadSize.set(s.root, Math.max(0, (threadSize.get(s.root) ?? 1) - 1));
      this.deleteAsked.add(s.id);
      const r = await request(srv, 'DELETE', `/api/v1/statuses/${s.id}`, o);
      if (r.status === 200) this.deleted.add(s.id);
      return ['delete comment', r];
    }
    // delete one of one's posts (its comments stay, orphaned) and post anew
    const mine = known.filter((s) => s.owner === k && !s.comment);
    if (mine.length === 0 || known.filter((s) => !s.comment).length <= 3) return ['new post', await this.newPost(k, agent, srv)];
    const s = this.pick(mine);
    known.splice(known.indexOf(s), 1);
    for (const c of known) if (c.root === s.id) c.root = null; // no longer commented on
    this.deleteAsked.add(s.id);
    const r = await request(srv, 'DELETE', `/api/v1/statuses/${s.id}`, o);
    if (r.status === 200) this.deleted.add(s.id);
    await this.newPost(k, agent, srv);
    return ['delete post', r];
  }

  /** One client: operations until state.stop, pausing while state.down. */
  async client() {
    const { state, tally } = this;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      while (!state.stop) {
        if (state.down) {
          await state.up;
          continue;
        }
        state.ops++;
        const srv = this.target();
        const ep = this.epoch(srv);
        const undisturbed = () => !state.down && this.epoch(srv) === ep;
        let name, r;
        try {
          [name, r] = await this.operation(agent, srv);
        } catch (e) {
          state.failed++; // the server died under this request
          if (this.strict && undisturbed()) state.refusals.push(`a request to ${srv.url}, not being killed, failed: ${e.message}`);
          await sleep(5);
          continue;
        }
        if (!r) continue;
        tally[name] = (tally[name] ?? 0) + 1;
        if (r.status >= 200 && r.status < 300) state.ok++;
        else if (undisturbed() && !EXPECTED_REFUSALS.includes(r.status)) {
          // Anything but the expected refusals is wrong.
          const why = srv.stderrTail.split('\n').filter((l) => / ERROR /.test(l)).slice(-2).join(' | ');
          state.refusals.push(`${name} on ${srv.url} at ${new Date().toISOString()}: ${show(r).slice(0, 200)} (latest ERROR lines in the server log, maybe of another request: ${why.slice(-400)})`);
        }
      }
    } finally {
      agent.destroy();
    }
  }

  /** Starts `n` clients; returns their promises. */
  run(n) {
    return Array.from({ length: n }, () => this.client());
  }
}

// ------------------------------------------------------------- reading back

/**
 * Everything the final checks look at, read through `srv` as an anonymous
 * client: each account with its lists, every status they list, one context
 * per thread root and each status read afresh with its likers.
 */
export async function readBack(srv, users) {
  const accounts = [];
  const statuses = new Map(); // id -> status JSON from the account's list
  for (const u of users) {
    const acc = must(await get(srv, `/api/v1/accounts/${u.id}`), 'account');
    const followers = await walk(srv, `/api/v1/accounts/${u.id}/followers?limit=5`);
    const following = await walk(srv, `/api/v1/accounts/${u.id}/following?limit=7`);
    const own = await walk(srv, `/api/v1/accounts/${u.id}/statuses?exclude_replies=false&limit=40`);
    accounts.push({ id: u.id, acc, followers, following, own });
    for (const s of own) statuses.set(s.id, s);
  }
  // one context per root (a post, or a comment whose parent is gone)
  const roots = [...statuses.values()].filter((s) => !s.in_reply_to_id || !statuses.has(s.in_reply_to_id));
  const contexts = new Map(); // root id -> descendants
  await pool(roots, 4, async (root) => {
    const ctx = must(await get(srv, `/api/v1/statuses/${root.id}/context`, { timeoutMs: 60000 }), 'context');
    assert.ok(ctx.descendants.length < 200, `thread ${root.id} has ${ctx.descendants.length} descendants: the context may be cut`);
    contexts.set(root.id, ctx.descendants);
  });
  const fresh = new Map(); // id -> {status, likers}
  await pool([...statuses.values()], 4, async (s) => {
    const status = must(await get(srv, `/api/v1/statuses/${s.id}`, { timeoutMs: 60000 }), 'status');
    const likers = await walk(srv, `/api/v1/statuses/${s.id}/favourited_by?limit=4`);
    fresh.set(s.id, { status, likers });
  });
  return { accounts, statuses, roots, contexts, fresh };
}

/**
 * Counts against the rows behind them:
 *   followers_count == the followers list (walked through rel=next),
 *   following_count == the following list,
 *   statuses_count  == the account's statuses, comments included,
 *   favourites_count == favourited_by (walked),
 *   replies_count   == the descendants in the context that reply to it;
 * and every comment acknowledged and never asked to be deleted still exists.
 */
export function countProblems(snap, storm) {
  const problems = [];
  const { statuses } = snap;
  for (const { id, acc, followers, following, own } of snap.accounts) {
    if (acc.followers_count !== followers.length) problems.push(`account ${id}: followers_count ${acc.followers_count}, followers list ${followers.length}`);
    if (acc.following_count !== following.length) problems.push(`account ${id}: following_count ${acc.following_count}, following list ${following.length}`);
    if (acc.statuses_count !== own.length) problems.push(`account ${id}: statuses_count ${acc.statuses_count}, statuses listed ${own.length}`);
    for (const s of own) if (s.account.id !== id) problems.push(`status ${s.id} listed under ${id} but by ${s.account.id}`);
  }
  for (const [id, k] of storm.acked) {
    if (!storm.deleteAsked.has(id) && !statuses.has(id)) problems.push(`comment ${id} by account ${storm.users[k].id} was acknowledged and is gone`);
  }
  const replies = new Map([...statuses.keys()].map((id) => [id, 0]));
  const covered = new Set();
  for (const [rootId, descendants] of snap.contexts) {
    covered.add(rootId);
    for (const d of descendants) {
      covered.add(d.id);
      if (replies.has(d.in_reply_to_id)) replies.set(d.in_reply_to_id, replies.get(d.in_reply_to_id) + 1);
      else problems.push(`descendant ${d.id} of ${rootId} replies to ${d.in_reply_to_id}, which no account lists`);
    }
  }
  for (const id of statuses.keys()) if (!covered.has(id)) problems.push(`status ${id} is in no context`);
  for (const [id, { status, likers }] of snap.fresh) {
    if (status.favourites_count !== likers.length) problems.push(`status ${id}: favourites_count ${status.favourites_count}, favourited_by ${likers.length}`);
    if (status.replies_count !== replies.get(id)) problems.push(`status ${id}: replies_count ${status.replies_count}, direct replies in its context ${replies.get(id)}`);
  }
  return problems;
}

// ------------------------------------------------------------- beyond counts

/** What two servers on one database must answer identically, as comparable rows. */
export function canonical(snap) {
  const ids = (xs) => xs.map((x) => x.id).join(',');
  const rows = [];
  for (const { id, acc, followers, following, own } of snap.accounts) {
    rows.push(`account ${id}: followers_count=${acc.followers_count} following_count=${acc.following_count} statuses_count=${acc.statuses_count} followers=[${ids(followers)}] following=[${ids(following)}] statuses=[${ids(own)}]`);
  }
  for (const id of [...snap.fresh.keys()].sort()) {
    const { status, likers } = snap.fresh.get(id);
    rows.push(`status ${id}: by=${status.account.id} in_reply_to=${status.in_reply_to_id} favourites_count=${status.favourites_count} replies_count=${status.replies_count} likers=[${ids(likers)}] content=${JSON.stringify(status.content)}`);
  }
  for (const id of [...snap.contexts.keys()].sort()) {
    rows.push(`context ${id}: [${snap.contexts.get(id).map((d) => `${d.id}<${d.in_reply_to_id}`).join(',')}]`);
  }
  return rows;
}

/** Rows where two canonical forms differ (at most `max`). */
export function differences(a, b, max = 20) {
  const out = [];
  const sa = new Set(a);
  const sb = new Set(b);
  for (const r of a) if (!sb.has(r) && out.length < max) out.push(`only in the first: ${r}`);
  for (const r of b) if (!sa.has(r) && out.length < max) out.push(`only in the second: ${r}`);
  return out;
}

/** The last requests on ledger `keys`, one line each, in start order (for failure messages). */
export function history(storm, keys) {
  const at = (x) => (Number.isFinite(x) ? `${Math.round(x - storm.t0)}` : 'never');
  return storm.events
    .filter((ev) => ev.effects.some(([k]) => keys.includes(k)))
    .sort((a, b) => a.start - b.start)
    .slice(-12)
    .map((ev) => `    ${at(ev.start)}-${at(ev.end)} ms ${ev.what} on ${ev.srv}: ${ev.status ?? ev.outcome}`)
    .join('\n');
}

/**
 * The final value of each ledger key that the acknowledged answers decide:
 * the acknowledged request that started last, when every other request on
 * that key (acknowledged, or cut with an unknown outcome) had ended before
 * it started. Returns Map key -> value; keys no request touched are absent.
 */
export function decided(events) {
  const byKey = new Map();
  for (const ev of events) {
    if (ev.outcome === 'refused') continue;
    for (const [key, value] of ev.effects) {
      if (!byKey.has(key)) byKey.set(key, []);
      byKey.get(key).push({ ev, value });
    }
  }
  const out = new Map();
  for (const [key, list] of byKey) {
    let last = null;
    for (const x of list) if (x.ev.outcome === 'acked' && (!last || x.ev.start > last.ev.start)) last = x;
    if (last && list.every((x) => x === last || x.ev.end < last.ev.start)) out.set(key, last.value);
  }
  return out;
}

/**
 * Nothing acknowledged is lost, no edge is doubled, no follow crosses a
 * block. Returns {lost, edges, checked}:
 *   lost: graph operations answered 200 with a relationship that says they
 *     did not happen (and no other request on the edge overlapped them);
 *     acknowledged posts and comments never asked to be deleted that
 *     are gone; statuses whose DELETE was acknowledged that are listed; every
 *     follow, block and like edge the ledger decides (see `decided`) that
 *     has another value (`relationships` maps "a:b" -> the Relationship user
 *     a has with user b);
 *   edges: follow edges in the followers lists but not the following lists
 *     or back; follow edges where either side blocks the other;
 *   checked: how many edges the ledger decided.
 */
export function ledgerProblems(snap, storm, relationships) {
  const lost = [];
  const edges = [];
  // a 200 whose relationship says the write did not happen, with no other
  // request on any of its edges at the same time
  const byKey = new Map();
  for (const ev of storm.events) {
    if (ev.outcome === 'refused') continue;
    for (const [key] of ev.effects) {
      if (!byKey.has(key)) byKey.set(key, []);
      byKey.get(key).push(ev);
    }
  }
  for (const ev of storm.events) {
    if (!ev.mismatch) continue;
    const alone = ev.effects.every(([key]) => byKey.get(key).every((o) => o === ev || o.end < ev.start || o.start > ev.end));
    if (alone) lost.push(`${ev.mismatch}; its edges' requests:\n${history(storm, ev.effects.map(([k]) => k))}`);
  }
  const idx = new Map(storm.users.map((u, i) => [u.id, i]));
  for (const [what, map] of [['post', storm.ackedPosts], ['comment', storm.acked]]) {
    for (const [id, k] of map) {
      if (!storm.deleteAsked.has(id) && !snap.statuses.has(id)) lost.push(`${what} ${id} by account ${storm.users[k].id} was acknowledged and is gone`);
    }
  }
  for (const id of storm.deleted) if (snap.statuses.has(id)) lost.push(`status ${id}: its DELETE was acknowledged, yet it is listed`);
  const byFollowers = new Set();
  const byFollowing = new Set();
  for (const { id, followers, following } of snap.accounts) {
    for (const f of followers) byFollowers.add(`f:${idx.get(f.id) ?? f.id}:${idx.get(id)}`);
    for (const f of following) byFollowing.add(`f:${idx.get(id)}:${idx.get(f.id) ?? f.id}`);
  }
  for (const e of byFollowers) if (!byFollowing.has(e)) edges.push(`${e} is in a followers list but not in the following list`);
  for (const e of byFollowing) if (!byFollowers.has(e)) edges.push(`${e} is in a following list but not in the followers list`);
  const likes = new Set();
  for (const [id, { likers }] of snap.fresh) for (const l of likers) likes.add(`l:${idx.get(l.id) ?? l.id}:${id}`);
  const who = (i) => storm.users[i].id;
  let checked = 0;
  for (const [key, want] of decided(storm.events)) {
    const [kind, a, b] = key.split(':');
    let have;
    if (kind === 'f') have = byFollowers.has(key);
    else if (kind === 'b') have = relationships.get(`${a}:${b}`)?.blocking;
    else if (!snap.fresh.has(b)) continue; // a like of a status deleted since
    else have = likes.has(key);
    checked++;
    const name = kind === 'f' ? `${who(a)} follows ${who(b)}` : kind === 'b' ? `${who(a)} blocks ${who(b)}` : `${who(a)} likes ${b}`;
    if (have !== want) lost.push(`acknowledged "${name}" = ${want}, now ${have}; requests on it:\n${history(storm, [key])}`);
  }
  for (const e of byFollowers) {
    const [, a, b] = e.split(':');
    const rel = relationships.get(`${a}:${b}`);
    if (rel && (rel.blocking || rel.blocked_by)) {
      edges.push(`${who(a)} follows ${who(b)} across a block (blocking ${rel.blocking}, blocked_by ${rel.blocked_by}); requests on the pair (ms since the storm began):\n${history(storm, [e, `f:${b}:${a}`, `b:${a}:${b}`, `b:${b}:${a}`])}`);
    }
  }
  return { lost, edges, checked };
}

/** Map "a:b" (user indexes) -> the Relationship user a has with user b, read through `srv`. */
export async function relationships(srv, users) {
  const out = new Map();
  await pool(users.map((u, i) => [u, i]), 4, async ([u, i]) => {
    const q = users.filter((x) => x !== u).map((x) => `id[]=${x.id}`).join('&');
    const rels = must(await get(srv, `/api/v1/accounts/relationships?${q}`, { token: u.token, timeoutMs: 60000 }), 'relationships');
    for (const r of rels) {
      const j = users.findIndex((x) => x.id === r.id);
      out.set(`${i}:${j}`, r);
    }
  });
  return out;
}
