// Housekeeping: uploads no post used are removed after upload_max_age_s,
// and blobs nothing references after blob_grace_s; a photo in a post and
// its files are never touched.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { REPO_ROOT, get, post, registerUser, show, sleep, startServer } from './lib/server.mjs';

async function blobFiles(dir) {
  const out = [];
  async function walk(d) {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else if (/^[0-9a-f]{64}$/.test(e.name)) out.push(e.name);
    }
  }
  await walk(join(dir, 'blobs'));
  return out.sort();
}

let srv;
before(async () => {
  srv = await startServer({ set: { housekeeping_s: '1', upload_max_age_s: '2', blob_grace_s: '0' } });
});
after(async () => {
  await srv?.stop();
});

test('unused uploads and their files go; a posted photo and its files stay', async () => {
  const u = await registerUser(srv);
  const a = await readFile(join(REPO_ROOT, 'tests/fixtures/sunset-600.jpg'));
  const b = await readFile(join(REPO_ROOT, 'tests/fixtures/seeding-256.png'));
  const kept = await post(srv, '/api/v2/media', { token: u.token, multipart: [['file', new Blob([a]), 'a.jpg']] });
  assert.equal(kept.status, 200, show(kept));
  const s = await post(srv, '/api/v1/statuses', { token: u.token, form: [['status', 'kept'], ['media_ids[]', kept.json.id]] });
  assert.equal(s.status, 200, show(s));
  const keptFiles = await blobFiles(srv.dataDir);
  const unused = await post(srv, '/api/v2/media', { token: u.token, multipart: [['file', new Blob([b]), 'b.png']] });
  assert.equal(unused.status, 200, show(unused));
  const both = await blobFiles(srv.dataDir);
  assert.ok(both.length > keptFiles.length, 'the second upload stored files of its own');
  // Past the age and a few housekeeping rounds, only the posted photo's files remain.
  let after = both;
  for (let i = 0; i < 20 && after.length > keptFiles.length; i++) {
    await sleep(500);
    after = await blobFiles(srv.dataDir);
  }
  assert.deepEqual(after, keptFiles, 'the unused upload\'s original and derivatives are gone, nothing else');
  assert.equal((await get(srv, `/api/v1/media/${unused.json.id}`, { token: u.token })).status, 404);
  const st = await get(srv, `/api/v1/statuses/${s.json.id}`);
  assert.equal(st.status, 200);
  for (const v of Object.values(st.json.media_attachments[0].pinhole_variants)) {
    const f = await fetch(v.url);
    assert.equal(f.status, 200, v.url);
    await f.arrayBuffer();
  }
  const audit = await srv.cli(['audit']);
  assert.equal(audit.code, 0, audit.stdout);
});
