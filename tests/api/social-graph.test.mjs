// The social graph, black-box: follow / unfollow / remove_from_followers /
// block / unblock / mute / unmute and what each does to both accounts'
// counters and to the relationships; follow requests to locked accounts
// (authorize, reject, withdraw, block) and their follow_request
// notification; the follower and following lists (blocked-either-way
// accounts hidden, Link pagination walked to the end); the follower ledger
// (GET /api/v1/pinhole/followers/history: causes and daily numbers).
//
// Semantics are Mastodon's (docs.joinmastodon.org/methods/accounts/,
// /follow_requests/); where Mastodon's behaviour comes from its code rather
// than its docs, the test says so.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { get, must, parseLinks, passwordGrant, patch, post, registerUser, show, startServer, uniqueName, walkPages } from './lib/server.mjs';

let srv;
before(async () => {
  srv = await startServer();
});
after(async () => {
  await srv?.stop();
});

// ------------------------------------------------------------- helpers

const walk = (path, token) => walkPages(srv, path, token);

async function newUser(prefix = 'g', { locked = false } = {}) {
  const u = await registerUser(srv, { username: uniqueName(prefix) });
  const me = must(await get(srv, '/api/v1/accounts/verify_credentials', { token: u.token }), 'verify_credentials');
  u.id = me.id;
  if (locked) {
    const r = must(await patch(srv, '/api/v1/accounts/update_credentials', { token: u.token, form: { locked: 'true' } }), 'lock');
    assert.equal(r.locked, true, 'the account is locked');
  }
  return u;
}

const act = (u, verb, target, form) => post(srv, `/api/v1/accounts/${target.id ?? target}/${verb}`, { token: u.token, form });
async function mustAct(u, verb, target, form) {
  return must(await act(u, verb, target, form), `${verb} ${target.id ?? target}`);
}

async function account(u) {
  return must(await get(srv, `/api/v1/accounts/${u.id}`), `GET account ${u.id}`);
}

/** {followers_count, following_count} of each user, in order. */
async function counts(...users) {
  const out = [];
  for (const u of users) {
    const a = await account(u);
    out.push([a.followers_count, a.following_count]);
  }
  return out;
}

async function relationship(viewer, other) {
  const r = must(await get(srv, `/api/v1/accounts/relationships?id[]=${other.id}`, { token: viewer.token }), 'relationships');
  assert.equal(r.length, 1, `one relationship: ${JSON.stringify(r)}`);
  assert.equal(r[0].id, other.id);
  return r[0];
}

/** The relationship fields that matter, for exact comparisons. */
function rel(r) {
  const { following, followed_by, blocking, blocked_by, muting, muting_notifications, requested, requested_by } = r;
  return { following, followed_by, blocking, blocked_by, muting, muting_notifications, requested, requested_by };
}
const NONE = Object.freeze({
  following: false, followed_by: false, blocking: false, blocked_by: false,
  muting: false, muting_notifications: false, requested: false, requested_by: false,
});

/** Follows rel="next" from `path` to the end; returns every page. */
async function notifications(u, query = '') {
  return must(await get(srv, `/api/v1/notifications${query}`, { token: u.token }), 'notifications');
}

const today = () => new Date().toISOString().slice(0, 10);

// ------------------------------------------------------------- tests

