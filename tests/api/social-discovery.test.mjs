// Discovery, black-box: hashtags (GET /api/v1/tags/:name, follow/unfollow,
// /followed_tags), trends (/api/v1/trends/tags with its 7-day history of
// strings, /api/v1/trends/statuses), and search (/api/v2/search: accounts by
// username or display-name prefix, hashtags by prefix, statuses by the
// words of their captions), with case-insensitive and Unicode tags
// (#Café/#café/#CAFÉ, Arabic #انستجرام) and blocks.
//
// Mastodon: docs.joinmastodon.org/methods/tags/, /methods/trends/,
// /methods/search/, /entities/Tag/. Mastodon counts a tag use (history,
// trends) for public posts only (ProcessHashtagsService: tag.use! if
// status.public_visibility?).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { REPO_ROOT, get, must, patch, post, registerUser, request, show, startServer, uniqueName } from './lib/server.mjs';

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

async function newUser(prefix = 'd', { username, displayName } = {}) {
  const u = await registerUser(srv, { username: username ?? uniqueName(prefix) });
  const me = must(await get(srv, '/api/v1/accounts/verify_credentials', { token: u.token }), 'verify_credentials');
  u.id = me.id;
  u.username = me.username;
  if (displayName !== undefined) {
    must(await patch(srv, '/api/v1/accounts/update_credentials', { token: u.token, form: { display_name: displayName } }), 'display_name');
  }
  return u;
}

const act = async (u, verb, target, form) =>
  must(await post(srv, `/api/v1/accounts/${target.id}/${verb}`, { token: u.token, form }), `${verb} ${target.id}`);

let n = 0;
async function photo(u, text, visibility = 'public') {
  const bytes = n++ % 5 === 0 ? JPG : PNG;
  const m = must(await post(srv, '/api/v1/media', { token: u.token, multipart: [['file', new Blob([bytes]), 'p.jpg']], timeoutMs: 60000 }), 'upload');
  return must(await post(srv, '/api/v1/statuses', { token: u.token, form: [['status', text], ['media_ids[]', m.id], ['visibility', visibility]] }), 'post');
}

const fav = async (u, s) => must(await post(srv, `/api/v1/statuses/${s.id}/favourite`, { token: u.token }), 'favourite');
const enc = encodeURIComponent;

async function tag(name, u) {
  return must(await get(srv, `/api/v1/tags/${enc(name)}`, { token: u?.token }), `GET tag ${name}`);
}

/** Every trending tag, through offset pages of 20. */
async function allTrends(u) {
  const out = [];
  for (let offset = 0; offset <= 200; offset += 20) {
    const page = must(await get(srv, `/api/v1/trends/tags?limit=20&offset=${offset}`, { token: u?.token }), 'trends/tags');
    out.push(...page);
    if (page.length < 20) break;
  }
  return out;
}

async function search(q, { type, token, limit } = {}) {
  let path = `/api/v2/search?q=${enc(q)}`;
  if (type) path += `&type=${type}`;
  if (limit) path += `&limit=${limit}`;
  return must(await get(srv, path, { token }), `search ${q}`);
}

/** UTC midnight of today, in seconds, as Mastodon's history "day" strings are. */
const todaySec = () => Math.floor(Date.now() / 86400000) * 86400;

function assertHistoryShape(t, label) {
  assert.equal(t.history.length, 7, `${label}: 7 days of history`);
  const day0 = todaySec();
  t.history.forEach((h, i) => {
    assert.deepEqual(Object.keys(h).sort(), ['accounts', 'day', 'uses'], `${label}: history keys`);
    for (const k of ['day', 'uses', 'accounts']) assert.equal(typeof h[k], 'string', `${label}: history ${k} is a string`);
    assert.equal(h.day, String(day0 - i * 86400), `${label}: history[${i}].day, newest first`);
  });
}

const usesOf = (t) => t.history.map((h) => [Number(h.uses), Number(h.accounts)]);

// ------------------------------------------------------------- tags

