// The authorization matrix (issue #7): every endpoint that reads or acts on
// a post x every visibility x every kind of viewer, each expected answer
// taken from ONE rule table (RULES below), and then every route of the
// route table (`pinhole routes`, read at test time) x the wrong token kinds.
//
// Who may see a post (Mastodon's StatusPolicy#show?, pinhole's PIN_VISIBLE
// in src/service/visibility.h): the author always; public and unlisted:
// everyone except an account the author blocks; private: followers and
// mentioned accounts; direct: mentioned accounts. An administrator has no
// special read or write rights through the client API (neither Mastodon's
// show? nor PIN_VISIBLE knows roles). A hidden post answers byte for byte
// like a random id of the same shape that does not exist: same status, same
// body, same headers (Date aside), so no answer tells it exists.
//
// Where pinhole deliberately differs from Mastodon, the table follows
// pinhole and says so (each is stricter or an equivalent refusal, never a
// leak): source is the author's only (Mastodon: anyone who may see the
// post); pinning someone else's post answers as missing (Mastodon: 422);
// reblogging a followers-only or direct post is 422 for everyone (Mastodon:
// 403, and an author may reblog their own followers-only post); direct posts
// are never in a home timeline (Mastodon: the author's and mentioned
// followers' homes); GET /api/v1/media/:id shows the owner's attached photos
// too (Mastodon: unattached only).
//
// Prints `# authz cells N mismatches M`; passes only with no mismatch. It
// found: a viewer the author blocks could reblog a post through someone
// else's reblog of it, and saw that reblog as an empty wrapper (fixed in
// src/service/statuses.c).
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  BIN, REPO_ROOT, appToken, createApp, get, must, parseLinks, passwordGrant, post, registerUser, request, show,
  startServer, uniqueName,
} from './lib/server.mjs';

const JPG = await readFile(join(REPO_ROOT, 'tests', 'fixtures', 'sunset-600.jpg'));
const PNG = await readFile(join(REPO_ROOT, 'tests', 'fixtures', 'seeding-256.png'));

const VIS = ['public', 'unlisted', 'private', 'direct'];
const VIEWERS = ['anonymous', 'stranger', 'follower', 'mentioned', 'blocked', 'author', 'admin'];

// ------------------------------------------------------------ the rule table

/** May `w` see a post of visibility `v` by the author? (PIN_VISIBLE) */
function see(v, w) {
  if (w === 'author') return true;
  if (w === 'blocked') return false;
  if (v === 'public' || v === 'unlisted') return true;
  if (v === 'private') return w === 'follower' || w === 'mentioned';
  return w === 'mentioned'; // direct
}

// Outcomes: OK (2xx and the right object), HIDDEN (byte-identical to a
// missing id), REFUSED (visible, but this action is refused: 422 with an
// error), LISTED / ABSENT (in a list or not), undefined (not a cell).
const OK = 'ok';
const HIDDEN = 'as missing';
const REFUSED = 'refused';
const LISTED = 'listed';
const ABSENT = 'absent';

const signedIn = (w) => w !== 'anonymous';
const read = (v, w) => (see(v, w) ? OK : HIDDEN);
/** A user-token action on the post: anonymous gets the 401 a missing id gets. */
const act = (v, w) => (signedIn(w) && see(v, w) ? OK : HIDDEN);
const authorOnly = (v, w) => (w === 'author' ? OK : HIDDEN);
const listedIf = (c) => (c ? LISTED : ABSENT);

const RULES = {
  // reads of the post and its parts
  status: read,
  context: read,
  'context as a parent': (v, w) => listedIf(see(v, w)),
  favourited_by: read,
  reblogged_by: read, // only while the route exists (it does not yet)
  history: read,
  source: authorOnly, // pinhole: author only; Mastodon: read
  'media by id': authorOnly, // GET /api/v1/media/:id is the owner's
  'media file': (v, w) => (see(v, w) ? OK : undefined), // capability URLs, from a visible answer
  // lists that could show it
  'account statuses': (v, w) => listedIf(see(v, w)),
  home: (v, w) => (signedIn(w) ? listedIf((w === 'author' || w === 'follower') && see(v, w) && v !== 'direct') : undefined),
  'public timeline': (v, w) => listedIf(v === 'public' && see(v, w)),
  'tag timeline': (v, w) => listedIf(v === 'public' && see(v, w)),
  search: (v, w) => listedIf(see(v, w)),
  'trending posts': (v, w) => listedIf(v === 'public' && see(v, w)),
  'mention notification': (v, w) => (signedIn(w) ? listedIf(w === 'mentioned') : undefined),
  // actions on it
  favourite: act,
  'favourites list': (v, w) => (signedIn(w) ? listedIf(see(v, w)) : undefined), // after favourite
  unfavourite: act,
  bookmark: act,
  'bookmarks list': (v, w) => (signedIn(w) ? listedIf(see(v, w)) : undefined), // after bookmark
  unbookmark: act,
  reblog: (v, w) => (act(v, w) === HIDDEN ? HIDDEN : v === 'public' || v === 'unlisted' ? OK : REFUSED),
  unreblog: act,
  pin: (v, w) => (w !== 'author' ? HIDDEN : v === 'direct' ? REFUSED : OK),
  'pinned on the profile': (v, w) => listedIf(see(v, w) && v !== 'direct'), // after pin
  unpin: authorOnly,
  reply: act,
  edit: authorOnly,
  delete: authorOnly,
  // the same through someone else's reblog of it (public and unlisted posts,
  // the only ones a third party can reblog): a reblog is a pointer, so it is
  // visible, and acts, exactly when the post it shares is
  'reblog: GET': (v, w) => read(v, w),
  'reblog: favourite': act,
  'reblog: bookmark': act,
  'reblog: reblog': act,
  'reblog: reply': act,
};
const THROUGH_REBLOG = ['public', 'unlisted'];

