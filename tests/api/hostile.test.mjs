// Hostile input: malformed HTTP on raw sockets, oversized headers,
// request-smuggling framing, bad paths, bad JSON, wrong content types,
// forged tokens, SQL and HTML in every field. Every hostile request must
// get a 4xx or a closed connection, never a 5xx; afterwards the server
// still answers /healthz and its process is alive (and `after` requires a
// clean exit with no sanitizer report).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import {
  appToken,
  createApp,
  get,
  passwordGrant,
  patch,
  post,
  rawRequest,
  registerUser,
  request,
  show,
  startServer,
  uniqueName,
} from './lib/server.mjs';

let srv, app, user;

before(async () => {
  srv = await startServer({ set: { body_max: 1048576 } });
  app = await createApp(srv, { scopes: 'read write' });
  user = await registerUser(srv, { app, scope: 'read write' });
});
after(async () => {
  await srv?.stop();
});

/**
 * 4xx, or no answer at all; never 2xx/3xx/5xx. With `answer`, an HTTP
 * answer is required. (Junk that holds no request line may be read as
 * blank lines, which HTTP says to ignore: no answer is fine there.)
 */
function assertRefused(r, label, { allow505 = false, answer = false } = {}) {
  for (const s of r.statuses) {
    if (allow505 && s === 505) continue;
    assert.ok(s >= 400 && s < 500, `${label}: got ${s}\n${r.text.slice(0, 400)}`);
  }
  if (answer) assert.ok(r.statuses.length > 0, `${label}: expected a 4xx answer, got none (closed: ${r.closed})`);
}

function assertNot5xx(r, label) {
  assert.ok(r.status < 500, `${label}: ${show(r)}`);
}

