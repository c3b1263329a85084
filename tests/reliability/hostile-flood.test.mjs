// Hostile HTTP flood (issue #7): one server takes 10,000 malformed or
// abusive requests on raw sockets, 32 at a time, while 200 slow-loris
// connections are held open; it must stay up, answer or close every
// connection, and give back the descriptors and memory it took.
//
// The generator is seeded (mulberry32; HOSTILE_SEED=N replays a run, and
// every problem names the request's number, kind and first bytes). It
// draws from KINDS below by weight: broken request lines and header lines,
// random bytes, Content-Length + Transfer-Encoding smuggling in both
// orders, duplicate and malformed Content-Length, a 64 KB header, 10,000
// headers, NUL, invalid UTF-8, overlong encodings and `..` in paths and
// queries, 100,000-deep JSON, huge numbers in JSON bodies and in ids,
// limits and offsets, wrong methods, forged, revoked and signed-out
// tokens, oversized, truncated and malformed bodies (chunked, multipart,
// forms, JSON), pipelined garbage after a valid request, HTTP/0.9, the
// HTTP/2 preface and TLS bytes, plus 5% valid requests. One connection per
// request; a request that is neither answered nor closed within 500 ms is
// parked (off the 32 sockets) and watched until the server closes it.
// Slow loris: 90 connections trickle headers and 50 a body, one byte every
// 2-5 s, through the whole flood, and are completed at the end (an answer
// is then required); 60 send half a request and go silent, so the server's
// idle timeout must close them.
//
// Checks: the same process (PID) is alive throughout and /healthz answers
// 200 every 250 ms during the flood and after; no 5xx but 503, except 505
// to a request in a version the server does not speak (HTTP/0.9, 2.0, 3.0,
// 9.9, the HTTP/2 preface: RFC 9110 15.6.6), so never a 500; every request
// answered or closed, by the server or by its idle timeout (still open 45 s
// after its last byte fails); after ambiguous framing (CL+TE, two
// lengths) no second answer and the connection closed (RFC 9112 6.1, 6.3);
// a forged or revoked token never gets a 2xx and the post they try to
// delete survives; no file from outside the web folder is served; no
// sanitizer report, and exit 0 on SIGTERM (under ASan, LeakSanitizer runs
// at exit) without "requests still in flight" when no connection is left
// open; afterwards, with every connection gone, open descriptors
// (/proc/PID/fd) at most the baseline + 3 and VmRSS at most the baseline +
// 20 MB. The baseline comes from a warm-up of 1,000 requests of the
// well-behaved kinds and then 900 connections at once (more than the
// flood's peak of slow loris, parked connections and those the server
// holds: each costs libmicrohttpd a 32 KB pool); its memory figure is the
// warm-up's peak RSS, since whether glibc gives freed memory back varies
// by 10 MB from run to run. Margins, from runs on 2 cores: descriptors
// came back to exactly the baseline every time; RSS ended 6 to 9 MB over
// it and stays flat over repeated floods (5 rounds of 5,000: 61, 68, 69,
// 71, 70 MB), so 20 MB is over twice the noise and catches a leak of 2 KB
// per request. Under ASan the RSS margin adds the allocator's quarantine
// (quarantine_size_mb, 256 MB by default); LeakSanitizer is the memory
// oracle there. The flood's sockets come from 127.0.0.2-9, since
// libmicrohttpd takes at most 1,024 connections from one address.
//
// The connection timeout is libmicrohttpd's idle timeout, 30 s and not
// configurable: pin_http_opts has conn_timeout_s but `pinhole serve` never
// sets it and there is no config key. The test uses 5 s through
// `--set conn_timeout_s=5` as soon as `pinhole serve --help` lists such a
// key; until then about 30 s of its run is waiting for that timeout.
// Measured on 2 cores shared with other test runs (load 5 to 9): normal
// build 63-66 s in all (the flood itself 14 s), ASan build 87 s (flood
// 25 s).
//
// It can fail: HOSTILE_FLOOD_BREAK=fdleak (an LD_PRELOAD shim, compiled
// here, that opens /dev/null on every 50th accepted connection and never
// closes it) ends with "file descriptors: 289 after the flood, baseline 82
// (+3 allowed)"; HOSTILE_FLOOD_BREAK=memleak (4 KB malloc'ed and touched
// per accepted connection, never freed) ends with "memory: RSS 120.6 MB
// after the flood, baseline 73.8 MB (+20 MB allowed)". Use the normal
// build for these (ASan wants its runtime first in the preload list).
//
// Found when it was written (server code not changed here):
//  - a request line with about 500 query parameters (`GET
//    /healthz?&&&...` with 600 `&`, or /api/v1/accounts/relationships
//    with 500 `id[]=`) exhausts libmicrohttpd's 32 KB connection pool:
//    nothing is answered, the connection is held until the 30 s timeout,
//    and the req_int allocated in on_uri (src/http/server.c) leaks, since
//    the request-completed callback never runs for it: LeakSanitizer
//    reports it on the ASan build, and on any build the in-flight counter
//    that on_uri raised stays up, so every later SIGTERM waits its full
//    10 s grace and logs "stopping with N requests still in flight". The
//    test fails on both builds until that is fixed;
//  - after a request with a NUL byte in a header value or the request line
//    (which is answered), and in some states after a truncated body, a
//    half-close (FIN) from the client is not noticed: the server keeps the
//    connection until its idle timeout (the "held until the timeout" lines);
//  - a connection that trickles a byte every few seconds is kept forever
//    (an idle timeout, no header or body deadline); the limits are 1,024
//    connections per address and 4,096 in all.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';

import { appToken, BIN, createApp, passwordGrant, prng, register, removeDir, REPO_ROOT, request, Server, sleep, stableBinary, tempDir, uploadMedia, photo, run } from './lib.mjs';

const SEED = Number(process.env.HOSTILE_SEED ?? 20261125) >>> 0;
const REQUESTS = Number(process.env.HOSTILE_REQUESTS ?? 10000);
const WARMUP = Number(process.env.HOSTILE_WARMUP ?? 1000);
const CONCURRENCY = 32;
const SLOW_TRICKLE_HEADERS = 90; // headers, one byte every 2-5 s, completed at the end
const SLOW_TRICKLE_BODIES = 50; // a body, one byte every 2-5 s, completed at the end
const SLOW_SILENT = 60; // half a request, then nothing: the server's timeout must close them
const SLOW_TOTAL = SLOW_TRICKLE_HEADERS + SLOW_TRICKLE_BODIES + SLOW_SILENT; // 200
const FD_MARGIN = 3;
const WARM_BURST = 900; // connections at once in the warm-up: over the flood's peak (slow loris + parked, 600-800)
const RSS_MARGIN_MB = 20;
const BREAK = process.env.HOSTILE_FLOOD_BREAK ?? ''; // '', 'fdleak' or 'memleak': see the header

// ------------------------------------------------------------------ PRNG


// ------------------------------------------------------------ generator

const B = (x) => (Buffer.isBuffer(x) ? x : Buffer.from(String(x), 'latin1'));
const cat = (...xs) => Buffer.concat(xs.map(B));

// Big pieces, built once.
const DEEP = 100000;
const BIG = {
  header64k: 'a'.repeat(65536),
  headers10k: Array.from({ length: 10000 }, (_, i) => `X-H${i}: v\r\n`).join(''),
  cookies10k: 'Cookie: a=b\r\n'.repeat(10000),
  deepArrays: '['.repeat(DEEP) + ']'.repeat(DEEP),
  deepObjects: '{"a":'.repeat(DEEP) + '1' + '}'.repeat(DEEP),
  deepInField: `{"note":${'['.repeat(DEEP)}${']'.repeat(DEEP)}}`,
  overBody: Buffer.alloc(1200 * 1024, 0x61), // over body_max (1 MB)
  digits: '9'.repeat(5000),
  longString: `{"display_name":"${'a'.repeat(900000)}"}`,
  manyKeys: `{${Array.from({ length: 10000 }, (_, i) => `"k${i}":1`).join(',')}}`,
  longArray: `[${'1,'.repeat(100000)}1]`,
  manyParams: Array.from({ length: 10000 }, (_, i) => `k${i}=v`).join('&'),
  longKey: `${'k'.repeat(100000)}=v`,
};

/**
 * A request as raw bytes. `headers` are strings ("Name: value"); Host is
 * added first unless host === false; Content-Length is added for a body
 * unless one of the headers frames it already.
 */
function http1(ctx, { method = 'GET', target = '/healthz', headers = [], body, host = true, version = 'HTTP/1.1' }) {
  const hs = [];
  if (host) hs.push(`Host: ${ctx.host}`);
  hs.push(...headers);
  const framed = headers.some((h) => /^(content-length|transfer-encoding)\s*:/i.test(h));
  if (body !== undefined && !framed) hs.push(`Content-Length: ${B(body).length}`);
  return cat(`${method} `, B(target), ` ${version}\r\n`, hs.map((h) => `${h}\r\n`).join(''), '\r\n', body === undefined ? '' : B(body));
}

const JSONCT = 'Content-Type: application/json';
const FORMCT = 'Content-Type: application/x-www-form-urlencoded';
const auth = (t) => `Authorization: Bearer ${t}`;

const HUGE_IDS = ['99999999999999999999999', '18446744073709551616', '18446744073709551615', '9223372036854775808', '9223372036854775807', '-1', '-9223372036854775809', '0', '1e308', '0x10', '%201', '1.5', '00000000000000000001', '+1', BIG.digits.slice(0, 2000)];
const HUGE_NUMS = ['99999999999999999999999', '18446744073709551616', '-9223372036854775809', '1e999999', '-1e999999', '1e308', '4.9e-324', BIG.digits, `-${BIG.digits}`, '0.' + BIG.digits.slice(0, 1000)];