// ------------------------------------------------------------ the world

let srv;
let routes; // [{method, path, auth, scope}]
const U = {}; // role -> {token, id, username, password}
const P = {}; // visibility -> the author's post
const C = {}; // visibility -> the commenter's public comment on it
const RB = {}; // visibility -> the commenter's reblog of it (public, unlisted)
let K; // a word unique to this run
let fence; // an id below every post of the matrix
const totals = { cells: 0, mismatches: 0, byRule: {} };

const tok = (w) => (w === 'anonymous' ? undefined : U[w].token);
const routeExists = (method, path) => routes.some((r) => r.method === method && r.path === path);

/** A random id of the same shape (digits, length) that names nothing. */
const known = new Set();
function fakeLike(id) {
  for (;;) {
    let s = id.slice(0, 2);
    while (s.length < id.length) s += String(randomInt(10));
    if (!known.has(s)) return s;
  }
}

async function newUser(role) {
  const u = await registerUser(srv, { username: uniqueName(role.slice(0, 5)) });
  const me = must(await get(srv, '/api/v1/accounts/verify_credentials', { token: u.token }), 'verify_credentials');
  return { ...u, id: me.id };
}

async function upload(u, bytes) {
  return must(await post(srv, '/api/v1/media', {
    token: u.token, multipart: [['file', new Blob([bytes]), 'p.jpg']], timeoutMs: 60000,
  }), 'upload');
}

function readRoutes() {
  return new Promise((res, rej) => {
    execFile(BIN, ['routes'], (err, stdout) => {
      if (err) return rej(err);
      const out = [];
      for (const line of stdout.split('\n')) {
        if (!line.trim()) continue;
        const m = line.match(/^(GET|POST|PUT|PATCH|DELETE)\s+(\S+)\s+(public|app token|user token)\s*(\S*)\s*$/);
        if (!m) return rej(new Error(`pinhole routes: a line this test cannot read: ${JSON.stringify(line)}`));
        out.push({ method: m[1], path: m[2], auth: m[3], scope: m[4] });
      }
      res(out);
    });
  });
}

const postText = (v) => `@${U.mentioned.username} @${U.commenter.username} ${K}${v} #${K}tag`;

before(async () => {
  [routes, srv] = await Promise.all([readRoutes(), startServer()]);
  K = `z${Date.now().toString(36)}`;
  // The administrator comes from the admin CLI, as an operator makes one.
  const name = uniqueName('admin');
  const password = `pw-${name}-admin`;
  const roles = ['author', 'stranger', 'follower', 'mentioned', 'blocked', 'commenter'];
  const [made, ...users] = await Promise.all([
    srv.admin('create-user', name, '--email', `${name}@example.com`, '--password', password, '--admin'),
    ...roles.map(newUser),
  ]);
  roles.forEach((role, i) => (U[role] = users[i]));
  assert.equal(made.code, 0, `admin create-user: ${made.stderr}`);
  const app = await createApp(srv, { scopes: 'read write follow push' });
  const grant = must(await passwordGrant(srv, app, name, password, 'read write follow push'), 'admin sign-in');
  const adminMe = must(await get(srv, '/api/v1/accounts/verify_credentials', { token: grant.access_token }), 'admin me');
  assert.equal(adminMe.role?.name, 'Admin', 'the admin CLI made an administrator');
  U.admin = { username: name, password, token: grant.access_token, id: adminMe.id };

  const { author, follower, blocked, commenter } = U;
  const follow = async (u, target, verb = 'follow') =>
    must(await post(srv, `/api/v1/accounts/${target.id}/${verb}`, { token: u.token }), verb);
  await follow(follower, author);
  await follow(commenter, author);
  await follow(blocked, author);
  await follow(author, blocked, 'block'); // also ends blocked's follow
  const photos = await Promise.all(VIS.map((v, i) => upload(author, i % 2 ? PNG : JPG)));
  for (const [i, v] of VIS.entries()) {
    const m = photos[i];
    P[v] = must(await post(srv, '/api/v1/statuses', {
      token: author.token, form: [['status', postText(v)], ['media_ids[]', m.id], ['visibility', v]],
    }), `post ${v}`);
    assert.equal(P[v].visibility, v);
    // One edit, so the history has two versions.
    must(await request(srv, 'PUT', `/api/v1/statuses/${P[v].id}`, { token: author.token, form: { status: `${postText(v)} edited` } }), `edit ${v}`);
  }
  fence = BigInt(P.public.id) - 1n;
  for (const v of VIS) {
    C[v] = must(await post(srv, '/api/v1/statuses', {
      token: commenter.token, form: { status: `a comment ${v}`, in_reply_to_id: P[v].id, visibility: 'public' },
    }), `comment on ${v}`);
    must(await post(srv, `/api/v1/statuses/${P[v].id}/favourite`, { token: commenter.token }), `like ${v}`);
  }
  for (const v of THROUGH_REBLOG) {
    RB[v] = must(await post(srv, `/api/v1/statuses/${P[v].id}/reblog`, { token: commenter.token }), `reblog ${v}`);
  }
  for (const x of [...Object.values(P), ...Object.values(C), ...Object.values(RB)]) known.add(x.id);
});
after(async () => {
  await srv?.stop();
});

