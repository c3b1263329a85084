// Reblogs (shares) and pinned posts: Mastodon semantics, their counts,
// notifications and what the audit says afterwards.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { REPO_ROOT, get, post, registerUser, request, show, startServer } from './lib/server.mjs';

const photo = await readFile(join(REPO_ROOT, 'tests/fixtures/sunset-600.jpg'));

async function me(srv, u) {
  const r = await get(srv, '/api/v1/accounts/verify_credentials', { token: u.token });
  assert.equal(r.status, 200, show(r));
  return r.json;
}

async function photoPost(srv, u, fields = {}) {
  const m = await post(srv, '/api/v2/media', {
    token: u.token,
    multipart: [['file', new Blob([photo], { type: 'image/jpeg' }), 'p.jpg']],
  });
  assert.equal(m.status, 200, show(m));
  const s = await post(srv, '/api/v1/statuses', {
    token: u.token,
    form: [['status', fields.status ?? 'A photo'], ['media_ids[]', m.json.id], ['visibility', fields.visibility ?? 'public']],
  });
  assert.equal(s.status, 200, show(s));
  return s.json;
}

describe('reblogs and pins', () => {
  let srv, alice, bob, carol, aliceId, bobId;
  before(async () => {
    srv = await startServer();
    [alice, bob, carol] = await Promise.all([registerUser(srv), registerUser(srv), registerUser(srv)]);
    aliceId = (await me(srv, alice)).id;
    bobId = (await me(srv, bob)).id;
    const f = await post(srv, `/api/v1/accounts/${bobId}/follow`, { token: carol.token });
    assert.equal(f.status, 200, show(f));
  });
  after(async () => {
    await srv?.stop();
  });

  test('a reblog wraps the original, counts once, reaches followers and notifies the author', async () => {
    const s = await photoPost(srv, alice);
    const r1 = await post(srv, `/api/v1/statuses/${s.id}/reblog`, { token: bob.token });
    assert.equal(r1.status, 200, show(r1));
    assert.notEqual(r1.json.id, s.id);
    assert.equal(r1.json.reblog.id, s.id);
    assert.equal(r1.json.reblog.reblogs_count, 1);
    assert.equal(r1.json.reblog.reblogged, true);
    assert.equal(r1.json.account.id, bobId);
    // Sharing twice is one share.
    const r2 = await post(srv, `/api/v1/statuses/${s.id}/reblog`, { token: bob.token });
    assert.equal(r2.json.id, r1.json.id);
    assert.equal((await get(srv, `/api/v1/statuses/${s.id}`)).json.reblogs_count, 1);
    // Reblogging the reblog shares the original.
    const r3 = await post(srv, `/api/v1/statuses/${r1.json.id}/reblog`, { token: carol.token });
    assert.equal(r3.json.reblog.id, s.id);
    assert.equal((await get(srv, `/api/v1/statuses/${s.id}`)).json.reblogs_count, 2);
    const home = await get(srv, '/api/v1/timelines/home', { token: carol.token });
    assert.ok(home.json.some((x) => x.id === r1.json.id && x.reblog?.id === s.id), show(home));
    const pub = await get(srv, '/api/v1/timelines/public');
    assert.ok(!pub.json.some((x) => x.reblog), 'the public timeline shows originals only');
    const n = await get(srv, '/api/v1/notifications?types[]=reblog', { token: alice.token });
    assert.equal(n.json.filter((x) => x.status?.id === s.id).length, 2);
    assert.equal((await me(srv, bob)).statuses_count, 1);
    // Unreblog: the share goes, counts follow.
    const u = await post(srv, `/api/v1/statuses/${s.id}/unreblog`, { token: bob.token });
    assert.equal(u.status, 200, show(u));
    assert.equal(u.json.id, s.id);
    assert.equal(u.json.reblogs_count, 1);
    assert.equal(u.json.reblogged, false);
    assert.equal((await get(srv, `/api/v1/statuses/${r1.json.id}`)).status, 404);
    assert.equal((await me(srv, bob)).statuses_count, 0);
  });

  test('reblogged_by lists the sharers newest first with Link pagination, without blocked accounts', async () => {
    const s = await photoPost(srv, alice);
    const sharers = [bob, carol, ...(await Promise.all([registerUser(srv), registerUser(srv)]))];
    const ids = [];
    for (const u of sharers) {
      const r = await post(srv, `/api/v1/statuses/${s.id}/reblog`, { token: u.token });
      assert.equal(r.status, 200, show(r));
      ids.push(r.json.account.id);
    }
    const all = await get(srv, `/api/v1/statuses/${s.id}/reblogged_by`);
    assert.equal(all.status, 200, show(all));
    assert.deepEqual(all.json.map((a) => a.id), [...ids].reverse());
    const page = await get(srv, `/api/v1/statuses/${s.id}/reblogged_by?limit=2`);
    assert.deepEqual(page.json.map((a) => a.id), ids.slice(2).reverse());
    const next = /<([^>]+)>; rel="next"/.exec(page.headers.link ?? '')?.[1];
    assert.ok(next, `a next link: ${page.headers.link}`);
    const rest = await get(srv, next.replace(/^https?:\/\/[^/]+/, ''));
    assert.deepEqual(rest.json.map((a) => a.id), ids.slice(0, 2).reverse());
    // a sharer the viewer blocked is left out of the viewer's list
    const b = await post(srv, `/api/v1/accounts/${ids[3]}/block`, { token: alice.token });
    assert.equal(b.status, 200, show(b));
    const mine = await get(srv, `/api/v1/statuses/${s.id}/reblogged_by`, { token: alice.token });
    assert.ok(!mine.json.some((a) => a.id === ids[3]), show(mine));
    // a post one cannot see answers like a missing one
    const hidden = await photoPost(srv, alice, { visibility: 'private' });
    const h = await get(srv, `/api/v1/statuses/${hidden.id}/reblogged_by`);
    const missing = await get(srv, '/api/v1/statuses/1234567890123456/reblogged_by');
    assert.equal(h.status, 404);
    assert.equal(h.text, missing.text);
    for (const u of sharers) await post(srv, `/api/v1/statuses/${s.id}/unreblog`, { token: u.token });
    await post(srv, `/api/v1/accounts/${ids[3]}/unblock`, { token: alice.token });
  });

  test('editing a shared post notifies the sharers with "update"; deleting it removes the shares', async () => {
    const s = await photoPost(srv, alice, { status: 'before' });
    const r = await post(srv, `/api/v1/statuses/${s.id}/reblog`, { token: bob.token });
    assert.equal(r.status, 200, show(r));
    const e = await request(srv, 'PUT', `/api/v1/statuses/${s.id}`, { token: alice.token, form: { status: 'after' } });
    assert.equal(e.status, 200, show(e));
    const n = await get(srv, '/api/v1/notifications?types[]=update', { token: bob.token });
    assert.ok(n.json.some((x) => x.status?.id === s.id), show(n));
    assert.equal((await me(srv, bob)).statuses_count, 1);
    const d = await request(srv, 'DELETE', `/api/v1/statuses/${s.id}`, { token: alice.token });
    assert.equal(d.status, 200, show(d));
    assert.equal((await get(srv, `/api/v1/statuses/${r.json.id}`)).status, 404);
    assert.equal((await me(srv, bob)).statuses_count, 0);
  });

  test('followers-only posts cannot be shared; a like of a reblog likes the original', async () => {
    const priv = await photoPost(srv, alice, { visibility: 'private' });
    const r = await post(srv, `/api/v1/statuses/${priv.id}/reblog`, { token: alice.token });
    assert.equal(r.status, 422, show(r));
    const s = await photoPost(srv, alice);
    const rb = await post(srv, `/api/v1/statuses/${s.id}/reblog`, { token: bob.token });
    const like = await post(srv, `/api/v1/statuses/${rb.json.id}/favourite`, { token: carol.token });
    assert.equal(like.status, 200, show(like));
    assert.equal(like.json.id, s.id);
    assert.equal(like.json.favourites_count, 1);
    // Stranger's view of a hidden post answers like a missing one.
    const hidden = await post(srv, `/api/v1/statuses/${priv.id}/reblog`, { token: carol.token });
    const missing = await post(srv, '/api/v1/statuses/999999999999/reblog', { token: carol.token });
    assert.equal(hidden.status, 404);
    assert.equal(hidden.text, missing.text);
  });

  test('pins: own posts only, at most 5, listed with pinned=true, flagged for the author', async () => {
    const mine = [];
    for (let i = 0; i < 6; i++) mine.push(await photoPost(srv, carol, { status: `p${i}` }));
    for (let i = 0; i < 5; i++) {
      const p = await post(srv, `/api/v1/statuses/${mine[i].id}/pin`, { token: carol.token });
      assert.equal(p.status, 200, show(p));
      assert.equal(p.json.pinned, true);
    }
    const sixth = await post(srv, `/api/v1/statuses/${mine[5].id}/pin`, { token: carol.token });
    assert.equal(sixth.status, 422, show(sixth));
    const other = await post(srv, `/api/v1/statuses/${mine[0].id}/pin`, { token: alice.token });
    assert.equal(other.status, 404, show(other));
    const carolId = (await me(srv, carol)).id;
    const list = await get(srv, `/api/v1/accounts/${carolId}/statuses?pinned=true`);
    assert.deepEqual(list.json.map((x) => x.id), mine.slice(0, 5).map((x) => x.id).reverse());
    const un = await post(srv, `/api/v1/statuses/${mine[0].id}/unpin`, { token: carol.token });
    assert.equal(un.json.pinned, false);
    const again = await post(srv, `/api/v1/statuses/${mine[5].id}/pin`, { token: carol.token });
    assert.equal(again.status, 200, show(again));
  });

  test('the audit agrees with every count afterwards', async () => {
    const out = await srv.cli(['audit']);
    assert.equal(out.code, 0, out.stdout + out.stderr);
  });
});
