// Notifications, black-box: the four types (follow, follow_request,
// favourite, mention) with their account and status, types[] and
// exclude_types[] (also across pages), GET one, dismiss, clear,
// unread_count with markers, mutes (notifications=true silences,
// notifications=false does not), blocks (hidden everywhere), and
// notifications that go away with what caused them.
//
// Mastodon: docs.joinmastodon.org/methods/notifications/, /methods/markers/,
// /methods/accounts/#mute. Where a rule comes from Mastodon's code (its
// Favourite, Follow, FollowRequest and Mention models destroy their
// notification with them; AfterBlockService deletes the blocked account's
// notifications), the test says so.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { REPO_ROOT, get, must, parseLinks, patch, post, registerUser, request, show, startServer, uniqueName, walkPages } from './lib/server.mjs';

const PNG = await readFile(join(REPO_ROOT, 'tests', 'fixtures', 'seeding-256.png'));

let srv;
before(async () => {
  srv = await startServer();
});
after(async () => {
  await srv?.stop();
});

// ------------------------------------------------------------- helpers

const walk = (path, token) => walkPages(srv, path, token);

async function newUser(prefix = 'n', { locked = false } = {}) {
  const u = await registerUser(srv, { username: uniqueName(prefix) });
  const me = must(await get(srv, '/api/v1/accounts/verify_credentials', { token: u.token }), 'verify_credentials');
  u.id = me.id;
  u.username = me.username;
  if (locked) must(await patch(srv, '/api/v1/accounts/update_credentials', { token: u.token, form: { locked: 'true' } }), 'lock');
  return u;
}

const act = async (u, verb, target, form) =>
  must(await post(srv, `/api/v1/accounts/${target.id}/${verb}`, { token: u.token, form }), `${verb} ${target.id}`);

async function photo(u, text = 'a photo', visibility = 'public') {
  const m = must(await post(srv, '/api/v1/media', { token: u.token, multipart: [['file', new Blob([PNG]), 'p.png']] }), 'upload');
  const form = [['status', text], ['media_ids[]', m.id], ['visibility', visibility]];
  return must(await post(srv, '/api/v1/statuses', { token: u.token, form }), 'post');
}

async function comment(u, parent, text) {
  return must(await post(srv, '/api/v1/statuses', { token: u.token, form: { status: text, in_reply_to_id: parent.id } }), 'comment');
}

const fav = async (u, s) => must(await post(srv, `/api/v1/statuses/${s.id}/favourite`, { token: u.token }), 'favourite');
const unfav = async (u, s) => must(await post(srv, `/api/v1/statuses/${s.id}/unfavourite`, { token: u.token }), 'unfavourite');

async function notes(u, query = '') {
  return must(await get(srv, `/api/v1/notifications${query}`, { token: u.token }), `notifications${query}`);
}

/** [type, account id, status id or null] of each notification. */
const brief = (list) => list.map((n) => [n.type, n.account?.id, n.status?.id ?? null]);

async function unread(u) {
  return must(await get(srv, '/api/v1/notifications/unread_count', { token: u.token }), 'unread_count').count;
}

// ------------------------------------------------------------- tests

describe('types', () => {
  test('follow, favourite and mention (in a post and in a comment), each once, with account and status; none for oneself', async () => {
    const [n, a, b] = [await newUser('n'), await newUser('a'), await newUser('b')];
    const mine = await photo(n, 'mine');
    await act(a, 'follow', n);
    await fav(b, mine);
    const mention = await photo(a, `hello @${n.username}`);
    const reply = await comment(b, mine, `nice @${n.username} and again @${n.username.toUpperCase()}`);
    // oneself: liking, mentioning and commenting on one's own post notify no one
    await fav(n, mine);
    await comment(n, mine, `me @${n.username}`);
    await photo(n, `me again @${n.username}`);
    // the comment on n's post by b is not a mention notification by itself
    const list = await notes(n);
    assert.deepEqual(brief(list), [
      ['mention', b.id, reply.id],
      ['mention', a.id, mention.id],
      ['favourite', b.id, mine.id],
      ['follow', a.id, null],
    ]);
    for (const x of list) {
      assert.match(x.id, /^\d+$/);
      assert.ok(!Number.isNaN(Date.parse(x.created_at)), `created_at ${x.created_at}`);
      assert.equal(typeof x.account?.username, 'string');
    }
    const men = list.find((x) => x.status?.id === mention.id);
    assert.deepEqual(men.status.mentions.map((m) => m.id), [n.id]);
    assert.deepEqual(await notes(a), [], 'the one who acted gets nothing');
  });

  test('follow_request for a locked account, follow for an open one', async () => {
    const [l, o, a] = [await newUser('l', { locked: true }), await newUser('o'), await newUser('a')];
    await act(a, 'follow', l);
    await act(a, 'follow', o);
    assert.deepEqual(brief(await notes(l)), [['follow_request', a.id, null]]);
    assert.deepEqual(brief(await notes(o)), [['follow', a.id, null]]);
  });
});

