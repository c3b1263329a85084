// Crash durability: 8 clients (each its own account) follow, unfollow,
// block, unblock, like, unlike, post photos, comment and delete against a
// real server while a supervisor kill -9s it every 2-4 s and restarts it on
// the same data dir. Every acknowledged (2xx) write is logged with what it
// implies; after each restart the supervisor checks that
//   - /healthz answers within 2 s of the restart (measured),
//   - every acknowledged write is there (a write whose answer never came
//     may or may not have happened; a later acknowledged write wins),
//   - acknowledged deletes stay deleted,
//   - every acknowledged photo post has its media, each file's bytes hash
//     to its ETag, every referenced blob hashes to its name,
//   - `pinhole audit` is clean, the counters the API shows equal the rows
//     and the relationships, there are no duplicate edges,
//   - PRAGMA integrity_check is ok and foreign_key_check is empty.
// A second test runs the same loop against the counter_bug build and
// requires the checks to fail: the battery can fail. It then deletes one
// acknowledged like from the database while the server is down, and
// requires the lost-write check to report it.
//
// Figures are printed as test diagnostics (node --test shows them).

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import {
  BIN,
  REPO_ROOT,
  Server,
  appToken,
  audit,
  blobChecks,
  checkStatusMedia,
  createApp,
  dbChecks,
  halfState,
  ok,
  photo,
  register,
  removeDir,
  request,
  run,
  sleep,
  sql,
  stableBinary,
  tempDir,
  uniqueJpeg,
} from './lib.mjs';

const CLIENTS = 8;
const TARGETS = 3;
const HEALTHZ_MS = Number(process.env.RELIABILITY_HEALTHZ_MS || 2000);
const BUG_BIN = join(REPO_ROOT, 'build-bug', 'pinhole');

// possible states as a bit set: what the model allows after restart
const NO = 1;
const YES = 2;
const bit = (b) => (b ? YES : NO);
const fmt = (s) => (s === NO ? 'absent' : s === YES ? 'present' : 'either');

/** A real photo, unique: a new original and (JPEG) new derivatives per upload. */
function uniquePhoto() {
  if (Math.random() < 0.75) return uniqueJpeg();
  const p = photo('seeding-256.png');
  const bytes = Buffer.concat([p.bytes, randomBytes(16)]);
  return { name: p.name, blob: new Blob([bytes], { type: 'image/png' }), bytes };
}

const pick = (a) => a[Math.floor(Math.random() * a.length)];

class Campaign {
  constructor({ bin, dataDir, label }) {
    this.bin = bin;
    this.label = label;
    this.dataDir = dataDir;
    this.srv = new Server({ dataDir, bin });
    this.ackLog = join(dataDir, 'acknowledged.jsonl');
    this.rels = new Map(); // "c|x" -> {follow, block}
    this.statuses = new Map(); // id -> {id, owner, parent, media, exists, round}
    this.favs = new Map(); // "c|sid" -> state
    this.uploads = new Map(); // media id -> {id, owner, status (id|null), postUnknown}
    this.acked = 0;
    this.ackedByOp = {};
    this.answers = {}; // status code -> count
    this.refusals = {}; // status code -> a few examples
    this.transport = 0;
    this.lost = [];
    this.failures = [];
    this.latencies = [];
    this.restarts = 0;
    this.checkedStatuses = 0;
    this.checkedMedia = 0;
    this.checkedBlobs = 0;
    this.round = 0;
  }

  async setup() {
    this.latencies.push(await this.srv.start());
    const app = await createApp(this.srv.url);
    const tok = await appToken(this.srv.url, app);
    this.clients = [];
    this.targets = [];
    for (let i = 0; i < CLIENTS; i++) this.clients.push(await register(this.srv.url, tok, `c${i}`));
    for (let i = 0; i < TARGETS; i++) this.targets.push(await register(this.srv.url, tok, `t${i}`));
    this.accounts = [...this.clients, ...this.targets];
    for (const c of this.clients) {
      for (const x of this.accounts) if (x !== c) this.rels.set(`${c.id}|${x.id}`, { follow: NO, block: NO });
    }
  }

