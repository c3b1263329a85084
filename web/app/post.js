// A post: photos (a swipeable carousel with arrows and dots), likes by
// button or double tap, caption with linked hashtags and mentions, and the
// actions around it. Used by the home feed and the post page.
import { api, signedIn, state, startSignIn } from './api.js';
import { blurCanvas } from './blurhash.js';
import { acct, add, ago, avatar, displayName, errText, h, local, num, plain, profilePath, time, toast, userText, need } from './dom.js';
import { rtl, t, tn } from './i18n.js';
import { icon } from './icons.js';

const clamp = (v, a, b) => Math.max(a, Math.min(b, v));
export const aspectOf = (m) => {
  const o = m.meta?.original || m.meta?.small || m.pinhole_variants?.feed;
  return o && o.width && o.height ? o.width / o.height : 1;
};
export const postPath = (s) => '/p/' + s.id;
export const altOf = (m, s) => (m.description || '').trim() || t('photo_by', { name: '@' + acct(s.account) });

/** srcset over the server's derivatives: square thumb for grids, else the
 *  uncropped small/preview/feed sizes. */
export function srcset(m, grid) {
  const v = m.pinhole_variants;
  if (!v) return [local(m.preview_url) + ' 640w', local(m.url) + ' 1080w'].join(', ');
  const names = grid ? ['thumb', 'small', 'preview'] : ['small', 'preview', 'feed'];
  return names.filter((n) => v[n]).map((n) => local(v[n].url) + ' ' + v[n].width + 'w').join(', ');
}

/**
 * One photo over its BlurHash. opts: sizes, grid (square tile), hidden
 * (sensitive: the image is not even requested until reveal()).
 */
export function photo(m, s, { sizes = '100vw', grid = false, hidden = false, eager = false } = {}) {
  const ar = aspectOf(m);
  const box = h('div.ph');
  const bh = blurCanvas(m.blurhash, grid ? 1 : ar);
  if (bh) box.append(bh);
  const img = h('img', { alt: altOf(m, s), decoding: 'async', loading: eager ? 'eager' : 'lazy', draggable: 'false' });
  const f = m.meta?.focus;
  if (f && (f.x || f.y)) {
    img.style.setProperty('--fx', ((f.x + 1) / 2) * 100 + '%');
    img.style.setProperty('--fy', ((1 - f.y) / 2) * 100 + '%');
  }
  const o = m.pinhole_variants?.feed || m.meta?.original;
  if (o && !grid) {
    img.width = o.width;
    img.height = o.height;
  }
  const loaded = () => box.classList.add('ok');
  img.addEventListener('load', loaded);
  img.addEventListener('error', () => box.classList.add('broken'));
  box.reveal = () => {
    if (img.getAttribute('srcset')) return;
    img.sizes = sizes;
    img.srcset = srcset(m, grid);
    img.src = local(grid ? m.pinhole_variants?.thumb?.url || m.preview_url : m.url);
    if (img.complete && img.naturalWidth) loaded();
  };
  box.append(img);
  if (!hidden) box.reveal();
  return box;
}