describe('filters and pages', () => {
  test('types[] and exclude_types[] filter, also on every page reached through rel=next', async () => {
    const n = await newUser('n');
    const posts = [];
    for (let i = 0; i < 3; i++) posts.push(await photo(n, `p${i}`));
    const others = [];
    for (let i = 0; i < 6; i++) others.push(await newUser('o'));
    const expectedFav = [];
    const expectedFollow = [];
    for (let i = 0; i < 6; i++) {
      await act(others[i], 'follow', n);
      expectedFollow.unshift(['follow', others[i].id, null]);
      await fav(others[i], posts[i % 3]);
      expectedFav.unshift(['favourite', others[i].id, posts[i % 3].id]);
    }
    const everything = await walk('/api/v1/notifications?limit=5', n.token);
    assert.equal(everything.items.length, 12);
    assert.deepEqual(everything.pages.map((p) => p.items.length), [5, 5, 2]);

    assert.deepEqual(brief(await notes(n, '?types[]=favourite')), expectedFav);
    assert.deepEqual(brief(await notes(n, '?exclude_types[]=favourite')), expectedFollow);
    assert.deepEqual(brief(await notes(n, '?types[]=favourite&types[]=follow&limit=40')).length, 12);
    assert.deepEqual(brief(await notes(n, '?types[]=mention')), []);

    const favs = await walk('/api/v1/notifications?types[]=favourite&limit=4', n.token);
    assert.deepEqual(brief(favs.items), expectedFav, `types[] on every page (${favs.pages.map((p) => p.path).join(' → ')})`);
    const follows = await walk('/api/v1/notifications?exclude_types[]=favourite&limit=4', n.token);
    assert.deepEqual(brief(follows.items), expectedFollow, `exclude_types[] on every page (${follows.pages.map((p) => p.path).join(' → ')})`);
  });

  test('max_id, since_id, min_id and prev', async () => {
    const n = await newUser('n');
    const fans = [];
    for (let i = 0; i < 7; i++) fans.push(await newUser('f'));
    for (const f of fans) await act(f, 'follow', n);
    const all = await notes(n);
    assert.deepEqual(all.map((x) => x.account.id), fans.map((f) => f.id).reverse());
    const id = (i) => all[i].id; // all[0] newest
    assert.deepEqual((await notes(n, `?max_id=${id(4)}`)).map((x) => x.id), [id(5), id(6)]);
    assert.deepEqual((await notes(n, `?since_id=${id(4)}&limit=2`)).map((x) => x.id), [id(0), id(1)]);
    assert.deepEqual((await notes(n, `?min_id=${id(4)}&limit=2`)).map((x) => x.id), [id(2), id(3)]);
    const w = await walk('/api/v1/notifications?limit=3', n.token);
    assert.deepEqual(w.items.map((x) => x.id), all.map((x) => x.id));
    const prev = must(await get(srv, w.pages[1].links.prev, { token: n.token }), 'prev');
    assert.deepEqual(prev.map((x) => x.id), w.pages[0].items.map((x) => x.id));
  });
});

