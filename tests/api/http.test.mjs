// HTTP behaviour common to every route: security headers, errors for
// unknown routes and methods, body limits, content types, keep-alive.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';

import { OOB, createApp, get, patch, post, rawRequest, registerUser, request, show, startServer } from './lib/server.mjs';

let srv, app, user;

before(async () => {
  srv = await startServer({ set: { body_max: 65536 } });
  app = await createApp(srv, { scopes: 'read write' });
  user = await registerUser(srv, { app, scope: 'read write' });
});
after(async () => {
  await srv?.stop();
});

describe('errors', () => {
  test('an unknown API route is 404 JSON {"error"}', async () => {
    for (const p of ['/api/v1/nope', '/api/v2/accounts/1', '/api/v1/accounts/1/nope', '/.well-known/nope', '/oauth/nope', '/auth/nope']) {
      const r = await get(srv, p);
      assert.equal(r.status, 404, `${p}: ${show(r)}`);
      assert.match(r.headers['content-type'], /^application\/json/);
      assert.deepEqual(Object.keys(r.json), ['error']);
    }
    for (const m of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await request(srv, m, '/nope');
      assert.equal(r.status, 404, `${m} /nope: ${show(r)}`);
      assert.match(r.headers['content-type'], /^application\/json/);
    }
  });

  test('any other GET is a browser route: the web app page with its CSP', async () => {
    for (const p of ['/nope', '/@someone', '/explore']) {
      const r = await get(srv, p);
      assert.equal(r.status, 200, `${p}: ${show(r)}`);
      assert.match(r.headers['content-type'], /^text\/html/);
      assert.ok(r.headers['content-security-policy'], `${p}: CSP`);
    }
  });

  test('a wrong method is 405 JSON with an Allow header', async () => {
    const cases = [
      ['DELETE', '/api/v1/instance', ['GET']],
      ['POST', '/api/v1/accounts/verify_credentials', ['GET']],
      ['GET', '/oauth/token', ['POST']],
      ['PUT', '/api/v1/accounts/update_credentials', ['GET', 'PATCH']], // GET matches /api/v1/accounts/:id
      ['PATCH', '/oauth/authorize', ['GET', 'POST']],
    ];
    for (const [m, p, allow] of cases) {
      const r = await request(srv, m, p);
      assert.equal(r.status, 405, `${m} ${p}: ${show(r)}`);
      assert.equal(typeof r.json.error, 'string');
      const got = [...new Set((r.headers.allow || '').split(/,\s*/).filter((x) => x && x !== 'HEAD' && x !== 'OPTIONS'))].sort();
      assert.deepEqual(got, [...allow].sort(), `${m} ${p}: Allow: ${r.headers.allow}`);
    }
  });

  test('Allow names each method once, also where a literal route and a :param route overlap', async () => {
    for (const p of ['/api/v1/accounts/verify_credentials', '/api/v1/accounts/lookup']) {
      const r = await request(srv, 'POST', p);
      assert.equal(r.status, 405, show(r));
      const list = (r.headers.allow || '').split(/,\s*/).filter(Boolean);
      assert.equal(new Set(list).size, list.length, `${p}: Allow: ${r.headers.allow}`);
    }
  });

  test('a body over body_max is 413 JSON, from Content-Length and from a chunked body', async () => {
    const big = JSON.stringify({ client_name: 'x'.repeat(70000), redirect_uris: OOB });
    const r = await post(srv, '/api/v1/apps', { body: big, headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 413, show(r));
    assert.equal(typeof r.json.error, 'string');
    const chunks = ['POST /api/v1/apps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n'];
    for (let i = 0; i < 3; i++) chunks.push(`${(30000).toString(16)}\r\n${'y'.repeat(30000)}\r\n`);
    chunks.push('0\r\n\r\n');
    const c = await rawRequest(srv, null, { chunks, endAfterWrite: true, timeoutMs: 5000 });
    assert.deepEqual(c.statuses, [413], c.text.slice(0, 300));
  });

  test('JSON and urlencoded bodies over body_max are 413 on upload routes too (body_max: "largest JSON or form body")', async () => {
    const json = JSON.stringify({ note: 'x'.repeat(70000) });
    const r = await patch(srv, '/api/v1/accounts/update_credentials', { token: user.token, body: json, headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 413, show(r));
    const form = await patch(srv, '/api/v1/accounts/update_credentials', { token: user.token, form: { note: 'y'.repeat(70000) } });
    assert.equal(form.status, 413, show(form));
    const me = await get(srv, '/api/v1/accounts/verify_credentials', { token: user.token });
    assert.equal(me.json.source.note, '', 'nothing was stored');
  });

  test('a body up to body_max is accepted', async () => {
    const base = { client_name: 'fits', redirect_uris: OOB, pad: '' };
    const pad = 'p'.repeat(65536 - JSON.stringify(base).length);
    const body = JSON.stringify({ ...base, pad });
    assert.equal(Buffer.byteLength(body), 65536);
    const r = await post(srv, '/api/v1/apps', { body, headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 200, show(r));
  });

  test('a non-JSON, non-form content type with a body is 415', async () => {
    const r = await post(srv, '/api/v1/apps', { body: 'client_name=x', headers: { 'content-type': 'text/plain' } });
    assert.equal(r.status, 415, show(r));
    assert.equal(typeof r.json.error, 'string');
  });
});

describe('cross-origin (CORS), as Mastodon allows it', () => {
  test('a preflight for the API or the token endpoints is 204 with the methods and the headers asked for', async () => {
    for (const p of ['/api/v1/statuses', '/api/v1/accounts/verify_credentials', '/api/v2/media', '/oauth/token', '/oauth/revoke', '/.well-known/oauth-authorization-server', '/api/v1/nope']) {
      const r = await request(srv, 'OPTIONS', p, {
        headers: { origin: 'https://client.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,idempotency-key' },
      });
      assert.equal(r.status, 204, `${p}: ${show(r)}`);
      assert.equal(r.headers['access-control-allow-origin'], '*', p);
      assert.equal(r.headers['access-control-allow-credentials'], undefined, p);
      for (const m of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) assert.match(r.headers['access-control-allow-methods'], new RegExp(`\\b${m}\\b`), p);
      assert.equal(r.headers['access-control-allow-headers'], 'authorization,content-type,idempotency-key', p);
      assert.equal(r.text, '');
    }
  });

  test('API answers, errors included, allow any origin and expose Link and the rate-limit headers; pages do not', async () => {
    const origin = { origin: 'https://client.example' };
    const cases = [
      [await request(srv, 'GET', '/api/v1/accounts/verify_credentials', { token: user.token, headers: origin }), 200],
      [await request(srv, 'GET', '/api/v1/accounts/verify_credentials', { token: 'forged', headers: origin }), 401],
      [await request(srv, 'GET', '/api/v1/timelines/public?limit=1', { headers: origin }), 200],
      [await request(srv, 'POST', '/oauth/token', { form: { grant_type: 'client_credentials', client_id: app.client_id, client_secret: 'wrong' }, headers: origin }), 401],
    ];
    for (const [r, status] of cases) {
      assert.equal(r.status, status, show(r));
      assert.equal(r.headers['access-control-allow-origin'], '*', show(r));
      assert.match(r.headers['access-control-expose-headers'], /\bLink\b/);
      assert.match(r.headers['access-control-expose-headers'], /X-RateLimit-Remaining/);
    }
    for (const p of ['/oauth/authorize?client_id=x', '/auth/sign_up', '/']) {
      const r = await request(srv, 'GET', p, { headers: origin });
      assert.equal(r.headers['access-control-allow-origin'], undefined, `${p} is a page: no CORS`);
    }
    const pre = await request(srv, 'OPTIONS', '/oauth/authorize', { headers: { ...origin, 'access-control-request-method': 'POST' } });
    assert.notEqual(pre.status, 204, 'the sign-in form takes no cross-origin posts');
    assert.equal(pre.headers['access-control-allow-origin'], undefined);
  });
});

describe('security headers', () => {
  const jsonCases = () => [
    ['GET', '/healthz', {}],
    ['GET', '/readyz', {}],
    ['GET', '/api/v1/instance', {}],
    ['GET', '/api/v2/instance', {}],
    ['GET', '/api/v1/nope', {}],
    ['DELETE', '/api/v1/instance', {}],
    ['GET', '/api/v1/accounts/verify_credentials', {}],
    ['GET', '/api/v1/accounts/verify_credentials', { token: user.token }],
    ['PATCH', '/api/v1/accounts/update_credentials', { token: user.token, body: 'x', headers: { 'content-type': 'text/plain' } }],
    ['PATCH', '/api/v1/accounts/update_credentials', { token: user.token, json: { display_name: 'x'.repeat(31) } }],
    ['POST', '/oauth/token', { form: { grant_type: 'password', client_id: app.client_id, client_secret: app.client_secret, username: 'x', password: 'y' } }],
    ['GET', '/api/v1/accounts/lookup?acct=nobody', {}],
    ['GET', '/api/v1/accounts/%00', {}],
    ['GET', '/.well-known/oauth-authorization-server', {}],
  ];

  test('X-Content-Type-Options: nosniff on every response, JSON answers typed application/json', async () => {
    for (const [m, p, o] of jsonCases()) {
      const r = await request(srv, m, p, o);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', `${m} ${p} (${r.status})`);
      assert.match(r.headers['content-type'] || '', /^application\/json; charset=utf-8$/, `${m} ${p}`);
    }
  });

  test('a 302 from the authorize endpoint and a 413 carry nosniff too', async () => {
    const webApp = await createApp(srv, { redirectUris: 'https://client.example/cb', scopes: 'read' });
    const q = new URLSearchParams({ response_type: 'code', client_id: webApp.client_id, redirect_uri: 'https://client.example/cb', scope: 'read' }).toString();
    const r = await request(srv, 'POST', '/oauth/authorize', { body: `${q}&decision=deny`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(r.status, 302, show(r));
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    const big = await post(srv, '/api/v1/apps', { body: 'x'.repeat(70000), headers: { 'content-type': 'application/json' } });
    assert.equal(big.status, 413, show(big));
    assert.equal(big.headers['x-content-type-options'], 'nosniff');
  });

  const htmlPages = () => [
    ['GET', '/', {}],
    ['GET', '/@someone', {}],
    ['GET', '/auth/sign_up', {}],
    ['POST', '/auth/sign_up', { form: { username: '' } }],
    ['GET', `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: app.client_id, redirect_uri: OOB, scope: 'read' })}`, {}],
    ['GET', '/oauth/authorize?client_id=unknown', {}],
    ['POST', '/oauth/authorize', { form: { response_type: 'code', client_id: app.client_id, redirect_uri: OOB, scope: 'read', username: 'x', password: 'y' } }],
  ];

  test('HTML pages carry a CSP without unsafe-inline, X-Frame-Options DENY, nosniff, and no inline script', async () => {
    for (const [m, p, o] of htmlPages()) {
      const r = await request(srv, m, p, o);
      const label = `${m} ${p} (${r.status})`;
      assert.match(r.headers['content-type'] || '', /^text\/html; charset=utf-8$/, label);
      const csp = r.headers['content-security-policy'];
      assert.ok(csp, `${label}: no CSP`);
      assert.ok(!/unsafe-inline|unsafe-eval|unsafe-hashes/.test(csp), `${label}: ${csp}`);
      assert.match(csp, /default-src 'none'/, `${label}: ${csp}`);
      const scriptSrc = (csp.match(/script-src ([^;]*)/) || [])[1];
      if (scriptSrc !== undefined) assert.match(scriptSrc.trim(), /^('self'|'none')$/, `${label}: script-src ${scriptSrc}`);
      assert.match(csp, /frame-ancestors 'none'/, label);
      assert.match(csp, /base-uri 'none'/, label);
      assert.equal(r.headers['x-frame-options'], 'DENY', label);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', label);
      for (const tag of r.text.match(/<script\b[^>]*>/gi) || []) {
        assert.match(tag, /\ssrc="\/[^"/][^"]*"/, `${label}: inline or foreign script ${tag}`);
      }
      assert.ok(!/<script\b[^>]*>[^<\s]/i.test(r.text), `${label}: script element with inline code`);
      assert.ok(!/<[^>]+\son[a-z]+\s*=/i.test(r.text), `${label}: event handler attribute`);
      assert.ok(!/<[^>]+\sstyle\s*=/i.test(r.text), `${label}: inline style attribute (blocked by the CSP anyway)`);
      assert.ok(!/javascript:/i.test(r.text), `${label}: javascript: URL`);
    }
  });

  test('pages are not cached and send no referrer', async () => {
    const r = await get(srv, '/auth/sign_up');
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.equal(r.headers['referrer-policy'], 'no-referrer');
  });

  test('token responses are not cached', async () => {
    const r = await post(srv, '/oauth/token', { form: { grant_type: 'client_credentials', client_id: app.client_id, client_secret: app.client_secret } });
    assert.equal(r.status, 200, show(r));
    assert.equal(r.headers['cache-control'], 'no-store');
  });

  test('the stylesheet the pages load is served with a CSS type and nosniff', async () => {
    const page = await get(srv, '/auth/sign_up');
    const href = (page.text.match(/<link rel="stylesheet" href="([^"]+)"/) || [])[1];
    assert.ok(href, 'stylesheet link');
    const css = await get(srv, href);
    assert.equal(css.status, 200, show(css));
    assert.match(css.headers['content-type'], /^text\/css/);
    assert.equal(css.headers['x-content-type-options'], 'nosniff');
  });
});

describe('keep-alive', () => {
  test('a plain GET /api/v1/instance does not close the connection', async () => {
    const r = await get(srv, '/api/v1/instance', { agent: new http.Agent({ keepAlive: true }) });
    assert.equal(r.status, 200);
    assert.notEqual((r.headers.connection || '').toLowerCase(), 'close');
  });

  test('20 sequential requests reuse one connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let sockets = 0;
    const orig = agent.createConnection.bind(agent);
    agent.createConnection = (...args) => {
      sockets++;
      return orig(...args);
    };
    const paths = ['/api/v1/instance', '/healthz', '/api/v2/instance', `/api/v1/accounts/lookup?acct=${user.username}`, '/api/v1/accounts/verify_credentials'];
    for (let i = 0; i < 20; i++) {
      const p = paths[i % paths.length];
      const r = await get(srv, p, { agent, token: p.includes('verify') ? user.token : undefined });
      assert.equal(r.status, 200, `${i} ${p}: ${show(r)}`);
      assert.notEqual((r.headers.connection || '').toLowerCase(), 'close', `${i} ${p}`);
    }
    agent.destroy();
    assert.equal(sockets, 1, `expected one connection for 20 requests, used ${sockets}`);
  });

  test('20 sequential fetches (undici keep-alive) all succeed', async () => {
    for (let i = 0; i < 20; i++) {
      const r = await fetch(`${srv.url}/api/v1/instance`);
      assert.equal(r.status, 200);
      assert.notEqual((r.headers.get('connection') || '').toLowerCase(), 'close');
      await r.arrayBuffer();
    }
  });

  test('writes with bodies keep the connection alive too (JSON, form, 4xx answers)', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let sockets = 0;
    const orig = agent.createConnection.bind(agent);
    agent.createConnection = (...args) => {
      sockets++;
      return orig(...args);
    };
    const reqs = [
      ['PATCH', '/api/v1/accounts/update_credentials', { token: user.token, json: { note: 'keep' } }, 200],
      ['PATCH', '/api/v1/accounts/update_credentials', { token: user.token, form: { note: 'alive' } }, 200],
      ['PATCH', '/api/v1/accounts/update_credentials', { token: user.token, json: { display_name: 'x'.repeat(31) } }, 422],
      ['GET', '/api/v1/accounts/verify_credentials', {}, 401],
      ['GET', '/api/v1/nope', {}, 404],
      ['POST', '/api/v1/apps', { form: { client_name: 'ka', redirect_uris: OOB } }, 200],
      ['GET', '/api/v1/instance', {}, 200],
    ];
    for (const [m, p, o, want] of reqs) {
      const r = await request(srv, m, p, { ...o, agent });
      assert.equal(r.status, want, `${m} ${p}: ${show(r)}`);
    }
    agent.destroy();
    assert.equal(sockets, 1, `expected one connection, used ${sockets}`);
  });

  test('two pipelined requests on one socket both get answers', async () => {
    const r = await rawRequest(srv, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v1/instance HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.deepEqual(r.statuses, [200, 200]);
  });
});
