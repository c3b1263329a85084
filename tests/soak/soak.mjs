#!/usr/bin/env node
// Soak test (`make soak`, not part of `make test`): one pinhole server takes
// SOAK_SECONDS (600) of mixed, realistic load from SOAK_CLIENTS (6)
// concurrent clients, each signed in as its own user on a keep-alive
// connection: register and sign in (and out), upload real photos and post
// them (captions with hashtags and mentions, carousels), follow and
// unfollow, like and unlike, comment, bookmark, delete, home / public /
// hashtag / profile timelines (following the Link header), statuses and
// their context, search, notifications, profile edits, trends, and GETs of
// every size of the photos (JPEG and WebP, and revalidation with
// If-None-Match). Every SOAK_SAMPLE_S (5) seconds it
// samples the server's open descriptors (/proc/PID/fd) and resident memory
// (VmRSS in /proc/PID/status) and prints a row; at the end, a table of
// the figures and a verdict.
//
// It fails (exit 1) on
//   - any 500, or any 5xx but 503 (503 is the documented answer to a busy
//     database; they are counted), or any request without an answer
//     (reset, refused, or no answer in 60 s);
//   - the server dying, a sanitizer report on its stderr (run it on
//     build-san/pinhole with PINHOLE_BIN), a non-zero exit on SIGTERM;
//   - memory growth: after the warm-up (the first 15% of the run, at
//     least 30 s, after every camera photo has been uploaded by as many
//     clients at once as there are photo workers), the mean RSS of the last third of the samples is more
//     than SOAK_RSS_TOL_MB (32) over the mean of the first third. The two
//     windows' centres are 2/3 of the measured time apart (about 340 s in
//     a 10-minute run), so at the rates seen here (about 100 requests/s)
//     a leak of 1 KB per request shows as 34 MB. Photo processing
//     (libvips) moves RSS by tens of MB from one sample to the next, which
//     is why whole thirds are averaged;
//   - descriptor growth: the median descriptor count of the last third
//     more than 5 over that of the first third; and, stricter, the count
//     at rest (clients paused, their connections closed, every server
//     socket gone) after the run more than 2 over the count at rest after
//     the warm-up, not counting the database's descriptors: each thread
//     opens its own SQLite connection (pinhole.db and its -wal) on its
//     first query and keeps it, so those may grow up to one connection
//     per thread (4 HTTP threads and a photo worker per core, and the main
//     thread), which is checked separately;
//   - `pinhole audit` finding a counter that drifted from its rows.
//
// Photos: most posts are quick snaps, the small real photos committed in
// tests/fixtures/*.jpg; one in five is a camera photo (or a carousel of
// 2-3) from $PINHOLE_FIXTURES/photos/*.jpg (default build/fixtures, made
// by tests/fixtures/prepare.sh: five real photos of 4 to 16 MP; the small
// ones stand in when they are missing). Each upload is made unique (one
// quantization-table byte changed and random bytes appended) so that each
// is decoded and stored anew.
//
//   make soak                      # 10 minutes
//   make soak SOAK_SECONDS=120     # or: SOAK_SECONDS=120 node tests/soak/soak.mjs
//   PINHOLE_BIN=build-san/pinhole SOAK_SECONDS=300 node tests/soak/soak.mjs
//
// Environment: SOAK_SECONDS, SOAK_CLIENTS, SOAK_SAMPLE_S, SOAK_RSS_TOL_MB,
// SOAK_SEED (the clients' choices; timings still differ between runs),
// PINHOLE_BIN, PINHOLE_FIXTURES, PINHOLE_KEEP_DATA.

import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join, resolve } from 'node:path';

import { audit, BIN, createApp, appToken, FAST, prng, REPO_ROOT, removeDir, request, Server, sleep, stableBinary, tempDir, uniqueName } from '../reliability/lib.mjs';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 6);
const SAMPLE_S = Number(process.env.SOAK_SAMPLE_S ?? 5);
const RSS_TOL_MB = Number(process.env.SOAK_RSS_TOL_MB ?? 32);
const FD_TREND_TOL = 5;
const FD_REST_TOL = 2;
// each thread that queries opens its own SQLite connection (pinhole.db and
// its -wal) and keeps it: 4 HTTP threads and 1 photo worker per core, the
// main thread; plus the shared -shm
const DB_FDS_MAX = 2 * (5 * os.availableParallelism() + 1) + 1;
const SEED = Number(process.env.SOAK_SEED ?? 7) >>> 0;
const WARMUP_S = Math.max(30, SECONDS * 0.15);
const TIMEOUT_MS = 60000;

