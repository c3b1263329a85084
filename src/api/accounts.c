/* Account endpoints: registration, credentials, profiles, and the sign-up form. */
#include <string.h>

#include "api/api_int.h"
#include "core/html.h"
#include "service/oauth.h"
#include "service/ratelimit.h"

static bool signup_allowed(api_ctx *c, bool html)
{
    int retry = 0;
    const char *bucket = pin_arena_printf(c->a, "signup:%s", c->req->client_ip);
    pin_err err = pin_ratelimit_hit(c->svc, bucket, c->api->cfg->rate_auth_limit,
                                    c->api->cfg->rate_auth_window_s, &retry);
    if (err == PIN_ERATELIMIT) {
        api_rate_limited(c, retry, html);
        return false;
    }
    if (err) {
        if (html)
            api_page(c, pin_http_status_of(err), "Unavailable",
                     "<h1>Try again shortly</h1><p>The server is busy.</p>");
        else
            api_error(c, err, NULL);
        return false;
    }
    return true;
}

void h_accounts_create(api_ctx *c)
{
    if (!signup_allowed(c, false)) return;
    pin_register_in in = {
        .username = api_param(c, "username"),
        .email = api_param(c, "email"),
        .password = api_param(c, "password"),
        .locale = api_param(c, "locale"),
        .reason = api_param(c, "reason"),
        .agreement = api_param_bool(c, "agreement") == 1,
        .app_id = c->viewer.app_id,
        .scopes = c->viewer.scopes,
    };
    pin_field_errors fe = {0};
    pin_register_out out;
    pin_err err = pin_account_register(c->svc, c->a, &in, &out, &fe);
    if (err == PIN_EUNPROCESSABLE) {
        api_field_errors(c, &fe);
        return;
    }
    if (err == PIN_EFORBIDDEN) {
        api_error(c, err, "Registrations are closed on this server");
        return;
    }
    if (err) {
        api_error(c, err, NULL);
        return;
    }
    api_json(c, 200,
             json_pack("{s:s,s:s,s:s,s:I}", "access_token", out.token, "token_type", "Bearer",
                       "scope", pin_scopes_format(c->viewer.scopes, c->a), "created_at",
                       (json_int_t)(out.created_at / 1000)));
}

void h_accounts_verify(api_ctx *c)
{
    pin_account acc;
    pin_err err = pin_account_get(c->svc, c->a, c->viewer.account_id, true, &acc);
    if (err) {
        api_error(c, err, NULL);
        return;
    }
    api_json(c, 200, api_credential_account_json(c, &acc));
}

static int bool_param(api_ctx *c, const char *key, pin_field_errors *fe)
{
    int v = api_param_bool(c, key);
    if (v == -2) pin_field_error_add(fe, key, "ERR_INVALID", "must be true or false");
    return v < 0 ? -1 : v;
}

/* Processes an uploaded avatar or header and makes it the account's. */
static bool set_image(api_ctx *c, const char *field, bool header)
{
    const pin_param *file = api_file(c, field);
    if (!file) return true;
    if ((int64_t)file->len > c->api->cfg->media_max_bytes) {
        api_error(c, PIN_ETOOBIG, "The file is larger than the upload limit");
        return false;
    }
    pin_media_in in = {.path = file->value, .purpose = header ? "header" : "avatar"};
    pin_media m;
    const char *why = NULL;
    pin_err err = pin_media_create(c->svc, c->a, &c->viewer, &in, &m, &why);
    if (!err) err = pin_account_set_image(c->svc, &c->viewer, header, m.id);
    if (err) {
        api_error(c, err, why);
        return false;
    }
    return true;
}

static void update_job(api_ctx *c);

void h_accounts_update(api_ctx *c)
{
    if (api_file(c, "avatar") || api_file(c, "header")) {
        api_defer(c, update_job); /* image processing runs on the worker pool */
        return;
    }
    update_job(c);
}

