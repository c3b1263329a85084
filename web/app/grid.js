// Square photo tiles for profile, explore and hashtag grids, drawn from the
// server's 150 px thumb and small derivatives.
import { compact, h } from './dom.js';
import { t } from './i18n.js';
import { icon } from './icons.js';
import { altOf, photo, postPath } from './post.js';

/** A tile for post S (null when S has no photo, e.g. a comment). */
export function tile(s) {
  const m = s.media_attachments?.[0];
  if (!m) return null;
  const a = h('a.tile', { href: postPath(s), 'aria-label': altOf(m, s) });
  const p = photo(m, s, { grid: true, hidden: !!s.sensitive, sizes: '(min-width: 960px) 300px, 33vw' });
  p.querySelector('img').alt = ''; // the link carries the description
  a.append(p);
  if (s.media_attachments.length > 1) a.append(h('span.tile-badge', icon('stack', false, 18)));
  if (s.sensitive) a.append(h('span.tile-veil', icon('eyeoff', false, 22)));
  const stats = h('span.tile-stats', { 'aria-hidden': 'true' });
  const hi = icon('heart', true, 18);
  const ci = icon('comment', false, 18);
  stats.append(h('span', hi, compact(s.favourites_count)), h('span', ci, compact(s.replies_count)));
  a.append(stats);
  return a;
}
