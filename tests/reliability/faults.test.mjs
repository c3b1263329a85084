// Fault-injection sweep: faultshim.c (LD_PRELOAD) fails the Nth write /
// pwrite / pwrite64, fsync / fdatasync or rename / renameat on a file under
// the data dir, with EIO, ENOSPC, EINTR or (writes) a short write, counted
// from the moment the shim is armed (server start-up is never counted).
// Three operations are swept: "register", "upload + post" and "follow",
// each over N = 1, 2, ... until the operation completes with no fault hit.
//
// Each run: arm, do the operation, disarm, read the shim's fault log, then
// kill -9 the server and restart it (the shim stays loaded but disarmed, a
// pass-through; at the end of each worker's sweep the server is restarted
// with no LD_PRELOAD at all and everything is checked once more), and check:
//   - a 2xx after an injected fsync/fdatasync failure on the database's WAL
//     or the blob store is a failure (acknowledged without being durable);
//     a failed sync of the main database file (checkpoints) or of the data
//     folder (SQLite ignores those) is reported, not failed;
//   - a server that died by itself is acceptable only if it sent no 2xx;
//   - an injected fault is never answered with a 4xx (the client did
//     nothing wrong): 500, 503 or 507;
//   - `pinhole audit` clean, integrity_check ok, foreign_key_check empty;
//   - no half state: no account without its user, no media without its 8
//     media_files rows and their blob rows, every blob file hashes to its
//     name, no duplicate edges;
//   - an acknowledged registration / post / follow exists after restart
//     (sign-in works, the post and its photos are served with matching
//     ETags, the relationship shows following);
//   - an errored one is either absent or complete ("ghost": counted and
//     reported, not a failure).
// Outcomes per errno are printed as diagnostics.
//
// Which N are run: a first pass with the shim counting but never failing
// traces every call the operation makes (op and file), so K is known. By
// default the sweep runs, for every mode, the first and last N of each run
// of consecutive calls on the same kind of file (WAL, upload temp file, blob
// temp file, blob folders...), for the first, second and last such run,
// plus every 4th N (EIO), 8th (ENOSPC) or 12th (EINTR, short writes) of the
// write calls and every 3rd rename. The traced run itself is N = K+1: the
// operation completes with no fault hit. FAULT_SWEEP=full runs every N.
// Runs go breadth first (the first N of every sweep, then the second...)
// under a time budget (FAULT_BUDGET_MS, 75 s), so a cut leaves every sweep
// sampled; the figures say how many planned runs were made.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import {
  REPO_ROOT,
  Server,
  appToken,
  audit,
  checkStatusMedia,
  createApp,
  ok,
  passwordGrant,
  register,
  registerRaw,
  removeDir,
  request,
  run,
  sha256,
  sleep,
  sql,
  stableBinary,
  strayTemps,
  tempDir,
  uniqueJpeg,
  uniqueName,
} from './lib.mjs';

const WORKERS = Number(process.env.FAULT_WORKERS || 2);
const FULL = process.env.FAULT_SWEEP === 'full';
const BUDGET_MS = Number(process.env.FAULT_BUDGET_MS || (FULL ? 3600000 : 75000));

const CLASSES = {
  write: { ops: 'write,pwrite,pwrite64', modes: ['EIO', 'ENOSPC', 'EINTR', 'SHORT'] },
  sync: { ops: 'fsync,fdatasync', modes: ['EIO', 'ENOSPC', 'EINTR'] },
  rename: { ops: 'rename,renameat', modes: ['EIO', 'ENOSPC', 'EINTR'] },
};
const SCENARIOS = ['register', 'upload+post', 'follow'];

let outDir;
let shim;
let bin; // a private copy of $PINHOLE_BIN or build/pinhole
const results = []; // one per run
const failures = [];
const observations = [];

/** The kind of file a traced call touched: random names and blob paths folded. */
function site(call) {
  const p = call.path
    .replace(/\/tmp-[0-9a-f]+$/, '/tmp-*')
    .replace(/\/upload-\w+$/, '/upload-*')
    .replace(/\/blobs\/\w\w\/\w\w\/\w+$/, '/blobs/xx/yy/KEY')
    .replace(/\/blobs\/\w\w\/\w\w$/, '/blobs/xx/yy')
    .replace(/\/blobs\/\w\w$/, '/blobs/xx');
  return `${call.op} ${p}`;
}

