// The visibility and blocks matrix: posts of every visibility (public,
// unlisted, private, direct) x readers (anonymous, stranger, follower,
// mentioned, blocked = the author blocked this reader, author) x reads
// (the post, its context, its context as a reply's parent, the author's
// statuses, home, public and tag timelines, search, favourited_by, the
// mention notification) and two writes (like, comment) that a hidden post
// must refuse. Every cell is checked; a hidden object must answer exactly
// like a missing one (same status, same body, same content type).
//
// Who may see a post (Mastodon's StatusPolicy#show?, SECURITY.md "one
// visibility check"): the author always; public and unlisted: everyone
// except an account the author blocks; private: followers and mentioned
// accounts; direct: mentioned accounts. Each read test counts the cells it
// checked and lists every mismatch; it passes only with none.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { REPO_ROOT, get, must, parseLinks, post, registerUser, show, startServer, uniqueName } from './lib/server.mjs';

const PNG = await readFile(join(REPO_ROOT, 'tests', 'fixtures', 'seeding-256.png'));
const JPG = await readFile(join(REPO_ROOT, 'tests', 'fixtures', 'sunset-600.jpg'));

const VIS = ['public', 'unlisted', 'private', 'direct'];
const READERS = ['anonymous', 'stranger', 'follower', 'mentioned', 'blocked', 'author'];
const MISSING = '1234567890123';

let srv;
const U = {}; // role -> user
const P = {}; // visibility -> post
const R = {}; // visibility -> a public comment on that post by the commenter
let K; // a unique word for this run
let fence; // an id below every post of the matrix
const totals = { cells: 0, mismatches: 0 };

async function newUser(prefix) {
  const u = await registerUser(srv, { username: uniqueName(prefix) });
  const me = must(await get(srv, '/api/v1/accounts/verify_credentials', { token: u.token }), 'verify_credentials');
  u.id = me.id;
  u.username = me.username;
  return u;
}

const act = async (u, verb, target) => must(await post(srv, `/api/v1/accounts/${target.id}/${verb}`, { token: u.token }), verb);

function canSee(vis, reader) {
  if (reader === 'author') return true;
  if (reader === 'blocked') return false;
  if (vis === 'public' || vis === 'unlisted') return true;
  if (vis === 'private') return reader === 'follower' || reader === 'mentioned';
  return reader === 'mentioned';
}

const tokenOf = (reader) => (reader === 'anonymous' ? undefined : U[reader].token);

/** Ids of a timeline from `path` down to the fence (walking rel=next). */
async function timelineIds(path, token) {
  const got = [];
  let next = path;
  for (let n = 0; next; n++) {
    assert.ok(n < 100, `too many pages: ${path}`);
    const r = await get(srv, next, { token });
    assert.equal(r.status, 200, `${next}: ${show(r)}`);
    got.push(...r.json.map((s) => s.id));
    if (r.json.length === 0 || BigInt(r.json.at(-1).id) <= fence) break;
    next = parseLinks(r).next;
  }
  return new Set(got);
}

/** Runs the cells of one read; returns nothing, asserts no mismatch. */
async function matrix(t, name, readers, cell) {
  let cells = 0;
  const bad = [];
  for (const reader of readers) {
    for (const vis of VIS) {
      const out = await cell(reader, vis);
      if (out === undefined) continue; // not a cell of this read
      cells++;
      if (out !== true) bad.push(`${vis} post, ${reader}: ${out}`);
    }
  }
  totals.cells += cells;
  totals.mismatches += bad.length;
  t.diagnostic(`${name}: ${cells} cells checked, ${bad.length} mismatches`);
  assert.deepEqual(bad, [], `${name}: ${bad.length} of ${cells} cells wrong`);
}

/** true, or why `r` is not the same answer as `missing`. */
function sameAsMissing(r, missing) {
  if (r.status !== missing.status) return `answers ${r.status}, a missing one ${missing.status}: ${show(r).slice(0, 160)}`;
  if (r.text !== missing.text) return `body ${JSON.stringify(r.text.slice(0, 120))} differs from a missing one's ${JSON.stringify(missing.text)}`;
  if (r.headers['content-type'] !== missing.headers['content-type']) return 'content type differs';
  return true;
}