describe('follow and unfollow', () => {
  test('follow moves both counters once; a second follow changes nothing', async () => {
    const [a, b] = [await newUser(), await newUser()];
    const r = await mustAct(a, 'follow', b);
    for (const k of ['id', 'following', 'showing_reblogs', 'notifying', 'followed_by', 'blocking', 'blocked_by',
      'muting', 'muting_notifications', 'requested', 'requested_by', 'domain_blocking', 'endorsed', 'note']) {
      assert.ok(k in r, `Relationship has ${k}: ${JSON.stringify(r)}`);
    }
    assert.equal(r.id, b.id);
    assert.deepEqual(rel(r), { ...NONE, following: true });
    assert.deepEqual(await counts(a, b), [[0, 1], [1, 0]]);
    assert.deepEqual(rel(await relationship(b, a)), { ...NONE, followed_by: true });

    const again = await mustAct(a, 'follow', b);
    assert.deepEqual(rel(again), { ...NONE, following: true });
    assert.deepEqual(await counts(a, b), [[0, 1], [1, 0]], 'following twice counts once');

    // mutual
    assert.deepEqual(rel(await mustAct(b, 'follow', a)), { ...NONE, following: true, followed_by: true });
    assert.deepEqual(await counts(a, b), [[1, 1], [1, 1]]);
  });

  test('unfollow moves both counters back once; unfollowing a stranger is a no-op', async () => {
    const [a, b, c] = [await newUser(), await newUser(), await newUser()];
    await mustAct(a, 'follow', b);
    await mustAct(c, 'follow', b);
    assert.deepEqual(rel(await mustAct(a, 'unfollow', b)), NONE);
    assert.deepEqual(await counts(a, b, c), [[0, 0], [1, 0], [0, 1]]);
    assert.deepEqual(rel(await mustAct(a, 'unfollow', b)), NONE, 'a second unfollow answers the same');
    assert.deepEqual(await counts(a, b, c), [[0, 0], [1, 0], [0, 1]], 'a second unfollow changes nothing');
    assert.deepEqual(rel(await mustAct(a, 'unfollow', c)), NONE);
    assert.deepEqual(await counts(a, b, c), [[0, 0], [1, 0], [0, 1]]);
  });

  test('self, missing and malformed targets', async () => {
    const a = await newUser();
    const self = await act(a, 'follow', a);
    assert.equal(self.status, 422, `following oneself: ${show(self)}`);
    assert.deepEqual(await counts(a), [[0, 0]]);
    const missing = await act(a, 'follow', '1234567890123');
    assert.equal(missing.status, 404, `following a missing account: ${show(missing)}`);
    const bad = await act(a, 'follow', 'abc');
    assert.equal(bad.status, 404, `following a malformed id: ${show(bad)}`);
    assert.equal(bad.text, missing.text, 'a malformed id answers like a missing one');
    for (const verb of ['unfollow', 'block', 'unblock', 'mute', 'unmute', 'remove_from_followers']) {
      const r = await act(a, verb, '1234567890123');
      assert.equal(r.status, 404, `${verb} of a missing account: ${show(r)}`);
    }
    const anon = await post(srv, `/api/v1/accounts/${a.id}/follow`);
    assert.equal(anon.status, 401, `follow without a token: ${show(anon)}`);
  });

  test('relationships answers in the order asked, for several ids', async () => {
    const [a, b, c, d] = [await newUser(), await newUser(), await newUser(), await newUser()];
    await mustAct(a, 'follow', b);
    await mustAct(d, 'follow', a);
    await mustAct(a, 'mute', c);
    const r = must(await get(srv, `/api/v1/accounts/relationships?id[]=${d.id}&id[]=${b.id}&id[]=${c.id}`, { token: a.token }), 'relationships');
    assert.deepEqual(r.map((x) => x.id), [d.id, b.id, c.id]);
    assert.deepEqual(r.map(rel), [
      { ...NONE, followed_by: true },
      { ...NONE, following: true },
      { ...NONE, muting: true, muting_notifications: true },
    ]);
  });
});

describe('remove_from_followers', () => {
  test('removes the follower edge, both counters and nothing else', async () => {
    const [a, b, c] = [await newUser(), await newUser(), await newUser()];
    await mustAct(b, 'follow', a);
    await mustAct(c, 'follow', a);
    await mustAct(a, 'follow', b);
    const r = await mustAct(a, 'remove_from_followers', b);
    assert.deepEqual(rel(r), { ...NONE, following: true }, 'a still follows b; b no longer follows a');
    assert.deepEqual(await counts(a, b, c), [[1, 1], [1, 0], [0, 1]]);
    assert.deepEqual(rel(await relationship(b, a)), { ...NONE, followed_by: true });
    const list = must(await get(srv, `/api/v1/accounts/${a.id}/followers`), 'followers');
    assert.deepEqual(list.map((x) => x.id), [c.id]);
    // removing someone who does not follow: no change
    assert.deepEqual(rel(await mustAct(a, 'remove_from_followers', b)), { ...NONE, following: true });
    assert.deepEqual(await counts(a, b, c), [[1, 1], [1, 0], [0, 1]]);
  });
});

