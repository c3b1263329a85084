// Accounts: verify_credentials (with source), update_credentials in JSON,
// urlencoded and multipart with its limits, the note's HTML, lookup and
// GET /api/v1/accounts/:id.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { get, patch, rawRequest, registerUser, show, startServer } from './lib/server.mjs';

let srv;
let alice; // edited by most tests
let bob; // mentioned by alice

before(async () => {
  srv = await startServer();
  alice = await registerUser(srv, { scope: 'read write' });
  bob = await registerUser(srv, { scope: 'read write' });
});
after(async () => {
  await srv?.stop();
});

const update = (user, body, kind = 'json') => patch(srv, '/api/v1/accounts/update_credentials', { token: user.token, [kind]: body });
const me = (user) => get(srv, '/api/v1/accounts/verify_credentials', { token: user.token });

describe('verify_credentials', () => {
  test('returns the CredentialAccount with source and role, and no e-mail', async () => {
    const fresh = await registerUser(srv, { scope: 'read write' });
    const r = await me(fresh);
    assert.equal(r.status, 200, show(r));
    const a = r.json;
    assert.match(a.id, /^\d+$/);
    assert.equal(a.username, fresh.username);
    assert.equal(a.acct, fresh.username);
    assert.equal(a.display_name, '');
    assert.equal(a.locked, false);
    assert.equal(a.bot, false);
    assert.equal(a.group, false);
    assert.equal(a.note, '');
    assert.equal(a.url, `${srv.url}/@${fresh.username}`);
    assert.equal(typeof a.uri, 'string');
    assert.equal(typeof a.avatar, 'string');
    assert.equal(typeof a.avatar_static, 'string');
    assert.equal(typeof a.header, 'string');
    assert.equal(typeof a.header_static, 'string');
    assert.equal(a.followers_count, 0);
    assert.equal(a.following_count, 0);
    assert.equal(a.statuses_count, 0);
    assert.equal(a.last_status_at, null);
    assert.deepEqual(a.emojis, []);
    assert.deepEqual(a.fields, []);
    assert.match(a.created_at, /^\d{4}-\d\d-\d\dT00:00:00\.000Z$/, 'day precision like Mastodon');
    assert.equal(a.source.privacy, 'public');
    assert.equal(a.source.sensitive, false);
    assert.equal(a.source.note, '');
    assert.deepEqual(a.source.fields, []);
    assert.equal(a.source.follow_requests_count, 0);
    assert.equal(typeof a.role, 'object');
    assert.equal(a.email, undefined);
    assert.ok(!JSON.stringify(a).includes(fresh.email), 'the e-mail address is never shown');
  });

  test('without a token 401; with a garbage token 401', async () => {
    const r = await get(srv, '/api/v1/accounts/verify_credentials');
    assert.equal(r.status, 401, show(r));
    assert.equal(r.json.error, 'The access token is invalid');
    const g = await get(srv, '/api/v1/accounts/verify_credentials', { token: 'garbage' });
    assert.equal(g.status, 401, show(g));
  });
});

