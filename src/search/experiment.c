/* experiment.c -- the driver of a search: start the workers, consume the
 * experiments' results in index order, keep the best, checkpoint, and
 * evaluate and print the winner.
 *
 * One experiment's run is experiment_run.c; the interrupt rules are
 * experiment_stop.c; checkpoints experiment_ckpt.c.
 */
#include "config.h"
#include "internal.h"
#include "experiment.h"
#include "evaluator.h"
#include "evolution.h"
#include "ckpt.h"
#include "migration.h"
#include "comm.h"
#include "outseq.h"
#include "stop.h"
#include "stash.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <float.h>
#include <stdarg.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include "tier_door.h"
#include "experiment_internal.h"

void
zj_experiment_cfg_init (zj_experiment_cfg *cfg)
{
  memset (cfg, 0, sizeof *cfg);
  cfg->max_experiments = 1;
  cfg->sufficient_fitness = DBL_MAX;
  cfg->ns = cfg->nv = cfg->nm = 20;
  cfg->dedup = true;
  cfg->jit = ZJ_TIER_OFF;
  zj_policy_knobs_default (&cfg->jit_knobs);
  cfg->jit_opt_level = 1;
  cfg->hurdle_tasks = 1;
  cfg->hurdle_percentile = 50.0;
  cfg->checkpoint_every = 300.0;
  cfg->islands = 1;
  cfg->migration_interval = 1000;
  cfg->migration_fraction = 0.5;
  cfg->migration_topology = ZJ_TOPO_ALL;
}

void
zj_experiment_cfg_free (zj_experiment_cfg *cfg)
{
  zj_search_spec_free (&cfg->spec);
  zj_task_collection_free (&cfg->select_tasks);
  zj_task_collection_free (&cfg->final_tasks);
}

/* The tier shared by the search, select and final evaluators; NULL for
   "off" and in builds without the JIT. */
static int
new_tier (const zj_experiment_cfg *cfg, zj_tier_notice notice, void *ctx,
          struct zj_tier **tier, zj_error *err)
{
  return zj_door_tier_new (cfg->jit, &cfg->jit_knobs, cfg->jit_opt_level,
                           cfg->jit_opt_flags, notice, ctx, tier, err);
}

static void
print_tier_summary (struct zj_tier *tier, FILE *out)
{
  zj_tier_stats s;
  if (!zj_door_tier_stats (tier, &s))
    return;
  fprintf (out, "Tier summary:");
  zj_tier_stats_print (&s, false, out);
  fprintf (out, " requests=%ld, switched=%ld, failures=%ld, native_examples=%.0f, interp_examples=%.0f\n",
           s.requests, s.switched, s.failures, s.examples_native,
           s.examples_interp);
}

/* ------------------------------------------------------------ experiments
 *
 * Experiment k draws from its own generator, seeded from (seed, k), so its
 * result does not depend on how many experiments ran before it or beside
 * it.  With --workers=N, N experiments run at once on N threads; the
 * driver still consumes their results strictly in index order (keeping the
 * best select fitness and stopping at the first sufficient one), so the
 * output and the algorithm found are the same for any number of workers.
 * Their lines reach the output live, in index order (outseq.h).
 */

/* The tier's news of one-time set-up (zj_tier_notice): stencil libraries
   build in the background while the search goes on interpreted.  A build
   shows in the status line, or without one as a line on stderr per
   feature size when it starts and one when the last of that size is
   ready (a search that ends first says nothing more: it waits for the
   build at its end, jit/stencil_jobs.c).  The first failure of a size is
   told, with or without the status line. */