describe('one notification, dismiss, clear', () => {
  test('GET one; someone else\'s answers like a missing one; dismiss; clear', async () => {
    const [n, a, b, other] = [await newUser('n'), await newUser('a'), await newUser('b'), await newUser('other')];
    await act(a, 'follow', n);
    await act(b, 'follow', n);
    await act(a, 'follow', other);
    const [nb, na] = await notes(n);
    const [theirs] = await notes(other);
    const one = must(await get(srv, `/api/v1/notifications/${na.id}`, { token: n.token }), 'GET one');
    assert.deepEqual(brief([one]), [['follow', a.id, null]]);
    assert.equal(one.id, na.id);
    const foreign = await get(srv, `/api/v1/notifications/${theirs.id}`, { token: n.token });
    const missing = await get(srv, '/api/v1/notifications/1234567890123', { token: n.token });
    assert.equal(foreign.status, 404, show(foreign));
    assert.equal(foreign.text, missing.text, 'someone else\'s notification answers like a missing one');
    const dismissForeign = await post(srv, `/api/v1/notifications/${theirs.id}/dismiss`, { token: n.token });
    assert.equal(dismissForeign.status, 404, show(dismissForeign));
    assert.equal((await notes(other)).length, 1, 'dismissing someone else\'s notification does nothing');

    must(await post(srv, `/api/v1/notifications/${na.id}/dismiss`, { token: n.token }), 'dismiss');
    assert.deepEqual((await notes(n)).map((x) => x.id), [nb.id]);
    const gone = await get(srv, `/api/v1/notifications/${na.id}`, { token: n.token });
    assert.equal(gone.status, 404, show(gone));
    const again = await post(srv, `/api/v1/notifications/${na.id}/dismiss`, { token: n.token });
    assert.equal(again.status, 404, `dismissing twice: ${show(again)}`);

    await act(a, 'unfollow', n);
    await act(a, 'follow', n);
    must(await post(srv, '/api/v1/notifications/clear', { token: n.token }), 'clear');
    assert.deepEqual(await notes(n), []);
    assert.equal(await unread(n), 0);
    assert.equal((await notes(other)).length, 1, 'clear is one\'s own');
    const anon = await get(srv, '/api/v1/notifications');
    assert.equal(anon.status, 401, show(anon));
  });
});

describe('unread count and markers', () => {
  test('unread_count counts what is newer than notifications[last_read_id]', async () => {
    const n = await newUser('n');
    const fans = [];
    for (let i = 0; i < 4; i++) fans.push(await newUser('f'));
    for (const f of fans) await act(f, 'follow', n);
    assert.equal(await unread(n), 4);
    const list = await notes(n);
    const m = must(await post(srv, '/api/v1/markers', { token: n.token, form: { 'notifications[last_read_id]': list[1].id } }), 'markers');
    assert.equal(m.notifications?.last_read_id, list[1].id);
    assert.ok(!Number.isNaN(Date.parse(m.notifications?.updated_at)), `updated_at: ${JSON.stringify(m)}`);
    assert.equal(typeof m.notifications?.version, 'number');
    assert.equal(await unread(n), 1);
    // the JSON form clients send
    must(await post(srv, '/api/v1/markers', { token: n.token, json: { notifications: { last_read_id: list[0].id } } }), 'markers json');
    assert.equal(await unread(n), 0);
    const late = await newUser('late');
    await act(late, 'follow', n);
    assert.equal(await unread(n), 1, 'a new notification is unread');
    const bad = await post(srv, '/api/v1/markers', { token: n.token, form: { 'notifications[last_read_id]': 'abc' } });
    assert.ok(bad.status === 400 || bad.status === 422, `a malformed last_read_id: ${show(bad)}`);
    // unread_count leaves out what is hidden
    await act(n, 'block', late);
    assert.equal(await unread(n), 0, 'a blocked account\'s notification is not unread');
  });
});

