/* Interactions with posts: likes (favourites), bookmarks, and the
 * conversation around a post (its context). A like changes the post's
 * favourites_count in the same transaction, and notifies the author. */
#ifndef PIN_SERVICE_INTERACT_H
#define PIN_SERVICE_INTERACT_H

#include "service/graph.h"
#include "service/statuses.h"

/* Likes or unlikes a post the viewer can see (PIN_ENOTFOUND otherwise);
 * liking twice is one like. *out receives the post afterwards. */
pin_err pin_favourite(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id, bool on,
                      pin_status *out) PIN_WUR;
pin_err pin_bookmark(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id, bool on,
                     pin_status *out) PIN_WUR;

/* Accounts who liked a post the viewer can see, newest like first. */
pin_err pin_favourited_by(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id,
                          const pin_page *page, pin_id **accounts, pin_id **edge, int *n) PIN_WUR;
/* Accounts who shared (reblogged) a post the viewer can see, newest first. */
pin_err pin_reblogged_by(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id,
                         const pin_page *page, pin_id **accounts, pin_id **edge, int *n) PIN_WUR;

/* Ancestors (oldest first) and descendants (in thread order, depth-first by
 * time) the viewer can see, bounded to 200 each. */
pin_err pin_status_context(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id,
                           pin_id **ancestors, int *na, pin_id **descendants, int *nd) PIN_WUR;

#endif