  log(c, op, implies) {
    this.acked++;
    this.ackedByOp[op] = (this.ackedByOp[op] || 0) + 1;
    appendFileSync(this.ackLog, `${JSON.stringify({ round: this.round, t: Date.now(), client: c.username, op, implies })}\n`);
  }

  /** One request from a client; null on a transport error (server gone). */
  async call(method, path, o) {
    try {
      const r = await request(this.srv.url, method, path, { timeoutMs: 20000, ...o });
      this.answers[r.status] = (this.answers[r.status] || 0) + 1;
      if (r.status >= 400) {
        const list = (this.refusals[r.status] ??= []);
        if (list.length < 3) list.push(`${method} ${path.replace(/\d{12,}/g, ':id')}: ${r.text.slice(0, 160)}`);
      }
      if (r.status >= 500 && r.status !== 503 && r.status !== 507) {
        this.failures.push(`round ${this.round}: ${method} ${path} answered ${r.status} ${r.text.slice(0, 200)}`);
      }
      return r;
    } catch {
      this.transport++;
      return null;
    }
  }

  /** A definite refusal leaves the state as it was; anything else but 2xx may or may not have applied. */
  static refused(r) {
    return r && r.status >= 400 && r.status < 500;
  }

  async opFollow(c, follow) {
    const x = pick(this.accounts.filter((a) => a !== c));
    const rel = this.rels.get(`${c.id}|${x.id}`);
    const r = await this.call('POST', `/api/v1/accounts/${x.id}/${follow ? 'follow' : 'unfollow'}`, { token: c.token });
    if (ok(r)) {
      if (r.json?.following !== follow) this.failures.push(`round ${this.round}: ${follow ? 'follow' : 'unfollow'} ${c.username}->${x.username} answered following=${r.json?.following}`);
      rel.follow = bit(follow);
      this.log(c, follow ? 'follow' : 'unfollow', { edge: `${c.id}->${x.id}`, following: follow });
    } else if (!Campaign.refused(r)) {
      rel.follow |= bit(follow);
    }
    return r;
  }

  async opBlock(c, block) {
    const x = pick(this.targets);
    const rel = this.rels.get(`${c.id}|${x.id}`);
    const r = await this.call('POST', `/api/v1/accounts/${x.id}/${block ? 'block' : 'unblock'}`, { token: c.token });
    if (ok(r)) {
      rel.block = bit(block);
      if (block) rel.follow = NO;
      this.log(c, block ? 'block' : 'unblock', { edge: `${c.id}->${x.id}`, blocking: block, ...(block ? { following: false } : {}) });
    } else if (!Campaign.refused(r)) {
      rel.block |= bit(block);
      if (block) rel.follow |= NO;
    }
    return r;
  }

  liveStatuses() {
    return [...this.statuses.values()].filter((s) => s.exists === YES);
  }

  async opLike(c, like) {
    const live = this.liveStatuses();
    if (!live.length) return this.opPost(c);
    const s = pick(live);
    const key = `${c.id}|${s.id}`;
    const r = await this.call('POST', `/api/v1/statuses/${s.id}/${like ? 'favourite' : 'unfavourite'}`, { token: c.token });
    if (ok(r)) {
      this.favs.set(key, bit(like));
      this.log(c, like ? 'like' : 'unlike', { status: s.id, favourited: like });
    } else if (!Campaign.refused(r)) {
      this.favs.set(key, (this.favs.get(key) ?? NO) | bit(like));
    }
    return r;
  }