/** The N to run for a class and mode, given the traced calls (see the header). */
function plan(calls, cls, mode) {
  const K = calls.length;
  const all = Array.from({ length: K }, (_, i) => i + 1);
  if (FULL) return all;
  const runs = []; // [site, first N, last N]
  calls.forEach((c, i) => {
    const s = site(c);
    if (runs.length && runs[runs.length - 1][0] === s) runs[runs.length - 1][2] = i + 1;
    else runs.push([s, i + 1, i + 1]);
  });
  const chosen = new Set();
  const bySite = new Map();
  for (const r of runs) bySite.set(r[0], [...(bySite.get(r[0]) ?? []), r]);
  for (const rs of bySite.values()) {
    for (const r of [rs[0], rs[1], rs[rs.length - 1]]) if (r) chosen.add(r[1]).add(r[2]);
  }
  const stride = cls === 'write' ? { EIO: 4, ENOSPC: 8 }[mode] ?? 12 : cls === 'rename' ? 3 : 0;
  if (stride) for (const n of all) if (n % stride === 0) chosen.add(n);
  return [...chosen].sort((a, b) => a - b);
}

async function asanRuntime() {
  const r = await run('ldd', [bin]);
  const m = r.stdout.match(/libasan\.so[^\s]*\s*=>\s*(\S+)/);
  return m ? m[1] : null;
}

before(async () => {
  bin = await stableBinary();
  outDir = await tempDir('faults');
  shim = join(outDir, 'faultshim.so');
  const cc = await run('cc', ['-shared', '-fPIC', '-O2', '-o', shim, join(REPO_ROOT, 'tests', 'reliability', 'faultshim.c'), '-ldl']);
  assert.equal(cc.code, 0, `building the shim: ${cc.stderr}`);
});

after(async () => {
  if (outDir && !failures.length && !process.env.PINHOLE_KEEP_DATA) await removeDir(outDir);
});

class Worker {
  constructor(k, preload) {
    this.k = k;
    this.dir = join(outDir, `w${k}`);
    this.arm = join(outDir, `w${k}.arm`);
    this.log = join(outDir, `w${k}.faults`);
    this.preload = preload;
    this.gen = 0;
    this.srv = null;
    this.acked = { register: [], post: [], upload: [] };
    this.hashed = new Set();
  }

  env() {
    return { LD_PRELOAD: this.preload, FAULT_ARM_FILE: this.arm, FAULT_PREFIX: this.dir, FAULT_LOG: this.log, FAULT_TRACE: '1' };
  }

  async setup() {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(this.dir, { recursive: true });
    this.srv = new Server({ dataDir: this.dir, bin, env: this.env() });
    await this.srv.start();
    this.app = await createApp(this.srv.url);
    this.appTok = await appToken(this.srv.url, this.app);
    this.a = await register(this.srv.url, this.appTok, `f${this.k}a`);
    this.b = await register(this.srv.url, this.appTok, `f${this.k}b`);
  }

  armWith(ops, n, mode) {
    this.gen++;
    writeFileSync(`${this.arm}.new`, `${this.gen} ${ops} ${n} ${mode}\n`);
    renameSync(`${this.arm}.new`, this.arm);
  }

  disarm() {
    rmSync(this.arm, { force: true });
  }

  faults() {
    let text = '';
    try {
      text = readFileSync(this.log, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter((l) => l.startsWith(`fault gen=${this.gen} `))
      .map((l) => Object.fromEntries(l.slice(6).split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])));
  }

  async call(method, path, o) {
    try {
      return await request(this.srv.url, method, path, { timeoutMs: 20000, ...o });
    } catch (e) {
      return { status: 0, text: `no answer: ${e.code || e.message}`, json: undefined };
    }
  }