describe('update_credentials', () => {
  test('JSON: every field at once, echoed as the CredentialAccount', async () => {
    const r = await update(alice, {
      display_name: 'Alice Ä',
      note: 'Photographer.',
      locked: true,
      bot: true,
      discoverable: false,
      source: { privacy: 'private', sensitive: true, language: 'fr' },
      fields_attributes: [
        { name: 'Site', value: 'https://alice.example' },
        { name: 'Camera', value: 'Leica' },
      ],
    });
    assert.equal(r.status, 200, show(r));
    const a = r.json;
    assert.equal(a.display_name, 'Alice Ä');
    assert.equal(a.note, '<p>Photographer.</p>');
    assert.equal(a.locked, true);
    assert.equal(a.bot, true);
    assert.equal(a.discoverable, false);
    assert.equal(a.source.privacy, 'private');
    assert.equal(a.source.sensitive, true);
    assert.equal(a.source.language, 'fr');
    assert.equal(a.source.note, 'Photographer.');
    assert.deepEqual(
      a.source.fields.map((f) => [f.name, f.value]),
      [
        ['Site', 'https://alice.example'],
        ['Camera', 'Leica'],
      ],
    );
    assert.equal(a.fields.length, 2);
    assert.equal(a.fields[0].name, 'Site');
    assert.match(a.fields[0].value, /<a href="https:\/\/alice\.example"/);
    assert.equal(a.fields[1].value, 'Leica');
    const again = await me(alice);
    assert.deepEqual(again.json, a, 'verify_credentials shows what update_credentials returned');
  });

  test('fields present in the request only are changed (partial update)', async () => {
    await update(alice, { display_name: 'Partial', note: 'kept note', locked: true });
    const r = await update(alice, { display_name: 'Changed' });
    assert.equal(r.status, 200, show(r));
    assert.equal(r.json.display_name, 'Changed');
    assert.equal(r.json.source.note, 'kept note');
    assert.equal(r.json.locked, true);
  });

  test('urlencoded: booleans as strings and source[...] keys', async () => {
    const r = await update(
      alice,
      [
        ['display_name', 'Form Alice'],
        ['locked', 'false'],
        ['bot', '0'],
        ['discoverable', 'true'],
        ['source[privacy]', 'unlisted'],
        ['source[sensitive]', 'false'],
        ['source[language]', 'de'],
        ['fields_attributes[0][name]', 'Form'],
        ['fields_attributes[0][value]', 'encoded & sent'],
      ],
      'form',
    );
    assert.equal(r.status, 200, show(r));
    assert.equal(r.json.display_name, 'Form Alice');
    assert.equal(r.json.locked, false);
    assert.equal(r.json.bot, false);
    assert.equal(r.json.discoverable, true);
    assert.equal(r.json.source.privacy, 'unlisted');
    assert.equal(r.json.source.sensitive, false);
    assert.equal(r.json.source.language, 'de');
    assert.deepEqual(r.json.source.fields.map((f) => [f.name, f.value]), [['Form', 'encoded & sent']]);
  });

  test('multipart: every field, including fields_attributes', async () => {
    const r = await update(
      alice,
      [
        ['display_name', 'Multi Alice'],
        ['note', 'multipart note'],
        ['locked', 'true'],
        ['source[privacy]', 'public'],
        ['fields_attributes[0][name]', 'One'],
        ['fields_attributes[0][value]', '1'],
        ['fields_attributes[1][name]', 'Two'],
        ['fields_attributes[1][value]', '2'],
      ],
      'multipart',
    );
    assert.equal(r.status, 200, show(r));
    assert.equal(r.json.display_name, 'Multi Alice');
    assert.equal(r.json.source.note, 'multipart note');
    assert.equal(r.json.locked, true);
    assert.equal(r.json.source.privacy, 'public');
    assert.deepEqual(
      r.json.source.fields.map((f) => [f.name, f.value]),
      [
        ['One', '1'],
        ['Two', '2'],
      ],
    );
  });

  test('multipart body arriving in small TCP segments keeps every value (fetch+FormData does this)', async () => {
    const B = '----formdata-segmented-0123456789';
    const parts = [];
    for (const [k, v] of [
      ['display_name', 'Seg'],
      ['fields_attributes[0][name]', 'a'],
      ['fields_attributes[0][value]', 'b'],
    ]) {
      parts.push(`--${B}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n`, v, '\r\n');
    }
    parts.push(`--${B}--\r\n`);
    const body = parts.join('');
    const head =
      `PATCH /api/v1/accounts/update_credentials HTTP/1.1\r\nHost: ${srv.host}\r\nAuthorization: Bearer ${alice.token}\r\n` +
      `Content-Type: multipart/form-data; boundary=${B}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
    const r = await rawRequest(srv, null, { chunks: [head, ...parts], timeoutMs: 10000 });
    assert.deepEqual(r.statuses, [200], r.text);
    const json = JSON.parse(r.text.slice(r.text.indexOf('\r\n\r\n') + 4));
    assert.equal(json.display_name, 'Seg');
    assert.deepEqual(
      json.source.fields.map((f) => [f.name, f.value]),
      [['a', 'b']],
      `fields were stored as ${JSON.stringify(json.source.fields)}`,
    );
  });

  test('fields_attributes as a JSON object keyed by index (Rails style)', async () => {
    const r = await update(alice, { fields_attributes: { 0: { name: 'K0', value: 'V0' }, 1: { name: 'K1', value: 'V1' } } });
    assert.equal(r.status, 200, show(r));
    assert.deepEqual(
      r.json.source.fields.map((f) => [f.name, f.value]),
      [
        ['K0', 'V0'],
        ['K1', 'V1'],
      ],
    );
  });

  test('an empty fields_attributes row is dropped; sending rows replaces the old ones', async () => {
    await update(alice, { fields_attributes: [{ name: 'Old', value: 'old' }] });
    const r = await update(alice, { fields_attributes: [{ name: '', value: '' }, { name: 'New', value: 'new' }] });
    assert.equal(r.status, 200, show(r));
    assert.deepEqual(r.json.source.fields.map((f) => [f.name, f.value]), [['New', 'new']]);
  });

  test('display_name: 30 characters (multi-byte) pass, 31 are 422', async () => {
    const ok = await update(alice, { display_name: 'é'.repeat(30) });
    assert.equal(ok.status, 200, show(ok));
    assert.equal(ok.json.display_name, 'é'.repeat(30));
    const bad = await update(alice, { display_name: 'x'.repeat(31) });
    assert.equal(bad.status, 422, show(bad));
    assert.equal(bad.json.details.display_name[0].error, 'ERR_TOO_LONG');
    assert.equal((await me(alice)).json.display_name, 'é'.repeat(30), 'unchanged after a refusal');
  });

  test('note: 500 characters pass, 501 are 422', async () => {
    const ok = await update(alice, { note: '🙂'.repeat(500) });
    assert.equal(ok.status, 200, show(ok));
    assert.equal(ok.json.source.note, '🙂'.repeat(500));
    const bad = await update(alice, { note: 'n'.repeat(501) });
    assert.equal(bad.status, 422, show(bad));
    assert.equal(bad.json.details.note[0].error, 'ERR_TOO_LONG');
  });

  test('fields: 4 rows of 255 characters pass; a 5th row or 256 characters are 422', async () => {
    const four = Array.from({ length: 4 }, (_, i) => ({ name: `${i}`.padEnd(255, 'n'), value: `${i}`.padEnd(255, 'v') }));
    const ok = await update(alice, { fields_attributes: four });
    assert.equal(ok.status, 200, show(ok));
    assert.equal(ok.json.source.fields.length, 4);
    assert.equal(ok.json.source.fields[3].name.length, 255);
    const five = [...four, { name: 'five', value: '5' }];
    const r5 = await update(alice, { fields_attributes: five });
    assert.equal(r5.status, 422, show(r5));
    assert.ok(r5.json.details.fields_attributes || r5.json.details.fields, show(r5));
    const longName = await update(alice, { fields_attributes: [{ name: 'n'.repeat(256), value: 'v' }] });
    assert.equal(longName.status, 422, show(longName));
    const longValue = await update(alice, { fields_attributes: [{ name: 'n', value: 'v'.repeat(256) }] });
    assert.equal(longValue.status, 422, show(longValue));
    assert.equal((await me(alice)).json.source.fields.length, 4, 'unchanged after refusals');
  });

  test('fields: more than 4 rows in a form (indexes 0..5) are 422', async () => {
    const rows = [];
    for (let i = 0; i < 6; i++) rows.push([`fields_attributes[${i}][name]`, `n${i}`], [`fields_attributes[${i}][value]`, `v${i}`]);
    const r = await update(alice, rows, 'form');
    assert.equal(r.status, 422, show(r));
  });

  test('source[privacy] other than public/unlisted/private is 422', async () => {
    const r = await update(alice, { source: { privacy: 'direct' } });
    assert.equal(r.status, 422, show(r));
    assert.ok(r.json.details['source[privacy]'] || r.json.details.privacy, show(r));
  });

  test('source[language] must be an ISO 639 code', async () => {
    const r = await update(alice, { source: { language: 'english!' } });
    assert.equal(r.status, 422, show(r));
  });

  test('an avatar or header file that is not an image is 422, not silently ignored', async () => {
    for (const field of ['avatar', 'header']) {
      const r = await update(alice, [[field, new Blob(['this is not an image'], { type: 'image/png' }), 'fake.png']], 'multipart');
      assert.equal(r.status, 422, `${field}: ${show(r)}`);
    }
    const me0 = await me(alice);
    assert.equal(me0.json.avatar, `${srv.url}/assets/avatar.png`, 'the avatar is unchanged');
  });

  test('the note is escaped HTML with links for hashtags, local mentions and URLs', async () => {
    const note = `Hi <script>alert(1)</script> #Photo @${bob.username} @nobody_known https://example.com/a?b=c&d=e\nline two`;
    const r = await update(alice, { note });
    assert.equal(r.status, 200, show(r));
    const html = r.json.note;
    assert.equal(r.json.source.note, note, 'source.note is stored verbatim');
    assert.ok(!html.includes('<script'), html);
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), html);
    assert.ok(html.startsWith('<p>') && html.endsWith('</p>'), html);
    assert.match(html, new RegExp(`<a href="${srv.url}/tags/photo" class="mention hashtag" rel="tag">#<span>Photo</span></a>`));
    assert.match(
      html,
      new RegExp(`<span class="h-card"[^>]*><a href="${srv.url}/@${bob.username}" class="u-url mention">@<span>${bob.username}</span></a></span>`),
    );
    assert.ok(html.includes('@nobody_known'), 'an unknown mention stays text');
    assert.ok(!html.includes('/@nobody_known"'), 'an unknown mention is not linked');
    assert.match(html, /<a href="https:\/\/example\.com\/a\?b=c&amp;d=e"[^>]*rel="nofollow noopener noreferrer"/);
    assert.match(html, /<br \/>line two/);
    const pub = await get(srv, `/api/v1/accounts/${r.json.id}`);
    assert.equal(pub.json.note, html, 'the public view renders the same');
  });

  test('quotes and ampersands in the note are escaped, attributes cannot be broken out of', async () => {
    const note = `"><img src=x onerror=alert(1)> & 'single'`;
    const r = await update(alice, { note });
    assert.equal(r.status, 200, show(r));
    assert.ok(!r.json.note.includes('<img'), r.json.note);
    assert.ok(r.json.note.includes('&quot;&gt;&lt;img'), r.json.note);
    assert.ok(r.json.note.includes('&amp;'), r.json.note);
  });

  test('invalid UTF-8 in a JSON-escaped note is refused or replaced, never stored raw', async () => {
    const body = Buffer.concat([Buffer.from('{"note":"bad '), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const r = await patch(srv, '/api/v1/accounts/update_credentials', {
      token: alice.token,
      body,
      headers: { 'content-type': 'application/json' },
    });
    assert.ok(r.status === 400 || r.status === 422, show(r));
  });

  test('invalid UTF-8 in a form value is 422', async () => {
    const r = await patch(srv, '/api/v1/accounts/update_credentials', {
      token: alice.token,
      body: 'display_name=%C3%28',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(r.status, 422, show(r));
  });
});

describe('lookup and get by id', () => {
  test('lookup finds a local account case-insensitively, with @ and with the local domain', async () => {
    const ref = await get(srv, `/api/v1/accounts/lookup?acct=${bob.username}`);
    assert.equal(ref.status, 200, show(ref));
    assert.equal(ref.json.username, bob.username);
    for (const acct of [bob.username.toUpperCase(), `@${bob.username}`, `${bob.username}@${srv.host}`, `@${bob.username.toUpperCase()}@${srv.host}`]) {
      const r = await get(srv, `/api/v1/accounts/lookup?acct=${encodeURIComponent(acct)}`);
      assert.equal(r.status, 200, `${acct}: ${show(r)}`);
      assert.equal(r.json.id, ref.json.id, acct);
    }
  });

  test('lookup of an unknown or remote account is 404 Record not found', async () => {
    for (const acct of ['nobody_at_all', `${bob.username}@elsewhere.example`, 'x'.repeat(31), '@', '%', "' OR '1'='1"]) {
      const r = await get(srv, `/api/v1/accounts/lookup?acct=${encodeURIComponent(acct)}`);
      assert.equal(r.status, 404, `${acct}: ${show(r)}`);
      assert.equal(r.json.error, 'Record not found');
    }
  });

  test('lookup without acct is 400', async () => {
    const r = await get(srv, '/api/v1/accounts/lookup');
    assert.equal(r.status, 400, show(r));
    assert.equal(typeof r.json.error, 'string');
  });

  test('GET /api/v1/accounts/:id shows the public Account, without source, role or e-mail', async () => {
    const ref = await me(bob);
    const r = await get(srv, `/api/v1/accounts/${ref.json.id}`);
    assert.equal(r.status, 200, show(r));
    assert.equal(r.json.id, ref.json.id);
    assert.equal(r.json.username, bob.username);
    assert.equal(r.json.source, undefined);
    assert.equal(r.json.role, undefined);
    assert.equal(r.json.email, undefined);
    assert.ok(!r.text.includes(bob.email));
    const { source: _s, role: _r, ...pub } = ref.json;
    assert.deepEqual(r.json, pub, 'the public view is the credential view minus source and role');
  });

  test('unknown and malformed ids are 404 Record not found', async () => {
    const ref = await me(bob);
    const id = ref.json.id;
    for (const bad of ['1', '0', '-1', 'abc', '1e5', `${id}x`, `${id}0`, '99999999999999999999999999', '%20', '1.5', '0x10', "1'%20OR%20'1'='1"]) {
      const r = await get(srv, `/api/v1/accounts/${bad}`);
      assert.equal(r.status, 404, `${bad}: ${show(r)}`);
      assert.equal(r.json.error, 'Record not found', bad);
    }
  });
});
