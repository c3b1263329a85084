// Posts: photo carousels in order, captions with hashtags and mentions,
// the limits (caption length, photo count, whose media), Idempotency-Key,
// the visibility matrix (public, unlisted, private, direct) x (anonymous,
// stranger, follower, mentioned, author) with hidden posts answering
// exactly like missing ones, deletion and its counters, edits with
// history and source, replies and replies_count.
//
// Photos come from $PINHOLE_FIXTURES (default build/fixtures, made by
// tests/fixtures/prepare.sh); every test skips when that folder is missing.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { REPO_ROOT, get, patch, post, registerUser, request, show, startServer } from './lib/server.mjs';

const FIX = resolve(process.env.PINHOLE_FIXTURES || join(REPO_ROOT, 'build', 'fixtures'));
const HAVE = existsSync(FIX);
const SKIP_MSG = `no fixtures in ${FIX}: run tests/fixtures/prepare.sh (or set PINHOLE_FIXTURES)`;
const fx = (rel) => join(FIX, rel);

function ft(name, fn, opts = {}) {
  test(name, opts, async (t) => {
    if (!HAVE) {
      t.skip(SKIP_MSG);
      return;
    }
    await fn(t);
  });
}

let srv;
let author, follower, mentioned, stranger, other;
let smallPhoto; // bytes of a small real photo for the many posts

before(async () => {
  if (!HAVE) return;
  srv = await startServer();
  [author, follower, mentioned, stranger, other] = await Promise.all([
    registerUser(srv),
    registerUser(srv),
    registerUser(srv),
    registerUser(srv),
    registerUser(srv),
  ]);
  for (const u of [author, follower, mentioned, stranger, other]) u.id = u.response?.id ?? (await me(u)).id;
  const f = await post(srv, `/api/v1/accounts/${author.id}/follow`, { token: follower.token });
  assert.equal(f.status, 200, `follow: ${show(f)}`);
  assert.equal(f.json.following, true, 'the follow is immediate (the author is not locked)');
  smallPhoto = await readFile(fx('derived/orient-1.jpg'));
});
after(async () => {
  await srv?.stop();
});

// ------------------------------------------------------------- helpers

async function me(u) {
  const r = await get(srv, '/api/v1/accounts/verify_credentials', { token: u.token });
  assert.equal(r.status, 200, show(r));
  return r.json;
}

async function uploadPhoto(u, bytes = smallPhoto, fields = {}) {
  const parts = [['file', new Blob([bytes]), 'photo.jpg']];
  for (const [k, v] of Object.entries(fields)) parts.push([k, v]);
  const r = await post(srv, '/api/v2/media', { token: u.token, multipart: parts, timeoutMs: 120000 });
  assert.equal(r.status, 200, `upload: ${show(r)}`);
  return r.json;
}

/** POST /api/v1/statuses with form fields; media ids as media_ids[]. */
function postStatus(u, { status, media = [], headers, ...rest } = {}) {
  const form = [];
  if (status !== undefined) form.push(['status', status]);
  for (const id of media) form.push(['media_ids[]', id]);
  for (const [k, v] of Object.entries(rest)) form.push([k, String(v)]);
  return post(srv, '/api/v1/statuses', { token: u.token, form, headers });
}

async function mustPost(u, opts) {
  const r = await postStatus(u, opts);
  assert.equal(r.status, 200, `post: ${show(r)}`);
  return r.json;
}

async function photoPost(u, opts = {}) {
  const m = await uploadPhoto(u);
  return mustPost(u, { status: 'a photo', media: [m.id], ...opts });
}

const getStatus = (id, u) => get(srv, `/api/v1/statuses/${id}`, { token: u?.token });
const editStatus = (id, u, form) => request(srv, 'PUT', `/api/v1/statuses/${id}`, { token: u.token, form });
const editStatusJson = (id, u, json) => request(srv, 'PUT', `/api/v1/statuses/${id}`, { token: u.token, json });
const deleteStatus = (id, u) => request(srv, 'DELETE', `/api/v1/statuses/${id}`, { token: u.token });

/** A syntactically valid id that does not exist. */
function missingId(like) {
  return String(BigInt(like) + 987654321n);
}

