/* comm.c -- one process, or MPI ranks (see comm.h). */
#include "config.h"
#include "internal.h"
#include "comm.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if HAVE_MPI
#include <mpi.h>
#include <sys/prctl.h>
#endif

int
zj_comm_start (int *argc, char ***argv, zj_comm *c, zj_error *err)
{
  c->rank = 0;
  c->size = 1;
  c->mpi = false;
#if HAVE_MPI
  /* Only under mpirun: a plain run must not depend on the MPI runtime. */
  if (!getenv ("OMPI_COMM_WORLD_SIZE") && !getenv ("PMIX_RANK"))
    return 0;
  int provided = 0;
  if (MPI_Init_thread (argc, argv, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
    {
      zj_error_set (err, "MPI_Init_thread failed");
      return -1;
    }
  c->mpi = true;
  if (provided < MPI_THREAD_SERIALIZED)
    {
      zj_error_set (err, "MPI provides thread level %d, islands need MPI_THREAD_SERIALIZED",
                    provided);
      return -1;
    }
  MPI_Comm_rank (MPI_COMM_WORLD, &c->rank);
  MPI_Comm_size (MPI_COMM_WORLD, &c->size);
#else
  (void) argc; (void) argv; (void) err;
#endif
  return 0;
}

void
zj_comm_end (zj_comm *c)
{
#if HAVE_MPI
  if (c->mpi)
    MPI_Finalize ();
#endif
  c->mpi = false;
}

#if HAVE_MPI
/* Wait for a non-blocking collective without spinning the core.  A rank
   in Open MPI's blocking collectives polls in a loop while it waits for
   a slower one: with 2 ranks on the 40 M-step demo, 0.7-0.95 s of CPU
   per rank next to 0.8 s of search, taken from the ranks still working
   whenever the machine runs anything else.  Poll for 50 us (a rank that
   is already there answers within that), then nap between polls, 5 us
   doubling up to 100 us: at most ~100 us late, against the 4 ms or more
   between two exchanges at the paper's heaviest migration rate. */
static int
wait_idle (MPI_Request *rq)
{
  static _Thread_local bool slack_set;
  if (!slack_set)
    {
      /* Naps of a few microseconds need a finer timer slack than the
         default 50 us; this thread's sleeps only. */
      prctl (PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
      slack_set = true;
    }
  struct timespec t0, t;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  long nap = 5000;
  for (;;)
    {
      int done = 0;
      if (MPI_Test (rq, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS)
        return -1;
      if (done)
        return 0;
      clock_gettime (CLOCK_MONOTONIC, &t);
      if ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 50000)
        continue;
      const struct timespec d = { 0, nap };
      nanosleep (&d, NULL);
      if (nap < 100000)
        nap *= 2;
    }
}
#endif

int
zj_comm_allgather (const zj_comm *c, const void *mine, size_t len,
                   unsigned char **all, size_t *lens, zj_error *err)
{
  if (!c || c->size <= 1)
    {
      *all = zj_xmalloc (len ? len : 1);
      if (len)
        memcpy (*all, mine, len);
      lens[0] = len;
      return 0;
    }
#if HAVE_MPI
  const int R = c->size;
  unsigned long long my = len;
  unsigned long long *ls = zj_xmalloc ((size_t) R * sizeof *ls);
  int *counts = zj_xmalloc ((size_t) R * sizeof (int));
  int *displs = zj_xmalloc ((size_t) R * sizeof (int));
  int rc = -1;
  MPI_Request rq;
  if (MPI_Iallgather (&my, 1, MPI_UNSIGNED_LONG_LONG, ls, 1,
                      MPI_UNSIGNED_LONG_LONG, MPI_COMM_WORLD, &rq) != MPI_SUCCESS
      || wait_idle (&rq) != 0)
    {
      zj_error_set (err, "MPI_Allgather of lengths failed");
      goto out;
    }
  unsigned long long total = 0;
  for (int r = 0; r < R; r++)
    {
      if (ls[r] > (unsigned long long) (1u << 30) || total > (1ull << 30))
        {
          zj_error_set (err, "migration message of %llu bytes is too large", ls[r]);
          goto out;
        }
      counts[r] = (int) ls[r];
      displs[r] = (int) total;
      lens[r] = (size_t) ls[r];
      total += ls[r];
    }
  *all = zj_xmalloc (total ? (size_t) total : 1);
  if (MPI_Iallgatherv (mine, (int) len, MPI_BYTE, *all, counts, displs,
                       MPI_BYTE, MPI_COMM_WORLD, &rq) != MPI_SUCCESS
      || wait_idle (&rq) != 0)
    {
      zj_error_set (err, "MPI_Allgatherv failed");
      free (*all);
      *all = NULL;
      goto out;
    }
  rc = 0;
out:
  free (ls);
  free (counts);
  free (displs);
  return rc;
#else
  (void) err;
  return -1;
#endif
}
