// Settings: profile (photo, name, bio, links), private account and default
// audience, language and appearance, blocked and muted accounts, password,
// sign out here or everywhere.
import { api, emit, loadMe, page, signOut, state } from './api.js';
import { ask } from './dialogs.js';
import { acct, avatar, errText, h, local, pager, profilePath, toast } from './dom.js';
import { chosenLang, LANGS, t } from './i18n.js';
import { icon } from './icons.js';
import { accountRow } from './people.js';

function section(title, ...kids) {
  return h('section.group', h('h2.sec-h', title), kids);
}

function radios(name, options, value, onchange) {
  const box = h('div.radios', { role: 'radiogroup', 'aria-label': name });
  for (const [v, label] of options) {
    const inp = h('input', { type: 'radio', name, value: v, checked: v === value, onchange: () => onchange(v) });
    box.append(h('label', inp, h('span', { dir: 'auto' }, label)));
  }
  return box;
}

export async function settings() {
  const me = await loadMe().catch(() => state.me);
  const src = me.source || {};
  const el = h('div.form.settings');
  el.append(h('h1.page-h.m-hide', t('settings')));

  // ---- profile
  const av = avatar(me, 72);
  const avIn = h('input.file-in', { type: 'file', id: 'avatar-in', accept: 'image/*' });
  let avFile = null;
  avIn.addEventListener('change', () => {
    avFile = avIn.files[0] || null;
    if (avFile) av.src = URL.createObjectURL(avFile);
  });
  const dn = h('input', { id: 'dn', type: 'text', value: me.display_name || '', maxlength: 30, dir: 'auto', autocomplete: 'name' });
  const note = h('textarea', { id: 'note', rows: 3, maxlength: 500, dir: 'auto' });
  note.value = src.note ?? '';
  const fields = [];
  const fieldBox = h('div.field', h('div.label', t('links')));
  for (let i = 0; i < 4; i++) {
    const f = (src.fields || me.fields || [])[i] || {};
    const n = h('input', { type: 'text', value: f.name || '', maxlength: 255, 'aria-label': t('label') + ' ' + (i + 1), placeholder: t('label'), dir: 'auto' });
    const v = h('input', { type: 'text', value: f.value || '', maxlength: 255, 'aria-label': t('content') + ' ' + (i + 1), placeholder: t('content'), dir: 'auto' });
    fields.push([n, v]);
    fieldBox.append(h('div.field-pair', n, v));
  }
  const err = h('p.err', { role: 'alert', hidden: true });
  const saveB = h('button.btn', { type: 'submit' }, t('save'));
  const profileForm = h(
    'form.group',
    { onsubmit: async (e) => {
      e.preventDefault();
      saveB.disabled = true;
      err.hidden = true;
      const fd = new FormData();
      fd.append('display_name', dn.value);
      fd.append('note', note.value);
      fields.forEach(([n, v], i) => {
        fd.append(`fields_attributes[${i}][name]`, n.value);
        fd.append(`fields_attributes[${i}][value]`, v.value);
      });
      if (avFile) fd.append('avatar', avFile);
      try {
        state.me = await api('/api/v1/accounts/update_credentials', { method: 'PATCH', body: fd });
        localStorage.setItem('pinhole.me', JSON.stringify(state.me));
        avFile = null;
        toast(t('saved_ok'));
        emit('me');
      } catch (e2) {
        err.hidden = false;
        err.textContent = errText(e2);
      }
      saveB.disabled = false;
    } },
    h('h2.sec-h', t('profile_section')),
    h('div.set-av', av, h('div', h('bdi.handle', '@' + acct(me)), h('br'), h('label.link', { for: 'avatar-in' }, t('change_photo'))), avIn),
    h('div.field', h('label', { for: 'dn' }, t('display_name')), dn),
    h('div.field', h('label', { for: 'note' }, t('bio')), note),
    fieldBox,
    err,
    h('div', saveB),
  );
  el.append(profileForm);

  // ---- privacy
  const locked = h('input.switch', { type: 'checkbox', id: 'locked', checked: !!me.locked });
  const patch = async (fd, undo) => {
    try {
      state.me = await api('/api/v1/accounts/update_credentials', { method: 'PATCH', body: fd });
      localStorage.setItem('pinhole.me', JSON.stringify(state.me));
      toast(t('saved_ok'));
    } catch (e) {
      undo();
      toast(errText(e), 'error');
    }
  };
  locked.addEventListener('change', () => {
    const fd = new FormData();
    fd.append('locked', locked.checked ? 'true' : 'false');
    patch(fd, () => (locked.checked = !locked.checked));
  });
  const vis = h('select', { id: 'defvis' });
  for (const v of ['public', 'unlisted', 'private']) vis.append(h('option', { value: v }, t('vis_' + v)));
  vis.value = src.privacy || 'public';
  let prevVis = vis.value;
  vis.addEventListener('change', () => {
    const fd = new FormData();
    fd.append('source[privacy]', vis.value);
    patch(fd, () => (vis.value = prevVis));
    prevVis = vis.value;
  });
  el.append(
    section(
      t('privacy'),
      h('label.toggle', { for: 'locked' }, h('span', h('strong', t('private_account')), h('span.hint', t('private_help'))), locked),
      h('div.field', h('label', { for: 'defvis' }, t('default_vis')), h('div.select', vis, icon('down'))),
      h('div.sign-buttons.start', h('a.btn.secondary.sm', { href: '/follow-requests' }, icon('userplus', false, 18), t('follow_requests')), h('a.btn.secondary.sm', { href: '/followers-history' }, icon('chart', false, 18), t('history'))),
    ),
  );

  // ---- language & appearance
  const langs = [['auto', t('lang_auto')], ...Object.entries(LANGS)];
  const theme = localStorage.getItem('pinhole.theme') || 'auto';
  el.append(
    section(
      t('language'),
      radios('lang', langs, chosenLang(), (v) => {
        if (v === 'auto') localStorage.removeItem('pinhole.lang');
        else localStorage.setItem('pinhole.lang', v);
        location.reload();
      }),
    ),
    section(
      t('theme'),
      radios('theme', [['auto', t('theme_auto')], ['light', t('theme_light')], ['dark', t('theme_dark')]], theme, (v) => {
        if (v === 'auto') {
          localStorage.removeItem('pinhole.theme');
          delete document.documentElement.dataset.theme;
        } else {
          localStorage.setItem('pinhole.theme', v);
          document.documentElement.dataset.theme = v;
        }
      }),
    ),
  );

  // ---- blocked & muted
  const lists = [
    ['blocked', '/api/v1/blocks', 'unblock', 'none_blocked'],
    ['muted', '/api/v1/mutes', 'unmute', 'none_muted'],
  ];
  for (const [title, path, undo, none] of lists) {
    const rows = h('div.rows.tight');
    const sec = section(t(title), rows);
    el.append(sec);
    const p = pager(
      rows,
      (next) => page(next || path, { query: next ? null : { limit: 40 } }),
      (a) =>
        accountRow(
          a,
          null,
          h('button.btn.secondary.sm', {
            type: 'button',
            onclick: async (e) => {
              const b = e.currentTarget;
              b.disabled = true;
              try {
                await api('/api/v1/accounts/' + a.id + '/' + undo, { method: 'POST' });
                b.closest('.row').remove();
                if (!rows.children.length) rows.append(h('p.sub', t(none)));
              } catch (e2) {
                b.disabled = false;
                toast(errText(e2), 'error');
              }
            },
          }, t(undo)),
        ),
      { onEmpty: () => rows.append(h('p.sub', t(none))) },
    );
    sec.append(p.foot);
    p.go();
  }

  // ---- password
  el.append(passwordForm(me));

  // ---- account
  const outB = h('button.btn.secondary', {
    type: 'button',
    onclick: async (e) => {
      e.currentTarget.disabled = true;
      await signOut();
      location.replace('/');
    },
  }, icon('logout', false, 18), t('sign_out'));
  const allB = h('button.btn.secondary', {
    type: 'button',
    'aria-describedby': 'out-all-h',
    onclick: async () => {
      if (!(await ask(t('out_all_q'), t('out_all_help'), t('out_all'), true))) return;
      allB.disabled = outB.disabled = true;
      try {
        await api('/api/v1/pinhole/account/sign_out_everywhere', { method: 'POST' });
      } catch (e) {
        allB.disabled = outB.disabled = false;
        toast(errText(e), 'error');
        return;
      }
      await signOut(); // forgets the token (already revoked) and who we were
      location.replace('/');
    },
  }, icon('logout', false, 18), t('out_all'));
  el.append(
    section(
      t('account'),
      h('p', t('signed_in_as', { name: '@' + acct(me) })),
      h('div.sign-buttons.start', outB, allB),
      h('p#out-all-h.hint', t('out_all_help')),
    ),
  );
  return { el, title: t('settings'), width: 'narrow', tab: 'settings', profile: profilePath(me), local };
}