describe('mutes and blocks', () => {
  test('mute (notifications=true by default) silences new notifications from the muted account', async () => {
    const [n, m] = [await newUser('n'), await newUser('m')];
    const p = await photo(n);
    const m2 = await newUser('m2');
    await act(n, 'mute', m);
    await fav(m, p);
    await photo(m, `hi @${n.username}`);
    await act(m, 'follow', n);
    await fav(m2, p);
    assert.deepEqual(brief(await notes(n)), [['favourite', m2.id, p.id]]);
    assert.equal(await unread(n), 1);
  });

  test('mute with notifications=false still delivers the muted account\'s notifications', async () => {
    const [n, m] = [await newUser('n'), await newUser('m')];
    const p = await photo(n);
    const r = await act(n, 'mute', m, { notifications: 'false' });
    assert.equal(r.muting_notifications, false);
    await fav(m, p);
    const men = await photo(m, `hi @${n.username}`);
    assert.deepEqual(brief(await notes(n)), [['mention', m.id, men.id], ['favourite', m.id, p.id]]);
    assert.equal(await unread(n), 2);
  });

  test('blocking an account removes its notifications everywhere, and they do not come back on unblock', async () => {
    const [n, b, c] = [await newUser('n'), await newUser('b'), await newUser('c')];
    const p = await photo(n);
    await act(b, 'follow', n);
    await fav(b, p);
    await fav(c, p);
    const before = await notes(n);
    assert.equal(before.length, 3);
    const fromB = before.filter((x) => x.account.id === b.id);
    await act(n, 'block', b);
    assert.deepEqual(brief(await notes(n)), [['favourite', c.id, p.id]], 'the list');
    assert.equal(await unread(n), 1, 'unread_count');
    for (const x of fromB) {
      const one = await get(srv, `/api/v1/notifications/${x.id}`, { token: n.token });
      const missing = await get(srv, '/api/v1/notifications/1234567890123', { token: n.token });
      assert.equal(one.status, 404, `GET /notifications/${x.id} (${x.type} from the blocked account): ${show(one)}`);
      assert.equal(one.text, missing.text);
    }
    // b can no longer notify n: following is refused; liking n's post is refused
    const f = await post(srv, `/api/v1/accounts/${n.id}/follow`, { token: b.token });
    assert.equal(f.status, 403, show(f));
    await act(n, 'unblock', b);
    assert.deepEqual(brief(await notes(n)), [['favourite', c.id, p.id]], 'Mastodon deletes them on block: not back after unblock');
  });

  test('being blocked by the author: one cannot like or comment on their posts (answers like a missing post)', async () => {
    const [n, b] = [await newUser('n'), await newUser('b')];
    const p = await photo(n);
    await act(n, 'block', b);
    const like = await post(srv, `/api/v1/statuses/${p.id}/favourite`, { token: b.token });
    const likeMissing = await post(srv, '/api/v1/statuses/1234567890123/favourite', { token: b.token });
    assert.equal(like.status, likeMissing.status, `liking a post of an account that blocked you: ${show(like)}`);
    assert.equal(like.text, likeMissing.text);
    const re = await post(srv, '/api/v1/statuses', { token: b.token, form: { status: 'hey', in_reply_to_id: p.id } });
    const reMissing = await post(srv, '/api/v1/statuses', { token: b.token, form: { status: 'hey', in_reply_to_id: '1234567890123' } });
    assert.equal(re.status, reMissing.status, `commenting on a post of an account that blocked you: ${show(re)}`);
    assert.equal(re.text, reMissing.text);
    const s = must(await get(srv, `/api/v1/statuses/${p.id}`, { token: n.token }), 'the post');
    assert.deepEqual([s.favourites_count, s.replies_count], [0, 0]);
    assert.deepEqual(await notes(n), []);
  });
});

describe('notifications go away with what caused them', () => {
  test('unfavourite removes the favourite notification; like, unlike, like leaves exactly one', async () => {
    const [n, a] = [await newUser('n'), await newUser('a')];
    const p = await photo(n);
    await fav(a, p);
    await unfav(a, p);
    assert.deepEqual(brief(await notes(n)), [], 'Mastodon: Favourite has_one :notification, dependent: :destroy');
    await fav(a, p);
    await fav(a, p);
    assert.deepEqual(brief(await notes(n)), [['favourite', a.id, p.id]], 'one like, one notification');
  });

  test('unfollow removes the follow notification', async () => {
    const [n, a] = [await newUser('n'), await newUser('a')];
    await act(a, 'follow', n);
    await act(a, 'unfollow', n);
    await act(a, 'follow', n);
    assert.deepEqual(brief(await notes(n)), [['follow', a.id, null]], 'one follow, one notification');
  });

  test('deleting a post removes its mention and favourite notifications (never a status: null)', async () => {
    const [n, a] = [await newUser('n'), await newUser('a')];
    const mine = await photo(n);
    const men = await photo(a, `hey @${n.username}`);
    const c = await comment(a, mine, `and @${n.username}`);
    await fav(a, mine);
    assert.equal((await notes(n)).length, 3);
    must(await request(srv, 'DELETE', `/api/v1/statuses/${men.id}`, { token: a.token }), 'delete');
    must(await request(srv, 'DELETE', `/api/v1/statuses/${c.id}`, { token: a.token }), 'delete comment');
    assert.deepEqual(brief(await notes(n)), [['favourite', a.id, mine.id]]);
    must(await request(srv, 'DELETE', `/api/v1/statuses/${mine.id}`, { token: n.token }), 'delete own');
    assert.deepEqual(brief(await notes(n)), []);
    assert.equal(await unread(n), 0);
  });
});