/** The photos of S as a carousel. onDouble(x, y) after a double tap. */
export function carousel(s, { sizes, onDouble, eager } = {}) {
  const media = s.media_attachments || [];
  const n = media.length;
  const hidden = !!s.sensitive;
  const root = h('div.carousel', {
    role: 'region',
    'aria-roledescription': 'carousel',
    'aria-label': t('carousel'),
    tabindex: n > 1 ? '0' : null,
  });
  // Every slide shares the first photo's shape, kept between 4:5 and 1.91:1.
  const ar = clamp(aspectOf(media[0] || {}), 0.8, 1.91);
  root.style.setProperty('--ar', ar.toFixed(4));
  const track = h('div.track');
  const boxes = [];
  media.forEach((m, i) => {
    const p = photo(m, s, { sizes, hidden, eager: eager && i === 0 });
    if (Math.abs(aspectOf(m) - ar) / ar > 0.03) p.classList.add('fit');
    boxes.push(p);
    track.append(h('div.slide', { role: 'group', 'aria-roledescription': 'slide', 'aria-label': t('photo_n', { i: i + 1, n }) }, p));
  });
  root.append(track);
  let idx = 0;
  const dots = h('div.dots', { 'aria-hidden': 'true' });
  const count = h('div.count', { 'aria-hidden': 'true' });
  const arrow = (dir) => {
    const b = h('button.arrow.' + dir, { type: 'button', 'aria-label': t(dir + '_photo'), onclick: (e) => (e.stopPropagation(), go(idx + (dir === 'next' ? 1 : -1))) });
    b.append(icon(dir, false, 18));
    return b;
  };
  const prev = arrow('prev');
  const next = arrow('next');
  if (n > 1) {
    for (let i = 0; i < n; i++) dots.append(h('span'));
    root.append(prev, next, count);
  }
  function go(i, instant) {
    idx = clamp(i, 0, n - 1);
    track.style.setProperty('--i', idx);
    track.style.setProperty('--dx', '0px');
    root.classList.toggle('instant', !!instant);
    prev.hidden = idx === 0;
    next.hidden = idx === n - 1;
    count.textContent = idx + 1 + '/' + n;
    [...dots.children].forEach((d, j) => d.classList.toggle('on', j === idx));
    [...track.children].forEach((sl, j) => (sl.inert = j !== idx));
    // Warm the neighbours so swiping never shows an empty slide.
    for (const j of [idx - 1, idx + 1]) if (boxes[j] && !hidden) boxes[j].querySelector('img').loading = 'eager';
  }
  go(0, true);

  // Swipe with pointer events; touch-action: pan-y leaves vertical scrolling
  // to the browser. A tap that follows another within 300 ms is a double tap.
  let x0 = 0, y0 = 0, t0 = 0, dx = 0, drag = false, down = false, lastTap = 0, lastX = 0, lastY = 0;
  root.addEventListener('pointerdown', (e) => {
    if (e.button || e.target.closest('button')) return;
    down = true;
    drag = false;
    x0 = e.clientX;
    y0 = e.clientY;
    t0 = e.timeStamp;
    dx = 0;
  });
  root.addEventListener('pointermove', (e) => {
    if (!down) return;
    const mx = e.clientX - x0;
    if (!drag && n > 1 && Math.abs(mx) > 8 && Math.abs(mx) > Math.abs(e.clientY - y0)) {
      drag = true;
      root.setPointerCapture(e.pointerId);
      root.classList.add('drag');
    }
    if (drag) {
      dx = mx;
      const edge = (idx === 0 && (rtl() ? dx < 0 : dx > 0)) || (idx === n - 1 && (rtl() ? dx > 0 : dx < 0));
      track.style.setProperty('--dx', (edge ? dx / 3 : dx) + 'px');
    }
  });
  const up = (e) => {
    if (!down) return;
    down = false;
    if (drag) {
      root.classList.remove('drag');
      const w = root.clientWidth || 1;
      const fast = Math.abs(dx) / Math.max(1, e.timeStamp - t0) > 0.4;
      const step = Math.abs(dx) > w * 0.2 || (fast && Math.abs(dx) > 24) ? (dx < 0 ? 1 : -1) * (rtl() ? -1 : 1) : 0;
      go(idx + step);
      drag = false;
      return;
    }
    if (e.type !== 'pointerup') return;
    if (e.timeStamp - lastTap < 300 && Math.abs(e.clientX - lastX) < 30 && Math.abs(e.clientY - lastY) < 30) {
      lastTap = 0;
      const r = root.getBoundingClientRect();
      onDouble?.(e.clientX - r.left, e.clientY - r.top);
    } else {
      lastTap = e.timeStamp;
      lastX = e.clientX;
      lastY = e.clientY;
    }
  };
  root.addEventListener('pointerup', up);
  root.addEventListener('pointercancel', up);
  root.addEventListener('dragstart', (e) => e.preventDefault());
  root.addEventListener('keydown', (e) => {
    const k = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
    if (!k || e.target !== root) return;
    e.preventDefault();
    go(idx + k * (rtl() ? -1 : 1));
  });

  const wrap = h('div.media', root, n > 1 && dots);
  if (hidden) {
    root.classList.add('veiled');
    const veil = h(
      'button.veil',
      {
        type: 'button',
        onclick: () => {
          boxes.forEach((b) => b.reveal());
          root.classList.remove('veiled');
          veil.remove();
          root.focus();
        },
      },
      icon('eyeoff', false, 28),
      h('strong', s.spoiler_text || t('sensitive')),
      h('span', t('sensitive_tap')),
    );
    veil.setAttribute('dir', 'auto');
    root.append(veil);
  }
  wrap.go = go;
  return wrap;
}

