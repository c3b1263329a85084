// Shared harness for the reliability battery (crash, faults, disk full,
// busy database): a server process on a fixed loopback port and data dir
// that can be killed with SIGKILL and restarted (with the time to the first
// healthy /healthz measured), raw HTTP helpers that never throw on a
// status, the sqlite3 CLI and `pinhole audit` as oracles, and small
// invariant checks every test shares.
//
// Binary: $PINHOLE_BIN (default build/pinhole under the repository root).

import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// One free-port finder and sleep for every suite.
export { freePort, sleep } from '../api/lib/server.mjs';
import { freePort, sleep } from '../api/lib/server.mjs';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = process.env.PINHOLE_BIN ? resolve(process.env.PINHOLE_BIN) : join(REPO_ROOT, 'build', 'pinhole');
export const FIXTURES = join(REPO_ROOT, 'tests', 'fixtures');

/**
 * A private copy of a binary, made once per process: other people rebuild
 * build/pinhole while tests run, and a half-written file cannot be spawned.
 * Waits (up to 2 min) for a rebuild in progress to finish.
 */
const copies = new Map();
let copyDir = null;
export async function stableBinary(bin = BIN) {
  if (copies.has(bin)) return copies.get(bin);
  const deadline = Date.now() + 120000;
  for (;;) {
    try {
      accessSync(bin, constants.X_OK);
      const before = statSync(bin);
      if (before.size > 0 && Date.now() - before.mtimeMs > 1000) {
        copyDir ??= mkdtempSync(join(tmpdir(), 'pinhole-rel-bin-'));
        const out = join(copyDir, `pinhole-${copies.size}`);
        copyFileSync(bin, out);
        const after = statSync(bin);
        if (after.mtimeMs === before.mtimeMs && after.size === before.size) {
          copies.set(bin, out);
          return out;
        }
      }
    } catch {
      /* missing or being written */
    }
    if (Date.now() > deadline) throw new Error(`${bin} is missing or not executable`);
    await sleep(500);
  }
}
process.on('exit', () => {
  if (copyDir) {
    try {
      // best effort: remove the private copies
      for (const p of copies.values()) rmSyncQuiet(p);
      rmSyncQuiet(copyDir);
    } catch {
      /* ignore */
    }
  }
});
function rmSyncQuiet(p) {
  try {
    rmSync(p, { recursive: true, force: true });
  } catch {
    /* ignore */
  }
}

export const FAST = Object.freeze({
  argon2_mem_kib: '8192',
  argon2_ops: '1',
  rate_auth_limit: '1000000',
});

const SANITIZER = /ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|AddressSanitizer:DEADLYSIGNAL|ERROR: UndefinedBehaviorSanitizer/;

export const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

const live = new Set();
process.on('exit', () => {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
});


export async function tempDir(prefix) {
  return mkdtemp(join(tmpdir(), `pinhole-rel-${prefix}-`));
}

/** A pinhole server on one data dir and one port, restartable after kill -9. */
export class Server {
  /**
   * @param {object} o
   * @param {string} o.dataDir
   * @param {string} [o.bin]
   * @param {object} [o.set] --set options (over FAST)
   * @param {object} [o.env] extra environment (e.g. LD_PRELOAD)
   */
  constructor({ dataDir, bin = BIN, set = {}, env = {} }) {
    this.dataDir = dataDir;
    this.bin = bin;
    this.set = { ...FAST, ...set };
    this.env = env;
    this.port = 0;
    this.proc = null;
    this.exit = null;
    this.stderr = '';
    this.sanitizer = false;
    this.starts = 0;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  get db() {
    return join(this.dataDir, 'pinhole.db');
  }

  setArgs() {
    return Object.entries(this.set).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
  }

  /**
   * Spawns the server and waits for /healthz 200. Returns the milliseconds
   * from spawn to the first healthy answer. `env` overrides this.env once.
   */
  async start({ env = null, timeoutMs = 30000 } = {}) {
    if (!this.port) this.port = await freePort();
    const args = ['serve', '--data-dir', this.dataDir, '--listen', `127.0.0.1:${this.port}`, ...this.setArgs()];
    const t0 = performance.now();
    const proc = spawn(this.bin, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...(env ?? this.env) },
    });
    this.proc = proc;
    this.exit = null;
    this.starts++;
    live.add(proc);
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (c) => {
      this.stderr = (this.stderr + c).slice(-200000);
      if (SANITIZER.test(c)) this.sanitizer = true;
    });
    this.exited = new Promise((res) => {
      proc.on('error', (e) => {
        live.delete(proc);
        this.exit = { code: null, signal: null, error: e.message };
        res(this.exit);
      });
      proc.on('exit', (code, signal) => {
        live.delete(proc);
        this.exit = { code, signal };
        res(this.exit);
      });
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exit) throw new Error(`pinhole exited during start-up (${JSON.stringify(this.exit)}):\n${this.tail()}`);
      try {
        const r = await request(this.url, 'GET', '/healthz', { timeoutMs: 1000 });
        if (r.status === 200) return performance.now() - t0;
      } catch {
        /* not listening yet */
      }
      await sleep(5);
    }
    proc.kill('SIGKILL');
    throw new Error(`pinhole did not answer /healthz within ${timeoutMs} ms:\n${this.tail()}`);
  }

  alive() {
    return this.proc !== null && this.exit === null;
  }

  tail(n = 4000) {
    return this.stderr.slice(-n);
  }

  async kill9() {
    if (!this.proc) return;
    if (!this.exit) {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
    this.proc = null;
  }

  /** SIGTERM; resolves to the exit record. */
  async stop() {
    if (!this.proc) return this.exit;
    if (!this.exit) {
      this.proc.kill('SIGTERM');
      const t = setTimeout(() => this.proc?.kill('SIGKILL'), 15000);
      await this.exited;
      clearTimeout(t);
    }
    this.proc = null;
    return this.exit;
  }
}