/** Two answers are indistinguishable: status, body and content type. */
function assertSameAnswer(a, b, label) {
  assert.equal(a.status, b.status, `${label}: status ${a.status} vs ${b.status}`);
  assert.equal(a.text, b.text, `${label}: body`);
  assert.equal(a.headers['content-type'], b.headers['content-type'], `${label}: content type`);
}

// The keys of a Mastodon Status (4.x), so stray keys are caught.
const STATUS_KEYS = new Set([
  'id', 'uri', 'url', 'created_at', 'edited_at', 'account', 'content', 'text', 'visibility', 'sensitive',
  'spoiler_text', 'media_attachments', 'application', 'mentions', 'tags', 'emojis', 'reblogs_count',
  'favourites_count', 'replies_count', 'quotes_count', 'in_reply_to_id', 'in_reply_to_account_id', 'reblog',
  'poll', 'card', 'language', 'favourited', 'reblogged', 'muted', 'bookmarked', 'pinned', 'filtered', 'quote',
]);

function assertStatusShape(s, label) {
  for (const k of Object.keys(s)) {
    assert.ok(STATUS_KEYS.has(k) || k.startsWith('pinhole_'), `${label}: unexpected key ${JSON.stringify(k)} in the Status`);
  }
  assert.ok(Array.isArray(s.emojis), `${label}: emojis is an array (got ${JSON.stringify(s.emojis)})`);
  assert.ok(Array.isArray(s.tags), `${label}: tags is an array`);
  assert.ok(Array.isArray(s.mentions), `${label}: mentions is an array`);
  assert.ok(Array.isArray(s.media_attachments), `${label}: media_attachments is an array`);
  assert.ok('card' in s, `${label}: card (null) is present`);
  assert.ok('poll' in s, `${label}: poll (null) is present`);
  assert.match(s.id, /^\d+$/);
  assert.ok(!Number.isNaN(Date.parse(s.created_at)), `${label}: created_at`);
}

/** Hashtag links in the content, by decoded href. */
function tagLinks(html) {
  return [...html.matchAll(/<a href="([^"]*)"[^>]*rel="tag"[^>]*>#<span>([^<]*)<\/span><\/a>/g)].map((m) => ({
    href: decodeURIComponent(m[1].replace(/&amp;/g, '&')),
    text: m[2],
  }));
}

// ------------------------------------------------------------- tests

