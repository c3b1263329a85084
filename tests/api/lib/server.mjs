// Test harness for the black-box API suites: starts a pinhole server on a
// free loopback port with a fresh data dir, and gives small helpers to talk
// to it (HTTP with or without a body, raw sockets, OAuth flows, a cookie-less
// "browser" for the authorize form).
//
// Binary: $PINHOLE_BIN, default build/pinhole under the repository root.
// Every server is stopped with SIGTERM and must exit 0 with no sanitizer
// report on stderr; stop() throws otherwise, so an `after` hook that calls
// it fails the suite.

import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BIN = process.env.PINHOLE_BIN
  ? resolve(process.env.PINHOLE_BIN)
  : join(REPO_ROOT, 'build', 'pinhole');

// Settings that make a suite fast when it does not test hashing cost or
// rate limits.
export const FAST = Object.freeze({
  argon2_mem_kib: '8192',
  argon2_ops: '1',
  rate_auth_limit: '1000000',
});

export const OOB = 'urn:ietf:wg:oauth:2.0:oob';

const SANITIZER = [
  /ERROR: AddressSanitizer/,
  /ERROR: LeakSanitizer/,
  /runtime error:/,
  /WARNING: ThreadSanitizer/,
  /ERROR: UndefinedBehaviorSanitizer/,
  /AddressSanitizer:DEADLYSIGNAL/,
];

const STDERR_KEEP = 256 * 1024; // the tail kept for failure messages

// Never leave a server behind when the test process ends abruptly.
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

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on 127.0.0.1 (free when asked; the server may still race). */
export function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** Settings object -> ["--set", "k=v", ...]. */
function setArgs(set) {
  const out = [];
  for (const [k, v] of Object.entries(set)) out.push('--set', `${k}=${v}`);
  return out;
}

/**
 * A fresh, empty database on the throwaway PostgreSQL cluster whose admin URL
 * is PINHOLE_TEST_PG; returns its URL (pass it as `db` to share it).
 */
export async function createPgDatabase() {
  const admin = process.env.PINHOLE_TEST_PG;
  if (!admin) throw new Error('PINHOLE_TEST_BACKEND=postgres needs PINHOLE_TEST_PG');
  const name = `t_${randomBytes(6).toString('hex')}`;
  await new Promise((res, rej) =>
    execFile('psql', ['-q', admin, '-c', `CREATE DATABASE ${name}`], (e, _o, err) =>
      e ? rej(new Error(`createdb ${name}: ${err || e.message}`)) : res()),
  );
  return `${admin.replace(/\/[^/]*$/, '')}/${name}`;
}

export class PinholeServer {
  /**
   * @param {object} o
   * @param {object} [o.set] extra --set options (merged over FAST unless fast:false)
   * @param {boolean} [o.fast=true] use cheap Argon2 and a huge rate_auth_limit
   * @param {string} [o.dataDir] reuse a data dir (else a fresh mkdtemp one)
   * @param {string} [o.db] database URL (else the data dir's SQLite file, or
   *   a fresh PostgreSQL database under PINHOLE_TEST_BACKEND=postgres); two
   *   servers given the same URL share one database
   */
  constructor({ set = {}, fast = true, dataDir = null, db = null } = {}) {
    this.set = { ...(fast ? FAST : {}), ...set };
    this.db = db;
    this.dataDir = dataDir;
    this.ownsDataDir = !dataDir;
    this.proc = null;
    this.port = 0;
    this.stderrTail = '';
    this.sanitizerHit = null;
    this.exit = null; // {code, signal} once exited
    this.starts = 0;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  get host() {
    return `127.0.0.1:${this.port}`;
  }

  /** Arguments for a `pinhole` command against this server's data. */
  cliArgs(cmd) {
    const db = this.db ? ['--db', this.db] : [];
    return [...cmd, '--data-dir', this.dataDir, ...db, ...setArgs(this.set)];
  }

  async start() {
    if (!this.dataDir) this.dataDir = await mkdtemp(join(tmpdir(), 'pinhole-api-'));
    // PINHOLE_TEST_BACKEND=postgres runs every suite on PostgreSQL: each
    // server gets a fresh database on the throwaway cluster whose admin URL
    // is PINHOLE_TEST_PG (scripts/run-tests.sh starts it).
    if (!this.db && process.env.PINHOLE_TEST_BACKEND === 'postgres') this.db = await createPgDatabase();
    let lastErr;
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort();
      try {
        await this.#spawn(port);
        return this;
      } catch (e) {
        lastErr = e;
        if (!/cannot listen|address in use/i.test(String(e.message))) throw e;
      }
    }
    throw lastErr;
  }

