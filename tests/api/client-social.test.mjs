// The social API through an independent Mastodon client library: masto (npm,
// the devDependency in package.json; run `npm ci` first), called as a real
// client calls it: its REST client, its camelCase entities and its paginator
// (which follows the Link header: `rel="next"` by default, `rel="prev"`
// after setDirection('prev')).
//
// Several users follow each other, one of them a locked account (a follow
// request, authorized through the library); like and unlike; comment
// (inReplyToId with an @mention) and read the context; the home and a
// hashtag timeline walked page by page at limit 5 (3+ pages: order, no
// duplicates, nothing missing) and then asked for what is new with sinceId
// and minId (also paged forward with the 'prev' direction); relationships;
// followers and following lists page by page; notifications (follow,
// follow_request, favourite, mention, by type); v2 search for accounts and
// hashtags; trends; following a hashtag brings a stranger's tagged post
// into home. Hashtags in any case and script are one tag: #ΚΑΛΗΜΕΡΑ is found
// by /api/v1/timelines/tag/καλημερα and by search, #ПРИВЕТ by привет,
// full-width #ＴＥＳＴ by test, #Straße by STRASSE, while the post shows the
// tag as typed.
//
// The last suite turns a database back into what the previous hashtag-key
// rule stored (separate #Straße and #strasse tags, "ｔｅｓｔ", "καλημερας",
// "istanbul" for #İstanbul) with the sqlite3 or psql CLI, and checks that
// migration 6 recomputes the keys on restart: old and new spellings find
// every post, merged tags keep their follows and daily uses.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { REPO_ROOT, startServer, uniqueName } from './lib/server.mjs';

let masto;
try {
  masto = await import('masto');
} catch (e) {
  throw new Error(`the masto client library is not installed (run \`npm ci\` at the repository root): ${e.message}`);
}
const { createOAuthAPIClient, createRestAPIClient } = masto;

const PNG = await readFile(join(REPO_ROOT, 'tests', 'fixtures', 'seeding-256.png'));
const SCOPES = 'read write follow push';

// ------------------------------------------------------------- helpers

/** An app and its client_credentials token, as a client registers itself. */
async function appFor(srv) {
  const anon = createRestAPIClient({ url: srv.url, timeout: 30000 });
  const oauth = createOAuthAPIClient({ url: srv.url, timeout: 30000 });
  const app = await anon.v1.apps.create({ clientName: 'masto social', redirectUris: 'urn:ietf:wg:oauth:2.0:oob', scopes: SCOPES });
  const t = await oauth.token.create({ grantType: 'client_credentials', clientId: app.clientId, clientSecret: app.clientSecret, scope: SCOPES });
  return { anon, appClient: createRestAPIClient({ url: srv.url, accessToken: t.accessToken, timeout: 30000 }) };
}

/** Registers a user through the library; returns {username, id, client, token}. */
async function newUser(srv, appClient, prefix) {
  const username = uniqueName(prefix);
  const token = await appClient.v1.accounts.create({
    username,
    email: `${username}@example.com`,
    password: `${username} password`,
    agreement: true,
    locale: 'en',
  });
  const client = createRestAPIClient({ url: srv.url, accessToken: token.accessToken, timeout: 30000 });
  const me = await client.v1.accounts.verifyCredentials();
  assert.equal(me.username, username);
  return { username, id: me.id, client, token: token.accessToken };
}

/** Uploads a photo (v1: answered once processed, no polling). */
const upload = (u) => u.client.v1.media.create({ file: new Blob([PNG], { type: 'image/png' }), description: 'a seedling' });

/** A photo post; `media` may be an attachment uploaded beforehand. */
async function photoPost(u, text, { media, visibility = 'public' } = {}) {
  media ??= await upload(u);
  return u.client.v1.statuses.create({ status: text, mediaIds: [media.id], visibility });
}

/** Every page the library's paginator yields, in order (empty pages dropped). */
async function pagesOf(paginator) {
  const pages = [];
  for await (const page of paginator) {
    assert.ok(Array.isArray(page), `a page is an array: ${JSON.stringify(page)}`);
    if (page.length) pages.push(page);
    assert.ok(pages.length <= 40, 'the paginator ends');
  }
  return pages;
}

const ids = (xs) => xs.map((x) => x.id);
const big = (id) => BigInt(id);