before(async () => {
  srv = await startServer();
  K = `m${Date.now().toString(36)}`;
  for (const role of ['author', 'stranger', 'follower', 'mentioned', 'blocked', 'commenter']) U[role] = await newUser(role.slice(0, 4));
  const { author, follower, mentioned, blocked, commenter } = U;
  await act(follower, 'follow', author);
  await act(commenter, 'follow', author);
  await act(blocked, 'follow', author);
  await act(author, 'block', blocked); // also ends blocked's follow
  let i = 0;
  for (const vis of VIS) {
    const m = must(await post(srv, '/api/v1/media', {
      token: author.token, multipart: [['file', new Blob([i++ % 2 ? PNG : JPG]), 'p.jpg']], timeoutMs: 60000,
    }), 'upload');
    P[vis] = must(await post(srv, '/api/v1/statuses', {
      token: author.token,
      form: [['status', `@${mentioned.username} @${commenter.username} ${K}${vis} #${K}tag`], ['media_ids[]', m.id], ['visibility', vis]],
    }), `post ${vis}`);
    assert.equal(P[vis].visibility, vis);
  }
  fence = BigInt(P.public.id) - 1n;
  for (const vis of VIS) {
    R[vis] = must(await post(srv, '/api/v1/statuses', {
      token: commenter.token, form: { status: `a comment ${vis}`, in_reply_to_id: P[vis].id, visibility: 'public' },
    }), `comment on ${vis}`);
    must(await post(srv, `/api/v1/statuses/${P[vis].id}/favourite`, { token: commenter.token }), `like ${vis}`);
  }
});
after(async () => {
  await srv?.stop();
});

describe('visibility x readers x reads', () => {
  test('GET /statuses/:id', async (t) => {
    await matrix(t, 'status', READERS, async (reader, vis) => {
      const token = tokenOf(reader);
      const r = await get(srv, `/api/v1/statuses/${P[vis].id}`, { token });
      if (canSee(vis, reader)) return r.status === 200 && r.json.id === P[vis].id ? true : `hidden from a reader who may see it: ${show(r).slice(0, 160)}`;
      return sameAsMissing(r, await get(srv, `/api/v1/statuses/${MISSING}`, { token }));
    });
  });

  test('GET /statuses/:id/context of the post', async (t) => {
    await matrix(t, 'context', READERS, async (reader, vis) => {
      const token = tokenOf(reader);
      const r = await get(srv, `/api/v1/statuses/${P[vis].id}/context`, { token });
      if (canSee(vis, reader)) {
        if (r.status !== 200) return `answers ${show(r).slice(0, 160)}`;
        const d = r.json.descendants.map((s) => s.id);
        return d.length === 1 && d[0] === R[vis].id ? true : `descendants ${JSON.stringify(d)}`;
      }
      return sameAsMissing(r, await get(srv, `/api/v1/statuses/${MISSING}/context`, { token }));
    });
  });

  test('the post as the parent in a public comment\'s context', async (t) => {
    await matrix(t, 'context as parent', READERS, async (reader, vis) => {
      const r = await get(srv, `/api/v1/statuses/${R[vis].id}/context`, { token: tokenOf(reader) });
      if (r.status !== 200) return `the public comment's context answers ${show(r).slice(0, 160)}`;
      const anc = r.json.ancestors.map((s) => s.id);
      const want = canSee(vis, reader) ? [P[vis].id] : [];
      return JSON.stringify(anc) === JSON.stringify(want) ? true : `ancestors ${JSON.stringify(anc)}, want ${JSON.stringify(want)}`;
    });
  });

  test('GET /accounts/:id/statuses of the author', async (t) => {
    const lists = {};
    for (const reader of READERS) {
      const r = await get(srv, `/api/v1/accounts/${U.author.id}/statuses?limit=40`, { token: tokenOf(reader) });
      lists[reader] = r.status === 200 ? new Set(r.json.map((s) => s.id)) : `answers ${show(r).slice(0, 100)}`;
    }
    await matrix(t, 'account statuses', READERS, async (reader, vis) => {
      if (typeof lists[reader] === 'string') return lists[reader];
      const has = lists[reader].has(P[vis].id);
      return has === canSee(vis, reader) ? true : has ? 'listed' : 'missing';
    });
  });

  test('home timeline', async (t) => {
    await matrix(t, 'home', READERS.filter((r) => r !== 'anonymous'), async (reader, vis) => {
      // Mastodon delivers a direct post to its author's and its mentioned
      // followers' homes; pinhole's home is top-level posts of followed
      // accounts up to private: the author's own direct post is not a cell.
      if (reader === 'author' && vis === 'direct') return undefined;
      const follows = reader === 'author' || reader === 'follower';
      const want = follows && canSee(vis, reader) && vis !== 'direct';
      const has = (await timelineIds('/api/v1/timelines/home?limit=40', tokenOf(reader))).has(P[vis].id);
      return has === want ? true : has ? 'listed' : 'missing';
    });
  });

  test('public timeline', async (t) => {
    await matrix(t, 'public', READERS, async (reader, vis) => {
      const want = vis === 'public' && canSee(vis, reader);
      const has = (await timelineIds('/api/v1/timelines/public?limit=40', tokenOf(reader))).has(P[vis].id);
      return has === want ? true : has ? 'listed' : 'missing';
    });
  });

  test('tag timeline', async (t) => {
    await matrix(t, 'tag', READERS, async (reader, vis) => {
      const want = vis === 'public' && canSee(vis, reader);
      const has = (await timelineIds(`/api/v1/timelines/tag/${K}tag?limit=40`, tokenOf(reader))).has(P[vis].id);
      return has === want ? true : has ? 'listed' : 'missing';
    });
  });

  test('search statuses', async (t) => {
    await matrix(t, 'search', READERS, async (reader, vis) => {
      const r = await get(srv, `/api/v2/search?type=statuses&q=${K}${vis}`, { token: tokenOf(reader) });
      if (r.status !== 200) return `answers ${show(r).slice(0, 120)}`;
      const has = r.json.statuses.some((s) => s.id === P[vis].id);
      return has === canSee(vis, reader) ? true : has ? 'found' : 'not found';
    });
  });

  test('GET /statuses/:id/favourited_by', async (t) => {
    await matrix(t, 'favourited_by', READERS, async (reader, vis) => {
      const token = tokenOf(reader);
      const r = await get(srv, `/api/v1/statuses/${P[vis].id}/favourited_by`, { token });
      if (canSee(vis, reader)) {
        if (r.status !== 200) return `answers ${show(r).slice(0, 160)}`;
        const ids = r.json.map((a) => a.id);
        return ids.length === 1 && ids[0] === U.commenter.id ? true : `likers ${JSON.stringify(ids)}`;
      }
      return sameAsMissing(r, await get(srv, `/api/v1/statuses/${MISSING}/favourited_by`, { token }));
    });
  });

  test('the mention notification', async (t) => {
    const lists = {};
    for (const reader of READERS.filter((r) => r !== 'anonymous')) {
      lists[reader] = must(await get(srv, '/api/v1/notifications?limit=80', { token: tokenOf(reader) }), 'notifications');
    }
    await matrix(t, 'mention notification', Object.keys(lists), async (reader, vis) => {
      const about = lists[reader].filter((n) => n.type === 'mention' && (n.status === null || n.status?.id === P[vis].id));
      if (reader === 'mentioned') {
        return about.length === 1 && about[0].type === 'mention' && about[0].account.id === U.author.id && about[0].status?.id === P[vis].id
          ? true : `notifications about it: ${JSON.stringify(about.map((n) => [n.type, n.status?.id ?? null]))}`;
      }
      return about.length === 0 ? true : `notified: ${JSON.stringify(about.map((n) => n.type))}`;
    });
  });
});

