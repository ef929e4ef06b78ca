/* stash.c -- spare duplicate caches and FECs (see stash.h): two lists
 * under a lock.  A take resets the table it finds, on the taking thread,
 * so the pages a new experiment writes first are the ones it uses.
 */
#include "internal.h"
#include "stash.h"
#include <pthread.h>

struct zj_stash {
  pthread_mutex_t lock;
  void **dedup;               /* zj_dedup * */
  int n_dedup, cap_dedup;
  void **fec;                 /* zj_fec * */
  int n_fec, cap_fec;
};

zj_stash *
zj_stash_new (void)
{
  zj_stash *s = zj_xcalloc (1, sizeof *s);
  pthread_mutex_init (&s->lock, NULL);
  return s;
}

void
zj_stash_free (zj_stash *s)
{
  if (!s)
    return;
  for (int i = 0; i < s->n_dedup; i++)
    zj_dedup_free (s->dedup[i]);
  for (int i = 0; i < s->n_fec; i++)
    zj_fec_free (s->fec[i]);
  free (s->dedup);
  free (s->fec);
  pthread_mutex_destroy (&s->lock);
  free (s);
}

zj_dedup *
zj_stash_take_dedup (zj_stash *s, int slots)
{
  zj_dedup *d = NULL;
  if (s)
    {
      pthread_mutex_lock (&s->lock);
      for (int i = s->n_dedup - 1; i >= 0 && !d; i--)
        if (zj_dedup_slots (s->dedup[i]) == slots)
          {
            d = s->dedup[i];
            s->dedup[i] = s->dedup[--s->n_dedup];
          }
      pthread_mutex_unlock (&s->lock);
    }
  if (!d)
    return zj_dedup_new (slots);
  zj_dedup_reset (d);
  return d;
}

zj_fec *
zj_stash_take_fec (zj_stash *s, int cache_size, int forget_every)
{
  zj_fec *c = NULL;
  if (s)
    {
      pthread_mutex_lock (&s->lock);
      for (int i = s->n_fec - 1; i >= 0 && !c; i--)
        if (zj_fec_fits (s->fec[i], cache_size, forget_every))
          {
            c = s->fec[i];
            s->fec[i] = s->fec[--s->n_fec];
          }
      pthread_mutex_unlock (&s->lock);
    }
  if (!c)
    return zj_fec_new (cache_size, forget_every);
  zj_fec_reset (c);
  return c;
}

/* Appends p to the list (*list, *n, *cap) under the lock. */
static void
push (zj_stash *s, void ***list, int *n, int *cap, void *p)
{
  pthread_mutex_lock (&s->lock);
  if (*n == *cap)
    {
      *cap = *cap ? 2 * *cap : 4;
      *list = zj_xrealloc (*list, (size_t) *cap * sizeof **list);
    }
  (*list)[(*n)++] = p;
  pthread_mutex_unlock (&s->lock);
}

void
zj_stash_put_dedup (zj_stash *s, zj_dedup *d)
{
  if (!s || !d)
    {
      zj_dedup_free (d);
      return;
    }
  push (s, &s->dedup, &s->n_dedup, &s->cap_dedup, d);
}

void
zj_stash_put_fec (zj_stash *s, zj_fec *c)
{
  if (!s || !c)
    {
      zj_fec_free (c);
      return;
    }
  push (s, &s->fec, &s->n_fec, &s->cap_fec, c);
}

int
zj_stash_count (zj_stash *s)
{
  pthread_mutex_lock (&s->lock);
  const int n = s->n_dedup + s->n_fec;
  pthread_mutex_unlock (&s->lock);
  return n;
}