  #spawn(port) {
    this.port = port;
    this.exit = null;
    this.starts++;
    const args = ['serve', '--listen', `127.0.0.1:${port}`, ...this.cliArgs([])];
    const proc = spawn(BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    live.add(proc);
    let carry = '';
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (chunk) => {
      const scan = carry + chunk;
      if (!this.sanitizerHit) {
        for (const re of SANITIZER) {
          if (re.test(scan)) {
            this.sanitizerHit = re.source;
            break;
          }
        }
      }
      carry = scan.slice(-200);
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_KEEP);
    });
    const exited = new Promise((res) => {
      proc.on('error', (e) => {
        // spawn failed (missing or broken binary): no 'exit' follows
        live.delete(proc);
        this.stderrTail += `\nspawn ${BIN}: ${e.message}`;
        this.exit = { code: null, signal: null, error: e.code };
        res(this.exit);
      });
      proc.on('exit', (code, signal) => {
        live.delete(proc);
        this.exit = { code, signal };
        res(this.exit);
      });
    });
    this.exited = exited;
    return this.#waitHealthy(exited);
  }

  async #waitHealthy(exited) {
    const deadline = Date.now() + 30000;
    let dead = false;
    exited.then(() => (dead = true));
    while (Date.now() < deadline) {
      if (dead) {
        throw new Error(
          `pinhole exited before it was healthy (${JSON.stringify(this.exit)}):\n${this.stderrTail}`,
        );
      }
      try {
        const r = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(2000) });
        await r.arrayBuffer();
        if (r.status === 200) return;
      } catch {
        /* not yet */
      }
      await sleep(25);
    }
    this.proc.kill('SIGKILL');
    throw new Error(`pinhole did not answer /healthz within 30 s:\n${this.stderrTail}`);
  }

  alive() {
    return this.proc !== null && this.exit === null;
  }

  /** Throws when stderr carried a sanitizer report. */
  assertNoSanitizerReport() {
    if (this.sanitizerHit) {
      throw new Error(`sanitizer report (${this.sanitizerHit}) in pinhole's stderr:\n${this.stderrTail.slice(-20000)}`);
    }
  }

  /**
   * Graceful stop: SIGTERM, wait for exit, then require exit code 0 and a
   * clean stderr. Removes the data dir it created.
   */
  async stop({ keepData = false } = {}) {
    if (!this.proc) return;
    let problem = null;
    if (this.exit) {
      problem = `pinhole had already exited (${JSON.stringify(this.exit)}) before stop()`;
    } else {
      this.proc.kill('SIGTERM');
      const t = setTimeout(() => this.proc.kill('SIGKILL'), 20000);
      await this.exited;
      clearTimeout(t);
      if (this.exit.code !== 0) problem = `pinhole exited with ${JSON.stringify(this.exit)} on SIGTERM`;
    }
    this.proc = null;
    if (!problem && this.sanitizerHit) problem = `sanitizer report (${this.sanitizerHit}) in stderr`;
    if (this.ownsDataDir && !keepData && !problem && !process.env.PINHOLE_KEEP_DATA) {
      await rm(this.dataDir, { recursive: true, force: true });
    }
    if (problem) throw new Error(`${problem}; data dir ${this.dataDir}\n--- stderr tail ---\n${this.stderrTail.slice(-20000)}`);
  }

  /** SIGKILL (a crash): no exit-code check, but a sanitizer report still fails. */
  async kill9() {
    if (!this.proc) return;
    if (!this.exit) {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
    this.proc = null;
    this.assertNoSanitizerReport();
  }

  /** Starts again on the same data dir (after stop or kill9). */
  async restart() {
    await this.start();
    return this;
  }

  /** Runs `pinhole admin ...` against this server's data dir. */
  admin(...args) {
    return this.cli(['admin', ...args]);
  }

  /** Runs any `pinhole` command (e.g. ['audit']) against this server's data. */
  cli(args) {
    return new Promise((res) => {
      execFile(BIN, this.cliArgs(args), { timeout: 60000 }, (err, stdout, stderr) => {
        res({ code: err ? (err.code ?? 1) : 0, stdout, stderr });
      });
    });
  }
}