describe('posting photos', () => {
  ft('a 3-photo carousel keeps the order of media_ids, not of uploads', async () => {
    const before0 = (await me(author)).statuses_count;
    const a = await uploadPhoto(author, await readFile(fx('photos/ladybird.jpg')), { description: 'ladybird' });
    const b = await uploadPhoto(author, await readFile(fx('photos/raindrops.jpg')), { description: 'raindrops' });
    const c = await uploadPhoto(author, await readFile(fx('derived/progressive.jpg')), { description: 'seeding' });
    const order = [c.id, a.id, b.id];
    const s = await mustPost(author, { status: 'three in a row', media: order, visibility: 'public' });
    assert.deepEqual(s.media_attachments.map((m) => m.id), order, 'media_attachments in the order of media_ids');
    assert.deepEqual(s.media_attachments.map((m) => m.description), ['seeding', 'ladybird', 'raindrops']);
    assert.equal(s.account.id, author.id);
    assert.equal(s.account.statuses_count, before0 + 1, 'the account in the answer counts the new post');
    assert.equal(s.visibility, 'public');
    assert.equal(s.in_reply_to_id, null);
    const g = await getStatus(s.id);
    assert.equal(g.status, 200, show(g));
    assert.deepEqual(g.json.media_attachments.map((m) => m.id), order, 'GET keeps the order');
    assert.deepEqual(g.json.media_attachments, s.media_attachments, 'GET shows the same attachments');
    for (const m of g.json.media_attachments) {
      const f = await fetch(srv.url + new URL(m.url).pathname);
      await f.arrayBuffer();
      assert.equal(f.status, 200, `${m.description}: the feed file is served`);
    }
    assert.equal((await me(author)).statuses_count, before0 + 1, 'verify_credentials counts it');
  });

  ft('caption: hashtags (Latin and Arabic) are linked and listed; mentions of local users are linked and listed', async () => {
    const text = `Golden hour #sunset #انستجرام with @${mentioned.username} and @nobody_here_${Date.now() % 1000} <b>bold</b> & "quotes"`;
    const s = await photoPost(author, { status: text });
    const links = tagLinks(s.content);
    assert.deepEqual(
      links,
      [
        { href: `${srv.url}/tags/sunset`, text: 'sunset' },
        { href: `${srv.url}/tags/انستجرام`, text: 'انستجرام' },
      ],
      `hashtag links in ${s.content}`,
    );
    const tags = s.tags.map((t) => ({ name: t.name, url: decodeURIComponent(t.url) }));
    assert.deepEqual(
      tags,
      [
        { name: 'sunset', url: `${srv.url}/tags/sunset` },
        { name: 'انستجرام', url: `${srv.url}/tags/انستجرام` },
      ],
      `tags[] lists the caption's hashtags: ${JSON.stringify(s.tags)}`,
    );
    assert.deepEqual(
      s.mentions.map((m) => ({ id: m.id, username: m.username, acct: m.acct })),
      [{ id: mentioned.id, username: mentioned.username, acct: mentioned.username }],
      'mentions[] has the existing local user only',
    );
    const profile = (await me(mentioned)).url;
    assert.ok(s.content.includes(`href="${profile}"`), `the mention links to ${profile}: ${s.content}`);
    assert.ok(s.content.includes('@nobody_here_'), 'an unknown mention stays text');
    assert.ok(!/href="[^"]*nobody_here_/.test(s.content), 'an unknown mention is not linked');
    assert.ok(s.content.includes('&lt;b&gt;bold&lt;/b&gt;'), `HTML in the caption is escaped: ${s.content}`);
    assert.ok(!s.content.includes('<b>'), 'no raw HTML from the caption');
    const g = await getStatus(s.id);
    assert.deepEqual(g.json.tags, s.tags, 'GET lists the same tags');
  });

  ft("the Status JSON has Mastodon's keys and types (emojis [], card and poll null, nothing else)", async () => {
    const s = await photoPost(author, { status: 'shape #check' });
    assertStatusShape(s, 'POST answer');
    assertStatusShape((await getStatus(s.id)).json, 'GET answer');
    assert.equal(s.card, null);
    assert.equal(s.poll, null);
    assert.deepEqual(s.emojis, []);
  });

  ft('sensitive, spoiler_text and language are kept; a bad sensitive or visibility is 422', async () => {
    const s = await photoPost(author, { sensitive: 'true', spoiler_text: 'eye contact', language: 'fr' });
    assert.equal(s.sensitive, true);
    assert.equal(s.spoiler_text, 'eye contact');
    assert.equal(s.language, 'fr');
    const m = await uploadPhoto(author);
    for (const [extra, label] of [
      [{ sensitive: 'maybe' }, 'sensitive=maybe'],
      [{ visibility: 'secret' }, 'visibility=secret'],
    ]) {
      const r = await postStatus(author, { status: 'x', media: [m.id], ...extra });
      assert.equal(r.status, 422, `${label}: ${show(r)}`);
    }
    const ok = await postStatus(author, { status: 'x', media: [m.id] });
    assert.equal(ok.status, 200, `the photo is still usable after refused posts: ${show(ok)}`);
  });

  ft("the default visibility is the account's source[privacy]", async () => {
    const u = await registerUser(srv);
    const up = await patch(srv, '/api/v1/accounts/update_credentials', { token: u.token, form: { 'source[privacy]': 'unlisted' } });
    assert.equal(up.status, 200, show(up));
    assert.equal(up.json.source.privacy, 'unlisted');
    const s = await photoPost(u);
    assert.equal(s.visibility, 'unlisted', 'no visibility given: the account default');
    const s2 = await photoPost(u, { visibility: 'public' });
    assert.equal(s2.visibility, 'public', 'an explicit visibility wins');
  });
});