// ------------------------------------------------------------------ setup


/** {photos: the camera photos (or the small ones when missing), snaps: the small committed photos}. */
function photoPool() {
  const load = (files) => files.map((f) => ({ name: f.split('/').pop(), bytes: readFileSync(f) }));
  const small = join(REPO_ROOT, 'tests', 'fixtures');
  const snaps = load(readdirSync(small).filter((f) => f.endsWith('.jpg')).map((f) => join(small, f)));
  const dir = join(resolve(process.env.PINHOLE_FIXTURES || join(REPO_ROOT, 'build', 'fixtures')), 'photos');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.jpg')).map((f) => join(dir, f)) : [];
  return files.length ? { from: dir, photos: load(files), snaps } : { from: `${small} (no ${dir})`, photos: snaps, snaps };
}

let uploads = 0;
/** A real photo made unique: one DQT value changed (new pixels), random bytes after EOI (a new original). */
function uniquePhoto(p) {
  const b = Buffer.from(p.bytes);
  const dqt = b.indexOf(Buffer.from([0xff, 0xdb]));
  uploads++;
  if (dqt > 0) {
    const i = dqt + 5 + 1 + (uploads % 60);
    b[i] = ((b[i] + 1 + Math.floor(uploads / 60)) % 250) + 1;
  }
  return new Blob([b, randomBytes(8)], { type: 'image/jpeg' });
}

// ----------------------------------------------------------------- stats

const stats = {
  requests: 0,
  byStatus: {},
  byAction: {},
  bad: [], // 500s and other 5xx but 503
  errors: [], // no answer
  lat: [], // this interval's latencies (ms)
};

function record(action, method, path, r, ms) {
  stats.requests++;
  stats.lat.push(ms);
  const a = (stats.byAction[action] ??= { n: 0, ok: 0 });
  a.n++;
  if (r.status >= 200 && r.status < 300) a.ok++;
  stats.byStatus[r.status] = (stats.byStatus[r.status] ?? 0) + 1;
  if (r.status >= 500 && r.status !== 503 && stats.bad.length < 50) stats.bad.push(`${method} ${path} -> ${r.status} ${r.text.slice(0, 200)}`);
}

// ---------------------------------------------------------------- client

const shared = {
  users: [], // {id, username}
  statuses: [], // recent status ids (bounded)
  media: [], // recent media paths (bounded)
  tags: ['sunset', 'macro', 'nature', 'soak', 'street', 'bird', 'rain'],
};
const remember = (list, x, max) => {
  list.push(x);
  if (list.length > max) list.splice(0, list.length - max);
};

class Client {
  constructor(base, n, r) {
    this.base = base;
    this.n = n;
    this.r = r;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    this.following = new Set();
    this.liked = new Set();
    this.mine = [];
  }

  async call(action, method, path, o = {}) {
    const t0 = performance.now();
    try {
      const r = await request(this.base, method, path, { agent: this.agent, token: this.token, timeoutMs: TIMEOUT_MS, ...o });
      record(action, method, path, r, performance.now() - t0);
      return r;
    } catch (e) {
      stats.requests++;
      if (stats.errors.length < 50) stats.errors.push(`${method} ${path}: ${e.message}`);
      return { status: 0, text: String(e.message), json: undefined, headers: {} };
    }
  }

  learn(list) {
    if (!Array.isArray(list)) return;
    for (const s of list) {
      if (!s || !s.id) continue;
      remember(shared.statuses, s.id, 400);
      for (const m of s.media_attachments ?? []) {
        for (const u of [m.url, m.preview_url]) if (u) remember(shared.media, new URL(u).pathname, 300);
      }
    }
  }