  async opPost(c) {
    const up = await this.call('POST', '/api/v2/media', { token: c.token, multipart: [['file', ...((p) => [p.blob, p.name])(uniquePhoto())]], timeoutMs: 30000 });
    if (!ok(up)) return up;
    const m = { id: up.json.id, owner: c, status: null, postUnknown: false, round: this.round };
    this.uploads.set(m.id, m);
    this.log(c, 'upload', { media: m.id, exists: true });
    if (this.stopped) return up;
    const r = await this.call('POST', '/api/v1/statuses', {
      token: c.token,
      form: [
        ['status', `crash test ${this.round} #reliability`],
        ['media_ids[]', m.id],
      ],
    });
    if (ok(r)) {
      m.status = r.json.id;
      this.statuses.set(r.json.id, { id: r.json.id, owner: c, parent: null, media: [m.id], exists: YES, round: this.round });
      this.log(c, 'post', { status: r.json.id, media: [m.id], exists: true });
    } else if (!Campaign.refused(r)) {
      m.postUnknown = true;
    }
    return r;
  }

  async opComment(c) {
    const live = this.liveStatuses();
    if (!live.length) return this.opPost(c);
    const p = pick(live);
    const r = await this.call('POST', '/api/v1/statuses', { token: c.token, form: { status: `comment by ${c.username}`, in_reply_to_id: p.id } });
    if (ok(r)) {
      this.statuses.set(r.json.id, { id: r.json.id, owner: c, parent: p.id, media: [], exists: YES, round: this.round });
      this.log(c, 'comment', { status: r.json.id, in_reply_to: p.id, exists: true });
    }
    return r;
  }

  async opDelete(c) {
    const mine = this.liveStatuses().filter((s) => s.owner === c);
    if (!mine.length) return this.opComment(c);
    const s = pick(mine);
    const r = await this.call('DELETE', `/api/v1/statuses/${s.id}`, { token: c.token });
    if (ok(r)) {
      s.exists = NO;
      this.log(c, 'delete', { status: s.id, exists: false });
    } else if (!Campaign.refused(r)) {
      s.exists |= NO;
    }
    return r;
  }

  async client(c) {
    while (!this.stopped) {
      const x = Math.random();
      let r;
      if (x < 0.2) r = await this.opFollow(c, true);
      else if (x < 0.32) r = await this.opFollow(c, false);
      else if (x < 0.38) r = await this.opBlock(c, true);
      else if (x < 0.44) r = await this.opBlock(c, false);
      else if (x < 0.62) r = await this.opLike(c, true);
      else if (x < 0.7) r = await this.opLike(c, false);
      else if (x < 0.78) r = await this.opPost(c);
      else if (x < 0.9) r = await this.opComment(c);
      else r = await this.opDelete(c);
      if (r === null) break; // the server is gone until the supervisor restarts it
    }
  }

  fail(msg) {
    this.failures.push(`round ${this.round}: ${msg}`);
  }

  lose(msg) {
    this.lost.push(`round ${this.round}: ${msg}`);
  }

  /** One round: load, kill -9 at a random moment, restart, verify. */
  async runRound(minMs, maxMs) {
    this.round++;
    this.stopped = false;
    const clients = this.clients.map((c) => this.client(c));
    const delay = minMs + Math.floor(Math.random() * (maxMs - minMs));
    await sleep(delay);
    this.stopped = true;
    await this.srv.kill9();
    await Promise.all(clients);
    if (this.srv.sanitizer) this.fail(`sanitizer report:\n${this.srv.tail()}`);
    let ms;
    try {
      ms = await this.srv.start();
    } catch (e) {
      this.fail(`restart failed: ${e.message}`);
      throw e;
    }
    this.restarts++;
    this.latencies.push(ms);
    if (ms > HEALTHZ_MS) this.fail(`/healthz answered ${Math.round(ms)} ms after the restart (limit ${HEALTHZ_MS} ms)`);
    await this.verify();
    return { delay, ms };
  }