describe('block', () => {
  test('removes follows both ways with their counters, lists the block, forbids following either way', async () => {
    const [a, b, c] = [await newUser(), await newUser(), await newUser()];
    await mustAct(a, 'follow', b);
    await mustAct(b, 'follow', a);
    await mustAct(c, 'follow', a);
    await mustAct(a, 'follow', c);
    assert.deepEqual(await counts(a, b, c), [[2, 2], [1, 1], [1, 1]]);

    const r = await mustAct(a, 'block', b);
    assert.deepEqual(rel(r), { ...NONE, blocking: true });
    assert.deepEqual(rel(await relationship(b, a)), { ...NONE, blocked_by: true });
    assert.deepEqual(await counts(a, b, c), [[1, 1], [0, 0], [1, 1]], 'both follows are gone, c untouched');

    const blocks = must(await get(srv, '/api/v1/blocks', { token: a.token }), 'blocks');
    assert.deepEqual(blocks.map((x) => x.id), [b.id]);
    assert.deepEqual(must(await get(srv, '/api/v1/blocks', { token: b.token }), 'blocks of b'), []);

    const f1 = await act(b, 'follow', a);
    assert.equal(f1.status, 403, `the blocked one follows the blocker: ${show(f1)}`);
    const f2 = await act(a, 'follow', b);
    assert.equal(f2.status, 403, `the blocker follows the blocked one: ${show(f2)}`);
    assert.deepEqual(await counts(a, b), [[1, 1], [0, 0]], 'refused follows change nothing');

    // block again: idempotent
    assert.deepEqual(rel(await mustAct(a, 'block', b)), { ...NONE, blocking: true });
    assert.equal(must(await get(srv, '/api/v1/blocks', { token: a.token }), 'blocks').length, 1);

    // unblock: following works again, the old follows are not restored
    assert.deepEqual(rel(await mustAct(a, 'unblock', b)), NONE);
    assert.deepEqual(must(await get(srv, '/api/v1/blocks', { token: a.token }), 'blocks'), []);
    assert.deepEqual(await counts(a, b), [[1, 1], [0, 0]]);
    assert.deepEqual(rel(await mustAct(b, 'follow', a)), { ...NONE, following: true });
    assert.deepEqual(await counts(a, b), [[2, 1], [0, 1]]);
    // unblocking someone not blocked: a no-op
    assert.deepEqual(rel(await mustAct(c, 'unblock', b)), NONE);
  });

  test('blocking oneself is refused', async () => {
    const a = await newUser();
    const r = await act(a, 'block', a);
    assert.equal(r.status, 422, show(r));
    assert.deepEqual(must(await get(srv, '/api/v1/blocks', { token: a.token }), 'blocks'), []);
  });

  test('blocked-either-way accounts are hidden from follower and following lists', async () => {
    const [t, x, y, z] = [await newUser('t'), await newUser('x'), await newUser('y'), await newUser('z')];
    for (const u of [x, y, z]) await mustAct(u, 'follow', t);
    for (const u of [x, y, z]) await mustAct(t, 'follow', u);
    await mustAct(x, 'block', y); // x blocks y
    const ids = async (path, viewer) => must(await get(srv, path, { token: viewer?.token }), path).map((a) => a.id);
    const followers = `/api/v1/accounts/${t.id}/followers`;
    const following = `/api/v1/accounts/${t.id}/following`;
    assert.deepEqual(await ids(followers), [z.id, y.id, x.id], 'anonymous sees everyone');
    assert.deepEqual(await ids(followers, z), [z.id, y.id, x.id], 'an uninvolved viewer sees everyone');
    assert.deepEqual(await ids(followers, x), [z.id, x.id], 'the blocker does not see the blocked one');
    assert.deepEqual(await ids(followers, y), [z.id, y.id], 'the blocked one does not see the blocker');
    assert.deepEqual(await ids(following, x), [z.id, x.id]);
    assert.deepEqual(await ids(following, y), [z.id, y.id]);
    // The counts are not filtered (Mastodon: counts are the owner's).
    assert.deepEqual(await counts(t), [[3, 3]]);
  });

  test('an account that blocked you shows you no followers and no following (Mastodon hide_results?)', async () => {
    const [owner, viewer, f] = [await newUser(), await newUser(), await newUser()];
    await mustAct(f, 'follow', owner);
    await mustAct(owner, 'follow', f);
    await mustAct(owner, 'block', viewer);
    for (const kind of ['followers', 'following']) {
      const r = must(await get(srv, `/api/v1/accounts/${owner.id}/${kind}`, { token: viewer.token }), kind);
      assert.deepEqual(r.map((a) => a.id), [], `${kind} of an account that blocked the viewer`);
      const anon = must(await get(srv, `/api/v1/accounts/${owner.id}/${kind}`), kind);
      assert.deepEqual(anon.map((a) => a.id), [f.id], `${kind} for anonymous`);
    }
  });
});

