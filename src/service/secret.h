/* Secrets: random tokens, their hashes, and password hashing (libsodium).
 * Tokens and client secrets are stored only as SHA-256 hashes; passwords as
 * Argon2id strings. */
#ifndef PIN_SERVICE_SECRET_H
#define PIN_SERVICE_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"

/* Must be called once before anything else here (idempotent). */
pin_err pin_secret_init(void) PIN_WUR;
/* A new random token: 32 bytes as 43 characters of base64url (arena). */
const char *pin_secret_token(pin_arena *a);
/* Lower-case hex SHA-256 of a string (arena). */
const char *pin_secret_hash(pin_arena *a, const char *s);
/* base64url (no padding) of SHA-256(s): the PKCE S256 transform (arena). */
const char *pin_secret_s256(pin_arena *a, const char *s);
/* Constant-time equality of two NUL-terminated strings. */
bool pin_secret_equal(const char *a, const char *b);
/* Argon2id hash of a password into out (at least 128 bytes). PIN_EIO if the
 * memory for it cannot be had. */
pin_err pin_secret_password_hash(const char *password, int ops, int mem_kib, char *out,
                                 size_t outlen) PIN_WUR;
bool pin_secret_password_verify(const char *hash, const char *password);

#endif
