// Home: the posts of the people you follow, newest first, loaded as you
// scroll. An empty feed suggests people who posted recently.
import { page, signedIn, state } from './api.js';
import { empty, h, pager, need } from './dom.js';
import { t } from './i18n.js';
import { card } from './post.js';

const skeleton = () =>
  h('div.skel-post', { 'aria-hidden': 'true' }, h('div.skel-head', h('i.sk.circle'), h('i.sk.line')), h('i.sk.photo'), h('i.sk.line.w60'), h('i.sk.line.w40'));

export async function home(ctx) {
  if (!signedIn()) return (await import('./auth.js')).landing(ctx);
  const list = h('div.posts');
  const el = h('section.feed', h('h1.sr', t('home')), list);
  const skels = h('div.skels', skeleton(), skeleton());
  el.append(skels);
  let first = true;
  const p = pager(
    list,
    (next) => page(next || '/api/v1/timelines/home', { query: next ? null : { limit: 8 } }).finally(() => skels.remove()),
    (s) => {
      if (!s.media_attachments?.length) return null; // comments live on their post's page
      const c = card(s, { eager: first });
      first = false;
      return c;
    },
    {
      endText: t('feed_end'),
      onEmpty: () => {
        el.append(h('div.welcome-empty', empty('image', t('feed_empty_title'), t('feed_empty_text'))));
        need('people.js').then((m) => m.suggestions(el, state.me));
      },
    },
  );
  el.append(p.foot);
  p.go();
  return { el, title: t('home'), refresh: () => window.nav('/', true), destroy: p.stop };
}
