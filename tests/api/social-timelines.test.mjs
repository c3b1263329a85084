// Timelines and interactions, black-box: what the home, public, tag and
// account timelines contain (and do not), Link pagination walked to the
// end, likes (idempotent, counted, favourited_by, /favourites), bookmarks,
// comments (replies_count, context, deletion).
//
// Mastodon semantics: docs.joinmastodon.org/methods/timelines/,
// /methods/statuses/, /methods/accounts/#statuses, /methods/favourites/.
// pinhole's own rules (from the brief): a top-level post needs a photo and
// the home timeline shows top-level posts only (comments are read in a
// post's context).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { REPO_ROOT, get, must, parseLinks, post, registerUser, request, show, startServer, uniqueName, walkPages } from './lib/server.mjs';

const PNG = await readFile(join(REPO_ROOT, 'tests', 'fixtures', 'seeding-256.png'));
const JPG = await readFile(join(REPO_ROOT, 'tests', 'fixtures', 'sunset-600.jpg'));

let srv;
before(async () => {
  srv = await startServer();
});
after(async () => {
  await srv?.stop();
});

// ------------------------------------------------------------- helpers

const walk = (path, token) => walkPages(srv, path, token);

async function newUser(prefix = 't') {
  const u = await registerUser(srv, { username: uniqueName(prefix) });
  const me = must(await get(srv, '/api/v1/accounts/verify_credentials', { token: u.token }), 'verify_credentials');
  u.id = me.id;
  u.username = me.username;
  return u;
}

const act = async (u, verb, target, form) =>
  must(await post(srv, `/api/v1/accounts/${target.id}/${verb}`, { token: u.token, form }), `${verb} ${target.id}`);

let photoN = 0;
async function upload(u) {
  const bytes = photoN++ % 4 === 0 ? JPG : PNG;
  const r = await post(srv, '/api/v1/media', { token: u.token, multipart: [['file', new Blob([bytes]), 'photo.jpg']], timeoutMs: 60000 });
  return must(r, 'upload').id;
}

/** A top-level photo post. */
async function photo(u, text = 'a photo', visibility = 'public') {
  const id = await upload(u);
  const form = [['status', text], ['media_ids[]', id], ['visibility', visibility]];
  return must(await post(srv, '/api/v1/statuses', { token: u.token, form }), `post ${visibility}`);
}

/** A text comment on `parent`. */
async function comment(u, parent, text = 'nice', visibility = 'public') {
  const form = [['status', text], ['in_reply_to_id', parent.id ?? parent], ['visibility', visibility]];
  return must(await post(srv, '/api/v1/statuses', { token: u.token, form }), 'comment');
}

const del = (u, s) => request(srv, 'DELETE', `/api/v1/statuses/${s.id ?? s}`, { token: u.token });
const ids = (list) => list.map((s) => s.id);

/** Follows rel="next" from `path` to the end; returns the pages and all ids. */
/**
 * The public timeline above `fence` (an id): walks rel=next from the top
 * until a page reaches below the fence (Mastodon's next link carries max_id
 * only, not since_id), then keeps the ids above the fence.
 */
async function publicAbove(fence, token, limit = 2) {
  const got = [];
  let next = `/api/v1/timelines/public?limit=${limit}`;
  for (let n = 0; next; n++) {
    assert.ok(n < 200, 'too many pages');
    const r = await get(srv, next, { token });
    assert.equal(r.status, 200, `${next}: ${show(r)}`);
    got.push(...r.json.map((s) => s.id));
    if (r.json.length === 0 || BigInt(r.json.at(-1).id) <= fence) break;
    next = parseLinks(r).next;
  }
  assert.equal(new Set(got).size, got.length, `no duplicates: ${got}`);
  return got.filter((id) => BigInt(id) > fence);
}

async function status(id, u) {
  return must(await get(srv, `/api/v1/statuses/${id}`, { token: u?.token }), `GET status ${id}`);
}

async function accountOf(u) {
  return must(await get(srv, `/api/v1/accounts/${u.id}`), 'GET account');
}

/** Newest first, like every timeline. */
const desc = (...list) => list.map((s) => s.id).sort((a, b) => (BigInt(b) > BigInt(a) ? 1 : -1));

