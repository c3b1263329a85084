// Follower history: the daily follower count as an inline SVG chart with
// each day's gains and losses, totals by cause, and the recent changes with
// their reasons (GET /api/v1/pinhole/followers/history).
import { api } from './api.js';
import { acct, avatar, empty, errText, h, num, profilePath, time } from './dom.js';
import { lang, t } from './i18n.js';

const NS = 'http://www.w3.org/2000/svg';
const s = (name, at = {}, text) => {
  const el = document.createElementNS(NS, name);
  for (const k in at) el.setAttribute(k, at[k]);
  if (text != null) el.textContent = text;
  return el;
};
const CAUSES = ['followed', 'unfollowed', 'removed', 'blocked', 'suspended', 'deleted', 'moderation'];

function fmtDay(d, long) {
  return new Date(d + 'T12:00:00Z').toLocaleDateString(lang(), long ? { month: 'long', day: 'numeric', year: 'numeric' } : { month: 'short', day: 'numeric' });
}

function chart(days, tip) {
  const W = Math.round(Math.max(300, Math.min(640, innerWidth - 32))), H = 236, L = 36, R = 8, top = 12, lineH = 130, barMid = 196, barH = 30;
  const n = days.length;
  const counts = days.map((d) => d.followers);
  let lo = Math.min(...counts), hi = Math.max(...counts);
  if (hi === lo) (hi += 1), (lo = Math.max(0, lo - 1));
  const bmax = Math.max(1, ...days.map((d) => Math.max(d.gained, d.lost)));
  const x = (i) => L + (n === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (n - 1));
  const y = (v) => top + lineH - ((v - lo) / (hi - lo)) * lineH;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', tabindex: '0' });
  const g = s('g');
  for (const v of [lo, Math.round((lo + hi) / 2), hi]) {
    g.append(s('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid-l' }));
    g.append(s('text', { x: L - 8, y: y(v) + 3.5, 'text-anchor': 'end', class: 'axis' }, num(v)));
  }
  g.append(s('line', { x1: L, x2: W - R, y1: barMid, y2: barMid, class: 'grid-l' }));
  const pts = days.map((d, i) => `${x(i).toFixed(1)},${y(d.followers).toFixed(1)}`);
  g.append(s('path', { d: `M${x(0)},${top + lineH} L${pts.join(' L')} L${x(n - 1)},${top + lineH} Z`, class: 'area' }));
  g.append(s('path', { d: 'M' + pts.join(' L'), class: 'lineP' }));
  const bw = Math.max(2, Math.min(14, ((W - L - R) / n) * 0.6));
  days.forEach((d, i) => {
    if (d.gained) g.append(s('rect', { x: x(i) - bw / 2, y: barMid - (d.gained / bmax) * barH, width: bw, height: (d.gained / bmax) * barH, rx: 1.5, class: 'gain' }));
    if (d.lost) g.append(s('rect', { x: x(i) - bw / 2, y: barMid + 1, width: bw, height: (d.lost / bmax) * barH, rx: 1.5, class: 'loss' }));
  });
  for (const i of [...new Set([0, Math.floor((n - 1) / 2), n - 1])])
    g.append(s('text', { x: x(i), y: H - 2, 'text-anchor': i === 0 ? 'start' : i === n - 1 ? 'end' : 'middle', class: 'axis' }, fmtDay(days[i].date)));
  const cursor = s('line', { y1: top, y2: barMid + barH, class: 'grid-l', visibility: 'hidden' });
  const dot = s('circle', { r: 4.5, class: 'dot', visibility: 'hidden' });
  g.append(cursor, dot);
  svg.append(g);
  let sel = -1;
  const pick = (i) => {
    sel = Math.max(0, Math.min(n - 1, i));
    const d = days[sel];
    for (const el of [cursor, dot]) el.setAttribute('visibility', 'visible');
    cursor.setAttribute('x1', x(sel));
    cursor.setAttribute('x2', x(sel));
    dot.setAttribute('cx', x(sel));
    dot.setAttribute('cy', y(d.followers));
    tip(sel, x(sel) / W, t('day_tip', { date: fmtDay(d.date), n: d.followers, g: d.gained, l: d.lost }));
  };
  const hide = () => {
    for (const el of [cursor, dot]) el.setAttribute('visibility', 'hidden');
    tip(-1);
  };
  svg.addEventListener('pointermove', (e) => {
    const r = svg.getBoundingClientRect();
    const px = ((e.clientX - r.left) / r.width) * W;
    pick(Math.round(((px - L) / (W - L - R)) * (n - 1)));
  });
  svg.addEventListener('pointerleave', hide);
  svg.addEventListener('blur', hide);
  svg.addEventListener('keydown', (e) => {
    const k = { ArrowLeft: -1, ArrowRight: 1, Home: -1e9, End: 1e9 }[e.key];
    if (k == null) return;
    e.preventDefault();
    pick(sel < 0 ? n - 1 : sel + k);
  });
  return svg;
}

