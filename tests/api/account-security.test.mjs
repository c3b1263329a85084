// Changing one's password and signing out everywhere (pinhole's own
// endpoints: Mastodon has no API for either).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createApp, get, passwordGrant, post, registerUser, show, startServer } from './lib/server.mjs';

describe('password change and sign out everywhere', () => {
  let srv;
  before(async () => {
    srv = await startServer();
  });
  after(async () => {
    await srv?.stop();
  });

  test('a wrong current password is refused and changes nothing', async () => {
    const u = await registerUser(srv);
    const r = await post(srv, '/api/v1/pinhole/account/password', {
      token: u.token,
      form: { current_password: 'not-it-at-all', password: 'a new password 123' },
    });
    assert.equal(r.status, 422, show(r));
    assert.equal(r.json.details.current_password[0].error, 'ERR_INVALID');
    const app = await createApp(srv, { scopes: 'read' });
    assert.equal((await passwordGrant(srv, app, u.username, u.password, 'read')).status, 200);
    assert.equal((await get(srv, '/api/v1/accounts/verify_credentials', { token: u.token })).status, 200);
  });

  test('a new password outside the rules is 422 with details', async () => {
    const u = await registerUser(srv);
    const r = await post(srv, '/api/v1/pinhole/account/password', {
      token: u.token,
      form: { current_password: u.password, password: 'short' },
    });
    assert.equal(r.status, 422, show(r));
    assert.equal(r.json.details.password[0].error, 'ERR_TOO_SHORT');
  });

  test('changing the password keeps this session, signs out the others, and the new one works', async () => {
    const u = await registerUser(srv);
    const app = await createApp(srv, { scopes: 'read' });
    const other = await passwordGrant(srv, app, u.username, u.password, 'read');
    assert.equal(other.status, 200, show(other));
    const r = await post(srv, '/api/v1/pinhole/account/password', {
      token: u.token,
      form: { current_password: u.password, password: 'a brand new password' },
    });
    assert.equal(r.status, 200, show(r));
    assert.equal((await get(srv, '/api/v1/accounts/verify_credentials', { token: u.token })).status, 200);
    const gone = await get(srv, '/api/v1/accounts/verify_credentials', { token: other.json.access_token });
    assert.equal(gone.status, 401, show(gone));
    assert.equal((await passwordGrant(srv, app, u.username, u.password, 'read')).status, 400);
    assert.equal((await passwordGrant(srv, app, u.username, 'a brand new password', 'read')).status, 200);
  });

  test('sign out everywhere revokes every token, this one included; a read token may not do it', async () => {
    const u = await registerUser(srv);
    const app = await createApp(srv, { scopes: 'read' });
    const other = await passwordGrant(srv, app, u.username, u.password, 'read');
    const ro = await post(srv, '/api/v1/pinhole/account/sign_out_everywhere', { token: other.json.access_token });
    assert.equal(ro.status, 403, show(ro));
    const r = await post(srv, '/api/v1/pinhole/account/sign_out_everywhere', { token: u.token });
    assert.equal(r.status, 200, show(r));
    for (const t of [u.token, other.json.access_token]) {
      assert.equal((await get(srv, '/api/v1/accounts/verify_credentials', { token: t })).status, 401);
    }
  });
});