// Every kind: [weight, generator(rng, ctx) -> case]. A case is
// {bytes, fin, head, expect, wait, closeWithinMs, allow5xx, forged, leakCheck, smuggle, note}.
//   fin: half-close after writing (the request is incomplete on purpose,
//        or its framing is ambiguous: the server may wait for more bytes)
//   expect: complete responses after which the client hangs up
//   wait: 'close' to wait for the server to close instead
//   closeWithinMs: after `expect` responses, the server must close within this
const KINDS = {
  valid: [5, (r, ctx) => {
    const t = r.pick([
      ['GET', '/healthz'], ['GET', '/readyz'], ['GET', '/api/v1/instance'], ['GET', '/api/v2/instance'],
      ['GET', '/api/v1/timelines/public?limit=5'], ['GET', `/api/v1/accounts/${ctx.user.id}`], ['GET', `/api/v1/statuses/${ctx.statusId}`],
      ['GET', `/api/v1/statuses/${ctx.statusId}/context`], ['GET', ctx.mediaPath], ['GET', '/api/v2/search?q=flood'], ['GET', '/api/v1/trends/tags'],
      ['GET', '/'], ['HEAD', '/healthz'], ['GET', '/api/v1/timelines/home', true], ['GET', '/api/v1/notifications?limit=3', true],
      ['GET', '/api/v1/accounts/verify_credentials', true],
    ]);
    const headers = t[2] ? [auth(ctx.user.token)] : [];
    if (r.chance(0.3)) headers.push('Connection: close');
    return { bytes: http1(ctx, { method: t[0], target: t[1], headers }), head: t[0] === 'HEAD' };
  }],

  'broken request line': [9, (r, ctx) => {
    const h = `Host: ${ctx.host}\r\n`;
    const fin = r.chance(0.5);
    const v = r.val([
      'GARBAGE\r\n\r\n', 'GET\r\n\r\n', `GET  /healthz  HTTP/1.1\r\n${h}\r\n`, ` GET /healthz HTTP/1.1\r\n${h}\r\n`,
      `GET /healthz HTTP/1.1 extra\r\n${h}\r\n`, `GET /healthz HTTP/1.x\r\n${h}\r\n`, `GET /healthz HTTP/1.10\r\n${h}\r\n`,
      `GET /healthz http/1.1\r\n${h}\r\n`, `G\tET /healthz HTTP/1.1\r\n${h}\r\n`, `get /healthz HTTP/1.1\r\n${h}\r\n`,
      `GET /healthz HTTP/1.1\r\n${h}NoColonHere\r\n\r\n`, `GET /healthz HTTP/1.1\r\n${h}X-A : b\r\n\r\n`,
      `GET /healthz HTTP/1.1\r\n${h}X-A: b\r\n folded\r\n\r\n`, `GET /healthz HTTP/1.1\r\n${h}X(A): b\r\n\r\n`,
      'GET /healthz HTTP/1.1\r\n\r\n', `GET /healthz HTTP/1.1\r\n${h}Host: other\r\n\r\n`, `GET /healthz HTTP/1.1\nHost: ${ctx.host}\n\n`,
      `GET /healthz HTTP/1.1\rHost: ${ctx.host}\r\r`, `\r\n\r\n\r\nGET /healthz HTTP/1.1\r\n${h}\r\n`,
      () => `${'A'.repeat(r.int(100, 20000))} / HTTP/1.1\r\n${h}\r\n`, () => `GET /${'a'.repeat(r.int(8000, 40000))} HTTP/1.1\r\n${h}\r\n`,
      `GET /healthz HTTP/1.1\r\n${h}X-Ctl: a\x01\x7fb\r\n\r\n`, `GET /healthz HTTP/1.1\r\n${h}X-Nul: a\x00b\r\n\r\n`,
      `GET /healthz HTTP/1.1\r\n${h}X-N\x00ul: ab\r\n\r\n`, `GET /healthz HTTP/1.1\r\n${h}: empty-name\r\n\r\n`,
      () => `GET /healthz HTTP/1.1\r\n${h}${'X'.repeat(9000)}: long-name\r\n\r\n`, () => `GET /healthz?${'&'.repeat(20000)} HTTP/1.1\r\n${h}\r\n`,
      `GET http://${ctx.host}/healthz HTTP/1.1\r\n${h}\r\n`, `GET http://evil.example/../../healthz HTTP/1.1\r\n${h}\r\n`,
      `GET * HTTP/1.1\r\n${h}\r\n`, `GET healthz HTTP/1.1\r\n${h}\r\n`, `GET /healthz HTTP/1.1\r\n${h}Content-Length: 0\r\nContent-Length: 0\r\n\r\n`,
    ]);
    return { bytes: B(v), fin };
  }],

  'random bytes': [3, (r) => {
    const junk = r.bytes(r.int(1, 3000));
    return { bytes: r.chance(0.5) ? cat(junk, '\r\n\r\n') : junk, fin: true };
  }],

  'CL+TE smuggling': [6, (r, ctx) => {
    const smuggled = `0\r\n\r\nGET /api/v1/instance?smuggled=1 HTTP/1.1\r\nHost: ${ctx.host}\r\n\r\n`;
    const name = r.pick(['Transfer-Encoding', 'transfer-encoding', 'TRANSFER-ENCODING']);
    const value = r.pick(['chunked', 'Chunked', ' chunked', 'chunked, identity', 'identity, chunked', 'chunked\t', 'gzip, chunked', 'chunked, chunked']);
    const cl = `Content-Length: ${r.pick([smuggled.length, 4, 0, 5])}`;
    const te = `${name}: ${value}`;
    const order = r.chance(0.5) ? [cl, te] : [te, cl];
    return { bytes: http1(ctx, { method: 'POST', target: '/api/v1/apps', headers: [JSONCT, ...order], body: smuggled }), smuggle: true, expect: 1, closeWithinMs: 3000, note: order.join(' | ') };
  }],

  'duplicate or bad Content-Length': [5, (r, ctx) => {
    const tail = r.chance(0.5) ? `GET /api/v1/instance?smuggled=2 HTTP/1.1\r\nHost: ${ctx.host}\r\n\r\n` : '';
    const v = r.pick([
      ['Content-Length: 2', 'Content-Length: 40'], ['Content-Length: 40', 'Content-Length: 2'], ['Content-Length: 2, 40'],
      ['Content-Length: 2', 'Content-Length: 2'], ['Content-Length: 2, 2'], ['Content-Length: abc'], ['Content-Length: -1'],
      ['Content-Length: +2'], ['Content-Length: 0x2'], ['Content-Length:  2 '], ['Content-Length: 2 2'], ['Content-Length: 00000000000000000002'],
      ['Content-Length: 99999999999999999999999'], ['Content-Length: 18446744073709551616'], ['Content-Length: 18446744073709551615'],
      ['Content-Length: 9223372036854775807'], ['Content-Length: '], ['Content-Length: 2\x00'], ['Content-Length: 1e2'],
    ]);
    const differ = v.length === 2 && v[0] !== v[1] || /2, 40/.test(v[0]);
    return {
      bytes: http1(ctx, { method: 'POST', target: '/api/v1/apps', headers: [JSONCT, ...v], body: cat('{}', tail) }),
      fin: !differ && r.chance(0.5),
      smuggle: differ,
      closeWithinMs: differ ? 3000 : 0,
      note: v.join(' | '),
    };
  }],

  '64 KB header': [2, (r, ctx) => {
    const v = r.pick([
      () => http1(ctx, { headers: [`X-Big: ${BIG.header64k}`] }),
      () => http1(ctx, { target: '/api/v1/accounts/verify_credentials', headers: [auth(BIG.header64k)] }),
      () => http1(ctx, { headers: [`Cookie: ${BIG.header64k}`] }),
      () => http1(ctx, { headers: [`${BIG.header64k}: v`] }),
      () => http1(ctx, { target: `/api/v1/timelines/public?q=${BIG.header64k}` }),
      () => http1(ctx, { method: 'POST', target: '/api/v1/apps', headers: [`Content-Type: application/json; x=${BIG.header64k}`], body: '{}' }),
    ]);
    return { bytes: v() };
  }],

  '10,000 headers': [1, (r, ctx) => {
    const v = r.val([BIG.headers10k, BIG.cookies10k, () => 'Content-Type: application/json\r\n'.repeat(10000), () => `Authorization: Bearer ${ctx.user.token}\r\n`.repeat(10000)]);
    return { bytes: cat(`GET /api/v1/accounts/verify_credentials HTTP/1.1\r\nHost: ${ctx.host}\r\n`, v, '\r\n') };
  }],

  'bad path': [12, (r, ctx) => {
    const raw = r.pick([
      '/api/v1/accounts/\x00', '/healthz\x00', '/assets/\xc3\x28', '/\xff\xfe', '/api/v1/accounts/\xc0\xae\xc0\xae/lookup', '/assets/\xc0\xaf..\xc0\xafetc\xc0\xafpasswd',
      '/app/\xe0\x80\xaf', '/media/\xf8\x88\x80\x80\x80/feed', '/api/v1/statuses/\xed\xa0\x80',
    ]);
    const enc = r.pick([
      '%00', '%C3%28', '%FF', '%ED%A0%80', '%C0%AE%C0%AE%C0%AF', '%E0%80%AE', '%F8%80%80%80%AE', '%F4%90%80%80', '%', '%G1', '%2', '%C0%80', '%EF%BF%BF', '%E2%80%AE',
    ]);
    const trav = r.pick([
      '/assets/../../../etc/passwd', '/assets/..%2F..%2F..%2Fetc%2Fpasswd', '/assets/%2e%2e/%2e%2e/etc/passwd', '/app/..%2f..%2fmeson.build', '/app/%2e%2e%2f%2e%2e%2fmeson.build',
      '/media/..%2F..%2Fpinhole.db/original', '/media/../../pinhole.db', `/media/${ctx.mediaToken}/..%2F..%2F..%2Fpinhole.db`, `/media/${ctx.mediaToken}/../original`,
      '/assets/....//....//etc/passwd', '/assets/..\\..\\etc\\passwd', '/assets/%5c..%5c..%5cetc%5cpasswd', '//api/v1/instance', '/./healthz',
      '/api/v1/accounts/..', '/api/v1/./instance', '/.well-known/../healthz', '/assets/%252e%252e/%252e%252e/etc/passwd', '/../../../../etc/passwd',
      '/assets/.%00./.%00./etc/passwd', '/web/../pinhole.db', '/assets/index.html%00.png', `/media/${ctx.mediaToken}/original%00`, '/app/' + '../'.repeat(200) + 'etc/passwd',
    ]);
    const prefix = r.pick(['/api/v1/accounts/', '/api/v1/statuses/', '/assets/', '/app/', '/media/', '/api/v1/tags/', '/api/v1/timelines/tag/', '/']);
    const q = r.pick(['', `?acct=a${enc}b`, `?q=${enc}`, '?acct=\xff', `?q=${'%'.repeat(r.int(1, 2000))}`, '?a[]=x&a[][]=y', `?acct=${enc}&acct=${enc}`, '?=&=&=']);
    const target = r.pick([prefix + enc + q, prefix + 'x' + enc + 'y' + q, trav, raw + q, '/api/v1/accounts/lookup' + q, `/api/v1/timelines/tag/${enc}`, `/api/v1/tags/${enc}${enc}`]);
    const headers = r.chance(0.3) ? [auth(ctx.user.token)] : [];
    return { bytes: http1(ctx, { target, headers }), leakCheck: true, note: JSON.stringify(target).slice(0, 120) };
  }],

  '100,000-deep JSON': [1.5, (r, ctx) => {
    const body = r.pick([BIG.deepArrays, BIG.deepObjects, BIG.deepInField]);
    const t = r.pick([
      ['POST', '/api/v1/apps', []], ['PATCH', '/api/v1/accounts/update_credentials', [auth(ctx.user.token)]], ['POST', '/api/v1/statuses', [auth(ctx.user.token)]],
      ['POST', '/oauth/token', []], ['POST', '/api/v1/markers', [auth(ctx.user.token)]], ['PUT', `/api/v1/media/${ctx.mediaId}`, [auth(ctx.user.token)]],
    ]);
    return { bytes: http1(ctx, { method: t[0], target: t[1], headers: [JSONCT, ...t[2]], body }) };
  }],

  'huge numbers in JSON': [5, (r, ctx) => {
    const n = r.pick(HUGE_NUMS);
    const id = r.pick(HUGE_IDS);
    const t = r.val([
      ['POST', '/api/v1/statuses', `{"status":"","media_ids":["${id}"]}`],
      ['POST', '/api/v1/statuses', `{"status":"","media_ids":[${n}]}`],
      ['POST', '/api/v1/statuses', `{"status":"x","in_reply_to_id":"${id}"}`],
      ['POST', '/api/v1/statuses', `{"status":"","in_reply_to_id":${n}}`],
      () => ['POST', '/api/v1/statuses', `{"status":"","media_ids":[${Array(1000).fill(`"${id}"`).join(',')}]}`],
      ['POST', '/api/v1/statuses', `{"status":"","poll":{"expires_in":${n},"options":["a","b"]}}`],
      ['PATCH', '/api/v1/accounts/update_credentials', `{"fields_attributes":{"${id}":{"name":"a","value":"b"}}}`],
      ['PATCH', '/api/v1/accounts/update_credentials', `{"locked":${n}}`],
      ['PATCH', '/api/v1/accounts/update_credentials', `{"display_name":${n}}`],
      ['POST', '/api/v1/markers', `{"home":{"last_read_id":${n}}}`],
      ['POST', '/api/v1/markers', `{"notifications":{"last_read_id":"${id}"}}`],
      ['POST', '/oauth/token', `{"grant_type":"password","username":${n},"password":${n},"client_id":"${ctx.app.client_id}","client_secret":"${ctx.app.client_secret}"}`],
      ['POST', '/api/v1/apps', `{"client_name":${n},"redirect_uris":${n}}`],
      ['PUT', `/api/v1/media/${ctx.mediaId}`, `{"focus":"${n},${n}","description":${n}}`],
      ['PUT', `/api/v1/statuses/${id}`, `{"status":"x","media_ids":[${n}]}`],
    ]);
    return { bytes: http1(ctx, { method: t[0], target: t[1], headers: [JSONCT, auth(ctx.user.token)], body: t[2] }) };
  }],

  'huge numbers in the query': [8, (r, ctx) => {
    const id = r.pick(HUGE_IDS);
    const n = r.pick([...HUGE_IDS, ...HUGE_NUMS.slice(0, 6)]);
    const t = r.val([
      ['GET', `/api/v1/accounts/${id}`], ['GET', `/api/v1/statuses/${id}`], ['GET', `/api/v1/statuses/${id}/context`], ['GET', `/api/v1/statuses/${id}/favourited_by?limit=${n}`],
      ['GET', `/api/v1/statuses/${id}/history`], ['GET', `/api/v1/accounts/${id}/statuses?limit=${n}`], ['GET', `/api/v1/accounts/${id}/followers?limit=${n}`],
      ['GET', `/api/v1/accounts/${ctx.user.id}/following?max_id=${n}&limit=${n}`], ['GET', `/api/v1/notifications/${id}`, true], ['GET', `/api/v1/media/${id}`, true],
      ['POST', `/api/v1/accounts/${id}/follow`, true], ['POST', `/api/v1/statuses/${id}/favourite`, true], ['DELETE', `/api/v1/statuses/${id}`, true],
      ['POST', `/api/v1/follow_requests/${id}/authorize`, true], ['POST', `/api/v1/notifications/${id}/dismiss`, true],
      ['GET', `/api/v1/timelines/public?limit=${n}&max_id=${id}&since_id=${n}&min_id=${id}`], ['GET', `/api/v1/timelines/home?limit=${n}&max_id=${id}`, true],
      ['GET', `/api/v1/accounts/${ctx.user.id}/statuses?limit=${n}&max_id=${n}&only_media=${n}`], ['GET', `/api/v1/notifications?limit=${n}&since_id=${id}`, true],
      ['GET', `/api/v1/favourites?limit=${n}&max_id=${id}`, true], ['GET', `/api/v1/bookmarks?limit=${n}`, true], ['GET', `/api/v2/search?q=a&limit=${n}&offset=${n}`],
      ['GET', `/api/v2/search?q=a&type=statuses&limit=${n}&offset=${id}`], ['GET', `/api/v1/pinhole/followers/history?days=${n}`, true],
      ['GET', `/api/v1/trends/tags?limit=${n}&offset=${n}`], ['GET', `/api/v1/trends/statuses?limit=${n}`], ['GET', `/api/v1/timelines/tag/flood?limit=${n}&max_id=${id}`],
      ['GET', `/api/v1/accounts/relationships?id[]=${id}&id[]=${n}`, true], ['GET', `/api/v1/blocks?limit=${n}`, true], ['GET', `/api/v1/followed_tags?limit=${n}`, true],
      () => ['GET', `/api/v1/accounts/relationships?${Array.from({ length: 500 }, () => `id[]=${id}`).join('&')}`, true],
    ]);
    const headers = t[2] ? [auth(ctx.user.token)] : [];
    return { bytes: http1(ctx, { method: t[0], target: t[1], headers, body: t[0] === 'POST' ? '' : undefined }) };
  }],

  'wrong method': [6, (r, ctx) => {
    const t = r.pick([
      ['DELETE', '/healthz'], ['PUT', '/api/v1/instance'], ['PATCH', '/oauth/token'], ['POST', '/healthz'], ['GET', '/oauth/revoke'], ['DELETE', `/api/v1/accounts/${ctx.user.id}`],
      ['TRACE', '/'], ['OPTIONS', '*'], ['OPTIONS', '/api/v1/instance'], ['BREW', '/'], ['CONNECT', '127.0.0.1:443'], ['PROPFIND', '/'], ['M-SEARCH', '*'],
      ['PUT', ctx.mediaPath], ['DELETE', ctx.mediaPath], ['Get', '/healthz'], ['X'.repeat(r.int(20, 300)), '/healthz'], ['GET', '/api/v1/statuses'], ['PATCH', `/api/v1/statuses/${ctx.statusId}`],
      ['POST', `/api/v1/statuses/${ctx.statusId}`], ['GET', '/api/v1/pinhole/account/sign_out_everywhere'], ['PUT', '/api/v1/apps'], ['HEAD', '/api/v1/apps'],
    ]);
    const headers = r.chance(0.5) ? [auth(ctx.user.token)] : [];
    const body = r.chance(0.3) ? '{"x":1}' : undefined;
    if (body) headers.push(JSONCT);
    return { bytes: http1(ctx, { method: t[0], target: t[1], headers, body }), head: t[0] === 'HEAD' };
  }],

  'bad or forged token': [10, (r, ctx) => {
    const flip = (t) => {
      const i = r.int(0, t.length - 1);
      return t.slice(0, i) + (t[i] === 'A' ? 'B' : 'A') + t.slice(i + 1);
    };
    const v = r.pick([
      `Bearer ${r.bytes(32).toString('base64url')}`, `Bearer ${flip(ctx.user.token)}`, `Bearer ${ctx.revoked}`, `Bearer ${ctx.signedOut}`,
      `Bearer ${ctx.app.client_secret}`, `Bearer ${ctx.app.client_id}`, 'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', `Bearer ${'A'.repeat(r.int(300, 12000))}`,
      "Bearer ' OR '1'='1", 'Bearer \xc3\x28\xff\x01', 'Bearer \x00abc', `bearer  ${ctx.user.token}x`, `Bearer ${ctx.user.token} extra`,
      'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.', `Bearer ${ctx.user.token.slice(0, -1)}`, `Bearer ${ctx.user.token}\t`, `Token ${ctx.user.token}`,
      `Bearer ${ctx.user.token.toUpperCase()}`, `Bearer ${'%00'.repeat(20)}`,
    ]);
    const appOnUser = r.chance(0.08);
    const authz = appOnUser ? `Bearer ${ctx.appTok}` : v;
    const twoHeaders = r.chance(0.05);
    const t = r.pick([
      ['GET', '/api/v1/accounts/verify_credentials'], ['GET', '/api/v1/timelines/home'], ['GET', '/api/v1/notifications'], ['GET', '/api/v1/bookmarks'],
      ['POST', '/api/v1/statuses', '{"status":"forged"}'], ['POST', `/api/v1/accounts/${ctx.user.id}/follow`, ''], ['PATCH', '/api/v1/accounts/update_credentials', '{"note":"forged"}'],
      ['DELETE', `/api/v1/statuses/${ctx.statusId}`], ['POST', `/api/v1/statuses/${ctx.statusId}/favourite`, ''], ['POST', '/api/v2/media', '{}'],
      ['POST', '/api/v1/pinhole/account/sign_out_everywhere', ''], ['POST', '/api/v1/pinhole/account/password', '{"current_password":"x","password":"forged-password"}'],
    ]);
    // Two Authorization headers (one of them valid): only the GET routes, since the answer may legitimately be either.
    const headers = twoHeaders
      ? (r.chance(0.5) ? [auth(ctx.user.token), `Authorization: ${v}`] : [`Authorization: ${v}`, auth(ctx.user.token)])
      : [`Authorization: ${authz}`];
    const route = twoHeaders ? ['GET', '/api/v1/accounts/verify_credentials'] : t;
    if (route[2] !== undefined) headers.push(JSONCT);
    return { bytes: http1(ctx, { method: route[0], target: route[1], headers, body: route[2] }), forged: !twoHeaders, note: `${route[0]} ${route[1]} ${JSON.stringify(twoHeaders ? 'two headers' : authz.slice(0, 40))}` };
  }],

  'oversized body': [1.5, (r, ctx) => {
    const v = r.pick([
      () => ({ bytes: http1(ctx, { method: 'POST', target: '/api/v1/apps', headers: [JSONCT, 'Content-Length: 1000000000000'], body: '{}' }) }),
      () => ({ bytes: http1(ctx, { method: 'POST', target: '/api/v2/media', headers: [auth(ctx.user.token), 'Content-Type: multipart/form-data; boundary=X', 'Content-Length: 100000000000'], body: '--X\r\n' }) }),
      () => ({ bytes: http1(ctx, { method: 'POST', target: '/api/v1/apps', headers: [JSONCT], body: BIG.overBody }) }),
      () => ({ bytes: http1(ctx, { method: 'PATCH', target: '/api/v1/accounts/update_credentials', headers: [FORMCT, auth(ctx.user.token)], body: BIG.overBody }) }),
      () => ({ bytes: http1(ctx, { method: 'POST', target: '/oauth/token', headers: [FORMCT, 'Transfer-Encoding: chunked'], body: cat(BIG.overBody.length.toString(16), '\r\n', BIG.overBody, '\r\n0\r\n\r\n') }) }),
      () => {
        let body = '';
        const chunk = 'b'.repeat(60000);
        for (let i = 0; i < 21; i++) body += `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
        return { bytes: http1(ctx, { method: 'POST', target: '/api/v1/apps', headers: [JSONCT, 'Transfer-Encoding: chunked'], body: body + '0\r\n\r\n' }) };
      },
    ]);
    return v();
  }],

  'truncated body': [4, (r, ctx) => {
    const v = r.pick([
      http1(ctx, { method: 'POST', target: '/api/v1/apps', headers: [JSONCT, 'Content-Length: 1000'], body: '{"client_n' }),
      http1(ctx, { method: 'POST', target: '/api/v1/apps', headers: [JSONCT, 'Transfer-Encoding: chunked'], body: '5\r\nab' }),
      http1(ctx, { method: 'POST', target: '/api/v1/apps', headers: [JSONCT, 'Transfer-Encoding: chunked'], body: '2\r\n{}\r\n' }),
      B(`GET /healthz HTTP/1.1\r\nHost: ${ctx.host}\r\nX-A: b`), B('GET /heal'), B(`POST /api/v1/apps HTTP/1.1\r\nHost: ${ctx.host}\r\nContent-Le`),
      http1(ctx, { method: 'POST', target: '/api/v2/media', headers: [auth(ctx.user.token), 'Content-Type: multipart/form-data; boundary=XyZ', 'Content-Length: 5000'], body: '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xe0' }),
      http1(ctx, { method: 'PATCH', target: '/api/v1/accounts/update_credentials', headers: [JSONCT, auth(ctx.user.token), 'Content-Length: 500'], body: '{"note":"' + 'n'.repeat(100) }),
      http1(ctx, { method: 'POST', target: '/oauth/token', headers: [FORMCT, 'Content-Length: 64'], body: 'grant_type=pass' }),
    ]);
    return { bytes: v, fin: true };
  }],

  'malformed multipart': [5, (r, ctx) => {
    const bd = r.pick(['XyZ', 'a'.repeat(70), 'b'.repeat(200), '----WebKitFormBoundary7MA4YWxkTrZu0gW', '"quoted"', ' ']);
    const file = (name, ct, data) => `--${bd}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: ${ct}\r\n\r\n${data}\r\n`;
    const v = r.val([
      ['multipart/form-data', `--${bd}\r\n\r\nx\r\n--${bd}--\r\n`],
      [`multipart/form-data; boundary=${bd}`, `--other\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--other--\r\n`],
      [`multipart/form-data; boundary=${bd}`, `--${bd}\r\nContent-Disposition: form-data; name="a"\r\n\r\nno closing delimiter`],
      [`multipart/form-data; boundary=${bd}`, `--${bd}\r\n\r\nno headers\r\n--${bd}--\r\n`],
      [`multipart/form-data; boundary=${bd}`, `--${bd}\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--${bd}--\r\n`],
      [`multipart/form-data; boundary=${bd}`, `--${bd}\r\nContent-Disposition: form-data; name="a"\r\nno blank line then --${bd}--\r\n`],
      () => [`multipart/form-data; boundary=${bd}`, Array.from({ length: 1000 }, (_, i) => `--${bd}\r\nContent-Disposition: form-data; name="p${i}"\r\n\r\nv\r\n`).join('') + `--${bd}--\r\n`],
      [`multipart/form-data; boundary=${bd}`, file('../../etc/passwd\x00.jpg', 'image/jpeg', 'not a jpeg at all') + `--${bd}--\r\n`],
      [`multipart/form-data; boundary=${bd}`, file('a.jpg', 'image/jpeg', '\xff\xd8\xff\xe0\x00\x10JFIF' + 'garbage'.repeat(50)) + `--${bd}--\r\n`],
      [`multipart/form-data; boundary=${bd}`, file('a.png', 'image/png', '\x89PNG\r\n\x1a\n' + '\x00'.repeat(40)) + `--${bd}--\r\n`],
      [`multipart/form-data; boundary=${bd}`, file('', 'application/octet-stream', '') + `--${bd}--\r\n`],
      [`multipart/form-data; boundary=${bd}`, file('a.jpg', 'image/jpeg', 'x') + file('b.jpg', 'image/jpeg', 'y') + `--${bd}--\r\n`],
      [`multipart/form-data; boundary=${bd}`, `--${bd}\r\nContent-Disposition: form-data; name="file"\r\nContent-Type: multipart/mixed; boundary=inner\r\n\r\n--inner\r\n\r\nx\r\n--inner--\r\n--${bd}--\r\n`],
      () => [`multipart/form-data; boundary=${bd}`, `--${bd}\r\nContent-Disposition: form-data; name="${'n'.repeat(40000)}"\r\n\r\nv\r\n--${bd}--\r\n`],
      [`multipart/form-data; boundary=${bd}`, `--${bd}\nContent-Disposition: form-data; name="a"\n\nlf only\n--${bd}--\n`],
      [`multipart/form-data; boundary=${bd}`, ''],
      ['multipart/form-data; boundary=', `--\r\n\r\nx\r\n----\r\n`],
      [`multipart/form-data; boundary=${bd}; boundary=other`, `--${bd}--\r\n`],
      [`multipart/form-data; boundary=${bd}`, `--${bd}\r\nContent-Disposition: form-data; name="description"\r\n\r\n\xc0\xaf\xed\xa0\x80\x00\r\n--${bd}--\r\n`],
    ]);
    const t = r.pick([
      ['POST', '/api/v2/media', true], ['POST', '/api/v1/media', true], ['PATCH', '/api/v1/accounts/update_credentials', true], ['POST', '/api/v1/apps', false],
      ['POST', '/api/v1/statuses', true], ['PUT', `/api/v1/media/${ctx.mediaId}`, true],
    ]);
    const headers = [`Content-Type: ${v[0]}`];
    if (t[2]) headers.push(auth(ctx.user.token));
    return { bytes: http1(ctx, { method: t[0], target: t[1], headers, body: v[1] }), note: `${t[1]} ${v[0].slice(0, 60)}` };
  }],

  'pipelined garbage after a valid request': [5, (r, ctx) => {
    const ok = http1(ctx, { target: r.pick(['/healthz', '/api/v1/instance', `/api/v1/statuses/${ctx.statusId}`]) });
    const post = http1(ctx, { method: 'POST', target: '/api/v1/apps', headers: [JSONCT], body: '{}' });
    const garbage = r.pick([
      () => r.bytes(r.int(1, 500)), () => B('GARBAGE\r\n\r\n'), () => B('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03'), () => B('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
      () => B(`GET /healthz HTTP/1.1\r\nHost: ${ctx.host}\r\nX: \x00\r\n\r\n`), () => B('\r\n'.repeat(r.int(1, 5000))), () => B('G'.repeat(r.int(1, 60000))),
    ]);
    const first = r.pick([[ok], [ok, ok], [post], [ok, post]]);
    const g = garbage();
    // 505 is the RFC's answer to the HTTP/2 preface read as an HTTP/1 request
    return { bytes: cat(...first, g), fin: true, wait: 'close', allow5xx: g.includes('HTTP/2.0') ? [505] : [] };
  }],

  'HTTP/0.9': [2, (r, ctx) => {
    const v = r.pick([['GET /\r\n', true], ['GET /healthz\r\n', true], ['GET /healthz\r\n\r\n', false], ['GET /\n', true], ['GET / HTTP/0.9\r\n\r\n', false], [`GET /healthz HTTP/1.0\r\n\r\n`, false], ['GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', false]]);
    return { bytes: B(v[0]), fin: v[1] || r.chance(0.3), allow5xx: [505] };
  }],

  'HTTP/2 preface': [2, (r, ctx) => {
    const settings = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);
    const v = r.pick([
      () => ({ bytes: cat('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', settings), fin: true }),
      () => ({ bytes: cat('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', settings, r.bytes(r.int(9, 300))), fin: true }),
      () => ({ bytes: B('PRI * HTTP/2.0\r\n\r\n'), fin: r.chance(0.5) }),
      () => ({ bytes: http1(ctx, { version: 'HTTP/2.0' }) }),
      () => ({ bytes: http1(ctx, { version: 'HTTP/2' }) }),
      () => ({ bytes: http1(ctx, { version: 'HTTP/3.0' }) }),
      () => ({ bytes: http1(ctx, { version: 'HTTP/9.9', headers: ['Connection: close'] }) }),
      () => ({ bytes: http1(ctx, { headers: ['Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA'] }) }),
      () => ({ bytes: Buffer.from('16030100f5010000f10303', 'hex'), fin: true }),
    ]);
    return { ...v(), allow5xx: [505] };
  }],

  'bad chunked framing': [3, (r, ctx) => {
    const body = r.val([
      'ZZ\r\n{}\r\n0\r\n\r\n', 'ffffffffffffffffffff\r\n{}\r\n0\r\n\r\n', '-2\r\n{}\r\n0\r\n\r\n', () => `2;${'x'.repeat(r.int(100, 20000))}\r\n{}\r\n0\r\n\r\n`,
      '2\r\n{}XX0\r\n\r\n', () => `2\r\n{}\r\n0\r\nX-Trailer: ${'a'.repeat(r.int(10, 20000))}\r\n\r\n`, '0x2\r\n{}\r\n0\r\n\r\n', '2 \r\n{}\r\n0\r\n\r\n',
      '2\n{}\n0\n\n', () => '1\r\n{\r\n'.repeat(5000) + '0\r\n\r\n', '\r\n\r\n', '7fffffffffffffff\r\n{}\r\n0\r\n\r\n', '8000000000000000\r\n{}', '0000000000000000000000002\r\n{}\r\n0\r\n\r\n',
    ]);
    const te = r.pick(['Transfer-Encoding: chunked', 'Transfer-Encoding: chunked, chunked', 'Transfer-Encoding: gzip', 'Transfer-Encoding: identity', 'Transfer-Encoding: xchunked']);
    return { bytes: http1(ctx, { method: 'POST', target: '/api/v1/apps', headers: [JSONCT, te], body }), fin: true, note: `${te} ${JSON.stringify(body.slice(0, 30))}` };
  }],

  'malformed JSON': [4, (r, ctx) => {
    const body = r.val([
      '{"a":', '{a:1}', "{'a':1}", '{"a":1,}', 'nul', '{"a":"\\x"}', '{"a":1e999999}', '{"a":"a\\u0000b"}', '{"a":"\\ud800"}', '\xef\xbb\xbf{}',
      '{"note":"\xc3\x28"}', '{"note":"\xc0\xaf"}', '{"note":"\xe0\x80\xaf"}', '{"note":"\xf8\x88\x80\x80\x80"}', '{"note":"\xed\xa0\x80"}', '{"note":"a\x00b"}',
      () => BIG.longString, '{"a":1,"a":2}', () => BIG.manyKeys, () => BIG.longArray, '', ' ', '{"status":"\\uDFFF\\uD800"}', '{"status":null,"media_ids":null}',
    ]);
    const t = r.pick([
      ['POST', '/api/v1/apps', false], ['PATCH', '/api/v1/accounts/update_credentials', true], ['POST', '/api/v1/statuses', true], ['POST', '/oauth/token', false],
      ['POST', '/api/v1/markers', true], ['PUT', `/api/v1/statuses/${ctx.statusId}`, true], ['PUT', `/api/v1/media/${ctx.mediaId}`, true],
    ]);
    const headers = [r.pick([JSONCT, 'Content-Type: application/json; charset=utf-8', 'Content-Type: APPLICATION/JSON'])];
    if (t[2]) headers.push(auth(ctx.user.token));
    return { bytes: http1(ctx, { method: t[0], target: t[1], headers, body }) };
  }],

  'malformed form': [3, (r, ctx) => {
    const body = r.val([
      'a=%', 'a=%G0', 'a=%0', '%00=%00', () => `a=${'%FF'.repeat(1000)}`, () => BIG.manyParams, () => BIG.longKey,
      'client_name[][][]=x', '=&=&=', '&&&&', 'a=1;b=2', 'client_name=x&redirect_uris=urn%3Aietf%00', 'note=%C0%AF%ED%A0%80', 'fields_attributes[99999999999999999999][name]=x',
      'fields_attributes[-1][name]=x', `source[${'['.repeat(1000)}]=x`, 'grant_type=password&username=%00&password=%00',
    ]);
    const t = r.pick([['POST', '/api/v1/apps', false], ['POST', '/oauth/token', false], ['PATCH', '/api/v1/accounts/update_credentials', true], ['POST', '/oauth/revoke', false], ['POST', '/auth/sign_up', false]]);
    const headers = [FORMCT];
    if (t[2]) headers.push(auth(ctx.user.token));
    return { bytes: http1(ctx, { method: t[0], target: t[1], headers, body }) };
  }],

  'odd headers': [3, (r, ctx) => {
    const v = r.pick([
      () => ({ bytes: http1(ctx, { method: 'POST', target: '/api/v1/apps', headers: [`Content-Type: application/json; charset=${'x'.repeat(5000)}`], body: '{}' }) }),
      () => ({ bytes: http1(ctx, { target: '/api/v1/instance', headers: [`Accept-Language: en;q=0.${'9'.repeat(2000)}, ${'ar,'.repeat(500)}`] }) }),
      () => ({ bytes: http1(ctx, { target: ctx.mediaPath, headers: ['Accept: image/webp;q=1e999, */*;q=-1'] }) }),
      () => ({ bytes: http1(ctx, { target: ctx.mediaPath, headers: [r.pick(['Range: bytes=99999999999999999999-1', 'Range: bytes=-0', `Range: bytes=${'0-0,'.repeat(1000)}0-0`, 'Range: bytes=5-1', 'Range: lines=1-2'])] }) }),
      () => ({ bytes: http1(ctx, { target: ctx.mediaPath, headers: [`If-None-Match: "${'a'.repeat(10000)}"`, 'If-Modified-Since: yesterday'] }) }),
      () => ({ bytes: http1(ctx, { target: '/api/v1/instance', headers: [`X-Forwarded-For: ${'1.2.3.4, '.repeat(2000)}::1`, 'X-Forwarded-Proto: gopher'] }) }),
      () => ({ bytes: http1(ctx, { method: 'POST', target: '/api/v1/apps', headers: [JSONCT, 'Expect: 100-continue'], body: '{}' }) }),
      () => ({ bytes: http1(ctx, { method: 'POST', target: '/api/v1/apps', headers: [JSONCT, 'Expect: teapot'], body: '{}' }) }),
      () => ({ bytes: http1(ctx, { method: 'POST', target: '/api/v1/apps', headers: [JSONCT, 'Content-Encoding: gzip'], body: r.bytes(100) }) }),
      () => ({ bytes: http1(ctx, { headers: [r.pick(['Connection: garbage', 'Connection: keep-alive, close, upgrade', 'Connection: close\x00'])] }) }),
      () => ({ bytes: http1(ctx, { target: '/api/v1/instance', headers: [`Origin: https://${'o'.repeat(8000)}.example`, `Referer: ${'r'.repeat(8000)}`] }) }),
      () => ({ bytes: http1(ctx, { target: '/', headers: ['Accept-Encoding: gzip;q=nan, br;q=1e400', 'Accept: */*;q=0'] }) }),
      () => ({ bytes: http1(ctx, { target: '/api/v1/instance', headers: ['Content-Length: 5'], body: undefined }), fin: true }),
    ]);
    return v();
  }],
};

const KIND_NAMES = Object.keys(KINDS);
// The warm-up's kinds: those the server never holds open after the client
// has gone (measured), so the baseline need not wait for its idle timeout.
const WARM_KINDS = ['valid', '64 KB header', '10,000 headers', '100,000-deep JSON', 'huge numbers in JSON', 'wrong method', 'bad or forged token', 'oversized body', 'malformed multipart', 'malformed form', 'malformed JSON', 'CL+TE smuggling'];
const WEIGHT_SUM = KIND_NAMES.reduce((s, k) => s + KINDS[k][0], 0);

/** The case with index i of a run: its kind is drawn by weight, then its bytes. */
function nextCase(r, ctx, i) {
  let x = r.next() * WEIGHT_SUM;
  let kind = KIND_NAMES[KIND_NAMES.length - 1];
  for (const k of KIND_NAMES) {
    x -= KINDS[k][0];
    if (x < 0) {
      kind = k;
      break;
    }
  }
  const c = KINDS[kind][1](r, ctx);
  return { i, kind, fin: false, head: false, expect: 1, wait: null, closeWithinMs: 0, allow5xx: [], ...c };
}

// ------------------------------------------------------------ raw client

/**
 * Parses the HTTP responses in `buf`. Returns {statuses, complete}: the
 * final statuses seen (1xx skipped) and how many responses are complete.
 */
function parseResponses(buf, head) {
  const statuses = [];
  let complete = 0;
  let off = 0;
  for (;;) {
    const he = buf.indexOf('\r\n\r\n', off, 'latin1');
    if (he < 0) break;
    const hdr = buf.toString('latin1', off, he);
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(hdr);
    if (!m) break;
    const st = Number(m[1]);
    const bodyStart = he + 4;
    if (st >= 100 && st < 200) {
      off = bodyStart;
      continue;
    }
    statuses.push(st);
    let end;
    const cl = /\r\ncontent-length:\s*(\d+)/i.exec(hdr);
    if (head || st === 204 || st === 304) end = bodyStart;
    else if (cl) end = bodyStart + Number(cl[1]);
    else if (/\r\ntransfer-encoding:\s*chunked/i.test(hdr)) {
      const z = buf.indexOf('0\r\n\r\n', bodyStart, 'latin1');
      end = z < 0 ? Infinity : z + 5;
    } else end = Infinity; // delimited by close
    if (end > buf.length) break;
    complete++;
    off = end;
  }
  return { statuses, complete };
}

/**
 * Sends one case on a fresh connection. Resolves with {how, statuses,
 * error, ms, text, buf}: how is 'client' (we hung up after the expected
 * responses), 'server' (closed by the server), 'reset', 'kept-open' (the
 * server did not close within closeWithinMs), or, when nothing happened
 * within promptMs, {how: 'lingering', final} where `final` resolves later
 * to 'server-timeout' (the server closed it around its idle timeout) or
 * 'timeout' (still open lingerMs after the last byte: never closed).
 */
function shoot(port, c, promptMs, lingerMs, timeoutS) {
  return new Promise((resolvePrompt) => {
    let resolveFinal = null;
    let resolve = resolvePrompt;
    const t0 = performance.now();
    // from 127.0.0.2-9: libmicrohttpd allows 1,024 connections per address,
    // and the parked ones plus those the server holds after the client left
    // come near that; /healthz, the slow loris and the setup use 127.0.0.1
    const sock = net.connect({ port, host: '127.0.0.1', localAddress: `127.0.0.${2 + (c.i % 8)}` });
    const got = [];
    let done = false;
    let error = null;
    let closeTimer = null;
    let lastWrite = t0;
    let timer = null;
    const finish = (how) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(closeTimer);
      sock.destroy();
      const buf = Buffer.concat(got);
      const p = parseResponses(buf, c.head);
      const ms = performance.now() - t0;
      if (how === 'server' && resolveFinal && performance.now() - lastWrite >= (timeoutS - 2) * 1000) how = 'server-timeout';
      resolve({ how, statuses: p.statuses, error, ms, idleMs: performance.now() - lastWrite, text: buf.toString('latin1', 0, Math.min(buf.length, 4096)), buf });
    };
    timer = setTimeout(() => {
      // Neither answered nor closed in time: let the worker go on, and keep
      // waiting here for the server's own timeout.
      const final = new Promise((r) => (resolveFinal = r));
      resolve = resolveFinal;
      timer = setTimeout(() => finish('timeout'), Math.max(0, lingerMs - (performance.now() - lastWrite)));
      resolvePrompt({ how: 'lingering', final });
    }, promptMs);
    sock.on('data', (d) => {
      got.push(d);
      if (c.wait === 'close' || closeTimer) return;
      const p = parseResponses(Buffer.concat(got), c.head);
      if (p.complete >= c.expect) {
        if (c.closeWithinMs) closeTimer = setTimeout(() => finish('kept-open'), c.closeWithinMs);
        else finish('client');
      }
    });
    sock.on('end', () => finish(error ? 'reset' : 'server'));
    sock.on('close', () => finish(error ? 'reset' : 'server'));
    sock.on('error', (e) => {
      error = e.code ?? String(e);
    });
    sock.on('connect', () => {
      sock.setNoDelay(true);
      sock.write(c.bytes, () => (lastWrite = performance.now()));
      if (c.fin) sock.end();
    });
  });
}

