/* experiment_ckpt.c -- the driver's checkpoints of a running search.
 *
 * Writes the whole search (driver counters, unprinted results, each running
 * experiment between two generations) to a checkpoint file, takes the
 * multi-rank checkpoints at MPI migration points, and restores the driver
 * and the pool from a checkpoint on resume.
 */
#include "config.h"
#include "comm.h"
#include <unistd.h>
#include <string.h>
#include "experiment_internal.h"

/* ----------------------------------------------------------- checkpoints
 *
 * Taken by the driver thread while every worker is parked, so the image is
 * one consistent instant of the whole search: the driver's counters and
 * output so far, finished results not yet printed, and each running
 * experiment between two generations.
 */


static void
put_shape (int32_t dst[4], const zj_shape *s)
{
  dst[0] = s->F; dst[1] = s->ns; dst[2] = s->nv; dst[3] = s->nm;
}

static void
get_shape (zj_shape *dst, const int32_t s[4])
{
  *dst = (zj_shape) { s[0], s[1], s[2], s[3] };
}

/* Pool lock held, all workers parked. */
static int
write_checkpoint (exp_pool *pl, driver *d, const char *path, zj_error *err)
{
  zj_experiment_cfg *cfg = pl->cfg;
  zj_ckpt c;
  zj_ckpt_init (&c);
  c.n_args = cfg->n_ckpt_args;
  c.args = cfg->ckpt_args;        /* borrowed; detached below */
  c.seed = pl->seed;
  c.next = pl->next;
  c.consumed = d->consumed;
  c.ran = d->ran;
  c.total_indivs = d->total_indivs;
  c.have_best = d->have_best;
  zj_program_copy (&c.best, &d->best);
  c.best_select = d->best_select;
  c.best_hof = d->best_hof;
  put_shape (c.shape, &d->shape);
  c.elapsed = zj_now_s () - d->t0;
  zj_outseq_snapshot (pl->seq, &c.printed, &c.printed_len, &c.log_offset);
  c.done = zj_xcalloc ((size_t) (pl->next - d->consumed + 1), sizeof *c.done);
  c.running = zj_xcalloc (64, sizeof *c.running);
  for (int64_t k = d->consumed; k < pl->next; k++)
    if (k < pl->res_cap && pl->res[k].done)
      {
        const exp_result *r = &pl->res[k];
        zj_ckpt_done *x = &c.done[c.n_done++];
        x->index = k;
        x->ok = r->ok;
        x->text = zj_outseq_text (pl->seq, k, &x->text_len);
        zj_program_init (&x->cand);
        zj_program_copy (&x->cand, &r->cand);
        x->select_fit = r->select_fit;
        x->hof_fit = r->hof_fit;
        x->individuals = r->individuals;
        put_shape (x->shape, &r->shape);
        x->err = r->ok ? NULL : zj_xstrdup (r->err.msg);
      }
  for (int i = 0; i < MAX_WORKERS; i++)
    {
      exp_live *w = &pl->live[i];
      if (!w->pl || w->k < 0 || !w->run)
        continue;
      const exp_run *g = w->run;
      zj_ckpt_running *x = &c.running[c.n_running++];
      x->index = w->k;
      fflush (g->out);
      x->text = zj_outseq_text (pl->seq, w->k, &x->text_len);
      x->n_islands = g->n;
      x->isl = zj_xcalloc ((size_t) g->n, sizeof *x->isl);
      for (int j = 0; j < g->n; j++)
        {
          x->isl[j].eval.fec_capacity = -1;
          if (!g->isl[j].pop)
            continue;           /* another rank's island */
          memcpy (x->isl[j].rng, g->isl[j].rng->s, sizeof x->isl[j].rng);
          x->isl[j].migrations = g->isl[j].migrations;
          zj_population_export (g->isl[j].pop, &x->isl[j].pop);
          zj_evaluator_export (g->isl[j].ev, &x->isl[j].eval);
        }
    }
  /* Experiments of the checkpoint we resumed from that no worker has
     taken up yet (fewer workers than before) go in as they were. */
  const int own = c.n_running;
  if (pl->resume)
    {
      const int left = pl->resume->n_running - pl->next_resume;
      c.running = zj_xrealloc (c.running, (size_t) (own + left + 1) * sizeof *c.running);
      for (int i = pl->next_resume; i < pl->resume->n_running; i++)
        c.running[c.n_running++] = pl->resume->running[i];
    }
  zj_ckbuf img = { 0 };
  zj_ckpt_encode (&c, &img);
  int rc = zj_ckpt_write_file (path, &img, err);
  zj_ckbuf_free (&img);
  /* Detach the borrowed pieces before freeing the rest. */
  c.args = NULL;
  c.n_args = 0;
  memset (c.running + own, 0, (size_t) (c.n_running - own) * sizeof *c.running);
  c.n_running = own;
  zj_ckpt_free (&c);
  return rc;
}

