// The app's icons: 24-unit line drawings built with DOM APIs (no inline
// markup, so the page's CSP stays strict). A shape starting with "*" is
// filled when the icon is drawn solid (an active tab, a liked heart); "!"
// is always filled. "c x y r" is a circle, "r x y w h rx" a rectangle,
// anything else path data.
const I = {
  home: ['*M3.5 10.2 12 3.2l8.5 7V19a1.8 1.8 0 0 1-1.8 1.8H15v-6.3H9v6.3H5.3A1.8 1.8 0 0 1 3.5 19z'],
  explore: ['*c 12 12 9', '!M15.6 8.4 13.5 13.5 8.4 15.6 10.5 10.5z'],
  plus: ['*r 3 3 18 18 5.5', 'M12 7.8v8.4M7.8 12h8.4'],
  heart: ['*M12 20.3c-.4 0-8.8-4.9-9.4-10.3C2.2 6.7 4.4 4.2 7.4 4.2c2 0 3.6 1.1 4.6 2.7 1-1.6 2.6-2.7 4.6-2.7 3 0 5.2 2.5 4.8 5.8-.6 5.4-9 10.3-9.4 10.3z'],
  comment: ['M20.6 11.6a8.6 8.6 0 0 1-12.5 7.6l-4.6 1.3 1.3-4.4a8.6 8.6 0 1 1 15.8-4.5z'],
  bookmark: ['*M6.2 3.5h11.6a.7.7 0 0 1 .7.7v16.3l-6.5-4.9-6.5 4.9V4.2a.7.7 0 0 1 .7-.7z'],
  send: ['M21 3 10.4 13.6', 'M21 3l-6.6 17.8-4-7.2-7.2-4z'],
  more: ['!c 5 12 1.7', '!c 12 12 1.7', '!c 19 12 1.7'],
  back: ['M15 4.5 7.5 12l7.5 7.5'],
  next: ['M9 4.5l7.5 7.5L9 19.5'],
  prev: ['M15 4.5 7.5 12l7.5 7.5'],
  down: ['M5 9l7 7 7-7'],
  x: ['M6 6l12 12M18 6 6 18'],
  lock: ['r 4.8 10.5 14.4 10.3 2.6', 'M8 10.5V7.8a4 4 0 0 1 8 0v2.7', '!c 12 15.6 1.3'],
  grid: ['r 3.5 3.5 17 17 3', 'M9.2 3.5v17M14.8 3.5v17M3.5 9.2h17M3.5 14.8h17'],
  stack: ['!M7 3.5h11a3 3 0 0 1 3 3v11a3 3 0 0 1-3 3h-.5v-12a2.5 2.5 0 0 0-2.5-2.5H3.5v-.5a2 2 0 0 1 2-2z', '!r 2.5 8 13 13 2.6'],
  image: ['r 3 4 18 16 3.5', 'c 9 10 1.8', 'M20.5 15.5 15.5 10.5 6 20'],
  chart: ['M3.5 20.5h17', 'M4.5 15.5l4.6-4.6 3.9 3 6.5-7.4', 'M14.8 6.5h4.7v4.7'],
  alert: ['c 12 12 9', 'M12 7.3v5.6', '!c 12 16.4 1.2'],
  check: ['M5 12.6l4.4 4.4L19.2 7.2'],
  trash: ['M4.5 7h15M9.8 7V4.6h4.4V7M6.6 7l.9 12.2a1.6 1.6 0 0 0 1.6 1.5h5.8a1.6 1.6 0 0 0 1.6-1.5L17.4 7'],
  settings: ['M4 7.5h9.2M18.8 7.5H20M4 16.5h1.2M10.8 16.5H20', 'c 16 7.5 2.6', 'c 8 16.5 2.6'],
  logout: ['M14 4h3.8A2.2 2.2 0 0 1 20 6.2v11.6a2.2 2.2 0 0 1-2.2 2.2H14', 'M10 7.8 5.8 12l4.2 4.2M6 12h10'],
  userplus: ['c 9.5 8 3.8', 'M3 20.2a6.5 6.5 0 0 1 13 0', 'M19 8.2v6M16 11.2h6'],
  user: ['*c 12 8 4', '*M4.6 20.4a7.4 7.4 0 0 1 14.8 0z'],
  eyeoff: ['M3.5 3.5l17 17', 'M10.6 5.2c.5-.1.9-.1 1.4-.1 5 0 8.5 4.4 9.5 6.9a11 11 0 0 1-2.6 3.8M6.6 6.8C4.7 8.1 3.3 10 2.5 12c1 2.5 4.5 6.9 9.5 6.9 1.8 0 3.4-.6 4.8-1.4', 'M9.9 9.9a3 3 0 0 0 4.2 4.2'],
  search: ['c 10.8 10.8 6.8', 'M20.5 20.5l-4.9-4.9'],
  globe: ['c 12 12 9', 'M3 12h18M12 3c-2.8 3.2-2.8 14.8 0 18M12 3c2.8 3.2 2.8 14.8 0 18'],
  link: ['M10.2 13.8a4.2 4.2 0 0 0 6 0l3-3a4.2 4.2 0 0 0-6-6l-1.1 1.1', 'M13.8 10.2a4.2 4.2 0 0 0-6 0l-3 3a4.2 4.2 0 0 0 6 6l1.1-1.1'],
  offline: ['M3.5 3.5l17 17', 'M8.6 15.9a5 5 0 0 1 6.2-.5M5.2 12.5a10 10 0 0 1 4-2.3M18.8 12.5c-.7-.7-1.5-1.3-2.4-1.8M2 9a15 15 0 0 1 4-2.6M22 9a15 15 0 0 0-10.8-4', '!c 12 19.3 1.3'],
  plusc: ['M12 5v14M5 12h14'],
  upload: ['M12 15.5V4.5M7.5 9 12 4.5 16.5 9', 'M4.5 15v2.7a2.3 2.3 0 0 0 2.3 2.3h10.4a2.3 2.3 0 0 0 2.3-2.3V15'],
  moon: ['M20 14.6A8.4 8.4 0 0 1 9.4 4a8.4 8.4 0 1 0 10.6 10.6z'],
  bell: ['*M6.2 9.8a5.8 5.8 0 0 1 11.6 0c0 5 2.2 6.7 2.2 6.7H4s2.2-1.7 2.2-6.7z', 'M10 19.5a2.1 2.1 0 0 0 4 0'],
};