/* The password form: the current password, the new one twice (compared
 * here), then the server's verdict under the field it concerns. Changing it
 * signs out every other session; this one stays. */
function passwordForm(me) {
  const inputs = {};
  const errs = {};
  const field = (name, auto, hint) => {
    const id = 'pw-' + name;
    const inp = h('input', { id, type: 'password', autocomplete: auto, autocapitalize: 'off', spellcheck: 'false' });
    inp.setAttribute('aria-describedby', (hint ? id + '-h ' : '') + id + '-e');
    inp.addEventListener('input', () => show(name, null));
    inputs[name] = inp;
    errs[name] = h('p.err', { id: id + '-e', hidden: true });
    return h('div.field', h('label', { for: id }, t('pw_' + name)), inp, hint && h('p.hint', { id: id + '-h' }, hint), errs[name]);
  };
  function show(name, msg) {
    errs[name].hidden = !msg;
    errs[name].replaceChildren(...(msg ? [icon('alert', false, 18), h('span', msg)] : []));
    if (msg) inputs[name].setAttribute('aria-invalid', 'true');
    else inputs[name].removeAttribute('aria-invalid');
  }
  const eye = h('input', { type: 'checkbox', id: 'pw-show' });
  const reveal = () => Object.values(inputs).forEach((i) => (i.type = eye.checked ? 'text' : 'password'));
  eye.addEventListener('change', reveal);
  const formErr = h('p.err', { role: 'alert', hidden: true });
  const ok = h('p.ok-msg', { role: 'status' });
  const btn = h('button.btn', { type: 'submit' }, t('pw_change'));
  const form = h(
    'form.group',
    h('h2.sec-h', t('password')),
    // whose password this is, for password managers
    h('input', { type: 'text', autocomplete: 'username', value: me.username || acct(me), readonly: true, hidden: true }),
    field('current', 'current-password'),
    field('new', 'new-password', t('pw_rules')),
    field('confirm', 'new-password'),
    h('label.check', { for: 'pw-show' }, eye, h('span', t('pw_show'))),
    formErr,
    h('div', ok, btn), // the status stays in the page (empty) so it is announced
  );
  const len = (s) => [...s].length; // the server counts characters, not UTF-16 units
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const cur = inputs.current.value;
    const pw = inputs.new.value;
    formErr.hidden = true;
    ok.replaceChildren();
    const bad = {
      current: !cur && t('pw_blank'),
      new: len(pw) < 8 ? t('pw_short') : len(pw) > 128 && t('pw_long'),
      confirm: pw !== inputs.confirm.value && t('pw_mismatch'),
    };
    for (const k in bad) show(k, bad[k] || null);
    const first = Object.keys(bad).find((k) => bad[k]);
    if (first) return inputs[first].focus();
    btn.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      await api('/api/v1/pinhole/account/password', { method: 'POST', body: { current_password: cur, password: pw } });
      form.reset();
      reveal();
      ok.replaceChildren(icon('check', false, 18), h('span', t('pw_changed')));
    } catch (e2) {
      const d = (e2.status === 422 && e2.body?.details) || {};
      const cur422 = d.current_password?.[0]?.error;
      const pw422 = d.password?.[0]?.error;
      if (cur422) show('current', t(cur422 === 'ERR_BLANK' ? 'pw_blank' : 'pw_wrong'));
      if (pw422) show('new', pw422 === 'ERR_TOO_LONG' ? t('pw_long') : /SHORT|BLANK/.test(pw422) ? t('pw_short') : errText(e2));
      const bad2 = cur422 ? inputs.current : pw422 && inputs.new;
      if (bad2) {
        bad2.focus();
        bad2.select();
      } else {
        formErr.hidden = false;
        formErr.replaceChildren(icon('alert', false, 18), h('span', e2.status === 429 ? t('pw_rate') : errText(e2)));
      }
    }
    btn.disabled = false;
    form.removeAttribute('aria-busy');
  });
  return form;
}
