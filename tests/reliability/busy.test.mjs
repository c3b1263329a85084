// Busy database: another process (python3's sqlite3) holds BEGIN EXCLUSIVE
// on the database for 10 s while 4 clients write (follow, unfollow, like,
// unlike) against a server run with --set busy_timeout_ms=2000. Checks:
//   - a write that cannot get the lock waits up to the bound (measured on
//     the server: its access log has each request's duration), then answers
//     503 with Retry-After; nothing answers 500;
//   - every acknowledged write is there afterwards (relationships, likes),
//     audit clean, integrity ok;
//   - after the lock is released, a write succeeds within 1 s.
//   - reads go on meanwhile: the server runs ONE HTTP thread, and each read
//     during the lock (a post, /healthz) answers 200 within READ_BOUND_MS.
//     A write waiting for the lock on that thread would hold them all.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
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
  removeDir,
  request,
  sleep,
  sql,
  stableBinary,
  tempDir,
  uploadMedia,
} from './lib.mjs';

const BUSY_MS = 2000;
const LOCK_MS = 10000;
const CLIENTS = 4;
const SLACK_MS = 1000;
const READ_BOUND_MS = 500;

const LOCKER = `
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute('BEGIN EXCLUSIVE')
print('locked', flush=True)
sys.stdin.readline()
c.execute('COMMIT')
print('released', flush=True)
`;