  async signUp(appTok, app) {
    this.username = uniqueName(`soak${this.n}`);
    this.password = `pw-${randomBytes(6).toString('hex')}`;
    const r = await this.call('register', 'POST', '/api/v1/accounts', {
      token: appTok,
      form: { username: this.username, email: `${this.username.toLowerCase()}@example.com`, password: this.password, agreement: 'true', locale: 'en' },
    });
    if (r.status !== 200) throw new Error(`register: ${r.status} ${r.text}`);
    const s = await this.call('sign in', 'POST', '/oauth/token', {
      token: undefined,
      form: { grant_type: 'password', username: this.username, password: this.password, client_id: app.client_id, client_secret: app.client_secret, scope: 'read write follow' },
    });
    if (s.status !== 200) throw new Error(`sign in: ${s.status} ${s.text}`);
    this.token = s.json.access_token;
    const me = await this.call('profile', 'GET', '/api/v1/accounts/verify_credentials');
    this.id = me.json.id;
    shared.users.push({ id: this.id, username: this.username });
  }

  other() {
    const xs = shared.users.filter((u) => u.id !== this.id);
    return xs.length ? this.r.pick(xs) : null;
  }

  caption() {
    const r = this.r;
    const words = ['light', 'morning', 'walk', 'colour', 'shadow', 'window', 'field', 'river', 'leaf', 'cloud'];
    let s = Array.from({ length: r.int(3, 12) }, () => r.pick(words)).join(' ');
    if (r.chance(0.7)) s += ` #${r.pick(shared.tags)}`;
    if (r.chance(0.3)) {
      const o = this.other();
      if (o) s += ` @${o.username}`;
    }
    return s;
  }

