// Photos: uploads of real camera photos and their four derivatives, EXIF
// orientation, metadata stripping, the served files (JPEG/WebP by Accept,
// ETag, 304, Range, HEAD, safety headers), BlurHash, the hostile corpus
// (empty, text, SVG, decompression bombs, truncated files, oversized and
// malformed bodies) refused with nothing left behind, other formats held
// to what /api/v2/instance claims, description and focus limits, the
// GET/PUT/DELETE rules, the disk reserve, avatars and headers.
//
// Fixtures: $PINHOLE_FIXTURES (default build/fixtures), made by
// tests/fixtures/prepare.sh; every test skips when that folder is missing.
// Decoding and metadata checks use the `vips`, `vipsheader` and `exiftool`
// command-line tools (prepare.sh installs them); media row counts use the
// `sqlite3` CLI (`psql` on PostgreSQL) when present.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { REPO_ROOT, get, passwordGrant, patch, post, registerUser, request, show, sleep, startServer } from './lib/server.mjs';

const run = promisify(execFile);

const FIX = resolve(process.env.PINHOLE_FIXTURES || join(REPO_ROOT, 'build', 'fixtures'));
const HAVE = existsSync(FIX);
const SKIP_MSG = `no fixtures in ${FIX}: run tests/fixtures/prepare.sh (or set PINHOLE_FIXTURES)`;
const fx = (rel) => join(FIX, rel);

/** A test that skips (with a message) when the fixtures folder is missing. */
function ft(name, fn, opts = {}) {
  test(name, opts, async (t) => {
    if (!HAVE) {
      t.skip(SKIP_MSG);
      return;
    }
    await fn(t);
  });
}

// Stored sizes of the photos (tests/fixtures/README.md, manifest.txt).
const PHOTOS = {
  'dragonfly.jpg': [4224, 3168],
  'sunset.jpg': [4272, 2848],
  'seeding.jpg': [5312, 2988],
  'ladybird.jpg': [2560, 1600],
  'raindrops.jpg': [1920, 1200],
};
const LONG = { feed: 1080, preview: 640, small: 320 };
const VARIANTS = ['feed', 'preview', 'small', 'thumb'];
const TYPE_NAMES = {
  'image/jpeg': 'JPEG',
  'image/png': 'PNG',
  'image/webp': 'WebP',
  'image/gif': 'GIF',
  'image/heic': 'HEIC',
  'image/avif': 'AVIF',
};

let srv, alice, bob, work;
let supported = []; // supported_mime_types from /api/v2/instance
const uploaded = {}; // name -> MediaAttachment JSON

before(async () => {
  if (!HAVE) return;
  work = await mkdtemp(join(tmpdir(), 'pinhole-media-test-'));
  srv = await startServer();
  alice = await registerUser(srv);
  bob = await registerUser(srv);
});
after(async () => {
  await srv?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

// ------------------------------------------------------------- helpers

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

/** Runs `fn` over `items` with at most `n` in flight. */
async function pool(items, n, fn) {
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < items.length) await fn(items[i++]);
    }),
  );
}
const pathOf = (url) => new URL(url).pathname;

/** POST a file (a fixture path or a Buffer) as the multipart field `file`. */
async function upload(s, token, file, fields = {}, { path = '/api/v2/media', filename = 'photo.jpg', field = 'file' } = {}) {
  const buf = Buffer.isBuffer(file) ? file : await readFile(file);
  const parts = [[field, new Blob([buf]), filename]];
  for (const [k, v] of Object.entries(fields)) parts.push([k, v]);
  return post(s, path, { token, multipart: parts, timeoutMs: 120000 });
}

/** Upload that must succeed; returns the MediaAttachment. */
async function mustUpload(s, token, file, fields, opts) {
  const r = await upload(s, token, file, fields, opts);
  assert.equal(r.status, 200, `upload ${Buffer.isBuffer(file) ? '(buffer)' : file}: ${show(r)}`);
  return r.json;
}

/** GET (or HEAD) a served media file on this server, as bytes. */
async function fetchFile(s, url, { method = 'GET', headers = {} } = {}) {
  const r = await fetch(s.url + pathOf(url), { method, headers: { 'accept-encoding': 'identity', ...headers } });
  const buf = Buffer.from(await r.arrayBuffer());
  return { status: r.status, headers: r.headers, buf };
}

let tmpSeq = 0;
async function tmpFile(buf, ext) {
  const p = join(work, `f${++tmpSeq}.${ext}`);
  await writeFile(p, buf);
  return p;
}

const extOf = (buf) => (buf.subarray(0, 4).toString('latin1') === 'RIFF' ? 'webp' : 'jpg');

/** Saves bytes to files under the work folder. */
async function saveAll(bufs) {
  const out = [];
  for (const b of bufs) out.push(await tmpFile(b, extOf(b)));
  return out;
}

/**
 * One `vipsheader` run over many images:
 * [{width, height, format, bands, interpretation, loader}, ...] in order.
 */
async function infoMany(bufs) {
  if (bufs.length === 0) return [];
  const paths = await saveAll(bufs);
  const { stdout } = await run('vipsheader', paths, { maxBuffer: 1 << 20 });
  const byPath = new Map();
  for (const line of stdout.split('\n')) {
    const m = line.match(/^(.*): (\d+)x(\d+) (\w+), (\d+) bands?, (\w+), (\w+)/);
    if (m) {
      byPath.set(m[1], {
        width: Number(m[2]),
        height: Number(m[3]),
        format: m[4],
        bands: Number(m[5]),
        interpretation: m[6],
        loader: m[7],
      });
    }
  }
  return paths.map((p) => {
    const i = byPath.get(p);
    assert.ok(i, `vipsheader could not read a served file (${p}):\n${stdout}`);
    return i;
  });
}

/**
 * Decodes many images (JPEG/WebP bytes) to 8-bit RGB pixels with one
 * `vips arrayjoin` run (a column of cells, each image at its cell's top
 * left), then cuts the column apart: [{w, h, data}, ...].
 */
async function decodeMany(bufs) {
  if (bufs.length === 0) return [];
  const infos = await infoMany(bufs);
  for (const i of infos) assert.equal(i.bands, 3, 'served images are RGB');
  const paths = await saveAll(bufs);
  const ppm = join(work, `join${++tmpSeq}.ppm`);
  await run('vips', ['arrayjoin', paths.join(' '), ppm, '--across', '1', '--halign', 'low', '--valign', 'low']);
  const b = await readFile(ppm);
  let i = 0;
  const tok = [];
  while (tok.length < 4) {
    while (/\s/.test(String.fromCharCode(b[i]))) i++;
    if (b[i] === 0x23) {
      while (b[i] !== 0x0a) i++;
      continue;
    }
    const s0 = i;
    while (!/\s/.test(String.fromCharCode(b[i]))) i++;
    tok.push(b.toString('latin1', s0, i));
  }
  i++;
  assert.equal(tok[0], 'P6', 'vips wrote an RGB PPM');
  assert.equal(tok[3], '255');
  const W = Number(tok[1]);
  const cellH = Number(tok[2]) / bufs.length;
  return infos.map((inf, k) => {
    const data = Buffer.alloc(inf.width * inf.height * 3);
    for (let y = 0; y < inf.height; y++) {
      const from = i + ((k * cellH + y) * W) * 3;
      b.copy(data, y * inf.width * 3, from, from + inf.width * 3);
    }
    return { w: inf.width, h: inf.height, data };
  });
}

