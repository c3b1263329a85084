// The app's shell: language and theme, navigation (a side rail on wide
// screens, a tab bar on phones), client-side routing with views kept for
// Back, the unread badge, and the offline and session-expired states.
import { api, cachedMe, loadMe, on, signedIn, startSignIn, state } from './api.js';
import { $, $$, avatar, errText, h, need, toast } from './dom.js';
import { home } from './feed.js';
import { setupLang, t } from './i18n.js';
import { icon, logo } from './icons.js';

const lazy = (file, fn) => async (ctx) => (await need(file))[fn](ctx);
const ROUTES = [
  [/^\/$/, home, 'home'],
  [/^\/oauth-callback$/, lazy('auth.js', 'callback')],
  [/^\/explore$/, lazy('explore.js', 'explore'), 'explore'],
  [/^\/tags\/([^/]+)$/, lazy('explore.js', 'tag'), 'explore'],
  [/^\/new$/, lazy('compose.js', 'compose'), 'new', true],
  [/^\/notifications$/, lazy('notifications.js', 'notifications'), 'notifications', true],
  [/^\/follow-requests$/, lazy('notifications.js', 'requests'), 'notifications', true],
  [/^\/followers-history$/, lazy('history.js', 'history'), 'profile', true],
  [/^\/settings$/, lazy('settings.js', 'settings'), 'settings', true],
  [/^\/p\/(\d+)$/, lazy('status.js', 'statusPage')],
  [/^\/@[^/]+\/(\d+)$/, lazy('status.js', 'statusPage')],
  [/^\/@([^/]+)\/(followers|following)$/, lazy('people.js', 'peoplePage'), 'profile'],
  [/^\/@([^/]+)\/(saved)$/, lazy('profile.js', 'profile'), 'profile', true],
  [/^\/@([^/]+)\/?$/, lazy('profile.js', 'profile'), 'profile'],
];

const main = () => $('#main');
let current = null;
const kept = new Map(); // history key → view, for Back and Forward
let seq = 0;

/** Goes to PATH inside the app (pushState), or replaces the entry. */
function nav(path, replace = false) {
  const st = { key: Date.now().toString(36) + ++seq };
  if (current) current.scroll = scrollY;
  history[replace ? 'replaceState' : 'pushState'](st, '', path);
  route(true);
}
window.nav = nav;

let routing = 0;
async function route(fresh) {
  const mine = ++routing;
  const path = decodeURI(location.pathname).replace(/\/+$/, '') || '/';
  const key = history.state?.key;
  if (current) {
    current.scroll = current.scroll ?? scrollY;
    current.el.remove();
    current.hide?.();
    if (current.key) kept.set(current.key, current);
    for (const [k, v] of kept) if (kept.size > 8) (kept.delete(k), v.destroy?.());
  }
  let view = !fresh && key && kept.get(key);
  let match = null, tab = null, auth = false, fn = null;
  for (const [re, f, tb, au] of ROUTES) {
    const m = re.exec(path);
    if (m) [match, fn, tab, auth] = [m, f, tb, au];
  }
  if (!view) {
    const box = h('div.view.loading', h('div.spinner.big', { 'aria-hidden': 'true' }));
    main().replaceChildren(box);
    const ctx = {
      params: match ? match.slice(1).map((x) => x && decodeURIComponent(x)) : [],
      query: new URLSearchParams(location.search),
      setTitle: (x) => setTitle(x, view),
    };
    try {
      if (!fn) view = notFound();
      else if (auth && !signedIn()) view = signInWall();
      else view = await fn(ctx);
    } catch (e) {
      console.warn(e);
      view = { el: h('div.view', emptyFail(e)), title: t('app') };
    }
    if (mine !== routing) return;
    view.key = key;
    view.tab = tab;
  } else view.show?.();
  current = view;
  if (booted && Date.now() - unreadAt > 10000 && view.tab !== 'notifications') refreshUnread();
  view.el.classList.add('view');
  main().className = 'main w-' + (view.width || 'feed');
  document.body.dataset.w = view.width || 'feed';
  main().replaceChildren(view.el);
  setTitle(view.title, view);
  setTop(view);
  $$('[data-tab]').forEach((a) => {
    const on = a.dataset.tab === view.tab;
    a.classList.toggle('on', on);
    if (on) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
    const ic = a.querySelector('.ic');
    if (ic && a.dataset.icon) ic.replaceWith(icon(a.dataset.icon, on));
  });
  scrollTo(0, fresh ? 0 : view.scroll || 0);
  view.scroll = null;
  if (booted) (view.el.querySelector('h1, h2') || main()).focus({ preventScroll: true });
  if (location.hash === '#reply') view.el.querySelector('.reply textarea')?.focus();
}