  /** Runs one scenario armed; returns {steps: [{what, r, faultsBefore}], data}. */
  async operate(scenario, ops, n, mode) {
    const steps = [];
    const data = {};
    if (scenario === 'follow') {
      const pre = await this.call('POST', `/api/v1/accounts/${this.b.id}/unfollow`, { token: this.a.token });
      if (!ok(pre)) throw new Error(`unfollow before the run: ${pre.status} ${pre.text}`);
    }
    const jpeg = scenario === 'upload+post' ? uniqueJpeg().bytes : null;
    this.armWith(ops, n, mode);
    if (scenario === 'register') {
      data.username = uniqueName(`r${this.k}`);
      data.password = `pw-${randomBytes(6).toString('hex')}`;
      steps.push({ what: 'register', r: await registerRaw(this.srv.url, this.appTok, data.username, data.password).catch((e) => ({ status: 0, text: `no answer: ${e.code || e.message}` })) });
    } else if (scenario === 'follow') {
      steps.push({ what: 'follow', r: await this.call('POST', `/api/v1/accounts/${this.b.id}/follow`, { token: this.a.token }) });
    } else {
      data.sha = sha256(jpeg);
      const up = await this.call('POST', '/api/v2/media', { token: this.a.token, multipart: [['file', new Blob([jpeg], { type: 'image/jpeg' }), 'photo.jpg']], timeoutMs: 30000 });
      steps.push({ what: 'upload', r: up, faults: this.faults().length });
      if (ok(up)) {
        data.media = up.json.id;
        const st = await this.call('POST', '/api/v1/statuses', { token: this.a.token, form: [['status', `fault ${this.gen}`], ['media_ids[]', up.json.id]] });
        steps.push({ what: 'post', r: st, faults: this.faults().length });
        if (ok(st)) data.status = st.json.id;
      }
    }
    this.disarm();
    return { steps, data };
  }

  /** The calls one operation makes (armed, never failing): [{n, op, path}], cached per scenario and class. */
  async trace(scenario, cls) {
    this.traces ??= new Map();
    const key = `${scenario}/${cls}`;
    if (this.traces.has(key)) return this.traces.get(key);
    // in the state every run starts from: just restarted after a kill -9
    // (SQLite's first writes after a restart differ from later ones)
    await this.srv.kill9();
    await this.srv.start();
    const { steps } = await this.operate(scenario, CLASSES[cls].ops, 0, 'EIO');
    for (const s of steps) if (!ok(s.r)) throw new Error(`${s.what}: ${s.r.status} ${s.r.text?.slice(0, 300)}`);
    let text = '';
    try {
      text = readFileSync(`${this.log}.trace`, 'utf8');
    } catch {
      /* no call at all */
    }
    const calls = text
      .split('\n')
      .filter((l) => l.startsWith(`${this.gen} `))
      .map((l) => {
        const [, n, op, ...path] = l.split(' ');
        return { n: Number(n), op, path: path.join(' ') };
      });
    this.traces.set(key, calls);
    return calls;
  }

