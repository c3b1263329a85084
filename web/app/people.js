// People: follow buttons that know about private accounts, account rows,
// follower and following lists, who liked a post, and suggestions.
import { api, page, relationships, signedIn, startSignIn, state } from './api.js';
import { acct, avatar, errText, h, pager, profilePath, toast } from './dom.js';
import { ask, modal } from './dialogs.js';
import { t } from './i18n.js';

export async function lookup(name) {
  return api('/api/v1/accounts/lookup', { query: { acct: name.replace(/^@/, '') } });
}

/** Follow / Following / Requested, kept in step with REL (mutated). */
export function followButton(a, rel = {}, { onChange, small = true } = {}) {
  const b = h('button.btn' + (small ? '.sm' : ''), { type: 'button' });
  const paint = () => {
    const on = rel.following || rel.requested;
    b.textContent = rel.following ? t('following_btn') : rel.requested ? t('requested') : rel.followed_by ? t('follow_back') : t('follow');
    b.classList.toggle('secondary', !!on);
    b.setAttribute('aria-pressed', String(!!on));
  };
  b.addEventListener('click', async () => {
    if (!signedIn()) return startSignIn(false);
    const undo = rel.following || rel.requested;
    if (rel.following && !(await ask(t('unfollow_q', { name: acct(a) }), a.locked ? t('private_text') : '', t('unfollow'), true))) return;
    b.disabled = true;
    try {
      const r = await api('/api/v1/accounts/' + a.id + (undo ? '/unfollow' : '/follow'), { method: 'POST' });
      Object.assign(rel, r);
      onChange?.(rel);
    } catch (e) {
      toast(errText(e), 'error');
    }
    b.disabled = false;
    paint();
  });
  paint();
  return b;
}

export function accountRow(a, rel, extra) {
  const me = state.me && state.me.id === a.id;
  return h(
    'div.row',
    h('a.row-link', { href: profilePath(a) }, avatar(a, 44, ''), h('span.row-main', h('bdi.handle', acct(a)), a.display_name?.trim() ? h('span.sub', { dir: 'auto' }, a.display_name) : null)),
    extra || (!me && signedIn() && rel ? followButton(a, rel) : null),
  );
}

/** Renders a page of accounts with their relationships fetched in one call. */
export function accountPager(list, path, opts = {}) {
  let rels = {};
  return pager(
    list,
    async (next) => {
      const r = await page(next || path, { query: next ? null : { limit: 40 } });
      rels = await relationships(r.data.map((a) => a.id)).catch(() => ({}));
      return r;
    },
    (a) => (opts.row ? opts.row(a, rels[a.id]) : accountRow(a, rels[a.id] || (signedIn() ? {} : null))),
    { onEmpty: () => list.append(h('p.end.pad', opts.empty || t('people_empty'))) },
  );
}

export function likers(s) {
  const list = h('div.rows');
  modal(t('liked_by'), list, { cls: 'wide' });
  const p = accountPager(list, '/api/v1/statuses/' + s.id + '/favourited_by', { empty: t('nobody_liked') });
  list.after(p.foot);
  p.go();
}

export async function peoplePage(ctx) {
  const [name, which] = ctx.params;
  const a = await lookup(name);
  const title = which === 'followers' ? t('followers_title') : t('following_title');
  const list = h('div.rows');
  const el = h('section', h('h1.page-h.m-hide', title), h('p.lede.sub', '@' + acct(a)), list);
  const p = accountPager(list, '/api/v1/accounts/' + a.id + '/' + which, {
    row:
      which === 'followers' && state.me?.id === a.id
        ? (x, rel) => accountRow(x, rel, h('button.btn.secondary.sm', { type: 'button', onclick: (e) => relAction(x, 'remove_from_followers', e.target) }, t('remove_follower')))
        : null,
  });
  el.append(p.foot);
  p.go();
  return { el, title, width: 'narrow', tab: 'profile', destroy: p.stop };
}

/** mute, unmute, block, unblock, remove_from_followers (confirms blocking). */
export async function relAction(a, what, btn) {
  if (what === 'block' && !(await ask(t('block') + ' @' + acct(a) + '?', t('blocked_q', { name: acct(a) }), t('block'), true))) return false;
  try {
    if (btn) btn.disabled = true;
    await api('/api/v1/accounts/' + a.id + '/' + what, { method: 'POST' });
    toast(t('done'));
    if (btn) btn.closest('.row')?.remove();
    return true;
  } catch (e) {
    if (btn) btn.disabled = false;
    toast(errText(e), 'error');
    return false;
  }
}

/** For an empty home feed: authors of recent public posts, to follow. */
export async function suggestions(el, me) {
  const box = h('section.suggest', h('h2.section-title', t('suggestions')));
  const list = h('div.rows');
  box.append(list);
  el.append(box);
  try {
    const posts = await api('/api/v1/timelines/public', { query: { limit: 40 } });
    const seen = new Map();
    for (const s of posts) if (s.account.id !== me?.id && !seen.has(s.account.id)) seen.set(s.account.id, s.account);
    const rels = await relationships([...seen.keys()]);
    const pick = [...seen.values()].filter((a) => !rels[a.id]?.following && !rels[a.id]?.blocking).slice(0, 8);
    if (!pick.length) {
      list.append(h('p.end.pad', t('no_suggestions')), h('div.center', h('a.btn', { href: '/new' }, t('new_post'))));
      return;
    }
    for (const a of pick) list.append(accountRow(a, rels[a.id] || {}));
  } catch (e) {
    list.append(h('p.end.pad', errText(e)));
  }
}