static void update_job(api_ctx *c)
{
    pin_field_errors fe = {0};
    pin_profile_update u = {
        .display_name = api_param(c, "display_name"),
        .note = api_param(c, "note"),
        .locked = bool_param(c, "locked", &fe),
        .bot = bool_param(c, "bot", &fe),
        .discoverable = bool_param(c, "discoverable", &fe),
        .sensitive = bool_param(c, "source[sensitive]", &fe),
        .privacy = api_param(c, "source[privacy]"),
        .language = api_param(c, "source[language]"),
    };
    if (!set_image(c, "avatar", false) || !set_image(c, "header", true)) return;
    /* fields_attributes[i][name|value], from a form or a JSON array/object. */
    for (int i = 0; i < 16; i++) {
        const char *n = api_param(c, pin_arena_printf(c->a, "fields_attributes[%d][name]", i));
        const char *v = api_param(c, pin_arena_printf(c->a, "fields_attributes[%d][value]", i));
        if (!n && !v) continue;
        u.set_fields = true;
        if (u.nfields >= PIN_FIELDS_MAX) {
            u.nfields++;
            continue;
        }
        u.fields[u.nfields++] = (pin_profile_field){n ? n : "", v ? v : ""};
    }
    if (!fe.n) {
        pin_err err = pin_account_update(c->svc, c->a, &c->viewer, &u, &fe);
        if (err && err != PIN_EUNPROCESSABLE) {
            api_error(c, err, NULL);
            return;
        }
    }
    if (fe.n) {
        api_field_errors(c, &fe);
        return;
    }
    h_accounts_verify(c);
}

void h_accounts_get(api_ctx *c)
{
    pin_id id;
    pin_account acc;
    if (!pin_id_parse(api_cap(c, "id"), &id) ||
        pin_account_get(c->svc, c->a, id, false, &acc) != PIN_OK) {
        api_error(c, PIN_ENOTFOUND, NULL);
        return;
    }
    api_json(c, 200, api_account_json(c, &acc));
}

void h_accounts_lookup(api_ctx *c)
{
    const char *acct = api_param(c, "acct");
    if (!acct || !*acct) {
        api_error(c, PIN_EINVAL, "Missing parameter: acct");
        return;
    }
    pin_account acc;
    pin_err err = pin_account_lookup(c->svc, c->a, acct, &acc);
    if (err) {
        api_error(c, err == PIN_ENOTFOUND ? PIN_ENOTFOUND : err, NULL);
        return;
    }
    api_json(c, 200, api_account_json(c, &acc));
}

/* ---- the sign-up form ---- */

static void sign_up_form(api_ctx *c, int status, const pin_field_errors *fe, const char *username,
                         const char *email)
{
    pin_buf b;
    pin_buf_init(&b, c->a);
    pin_buf_printf(&b, "<h1>Join %s</h1>", pin_html_escaped(c->a, c->api->cfg->title));
    if (c->api->cfg->registrations == PIN_REG_CLOSED) {
        pin_buf_puts(&b, "<p class=\"notice\">Registrations are closed on this server.</p>");
        api_page(c, status, "Sign up", b.data);
        return;
    }
    if (c->api->cfg->registrations == PIN_REG_APPROVAL)
        pin_buf_puts(&b, "<p class=\"notice\">A moderator reviews new accounts before they "
                         "can post.</p>");
    if (fe && fe->n) {
        pin_buf_puts(&b, "<ul class=\"errors\" role=\"alert\">");
        for (int i = 0; i < fe->n; i++) {
            pin_buf_puts(&b, "<li>");
            pin_html_escape(&b, fe->items[i].field, strlen(fe->items[i].field));
            pin_buf_putc(&b, ' ');
            pin_html_escape(&b, fe->items[i].description, strlen(fe->items[i].description));
            pin_buf_puts(&b, "</li>");
        }
        pin_buf_puts(&b, "</ul>");
    }
    pin_buf_printf(
        &b,
        "<form method=\"post\" action=\"/auth/sign_up\">"
        "<label>Username<input name=\"username\" autocomplete=\"username\" required "
        "maxlength=\"30\" value=\"%s\"></label>"
        "<label>E-mail<input name=\"email\" type=\"email\" autocomplete=\"email\" "
        "required value=\"%s\"></label>"
        "<label>Password<input name=\"password\" type=\"password\" "
        "autocomplete=\"new-password\" required minlength=\"8\" maxlength=\"128\"></label>"
        "<label class=\"check\"><input name=\"agreement\" type=\"checkbox\" "
        "value=\"true\" required> I agree to the server rules</label>",
        pin_html_escaped(c->a, username ? username : ""),
        pin_html_escaped(c->a, email ? email : ""));
    if (c->api->cfg->registrations == PIN_REG_APPROVAL)
        pin_buf_puts(&b, "<label>Why do you want to join?<textarea name=\"reason\" "
                         "maxlength=\"500\"></textarea></label>");
    const char *rt = api_param(c, "return_to");
    if (rt && !strncmp(rt, "/oauth/authorize?", 17))
        pin_buf_printf(&b, "<input type=\"hidden\" name=\"return_to\" value=\"%s\">",
                       pin_html_escaped(c->a, rt));
    pin_buf_puts(&b, "<button type=\"submit\">Create account</button></form>");
    api_page(c, status, "Sign up", b.data);
}