  /** One run; pushes its record into `results`. Returns whether a fault was hit. */
  async runOnce(scenario, cls, mode, n) {
    const { ops } = CLASSES[cls];
    const t0 = performance.now();
    const { steps, data } = await this.operate(scenario, ops, n, mode);
    const tOp = performance.now();
    const hits = this.faults();
    await sleep(30);
    const died = !this.srv.alive();
    const rec = {
      scenario,
      cls,
      mode,
      n,
      hit: hits[0] ?? null,
      answers: steps.map((s) => `${s.what} ${s.r.status}`),
      died: died ? this.srv.exit : null,
      problems: [],
      ghost: false,
    };
    results.push(rec);
    const fail = (msg) => {
      rec.problems.push(msg);
      failures.push(`${scenario} ${cls}/${mode} N=${n} (${hits[0] ? `${hits[0].op} on ${hits[0].path.replace(this.dir, 'DATA')}` : 'no fault hit'}; answers ${rec.answers.join(', ')}): ${msg}`);
    };

    // A 2xx after a failed fsync of the database or a blob was a lie.
    for (const h of hits) {
      // EINTR interrupts an fsync without failing it: the blob store retries
      // it (a retried fsync that then succeeds makes the 2xx true).
      if (!/^f(data)?sync$/.test(h.op) || h.mode === 'SHORT' || (h.mode === 'EINTR' && h.path.includes('/blobs'))) continue;
      // The blob store: a blob sync that failed must never be answered 2xx.
      // Not the database files: SQLite also syncs the WAL (and the main
      // file) in checkpoints, after a commit whose own sync succeeded, and
      // ignores a checkpoint's failure; a commit whose sync failed is
      // answered with an error, and one that was acknowledged is checked
      // for after the restart like every other acknowledged write. Nor the
      // data folder (SQLite itself ignores a failed directory sync).
      if (!h.path.includes('/blobs')) {
        if (steps.some((s) => ok(s.r))) observations.push(`${scenario} ${cls}/${mode} N=${n}: ${h.op} ${h.mode} on ${h.path.replace(this.dir, 'DATA')} failed, answered ${steps.map((s) => `${s.what} ${s.r.status}`).join(', ')}`);
        continue;
      }
      // the step during which the fault happened: the first whose fault count includes it
      const during = steps.find((s) => s.faults === undefined || s.faults > 0) ?? steps[0];
      if (during && ok(during.r)) fail(`${during.what} answered ${during.r.status} although fsync failed on ${h.path.replace(this.dir, 'DATA')}`);
    }
    for (const s of steps) {
      if (s.r.status >= 500 && ![500, 503, 507].includes(s.r.status)) fail(`${s.what} answered ${s.r.status}`);
      // the client did nothing wrong: a failing disk is never a 4xx
      if (hits.length && s.r.status >= 400 && s.r.status < 500) fail(`${s.what} answered ${s.r.status} ${s.r.text?.slice(0, 120)} for a server-side ${hits[0].mode} (want 500, 503 or 507)`);
    }
    // Any other failed write to the WAL that ended in a 2xx: an error swallowed somewhere.
    for (const h of hits) {
      if (!/write/.test(h.op) || h.mode === 'EINTR' || h.mode === 'SHORT' || !h.path.endsWith('/pinhole.db-wal')) continue;
      const during = steps.find((s) => s.faults === undefined || s.faults > 0) ?? steps[0];
      if (during && ok(during.r)) observations.push(`${scenario} ${cls}/${mode} N=${n}: ${h.op} ${h.mode} on DATA/pinhole.db-wal failed, yet ${during.what} answered ${during.r.status}`);
    }
    if (died) {
      rec.problems.push(`server exited by itself ${JSON.stringify(this.srv.exit)}`);
      observations.push(`${scenario} ${cls}/${mode} N=${n}: the server exited (${JSON.stringify(this.srv.exit)}) after ${hits[0]?.op} ${hits[0]?.mode} on ${hits[0]?.path.replace(this.dir, 'DATA')}; answers ${rec.answers.join(', ')}; stderr: ${this.srv.tail(600).replace(/\n/g, ' | ')}`);
      for (const s of steps) if (ok(s.r) && hits.length) fail(`the server died after a fault but had answered ${s.what} ${s.r.status}`);
    }
    if (!hits.length && !died) {
      // Completed with no fault: the end of this sweep. Check without restarting.
      for (const s of steps) if (!ok(s.r)) fail(`${s.what} failed with no fault injected: ${s.r.status} ${s.r.text?.slice(0, 200)}`);
      await this.checkAcked(scenario, steps, data, rec, fail);
      return false;
    }

    await this.srv.kill9();
    if (this.srv.sanitizer) fail(`sanitizer report: ${this.srv.tail(3000)}`);
    const tKill = performance.now();
    try {
      await this.srv.start();
    } catch (e) {
      fail(`restart after the fault failed: ${e.message.slice(0, 2000)}`);
      // start afresh on a new data dir so the sweep can go on
      throw e;
    }
    const tStart = performance.now();
    // audit, the structural checks and the API checks at once
    await Promise.all([this.checkInvariants(fail), this.checkAcked(scenario, steps, data, rec, fail)]);
    rec.ms = { op: tOp - t0, kill: tKill - tOp, start: tStart - tKill, checks: performance.now() - tStart };
    if (rec.ghost) observations.push(`${scenario} ${cls}/${mode} N=${n}: answered ${rec.answers.join(', ')} after ${hits[0]?.op} ${hits[0]?.mode} on ${hits[0]?.path.replace(this.dir, 'DATA')}, yet the write is there after the restart`);
    return true;
  }

