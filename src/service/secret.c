#include "service/secret.h"

#include <sodium.h>
#include <string.h>

pin_err pin_secret_init(void)
{
    return sodium_init() < 0 ? PIN_EIO : PIN_OK;
}

const char *pin_secret_token(pin_arena *a)
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof(raw));
    size_t n = sodium_base64_ENCODED_LEN(sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = pin_arena_alloc(a, n);
    sodium_bin2base64(out, n, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

const char *pin_secret_hash(pin_arena *a, const char *s)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
    char *out = pin_arena_alloc(a, sizeof(h) * 2 + 1);
    sodium_bin2hex(out, sizeof(h) * 2 + 1, h, sizeof(h));
    return out;
}

const char *pin_secret_s256(pin_arena *a, const char *s)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
    size_t n = sodium_base64_ENCODED_LEN(sizeof(h), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = pin_arena_alloc(a, n);
    sodium_bin2base64(out, n, h, sizeof(h), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

bool pin_secret_equal(const char *a, const char *b)
{
    /* Compare hashes so the time depends on neither length nor content. */
    unsigned char ha[crypto_hash_sha256_BYTES], hb[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(ha, (const unsigned char *)a, strlen(a));
    crypto_hash_sha256(hb, (const unsigned char *)b, strlen(b));
    return sodium_memcmp(ha, hb, sizeof(ha)) == 0;
}

pin_err pin_secret_password_hash(const char *password, int ops, int mem_kib, char *out,
                                 size_t outlen)
{
    if (outlen < crypto_pwhash_STRBYTES) return PIN_EINVAL;
    if (crypto_pwhash_str_alg(out, password, strlen(password), (unsigned long long)ops,
                              (size_t)mem_kib * 1024, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return PIN_EIO;
    return PIN_OK;
}

bool pin_secret_password_verify(const char *hash, const char *password)
{
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}