static void
stencil_notice (void *ctx, int F, const char *dir, zj_stencil_news news,
                double secs, const char *why)
{
  exp_pool *pl = ctx;
  atomic_fetch_add (&pl->building, news == ZJ_STENCILS_BUILDING ? 1 : -1);
  pthread_mutex_lock (&pl->lock);
  int at = -1;
  for (int i = 0; i < pl->n_announced; i++)
    if (pl->announced[i] == F)
      at = i;
  const bool first = at < 0;
  if (first && pl->n_announced < 8)
    {
      at = pl->n_announced++;
      pl->announced[at] = F;
    }
  if (at >= 0)
    pl->running[at] += news == ZJ_STENCILS_BUILDING ? 1 : -1;
  const bool last = at >= 0 && pl->running[at] == 0;
  const bool fail_first = news == ZJ_STENCILS_FAILED && at >= 0
                          && !pl->failed_told[at];
  if (fail_first)
    pl->failed_told[at] = true;
  pthread_mutex_unlock (&pl->lock);
  char line[1400];
  line[0] = 0;
  if (news == ZJ_STENCILS_FAILED && !fail_first)
    ;
  else if (news == ZJ_STENCILS_FAILED)
    snprintf (line, sizeof line, "zerojit: native stencils for F=%d failed "
              "to build, the interpreter runs on: %s\n", F, why);
  else if (pl->cfg->status_line)
    ;
  else if (news == ZJ_STENCILS_BUILDING && first)
    snprintf (line, sizeof line, "zerojit: building native stencils for F=%d "
              "(one-time; cached in %s) in the background; the search runs "
              "interpreted meanwhile\n", F, dir);
  else if (news == ZJ_STENCILS_READY && last)
    snprintf (line, sizeof line, "zerojit: native stencils for F=%d ready "
              "(built in %.1f s)\n", F, secs);
  if (line[0])
    zj_outseq_note (pl->seq, line);
}




/* Sleeps on the pool's condition until `until` (seconds, zj_now_s) at
   most.  Pool lock held. */
static void
wait_until (exp_pool *pl, double until)
{
  const double add = until - zj_now_s ();
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  if (add > 0)
    {
      ts.tv_sec += (time_t) add;
      ts.tv_nsec += (long) ((add - (double) (time_t) add) * 1e9);
      if (ts.tv_nsec >= 1000000000L)
        {
          ts.tv_sec++;
          ts.tv_nsec -= 1000000000L;
        }
    }
  pthread_cond_timedwait (&pl->cond, &pl->lock, &ts);
}