  async checkInvariants(fail) {
    const auditing = audit(bin, this.dir).then((a) => {
      if (a.code !== 0) fail(`pinhole audit exited ${a.code}: ${a.out.slice(0, 800)}`);
    });
    const db = join(this.dir, 'pinhole.db');
    // one sqlite3 process for every structural check: a row per problem
    const rows = await sql(
      db,
      "SELECT 'integrity_check: ' || integrity_check AS p FROM pragma_integrity_check WHERE integrity_check <> 'ok'" +
        " UNION ALL SELECT 'foreign_key_check: ' || \"table\" || ' rowid ' || rowid || ' -> ' || parent FROM pragma_foreign_key_check" +
        " UNION ALL SELECT 'account without user ' || a.id FROM accounts a LEFT JOIN users u ON u.account_id = a.id WHERE u.account_id IS NULL" +
        " UNION ALL SELECT 'media ' || m.id || ' with ' || (SELECT COUNT(*) FROM media_files f WHERE f.media_id = m.id) || ' files' FROM media m WHERE (SELECT COUNT(*) FROM media_files f WHERE f.media_id = m.id) <> 8" +
        " UNION ALL SELECT 'media file without blob row ' || f.blob_key FROM media_files f WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.key = f.blob_key)" +
        " UNION ALL SELECT 'original without blob row ' || m.original_key FROM media m WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.key = m.original_key)" +
        " UNION ALL SELECT 'duplicate follow ' || account_id FROM follows GROUP BY account_id, target_id HAVING COUNT(*) > 1" +
        " UNION ALL SELECT 'key ' || k FROM (SELECT blob_key AS k FROM media_files UNION SELECT original_key FROM media)",
    );
    for (const r of rows) if (!r.p.startsWith("key ")) fail(r.p);
    const keys = rows.filter((r) => r.p.startsWith('key ')).map((r) => ({ k: r.p.slice(4) }));
    // Every referenced blob is on disk; every blob file (new since the last look) hashes to its name.
    const blobs = join(this.dir, 'blobs');
    for (const { k } of keys) {
      try {
        statSync(join(blobs, k.slice(0, 2), k.slice(2, 4), k));
      } catch {
        fail(`blob ${k} is referenced but missing`);
      }
    }
    for (const top of readdirSync(blobs)) {
      if (top.length !== 2) continue;
      for (const sub of readdirSync(join(blobs, top))) {
        for (const name of readdirSync(join(blobs, top, sub))) {
          if (this.hashed.has(name)) continue;
          const h = sha256(readFileSync(join(blobs, top, sub, name)));
          if (h !== name) fail(`blob file ${top}/${sub}/${name} holds bytes hashing to ${h} (a partial or wrong blob under a final name)`);
          this.hashed.add(name);
        }
      }
    }
    const strays = await strayTemps(this.dir);
    if (strays.length) {
      observations.push(`temporary files left after an errored request: ${strays.map((s) => s.replace(this.dir, 'DATA')).join(', ')}`);
      for (const s of strays) rmSync(s, { force: true });
    }
    await auditing;
  }

  async checkAcked(scenario, steps, data, rec, fail) {
    const url = this.srv.url;
    const answered = Object.fromEntries(steps.map((s) => [s.what, s.r]));
    if (scenario === 'register') {
      const lookup = await request(url, 'GET', `/api/v1/accounts/lookup?acct=${data.username}`);
      if (ok(answered.register)) {
        this.acked.register.push(data);
        if (lookup.status !== 200) fail(`acknowledged registration ${data.username} is gone (lookup ${lookup.status})`);
        const g = await passwordGrant(url, this.app, data.username, data.password);
        if (g.status !== 200) fail(`acknowledged registration ${data.username} cannot sign in: ${g.status}`);
        const me = await request(url, 'GET', '/api/v1/accounts/verify_credentials', { token: answered.register.json.access_token });
        if (me.status !== 200) fail(`the token of acknowledged registration ${data.username} no longer works: ${me.status}`);
      } else if (lookup.status === 200) {
        rec.ghost = true; // errored but complete (the half-state checks passed)
        const g = await passwordGrant(url, this.app, data.username, data.password);
        if (g.status !== 200) fail(`errored registration ${data.username} left an account that cannot sign in (${g.status})`);
      }
    } else if (scenario === 'follow') {
      const r = await request(url, 'GET', `/api/v1/accounts/relationships?id[]=${this.b.id}`, { token: this.a.token });
      const following = r.json?.[0]?.following;
      if (r.status !== 200) fail(`relationships: ${r.status}`);
      if (ok(answered.follow) && following !== true) fail(`acknowledged follow is gone (following=${following})`);
      if (!ok(answered.follow) && following === true) rec.ghost = true;
      const acct = await request(url, 'GET', `/api/v1/accounts/${this.b.id}`);
      const rows = await sql(join(this.dir, 'pinhole.db'), `SELECT COUNT(*) AS n FROM follows WHERE target_id = ${this.b.id}`);
      if (acct.json?.followers_count !== rows[0].n) fail(`followers_count ${acct.json?.followers_count} but ${rows[0].n} follows rows`);
    } else {
      const db = join(this.dir, 'pinhole.db');
      const orig = await sql(db, `SELECT CAST(id AS TEXT) AS id, CAST(COALESCE(status_id, 0) AS TEXT) AS status FROM media WHERE original_key = '${data.sha}'`);
      if (ok(answered.upload)) this.acked.upload.push(data);
      if (ok(answered.post)) {
        this.acked.post.push(data);
        const st = await request(url, 'GET', `/api/v1/statuses/${data.status}`);
        if (st.status !== 200) fail(`acknowledged post ${data.status} is gone (${st.status})`);
        else {
          const m = await checkStatusMedia(url, st.json);
          for (const p of m.problems) fail(`acknowledged post ${data.status}: ${p}`);
          if ((st.json.media_attachments ?? []).length !== 1) fail(`acknowledged post ${data.status} has ${(st.json.media_attachments ?? []).length} photos`);
        }
      } else if (ok(answered.upload)) {
        const m = await request(url, 'GET', `/api/v1/media/${data.media}`, { token: this.a.token });
        if (m.status !== 200) fail(`acknowledged upload ${data.media} is gone (${m.status})`);
        if (answered.post && orig.some((o) => o.status !== '0')) rec.ghost = true;
      } else if (orig.length) {
        rec.ghost = true; // the upload errored but its media row exists (complete, per the half-state checks)
      }
    }
  }

