// Photos through an independent Mastodon client library: masto (npm, the
// devDependency in package.json; run `npm ci` first). It uploads a real
// photo with alt text and a focal point through POST /api/v2/media (and
// polls GET /api/v1/media/:id as it does against Mastodon), changes the alt
// text, posts the photo with a caption, reads the post back signed in and
// anonymously, edits it (JSON media_attributes), reads its history and
// source, and deletes it; a refused upload surfaces as MastoHttpError 422.
//
// The photo comes from $PINHOLE_FIXTURES (default build/fixtures); the
// tests skip when that folder is missing.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { REPO_ROOT, startServer, uniqueName } from './lib/server.mjs';

let masto;
try {
  masto = await import('masto');
} catch (e) {
  throw new Error(`the masto client library is not installed (run \`npm ci\` at the repository root): ${e.message}`);
}
const { createOAuthAPIClient, createRestAPIClient, MastoHttpError } = masto;

const FIX = resolve(process.env.PINHOLE_FIXTURES || join(REPO_ROOT, 'build', 'fixtures'));
const HAVE = existsSync(FIX);

function ft(name, fn) {
  test(name, async (t) => {
    if (!HAVE) {
      t.skip(`no fixtures in ${FIX}: run tests/fixtures/prepare.sh (or set PINHOLE_FIXTURES)`);
      return;
    }
    await fn(t);
  });
}

const BASE83 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~';
function assertBlurhash(h) {
  assert.equal(typeof h, 'string', 'blurhash is set');
  for (const ch of h) assert.ok(BASE83.includes(ch), `blurhash character ${JSON.stringify(ch)}`);
  const flag = BASE83.indexOf(h[0]);
  const nx = (flag % 9) + 1;
  const ny = Math.floor(flag / 9) + 1;
  assert.equal(h.length, 4 + 2 * nx * ny, `blurhash ${h}: ${nx}x${ny} components need ${4 + 2 * nx * ny} characters`);
}

let srv, anon, client, me;
let media, status;
const ALT = 'A red ladybird climbing a green leaf, seen from above';

before(async () => {
  if (!HAVE) return;
  srv = await startServer();
  anon = createRestAPIClient({ url: srv.url, timeout: 60000 });
  const oauth = createOAuthAPIClient({ url: srv.url, timeout: 20000 });
  const app = await anon.v1.apps.create({ clientName: 'masto photos', redirectUris: 'urn:ietf:wg:oauth:2.0:oob', scopes: 'read write' });
  const appToken = await oauth.token.create({
    grantType: 'client_credentials',
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    scope: 'read write',
  });
  const appClient = createRestAPIClient({ url: srv.url, accessToken: appToken.accessToken, timeout: 20000 });
  const username = uniqueName('mphoto');
  const token = await appClient.v1.accounts.create({
    username,
    email: `${username}@example.com`,
    password: 'masto photo password 1',
    agreement: true,
    locale: 'en',
  });
  client = createRestAPIClient({ url: srv.url, accessToken: token.accessToken, timeout: 60000 });
  me = await client.v1.accounts.verifyCredentials();
});
after(async () => {
  await srv?.stop();
});

