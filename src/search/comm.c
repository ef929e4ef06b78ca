/* comm.c -- one process, or MPI ranks (see comm.h). */
#include "config.h"
#include "internal.h"
#include "comm.h"
#include <stdlib.h>
#include <string.h>
#if HAVE_MPI
#include <mpi.h>
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
  if (MPI_Allgather (&my, 1, MPI_UNSIGNED_LONG_LONG, ls, 1,
                     MPI_UNSIGNED_LONG_LONG, MPI_COMM_WORLD) != MPI_SUCCESS)
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
  if (MPI_Allgatherv (mine, (int) len, MPI_BYTE, *all, counts, displs,
                      MPI_BYTE, MPI_COMM_WORLD) != MPI_SUCCESS)
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
