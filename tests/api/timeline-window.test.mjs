// The home timeline's two reads give the same pages. Someone who follows
// many accounts is read from the newest posts an instance holds (the
// window read); everyone else, and every page the window cannot fill, by
// probing each followed account (the threshold merge); the tags someone
// follows are always read by the merge, and its page merged with the
// window's. A server with home_scan_from=1 takes the window for everyone;
// one with home_scan_from=0 never does. Both read the same data here, through
// every rule the home timeline has: comments, direct posts, followers-only
// posts, unlisted posts, reblogs, one's own posts, blocks both ways, mutes,
// a followed tag, and pages walked with max_id, since_id and min_id.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { PinholeServer, REPO_ROOT, get, must, post, registerUser, uniqueName, walkPages } from './lib/server.mjs';

const PNG = await readFile(join(REPO_ROOT, 'tests', 'fixtures', 'seeding-256.png'));

let srv;
before(async () => {
  srv = new PinholeServer({ set: { home_scan_from: 1 } });
  await srv.start();
});
after(async () => {
  await srv?.stop();
});

async function newUser(prefix) {
  const u = await registerUser(srv, { username: uniqueName(prefix) });
  u.id = must(await get(srv, '/api/v1/accounts/verify_credentials', { token: u.token }), 'me').id;
  return u;
}

const act = async (u, verb, target) => must(await post(srv, `/api/v1/accounts/${target.id}/${verb}`, { token: u.token }), verb);

async function photo(u, text, visibility = 'public') {
  const m = must(await post(srv, '/api/v1/media', { token: u.token, multipart: [['file', new Blob([PNG]), 'p.png']], timeoutMs: 60000 }), 'upload');
  const form = [['status', text], ['media_ids[]', m.id], ['visibility', visibility]];
  return must(await post(srv, '/api/v1/statuses', { token: u.token, form }), 'post');
}

const comment = async (u, parent) =>
  must(await post(srv, '/api/v1/statuses', { token: u.token, form: [['status', 'nice'], ['in_reply_to_id', parent.id]] }), 'comment');

/** Every page of every walk, as ids, for the viewers. */
async function pages(viewers) {
  const out = {};
  for (const [name, v] of Object.entries(viewers)) {
    for (const limit of [1, 3, 7, 40]) {
      const down = await walkPages(srv, `/api/v1/timelines/home?limit=${limit}`, v.token);
      out[`${name} limit=${limit}`] = down.pages.map((p) => p.ids);
      // newest-first pages below a post, and pages above one (min_id)
      const mid = down.ids[Math.floor(down.ids.length / 2)];
      for (const q of [`max_id=${mid}`, `since_id=${mid}`, `min_id=${mid}`]) {
        const r = must(await get(srv, `/api/v1/timelines/home?limit=${limit}&${q}`, { token: v.token }), q);
        out[`${name} limit=${limit} ${q}`] = r.map((s) => s.id);
      }
    }
  }
  return out;
}

test('the window read and the per-account read give the same home pages', { timeout: 300_000 }, async () => {
  const viewer = await newUser('wv');
  const tagger = await newUser('wt'); // follows a tag as well: the window and the merge of tags
  const authors = [];
  for (let i = 0; i < 6; i++) authors.push(await newUser(`wa${i}`));
  const [blocked, blocker, muted, stranger] = [await newUser('wb'), await newUser('wk'), await newUser('wm'), await newUser('ws')];
  for (const a of [...authors, blocked, blocker, muted]) {
    await act(viewer, 'follow', a);
    await act(tagger, 'follow', a);
  }
  await act(viewer, 'block', blocked);
  await act(blocker, 'block', viewer);
  await act(viewer, 'mute', muted);
  must(await post(srv, '/api/v1/tags/windowtag/follow', { token: tagger.token }), 'follow tag');

  const posts = [];
  const who = [...authors, blocked, blocker, muted, stranger, viewer];
  for (let i = 0; i < 70; i++) {
    const u = who[(i * 7) % who.length];
    const vis = ['public', 'public', 'unlisted', 'private', 'direct'][i % 5];
    const p = await photo(u, `post ${i} #windowtag @${viewer.username}`, vis);
    posts.push(p);
    if (i % 6 === 0) await comment(u, p); // its author can always comment
    if (i % 9 === 0 && vis === 'public') must(await post(srv, `/api/v1/statuses/${p.id}/reblog`, { token: authors[(i + 1) % authors.length].token }), 'reblog');
  }

  const viewers = { viewer, tagger, stranger };
  const window = await pages(viewers);
  // The window read really answers: the viewer's first page holds posts
  // by followed accounts and nothing from the hidden ones.
  const first = must(await get(srv, '/api/v1/timelines/home?limit=40', { token: viewer.token }), 'home');
  assert.ok(first.length >= 20, `home has ${first.length} posts`);
  const hidden = new Set([blocked.id, blocker.id, muted.id, stranger.id]);
  for (const s of first) {
    assert.ok(!hidden.has(s.account.id), `post ${s.id} by a hidden or unfollowed account`);
    assert.ok(s.in_reply_to_id === null, 'a comment in home');
    if (!s.reblog) assert.notEqual(s.visibility, 'direct', 'a direct post in home');
  }

  await srv.stop({ keepData: true });
  srv.set = { ...srv.set, home_scan_from: 0 };
  await srv.restart();
  const merge = await pages(viewers);
  assert.deepEqual(window, merge);
});
