#include "core/pool.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct task {
    pin_task_fn fn;
    void *arg;
} task;

struct pin_pool {
    pthread_mutex_t lock;
    pthread_cond_t more;
    task *ring;
    int cap, head, count;
    bool stopping;
    int nthreads;
    pthread_t *threads;
};

static void *worker(void *arg)
{
    pin_pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (p->count == 0 && !p->stopping)
            pthread_cond_wait(&p->more, &p->lock);
        if (p->count == 0) { /* stopping and drained */
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        task t = p->ring[p->head];
        p->head = (p->head + 1) % p->cap;
        p->count--;
        pthread_mutex_unlock(&p->lock);
        t.fn(t.arg);
    }
}

pin_pool *pin_pool_new(int threads, int queue_max)
{
    PIN_ASSERT(threads > 0 && queue_max > 0);
    pin_pool *p = pin_xcalloc(1, sizeof(*p));
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->more, NULL);
    p->cap = queue_max;
    p->ring = pin_xcalloc((size_t)queue_max, sizeof(task));
    p->nthreads = threads;
    p->threads = pin_xcalloc((size_t)threads, sizeof(pthread_t));
    for (int i = 0; i < threads; i++)
        PIN_ASSERT(pthread_create(&p->threads[i], NULL, worker, p) == 0);
    return p;
}

bool pin_pool_submit(pin_pool *p, pin_task_fn fn, void *arg)
{
    pthread_mutex_lock(&p->lock);
    bool ok = !p->stopping && p->count < p->cap;
    if (ok) {
        p->ring[(p->head + p->count) % p->cap] = (task){fn, arg};
        p->count++;
        pthread_cond_signal(&p->more);
    }
    pthread_mutex_unlock(&p->lock);
    return ok;
}

void pin_pool_free(pin_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->more);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->more);
    free(p->ring);
    free(p->threads);
    free(p);
}
