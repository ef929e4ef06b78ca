/* islands.c -- the island model of one experiment.
 *
 * Runs the islands of an experiment on several threads (and MPI ranks),
 * meeting at a barrier every migration interval to exchange emigrants
 * (migration.h), and prints the per-island summary at the end.
 */
#include "config.h"
#include "comm.h"
#include "experiment_internal.h"

int
zj_exp_ranks_of (const zj_experiment_cfg *cfg, int *rank)
{
  *rank = cfg->comm ? cfg->comm->rank : 0;
  return cfg->comm ? cfg->comm->size : 1;
}

/* Migration among the islands still searching, in island order (see
   migration.h).  Called by the last thread to reach the barrier on each
   rank: every rank sends the state and emigrants of its islands and gets
   everyone's, then gives its own islands their immigrants.  One process
   is one rank, and runs the very same steps. */
static int
exchange (exp_run *g, zj_error *err)
{
  const zj_experiment_cfg *cfg = g->pl->cfg;
  const int P = cfg->spec.population_size;
  const int m = zj_migration_count (P, cfg->migration_fraction);
  int me, R = zj_exp_ranks_of (cfg, &me);
  int *slots = zj_xcalloc ((size_t) g->n * (size_t) (m ? m : 1), sizeof (int));
  zj_ckbuf mine = { 0 };
  zj_ck_u8 (&mine, me == 0 ? (uint8_t) g->pl->mpi_want : 0);
  for (int o = 0; o < g->n_own; o++)
    {
      const int j = g->own[o];
      island *is = &g->isl[j];
      zj_ck_u32 (&mine, (uint32_t) j);
      zj_ck_u8 (&mine, is->finished);
      if (is->finished)
        continue;
      int *sl = slots + (size_t) j * m;
      zj_migration_pick (is->rng, P, m, sl);
      for (int k = 0; k < m; k++)
        {
          double f;
          zj_ck_program (&mine, zj_population_slot (is->pop, sl[k], &f));
          zj_ck_f64 (&mine, f);
        }
    }
  unsigned char *all = NULL;
  size_t *lens = zj_xcalloc ((size_t) R, sizeof (size_t));
  int rc = zj_comm_allgather (cfg->comm, mine.p, mine.len, &all, lens, err);
  g->exchanges++;
  g->sent += mine.len;
  for (int q = 0; q < R; q++)
    g->received += lens[q];
  zj_ckbuf_free (&mine);
  /* Everyone's islands, back in island order. */
  bool *fin = zj_xcalloc ((size_t) g->n, sizeof (bool));
  zj_program *pool = zj_xcalloc ((size_t) g->n * (size_t) (m ? m : 1), sizeof (zj_program));
  double *fit = zj_xcalloc ((size_t) g->n * (size_t) (m ? m : 1), sizeof (double));
  int *pos = zj_xcalloc ((size_t) g->n, sizeof (int));
  size_t total = 0;
  for (int r = 0; r < R; r++)
    total += lens[r];
  zj_ckrd rd = { .p = all, .len = rc == 0 ? total : 0, .field = "migration message" };
  int seen = 0, want = 0;
  size_t seg_end = 0;
  for (int q = 0; q < R && rc == 0 && !rd.bad; q++)
    {
      seg_end += lens[q];
      const int w = zj_rd_u8 (&rd);
      if (q == 0)
        want = w;
      while (rd.pos < seg_end && !rd.bad)
        {
          const uint32_t j = zj_rd_u32 (&rd);
          const bool f = zj_rd_u8 (&rd);
          if (j >= (uint32_t) g->n)
            {
              zj_rd_fail (&rd, "island %u out of range", j);
              break;
            }
          fin[j] = f;
          seen++;
          for (int k = 0; k < m && !f && !rd.bad; k++)
            {
              zj_program_init (&pool[(size_t) j * m + k]);
              zj_rd_program (&rd, &pool[(size_t) j * m + k]);
              fit[(size_t) j * m + k] = zj_rd_f64 (&rd);
            }
        }
    }
  if (rc == 0 && (rd.bad || seen != g->n))
    {
      zj_error_set (err, "bad migration message: %s", rd.bad ? rd.why : "islands missing");
      rc = -1;
    }
  if (rc == 0)
    {
      /* The pool holds the ready islands' emigrants, in island order. */
      int n = 0;
      for (int j = 0; j < g->n; j++)
        if (!fin[j])
          pos[j] = n++;
      zj_program *ready_pool = zj_xcalloc ((size_t) (n ? n : 1) * (size_t) (m ? m : 1),
                                           sizeof (zj_program));
      double *ready_fit = zj_xcalloc ((size_t) (n ? n : 1) * (size_t) (m ? m : 1),
                                      sizeof (double));
      for (int j = 0; j < g->n; j++)
        if (!fin[j])
          for (int k = 0; k < m; k++)
            {
              ready_pool[(size_t) pos[j] * m + k] = pool[(size_t) j * m + k];
              ready_fit[(size_t) pos[j] * m + k] = fit[(size_t) j * m + k];
            }
      int *from = zj_xmalloc ((size_t) (m ? m : 1) * sizeof (int));
      for (int o = 0; o < g->n_own && n >= 2; o++)
        {
          const int j = g->own[o];
          island *is = &g->isl[j];
          if (fin[j])
            continue;
          zj_migration_choose (is->rng, cfg->migration_topology, pos[j], n, m, from);
          for (int k = 0; k < m; k++)
            zj_population_replace (is->pop, slots[(size_t) j * m + k],
                                   &ready_pool[from[k]], ready_fit[from[k]]);
        }
      for (int j = 0; j < g->n; j++)
        {
          g->isl[j].finished = fin[j];
          if (!fin[j])
            g->isl[j].migrations++;
        }
      free (from);
      free (ready_pool);
      free (ready_fit);
      if (want && R > 1 && cfg->checkpoint)
        zj_exp_mpi_checkpoint (g, want);
    }
  for (size_t i = 0; i < (size_t) g->n * (size_t) (m ? m : 1); i++)
    zj_program_free (&pool[i]);
  free (pool);
  free (fit);
  free (fin);
  free (pos);
  free (slots);
  free (lens);
  free (all);
  return rc;
}