describe('mute', () => {
  test('mute, mute without notifications, unmute: relationships, the mutes list, follows untouched', async () => {
    const [a, b] = [await newUser(), await newUser()];
    await mustAct(a, 'follow', b);
    assert.deepEqual(rel(await mustAct(a, 'mute', b)), { ...NONE, following: true, muting: true, muting_notifications: true },
      'notifications defaults to true');
    assert.deepEqual(must(await get(srv, '/api/v1/mutes', { token: a.token }), 'mutes').map((x) => x.id), [b.id]);
    assert.deepEqual(await counts(a, b), [[0, 1], [1, 0]], 'a mute changes no counter');
    assert.deepEqual(rel(await mustAct(a, 'mute', b, { notifications: 'false' })),
      { ...NONE, following: true, muting: true, muting_notifications: false }, 'muting again updates the notifications flag');
    assert.equal(must(await get(srv, '/api/v1/mutes', { token: a.token }), 'mutes').length, 1, 'one mute, not two');
    assert.deepEqual(rel(await relationship(b, a)), { ...NONE, followed_by: true }, 'the muted one sees nothing');
    assert.deepEqual(rel(await mustAct(a, 'unmute', b)), { ...NONE, following: true });
    assert.deepEqual(must(await get(srv, '/api/v1/mutes', { token: a.token }), 'mutes'), []);
    assert.deepEqual(rel(await mustAct(a, 'unmute', b)), { ...NONE, following: true }, 'unmuting again is a no-op');
  });
});

