/* Notifications: written in the same transaction as what they report.
 * Nothing is written for oneself, or when the recipient blocks the actor or
 * mutes them with notifications. */
#ifndef PIN_SERVICE_NOTIFY_H
#define PIN_SERVICE_NOTIFY_H

#include "service/svc.h"

/* type: follow, follow_request, favourite, mention, reblog, update. */
pin_err pin_notify(pin_db *db, pin_id recipient, pin_id from, const char *type,
                   pin_id status_id) PIN_WUR;
/* Removes the follow_request notification once the request is answered. */
pin_err pin_notify_delete_request(pin_db *db, pin_id recipient, pin_id from) PIN_WUR;
/* Removes notifications of one type (status 0: any post) that `from` caused
 * `recipient` when the cause is undone (unfollow, unlike...). */
pin_err pin_notify_retract(pin_db *db, pin_id recipient, pin_id from, const char *type,
                           pin_id status_id) PIN_WUR;
/* Removes every notification between two accounts, both ways (a block). */
pin_err pin_notify_forget_pair(pin_db *db, pin_id a, pin_id b) PIN_WUR;

#endif