/* Every thread of the experiment arrives; the last one migrates.  A
   thread waiting here counts as parked for checkpoints: its islands are
   between two generations.  True when the search is over. */
static bool
barrier (exp_run *g)
{
  exp_pool *pl = g->pl;
  const double t0 = zj_now_s ();
  pthread_mutex_lock (&pl->lock);
  const int64_t e = g->epoch;
  if (++g->arrived == g->threads)
    {
      zj_error ee;
      /* CPU time of this thread: a loaded machine inflates wall time. */
      struct timespec c0, c1;
      clock_gettime (CLOCK_THREAD_CPUTIME_ID, &c0);
      if (!zj_exp_halted (pl) && exchange (g, &ee) != 0)
        {
          fprintf (stderr, "zerojit: %s\n", ee.msg);
          pl->abort_run = true;
        }
      clock_gettime (CLOCK_THREAD_CPUTIME_ID, &c1);
      g->exchange_secs += (double) (c1.tv_sec - c0.tv_sec)
                          + 1e-9 * (double) (c1.tv_nsec - c0.tv_nsec);
      bool all = true;
      for (int j = 0; j < g->n; j++)
        all &= g->isl[j].finished;
      g->all_finished = all || zj_exp_halted (pl);
      g->arrived = 0;
      g->epoch++;
      pthread_cond_broadcast (&pl->cond);
    }
  else
    while (g->epoch == e)
      {
        if (pl->ckpt_req)
          zj_exp_park (pl);
        else
          pthread_cond_wait (&pl->cond, &pl->lock);
      }
  const bool done = g->all_finished;
  g->wait_secs += zj_now_s () - t0;
  pthread_mutex_unlock (&pl->lock);
  return done;
}

