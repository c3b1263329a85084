// Notifications, grouped (likes on the same photo and runs of new followers
// become one line), split into New and Earlier by the read marker; and the
// follow requests of a private account.
import { api, page, relationships, state } from './api.js';
import { acct, avatar, empty, errText, h, pager, profilePath, time, toast, userText } from './dom.js';
import { ask } from './dialogs.js';
import { t, tn } from './i18n.js';
import { icon } from './icons.js';
import { photo } from './post.js';
import { followButton } from './people.js';

const FILTERS = [
  ['all', null],
  ['n_likes', ['favourite']],
  ['n_comments', ['mention']],
  ['n_follows', ['follow', 'follow_request']],
];

const who = (a) => h('a.who-link', { href: profilePath(a) }, h('b', h('bdi', acct(a))));

function group(list) {
  const out = [];
  for (const n of list) {
    const last = out[out.length - 1];
    if (last && n.type === 'favourite' && last.type === 'favourite' && last.status?.id === n.status?.id) last.more.push(n);
    else if (last && n.type === 'follow' && last.type === 'follow' && last.unread === n.unread) last.more.push(n);
    else out.push({ ...n, more: [] });
  }
  return out;
}

function thumb(s) {
  const m = s?.media_attachments?.[0];
  if (!m) return null;
  const a = h('a.n-thumb', { href: '/p/' + s.id, 'aria-label': t('post') });
  const p = photo(m, s, { grid: true, hidden: s.sensitive, sizes: '44px' });
  p.querySelector('img').alt = '';
  a.append(p);
  return a;
}

function row(g, rels) {
  const all = [g, ...g.more];
  const av = h('div.n-av' + (all.length > 1 ? '.stacked' : ''));
  av.append(avatar(g.account, 44, ''));
  if (all.length > 1) av.append(avatar(g.more[0].account, 32, ''));
  const text = h('div.n-text');
  const others = all.length - 1;
  let end = null;
  switch (g.type) {
    case 'favourite':
      text.append(...tn(others ? 'n_fav_many' : 'n_fav', { who: who(g.account), n: others }));
      end = thumb(g.status);
      break;
    case 'follow':
      text.append(...tn(others ? 'n_follow_many' : 'n_follow', { who: who(g.account), n: others }));
      if (!others && rels[g.account.id]) end = followButton(g.account, rels[g.account.id]);
      break;
    case 'follow_request':
      text.append(...tn('n_follow_request', { who: who(g.account) }));
      end = h('a.btn.sm', { href: '/follow-requests' }, t('follow_requests'));
      break;
    case 'mention': {
      const isReply = !!g.status?.in_reply_to_id;
      text.append(...tn(isReply ? 'n_mention' : 'n_mention_post', { who: who(g.account) }), ' ');
      const q = userText('a.n-quote', g.status.content, g.status.mentions, state.me ? acct(state.me) : null);
      q.querySelectorAll('a').forEach((x) => x.replaceWith(...x.childNodes));
      q.href = '/p/' + g.status.id;
      text.append(q);
      break;
    }
    case 'reblog':
      text.append(...tn('n_reblog', { who: who(g.account) }));
      end = thumb(g.status);
      break;
    default:
      return null;
  }
  text.append(time(g.created_at));
  return h('div.n-row' + (g.unread ? '.unread' : ''), av, text, end);
}