/** Bounding box and count of pure-red pixels (the orientation marker). */
function redBox({ w, h, data }) {
  let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1, n = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = 3 * (y * w + x);
      if (data[o] > 180 && data[o + 1] < 80 && data[o + 2] < 80) {
        n++;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return { x0, y0, x1, y1, n };
}

/** Asserts the red block is at x 30..229, y 30..109 (scaled by k), within a few pixels. */
function assertRedTopLeft(px, label, k = 1) {
  const b = redBox(px);
  const want = { x0: 30 * k, x1: 229 * k, y0: 30 * k, y1: 109 * k };
  const tol = 4;
  const ok =
    Math.abs(b.x0 - want.x0) <= tol && Math.abs(b.x1 - want.x1) <= tol && Math.abs(b.y0 - want.y0) <= tol && Math.abs(b.y1 - want.y1) <= tol;
  assert.ok(
    ok && b.n >= 0.85 * 200 * 80 * k * k,
    `${label}: the red block should be top-left at x ${want.x0}..${want.x1}, y ${want.y0}..${want.y1} of a ` +
      `${px.w}x${px.h} image; found ${b.n} red pixels in x ${b.x0}..${b.x1}, y ${b.y0}..${b.y1}`,
  );
}

function meanRGB({ data }) {
  const s = [0, 0, 0];
  for (let i = 0; i < data.length; i += 3) for (let c = 0; c < 3; c++) s[c] += data[i + c];
  const n = data.length / 3;
  return s.map((v) => v / n);
}

function meanAbsDiff(a, b) {
  assert.equal(a.w, b.w);
  assert.equal(a.h, b.h);
  let d = 0;
  for (let i = 0; i < a.data.length; i++) d += Math.abs(a.data[i] - b.data[i]);
  return d / a.data.length;
}

/** The expected derivative size: long side capped (never upscaled); thumb a square. */
function expectedSize(variant, w, h) {
  if (variant === 'thumb') {
    const s = Math.min(150, w, h);
    return [s, s];
  }
  const k = Math.min(1, LONG[variant] / Math.max(w, h));
  return [Math.round(w * k), Math.round(h * k)];
}

/** Long side exact, short side within 1 px (rounding in the resampler). */
function assertSize(got, want, label) {
  const [gw, gh] = got;
  const [ww, wh] = want;
  const ok = ww >= wh ? gw === ww && Math.abs(gh - wh) <= 1 : gh === wh && Math.abs(gw - ww) <= 1;
  assert.ok(ok, `${label}: ${gw}x${gh}, expected ${ww}x${wh}`);
}

function assertVariantsJson(m, w, h, label) {
  assert.ok(m.pinhole_variants, `${label}: pinhole_variants missing`);
  for (const v of VARIANTS) {
    const d = m.pinhole_variants[v];
    assert.ok(d, `${label}: pinhole_variants.${v} missing`);
    assertSize([d.width, d.height], expectedSize(v, w, h), `${label} ${v}`);
    assert.match(d.url, new RegExp(`/media/[A-Za-z0-9_-]+/${v}$`), `${label} ${v} url`);
  }
  assert.equal(m.url, m.pinhole_variants.feed.url, `${label}: url is the feed file`);
  assert.equal(m.preview_url, m.pinhole_variants.preview.url, `${label}: preview_url is the preview file`);
  assert.equal(m.meta.small.width, m.pinhole_variants.preview.width, `${label}: meta.small is the preview`);
  assert.equal(m.meta.small.height, m.pinhole_variants.preview.height, `${label}: meta.small is the preview`);
}

const BASE83 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~';
const b83 = (s) => [...s].reduce((v, ch) => v * 83 + BASE83.indexOf(ch), 0);

/** Checks the BlurHash's syntax; returns its DC colour (sRGB). */
function assertBlurhash(h, label) {
  assert.equal(typeof h, 'string', `${label}: blurhash is a string`);
  assert.ok(h.length >= 6, `${label}: blurhash too short: ${h}`);
  for (const ch of h) assert.ok(BASE83.includes(ch), `${label}: blurhash has a non-base83 character ${JSON.stringify(ch)}: ${h}`);
  const flag = b83(h[0]);
  const nx = (flag % 9) + 1;
  const ny = Math.floor(flag / 9) + 1;
  assert.equal(h.length, 4 + 2 * nx * ny, `${label}: blurhash ${h} declares ${nx}x${ny} components, so ${4 + 2 * nx * ny} characters`);
  const dc = b83(h.slice(2, 6));
  return [dc >> 16, (dc >> 8) & 255, dc & 255];
}

/** Regular files under a folder, recursively (0 if it does not exist). */
async function listFiles(dir) {
  let out = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if (e.code === 'ENOENT') return [];
    throw e;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out = out.concat(await listFiles(p));
    else out.push(p);
  }
  return out;
}

/**
 * The number of media rows, straight from the database (SQLite through the
 * `sqlite3` CLI, PostgreSQL through `psql`); null when that tool is missing.
 */
async function mediaRows(s) {
  const sql = 'SELECT COUNT(*) FROM media';
  const [tool, args] = s.db && /^postgres(ql)?:/.test(s.db)
    ? ['psql', ['-qtA', s.db, '-c', sql]]
    : ['sqlite3', ['-readonly', join(s.dataDir, 'pinhole.db'), sql]];
  try {
    const { stdout } = await run(tool, args);
    return Number(stdout.trim());
  } catch (e) {
    if (e.code === 'ENOENT') return null; // the CLI is not installed
    throw e;
  }
}

/** What an upload leaves behind: blob files, tmp files, media rows. */
async function footprint(s) {
  return {
    blobs: (await listFiles(join(s.dataDir, 'blobs'))).length,
    tmp: (await listFiles(join(s.dataDir, 'tmp'))).map((p) => p.slice(s.dataDir.length + 1)),
    rows: await mediaRows(s),
  };
}

async function assertNothingLeft(s, beforeFp, label) {
  let now = await footprint(s);
  // The upload's temporary file is removed when the connection's request
  // completes, which may be just after the client has read the answer.
  for (let i = 0; i < 40 && now.tmp.length; i++) {
    await sleep(50);
    now = await footprint(s);
  }
  assert.equal(now.blobs, beforeFp.blobs, `${label}: files under DATA_DIR/blobs changed from ${beforeFp.blobs} to ${now.blobs}`);
  assert.deepEqual(now.tmp, [], `${label}: DATA_DIR/tmp is not empty`);
  if (now.rows !== null) assert.equal(now.rows, beforeFp.rows, `${label}: media rows changed from ${beforeFp.rows} to ${now.rows}`);
}

function assertNamesTypes(r, label) {
  const msg = r.json?.error || '';
  for (const mime of supported) {
    const name = TYPE_NAMES[mime] || mime;
    assert.ok(msg.toLowerCase().includes(name.toLowerCase()), `${label}: the refusal should name ${name}: ${show(r)}`);
  }
}

/**
 * Sends a multipart upload of `size` bytes of filler on a raw socket
 * (Content-Length or chunked) and reads the answer while still writing:
 * a server may answer 413 before the body is complete. With `expect`, it
 * sends `Expect: 100-continue` and waits for the server's word before
 * sending any of the body. Returns the final (non-1xx) status.
 */
function rawBigUpload(s, token, { size, chunked = false, expect = false, timeoutMs = 60000 }) {
  return new Promise((res) => {
    const sock = net.connect(s.port, '127.0.0.1');
    const got = [];
    let error = null;
    let done = false;
    let bodySent = 0;
    const B = 'pinholeBigBoundary';
    const head = Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${B}--\r\n`);
    const total = head.length + size + tail.length;
    const text = () => Buffer.concat(got).toString('latin1');
    const final = () => [...text().matchAll(/HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/g)].map((m) => Number(m[1])).find((c) => c >= 200);
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      res({ status: final() ?? null, text: text(), error, bodySent });
    };
    const timer = setTimeout(finish, timeoutMs);
    sock.on('data', (d) => got.push(d));
    sock.on('error', (e) => (error = e.code || String(e)));
    sock.on('close', finish);
    sock.on('connect', async () => {
      const framing = chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${total}`;
      sock.write(
        `POST /api/v2/media HTTP/1.1\r\nHost: ${s.host}\r\nAuthorization: Bearer ${token}\r\n` +
          `Content-Type: multipart/form-data; boundary=${B}\r\n${framing}\r\n` +
          `${expect ? 'Expect: 100-continue\r\n' : ''}Connection: close\r\n\r\n`,
      );
      if (expect) {
        const t0 = Date.now();
        while (Date.now() - t0 < 3000 && !/^HTTP\/1\.[01] \d{3}/.test(text()) && !sock.destroyed) await new Promise((r) => setTimeout(r, 10));
        if (final() !== undefined) return; // answered before the body: done when it closes
      }
      const emit = async (buf) => {
        const data = chunked ? Buffer.concat([Buffer.from(`${buf.length.toString(16)}\r\n`), buf, Buffer.from('\r\n')]) : buf;
        bodySent += buf.length;
        if (!sock.write(data)) await new Promise((r) => sock.once('drain', r).once('close', r));
      };
      await emit(head);
      const filler = Buffer.alloc(256 * 1024, 0x41);
      let left = size;
      while (left > 0 && !sock.destroyed && !error && final() === undefined) {
        const n = Math.min(left, filler.length);
        await emit(filler.subarray(0, n));
        left -= n;
      }
      if (!sock.destroyed && !error && final() === undefined) {
        await emit(tail);
        if (chunked) sock.write('0\r\n\r\n');
      }
    });
  });
}

