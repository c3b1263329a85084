// Talking to the server: the Mastodon client API with this browser's token,
// pagination through the Link header, and the OAuth 2 authorization-code
// flow with PKCE. The app registration and the token live in localStorage,
// as in other browser Mastodon clients.
const K = { app: 'pinhole.app', token: 'pinhole.token', flow: 'pinhole.flow', me: 'pinhole.me' };
const SCOPES = 'read write follow push';
const REDIRECT = () => location.origin + '/oauth-callback';

export const state = { me: null, instance: null };
const listeners = {};
export const on = (ev, fn) => (listeners[ev] ||= []).push(fn);
export const emit = (ev, x) => (listeners[ev] || []).forEach((fn) => fn(x));

const read = (k) => {
  try {
    return JSON.parse(localStorage.getItem(k));
  } catch {
    return null;
  }
};
const write = (k, v) => (v == null ? localStorage.removeItem(k) : localStorage.setItem(k, JSON.stringify(v)));

export const token = () => read(K.token);
export const signedIn = () => !!token();
export const cachedMe = () => read(K.me);

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/** Path and query of a Link header's rel="next" (same origin by design). */
function nextLink(res) {
  const link = res.headers.get('Link') || '';
  const m = /<([^>]+)>;\s*rel="next"/.exec(link);
  if (!m) return null;
  const u = new URL(m[1], location.href);
  return u.pathname + u.search;
}

/**
 * api(path, opts): the parsed JSON answer (or null for an empty one).
 * opts: method, body (an object: sent as JSON; FormData as multipart),
 * query (object; arrays repeat as key[]), headers, signal, anon.
 * Throws ApiError: status 0 when the network failed.
 */
export async function api(path, opts = {}) {
  const res = await raw(path, opts);
  return res.data;
}

/** Like api but also returns the next page's path: {data, next}. */
export async function page(path, opts) {
  return raw(path, opts);
}

async function raw(path, { method = 'GET', body, query, headers = {}, signal, anon } = {}) {
  let url = path;
  if (query) {
    const q = new URLSearchParams();
    for (const k in query) {
      const v = query[k];
      if (v == null) continue;
      if (Array.isArray(v)) v.forEach((x) => q.append(k + '[]', x));
      else q.append(k, v);
    }
    const s = q.toString();
    if (s) url += (url.includes('?') ? '&' : '?') + s;
  }
  const tok = anon ? null : token();
  const h = { Accept: 'application/json', ...headers };
  if (tok) h.Authorization = 'Bearer ' + tok;
  if (body && !(body instanceof FormData) && !(body instanceof URLSearchParams)) {
    h['Content-Type'] = 'application/json';
    body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(url, { method, body, headers: h, signal, credentials: 'omit' });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network');
  }
  let data = null;
  const text = await res.text().catch(() => '');
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    if (res.status === 401 && tok) {
      write(K.token, null);
      emit('expired');
    }
    throw new ApiError(res.status, (data && data.error) || res.statusText, data);
  }
  return { data, next: nextLink(res), res };
}

/** Uploads one photo with progress (fetch cannot report upload progress). */
export function upload(file, description, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v2/media');
    xhr.setRequestHeader('Authorization', 'Bearer ' + token());
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        /* an empty or HTML answer */
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else {
        if (xhr.status === 401) {
          write(K.token, null);
          emit('expired');
        }
        reject(new ApiError(xhr.status, (data && data.error) || xhr.statusText, data));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'network'));
    const fd = new FormData();
    fd.append('file', file, file.name);
    if (description) fd.append('description', description);
    xhr.send(fd);
  });
}

export async function instance() {
  if (!state.instance) state.instance = await api('/api/v2/instance', { anon: true });
  return state.instance;
}

export async function loadMe() {
  state.me = await api('/api/v1/accounts/verify_credentials');
  write(K.me, state.me);
  return state.me;
}

/** Relationship objects by account id (batched). */
export async function relationships(ids) {
  if (!ids.length || !signedIn()) return {};
  const list = await api('/api/v1/accounts/relationships', { query: { id: [...new Set(ids)] } });
  return Object.fromEntries(list.map((r) => [r.id, r]));
}

/* ---- OAuth ---- */

const b64url = (buf) =>
  btoa(String.fromCharCode(...new Uint8Array(buf)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

async function sha256(text) {
  const bytes = new TextEncoder().encode(text);
  if (crypto.subtle) return crypto.subtle.digest('SHA-256', bytes);
  return (await import('./sha256.js')).sha256(bytes); // plain-http deployments
}

async function ensureApp() {
  const app = read(K.app);
  if (app && app.redirect_uri === REDIRECT()) return app;
  const r = await api('/api/v1/apps', {
    method: 'POST',
    anon: true,
    body: { client_name: 'pinhole web', redirect_uris: REDIRECT(), scopes: SCOPES, website: location.origin },
  });
  const saved = { client_id: r.client_id, client_secret: r.client_secret, redirect_uri: REDIRECT() };
  write(K.app, saved);
  return saved;
}

/** Sends the browser to the server's sign-in page (or its sign-up page,
 *  which comes back to sign-in) and remembers where to return. */
export async function startSignIn(signUp = false, returnTo = location.pathname + location.search) {
  const app = await ensureApp();
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const st = b64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = b64url(await sha256(verifier));
  sessionStorage.setItem(K.flow, JSON.stringify({ verifier, state: st, returnTo }));
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: app.client_id,
    redirect_uri: app.redirect_uri,
    scope: SCOPES,
    state: st,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const authorize = '/oauth/authorize?' + q;
  location.assign(signUp ? '/auth/sign_up?return_to=' + encodeURIComponent(authorize) : authorize);
}

/** Completes the flow on /oauth-callback; returns the path to go back to. */
export async function finishSignIn(params) {
  const flow = JSON.parse(sessionStorage.getItem(K.flow) || 'null');
  const app = read(K.app);
  if (params.get('error')) throw new Error(params.get('error_description') || params.get('error'));
  if (!flow || !app || flow.state !== params.get('state')) throw new Error('state mismatch');
  const r = await api('/oauth/token', {
    method: 'POST',
    anon: true,
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: params.get('code') || '',
      redirect_uri: app.redirect_uri,
      client_id: app.client_id,
      client_secret: app.client_secret,
      code_verifier: flow.verifier,
    }),
  });
  sessionStorage.removeItem(K.flow);
  write(K.token, r.access_token);
  await loadMe();
  return /^\/(?!\/)/.test(flow.returnTo) && !flow.returnTo.startsWith('/oauth') ? flow.returnTo : '/';
}

export async function signOut() {
  const app = read(K.app);
  const tok = token();
  write(K.token, null);
  write(K.me, null);
  state.me = null;
  if (app && tok) {
    await api('/oauth/revoke', {
      method: 'POST',
      anon: true,
      body: new URLSearchParams({ client_id: app.client_id, client_secret: app.client_secret, token: tok }),
    }).catch(() => {});
  }
}
