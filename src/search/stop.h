/* stop.h -- asking a running search to stop: from a signal handler, from
 * another thread, or from the driver once it has its answer.
 *
 * A zj_stop is one lock-free atomic, so a signal handler may set it and
 * every search thread may poll it without a data race (the old `volatile
 * bool` was one).  The search polls it at evaluation boundaries
 * (src/evolution.c) and the driver finishes what it can.  The reason is
 * the signal number (SIGINT, SIGTERM) or ZJ_STOP_DONE, so a caller can
 * act on it -- e.g. write a checkpoint when the reason is SIGTERM.
 */
#ifndef ZJ_STOP_H
#define ZJ_STOP_H
#include <stdatomic.h>
#include <stdbool.h>

enum { ZJ_STOP_DONE = -1 };   /* not a signal: the driver has its answer */

typedef struct zj_stop {
  atomic_int reason;          /* 0: keep going */
} zj_stop;

_Static_assert (ATOMIC_INT_LOCK_FREE == 2,
                "zj_stop is set from signal handlers: needs a lock-free int");

static inline void
zj_stop_init (zj_stop *s)
{
  atomic_init (&s->reason, 0);
}

/* Keeps the first reason given. */
static inline void
zj_stop_request (zj_stop *s, int reason)
{
  int zero = 0;
  atomic_compare_exchange_strong_explicit (&s->reason, &zero, reason,
                                           memory_order_relaxed,
                                           memory_order_relaxed);
}

static inline int
zj_stop_reason (const zj_stop *s)
{
  return s ? atomic_load_explicit (&((zj_stop *) s)->reason,
                                   memory_order_relaxed) : 0;
}

static inline bool
zj_stop_requested (const zj_stop *s)
{
  return zj_stop_reason (s) != 0;
}
#endif