// ------------------------------------------------------------- tests

describe('uploads of real photos', () => {
  ft('the instance advertises the photo types and limits it enforces', async () => {
    const r = await get(srv, '/api/v2/instance');
    assert.equal(r.status, 200, show(r));
    const ma = r.json.configuration.media_attachments;
    supported = ma.supported_mime_types;
    assert.ok(Array.isArray(supported), 'supported_mime_types is a list');
    assert.ok(supported.includes('image/jpeg') && supported.includes('image/png'), `JPEG and PNG at least: ${supported}`);
    for (const m of supported) assert.ok(m.startsWith('image/'), `a photo server claims only image types: ${m}`);
    assert.equal(ma.image_size_limit, 40 * 1024 * 1024, 'media_max_bytes default');
    assert.equal(ma.image_matrix_limit, 50000000, 'media_max_pixels default');
    assert.equal(r.json.configuration.statuses.max_media_attachments, 20);
  });

  ft('every real photo uploads, with its size, bytes and four derivatives', async () => {
    // Two at a time: the server processes photos on a worker per core.
    const names = Object.keys(PHOTOS);
    const answers = {};
    await pool(names, 2, async (name) => {
      const apiPath = name === 'ladybird.jpg' ? '/api/v1/media' : '/api/v2/media';
      answers[name] = [apiPath, await upload(srv, alice.token, fx(`photos/${name}`), {}, { path: apiPath, filename: name })];
    });
    for (const [name, [w, h]] of Object.entries(PHOTOS)) {
      const size = (await stat(fx(`photos/${name}`))).size;
      const [apiPath, r] = answers[name];
      assert.equal(r.status, 200, `${apiPath} ${name}: ${show(r)}`);
      const m = r.json;
      uploaded[name] = m;
      assert.match(m.id, /^\d+$/, `${name}: id is a string of digits`);
      assert.equal(m.type, 'image');
      assert.deepEqual(
        { width: m.meta.original.width, height: m.meta.original.height, bytes: m.meta.original.bytes },
        { width: w, height: h, bytes: size },
        `${name}: meta.original`,
      );
      assert.equal(m.meta.original.size, `${w}x${h}`);
      assert.ok(Math.abs(m.meta.original.aspect - w / h) < 1e-9, `${name}: aspect ${m.meta.original.aspect}`);
      assert.deepEqual(m.meta.focus, { x: 0, y: 0 }, `${name}: default focus`);
      assert.equal(m.description, null, `${name}: no description`);
      assertVariantsJson(m, w, h, name);
      assertBlurhash(m.blurhash, name);
      const again = await get(srv, `/api/v1/media/${m.id}`, { token: alice.token });
      assert.equal(again.status, 200, show(again));
      assert.deepEqual(again.json, m, `${name}: GET /api/v1/media/:id returns what the upload returned`);
    }
  });

  ft('a landscape and a portrait photo: the four served sizes in JPEG and WebP', async () => {
    const portraitPath = join(work, 'portrait.jpg');
    // A genuinely portrait photo (no EXIF orientation): raindrops turned 90 degrees.
    await run('vips', ['rot', fx('photos/raindrops.jpg'), `${portraitPath}[Q=90,strip]`, 'd90']);
    const cases = [
      ['dragonfly.jpg (landscape)', fx('photos/dragonfly.jpg'), 4224, 3168, { feed: [1080, 810], preview: [640, 480], small: [320, 240], thumb: [150, 150] }],
      ['raindrops turned (portrait)', portraitPath, 1200, 1920, { feed: [675, 1080], preview: [400, 640], small: [200, 320], thumb: [150, 150] }],
    ];
    const served = []; // [label, ctype, loader, expected size, bytes]
    for (const [label, path, w, h, sizes] of cases) {
      const m = (label.startsWith('dragonfly') && uploaded['dragonfly.jpg']) || (await mustUpload(srv, alice.token, path));
      assert.deepEqual([m.meta.original.width, m.meta.original.height], [w, h], `${label}: meta.original`);
      for (const v of VARIANTS) {
        assert.deepEqual([m.pinhole_variants[v].width, m.pinhole_variants[v].height], sizes[v], `${label}: ${v} in the JSON`);
        for (const [accept, ctype, loader] of [
          ['image/jpeg', 'image/jpeg', 'jpegload'],
          ['image/webp,*/*', 'image/webp', 'webpload'],
        ]) {
          const f = await fetchFile(srv, m.pinhole_variants[v].url, { headers: { accept } });
          assert.equal(f.status, 200, `${label} ${v} (${accept})`);
          assert.equal(f.headers.get('content-type'), ctype, `${label} ${v} (${accept})`);
          served.push([`${label} ${v}`, ctype, loader, sizes[v], f.buf]);
        }
      }
    }
    const infos = await infoMany(served.map((x) => x[4]));
    served.forEach(([label, ctype, loader, size], k) => {
      const info = infos[k];
      assert.equal(info.loader, loader, `${label}: served bytes are ${ctype}`);
      assert.deepEqual([info.width, info.height], size, `${label} ${ctype}: decoded size`);
      assert.equal(info.bands, 3, `${label} ${ctype}: 3 bands (RGB, no alpha)`);
      assert.equal(info.format, 'uchar', `${label} ${ctype}: 8 bits a channel`);
      assert.equal(info.interpretation, 'srgb', `${label} ${ctype}: sRGB`);
    });
  });

  ft('EXIF orientations 1 to 8 all come out upright (red block top-left, wider than tall)', async (t) => {
    // Upload all eight, fetch their files, decode them in one batch, then judge each.
    const res = {};
    const files = []; // [n, label, scale, bytes]
    for (let n = 1; n <= 8; n++) {
      const r = await upload(srv, alice.token, fx(`derived/orient-${n}.jpg`), {}, { filename: `orient-${n}.jpg` });
      res[n] = r;
      if (r.status !== 200) continue;
      for (const accept of ['image/jpeg', 'image/webp']) {
        const f = await fetchFile(srv, r.json.url, { headers: { accept } });
        if (f.status === 200) files.push([n, `feed (${accept})`, 1, f.buf]);
      }
      const small = await fetchFile(srv, r.json.pinhole_variants.small.url, { headers: { accept: 'image/jpeg' } });
      if (small.status === 200) files.push([n, 'small (image/jpeg)', 320 / 600, small.buf]);
    }
    const px = await decodeMany(files.map((f) => f[3]));
    for (let n = 1; n <= 8; n++) {
      await t.test(`orient-${n}.jpg`, () => {
        const r = res[n];
        assert.equal(r.status, 200, `orient-${n}.jpg is a valid 600x400 photo: ${show(r)}`);
        const m = r.json;
        assert.deepEqual([m.meta.original.width, m.meta.original.height], [600, 400], `orient-${n}: meta.original is upright`);
        assert.deepEqual([m.pinhole_variants.feed.width, m.pinhole_variants.feed.height], [600, 400], 'feed: not upscaled');
        const mine = files.map((f, k) => [f, px[k]]).filter(([f]) => f[0] === n);
        assert.equal(mine.length, 3, `orient-${n}: the feed (JPEG, WebP) and small files are served`);
        for (const [[, label, k], p] of mine) {
          assert.deepEqual([p.w, p.h], [Math.round(600 * k), Math.round(400 * k)], `orient-${n} ${label} size`);
          assertRedTopLeft(p, `orient-${n} ${label}`, k);
        }
      });
    }
  });

  ft('a phone photo (EXIF Orientation 6, GPS, camera, XMP, IPTC) is upright and its served files carry none of it', async () => {
    const r = await upload(srv, alice.token, fx('derived/phone.jpg'), {}, { filename: 'IMG_0042.jpg' });
    assert.equal(r.status, 200, `phone.jpg is a valid 12 MP photo: ${show(r)}`);
    const m = r.json;
    assert.deepEqual([m.meta.original.width, m.meta.original.height], [3000, 4000], 'meta.original is upright (portrait)');
    const want = { feed: [810, 1080], preview: [480, 640], small: [240, 320], thumb: [150, 150] };
    for (const v of VARIANTS) assert.deepEqual([m.pinhole_variants[v].width, m.pinhole_variants[v].height], want[v], `${v} in the JSON`);
    await assertServedFilesClean(m, want, 'phone.jpg');
  });

  ft('the committed phone-small.jpg (Orientation 6 and the same metadata) is upright and clean', async () => {
    const m = await mustUpload(srv, alice.token, join(REPO_ROOT, 'tests/fixtures/phone-small.jpg'));
    assert.deepEqual([m.meta.original.width, m.meta.original.height], [300, 200]);
    const want = { feed: [300, 200], preview: [300, 200], small: [300, 200], thumb: [150, 150] };
    await assertServedFilesClean(m, want, 'phone-small.jpg');
    const f = await fetchFile(srv, m.url, { headers: { accept: 'image/jpeg' } });
    const [px] = await decodeMany([f.buf]);
    assertRedTopLeft(px, 'phone-small feed', 0.5);
  });
});

