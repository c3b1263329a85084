/* A fixed pool of worker threads running submitted tasks in order.
 *
 * The photo pipeline runs here rather than on the HTTP threads: a request
 * that needs ~0.3 s of CPU must not stall the other connections its HTTP
 * thread serves. The queue is bounded; a full queue refuses new work
 * (the caller answers 503) instead of growing without limit.
 */
#ifndef PIN_CORE_POOL_H
#define PIN_CORE_POOL_H

#include <stdbool.h>

#include "core/err.h"

typedef struct pin_pool pin_pool;
typedef void (*pin_task_fn)(void *arg);

/* Starts `threads` workers with room for `queue_max` waiting tasks.
 * Caller stops with pin_pool_free(). */
pin_pool *pin_pool_new(int threads, int queue_max);
/* Queues fn(arg). False when the queue is full or the pool is stopping. */
bool pin_pool_submit(pin_pool *p, pin_task_fn fn, void *arg) PIN_WUR;
/* Runs every queued task, then joins the workers and frees the pool. */
void pin_pool_free(pin_pool *p);

#endif