// ------------------------------------------------------------------ HTTP

/**
 * One HTTP request. Resolves with {status, headers, body (Buffer), text,
 * json}; rejects only on a transport error (refused, reset, timeout).
 */
export async function request(base, method, path, o = {}) {
  const headers = { ...(o.headers || {}) };
  let body;
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = Buffer.from(new URLSearchParams(Array.isArray(o.form) ? o.form : Object.entries(o.form)).toString());
  } else if (o.multipart !== undefined) {
    const fd = new FormData();
    for (const [k, v, filename] of o.multipart) {
      if (filename !== undefined) fd.append(k, v, filename);
      else fd.append(k, v);
    }
    const r = new Response(fd);
    headers['content-type'] = r.headers.get('content-type');
    body = Buffer.from(await r.arrayBuffer());
  }
  if (body !== undefined) headers['content-length'] = body.length;
  const url = new URL(base);
  return new Promise((res, rej) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method, path, headers, agent: o.agent ?? false, timeout: o.timeoutMs ?? 15000 },
      (resp) => {
        const chunks = [];
        resp.on('data', (c) => chunks.push(c));
        resp.on('end', () => {
          const buf = Buffer.concat(chunks);
          const text = buf.toString('utf8');
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          res({ status: resp.statusCode, headers: resp.headers, body: buf, text, json });
        });
        resp.on('error', rej);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.on('error', rej);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export const ok = (r) => r && r.status >= 200 && r.status < 300;
export const show = (r) => (r ? `${r.status} ${r.text.slice(0, 300)}` : 'no response');

let seq = 0;
export function uniqueName(prefix) {
  seq++;
  return `${prefix}_${process.pid.toString(36)}${seq.toString(36)}${randomBytes(2).toString('hex')}`.slice(0, 30);
}

export async function createApp(base) {
  const r = await request(base, 'POST', '/api/v1/apps', {
    form: { client_name: 'reliability', redirect_uris: 'urn:ietf:wg:oauth:2.0:oob', scopes: 'read write follow' },
  });
  if (r.status !== 200) throw new Error(`POST /api/v1/apps: ${show(r)}`);
  return r.json;
}

export async function appToken(base, app) {
  const r = await request(base, 'POST', '/oauth/token', {
    form: { grant_type: 'client_credentials', client_id: app.client_id, client_secret: app.client_secret, scope: 'read write follow' },
  });
  if (r.status !== 200) throw new Error(`client_credentials: ${show(r)}`);
  return r.json.access_token;
}

export function passwordGrant(base, app, username, password) {
  return request(base, 'POST', '/oauth/token', {
    form: {
      grant_type: 'password',
      username,
      password,
      client_id: app.client_id,
      client_secret: app.client_secret,
      scope: 'read write follow',
    },
  });
}

/** POST /api/v1/accounts: the raw response. */
export function registerRaw(base, appTok, username, password) {
  return request(base, 'POST', '/api/v1/accounts', {
    token: appTok,
    form: { username, email: `${username.toLowerCase()}@example.com`, password, agreement: 'true', locale: 'en' },
  });
}

/** Registers and returns {username, password, token, id}. Throws on failure. */
export async function register(base, appTok, prefix = 'u') {
  const username = uniqueName(prefix);
  const password = `pw-${randomBytes(6).toString('hex')}`;
  const r = await registerRaw(base, appTok, username, password);
  if (r.status !== 200) throw new Error(`register ${username}: ${show(r)}`);
  const token = r.json.access_token;
  const me = await request(base, 'GET', '/api/v1/accounts/verify_credentials', { token });
  if (me.status !== 200) throw new Error(`verify_credentials: ${show(me)}`);
  return { username, password, token, id: me.json.id };
}

export function photo(name = 'sunset-600.jpg') {
  const buf = readFileSync(join(FIXTURES, name));
  const type = name.endsWith('.png') ? 'image/png' : 'image/jpeg';
  return { name, blob: new Blob([buf], { type }), bytes: buf };
}

/**
 * A real photo made unique: the JPEG with one quantization value changed
 * (new pixels, so every derivative is a new blob too) plus random trailing
 * bytes (a new original).
 */
let variants = 0;
export function uniqueJpeg(name = 'sunset-600.jpg') {
  const base = readFileSync(join(FIXTURES, name));
  const dqt = base.indexOf(Buffer.from([0xff, 0xdb]));
  variants++;
  const b = Buffer.from(base);
  const i = dqt + 5 + 1 + ((variants + process.pid) % 60);
  b[i] = ((b[i] + 1 + Math.floor(variants / 60)) % 250) + 1;
  const bytes = Buffer.concat([b, randomBytes(8)]);
  return { name, blob: new Blob([bytes], { type: 'image/jpeg' }), bytes };
}

export function uploadMedia(base, token, ph, o = {}) {
  return request(base, 'POST', '/api/v2/media', { token, multipart: [['file', ph.blob, ph.name]], timeoutMs: o.timeoutMs ?? 30000 });
}

// ------------------------------------------------------------- oracles

function run(cmd, args, { timeoutMs = 60000, env } = {}) {
  return new Promise((res) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 64 << 20, env: env ? { ...process.env, ...env } : process.env }, (err, stdout, stderr) => {
      res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr, error: err && typeof err.code !== 'number' ? String(err) : null });
    });
  });
}
export { run };