describe('malformed HTTP on raw sockets', () => {
  // [payload, an HTTP answer is required]
  const lines = {
    'garbage request line': ['GARBAGE\r\n\r\n', false],
    'no HTTP version': ['GET /healthz\r\n\r\n', true],
    'HTTP/0.9 style': ['GET /\r\n', false],
    'bad version token': ['GET /healthz HTTP/1.x\r\nHost: x\r\n\r\n', true],
    'extra token on the request line': ['GET /healthz HTTP/1.1 extra\r\nHost: x\r\n\r\n', true],
    'binary junk': ['\x00\x01\x02\x03\xff\xfe\r\n\r\n', false],
    'only spaces': ['   \r\n\r\n', false],
    'header line without colon': ['GET /healthz HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n', true],
    'TAB inside the method': ['G\tET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', true],
    '10 kB method': [`${'A'.repeat(10000)} / HTTP/1.1\r\nHost: x\r\n\r\n`, true],
    '100 kB URI': [`GET /${'a'.repeat(100000)} HTTP/1.1\r\nHost: x\r\n\r\n`, true],
    CONNECT: ['CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n', true],
    'unknown method': ['BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n', true],
  };
  for (const [label, [payload, answer]] of Object.entries(lines)) {
    test(`${label}: 4xx or closed`, async () => {
      const r = await rawRequest(srv, Buffer.from(payload, 'latin1'), { endAfterWrite: true, timeoutMs: 2000 });
      assertRefused(r, label, { answer });
    });
  }

  test('an absolute-form request target is accepted and routed by its path (RFC 9112 3.2.2)', async () => {
    const r = await rawRequest(srv, `GET http://${srv.host}/api/v1/instance HTTP/1.1\r\nHost: ${srv.host}\r\nConnection: close\r\n\r\n`, {
      endAfterWrite: true,
      timeoutMs: 2000,
    });
    assert.deepEqual(r.statuses, [200], r.text.slice(0, 300));
    assert.match(r.text, /\r\nContent-Type: application\/json/i, r.text.slice(0, 300));
  });

  test('an unsupported HTTP version: 505 (the RFC answer) or 4xx or closed', async () => {
    const r = await rawRequest(srv, 'GET /healthz HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n', { endAfterWrite: true, timeoutMs: 2000 });
    assertRefused(r, 'HTTP/9.9', { allow505: true });
  });

  test('an HTTP/1.1 request without Host is 400 (RFC 9112 3.2)', async () => {
    const r = await rawRequest(srv, 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n', { endAfterWrite: true, timeoutMs: 2000 });
    assert.deepEqual(r.statuses, [400], r.text.slice(0, 300));
  });

  test('whitespace between a header name and the colon is 400 (RFC 9112 5.1)', async () => {
    const r = await rawRequest(srv, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n', {
      endAfterWrite: true,
      timeoutMs: 2000,
    });
    assert.deepEqual(r.statuses, [400], r.text.slice(0, 300));
  });

  test('a 10 MB header is refused (4xx or closed)', async () => {
    const payload = `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(10 * 1024 * 1024)}\r\n\r\n`;
    const r = await rawRequest(srv, payload, { timeoutMs: 15000 });
    assertRefused(r, '10 MB header');
  });

  test('10,000 headers are refused (4xx or closed)', async () => {
    let payload = 'GET /healthz HTTP/1.1\r\nHost: x\r\n';
    for (let i = 0; i < 10000; i++) payload += `X-H${i}: v\r\n`;
    const r = await rawRequest(srv, `${payload}\r\n`, { timeoutMs: 15000 });
    assertRefused(r, '10,000 headers');
  });

  const smuggled = '0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';
  for (const order of ['CL then TE', 'TE then CL']) {
    test(`Content-Length and Transfer-Encoding together (${order}): no smuggled request, connection closed`, async () => {
      const cl = `Content-Length: ${smuggled.length}\r\n`;
      const te = 'Transfer-Encoding: chunked\r\n';
      const payload =
        `POST /api/v1/apps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `${order === 'CL then TE' ? cl + te : te + cl}\r\n${smuggled}`;
      const r = await rawRequest(srv, payload, { timeoutMs: 1500 });
      assert.ok(r.statuses.length <= 1, `the bytes after the chunked body were answered as a second request: ${JSON.stringify(r.statuses)}`);
      assertRefused(r, order);
      assert.ok(r.closed, 'RFC 9112 6.1: the server MUST close the connection after such a request');
    });
  }

  test('two different Content-Length headers: 400 and the connection closed (RFC 9112 6.3)', async () => {
    const payload =
      'POST /api/v1/apps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
      'Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';
    const r = await rawRequest(srv, payload, { timeoutMs: 1500 });
    assert.deepEqual(r.statuses, [400], r.text.slice(0, 600));
    assert.ok(r.closed);
  });

  for (const [label, cl] of [
    ['non-numeric', 'abc'],
    ['negative', '-1'],
    ['with a sign', '+2'],
    ['hex', '0x2'],
  ]) {
    test(`a ${label} Content-Length is 400`, async () => {
      const r = await rawRequest(srv, `POST /api/v1/apps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${cl}\r\n\r\n{}`, {
        endAfterWrite: true,
        timeoutMs: 2000,
      });
      assertRefused(r, label);
      assert.equal(r.statuses[0], 400, r.text.slice(0, 300));
    });
  }

  test('an enormous Content-Length is 413 without reading the body', async () => {
    const r = await rawRequest(srv, 'POST /api/v1/apps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999999999999999999\r\n\r\n{}', { timeoutMs: 2000 });
    assertRefused(r, 'huge CL');
    assert.equal(r.statuses[0], 413, r.text.slice(0, 300));
  });

  test('an invalid chunk size is 400', async () => {
    const r = await rawRequest(srv, 'POST /api/v1/apps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n', {
      endAfterWrite: true,
      timeoutMs: 2000,
    });
    assertRefused(r, 'bad chunk');
    assert.equal(r.statuses[0], 400);
  });

  test('a chunked body over body_max is 413', async () => {
    const chunk = 'a'.repeat(64 * 1024);
    const chunks = [`POST /api/v1/apps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n`];
    for (let i = 0; i < 20; i++) chunks.push(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    chunks.push('0\r\n\r\n');
    const r = await rawRequest(srv, null, { chunks, timeoutMs: 10000, endAfterWrite: true });
    assertRefused(r, 'chunked over body_max');
    if (r.statuses.length) assert.equal(r.statuses[0], 413);
    else assert.ok(r.closed, 'no answer: the connection must be closed');
  });

  test('a raw NUL byte in the path is 4xx', async () => {
    const r = await rawRequest(srv, Buffer.from('GET /api/v1/accounts/\x00/../lookup?acct=x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 'latin1'), {
      endAfterWrite: true,
      timeoutMs: 2000,
    });
    assertRefused(r, 'raw NUL', { answer: true });
  });
});

describe('bad paths and queries', () => {
  test('%00 in the path is 400', async () => {
    for (const p of ['/api/v1/accounts/%00', '/api/v1/accounts/1%00', '/healthz%00', '/api/v1/accounts/lookup%00']) {
      const r = await get(srv, p);
      assert.equal(r.status, 400, `${p}: ${show(r)}`);
      assert.equal(typeof r.json.error, 'string');
    }
  });

  test('invalid UTF-8 (%C3%28) in the path is 400', async () => {
    for (const p of ['/api/v1/accounts/%C3%28', '/api/v1/%FF', '/api/v1/accounts/%ED%A0%80']) {
      const r = await get(srv, p);
      assert.equal(r.status, 400, `${p}: ${show(r)}`);
    }
  });

  test('NUL and invalid UTF-8 in query values are 4xx', async () => {
    for (const q of ['acct=a%00b', 'acct=%00', 'acct=%C3%28', 'acct=%FF%FE', 'acct[]=x', 'acct=a&acct=b', `acct=${'x'.repeat(8000)}`]) {
      const r = await get(srv, `/api/v1/accounts/lookup?${q}`);
      assert.ok(r.status >= 400 && r.status < 500, `${q}: ${show(r)}`);
    }
  });

  test('path traversal never serves a file from outside: 4xx, or the web app page', async () => {
    for (const p of [
      '/assets/../../../etc/passwd',
      '/assets/..%2F..%2F..%2Fetc%2Fpasswd',
      '/assets/%2e%2e/%2e%2e/etc/passwd',
      '/app/..%2F..%2F..%2Fetc%2Fpasswd',
      '/app/%2e%2e%2f%2e%2e%2fmeson.build',
      '/media/..%2F..%2Fpinhole.db/feed',
      '//api/v1/instance/',
      '/api/v1/instance/..',
      '/..%2F..%2Fetc%2Fpasswd',
    ]) {
      const r = await get(srv, p);
      assert.ok(r.status < 500, `${p}: ${show(r)}`);
      assert.ok(!r.text.includes('root:') && !r.text.includes('SQLite format') && !r.text.includes("project('pinhole'"), `${p}: served a file`);
      if (r.status < 400) assert.match(r.headers['content-type'], /^text\/html/, `${p}: only the web app page may answer 2xx`);
    }
  });
});

describe('bad bodies', () => {
  const writeTargets = () => [
    ['POST', '/api/v1/apps', undefined],
    ['POST', '/oauth/token', undefined],
    ['POST', '/api/v1/accounts', 'app'],
    ['PATCH', '/api/v1/accounts/update_credentials', 'user'],
  ];
  let appTok;
  before(async () => {
    appTok = await appToken(srv, app, 'read write');
  });
  const tokenFor = (kind) => (kind === 'app' ? appTok : kind === 'user' ? user.token : undefined);

  test('malformed JSON is 400 with an error, on every write route', async () => {
    for (const [m, p, kind] of writeTargets()) {
      for (const body of ['{"a":', '{a:1}', "{'a':1}", '{"a":1,}', 'nul', '{"a":"\\x"}', '{"a":1e999999}', '{"a":"a\\u0000b"}']) {
        const r = await request(srv, m, p, { token: tokenFor(kind), body, headers: { 'content-type': 'application/json' } });
        assert.equal(r.status, 400, `${m} ${p} ${body}: ${show(r)}`);
        assert.equal(typeof r.json.error, 'string');
      }
    }
  });

  test('a JSON body that is not an object is 400', async () => {
    for (const [m, p, kind] of writeTargets()) {
      for (const body of ['[1,2]', '[{"client_name":"x"}]', '"string"', '42', 'true', 'null']) {
        const r = await request(srv, m, p, { token: tokenFor(kind), body, headers: { 'content-type': 'application/json' } });
        assert.equal(r.status, 400, `${m} ${p} ${body}: ${show(r)}`);
      }
    }
  });

  test('100,000-deep JSON (arrays and objects) is 400, quickly', async () => {
    const n = 100000;
    for (const body of ['['.repeat(n) + ']'.repeat(n), '{"a":'.repeat(n) + '1' + '}'.repeat(n), `{"note":${'['.repeat(n)}${']'.repeat(n)}}`]) {
      const t0 = Date.now();
      const r = await patch(srv, '/api/v1/accounts/update_credentials', { token: user.token, body, headers: { 'content-type': 'application/json' } });
      assert.equal(r.status, 400, show(r));
      assert.ok(Date.now() - t0 < 10000, 'answered in time');
    }
  });

  test('type-confused JSON values never cause a 5xx', async () => {
    const bodies = [
      { display_name: 123 },
      { display_name: { a: 1 } },
      { display_name: ['a', 'b'] },
      { note: null },
      { locked: 'maybe' },
      { locked: {} },
      { fields_attributes: 'string' },
      { fields_attributes: [1, 2, 3] },
      { fields_attributes: [[{ name: 'x' }]] },
      { fields_attributes: { 99999999999: { name: 'x', value: 'y' } } },
      { source: 'x' },
      { source: { privacy: ['public'] } },
      { display_name: 1.7976931348623157e308 },
      { '': '' },
      { ['k'.repeat(100000)]: 'v' },
    ];
    for (const b of bodies) {
      const r = await patch(srv, '/api/v1/accounts/update_credentials', { token: user.token, json: b });
      assertNot5xx(r, JSON.stringify(b).slice(0, 80));
    }
    for (const b of [{ username: 1, email: true, password: [], agreement: {} }, { username: { x: 1 } }, { username: null, email: null }]) {
      const r = await post(srv, '/api/v1/accounts', { token: appTok, json: b });
      assert.equal(r.status, 422, `${JSON.stringify(b)}: ${show(r)}`);
    }
    for (const b of [{ client_name: ['x'], redirect_uris: [[]] }, { client_name: 'x', redirect_uris: Array(1000).fill('urn:ietf:wg:oauth:2.0:oob') }]) {
      const r = await post(srv, '/api/v1/apps', { json: b });
      assert.equal(r.status, 422, `${JSON.stringify(b).slice(0, 80)}: ${show(r)}`);
    }
    for (const b of [{ grant_type: ['password'] }, { grant_type: 'password', username: {}, password: [] }]) {
      const r = await post(srv, '/oauth/token', { json: { client_id: app.client_id, client_secret: app.client_secret, ...b } });
      assert.ok(r.status >= 400 && r.status < 500, `${JSON.stringify(b)}: ${show(r)}`);
    }
  });

  test('wrong content types with a body are 415', async () => {
    for (const ct of ['text/plain', 'application/xml', 'application/octet-stream', 'image/png', 'application/jsonx', 'text/json']) {
      const r = await patch(srv, '/api/v1/accounts/update_credentials', { token: user.token, body: '{"note":"x"}', headers: { 'content-type': ct } });
      assert.equal(r.status, 415, `${ct}: ${show(r)}`);
      assert.equal(typeof r.json.error, 'string');
    }
    const none = await request(srv, 'POST', '/api/v1/apps', { body: 'client_name=x&redirect_uris=urn:ietf:wg:oauth:2.0:oob' });
    assert.equal(none.status, 415, `no content type: ${show(none)}`);
  });

  test('JSON media type parameters and case are accepted', async () => {
    for (const ct of ['application/json; charset=utf-8', 'Application/JSON', 'application/json;charset=UTF-8']) {
      const r = await patch(srv, '/api/v1/accounts/update_credentials', { token: user.token, body: '{"note":"typed"}', headers: { 'content-type': ct } });
      assert.equal(r.status, 200, `${ct}: ${show(r)}`);
    }
  });

  test('multipart without a boundary or with a broken body is 400', async () => {
    const r = await patch(srv, '/api/v1/accounts/update_credentials', { token: user.token, body: 'abc', headers: { 'content-type': 'multipart/form-data' } });
    assert.equal(r.status, 400, show(r));
    const r2 = await patch(srv, '/api/v1/accounts/update_credentials', {
      token: user.token,
      body: '--B\r\nContent-Disposition: form-data\r\n\r\nvalue-without-name\r\n--B--\r\n',
      headers: { 'content-type': 'multipart/form-data; boundary=B' },
    });
    assert.ok(r2.status >= 400 && r2.status < 500, show(r2));
  });

  test('a body over body_max is 413', async () => {
    const big = JSON.stringify({ client_name: 'x'.repeat(1100000), redirect_uris: 'urn:ietf:wg:oauth:2.0:oob' });
    const r = await post(srv, '/api/v1/apps', { body: big, headers: { 'content-type': 'application/json' } }).catch((e) => ({ status: 0, text: String(e) }));
    if (r.status !== 0) assert.equal(r.status, 413, show(r));
    const form = await post(srv, '/api/v1/apps', { form: { client_name: 'x'.repeat(1100000), redirect_uris: 'urn:ietf:wg:oauth:2.0:oob' } }).catch((e) => ({ status: 0, text: String(e) }));
    if (form.status !== 0) assert.equal(form.status, 413, show(form));
    const tok = await post(srv, '/oauth/token', { form: { grant_type: 'password', username: 'u'.repeat(1100000) } }).catch((e) => ({ status: 0, text: String(e) }));
    if (tok.status !== 0) assert.equal(tok.status, 413, show(tok));
  });
});

describe('forged tokens', () => {
  const userRoute = '/api/v1/accounts/verify_credentials';

  test('random, empty, garbage and SQL tokens are 401 with the same body', async () => {
    const bodies = new Set();
    for (const t of [randomBytes(32).toString('base64url'), '', ' ', 'null', 'undefined', "' OR '1'='1", '" OR ""="', '%00', 'a'.repeat(257), user.token.slice(0, -1), `${user.token}x`, user.token.toUpperCase()]) {
      const r = await get(srv, userRoute, { headers: { authorization: `Bearer ${t}` } });
      assert.equal(r.status, 401, `${JSON.stringify(t).slice(0, 40)}: ${show(r)}`);
      bodies.add(r.text);
    }
    assert.equal(bodies.size, 1, [...bodies].join(' | '));
  });

  test('app secrets and ids are not tokens', async () => {
    for (const t of [app.client_secret, app.client_id]) {
      const r = await get(srv, userRoute, { token: t });
      assert.equal(r.status, 401, show(r));
    }
  });

  test('very long tokens (10 kB, 60 kB) are 401 or 431, never 5xx', async () => {
    for (const n of [10000, 60000]) {
      const r = await get(srv, userRoute, { token: 'A'.repeat(n) }).catch((e) => ({ status: 0, text: String(e) }));
      if (r.status !== 0) assert.ok(r.status === 401 || r.status === 431 || r.status === 400, `${n}: ${show(r)}`);
    }
  });

  test('other schemes and malformed Authorization headers are 401', async () => {
    for (const h of ['Basic dXNlcjpwYXNz', 'Bearer', 'Token abc', `Bearer${user.token}`, `Digest ${user.token}`, 'Basic', '']) {
      const r = await get(srv, userRoute, { headers: { authorization: h } });
      assert.equal(r.status, 401, `${h}: ${show(r)}`);
    }
  });

  test('the scheme is case-insensitive (RFC 7235)', async () => {
    const r = await get(srv, userRoute, { headers: { authorization: `bearer ${user.token}` } });
    assert.equal(r.status, 200, show(r));
  });

  test('invalid UTF-8 and control bytes in the Authorization header are 4xx', async () => {
    const r = await rawRequest(
      srv,
      Buffer.concat([Buffer.from(`GET ${userRoute} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer `), Buffer.from([0xc3, 0x28, 0xff, 0x01]), Buffer.from('\r\nConnection: close\r\n\r\n')]),
    );
    assertRefused(r, 'binary token');
  });
});

describe('SQL and HTML in every field', () => {
  const SQL = ["' OR '1'='1", "'; DROP TABLE accounts; --", '" OR 1=1 --', "1); DELETE FROM users; --", "\\'; SELECT sqlite_version(); --"];
  const HTML = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "<a href='javascript:alert(1)'>x</a>", '<svg/onload=alert(1)>'];

  test('registration: hostile usernames are 422, hostile e-mails, passwords and locales never 5xx; the stored password works verbatim', async () => {
    const tok = await appToken(srv, app, 'read write');
    for (const s of [...SQL, ...HTML]) {
      const r = await post(srv, '/api/v1/accounts', { token: tok, form: { username: s, email: 'x@example.com', password: 'long enough', agreement: 'true' } });
      assert.equal(r.status, 422, `username ${s}: ${show(r)}`);
      assert.ok(['ERR_INVALID', 'ERR_TOO_LONG'].includes(r.json.details.username[0].error), show(r));
    }
    for (const s of [...SQL, ...HTML]) {
      const name = uniqueName('h');
      const r = await post(srv, '/api/v1/accounts', { token: tok, form: { username: name, email: `${s}@example.com`, password: 'long enough', agreement: 'true', locale: s } });
      assertNot5xx(r, `email/locale ${s}`);
    }
    for (const s of [...SQL, ...HTML]) {
      const name = uniqueName('p');
      const password = `${s}-padding`;
      const r = await post(srv, '/api/v1/accounts', { token: tok, form: { username: name, email: `${name}@example.com`, password, agreement: 'true', reason: s } });
      assert.equal(r.status, 200, `password ${s}: ${show(r)}`);
      const ok = await passwordGrant(srv, app, name, password, 'read');
      assert.equal(ok.status, 200, `sign in with ${s}: ${show(ok)}`);
      const bad = await passwordGrant(srv, app, name, "' OR '1'='1", 'read');
      assert.equal(bad.status, 400, show(bad));
    }
    const email = `o'reilly+${uniqueName('e')}@example.com`;
    const r = await post(srv, '/api/v1/accounts', { token: tok, form: { username: uniqueName('q'), email, password: 'long enough', agreement: 'true' } });
    assert.equal(r.status, 200, `an apostrophe is valid in an e-mail: ${show(r)}`);
  });

  test('sign-in with hostile logins is 400 invalid_grant, never a bypass', async () => {
    for (const s of [...SQL, ...HTML, `${user.username}' --`, `${user.username}'/*`]) {
      const r = await passwordGrant(srv, app, s, 'anything at all', 'read');
      assert.equal(r.status, 400, `${s}: ${show(r)}`);
      assert.equal(r.json.access_token, undefined);
    }
  });

  test('update_credentials stores hostile text verbatim and escapes it on output', async () => {
    const victim = await registerUser(srv, { app, scope: 'read write' });
    for (const s of [...SQL, ...HTML]) {
      const body = {
        display_name: s.slice(0, 30),
        note: `${s} #tag ${s}`,
        fields_attributes: [{ name: s.slice(0, 255), value: `${s} https://example.com` }],
      };
      const r = await patch(srv, '/api/v1/accounts/update_credentials', { token: victim.token, json: body });
      assert.equal(r.status, 200, `${s}: ${show(r)}`);
      const a = r.json;
      assert.equal(a.display_name, body.display_name, 'display_name is plain text, stored verbatim');
      assert.equal(a.source.note, body.note, 'source.note verbatim');
      assert.equal(a.source.fields[0].name, body.fields_attributes[0].name);
      assert.equal(a.source.fields[0].value, body.fields_attributes[0].value);
      for (const html of [a.note, a.fields[0].value]) {
        assert.ok(!/<(script|img|svg)\b/i.test(html), `unescaped tag in ${html}`);
        assert.ok(!/<a [^>]*href=['"]?javascript:/i.test(html), `javascript link in ${html}`);
        assert.ok(!/<[^>]*\son[a-z]+\s*=/i.test(html), `event handler attribute in ${html}`);
      }
      const pub = await get(srv, `/api/v1/accounts/${a.id}`);
      assert.equal(pub.json.note, a.note);
      assert.equal(pub.json.display_name, body.display_name);
    }
    for (const [k, v] of [
      ['source[privacy]', "public' --"],
      ['source[language]', "en'; --"],
      ['locked', "1' OR '1'='1"],
    ]) {
      const r = await patch(srv, '/api/v1/accounts/update_credentials', { token: victim.token, form: { [k]: v } });
      assert.equal(r.status, 422, `${k}=${v}: ${show(r)}`);
    }
  });

  test('after all of it the database is intact: lookup, sign-in and registration still work', async () => {
    const l = await get(srv, `/api/v1/accounts/lookup?acct=${user.username}`);
    assert.equal(l.status, 200, show(l));
    const t = await passwordGrant(srv, app, user.username, user.password, 'read');
    assert.equal(t.status, 200, show(t));
    const fresh = await registerUser(srv, { app, scope: 'read write' });
    assert.ok(fresh.token);
  });
});

describe('the server survived', () => {
  test('/healthz answers 200 and the process is alive', async () => {
    const r = await get(srv, '/healthz');
    assert.equal(r.status, 200, show(r));
    assert.ok(srv.alive(), 'process alive');
    srv.assertNoSanitizerReport();
  });
});
