/* Server-rendered pages: the sign-in/sign-up shell and the landing page.
 * Every dynamic string is escaped with pin_html_escape before it gets here;
 * pages carry a CSP with no script at all. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "api/api_int.h"
#include "core/html.h"
#include "http/static.h"

static const char page_csp[] = "default-src 'none'; style-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; base-uri 'none'";

void api_page(api_ctx *c, int status, const char *title, const char *body_html)
{
    pin_arena *a = c->a;
    const char *site = pin_html_escaped(a, c->api->cfg->title);
    const char *doc = pin_arena_printf(
        a,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<meta name=\"referrer\" content=\"no-referrer\">"
        "<title>%s · %s</title><link rel=\"stylesheet\" href=\"/assets/auth.css\"></head>"
        "<body><main class=\"card\"><a class=\"brand\" href=\"/\">%s</a>%s</main></body></html>",
        pin_html_escaped(a, title), site, site, body_html);
    pin_resp_set(c->req, status, "text/html; charset=utf-8", doc, strlen(doc));
    pin_resp_header(c->req, "Content-Security-Policy", page_csp);
    pin_resp_header(c->req, "X-Frame-Options", "DENY");
    pin_resp_header(c->req, "Referrer-Policy", "no-referrer");
    pin_resp_header(c->req, "Cache-Control", "no-store");
}

/* The web app's single page, for every browser route (client-side routing).
 * The app uses only the public API; its page carries a CSP that allows
 * scripts and styles from this origin only. */
static const char app_csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
                              "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; "
                              "manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                              "base-uri 'none'";

void api_app_shell(api_ctx *c)
{
    const char *dir = c->api->cfg->web_dir;
    pin_http_static_file(c->req, dir, "index.html");
    if (c->req->status == 200 || c->req->status == 304) {
        pin_resp_header(c->req, "Content-Security-Policy", app_csp);
        pin_resp_header(c->req, "X-Frame-Options", "DENY");
        pin_resp_header(c->req, "Referrer-Policy", "same-origin");
        pin_resp_header(c->req, "Cache-Control", "no-cache");
    }
}

void h_app_file(api_ctx *c)
{
    const char *dir = pin_arena_printf(c->a, "%s/app", c->api->cfg->web_dir);
    pin_http_static_file(c->req, dir, api_cap(c, "file"));
    /* Unversioned names: revalidate (by ETag) so a deploy never mixes
     * old and new modules. */
    for (pin_header *h = c->req->resp_headers; h; h = h->next) {
        if (!strcmp(h->name, "Cache-Control")) h->value = "no-cache";
    }
}

void h_home_page(api_ctx *c)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s/index.html", c->api->cfg->web_dir);
    if (access(path, R_OK) == 0) {
        api_app_shell(c);
        return;
    }
    const pin_config *cfg = c->api->cfg;
    pin_arena *a = c->a;
    api_page(c, 200, "Welcome",
             pin_arena_printf(a,
                              "<h1>%s</h1><p class=\"lead\">%s</p>"
                              "<p>Use any Mastodon app: enter <code>%s</code> as your server.</p>"
                              "%s<p class=\"alt\"><a href=\"/readyz\">Service status</a></p>",
                              pin_html_escaped(a, cfg->title),
                              pin_html_escaped(a, cfg->description),
                              pin_html_escaped(a, cfg->base_url),
                              cfg->registrations == PIN_REG_CLOSED
                                  ? "<p class=\"notice\">Registrations are closed.</p>"
                                  : "<p><a class=\"button\" href=\"/auth/sign_up\">Create an "
                                    "account</a></p>"));
}

void h_asset(api_ctx *c)
{
    const char *dir = pin_arena_printf(c->a, "%s/assets", c->api->cfg->web_dir);
    pin_http_static_file(c->req, dir, api_cap(c, "file"));
}