function setTitle(title, view) {
  if (view) view.title = title;
  if (view && view !== current) return;
  document.title = title && title !== t('app') ? title + ' · ' + t('app') : t('app');
  const tt = $('.topbar .title');
  if (tt) tt.textContent = view?.back === false || !title ? '' : title;
}

function setTop(view) {
  const bar = $('.topbar');
  const home = view.tab === 'home' && !view.back;
  bar.classList.toggle('is-home', home);
  const back = $('.topbar .back');
  back.hidden = home || view.back === false;
  $('.topbar .tools').replaceChildren(...(view.tools || []));
}

const emptyFail = (e) => h('div.empty', h('div.empty-ic', icon(e?.status === 0 ? 'offline' : 'alert')), h('p', errText(e)), h('button.btn.secondary', { type: 'button', onclick: () => route(true) }, t('retry')));

function notFound() {
  return {
    title: t('not_found'),
    el: h('div', h('div.empty', h('div.empty-ic', icon('image')), h('h1', t('not_found')), h('p', t('not_found_text')), h('a.btn', { href: '/' }, t('go_home')))),
  };
}

function signInWall() {
  return {
    title: t('sign_in'),
    el: h('div', h('div.empty', h('div.empty-ic', icon('lock')), h('h1', t('sign_in')), h('p', t('sign_in_to')), signButtons())),
  };
}

export function signButtons() {
  return h(
    'div.sign-buttons',
    h('button.btn', { type: 'button', onclick: () => startSignIn(false) }, t('sign_in')),
    h('button.btn.secondary', { type: 'button', onclick: () => startSignIn(true) }, t('sign_up')),
  );
}
window.signButtons = signButtons;

/* ---- the shell ---- */

function navItem(href, tab, ic, label, extra) {
  const a = h('a.nav-item', { href, dataset: { tab, icon: ic }, 'aria-label': label });
  a.append(extra || icon(ic), h('span.nav-label', label));
  return a;
}

function shell() {
  const me = signedIn() ? state.me || cachedMe() || { acct: '', avatar: '' } : null;
  const items = (bar) => {
    const list = [navItem('/', 'home', 'home', t('home')), navItem('/explore', 'explore', 'explore', t('explore'))];
    if (me) {
      list.push(navItem('/new', 'new', 'plus', t('new_post')));
      const n = navItem('/notifications', 'notifications', 'heart', t('notifications'));
      n.append(h('span.badge', { hidden: true }));
      list.push(n);
      const av = avatar(me, 24, '');
      av.classList.add('nav-av');
      list.push(navItem('/@' + me.acct, 'profile', '', t('profile'), av));
      if (!bar) list.push(h('div.rail-fill'), navItem('/settings', 'settings', 'settings', t('settings')));
    } else {
      const s = h('button.nav-item.sign', { type: 'button', onclick: () => startSignIn(false), 'aria-label': t('sign_in') }, icon('user'), h('span.nav-label', t('sign_in')));
      list.push(s);
    }
    return list;
  };
  const brand = h('a.brand', { href: '/', 'aria-label': t('app') + ', ' + t('home') }, logo(28), h('span.wordmark', t('app')));
  const back = h('button.icon-btn.back', { type: 'button', 'aria-label': t('back'), onclick: () => (history.length > 1 && kept.size ? history.back() : nav('/')) });
  back.append(icon('back'));
  document.body.replaceChildren(
    h('a.skip', { href: '#main' }, t('skip')),
    h('div.netbar', { role: 'status', hidden: navigator.onLine !== false }, icon('offline', false, 18), h('span', t('offline'))),
    h('nav.rail', { 'aria-label': t('app') }, brand, h('div.rail-items', items(false))),
    h('header.topbar', back, h('a.brand.top-brand', { href: '/', 'aria-label': t('app') }, logo(26), h('span.wordmark', t('app'))), h('h1.title', { dir: 'auto' }), h('div.tools')),
    h('main#main.main', { tabindex: '-1' }),
    h('nav.tabbar', { 'aria-label': t('app') }, items(true)),
    h('div#toasts', { 'aria-live': 'polite' }),
  );
}