// ------------------------------------------------------------ the runner

/** Headers that must match between a hidden and a missing answer. */
function headersOf(r) {
  const h = { ...r.headers };
  delete h.date;
  return h;
}

/** true, or why `r` is not the same answer as `missing`. */
function sameAsMissing(r, missing) {
  if (r.status !== missing.status) return `answers ${r.status}, a missing id ${missing.status}: ${show(r).slice(0, 160)}`;
  if (r.text !== missing.text) return `body ${JSON.stringify(r.text.slice(0, 140))} differs from a missing id's ${JSON.stringify(missing.text.slice(0, 140))}`;
  const a = JSON.stringify(headersOf(r));
  const b = JSON.stringify(headersOf(missing));
  return a === b ? true : `headers ${a} differ from a missing id's ${b}`;
}

/**
 * Runs every cell of one rule. `cell(v, w, want)` returns:
 *  for OK/REFUSED/HIDDEN rules: {r, missing?: () => response, ok?: (json) => true|string}
 *  for LISTED/ABSENT rules: a boolean (is it there?)
 */
async function matrix(t, name, cell, vis = VIS) {
  const rule = RULES[name];
  assert.ok(rule, `no rule for ${name}`);
  let cells = 0;
  const bad = [];
  for (const w of VIEWERS) {
    for (const v of vis) {
      const want = rule(v, w);
      if (want === undefined) continue;
      cells++;
      let verdict;
      try {
        verdict = await judge(want, await cell(v, w, want));
      } catch (e) {
        verdict = `threw ${e.message}`;
      }
      if (verdict !== true) bad.push(`${v} post, ${w}: want ${want}, ${verdict}`);
    }
  }
  totals.cells += cells;
  totals.mismatches += bad.length;
  totals.byRule[name] = cells;
  t.diagnostic(`${name}: ${cells} cells, ${bad.length} mismatches`);
  assert.deepEqual(bad, [], `${name}: ${bad.length} of ${cells} cells wrong`);
}

async function judge(want, out) {
  if (want === LISTED || want === ABSENT) {
    const has = out;
    return has === (want === LISTED) ? true : has ? 'listed' : 'not listed';
  }
  const { r, missing, ok } = out;
  if (want === HIDDEN) return sameAsMissing(r, await missing());
  if (want === REFUSED) {
    if (r.status !== 422 || typeof r.json?.error !== 'string') return `answers ${show(r).slice(0, 160)}, want 422 with an error`;
    return true;
  }
  if (r.status !== 200) return `answers ${show(r).slice(0, 160)}`;
  const v = ok ? ok(r.json) : true;
  return v === true ? true : `200, but ${v === false ? show(r).slice(0, 160) : v}`;
}

/** A GET (or other request) of `path(id)` as `w`, with the missing-id twin. */
function probe(w, method, path, id, o = {}, ok) {
  const token = tok(w);
  const send = (x) => request(srv, method, path(x), { token, ...(typeof o === 'function' ? o(x) : o) });
  return send(id).then((r) => ({ r, missing: () => send(fakeLike(id)), ok }));
}

/** Ids of a timeline from `path` down to the fence (walking rel=next). */
async function timelineIds(path, token) {
  const got = new Set();
  let next = path;
  for (let n = 0; next; n++) {
    assert.ok(n < 100, `too many pages: ${path}`);
    const r = await get(srv, next, { token });
    assert.equal(r.status, 200, `${next}: ${show(r)}`);
    for (const s of r.json) got.add(s.id);
    if (r.json.length === 0 || BigInt(r.json.at(-1).id) <= fence) break;
    next = parseLinks(r).next;
  }
  return got;
}

async function statusAsAuthor(v) {
  return must(await get(srv, `/api/v1/statuses/${P[v].id}`, { token: U.author.token }), `status ${v}`);
}

// ------------------------------------------------------------ reads

