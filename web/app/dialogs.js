// Dialogs: a modal (a bottom sheet on phones), a yes/no question and a
// menu of actions. Loaded the first time one opens.
import { h } from './dom.js';
import { t } from './i18n.js';
import { icon } from './icons.js';

let dlgN = 0;
/** A modal <dialog> (a bottom sheet on phones): focus is kept inside, Escape
 *  and a click outside close it; it removes itself when closed. */
export function modal(title, body, { actions, cls, onclose } = {}) {
  const id = 'dlg' + ++dlgN;
  const d = h('dialog.modal' + (cls ? '.' + cls : ''), { 'aria-labelledby': id });
  const close = h('button.icon-btn', { type: 'button', 'aria-label': t('close'), onclick: () => d.close() });
  close.append(icon('x'));
  d.append(h('header.modal-head', h('h2', { id }, title), close), body);
  if (actions) d.append(h('footer.modal-foot', actions));
  d.addEventListener('click', (e) => e.target === d && d.close());
  d.addEventListener('close', () => {
    d.remove();
    onclose?.(d.returnValue);
  });
  document.body.append(d);
  d.showModal();
  return d;
}

/** Asks a yes/no question; resolves true for OK. */
export function ask(title, text, ok, danger = false) {
  return new Promise((res) => {
    let yes = false;
    const okb = h('button.btn' + (danger ? '.danger' : ''), { type: 'button', onclick: () => ((yes = true), d.close()) }, ok);
    const no = h('button.btn.secondary', { type: 'button', onclick: () => d.close() }, t('cancel'));
    const d = modal(title, text ? h('p.modal-text', text) : h('div'), { actions: [no, okb], cls: 'ask', onclose: () => res(yes) });
    okb.focus();
  });
}

/** A list of actions in a sheet: items [{label, icon, danger, run}]. */
export function menu(title, items) {
  const list = h('div.menu');
  const d = modal(title, list, { cls: 'sheet' });
  for (const it of items) {
    if (!it) continue;
    const b = h('button.menu-item' + (it.danger ? '.danger' : ''), { type: 'button', onclick: () => (d.close(), it.run()) });
    if (it.icon) b.append(icon(it.icon));
    b.append(h('span', it.label));
    list.append(b);
  }
  list.querySelector('button')?.focus();
  return d;
}