export async function history() {
  const el = h('section.history');
  const body = h('div');
  let range = 30;
  const chips = h('div.chips.ranges', { role: 'toolbar', 'aria-label': t('history_short') });
  for (const d of [7, 30, 90]) {
    const c = h('button.chip', { type: 'button', 'aria-pressed': String(d === range), onclick: () => {
      range = d;
      chips.querySelectorAll('.chip').forEach((x) => x.setAttribute('aria-pressed', String(x === c)));
      load();
    } }, t('days_n', { n: d }));
    chips.append(c);
  }
  el.append(h('h1.page-h.m-hide', t('history')), chips, body);

  async function load() {
    body.replaceChildren(h('div.pager.busy', h('div.spinner')));
    let r;
    try {
      r = await api('/api/v1/pinhole/followers/history', { query: { days: range } });
    } catch (e) {
      body.replaceChildren(empty('alert', null, errText(e), h('button.btn.secondary', { type: 'button', onclick: load }, t('retry'))));
      return;
    }
    const days = r.days || [];
    const gained = days.reduce((a, d) => a + d.gained, 0);
    const lost = days.reduce((a, d) => a + d.lost, 0);
    const now = days.length ? days[days.length - 1].followers : 0;
    const stat = (v, label, cls) => h('div.stat' + (cls ? '.' + cls : ''), h('strong', { dir: 'ltr' }, v), h('span', label));
    const net = gained - lost;
    body.replaceChildren(
      h('div.stats', stat(num(now), t('followers', { n: now })), stat((gained ? '+' : '') + num(gained), t('gained'), gained ? 'gain' : ''), stat((lost ? '−' : '') + num(lost), t('lost'))),
    );
    if (days.length) {
      const tipEl = h('div.tip', { hidden: true, 'aria-live': 'polite' });
      const box = h('div.chart-box', { dir: 'ltr' }, tipEl);
      const svg = chart(days, (i, fx, text) => {
        tipEl.hidden = i < 0;
        if (i < 0) return;
        tipEl.textContent = text;
        tipEl.style.setProperty('left', `clamp(70px, ${(fx * 100).toFixed(2)}%, calc(100% - 70px))`);
      });
      svg.setAttribute('aria-label', t('chart_label', { days: t('days_n', { n: range }), a: days[0].followers, b: now, g: gained, l: lost }) + (net ? '' : ''));
      box.append(svg);
      body.append(box, h('div.legend', h('span', h('i'), t('gained')), h('span', h('i.l'), t('lost'))));
      const totals = {};
      for (const d of days) for (const c in d.by_cause || {}) totals[c] = (totals[c] || 0) + d.by_cause[c];
      const causes = h('div.causes');
      for (const c of CAUSES) if (totals[c]) causes.append(h('span.chip', t('cause_' + c), ' ', h('small', num(totals[c]))));
      if (causes.children.length) body.append(causes);
    }
    const list = h('div.rows');
    body.append(h('h2.n-h', t('recent_changes')), list);
    const events = r.events || [];
    if (!events.length) list.append(h('p.pad.sub', t('no_changes')));
    for (const ev of events) {
      const a = ev.account;
      const up = ev.delta > 0;
      list.append(
        h(
          'div.row',
          a ? h('a.row-link', { href: profilePath(a) }, avatar(a, 44, ''), h('span.row-main', h('bdi.handle', acct(a)), h('span.sub', t('cause_' + ev.cause), ' · ', time(ev.created_at)))) : h('span.row-main', h('span.handle', t('deleted_account')), h('span.sub', t('cause_' + ev.cause), ' · ', time(ev.created_at))),
          h('span.delta.' + (up ? 'gain' : 'loss'), { dir: 'ltr' }, up ? '+1' : '−1'),
        ),
      );
    }
  }
  load();
  return { el, title: t('history'), width: 'narrow', tab: 'profile' };
}
