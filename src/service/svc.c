#include "service/svc.h"

#include <string.h>

#include "service/secret.h"

pin_err pin_svc_init(pin_svc *svc, pin_store *store, const pin_config *cfg)
{
    memset(svc, 0, sizeof(*svc));
    svc->store = store;
    svc->cfg = cfg;
    pin_err err = pin_secret_init();
    if (err) return err;
    /* A hash of a random password, verified when a login names nobody, so
     * that answering "no such user" costs what a wrong password costs. */
    pin_arena a = {0};
    err = pin_secret_password_hash(pin_secret_token(&a), cfg->argon2_ops, cfg->argon2_mem_kib,
                                   svc->dummy_hash, sizeof(svc->dummy_hash));
    pin_arena_clear(&a);
    return err;
}

pin_err pin_svc_db(pin_svc *svc, pin_db **out)
{
    return pin_store_db(svc->store, out);
}