/** All 8 served files: right size, no EXIF/GPS/XMP/IPTC, no marker strings. */
async function assertServedFilesClean(m, want, label) {
  const files = [];
  for (const v of VARIANTS) {
    for (const accept of ['image/jpeg', 'image/webp']) {
      const f = await fetchFile(srv, m.pinhole_variants[v].url, { headers: { accept } });
      assert.equal(f.status, 200, `${label} ${v} ${accept}`);
      for (const secret of ['PINHOLE-PRIVATE', 'Pixel 7', 'pinhole-fixture', 'Google', 'http://ns.adobe.com/xap/', 'Photoshop 3.0']) {
        assert.ok(!f.buf.includes(secret), `${label} ${v} (${accept}) contains "${secret}"`);
      }
      if (accept === 'image/webp') {
        assert.ok(!f.buf.includes('EXIF') && !f.buf.includes('XMP '), `${label} ${v} WebP has an EXIF or XMP chunk`);
      } else {
        assert.ok(!f.buf.includes(Buffer.from('Exif\0\0')), `${label} ${v} JPEG has an EXIF segment`);
      }
      files.push({ name: `${v} ${accept}`, want: want[v], buf: f.buf, path: await tmpFile(f.buf, extOf(f.buf)) });
    }
  }
  const infos = await infoMany(files.map((f) => f.buf));
  files.forEach((f, k) => assert.deepEqual([infos[k].width, infos[k].height], f.want, `${label} ${f.name}: decoded size`));
  const { stdout } = await run('exiftool', ['-j', '-a', '-G1', ...files.map((f) => f.path)]);
  const tags = JSON.parse(stdout);
  assert.equal(tags.length, files.length);
  const banned = /GPS|^Make$|^Model$|SerialNumber|UserComment|^City$|DateTimeOriginal|^Software$|ThumbnailImage|ExposureTime|FNumber|^ISO$/;
  tags.forEach((entry, i) => {
    const found = [];
    for (const [k, v] of Object.entries(entry)) {
      const [group, tag] = k.includes(':') ? k.split(':') : ['', k];
      if (banned.test(tag)) found.push(`${k}=${JSON.stringify(v)}`);
      if (/^(XMP|IPTC|IFD0|ExifIFD|IFD1|GPS|Photoshop|MakerNotes)/.test(group)) found.push(`${k}=${JSON.stringify(v)}`);
      if (tag === 'Orientation' && !/Horizontal \(normal\)/.test(String(v))) found.push(`${k}=${v}`);
    }
    assert.deepEqual(found, [], `${label} ${files[i].name}: metadata left in the served file`);
  });
}