// ------------------------------------------------------------- home

describe('home timeline', () => {
  test('followed accounts and oneself, public/unlisted/private, top-level only, no muted or blocked authors', async () => {
    const [me, friend, stranger, muted, blocked, mentioned] = [
      await newUser('me'), await newUser('friend'), await newUser('stranger'),
      await newUser('muted'), await newUser('blocked'), await newUser('mentioned'),
    ];
    for (const u of [friend, muted, blocked]) await act(me, 'follow', u);
    const p1 = await photo(friend, 'public', 'public');
    const p2 = await photo(friend, 'unlisted', 'unlisted');
    const p3 = await photo(friend, 'private', 'private');
    await photo(friend, `direct to @${mentioned.username}`, 'direct');
    await comment(friend, p1, 'a comment by a followed account');
    await photo(stranger, 'not followed', 'public');
    const p6 = await photo(me, 'mine', 'public');
    const p7 = await photo(me, 'mine, private', 'private');
    await comment(me, p1, 'my own comment');
    const p8 = await photo(muted, 'muted author', 'public');
    await photo(blocked, 'blocked author', 'public');
    await act(me, 'mute', muted);
    await act(me, 'block', blocked);

    const home = await walk('/api/v1/timelines/home?limit=40', me.token);
    assert.deepEqual(home.ids, desc(p1, p2, p3, p6, p7));

    await act(me, 'unmute', muted);
    const after = await walk('/api/v1/timelines/home', me.token);
    assert.deepEqual(after.ids, desc(p1, p2, p3, p6, p7, p8), 'an unmuted author is back');

    await act(me, 'unfollow', friend);
    const later = await walk('/api/v1/timelines/home', me.token);
    assert.deepEqual(later.ids, desc(p6, p7, p8), 'an unfollowed author is gone');

    const anon = await get(srv, '/api/v1/timelines/home');
    assert.equal(anon.status, 401, `home without a token: ${show(anon)}`);
  });

  test('a followed hashtag brings in public top-level posts only; unfollowing the tag takes them out', async () => {
    const [me, stranger] = [await newUser('me'), await newUser('stranger')];
    const tag = `Fjord${Date.now().toString(36)}`;
    const tr = must(await post(srv, `/api/v1/tags/${tag}/follow`, { token: me.token }), 'follow tag');
    assert.equal(tr.following, true);
    assert.equal(tr.name.toLowerCase(), tag.toLowerCase());
    const pub = await photo(stranger, `look #${tag}`, 'public');
    await photo(stranger, `unlisted #${tag}`, 'unlisted');
    await photo(stranger, `private #${tag}`, 'private');
    await photo(stranger, `no tag here`, 'public');
    await comment(stranger, pub, `a comment #${tag}`);
    const upper = await photo(stranger, `shouting #${tag.toUpperCase()}`, 'public');
    const home = await walk('/api/v1/timelines/home', me.token);
    assert.deepEqual(home.ids, desc(pub, upper));
    const followed = must(await get(srv, '/api/v1/followed_tags', { token: me.token }), 'followed_tags');
    assert.deepEqual(followed.map((t) => [t.name.toLowerCase(), t.following]), [[tag.toLowerCase(), true]]);
    must(await post(srv, `/api/v1/tags/${tag}/unfollow`, { token: me.token }), 'unfollow tag');
    assert.deepEqual((await walk('/api/v1/timelines/home', me.token)).ids, []);
    assert.deepEqual(must(await get(srv, '/api/v1/followed_tags', { token: me.token }), 'followed_tags'), []);
  });

  test('several followed accounts and a followed tag interleave in order at every page size, a post in both sources once', async () => {
    const [me, w1, w2, w3, stranger] = [await newUser('me'), await newUser('w1'), await newUser('w2'), await newUser('w3'), await newUser('str')];
    for (const w of [w1, w2, w3]) await act(me, 'follow', w);
    const tag = `Merge${Date.now().toString(36)}`;
    must(await post(srv, `/api/v1/tags/${tag}/follow`, { token: me.token }), 'follow tag');
    const shown = [];
    const plan = [[w1, `#${tag}`], [w2, 'x'], [stranger, `#${tag}`], [w1, `#${tag}`], [w1, 'y'], [w3, 'z'], [stranger, 'untagged'], [me, 'mine'], [w2, `#${tag}`], [w1, `#${tag}`]];
    for (const [u, text] of plan) {
      const s = await photo(u, text);
      if (!(u === stranger && text === 'untagged')) shown.push(s);
    }
    const expected = desc(...shown);
    for (const limit of [1, 2, 3, 40]) {
      const { ids: all } = await walk(`/api/v1/timelines/home?limit=${limit}`, me.token);
      assert.deepEqual(all, expected, `limit=${limit}`);
    }
    // min_id pages walk upwards from the oldest and give the same posts
    const up = [];
    let min = '1';
    for (;;) {
      const page = ids(must(await get(srv, `/api/v1/timelines/home?min_id=${min}&limit=3`, { token: me.token }), 'min_id'));
      if (!page.length) break;
      up.push(...page.reverse());
      min = up[up.length - 1];
    }
    assert.deepEqual(up.reverse(), expected, 'min_id walk');
  });

  test('reblogs of posts the viewer may not see are left out without leaving a page short (or empty)', async () => {
    const [me, w, r, c] = [await newUser('me'), await newUser('writer'), await newUser('sharer'), await newUser('blocker')];
    await act(me, 'follow', w);
    await act(me, 'follow', r);
    const mine = [];
    for (let i = 0; i < 3; i++) mine.push(await photo(w, `visible ${i}`));
    await act(c, 'block', me); // c's posts are not for me, even shared by someone I follow
    for (let i = 0; i < 3; i++) {
      const p = await photo(c, `hidden ${i}`);
      must(await post(srv, `/api/v1/statuses/${p.id}/reblog`, { token: r.token }), 'reblog');
    }
    const expected = desc(...mine);
    for (const limit of [1, 2, 3]) {
      const first = must(await get(srv, `/api/v1/timelines/home?limit=${limit}`, { token: me.token }), `home limit=${limit}`);
      assert.deepEqual(ids(first), expected.slice(0, limit), `limit=${limit}: the newest visible posts, a full page`);
      const { ids: all } = await walk(`/api/v1/timelines/home?limit=${limit}`, me.token);
      assert.deepEqual(all, expected, `limit=${limit}: walking every page`);
    }
    // Reading upward from the newest visible post (min_id, how clients poll
    // for what is new): the hidden reblogs are all that is above it, then a
    // new visible post comes; every page size finds it.
    const above = (limit) => get(srv, `/api/v1/timelines/home?min_id=${mine[2].id}&limit=${limit}`, { token: me.token });
    assert.deepEqual(must(await above(2), 'min_id, nothing new'), []);
    const fresh = await photo(w, 'new and visible');
    for (const limit of [1, 2, 3, 20]) assert.deepEqual(ids(must(await above(limit), `min_id limit=${limit}`)), [fresh.id], `min_id limit=${limit}`);
    // r's own profile shows r's reblogs to someone not blocked.
    const other = await newUser('other');
    const seen = must(await get(srv, `/api/v1/accounts/${r.id}/statuses?limit=2`, { token: other.token }), 'profile');
    assert.equal(seen.length, 2);
  });

  test('pagination: rel=next to the end, prev returns the page before, since_id and min_id', async () => {
    const [me, w] = [await newUser('me'), await newUser('writer')];
    await act(me, 'follow', w);
    const posts = [];
    for (let i = 0; i < 9; i++) posts.push(await photo(w, `post ${i}`));
    const expected = desc(...posts);
    const { pages, ids: all } = await walk('/api/v1/timelines/home?limit=4', me.token);
    assert.deepEqual(pages.map((p) => p.ids.length), [4, 4, 1]);
    assert.deepEqual(all, expected);
    assert.deepEqual(must(await get(srv, pages[1].links.prev, { token: me.token }), 'prev').map((s) => s.id), pages[0].ids);
    // since_id: the newest above; min_id: the oldest above (both newest first)
    const since = must(await get(srv, `/api/v1/timelines/home?since_id=${posts[2].id}&limit=2`, { token: me.token }), 'since_id');
    assert.deepEqual(ids(since), [posts[8].id, posts[7].id]);
    const min = must(await get(srv, `/api/v1/timelines/home?min_id=${posts[2].id}&limit=2`, { token: me.token }), 'min_id');
    assert.deepEqual(ids(min), [posts[4].id, posts[3].id]);
    const max = must(await get(srv, `/api/v1/timelines/home?max_id=${posts[2].id}`, { token: me.token }), 'max_id');
    assert.deepEqual(ids(max), [posts[1].id, posts[0].id]);
  });
});