void h_sign_up_get(api_ctx *c)
{
    sign_up_form(c, 200, NULL, NULL, NULL);
}

void h_sign_up_post(api_ctx *c)
{
    if (!signup_allowed(c, true)) return;
    pin_register_in in = {
        .username = api_param(c, "username"),
        .email = api_param(c, "email"),
        .password = api_param(c, "password"),
        .reason = api_param(c, "reason"),
        .agreement = api_param_bool(c, "agreement") == 1,
    };
    pin_field_errors fe = {0};
    pin_register_out out;
    pin_err err = pin_account_register(c->svc, c->a, &in, &out, &fe);
    if (err == PIN_EUNPROCESSABLE || err == PIN_EFORBIDDEN) {
        sign_up_form(c, err == PIN_EFORBIDDEN ? 403 : 422, &fe, in.username, in.email);
        return;
    }
    if (err) {
        api_page(c, pin_http_status_of(err), "Sign up",
                 "<h1>Something went wrong</h1><p>Your account was not created. Please try "
                 "again in a moment.</p>");
        return;
    }
    const char *rt = api_param(c, "return_to");
    if (rt && !strncmp(rt, "/oauth/authorize?", 17)) {
        pin_resp_set(c->req, 303, "text/plain", "", 0);
        pin_resp_header(c->req, "Location", rt);
        return;
    }
    api_page(c, 200, "Welcome",
             pin_arena_printf(c->a,
                              "<h1>Welcome, @%s</h1><p>Your account is ready%s. Sign in from any "
                              "Mastodon app with this server's address.</p>",
                              pin_html_escaped(c->a, in.username),
                              c->api->cfg->registrations == PIN_REG_APPROVAL
                                  ? " and waits for a moderator's approval"
                                  : ""));
}

/* POST /api/v1/pinhole/account/password {current_password, password}:
 * changes the password and signs out every other session. */
void h_password_change(api_ctx *c)
{
    pin_field_errors fe = {0};
    int retry = 0;
    pin_err err =
        pin_account_change_password(c->svc, c->a, &c->viewer, api_param(c, "current_password"),
                                    api_param(c, "password"), &fe, &retry);
    if (err == PIN_ERATELIMIT) {
        api_rate_limited(c, retry, false);
        return;
    }
    if (err == PIN_EAUTH) {
        pin_field_error_add(&fe, "current_password", "ERR_INVALID", "is not your password");
        api_field_errors(c, &fe);
        return;
    }
    if (err == PIN_EUNPROCESSABLE) {
        api_field_errors(c, &fe);
        return;
    }
    if (err) {
        api_error(c, err, NULL);
        return;
    }
    api_json(c, 200, json_object());
}

/* POST /api/v1/pinhole/account/sign_out_everywhere: revokes every token of
 * the account, this one included. */
void h_sign_out_everywhere(api_ctx *c)
{
    pin_err err = pin_token_revoke_all(c->svc, c->viewer.account_id, 0);
    if (err) {
        api_error(c, err, NULL);
        return;
    }
    api_json(c, 200, json_object());
}
