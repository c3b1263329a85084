// UI strings. English is built in; Arabic (ar.js) is loaded only for people
// who read it. The language follows navigator.languages unless chosen in
// settings; Arabic lays the page out right to left.
const en = {
  app: 'pinhole',
  home: 'Home',
  explore: 'Explore',
  new_post: 'New post',
  notifications: 'Notifications',
  profile: 'Profile',
  settings: 'Settings',
  back: 'Back',
  close: 'Close',
  cancel: 'Cancel',
  save: 'Save',
  saved: 'Saved',
  delete: 'Delete',
  edit: 'Edit',
  retry: 'Try again',
  load_more: 'Load more',
  skip: 'Skip to content',
  sign_in: 'Sign in',
  sign_up: 'Create account',
  sign_out: 'Sign out',
  signing_in: 'Signing you in…',
  sign_in_failed: 'Sign-in did not complete: {why}. Please try again.',
  welcome_title: 'Share the world as you see it.',
  welcome_text: 'A calm place for photos, run by people you can talk to. No ads, no tricks, counts that never drift.',
  recent_public: 'Recently shared',
  just_now: 'now',
  avatar_of: 'Profile photo of {name}',
  photo_by: 'Photo by {name}',
  photo_n: 'Photo {i} of {n}',
  carousel: 'Photos',
  prev_photo: 'Previous photo',
  next_photo: 'Next photo',
  like: 'Like',
  unlike: 'Unlike',
  comment: 'Comment',
  share: 'Copy link',
  bookmark: 'Save',
  unbookmark: 'Remove from saved',
  more: 'More options',
  more_text: 'more',
  link_copied: 'Link copied',
  likes: { one: '{n} like', other: '{n} likes' },
  be_first: 'Be the first to like this',
  view_comments: { one: 'View 1 comment', other: 'View all {n} comments' },
  comments: 'Comments',
  no_comments: 'No comments yet. Start the conversation.',
  add_comment: 'Add a comment…',
  reply_to: 'Reply to {name}',
  reply: 'Reply',
  post: 'Post',
  posting: 'Posting…',
  liked_by: 'Likes',
  nobody_liked: 'No likes yet.',
  edited: 'edited',
  sensitive: 'Sensitive content',
  sensitive_tap: 'This photo may be sensitive. Tap to view.',
  delete_post: 'Delete this post?',
  delete_post_text: 'The photos, likes and comments go with it. This cannot be undone.',
  deleted: 'Post deleted',
  edit_post: 'Edit post',
  caption: 'Caption',
  alt_text: 'Alt text',
  alt_for: 'Describe photo {i}',
  alt_help: 'Describe the photo for people who cannot see it.',
  alt_missing: 'No description yet. Add one so everyone can enjoy this photo.',
  changes_saved: 'Changes saved',
  feed_empty_title: 'Your feed is waiting',
  feed_empty_text: 'Follow people to see their photos here. Here are some who posted recently.',
  feed_end: 'You are all caught up.',
  no_suggestions: 'Nobody has posted publicly yet. Be the first: share a photo.',
  suggestions: 'Suggested for you',
  follow: 'Follow',
  following_btn: 'Following',
  requested: 'Requested',
  follow_back: 'Follow back',
  unfollow_q: 'Unfollow @{name}?',
  unfollow: 'Unfollow',
  edit_profile: 'Edit profile',
  posts: { one: 'post', other: 'posts' },
  followers: { one: 'follower', other: 'followers' },
  following: 'following',
  followers_title: 'Followers',
  following_title: 'Following',
  private_title: 'This account is private',
  private_text: 'Follow this account to see their photos.',
  no_posts: 'No posts yet',
  no_posts_me: 'Share your first photo',
  no_posts_me_text: 'When you share photos, they will appear on your profile.',
  no_saved: 'Save photos you want to see again. Only you can see what you have saved.',
  not_found: 'This page is not here',
  not_found_text: 'The link may be broken, or the post or account may have been removed.',
  go_home: 'Go home',
  user_not_found: 'No account called @{name}.',
  follows_you: 'Follows you',
  block: 'Block',
  unblock: 'Unblock',
  mute: 'Mute',
  unmute: 'Unmute',
  remove_follower: 'Remove follower',
  blocked_q: 'Block @{name}? They will not be able to follow you or see your posts.',
  done: 'Done',
  saved_tab: 'Saved',
  posts_tab: 'Posts',
  people_empty: 'Nobody here yet.',
  trending: 'Trending tags',
  search: 'Search',
  search_ph: 'Search people and tags',
  search_none: 'No results for “{q}”.',
  accounts: 'Accounts',
  tags: 'Tags',
  explore_empty: 'No public photos yet. Be the first to share one.',
  tag_empty: 'No posts with #{tag} yet.',
  tag_posts: 'Recent posts',
  notif_empty: 'When people like, comment on or follow you, you will see it here.',
  all: 'All',
  n_likes: 'Likes',
  n_comments: 'Comments',
  n_follows: 'Follows',
  new: 'New',
  earlier: 'Earlier',
  unread: { one: '{n} unread notification', other: '{n} unread notifications' },
  n_fav: '{who} liked your photo.',
  n_fav_many: { one: '{who} and {n} other liked your photo.', other: '{who} and {n} others liked your photo.' },
  n_follow: '{who} started following you.',
  n_follow_many: { one: '{who} and {n} other started following you.', other: '{who} and {n} others started following you.' },
  n_follow_request: '{who} asked to follow you.',
  n_reblog: '{who} shared your photo.',
  n_mention: '{who} commented:',
  n_mention_post: '{who} mentioned you:',
  follow_requests: 'Follow requests',
  requests_n: { one: '{n} person wants to follow you', other: '{n} people want to follow you' },
  requests_empty: 'No pending requests. People who ask to follow your private account appear here.',
  accept: 'Accept',
  decline: 'Decline',
  accepted: 'Accepted',
  declined: 'Declined',
  clear_all: 'Clear all',
  clear_q: 'Clear all notifications?',
  history: 'Follower history',
  history_short: 'Followers over time',
  days_n: { one: '{n} day', other: '{n} days' },
  gained: 'Gained',
  lost: 'Lost',
  recent_changes: 'Recent changes',
  no_changes: 'No changes in this period.',
  chart_label: 'Daily follower count over {days}: from {a} to {b}. {g} gained, {l} lost.',
  day_tip: '{date}: {n} followers, +{g} −{l}',
  cause_followed: 'Followed you',
  cause_unfollowed: 'Unfollowed you',
  cause_removed: 'Removed by you',
  cause_blocked: 'Blocked',
  cause_suspended: 'Account suspended',
  cause_deleted: 'Account deleted',
  cause_moderation: 'Moderation action',
  deleted_account: 'a deleted account',
  // compose
  share_photos: 'Share photos',
  pick_photos: 'Choose photos',
  drop_here: 'Drag photos here, or',
  add_more: 'Add more photos',
  photos_hint: 'Up to {n} photos. JPEG, PNG, WebP, GIF, HEIC or AVIF.',
  move_earlier: 'Move photo earlier',
  move_later: 'Move photo later',
  remove_photo: 'Remove photo',
  uploading: 'Uploading {p}%',
  processing: 'Processing…',
  upload_failed: 'Upload failed',
  too_big: 'This file is too big (the limit is {mb} MB).',
  storage_full: 'The server is out of storage space. Try again later, or tell the server’s admin.',
  not_image: 'This is not a photo the server can read.',
  too_many: 'You can add up to {n} photos to one post.',
  caption_ph: 'Write a caption… #hashtags and @mentions work',
  chars_left: { one: '{n} character left', other: '{n} characters left' },
  chars_over: { one: '{n} character over the limit', other: '{n} characters over the limit' },
  mark_sensitive: 'Mark as sensitive',
  sensitive_help: 'Photos are blurred until people choose to see them.',
  content_warning: 'Content warning (optional)',
  visibility: 'Who can see this',
  vis_public: 'Everyone',
  vis_unlisted: 'Everyone, but not in Explore',
  vis_private: 'Followers only',
  vis_direct: 'Only people mentioned',
  share_btn: 'Share',
  need_photo: 'Add at least one photo.',
  wait_uploads: 'Wait for the uploads to finish.',
  alt_nudge: { one: '{n} photo has no description.', other: '{n} photos have no description.' },
  post_anyway: 'Share anyway',
  posted: 'Shared!',
  // settings
  profile_section: 'Profile',
  change_photo: 'Change profile photo',
  display_name: 'Name',
  bio: 'Bio',
  links: 'Links',
  label: 'Label',
  content: 'Content',
  privacy: 'Privacy',
  private_account: 'Private account',
  private_help: 'Only people you approve can see your photos and follow you.',
  default_vis: 'Default audience for new posts',
  language: 'Language',
  lang_auto: 'Same as my browser',
  theme: 'Appearance',
  theme_auto: 'Match my device',
  theme_light: 'Light',
  theme_dark: 'Dark',
  blocked: 'Blocked accounts',
  muted: 'Muted accounts',
  none_blocked: 'You have not blocked anyone.',
  none_muted: 'You have not muted anyone.',
  account: 'Account',
  signed_in_as: 'Signed in as {name}',
  password: 'Password',
  pw_current: 'Current password',
  pw_new: 'New password',
  pw_confirm: 'Confirm new password',
  pw_rules: '8 to 128 characters.',
  pw_show: 'Show passwords',
  pw_change: 'Change password',
  pw_changed: 'Password changed. Other devices were signed out.',
  pw_blank: 'Enter your current password.',
  pw_wrong: 'That is not your current password.',
  pw_short: 'Too short: use at least 8 characters.',
  pw_long: 'Too long: use at most 128 characters.',
  pw_mismatch: 'The two new passwords do not match.',
  pw_rate: 'Too many wrong attempts. Wait a few minutes and try again.',
  out_all: 'Sign out everywhere',
  out_all_q: 'Sign out everywhere?',
  out_all_help: 'Signs you out on every device and app, this one included.',
  saved_ok: 'Saved',
  // errors
  offline: 'You are offline. Check your connection; we will keep what you wrote.',
  back_online: 'Back online',
  net_error: 'Could not reach the server. Check your connection and try again.',
  server_error: 'Something went wrong on the server ({status}). Try again in a moment.',
  session_expired: 'Your session has ended',
  session_expired_text: 'For your security you were signed out. Sign in again to continue where you left off.',
  sign_in_to: 'Sign in to like, comment and follow.',
  rate_limited: 'Too many requests. Wait a minute and try again.',
  forbidden: 'You are not allowed to do that.',
};