  async step(ctx) {
    const r = this.r;
    const x = r.next() * 100;
    const sid = () => (shared.statuses.length ? r.pick(shared.statuses) : null);
    if (x < 15) {
      const tl = await this.call('home timeline', 'GET', `/api/v1/timelines/home?limit=${r.int(5, 40)}`);
      this.learn(tl.json);
      const next = /<([^>]+)>;\s*rel="next"/.exec(tl.headers.link ?? '');
      if (next && r.chance(0.5)) this.learn((await this.call('home timeline', 'GET', new URL(next[1]).pathname + new URL(next[1]).search)).json);
    } else if (x < 22) {
      this.learn((await this.call('public timeline', 'GET', `/api/v1/timelines/public?limit=${r.int(5, 40)}${r.chance(0.3) ? '&only_media=true' : ''}`)).json);
    } else if (x < 26) {
      this.learn((await this.call('hashtag timeline', 'GET', `/api/v1/timelines/tag/${r.pick(shared.tags)}?limit=20`)).json);
    } else if (x < 30) {
      const o = this.other() ?? { id: this.id };
      await this.call('profile', 'GET', `/api/v1/accounts/${o.id}`);
      this.learn((await this.call('profile timeline', 'GET', `/api/v1/accounts/${o.id}/statuses?limit=20`)).json);
    } else if (x < 36) {
      const id = sid();
      if (!id) return;
      await this.call('status', 'GET', `/api/v1/statuses/${id}`);
      await this.call('status context', 'GET', `/api/v1/statuses/${id}/context`);
    } else if (x < 43) {
      // a post (7%): a quick phone snap (a small photo) most of the time, a
      // camera photo or a carousel of them (4 to 16 MP) otherwise
      const camera = r.chance(0.2);
      const n = camera && r.chance(0.3) ? r.int(2, 3) : 1;
      const ids = [];
      for (let i = 0; i < n; i++) {
        const p = r.pick(camera ? ctx.photos : ctx.snaps);
        const m = await this.call(camera ? 'upload photo' : 'upload snap', 'POST', '/api/v2/media', { multipart: [['file', uniquePhoto(p), p.name], ['description', 'a photo']] });
        if (m.status === 200 || m.status === 202) ids.push(m.json.id);
      }
      if (!ids.length) return;
      const s = await this.call('post', 'POST', '/api/v1/statuses', { form: [['status', this.caption()], ['visibility', r.chance(0.9) ? 'public' : 'private'], ...ids.map((id) => ['media_ids[]', id])] });
      if (s.status === 200) {
        this.learn([s.json]);
        this.mine.push(s.json.id);
      }
    } else if (x < 51) {
      const o = this.other();
      if (!o) return;
      if (this.following.has(o.id)) {
        await this.call('unfollow', 'POST', `/api/v1/accounts/${o.id}/unfollow`);
        this.following.delete(o.id);
      } else {
        await this.call('follow', 'POST', `/api/v1/accounts/${o.id}/follow`);
        this.following.add(o.id);
      }
      if (r.chance(0.2)) await this.call('relationships', 'GET', `/api/v1/accounts/relationships?id[]=${o.id}`);
    } else if (x < 60) {
      const id = sid();
      if (!id) return;
      if (this.liked.has(id)) {
        await this.call('unlike', 'POST', `/api/v1/statuses/${id}/unfavourite`);
        this.liked.delete(id);
      } else {
        await this.call('like', 'POST', `/api/v1/statuses/${id}/favourite`);
        this.liked.add(id);
      }
      if (r.chance(0.1)) await this.call('likers', 'GET', `/api/v1/statuses/${id}/favourited_by`);
    } else if (x < 65) {
      const id = sid();
      if (!id) return;
      const c = await this.call('comment', 'POST', '/api/v1/statuses', { form: { status: this.caption(), in_reply_to_id: id } });
      if (c.status === 200) this.mine.push(c.json.id);
    } else if (x < 67) {
      const id = sid();
      if (!id) return;
      const what = r.chance(0.7) ? 'bookmark' : 'unbookmark';
      await this.call(what, 'POST', `/api/v1/statuses/${id}/${what}`);
      if (r.chance(0.3)) await this.call('bookmarks', 'GET', '/api/v1/bookmarks');
    } else if (x < 69) {
      if (this.mine.length < 5) return;
      const id = this.mine.splice(r.int(0, this.mine.length - 1), 1)[0];
      await this.call('delete', 'DELETE', `/api/v1/statuses/${id}`);
    } else if (x < 75) {
      const n = await this.call('notifications', 'GET', `/api/v1/notifications?limit=${r.int(5, 30)}`);
      await this.call('notifications', 'GET', '/api/v1/notifications/unread_count');
      if (Array.isArray(n.json) && n.json.length && r.chance(0.2)) await this.call('dismiss', 'POST', `/api/v1/notifications/${r.pick(n.json).id}/dismiss`);
      if (r.chance(0.05)) await this.call('clear', 'POST', '/api/v1/notifications/clear');
    } else if (x < 80) {
      const q = r.pick([r.pick(shared.tags), `#${r.pick(shared.tags)}`, 'light', 'soak', this.other()?.username ?? 'x']);
      await this.call('search', 'GET', `/api/v2/search?q=${encodeURIComponent(q)}&limit=10`);
    } else if (x < 91) {
      if (!shared.media.length) return;
      const path = r.pick(shared.media);
      const variant = r.pick(['feed', 'preview', 'small', 'thumb']);
      const p = path.replace(/[^/]+$/, variant);
      const m = await this.call('media GET', 'GET', p, { token: undefined, headers: r.chance(0.5) ? { accept: 'image/webp,image/*' } : {} });
      if (m.status === 200 && m.headers.etag && r.chance(0.3)) await this.call('media GET', 'GET', p, { token: undefined, headers: { 'if-none-match': m.headers.etag } });
    } else if (x < 93) {
      await this.call('edit profile', 'PATCH', '/api/v1/accounts/update_credentials', { form: { note: this.caption(), display_name: `Soak ${this.n} ${r.int(1, 999)}` } });
    } else if (x < 95) {
      await this.call('trends', 'GET', r.pick(['/api/v1/trends/tags', '/api/v1/trends/statuses', '/api/v1/instance']));
    } else if (x < 96) {
      // someone new signs up and signs in, and looks around
      const u = uniqueName('soaknew');
      const pw = `pw-${randomBytes(6).toString('hex')}`;
      const reg = await this.call('register', 'POST', '/api/v1/accounts', { token: ctx.appTok, form: { username: u, email: `${u.toLowerCase()}@example.com`, password: pw, agreement: 'true', locale: 'en' } });
      if (reg.status !== 200) return;
      const s = await this.call('sign in', 'POST', '/oauth/token', { token: undefined, form: { grant_type: 'password', username: u, password: pw, client_id: ctx.app.client_id, client_secret: ctx.app.client_secret, scope: 'read write follow' } });
      if (s.status === 200) {
        const me = await this.call('profile', 'GET', '/api/v1/accounts/verify_credentials', { token: s.json.access_token });
        if (me.status === 200) shared.users.push({ id: me.json.id, username: u });
        await this.call('sign out', 'POST', '/oauth/revoke', { token: undefined, form: { client_id: ctx.app.client_id, client_secret: ctx.app.client_secret, token: s.json.access_token } });
      }
    } else {
      await this.call('healthz', 'GET', r.chance(0.5) ? '/healthz' : '/readyz');
      if (r.chance(0.2)) await this.call('web app', 'GET', '/', { token: undefined });
    }
  }
}