  async verify() {
    const url = this.srv.url;
    const db = this.srv.db;

    const a = await audit(this.bin, this.dataDir);
    if (a.code !== 0) this.fail(`pinhole audit exited ${a.code}: ${a.out.slice(0, 1500)}`);
    for (const p of await dbChecks(db)) this.fail(p);
    for (const p of await halfState(db)) this.fail(p);

    // Relationships, as the API shows them, against the model and the rows.
    const followRows = new Set((await sql(db, 'SELECT account_id || \'|\' || target_id AS k FROM follows')).map((r) => r.k));
    const blockRows = new Set((await sql(db, 'SELECT account_id || \'|\' || target_id AS k FROM blocks')).map((r) => r.k));
    const followersSeen = new Map(this.accounts.map((x) => [x.id, 0]));
    const followingSeen = new Map(this.accounts.map((x) => [x.id, 0]));
    for (const c of this.clients) {
      const others = this.accounts.filter((x) => x !== c);
      const q = others.map((x) => `id[]=${x.id}`).join('&');
      const r = await request(url, 'GET', `/api/v1/accounts/relationships?${q}`, { token: c.token });
      if (r.status !== 200 || !Array.isArray(r.json)) {
        this.fail(`relationships for ${c.username}: ${r.status} ${r.text.slice(0, 200)}`);
        continue;
      }
      const byId = new Map(r.json.map((x) => [x.id, x]));
      for (const x of others) {
        const o = byId.get(x.id);
        const key = `${c.id}|${x.id}`;
        const rel = this.rels.get(key);
        if (!o) {
          this.fail(`relationships for ${c.username} miss ${x.username}`);
          continue;
        }
        if (!(rel.follow & bit(o.following))) this.lose(`${c.username} -> ${x.username}: following=${o.following}, acknowledged ${fmt(rel.follow)}`);
        if (!(rel.block & bit(o.blocking))) this.lose(`${c.username} -> ${x.username}: blocking=${o.blocking}, acknowledged ${fmt(rel.block)}`);
        if (o.following !== followRows.has(key)) this.fail(`${c.username} -> ${x.username}: API following=${o.following}, follows row ${followRows.has(key)}`);
        if (o.blocking !== blockRows.has(key)) this.fail(`${c.username} -> ${x.username}: API blocking=${o.blocking}, blocks row ${blockRows.has(key)}`);
        rel.follow = bit(o.following);
        rel.block = bit(o.blocking);
        if (o.following) {
          followersSeen.set(x.id, followersSeen.get(x.id) + 1);
          followingSeen.set(c.id, followingSeen.get(c.id) + 1);
        }
      }
    }
    if (followRows.size !== [...followersSeen.values()].reduce((s, n) => s + n, 0)) {
      this.fail(`${followRows.size} follows rows but the relationships show ${[...followersSeen.values()].reduce((s, n) => s + n, 0)} edges`);
    }

    // Account counters: API = rows = relationships.
    const counts = new Map(
      (
        await sql(
          db,
          'SELECT CAST(a.id AS TEXT) AS id, (SELECT COUNT(*) FROM follows f WHERE f.target_id = a.id) AS followers,' +
            ' (SELECT COUNT(*) FROM follows f WHERE f.account_id = a.id) AS following,' +
            ' (SELECT COUNT(*) FROM statuses s WHERE s.account_id = a.id) AS statuses FROM accounts a',
        )
      ).map((r) => [String(r.id), r]),
    );
    for (const x of this.accounts) {
      const r = await request(url, 'GET', `/api/v1/accounts/${x.id}`);
      if (r.status !== 200) {
        this.fail(`GET account ${x.username}: ${r.status}`);
        continue;
      }
      const row = counts.get(x.id);
      const j = r.json;
      if (j.followers_count !== row.followers || j.followers_count !== followersSeen.get(x.id))
        this.fail(`${x.username}: followers_count ${j.followers_count}, follows rows ${row.followers}, relationships ${followersSeen.get(x.id)}`);
      if (j.following_count !== row.following || j.following_count !== followingSeen.get(x.id))
        this.fail(`${x.username}: following_count ${j.following_count}, follows rows ${row.following}, relationships ${followingSeen.get(x.id)}`);
      if (j.statuses_count !== row.statuses) this.fail(`${x.username}: statuses_count ${j.statuses_count}, statuses rows ${row.statuses}`);
    }

    // Statuses: acknowledged ones exist, acknowledged deletes stay deleted.
    const statusRows = new Map(
      (
        await sql(
          db,
          'SELECT CAST(id AS TEXT) AS id, favourites_count AS fav, replies_count AS rep,' +
            ' (SELECT COUNT(*) FROM favourites f WHERE f.status_id = s.id) AS favRows,' +
            ' (SELECT COUNT(*) FROM statuses r WHERE r.in_reply_to_id = s.id) AS repRows FROM statuses s',
        )
      ).map((r) => [String(r.id), r]),
    );
    for (const s of this.statuses.values()) {
      const present = statusRows.has(s.id);
      if (!(s.exists & bit(present))) this.lose(`status ${s.id} by ${s.owner.username} is ${present ? 'present' : 'absent'}, acknowledged ${fmt(s.exists)}`);
      s.exists = bit(present);
    }
    const favRows = new Set((await sql(db, 'SELECT account_id || \'|\' || status_id AS k FROM favourites')).map((r) => r.k));
    for (const [key, st] of this.favs) {
      const sid = key.split('|')[1];
      if (!statusRows.has(sid)) {
        this.favs.delete(key); // the post is gone, and its likes with it
        continue;
      }
      const present = favRows.has(key);
      if (!(st & bit(present))) this.lose(`like ${key} is ${present ? 'present' : 'absent'}, acknowledged ${fmt(st)}`);
      this.favs.set(key, bit(present));
    }

    // This round's acknowledged statuses through the API: counts and photos.
    for (const s of this.statuses.values()) {
      if (s.round !== this.round || s.exists !== YES) continue;
      const r = await request(url, 'GET', `/api/v1/statuses/${s.id}`);
      this.checkedStatuses++;
      if (r.status !== 200) {
        this.lose(`status ${s.id}: GET ${r.status}`);
        continue;
      }
      const row = statusRows.get(s.id);
      if (r.json.favourites_count !== row.favRows) this.fail(`status ${s.id}: favourites_count ${r.json.favourites_count}, favourites rows ${row.favRows}`);
      if (r.json.replies_count !== row.repRows) this.fail(`status ${s.id}: replies_count ${r.json.replies_count}, replies ${row.repRows}`);
      const got = (r.json.media_attachments ?? []).map((m) => m.id).sort();
      if (JSON.stringify(got) !== JSON.stringify([...s.media].sort())) this.lose(`status ${s.id}: media ${got} but acknowledged ${s.media}`);
      const m = await checkStatusMedia(url, r.json);
      this.checkedMedia += m.checked;
      for (const p of m.problems) this.lose(p);
    }

    // Acknowledged uploads whose post was never acknowledged still exist.
    for (const m of this.uploads.values()) {
      if (m.status || m.checked) continue;
      const r = await request(url, 'GET', `/api/v1/media/${m.id}`, { token: m.owner.token });
      if (r.status !== 200) this.lose(`upload ${m.id} by ${m.owner.username} (post ${m.postUnknown ? 'unanswered' : 'not sent'}): GET ${r.status}`);
      m.checked = true;
    }

    const b = await blobChecks(this.dataDir);
    this.checkedBlobs += b.checked;
    for (const p of b.problems) this.lose(p);
  }