/** Asserts ids are unique and strictly newest first. */
function assertNewestFirst(list, label) {
  assert.equal(new Set(list).size, list.length, `${label}: no duplicates in ${list}`);
  for (let i = 1; i < list.length; i++) assert.ok(big(list[i - 1]) > big(list[i]), `${label}: newest first at ${i}: ${list}`);
}

/** The same set of ids, whatever the order. */
const sameSet = (got, want, label) => assert.deepEqual([...got].sort(), [...want].sort(), label);

/**
 * Walks a timeline with the library's paginator at limit 5: at least
 * `minPages` pages, none longer than 5, newest first across pages, no
 * duplicates, exactly the `want` ids.
 */
async function walkTimeline(paginator, want, label, minPages = 3) {
  const pages = await pagesOf(paginator);
  for (const p of pages) assert.ok(p.length <= 5, `${label}: page of ${p.length} at limit 5`);
  assert.ok(pages.length >= minPages, `${label}: ${pages.length} pages, want at least ${minPages}`);
  const got = pages.flatMap(ids);
  assertNewestFirst(got, label);
  sameSet(got, want, `${label}: every post, nothing else`);
  assert.deepEqual(got, [...want].sort((a, b) => (big(b) > big(a) ? 1 : -1)), `${label}: in id order`);
  return got;
}

// ------------------------------------------------------------- the social suite

let srv, anon, appClient;
let s2; // the migration suite's server, started alongside
let alice, bob, carol, dave, erin, frank; // dave is locked; frank follows a tag
const k = Date.now().toString(36); // keeps this run's tags apart from any other
const WALK = `walk${k}`;

before(async () => {
  [srv, s2] = await Promise.all([startServer(), startServer()]);
  ({ anon, appClient } = await appFor(srv));
  [alice, bob, carol, dave, erin, frank] = await Promise.all(
    ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'].map((p) => newUser(srv, appClient, p)),
  );
});
after(async () => {
  await Promise.all([srv?.stop(), s2?.stop()]);
});

