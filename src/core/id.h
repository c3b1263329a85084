/* Time-ordered 64-bit ids: (milliseconds since the epoch << 16) | low bits.
 *
 * The low 16 bits are a 6-bit node number (so several server processes never
 * mint the same id) and a 10-bit sequence. Ids from one process are strictly
 * increasing even if the clock steps back. Serialized as decimal strings in
 * JSON. Thread-safe.
 */
#ifndef PIN_CORE_ID_H
#define PIN_CORE_ID_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"

typedef int64_t pin_id;

/* Sets this process's node number (0..63). Call before minting ids. */
void pin_id_set_node(unsigned node);
pin_id pin_id_new(void);
/* The smallest id minted at or after `ms` (for time-bounded id queries). */
pin_id pin_id_from_ms(int64_t ms);
int64_t pin_id_ms(pin_id id);

/* Parses a positive decimal id with no sign, spaces or overflow. */
bool pin_id_parse(const char *s, pin_id *out);
/* Current wall-clock time in milliseconds since the epoch. */
int64_t pin_now_ms(void);
/* Microseconds on a clock that only goes forward: for durations and deadlines. */
int64_t pin_mono_us(void);

#endif