/** A big heart that blooms where the double tap landed. */
function burst(root, x, y) {
  const b = h('div.burst');
  b.append(icon('heart', true, 96));
  if (x != null) {
    b.style.setProperty('--x', x + 'px');
    b.style.setProperty('--y', y + 'px');
  } else b.classList.add('center');
  root.append(b);
  setTimeout(() => b.remove(), 900);
}

function needSignIn() {
  toast(t('sign_in_to'));
  startSignIn(false);
}

/** Likes S (on=true), with the count and every heart of S on the page kept in step. */
export async function setLike(s, on, ui) {
  if (!signedIn()) return needSignIn();
  if (s.favourited === on) return;
  const prev = [s.favourited, s.favourites_count];
  s.favourited = on;
  s.favourites_count = Math.max(0, s.favourites_count + (on ? 1 : -1));
  ui.refresh();
  try {
    const r = await api('/api/v1/statuses/' + s.id + (on ? '/favourite' : '/unfavourite'), { method: 'POST' });
    s.favourites_count = r.favourites_count;
    s.favourited = r.favourited ?? on;
  } catch (e) {
    [s.favourited, s.favourites_count] = prev;
    toast(errText(e), 'error');
  }
  ui.refresh();
}

export function actionButton(name, label, onclick, cls) {
  const b = h('button.icon-btn.act-' + name + (cls ? '.' + cls : ''), { type: 'button', 'aria-label': label, onclick });
  b.append(icon(name));
  return b;
}

export async function copyLink(s) {
  const url = location.origin + postPath(s);
  try {
    await navigator.clipboard.writeText(url);
  } catch {
    const ta = h('textarea.sr', { value: url });
    document.body.append(ta);
    ta.select();
    document.execCommand('copy');
    ta.remove();
  }
  toast(t('link_copied'));
}

/** The actions row, the likes line and their wiring; returns {row, likes, refresh}. */
export function actions(s, { onComment, media } = {}) {
  const like = actionButton('heart', '', () => {
    setLike(s, !s.favourited, ui);
    if (s.favourited) like.classList.add('pop');
  });
  like.addEventListener('animationend', () => like.classList.remove('pop'));
  const comment = actionButton('comment', t('comment'), onComment);
  const share = actionButton('send', t('share'), () => copyLink(s));
  const mark = actionButton('bookmark', '', async () => {
    if (!signedIn()) return needSignIn();
    const on = !s.bookmarked;
    s.bookmarked = on;
    ui.refresh();
    try {
      await api('/api/v1/statuses/' + s.id + (on ? '/bookmark' : '/unbookmark'), { method: 'POST' });
    } catch (e) {
      s.bookmarked = !on;
      ui.refresh();
      toast(errText(e), 'error');
    }
  }, 'end');
  const row = h('div.actions', like, comment, share, mark);
  const likes = h('button.likes', { type: 'button', onclick: () => need('people.js').then((m) => m.likers(s)) });
  const ui = {
    row,
    likes,
    refresh() {
      like.replaceChildren(icon('heart', s.favourited));
      like.classList.toggle('on', !!s.favourited);
      like.setAttribute('aria-label', s.favourited ? t('unlike') : t('like'));
      like.setAttribute('aria-pressed', String(!!s.favourited));
      mark.replaceChildren(icon('bookmark', s.bookmarked));
      mark.setAttribute('aria-label', s.bookmarked ? t('unbookmark') : t('bookmark'));
      mark.setAttribute('aria-pressed', String(!!s.bookmarked));
      likes.textContent = s.favourites_count ? t('likes', { n: s.favourites_count }) : t('be_first');
      likes.classList.toggle('zero', !s.favourites_count);
      likes.disabled = !s.favourites_count;
    },
    double(x, y) {
      burst(media, x, y);
      setLike(s, true, ui);
    },
  };
  ui.refresh();
  return ui;
}