describe('hashtags', () => {
  test('GET /tags/:name: unknown is 404; a used tag has its name, url, 7 days of string history and following', async () => {
    const u = await newUser('t');
    const missing = await get(srv, '/api/v1/tags/neverusedxyz');
    assert.equal(missing.status, 404, show(missing));
    await photo(u, 'a #Sunrise walk');
    await photo(u, 'another #sunrise');
    for (const name of ['sunrise', 'Sunrise', 'SUNRISE']) {
      const t = await tag(name);
      assert.equal(t.name.toLowerCase(), 'sunrise');
      assert.match(t.url, /\/tags\/sunrise$/i);
      assert.equal(t.following, false);
      assertHistoryShape(t, name);
      assert.deepEqual(usesOf(t)[0], [2, 1], 'today: 2 uses by 1 account');
      assert.deepEqual(usesOf(t).slice(1), [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0]]);
    }
  });

  test('follow and unfollow a tag, in any case; /followed_tags; a never-used tag can be followed; invalid names are refused', async () => {
    const u = await newUser('t');
    await photo(u, '#Café au lait');
    let t = must(await post(srv, `/api/v1/tags/${enc('CAFÉ')}/follow`, { token: u.token }), 'follow CAFÉ');
    assert.equal(t.following, true);
    assert.equal(t.name.toLowerCase(), 'café');
    assert.equal((await tag('café', u)).following, true);
    assert.equal((await tag('café')).following, false, 'following is the viewer\'s');
    must(await post(srv, `/api/v1/tags/${enc('café')}/follow`, { token: u.token }), 'follow again');
    const fresh = `Nevermind${Date.now().toString(36)}`;
    t = must(await post(srv, `/api/v1/tags/${fresh}/follow`, { token: u.token }), 'follow a new tag');
    assert.equal(t.following, true);
    assert.equal((await tag(fresh, u)).following, true);
    let followed = must(await get(srv, '/api/v1/followed_tags', { token: u.token }), 'followed_tags');
    assert.deepEqual(followed.map((x) => x.name.toLowerCase()).sort(), ['café', fresh.toLowerCase()].sort());
    t = must(await post(srv, `/api/v1/tags/${enc('Café')}/unfollow`, { token: u.token }), 'unfollow');
    assert.equal(t.following, false);
    followed = must(await get(srv, '/api/v1/followed_tags', { token: u.token }), 'followed_tags');
    assert.deepEqual(followed.map((x) => x.name.toLowerCase()), [fresh.toLowerCase()]);
    for (const bad of ['no space', 'a-b', '123', '']) {
      const r = await post(srv, `/api/v1/tags/${enc(bad)}/follow`, { token: u.token });
      assert.ok(r.status === 422 || r.status === 404, `following #${bad}: ${show(r)}`);
    }
    const anon = await post(srv, '/api/v1/tags/cafe/follow');
    assert.equal(anon.status, 401, show(anon));
  });

  test('Arabic #انستجرام: GET /tags, history and the tag on the status', async () => {
    const [a, b] = [await newUser('ar'), await newUser('ar')];
    const s = await photo(a, 'مساء الخير #انستجرام');
    await photo(b, 'صباح #انستجرام');
    assert.deepEqual(s.tags.map((x) => x.name), ['انستجرام']);
    const t = await tag('انستجرام');
    assert.equal(t.name, 'انستجرام');
    assertHistoryShape(t, 'arabic');
    assert.deepEqual(usesOf(t)[0], [2, 2]);
  });
});

// ------------------------------------------------------------- trends