describe('served files', () => {
  let m, jpeg, webp;
  ft('files are JPEG by default and WebP only for clients that accept it', async () => {
    m = uploaded['ladybird.jpg'] || (await mustUpload(srv, alice.token, fx('photos/ladybird.jpg')));
    jpeg = await fetchFile(srv, m.url, { headers: { accept: 'image/jpeg' } });
    webp = await fetchFile(srv, m.url, { headers: { accept: 'image/avif,image/webp,*/*' } });
    const star = await fetchFile(srv, m.url, { headers: { accept: '*/*' } });
    const none = await request(srv, 'GET', pathOf(m.url)); // no Accept header at all
    assert.equal(jpeg.status, 200);
    assert.equal(jpeg.headers.get('content-type'), 'image/jpeg');
    assert.deepEqual([...jpeg.buf.subarray(0, 3)], [0xff, 0xd8, 0xff], 'JPEG magic');
    assert.deepEqual([...jpeg.buf.subarray(-2)], [0xff, 0xd9], 'JPEG ends at EOI');
    assert.equal(webp.status, 200);
    assert.equal(webp.headers.get('content-type'), 'image/webp');
    assert.equal(webp.buf.subarray(0, 4).toString('latin1'), 'RIFF');
    assert.equal(webp.buf.subarray(8, 12).toString('latin1'), 'WEBP');
    assert.equal(webp.buf.readUInt32LE(4) + 8, webp.buf.length, 'the RIFF size covers the whole file');
    assert.equal(star.headers.get('content-type'), 'image/jpeg', 'Accept */* gets JPEG');
    assert.equal(none.status, 200);
    assert.equal(none.headers['content-type'], 'image/jpeg', 'no Accept gets JPEG');
    assert.notEqual(jpeg.headers.get('etag'), webp.headers.get('etag'), 'the two encodings have different ETags');
    for (const f of [jpeg, webp]) assert.match(f.headers.get('vary') || '', /\bAccept\b/i, 'Vary: Accept');
  });

  ft('a client that refuses WebP (image/webp;q=0) gets JPEG', async () => {
    for (const accept of ['image/jpeg, image/webp;q=0', 'image/webp;q=0, image/jpeg;q=0.9', 'image/webp; q=0.0, */*']) {
      const f = await fetchFile(srv, m.url, { headers: { accept } });
      assert.equal(f.status, 200);
      assert.equal(f.headers.get('content-type'), 'image/jpeg', `Accept: ${accept} says WebP is not acceptable (RFC 9110 q=0)`);
    }
  });

  ft('file responses carry strong ETags (sha256), immutable caching and safety headers', async () => {
    for (const f of [jpeg, webp]) {
      const etag = f.headers.get('etag');
      assert.match(etag, /^"[0-9a-f]{64}"$/, `a strong, quoted ETag: ${etag}`);
      assert.equal(etag.slice(1, -1), sha256(f.buf), 'the ETag is the sha256 of the body');
      assert.equal(f.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.equal(f.headers.get('x-content-type-options'), 'nosniff');
      assert.match(f.headers.get('content-security-policy') || '', /\bsandbox\b/, 'CSP sandbox');
      assert.equal(Number(f.headers.get('content-length')), f.buf.length);
    }
  });

  ft('HEAD, If-None-Match (304), Range (206) and unsatisfiable ranges (416)', async () => {
    const etag = jpeg.headers.get('etag');
    const size = jpeg.buf.length;
    const head = await fetchFile(srv, m.url, { method: 'HEAD', headers: { accept: 'image/jpeg' } });
    assert.equal(head.status, 200);
    assert.equal(head.buf.length, 0, 'HEAD has no body');
    assert.equal(head.headers.get('etag'), etag);
    assert.equal(Number(head.headers.get('content-length')), size);
    assert.equal(head.headers.get('content-type'), 'image/jpeg');

    for (const inm of [etag, `W/${etag}`, `"0000", ${etag}`]) {
      const r = await fetchFile(srv, m.url, { headers: { accept: 'image/jpeg', 'if-none-match': inm } });
      assert.equal(r.status, 304, `If-None-Match: ${inm}`);
      assert.equal(r.buf.length, 0);
      assert.equal(r.headers.get('etag'), etag, '304 repeats the ETag');
    }
    const other = await fetchFile(srv, m.url, { headers: { accept: 'image/jpeg', 'if-none-match': '"0000"' } });
    assert.equal(other.status, 200, 'a different ETag gets the file');
    // The WebP's ETag does not validate the JPEG.
    const cross = await fetchFile(srv, m.url, { headers: { accept: 'image/jpeg', 'if-none-match': webp.headers.get('etag') } });
    assert.equal(cross.status, 200, "the WebP's ETag does not match the JPEG");

    const r0 = await fetchFile(srv, m.url, { headers: { accept: 'image/jpeg', range: 'bytes=0-99' } });
    assert.equal(r0.status, 206);
    assert.equal(r0.headers.get('content-range'), `bytes 0-99/${size}`);
    assert.equal(r0.buf.length, 100);
    assert.ok(r0.buf.equals(jpeg.buf.subarray(0, 100)), 'the first 100 bytes');
    const mid = await fetchFile(srv, m.url, { headers: { accept: 'image/jpeg', range: `bytes=100-${size + 5000}` } });
    assert.equal(mid.status, 206, 'a range running past the end is clamped');
    assert.equal(mid.headers.get('content-range'), `bytes 100-${size - 1}/${size}`);
    assert.ok(mid.buf.equals(jpeg.buf.subarray(100)));
    const suffix = await fetchFile(srv, m.url, { headers: { accept: 'image/jpeg', range: 'bytes=-10' } });
    assert.equal(suffix.status, 206);
    assert.equal(suffix.headers.get('content-range'), `bytes ${size - 10}-${size - 1}/${size}`);
    assert.ok(suffix.buf.equals(jpeg.buf.subarray(size - 10)));
    const bad = await fetchFile(srv, m.url, { headers: { accept: 'image/jpeg', range: `bytes=${size}-` } });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers.get('content-range'), `bytes */${size}`);
    const wr = await fetchFile(srv, m.url, { headers: { accept: 'image/webp', range: 'bytes=0-11' } });
    assert.equal(wr.status, 206);
    assert.ok(wr.buf.equals(webp.buf.subarray(0, 12)), 'ranges of the WebP too');
  });

  ft('unknown tokens and variants are 404, and the original file is never served', async () => {
    const token = pathOf(m.url).split('/')[2];
    const original = await readFile(fx('photos/ladybird.jpg'));
    const osha = sha256(original);
    for (const p of [
      `/media/${token}/original`,
      `/media/${token}/orig`,
      `/media/${token}/FEED`,
      `/media/${token}/feed.jpg`,
      `/media/${token}/`,
      `/media/${token}`,
      `/media/${'A'.repeat(token.length)}/feed`,
      `/media/${osha}/feed`,
      `/media/${token}/..%2f..%2fpinhole.db`,
      `/media/${token}/%2e%2e`,
    ]) {
      const r = await request(srv, 'GET', p); // raw path: no client-side normalisation
      assert.equal(r.status, 404, `GET ${p}: ${r.status} ${r.headers['content-type']}`);
    }
    for (const v of VARIANTS) {
      for (const accept of ['image/jpeg', 'image/webp']) {
        const f = await fetchFile(srv, m.pinhole_variants[v].url, { headers: { accept } });
        assert.notEqual(sha256(f.buf), osha, `${v} (${accept}) is the original file`);
        assert.ok(f.buf.length < original.length, `${v} (${accept}) is a re-encoded derivative`);
      }
    }
  });

  ft('BlurHash: plausible strings whose average colour matches the photo', async () => {
    const seen = new Map();
    const list = Object.entries(uploaded);
    const smalls = [];
    for (const [, mm] of list) smalls.push((await fetchFile(srv, mm.pinhole_variants.small.url, { headers: { accept: 'image/jpeg' } })).buf);
    const px = await decodeMany(smalls);
    for (const [k, [name, mm]] of list.entries()) {
      const dc = assertBlurhash(mm.blurhash, name);
      const avg = meanRGB(px[k]);
      for (let c = 0; c < 3; c++) {
        assert.ok(
          Math.abs(dc[c] - avg[c]) <= 40,
          `${name}: the BlurHash average colour ${dc} is far from the photo's ${avg.map(Math.round)} (channel ${c})`,
        );
      }
      assert.ok(!seen.has(mm.blurhash), `${name} and ${seen.get(mm.blurhash)} have the same BlurHash`);
      seen.set(mm.blurhash, name);
    }
    assert.ok(seen.size >= 5, 'the real photos were uploaded');
  });
});