/* Thread t's share of an experiment: initialise its islands (unless
   resumed), then run each to the next migration point, migrate, repeat.
   Migration points are fixed counts of each island's individuals, and the
   islands of an experiment share their population size, so they reach
   them together whatever the number of threads. */
static void
island_loop (exp_run *g, int t, bool resumed, zj_error *err, bool *ok)
{
  const zj_experiment_cfg *cfg = g->pl->cfg;
  exp_pool *pl = g->pl;
  const bool migrate = g->n > 1 && cfg->migration_interval > 0;
  *ok = true;
  if (!resumed)
    for (int o = t; o < g->n_own; o += g->threads)
      if (zj_population_init (g->isl[g->own[o]].pop, err) != 0)
        {
          *ok = false;
          pthread_mutex_lock (&pl->lock);
          pl->abort_run = true;   /* the other threads stop at once */
          pthread_mutex_unlock (&pl->lock);
          break;
        }
  for (;;)
    {
      for (int o = t; o < g->n_own && *ok; o += g->threads)
        {
          island *is = &g->isl[g->own[o]];
          if (is->finished)
            continue;
          int64_t stop_at = cfg->spec.max_individuals;
          if (migrate)
            {
              const int64_t next = (is->migrations + 1) * cfg->migration_interval;
              if (stop_at <= 0 || next < stop_at)
                stop_at = next;
            }
          /* The train-step budget counts from the start of the
             experiment, so a resumed run stops where the uninterrupted
             one would. */
          if (cfg->spec.max_individuals > 0)
            zj_population_run (is->pop, INT64_MAX, stop_at);
          else
            zj_population_run (is->pop, cfg->spec.max_train_steps
                               - zj_evaluator_train_steps (is->ev), stop_at);
          if (zj_exp_halted (pl))
            break;
          is->finished = zj_exp_budget_spent (cfg, is);
        }
      if (!migrate || barrier (g))
        break;
    }
}

typedef struct island_thread {
  exp_run *g;
  int t;
  bool resumed, ok;
  zj_error err;
} island_thread;

static void *
island_main (void *arg)
{
  island_thread *it = arg;
  island_loop (it->g, it->t, it->resumed, &it->err, &it->ok);
  exp_pool *pl = it->g->pl;
  pthread_mutex_lock (&pl->lock);
  pl->alive--;
  pthread_cond_broadcast (&pl->cond);
  pthread_mutex_unlock (&pl->lock);
  return NULL;
}

/* Run all islands of g on g->threads threads (this one included). */
bool
zj_exp_run_islands (exp_run *g, bool resumed, zj_error *err)
{
  exp_pool *pl = g->pl;
  island_thread *its = zj_xcalloc ((size_t) g->threads, sizeof *its);
  pthread_t *tid = zj_xcalloc ((size_t) g->threads, sizeof *tid);
  int started = 1;
  pthread_mutex_lock (&pl->lock);
  for (int t = 1; t < g->threads; t++)
    {
      its[t] = (island_thread) { g, t, resumed, true, { "" } };
      if (pthread_create (&tid[t], NULL, island_main, &its[t]) != 0)
        break;
      pl->alive++;
      started++;
    }
  pthread_mutex_unlock (&pl->lock);
  if (started < g->threads)
    {
      /* Fewer threads than planned changes nothing but the time; the
         barrier must count only those that run. */
      pthread_mutex_lock (&pl->lock);
      g->threads = started;
      pthread_mutex_unlock (&pl->lock);
      /* Thread t's islands must still be run: not possible once the
         others have their share, so stop cleanly instead. */
      zj_error_set (err, "cannot start island threads");
      pl->abort_run = true;
    }
  island_loop (g, 0, resumed, err, &its[0].ok);
  bool ok = its[0].ok;
  for (int t = 1; t < started; t++)
    {
      pthread_join (tid[t], NULL);
      if (ok && !its[t].ok)
        {
          *err = its[t].err;
          ok = false;
        }
    }
  free (its);
  free (tid);
  return ok && started == g->threads;
}