  /** The final restart with no LD_PRELOAD at all: everything acknowledged is still there. */
  async finalCheck() {
    await this.srv.kill9();
    const clean = new Server({ dataDir: this.dir, bin });
    clean.port = this.srv.port;
    await clean.start({ env: { LD_PRELOAD: '' } });
    this.srv = clean;
    const fail = (msg) => failures.push(`worker ${this.k} final check (no shim): ${msg}`);
    await this.checkInvariants(fail);
    for (const d of this.acked.register) {
      const g = await passwordGrant(clean.url, this.app, d.username, d.password);
      if (g.status !== 200) fail(`acknowledged registration ${d.username}: sign-in ${g.status}`);
    }
    for (const d of this.acked.post) {
      const st = await request(clean.url, 'GET', `/api/v1/statuses/${d.status}`);
      if (st.status !== 200) fail(`acknowledged post ${d.status}: ${st.status}`);
    }
    for (const d of this.acked.upload) {
      const m = await request(clean.url, 'GET', `/api/v1/media/${d.media}`, { token: this.a.token });
      if (m.status !== 200) fail(`acknowledged upload ${d.media}: ${m.status}`);
    }
    const stop = await clean.stop();
    if (stop?.code !== 0) fail(`SIGTERM exit ${JSON.stringify(stop)}: ${clean.tail(1000)}`);
  }
}

