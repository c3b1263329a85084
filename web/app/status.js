// A post's own page: the carousel, its comments with a reply box, who liked
// it, and editing (caption and alt texts) or deleting for its author.
import { api, signedIn, startSignIn, state } from './api.js';
import { acct, avatar, errText, h, profilePath, time, toast, uid, userText, local } from './dom.js';
import { modal } from './dialogs.js';
import { t, tn } from './i18n.js';
import { icon } from './icons.js';
import { actionButton, actions, carousel, postHead, postPath, setLike } from './post.js';

export async function statusPage(ctx) {
  const id = ctx.params[ctx.params.length - 1];
  let s;
  try {
    s = await api('/api/v1/statuses/' + id);
  } catch (e) {
    if (e.status !== 404) throw e;
    return notFoundView();
  }
  if (s.in_reply_to_id && !s.media_attachments.length) {
    // a comment: show the post it belongs to
    setTimeout(() => window.nav(postPath({ id: s.in_reply_to_id }), true));
  }
  const el = h('article.single', { 'aria-label': t('photo_by', { name: '@' + acct(s.account) }) });
  const media = s.media_attachments.length ? carousel(s, { sizes: '(min-width: 900px) 60vw, 100vw', eager: true, onDouble: (x, y) => ui.double(x, y) }) : null;
  const ui = actions(s, { onComment: () => box.focus(), media: media?.firstChild });
  const thread = h('div.thread', { 'aria-label': t('comments') });
  const head = postHead(s, {
    onDeleted: () => window.nav(profilePath(s.account), true),
    onEdited: () => window.nav(location.pathname, true),
  });
  const foot = h('div.side-foot', ui.row, ui.likes, h('div.when', time(s.created_at, true), s.edited_at ? ' · ' + t('edited') : ''));
  // the caption reads as the first comment
  const capText = userText('div.text', s.content, s.mentions);
  if (capText.textContent.trim())
    thread.append(h('div.cmt.is-caption', avatar(s.account, 32, ''), h('div.cmt-main', h('a.handle', { href: profilePath(s.account) }, h('bdi', acct(s.account))), ' ', capText, h('div.cmt-meta', time(s.created_at)))));
  const list = h('div.thread-list');
  thread.append(list);

  // reply box
  let replyTo = s;
  const box = h('textarea', { rows: 1, placeholder: t('add_comment'), 'aria-label': t('add_comment'), dir: 'auto', maxlength: 2200 });
  const send = h('button.btn.ghost', { type: 'submit', disabled: true }, t('post'));
  const replying = h('div.replying', { hidden: true });
  const form = h('form.reply', { onsubmit: (e) => (e.preventDefault(), submit()) }, signedIn() ? avatar(state.me || s.account, 32, '') : null, box, send);
  let key = uid();
  const grow = () => {
    box.style.height = 'auto';
    box.style.height = Math.min(box.scrollHeight, 120) + 'px';
    send.disabled = !box.value.trim();
  };
  box.addEventListener('input', grow);
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      if (box.value.trim()) submit();
    }
  });
  function reply(c) {
    if (!signedIn()) return startSignIn(false);
    replyTo = c;
    replying.hidden = false;
    const x = h('button.icon-btn', { type: 'button', 'aria-label': t('cancel'), onclick: () => ((replyTo = s), (replying.hidden = true)) });
    x.append(document.createTextNode('×'));
    replying.replaceChildren(h('span', t('reply_to', { name: '@' + acct(c.account) })), x);
    if (!box.value.includes('@' + acct(c.account))) box.value = '@' + acct(c.account) + ' ' + box.value;
    box.focus();
    grow();
  }
  async function submit() {
    if (!signedIn()) return startSignIn(false);
    let text = box.value.trim();
    if (!text) return;
    // Mention the author so that they are told (Mastodon's way); hidden when shown here.
    const author = acct(s.account);
    if (replyTo === s && state.me?.id !== s.account.id && !text.includes('@' + author)) text = '@' + author + ' ' + text;
    send.disabled = true;
    box.disabled = true;
    try {
      const c = await api('/api/v1/statuses', {
        method: 'POST',
        headers: { 'Idempotency-Key': key },
        body: { status: text, in_reply_to_id: replyTo.id, visibility: s.visibility === 'public' ? 'public' : s.visibility },
      });
      key = uid();
      box.value = '';
      replying.hidden = true;
      const row = comment(c, replyTo.id !== s.id);
      if (replyTo.id !== s.id) list.querySelector(`[data-id="${replyTo.id}"]`)?.after(row) ?? list.append(row);
      else list.append(row);
      replyTo = s;
      s.replies_count++;
      thread.querySelector('.thread-empty')?.remove();
      row.scrollIntoView({ block: 'nearest' });
    } catch (e) {
      toast(errText(e), 'error');
    }
    box.disabled = false;
    grow();
    box.focus();
  }

  function comment(c, nested) {
    const cui = { refresh: () => paint() };
    const heart = actionButton('heart', t('like'), () => setLike(c, !c.favourited, cui));
    const likesN = h('span');
    const paint = () => {
      heart.replaceChildren(icon('heart', c.favourited));
      heart.classList.toggle('on', !!c.favourited);
      heart.setAttribute('aria-pressed', String(!!c.favourited));
      heart.setAttribute('aria-label', c.favourited ? t('unlike') : t('like'));
      likesN.textContent = c.favourites_count ? t('likes', { n: c.favourites_count }) : '';
    };
    const meta = h('div.cmt-meta', time(c.created_at), likesN, h('button', { type: 'button', onclick: () => reply(c) }, t('reply')));
    const mine = state.me && (state.me.id === c.account.id || state.me.id === s.account.id);
    const row = h('div.cmt' + (nested ? '.nested' : ''), { dataset: { id: c.id } }, h('a', { href: profilePath(c.account), tabindex: '-1' }, avatar(c.account, 32, '')), h('div.cmt-main', h('a.handle', { href: profilePath(c.account) }, h('bdi', acct(c.account))), ' ', userText('div.text', c.content, c.mentions, c.in_reply_to_id === s.id ? acct(s.account) : null), meta), heart);
    if (mine && state.me.id === c.account.id)
      meta.append(
        h('button', {
          type: 'button',
          onclick: async () => {
            try {
              await api('/api/v1/statuses/' + c.id, { method: 'DELETE' });
              row.remove();
            } catch (e) {
              toast(errText(e), 'error');
            }
          },
        }, t('delete')),
      );
    paint();
    return row;
  }

  const side = h('div.side', head, thread, foot, replying, signedIn() ? form : h('div.reply', h('button.btn.ghost', { type: 'button', onclick: () => startSignIn(false) }, t('sign_in_to'))));
  if (media) el.append(media);
  el.append(side);

  // comments: direct replies, then their replies one level in
  api('/api/v1/statuses/' + s.id + '/context')
    .then((cx) => {
      const top = new Map();
      const byId = new Map(cx.descendants.map((c) => [c.id, c]));
      const rootOf = (c) => {
        let x = c;
        for (let i = 0; i < 50 && x && x.in_reply_to_id !== s.id; i++) x = byId.get(x.in_reply_to_id);
        return x;
      };
      for (const c of cx.descendants) if (c.in_reply_to_id === s.id) top.set(c.id, [comment(c, false)]);
      for (const c of cx.descendants) {
        if (c.in_reply_to_id === s.id) continue;
        const r = rootOf(c);
        (top.get(r?.id) || top.set(c.id, []).get(c.id)).push(comment(c, true));
      }
      for (const rows of top.values()) list.append(...rows);
      if (!cx.descendants.length) list.append(h('p.thread-empty', t('no_comments')));
    })
    .catch((e) => list.append(h('p.thread-empty', errText(e))));

  if (location.hash === '#reply') setTimeout(() => box.focus(), 50);
  return { el, title: t('post'), width: 'wide' };
}

