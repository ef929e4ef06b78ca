/* comm.h -- the processes of a run: one, or the ranks of an MPI job.
 *
 * The search needs just one collective: every rank contributes a byte
 * string and gets everyone's, in rank order (used at migration points and
 * at the end of an experiment).  Without MPI, or started without mpirun,
 * there is one rank and that is a copy.
 */
#ifndef ZJ_COMM_H
#define ZJ_COMM_H
#include <zerojit/zerojit.h>

typedef struct zj_comm {
  int rank, size;
  bool mpi;                    /* MPI was initialised by zj_comm_start */
} zj_comm;

/* Start MPI when the process was launched by mpirun (and the build has
   MPI); otherwise one rank.  Threads may call zj_comm_allgather one at a
   time. */
int zj_comm_start (int *argc, char ***argv, zj_comm *c, zj_error *err);
void zj_comm_end (zj_comm *c);
/* Every rank's bytes, concatenated in rank order (malloc'd into *all);
   lens[r] is rank r's length (lens has size entries). */
int zj_comm_allgather (const zj_comm *c, const void *mine, size_t len,
                       unsigned char **all, size_t *lens, zj_error *err);
#endif