describe('the hostile corpus is refused cleanly, leaving nothing behind', () => {
  const cases = [
    // [file, label, what the refusal must say]
    ['derived/zero.bin', 'an empty file', null],
    ['derived/text.jpg', 'a text file named .jpg', 'types'],
    ['derived/image.svg', 'an SVG with script', 'types'],
    ['derived/bomb-30000.png', 'a 30000x30000 PNG bomb', /pixel/i],
    ['derived/bomb-interlaced.png', 'a 20000x20000 interlaced PNG bomb', /pixel/i],
    ['derived/bomb-40000.jpg', 'a 40000x40000 JPEG bomb', /pixel/i],
    ['derived/truncated.jpg', 'a truncated baseline JPEG', null],
    ['derived/truncated-progressive.jpg', 'a truncated progressive JPEG', null],
  ];
  for (const [file, label, says] of cases) {
    ft(`${label} (${file}): 422`, async () => {
      const fp = await footprint(srv);
      const t0 = Date.now();
      const r = await upload(srv, alice.token, fx(file), { description: 'hostile' }, { filename: 'photo.jpg' });
      const took = Date.now() - t0;
      assert.equal(r.status, 422, `${label}: ${show(r)}`);
      assert.equal(typeof r.json?.error, 'string', `${label}: a JSON error`);
      if (says === 'types') assertNamesTypes(r, label);
      else if (says) assert.match(r.json.error, says, `${label}: ${show(r)}`);
      if (/bomb/.test(file)) assert.ok(took < 20000, `${label}: refused from the header, not decoded (${took} ms)`);
      await assertNothingLeft(srv, fp, label);
    });
  }

  ft('image types the instance does not claim (TIFF, PNM, a vips image) are 422 naming the claimed ones', async () => {
    for (const [ext, label] of [
      ['tif', 'TIFF'],
      ['ppm', 'PPM'],
      ['v', 'a libvips .v file'],
    ]) {
      const p = join(work, `unclaimed.${ext}`);
      await run('vips', ['copy', fx('derived/orient-1.jpg'), p]);
      const fp = await footprint(srv);
      const r = await upload(srv, alice.token, await readFile(p), {}, { filename: 'photo.jpg' });
      assert.equal(r.status, 422, `${label}: ${show(r)}`);
      assertNamesTypes(r, label);
      await assertNothingLeft(srv, fp, label);
    }
  });

  ft('the type is decided by content, not by the file name or the part Content-Type', async () => {
    // A real JPEG named .svg with a text/html part type is still a JPEG...
    const jpeg = await readFile(fx('derived/orient-1.jpg'));
    const fd = new FormData();
    fd.append('file', new Blob([jpeg], { type: 'text/html' }), 'page.svg');
    const resp = new Response(fd);
    const body = Buffer.from(await resp.arrayBuffer());
    const r = await post(srv, '/api/v2/media', { token: alice.token, body, headers: { 'content-type': resp.headers.get('content-type') } });
    assert.equal(r.status, 200, show(r));
    const f = await fetchFile(srv, r.json.url);
    assert.equal(f.headers.get('content-type'), 'image/jpeg');
    // ...and an SVG named .jpg with an image/jpeg part type is refused.
    const fp = await footprint(srv);
    const svg = await readFile(fx('derived/image.svg'));
    const fd2 = new FormData();
    fd2.append('file', new Blob([svg], { type: 'image/jpeg' }), 'photo.jpg');
    const resp2 = new Response(fd2);
    const r2 = await post(srv, '/api/v2/media', {
      token: alice.token,
      body: Buffer.from(await resp2.arrayBuffer()),
      headers: { 'content-type': resp2.headers.get('content-type') },
    });
    assert.equal(r2.status, 422, show(r2));
    assertNamesTypes(r2, 'SVG as image/jpeg');
    await assertNothingLeft(srv, fp, 'SVG as image/jpeg');
  });

  ft('a missing file is 422 and leaves nothing behind', async () => {
    const fp = await footprint(srv);
    for (const [label, parts] of [
      ['only a description', [['description', 'no photo']]],
      ['the photo under another field name', [['image', new Blob([await readFile(fx('derived/orient-1.jpg'))]), 'a.jpg']]],
      ['file as a text field', [['file', 'not a file']]],
    ]) {
      const r = await post(srv, '/api/v2/media', { token: alice.token, multipart: parts });
      assert.equal(r.status, 422, `${label}: ${show(r)}`);
      assert.match(r.json.error, /file/i, label);
    }
    await assertNothingLeft(srv, fp, 'missing file');
  });

  ft('a malformed multipart body is 400 and leaves nothing behind', async () => {
    const B = 'malformedBoundary42';
    const jpeg = await readFile(fx('photos/ladybird.jpg'));
    const part = Buffer.concat([
      Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
      jpeg,
    ]);
    const closed = Buffer.concat([part, Buffer.from(`\r\n--${B}--\r\n`)]);
    const cases = [
      ['no boundary parameter', 'multipart/form-data', closed],
      ['no closing delimiter', `multipart/form-data; boundary=${B}`, part],
      ['cut in the middle of the file', `multipart/form-data; boundary=${B}`, part.subarray(0, part.length / 2)],
      ['no delimiter at all', `multipart/form-data; boundary=${B}`, Buffer.from('this is not a multipart body\r\n')],
      ['a part with no headers end', `multipart/form-data; boundary=${B}`, Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="file"`)],
    ];
    for (const [label, ctype, body] of cases) {
      const fp = await footprint(srv);
      const r = await post(srv, '/api/v2/media', { token: alice.token, body, headers: { 'content-type': ctype } });
      assert.equal(r.status, 400, `${label}: ${show(r)}`);
      await assertNothingLeft(srv, fp, label);
    }
    const h = await get(srv, '/healthz');
    assert.equal(h.status, 200, 'the server still answers');
  });

  for (const [label, o] of [
    ['Content-Length and Expect: 100-continue: 413 before any of the body is sent', { expect: true }],
    ['Content-Length, the body sent at once: the client reads the 413', {}],
    ['chunked: the client reads the 413', { chunked: true }],
  ]) {
    ft(`a 41 MB body over the default 40 MB limit, ${label}`, async () => {
      const fp = await footprint(srv);
      const r = await rawBigUpload(srv, alice.token, { size: 41 * 1024 * 1024, ...o });
      assert.equal(
        r.status,
        413,
        `no 413 reached the client (got ${JSON.stringify(r.text.slice(0, 200))}, socket ${r.error}, ` +
          `${r.bodySent} body bytes written): a server that answers before reading the whole body must keep ` +
          `reading for a while (lingering close), or the reset makes the client's TCP stack discard the answer`,
      );
      if (o.expect) assert.equal(r.bodySent, 0, 'with Expect: 100-continue the 413 comes before any of the body');
      await assertNothingLeft(srv, fp, `41 MB, ${label}`);
    });
  }

  describe('with small media_max_bytes (400000) and media_max_pixels (800000)', () => {
    const LIMIT = 400000;
    let small, u;
    before(async () => {
      if (!HAVE) return;
      small = await startServer({ set: { media_max_bytes: String(LIMIT), media_max_pixels: String(800000) } });
      u = await registerUser(small);
    });
    after(async () => {
      await small?.stop();
    });

    ft('the instance reports both limits', async () => {
      const inst = await get(small, '/api/v2/instance');
      assert.equal(inst.json.configuration.media_attachments.image_size_limit, LIMIT, 'image_size_limit is media_max_bytes');
      assert.equal(inst.json.configuration.media_attachments.image_matrix_limit, 800000, 'image_matrix_limit is media_max_pixels');
    });

    ft('41 MB bodies are 413 and leave nothing behind', async () => {
      const fp = await footprint(small);
      for (const [label, o] of [
        ['Expect: 100-continue', { expect: true }],
        ['chunked', { chunked: true }],
      ]) {
        const r = await rawBigUpload(small, u.token, { size: 41 * 1024 * 1024, ...o });
        assert.equal(r.status, 413, `41 MB, ${label}: ${JSON.stringify(r.text.slice(0, 300))} (socket ${r.error})`);
      }
      await assertNothingLeft(small, fp, '41 MB over a small media_max_bytes');
    });

    ft('a file of media_max_bytes + 1 bytes is 413', async () => {
      const fp = await footprint(small);
      for (const [label, o] of [
        ['Expect: 100-continue', { expect: true }],
        ['chunked', { chunked: true }],
      ]) {
        const r = await rawBigUpload(small, u.token, { size: LIMIT + 1, ...o });
        assert.equal(r.status, 413, `a ${LIMIT + 1}-byte file over a ${LIMIT}-byte media_max_bytes, ${label}: ${JSON.stringify(r.text.slice(0, 300))}`);
      }
      await assertNothingLeft(small, fp, 'media_max_bytes + 1');
    });

    ft('a real photo over the advertised image_size_limit is refused (413)', async () => {
      const png = fx('derived/orient-upright.png'); // 600x400 PNG, 453453 bytes
      const fp = await footprint(small);
      const r = await upload(small, u.token, png, {}, { filename: 'big.png' });
      assert.equal(r.status, 413, `a ${(await stat(png)).size}-byte photo, media_max_bytes = image_size_limit = ${LIMIT}: ${show(r).slice(0, 200)}`);
      await assertNothingLeft(small, fp, 'a photo over media_max_bytes');
    });

    ft('a photo over media_max_pixels is 422 and the refusal gives this limit', async () => {
      const fp = await footprint(small);
      const r = await upload(small, u.token, fx('derived/webp.webp')); // 48 KB, 1200x675 = 810,000 pixels
      assert.equal(r.status, 422, show(r));
      assert.match(r.json.error, /pixel/i);
      assert.match(r.json.error, /0\.8 megapixels|800,?000/, `the refusal should give this server's limit (0.8 megapixels), not the default: ${show(r)}`);
      await assertNothingLeft(small, fp, 'over media_max_pixels');
    });

    ft('a photo under both limits uploads', async () => {
      const r = await upload(small, u.token, fx('derived/orient-1.jpg')); // 96 KB, 240,000 pixels
      assert.equal(r.status, 200, `a 96 KB, 0.24 MP photo: ${show(r)}`);
    });
  });

  ft('polyglot.jpg is accepted only as a re-encoded image: no script in any served file', async () => {
    const orig = await readFile(fx('derived/polyglot.jpg'));
    const m = await mustUpload(srv, alice.token, orig);
    assert.deepEqual([m.meta.original.width, m.meta.original.height], [320, 213]);
    for (const v of VARIANTS) {
      for (const accept of ['image/jpeg', 'image/webp']) {
        const f = await fetchFile(srv, m.pinhole_variants[v].url, { headers: { accept } });
        assert.equal(f.status, 200);
        assert.match(f.headers.get('content-type'), /^image\/(jpeg|webp)$/);
        const text = f.buf.toString('latin1').toLowerCase();
        for (const bad of ['<script', 'pinhole-polyglot', '<html', 'alert(']) assert.ok(!text.includes(bad), `${v} (${accept}) contains ${bad}`);
        assert.notEqual(sha256(f.buf), sha256(orig));
        if (accept === 'image/jpeg') assert.deepEqual([...f.buf.subarray(-2)], [0xff, 0xd9], `${v}: nothing after the JPEG's EOI`);
      }
    }
  });
});

