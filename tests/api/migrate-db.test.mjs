// pinhole migrate-db: a whole SQLite instance moved to PostgreSQL, verified
// by the command itself (counts and checksums) and from outside: the same
// accounts, posts and photos answer from a server on the new database.
// Needs the throwaway cluster of scripts/run-tests.sh (PINHOLE_TEST_PG).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

import { BIN, PinholeServer, REPO_ROOT, get, post, registerUser, show } from './lib/server.mjs';

const PG = process.env.PINHOLE_TEST_PG;

function run(cmd, args) {
  return new Promise((res) => {
    execFile(cmd, args, { timeout: 300000, maxBuffer: 1 << 24 }, (err, stdout, stderr) =>
      res({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
  });
}

test('migrate-db moves a seeded instance with photos to PostgreSQL, verified', { skip: !PG && 'needs PINHOLE_TEST_PG' }, async () => {
  // A SQLite instance: synthetic data plus a real photo post.
  const src = new PinholeServer(); // always SQLite here, whatever PINHOLE_TEST_BACKEND says
  const origBackend = process.env.PINHOLE_TEST_BACKEND;
  delete process.env.PINHOLE_TEST_BACKEND;
  try {
    await src.start();
  } finally {
    if (origBackend) process.env.PINHOLE_TEST_BACKEND = origBackend;
  }
  const u = await registerUser(src);
  const photo = await readFile(join(REPO_ROOT, 'tests/fixtures/sunset-600.jpg'));
  const m = await post(src, '/api/v2/media', { token: u.token, multipart: [['file', new Blob([photo]), 'a.jpg']] });
  assert.equal(m.status, 200, show(m));
  const s = await post(src, '/api/v1/statuses', { token: u.token, form: [['status', 'moving #house'], ['media_ids[]', m.json.id]] });
  assert.equal(s.status, 200, show(s));
  await src.stop({ keepData: true });
  const seeded = await run(BIN, ['seed', 'users=300', 'posts=2000', 'follows=20', '--data-dir', src.dataDir]);
  assert.equal(seeded.code, 0, seeded.stderr);

  const name = `mig_${randomBytes(5).toString('hex')}`;
  const made = await run('psql', ['-q', PG, '-c', `CREATE DATABASE ${name}`]);
  assert.equal(made.code, 0, made.stderr);
  const target = `${PG.replace(/\/[^/]*$/, '')}/${name}`;
  const moved = await run(BIN, ['migrate-db', '--from', `sqlite:${join(src.dataDir, 'pinhole.db')}`, '--to', target, '--data-dir', src.dataDir]);
  assert.equal(moved.code, 0, moved.stdout + moved.stderr);
  assert.match(moved.stdout, /every count and checksum matches/);
  assert.doesNotMatch(moved.stdout, /DIFFERS/);
  // A second run refuses: the target is no longer empty.
  const again = await run(BIN, ['migrate-db', '--from', `sqlite:${join(src.dataDir, 'pinhole.db')}`, '--to', target, '--data-dir', src.dataDir]);
  assert.notEqual(again.code, 0);
  const audit = await run(BIN, ['audit', '--db', target, '--data-dir', src.dataDir]);
  assert.equal(audit.code, 0, audit.stdout + audit.stderr);

  // The same data answers from a server on PostgreSQL, photos included.
  const dst = new PinholeServer({ dataDir: src.dataDir });
  dst.db = target;
  await dst.start();
  try {
    const again1 = await get(dst, `/api/v1/statuses/${s.json.id}`);
    assert.equal(again1.status, 200, show(again1));
    assert.equal(again1.json.content.replaceAll(dst.url, ''), s.json.content.replaceAll(src.url, ''));
    // Tokens moved too: the author still reads the source with the same token.
    const source = await get(dst, `/api/v1/statuses/${s.json.id}/source`, { token: u.token });
    assert.equal(source.json?.text, 'moving #house', show(source));
    const file = await fetch(again1.json.media_attachments[0].url.replace(/^http:\/\/[^/]+/, dst.url));
    assert.equal(file.status, 200);
    const acct = await get(dst, `/api/v1/accounts/lookup?acct=${u.username}`);
    assert.equal(acct.json.statuses_count, 1);
    const tag = await get(dst, '/api/v1/timelines/tag/house');
    assert.deepEqual(tag.json.map((x) => x.id), [s.json.id]);
    const search = await get(dst, '/api/v2/search?q=moving&type=statuses');
    assert.ok(search.json.statuses.some((x) => x.id === s.json.id), show(search));
  } finally {
    await dst.stop();
    await rm(src.dataDir, { recursive: true, force: true });
  }
});