describe('limits', () => {
  ft('caption: max_caption_chars (2200) characters, counted as characters, and no more', async () => {
    const m = await uploadPhoto(author);
    const long = await postStatus(author, { status: 'é'.repeat(2201), media: [m.id] });
    assert.equal(long.status, 422, `2201 characters: ${show(long)}`);
    const exact = await postStatus(author, { status: 'é'.repeat(2199) + '🌅', media: [m.id] });
    assert.equal(exact.status, 200, `2200 characters (4400+ bytes): ${show(exact)}`);
  });

  ft('21 photos with the default 20 is 422; 20 are posted in order', async () => {
    const ids = [];
    for (let i = 0; i < 21; i++) ids.push((await uploadPhoto(author)).id);
    const before0 = (await me(author)).statuses_count;
    const r = await postStatus(author, { status: 'too many', media: ids });
    assert.equal(r.status, 422, `21 photos: ${show(r)}`);
    assert.equal((await me(author)).statuses_count, before0, 'nothing was posted');
    const s = await mustPost(author, { status: 'twenty', media: ids.slice(0, 20) });
    assert.deepEqual(s.media_attachments.map((x) => x.id), ids.slice(0, 20));
    const again = await postStatus(author, { status: 'reuse', media: [ids[20], ids[0]] });
    assert.equal(again.status, 422, `a photo already used in a post: ${show(again)}`);
    const last = await postStatus(author, { status: 'the 21st alone', media: [ids[20]] });
    assert.equal(last.status, 200, `the 21st photo is still unattached and usable: ${show(last)}`);
  });

  ft("others' media, used media, unknown media and no photo at all: 422, and nothing is attached", async () => {
    const mine = await uploadPhoto(author);
    const theirs = await uploadPhoto(other);
    const before0 = (await me(author)).statuses_count;
    const cases = [
      [[theirs.id], "someone else's photo"],
      [[mine.id, theirs.id], "mine and someone else's"],
      [[missingId(mine.id)], 'an unknown id'],
      [['not-a-number'], 'a malformed id'],
      [[], 'no photo on a top-level post'],
    ];
    for (const [media, label] of cases) {
      const r = await postStatus(author, { status: 'x', media });
      assert.equal(r.status, 422, `${label}: ${show(r)}`);
    }
    const textOnly = await postStatus(author, { status: 'just words' });
    assert.equal(textOnly.status, 422, `a top-level post without media_ids: ${show(textOnly)}`);
    assert.equal((await me(author)).statuses_count, before0, 'nothing was posted');
    // Both photos are still unattached: their owners can post them.
    const ok1 = await postStatus(author, { status: 'mine', media: [mine.id] });
    assert.equal(ok1.status, 200, show(ok1));
    const ok2 = await postStatus(other, { status: 'theirs', media: [theirs.id] });
    assert.equal(ok2.status, 200, show(ok2));
  });
});

describe('Idempotency-Key', () => {
  ft('the same key returns the same post, even though its photos are now attached', async () => {
    const m = await uploadPhoto(author);
    const key = randomUUID();
    const before0 = (await me(author)).statuses_count;
    const first = await postStatus(author, { status: 'once', media: [m.id], headers: { 'idempotency-key': key } });
    assert.equal(first.status, 200, show(first));
    const retry = await postStatus(author, { status: 'once', media: [m.id], headers: { 'idempotency-key': key } });
    assert.equal(retry.status, 200, `an identical retry with the same key: ${show(retry)}`);
    assert.equal(retry.json.id, first.json.id, 'the same status id');
    assert.equal((await me(author)).statuses_count, before0 + 1, 'no duplicate post');

    const m2 = await uploadPhoto(author);
    const otherKey = await postStatus(author, { status: 'once', media: [m2.id], headers: { 'idempotency-key': randomUUID() } });
    assert.equal(otherKey.status, 200, show(otherKey));
    assert.notEqual(otherKey.json.id, first.json.id, 'another key makes another post');

    // Keys belong to an account: another user's post with the same key is theirs.
    const m3 = await uploadPhoto(other);
    const theirs = await postStatus(other, { status: 'mine', media: [m3.id], headers: { 'idempotency-key': key } });
    assert.equal(theirs.status, 200, show(theirs));
    assert.notEqual(theirs.json.id, first.json.id, "another account's key space");
    assert.equal(theirs.json.account.id, other.id);
  });
});