  /**
   * Loses one acknowledged like behind the server's back (its row and its
   * count, so only the lost-write check can see it), restarts and verifies:
   * proves the lost-write detector fires.
   */
  async sabotage() {
    const victim = [...this.favs].find(([, st]) => st === YES);
    if (!victim) return null;
    const [account, status] = victim[0].split('|');
    await this.srv.kill9();
    await sql(
      this.srv.db,
      `DELETE FROM favourites WHERE account_id = ${account} AND status_id = ${status};` +
        ` UPDATE statuses SET favourites_count = favourites_count - 1 WHERE id = ${status};`,
    );
    this.round++;
    this.latencies.push(await this.srv.start());
    const before = this.lost.length;
    await this.verify();
    return this.lost.slice(before);
  }

  summary() {
    const ms = this.latencies.slice(1);
    return (
      `${this.label}: ${this.restarts} restarts (kill -9), ${this.acked} acknowledged writes checked ` +
      `(${Object.entries(this.ackedByOp)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}), ${this.lost.length} lost; ${this.checkedStatuses} statuses, ${this.checkedMedia} media files, ` +
      `${this.checkedBlobs} blob reads verified; restart to healthy /healthz: max ${Math.round(Math.max(...ms))} ms, ` +
      `mean ${Math.round(ms.reduce((s, x) => s + x, 0) / ms.length)} ms; answers ${JSON.stringify(this.answers)}, ` +
      `${this.transport} requests cut by the kills; refusals e.g. ${JSON.stringify(this.refusals)}`
    );
  }
}