describe('follow requests (locked accounts)', () => {
  async function requestNotes(u) {
    return notifications(u, '?types[]=follow_request');
  }

  test('a follow becomes a request: no counters, listed, notified once, requested/requested_by', async () => {
    const [l, r1] = [await newUser('l', { locked: true }), await newUser()];
    const r = await mustAct(r1, 'follow', l);
    assert.deepEqual(rel(r), { ...NONE, requested: true });
    assert.deepEqual(await counts(l, r1), [[0, 0], [0, 0]]);
    assert.deepEqual(rel(await relationship(l, r1)), { ...NONE, requested_by: true });
    assert.deepEqual(must(await get(srv, '/api/v1/follow_requests', { token: l.token }), 'requests').map((x) => x.id), [r1.id]);
    // asking again: still one request, one notification
    assert.deepEqual(rel(await mustAct(r1, 'follow', l)), { ...NONE, requested: true });
    assert.equal(must(await get(srv, '/api/v1/follow_requests', { token: l.token }), 'requests').length, 1);
    const notes = await requestNotes(l);
    assert.equal(notes.length, 1, `one follow_request notification: ${JSON.stringify(notes)}`);
    assert.equal(notes[0].type, 'follow_request');
    assert.equal(notes[0].account.id, r1.id);
    // Mastodon: source.follow_requests_count is the number of pending requests.
    const me = must(await get(srv, '/api/v1/accounts/verify_credentials', { token: l.token }), 'verify');
    assert.equal(me.source?.follow_requests_count, 1, `source.follow_requests_count: ${JSON.stringify(me.source)}`);
  });

  test('authorize: the follow exists with both counters, the request and its notification are gone', async () => {
    const [l, r1] = [await newUser('l', { locked: true }), await newUser()];
    await mustAct(r1, 'follow', l);
    const [note] = await requestNotes(l);
    assert.ok(note, 'a follow_request notification');
    const r = must(await post(srv, `/api/v1/follow_requests/${r1.id}/authorize`, { token: l.token }), 'authorize');
    assert.equal(r.id, r1.id);
    assert.deepEqual(rel(r), { ...NONE, followed_by: true });
    assert.deepEqual(rel(await relationship(r1, l)), { ...NONE, following: true });
    assert.deepEqual(await counts(l, r1), [[1, 0], [0, 1]]);
    assert.deepEqual(must(await get(srv, '/api/v1/follow_requests', { token: l.token }), 'requests'), []);
    assert.deepEqual(await requestNotes(l), [], 'the follow_request notification is gone');
    const one = await get(srv, `/api/v1/notifications/${note.id}`, { token: l.token });
    assert.equal(one.status, 404, `GET the answered request's notification: ${show(one)}`);
    // authorizing again: there is no request any more
    const again = await post(srv, `/api/v1/follow_requests/${r1.id}/authorize`, { token: l.token });
    assert.equal(again.status, 404, `authorizing an answered request: ${show(again)}`);
    assert.deepEqual(await counts(l, r1), [[1, 0], [0, 1]]);
    const me = must(await get(srv, '/api/v1/accounts/verify_credentials', { token: l.token }), 'verify');
    assert.equal(me.source?.follow_requests_count, 0);
  });

  test('reject: no follow, no counters, the request and its notification are gone', async () => {
    const [l, r2] = [await newUser('l', { locked: true }), await newUser()];
    await mustAct(r2, 'follow', l);
    const r = must(await post(srv, `/api/v1/follow_requests/${r2.id}/reject`, { token: l.token }), 'reject');
    assert.deepEqual(rel(r), NONE);
    assert.deepEqual(rel(await relationship(r2, l)), NONE);
    assert.deepEqual(await counts(l, r2), [[0, 0], [0, 0]]);
    assert.deepEqual(must(await get(srv, '/api/v1/follow_requests', { token: l.token }), 'requests'), []);
    assert.deepEqual(await requestNotes(l), [], 'the follow_request notification is gone');
    const again = await post(srv, `/api/v1/follow_requests/${r2.id}/reject`, { token: l.token });
    assert.equal(again.status, 404, `rejecting an answered request: ${show(again)}`);
    const stranger = await newUser();
    const none = await post(srv, `/api/v1/follow_requests/${stranger.id}/authorize`, { token: l.token });
    assert.equal(none.status, 404, `authorizing someone who never asked: ${show(none)}`);
  });

  test('withdrawing a request (unfollow) removes it and its notification', async () => {
    const [l, r3] = [await newUser('l', { locked: true }), await newUser()];
    await mustAct(r3, 'follow', l);
    assert.deepEqual(rel(await mustAct(r3, 'unfollow', l)), NONE);
    assert.deepEqual(must(await get(srv, '/api/v1/follow_requests', { token: l.token }), 'requests'), []);
    assert.deepEqual(rel(await relationship(l, r3)), NONE);
    // Mastodon: FollowRequest has_one :notification, dependent: :destroy
    const notes = await requestNotes(l);
    assert.deepEqual(notes.map((n) => n.account.id), [], 'no follow_request notification for a withdrawn request');
  });

  test('blocking a requester drops the request and its notification, also after an unblock', async () => {
    const [l, r4] = [await newUser('l', { locked: true }), await newUser()];
    await mustAct(r4, 'follow', l);
    assert.deepEqual(rel(await mustAct(l, 'block', r4)), { ...NONE, blocking: true });
    assert.deepEqual(must(await get(srv, '/api/v1/follow_requests', { token: l.token }), 'requests'), []);
    assert.deepEqual(await requestNotes(l), []);
    await mustAct(l, 'unblock', r4);
    assert.deepEqual(must(await get(srv, '/api/v1/follow_requests', { token: l.token }), 'requests'), []);
    assert.deepEqual((await requestNotes(l)).map((n) => n.account.id), [], 'the notification of a dropped request stays gone');
    assert.deepEqual(rel(await relationship(l, r4)), NONE);
  });

  test('a locked account that follows back: requests do not count until authorized, the ledger agrees', async () => {
    const l = await newUser('l', { locked: true });
    const rs = [await newUser(), await newUser(), await newUser()];
    for (const r of rs) await mustAct(r, 'follow', l);
    const pending = must(await get(srv, '/api/v1/follow_requests', { token: l.token }), 'requests').map((x) => x.id);
    assert.deepEqual(pending, [rs[2].id, rs[1].id, rs[0].id], 'requests newest first');
    must(await post(srv, `/api/v1/follow_requests/${rs[1].id}/authorize`, { token: l.token }), 'authorize');
    must(await post(srv, `/api/v1/follow_requests/${rs[0].id}/reject`, { token: l.token }), 'reject');
    assert.deepEqual(must(await get(srv, '/api/v1/follow_requests', { token: l.token }), 'requests').map((x) => x.id), [rs[2].id]);
    assert.deepEqual(await counts(l), [[1, 0]]);
    const h = must(await get(srv, '/api/v1/pinhole/followers/history?days=1', { token: l.token }), 'ledger');
    assert.deepEqual(h.events.map((e) => [e.cause, e.delta, e.account?.id]), [['followed', 1, rs[1].id]]);
    assert.equal(h.days[0].followers, 1);
  });
});