export async function notifications() {
  const me = state.me;
  const list = h('div.rows');
  const banner = h('div');
  const chips = h('div.chips', { role: 'toolbar', 'aria-label': t('notifications') });
  const el = h('section', h('h1.page-h.m-hide', t('notifications')), banner, chips, list);
  let unread = 0;
  let marked = false;
  let pg;
  const clearB = h('button.icon-btn', {
    type: 'button',
    'aria-label': t('clear_all'),
    title: t('clear_all'),
    onclick: async () => {
      if (!(await ask(t('clear_q'), '', t('clear_all'), true))) return;
      try {
        await api('/api/v1/notifications/clear', { method: 'POST' });
        start(current);
      } catch (e) {
        toast(errText(e), 'error');
      }
    },
  });
  clearB.append(icon('trash'));

  let current = null;
  let section = null;
  function start(types) {
    current = types;
    pg?.stop();
    list.replaceChildren();
    section = null;
    pg?.foot.remove();
    pg = pager(
      list,
      async (next) => {
        const r = await page(next || '/api/v1/notifications', { query: next ? null : { limit: 30, types } });
        const first = !next;
        r.data.forEach((n, i) => (n.unread = first && !types && i < unread));
        const follows = r.data.filter((n) => n.type === 'follow').map((n) => n.account.id);
        const rels = await relationships(follows).catch(() => ({}));
        const nodes = [];
        for (const g of group(r.data)) {
          const sec = g.unread ? 'new' : 'earlier';
          if (sec !== section) {
            section = sec;
            nodes.push(h('h2.n-h', t(sec)));
          }
          const r = row(g, rels);
          if (r) nodes.push(r);
        }
        if (first && r.data.length && !marked && !types) {
          marked = true;
          api('/api/v1/markers', { method: 'POST', body: new URLSearchParams({ 'notifications[last_read_id]': r.data[0].id }) })
            .then(() => window.setUnread?.(0))
            .catch(() => {});
        }
        return { data: nodes, next: r.next && r.data.length ? r.next : null };
      },
      (x) => x,
      { onEmpty: () => list.append(empty('heart', null, t('notif_empty'))) },
    );
    el.append(pg.foot);
    pg.go();
  }

  for (const [label, types] of FILTERS) {
    const c = h('button.chip', { type: 'button', 'aria-pressed': String(!types), onclick: () => {
      chips.querySelectorAll('.chip').forEach((x) => x.setAttribute('aria-pressed', String(x === c)));
      start(types);
    } }, t(label));
    chips.append(c);
  }

  const boot = async () => {
    try {
      unread = (await api('/api/v1/notifications/unread_count')).count || 0;
    } catch {
      unread = 0;
    }
    start(null);
    try {
      const reqs = await api('/api/v1/follow_requests', { query: { limit: 40 } });
      if (reqs.length)
        banner.replaceChildren(
          h('a.req-banner', { href: '/follow-requests' }, h('span.n-av', icon('userplus')), h('span.row-main', h('strong', t('follow_requests')), h('span.sub', t('requests_n', { n: reqs.length }))), icon('next', false, 18)),
        );
    } catch {
      /* no banner */
    }
  };
  boot();
  return { el, title: t('notifications'), width: 'narrow', tools: [clearB], destroy: () => pg?.stop(), me };
}

export async function requests() {
  const list = h('div.rows');
  const el = h('section', h('h1.page-h.m-hide', t('follow_requests')), list);
  const decide = async (a, ok, r) => {
    r.querySelectorAll('button').forEach((b) => (b.disabled = true));
    try {
      await api('/api/v1/follow_requests/' + a.id + (ok ? '/authorize' : '/reject'), { method: 'POST' });
      r.querySelector('.req-actions').replaceWith(h('span.sub', ok ? t('accepted') : t('declined')));
    } catch (e) {
      toast(errText(e), 'error');
      r.querySelectorAll('button').forEach((b) => (b.disabled = false));
    }
  };
  const p = pager(
    list,
    (next) => page(next || '/api/v1/follow_requests', { query: next ? null : { limit: 40 } }),
    (a) => {
      const r = h('div.row', h('a.row-link', { href: profilePath(a) }, avatar(a, 44, ''), h('span.row-main', h('bdi.handle', acct(a)), h('span.sub', { dir: 'auto' }, a.display_name || ''))));
      r.append(
        h('div.req-actions', h('button.btn.sm', { type: 'button', onclick: () => decide(a, true, r) }, t('accept')), ' ', h('button.btn.secondary.sm', { type: 'button', onclick: () => decide(a, false, r) }, t('decline'))),
      );
      return r;
    },
    { onEmpty: () => list.append(empty('userplus', null, t('requests_empty'))) },
  );
  el.append(p.foot);
  p.go();
  return { el, title: t('follow_requests'), width: 'narrow', destroy: p.stop };
}
