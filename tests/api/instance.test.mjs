// GET /api/v1/instance, /api/v2/instance, /healthz, /readyz: Mastodon's
// Instance entities, with the configured values (not the defaults).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { get, registerUser, show, sleep, startServer } from './lib/server.mjs';

const BASE = 'https://photos.example.test';
const CONF = {
  base_url: BASE,
  title: 'Pinhole <Test> & Co',
  description: 'A test instance for "photos"',
  contact_email: 'admin@photos.example.test',
  registrations: 'approval',
  max_caption_chars: '500',
  max_media_attachments: '4',
  media_max_bytes: '1234567',
  media_max_pixels: '7654321',
  source_url: 'https://code.example.test/pinhole',
};

describe('instance documents with configured values', () => {
  let srv;
  before(async () => {
    srv = await startServer({ set: CONF });
  });
  after(async () => {
    await srv?.stop();
  });

  test('GET /healthz answers 200 {"status":"ok"} with no-store', async () => {
    const r = await get(srv, '/healthz');
    assert.equal(r.status, 200, show(r));
    assert.deepEqual(r.json, { status: 'ok' });
    assert.match(r.headers['content-type'], /^application\/json/);
    assert.equal(r.headers['cache-control'], 'no-store');
  });

  test('GET /readyz answers 200 ready with database ok', async () => {
    const r = await get(srv, '/readyz');
    assert.equal(r.status, 200, show(r));
    assert.equal(r.json.status, 'ready');
    assert.equal(r.json.database, 'ok');
    assert.equal(r.json.disk, 'ok');
    assert.equal(typeof r.json.disk_free_mb, 'number');
  });

  test('GET /api/v1/instance carries the Mastodon v1 fields with configured values', async () => {
    const r = await get(srv, '/api/v1/instance');
    assert.equal(r.status, 200, show(r));
    assert.match(r.headers['content-type'], /^application\/json; charset=utf-8$/);
    const i = r.json;
    assert.equal(i.uri, 'photos.example.test');
    assert.equal(i.title, CONF.title);
    assert.equal(i.short_description, CONF.description);
    assert.equal(i.description, CONF.description);
    assert.equal(i.email, CONF.contact_email);
    assert.match(i.version, /^4\.\d+\.\d+/, 'clients parse a Mastodon version');
    assert.equal(typeof i.urls, 'object');
    assert.equal(typeof i.stats.user_count, 'number');
    assert.equal(typeof i.stats.status_count, 'number');
    assert.equal(typeof i.stats.domain_count, 'number');
    assert.equal(i.thumbnail, `${BASE}/assets/thumbnail.png`);
    assert.ok(Array.isArray(i.languages));
    assert.equal(i.registrations, true);
    assert.equal(i.approval_required, true);
    assert.equal(i.invites_enabled, false);
    assert.equal(i.configuration.statuses.max_characters, 500);
    assert.equal(i.configuration.statuses.max_media_attachments, 4);
    assert.equal(i.configuration.statuses.characters_reserved_per_url, 23);
    assert.equal(i.configuration.media_attachments.image_size_limit, 1234567);
    assert.equal(i.configuration.media_attachments.image_matrix_limit, 7654321);
    assert.ok(i.configuration.media_attachments.supported_mime_types.includes('image/jpeg'));
    assert.ok(i.configuration.media_attachments.supported_mime_types.includes('image/png'));
    assert.equal(i.contact_account, null);
    assert.deepEqual(i.rules, []);
  });

  test('GET /api/v2/instance carries the Mastodon v2 fields with configured values', async () => {
    const r = await get(srv, '/api/v2/instance');
    assert.equal(r.status, 200, show(r));
    const i = r.json;
    assert.equal(i.domain, 'photos.example.test');
    assert.equal(i.title, CONF.title);
    assert.equal(i.description, CONF.description);
    assert.match(i.version, /^4\.\d+\.\d+/);
    assert.equal(typeof i.usage.users.active_month, 'number');
    assert.equal(i.thumbnail.url, `${BASE}/assets/thumbnail.png`);
    assert.ok(Array.isArray(i.languages));
    const c = i.configuration;
    assert.equal(typeof c.urls, 'object');
    assert.equal(c.statuses.max_characters, 500);
    assert.equal(c.statuses.max_media_attachments, 4);
    assert.equal(c.statuses.characters_reserved_per_url, 23);
    assert.equal(c.media_attachments.image_size_limit, 1234567);
    assert.equal(c.media_attachments.image_matrix_limit, 7654321);
    assert.ok(c.media_attachments.supported_mime_types.includes('image/jpeg'));
    assert.equal(typeof c.accounts.max_featured_tags, 'number');
    assert.equal(typeof c.accounts.max_pinned_statuses, 'number');
    assert.equal(c.translation.enabled, false);
    assert.equal(i.registrations.enabled, true);
    assert.equal(i.registrations.approval_required, true);
    assert.equal(i.registrations.url, `${BASE}/auth/sign_up`);
    assert.equal(i.contact.email, CONF.contact_email);
    assert.equal(i.contact.account, null);
    assert.deepEqual(i.rules, []);
    assert.equal(typeof i.api_versions.mastodon, 'number');
  });

  test('GET /api/v2/instance has the configured source_url (required by the Mastodon entity; AGPL)', async () => {
    const r = await get(srv, '/api/v2/instance');
    assert.equal(r.status, 200);
    assert.equal(r.json.source_url, CONF.source_url, `keys: ${Object.keys(r.json).join(',')}`);
  });

  test('v1 stats.user_count counts registered users (after the 1 s cache)', async () => {
    await registerUser(srv);
    await registerUser(srv);
    await sleep(1100);
    const r = await get(srv, '/api/v1/instance');
    assert.equal(r.status, 200);
    assert.equal(r.json.stats.user_count, 2);
  });

  test('instance documents ignore query strings and answer the same to many calls', async () => {
    const a = await get(srv, '/api/v1/instance?x=1');
    const b = await get(srv, '/api/v1/instance');
    assert.equal(a.status, 200);
    assert.equal(a.json.uri, b.json.uri);
  });
});

describe('instance documents with registrations closed and defaults', () => {
  let srv;
  before(async () => {
    srv = await startServer({ set: { registrations: 'closed' } });
  });
  after(async () => {
    await srv?.stop();
  });

  test('registrations closed shows registrations false in v1 and v2', async () => {
    const v1 = await get(srv, '/api/v1/instance');
    assert.equal(v1.status, 200);
    assert.equal(v1.json.registrations, false);
    assert.equal(v1.json.approval_required, false);
    const v2 = await get(srv, '/api/v2/instance');
    assert.equal(v2.json.registrations.enabled, false);
    assert.equal(v2.json.registrations.approval_required, false);
  });

  test('the default base URL is the listen address and the defaults are Mastodon-like', async () => {
    const v2 = await get(srv, '/api/v2/instance');
    assert.equal(v2.json.domain, srv.host);
    assert.equal(v2.json.thumbnail.url, `${srv.url}/assets/thumbnail.png`);
    assert.equal(v2.json.configuration.statuses.max_characters, 2200);
    assert.equal(v2.json.configuration.statuses.max_media_attachments, 20);
    assert.equal(v2.json.configuration.media_attachments.image_size_limit, 41943040);
    const v1 = await get(srv, '/api/v1/instance');
    assert.equal(v1.json.uri, srv.host);
    assert.equal(v1.json.stats.user_count, 0);
    assert.equal(typeof v2.json.source_url, 'string', 'source_url is always present');
  });
});