describe('masto: photos end to end', () => {
  ft('uploads a real photo with alt text and a focal point (v2, with polling)', async () => {
    const bytes = await readFile(join(FIX, 'photos/ladybird.jpg'));
    media = await client.v2.media.create({ file: new Blob([bytes], { type: 'image/jpeg' }), description: ALT, focus: '0.3,-0.4' });
    assert.match(media.id, /^\d+$/);
    assert.equal(media.type, 'image');
    assert.equal(media.description, ALT);
    assert.deepEqual(media.meta.focus, { x: 0.3, y: -0.4 });
    assert.equal(media.meta.original.width, 2560);
    assert.equal(media.meta.original.height, 1600);
    assert.ok(media.meta.small.width > 0 && media.meta.small.width <= 640, `meta.small: ${JSON.stringify(media.meta.small)}`);
    assertBlurhash(media.blurhash);
    assert.ok(media.url.startsWith(`${srv.url}/media/`), media.url);
    assert.ok(media.previewUrl.startsWith(`${srv.url}/media/`), media.previewUrl);
    const f = await fetch(media.url, { headers: { accept: 'image/webp,*/*' } });
    const buf = Buffer.from(await f.arrayBuffer());
    assert.equal(f.status, 200);
    assert.equal(f.headers.get('content-type'), 'image/webp');
    assert.equal(buf.subarray(8, 12).toString('latin1'), 'WEBP');
  });

  ft('fetches and updates the attachment before posting', async () => {
    const got = await client.v1.media.$select(media.id).fetch();
    assert.equal(got.id, media.id);
    assert.equal(got.blurhash, media.blurhash);
    const upd = await client.v1.media.$select(media.id).update({ description: `${ALT}.`, focus: '0.25,-0.5' });
    assert.equal(upd.description, `${ALT}.`);
    assert.deepEqual(upd.meta.focus, { x: 0.25, y: -0.5 });
  });

  ft('posts the photo with a caption and reads it back, signed in and anonymously', async () => {
    status = await client.v1.statuses.create({ status: 'Tiny visitor on the balcony #macro #ladybird', mediaIds: [media.id], visibility: 'public', language: 'en' });
    assert.match(status.id, /^\d+$/);
    assert.equal(status.account.id, me.id);
    assert.equal(status.account.statusesCount, me.statusesCount + 1);
    assert.match(status.content, /Tiny visitor on the balcony/);
    assert.equal(status.mediaAttachments.length, 1);
    const m = status.mediaAttachments[0];
    assert.equal(m.id, media.id);
    assert.equal(m.description, `${ALT}.`);
    assert.equal(m.blurhash, media.blurhash);
    assert.deepEqual(m.meta.focus, { x: 0.25, y: -0.5 });
    assert.equal(m.meta.original.width, 2560);
    for (const c of [client, anon]) {
      const back = await c.v1.statuses.$select(status.id).fetch();
      assert.equal(back.id, status.id);
      assert.equal(back.mediaAttachments[0].blurhash, media.blurhash);
      assert.equal(back.mediaAttachments[0].description, `${ALT}.`);
      assert.deepEqual(back.mediaAttachments[0].meta.original, m.meta.original);
      assert.deepEqual(back.mediaAttachments[0].meta.focus, { x: 0.25, y: -0.5 });
    }
  });

  ft("the client sees the caption's hashtags in tags", async () => {
    const back = await anon.v1.statuses.$select(status.id).fetch();
    assert.deepEqual(back.tags.map((t) => t.name).sort(), ['ladybird', 'macro'], `tags: ${JSON.stringify(back.tags)}`);
  });

  ft('edits the post (caption and alt text), then reads history and source', async () => {
    const edited = await client.v1.statuses.$select(status.id).update({
      status: 'Tiny visitor on the balcony, again',
      mediaIds: [media.id],
      mediaAttributes: [{ id: media.id, description: 'Ladybird, edited alt text' }],
    });
    assert.ok(edited.editedAt, 'editedAt is set');
    assert.equal(edited.mediaAttachments[0].description, 'Ladybird, edited alt text');
    const history = await client.v1.statuses.$select(status.id).history.list();
    assert.equal(history.length, 2);
    assert.match(history[0].content, /#<span>macro<\/span>/);
    assert.match(history[1].content, /again/);
    assert.equal(history[0].mediaAttachments[0].description, `${ALT}.`);
    const source = await client.v1.statuses.$select(status.id).source.fetch();
    assert.deepEqual({ id: source.id, text: source.text }, { id: status.id, text: 'Tiny visitor on the balcony, again' });
  });

  ft('a refused upload is a MastoHttpError 422 with the reason', async () => {
    const text = await readFile(join(FIX, 'derived/text.jpg'));
    await assert.rejects(
      client.v2.media.create({ file: new Blob([text], { type: 'image/jpeg' }), description: 'not a photo' }),
      (e) => {
        assert.ok(e instanceof MastoHttpError, `MastoHttpError, got ${e}`);
        assert.equal(e.statusCode, 422);
        assert.match(e.message, /JPEG/);
        return true;
      },
    );
  });

  ft('deletes the post; it is gone for everyone', async () => {
    const deleted = await client.v1.statuses.$select(status.id).remove();
    assert.equal(deleted.id, status.id);
    assert.equal(deleted.text, 'Tiny visitor on the balcony, again');
    await assert.rejects(anon.v1.statuses.$select(status.id).fetch(), (e) => e instanceof MastoHttpError && e.statusCode === 404);
    const after = await client.v1.accounts.verifyCredentials();
    assert.equal(after.statusesCount, me.statusesCount);
  });
});