describe('visibility', () => {
  const posts = {};
  let missing;
  const viewers = () => ({ anonymous: null, stranger, follower, mentioned, author });
  // who may see each visibility
  const allowed = {
    public: ['anonymous', 'stranger', 'follower', 'mentioned', 'author'],
    unlisted: ['anonymous', 'stranger', 'follower', 'mentioned', 'author'],
    private: ['follower', 'mentioned', 'author'],
    direct: ['mentioned', 'author'],
  };

  ft('posts of each visibility, mentioning one user', async () => {
    for (const v of Object.keys(allowed)) {
      posts[v] = await photoPost(author, { status: `${v} for @${mentioned.username}`, visibility: v });
      assert.equal(posts[v].visibility, v);
      assert.deepEqual(posts[v].mentions.map((m) => m.id), [mentioned.id]);
    }
    missing = missingId(posts.direct.id);
  });

  for (const v of Object.keys(allowed)) {
    for (const who of ['anonymous', 'stranger', 'follower', 'mentioned', 'author']) {
      const can = allowed[v].includes(who);
      ft(`${v} post, ${who}: ${can ? '200' : '404 exactly like a missing post'}`, async () => {
        const u = viewers()[who];
        const r = await getStatus(posts[v].id, u);
        if (can) {
          assert.equal(r.status, 200, show(r));
          assert.equal(r.json.id, posts[v].id);
          assert.equal(r.json.visibility, v);
        } else {
          const none = await getStatus(missing, u);
          assert.equal(r.status, 404, `${who} must not see a ${v} post: ${show(r)}`);
          assertSameAnswer(r, none, `${v} post hidden from ${who} vs a missing post`);
          for (const sub of ['history', 'source']) {
            if (sub === 'source' && !u) continue;
            const h = await get(srv, `/api/v1/statuses/${posts[v].id}/${sub}`, { token: u?.token });
            const hn = await get(srv, `/api/v1/statuses/${missing}/${sub}`, { token: u?.token });
            assert.equal(h.status, 404, `${sub} of a hidden ${v} post for ${who}: ${show(h)}`);
            assertSameAnswer(h, hn, `${sub}: hidden vs missing for ${who}`);
          }
        }
      });
    }
  }

  ft('a reply to a hidden post answers exactly like a reply to a missing post', async () => {
    for (const [v, who] of [
      ['private', 'stranger'],
      ['direct', 'stranger'],
      ['direct', 'follower'],
    ]) {
      const u = viewers()[who];
      const reply = await postStatus(u, { status: 'sneaky reply', in_reply_to_id: posts[v].id });
      const replyMissing = await postStatus(u, { status: 'sneaky reply', in_reply_to_id: missing });
      assert.ok(reply.status >= 400 && reply.status < 500, `a reply to a hidden ${v} post by ${who} is refused: ${show(reply)}`);
      assertSameAnswer(reply, replyMissing, `reply to a hidden ${v} post vs a missing post, for ${who}`);
    }
    const p = await getStatus(posts.private.id, author);
    assert.equal(p.json.replies_count, 0, 'no reply was counted');
  });

  ft('a follower who unfollows loses the private post', async () => {
    const fan = await registerUser(srv);
    const f = await post(srv, `/api/v1/accounts/${author.id}/follow`, { token: fan.token });
    assert.equal(f.status, 200, show(f));
    assert.equal((await getStatus(posts.private.id, fan)).status, 200, 'following: visible');
    const uf = await post(srv, `/api/v1/accounts/${author.id}/unfollow`, { token: fan.token });
    assert.equal(uf.status, 200, show(uf));
    const r = await getStatus(posts.private.id, fan);
    assert.equal(r.status, 404, `after unfollowing: ${show(r)}`);
  });
});

describe('deleting', () => {
  ft('only the author deletes; the answer has the text; the post is gone; statuses_count drops', async () => {
    const text = 'to be deleted #gone';
    const s = await photoPost(author, { status: text });
    const count = (await me(author)).statuses_count;
    for (const u of [stranger, follower]) {
      const r = await deleteStatus(s.id, u);
      const none = await deleteStatus(missingId(s.id), u);
      assert.equal(r.status, 404, `DELETE by a non-author: ${show(r)}`);
      assertSameAnswer(r, none, 'DELETE by a non-author vs a missing post');
    }
    const anon = await request(srv, 'DELETE', `/api/v1/statuses/${s.id}`);
    assert.equal(anon.status, 401, `anonymous DELETE: ${show(anon)}`);
    assert.equal((await getStatus(s.id)).status, 200, 'still there');
    const d = await deleteStatus(s.id, author);
    assert.equal(d.status, 200, show(d));
    assert.equal(d.json.id, s.id);
    assert.equal(d.json.text, text, 'the answer carries the source text, for redrafting');
    assert.equal(d.json.media_attachments.length, 1, 'and the attachments');
    const g = await getStatus(s.id, author);
    assert.equal(g.status, 404, 'the post is gone');
    assertSameAnswer(g, await getStatus(missingId(s.id), author), 'a deleted post answers like a missing one');
    assert.equal((await me(author)).statuses_count, count - 1, 'statuses_count drops by one');
    const again = await deleteStatus(s.id, author);
    assert.equal(again.status, 404, 'deleting twice');
    assert.equal((await me(author)).statuses_count, count - 1, 'and the count drops only once');
  });
});