int
zj_run_experiments (zj_experiment_cfg *cfg, FILE *out,
                    zj_experiment_summary *sum, zj_error *err)
{
  const zj_ckpt *ck = cfg->resume;
  driver d;
  memset (&d, 0, sizeof d);
  d.t0 = zj_now_s ();
  d.best_select = -1.0;
  zj_program_init (&d.best);
  uint64_t seed = ck ? ck->seed : cfg->random_seed;
  if (seed == 0)
    seed = ((uint64_t) time (NULL) ^ ((uint64_t) clock () << 20)) | 1;
  exp_pool pl;
  memset (&pl, 0, sizeof pl);
  pl.cfg = cfg;
  pl.seed = seed;
  pl.drv = &d;
  pl.ckpt_gen = cfg->resume_gen;
  const bool multi = cfg->comm && cfg->comm->size > 1;
  pl.limit = cfg->max_experiments ? cfg->max_experiments : INT64_MAX;
  zj_stop_init (&pl.done);
  zj_stop_init (&pl.agreed);
  pl.coordinated = multi;
  pthread_mutex_init (&pl.lock, NULL);
  pthread_cond_init (&pl.cond, NULL);
  pl.stash = zj_stash_new ();
  for (int w = 0; w < MAX_WORKERS; w++)
    pl.live[w].k = -1;
  int rc = -1, n_workers = 0, log_fd = -1;
  pthread_t threads[MAX_WORKERS];
  const bool ckpt = cfg->checkpoint != NULL;
  if (zj_exp_check_memory (cfg, err) != 0)
    goto done;
  if (ck && cfg->progress_log)
    {
      /* Drop what the interrupted run logged after its checkpoint. */
      struct stat st;
      if (stat (cfg->progress_log, &st) != 0 || st.st_size < ck->log_offset
          || truncate (cfg->progress_log, (off_t) ck->log_offset) != 0)
        {
          zj_error_set (err, "--progress_log=%s: missing or shorter than the %lld bytes the checkpoint needs",
                        cfg->progress_log, (long long) ck->log_offset);
          goto done;
        }
    }
  if (cfg->progress_log
      && ((log_fd = open (cfg->progress_log, O_RDWR | O_CREAT | O_CLOEXEC
                          | (ck ? 0 : O_TRUNC), 0666)) < 0
          || lseek (log_fd, 0, SEEK_END) < 0))
    {
      zj_error_set (err, "--progress_log=%s: cannot open for writing: %s",
                    cfg->progress_log, strerror (errno));
      goto done;
    }
  pl.seq = zj_outseq_new (out, log_fd, cfg->status_line);
  if (ckpt)
    zj_outseq_capture (pl.seq);
  if (ck)
    {
      if (zj_exp_restore (&pl, &d, ck, out, err) != 0)
        goto done;
    }
  else
    zj_outseq_printf (pl.seq, "Random seed = %llu\n", (unsigned long long) seed);
  if (new_tier (cfg, stencil_notice, &pl, &pl.tier, err) != 0)
    goto done;
  /* Searches running side by side share the tier (its compile thread,
     code cache and cost model are locked). */
  int want = cfg->workers < 1 ? 1 : cfg->workers > MAX_WORKERS ? MAX_WORKERS : cfg->workers;
  if (!ck && pl.limit < want)
    want = (int) pl.limit;
  /* With islands the workers run the islands of one experiment at a
     time. */
  if (cfg->islands > 1)
    want = 1;
  pthread_mutex_lock (&pl.lock);
  for (; n_workers < want; n_workers++)
    {
      pl.live[n_workers] = (exp_live) { .pl = &pl, .k = -1 };
      if (pthread_create (&threads[n_workers], NULL, zj_exp_worker,
                          &pl.live[n_workers]) != 0)
        break;
      pl.alive++;
    }
  pthread_mutex_unlock (&pl.lock);
  if (n_workers == 0)
    {
      zj_error_set (err, "cannot start a worker thread");
      goto done;
    }
  double next_ckpt = zj_now_s () + cfg->checkpoint_every;
  for (int64_t k = d.consumed; k < pl.limit; k++)
    {
      pthread_mutex_lock (&pl.lock);
      d.consumed = k;
      bool gone = false;          /* k will never run: interrupted */
      while (k >= pl.res_cap || !pl.res[k].done)
        {
          if (zj_exp_interrupted (&pl) && k >= pl.next)
            {
              gone = true;
              break;
            }
          const double now = zj_now_s ();
          /* SIGTERM under --checkpoint: a last checkpoint, then stop. */
          const bool term = ckpt && zj_stop_reason (cfg->interrupt) == SIGTERM;
          if (ckpt && multi)
            {
              /* Ranks checkpoint together at the next migration point:
                 rank 0 keeps the time, and a SIGTERM to any rank asks
                 for a last checkpoint (the exchange takes the largest
                 request of all ranks). */
              if (term)
                pl.mpi_want = 2;
              else if (cfg->comm->rank == 0 && now >= next_ckpt && !pl.mpi_want)
                {
                  pl.mpi_want = 1;
                  next_ckpt = now + cfg->checkpoint_every;
                }
            }
          else if (ckpt && (now >= next_ckpt || term))
            {
              const int ck_rc = zj_exp_checkpoint_now (&pl, &d);
              next_ckpt = zj_now_s () + cfg->checkpoint_every;
              if (term)
                {
                  pl.abort_run = true;
                  pthread_cond_broadcast (&pl.cond);
                  pthread_mutex_unlock (&pl.lock);
                  if (ck_rc == 0)
                    zj_error_set (err, "terminated: checkpoint written to %s; continue with --resume=%s",
                                  cfg->checkpoint, cfg->checkpoint);
                  else if (access (cfg->checkpoint, F_OK) == 0)
                    zj_error_set (err, "terminated: the last checkpoint could not be written;"
                                  " --resume=%s continues from the one before", cfg->checkpoint);
                  else
                    zj_error_set (err, "terminated: the checkpoint %s could not be written;"
                                  " nothing to resume from", cfg->checkpoint);
                  goto done;
                }
              continue;
            }
          /* Wake to redraw the status line, and (checkpoints) at least
             every 50 ms to notice SIGTERM. */
          double until = now + 0.25;
          if (ckpt)
            until = next_ckpt < now + 0.05 ? next_ckpt : now + 0.05;
          wait_until (&pl, until);
          if (cfg->status_line)
            {
              char line[256];
              zj_exp_status_line (&pl, n_workers, k, d.t0, line, sizeof line);
              zj_outseq_status (pl.seq, line);
            }
        }
      if (gone)
        {
          pthread_mutex_unlock (&pl.lock);
          break;
        }
      exp_result r = pl.res[k];
      pl.res[k].cand = (zj_program) { 0 };
      /* The driver's state changes under the lock: a multi-rank
         checkpoint reads it from an island thread. */
      if (!r.ok)
        {
          zj_program_free (&r.cand);
          if (r.interrupted)
            {
              d.consumed = k + 1;
              zj_outseq_advance (pl.seq, k);
              pthread_cond_broadcast (&pl.cond);
              pthread_mutex_unlock (&pl.lock);
              continue;
            }
          if (pl.ckpt_stopped)
            zj_error_set (err, "terminated: checkpoint written to %s (and its rank files); continue with --resume=%s",
                          cfg->checkpoint, cfg->checkpoint);
          else
            *err = r.err;
          zj_stop_request (&pl.done, ZJ_STOP_DONE);
          pthread_cond_broadcast (&pl.cond);
          pthread_mutex_unlock (&pl.lock);
          goto done;
        }
      d.ran++;
      d.shape = r.shape;
      d.total_indivs += r.individuals;
      if (r.hof_fit > d.best_hof)
        d.best_hof = r.hof_fit;
      if (r.select_fit >= d.best_select)
        {
          d.best_select = r.select_fit;
          zj_program_copy (&d.best, &r.cand);
          d.have_best = true;
          zj_outseq_printf (pl.seq, "Select fitness is the best so far. \n");
        }
      zj_program_free (&r.cand);
      /* Decided under the lock, with consumed (see worker). */
      const bool enough = cfg->sufficient_fitness > 0
                          && d.best_select > cfg->sufficient_fitness;
      if (enough)
        zj_stop_request (&pl.done, ZJ_STOP_DONE);
      else
        /* Stop before k + 1 goes live: its lines must not be shown. */
        zj_outseq_advance (pl.seq, k);
      d.consumed = k + 1;
      pthread_cond_broadcast (&pl.cond);
      pthread_mutex_unlock (&pl.lock);
      if (enough)
        break;
    }
  zj_stop_request (&pl.done, ZJ_STOP_DONE);
  const int why = zj_exp_interrupt_reason (&pl);
  if (!d.have_best)
    {
      zj_error_set (err, why ? "interrupted by %s before any candidate was evaluated"
                    : "no experiment produced a candidate", zj_exp_signal_name (why));
      goto done;
    }
  double final_fit = 0.0;
  if (why)
    zj_outseq_printf (pl.seq, "\nSearch interrupted by %s. Best algorithm so far "
                      "(select fitness %.6f; final evaluation skipped):\n",
                      zj_exp_signal_name (why), d.best_select);
  else
    {
      zj_outseq_printf (pl.seq, "\nFinal evaluation of best algorithm (on unseen tasks)...\n");
      if (zj_exp_final_fitness (&pl, &d.shape, &d.best, &final_fit, err) != 0)
        goto done;
      zj_outseq_printf (pl.seq, "Final evaluation fitness (on unseen data) = %.6f\n", final_fit);
    }
  char *text = NULL, *ptext = NULL;
  size_t tlen = 0, plen = 0;
  FILE *f = open_memstream (&text, &tlen);
  zj_program_print (&d.best, false, f);
  fclose (f);
  zj_program pruned;
  zj_program_init (&pruned);
  zj_prune (&d.best, &pruned);
  f = open_memstream (&ptext, &plen);
  zj_program_print (&pruned, false, f);
  fclose (f);
  zj_program_free (&pruned);
  const char *mark = why ? " (interrupted)" : "";
  zj_outseq_printf (pl.seq, "Algorithm found%s: \n%s\n"
                    "Algorithm found%s, pruned to the instructions that affect the prediction: \n%s\n",
                    mark, text, mark, ptext);
  free (text);
  free (ptext);
  const double secs = zj_now_s () - d.t0;
  zj_outseq_printf (pl.seq, "Summary: experiments=%d, individuals=%ld, seconds=%.3f, individuals/s=%.0f, workers=%d%s%s\n",
                    d.ran, d.total_indivs, secs, secs > 0 ? d.total_indivs / secs : 0.0,
                    n_workers, why ? ", interrupted by " : "",
                    why ? zj_exp_signal_name (why) : "");
  if (pl.tier)
    {
      char *ts = NULL;
      size_t tsl = 0;
      f = open_memstream (&ts, &tsl);
      print_tier_summary (pl.tier, f);
      fclose (f);
      zj_outseq_printf (pl.seq, "%s", ts);
      free (ts);
    }
  if (sum)
    {
      sum->final_fitness = final_fit;
      sum->best_select_fitness = d.best_select;
      sum->individuals = d.total_indivs;
      sum->experiments = d.ran;
      sum->seconds = secs;
      sum->hall_of_fame_fitness = d.best_hof;
      sum->interrupted = why;
      zj_program_init (&sum->best);
      zj_program_copy (&sum->best, &d.best);
    }
  if (!why)
    zj_outseq_finished (pl.seq);
  rc = 0;
done:
  zj_stop_request (&pl.done, ZJ_STOP_DONE);
  pthread_mutex_lock (&pl.lock);
  pthread_cond_broadcast (&pl.cond);
  pthread_mutex_unlock (&pl.lock);
  for (int i = 0; i < n_workers; i++)
    pthread_join (threads[i], NULL);
  for (int64_t k = 0; k < pl.res_cap; k++)
    zj_program_free (&pl.res[k].cand);
  free (pl.res);
  zj_door_tier_free (pl.tier);
  if (pl.seq)
    {
      int oe = 0, le = 0;
      zj_outseq_free (pl.seq, &oe, &le);
      if (oe && rc == 0)
        {
          zj_error_set (err, "error writing the output: %s", strerror (oe));
          rc = -1;
        }
      if (le && rc == 0)
        {
          zj_error_set (err, "--progress_log=%s: write error: %s", cfg->progress_log,
                        strerror (le));
          rc = -1;
        }
    }
  if (pl.ckpt_failures && rc == 0)
    {
      zj_error_set (err, "--checkpoint=%s: %d checkpoint write%s failed (last: %s);"
                    " the file holds the last good one", cfg->checkpoint,
                    pl.ckpt_failures, pl.ckpt_failures == 1 ? "" : "s",
                    pl.ckpt_last_error);
      rc = -1;
    }
  if (log_fd >= 0)
    {
      if (close (log_fd) != 0 && rc == 0)
        {
          zj_error_set (err, "--progress_log=%s: %s", cfg->progress_log, strerror (errno));
          rc = -1;
        }
    }
  pthread_mutex_destroy (&pl.lock);
  pthread_cond_destroy (&pl.cond);
  zj_stash_free (pl.stash);
  zj_program_free (&d.best);
  return rc;
}