describe('trends', () => {
  test('trends/tags: exact history counts, one tag whatever the case, ordered by how many people used it', async () => {
    const us = [];
    for (let i = 0; i < 4; i++) us.push(await newUser('tr'));
    const k = Date.now().toString(36);
    const wide = `Wide${k}`; // 3 accounts, 4 uses, mixed case
    const mid = `Mid${k}`; // 2 accounts
    const solo = `Solo${k}`; // 1 account, 3 uses
    await photo(us[0], `#${wide}`);
    await photo(us[1], `#${wide.toUpperCase()}`);
    await photo(us[2], `#${wide.toLowerCase()} and #${mid}`);
    await photo(us[2], `again #${wide}`);
    await photo(us[3], `#${mid}`);
    for (let i = 0; i < 3; i++) await photo(us[0], `#${solo} ${i}`);
    const trends = await allTrends();
    const mine = trends.filter((t) => [wide, mid, solo].some((x) => x.toLowerCase() === t.name.toLowerCase()));
    assert.deepEqual(mine.map((t) => t.name.toLowerCase()), [wide, mid, solo].map((x) => x.toLowerCase()),
      'ordered by accounts, each tag once');
    for (const t of mine) assertHistoryShape(t, t.name);
    assert.deepEqual(mine.map((t) => usesOf(t)[0]), [[4, 3], [2, 2], [3, 1]]);
    for (const t of mine) assert.deepEqual(usesOf(t).slice(1), Array(6).fill([0, 0]));
    // the same numbers through GET /tags and search
    assert.deepEqual(usesOf(await tag(wide.toLowerCase()))[0], [4, 3]);
    const found = await search(`#${wide.toUpperCase()}`, { type: 'hashtags' });
    assert.deepEqual(found.hashtags.map((t) => [t.name.toLowerCase(), usesOf(t)[0]]), [[wide.toLowerCase(), [4, 3]]]);
    // a deleted post takes its use back
    const gone = await photo(us[3], `#${solo}`);
    assert.deepEqual(usesOf(await tag(solo))[0], [4, 2]);
    must(await request(srv, 'DELETE', `/api/v1/statuses/${gone.id}`, { token: us[3].token }), 'delete');
    assert.deepEqual(usesOf(await tag(solo))[0], [3, 1]);
  });

  test('#Café, #café and #CAFÉ by three people trend as one tag with 3 accounts', async () => {
    const us = [await newUser('c'), await newUser('c'), await newUser('c')];
    // a tag no other test uses
    await photo(us[0], '#Crêpe');
    await photo(us[1], '#crêpe');
    await photo(us[2], '#CRÊPE');
    const t = (await allTrends()).filter((x) => x.name.toLowerCase() === 'crêpe');
    assert.equal(t.length, 1, `one trending crêpe tag: ${JSON.stringify(t.map((x) => x.name))}`);
    assert.deepEqual(usesOf(t[0])[0], [3, 3]);
  });

  test('unlisted, private and direct posts do not count as tag uses (no trends leak)', async () => {
    const [u, friend] = [await newUser('p'), await newUser('p')];
    const secret = `Secret${Date.now().toString(36)}`;
    await photo(u, `#${secret} for followers`, 'private');
    await photo(u, `#${secret} @${friend.username} only`, 'direct');
    await photo(u, `#${secret} quietly`, 'unlisted');
    const t = await tag(secret, u);
    assert.deepEqual(usesOf(t)[0], [0, 0], `GET /tags/${secret} history counts non-public posts: ${JSON.stringify(t.history[0])}`);
    const trends = await allTrends();
    assert.deepEqual(trends.filter((x) => x.name.toLowerCase() === secret.toLowerCase()).map((x) => x.name), [],
      'a tag used only in non-public posts does not trend');
  });

  test('trends/statuses: public top-level posts by engagement; never private, never a comment; blocks respected', async () => {
    const [a, b, viewer] = [await newUser('s'), await newUser('s'), await newUser('s')];
    const likers = [];
    for (let i = 0; i < 5; i++) likers.push(await newUser('l'));
    for (const l of likers) await act(l, 'follow', a);
    const hot = await photo(a, 'hot');
    const warm = await photo(b, 'warm');
    const cold = await photo(a, 'cold');
    const hidden = await photo(a, 'private', 'private');
    for (const l of likers) await fav(l, hot);
    for (const l of likers) await fav(l, hidden);
    for (const l of likers.slice(0, 2)) await fav(l, warm);
    const c = must(await post(srv, '/api/v1/statuses', { token: b.token, form: { status: 'a comment', in_reply_to_id: hot.id } }), 'comment');
    for (const l of likers) await fav(l, c);
    const list = must(await get(srv, '/api/v1/trends/statuses?limit=40'), 'trends/statuses');
    const idsOf = list.map((s) => s.id);
    const mine = idsOf.filter((id) => [hot.id, warm.id, cold.id, hidden.id, c.id].includes(id));
    assert.deepEqual(mine, [hot.id, warm.id, cold.id]);
    // for an account blocked by a, a's posts do not trend
    await act(a, 'block', viewer);
    const forViewer = must(await get(srv, '/api/v1/trends/statuses?limit=40', { token: viewer.token }), 'trends/statuses viewer');
    assert.deepEqual(forViewer.map((s) => s.id).filter((id) => [hot.id, warm.id, cold.id].includes(id)), [warm.id]);
    // the follower sees the private post elsewhere, but not in trends
    const forLiker = must(await get(srv, '/api/v1/trends/statuses?limit=40', { token: likers[0].token }), 'trends/statuses liker');
    assert.ok(!forLiker.some((s) => s.id === hidden.id), 'a private post never trends');
  });
});

// ------------------------------------------------------------- search

