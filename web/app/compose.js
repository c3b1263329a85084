// New post: pick several photos (or drop them), see them upload with a
// progress bar each, reorder, remove, describe each one (with a nudge when a
// description is missing), write a caption, choose who sees it, share.
import { api, instance, state, upload } from './api.js';
import { errText, h, local, toast, uid } from './dom.js';
import { ask } from './dialogs.js';
import { t } from './i18n.js';
import { icon } from './icons.js';

const MAX_PARALLEL = 3;

export async function compose() {
  const inst = await instance().catch(() => ({}));
  const conf = inst.configuration || {};
  const maxChars = conf.statuses?.max_characters || 2200;
  const maxMedia = conf.statuses?.max_media_attachments || 20;
  const types = conf.media_attachments?.supported_mime_types || ['image/jpeg', 'image/png', 'image/webp', 'image/gif'];
  const sizeLimit = conf.media_attachments?.image_size_limit || 0;
  const items = [];
  let idem = uid();

  const fileIn = h('input.file-in', { type: 'file', id: 'pick', multiple: true, accept: types.join(','), 'aria-label': t('pick_photos') });
  const drop = h(
    'div.drop',
    h('div.empty-ic', icon('image')),
    h('strong', t('share_photos')),
    h('span', t('drop_here')),
    h('label.btn', { for: 'pick' }, t('pick_photos')),
    h('span.hint', t('photos_hint', { n: maxMedia })),
  );
  const tray = h('ol.tray', { 'aria-label': t('share_photos') });
  const addMore = h('label.btn.secondary.sm.add-more', { for: 'pick' }, icon('plusc', false, 18), t('add_more'));
  const cap = h('textarea', { id: 'caption', dir: 'auto', rows: 4, placeholder: t('caption_ph') });
  const counter = h('div.counter', { 'aria-live': 'polite' });
  const sens = h('input.switch', { type: 'checkbox', id: 'sensitive' });
  const cw = h('input', { type: 'text', id: 'cw', dir: 'auto', maxlength: 200 });
  const cwField = h('div.field', { hidden: true }, h('label', { for: 'cw' }, t('content_warning')), cw);
  const vis = h('select', { id: 'visibility' });
  for (const v of ['public', 'unlisted', 'private', 'direct']) vis.append(h('option', { value: v }, t('vis_' + v)));
  vis.value = state.me?.source?.privacy || 'public';
  const err = h('div.err', { role: 'alert', hidden: true });
  const shareB = h('button.btn.wide', { type: 'submit' }, t('share_btn'));
  const status = h('p.hint', { 'aria-live': 'polite' });

  const form = h(
    'form.form.compose',
    { novalidate: true },
    h('h1.page-h.m-hide', t('new_post')),
    fileIn,
    drop,
    tray,
    addMore,
    h('div.field', h('label', { for: 'caption' }, t('caption')), cap, counter),
    h('div.group', h('label.toggle', { for: 'sensitive' }, h('span', h('strong', t('mark_sensitive')), h('span.hint', t('sensitive_help'))), sens), cwField, h('div.field', h('label', { for: 'visibility' }, t('visibility')), h('div.select', vis, icon('down')))),
    h('div.compose-foot', err, status, shareB),
  );

  const paintCounter = () => {
    const left = maxChars - [...cap.value].length;
    counter.textContent = left >= 0 ? t('chars_left', { n: left }) : t('chars_over', { n: -left });
    counter.classList.toggle('over', left < 0);
  };
  cap.addEventListener('input', paintCounter);
  paintCounter();
  sens.addEventListener('change', () => (cwField.hidden = !sens.checked));

  function paint() {
    drop.hidden = items.length > 0;
    addMore.hidden = !items.length || items.length >= maxMedia;
    tray.replaceChildren(...items.map((it) => it.el));
    items.forEach((it, i) => {
      it.n.textContent = i + 1;
      it.earlier.disabled = i === 0;
      it.later.disabled = i === items.length - 1;
      it.alt.setAttribute('aria-label', t('alt_for', { i: i + 1 }));
    });
    const busy = items.some((it) => it.state === 'uploading' || it.state === 'queued');
    status.textContent = busy ? t('wait_uploads') : '';
  }

  function move(it, d) {
    const i = items.indexOf(it);
    const j = i + d;
    if (j < 0 || j >= items.length) return;
    [items[i], items[j]] = [items[j], items[i]];
    paint();
    (d < 0 ? it.earlier : it.later).focus();
    if (document.activeElement?.disabled || !document.activeElement) it.alt.focus();
  }

  function remove(it) {
    it.xhr?.abort?.();
    items.splice(items.indexOf(it), 1);
    if (it.media) api('/api/v1/media/' + it.media.id, { method: 'DELETE' }).catch(() => {});
    URL.revokeObjectURL(it.url);
    paint();
    (tray.querySelector('textarea') || fileIn).focus();
  }

  function itemFor(file) {
    const it = { file, state: 'queued', url: URL.createObjectURL(file) };
    const img = h('img', { src: it.url, alt: '' });
    img.addEventListener('error', () => img.replaceWith(icon('image', false, 36)), { once: true });
    it.img = img;
    it.n = h('span.up-n');
    it.bar = h('i');
    it.alt = h('textarea', { dir: 'auto', rows: 2, placeholder: t('alt_help'), maxlength: 1500 });
    it.nudge = h('p.nudge', { hidden: true }, h('span.alt-badge', 'ALT'), t('alt_missing'));
    it.note = h('span.grow', file.name);
    it.earlier = btn('prev', t('move_earlier'), () => move(it, -1));
    it.later = btn('next', t('move_later'), () => move(it, 1));
    it.error = h('p.err', { role: 'alert', hidden: true });
    it.el = h(
      'li.up',
      h('div.up-thumb', img, it.n, h('div.bar', { role: 'progressbar', 'aria-label': file.name, 'aria-valuemin': 0, 'aria-valuemax': 100 }, it.bar)),
      h('div.up-side.alt', it.alt, it.nudge, it.error, h('div.up-tools', it.note, it.earlier, it.later, btn('trash', t('remove_photo'), () => remove(it)))),
    );
    it.alt.addEventListener('input', () => (it.nudge.hidden = !!it.alt.value.trim() || it.state !== 'done'));
    return it;
  }

  function fail(it, msg) {
    it.state = 'error';
    it.el.classList.add('bad');
    it.error.hidden = false;
    it.error.replaceChildren(icon('alert'), h('span', msg));
    it.note.textContent = t('upload_failed');
    paint();
  }

  let running = 0;
  function pump() {
    for (const it of items) {
      if (running >= MAX_PARALLEL) break;
      if (it.state !== 'queued') continue;
      it.state = 'uploading';
      running++;
      const bar = it.el.querySelector('.bar');
      const p = upload(it.file, it.alt.value.trim(), (f) => {
        it.bar.style.setProperty('--p', f.toFixed(3));
        bar.setAttribute('aria-valuenow', Math.round(f * 100));
        it.note.textContent = f < 1 ? t('uploading', { p: Math.round(f * 100) }) : t('processing');
      });
      p.then((m) => {
        it.media = m;
        it.state = 'done';
        it.el.classList.add('done');
        it.note.textContent = it.file.name;
        const th = m.pinhole_variants?.thumb?.url || m.preview_url;
        if (th) {
          const ni = h('img', { src: local(th), alt: '' });
          (it.el.querySelector('.up-thumb img, .up-thumb svg') || it.img).replaceWith(ni);
        }
        it.nudge.hidden = !!it.alt.value.trim();
      })
        .catch((e) => {
          if (!items.includes(it)) return;
          const limit = sizeLimit ? Math.round(sizeLimit / 1048576) : 40;
          fail(it, e.status === 413 ? t('too_big', { mb: limit }) : e.status === 507 ? t('storage_full') : e.status === 422 || e.status === 415 ? e.message || t('not_image') : errText(e));
        })
        .finally(() => {
          running--;
          paint();
          pump();
        });
    }
    paint();
  }

  function addFiles(list) {
    err.hidden = true;
    for (const f of list) {
      if (items.length >= maxMedia) {
        showErr(t('too_many', { n: maxMedia }));
        break;
      }
      const it = itemFor(f);
      items.push(it);
      if (sizeLimit && f.size > sizeLimit) {
        fail(it, t('too_big', { mb: Math.round(sizeLimit / 1048576) }));
        continue;
      }
    }
    paint();
    pump();
  }

  fileIn.addEventListener('change', () => {
    addFiles([...fileIn.files]);
    fileIn.value = '';
  });
  for (const ev of ['dragenter', 'dragover']) form.addEventListener(ev, (e) => (e.preventDefault(), drop.classList.add('over')));
  form.addEventListener('dragleave', (e) => e.target === drop && drop.classList.remove('over'));
  form.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    addFiles([...(e.dataTransfer?.files || [])].filter((f) => f.type.startsWith('image/') || !f.type));
  });

  function showErr(msg) {
    err.hidden = false;
    err.replaceChildren(icon('alert'), h('span', msg));
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.hidden = true;
    const good = items.filter((it) => it.state === 'done');
    if (items.some((it) => it.state === 'uploading' || it.state === 'queued')) return showErr(t('wait_uploads'));
    if (!good.length) return showErr(t('need_photo'));
    if ([...cap.value].length > maxChars) return showErr(t('chars_over', { n: [...cap.value].length - maxChars }));
    const bare = good.filter((it) => !it.alt.value.trim());
    if (bare.length && !form.dataset.nudged) {
      form.dataset.nudged = '1';
      bare.forEach((it) => (it.nudge.hidden = false));
      const go = await ask(t('alt_nudge', { n: bare.length }), t('alt_help'), t('post_anyway'));
      if (!go) return bare[0].alt.focus();
    }
    shareB.disabled = true;
    shareB.textContent = t('posting');
    try {
      for (const it of good) {
        const d = it.alt.value.trim();
        if (d !== (it.media.description || '')) it.media = await api('/api/v1/media/' + it.media.id, { method: 'PUT', body: { description: d } });
      }
      const s = await api('/api/v1/statuses', {
        method: 'POST',
        headers: { 'Idempotency-Key': idem },
        body: {
          status: cap.value,
          media_ids: good.map((it) => it.media.id),
          sensitive: sens.checked,
          spoiler_text: sens.checked ? cw.value.trim() : '',
          visibility: vis.value,
        },
      });
      idem = uid();
      items.forEach((it) => URL.revokeObjectURL(it.url));
      items.length = 0;
      toast(t('posted'));
      window.nav('/p/' + s.id, true);
    } catch (e2) {
      showErr(errText(e2));
      shareB.disabled = false;
      shareB.textContent = t('share_btn');
    }
  });

  paint();
  return { el: form, title: t('new_post'), width: 'narrow' };
}

function btn(ic, label, onclick) {
  const b = h('button.icon-btn', { type: 'button', 'aria-label': label, title: label, onclick });
  b.append(icon(ic));
  return b;
}