const FILE_LEAK = /root:x:0:0|SQLite format 3|project\('pinhole'/;

/** Tallies outcomes and records violations (with what reproduces them). */
class Tally {
  constructor(label) {
    this.label = label;
    this.sent = 0;
    this.answered = 0;
    this.closed = 0;
    this.heldToTimeout = 0; // no answer (or no close) until the server's idle timeout closed it
    this.heldExamples = [];
    this.classes = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
    this.byStatus = {};
    this.byKind = {};
    this.violations = [];
    this.maxMs = 0;
  }

  add(c, res) {
    this.sent++;
    this.maxMs = Math.max(this.maxMs, res.ms);
    const k = (this.byKind[c.kind] ??= { n: 0, answered: 0, closed: 0, held: 0, statuses: {} });
    k.n++;
    const bad = (why) => this.violations.push(`${this.label} #${c.i} (${c.kind}${c.note ? `: ${c.note}` : ''}): ${why}; sent ${JSON.stringify(c.bytes.toString('latin1', 0, 160))}${c.bytes.length > 160 ? `... (${c.bytes.length} bytes)` : ''}; got ${JSON.stringify(res.text.slice(0, 300))}`);
    if (res.statuses.length) {
      this.answered++;
      k.answered++;
    } else if (res.how !== 'timeout') {
      this.closed++;
      k.closed++;
    }
    for (const s of res.statuses) {
      this.classes[`${Math.floor(s / 100)}xx`]++;
      this.byStatus[s] = (this.byStatus[s] ?? 0) + 1;
      k.statuses[s] = (k.statuses[s] ?? 0) + 1;
      if (s >= 500 && s !== 503 && !c.allow5xx.includes(s)) bad(`status ${s}`);
    }
    if (res.error === 'ECONNREFUSED') bad('connection refused: is the server dead?');
    if (res.how === 'timeout') bad(`${res.statuses.length ? `answered ${res.statuses} but` : 'neither answered nor'} closed ${Math.round(res.idleMs / 1000)} s after the last byte sent: the server's timeout did not close it`);
    if (res.how === 'server-timeout') {
      this.heldToTimeout++;
      k.held++;
      if (this.heldExamples.length < 12) this.heldExamples.push(`#${c.i} ${c.kind}: ${res.statuses.length ? `answered ${res.statuses}, then` : 'no answer,'} closed after ${(res.idleMs / 1000).toFixed(1)} s idle; sent ${JSON.stringify(c.bytes.toString('latin1', 0, 100))}${c.bytes.length > 100 ? `... (${c.bytes.length} bytes)` : ''}${c.fin ? ' + FIN' : ''}`);
    }
    if (c.smuggle && res.statuses.length > 1) bad(`the bytes after the body were answered as another request (statuses ${res.statuses})`);
    if (c.smuggle && res.how === 'kept-open') bad(`connection kept open after an ambiguous framing (RFC 9112 6.1/6.3: the server must close it)`);
    if (c.forged && res.statuses.some((s) => s >= 200 && s < 300)) bad(`a forged, revoked or wrong-kind token was accepted (${res.statuses})`);
    if (c.leakCheck && FILE_LEAK.test(res.buf.toString('latin1'))) bad('served a file from outside the web folder');
  }

  lines() {
    const out = [`hostile ${this.label}: ${this.sent} requests sent, ${this.answered} answered (${Object.entries(this.classes).map(([k, v]) => `${k} ${v}`).join(', ')}), ${this.closed} closed without an answer; ${this.heldToTimeout} of them held until the server's idle timeout closed them`];
    out.push(`hostile ${this.label} statuses: ${JSON.stringify(this.byStatus)}`);
    return out;
  }

  kindLines() {
    return Object.entries(this.byKind).map(([k, v]) => `hostile   ${k}: ${v.n} sent, ${v.answered} answered ${JSON.stringify(v.statuses)}, ${v.closed} closed${v.held ? ` (${v.held} only by the idle timeout)` : ''}`);
  }
}

/**
 * Sends `count` cases on CONCURRENCY sockets at once. A case that is neither
 * answered nor closed within promptMs stops counting against the
 * concurrency and waits on its own for the server's timeout; `lingering`
 * resolves when the last of those is settled.
 */
async function flood(port, ctx, { seed, count, label, promptMs, lingerMs, timeoutS, kinds = null }) {
  const r = prng(seed);
  const tally = new Tally(label);
  const lingering = [];
  let parked = 0;
  let peakParked = 0;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      let c = nextCase(r, ctx, next++);
      while (kinds && !kinds.includes(c.kind)) c = nextCase(r, ctx, c.i);
      const res = await shoot(port, c, promptMs, lingerMs, timeoutS);
      if (res.how === 'lingering') {
        peakParked = Math.max(peakParked, ++parked);
        lingering.push(res.final.then((f) => {
          parked--;
          tally.add(c, f);
        }));
      }
      else tally.add(c, res);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { tally, lingering: Promise.all(lingering), lingeringCount: () => lingering.length, peakParked: () => peakParked };
}

// ---------------------------------------------------------- slow loris

/**
 * One slow connection. 'headers' and 'body' trickle one byte every 2-5 s
 * and are completed at the end (an answer is then required); 'silent-headers'
 * and 'silent-body' send half a request and then nothing, so the server's
 * idle timeout must close them.
 */
class Slow {
  constructor(port, ctx, kind, r) {
    this.kind = kind;
    this.r = r;
    this.port = port;
    this.got = [];
    this.openedAt = 0;
    this.lastByteAt = 0;
    this.closedAt = 0;
    this.closedByServer = false;
    this.completed = false;
    this.error = null;
    this.timer = null;
    this.bytes = 0;
    if (kind === 'headers' || kind === 'silent-headers') {
      this.prefix = `GET /healthz HTTP/1.1\r\nHost: ${ctx.host}\r\nConnection: close\r\nX-Slow: `;
      this.rest = '\r\n\r\n';
      this.trickleByte = () => 'a';
    } else {
      const tail = '{"client_name":"slow-loris"}';
      const body = ' '.repeat(400 - tail.length) + tail; // leading whitespace is valid JSON
      this.prefix = `POST /api/v1/apps HTTP/1.1\r\nHost: ${ctx.host}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 3)}`;
      this.body = body;
      this.sentBody = 3;
      this.trickleByte = () => this.body[this.sentBody++];
    }
  }

  open() {
    return new Promise((resolve) => {
      this.sock = net.connect({ port: this.port, host: '127.0.0.1' });
      this.sock.on('connect', () => {
        this.sock.setNoDelay(true);
        this.openedAt = this.lastByteAt = performance.now();
        this.sock.write(this.prefix);
        if (!this.kind.startsWith('silent')) this.schedule();
        resolve();
      });
      this.sock.on('data', (d) => this.got.push(d));
      this.sock.on('error', (e) => {
        this.error = e.code ?? String(e);
        resolve();
      });
      this.sock.on('close', () => {
        this.closedAt = performance.now();
        if (!this.destroyedByUs) this.closedByServer = true;
        clearTimeout(this.timer);
        this.onClose?.();
      });
    });
  }

  get open_() {
    return this.sock && !this.closedAt;
  }

  schedule() {
    this.timer = setTimeout(() => {
      if (!this.open_ || this.completed) return;
      this.sock.write(this.trickleByte());
      this.bytes++;
      this.lastByteAt = performance.now();
      this.schedule();
    }, this.r.int(2000, 5000));
  }

  /** Sends the rest of the request; resolves with the statuses once the server closes (or after ms). */
  complete(ms) {
    clearTimeout(this.timer);
    this.completed = true;
    return new Promise((resolve) => {
      const done = () => resolve(parseResponses(Buffer.concat(this.got), false).statuses);
      if (!this.open_) return done();
      const t = setTimeout(() => {
        this.destroy();
        done();
      }, ms);
      this.onClose = () => {
        clearTimeout(t);
        done();
      };
      this.sock.write(this.body ? this.body.slice(this.sentBody) : this.rest);
    });
  }

  destroy() {
    clearTimeout(this.timer);
    this.destroyedByUs = true;
    this.sock?.destroy();
  }
}

/**
 * Opens n connections at once, each with half a request, then completes
 * them all: the server's high-water mark of simultaneous connections
 * (a connection memory pool each) is reached before the baseline, as the
 * flood will reach it with its slow-loris and parked connections.
 * Resolves with the number answered.
 */
async function connectionBurst(port, ctx, n) {
  const socks = [];
  for (let i = 0; i < n; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, () => new Promise((res) => {
        const s = net.connect({ port, host: '127.0.0.1' });
        s.got = [];
        s.on('data', (d) => s.got.push(d));
        s.on('error', () => res());
        s.on('connect', () => {
          s.write(`GET /healthz HTTP/1.1\r\nHost: ${ctx.host}\r\nConnection: close\r\nX-Warm: ${'w'.repeat(200)}`);
          socks.push(s);
          res();
        });
      })),
    );
  }
  await sleep(500);
  const answered = await Promise.all(
    socks.map((s) => new Promise((res) => {
      const t = setTimeout(() => {
        s.destroy();
        res(false);
      }, 15000);
      s.on('close', () => {
        clearTimeout(t);
        res(Buffer.concat(s.got).toString('latin1').startsWith('HTTP/1.1 200'));
      });
      s.write('\r\n\r\n');
    })),
  );
  return answered.filter(Boolean).length;
}