describe('search', () => {
  test('accounts: username prefix in any case, display-name prefix, exact match first, @ stripped, blocks hidden', async () => {
    const base = uniqueName('zq').toLowerCase().slice(0, 20);
    const exact = await newUser('x', { username: base });
    const longer = await newUser('x', { username: `${base}a` });
    const popular = await newUser('x', { username: `${base}b` });
    const fans = [await newUser('f'), await newUser('f')];
    for (const f of fans) await act(f, 'follow', popular);
    const dn = await newUser('x', { displayName: `Quetzal${base}` });
    const r = await search(base.toUpperCase(), { type: 'accounts' });
    assert.deepEqual(r.accounts.map((a) => a.id), [exact.id, popular.id, longer.id], 'exact, then by followers');
    assert.deepEqual(r.hashtags, []);
    assert.deepEqual(r.statuses, []);
    assert.deepEqual((await search(`@${base}a`, { type: 'accounts' })).accounts.map((a) => a.id), [longer.id]);
    assert.deepEqual((await search(`quetzal${base}`, { type: 'accounts' })).accounts.map((a) => a.id), [dn.id]);
    assert.deepEqual((await search(`Quetzal${base.slice(0, 3)}`, { type: 'accounts' })).accounts.map((a) => a.id), [dn.id]);
    assert.deepEqual((await search(base, { type: 'accounts', limit: 2 })).accounts.length, 2);
    // blocked either way: hidden for both, not for others
    await act(exact, 'block', fans[0]);
    const forBlocked = await search(base, { type: 'accounts', token: fans[0].token });
    assert.ok(!forBlocked.accounts.some((a) => a.id === exact.id), 'the blocked one does not find the blocker');
    const forBlocker = await search(`${fans[0].username}`, { type: 'accounts', token: exact.token });
    assert.deepEqual(forBlocker.accounts, [], 'the blocker does not find the blocked one');
    assert.ok((await search(base, { type: 'accounts', token: fans[1].token })).accounts.some((a) => a.id === exact.id));
  });

  test('hashtags: prefix, # stripped, case-insensitive, exact first', async () => {
    const u = await newUser('h');
    const k = Date.now().toString(36);
    await photo(u, `#Walk${k} #Walk${k}ing #walk${k}ers`);
    await photo(u, `#walk${k}ers again`);
    const r = await search(`#WALK${k}`, { type: 'hashtags' });
    assert.equal(r.hashtags[0].name.toLowerCase(), `walk${k}`, 'exact first');
    assert.deepEqual(r.hashtags.map((t) => t.name.toLowerCase()).sort(), [`walk${k}`, `walk${k}ers`, `walk${k}ing`].sort());
    assert.deepEqual(r.accounts, []);
    for (const t of r.hashtags) assertHistoryShape(t, t.name);
    assert.deepEqual((await search(`walk${k}e`, { type: 'hashtags' })).hashtags.map((t) => t.name.toLowerCase()), [`walk${k}ers`]);
    await photo(u, 'هنا #انستجرام');
    assert.deepEqual((await search('#انستج', { type: 'hashtags' })).hashtags.map((t) => t.name), ['انستجرام']);
  });

  test('statuses: every word of the query, any case; only what the reader may see; deleted posts gone', async () => {
    const [a, b, follower] = [await newUser('w'), await newUser('w'), await newUser('w')];
    await act(follower, 'follow', a);
    const k = Date.now().toString(36);
    const both = await photo(a, `Golden${k} light over the Fjord${k}`);
    const one = await photo(b, `golden${k} only`);
    const priv = await photo(a, `golden${k} fjord${k} for followers`, 'private');
    const arabic = await photo(b, `مرحبا${k} بالعالم`);
    let r = await search(`GOLDEN${k} fjord${k}`, { type: 'statuses' });
    assert.deepEqual(r.statuses.map((s) => s.id), [both.id], 'anonymous: every word, public only');
    r = await search(`golden${k} fjord${k}`, { type: 'statuses', token: follower.token });
    assert.deepEqual(r.statuses.map((s) => s.id).sort(), [both.id, priv.id].sort(), 'a follower finds the private post too');
    r = await search(`golden${k}`, { type: 'statuses', token: b.token });
    assert.deepEqual(r.statuses.map((s) => s.id).sort(), [both.id, one.id].sort());
    assert.deepEqual(r.accounts, []);
    r = await search(`مرحبا${k}`, { type: 'statuses' });
    assert.deepEqual(r.statuses.map((s) => s.id), [arabic.id]);
    must(await request(srv, 'DELETE', `/api/v1/statuses/${both.id}`, { token: a.token }), 'delete');
    r = await search(`golden${k} fjord${k}`, { type: 'statuses' });
    assert.deepEqual(r.statuses, [], 'a deleted post is not found');
    // query syntax is text, never an error
    for (const q of ['"', `golden${k} OR`, '*', 'NEAR(', '-', "'; DROP TABLE statuses; --", 'a:b']) {
      const x = await get(srv, `/api/v2/search?q=${enc(q)}&type=statuses`);
      assert.equal(x.status, 200, `q=${q}: ${show(x)}`);
    }
  });

  test('parameters: q is required, type must be known, no type searches all three', async () => {
    const u = await newUser('p');
    const k = Date.now().toString(36);
    await photo(u, `#Lumen${k} lumen${k}`);
    const noQ = await get(srv, '/api/v2/search');
    assert.equal(noQ.status, 400, show(noQ));
    const badType = await get(srv, '/api/v2/search?q=x&type=people');
    assert.equal(badType.status, 400, show(badType));
    const all = await search(`lumen${k}`);
    assert.deepEqual(Object.keys(all).sort(), ['accounts', 'hashtags', 'statuses']);
    assert.deepEqual(all.hashtags.map((t) => t.name.toLowerCase()), [`lumen${k}`]);
    assert.equal(all.statuses.length, 1);
  });
});