describe('editing', () => {
  let s, a, b, c;
  ft('PUT (JSON) edits the caption, reorders photos and changes their alt text; edited_at is set', async () => {
    a = await uploadPhoto(author, smallPhoto, { description: 'alt A1' });
    b = await uploadPhoto(author, smallPhoto, { description: 'alt B1' });
    s = await mustPost(author, { status: 'version one #first', media: [a.id, b.id], visibility: 'public' });
    assert.equal(s.edited_at, null);
    const r = await editStatusJson(s.id, author, {
      status: 'version two #second',
      spoiler_text: 'now with a warning',
      sensitive: true,
      media_ids: [b.id, a.id],
      media_attributes: [{ id: a.id, description: 'alt A2', focus: '0.25,-0.5' }],
    });
    assert.equal(r.status, 200, show(r));
    assert.equal(r.json.id, s.id);
    assert.ok(r.json.edited_at && !Number.isNaN(Date.parse(r.json.edited_at)), `edited_at is set: ${r.json.edited_at}`);
    assert.ok(Date.parse(r.json.edited_at) >= Date.parse(s.created_at));
    assert.equal(r.json.created_at, s.created_at, 'created_at does not change');
    assert.match(r.json.content, /version two/);
    assert.deepEqual(tagLinks(r.json.content).map((x) => x.text), ['second']);
    assert.equal(r.json.spoiler_text, 'now with a warning');
    assert.equal(r.json.sensitive, true);
    assert.deepEqual(r.json.media_attachments.map((m) => m.id), [b.id, a.id], 'reordered');
    const ma = r.json.media_attachments.find((m) => m.id === a.id);
    assert.equal(ma.description, 'alt A2');
    assert.deepEqual(ma.meta.focus, { x: 0.25, y: -0.5 });
    assert.equal(r.json.media_attachments.find((m) => m.id === b.id).description, 'alt B1', 'untouched alt text stays');
    const g = await getStatus(s.id);
    assert.deepEqual(g.json.media_attachments.map((m) => m.id), [b.id, a.id]);
    assert.equal(g.json.edited_at, r.json.edited_at);
    assert.deepEqual(r.json.tags.map((t) => t.name), ['second'], 'tags follow the edit');
  });

  ft('PUT (form) honours media_attributes[][id] / [][description] / [][focus], the Rails array form clients send', async () => {
    const x = await uploadPhoto(author, smallPhoto, { description: 'x1' });
    const y = await uploadPhoto(author, smallPhoto, { description: 'y1' });
    const p = await mustPost(author, { status: 'form edit', media: [x.id, y.id] });
    const r = await editStatus(p.id, author, [
      ['status', 'form edit 2'],
      ['media_ids[]', x.id],
      ['media_ids[]', y.id],
      ['media_attributes[][id]', x.id],
      ['media_attributes[][description]', 'x2'],
      ['media_attributes[][focus]', '0.5,0.5'],
      ['media_attributes[][id]', y.id],
      ['media_attributes[][description]', 'y2'],
    ]);
    assert.equal(r.status, 200, show(r));
    assert.deepEqual(
      r.json.media_attachments.map((m) => [m.description, m.meta.focus]),
      [
        ['x2', { x: 0.5, y: 0.5 }],
        ['y2', { x: 0, y: 0 }],
      ],
      'the alt texts and focus sent as media_attributes[][...] are applied, not silently dropped',
    );
    const indexed = await editStatus(p.id, author, [
      ['status', 'form edit 3'],
      ['media_ids[]', x.id],
      ['media_ids[]', y.id],
      ['media_attributes[0][id]', y.id],
      ['media_attributes[0][description]', 'y3'],
    ]);
    assert.equal(indexed.status, 200, show(indexed));
    assert.equal(indexed.json.media_attachments[1].description, 'y3', 'media_attributes[0][...] works too');
  });

  ft('a second edit removes one photo and adds another', async () => {
    c = await uploadPhoto(author, smallPhoto, { description: 'alt C' });
    const r = await editStatus(s.id, author, [
      ['status', 'version three'],
      ['media_ids[]', a.id],
      ['media_ids[]', c.id],
    ]);
    assert.equal(r.status, 200, show(r));
    assert.deepEqual(r.json.media_attachments.map((m) => m.id), [a.id, c.id]);
    assert.equal(r.json.media_attachments[0].description, 'alt A2');
    // c is now attached: it cannot be posted again.
    const reuse = await postStatus(author, { status: 'x', media: [c.id] });
    assert.equal(reuse.status, 422, `a photo attached by an edit is used: ${show(reuse)}`);
  });

  ft('history: every version, oldest first, the original included', async () => {
    const r = await get(srv, `/api/v1/statuses/${s.id}/history`);
    assert.equal(r.status, 200, show(r));
    const h = r.json;
    assert.equal(h.length, 3, `the original and two edits: ${JSON.stringify(h.map((x) => x.content))}`);
    assert.match(h[0].content, /version one/);
    assert.match(h[1].content, /version two/);
    assert.match(h[2].content, /version three/);
    for (let i = 1; i < h.length; i++) assert.ok(Date.parse(h[i].created_at) >= Date.parse(h[i - 1].created_at), 'oldest first');
    assert.equal(h[0].created_at, s.created_at, "the first version's time is the post's");
    assert.equal(h[0].spoiler_text, '');
    assert.equal(h[0].sensitive, false);
    assert.equal(h[1].spoiler_text, 'now with a warning');
    for (const v of h) assert.equal(v.account.id, author.id);
    // The last version is the current post.
    const g = await getStatus(s.id);
    assert.equal(h[2].content, g.json.content);
    assert.deepEqual(h[2].media_attachments.map((m) => m.id), [a.id, c.id]);
    // Earlier versions show the photos they had, even one removed since (b).
    assert.deepEqual(h[0].media_attachments.map((m) => m.id), [a.id, b.id], 'version 1: the original photos, in their order');
    assert.deepEqual(h[0].media_attachments.map((m) => m.description), ['alt A1', 'alt B1'], 'version 1: the original alt texts');
    assert.deepEqual(h[1].media_attachments.map((m) => m.id), [b.id, a.id], 'version 2: its photos, in its order');
  });

  ft('source: the author gets {id, text, spoiler_text}; nobody else', async () => {
    const r = await get(srv, `/api/v1/statuses/${s.id}/source`, { token: author.token });
    assert.equal(r.status, 200, show(r));
    assert.deepEqual(r.json, { id: s.id, text: 'version three', spoiler_text: 'now with a warning' });
    const none = await get(srv, `/api/v1/statuses/${missingId(s.id)}/source`, { token: stranger.token });
    for (const u of [stranger, follower]) {
      const x = await get(srv, `/api/v1/statuses/${s.id}/source`, { token: u.token });
      assert.equal(x.status, 404, show(x));
      assertSameAnswer(x, none, "another user's source vs a missing post");
    }
    const anon = await get(srv, `/api/v1/statuses/${s.id}/source`);
    assert.equal(anon.status, 401, `anonymous: ${show(anon)}`);
  });

  ft('refused edits change nothing: non-author, too long, no photo, foreign or used media', async () => {
    const d = await uploadPhoto(author);
    await mustPost(author, { status: 'uses d', media: [d.id] });
    const theirs = await uploadPhoto(other);
    const beforeEdit = (await getStatus(s.id)).json;
    const notMine = await editStatus(s.id, stranger, [['status', 'hijack'], ['media_ids[]', a.id]]);
    const notMineMissing = await editStatus(missingId(s.id), stranger, [['status', 'hijack'], ['media_ids[]', a.id]]);
    assert.equal(notMine.status, 404, `an edit by a non-author: ${show(notMine)}`);
    assertSameAnswer(notMine, notMineMissing, "editing another's post vs a missing post");
    for (const [form, label] of [
      [[['status', 'é'.repeat(2201)], ['media_ids[]', a.id]], '2201 characters'],
      [[['status', 'no photo'], ['media_ids[]', '']], 'no photo on a top-level post'],
      [[['status', 'foreign'], ['media_ids[]', a.id], ['media_ids[]', theirs.id]], "someone else's photo"],
      [[['status', 'used'], ['media_ids[]', a.id], ['media_ids[]', d.id]], "a photo of another post"],
      [[['status', 'too many'], ...Array.from({ length: 21 }, () => ['media_ids[]', a.id])], '21 photos'],
      [[['status', 'bad alt'], ['media_ids[]', a.id], ['media_attributes[0][id]', a.id], ['media_attributes[0][description]', 'x'.repeat(1501)]], 'alt text of 1501 characters'],
      [[['status', 'bad focus'], ['media_ids[]', a.id], ['media_attributes[0][id]', a.id], ['media_attributes[0][focus]', '2,0']], 'focus out of range'],
    ]) {
      const r = await editStatus(s.id, author, form);
      assert.equal(r.status, 422, `${label}: ${show(r)}`);
    }
    const jsonAlt = await editStatusJson(s.id, author, { status: 'bad alt', media_ids: [a.id], media_attributes: [{ id: a.id, description: 'x'.repeat(1501) }] });
    assert.equal(jsonAlt.status, 422, `alt text of 1501 characters (JSON): ${show(jsonAlt)}`);
    const afterEdit = (await getStatus(s.id)).json;
    assert.deepEqual(afterEdit, beforeEdit, 'the post is unchanged');
    const h = await get(srv, `/api/v1/statuses/${s.id}/history`);
    assert.equal(h.json.length, 3, 'no version was added');
    const theirsPost = await postStatus(other, { status: 'still mine', media: [theirs.id] });
    assert.equal(theirsPost.status, 200, `the other user's photo was not taken: ${show(theirsPost)}`);
  });
});