// ------------------------------------------------------------- public

describe('public timeline', () => {
  test('public top-level posts only, for anonymous and signed-in readers; muted and blocked authors hidden', async () => {
    const [a, b, viewer] = [await newUser('a'), await newUser('b'), await newUser('viewer')];
    const p1 = await photo(a, 'public 1', 'public');
    const fence = BigInt(p1.id) - 1n;
    await photo(a, 'unlisted', 'unlisted');
    await photo(a, 'private', 'private');
    await photo(a, `direct @${b.username}`, 'direct');
    await comment(b, p1, 'a public comment');
    const p2 = await photo(b, 'public 2', 'public');
    const p3 = await photo(a, 'public 3', 'public');
    assert.deepEqual(await publicAbove(fence), desc(p1, p2, p3));
    assert.deepEqual(await publicAbove(fence, viewer.token, 1), desc(p1, p2, p3));
    const since = must(await get(srv, `/api/v1/timelines/public?since_id=${fence}&limit=40`), 'since_id');
    assert.deepEqual(ids(since), desc(p1, p2, p3));
    await act(viewer, 'mute', a);
    assert.deepEqual(await publicAbove(fence, viewer.token), [p2.id]);
    await act(viewer, 'unmute', a);
    await act(b, 'block', viewer); // blocked by the author
    assert.deepEqual(await publicAbove(fence, viewer.token), desc(p1, p3));
    assert.deepEqual(await publicAbove(fence), desc(p1, p2, p3), 'anonymous still sees all');
  });
});