function locker(db) {
  const p = spawn('python3', ['-c', LOCKER, db], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters = [];
  p.stdout.setEncoding('utf8');
  p.stdout.on('data', (d) => {
    out += d;
    for (const w of waiters.splice(0)) w();
  });
  p.stderr.on('data', (d) => (err += d));
  const until = async (word, ms) => {
    const deadline = Date.now() + ms;
    while (!out.includes(word)) {
      if (Date.now() > deadline || p.exitCode !== null) throw new Error(`locker did not say ${word}: ${out} ${err}`);
      await new Promise((r) => {
        waiters.push(r);
        setTimeout(r, 50);
      });
    }
    return performance.now();
  };
  return { p, until, release: () => p.stdin.write('\n') };
}

// Ends a test: the locker and the server go; the data stays if the test failed.
async function cleanUp(t, { lock, srv, dataDir, done }) {
  lock?.p.kill('SIGKILL');
  await srv.kill9();
  if (done && !process.env.PINHOLE_KEEP_DATA) await removeDir(dataDir);
  else t.diagnostic(`data kept: ${dataDir}`);
}

test(`a database locked for ${LOCK_MS / 1000} s: writes wait up to busy_timeout_ms=${BUSY_MS}, then 503 + Retry-After; nothing lost; writes resume within 1 s`, { timeout: 120000 }, async (t) => {
  const dataDir = await tempDir('busy');
  const srv = new Server({ dataDir, bin: await stableBinary(), set: { busy_timeout_ms: String(BUSY_MS), threads: '1' } });
  let done = false;
  let lock = null;
  try {
    await srv.start();
    const url = srv.url;
    const app = await createApp(url);
    const tok = await appToken(url, app);
    const clients = [];
    for (let i = 0; i < CLIENTS; i++) clients.push(await register(url, tok, `b${i}`));
    const targets = [];
    for (let i = 0; i < 3; i++) targets.push(await register(url, tok, `bt${i}`));
    const posts = [];
    for (const tg of targets.slice(0, 2)) {
      const m = await uploadMedia(url, tg.token, photo('seeding-256.png'));
      assert.equal(m.status, 200, `upload: ${m.status} ${m.text}`);
      const p = await request(url, 'POST', '/api/v1/statuses', { token: tg.token, form: [['status', 'like me'], ['media_ids[]', m.json.id]] });
      assert.equal(p.status, 200);
      posts.push(p.json.id);
    }

    // Model: per (client, target) follow state and per (client, post) like state, as bit sets.
    const NO = 1;
    const YES = 2;
    const follows = new Map();
    const likes = new Map();
    for (const c of clients) {
      for (const x of targets) follows.set(`${c.id}|${x.id}`, NO);
      for (const p of posts) likes.set(`${c.id}|${p}`, NO);
    }
    const records = []; // {phase, start, end, status, retryAfter, what}
    const reads = [];
    let phase = 'before';
    let stop = false;
    let acked = 0;

    const writer = async (c) => {
      while (!stop) {
        const kind = Math.random() < 0.5 ? 'follow' : 'like';
        const on = Math.random() < 0.6;
        let key;
        let path;
        let map;
        if (kind === 'follow') {
          const x = targets[Math.floor(Math.random() * targets.length)];
          key = `${c.id}|${x.id}`;
          path = `/api/v1/accounts/${x.id}/${on ? 'follow' : 'unfollow'}`;
          map = follows;
        } else {
          const p = posts[Math.floor(Math.random() * posts.length)];
          key = `${c.id}|${p}`;
          path = `/api/v1/statuses/${p}/${on ? 'favourite' : 'unfavourite'}`;
          map = likes;
        }
        const start = performance.now();
        const startPhase = phase;
        let r;
        try {
          r = await request(url, 'POST', path, { token: c.token, timeoutMs: 30000 });
        } catch (e) {
          r = { status: 0, text: String(e), headers: {} };
        }
        const end = performance.now();
        records.push({ phase: startPhase, start, end, status: r.status, retryAfter: r.headers['retry-after'], what: `${kind} ${on}`, text: r.text.slice(0, 200) });
        if (ok(r)) {
          map.set(key, on ? YES : NO);
          acked++;
        } else if (r.status !== 503) {
          map.set(key, map.get(key) | (on ? YES : NO)); // unknown outcome
        }
        await sleep(20);
      }
    };
    const reader = async () => {
      while (!stop) {
        for (const path of [`/api/v1/statuses/${posts[0]}`, '/healthz']) {
          const start = performance.now();
          let status = 0;
          try {
            status = (await request(url, 'GET', path, { timeoutMs: 30000 })).status;
          } catch {
            /* counted as 0 */
          }
          reads.push({ phase, path, status, ms: performance.now() - start });
        }
        await sleep(100);
      }
    };

    const load = [...clients.map(writer), reader()];
    await sleep(1000);
    lock = locker(srv.db);
    const tLock = await lock.until('locked', 10000);
    phase = 'locked';
    await sleep(LOCK_MS);
    phase = 'released';
    lock.release();
    const tRel = await lock.until('released', 10000);
    await sleep(3000);
    stop = true;
    await Promise.all(load);

    // Server-side durations from the access log ("POST /path 503 44 2001234us ...").
    const served = [];
    for (const line of srv.stderr.split('\n')) {
      const m = line.match(/^(POST) (\S+) (\d{3}) \d+ (\d+)us/);
      if (m) served.push({ path: m[2], status: Number(m[3]), ms: Number(m[4]) / 1000 });
    }
    const busy = served.filter((s) => s.status === 503);
    const during = records.filter((r) => r.start >= tLock && r.start < tRel);
    const problems = [];
    for (const r of records) {
      if (r.status === 500 || r.status === 0 || (r.status >= 400 && r.status !== 503)) problems.push(`${r.what} (${r.phase}) answered ${r.status} ${r.text}`);
      if (r.status === 503 && !r.retryAfter) problems.push(`${r.what}: 503 without Retry-After`);
    }
    for (const s of busy) if (s.ms > BUSY_MS + SLACK_MS) problems.push(`${s.path}: the server took ${Math.round(s.ms)} ms before its 503 (bound ${BUSY_MS} ms)`);
    if (!busy.length) problems.push(`no write answered 503 during the ${LOCK_MS} ms lock (${during.length} writes started then)`);
    const firstOk = records.filter((r) => ok(r) && r.end >= tRel).sort((x, y) => x.end - y.end)[0];
    const resumeMs = firstOk ? firstOk.end - tRel : Infinity;
    if (resumeMs > 1000) problems.push(`no write succeeded within 1 s of the release (first after ${Math.round(resumeMs)} ms)`);
    const lateFail = records.filter((r) => r.start >= tRel + 1000 && !ok(r));
    for (const r of lateFail) problems.push(`${r.what} started ${Math.round(r.start - tRel)} ms after the release answered ${r.status}`);
    // (a write that started during the lock may succeed once it is released)
    const duringOk = during.filter((r) => ok(r) && r.end < tRel);
    for (const r of duringOk) problems.push(`${r.what} answered ${r.status} while the database was exclusively locked`);

    // Nothing acknowledged was lost.
    for (const c of clients) {
      const q = targets.map((x) => `id[]=${x.id}`).join('&');
      const r = await request(url, 'GET', `/api/v1/accounts/relationships?${q}`, { token: c.token });
      for (const x of targets) {
        const f = r.json.find((o) => o.id === x.id)?.following;
        const want = follows.get(`${c.id}|${x.id}`);
        if (!(want & (f ? YES : NO))) problems.push(`lost: ${c.username} -> ${x.username} following=${f}, acknowledged ${want === YES}`);
      }
    }
    const favRows = new Set((await sql(srv.db, "SELECT account_id || '|' || status_id AS k FROM favourites")).map((r) => r.k));
    for (const [k, want] of likes) {
      if (!(want & (favRows.has(k) ? YES : NO))) problems.push(`lost: like ${k} present=${favRows.has(k)}, acknowledged ${want === YES}`);
    }
    const au = await audit(srv.bin, dataDir);
    if (au.code !== 0) problems.push(`audit: ${au.out}`);
    for (const p of await dbChecks(srv.db)) problems.push(p);
    for (const p of await halfState(srv.db)) problems.push(p);
    if (srv.sanitizer) problems.push(`sanitizer report: ${srv.tail(3000)}`);
    const lockedReads = reads.filter((r) => r.phase === 'locked');
    if (lockedReads.length < 20) problems.push(`only ${lockedReads.length} reads during the lock`);
    for (const r of lockedReads) {
      if (r.status !== 200 || r.ms > READ_BOUND_MS) problems.push(`read ${r.path} during the lock: ${r.status} in ${Math.round(r.ms)} ms (bound ${READ_BOUND_MS} ms)`);
    }

    const clientBusy = records.filter((r) => r.status === 503).map((r) => r.end - r.start);
    const readMax = (p) => Math.round(Math.max(0, ...lockedReads.filter((r) => r.path.startsWith(p)).map((r) => r.ms)));
    t.diagnostic(
      `busy: ${records.length} writes (${acked} acknowledged), ${during.length} started during the lock: ` +
        `${busy.length} answered 503 after ${Math.round(Math.min(...busy.map((s) => s.ms)))}-${Math.round(Math.max(...busy.map((s) => s.ms)))} ms on the server ` +
        `(${Math.round(Math.min(...clientBusy))}-${Math.round(Math.max(...clientBusy))} ms seen by the clients, queueing included); ` +
        `first write after the release succeeded in ${Math.round(resumeMs)} ms; reads during the lock: ${lockedReads.length}, ` +
        `statuses ${readMax('/api')} ms max, /healthz ${readMax('/healthz')} ms max, non-200: ${lockedReads.filter((r) => r.status !== 200).length}`,
    );
    assert.deepEqual(problems, []);
    const st = await srv.stop();
    assert.equal(st?.code, 0, `SIGTERM exit ${JSON.stringify(st)}`);
    done = true;
  } finally {
    await cleanUp(t, { lock, srv, dataDir, done });
  }
});

// SIGTERM while writes wait for the lock longer than the shutdown grace:
// the server finishes them (each answers 503 once its wait runs out) before
// it closes their connections, and exits 0. Closing first would leave the
// writer threads holding requests that no longer exist.
test('SIGTERM while writes wait for the database lock past the grace: they answer 503, then the server exits 0', { timeout: 60000 }, async (t) => {
  const WAIT_MS = 3000;
  const dataDir = await tempDir('busy-stop');
  const srv = new Server({ dataDir, bin: await stableBinary(), set: { busy_timeout_ms: String(WAIT_MS), shutdown_grace_s: '1', threads: '1' } });
  let done = false;
  let lock = null;
  try {
    await srv.start();
    const url = srv.url;
    const tok = await appToken(url, await createApp(url));
    const me = await register(url, tok, 'stopper');
    const others = [];
    for (let i = 0; i < 3; i++) others.push(await register(url, tok, `stopped${i}`));
    lock = locker(srv.db);
    await lock.until('locked', 10000);
    const started = performance.now();
    const writes = others.map((o) =>
      request(url, 'POST', `/api/v1/accounts/${o.id}/follow`, { token: me.token, timeoutMs: 30000 }).then(
        (r) => ({ status: r.status, retryAfter: r.headers['retry-after'], ms: performance.now() - started }),
        (e) => ({ status: 0, error: String(e), ms: performance.now() - started }),
      ),
    );
    await sleep(300); // the writes are waiting for the lock now
    const st = await srv.stop();
    const answers = await Promise.all(writes);
    t.diagnostic(`stop: exit ${JSON.stringify(st)}; writes: ${JSON.stringify(answers)}`);
    for (const a of answers) {
      assert.equal(a.status, 503, `a write in flight at SIGTERM: ${JSON.stringify(a)}`);
      assert.ok(a.retryAfter, '503 without Retry-After');
    }
    assert.equal(st?.code, 0, `SIGTERM exit ${JSON.stringify(st)}: ${srv.tail(2000)}`);
    assert.ok(!srv.sanitizer, `sanitizer report: ${srv.tail(3000)}`);
    assert.doesNotMatch(srv.stderr, /still in flight/);
    done = true;
  } finally {
    await cleanUp(t, { lock, srv, dataDir, done });
  }
});
