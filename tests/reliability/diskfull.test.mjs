// Disk full: the server's data dir on a small tmpfs (48 MB), run with
// --set min_free_mb=8. A junk file fills the disk in two steps:
//   1. below the reserve (about 4 MB left): /readyz says not ready, uploads
//      answer 507 or 503 (never 500), while small writes (follow, like,
//      comment) still succeed: the reserve is kept for the database,
//      reads still work;
//   2. completely full (0 bytes left): every write answers 507 or 503 (or
//      succeeds if SQLite finds room in its WAL), never 500, the server
//      stays up, and no partial blob or temporary file remains;
// then the junk file is deleted and, without a restart, /readyz is ready
// and uploads, posts, follows and likes succeed again. Finally the server
// is killed and restarted: audit clean, integrity ok, every write
// acknowledged along the way is there.
//
// Needs root and a permitted `mount -t tmpfs`; otherwise it is skipped
// with the reason.

import assert from 'node:assert/strict';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import {
  Server,
  appToken,
  audit,
  createApp,
  dbChecks,
  halfState,
  ok,
  photo,
  register,
  request,
  run,
  sha256,
  sleep,
  stableBinary,
  strayTemps,
  tempDir,
  uploadMedia,
} from './lib.mjs';

const RESERVE_MB = 8;

