// Signed-out home (a welcome with recent public photos) and the OAuth
// callback that turns the server's code into this browser's token.
import { finishSignIn, page } from './api.js';
import { h, pager } from './dom.js';
import { t } from './i18n.js';
import { logo } from './icons.js';
import { tile } from './grid.js';

export async function landing() {
  const grid = h('div.grid.mosaic');
  const el = h(
    'div.landing',
    h(
      'section.hero',
      logo(56),
      h('h1', t('welcome_title')),
      h('p.lead', t('welcome_text')),
      window.signButtons(),
    ),
    grid,
  );
  const title = h('h2.section-title', t('recent_public'));
  grid.before(title);
  const p = pager(grid, (next) => page(next || '/api/v1/timelines/public', { query: next ? null : { limit: 30 } }), (s) => tile(s), { onEmpty: () => title.remove() });
  el.append(p.foot);
  p.go();
  return { el, title: t('app'), width: 'wide', back: false, destroy: p.stop };
}

export async function callback(ctx) {
  const el = h('div.empty', h('div.spinner.big', { 'aria-hidden': 'true' }), h('p', { role: 'status' }, t('signing_in')));
  try {
    const to = await finishSignIn(ctx.query);
    setTimeout(() => {
      location.replace(to); // a fresh page: the shell is rebuilt for the signed-in person
    });
  } catch (e) {
    el.replaceChildren(h('h1', t('sign_in')), h('p', { role: 'alert' }, t('sign_in_failed', { why: e.message })), window.signButtons());
  }
  return { el, title: t('sign_in'), back: false };
}