test('kill -9 every 2-4 s under 8 writing clients loses no acknowledged write and breaks no counter', { timeout: 120000 }, async (t) => {
  const dataDir = await tempDir('crash');
  const c = new Campaign({ bin: await stableBinary(BIN), dataDir, label: 'crash' });
  let done = false;
  try {
    await c.setup();
    for (let i = 0; i < 6; i++) {
      const { delay, ms } = await c.runRound(2000, 4000);
      t.diagnostic(`round ${c.round}: killed after ${delay} ms, healthy again in ${Math.round(ms)} ms; ${c.acked} writes acknowledged so far, ${c.lost.length} lost, ${c.failures.length} failures`);
    }
    t.diagnostic(c.summary());
    assert.ok(c.restarts >= 5, 'at least 5 kills');
    assert.ok(c.acked > 100, `only ${c.acked} writes were acknowledged`);
    assert.deepEqual(c.lost, [], `acknowledged writes lost (log: ${c.ackLog})`);
    assert.deepEqual(c.failures, [], `invariants broken (data: ${dataDir})`);
    const stop = await c.srv.stop();
    assert.equal(stop?.code, 0, `SIGTERM exit ${JSON.stringify(stop)}:\n${c.srv.tail()}`);
    done = true;
  } finally {
    await c.srv.kill9();
    if (done && !process.env.PINHOLE_KEEP_DATA) await removeDir(dataDir);
    else t.diagnostic(`data kept: ${dataDir}`);
  }
});

async function ensureBugBuild() {
  if (existsSync(BUG_BIN)) return;
  const dir = join(REPO_ROOT, 'build-bug');
  if (!existsSync(join(dir, 'build.ninja'))) {
    const s = await run('meson', ['setup', dir, '-Dcounter_bug=true'], { timeoutMs: 300000 });
    if (s.code !== 0) throw new Error(`meson setup build-bug: ${s.stdout}${s.stderr}`);
  }
  const b = await run('ninja', ['-C', dir, 'pinhole'], { timeoutMs: 600000 });
  if (b.code !== 0) throw new Error(`ninja -C build-bug pinhole: ${b.stdout}${b.stderr}`);
}

test('the same loop catches the deliberately broken counter (counter_bug build)', { timeout: 900000 }, async (t) => {
  await ensureBugBuild();
  const dataDir = await tempDir('crash-bug');
  const c = new Campaign({ bin: await stableBinary(BUG_BIN), dataDir, label: 'counter_bug' });
  try {
    await c.setup();
    for (let i = 0; i < 2; i++) await c.runRound(2000, 3000);
    t.diagnostic(c.summary());
    const counterFailures = c.failures.filter((f) => /followers_count|audit/.test(f));
    t.diagnostic(`counter_bug: ${c.failures.length} failed checks, e.g. ${c.failures.slice(0, 3).join(' | ')}`);
    assert.ok(counterFailures.length > 0, 'the crash loop did not notice followers_count drifting in the counter_bug build');
    assert.deepEqual(c.lost, [], 'the counter bug should not lose writes');
    const caught = await c.sabotage();
    t.diagnostic(`sabotage (one acknowledged like deleted from the database while the server was down): ${caught?.join(' | ')}`);
    assert.ok(caught && caught.length > 0, 'the lost-write check did not notice an acknowledged like deleted behind the server');
  } finally {
    await c.srv.kill9();
    if (!process.env.PINHOLE_KEEP_DATA) await removeDir(dataDir);
  }
});