function freeBytes(dir) {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/** Appends to the junk file until at most `leave` bytes are free. */
function fill(junk, dir, leave) {
  const fd = openSync(junk, 'a');
  const chunk = Buffer.alloc(1 << 20, 0x5a);
  try {
    for (;;) {
      const free = freeBytes(dir);
      if (free <= leave) break;
      const n = Math.min(chunk.length, Math.max(4096, free - leave));
      try {
        writeSync(fd, chunk, 0, n);
      } catch (e) {
        if (e.code === 'ENOSPC') break;
        throw e;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Every file under blobs/xx/yy hashes to its name. */
function blobFilesProblems(dataDir) {
  const problems = [];
  const blobs = join(dataDir, 'blobs');
  for (const top of readdirSync(blobs)) {
    if (top.length !== 2) continue;
    for (const sub of readdirSync(join(blobs, top))) {
      for (const name of readdirSync(join(blobs, top, sub))) {
        const h = sha256(readFileSync(join(blobs, top, sub, name)));
        if (h !== name) problems.push(`blobs/${top}/${sub}/${name} hashes to ${h}`);
      }
    }
  }
  return problems;
}

test('disk full: 507/503 never 500, /readyz not ready, nothing half-written, recovery without restart', { timeout: 120000 }, async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root to mount a small tmpfs');
    return;
  }
  const base = await tempDir('diskfull');
  const mnt = join(base, 'mnt');
  mkdirSync(mnt);
  const m = await run('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', mnt]);
  if (m.code !== 0) {
    rmSync(base, { recursive: true, force: true });
    t.skip(`mount -t tmpfs is not permitted here: ${m.stderr.trim()}`);
    return;
  }
  const dataDir = join(mnt, 'data');
  mkdirSync(dataDir);
  const junk = join(mnt, 'junk');
  const srv = new Server({ dataDir, bin: await stableBinary(), set: { min_free_mb: String(RESERVE_MB) } });
  const problems = [];
  const log = [];
  const acked = { follows: [], likes: [], statuses: [] };
  let done = false;
  try {
    await srv.start();
    const url = srv.url;
    const app = await createApp(url);
    const tok = await appToken(url, app);
    const a = await register(url, tok, 'dfa');
    const b = await register(url, tok, 'dfb');
    const targets = [];
    for (let i = 0; i < 4; i++) targets.push(await register(url, tok, `dft${i}`));
    const ph = photo('sunset-600.jpg');
    const first = await uploadMedia(url, a.token, ph);
    assert.equal(first.status, 200, `upload with free space: ${first.status} ${first.text}`);
    const bmedia = await uploadMedia(url, b.token, photo('seeding-256.png'));
    assert.equal(bmedia.status, 200, `upload: ${bmedia.status} ${bmedia.text}`);
    const bpost = await request(url, 'POST', '/api/v1/statuses', { token: b.token, form: [['status', 'to like'], ['media_ids[]', bmedia.json.id]] });
    assert.equal(bpost.status, 200, `post: ${bpost.status} ${bpost.text}`);
    assert.equal((await request(url, 'GET', '/readyz')).status, 200, '/readyz with free space');

    let ti = 0;
    /** Tries each kind of write; returns the answers. */
    const attempts = async (phase) => {
      const out = {};
      const uniq = Buffer.concat([ph.bytes, Buffer.from(`${phase}${Date.now()}`)]);
      const up = await uploadMedia(url, a.token, { name: ph.name, blob: new Blob([uniq], { type: 'image/jpeg' }), bytes: uniq }).catch((e) => ({ status: 0, text: String(e) }));
      out.upload = up;
      const tgt = targets[ti++ % targets.length];
      out.follow = await request(url, 'POST', `/api/v1/accounts/${tgt.id}/follow`, { token: a.token }).catch((e) => ({ status: 0, text: String(e) }));
      if (ok(out.follow)) acked.follows.push(tgt.id);
      out.like = await request(url, 'POST', `/api/v1/statuses/${bpost.json.id}/favourite`, { token: a.token }).catch((e) => ({ status: 0, text: String(e) }));
      if (ok(out.like)) acked.likes.push(bpost.json.id);
      await request(url, 'POST', `/api/v1/statuses/${bpost.json.id}/unfavourite`, { token: a.token }).catch(() => null);
      out.post = await request(url, 'POST', '/api/v1/statuses', { token: a.token, form: { status: `comment while ${phase}`, in_reply_to_id: bpost.json.id } }).catch((e) => ({ status: 0, text: String(e) }));
      if (ok(out.post)) acked.statuses.push(out.post.json.id);
      out.readyz = await request(url, 'GET', '/readyz').catch((e) => ({ status: 0, text: String(e) }));
      out.read = await request(url, 'GET', `/api/v1/statuses/${bpost.json.id}`).catch((e) => ({ status: 0, text: String(e) }));
      const summary = Object.fromEntries(Object.entries(out).map(([k, r]) => [k, r.status]));
      log.push(`${phase} (${(freeBytes(dataDir) / 1048576).toFixed(1)} MB free): ${JSON.stringify(summary)}`);
      for (const [k, r] of Object.entries(out)) {
        if (r.status === 500 || r.status === 0) problems.push(`${phase}: ${k} answered ${r.status} ${String(r.text).slice(0, 200)}`);
        if ((r.status === 503 || r.status === 507) && !r.headers?.['retry-after']) problems.push(`${phase}: ${k} ${r.status} without Retry-After`);
      }
      if (!srv.alive()) problems.push(`${phase}: the server exited ${JSON.stringify(srv.exit)}: ${srv.tail(1500)}`);
      return out;
    };

    // 1. Below the reserve.
    fill(junk, mnt, 4 << 20);
    t.diagnostic(`filled: ${(freeBytes(mnt) / 1048576).toFixed(1)} MB free, reserve ${RESERVE_MB} MB`);
    const below = await attempts('below the reserve');
    if (below.readyz.status !== 503) problems.push(`below the reserve: /readyz answered ${below.readyz.status} ${below.readyz.text}`);
    if (![503, 507].includes(below.upload.status)) problems.push(`below the reserve: upload answered ${below.upload.status} ${below.upload.text.slice(0, 200)} (want 507 or 503)`);
    for (const k of ['follow', 'like', 'post']) {
      // The reserve is kept for the database: small writes go on below it; only uploads stop.
      if (below[k].status !== 200) problems.push(`below the reserve: ${k} answered ${below[k].status} (want 200: the reserve is kept for the database)`);
    }
    if (below.read.status !== 200) problems.push(`below the reserve: a read answered ${below.read.status}`);
    const strays1 = await strayTemps(dataDir);
    if (strays1.length) problems.push(`below the reserve: temporary files left: ${strays1.join(', ')}`);

    // 2. Completely full.
    fill(junk, mnt, 0);
    t.diagnostic(`filled: ${freeBytes(mnt)} bytes free`);
    const full = await attempts('disk full');
    if (full.readyz.status !== 503) problems.push(`disk full: /readyz answered ${full.readyz.status}`);
    if (![503, 507].includes(full.upload.status)) problems.push(`disk full: upload answered ${full.upload.status} ${full.upload.text.slice(0, 200)} (want 507 or 503)`);
    for (const k of ['follow', 'like', 'post']) {
      if (!ok(full[k]) && ![503, 507].includes(full[k].status)) problems.push(`disk full: ${k} answered ${full[k].status} ${full[k].text.slice(0, 200)}`);
    }
    if (full.read.status !== 200) problems.push(`disk full: a read answered ${full.read.status}`);
    const health = await request(url, 'GET', '/healthz').catch(() => ({ status: 0 }));
    if (health.status !== 200) problems.push(`disk full: /healthz answered ${health.status}`);
    const strays2 = await strayTemps(dataDir);
    if (strays2.length) problems.push(`disk full: temporary files left: ${strays2.join(', ')}`);
    for (const p of blobFilesProblems(dataDir)) problems.push(`disk full: ${p}`);

    // 3. Space returns: writes succeed again, no restart.
    rmSync(junk);
    const t0 = performance.now();
    let readyAfter = null;
    while (performance.now() - t0 < 5000) {
      const r = await request(url, 'GET', '/readyz');
      if (r.status === 200) {
        readyAfter = performance.now() - t0;
        break;
      }
      await sleep(50);
    }
    if (readyAfter === null) problems.push('space returned: /readyz still not ready after 5 s');
    const again = await attempts('space returned');
    for (const k of ['upload', 'follow', 'like', 'post', 'readyz', 'read']) {
      if (!ok(again[k])) problems.push(`space returned: ${k} answered ${again[k].status} ${String(again[k].text).slice(0, 200)}`);
    }
    if (ok(again.upload)) {
      const st = await request(url, 'POST', '/api/v1/statuses', { token: a.token, form: [['status', 'photo after'], ['media_ids[]', again.upload.json.id]] });
      if (!ok(st)) problems.push(`space returned: photo post answered ${st.status}`);
      else acked.statuses.push(st.json.id);
    }
    if (srv.starts !== 1) problems.push(`the server was restarted (${srv.starts} starts)`);

    // 4. Crash and restart: everything acknowledged is there, nothing half-written.
    await srv.kill9();
    await srv.start();
    const au = await audit(srv.bin, dataDir);
    if (au.code !== 0) problems.push(`audit: ${au.out}`);
    for (const p of await dbChecks(srv.db)) problems.push(p);
    for (const p of await halfState(srv.db)) problems.push(p);
    for (const p of blobFilesProblems(dataDir)) problems.push(p);
    const rel = await request(srv.url, 'GET', `/api/v1/accounts/relationships?${acked.follows.map((id) => `id[]=${id}`).join('&')}`, { token: a.token });
    for (const id of acked.follows) {
      if (!rel.json?.find((x) => x.id === id)?.following) problems.push(`acknowledged follow of ${id} lost`);
    }
    for (const id of acked.statuses) {
      const r = await request(srv.url, 'GET', `/api/v1/statuses/${id}`);
      if (r.status !== 200) problems.push(`acknowledged status ${id} lost (${r.status})`);
    }
    if (srv.sanitizer) problems.push(`sanitizer report: ${srv.tail(3000)}`);
    for (const l of log.splice(0)) t.diagnostic(l);
    if (readyAfter !== null) t.diagnostic(`/readyz ready ${Math.round(readyAfter)} ms after the junk file was deleted`);
    t.diagnostic(`acknowledged while short of space and after: ${acked.follows.length} follows, ${acked.likes.length} likes, ${acked.statuses.length} posts; all checked after a kill -9`);
    assert.deepEqual(problems, []);
    const stop = await srv.stop();
    assert.equal(stop?.code, 0, `SIGTERM exit ${JSON.stringify(stop)}`);
    done = true;
  } finally {
    for (const l of log) t.diagnostic(l); // when it failed before printing
    await srv.kill9();
    const u = await run('umount', [mnt]);
    if (u.code !== 0) await run('umount', ['-l', mnt]);
    rmSync(base, { recursive: true, force: true });
  }
});