/** `sqlite3 -json DB SQL` -> rows (throws on an error). */
export async function sql(db, query) {
  const r = await run('sqlite3', ['-json', '-cmd', '.timeout 5000', db, query]);
  if (r.code !== 0) throw new Error(`sqlite3 ${query}: ${r.stderr}`);
  const out = r.stdout.trim();
  return out ? JSON.parse(out) : [];
}

/** integrity_check + foreign_key_check: a list of problems (empty when fine). */
export async function dbChecks(db) {
  const problems = [];
  const ic = await run('sqlite3', ['-cmd', '.timeout 5000', db, 'PRAGMA integrity_check']);
  if (ic.code !== 0 || ic.stdout.trim() !== 'ok') problems.push(`integrity_check: ${ic.stdout.trim()} ${ic.stderr.trim()}`);
  const fk = await run('sqlite3', ['-cmd', '.timeout 5000', db, 'PRAGMA foreign_key_check']);
  if (fk.code !== 0 || fk.stdout.trim() !== '') problems.push(`foreign_key_check: ${fk.stdout.trim().slice(0, 2000)} ${fk.stderr.trim()}`);
  return problems;
}

/** `pinhole audit`: {code, out}. */
export async function audit(bin, dataDir) {
  // cheap Argon2 settings: every command hashes a dummy password at start-up
  const r = await run(bin, ['audit', '--data-dir', dataDir, '--set', `argon2_mem_kib=${FAST.argon2_mem_kib}`, '--set', `argon2_ops=${FAST.argon2_ops}`]);
  return { code: r.code, out: (r.stdout + r.stderr).trim() };
}

