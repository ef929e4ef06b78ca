/* stencil_jobs.c -- stencil library builds that a search does not wait for.
 *
 * A search's evaluators (one baseline context each, jit/baseline.c) share
 * one table of builds, owned by the tier: the first evaluation that needs
 * the library of (F, W, C) and finds it neither cached nor failed starts
 * its build in a forked child (zj_stencil_job_start) and goes on
 * interpreted; later ones ask again (one waitpid WNOHANG, under the
 * table's lock; the contexts ask at most every ZJ_BL_POLL_NS) until the
 * child has exited.  Each start and each end is news for exactly one
 * caller, so the search says each once.  Freeing the table waits for the
 * builds still running: they finish the cache for the next run and leave
 * neither a zombie nor a half-written file (the child ignores SIGINT and
 * SIGTERM, as the compile workers do).
 */
#include "config.h"
#include "jit_internal.h"
#include "stencil.h"
#include <pthread.h>
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
        *news = ZJ_SB_NEWS_STARTED;
    }
  else if (e->state == ZJ_SB_BUILDING)
    {
      const int st = zj_stencil_job_poll (&e->job, false, &e->err);
      if (st <= 0)
        {
          e->state = st == 0 ? ZJ_SB_READY : ZJ_SB_FAILED;
          *news = st == 0 ? ZJ_SB_NEWS_DONE : ZJ_SB_NEWS_FAILED;
          *secs = e->job.secs;
        }
    }
  const int state = e->state;
  if (state == ZJ_SB_FAILED)
    zj_error_set (err, "%s", e->err.msg);
  pthread_mutex_unlock (&s->mu);
  return state;
}
