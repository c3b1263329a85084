// Explore (recent public photos, trending tags and search when the server
// offers them) and hashtag pages. Search (/api/v2/search) and trends
// (/api/v1/trends/tags) are used only when they answer; a 404 hides them.
import { api, page } from './api.js';
import { compact, empty, errText, h, pager } from './dom.js';
import { t } from './i18n.js';
import { icon } from './icons.js';
import { tile } from './grid.js';
import { accountRow } from './people.js';

function debounce(fn, ms) {
  let id;
  return (...a) => {
    clearTimeout(id);
    id = setTimeout(() => fn(...a), ms);
  };
}

const tagPath = (name) => '/tags/' + encodeURIComponent(name);

function tagRow(tg) {
  const uses = (tg.history || []).reduce((n, d) => n + Number(d.uses || 0), 0);
  return h('div.row', h('a.row-link', { href: tagPath(tg.name) }, h('span.tag-ic', { 'aria-hidden': 'true' }, '#'), h('span.row-main', h('bdi.handle', '#' + tg.name), uses ? h('span.sub', compact(uses) + ' ' + t('posts', { n: uses })) : null)));
}

async function trends(box) {
  try {
    const tags = await api('/api/v1/trends/tags', { query: { limit: 12 } });
    if (!tags?.length) return;
    const chips = h('div.chips', { role: 'list' });
    for (const tg of tags) chips.append(h('a.chip', { href: tagPath(tg.name), role: 'listitem', dir: 'auto' }, '#' + tg.name));
    box.append(h('h2.section-title', t('trending')), chips);
    box.hidden = false;
  } catch {
    /* no trends on this server (404) or not now: the section stays hidden */
  }
}

function searchBox(onShow) {
  const input = h('input', { type: 'search', placeholder: t('search_ph'), 'aria-label': t('search'), autocomplete: 'off', enterkeyhint: 'search', dir: 'auto' });
  const form = h('form.search', { role: 'search', hidden: true, onsubmit: (e) => e.preventDefault() }, icon('search'), input);
  const results = h('div.results', { 'aria-live': 'polite' });
  let ctl;
  const run = debounce(async () => {
    const q = input.value.trim();
    ctl?.abort();
    if (!q) {
      results.replaceChildren();
      onShow(false);
      return;
    }
    ctl = new AbortController();
    try {
      const r = await api('/api/v2/search', { query: { q, limit: 8 }, signal: ctl.signal });
      const kids = [];
      if (r.accounts?.length) kids.push(h('h2', t('accounts')), h('div.rows', r.accounts.map((a) => accountRow(a, null))));
      if (r.hashtags?.length) kids.push(h('h2', t('tags')), h('div.rows', r.hashtags.map((x) => tagRow(typeof x === 'string' ? { name: x } : x))));
      if (!kids.length) kids.push(h('p.pad.sub', t('search_none', { q })));
      results.replaceChildren(...kids);
      onShow(true);
    } catch (e) {
      if (e.name !== 'AbortError') results.replaceChildren(h('p.pad.sub', errText(e)));
    }
  }, 220);
  input.addEventListener('input', run);
  input.addEventListener('keydown', (e) => e.key === 'Escape' && ((input.value = ''), run()));
  // Shown only when the server has search: a cheap probe first.
  api('/api/v2/search', { query: { q: 'a', limit: 1 } })
    .then(() => (form.hidden = false))
    .catch(() => {});
  return { form, results };
}

export async function explore() {
  const grid = h('div.grid.mosaic');
  const trend = h('section.trends', { hidden: true });
  const body = h('div', trend, grid);
  const s = searchBox((on) => {
    body.hidden = on;
    s.results.hidden = !on;
  });
  const el = h('section', h('h1.page-h.m-hide', t('explore')), s.form, s.results, body);
  trends(trend);
  const p = pager(grid, (next) => page(next || '/api/v1/timelines/public', { query: next ? null : { limit: 40 } }), tile, {
    onEmpty: () => grid.replaceWith(empty('explore', null, t('explore_empty'), h('a.btn', { href: '/new' }, t('new_post')))),
  });
  el.append(p.foot);
  p.go();
  return { el, title: t('explore'), width: 'wide', destroy: p.stop };
}

export async function tag(ctx) {
  const name = ctx.params[0].replace(/^#/, '');
  const grid = h('div.grid');
  const el = h('section', h('header.tag-head', h('span.tag-ic', { 'aria-hidden': 'true' }, '#'), h('div', h('h1', { dir: 'auto' }, '#' + name), h('p.sub', t('tag_posts')))), grid);
  const p = pager(grid, (next) => page(next || '/api/v1/timelines/tag/' + encodeURIComponent(name), { query: next ? null : { limit: 40 } }), tile, {
    onEmpty: () => grid.replaceWith(empty('image', null, t('tag_empty', { tag: name }), h('a.btn', { href: '/new' }, t('new_post')))),
  });
  el.append(p.foot);
  p.go();
  return { el, title: '#' + name, width: 'wide', tab: 'explore', destroy: p.stop };
}

