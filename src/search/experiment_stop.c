/* experiment_stop.c -- when the islands of a search stop, and why.
 *
 * The interrupt rules of a search in one place: which signal stops it
 * with the best so far and which parks it for a last checkpoint, the
 * reason agreed by all ranks of an MPI job, and the parking of a worker
 * while the driver writes a checkpoint.  The driver (experiment.c), the
 * experiment runner (experiment_run.c) and the islands (islands.c) all
 * ask these questions, so none of them owns the answers.
 */
#include "config.h"
#include "experiment_internal.h"
#include <signal.h>

const char *
zj_exp_signal_name (int sig)
{
  return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM"
         : sig == ZJ_STOP_DONE ? "the driver" : "a signal";
}

/* The interrupt that stops the search with the best so far (ux): any
   but SIGTERM under --checkpoint, which parks at a generation boundary
   for a last checkpoint instead. */
int
zj_exp_park_reason (const zj_experiment_cfg *cfg)
{
  return cfg->checkpoint ? SIGTERM : 0;
}

int
zj_exp_local_interrupt (const exp_pool *pl)
{
  const int why = zj_stop_reason (pl->cfg->interrupt);
  return why == zj_exp_park_reason (pl->cfg) ? 0 : why;
}

void
zj_exp_agree_interrupt (exp_pool *pl, int why)
{
  if (why)
    zj_stop_request (&pl->agreed, why);
}

int
zj_exp_interrupt_reason (const exp_pool *pl)
{
  if (pl->coordinated)
    return zj_stop_reason (&pl->agreed);
  return zj_exp_local_interrupt (pl);
}

bool
zj_exp_interrupted (const exp_pool *pl)
{
  return zj_exp_interrupt_reason (pl) != 0;
}

/* Islands stop searching: failed, answered or interrupted. */
bool
zj_exp_halted (const exp_pool *pl)
{
  return pl->abort_run || zj_stop_requested (&pl->done) || zj_exp_interrupted (pl);
}

/* Park until the driver has written its checkpoint.  Pool lock held. */
void
zj_exp_park (exp_pool *pl)
{
  pl->parked++;
  pthread_cond_broadcast (&pl->cond);
  while (pl->ckpt_req)
    pthread_cond_wait (&pl->cond, &pl->lock);
  pl->parked--;
}
