#include "service/notify.h"

pin_err pin_notify(pin_db *db, pin_id recipient, pin_id from, const char *type, pin_id status_id)
{
    if (recipient == from) return PIN_OK;
    return pin_db_exec(
        db, NULL,
        "INSERT INTO notifications (id, account_id, from_account_id, type, status_id,"
        " created_at) SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM blocks"
        " WHERE account_id = ? AND target_id = ?) AND NOT EXISTS (SELECT 1 FROM mutes"
        " WHERE account_id = ? AND target_id = ? AND notifications = 1)",
        "iiisIiiiii", pin_id_new(), recipient, from, type, status_id, pin_now_ms(), recipient, from,
        recipient, from);
}

pin_err pin_notify_delete_request(pin_db *db, pin_id recipient, pin_id from)
{
    return pin_notify_retract(db, recipient, from, "follow_request", 0);
}

pin_err pin_notify_retract(pin_db *db, pin_id recipient, pin_id from, const char *type,
                           pin_id status_id)
{
    return pin_db_exec(db, NULL,
                       "DELETE FROM notifications WHERE account_id = ? AND from_account_id = ? AND"
                       " type = ? AND (CAST(? AS BIGINT) = 0 OR status_id = ?)",
                       "iisii", recipient, from, type, status_id, status_id);
}

pin_err pin_notify_forget_pair(pin_db *db, pin_id a, pin_id b)
{
    return pin_db_exec(db, NULL,
                       "DELETE FROM notifications WHERE (account_id = ? AND from_account_id = ?) OR"
                       " (account_id = ? AND from_account_id = ?)",
                       "iiii", a, b, b, a);
}