describe('writes on a hidden post answer like a missing post', () => {
  test('favourite', async (t) => {
    await matrix(t, 'favourite', READERS.filter((r) => r !== 'anonymous'), async (reader, vis) => {
      if (canSee(vis, reader)) return undefined;
      const token = tokenOf(reader);
      const r = await post(srv, `/api/v1/statuses/${P[vis].id}/favourite`, { token });
      return sameAsMissing(r, await post(srv, `/api/v1/statuses/${MISSING}/favourite`, { token }));
    });
  });

  test('comment', async (t) => {
    await matrix(t, 'comment', READERS.filter((r) => r !== 'anonymous'), async (reader, vis) => {
      if (canSee(vis, reader)) return undefined;
      const token = tokenOf(reader);
      const r = await post(srv, '/api/v1/statuses', { token, form: { status: 'psst', in_reply_to_id: P[vis].id } });
      return sameAsMissing(r, await post(srv, '/api/v1/statuses', { token, form: { status: 'psst', in_reply_to_id: MISSING } }));
    });
  });

  test('every cell was checked, and the counters did not move', async () => {
    // 6 readers x 4 posts for 8 reads, 5 x 4 (no anonymous) minus 1 for
    // home, 5 x 4 notifications, and the hidden cells of the two writes.
    const hiddenSignedIn = VIS.flatMap((v) => READERS.filter((r) => r !== 'anonymous' && !canSee(v, r))).length;
    assert.equal(totals.cells, 8 * 24 + 19 + 20 + 2 * hiddenSignedIn, 'cells checked');
    for (const vis of VIS) {
      const s = must(await get(srv, `/api/v1/statuses/${P[vis].id}`, { token: U.author.token }), 'status');
      assert.deepEqual([vis, s.favourites_count, s.replies_count], [vis, 1, 1], `${vis}: only the commenter's like and comment`);
    }
  });
});