// ------------------------------------------------------------- tags

describe('tag timeline', () => {
  test('case-insensitive: #Café, #café and #CAFÉ are one tag, whatever case the path uses', async () => {
    const [u1, u2, u3] = [await newUser('c'), await newUser('c'), await newUser('c')];
    const a = await photo(u1, 'un #Café noir');
    const b = await photo(u2, 'un #café crème');
    const c = await photo(u3, 'UN #CAFÉ');
    await photo(u1, 'a #Café, unlisted', 'unlisted');
    await photo(u1, 'a #Café, private', 'private');
    const expected = desc(a, b, c);
    for (const name of ['café', 'Café', 'CAFÉ', 'cAfÉ']) {
      const r = must(await get(srv, `/api/v1/timelines/tag/${encodeURIComponent(name)}`), `tag ${name}`);
      assert.deepEqual(ids(r), expected, `/timelines/tag/${name}`);
    }
    const t = must(await get(srv, `/api/v1/tags/${encodeURIComponent('CAFÉ')}`), 'GET tag');
    assert.equal(t.name.toLowerCase(), 'café');
    // the tags of each status name the same tag
    for (const s of [a, b, c]) assert.deepEqual(s.tags.map((x) => x.name.toLowerCase()), ['café']);
  });

  test('a tag typed decomposed (e + U+0301) is the same tag as the composed one (Unicode normalization)', async () => {
    const u = await newUser('nfd');
    const composed = await photo(u, 'x #crème');
    const decomposed = await photo(u, 'y #cre\u0300me');
    const r = must(await get(srv, `/api/v1/timelines/tag/${encodeURIComponent('crème')}`), 'tag crème');
    assert.deepEqual(ids(r), desc(composed, decomposed));
  });

  test('Arabic #انستجرام: posts, timeline, pagination with an ASCII Link header', async () => {
    const tag = 'انستجرام';
    const us = [await newUser('ar'), await newUser('ar')];
    const posts = [];
    for (let i = 0; i < 5; i++) posts.push(await photo(us[i % 2], `صورة ${i} #${tag}`));
    await photo(us[0], `خاص #${tag}`, 'private');
    const first = must(await get(srv, `/api/v1/timelines/tag/${encodeURIComponent(tag)}`), 'arabic tag');
    assert.deepEqual(ids(first), desc(...posts));
    // HTTP header values are bytes; clients (fetch, node) read them as
    // Latin-1, so a URI in a Link header must be ASCII (percent-encoded).
    const w = await walk(`/api/v1/timelines/tag/${encodeURIComponent(tag)}?limit=2`);
    assert.deepEqual(w.ids, desc(...posts), `following rel=next as a client reads it: ${w.pages.map((p) => p.raw).join(' | ')}`);
    assert.deepEqual(w.pages.map((p) => p.ids.length), [2, 2, 1]);
    for (const p of w.pages) {
      if (p.raw) assert.match(p.raw, /^[\x20-\x7e]*$/, `a Link header is ASCII (URIs percent-encoded): ${JSON.stringify(p.raw)}`);
    }
    // A tag's url is a URL: percent-encoded, in posts and in the tag entity
    const url = `/tags/${encodeURIComponent(tag)}`;
    assert.ok(first[0].tags[0].url.endsWith(url), `post tag url: ${first[0].tags[0].url}`);
    const entity = must(await get(srv, `/api/v1/tags/${encodeURIComponent(tag)}`), 'tag entity');
    assert.ok(entity.url.endsWith(url), `tag entity url: ${entity.url}`);
  });

  test('an unknown or invalid tag answers an empty list', async () => {
    assert.deepEqual(must(await get(srv, '/api/v1/timelines/tag/neverusedtag12345'), 'unknown'), []);
    assert.deepEqual(must(await get(srv, `/api/v1/timelines/tag/${encodeURIComponent('no-such tag!')}`), 'invalid'), []);
  });
});