let dict = en;
let code = 'en';
export const lang = () => code;
export const rtl = () => code === 'ar';

const rules = {};
const nfs = {};

/** The string for KEY with {vars} filled in (numbers formatted for the
 *  language; a vars.n picks the plural form). */
export function t(key, vars) {
  let s = dict[key] ?? en[key] ?? key;
  if (typeof s === 'object') {
    const n = vars?.n ?? 0;
    rules[code] ||= new Intl.PluralRules(code);
    const cat = n === 0 && s.zero ? 'zero' : rules[code].select(n);
    s = s[cat] ?? s.other;
  }
  if (!vars) return s;
  nfs[code] ||= new Intl.NumberFormat(code);
  return s.replace(/\{(\w+)\}/g, (m, k) =>
    vars[k] == null ? m : typeof vars[k] === 'number' ? nfs[code].format(vars[k]) : String(vars[k]),
  );
}

/** Like t but the vars may be DOM nodes: returns a list to append. */
export function tn(key, vars) {
  const nodes = {};
  const plain = {};
  for (const k in vars) (vars[k] instanceof Node ? nodes : plain)[k] = vars[k];
  const s = t(key, plain);
  return s.split(/(\{\w+\})/).map((p) => {
    const m = /^\{(\w+)\}$/.exec(p);
    return m && nodes[m[1]] ? nodes[m[1]] : p;
  });
}

export const LANGS = { en: 'English', ar: 'العربية' };

export function chosenLang() {
  return localStorage.getItem('pinhole.lang') || 'auto';
}

/** Picks the language and loads its strings; sets lang and dir on <html>. */
export async function setupLang() {
  let want = chosenLang();
  if (!LANGS[want]) {
    want = 'en';
    for (const l of navigator.languages || [navigator.language]) {
      const p = String(l).slice(0, 2).toLowerCase();
      if (LANGS[p]) {
        want = p;
        break;
      }
    }
  }
  if (want === 'ar') {
    try {
      dict = { ...en, ...(await import('./ar.js')).default };
    } catch {
      want = 'en';
    }
  }
  if (want === 'en') dict = en;
  code = want;
  document.documentElement.lang = code;
  document.documentElement.dir = code === 'ar' ? 'rtl' : 'ltr';
}