/* A checkpoint write failed: say so now, keep searching from the last
   good file (it is intact: writes go to a temporary file first), and
   remember it for the exit status. */
static void
note_failure (exp_pool *pl, const char *msg)
{
  fprintf (stderr, "zerojit: %s (search continues)\n", msg);
  pl->ckpt_failures++;
  snprintf (pl->ckpt_last_error, sizeof pl->ckpt_last_error, "%.255s", msg);
}

/* Park every worker, write, release.  Lock held on entry and exit. */
int
zj_exp_checkpoint_now (exp_pool *pl, driver *d)
{
  pl->ckpt_req = true;
  pthread_cond_broadcast (&pl->cond);    /* wakes threads at a barrier */
  while (pl->parked < pl->alive)
    pthread_cond_wait (&pl->cond, &pl->lock);
  zj_error e;
  int rc = write_checkpoint (pl, d, pl->cfg->checkpoint, &e);
  if (rc != 0)
    note_failure (pl, e.msg);
  pl->ckpt_req = false;
  pthread_cond_broadcast (&pl->cond);
  return rc;
}

/* Every rank writes FILE.GEN.rankR; once all have, rank 0 points the
   manifest FILE at generation GEN; each rank then drops its files two
   generations old (the manifest may still name the previous one).  Pool
   lock held; this rank's other threads wait at the migration barrier. */
void
zj_exp_mpi_checkpoint (exp_run *g, int want)
{
  exp_pool *pl = g->pl;
  const zj_experiment_cfg *cfg = pl->cfg;
  int me, R = zj_exp_ranks_of (cfg, &me);
  const int64_t gen = ++pl->ckpt_gen;
  char *path = zj_ckpt_rank_path (cfg->checkpoint, gen, me);
  zj_error e;
  uint8_t ok = write_checkpoint (pl, pl->drv, path, &e) == 0;
  if (!ok)
    {
      char msg[sizeof e.msg + 32];
      snprintf (msg, sizeof msg, "rank %d: %s", me, e.msg);
      note_failure (pl, msg);
    }
  free (path);
  unsigned char *all = NULL;
  size_t *lens = zj_xcalloc ((size_t) R, sizeof (size_t));
  bool all_ok = zj_comm_allgather (cfg->comm, &ok, 1, &all, lens, &e) == 0;
  for (int q = 0; q < R && all_ok; q++)
    all_ok = all[q] == 1;
  free (all);
  free (lens);
  if (all_ok && me == 0)
    {
      zj_ckbuf man = { 0 };
      zj_ckpt_manifest (gen, R, &man);
      if (zj_ckpt_write_file (cfg->checkpoint, &man, &e) != 0)
        {
          note_failure (pl, e.msg);
          all_ok = false;
        }
      zj_ckbuf_free (&man);
    }
  if (all_ok && gen > 2)
    {
      char *old = zj_ckpt_rank_path (cfg->checkpoint, gen - 2, me);
      unlink (old);
      free (old);
    }
  pl->mpi_want = 0;
  if (want == 2)
    {
      pl->ckpt_stopped = all_ok;
      pl->abort_run = true;
    }
}

/* Put the driver and the pool back where the checkpoint left them. */
int
zj_exp_restore (exp_pool *pl, driver *d, const zj_ckpt *c, FILE *out, zj_error *err)
{
  d->consumed = c->consumed;
  d->ran = (int) c->ran;
  d->total_indivs = c->total_indivs;
  d->have_best = c->have_best;
  zj_program_copy (&d->best, &c->best);
  d->best_select = c->best_select;
  d->best_hof = c->best_hof;
  get_shape (&d->shape, c->shape);
  d->t0 = zj_now_s () - c->elapsed;
  (void) out;
  zj_outseq_resume (pl->seq, c->consumed, c->printed, c->printed_len);
  pl->next = c->next;
  pl->resume = c;
  for (int i = 0; i < c->n_done; i++)
    {
      const zj_ckpt_done *x = &c->done[i];
      exp_result *r = zj_exp_result_slot (pl, x->index);
      r->done = true;
      r->ok = x->ok;
      zj_outseq_write (pl->seq, x->index, x->text, x->text_len);
      zj_program_init (&r->cand);
      zj_program_copy (&r->cand, &x->cand);
      r->select_fit = x->select_fit;
      r->hof_fit = x->hof_fit;
      r->individuals = x->individuals;
      get_shape (&r->shape, x->shape);
      if (!x->ok)
        zj_error_set (&r->err, "%s", x->err ? x->err : "failed");
    }
  return 0;
}