describe('other formats, held to what the instance claims', () => {
  // [file, mime, stored width, height (upright)]
  const formats = [
    ['derived/cmyk.jpg', 'image/jpeg', 1200, 750],
    ['derived/png16.png', 'image/png', 800, 533],
    ['derived/progressive.jpg', 'image/jpeg', 2048, 1152],
    ['derived/same.png', 'image/png', 1920, 1200],
    ['derived/webp.webp', 'image/webp', 1200, 675],
    ['derived/gif.gif', 'image/gif', 480, 300],
    ['derived/animated.gif', 'image/gif', 240, 150],
    ['derived/heic.heic', 'image/heic', 1200, 750],
    ['derived/avif.avif', 'image/avif', 1200, 750],
  ];
  const got = {};
  const early = {}; // claimed types, uploaded two at a time before the tests
  before(async () => {
    if (!HAVE) return;
    if (!supported.length) supported = (await get(srv, '/api/v2/instance')).json.configuration.media_attachments.supported_mime_types;
    const todo = formats.filter(([file, mime]) => supported.includes(mime) && existsSync(fx(file)));
    await pool(todo, 2, async ([file]) => {
      early[file] = await upload(srv, alice.token, fx(file), {}, { filename: 'upload.bin' });
    });
  });
  for (const [file, mime, w, h] of formats) {
    ft(`${file} (${mime})`, async (t) => {
      if (!existsSync(fx(file))) {
        t.skip(`${file} was not made on this machine (see ${fx('derived/skipped.txt')})`);
        return;
      }
      const fp = await footprint(srv);
      const r = early[file] || (await upload(srv, alice.token, fx(file), {}, { filename: 'upload.bin' }));
      if (!supported.includes(mime)) {
        assert.equal(r.status, 422, `${mime} is not claimed by the instance, so it must be refused: ${show(r)}`);
        assertNamesTypes(r, file);
        await assertNothingLeft(srv, fp, file);
        return;
      }
      assert.equal(r.status, 200, `${mime} is claimed in supported_mime_types, so ${file} must upload: ${show(r)}`);
      const m = r.json;
      got[file] = m;
      assert.deepEqual([m.meta.original.width, m.meta.original.height], [w, h], `${file}: meta.original (an animation is its first frame)`);
      assertVariantsJson(m, w, h, file);
      assertBlurhash(m.blurhash, file);
      const bufs = [];
      for (const v of ['feed', 'thumb']) bufs.push((await fetchFile(srv, m.pinhole_variants[v].url, { headers: { accept: 'image/jpeg' } })).buf);
      const infos = await infoMany(bufs);
      ['feed', 'thumb'].forEach((v, k) => {
        const info = infos[k];
        assert.deepEqual([info.width, info.height], [m.pinhole_variants[v].width, m.pinhole_variants[v].height], `${file} ${v}`);
        assert.deepEqual([info.bands, info.format, info.interpretation], [3, 'uchar', 'srgb'], `${file} ${v}: 8-bit sRGB`);
      });
    });
  }

  ft('a CMYK JPEG and a PNG of the same pixels look like their sources', async () => {
    const pairs = [
      ['derived/cmyk.jpg', 'ladybird.jpg', 14],
      ['derived/same.png', 'raindrops.jpg', 3],
    ];
    const todo = pairs.filter(([file, photo]) => got[file] && uploaded[photo]);
    const bufs = [];
    for (const [file, photo] of todo) {
      bufs.push((await fetchFile(srv, got[file].url, { headers: { accept: 'image/jpeg' } })).buf);
      bufs.push((await fetchFile(srv, uploaded[photo].url, { headers: { accept: 'image/jpeg' } })).buf);
    }
    const px = await decodeMany(bufs);
    for (const [k, [file, photo, limit]] of todo.entries()) {
      const d = meanAbsDiff(px[2 * k], px[2 * k + 1]);
      assert.ok(d <= limit, `${file} vs ${photo}: mean difference ${d.toFixed(2)} per channel (limit ${limit}): colours mangled?`);
    }
  });
});