test('fault sweep: the Nth write/fsync/rename fails (EIO, ENOSPC, EINTR, short write) during register, upload + post, follow', { timeout: 900000 }, async (t) => {
  const asan = await asanRuntime();
  const preload = asan ? `${asan}:${shim}` : shim;
  const t0 = Date.now();
  const workers = [];
  for (let k = 0; k < WORKERS; k++) workers.push(new Worker(k, preload));
  await Promise.all(workers.map((w) => w.setup()));

  // Trace each operation once per class (the shim counts, never fails): K,
  // the call sites, and the proof that with N > K the operation completes.
  const traces = new Map();
  for (const scenario of SCENARIOS) {
    for (const cls of Object.keys(CLASSES)) traces.set(`${scenario}/${cls}`, await workers[0].trace(scenario, cls));
  }
  // Every planned run, breadth first: the first N of every sweep, then the
  // second... so a time budget cut leaves every sweep sampled. Sweeps in
  // priority order: fsync and rename before writes, EIO first.
  const order = ['sync/EIO', 'rename/EIO', 'write/EIO', 'sync/ENOSPC', 'write/ENOSPC', 'write/SHORT', 'sync/EINTR', 'write/EINTR', 'rename/ENOSPC', 'rename/EINTR'];
  const sweepsPlanned = [];
  for (const key of order) {
    const [cls, mode] = key.split('/');
    for (const scenario of SCENARIOS) {
      const calls = traces.get(`${scenario}/${cls}`);
      sweepsPlanned.push({ scenario, cls, mode, K: calls.length, ns: plan(calls, cls, mode), ran: 0 });
    }
  }
  const queue = [];
  for (let rank = 0; ; rank++) {
    const more = sweepsPlanned.filter((sw) => rank < sw.ns.length);
    if (!more.length) break;
    for (const sw of more) queue.push({ sw, n: sw.ns[rank] });
  }
  const deadline = Date.now() + BUDGET_MS;
  let next = 0;
  await Promise.all(
    workers.map(async (w) => {
      while (next < queue.length && Date.now() < deadline) {
        const { sw, n } = queue[next++];
        try {
          await w.runOnce(sw.scenario, sw.cls, sw.mode, n);
          sw.ran++;
        } catch (e) {
          failures.push(`${sw.scenario} ${sw.cls}/${sw.mode} N=${n}: ${e.message.slice(0, 1500)}`);
          return; // the data dir is unusable: this worker stops
        }
      }
    }),
  );
  for (const w of workers) await w.finalCheck();
  const secs = ((Date.now() - t0) / 1000).toFixed(1);

  // Outcomes per errno (mode).
  const table = {};
  for (const r of results) {
    const row = (table[r.mode] ??= { runs: 0, faultHit: 0, acknowledged: 0, errors: {}, noAnswer: 0, serverExited: 0, ghosts: 0, failed: 0 });
    row.runs++;
    if (r.hit) row.faultHit++;
    const last = r.answers[r.answers.length - 1];
    const status = Number(last.split(' ')[1]);
    if (status >= 200 && status < 300) row.acknowledged++;
    else if (status === 0) row.noAnswer++;
    else row.errors[status] = (row.errors[status] || 0) + 1;
    if (r.died) row.serverExited++;
    if (r.ghost) row.ghosts++;
    if (r.problems.length) row.failed++;
  }
  const planned = queue.length;
  t.diagnostic(`fault sweep: ${results.length} of ${planned} planned runs in ${secs} s on ${WORKERS} workers (${FULL ? 'every N' : 'sampled N, see the header'})`);
  for (const [mode, row] of Object.entries(table)) t.diagnostic(`  ${mode}: ${JSON.stringify(row)}`);
  for (const s of SCENARIOS) {
    const rs = results.filter((r) => r.scenario === s);
    const ends = sweepsPlanned.filter((e) => e.scenario === s).map((e) => `${e.cls}/${e.mode}: K=${e.K} ran ${e.ran}/${e.ns.length}`);
    t.diagnostic(`  ${s}: ${rs.length} runs, ${rs.filter((r) => r.ghost).length} errored answers whose write exists after restart; ${ends.join('; ')}`);
  }
  const answersBy = {};
  for (const r of results) {
    const k = `${r.scenario} ${r.cls}/${r.mode}`;
    answersBy[k] ??= {};
    const a = r.answers.join('+');
    answersBy[k][a] = (answersBy[k][a] || 0) + 1;
  }
  for (const [k, v] of Object.entries(answersBy)) t.diagnostic(`  answers ${k}: ${JSON.stringify(v)}`);
  const timed = results.filter((r) => r.ms);
  const avg = {};
  for (const k of ['op', 'kill', 'start', 'checks']) avg[k] = Math.round(timed.reduce((s, r) => s + r.ms[k], 0) / Math.max(1, timed.length));
  t.diagnostic(`  mean ms per run with a restart: ${JSON.stringify(avg)}`);
  const byOp = {};
  for (const r of results) if (r.hit) byOp[`${r.hit.op}`] = (byOp[r.hit.op] || 0) + 1;
  t.diagnostic(`  faults injected per call: ${JSON.stringify(byOp)}`);
  for (const o of [...new Set(observations)].slice(0, 30)) t.diagnostic(`  observed: ${o}`);
  if (results.length < planned) t.diagnostic(`  ${planned - results.length} planned runs left out at the time budget (FAULT_BUDGET_MS=${BUDGET_MS})`);
  assert.ok(results.length >= Math.min(planned, 30), `only ${results.length} runs`);
  assert.ok(results.some((r) => r.hit), 'no fault was ever injected: is the shim loaded?');
  assert.deepEqual(failures, [], `fault sweep failures (data: ${outDir})`);
});