describe('reads of a post x visibility x viewer', () => {
  test('GET /api/v1/statuses/:id', async (t) => {
    await matrix(t, 'status', (v, w) => probe(w, 'GET', (x) => `/api/v1/statuses/${x}`, P[v].id, {}, (j) => j.id === P[v].id));
  });

  test('GET /api/v1/statuses/:id/context', async (t) => {
    await matrix(t, 'context', (v, w) => probe(w, 'GET', (x) => `/api/v1/statuses/${x}/context`, P[v].id, {}, (j) => {
      const d = j.descendants.map((s) => s.id);
      return d.length === 1 && d[0] === C[v].id ? true : `descendants ${JSON.stringify(d)}`;
    }));
  });

  test('the post as the parent in a public comment\'s context', async (t) => {
    await matrix(t, 'context as a parent', async (v, w) => {
      const r = must(await get(srv, `/api/v1/statuses/${C[v].id}/context`, { token: tok(w) }), 'a public comment\'s context');
      const anc = r.ancestors.map((s) => s.id);
      assert.ok(anc.length === 0 || (anc.length === 1 && anc[0] === P[v].id), `ancestors ${anc}`);
      return anc.length === 1;
    });
  });

  test('GET /api/v1/statuses/:id/favourited_by', async (t) => {
    await matrix(t, 'favourited_by', (v, w) => probe(w, 'GET', (x) => `/api/v1/statuses/${x}/favourited_by`, P[v].id, {}, (j) =>
      j.length === 1 && j[0].id === U.commenter.id ? true : `likers ${JSON.stringify(j.map((a) => a.id))}`));
  });

  test('GET /api/v1/statuses/:id/reblogged_by (when the route exists)', async (t) => {
    if (!routeExists('GET', '/api/v1/statuses/:id/reblogged_by')) {
      t.diagnostic('reblogged_by: not in the route table (Mastodon has it); 0 cells');
      return;
    }
    await matrix(t, 'reblogged_by', (v, w) => probe(w, 'GET', (x) => `/api/v1/statuses/${x}/reblogged_by`, P[v].id, {}, (j) => {
      const want = THROUGH_REBLOG.includes(v) ? [U.commenter.id] : [];
      return JSON.stringify(j.map((a) => a.id)) === JSON.stringify(want) ? true : `rebloggers ${JSON.stringify(j.map((a) => a.id))}`;
    }));
  });

  test('GET /api/v1/statuses/:id/history', async (t) => {
    await matrix(t, 'history', (v, w) => probe(w, 'GET', (x) => `/api/v1/statuses/${x}/history`, P[v].id, {}, (j) =>
      j.length === 2 && j[1].content.includes('edited') ? true : `${j.length} versions`));
  });

  test('GET /api/v1/statuses/:id/source', async (t) => {
    await matrix(t, 'source', (v, w) => probe(w, 'GET', (x) => `/api/v1/statuses/${x}/source`, P[v].id, {}, (j) =>
      j.id === P[v].id && j.text === `${postText(v)} edited` ? true : JSON.stringify(j)));
  });

  test('GET /api/v1/media/:id of the attached photo', async (t) => {
    const mid = {};
    for (const v of VIS) {
      mid[v] = P[v].media_attachments[0].id;
      known.add(mid[v]);
    }
    await matrix(t, 'media by id', (v, w) => probe(w, 'GET', (x) => `/api/v1/media/${x}`, mid[v], {}, (j) => j.id === mid[v]));
  });

  test('the photo files of a visible post (from the viewer\'s own answer)', async (t) => {
    await matrix(t, 'media file', async (v, w) => {
      const s = must(await get(srv, `/api/v1/statuses/${P[v].id}`, { token: tok(w) }), 'status');
      const m = s.media_attachments;
      if (m.length !== 1) return { r: { status: 0, text: `${m.length} attachments`, headers: {} } };
      const files = [];
      for (const u of [m[0].url, m[0].preview_url]) {
        const r = await get(srv, new URL(u).pathname, { token: tok(w) });
        files.push(r);
        if (r.status !== 200) return { r };
      }
      return {
        r: { status: 200, json: files, text: '', headers: {} },
        ok: (fs) => fs.every((f) => /^image\//.test(f.headers['content-type']) && f.headers['x-content-type-options'] === 'nosniff')
          || 'not an image with nosniff',
      };
    });
  });

  test('GET /api/v1/accounts/:id/statuses of the author', async (t) => {
    const lists = {};
    for (const w of VIEWERS) lists[w] = await timelineIds(`/api/v1/accounts/${U.author.id}/statuses?limit=40`, tok(w));
    await matrix(t, 'account statuses', async (v, w) => lists[w].has(P[v].id));
  });

  test('home timeline', async (t) => {
    const lists = {};
    for (const w of VIEWERS.filter(signedIn)) lists[w] = await timelineIds('/api/v1/timelines/home?limit=40', tok(w));
    await matrix(t, 'home', async (v, w) => lists[w].has(P[v].id));
  });

  test('public timeline', async (t) => {
    const lists = {};
    for (const w of VIEWERS) lists[w] = await timelineIds('/api/v1/timelines/public?limit=40', tok(w));
    await matrix(t, 'public timeline', async (v, w) => lists[w].has(P[v].id));
  });

  test('tag timeline', async (t) => {
    const lists = {};
    for (const w of VIEWERS) lists[w] = await timelineIds(`/api/v1/timelines/tag/${K}tag?limit=40`, tok(w));
    await matrix(t, 'tag timeline', async (v, w) => lists[w].has(P[v].id));
  });

  test('search (statuses)', async (t) => {
    await matrix(t, 'search', async (v, w) => {
      const r = must(await get(srv, `/api/v2/search?type=statuses&q=${K}${v}`, { token: tok(w) }), 'search');
      return r.statuses.some((s) => s.id === P[v].id);
    });
  });

  test('trending posts', async (t) => {
    const lists = {};
    for (const w of VIEWERS) {
      lists[w] = new Set(must(await get(srv, '/api/v1/trends/statuses?limit=40', { token: tok(w) }), 'trends').map((s) => s.id));
    }
    await matrix(t, 'trending posts', async (v, w) => lists[w].has(P[v].id));
  });

  test('the mention notification', async (t) => {
    const lists = {};
    for (const w of VIEWERS.filter(signedIn)) {
      lists[w] = must(await get(srv, '/api/v1/notifications?limit=80', { token: tok(w) }), 'notifications');
    }
    await matrix(t, 'mention notification', async (v, w) => {
      // A mention of this post, or one whose post is hidden (status null).
      const about = lists[w].filter((n) => n.type === 'mention' && (n.status?.id === P[v].id || !n.status));
      if (about.length > 1 || about.some((n) => n.account.id !== U.author.id || !n.status)) {
        throw new Error(`mentions: ${JSON.stringify(about.map((n) => [n.account.id, n.status?.id ?? null]))}`);
      }
      return about.length === 1;
    });
  });
});

// ------------------------------------------------------------ actions

describe('actions on a post x visibility x viewer', () => {
  // POST /api/v1/statuses/:id/<verb>; `ok(json, v)` judges a 200.
  const on = (verb, ok) => (v, w) => probe(w, 'POST', (x) => `/api/v1/statuses/${x}/${verb}`, P[v].id, {}, (j) => ok(j, v));
  const it = (j, v) => j.id === P[v].id;

  // Each action, then its undo, so that the post is as before.
  test('favourite', (t) => matrix(t, 'favourite', on('favourite', (j, v) => it(j, v) && j.favourited === true)));
  test('favourites list', async (t) => {
    const lists = {};
    for (const w of VIEWERS.filter(signedIn)) lists[w] = await timelineIds('/api/v1/favourites?limit=40', tok(w));
    await matrix(t, 'favourites list', async (v, w) => lists[w].has(P[v].id));
  });
  test('unfavourite', (t) => matrix(t, 'unfavourite', on('unfavourite', (j, v) => it(j, v) && j.favourited === false)));
  test('bookmark', (t) => matrix(t, 'bookmark', on('bookmark', (j, v) => it(j, v) && j.bookmarked === true)));
  test('bookmarks list', async (t) => {
    const lists = {};
    for (const w of VIEWERS.filter(signedIn)) lists[w] = await timelineIds('/api/v1/bookmarks?limit=40', tok(w));
    await matrix(t, 'bookmarks list', async (v, w) => lists[w].has(P[v].id));
  });
  test('unbookmark', (t) => matrix(t, 'unbookmark', on('unbookmark', (j, v) => it(j, v) && j.bookmarked === false)));
  test('reblog', (t) => matrix(t, 'reblog', on('reblog', (j, v) => j.reblog?.id === P[v].id && j.reblog.reblogged === true)));
  test('unreblog', (t) => matrix(t, 'unreblog', on('unreblog', (j, v) => it(j, v) && j.reblogged === false)));
  test('pin', (t) => matrix(t, 'pin', on('pin', (j, v) => it(j, v) && j.pinned === true)));
  test('pinned on the profile', async (t) => {
    const lists = {};
    for (const w of VIEWERS) lists[w] = await timelineIds(`/api/v1/accounts/${U.author.id}/statuses?pinned=true&limit=40`, tok(w));
    await matrix(t, 'pinned on the profile', async (v, w) => lists[w].has(P[v].id));
  });
  test('unpin', (t) => matrix(t, 'unpin', on('unpin', (j, v) => it(j, v) && j.pinned === false)));

  test('reply (in_reply_to_id)', async (t) => {
    await matrix(t, 'reply', async (v, w) => {
      const form = (x) => ({ form: { status: `re ${w}`, in_reply_to_id: x, visibility: 'direct' } });
      const out = await probe(w, 'POST', () => '/api/v1/statuses', P[v].id, form, (j) => j.in_reply_to_id === P[v].id);
      if (out.r.status === 200) must(await request(srv, 'DELETE', `/api/v1/statuses/${out.r.json.id}`, { token: tok(w) }), 'delete the reply');
      // A hidden parent: compare with a reply to a missing id.
      return { ...out, missing: () => request(srv, 'POST', '/api/v1/statuses', { token: tok(w), ...form(fakeLike(P[v].id)) }) };
    });
  });

  test('edit (PUT)', async (t) => {
    await matrix(t, 'edit', (v, w) => probe(w, 'PUT', (x) => `/api/v1/statuses/${x}`, P[v].id,
      { form: { status: `${postText(v)} edited` } }, (j) => j.id === P[v].id && j.edited_at !== null));
  });

  // Through the commenter's reblog of the post. Each success is undone at
  // once (not a cell): unfavourite or unbookmark the post, or delete the new
  // reblog (whoever made it may).
  const via = (verb, ok, undo) => async (v, w) => {
    const out = await probe(w, 'POST', (x) => `/api/v1/statuses/${x}/${verb}`, RB[v].id, {}, (j) => ok(j, v));
    if (out.r.status === 200) {
      const u = verb === 'reblog'
        ? await request(srv, 'DELETE', `/api/v1/statuses/${out.r.json.id}`, { token: tok(w) })
        : await post(srv, `/api/v1/statuses/${P[v].id}/${undo}`, { token: tok(w) });
      if (u.status !== 200) throw new Error(`undoing the ${verb} answered ${show(u).slice(0, 120)}; it was ${show(out.r).slice(0, 200)}`);
    }
    return out;
  };
  test('GET a reblog of the post', (t) => matrix(t, 'reblog: GET',
    (v, w) => probe(w, 'GET', (x) => `/api/v1/statuses/${x}`, RB[v].id, {}, (j) => j.reblog?.id === P[v].id), THROUGH_REBLOG));
  test('favourite through a reblog', (t) => matrix(t, 'reblog: favourite',
    via('favourite', (j, v) => j.id === P[v].id && j.favourited === true, 'unfavourite'), THROUGH_REBLOG));
  test('bookmark through a reblog', (t) => matrix(t, 'reblog: bookmark',
    via('bookmark', (j, v) => j.id === P[v].id && j.bookmarked === true, 'unbookmark'), THROUGH_REBLOG));
  test('reblog through a reblog', (t) => matrix(t, 'reblog: reblog',
    via('reblog', (j, v) => j.reblog?.id === P[v].id), THROUGH_REBLOG));
  test('reply through a reblog', (t) => matrix(t, 'reblog: reply', async (v, w) => {
    const form = (x) => ({ form: { status: `re ${w}`, in_reply_to_id: x, visibility: 'direct' } });
    const out = await probe(w, 'POST', () => '/api/v1/statuses', RB[v].id, form, (j) => j.in_reply_to_id === P[v].id);
    if (out.r.status === 200) must(await request(srv, 'DELETE', `/api/v1/statuses/${out.r.json.id}`, { token: tok(w) }), 'delete the reply');
    return { ...out, missing: () => request(srv, 'POST', '/api/v1/statuses', { token: tok(w), ...form(fakeLike(RB[v].id)) }) };
  }, THROUGH_REBLOG));

  test('nothing the actions undid moved a counter', async () => {
    for (const v of VIS) {
      const s = await statusAsAuthor(v);
      const reblogs = THROUGH_REBLOG.includes(v) ? 1 : 0;
      assert.deepEqual(
        [v, s.favourites_count, s.replies_count, s.reblogs_count, s.favourited, s.bookmarked, s.reblogged, s.pinned],
        [v, 1, 1, reblogs, false, false, false, false],
        `${v}: only the commenter's like, comment and reblog remain`,
      );
    }
  });

  test('delete (the author\'s last)', async (t) => {
    await matrix(t, 'delete', (v, w) => probe(w, 'DELETE', (x) => `/api/v1/statuses/${x}`, P[v].id, {}, (j) => j.id === P[v].id));
    for (const v of VIS) {
      const r = await get(srv, `/api/v1/statuses/${P[v].id}`, { token: U.author.token });
      assert.equal(r.status, 404, `deleted ${v}: ${show(r)}`);
    }
  });

  test('authz totals', (t) => {
    let want = 0;
    for (const [name, rule] of Object.entries(RULES)) {
      if (name === 'reblogged_by' && !routeExists('GET', '/api/v1/statuses/:id/reblogged_by')) continue;
      const vis = name.startsWith('reblog: ') ? THROUGH_REBLOG : VIS;
      for (const w of VIEWERS) for (const v of vis) if (rule(v, w) !== undefined) want++;
    }
    t.diagnostic(`authz cells ${totals.cells} mismatches ${totals.mismatches}`);
    assert.equal(totals.cells, want, `every cell of the rule table was checked: ${JSON.stringify(totals.byRule)}`);
    assert.equal(totals.mismatches, 0);
  });
});

// ------------------------------------------------------------ scopes

// Every route of `pinhole routes`, by its scope: read (read, read:*,
// profile) or write (write, write:*, follow, push), or one of the public
// routes that need no scope at all. A route that fits none fails the test,
// so a new route must be classified here or carry a scope.
const UNSCOPED = new Set([
  'GET /healthz', 'GET /readyz', 'GET /', 'GET /assets/:file', 'GET /app/:file',
  'GET /api/v1/instance', 'GET /api/v2/instance', 'POST /api/v1/apps', 'GET /api/v1/apps/verify_credentials',
  'GET /oauth/authorize', 'POST /oauth/authorize', 'POST /oauth/token', 'POST /oauth/revoke',
  'GET /.well-known/oauth-authorization-server', 'GET /auth/sign_up', 'POST /auth/sign_up',
  'GET /media/:token/:variant',
  // Public profiles. Mastodon checks read:accounts when a token is given
  // (authorize_if_got_token!); pinhole does not: a write-only token can read
  // what anyone can read anonymously. Reported, not a leak.
  'GET /api/v1/accounts/lookup', 'GET /api/v1/accounts/:id',
]);
const READ_SCOPE = /^(read(:[a-z_]+)?|profile)$/;
const WRITE_SCOPE = /^(write(:[a-z_]+)?|follow|push)$/;
const SCOPE_ERROR = '{"error":"This action is outside the authorized scopes"}';
const USER_ERROR = '{"error":"This method requires an authenticated user"}';

function classify(r) {
  const key = `${r.method} ${r.path}`;
  if (!r.scope) return UNSCOPED.has(key) ? 'unscoped' : null;
  if (READ_SCOPE.test(r.scope)) return 'read';
  if (WRITE_SCOPE.test(r.scope)) return 'write';
  return null;
}

describe('scopes and token kinds on every route', () => {
  const S = {}; // the world of this part
  before(async () => {
    const app = await createApp(srv, { scopes: 'read write follow push' });
    [S.me, S.other, S.asker] = await Promise.all(['scoper', 'other', 'asker'].map(newUser));
    const me = S.me;
    S.full = me.token;
    S.read = must(await passwordGrant(srv, app, me.username, me.password, 'read'), 'read token').access_token;
    S.write = must(await passwordGrant(srv, app, me.username, me.password, 'write'), 'write token').access_token;
    S.app = await appToken(srv, app, 'read write follow push');
    // Things every route can point at, all of the scoper's own, so that a
    // write that got through would show.
    must(await post(srv, `/api/v1/accounts/${me.id}/follow`, { token: S.other.token }), 'other follows');
    must(await request(srv, 'PATCH', '/api/v1/accounts/update_credentials', { token: S.full, form: { locked: 'true', display_name: 'Scoper' } }), 'lock');
    must(await post(srv, `/api/v1/accounts/${me.id}/follow`, { token: S.asker.token }), 'asker asks');
    S.tag = `${K}scope`;
    const [m, unattached] = await Promise.all([upload(me, JPG), upload(me, PNG)]);
    S.status = must(await post(srv, '/api/v1/statuses', {
      token: S.full, form: [['status', `mine #${S.tag}`], ['media_ids[]', m.id]],
    }), 'own post');
    S.media = unattached.id;
    must(await post(srv, `/api/v1/statuses/${S.status.id}/favourite`, { token: S.other.token }), 'other likes');
    const notes = must(await get(srv, '/api/v1/notifications', { token: S.full }), 'notifications');
    assert.ok(notes.length >= 2, `notifications: ${JSON.stringify(notes.map((n) => n.type))}`);
    S.notification = notes[0].id;
    S.notes = notes.length;
  });

  /** The path with every parameter filled by a real id; throws on an unknown one. */
  function fill(path) {
    return path.replace(/:([a-z_]+)/g, (_, p) => {
      if (path.startsWith('/api/v1/statuses/') && p === 'id') return S.status.id;
      if (path.startsWith('/api/v1/accounts/') && p === 'id') return S.other.id;
      if (path.startsWith('/api/v1/follow_requests/') && p === 'id') return S.asker.id;
      if (path.startsWith('/api/v1/media/') && p === 'id') return S.media;
      if (path.startsWith('/api/v1/notifications/') && p === 'id') return S.notification;
      if (p === 'tag' || p === 'name') return S.tag;
      throw new Error(`no value for :${p} in ${path}: teach fill() this route`);
    });
  }

  /** A body that would make the write visible if it went through. */
  function bodyFor(r) {
    const k = `${r.method} ${r.path}`;
    const bodies = {
      'POST /api/v1/statuses': { form: [['status', 'must not exist'], ['media_ids[]', S.media]] },
      'PUT /api/v1/statuses/:id': { form: { status: 'HACKED' } },
      'PATCH /api/v1/accounts/update_credentials': { form: { display_name: 'HACKED', locked: 'false' } },
      'POST /api/v1/pinhole/account/password': { form: { current_password: S.me.password, password: 'a brand new password 1' } },
      'POST /api/v1/media': { multipart: [['file', new Blob([JPG]), 'p.jpg']] },
      'POST /api/v2/media': { multipart: [['file', new Blob([JPG]), 'p.jpg']] },
      'PUT /api/v1/media/:id': { form: { description: 'HACKED' } },
      'POST /api/v1/markers': { form: { 'notifications[last_read_id]': S.notification } },
      'POST /api/v1/accounts': { form: { username: 'scopehack', email: 'scopehack@example.com', password: 'long enough pw', agreement: 'true' } },
    };
    return bodies[k] ?? {};
  }

  async function state() {
    const g = async (path, token = S.full) => must(await get(srv, path, { token }), path);
    const me = await g('/api/v1/accounts/verify_credentials');
    const s = await g(`/api/v1/statuses/${S.status.id}`);
    const rel = await g(`/api/v1/accounts/relationships?id[]=${S.other.id}`);
    return {
      me: [me.display_name, me.locked, me.statuses_count, me.following_count, me.followers_count],
      status: [s.content, s.favourited, s.bookmarked, s.reblogged, s.pinned, s.reblogs_count],
      rel: [rel[0].following, rel[0].blocking, rel[0].muting],
      requests: (await g('/api/v1/follow_requests')).map((a) => a.id),
      notes: (await g('/api/v1/notifications')).length,
      tags: (await g('/api/v1/followed_tags')).length,
      media: (await g(`/api/v1/media/${S.media}`)).description,
      markers: JSON.stringify(await g('/api/v1/markers?timeline[]=notifications')),
      lookup: (await get(srv, '/api/v1/accounts/lookup?acct=scopehack')).status,
    };
  }

  test('every route is classified and every path parameter can be filled', () => {
    const bad = [];
    for (const r of routes) {
      if (!classify(r)) bad.push(`${r.method} ${r.path} (${r.auth}, scope "${r.scope}")`);
      try {
        if (classify(r) !== 'unscoped') fill(r.path);
      } catch (e) {
        bad.push(e.message);
      }
    }
    assert.deepEqual(bad, [], 'routes this test does not know how to classify or fill');
    assert.ok(routes.length >= 80, `only ${routes.length} routes read`);
  });

  test('a read-only token: every write route answers 403 and changes nothing', async (t) => {
    const before_ = await state();
    const writes = routes.filter((r) => classify(r) === 'write');
    const bad = [];
    for (const r of writes) {
      const res = await request(srv, r.method, fill(r.path), { token: S.read, ...bodyFor(r), timeoutMs: 60000 });
      if (res.status !== 403 || res.text !== SCOPE_ERROR || !/^application\/json/.test(res.headers['content-type'])) {
        bad.push(`${r.method} ${r.path}: ${show(res).slice(0, 160)}`);
      }
    }
    t.diagnostic(`read-only token: ${writes.length} write routes, ${bad.length} wrong`);
    assert.deepEqual(bad, []);
    assert.deepEqual(await state(), before_, 'nothing changed');
    // The password is the same, and sign_out_everywhere signed nobody out.
    must(await get(srv, '/api/v1/accounts/verify_credentials', { token: S.read }), 'read token still works');
    must(await get(srv, '/api/v1/accounts/verify_credentials', { token: S.full }), 'full token still works');
    const app = await createApp(srv, { scopes: 'read' });
    must(await passwordGrant(srv, app, S.me.username, S.me.password, 'read'), 'old password still works');
  });

  test('a write-only token: every read route answers 403; a full token does not', async (t) => {
    const reads = routes.filter((r) => classify(r) === 'read');
    const bad = [];
    for (const r of reads) {
      const path = fill(r.path);
      const res = await request(srv, r.method, path, { token: S.write });
      if (res.status !== 403 || res.text !== SCOPE_ERROR) bad.push(`${r.method} ${r.path}: ${show(res).slice(0, 160)}`);
      const ok = await request(srv, r.method, path, { token: S.full });
      if (ok.status === 401 || ok.status === 403) bad.push(`${r.method} ${r.path} with a full token: ${show(ok).slice(0, 160)}`);
    }
    t.diagnostic(`write-only token: ${reads.length} read routes, ${bad.length} wrong`);
    assert.deepEqual(bad, []);
  });

  test('an app-only token (client_credentials): user routes refuse it, changing nothing', async (t) => {
    const before_ = await state();
    const bad = [];
    let n = 0;
    for (const r of routes) {
      if (r.auth !== 'user token') continue;
      n++;
      const res = await request(srv, r.method, fill(r.path), { token: S.app, ...bodyFor(r), timeoutMs: 60000 });
      // Mastodon's require_user! (422 in Mastodon; pinhole answers 403).
      if (res.status !== 403 || res.text !== USER_ERROR) bad.push(`${r.method} ${r.path}: ${show(res).slice(0, 160)}`);
    }
    // Routes for an app, or public with a scope the app token holds, take it.
    for (const r of routes) {
      if (r.auth === 'user token' || r.method !== 'GET' || classify(r) === 'unscoped' && r.auth !== 'app token') continue;
      const res = await request(srv, r.method, fill(r.path), { token: S.app });
      if (res.status === 401 || res.status === 403) bad.push(`${r.method} ${r.path} refused an app token: ${show(res).slice(0, 160)}`);
    }
    t.diagnostic(`app-only token: ${n} user routes, ${bad.length} wrong`);
    assert.deepEqual(bad, []);
    assert.deepEqual(await state(), before_, 'nothing changed');
  });
});