/* ---- unread badge ---- */

let unreadTimer;
let unreadAt = 0;
export async function refreshUnread() {
  if (!signedIn()) return;
  unreadAt = Date.now();
  try {
    const r = await api('/api/v1/notifications/unread_count');
    setUnread(r.count || 0);
  } catch {
    /* the badge can wait */
  }
}
export function setUnread(n) {
  $$('.badge').forEach((b) => {
    b.hidden = !n;
    b.textContent = n > 99 ? '99+' : n;
    const a = b.closest('a');
    a.setAttribute('aria-label', n ? t('notifications') + ', ' + t('unread', { n }) : t('notifications'));
  });
}
window.setUnread = setUnread;

/* ---- boot ---- */

let booted = false;
async function boot() {
  const theme = localStorage.getItem('pinhole.theme');
  if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
  await setupLang();
  if (signedIn()) state.me = cachedMe();
  shell();
  if (!history.state?.key) history.replaceState({ key: 'k0' }, '');
  document.addEventListener('click', (e) => {
    const a = e.target.closest('a[href]');
    if (!a || e.defaultPrevented || e.button || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey || a.target) return;
    const u = new URL(a.href, location.href);
    if (u.origin !== location.origin || /^\/(api|oauth|auth|media|assets|app)\//.test(u.pathname)) return;
    e.preventDefault();
    if (u.pathname === location.pathname && u.search === location.search) {
      if (current?.refresh) current.refresh();
      else scrollTo({ top: 0, behavior: 'smooth' });
      return;
    }
    nav(u.pathname + u.search + u.hash);
  });
  addEventListener('popstate', () => route(false));
  addEventListener('offline', () => ($('.netbar').hidden = false));
  addEventListener('online', () => {
    $('.netbar').hidden = true;
    toast(t('back_online'));
  });
  on('expired', expired);
  on('me', () => shell());
  await route(true);
  booted = true;
  if (signedIn()) {
    const old = cachedMe();
    loadMe()
      .then((me) => {
        if (!old || old.avatar !== me.avatar || old.acct !== me.acct) {
          shell();
          route(false);
        }
      })
      .catch(() => {});
    refreshUnread();
    unreadTimer = setInterval(() => document.visibilityState === 'visible' && refreshUnread(), 60000);
    addEventListener('focus', refreshUnread);
  }
}

let expiredShown = false;
function expired() {
  if (expiredShown) return;
  expiredShown = true;
  clearInterval(unreadTimer);
  state.me = null;
  shell();
  route(false);
  import('./dialogs.js').then(({ modal }) => modal(t('session_expired'), h('div', h('p.modal-text', t('session_expired_text'))), {
    actions: [h('button.btn', { type: 'button', onclick: () => startSignIn(false) }, t('sign_in'))],
    onclose: () => (expiredShown = false),
  }));
}

boot();
