// Small DOM helpers shared by every screen: element building, safe insertion
// of the server's (already sanitized) HTML with links rewritten to client
// routes, and locale-aware formatting of times and counts.
import { lang, t } from './i18n.js';
import { icon } from './icons.js';

/** h('div.card', {attrs}, ...children): builds an element. Props starting
 *  with "on" are listeners; class/className, dataset, and anything else is
 *  an attribute (true → "", false/null → absent). */
export function h(tag, props, ...kids) {
  const [head, ...cls] = tag.split('.');
  const [name, id] = head.split('#');
  const el = document.createElement(name || 'div');
  if (id) el.id = id;
  if (cls.length) el.className = cls.join(' ');
  if (props && (typeof props !== 'object' || props instanceof Node || Array.isArray(props))) {
    kids.unshift(props);
    props = null;
  }
  for (const k in props || {}) {
    const v = props[k];
    if (v == null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className += (el.className ? ' ' : '') + v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'text') el.textContent = v;
    else if (k === 'value') el.value = v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  add(el, kids);
  return el;
}

export function add(el, kids) {
  for (const k of kids) {
    if (k == null || k === false) continue;
    if (Array.isArray(k)) add(el, k);
    else el.append(k instanceof Node ? k : String(k));
  }
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
export const clear = (el) => (el.replaceChildren(), el);

/** Absolute URLs of this server's files become same-origin paths, so the page
 *  works whichever host name it was opened with. */
export function local(u) {
  if (!u) return u;
  try {
    const x = new URL(u, location.href);
    if (/^\/(media|assets|app)\//.test(x.pathname)) return x.pathname + x.search;
    return x.origin === location.origin ? x.pathname + x.search : u;
  } catch {
    return '';
  }
}

export const acct = (a) => a.acct || a.username;
export const profilePath = (a) => '/@' + acct(a);
export const displayName = (a) => (a.display_name || '').trim() || a.username;

const OK_TAGS = new Set(['P', 'BR', 'A', 'SPAN', 'B', 'STRONG', 'I', 'EM', 'U', 'DEL', 'CODE', 'PRE', 'BLOCKQUOTE', 'UL', 'OL', 'LI']);

/** The server's content HTML as a fragment: tags outside a small list are
 *  unwrapped, attributes dropped, hashtag and mention links pointed at the
 *  app's own routes, other links opened in a new tab. */
export function richText(html, mentions = [], dropLead) {
  const tpl = document.createElement('template');
  tpl.innerHTML = html || '';
  const walk = (node) => {
    for (const el of [...node.children]) {
      walk(el);
      if (!OK_TAGS.has(el.tagName)) {
        el.replaceWith(...el.childNodes);
        continue;
      }
      const href = el.getAttribute('href');
      const cls = el.className;
      for (const at of [...el.attributes]) el.removeAttribute(at.name);
      if (el.tagName !== 'A') continue;
      let to = null;
      try {
        const u = new URL(href, location.href);
        const text = el.textContent;
        if (/\bhashtag\b/.test(cls) || (text.startsWith('#') && /\/tags\//.test(u.pathname))) {
          to = '/tags/' + encodeURIComponent(decodeURIComponent(u.pathname.split('/tags/')[1] || text.slice(1)));
          el.className = 'tag';
        } else if (/\bmention\b/.test(cls) || text.startsWith('@')) {
          const m = mentions.find((x) => x.url === href);
          to = '/@' + (m ? m.acct : decodeURIComponent(u.pathname.replace(/^\/@?/, '').split('/')[0]));
          el.className = 'mention';
        } else if (/^https?:$/.test(u.protocol)) {
          el.href = u.href;
          el.target = '_blank';
          el.rel = 'noopener nofollow ugc';
          continue;
        }
      } catch {
        /* not a URL: a plain span below */
      }
      if (to) el.setAttribute('href', to);
      else el.replaceWith(...el.childNodes);
    }
  };
  walk(tpl.content);
  if (dropLead) dropMention(tpl.content, dropLead);
  return tpl.content;
}

/* Comments mention the post's author so that the author is notified (as
 * Mastodon clients do); under the post that leading mention is noise. */
function dropMention(frag, who) {
  const p = frag.firstElementChild;
  if (!p) return;
  let n = p.firstChild;
  while (n && n.nodeType === 3 && !n.textContent.trim()) n = n.nextSibling;
  const a = n && (n.matches?.('a.mention') ? n : n.childElementCount === 1 && n.textContent.trim().startsWith('@') ? n.querySelector('a.mention') : null);
  if (!a || a.getAttribute('href') !== '/@' + who) return;
  const next = n.nextSibling;
  n.remove();
  if (next?.nodeType === 3) next.textContent = next.textContent.replace(/^\s+/, '');
}

/** User text always in its own direction. */
export const userText = (tag, html, mentions, dropLead) => {
  const el = h(tag, { dir: 'auto' });
  el.append(richText(html, mentions, dropLead));
  return el;
};

const plain = (html) => {
  const d = document.createElement('template');
  d.innerHTML = html || '';
  return d.content.textContent;
};
export { plain };

let rtf, nf, nfc;
function fmt() {
  if (!rtf || rtf.resolvedOptions().locale.slice(0, 2) !== lang()) {
    rtf = new Intl.RelativeTimeFormat(lang(), { numeric: 'auto', style: 'short' });
    nf = new Intl.NumberFormat(lang());
    nfc = new Intl.NumberFormat(lang(), { notation: 'compact', maximumFractionDigits: 1 });
  }
}

/** "5 min ago", "yesterday", then a date. */
export function ago(iso, long) {
  fmt();
  const s = (Date.now() - Date.parse(iso)) / 1000;
  if (s < 45) return t('just_now');
  const units = [
    [3600, 60, 'minute'],
    [86400, 3600, 'hour'],
    [604800, 86400, 'day'],
  ];
  for (const [lim, div, unit] of units) if (s < lim) return rtf.format(-Math.round(s / div), unit);
  const d = new Date(iso);
  const opt = { month: long ? 'long' : 'short', day: 'numeric' };
  if (d.getFullYear() !== new Date().getFullYear()) opt.year = 'numeric';
  return d.toLocaleDateString(lang(), opt);
}

export function time(iso, long) {
  return h('time', { datetime: iso, title: new Date(iso).toLocaleString(lang()) }, ago(iso, long));
}

export const num = (n) => (fmt(), nf.format(n));
export const compact = (n) => (fmt(), n < 10000 ? nf.format(n) : nfc.format(n));

/** A visible, polite announcement for assistive technology and everyone. */
export function toast(msg, kind) {
  const box = $('#toasts');
  if (!box) return;
  const el = h('div.toast' + (kind ? '.' + kind : ''), { role: kind === 'error' ? 'alert' : 'status' }, msg);
  box.append(el);
  setTimeout(() => el.classList.add('out'), 3600);
  setTimeout(() => el.remove(), 4000);
}

/** A promise of the first element matching: for lazily mounted views. */
export const raf = () => new Promise((r) => requestAnimationFrame(() => r()));

export function uid() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

/** Avatar image; the server's default when none. */
export function avatar(a, size = 32, extra) {
  return h('img.avatar', {
    src: local(a.avatar_static || a.avatar) || '/assets/avatar.png',
    alt: extra === '' ? '' : t('avatar_of', { name: '@' + acct(a) }),
    width: size,
    height: size,
    loading: 'lazy',
    decoding: 'async',
    class: 's' + size,
  });
}

/** Visually hidden text for screen readers. */
export const sr = (text) => h('span.sr', text);


/** Human words for an API failure. */
export function errText(e) {
  if (!e) return t('net_error');
  if (e.status === 0) return navigator.onLine === false ? t('offline') : t('net_error');
  if (e.status === 429) return t('rate_limited');
  if (e.status === 403) return e.message && e.message !== 'Forbidden' ? e.message : t('forbidden');
  if (e.status >= 500) return t('server_error', { status: e.status });
  return e.message || t('server_error', { status: e.status });
}

/** An empty or error state that says what to do: icon, title, text, action. */
export function empty(ic, title, text, action) {
  return h('div.empty', h('div.empty-ic', icon(ic)), title && h('h2', title), text && h('p', text), action);
}

export function failure(e, retry) {
  return empty(e?.status === 0 ? 'offline' : 'alert', null, errText(e), retry && h('button.btn.secondary', { type: 'button', onclick: retry }, t('retry')));
}

/**
 * Infinite list: load(next) → {data, next}; render(item) → node or null.
 * Loads when the footer nears the viewport, with a "Load more" button as the
 * fallback (and for keyboards). onEmpty() when the first page is empty.
 */
export function pager(list, load, render, { onEmpty, endText, after } = {}) {
  const btn = h('button.btn.secondary', { type: 'button', onclick: () => go() }, t('load_more'));
  const foot = h('div.pager', h('div.spinner', { 'aria-hidden': 'true' }), btn);
  let next, busy = false, done = false, count = 0, rounds = 0;
  const io = 'IntersectionObserver' in window ? new IntersectionObserver((es) => es[0].isIntersecting && go(), { rootMargin: '900px 0px' }) : null;
  async function go() {
    if (busy || done) return;
    busy = true;
    foot.className = 'pager busy';
    try {
      const r = await load(next);
      const nodes = (r.data || []).map(render).filter(Boolean);
      list.append(...nodes);
      count += nodes.length;
      after?.(nodes, r.data);
      next = r.next;
      if (!r.next || !(r.data || []).length) done = true;
      foot.className = 'pager';
    } catch (e) {
      if (e.name === 'AbortError') return;
      foot.className = 'pager failed';
      foot.replaceChildren(failure(e, () => (foot.replaceChildren(h('div.spinner'), btn), go())));
      busy = false;
      return;
    }
    busy = false;
    if (done) {
      io?.disconnect();
      foot.className = 'pager done';
      if (!count) {
        foot.replaceChildren();
        onEmpty?.();
      } else foot.replaceChildren(endText ? h('p.end', endText) : '');
    } else if (rounds++ < 20 && foot.isConnected && foot.getBoundingClientRect().top < innerHeight + 900) {
      setTimeout(go, 0); // the page is not full yet
    } else rounds = 0;
  }
  io?.observe(foot);
  return { foot, go, stop: () => io?.disconnect() };
}

let cssP;
/** The screens' stylesheet, added once; resolves when it applies. */
export function screensCss() {
  return (cssP ||= new Promise((res) => {
    const l = h('link', { rel: 'stylesheet', href: '/app/screens.css' });
    l.onload = l.onerror = () => res();
    document.head.append(l);
  }));
}

/** A screen's module with its styles (both fetched in parallel). */
export const need = (name) => Promise.all([import('./' + name), screensCss()]).then(([m]) => m);