describe('description and focus', () => {
  ft('on upload: 1500 characters (multi-byte) and focus in -1..1 are kept; more is 422', async () => {
    const jpeg = await readFile(fx('derived/orient-1.jpg'));
    const desc = 'é'.repeat(1499) + '📷';
    const m = await mustUpload(srv, alice.token, jpeg, { description: desc, focus: '0.5,-0.25' });
    assert.equal(m.description, desc, '1500 characters are kept, whatever their byte length');
    assert.deepEqual(m.meta.focus, { x: 0.5, y: -0.25 });
    const edge = await mustUpload(srv, alice.token, jpeg, { focus: '-1,1' });
    assert.deepEqual(edge.meta.focus, { x: -1, y: 1 });
    const bad = [
      [{ description: 'é'.repeat(1501) }, '1501 characters'],
      [{ description: 'a'.repeat(1501) }, '1501 ASCII characters'],
      [{ focus: '1.01,0' }, 'focus x > 1'],
      [{ focus: '0,-1.5' }, 'focus y < -1'],
      [{ focus: 'abc' }, 'focus not numbers'],
      [{ focus: '0.5' }, 'focus one number'],
      [{ focus: 'NaN,0' }, 'focus NaN'],
      [{ focus: '0,0,0' }, 'focus three numbers'],
    ];
    for (const [fields, label] of bad) {
      const fp = await footprint(srv);
      const r = await upload(srv, alice.token, jpeg, fields);
      assert.equal(r.status, 422, `${label}: ${show(r)}`);
      await assertNothingLeft(srv, fp, label);
    }
    // Invalid UTF-8 in the description (raw multipart).
    const B = 'utf8Boundary';
    const body = Buffer.concat([
      Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="description"\r\n\r\n`),
      Buffer.from([0x61, 0xff, 0xfe, 0x62]),
      Buffer.from(`\r\n--${B}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n`),
      jpeg,
      Buffer.from(`\r\n--${B}--\r\n`),
    ]);
    const fp = await footprint(srv);
    const r = await post(srv, '/api/v2/media', { token: alice.token, body, headers: { 'content-type': `multipart/form-data; boundary=${B}` } });
    assert.equal(r.status, 422, `invalid UTF-8 description: ${show(r)}`);
    await assertNothingLeft(srv, fp, 'invalid UTF-8 description');
  });

  ft('PUT /api/v1/media/:id changes the description and focus of an unattached photo', async () => {
    const m = await mustUpload(srv, alice.token, fx('derived/orient-1.jpg'), { description: 'first' });
    const r = await request(srv, 'PUT', `/api/v1/media/${m.id}`, { token: alice.token, form: { description: 'second', focus: '-0.5,0.75' } });
    assert.equal(r.status, 200, show(r));
    assert.equal(r.json.description, 'second');
    assert.deepEqual(r.json.meta.focus, { x: -0.5, y: 0.75 });
    assert.equal(r.json.url, m.url, 'the files do not change');
    const onlyFocus = await request(srv, 'PUT', `/api/v1/media/${m.id}`, { token: alice.token, json: { focus: '0,0' } });
    assert.equal(onlyFocus.status, 200, show(onlyFocus));
    assert.equal(onlyFocus.json.description, 'second', 'a field not sent is not changed');
    for (const [body, label] of [
      [{ description: 'x'.repeat(1501) }, '1501 characters'],
      [{ focus: '2,2' }, 'focus out of range'],
    ]) {
      const bad = await request(srv, 'PUT', `/api/v1/media/${m.id}`, { token: alice.token, form: body });
      assert.equal(bad.status, 422, `${label}: ${show(bad)}`);
    }
    const now = await get(srv, `/api/v1/media/${m.id}`, { token: alice.token });
    assert.equal(now.json.description, 'second', 'refused updates change nothing');
    assert.deepEqual(now.json.meta.focus, { x: 0, y: 0 });
  });
});

describe('ownership, attachment and deletion rules', () => {
  ft("others' media: GET, PUT and DELETE answer exactly like a missing id", async () => {
    const m = await mustUpload(srv, alice.token, fx('derived/orient-2.jpg'), { description: 'mine' });
    const missing = '1' + m.id.slice(1).replace(/\d/g, '0');
    for (const [method, opts] of [
      ['GET', {}],
      ['PUT', { form: { description: 'stolen' } }],
      ['DELETE', {}],
    ]) {
      const theirs = await request(srv, method, `/api/v1/media/${m.id}`, { token: bob.token, ...opts });
      const none = await request(srv, method, `/api/v1/media/${missing}`, { token: bob.token, ...opts });
      assert.equal(theirs.status, 404, `${method} someone else's media: ${show(theirs)}`);
      assert.equal(none.status, 404, `${method} a missing id: ${show(none)}`);
      assert.equal(theirs.text, none.text, `${method}: the same body for hidden and missing`);
    }
    const still = await get(srv, `/api/v1/media/${m.id}`, { token: alice.token });
    assert.equal(still.status, 200);
    assert.equal(still.json.description, 'mine', "others' attempts changed nothing");
    const anon = await get(srv, `/api/v1/media/${m.id}`);
    assert.equal(anon.status, 401, `anonymous: ${show(anon)}`);
    const anonUp = await upload(srv, undefined, fx('derived/orient-1.jpg'));
    assert.equal(anonUp.status, 401, `anonymous upload: ${show(anonUp)}`);
  });

  ft('a read-only token cannot upload (403) and leaves nothing behind', async () => {
    const tr = await passwordGrant(srv, alice.app, alice.username, alice.password, 'read');
    assert.equal(tr.status, 200, show(tr));
    const fp = await footprint(srv);
    const r = await upload(srv, tr.json.access_token, fx('derived/orient-1.jpg'));
    assert.equal(r.status, 403, show(r));
    await assertNothingLeft(srv, fp, 'read-only token');
  });

  ft('attached media cannot be changed (404 like Mastodon) or deleted (422); unattached media can be deleted', async () => {
    const a = await mustUpload(srv, alice.token, fx('derived/orient-3.jpg'));
    const b = await mustUpload(srv, alice.token, fx('derived/orient-4.jpg'));
    const st = await post(srv, '/api/v1/statuses', { token: alice.token, form: [['status', 'attached'], ['media_ids[]', a.id]] });
    assert.equal(st.status, 200, show(st));
    const put = await request(srv, 'PUT', `/api/v1/media/${a.id}`, { token: alice.token, form: { description: 'late' } });
    assert.equal(put.status, 404, `PUT on attached media (Mastodon: 404; edit the post instead): ${show(put)}`);
    const del = await request(srv, 'DELETE', `/api/v1/media/${a.id}`, { token: alice.token });
    assert.equal(del.status, 422, `DELETE attached media: ${show(del)}`);
    const file = await fetchFile(srv, a.url);
    assert.equal(file.status, 200, 'the attached photo is still served');

    const d = await request(srv, 'DELETE', `/api/v1/media/${b.id}`, { token: alice.token });
    assert.equal(d.status, 200, show(d));
    const gone = await get(srv, `/api/v1/media/${b.id}`, { token: alice.token });
    assert.equal(gone.status, 404, 'deleted media is gone');
    const again = await request(srv, 'DELETE', `/api/v1/media/${b.id}`, { token: alice.token });
    assert.equal(again.status, 404, 'deleting twice');
    for (const v of VARIANTS) {
      const f = await fetchFile(srv, b.pinhole_variants[v].url);
      assert.equal(f.status, 404, `the deleted photo's ${v} file is no longer served`);
    }
    const use = await post(srv, '/api/v1/statuses', { token: alice.token, form: [['status', 'x'], ['media_ids[]', b.id]] });
    assert.equal(use.status, 422, `a deleted photo cannot be posted: ${show(use)}`);
  });
});

describe('disk reserve', () => {
  ft('at or below min_free_mb an upload is 507 and leaves nothing behind', async () => {
    const s = await startServer();
    let stopped = false;
    try {
      const u = await registerUser(s);
      await s.stop({ keepData: true });
      stopped = true;
      s.set = { ...s.set, min_free_mb: String(1 << 30) }; // 1 PiB free required: never true
      await s.restart();
      stopped = false;
      const fp = await footprint(s);
      const r = await upload(s, u.token, fx('photos/ladybird.jpg'));
      assert.equal(r.status, 507, show(r));
      assert.equal(typeof r.json?.error, 'string');
      await assertNothingLeft(s, fp, 'disk reserve');
    } finally {
      if (!stopped) await s.stop({ keepData: true });
      await rm(s.dataDir, { recursive: true, force: true });
    }
  });
});

describe('avatar and header', () => {
  ft('update_credentials with avatar and header files: /media/ URLs, a square avatar, served', async () => {
    const carol = await registerUser(srv);
    const r = await patch(srv, '/api/v1/accounts/update_credentials', {
      token: carol.token,
      multipart: [
        ['avatar', new Blob([await readFile(fx('photos/ladybird.jpg'))]), 'me.jpg'],
        ['header', new Blob([await readFile(fx('derived/progressive.jpg'))]), 'banner.jpg'],
      ],
      timeoutMs: 120000,
    });
    assert.equal(r.status, 200, show(r));
    for (const k of ['avatar', 'avatar_static', 'header', 'header_static']) {
      assert.ok(r.json[k].startsWith(`${srv.url}/media/`), `${k} points to /media/: ${r.json[k]}`);
    }
    const av = await fetchFile(srv, r.json.avatar, { headers: { accept: 'image/jpeg' } });
    assert.equal(av.status, 200);
    assert.equal(av.headers.get('content-type'), 'image/jpeg');
    const hd = await fetchFile(srv, r.json.header, { headers: { accept: 'image/jpeg' } });
    assert.equal(hd.status, 200);
    const [ai, hi] = await infoMany([av.buf, hd.buf]);
    assert.equal(ai.width, ai.height, `the avatar is square: ${ai.width}x${ai.height}`);
    assert.ok(ai.width >= 150, `the avatar is at least 150 px: ${ai.width}`);
    assert.ok(hi.width > hi.height, `the header keeps its landscape shape: ${hi.width}x${hi.height}`);
    const me = await get(srv, '/api/v1/accounts/verify_credentials', { token: carol.token });
    assert.equal(me.json.avatar, r.json.avatar, 'verify_credentials shows the new avatar');

    const fp = await footprint(srv);
    const bad = await patch(srv, '/api/v1/accounts/update_credentials', {
      token: carol.token,
      multipart: [['avatar', new Blob([await readFile(fx('derived/image.svg'))]), 'me.jpg']],
    });
    assert.equal(bad.status, 422, `an SVG avatar: ${show(bad)}`);
    await assertNothingLeft(srv, fp, 'SVG avatar');
    const still = await get(srv, '/api/v1/accounts/verify_credentials', { token: carol.token });
    assert.equal(still.json.avatar, r.json.avatar, 'a refused avatar leaves the old one');
  });
});