// ------------------------------------------------------------- /proc

function procStats(pid) {
  const fds = readdirSync(`/proc/${pid}/fd`).length;
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
  return { fds, rss };
}

/** What the process's descriptors point at, counted: {"socket": 3, "pinhole.db-wal": 8, ...}. */
function fdKinds(pid) {
  const out = {};
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let l;
    try {
      l = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    const k = l.replace(/:\[\d+\]$/, '').replace(/^.*\//, '');
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/**
 * Waits (at most maxMs) until the process holds no more sockets than
 * `sockets` (its listening socket and the like: every connection is gone,
 * including those the server itself keeps until its idle timeout) and its
 * fd count is the same on three samples 200 ms apart.
 */
async function settledStats(pid, { maxMs = 10000, sockets = Infinity } = {}) {
  const deadline = Date.now() + maxMs;
  let prev = [];
  for (;;) {
    const s = procStats(pid);
    prev.push(s.fds);
    prev = prev.slice(-3);
    const stable = prev.length === 3 && prev[0] === prev[1] && prev[1] === prev[2];
    if ((stable && (fdKinds(pid).socket ?? 0) <= sockets) || Date.now() > deadline) return { ...s, sockets: fdKinds(pid).socket ?? 0 };
    await sleep(200);
  }
}

const isAsan = (pid) => readFileSync(`/proc/${pid}/maps`, 'utf8').includes('libasan');

function asanQuarantineMb() {
  const m = /quarantine_size_mb=(\d+)/.exec(process.env.ASAN_OPTIONS ?? '');
  return m ? Number(m[1]) : 256; // ASan's default on 64-bit Linux
}

// ------------------------------------------------------- broken variants

const SHIM = `
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
static atomic_long n;
static void *volatile sink; /* so that the compiler keeps the allocation */
static void leak(void) {
    long k = atomic_fetch_add(&n, 1);
    const char *mode = getenv("HOSTILE_SHIM");
    if (mode && !strcmp(mode, "fdleak") && k % 50 == 0) open("/dev/null", O_RDONLY); /* never closed */
    if (mode && !strcmp(mode, "memleak")) { char *p = malloc(4096); if (p) memset(p, 1, 4096); sink = p; } /* never freed */
}
int accept4(int fd, struct sockaddr *a, socklen_t *l, int flags) {
    static int (*real)(int, struct sockaddr *, socklen_t *, int);
    if (!real) real = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
    int c = real(fd, a, l, flags);
    if (c >= 0) leak();
    return c;
}
int accept(int fd, struct sockaddr *a, socklen_t *l) {
    static int (*real)(int, struct sockaddr *, socklen_t *);
    if (!real) real = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
    int c = real(fd, a, l);
    if (c >= 0) leak();
    return c;
}
`;

async function shimEnv(dir) {
  if (!BREAK) return {};
  const src = join(dir, 'leakshim.c');
  const so = join(dir, 'leakshim.so');
  writeFileSync(src, SHIM);
  const r = await run('cc', ['-shared', '-fPIC', '-O1', '-o', so, src, '-ldl']);
  if (r.code !== 0) throw new Error(`cc leakshim: ${r.stderr}`);
  return { LD_PRELOAD: so, HOSTILE_SHIM: BREAK };
}

// ------------------------------------------------------------------ test

test(`hostile flood: ${REQUESTS} malformed requests on ${CONCURRENCY} sockets while ${SLOW_TOTAL} slow-loris connections are held`, { timeout: 240000 }, async (t) => {
  const T0 = performance.now();
  const secs = () => ((performance.now() - T0) / 1000).toFixed(1);
  const dataDir = await tempDir('flood');
  const bin = await stableBinary(BIN);

  // The connection timeout: libmicrohttpd's idle timeout, 30 s unless the
  // server has a setting for it (then 5 s, to keep the test short).
  const help = execFileSync(bin, ['serve', '--help'], { encoding: 'utf8' });
  const timeoutKey = /\bconn(ection)?_timeout_s\b/.exec(help)?.[0];
  const CONN_TIMEOUT_S = timeoutKey ? 5 : 30;
  const set = timeoutKey ? { [timeoutKey]: String(CONN_TIMEOUT_S) } : {};

  const env = { ...(await shimEnv(dataDir)) };
  if (!process.env.LSAN_OPTIONS) env.LSAN_OPTIONS = `suppressions=${join(REPO_ROOT, 'tests', 'lsan.supp')}:print_suppressions=0`;
  const srv = new Server({ dataDir, bin, set, env: { ...process.env, ...env } });
  await srv.start();
  const pid = srv.proc.pid;
  const asan = isAsan(pid);
  // A request neither answered nor closed within promptMs waits on its own
  // (not holding one of the 32 sockets) until the server's idle timeout
  // closes it; still open CONN_TIMEOUT_S + 15 s after its last byte, it fails.
  const promptMs = 500;
  const lingerMs = (CONN_TIMEOUT_S + 15) * 1000;
  const port = srv.port;
  t.diagnostic(`hostile seed ${SEED} (HOSTILE_SEED reproduces a run), pid ${pid}, ${asan ? 'ASan build' : 'normal build'}, connection timeout ${CONN_TIMEOUT_S} s (${timeoutKey ? `--set ${timeoutKey}` : 'libmicrohttpd idle timeout, not configurable'})${BREAK ? `, BROKEN VARIANT: ${BREAK}` : ''}`);

  const failures = [];
  try {
    // -- accounts and objects the generator refers to
    const app = await createApp(srv.url);
    const appTok = await appToken(srv.url, app);
    const user = await register(srv.url, appTok, 'flood');
    const victim = await register(srv.url, appTok, 'revoked');
    const rv = await request(srv.url, 'POST', '/oauth/revoke', { form: { client_id: app.client_id, client_secret: app.client_secret, token: victim.token } });
    assert.equal(rv.status, 200, `revoke: ${rv.text}`);
    const leaver = await register(srv.url, appTok, 'signedout');
    const second = await passwordGrant(srv.url, app, leaver.username, leaver.password);
    assert.equal(second.status, 200, second.text);
    const so = await request(srv.url, 'POST', '/api/v1/pinhole/account/sign_out_everywhere', { token: leaver.token });
    assert.ok(so.status < 300, `sign_out_everywhere: ${so.status} ${so.text}`);
    for (const tok of [victim.token, leaver.token, second.json.access_token]) {
      const r = await request(srv.url, 'GET', '/api/v1/accounts/verify_credentials', { token: tok });
      assert.equal(r.status, 401, `a revoked or signed-out token must be refused before the flood: ${r.status}`);
    }
    const media = await uploadMedia(srv.url, user.token, photo('sunset-600.jpg'));
    assert.equal(media.status, 200, media.text);
    const st = await request(srv.url, 'POST', '/api/v1/statuses', { token: user.token, form: [['status', 'flood target #flood'], ['media_ids[]', media.json.id]] });
    assert.equal(st.status, 200, st.text);
    const mediaPath = new URL(media.json.url).pathname;
    const ctx = {
      host: `127.0.0.1:${port}`,
      app,
      appTok,
      user,
      revoked: victim.token,
      signedOut: second.json.access_token,
      statusId: st.json.id,
      mediaId: media.json.id,
      mediaPath,
      mediaToken: mediaPath.split('/')[2],
    };

    // sockets of an idle server (the listening socket...): every fd count
    // below waits for the connections to be gone down to this
    const idleSockets = (await settledStats(pid)).sockets;

    // -- warm-up: the same mix, another seed, so that every thread has its
    // database connection and the allocator its arenas before the baseline
    // (the kinds that the server may leave unanswered until its idle timeout
    // are left out, so that the baseline need not wait for them)
    let warmPeakRss = 0;
    const warmSampler = setInterval(() => (warmPeakRss = Math.max(warmPeakRss, procStats(pid).rss)), 100);
    const warmRun = await flood(port, ctx, { seed: SEED ^ 0x5a5a5a5a, count: WARMUP, label: 'warm-up', promptMs, lingerMs, timeoutS: CONN_TIMEOUT_S, kinds: WARM_KINDS });
    if (warmRun.lingeringCount()) t.diagnostic(`hostile warm-up: ${warmRun.lingeringCount()} requests not settled within ${promptMs} ms, waited for`);
    await warmRun.lingering;
    const warm = warmRun.tally;
    failures.push(...warm.violations);
    const burst = await connectionBurst(port, ctx, WARM_BURST);
    const before = await settledStats(pid, { maxMs: (CONN_TIMEOUT_S + 5) * 1000, sockets: idleSockets });
    if (before.sockets > idleSockets) failures.push(`after the warm-up the server still holds ${before.sockets - idleSockets} connections ${CONN_TIMEOUT_S + 5} s later`);
    clearInterval(warmSampler);
    const beforeKinds = fdKinds(pid);
    // The memory baseline is the warm-up's high-water mark: glibc gives
    // memory back to the system or not depending on fragmentation, so the
    // settled value after the warm-up wanders by 10 MB from run to run.
    before.rssSettled = before.rss;
    before.rss = Math.max(warmPeakRss, before.rss);
    t.diagnostic(`hostile warm-up: ${warm.sent} requests and ${WARM_BURST} connections at once (${burst} answered), done at ${secs()} s; baseline ${before.fds} fds ${JSON.stringify(beforeKinds)}, RSS ${before.rss.toFixed(1)} MB at the peak, ${before.rssSettled.toFixed(1)} MB settled`);

    // -- slow loris: 200 connections, opened over about a second
    const sr = prng(SEED ^ 0x10a15);
    const slow = [];
    for (let i = 0; i < SLOW_TRICKLE_HEADERS; i++) slow.push(new Slow(port, ctx, 'headers', sr));
    for (let i = 0; i < SLOW_TRICKLE_BODIES; i++) slow.push(new Slow(port, ctx, 'body', sr));
    for (let i = 0; i < SLOW_SILENT; i++) slow.push(new Slow(port, ctx, i % 2 ? 'silent-body' : 'silent-headers', sr));
    for (let i = 0; i < slow.length; i += 20) {
      await Promise.all(slow.slice(i, i + 20).map((s) => s.open()));
      await sleep(100);
    }
    const slowOpened = slow.filter((s) => s.openedAt && !s.error).length;

    // -- health and resource monitor during the flood
    let monitoring = true;
    const health = { ok: 0, bad: [], maxMs: 0 };
    let peak = { fds: 0, rss: 0 };
    const monitor = (async () => {
      while (monitoring) {
        const h0 = performance.now();
        try {
          const r = await request(srv.url, 'GET', '/healthz', { timeoutMs: asan ? 10000 : 5000 });
          if (r.status === 200) health.ok++;
          else health.bad.push(`/healthz ${r.status} at ${secs()} s`);
        } catch (e) {
          health.bad.push(`/healthz ${e.message} at ${secs()} s`);
        }
        health.maxMs = Math.max(health.maxMs, performance.now() - h0);
        if (srv.alive()) {
          const s = procStats(pid);
          peak = { fds: Math.max(peak.fds, s.fds), rss: Math.max(peak.rss, s.rss) };
        }
        await sleep(250);
      }
    })();

    // -- the flood
    const f0 = performance.now();
    const mainRun = await flood(port, ctx, { seed: SEED, count: REQUESTS, label: 'flood', promptMs, lingerMs, timeoutS: CONN_TIMEOUT_S });
    const floodS = (performance.now() - f0) / 1000;
    const held = slow.filter((s) => !s.kind.startsWith('silent') && s.open_).length;
    const lingered = mainRun.lingeringCount();
    await mainRun.lingering;
    const main = mainRun.tally;
    failures.push(...main.violations);

    // -- the silent ones must be closed by the server's timeout
    const silent = slow.filter((s) => s.kind.startsWith('silent'));
    const waitUntil = Math.max(...silent.map((s) => s.lastByteAt)) + (CONN_TIMEOUT_S + 15) * 1000;
    while (silent.some((s) => s.open_) && performance.now() < waitUntil) await sleep(250);
    const silentIdle = silent.filter((s) => s.closedAt).map((s) => (s.closedAt - s.lastByteAt) / 1000);
    for (const s of silent.filter((x) => x.open_)) failures.push(`slow loris (${s.kind}): still open ${((performance.now() - s.lastByteAt) / 1000).toFixed(0)} s after its last byte; the server's ${CONN_TIMEOUT_S} s timeout did not close it`);
    for (const s of silent.filter((x) => x.closedAt && (x.closedAt - x.lastByteAt) / 1000 > CONN_TIMEOUT_S + 15)) failures.push(`slow loris (${s.kind}): closed only ${((s.closedAt - s.lastByteAt) / 1000).toFixed(0)} s after its last byte`);
    for (const s of silent) {
      for (const st of parseResponses(Buffer.concat(s.got), false).statuses) if (st >= 500 && st !== 503) failures.push(`slow loris (${s.kind}): status ${st}`);
    }

    // -- the trickling ones, held all along, are completed and must be answered
    const trickle = slow.filter((s) => !s.kind.startsWith('silent'));
    const heldS = trickle.filter((s) => s.open_).map((s) => (performance.now() - s.openedAt) / 1000);
    const trickled = trickle.reduce((n, s) => n + s.bytes, 0);
    const droppedEarly = trickle.filter((s) => !s.open_).length;
    const answers = await Promise.all(trickle.map(async (s) => ({ s, statuses: await s.complete(asan ? 30000 : 15000) })));
    const slowClasses = {};
    for (const { s, statuses } of answers) {
      for (const st of statuses) {
        slowClasses[st] = (slowClasses[st] ?? 0) + 1;
        if (st >= 500 && st !== 503) failures.push(`slow loris (${s.kind}) completed: status ${st}`);
      }
      if (!statuses.length && !s.closedByServer) failures.push(`slow loris (${s.kind}): completed but neither answered nor closed`);
    }
    monitoring = false;
    await monitor;
    for (const s of slow) s.destroy();

    // -- after: same process, healthy, fds and memory back near the baseline
    const alive = srv.alive() && srv.proc?.pid === pid;
    const hz = alive ? await request(srv.url, 'GET', '/healthz', { timeoutMs: 5000 }).catch((e) => ({ status: e.message })) : { status: 'dead' };
    const stillThere = alive ? await request(srv.url, 'GET', `/api/v1/statuses/${ctx.statusId}`, { timeoutMs: 5000 }).catch(() => ({ status: 0 })) : { status: 0 };
    const rssMargin = RSS_MARGIN_MB + (asan ? asanQuarantineMb() : 0);
    const afterS = alive ? await settledStats(pid, { maxMs: (CONN_TIMEOUT_S + 5) * 1000, sockets: idleSockets }) : { fds: NaN, rss: NaN, sockets: NaN };
    if (afterS.sockets > idleSockets) failures.push(`the server still holds ${afterS.sockets - idleSockets} connections ${CONN_TIMEOUT_S + 5} s after the last request: never closed`);

    for (const l of main.lines()) t.diagnostic(l);
    for (const l of main.kindLines()) t.diagnostic(l);
    for (const l of main.heldExamples) t.diagnostic(`hostile   held until the timeout: ${l}`);
    t.diagnostic(`hostile flood took ${floodS.toFixed(1)} s (${Math.round(main.sent / floodS)} requests/s; ${lingered} requests not settled within ${promptMs} ms were parked off the ${CONCURRENCY} sockets, at most ${mainRun.peakParked()} at once), warm-up ${warm.sent} more requests (${warm.answered} answered, ${warm.closed} closed)`);
    t.diagnostic(`hostile slow-loris: ${slowOpened} of ${SLOW_TOTAL} opened; ${held} trickling connections held through the flood (${trickled} bytes trickled, ${heldS.length ? `${Math.min(...heldS).toFixed(0)}-${Math.max(...heldS).toFixed(0)} s each` : 'none'}, ${droppedEarly} closed early by the server), answers when completed ${JSON.stringify(slowClasses)}`);
    t.diagnostic(`hostile slow-loris: ${silentIdle.length} of ${silent.length} silent connections closed by the server ${silentIdle.length ? `${Math.min(...silentIdle).toFixed(1)}-${Math.max(...silentIdle).toFixed(1)} s after their last byte` : ''}`);
    t.diagnostic(`hostile /healthz during the flood: ${health.ok} answered 200, ${health.bad.length} failed, slowest ${Math.round(health.maxMs)} ms; after: ${hz.status}`);
    t.diagnostic(`hostile fds: baseline ${before.fds}, peak ${peak.fds}, after ${afterS.fds} (allowed ${before.fds + FD_MARGIN}) ${alive ? JSON.stringify(fdKinds(pid)) : ''}`);
    t.diagnostic(`hostile RSS: baseline ${before.rss.toFixed(1)} MB (the warm-up's peak; ${before.rssSettled.toFixed(1)} MB settled), peak during the flood ${peak.rss.toFixed(1)} MB, after ${afterS.rss.toFixed(1)} MB (allowed ${(before.rss + rssMargin).toFixed(1)} MB${asan ? `: ${RSS_MARGIN_MB} MB plus ASan's ${asanQuarantineMb()} MB quarantine` : ''})`);

    if (!alive) failures.push(`the server process ${pid} died: ${JSON.stringify(srv.exit)}`);
    if (hz.status !== 200) failures.push(`/healthz after the flood: ${hz.status}`);
    if (stillThere.status !== 200) failures.push(`the target post is gone after the flood (forged tokens tried to delete it): ${stillThere.status}`);
    failures.push(...health.bad.slice(0, 20));
    if (slowOpened !== SLOW_TOTAL) failures.push(`only ${slowOpened} of ${SLOW_TOTAL} slow-loris connections were accepted`);
    if (afterS.fds > before.fds + FD_MARGIN) failures.push(`file descriptors: ${afterS.fds} after the flood, baseline ${before.fds} (+${FD_MARGIN} allowed): a descriptor leak`);
    if (afterS.rss > before.rss + rssMargin) failures.push(`memory: RSS ${afterS.rss.toFixed(1)} MB after the flood, baseline ${before.rss.toFixed(1)} MB (+${rssMargin} MB allowed)`);
  } finally {
    // With every connection gone nothing is in flight, so SIGTERM must not
    // wait out its grace period for requests that no longer exist.
    const stop0 = performance.now();
    const exit = await srv.stop();
    const stopS = (performance.now() - stop0) / 1000;
    const ghosts = /stopping with (\d+) requests still in flight/.exec(srv.stderr);
    t.diagnostic(`hostile total ${secs()} s; SIGTERM took ${stopS.toFixed(1)} s, server exit ${JSON.stringify(exit)}`);
    if (exit && exit.code !== 0) failures.push(`the server exited with ${JSON.stringify(exit)} on SIGTERM`);
    if (ghosts && failures.every((f) => !f.includes('still holds'))) {
      failures.push(`SIGTERM after the flood logged "stopping with ${ghosts[1]} requests still in flight" (and waited ${stopS.toFixed(1)} s) although no connection was open: ${ghosts[1]} requests were counted in (on_uri) and never out (on_completed); see "Found when it was written" in the header`);
    }
    if (srv.sanitizer) failures.push(`sanitizer report on stderr:\n${srv.tail(6000)}`);
    if (!failures.length && !process.env.PINHOLE_KEEP_DATA) await removeDir(dataDir);
    else t.diagnostic(`hostile data dir ${dataDir}`);
  }
  assert.deepEqual(failures.slice(0, 40), [], `${failures.length} problems; stderr tail:\n${srv.tail(3000)}`);
});