const NS = 'http://www.w3.org/2000/svg';

/** An <svg> for icon NAME; solid draws its "*" shapes filled. Decorative
 *  (aria-hidden): the control that holds it carries the label. */
export function icon(name, solid = false, size = 24) {
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', size);
  svg.setAttribute('height', size);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', 'ic ic-' + name);
  for (let s of I[name] || []) {
    const fill = s[0] === '!' || (s[0] === '*' && solid);
    if (s[0] === '!' || s[0] === '*') s = s.slice(1);
    const p = s.split(' ');
    let el;
    if (p[0] === 'c') {
      el = document.createElementNS(NS, 'circle');
      ['cx', 'cy', 'r'].forEach((k, i) => el.setAttribute(k, p[i + 1]));
    } else if (p[0] === 'r') {
      el = document.createElementNS(NS, 'rect');
      ['x', 'y', 'width', 'height', 'rx'].forEach((k, i) => el.setAttribute(k, p[i + 1]));
    } else {
      el = document.createElementNS(NS, 'path');
      el.setAttribute('d', s);
    }
    if (fill) el.setAttribute('class', 'fill');
    svg.append(el);
  }
  return svg;
}

/** The pinhole mark: a camera obscura's aperture. */
export function logo(size = 28) {
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 32 32');
  svg.setAttribute('width', size);
  svg.setAttribute('height', size);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'logo-mark');
  const shapes = [
    ['rect', { x: 2, y: 2, width: 28, height: 28, rx: 9, class: 'lm-body' }],
    ['circle', { cx: 16, cy: 16, r: 7.5, class: 'lm-ring' }],
    ['circle', { cx: 16, cy: 16, r: 2.2, class: 'lm-hole' }],
  ];
  for (const [n, at] of shapes) {
    const el = document.createElementNS(NS, n);
    for (const k in at) el.setAttribute(k, at[k]);
    svg.append(el);
  }
  return svg;
}
