// An independent Mastodon client library (masto, from npm: a devDependency
// in package.json; run `npm ci` first) against pinhole over http://
// loopback: app registration, the authorization-code flow with PKCE (the
// PKCE pair is made here, masto does not make one; the harness plays the
// browser; masto exchanges the code and passes code_verifier through),
// the password grant, registration, credentials, lookup, revocation.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { browserAuthorize, pkcePair, startServer, uniqueName } from './lib/server.mjs';

let masto;
try {
  masto = await import('masto');
} catch (e) {
  throw new Error(`the masto client library is not installed (run \`npm ci\` at the repository root): ${e.message}`);
}
const { createOAuthAPIClient, createRestAPIClient } = masto;

const REDIRECT = 'https://client.example/masto-callback';

let srv;
let anon; // REST client without a token
let oauth; // OAuth client
let app; // masto's camelCased Application
const user = { username: uniqueName('masto'), password: 'masto password 1' };

before(async () => {
  srv = await startServer();
  anon = createRestAPIClient({ url: srv.url, timeout: 20000 });
  oauth = createOAuthAPIClient({ url: srv.url, timeout: 20000 });
});
after(async () => {
  await srv?.stop();
});

describe('masto against pinhole', () => {
  test('reads the v1 and v2 instance documents', async () => {
    const v2 = await anon.v2.instance.fetch();
    assert.equal(v2.domain, srv.host);
    assert.equal(typeof v2.configuration.statuses.maxCharacters, 'number');
    assert.equal(v2.registrations.enabled, true);
    const v1 = await anon.v1.instance.fetch();
    assert.equal(v1.uri, srv.host);
  });

  test('registers an app', async () => {
    app = await anon.v1.apps.create({ clientName: 'masto e2e', redirectUris: REDIRECT, scopes: 'read write', website: 'https://client.example' });
    assert.equal(app.name, 'masto e2e');
    assert.equal(typeof app.clientId, 'string');
    assert.equal(typeof app.clientSecret, 'string');
    assert.deepEqual(app.redirectUris, [REDIRECT]);
  });

  test('gets an app token (client_credentials) and verifies the app', async () => {
    const t = await oauth.token.create({ grantType: 'client_credentials', clientId: app.clientId, clientSecret: app.clientSecret, redirectUri: REDIRECT, scope: 'read write' });
    assert.equal(t.tokenType, 'Bearer');
    const appClient = createRestAPIClient({ url: srv.url, accessToken: t.accessToken });
    const verified = await appClient.v1.apps.verifyCredentials();
    assert.equal(verified.name, 'masto e2e');
  });

  test('registers an account with POST /api/v1/accounts and the token works', async () => {
    const t = await oauth.token.create({ grantType: 'client_credentials', clientId: app.clientId, clientSecret: app.clientSecret, redirectUri: REDIRECT, scope: 'read write' });
    const appClient = createRestAPIClient({ url: srv.url, accessToken: t.accessToken });
    const token = await appClient.v1.accounts.create({
      username: user.username,
      email: `${user.username}@example.com`,
      password: user.password,
      agreement: true,
      locale: 'en',
    });
    assert.equal(typeof token.accessToken, 'string');
    const me = await createRestAPIClient({ url: srv.url, accessToken: token.accessToken }).v1.accounts.verifyCredentials();
    assert.equal(me.username, user.username);
  });

  test('a registration error surfaces as MastoHttpError 422 with details', async () => {
    const t = await oauth.token.create({ grantType: 'client_credentials', clientId: app.clientId, clientSecret: app.clientSecret, redirectUri: REDIRECT, scope: 'read write' });
    const appClient = createRestAPIClient({ url: srv.url, accessToken: t.accessToken });
    await assert.rejects(
      appClient.v1.accounts.create({ username: user.username.toUpperCase(), email: 'other@example.com', password: 'long enough pw', agreement: true, locale: 'en' }),
      (e) => {
        assert.equal(e.statusCode, 422, String(e));
        assert.ok(e.message.length > 0);
        return true;
      },
    );
  });

  test('gets a user token by authorization code + PKCE (masto exchanges the code)', async () => {
    const { verifier, challenge } = pkcePair();
    const a = await browserAuthorize(
      srv,
      {
        response_type: 'code',
        client_id: app.clientId,
        redirect_uri: REDIRECT,
        scope: 'read write',
        state: 'masto-state',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      },
      { username: user.username, password: user.password },
    );
    assert.equal(a.status, 302, a.text);
    assert.equal(a.state, 'masto-state');
    assert.ok(a.code);
    const t = await oauth.token.create({
      grantType: 'authorization_code',
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      redirectUri: REDIRECT,
      code: a.code,
      codeVerifier: verifier, // not in masto's types; sent as code_verifier
      scope: 'read write',
    });
    assert.equal(t.scope, 'read write');
    const me = await createRestAPIClient({ url: srv.url, accessToken: t.accessToken }).v1.accounts.verifyCredentials();
    assert.equal(me.username, user.username);
    await assert.rejects(
      oauth.token.create({ grantType: 'authorization_code', clientId: app.clientId, clientSecret: app.clientSecret, redirectUri: REDIRECT, code: a.code, codeVerifier: verifier }),
      (e) => e.statusCode === 400,
      'a spent code is refused',
    );
  });

  test('a wrong PKCE verifier is refused through the library', async () => {
    const { challenge } = pkcePair();
    const a = await browserAuthorize(
      srv,
      { response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT, scope: 'read', code_challenge: challenge, code_challenge_method: 'S256' },
      { username: user.username, password: user.password },
    );
    await assert.rejects(
      oauth.token.create({ grantType: 'authorization_code', clientId: app.clientId, clientSecret: app.clientSecret, redirectUri: REDIRECT, code: a.code, codeVerifier: pkcePair().verifier }),
      (e) => e.statusCode === 400,
    );
  });

  test('gets a user token by the password grant', async () => {
    const t = await oauth.token.create({
      grantType: 'password',
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      redirectUri: REDIRECT,
      username: user.username,
      password: user.password,
      scope: 'read write',
    });
    user.token = t.accessToken;
    const me = await createRestAPIClient({ url: srv.url, accessToken: t.accessToken }).v1.accounts.verifyCredentials();
    assert.equal(me.username, user.username);
    assert.equal(me.source.privacy, 'public');
    await assert.rejects(
      oauth.token.create({ grantType: 'password', clientId: app.clientId, clientSecret: app.clientSecret, redirectUri: REDIRECT, username: user.username, password: 'nope nope', scope: 'read' }),
      (e) => e.statusCode === 400,
    );
  });

  test('updates credentials (masto sends multipart) and reads them back', async () => {
    const client = createRestAPIClient({ url: srv.url, accessToken: user.token });
    const updated = await client.v1.accounts.updateCredentials({
      displayName: 'Masto User',
      note: 'Hello from masto #e2e',
      locked: true,
      bot: false,
      discoverable: true,
      source: { privacy: 'unlisted', sensitive: true, language: 'en' },
      fieldsAttributes: [
        { name: 'Camera', value: 'Leica' },
        { name: 'Site', value: 'https://masto.example' },
      ],
    });
    assert.equal(updated.displayName, 'Masto User');
    assert.match(updated.note, /^<p>Hello from masto <a href="[^"]+\/tags\/e2e" class="mention hashtag" rel="tag">#<span>e2e<\/span><\/a><\/p>$/);
    assert.equal(updated.locked, true);
    assert.equal(updated.source.privacy, 'unlisted');
    assert.equal(updated.source.sensitive, true);
    assert.equal(updated.source.language, 'en');
    assert.deepEqual(
      updated.source.fields.map((f) => [f.name, f.value]),
      [
        ['Camera', 'Leica'],
        ['Site', 'https://masto.example'],
      ],
    );
    const me = await client.v1.accounts.verifyCredentials();
    assert.equal(me.displayName, 'Masto User');
    assert.equal(me.source.note, 'Hello from masto #e2e');
  });

  test('a read-only token cannot update credentials: MastoHttpError 403', async () => {
    const t = await oauth.token.create({ grantType: 'password', clientId: app.clientId, clientSecret: app.clientSecret, redirectUri: REDIRECT, username: user.username, password: user.password, scope: 'read' });
    const client = createRestAPIClient({ url: srv.url, accessToken: t.accessToken });
    await assert.rejects(client.v1.accounts.updateCredentials({ displayName: 'nope' }), (e) => e.statusCode === 403);
  });

  test('looks up an account (case-insensitively) and fetches it by id', async () => {
    const found = await anon.v1.accounts.lookup({ acct: user.username.toUpperCase() });
    assert.equal(found.username, user.username);
    const byId = await anon.v1.accounts.$select(found.id).fetch();
    assert.equal(byId.id, found.id);
    assert.equal(byId.acct, user.username);
    await assert.rejects(anon.v1.accounts.lookup({ acct: 'no_such_account_here' }), (e) => e.statusCode === 404);
  });

  test('revokes a token; the library then gets 401', async () => {
    const t = await oauth.token.create({ grantType: 'password', clientId: app.clientId, clientSecret: app.clientSecret, redirectUri: REDIRECT, username: user.username, password: user.password, scope: 'read' });
    await oauth.revoke({ clientId: app.clientId, clientSecret: app.clientSecret, token: t.accessToken });
    const client = createRestAPIClient({ url: srv.url, accessToken: t.accessToken });
    await assert.rejects(client.v1.accounts.verifyCredentials(), (e) => e.statusCode === 401);
  });
});