// ------------------------------------------------------------- account statuses

describe('account statuses', () => {
  test('exclude_replies, statuses_count counting comments, pinned=true answers [], and the next link keeps the filter', async () => {
    const [u, other] = [await newUser('acc'), await newUser('other')];
    const otherPost = await photo(other, 'other');
    const posts = [];
    const comments = [];
    for (let i = 0; i < 5; i++) {
      posts.push(await photo(u, `post ${i}`));
      comments.push(await comment(u, i % 2 ? otherPost : posts[i], `comment ${i}`));
    }
    assert.equal((await accountOf(u)).statuses_count, 10, 'statuses_count counts comments too');
    const all = await walk(`/api/v1/accounts/${u.id}/statuses?limit=3`);
    assert.deepEqual(all.ids, desc(...posts, ...comments));
    const noReplies = await walk(`/api/v1/accounts/${u.id}/statuses?exclude_replies=true&limit=2`);
    assert.deepEqual(noReplies.ids, desc(...posts), 'every page of exclude_replies=true excludes replies');
    const explicit = await walk(`/api/v1/accounts/${u.id}/statuses?exclude_replies=false&limit=4`);
    assert.deepEqual(explicit.ids, desc(...posts, ...comments));
    assert.deepEqual(must(await get(srv, `/api/v1/accounts/${u.id}/statuses?pinned=true`), 'pinned'), []);
    const missing = await get(srv, '/api/v1/accounts/1234567890123/statuses');
    assert.equal(missing.status, 404, show(missing));
  });

  test('a muted author\'s own profile still lists their posts (Mastodon: mutes filter timelines, not profiles)', async () => {
    const [viewer, author] = [await newUser('v'), await newUser('m')];
    const p = await photo(author, 'hello');
    await act(viewer, 'mute', author);
    const r = must(await get(srv, `/api/v1/accounts/${author.id}/statuses`, { token: viewer.token }), 'statuses');
    assert.deepEqual(ids(r), [p.id]);
  });
});

// ------------------------------------------------------------- likes