describe('masto: follows, likes, comments, timelines, search, notifications', () => {
  const posts = { alice: [], carol: [], erin: [], dave: [] };
  let first; // alice's first post

  test('follows; a locked account gets a follow request, authorized through the library', async () => {
    const locked = await dave.client.v1.accounts.updateCredentials({ locked: true });
    assert.equal(locked.locked, true);

    let rel = await bob.client.v1.accounts.$select(alice.id).follow();
    assert.equal(rel.id, alice.id);
    assert.equal(rel.following, true);
    assert.equal(rel.requested, false);
    for (const u of [carol, dave, erin, frank]) assert.equal((await u.client.v1.accounts.$select(alice.id).follow()).following, true);
    assert.equal((await bob.client.v1.accounts.$select(carol.id).follow()).following, true);
    assert.equal((await bob.client.v1.accounts.$select(frank.id).follow()).following, true);

    rel = await bob.client.v1.accounts.$select(dave.id).follow();
    assert.equal(rel.following, false, 'a locked account is not followed at once');
    assert.equal(rel.requested, true);
    const pending = await dave.client.v1.followRequests.list();
    assert.deepEqual(ids(pending), [bob.id]);
    assert.equal(pending[0].username, bob.username);
    assert.deepEqual(
      (await dave.client.v1.notifications.list({ types: ['follow_request'] })).map((n) => [n.type, n.account.id]),
      [['follow_request', bob.id]],
    );
    const daveBefore = await anon.v1.accounts.$select(dave.id).fetch();
    assert.equal(daveBefore.followersCount, 0);

    rel = await dave.client.v1.followRequests.$select(bob.id).authorize();
    assert.equal(rel.id, bob.id);
    assert.equal(rel.followedBy, true, 'bob now follows dave');
    assert.deepEqual(await dave.client.v1.followRequests.list(), []);
    assert.deepEqual(await dave.client.v1.notifications.list({ types: ['follow_request'] }), [], 'the request notification is answered');
    assert.equal((await anon.v1.accounts.$select(dave.id).fetch()).followersCount, 1);
    await assert.rejects(dave.client.v1.followRequests.$select(bob.id).authorize(), (e) => e.statusCode === 404, 'no second authorization');
  });

  test('relationships for several accounts at once', async () => {
    const rels = await bob.client.v1.accounts.relationships.fetch({ id: [alice.id, dave.id, erin.id, frank.id] });
    const by = Object.fromEntries(rels.map((r) => [r.id, r]));
    assert.deepEqual(Object.keys(by).sort(), [alice.id, dave.id, erin.id, frank.id].sort());
    assert.deepEqual([by[alice.id].following, by[alice.id].followedBy, by[alice.id].requested], [true, false, false]);
    assert.deepEqual([by[dave.id].following, by[dave.id].requested], [true, false]);
    assert.deepEqual([by[erin.id].following, by[erin.id].followedBy], [false, false]);
    assert.deepEqual([by[frank.id].following, by[frank.id].followedBy], [true, false]);
    const back = await alice.client.v1.accounts.relationships.fetch({ id: [bob.id] });
    assert.deepEqual([back[0].following, back[0].followedBy], [false, true]);
  });

  test('posts for the timelines: photos uploaded in parallel, posted in order', async () => {
    // alice 6, carol 4, erin 3 (not followed by bob) carry the walk tag in
    // three spellings; dave posts once for followers only.
    const plan = [];
    for (let i = 0; i < 6; i++) plan.push([alice, 'alice', `Morning ${i} #${i % 3 === 0 ? WALK.toUpperCase() : i % 3 === 1 ? WALK : `Walk${k}`}`]);
    for (let i = 0; i < 4; i++) plan.push([carol, 'carol', `Carol ${i} #${WALK}`]);
    for (let i = 0; i < 3; i++) plan.push([erin, 'erin', `Erin ${i} #${WALK.toUpperCase()}`]);
    for (let i = plan.length - 1; i > 0; i--) {
      const j = (i * 7 + 3) % (i + 1); // a fixed shuffle: authors interleave
      [plan[i], plan[j]] = [plan[j], plan[i]];
    }
    const media = await Promise.all(plan.map(([u]) => upload(u)));
    for (let i = 0; i < plan.length; i++) {
      const [u, who, text] = plan[i];
      const s = await photoPost(u, text, { media: media[i] });
      assert.equal(s.account.id, u.id);
      assert.deepEqual(s.tags.map((t) => t.name), [WALK], 'one tag whatever the case');
      posts[who].push(s.id);
    }
    posts.dave.push((await photoPost(dave, 'For my followers only', { visibility: 'private' })).id);
    first = posts.alice[0];
  });

  test('like and unlike through the library: counts, favourited, favouritedBy', async () => {
    let s = await bob.client.v1.statuses.$select(first).favourite();
    assert.equal(s.id, first);
    assert.equal(s.favourited, true);
    assert.equal(s.favouritesCount, 1);
    s = await carol.client.v1.statuses.$select(first).favourite();
    assert.equal(s.favouritesCount, 2);
    assert.deepEqual(ids(await anon.v1.statuses.$select(first).favouritedBy.list()).sort(), [bob.id, carol.id].sort());
    assert.equal((await alice.client.v1.notifications.list({ types: ['favourite'] })).length, 2);

    s = await carol.client.v1.statuses.$select(first).unfavourite();
    assert.equal(s.favourited, false);
    assert.equal(s.favouritesCount, 1);
    s = await carol.client.v1.statuses.$select(first).unfavourite();
    assert.equal(s.favouritesCount, 1, 'unliking twice changes nothing');
    assert.deepEqual(ids(await anon.v1.statuses.$select(first).favouritedBy.list()), [bob.id]);
    const favs = await alice.client.v1.notifications.list({ types: ['favourite'] });
    assert.deepEqual(favs.map((n) => [n.account.id, n.status.id]), [[bob.id, first]], "an unlike takes its notification back");
    assert.equal((await bob.client.v1.statuses.$select(first).fetch()).favourited, true);
    assert.equal((await carol.client.v1.statuses.$select(first).fetch()).favourited, false);
  });

  test('comments: a reply with inReplyToId and an @mention, then the context', async () => {
    const c1 = await carol.client.v1.statuses.create({ status: `@${alice.username} lovely light`, inReplyToId: first });
    assert.equal(c1.inReplyToId, first);
    assert.equal(c1.inReplyToAccountId, alice.id);
    assert.deepEqual(c1.mentions.map((m) => m.id), [alice.id]);
    const c2 = await alice.client.v1.statuses.create({ status: 'thank you', inReplyToId: c1.id });
    const ctx = await anon.v1.statuses.$select(first).context.fetch();
    assert.deepEqual(ids(ctx.ancestors), []);
    assert.deepEqual(ids(ctx.descendants), [c1.id, c2.id]);
    const up = await anon.v1.statuses.$select(c2.id).context.fetch();
    assert.deepEqual(ids(up.ancestors), [first, c1.id]);
    assert.equal((await anon.v1.statuses.$select(first).fetch()).repliesCount, 1);
  });

  test('the home timeline, page by page (limit 5): order, no duplicates, nothing missing', async () => {
    // bob follows alice, carol, frank and (approved) dave; not erin.
    const want = [...posts.alice, ...posts.carol, ...posts.dave];
    assert.equal(want.length, 11);
    await walkTimeline(bob.client.v1.timelines.home.list({ limit: 5 }), want, 'bob home');
    const erinHome = await pagesOf(erin.client.v1.timelines.home.list({ limit: 5 }));
    sameSet(erinHome.flatMap(ids), [...posts.alice, ...posts.erin], "erin's home: alice's posts and her own (dave's is followers-only)");
  });

  test('a hashtag timeline, page by page (limit 5), in every spelling of the tag', async () => {
    const want = [...posts.alice, ...posts.carol, ...posts.erin];
    assert.equal(want.length, 13);
    await walkTimeline(anon.v1.timelines.tag.$select(WALK).list({ limit: 5 }), want, 'tag timeline');
    for (const spelling of [WALK.toUpperCase(), `Walk${k}`]) {
      const got = (await pagesOf(bob.client.v1.timelines.tag.$select(spelling).list({ limit: 5 }))).flatMap(ids);
      sameSet(got, want, `#${spelling}`);
    }
  });

  test('new posts since the newest seen: sinceId, minId, and paging forward with the prev direction', async () => {
    const [top] = await bob.client.v1.timelines.home.list({ limit: 1 });
    const [tagTop] = await anon.v1.timelines.tag.$select(WALK).list({ limit: 1 });
    const fresh = [];
    for (let i = 0; i < 3; i++) fresh.push((await photoPost(alice, `Fresh ${i} #${WALK}`)).id);
    posts.alice.push(...fresh);

    let got = await bob.client.v1.timelines.home.list({ sinceId: top.id, limit: 5 });
    assert.deepEqual(ids(got), [...fresh].reverse(), 'sinceId: the new posts, newest first');
    got = await bob.client.v1.timelines.home.list({ minId: top.id, limit: 2 });
    assert.deepEqual(ids(got), [fresh[1], fresh[0]], 'minId: the posts right after it, newest first');
    const forward = await pagesOf(bob.client.v1.timelines.home.list({ minId: top.id, limit: 1 }).setDirection('prev'));
    assert.deepEqual(forward.map(ids), fresh.map((id) => [id]), 'prev pages walk forward in time, one post each');

    const tagForward = await pagesOf(anon.v1.timelines.tag.$select(WALK.toUpperCase()).list({ minId: tagTop.id, limit: 2 }).setDirection('prev'));
    assert.deepEqual(tagForward.flatMap(ids).sort(), [...fresh].sort(), 'the tag timeline: the new posts, each once');
    assert.deepEqual(await anon.v1.timelines.tag.$select(WALK).list({ sinceId: fresh[2] }), [], 'nothing newer than the newest');
    // and the whole home timeline still walks cleanly
    await walkTimeline(bob.client.v1.timelines.home.list({ limit: 5 }), [...posts.alice, ...posts.carol, ...posts.dave], 'bob home again');
  });

  test('followers and following, page by page', async () => {
    const followers = await pagesOf(anon.v1.accounts.$select(alice.id).followers.list({ limit: 2 }));
    assert.deepEqual(followers.map((p) => p.length), [2, 2, 1]);
    assert.deepEqual(followers.flatMap(ids), [frank.id, erin.id, dave.id, carol.id, bob.id], 'newest follower first');
    const following = await pagesOf(bob.client.v1.accounts.$select(bob.id).following.list({ limit: 2 }));
    assert.ok(following.length >= 2);
    assert.deepEqual(following.flatMap(ids), [dave.id, frank.id, carol.id, alice.id], 'the newest follow first; dave once approved');
    const daveFollowers = await pagesOf(anon.v1.accounts.$select(dave.id).followers.list());
    assert.deepEqual(daveFollowers.flatMap(ids), [bob.id]);
    const me = await alice.client.v1.accounts.verifyCredentials();
    assert.equal(me.followersCount, 5);
    assert.equal((await anon.v1.accounts.$select(bob.id).fetch()).followingCount, 4);
  });

  test('notifications: follow, favourite and mention, filtered by type and paged', async () => {
    const all = (await pagesOf(alice.client.v1.notifications.list({ limit: 3 }))).flat();
    assertNewestFirst(ids(all), 'notifications');
    const of = (type) => all.filter((n) => n.type === type);
    assert.deepEqual(of('follow').map((n) => n.account.id), [frank.id, erin.id, dave.id, carol.id, bob.id]);
    assert.deepEqual(of('favourite').map((n) => [n.account.id, n.status.id]), [[bob.id, first]]);
    const mention = of('mention');
    assert.equal(mention.length, 1);
    assert.equal(mention[0].account.id, carol.id);
    assert.equal(mention[0].status.inReplyToId, first);
    assert.equal(all.length, 7, `only these: ${JSON.stringify(all.map((n) => n.type))}`);
    const mentions = await alice.client.v1.notifications.list({ types: ['mention'] });
    assert.deepEqual(ids(mentions), ids(mention));
    const noFollows = await alice.client.v1.notifications.list({ excludeTypes: ['follow'] });
    assert.deepEqual(noFollows.map((n) => n.type).sort(), ['favourite', 'mention']);
  });

  test('v2 search: accounts by username prefix, hashtags by prefix in any case', async () => {
    const found = await bob.client.v2.search.list({ q: alice.username.slice(0, 12), type: 'accounts' });
    assert.ok(ids(found.accounts).includes(alice.id), `accounts: ${JSON.stringify(found.accounts.map((a) => a.username))}`);
    assert.deepEqual(found.hashtags, []);
    const exact = await anon.v2.search.list({ q: `@${dave.username}`, type: 'accounts' });
    assert.equal(exact.accounts[0]?.id, dave.id);
    for (const q of [`#${WALK.toUpperCase()}`, WALK.slice(0, 7), `Walk${k}`]) {
      const tags = await bob.client.v2.search.list({ q, type: 'hashtags' });
      assert.deepEqual(tags.hashtags.map((t) => t.name), [WALK], `search ${q}`);
    }
    const both = await bob.client.v2.search.list({ q: WALK });
    assert.deepEqual(both.hashtags.map((t) => t.name), [WALK]);
  });

  test('a followed hashtag brings a stranger\'s post into home; #ΚΑΛΗΜΕΡΑ is καλημερα everywhere', async () => {
    let tag = await frank.client.v1.tags.$select('ΚΑΛΗΜΕΡΑ').follow();
    assert.equal(tag.name, 'καλημερα');
    assert.equal(tag.following, true);
    assert.deepEqual((await frank.client.v1.followedTags.list()).map((t) => t.name), ['καλημερα']);
    const before = (await pagesOf(frank.client.v1.timelines.home.list({ limit: 40 }))).flatMap(ids);
    assert.ok(!before.some((id) => posts.erin.includes(id)), 'frank does not follow erin');

    const greek = await photoPost(erin, 'Από την Αθήνα #ΚΑΛΗΜΕΡΑ');
    assert.deepEqual(greek.tags.map((t) => t.name), ['καλημερα']);
    assert.match(greek.content, /#<span>ΚΑΛΗΜΕΡΑ<\/span>/, 'the post shows the tag as typed');
    assert.match(greek.content, /\/tags\/%CE%BA%CE%B1%CE%BB%CE%B7%CE%BC%CE%B5%CF%81%CE%B1"/, 'and links the key');
    const home = (await pagesOf(frank.client.v1.timelines.home.list({ limit: 5 }))).flatMap(ids);
    assert.equal(home[0], greek.id, "erin's tagged post is at the top of frank's home");
    assert.ok(!home.some((id) => posts.erin.includes(id)), "erin's other posts stay out");

    const second = await photoPost(alice, 'καλημέρα σε όλους #καλημερα');
    for (const spelling of ['καλημερα', 'ΚΑΛΗΜΕΡΑ', 'Καλημερα']) {
      const got = (await pagesOf(anon.v1.timelines.tag.$select(spelling).list({ limit: 5 }))).flatMap(ids);
      assert.deepEqual(got, [second.id, greek.id], `/timelines/tag/${spelling}`);
    }
    tag = await anon.v1.tags.$select('καλημερα').fetch();
    assert.equal(tag.name, 'καλημερα');
    assert.deepEqual([tag.history[0].uses, tag.history[0].accounts], ['2', '2']);
    for (const q of ['#ΚΑΛΗΜΕΡΑ', 'καλη', 'ΚΑΛΗ']) {
      const r = await frank.client.v2.search.list({ q, type: 'hashtags' });
      assert.deepEqual(r.hashtags.map((t) => [t.name, t.following]), [['καλημερα', true]], `search ${q}`);
    }
    const trends = await anon.v1.trends.tags.list({ limit: 20 });
    const greekTrends = trends.filter((t) => t.name.startsWith('καλημ') || t.name.startsWith('ΚΑΛΗΜ'));
    assert.deepEqual(greekTrends.map((t) => [t.name, t.history[0].accounts]), [['καλημερα', '2']], 'one trending tag, two people');
    tag = await frank.client.v1.tags.$select('Καλημερα').unfollow();
    assert.equal(tag.following, false);
    assert.deepEqual(await frank.client.v1.followedTags.list(), []);
  });

  test('Cyrillic, full-width, ß and Arabic presentation forms: one tag per key, shown as typed', async () => {
    const cases = [
      // [typed in the post, other spellings that must find it, the key]
      [`ПРИВЕТ${k}`, [`привет${k}`, `Привет${k}`], `привет${k}`],
      ['ＴＥＳＴ', ['test', 'TEST', 'ｔｅｓｔ'], 'test'],
      ['Straße', ['STRASSE', 'strasse', 'straße'], 'strasse'],
      ['ﻣﺮﺣﺒﺎ', ['مرحبا'], 'مرحبا'],
    ];
    const s = await photoPost(carol, cases.map(([typed]) => `#${typed}`).join(' '));
    assert.deepEqual(s.tags.map((t) => t.name).sort(), cases.map(([, , key]) => key).sort());
    for (const [typed, others, key] of cases) {
      assert.ok(s.content.includes(`#<span>${typed}</span>`), `#${typed} shown as typed: ${s.content}`);
      for (const name of [typed, ...others]) {
        assert.deepEqual(ids(await anon.v1.timelines.tag.$select(name).list()), [s.id], `/timelines/tag/${name}`);
        assert.equal((await anon.v1.tags.$select(name).fetch()).name, key, `/tags/${name}`);
      }
      const r = await anon.v2.search.list({ q: `#${others[0]}`, type: 'hashtags' });
      assert.deepEqual(r.hashtags.map((t) => t.name), [key], `search #${others[0]}`);
    }
  });
});

// ------------------------------------------------------------- migration 6

/** Runs SQL on a stopped server's database with the sqlite3 or psql CLI. */
function sql(s, statements) {
  const pg = s.db && /^postgres(ql)?:/.test(s.db);
  const [tool, args] = pg
    ? ['psql', ['-qtA', '-v', 'ON_ERROR_STOP=1', s.db, '-c', `BEGIN; ${statements} COMMIT;`]]
    : ['sqlite3', ['-bail', join(s.dataDir, 'pinhole.db'), `BEGIN; ${statements} COMMIT;`]];
  return new Promise((res, rej) =>
    execFile(tool, args, (e, stdout, stderr) => (e ? rej(new Error(`${tool}: ${stderr || e.message}`)) : res(stdout))),
  );
}

const tagRows = async (s) => Number((await sql(s, 'SELECT COUNT(*) FROM tags;')).trim().split('\n').pop());

describe('masto: hashtag keys stored by the old rule are recomputed by migration 6', () => {
  let a2, u, v;
  const p = {};

  before(async () => {
    const { appClient: app2 } = await appFor(s2);
    a2 = createRestAPIClient({ url: s2.url, timeout: 30000 });
    [u, v] = await Promise.all([newUser(s2, app2, 'mu'), newUser(s2, app2, 'mv')]);
  });

  test('an old database: #Straße and #strasse apart, keys "straße", "ｔｅｓｔ", "καλημερας", "istanbul"', async () => {
    // u types the first spelling of each tag, v the second.
    [p.u, p.v] = await Promise.all([photoPost(u, 'Weg #Straße #ＴＥＳＴ #καλημερας'), photoPost(v, 'Weg #strasse #test #İstanbul')]);
    assert.deepEqual(p.u.tags.map((t) => t.name).sort(), ['strasse', 'test', 'καλημερασ']);
    assert.equal((await v.client.v1.tags.$select('STRASSE').follow()).name, 'strasse');
    await s2.stop({ keepData: true });
    // What the old rule (lower case, Latin letters composed) stored: each
    // spelling its own tag with its own posts and uses, the follow on the
    // first; and migration 6 not yet applied.
    const split = (oldKey, second) => `
      UPDATE tags SET name_key = '${oldKey}' WHERE name_key = '${second}';
      INSERT INTO tags (id, name, name_key, created_at) SELECT (SELECT MAX(id) FROM tags) + 1, '${second}', '${second}', created_at FROM tags WHERE name_key = '${oldKey}';
      UPDATE status_tags SET tag_id = (SELECT id FROM tags WHERE name_key = '${second}') WHERE status_id = ${p.v.id} AND tag_id = (SELECT id FROM tags WHERE name_key = '${oldKey}');
      UPDATE tag_uses SET tag_id = (SELECT id FROM tags WHERE name_key = '${second}') WHERE account_id = ${v.id} AND tag_id = (SELECT id FROM tags WHERE name_key = '${oldKey}');`;
    await sql(s2, `${split('straße', 'strasse')} ${split('ｔｅｓｔ', 'test')}
      UPDATE tags SET name_key = 'καλημερας' WHERE name_key = 'καλημερασ';
      UPDATE tags SET name_key = 'istanbul' WHERE name = 'İstanbul';
      DELETE FROM schema_migrations WHERE version = 6;`);
    assert.equal(await tagRows(s2), 6, 'six tags before the migration');
  });

  test('after the restart every spelling, old and new, finds every post; merged tags keep follows and uses', async () => {
    await s2.restart();
    assert.match(s2.stderrTail, /applied migration 6/);
    assert.match(s2.stderrTail, /hashtag keys: 4 tags changed, 2 merged/);
    // the restarted server has a new port
    a2 = createRestAPIClient({ url: s2.url, timeout: 30000 });
    for (const w of [u, v]) w.client = createRestAPIClient({ url: s2.url, accessToken: w.token, timeout: 30000 });
    const find = async (name) => ids(await a2.v1.timelines.tag.$select(name).list()).sort();
    for (const name of ['Straße', 'straße', 'STRASSE', 'strasse']) assert.deepEqual(await find(name), [p.u.id, p.v.id].sort(), `#${name}`);
    for (const name of ['ＴＥＳＴ', 'ｔｅｓｔ', 'test', 'TEST']) assert.deepEqual(await find(name), [p.u.id, p.v.id].sort(), `#${name}`);
    for (const name of ['καλημερας', 'ΚΑΛΗΜΕΡΑΣ', 'καλημερασ']) assert.deepEqual(await find(name), [p.u.id], `#${name}`);
    assert.deepEqual(await find('istanbul'), [p.v.id], 'the old key of #İstanbul still finds it');

    const strasse = await v.client.v1.tags.$select('straße').fetch();
    assert.equal(strasse.name, 'strasse');
    assert.equal(strasse.following, true, 'the follow survived the merge');
    assert.deepEqual([strasse.history[0].uses, strasse.history[0].accounts], ['2', '2'], 'daily uses merged');
    assert.deepEqual((await v.client.v1.followedTags.list()).map((t) => t.name), ['strasse']);
    const test1 = await a2.v1.tags.$select('ＴＥＳＴ').fetch();
    assert.deepEqual([test1.name, test1.history[0].uses, test1.history[0].accounts], ['test', '2', '2']);
    const r = await a2.v2.search.list({ q: '#STRA', type: 'hashtags' });
    assert.deepEqual(r.hashtags.map((t) => t.name), ['strasse']);
    // A post's tag links where its tag is: #İstanbul's row now carries the
    // name "istanbul" (its old key), so the post's tag is named by it.
    const ist = await a2.v1.statuses.$select(p.v.id).fetch();
    assert.deepEqual(ist.tags.map((t) => t.name).sort(), ['istanbul', 'strasse', 'test']);
    for (const t of ist.tags) assert.equal((await a2.v1.tags.$select(t.name).fetch()).name, t.name, 'each tag of a post links to its tag');
    assert.equal(await tagRows(s2), 4, 'two tags merged away');
    // New posts join the recomputed tags.
    const later = await photoPost(u, 'Again #STRASSE #Test');
    assert.deepEqual(later.tags.map((t) => t.name).sort(), ['strasse', 'test']);
    assert.equal((await find('Straße')).length, 3);
  });
});
