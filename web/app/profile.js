// A profile: avatar, name, bio, counts, the follow button, and a 3-column
// grid of photos — or a notice when the account is private.
import { page, relationships, signedIn, startSignIn, state } from './api.js';
import { acct, avatar, empty, h, num, pager, profilePath, userText, local, displayName } from './dom.js';
import { menu } from './dialogs.js';
import { t } from './i18n.js';
import { icon } from './icons.js';
import { tile } from './grid.js';
import { followButton, lookup, relAction } from './people.js';

export async function profile(ctx) {
  const [name, tab] = ctx.params;
  let a;
  try {
    a = await lookup(name);
  } catch (e) {
    if (e.status !== 404) throw e;
    return { title: '@' + name, el: h('div', empty('user', t('not_found'), t('user_not_found', { name }), h('a.btn', { href: '/explore' }, t('explore')))) };
  }
  const me = state.me && state.me.id === a.id;
  const rel = me || !signedIn() ? {} : (await relationships([a.id]).catch(() => ({})))[a.id] || {};
  const el = h('section.profile');
  const head = h('header.profile-head');
  const nameEl = h('h1.ph-name', h('bdi', acct(a)));
  if (a.locked) nameEl.append(icon('lock', false, 16));
  const btns = h('div.ph-btns');
  const tools = [];
  if (me) {
    btns.append(h('a.btn.secondary.sm', { href: '/settings' }, t('edit_profile')));
    const hist = h('a.icon-btn', { href: '/followers-history', 'aria-label': t('history') });
    hist.append(icon('chart', false, 20));
    btns.append(hist);
    const set = h('a.icon-btn', { href: '/settings', 'aria-label': t('settings') });
    set.append(icon('settings'));
    tools.push(set);
  } else if (signedIn()) {
    const more = h('button.icon-btn', {
      type: 'button',
      'aria-label': t('more'),
      onclick: () =>
        menu('@' + acct(a), [
          { label: rel.muting ? t('unmute') : t('mute'), icon: 'eyeoff', run: () => relAction(a, rel.muting ? 'unmute' : 'mute').then((ok) => ok && (rel.muting = !rel.muting)) },
          { label: rel.blocking ? t('unblock') : t('block'), icon: 'x', danger: !rel.blocking, run: () => relAction(a, rel.blocking ? 'unblock' : 'block').then((ok) => ok && ctx.reload?.()) },
        ]),
    });
    more.append(icon('more', false, 20));
    btns.append(followButton(a, rel, { small: false, onChange: () => window.nav(location.pathname, true) }), more);
  } else {
    btns.append(h('button.btn', { type: 'button', onclick: () => startSignIn(false) }, t('follow')));
  }
  const count = (n, label, href) => {
    const inner = [h('strong', num(n)), ' ', h('span', label)];
    return href ? h('a', { href }, inner) : h('span', inner);
  };
  const canSee = me || !a.locked || rel.following;
  const counts = h(
    'div.ph-counts',
    count(a.statuses_count, t('posts', { n: a.statuses_count })),
    count(a.followers_count, t('followers', { n: a.followers_count }), canSee && profilePath(a) + '/followers'),
    count(a.following_count, t('following'), canSee && profilePath(a) + '/following'),
  );
  const bio = h('div.ph-bio', (a.display_name || '').trim() ? h('bdi.dn', { dir: 'auto' }, a.display_name) : null);
  if (rel.followed_by) nameEl.append(h('span.follows-you', t('follows_you')));
  if (a.note) bio.append(userText('div.note', a.note));
  if (a.fields?.length) {
    const dl = h('dl.fields');
    for (const f of a.fields) {
      const dd = userText('dd', f.value);
      dl.append(h('div', h('dt', { dir: 'auto' }, f.name), dd));
    }
    bio.append(dl);
  }
  head.append(h('div.ph-av', avatar(a, 150)), h('div.ph-top', nameEl, btns), counts, bio);
  el.append(head);

  if (!canSee) {
    el.append(h('div.private', h('div.empty-ic', icon('lock')), h('h2', t('private_title')), h('p.sub', t('private_text'))));
    return { el, title: '@' + acct(a), width: 'wide', tools };
  }
  const saved = tab === 'saved' && me;
  if (me) {
    const tabA = (href, ic, label, on) => h('a', { href, 'aria-current': on ? 'page' : null }, icon(ic), label);
    el.append(h('nav.tabs', { 'aria-label': t('profile') }, tabA(profilePath(a), 'grid', t('posts_tab'), !saved), tabA(profilePath(a) + '/saved', 'bookmark', t('saved_tab'), saved)));
  } else el.append(h('div.tabs'));
  const grid = h('div.grid');
  el.append(grid);
  const path = saved ? '/api/v1/bookmarks' : '/api/v1/accounts/' + a.id + '/statuses';
  const p = pager(grid, (next) => page(next || path, { query: next ? null : saved ? { limit: 30 } : { limit: 30, exclude_replies: true } }), tile, {
    onEmpty: () =>
      grid.replaceWith(
        saved
          ? empty('bookmark', null, t('no_saved'))
          : me
            ? empty('image', t('no_posts_me'), t('no_posts_me_text'), h('a.btn', { href: '/new' }, t('new_post')))
            : empty('image', t('no_posts')),
      ),
  });
  el.append(p.foot);
  p.go();
  return { el, title: '@' + acct(a), width: 'wide', tools, destroy: p.stop, avatarUrl: local(a.avatar) };
}