/** Rows that break the structure the service promises, whatever happened. */
export async function halfState(db) {
  const q = {
    'account without user': 'SELECT a.id FROM accounts a LEFT JOIN users u ON u.account_id = a.id WHERE u.account_id IS NULL AND a.domain = \'\'',
    'user without account': 'SELECT u.account_id FROM users u LEFT JOIN accounts a ON a.id = u.account_id WHERE a.id IS NULL',
    'media without its 8 files': 'SELECT m.id, (SELECT COUNT(*) FROM media_files f WHERE f.media_id = m.id) AS n FROM media m WHERE n <> 8',
    'media file without blob row': 'SELECT f.media_id, f.blob_key FROM media_files f WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.key = f.blob_key)',
    'original without blob row': 'SELECT m.id FROM media m WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.key = m.original_key)',
    'duplicate follows': 'SELECT account_id, target_id, COUNT(*) AS n FROM follows GROUP BY 1, 2 HAVING n > 1',
    'duplicate blocks': 'SELECT account_id, target_id, COUNT(*) AS n FROM blocks GROUP BY 1, 2 HAVING n > 1',
    'duplicate favourites': 'SELECT account_id, status_id, COUNT(*) AS n FROM favourites GROUP BY 1, 2 HAVING n > 1',
    'follow across a block': 'SELECT f.account_id, f.target_id FROM follows f JOIN blocks b ON (b.account_id = f.account_id AND b.target_id = f.target_id) OR (b.account_id = f.target_id AND b.target_id = f.account_id)',
    'negative counter': 'SELECT id FROM accounts WHERE followers_count < 0 OR following_count < 0 OR statuses_count < 0 UNION ALL SELECT id FROM statuses WHERE replies_count < 0 OR favourites_count < 0',
  };
  const problems = [];
  for (const [what, query] of Object.entries(q)) {
    const rows = await sql(db, query);
    if (rows.length) problems.push(`${what}: ${JSON.stringify(rows.slice(0, 5))}${rows.length > 5 ? ` (+${rows.length - 5})` : ''}`);
  }
  return problems;
}

/** Every referenced blob exists on disk and its bytes hash to its name. */
export async function blobChecks(dataDir, { keys = null } = {}) {
  const db = join(dataDir, 'pinhole.db');
  const rows = keys
    ? keys.map((key) => ({ key }))
    : await sql(db, 'SELECT blob_key AS key FROM media_files UNION SELECT original_key FROM media');
  const problems = [];
  for (const { key } of rows) {
    const p = join(dataDir, 'blobs', key.slice(0, 2), key.slice(2, 4), key);
    if (!existsSync(p)) {
      problems.push(`blob ${key}: missing`);
      continue;
    }
    const h = sha256(readFileSync(p));
    if (h !== key) problems.push(`blob ${key}: bytes hash to ${h}`);
  }
  return { checked: rows.length, problems };
}

/** Files left in DATA/tmp and blobs/tmp-*. */
export async function strayTemps(dataDir) {
  const out = [];
  for (const [dir, re] of [
    [join(dataDir, 'tmp'), /./],
    [join(dataDir, 'blobs'), /^tmp-/],
  ]) {
    let names = [];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const n of names) if (re.test(n)) out.push(join(dir, n));
  }
  return out;
}

/** Fetches each media URL of a status; checks JPEG bytes against the ETag. */
export async function checkStatusMedia(base, status) {
  const problems = [];
  let checked = 0;
  for (const m of status.media_attachments ?? []) {
    for (const u of [m.url, m.preview_url]) {
      if (!u) continue;
      const path = new URL(u).pathname;
      const r = await request(base, 'GET', path);
      checked++;
      if (r.status !== 200) {
        problems.push(`media ${m.id} ${path}: ${r.status}`);
        continue;
      }
      const etag = r.headers.etag;
      const want = `"${sha256(r.body)}"`;
      if (etag !== want) problems.push(`media ${m.id} ${path}: ETag ${etag} but body hashes to ${want}`);
      if (r.body[0] !== 0xff || r.body[1] !== 0xd8) problems.push(`media ${m.id} ${path}: not a JPEG`);
    }
  }
  return { checked, problems };
}

export async function removeDir(d) {
  await rm(d, { recursive: true, force: true });
}

/** mulberry32: small, fast, the same sequence for the same seed. */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)); // inclusive
  const pick = (xs) => xs[Math.floor(next() * xs.length)];
  const chance = (p) => next() < p;
  const bytes = (n) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(next() * 256);
    return b;
  };
  // like pick, but an entry that is a function is called: big payloads are
  // built only when drawn
  const val = (xs) => {
    const v = pick(xs);
    return typeof v === 'function' ? v() : v;
  };
  return { next, int, pick, val, chance, bytes };
}
