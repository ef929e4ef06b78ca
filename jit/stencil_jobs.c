/* stencil_jobs.c -- stencil library builds that a search does not wait for.
 *
 * A search's evaluators (one baseline context each, jit/baseline.c) share
 * one table of builds, owned by the tier: the first evaluation that needs
 * the library of (F, W, C) and finds it neither cached nor failed starts
 * its build in a forked child (zj_stencil_job_start) and goes on
 * interpreted; later ones ask again (one waitpid WNOHANG, under the
 * table's lock; the contexts ask at most every ZJ_BL_POLL_NS) until the
 * child has exited.  The doors also reap now and then every running build
 * (zj_stencil_builds_reap), so the end of a build no evaluation asks for
 * any more is seen too.  Each start and each end is news for exactly one
 * caller, so the search says each once.  Freeing the table waits for the
 * builds still running: they finish the cache for the next run and leave
 * neither a zombie nor a half-written file (the child ignores SIGINT and
 * SIGTERM, as the compile workers do).
 */
#include "config.h"
#include "jit_internal.h"
#include "stencil.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define ZJ_SB_MAX 16

typedef struct sb_entry {
  zj_stencil_job job;
  int state;                   /* ZJ_SB_* */
  zj_error err;                /* why, when failed */
} sb_entry;

struct zj_stencil_builds {
  pthread_mutex_t mu;
  sb_entry e[ZJ_SB_MAX];
  int n;
  _Atomic int running;         /* builds not yet seen to end (read
                                  without the lock by zj_stencil_builds_reap) */
};

zj_stencil_builds *
zj_stencil_builds_new (void)
{
  zj_stencil_builds *s = zj_xcalloc (1, sizeof *s);
  pthread_mutex_init (&s->mu, NULL);
  return s;
}

void
zj_stencil_builds_free (zj_stencil_builds *s)
{
  if (!s)
    return;
  for (int i = 0; i < s->n; i++)
    if (s->e[i].state == ZJ_SB_BUILDING)
      zj_stencil_job_poll (&s->e[i].job, true, &s->e[i].err);
  pthread_mutex_destroy (&s->mu);
  free (s);
}

/* One waitpid WNOHANG on a running build (lock held): its news. */
static int
entry_poll (zj_stencil_builds *s, sb_entry *e)
{
  const int st = zj_stencil_job_poll (&e->job, false, &e->err);
  if (st > 0)
    return ZJ_SB_NEWS_NONE;
  e->state = st == 0 ? ZJ_SB_READY : ZJ_SB_FAILED;
  atomic_fetch_sub (&s->running, 1);
  return st == 0 ? ZJ_SB_NEWS_DONE : ZJ_SB_NEWS_FAILED;
}

int
zj_stencil_builds_reap (zj_stencil_builds *s, zj_stencil_ended *out, int max)
{
  if (!s || atomic_load (&s->running) == 0)
    return 0;
  int n = 0;
  pthread_mutex_lock (&s->mu);
  for (int i = 0; i < s->n && n < max; i++)
    if (s->e[i].state == ZJ_SB_BUILDING)
      {
        sb_entry *e = &s->e[i];
        const int news = entry_poll (s, e);
        if (news == ZJ_SB_NEWS_NONE)
          continue;
        out[n].F = e->job.F;
        out[n].news = news;
        out[n].secs = e->job.secs;
        snprintf (out[n].why, sizeof out[n].why, "%s", e->err.msg);
        n++;
      }
  pthread_mutex_unlock (&s->mu);
  return n;
}

int
zj_stencil_builds_poll (zj_stencil_builds *s, int F, int W, int C,
                        int *news, double *secs, zj_error *err)
{
  *news = ZJ_SB_NEWS_NONE;
  *secs = 0.0;
  pthread_mutex_lock (&s->mu);
  sb_entry *e = NULL;
  for (int i = 0; i < s->n && !e; i++)
    if (s->e[i].job.F == F && s->e[i].job.W == W && s->e[i].job.C == C)
      e = &s->e[i];
  if (!e && s->n == ZJ_SB_MAX)
    {
      pthread_mutex_unlock (&s->mu);
      zj_error_set (err, "baseline tier: too many stencil libraries");
      return ZJ_SB_FAILED;
    }
  if (!e)
    {
      e = &s->e[s->n++];
      memset (e, 0, sizeof *e);
      const int st = zj_stencil_job_start (&e->job, F, W, C, &e->err);
      e->state = st < 0 ? ZJ_SB_FAILED : st == 0 ? ZJ_SB_READY : ZJ_SB_BUILDING;
      if (st > 0)
        {
          *news = ZJ_SB_NEWS_STARTED;
          atomic_fetch_add (&s->running, 1);
        }
    }
  else if (e->state == ZJ_SB_BUILDING)
    {
      *news = entry_poll (s, e);
      *secs = e->job.secs;
    }
  const int state = e->state;
  if (state == ZJ_SB_FAILED)
    zj_error_set (err, "%s", e->err.msg);
  pthread_mutex_unlock (&s->mu);
  return state;
}