describe('likes', () => {
  test('favourite is idempotent and counted; unfavourite likewise; favourited_by lists the likers', async () => {
    const [a, b, c] = [await newUser('a'), await newUser('b'), await newUser('c')];
    const p = await photo(a, 'like me');
    const fav = (u) => post(srv, `/api/v1/statuses/${p.id}/favourite`, { token: u.token });
    const unfav = (u) => post(srv, `/api/v1/statuses/${p.id}/unfavourite`, { token: u.token });
    let s = must(await fav(b), 'favourite');
    assert.equal(s.id, p.id);
    assert.equal(s.favourited, true);
    assert.equal(s.favourites_count, 1);
    s = must(await fav(b), 'favourite again');
    assert.equal(s.favourites_count, 1, 'a second like by the same account counts once');
    s = must(await fav(c), 'favourite c');
    assert.equal(s.favourites_count, 2);
    assert.equal((await status(p.id, b)).favourited, true);
    assert.equal((await status(p.id, a)).favourited, false);
    assert.equal((await status(p.id)).favourites_count, 2);
    let likers = must(await get(srv, `/api/v1/statuses/${p.id}/favourited_by`), 'favourited_by');
    assert.deepEqual(likers.map((x) => x.id), [c.id, b.id], 'newest like first');
    s = must(await unfav(b), 'unfavourite');
    assert.equal(s.favourited, false);
    assert.equal(s.favourites_count, 1);
    s = must(await unfav(b), 'unfavourite again');
    assert.equal(s.favourites_count, 1, 'a second unlike changes nothing');
    s = must(await fav(a), 'the author likes their own post');
    assert.equal(s.favourites_count, 2);
    likers = must(await get(srv, `/api/v1/statuses/${p.id}/favourited_by`), 'favourited_by');
    assert.deepEqual(likers.map((x) => x.id), [a.id, c.id]);
    const missing = await post(srv, '/api/v1/statuses/1234567890123/favourite', { token: b.token });
    assert.equal(missing.status, 404, show(missing));
    const anon = await post(srv, `/api/v1/statuses/${p.id}/favourite`);
    assert.equal(anon.status, 401, show(anon));
  });

  test('favourited_by and /favourites paginate with Link headers, ordered by when the like happened', async () => {
    const [author, fan] = [await newUser('author'), await newUser('fan')];
    const likers = [];
    for (let i = 0; i < 7; i++) likers.push(await newUser('l'));
    const p = await photo(author, 'popular');
    for (const l of likers) must(await post(srv, `/api/v1/statuses/${p.id}/favourite`, { token: l.token }), 'like');
    const w = await walk(`/api/v1/statuses/${p.id}/favourited_by?limit=3`);
    assert.deepEqual(w.ids, likers.map((l) => l.id).reverse());
    assert.deepEqual(w.pages.map((x) => x.ids.length), [3, 3, 1]);
    assert.equal((await status(p.id)).favourites_count, 7);

    const posts = [];
    for (let i = 0; i < 7; i++) posts.push(await photo(author, `p${i}`));
    // like in an order that is not the posts' order
    const order = [3, 0, 6, 1, 5, 2, 4];
    for (const i of order) must(await post(srv, `/api/v1/statuses/${posts[i].id}/favourite`, { token: fan.token }), 'like');
    const f = await walk('/api/v1/favourites?limit=3', fan.token);
    assert.deepEqual(f.ids, order.map((i) => posts[i].id).reverse(), 'newest like first');
    for (const s of f.items) assert.equal(s.favourited, true);
    // bookmarks, the same way
    for (const i of order) must(await post(srv, `/api/v1/statuses/${posts[i].id}/bookmark`, { token: fan.token }), 'bookmark');
    must(await post(srv, `/api/v1/statuses/${posts[0].id}/bookmark`, { token: fan.token }), 'bookmark twice');
    must(await post(srv, `/api/v1/statuses/${posts[6].id}/unbookmark`, { token: fan.token }), 'unbookmark');
    const b = await walk('/api/v1/bookmarks?limit=4', fan.token);
    assert.deepEqual(b.ids, order.filter((i) => i !== 6).map((i) => posts[i].id).reverse());
    for (const s of b.items) assert.equal(s.bookmarked, true);
    assert.deepEqual(must(await get(srv, '/api/v1/bookmarks', { token: author.token }), 'bookmarks of another'), []);
  });
});

// ------------------------------------------------------------- comments