/* The candidate (best current individual over all islands, the lowest
   island on ties), the best hall of fame and the individuals, from every
   rank's islands; and a summary line per island when there are several. */
bool
zj_exp_islands_summary (exp_run *g, exp_result *r, FILE *out)
{
  const zj_experiment_cfg *cfg = g->pl->cfg;
  int me, R = zj_exp_ranks_of (cfg, &me);
  zj_ckbuf mine = { 0 };
  for (int o = 0; o < g->n_own; o++)
    {
      const island *is = &g->isl[g->own[o]];
      double f, h;
      const zj_program *b = zj_population_best (is->pop, &f);
      zj_population_hall_of_fame (is->pop, &h);
      zj_ck_u32 (&mine, (uint32_t) g->own[o]);
      zj_ck_program (&mine, b);
      zj_ck_f64 (&mine, f);
      zj_ck_f64 (&mine, h);
      zj_ck_i64 (&mine, zj_population_individuals (is->pop));
      zj_ck_i64 (&mine, is->migrations);
    }
  unsigned char *all = NULL;
  size_t *lens = zj_xcalloc ((size_t) R, sizeof (size_t));
  int rc = zj_comm_allgather (cfg->comm, mine.p, mine.len, &all, lens, &r->err);
  zj_ckbuf_free (&mine);
  size_t total = 0;
  for (int q = 0; q < R; q++)
    total += lens[q];
  zj_program *best = zj_xcalloc ((size_t) g->n, sizeof (zj_program));
  double *bf = zj_xcalloc ((size_t) g->n, sizeof (double));
  double *hf = zj_xcalloc ((size_t) g->n, sizeof (double));
  int64_t *ind = zj_xcalloc ((size_t) g->n, sizeof (int64_t));
  int64_t *mig = zj_xcalloc ((size_t) g->n, sizeof (int64_t));
  for (int j = 0; j < g->n; j++)
    zj_program_init (&best[j]);
  zj_ckrd rd = { .p = all, .len = rc == 0 ? total : 0, .field = "island summary" };
  int seen = 0;
  while (rc == 0 && rd.pos < rd.len && !rd.bad)
    {
      const uint32_t j = zj_rd_u32 (&rd);
      if (j >= (uint32_t) g->n)
        {
          zj_rd_fail (&rd, "island %u out of range", j);
          break;
        }
      zj_rd_program (&rd, &best[j]);
      bf[j] = zj_rd_f64 (&rd);
      hf[j] = zj_rd_f64 (&rd);
      ind[j] = zj_rd_i64 (&rd);
      mig[j] = zj_rd_i64 (&rd);
      seen++;
    }
  if (rc == 0 && (rd.bad || seen != g->n))
    {
      zj_error_set (&r->err, "bad island summary: %s", rd.bad ? rd.why : "islands missing");
      rc = -1;
    }
  if (rc == 0)
    {
      double search_fit = 0.0;
      for (int j = 0; j < g->n; j++)
        {
          if (j == 0 || bf[j] > search_fit)
            {
              search_fit = bf[j];
              zj_program_copy (&r->cand, &best[j]);
            }
          if (j == 0 || hf[j] > r->hof_fit)
            r->hof_fit = hf[j];
          r->individuals += ind[j];
        }
      fprintf (out, "Search fitness for candidate algorithm = %.6f\n", search_fit);
      fprintf (out, "Hall of fame: best search fitness ever seen = %.6f\n", r->hof_fit);
      if (g->n > 1)
        for (int j = 0; j < g->n; j++)
          fprintf (out, "Island %d: individuals=%lld, best fit=%.6f, hall of fame=%.6f, migrations=%lld\n",
                   j, (long long) ind[j], bf[j], hf[j], (long long) mig[j]);
    }
  for (int j = 0; j < g->n; j++)
    zj_program_free (&best[j]);
  free (best);
  free (bf);
  free (hf);
  free (ind);
  free (mig);
  free (lens);
  free (all);
  return rc == 0;
}