describe('lists paginate with Link headers', () => {
  test('followers: rel=next to the end, newest first, no duplicates, prev returns the page before', async () => {
    const t = await newUser('t');
    const fs = [];
    for (let i = 0; i < 13; i++) fs.push(await newUser('f'));
    for (const f of fs) await mustAct(f, 'follow', t);
    const expected = fs.map((f) => f.id).reverse();

    const { pages, ids } = await walk(`/api/v1/accounts/${t.id}/followers?limit=5`);
    assert.deepEqual(pages.map((p) => p.ids.length), [5, 5, 3]);
    assert.deepEqual(ids, expected);
    assert.equal(pages[2].links.next, undefined, 'the last page has no next link');
    // prev of the second page is the first page
    const prev = must(await get(srv, pages[1].links.prev), 'prev');
    assert.deepEqual(prev.map((a) => a.id), pages[0].ids, `prev link ${pages[1].links.prev}`);
    // default and maximum limits
    assert.equal(must(await get(srv, `/api/v1/accounts/${t.id}/followers`), 'default').length, 13);
    assert.equal(must(await get(srv, `/api/v1/accounts/${t.id}/followers?limit=1000`), 'clamped').length, 13);

    // An unfollow between pages neither duplicates nor skips anyone.
    const first = await get(srv, `/api/v1/accounts/${t.id}/followers?limit=4`);
    const firstIds = first.json.map((a) => a.id);
    await mustAct(fs[12], 'unfollow', t); // on page one
    await mustAct(fs[5], 'unfollow', t); // on a later page
    const rest = await walk(parseLinks(first).next);
    const all = [...firstIds, ...rest.ids];
    assert.equal(new Set(all).size, all.length, 'no duplicates');
    assert.deepEqual(all, expected.filter((id) => id !== fs[5].id));
    assert.deepEqual(await counts(t), [[11, 0]]);
  });

  test('following, blocks and mutes paginate the same way', async () => {
    const a = await newUser('a');
    const targets = [];
    for (let i = 0; i < 9; i++) targets.push(await newUser('x'));
    for (const x of targets) await mustAct(a, 'follow', x);
    const expected = targets.map((x) => x.id).reverse();
    const f = await walk(`/api/v1/accounts/${a.id}/following?limit=4`);
    assert.deepEqual(f.pages.map((p) => p.ids.length), [4, 4, 1]);
    assert.deepEqual(f.ids, expected);
    for (const x of targets) await mustAct(a, 'mute', x);
    const m = await walk('/api/v1/mutes?limit=2', a.token);
    assert.deepEqual(m.ids, expected);
    for (const x of targets) await mustAct(a, 'block', x);
    const b = await walk('/api/v1/blocks?limit=3', a.token);
    assert.deepEqual(b.ids, expected);
    assert.deepEqual(await counts(a), [[0, 0]], 'blocking everyone one follows empties following');
  });

  test('follow_requests paginate too', async () => {
    const l = await newUser('l', { locked: true });
    const rs = [];
    for (let i = 0; i < 7; i++) rs.push(await newUser('r'));
    for (const r of rs) await mustAct(r, 'follow', l);
    const w = await walk('/api/v1/follow_requests?limit=3', l.token);
    assert.deepEqual(w.ids, rs.map((r) => r.id).reverse());
    assert.deepEqual(w.pages.map((p) => p.ids.length), [3, 3, 1]);
  });
});