describe('comments', () => {
  test('replies_count counts direct replies; context lists ancestors and descendants in order', async () => {
    const [a, b, c] = [await newUser('a'), await newUser('b'), await newUser('c')];
    const p = await photo(a, 'the post');
    const c1 = await comment(b, p, 'first');
    const c2 = await comment(c, p, 'second');
    const r1 = await comment(a, c1, 'a reply to the first');
    const r2 = await comment(b, r1, 'deeper');
    assert.equal(c1.in_reply_to_id, p.id);
    assert.equal(c1.in_reply_to_account_id, a.id);
    assert.equal((await status(p.id)).replies_count, 2);
    assert.equal((await status(c1.id)).replies_count, 1);
    assert.equal((await status(r1.id)).replies_count, 1);
    assert.equal((await status(c2.id)).replies_count, 0);
    const ctx = must(await get(srv, `/api/v1/statuses/${p.id}/context`), 'context');
    assert.deepEqual(ids(ctx.ancestors), []);
    assert.deepEqual(ids(ctx.descendants), [c1.id, c2.id, r1.id, r2.id]);
    const deep = must(await get(srv, `/api/v1/statuses/${r2.id}/context`), 'context r2');
    assert.deepEqual(ids(deep.ancestors), [p.id, c1.id, r1.id]);
    assert.deepEqual(ids(deep.descendants), []);
    const mid = must(await get(srv, `/api/v1/statuses/${c1.id}/context`), 'context c1');
    assert.deepEqual(ids(mid.ancestors), [p.id]);
    assert.deepEqual(ids(mid.descendants), [r1.id, r2.id]);
    assert.deepEqual([(await accountOf(a)).statuses_count, (await accountOf(b)).statuses_count], [2, 2]);
  });

  test('what may be posted: a top-level post needs a photo, a comment needs text or a photo', async () => {
    const a = await newUser('a');
    const p = await photo(a);
    const textOnly = await post(srv, '/api/v1/statuses', { token: a.token, form: { status: 'no photo' } });
    assert.equal(textOnly.status, 422, show(textOnly));
    const empty = await post(srv, '/api/v1/statuses', { token: a.token, form: { status: '', in_reply_to_id: p.id } });
    assert.equal(empty.status, 422, show(empty));
    const photoComment = must(await post(srv, '/api/v1/statuses', {
      token: a.token, form: [['in_reply_to_id', p.id], ['media_ids[]', await upload(a)]],
    }), 'a photo comment');
    assert.equal(photoComment.in_reply_to_id, p.id);
    assert.equal((await accountOf(a)).statuses_count, 2);
    assert.equal((await status(p.id)).replies_count, 1);
  });

  test('deleting a comment decrements the counters; deleting a post makes it answer like a missing one', async () => {
    const [a, b] = [await newUser('a'), await newUser('b')];
    const p = await photo(a, 'going away');
    const c1 = await comment(b, p, 'one');
    const c2 = await comment(b, p, 'two');
    must(await post(srv, `/api/v1/statuses/${p.id}/favourite`, { token: b.token }), 'like');
    assert.equal((await accountOf(b)).statuses_count, 2);
    const notMine = await del(a, c1);
    assert.equal(notMine.status, 404, `deleting someone else's comment: ${show(notMine)}`);
    must(await del(b, c1), 'delete comment');
    assert.equal((await status(p.id)).replies_count, 1);
    assert.equal((await accountOf(b)).statuses_count, 1);
    assert.deepEqual(ids(must(await get(srv, `/api/v1/statuses/${p.id}/context`), 'context').descendants), [c2.id]);
    const twice = await del(b, c1);
    assert.equal(twice.status, 404, show(twice));
    assert.equal((await accountOf(b)).statuses_count, 1, 'a second delete changes nothing');

    must(await del(a, p), 'delete post');
    assert.equal((await accountOf(a)).statuses_count, 0);
    const missing = '1234567890123';
    for (const [path, method, token] of [
      ['', 'GET', b.token], ['/context', 'GET', b.token], ['/favourited_by', 'GET', b.token],
      ['/favourite', 'POST', b.token], ['', 'GET', undefined],
    ]) {
      const gone = await request(srv, method, `/api/v1/statuses/${p.id}${path}`, { token });
      const never = await request(srv, method, `/api/v1/statuses/${missing}${path}`, { token });
      assert.equal(gone.status, 404, `${method} ${path} of a deleted post: ${show(gone)}`);
      assert.equal(gone.text, never.text, `${method} ${path}: a deleted post answers like a missing one`);
    }
    const reply = await post(srv, '/api/v1/statuses', { token: b.token, form: { status: 'late', in_reply_to_id: p.id } });
    const replyMissing = await post(srv, '/api/v1/statuses', { token: b.token, form: { status: 'late', in_reply_to_id: missing } });
    assert.ok(reply.status >= 400, `commenting on a deleted post: ${show(reply)}`);
    assert.equal(reply.status, replyMissing.status);
    assert.equal(reply.text, replyMissing.text);
    // the orphaned comment is still b's, still counted
    assert.equal((await accountOf(b)).statuses_count, 1);
    assert.equal((await status(c2.id)).in_reply_to_id, p.id);
  });
});

