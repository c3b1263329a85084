/* Responses, and the one mapping from pin_err to an HTTP status. */
#include <jansson.h>
#include <string.h>
#include <unistd.h>

#include "http/http.h"

#include "core/json.h"

int pin_http_status_of(pin_err err)
{
    switch (err) {
    case PIN_OK:
        return 200;
    case PIN_EINVAL:
        return 400;
    case PIN_EAUTH:
        return 401;
    case PIN_EFORBIDDEN:
        return 403;
    case PIN_ENOTFOUND:
        return 404;
    case PIN_EMETHOD:
        return 405;
    case PIN_ECONFLICT:
        return 409;
    case PIN_ETOOBIG:
        return 413;
    case PIN_EUNPROCESSABLE:
        return 422;
    case PIN_EMEDIATYPE:
        return 415;
    case PIN_ERATELIMIT:
        return 429;
    case PIN_EUNAVAILABLE:
    case PIN_EBUSY:
        return 503;
    case PIN_ENOSPACE:
        return 507;
    case PIN_EIO:
        return 500;
    }
    return 500;
}

static const char *generic(int status)
{
    switch (status) {
    case 400:
        return "Bad request";
    case 401:
        return "The access token is invalid";
    case 403:
        return "This action is not allowed";
    case 404:
        return "Record not found";
    case 405:
        return "Method not allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Request body too large";
    case 415:
        return "Unsupported Content-Type: send application/json, a form, or multipart";
    case 422:
        return "Validation failed";
    case 429:
        return "Too many requests";
    case 503:
        return "The service is busy; try again shortly";
    case 507:
        return "Storage is full; try again later";
    default:
        return "Something went wrong on our side";
    }
}

void pin_resp_set(pin_req *req, int status, const char *type, const char *body, size_t len)
{
    req->status = status;
    req->resp_type = type;
    req->resp_body = body;
    req->resp_len = len;
}

void pin_resp_header(pin_req *req, const char *name, const char *value)
{
    pin_header *h = pin_arena_alloc(&req->arena, sizeof(*h));
    h->name = name;
    h->value = value;
    h->next = req->resp_headers;
    req->resp_headers = h;
}

void pin_resp_error(pin_req *req, pin_err err, const char *msg)
{
    int status = pin_http_status_of(err);
    /* A 500 never carries internals: whatever the caller said stays in the log. */
    if (!msg || status == 500) msg = generic(status);
    json_t *o = json_pack("{s:s}", "error", msg);
    const char *body = o ? pin_json_dump(&req->arena, o, NULL) : "{\"error\":\"error\"}";
    json_decref(o);
    if (req->resp_fd >= 0) { /* an error replaces a file answer */
        close(req->resp_fd);
        req->resp_fd = -1;
    }
    pin_resp_set(req, status, "application/json; charset=utf-8", body, strlen(body));
    if (status == 503 || status == 507) pin_resp_header(req, "Retry-After", "5");
}