describe('the follower ledger', () => {
  test('causes, deltas and today\'s numbers after follow, unfollow, remove and block (both directions)', async () => {
    const day = today();
    const o = await newUser('o');
    const f = [];
    for (let i = 0; i < 6; i++) f.push(await newUser('f'));
    for (let i = 0; i < 6; i++) await mustAct(f[i], 'follow', o);
    await mustAct(f[0], 'unfollow', o); // unfollowed
    await mustAct(o, 'remove_from_followers', f[1]); // removed
    await mustAct(o, 'block', f[2]); // blocked (by the owner)
    await mustAct(f[3], 'block', o); // blocked (by the follower)
    await mustAct(o, 'follow', f[4]); // the owner's own following is not in the owner's ledger

    const h = must(await get(srv, '/api/v1/pinhole/followers/history', { token: o.token }), 'ledger');
    if (today() !== day) return; // crossed midnight UTC while running: the daily numbers are split
    assert.equal(h.days.length, 30, 'days defaults to 30');
    const dates = h.days.map((d) => d.date);
    assert.deepEqual([...dates].sort(), dates, 'days oldest first');
    assert.equal(dates.at(-1), day, 'the last day is today (UTC)');
    assert.equal(new Set(dates).size, 30);
    const last = h.days.at(-1);
    assert.deepEqual(
      { followers: last.followers, gained: last.gained, lost: last.lost, by_cause: last.by_cause },
      { followers: 2, gained: 6, lost: 4, by_cause: { followed: 6, unfollowed: 1, removed: 1, blocked: 2 } },
    );
    for (const d of h.days.slice(0, -1)) {
      assert.deepEqual({ followers: d.followers, gained: d.gained, lost: d.lost }, { followers: 0, gained: 0, lost: 0 },
        `${d.date}: the account did not exist`);
    }
    assert.equal(last.followers, (await account(o)).followers_count, 'today\'s number is the followers_count');
    assert.deepEqual(
      h.events.map((e) => [e.cause, e.delta, e.account?.id]),
      [
        ['blocked', -1, f[3].id],
        ['blocked', -1, f[2].id],
        ['removed', -1, f[1].id],
        ['unfollowed', -1, f[0].id],
        ['followed', 1, f[5].id],
        ['followed', 1, f[4].id],
        ['followed', 1, f[3].id],
        ['followed', 1, f[2].id],
        ['followed', 1, f[1].id],
        ['followed', 1, f[0].id],
      ],
      'events newest first',
    );
    for (const e of h.events) {
      assert.match(e.id, /^\d+$/);
      assert.ok(!Number.isNaN(Date.parse(e.created_at)), `created_at ${e.created_at}`);
    }
    // f[4]'s ledger shows o's follow
    const h4 = must(await get(srv, '/api/v1/pinhole/followers/history?days=1', { token: f[4].token }), 'ledger f4');
    assert.deepEqual(h4.events.map((e) => [e.cause, e.delta, e.account?.id]), [['followed', 1, o.id]]);
    assert.deepEqual(h4.days.map((d) => [d.followers, d.gained, d.lost]), [[1, 1, 0]]);
    // a block between mutual followers costs each side one follower, cause blocked
    const h3 = must(await get(srv, '/api/v1/pinhole/followers/history?days=1', { token: f[3].token }), 'ledger f3');
    assert.deepEqual(h3.events, [], 'f3 never had o as a follower');
  });

  test('mutual follow then block: both ledgers record a blocked loss', async () => {
    const [a, b] = [await newUser(), await newUser()];
    await mustAct(a, 'follow', b);
    await mustAct(b, 'follow', a);
    await mustAct(a, 'block', b);
    for (const [u, other] of [[a, b], [b, a]]) {
      const h = must(await get(srv, '/api/v1/pinhole/followers/history?days=2', { token: u.token }), 'ledger');
      assert.deepEqual(h.events.map((e) => [e.cause, e.delta, e.account?.id]), [['blocked', -1, other.id], ['followed', 1, other.id]]);
      assert.equal(h.days.length, 2);
      assert.deepEqual(h.days.at(-1).by_cause, { followed: 1, blocked: 1 });
      assert.equal(h.days.at(-1).followers, 0);
    }
  });

  test('days: a number from 1 to 366; the ledger is one\'s own and needs a token', async () => {
    const a = await newUser();
    assert.equal(must(await get(srv, '/api/v1/pinhole/followers/history?days=7', { token: a.token }), 'days=7').days.length, 7);
    assert.equal(must(await get(srv, '/api/v1/pinhole/followers/history?days=366', { token: a.token }), 'days=366').days.length, 366);
    for (const bad of ['0', '-1', '367', 'abc', '']) {
      const r = await get(srv, `/api/v1/pinhole/followers/history?days=${bad}`, { token: a.token });
      assert.ok(r.status === 400 || r.status === 422, `days=${bad}: ${show(r)}`);
    }
    const anon = await get(srv, '/api/v1/pinhole/followers/history');
    assert.equal(anon.status, 401, show(anon));
  });
});