// ------------------------------------------------------------- blocks elsewhere

describe('blocks in third-party places', () => {
  test('the blocked one\'s likes, comments and posts are hidden from the blocker (and the other way round)', async () => {
    const [owner, viewer, blocked, bystander] = [await newUser('own'), await newUser('view'), await newUser('blk'), await newUser('by')];
    const tag = `Blk${Date.now().toString(36)}`;
    const p = await photo(owner, `a third-party post #${tag}`);
    for (const u of [viewer, blocked, bystander]) must(await post(srv, `/api/v1/statuses/${p.id}/favourite`, { token: u.token }), 'like');
    const cb = await comment(blocked, p, 'by the blocked one');
    const cv = await comment(viewer, p, 'by the viewer');
    const cy = await comment(bystander, p, 'by a bystander');
    const bp = await photo(blocked, `the blocked one's post #${tag}`);
    const vp = await photo(viewer, `the viewer's post #${tag}`);
    await act(viewer, 'block', blocked); // the viewer blocks

    const likers = async (u) => must(await get(srv, `/api/v1/statuses/${p.id}/favourited_by`, { token: u?.token }), 'favourited_by').map((a) => a.id);
    assert.deepEqual(await likers(viewer), [bystander.id, viewer.id], 'the blocker does not see the blocked one\'s like');
    assert.deepEqual(await likers(blocked), [bystander.id, blocked.id], 'the blocked one does not see the blocker\'s like');
    assert.deepEqual(await likers(), [bystander.id, blocked.id, viewer.id], 'anonymous sees every like');
    const desc2 = async (u) => ids(must(await get(srv, `/api/v1/statuses/${p.id}/context`, { token: u?.token }), 'context').descendants);
    assert.deepEqual(await desc2(viewer), [cv.id, cy.id], 'the blocker does not see the blocked one\'s comment');
    assert.deepEqual(await desc2(blocked), [cb.id, cy.id], 'the blocked one does not see the blocker\'s comment');
    assert.deepEqual(await desc2(), [cb.id, cv.id, cy.id]);
    assert.equal((await status(p.id, viewer)).replies_count, 3, 'counts are not filtered');
    assert.equal((await status(p.id, viewer)).favourites_count, 3);
    const tagIds = async (u) => ids(must(await get(srv, `/api/v1/timelines/tag/${tag}`, { token: u?.token }), 'tag'));
    assert.deepEqual(await tagIds(viewer), desc(p, vp), 'the blocker does not see the blocked one\'s tagged post');
    assert.deepEqual(await tagIds(blocked), desc(p, bp), 'the blocked one does not see the blocker\'s tagged post');
    assert.deepEqual(await tagIds(), desc(p, bp, vp));
    const found = await get(srv, `/api/v2/search?type=accounts&q=${blocked.username}`, { token: viewer.token });
    assert.deepEqual(must(found, 'search').accounts, [], 'the blocker does not find the blocked one');
    // the blocked one's own post, read by the blocker: Mastodon shows it (only the author's block hides a post)
    const bpByViewer = await get(srv, `/api/v1/statuses/${bp.id}`, { token: viewer.token });
    assert.ok(bpByViewer.status === 200 || bpByViewer.status === 404, show(bpByViewer));
    // the blocker's post, read by the blocked one: hidden like a missing one
    const vpByBlocked = await get(srv, `/api/v1/statuses/${vp.id}`, { token: blocked.token });
    const missing = await get(srv, '/api/v1/statuses/1234567890123', { token: blocked.token });
    assert.equal(vpByBlocked.status, 404, `the blocker's post, read by the blocked one: ${show(vpByBlocked)}`);
    assert.equal(vpByBlocked.text, missing.text);
  });
});