/** The post's "…" menu: edit and delete for the author, else mute/block. */
export function postMenu(s, { onDeleted, onEdited } = {}) {
  const mine = state.me && state.me.id === s.account.id;
  const items = mine
    ? [
        { label: t('edit'), icon: 'settings', run: () => need('status.js').then((m) => m.editPost(s, onEdited)) },
        {
          label: t('delete'),
          icon: 'trash',
          danger: true,
          run: async () => {
            const { ask } = await import('./dialogs.js');
            if (!(await ask(t('delete_post'), t('delete_post_text'), t('delete'), true))) return;
            try {
              await api('/api/v1/statuses/' + s.id, { method: 'DELETE' });
              toast(t('deleted'));
              onDeleted?.();
            } catch (e) {
              toast(errText(e), 'error');
            }
          },
        },
      ]
    : [
        { label: t('share'), icon: 'link', run: () => copyLink(s) },
        signedIn() && { label: t('mute') + ' @' + acct(s.account), icon: 'eyeoff', run: () => need('people.js').then((m) => m.relAction(s.account, 'mute')) },
        signedIn() && { label: t('block') + ' @' + acct(s.account), icon: 'x', danger: true, run: () => need('people.js').then((m) => m.relAction(s.account, 'block')) },
      ];
  return import('./dialogs.js').then((m) => m.menu(t('more'), items));
}

export function postHead(s, extra) {
  const a = s.account;
  const more = actionButton('more', t('more'), () => postMenu(s, extra));
  return h(
    'header.post-head',
    h('a.who', { href: profilePath(a) }, avatar(a, 32, ''), h('span.names', h('bdi.handle', acct(a)), s.visibility === 'private' || s.visibility === 'direct' ? lockBadge() : null)),
    more,
  );
}

const lockBadge = () => {
  const b = h('span.vis', { title: t('vis_private') });
  b.append(icon('lock', false, 14));
  return b;
};

/** Caption: the author's name, then the text; long ones fold. */
export function caption(s, fold = true) {
  if (!plain(s.content).trim()) return null;
  const body = userText('div.text', s.content, s.mentions);
  const cap = h('div.caption', h('a.handle', { href: profilePath(s.account) }, h('bdi', acct(s.account))), ' ', body);
  if (fold && (plain(s.content).length > 140 || (s.content.match(/<p>|<br/g) || []).length > 2)) {
    cap.classList.add('folded');
    const more = h('button.more-text', { type: 'button', onclick: () => (cap.classList.remove('folded'), more.remove()) }, t('more_text'));
    cap.append(more);
  }
  return cap;
}

/** A post card for the feed. */
export function card(s, { eager } = {}) {
  const art = h('article.post', { 'aria-label': t('photo_by', { name: '@' + acct(s.account) }) });
  const media = carousel(s, { sizes: '(min-width: 640px) 600px, 100vw', eager, onDouble: (x, y) => ui.double(x, y) });
  const ui = actions(s, { onComment: () => window.nav(postPath(s) + '#reply'), media: media.firstChild });
  const lines = [ui.likes, caption(s)];
  if (s.replies_count) lines.push(h('a.comments', { href: postPath(s) }, t('view_comments', { n: s.replies_count })));
  lines.push(h('a.when', { href: postPath(s) }, time(s.created_at, true)));
  add(art, [
    postHead(s, { onDeleted: () => art.remove(), onEdited: (ns) => art.replaceWith(card(ns)) }),
    media,
    h('div.post-body', ui.row, lines),
  ]);
  return art;
}

export { ago, num, displayName };