/** Starts a server; see PinholeServer's constructor for options. */
export async function startServer(opts = {}) {
  const s = new PinholeServer(opts);
  await s.start();
  return s;
}

// ---------------------------------------------------------------- HTTP

/**
 * One HTTP request through node:http (so the local address can be chosen:
 * rate limits are per client address, and 127.0.0.0/8 is all loopback).
 *
 * @param {PinholeServer|string} srv server or base URL
 * @param {string} method
 * @param {string} path
 * @param {object} [o]
 * @param {string} [o.token] bearer token
 * @param {any} [o.json] JSON body (serialized as given; use o.body for raw text)
 * @param {object|Array} [o.form] urlencoded body (object or [[k,v],...])
 * @param {object|Array} [o.multipart] multipart body (object or [[k,v],...] or [[k,Blob,filename],...])
 * @param {string|Buffer} [o.body] raw body
 * @param {object} [o.headers]
 * @param {string} [o.localAddress] e.g. '127.0.0.7'
 * @param {http.Agent|false} [o.agent]
 * @returns {Promise<{status:number, headers:object, text:string, json:any, socket:any}>}
 */
export async function request(srv, method, path, o = {}) {
  const base = typeof srv === 'string' ? srv : srv.url;
  const headers = { ...(o.headers || {}) };
  let body = o.body;
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
  if (o.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(o.json);
  } else if (o.form !== undefined) {
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
    body = new URLSearchParams(Array.isArray(o.form) ? o.form : Object.entries(o.form)).toString();
  } else if (o.multipart !== undefined) {
    const fd = new FormData();
    // entries are [name, string] or [name, Blob, filename] (a file part)
    for (const [k, v, filename] of Array.isArray(o.multipart) ? o.multipart : Object.entries(o.multipart)) {
      if (filename !== undefined) fd.append(k, v, filename);
      else fd.append(k, v);
    }
    const r = new Response(fd);
    headers['content-type'] = r.headers.get('content-type');
    body = Buffer.from(await r.arrayBuffer());
  }
  if (body !== undefined && headers['content-length'] === undefined) {
    headers['content-length'] = Buffer.byteLength(body);
  }
  const url = new URL(base);
  return new Promise((res, rej) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers,
        localAddress: o.localAddress,
        agent: o.agent ?? false,
        timeout: o.timeoutMs ?? 30000,
      },
      (resp) => {
        const chunks = [];
        resp.on('data', (c) => chunks.push(c));
        resp.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          res({ status: resp.statusCode, headers: resp.headers, text, json, reusedSocket: req.reusedSocket });
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

export const get = (srv, path, o) => request(srv, 'GET', path, o);
export const post = (srv, path, o) => request(srv, 'POST', path, o);
export const patch = (srv, path, o) => request(srv, 'PATCH', path, o);

/** Short description of a response for assertion messages. */
export function show(r) {
  return `${r.status} ${r.text.length > 600 ? r.text.slice(0, 600) + '…' : r.text}`;
}

// ------------------------------------------------------------ raw sockets

/**
 * Sends raw bytes on a fresh TCP connection and collects whatever comes
 * back until the server closes, or `timeoutMs` passes.
 * @returns {Promise<{text:string, statuses:number[], closed:boolean, error:string|null}>}
 */
export function rawRequest(srv, payload, { timeoutMs = 5000, chunks = null, endAfterWrite = false } = {}) {
  return new Promise((res) => {
    const sock = net.connect(srv.port, '127.0.0.1');
    const got = [];
    let closed = false;
    let error = null;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      const text = Buffer.concat(got).toString('latin1');
      const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
      res({ text, statuses, closed, error });
    };
    const timer = setTimeout(finish, timeoutMs);
    sock.on('data', (d) => got.push(d));
    sock.on('end', () => {
      closed = true;
      finish();
    });
    sock.on('close', () => {
      closed = true;
      finish();
    });
    sock.on('error', (e) => {
      error = e.code || String(e);
      closed = true;
    });
    sock.on('connect', async () => {
      sock.setNoDelay(true);
      const parts = chunks || [payload];
      for (const p of parts) {
        if (done || sock.destroyed) break;
        const ok = sock.write(p);
        if (!ok) await new Promise((r) => sock.once('drain', r).once('close', r));
        if (chunks) await sleep(20);
      }
      if (endAfterWrite && !sock.destroyed) sock.end();
    });
  });
}

// ------------------------------------------------------------------ OAuth

let seq = 0;
/** A unique, valid username: letters, digits, underscore, <= 30 chars. */
export function uniqueName(prefix = 'u') {
  seq++;
  return `${prefix}_${process.pid.toString(36)}${seq.toString(36)}${randomBytes(3).toString('hex')}`.slice(0, 30);
}

export function pkcePair() {
  const verifier = randomBytes(48).toString('base64url'); // 64 chars
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

/** POST /api/v1/apps; returns the app JSON (asserts 200). */
export async function createApp(srv, { name = 'test app', redirectUris = OOB, scopes = 'read write follow push', website } = {}) {
  const form = { client_name: name, redirect_uris: redirectUris, scopes };
  if (website) form.website = website;
  const r = await post(srv, '/api/v1/apps', { form });
  if (r.status !== 200) throw new Error(`POST /api/v1/apps: ${show(r)}`);
  return r.json;
}

/** Token endpoint call, returning the raw response. */
export function tokenRequest(srv, params, o = {}) {
  return post(srv, '/oauth/token', { form: params, ...o });
}

/** client_credentials token for an app (asserts 200). */
export async function appToken(srv, app, scope = 'read write') {
  const r = await tokenRequest(srv, {
    grant_type: 'client_credentials',
    client_id: app.client_id,
    client_secret: app.client_secret,
    scope,
  });
  if (r.status !== 200) throw new Error(`client_credentials: ${show(r)}`);
  return r.json.access_token;
}

/** password grant; returns the raw response. */
export function passwordGrant(srv, app, username, password, scope = 'read write', o = {}) {
  return tokenRequest(
    srv,
    { grant_type: 'password', client_id: app.client_id, client_secret: app.client_secret, username, password, scope },
    o,
  );
}

/**
 * Registers a user through POST /api/v1/accounts with an app token.
 * Returns { username, email, password, token, app }.
 */
export async function registerUser(srv, { username, email, password, app, scope = 'read write follow push', localAddress } = {}) {
  username ??= uniqueName('u');
  email ??= `${username.toLowerCase()}@example.com`;
  password ??= `pw-${randomBytes(8).toString('hex')}`;
  app ??= await createApp(srv, { scopes: scope });
  const tok = await appToken(srv, app, scope);
  const r = await post(srv, '/api/v1/accounts', {
    token: tok,
    form: { username, email, password, agreement: 'true', locale: 'en' },
    localAddress,
  });
  if (r.status !== 200) throw new Error(`POST /api/v1/accounts ${username}: ${show(r)}`);
  return { username, email, password, token: r.json.access_token, app, response: r.json };
}

/** Decodes the few HTML entities pinhole's escaper produces. */
export function htmlDecode(s) {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;|&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The hidden inputs and the action of the first form in a page. */
export function parseForm(html) {
  const form = html.match(/<form\b[^>]*>([\s\S]*?)<\/form>/i);
  if (!form) return null;
  const action = (form[0].match(/action="([^"]*)"/) || [])[1];
  const fields = {};
  for (const m of form[1].matchAll(/<input\b[^>]*>/gi)) {
    const tag = m[0];
    if (!/type="hidden"/i.test(tag)) continue;
    const name = (tag.match(/name="([^"]*)"/) || [])[1];
    const value = (tag.match(/value="([^"]*)"/) || [])[1];
    if (name !== undefined) fields[htmlDecode(name)] = htmlDecode(value ?? '');
  }
  return { action: action && htmlDecode(action), fields };
}

/**
 * A cookie-less browser that signs in on the authorize page: GETs
 * /oauth/authorize with the query, reads the form's hidden fields, then
 * POSTs them with the credentials and the decision. Returns the final
 * response plus the parsed redirect ({code, state, error}).
 *
 * With {direct:true} it skips the GET and POSTs `params` as they are.
 */
export async function browserAuthorize(srv, params, { username, password, decision = 'allow', direct = false, localAddress } = {}) {
  let fields = params;
  if (!direct) {
    const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined)).toString();
    const page = await get(srv, `/oauth/authorize?${q}`, { localAddress });
    if (page.status !== 200) return { ...page, step: 'get', ...parseLocation(page) };
    const f = parseForm(page.text);
    if (!f) throw new Error(`authorize page has no form: ${show(page)}`);
    if (f.action !== '/oauth/authorize') throw new Error(`authorize form posts to ${f.action}`);
    fields = f.fields;
  }
  const form = { ...fields };
  for (const k of Object.keys(form)) if (form[k] === undefined) delete form[k];
  if (username !== undefined) form.username = username;
  if (password !== undefined) form.password = password;
  if (decision !== undefined) form.decision = decision;
  const r = await post(srv, '/oauth/authorize', { form, localAddress });
  return { ...r, step: 'post', ...parseLocation(r) };
}

function parseLocation(r) {
  const loc = r.headers.location;
  if (!loc) return { location: null, code: null, state: null, error: null };
  const u = new URL(loc);
  return {
    location: loc,
    code: u.searchParams.get('code'),
    state: u.searchParams.get('state'),
    error: u.searchParams.get('error'),
  };
}

/** Authorization-code flow end to end; returns the token response. */
export async function codeFlowToken(srv, app, user, { scope = 'read write', redirectUri = OOB, pkce = true } = {}) {
  const p = pkce ? pkcePair() : null;
  const params = {
    response_type: 'code',
    client_id: app.client_id,
    redirect_uri: redirectUri,
    scope,
    state: 's1',
  };
  if (p) Object.assign(params, { code_challenge: p.challenge, code_challenge_method: 'S256' });
  const a = await browserAuthorize(srv, params, { username: user.username, password: user.password });
  let code = a.code;
  if (redirectUri === OOB) code = (a.text.match(/<code class="code">([^<]+)<\/code>/) || [])[1];
  if (!code) throw new Error(`no code from authorize: ${show(a)}`);
  const tr = await tokenRequest(srv, {
    grant_type: 'authorization_code',
    code: htmlDecode(code),
    client_id: app.client_id,
    client_secret: app.client_secret,
    redirect_uri: redirectUri,
    ...(p ? { code_verifier: p.verifier } : {}),
  });
  return tr;
}

// ---------------------------------------------------------------- lists

/** Asserts a response's status (200 by default) and returns its JSON. */
export function must(r, label, status = 200) {
  assert.equal(r.status, status, `${label}: ${show(r)}`);
  return r.json;
}

/** Mastodon's Link header as {next, prev}: paths with their query strings. */
export function parseLinks(r) {
  const out = {};
  const h = r.headers.link;
  if (!h) return out;
  for (const part of h.split(/,\s*(?=<)/)) {
    const m = part.match(/^<([^>]+)>;\s*rel="([a-z]+)"$/);
    assert.ok(m, `Link header part is <url>; rel="x": ${JSON.stringify(part)}`);
    const u = new URL(m[1]);
    out[m[2]] = u.pathname + u.search;
  }
  return out;
}

/**
 * Follows rel="next" from `path` to the end; asserts every page is 200 and
 * no item comes twice. Returns {pages: [{path, items, ids, links, raw}], items, ids}.
 */
export async function walkPages(srv, path, token) {
  const pages = [];
  let next = path;
  while (next) {
    const r = await get(srv, next, { token });
    assert.equal(r.status, 200, `${next}: ${show(r)}`);
    const links = parseLinks(r);
    pages.push({ path: next, items: r.json, ids: r.json.map((x) => x.id), links, raw: r.headers.link });
    assert.ok(pages.length < 60, `too many pages from ${path}`);
    next = links.next;
  }
  const ids = pages.flatMap((p) => p.ids);
  assert.equal(new Set(ids).size, ids.length, `no duplicates walking ${path}: ${ids}`);
  return { pages, ids, items: pages.flatMap((p) => p.items) };
}