describe('scopes', () => {
  /** A new account with a second token of the given scopes (password grant). */
  async function scopedUser(scope) {
    const u = await registerUser(srv, { username: uniqueName('sc') });
    const r = must(await passwordGrant(srv, u.app, u.username, u.password, scope), `password grant ${scope}`);
    assert.equal(r.scope, scope, 'the token has the scopes asked for');
    return { ...u, token: r.access_token };
  }

  test('a read-only token can read the graph but every social write answers 403', async () => {
    const target = await newUser('t');
    const ro = await scopedUser('read');
    const me = must(await get(srv, '/api/v1/accounts/verify_credentials', { token: ro.token }), 'verify_credentials');
    must(await get(srv, `/api/v1/accounts/relationships?id[]=${target.id}`, { token: ro.token }), 'relationships with read');
    must(await get(srv, '/api/v1/blocks', { token: ro.token }), 'blocks with read');
    must(await get(srv, '/api/v1/notifications', { token: ro.token }), 'notifications with read');
    const writes = [
      ...['follow', 'unfollow', 'remove_from_followers', 'block', 'unblock', 'mute', 'unmute'].map((v) => `/api/v1/accounts/${target.id}/${v}`),
      `/api/v1/follow_requests/${target.id}/authorize`,
      `/api/v1/follow_requests/${target.id}/reject`,
      '/api/v1/statuses/1234567890123/favourite',
      '/api/v1/statuses/1234567890123/unfavourite',
      '/api/v1/statuses/1234567890123/bookmark',
      '/api/v1/notifications/clear',
      '/api/v1/notifications/1234567890123/dismiss',
      '/api/v1/tags/sunset/follow',
      '/api/v1/tags/sunset/unfollow',
      '/api/v1/markers',
    ];
    for (const path of writes) {
      const r = await post(srv, path, { token: ro.token, form: { 'notifications[last_read_id]': '1' } });
      assert.equal(r.status, 403, `POST ${path} with a read-only token: ${show(r)}`);
    }
    assert.deepEqual(await counts(target), [[0, 0]], 'nothing happened');
    const rel0 = await relationship({ token: ro.token }, target);
    assert.deepEqual(rel(rel0), NONE);
    assert.ok(me.id);
  });

  test('a follow-scoped token (the legacy "follow" scope) may follow, block and mute but not like', async () => {
    const target = await newUser('t');
    const f = await scopedUser('read follow');
    must(await post(srv, `/api/v1/accounts/${target.id}/follow`, { token: f.token }), 'follow with the follow scope');
    must(await post(srv, `/api/v1/accounts/${target.id}/mute`, { token: f.token }), 'mute with the follow scope');
    must(await post(srv, `/api/v1/accounts/${target.id}/block`, { token: f.token }), 'block with the follow scope');
    const like = await post(srv, '/api/v1/statuses/1234567890123/favourite', { token: f.token });
    assert.equal(like.status, 403, `favourite with read follow: ${show(like)}`);
  });
});

describe('the cap on accounts followed (max_following)', () => {
  let capped;
  before(async () => {
    capped = await startServer({ set: { max_following: '2' } });
  });
  after(async () => {
    await capped?.stop();
  });

  test('the follow past the cap answers 422 and changes nothing; an unfollow makes room again', async () => {
    const users = [];
    for (let i = 0; i < 4; i++) {
      const u = await registerUser(capped, { username: uniqueName('cap') });
      u.id = must(await get(capped, '/api/v1/accounts/verify_credentials', { token: u.token }), 'me').id;
      users.push(u);
    }
    const [me, a, b, c] = users;
    const follow = (t, verb = 'follow') => post(capped, `/api/v1/accounts/${t.id}/${verb}`, { token: me.token });
    must(await follow(a), 'first follow');
    must(await follow(b), 'second follow');
    const third = await follow(c);
    assert.equal(third.status, 422, show(third));
    assert.equal(third.json.error, 'Validation failed: You cannot follow more than 2 accounts');
    const mine = must(await get(capped, `/api/v1/accounts/${me.id}`), 'me');
    assert.equal(mine.following_count, 2);
    assert.equal(must(await get(capped, `/api/v1/accounts/${c.id}`), 'c').followers_count, 0);
    must(await follow(a), 'following someone already followed is still fine at the cap');
    must(await follow(a, 'unfollow'), 'unfollow');
    must(await follow(c), 'room again');
  });
});