function notFoundView() {
  return {
    title: t('not_found'),
    el: h('div.empty', h('h1', t('not_found')), h('p', t('not_found_text')), h('a.btn', { href: '/' }, t('go_home'))),
  };
}

/** The author's editor: caption and each photo's description. */
export async function editPost(s, onSaved) {
  let src = { text: '', spoiler_text: s.spoiler_text };
  try {
    src = await api('/api/v1/statuses/' + s.id + '/source');
  } catch {
    /* fall back to the rendered text */
    const d = document.createElement('template');
    d.innerHTML = s.content;
    src.text = d.content.textContent;
  }
  const cap = h('textarea', { id: 'ed-cap', dir: 'auto', rows: 4, value: src.text });
  const alts = s.media_attachments.map((m, i) =>
    h('textarea', { id: 'ed-alt' + i, dir: 'auto', rows: 2, value: m.description || '', placeholder: t('alt_help'), 'aria-label': t('alt_for', { i: i + 1 }) }),
  );
  const err = h('p.err', { role: 'alert', hidden: true });
  const body = h(
    'form.form',
    h('div.field', h('label', { for: 'ed-cap' }, t('caption')), cap),
    s.media_attachments.length ? h('div.label', t('alt_text')) : null,
    s.media_attachments.map((m, i) =>
      h('div.up', h('div.up-thumb', h('img', { src: local(m.pinhole_variants?.thumb?.url || m.preview_url), alt: '' })), h('div.up-side.alt', alts[i])),
    ),
    err,
  );
  const saveB = h('button.btn', { type: 'button' }, t('save'));
  const d = modal(t('edit_post'), body, { actions: [h('button.btn.secondary', { type: 'button', onclick: () => d.close() }, t('cancel')), saveB], cls: 'wide' });
  saveB.addEventListener('click', async () => {
    saveB.disabled = true;
    const f = new URLSearchParams();
    f.append('status', cap.value);
    f.append('sensitive', s.sensitive ? 'true' : 'false');
    f.append('spoiler_text', src.spoiler_text || '');
    s.media_attachments.forEach((m, i) => {
      f.append('media_ids[]', m.id);
      f.append(`media_attributes[${i}][id]`, m.id);
      f.append(`media_attributes[${i}][description]`, alts[i].value.trim());
    });
    try {
      const ns = await api('/api/v1/statuses/' + s.id, { method: 'PUT', body: f });
      d.close();
      toast(t('changes_saved'));
      onSaved?.(ns);
    } catch (e) {
      err.hidden = false;
      err.textContent = errText(e);
      saveB.disabled = false;
    }
  });
}

export { tn };
