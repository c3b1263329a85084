/* Who may see a post: the one rule, as an SQL predicate every read uses.
 *
 * Visibility levels are stored as integers: 0 public, 1 unlisted, 2 private
 * (followers only), 3 direct (mentioned people only). The author always sees
 * their own posts; anyone mentioned sees the post; a follower sees private
 * posts. Anything the rule hides answers exactly as if it did not exist.
 *
 * An author who blocked the viewer hides all their posts from them.
 *
 * PIN_VISIBLE(s) is a predicate over a statuses row aliased `s`; it takes
 * the viewer's account id four times (0 for anonymous), bound as "iiii".
 */
#ifndef PIN_SERVICE_VISIBILITY_H
#define PIN_SERVICE_VISIBILITY_H

enum { PIN_VIS_PUBLIC = 0, PIN_VIS_UNLISTED = 1, PIN_VIS_PRIVATE = 2, PIN_VIS_DIRECT = 3 };

#define PIN_VISIBLE(s)                                                                             \
    "((" s ".visibility <= 1 OR " s ".account_id = ?"                                              \
    " OR EXISTS (SELECT 1 FROM status_mentions vm WHERE vm.status_id = " s ".id"                   \
    " AND vm.account_id = ?)"                                                                      \
    " OR (" s ".visibility = 2 AND EXISTS (SELECT 1 FROM follows vf WHERE vf.account_id = ?"       \
    " AND vf.target_id = " s ".account_id)))"                                                      \
    " AND NOT EXISTS (SELECT 1 FROM blocks vb WHERE vb.account_id = " s ".account_id"              \
    " AND vb.target_id = ?))"

/* "public", ... for a level; NULL if out of range. */
const char *pin_visibility_name(int level);
/* The level for a name, or -1. */
int pin_visibility_parse(const char *name);

#endif