describe('replies', () => {
  ft('a text-only reply; replies_count goes up and back down when the reply is deleted', async () => {
    const parent = await photoPost(author, { status: 'a parent', visibility: 'public' });
    assert.equal(parent.replies_count, 0);
    const followerCount = (await me(follower)).statuses_count;
    const reply = await mustPost(follower, { status: `@${author.username} lovely`, in_reply_to_id: parent.id });
    assert.equal(reply.in_reply_to_id, parent.id);
    assert.equal(reply.in_reply_to_account_id, author.id);
    assert.deepEqual(reply.media_attachments, [], 'a reply may be text-only');
    assert.equal(reply.account.statuses_count, followerCount + 1);
    const m = await uploadPhoto(stranger);
    const photoReply = await mustPost(stranger, { status: 'here is mine', media: [m.id], in_reply_to_id: parent.id });
    assert.equal(photoReply.media_attachments.length, 1, 'a reply may have photos too');
    let p = await getStatus(parent.id);
    assert.equal(p.json.replies_count, 2, 'two replies');
    const d = await deleteStatus(reply.id, follower);
    assert.equal(d.status, 200, show(d));
    p = await getStatus(parent.id);
    assert.equal(p.json.replies_count, 1, 'a deleted reply no longer counts');
    assert.equal((await me(follower)).statuses_count, followerCount, "the replier's count is back");
    // Deleting the parent leaves the other reply readable, pointing at it.
    const dp = await deleteStatus(parent.id, author);
    assert.equal(dp.status, 200, show(dp));
    const orphan = await getStatus(photoReply.id);
    assert.equal(orphan.status, 200, show(orphan));
  });

  ft('a reply to a missing post is refused, exactly like one to a hidden post', async () => {
    const fake = missingId((await photoPost(author)).id);
    const r = await postStatus(stranger, { status: 'hello?', in_reply_to_id: fake });
    assert.equal(r.status, 404, `Mastodon answers 404 (statuses.errors.in_reply_not_found) for a reply to a post that does not exist: ${show(r)}`);
    const bad = await postStatus(stranger, { status: 'hello?', in_reply_to_id: 'abc' });
    assertSameAnswer(bad, r, 'a malformed in_reply_to_id vs a missing post');
  });

  ft('the mentioned user can reply to a direct post; the parent counts it', async () => {
    const dm = await photoPost(author, { status: `just for @${mentioned.username}`, visibility: 'direct' });
    const r = await mustPost(mentioned, { status: `@${author.username} thanks`, in_reply_to_id: dm.id, visibility: 'direct' });
    assert.equal(r.in_reply_to_id, dm.id);
    const p = await getStatus(dm.id, author);
    assert.equal(p.json.replies_count, 1);
  });
});