// ------------------------------------------------------------- /proc

/** fds, sockets, the database's descriptors (pinhole.db*: a connection per thread, opened on its first query), RSS in MB. */
function procStats(pid) {
  const fdList = readdirSync(`/proc/${pid}/fd`);
  let sockets = 0;
  let db = 0;
  for (const fd of fdList) {
    try {
      const l = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (l.startsWith('socket:')) sockets++;
      else if (/\/pinhole\.db(-wal|-shm)?$/.test(l)) db++;
    } catch {
      /* closed meanwhile */
    }
  }
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
  return { fds: fdList.length, sockets, db, rss };
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const pct = (xs, p) => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))];
};
const pad = (s, n) => String(s).padStart(n);

// ------------------------------------------------------------------ main

async function main() {
  const { from, photos, snaps } = photoPool();
  if (!photos.length) throw new Error('no photos: run tests/fixtures/prepare.sh or set PINHOLE_FIXTURES');
  const dataDir = await tempDir('soak');
  const bin = await stableBinary(BIN);
  const srv = new Server({ dataDir, bin, set: { ...FAST } });
  await srv.start();
  const pid = srv.proc.pid;
  const asan = readFileSync(`/proc/${pid}/maps`, 'utf8').includes('libasan');
  console.log(`soak: ${SECONDS} s, ${CLIENTS} clients, a sample every ${SAMPLE_S} s, warm-up ${WARMUP_S} s; server ${BIN}${asan ? ' (ASan)' : ''} pid ${pid} on ${srv.url}; ${photos.length} photos from ${from}; data ${dataDir}`);
  const idleSockets = procStats(pid).sockets;

  const app = await createApp(srv.url);
  const appTok = await appToken(srv.url, app);
  const ctx = { app, appTok, photos, snaps };
  const sr = prng(SEED);
  let clients = [];
  for (let i = 0; i < CLIENTS; i++) {
    const c = new Client(srv.url, i, prng(SEED + 1000 * (i + 1)));
    await c.signUp(appTok, app);
    clients.push(c);
  }
  // a few quiet accounts to follow and mention
  for (let i = 0; i < 4; i++) {
    const q = new Client(srv.url, 100 + i, prng(sr.int(1, 1e9)));
    await q.signUp(appTok, app);
  }

  // Prime the allocator before the warm-up: every camera photo uploaded by
  // as many clients at once as there are photo workers, so that each
  // worker's arena has decoded the largest of them (that sets its
  // high-water mark; otherwise RSS climbs for minutes as each worker meets
  // each size for the first time, which is not a leak).
  const primeT0 = performance.now();
  const workers = os.availableParallelism();
  for (const p of photos) {
    await Promise.all(clients.slice(0, workers).map((c) => c.call('upload photo', 'POST', '/api/v2/media', { multipart: [['file', uniquePhoto(p), p.name]] })));
  }
  console.log(`  primed: ${photos.length} photos x ${workers} uploads at once in ${((performance.now() - primeT0) / 1000).toFixed(1)} s; RSS ${procStats(pid).rss.toFixed(1)} MB`);

  let running = true;
  let paused = false;
  let inFlight = 0;
  const loops = clients.map(async (c) => {
    while (running) {
      if (paused) {
        await sleep(50);
        continue;
      }
      inFlight++;
      try {
        await c.step(ctx);
      } finally {
        inFlight--;
      }
      await sleep(c.r.int(0, 20)); // a little think time
    }
  });

  /** Pauses the clients, closes their connections, waits for the server to have no connection left; the fds and RSS at rest. */
  async function atRest() {
    const r0 = performance.now();
    paused = true;
    while (inFlight > 0) await sleep(20);
    for (const c of clients) {
      c.agent.destroy();
      c.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    }
    const deadline = Date.now() + 35000; // the server's idle timeout is 30 s
    let s = procStats(pid);
    while (s.sockets > idleSockets && Date.now() < deadline) {
      await sleep(100);
      s = procStats(pid);
    }
    await sleep(500);
    s = procStats(pid);
    paused = false;
    return { ...s, ms: performance.now() - r0 };
  }

  const t0 = performance.now();
  const rows = [];
  let lastReq = 0;
  let restAfterWarmup = null;
  console.log(`${pad('t s', 6)} ${pad('requests', 9)} ${pad('req/s', 6)} ${pad('p50 ms', 7)} ${pad('p99 ms', 7)} ${pad('fds', 5)} ${pad('RSS MB', 7)} ${pad('5xx', 4)} ${pad('no answer', 9)}`);
  while ((performance.now() - t0) / 1000 < SECONDS) {
    await sleep(SAMPLE_S * 1000);
    const t = (performance.now() - t0) / 1000;
    if (!srv.alive()) break;
    if (!restAfterWarmup && t >= WARMUP_S) {
      restAfterWarmup = await atRest();
      console.log(`  at rest after the warm-up (${(restAfterWarmup.ms / 1000).toFixed(1)} s paused): ${restAfterWarmup.fds} fds (${restAfterWarmup.db} the database's), ${restAfterWarmup.sockets} sockets, RSS ${restAfterWarmup.rss.toFixed(1)} MB`);
    }
    const s = procStats(pid);
    const lat = stats.lat.splice(0);
    const fivexx = Object.entries(stats.byStatus).filter(([k]) => Number(k) >= 500).reduce((a, [, v]) => a + v, 0);
    const row = { t, requests: stats.requests, rate: (stats.requests - lastReq) / SAMPLE_S, p50: pct(lat, 50), p99: pct(lat, 99), fds: s.fds, rss: s.rss, fivexx, errors: stats.errors.length, warm: t < WARMUP_S };
    lastReq = stats.requests;
    rows.push(row);
    console.log(`${pad(t.toFixed(0), 6)} ${pad(row.requests, 9)} ${pad(row.rate.toFixed(0), 6)} ${pad(row.p50.toFixed(0), 7)} ${pad(row.p99.toFixed(0), 7)} ${pad(row.fds, 5)} ${pad(row.rss.toFixed(1), 7)} ${pad(fivexx, 4)} ${pad(row.errors, 9)}${row.warm ? '  (warm-up)' : ''}`);
  }
  const alive = srv.alive() && srv.proc?.pid === pid;
  const restEnd = alive ? await atRest() : null;
  running = false;
  await Promise.all(loops);
  for (const c of clients) c.agent.destroy();
  const exit = await srv.stop();
  const aud = await audit(bin, dataDir);

  // -------------------------------------------------------------- verdict
  const problems = [];
  const measured = rows.filter((r) => !r.warm);
  const third = Math.floor(measured.length / 3);
  let trend = null;
  if (third >= 2) {
    const first = measured.slice(0, third);
    const last = measured.slice(-third);
    trend = {
      rssFirst: mean(first.map((r) => r.rss)),
      rssLast: mean(last.map((r) => r.rss)),
      fdFirst: median(first.map((r) => r.fds)),
      fdLast: median(last.map((r) => r.fds)),
      span: mean(last.map((r) => r.t)) - mean(first.map((r) => r.t)),
    };
  } else problems.push(`too few samples after the warm-up (${measured.length}) to see a trend: run longer`);

  const secs = (performance.now() - t0) / 1000;
  console.log('');
  console.log(`soak summary: ${stats.requests} requests in ${secs.toFixed(0)} s (${(stats.requests / secs).toFixed(0)}/s) by ${CLIENTS} clients, ${uploads} photos uploaded, ${shared.users.length} accounts`);
  console.log(`  statuses: ${JSON.stringify(stats.byStatus)}`);
  console.log(`  actions (2xx/all): ${Object.entries(stats.byAction).map(([k, v]) => `${k} ${v.ok}/${v.n}`).join(', ')}`);
  if (trend) {
    console.log(`  RSS: mean ${trend.rssFirst.toFixed(1)} MB in the first third after the warm-up, ${trend.rssLast.toFixed(1)} MB in the last (${(trend.rssLast - trend.rssFirst).toFixed(1)} MB over ${trend.span.toFixed(0)} s; allowed ${RSS_TOL_MB} MB); min ${Math.min(...measured.map((r) => r.rss)).toFixed(1)}, max ${Math.max(...measured.map((r) => r.rss)).toFixed(1)}`);
    console.log(`  fds: median ${trend.fdFirst} in the first third, ${trend.fdLast} in the last (allowed +${FD_TREND_TOL}); at rest ${restAfterWarmup?.fds} after the warm-up, ${restEnd?.fds} at the end, of which the database's ${restAfterWarmup?.db} and ${restEnd?.db} (others allowed +${FD_REST_TOL}; the database's at most ${DB_FDS_MAX}: a connection per thread)`);
  }
  console.log(`  audit: ${aud.code === 0 ? 'clean' : aud.out.slice(0, 2000)}; server exit ${JSON.stringify(exit)}`);

  if (!alive) problems.push(`the server died: ${JSON.stringify(srv.exit)}\n${srv.tail(3000)}`);
  if (stats.bad.length) problems.push(`${stats.bad.length} answers 5xx other than 503, e.g.:\n    ${stats.bad.slice(0, 10).join('\n    ')}`);
  if (stats.errors.length) problems.push(`${stats.errors.length} requests without an answer, e.g.:\n    ${stats.errors.slice(0, 10).join('\n    ')}`);
  if (trend && trend.rssLast - trend.rssFirst > RSS_TOL_MB) problems.push(`memory grew: RSS ${trend.rssFirst.toFixed(1)} -> ${trend.rssLast.toFixed(1)} MB (more than ${RSS_TOL_MB} MB)`);
  if (trend && trend.fdLast > trend.fdFirst + FD_TREND_TOL) problems.push(`descriptors grew: median ${trend.fdFirst} -> ${trend.fdLast}`);
  if (restAfterWarmup && restEnd && restEnd.fds - restEnd.db > restAfterWarmup.fds - restAfterWarmup.db + FD_REST_TOL) problems.push(`descriptors at rest grew: ${restAfterWarmup.fds - restAfterWarmup.db} -> ${restEnd.fds - restEnd.db} (not counting the database's)`);
  if (restEnd && restEnd.db > DB_FDS_MAX) problems.push(`${restEnd.db} database descriptors at rest: more than a connection per thread (${DB_FDS_MAX})`);
  if (!restAfterWarmup) problems.push('the run ended before the warm-up did');
  if (exit && exit.code !== 0) problems.push(`the server exited with ${JSON.stringify(exit)} on SIGTERM`);
  if (srv.sanitizer) problems.push(`sanitizer report:\n${srv.tail(6000)}`);
  if (aud.code !== 0) problems.push(`pinhole audit: ${aud.out.slice(0, 2000)}`);

  if (problems.length) {
    console.log(`\nsoak: FAILED (data kept in ${dataDir})`);
    for (const p of problems) console.log(`  - ${p}`);
    process.exitCode = 1;
  } else {
    console.log('\nsoak: passed');
    if (!process.env.PINHOLE_KEEP_DATA) await removeDir(dataDir);
  }
}

main().catch((e) => {
  console.error(`soak: ${e.stack || e}`);
  process.exit(2);
});
