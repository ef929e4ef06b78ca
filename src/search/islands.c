/* islands.c -- the island model of one experiment.
 *
 * Runs the islands of an experiment on several threads (and MPI ranks),
 * meeting at a barrier every migration interval to exchange emigrants
 * (migration.h), and prints the per-island summary at the end.
 */
#include "config.h"
#include "comm.h"
#include "experiment_internal.h"
#include <string.h>

int
zj_exp_ranks_of (const zj_experiment_cfg *cfg, int *rank)
{
  *rank = cfg->comm ? cfg->comm->rank : 0;
  return cfg->comm ? cfg->comm->size : 1;
}

/* Every rank's buffer, in rank order, into *all.  Returns each rank's
   byte count (the caller frees it) and their sum in *total. */
static size_t *
gather_ranks (const zj_experiment_cfg *cfg, const zj_ckbuf *mine, unsigned char **all,
              size_t *total, int *rc, zj_error *err)
{
  int me;
  const int R = zj_exp_ranks_of (cfg, &me);
  size_t *lens = zj_xcalloc ((size_t) R, sizeof (size_t));
  *rc = zj_comm_allgather (cfg->comm, mine->p, mine->len, all, lens, err);
  *total = 0;
  for (int q = 0; q < R; q++)
    *total += lens[q];
  return lens;
}

/* The emigrant pool, kept across exchanges so that its instruction
   buffers are reused: entry j * m + k is island j's k-th emigrant. */
static void
pool_reserve (exp_run *g, size_t nm)
{
  if (g->mig_cap >= nm)
    return;
  zj_exp_islands_free (g);
  g->mig_prog = zj_xcalloc (nm, sizeof *g->mig_prog);
  g->mig_fit = zj_xcalloc (nm, sizeof *g->mig_fit);
  g->mig_off = zj_xcalloc (nm, sizeof *g->mig_off);
  g->mig_len = zj_xcalloc (nm, sizeof *g->mig_len);
  g->mig_have = zj_xcalloc (nm, sizeof *g->mig_have);
  g->mig_slots = zj_xcalloc (nm, sizeof *g->mig_slots);
  g->mig_uses = zj_xcalloc (nm, sizeof *g->mig_uses);
  g->mig_cap = nm;
}

void
zj_exp_islands_free (exp_run *g)
{
  for (size_t i = 0; i < g->mig_cap; i++)
    zj_program_free (&g->mig_prog[i]);
  free (g->mig_prog);
  free (g->mig_fit);
  free (g->mig_off);
  free (g->mig_len);
  zj_ckbuf_free (&g->mig_msg);
  free (g->mig_have);
  free (g->mig_slots);
  free (g->mig_uses);
  g->mig_uses = NULL;
  g->mig_prog = NULL;
  g->mig_fit = NULL;
  g->mig_off = NULL;
  g->mig_len = NULL;
  g->mig_have = NULL;
  g->mig_slots = NULL;
  g->mig_cap = 0;
}

/* Migration among the islands still searching, in island order (see
   migration.h).  Called by the last thread to reach the barrier on each
   rank.  This rank's islands pick their emigrants and move them (no
   copy) into the pool.  With several ranks, every rank then sends the
   state and emigrants of its islands and gets everyone's; other ranks'
   emigrants stay encoded until one of this rank's islands draws them (an
   island receives m of the n x m in the pool).  Each island then gets
   its immigrants from the pool into its emigrants' slots, moved when no
   other island takes the same one, else copied.  One
   process is one rank and takes the same decisions without a message. */
static int
exchange (exp_run *g, zj_error *err)
{
  const zj_experiment_cfg *cfg = g->pl->cfg;
  const int P = cfg->spec.population_size;
  const int m = zj_migration_count (P, cfg->migration_fraction);
  int me, R = zj_exp_ranks_of (cfg, &me);
  const size_t nm = (size_t) g->n * (size_t) (m ? m : 1);
  pool_reserve (g, nm);
  memset (g->mig_have, 0, nm);
  bool *fin = zj_xcalloc ((size_t) g->n, sizeof (bool));
  for (int o = 0; o < g->n_own; o++)
    {
      const int j = g->own[o];
      island *is = &g->isl[j];
      fin[j] = is->finished;
      if (is->finished)
        continue;
      int *sl = g->mig_slots + (size_t) j * m;
      zj_migration_pick (is->rng, P, m, sl);
      for (int k = 0; k < m; k++)
        {
          const size_t e = (size_t) j * m + k;
          zj_population_swap (is->pop, sl[k], &g->mig_prog[e], &g->mig_fit[e]);
          g->mig_have[e] = 1;
        }
    }
  int rc = 0, want = g->pl->mpi_want;
  unsigned char *all = NULL;
  size_t total = 0;
  if (R > 1)
    {
      /* Per island: its index, whether it is finished, then (if not)
         an index of its emigrants (fitness, byte length) and the
         emigrants.  The readers find every emigrant from the index
         alone, without touching the programs they do not draw. */
      zj_ckbuf *mine = &g->mig_msg;
      mine->len = 0;
      zj_ck_u8 (mine, (uint8_t) want);
      zj_ck_u8 (mine, (uint8_t) zj_exp_local_interrupt (g->pl));
      for (int o = 0; o < g->n_own; o++)
        {
          const int j = g->own[o];
          zj_ck_u32 (mine, (uint32_t) j);
          zj_ck_u8 (mine, fin[j]);
          for (int k = 0; k < m && !fin[j]; k++)
            {
              zj_ck_f64 (mine, g->mig_fit[(size_t) j * m + k]);
              zj_ck_u32 (mine, (uint32_t) zj_ck_program_size (&g->mig_prog[(size_t) j * m + k]));
            }
          for (int k = 0; k < m && !fin[j]; k++)
            zj_ck_program (mine, &g->mig_prog[(size_t) j * m + k]);
        }
      g->sent += mine->len;
      size_t *lens = gather_ranks (cfg, mine, &all, &total, &rc, err);
      g->received += total;
      /* Everyone's islands: their state, and where each emigrant is. */
      zj_ckrd rd = { .p = all, .len = rc == 0 ? total : 0, .field = "migration message" };
      int seen = 0, why = 0;
      size_t seg_end = 0;
      want = 0;
      for (int q = 0; q < R && rc == 0 && !rd.bad; q++)
        {
          seg_end += lens[q];
          const int w = zj_rd_u8 (&rd);
          if (w > want)
            want = w;
          const int sig = zj_rd_u8 (&rd);
          if (!why)
            why = sig;
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
              if (f)
                continue;
              size_t at = rd.pos + (size_t) m * 12;   /* the emigrants */
              for (int k = 0; k < m && !rd.bad; k++)
                {
                  const size_t e = (size_t) j * m + k;
                  const double fit = zj_rd_f64 (&rd);
                  const uint32_t len = zj_rd_u32 (&rd);
                  if (!rd.bad && (at > seg_end || len > seg_end - at))
                    zj_rd_fail (&rd, "island %u: emigrant %d past the end", j, k);
                  g->mig_off[e] = at;
                  g->mig_len[e] = len;
                  at += len;
                  if (!g->mig_have[e])
                    g->mig_fit[e] = fit;
                }
              if (!rd.bad)
                rd.pos = at;
            }
        }
      if (rc == 0 && (rd.bad || seen != g->n))
        {
          zj_error_set (err, "bad migration message: %s", rd.bad ? rd.why : "islands missing");
          rc = -1;
        }
      if (rc == 0)
        zj_exp_agree_interrupt (g->pl, why);
      free (lens);
    }
  g->exchanges++;
  /* The pool holds the ready islands' emigrants, in island order. */
  int n = 0;
  int *ready = zj_xmalloc ((size_t) g->n * sizeof (int));
  for (int j = 0; j < g->n; j++)
    if (!fin[j])
      ready[n++] = j;
  const bool home = rc != 0 || n < 2;
  /* All draws first (each island's from its own generator), counting
     how many islands take each entry: the last taker gets the entry
     itself (a swap), the others a copy. */
  size_t *from = zj_xmalloc ((size_t) (g->n_own ? g->n_own : 1)
                             * (size_t) (m ? m : 1) * sizeof *from);
  int *pick = zj_xmalloc ((size_t) (m ? m : 1) * sizeof (int));
  memset (g->mig_uses, 0, nm * sizeof *g->mig_uses);
  for (int o = 0; o < g->n_own && !home; o++)
    {
      const int j = g->own[o];
      if (g->isl[j].finished)
        continue;
      int p = 0;
      while (ready[p] != j)
        p++;
      zj_migration_choose (g->isl[j].rng, cfg->migration_topology, p, n, m, pick);
      for (int k = 0; k < m; k++)
        {
          const size_t e = (size_t) ready[pick[k] / m] * m + (size_t) (pick[k] % m);
          from[(size_t) o * m + k] = e;
          g->mig_uses[e]++;
        }
    }
  for (int o = 0; o < g->n_own; o++)
    {
      const int j = g->own[o];
      island *is = &g->isl[j];
      if (g->isl[j].finished)
        continue;
      int *sl = g->mig_slots + (size_t) j * m;
      if (home)
        {
          /* No one to exchange with (or no message): the emigrants go
             back home. */
          for (int k = 0; k < m; k++)
            zj_population_swap (is->pop, sl[k], &g->mig_prog[(size_t) j * m + k],
                                &g->mig_fit[(size_t) j * m + k]);
          continue;
        }
      for (int k = 0; k < m; k++)
        {
          const size_t e = from[(size_t) o * m + k];
          if (!g->mig_have[e])
            {
              zj_ckrd rd = { .p = all, .len = g->mig_off[e] + g->mig_len[e],
                             .pos = g->mig_off[e], .field = "migration message" };
              zj_rd_program (&rd, &g->mig_prog[e]);
              if (!rd.bad && rd.pos != rd.len)
                zj_rd_fail (&rd, "emigrant shorter than its %zu bytes", g->mig_len[e]);
              if (rd.bad)
                {
                  /* The run stops (abort_run): the population need not
                     be whole again. */
                  zj_error_set (err, "bad migration message: %s", rd.why);
                  rc = -1;
                  break;
                }
              g->mig_have[e] = 1;
            }
          if (--g->mig_uses[e] == 0)
            zj_population_take (is->pop, sl[k], &g->mig_prog[e], g->mig_fit[e]);
          else
            zj_population_replace (is->pop, sl[k], &g->mig_prog[e], g->mig_fit[e]);
        }
      if (rc != 0)
        break;
    }
  if (rc == 0)
    {
      for (int j = 0; j < g->n; j++)
        {
          g->isl[j].finished = fin[j];
          if (!fin[j])
            g->isl[j].migrations++;
        }
      if (want && R > 1 && cfg->checkpoint)
        zj_exp_mpi_checkpoint (g, want);
    }
  free (from);
  free (pick);
  free (ready);
  free (fin);
  free (all);
  return rc;
}

static double
cpu_seconds (const struct timespec *a, const struct timespec *b)
{
  return (double) (b->tv_sec - a->tv_sec) + 1e-9 * (double) (b->tv_nsec - a->tv_nsec);
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
      g->exchange_secs += cpu_seconds (&c0, &c1);
      double longest = 0.0;
      for (int o = 0; o < g->n_own; o++)
        {
          island *is = &g->isl[g->own[o]];
          if (is->cpu_seg > longest)
            longest = is->cpu_seg;
          is->cpu_seg = 0.0;
        }
      g->cpu_critical += longest;
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

/* Thread t's share of an experiment: build its islands and initialise
   their populations (unless resumed), then run each to the next migration point, migrate, repeat.
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
  for (int o = t; o < g->n_own; o += g->threads)
    {
      struct timespec c0, c1;
      clock_gettime (CLOCK_THREAD_CPUTIME_ID, &c0);
      if (g->setup (g->setup_ctx, g->own[o], err) != 0
          || (!resumed && zj_population_init (g->isl[g->own[o]].pop, err) != 0))
        {
          *ok = false;
          pthread_mutex_lock (&pl->lock);
          pl->abort_run = true;   /* the other threads stop at once */
          pthread_mutex_unlock (&pl->lock);
          break;
        }
      clock_gettime (CLOCK_THREAD_CPUTIME_ID, &c1);
      island *is = &g->isl[g->own[o]];
      is->cpu = is->cpu_seg = cpu_seconds (&c0, &c1);
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
          struct timespec c0, c1;
          clock_gettime (CLOCK_THREAD_CPUTIME_ID, &c0);
          /* The train-step budget counts from the start of the
             experiment, so a resumed run stops where the uninterrupted
             one would. */
          if (cfg->spec.max_individuals > 0)
            zj_population_run (is->pop, INT64_MAX, stop_at);
          else
            zj_population_run (is->pop, cfg->spec.max_train_steps
                               - zj_evaluator_train_steps (is->ev), stop_at);
          clock_gettime (CLOCK_THREAD_CPUTIME_ID, &c1);
          const double d = cpu_seconds (&c0, &c1);
          is->cpu += d;
          is->cpu_seg += d;
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
  zj_ck_u8 (&mine, (uint8_t) (R > 1 ? zj_exp_local_interrupt (g->pl) : 0));
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
  size_t total;
  int rc;
  size_t *lens = gather_ranks (cfg, &mine, &all, &total, &rc, &r->err);
  zj_ckbuf_free (&mine);
  zj_program *best = zj_xcalloc ((size_t) g->n, sizeof (zj_program));
  double *bf = zj_xcalloc ((size_t) g->n, sizeof (double));
  double *hf = zj_xcalloc ((size_t) g->n, sizeof (double));
  int64_t *ind = zj_xcalloc ((size_t) g->n, sizeof (int64_t));
  int64_t *mig = zj_xcalloc ((size_t) g->n, sizeof (int64_t));
  for (int j = 0; j < g->n; j++)
    zj_program_init (&best[j]);
  zj_ckrd rd = { .p = all, .len = rc == 0 ? total : 0, .field = "island summary" };
  int seen = 0, why = 0;
  size_t seg_end = 0;
  for (int q = 0; q < R && rc == 0 && !rd.bad; q++)
    {
      seg_end += lens[q];
      const int sig = zj_rd_u8 (&rd);
      if (!why)
        why = sig;
      while (rd.pos < seg_end && !rd.bad)
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
    }
  if (rc == 0 && (rd.bad || seen != g->n))
    {
      zj_error_set (&r->err, "bad island summary: %s", rd.bad ? rd.why : "islands missing");
      rc = -1;
    }
  /* A signal on any rank ends the search after this experiment, on
     every rank alike. */
  if (rc == 0)
    zj_exp_agree_interrupt (g->pl, why);
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

bool
zj_exp_islands_hall_of_fame (exp_run *g, exp_result *r)
{
  const zj_experiment_cfg *cfg = g->pl->cfg;
  zj_ckbuf mine = { 0 };
  for (int o = 0; o < g->n_own; o++)
    {
      const island *is = &g->isl[g->own[o]];
      double h;
      const zj_program *hof = zj_population_hall_of_fame (is->pop, &h);
      zj_ck_u32 (&mine, (uint32_t) g->own[o]);
      zj_ck_i64 (&mine, zj_population_individuals (is->pop));
      zj_ck_f64 (&mine, h);
      zj_ck_program (&mine, hof);
    }
  unsigned char *all = NULL;
  size_t total;
  int rc;
  size_t *lens = gather_ranks (cfg, &mine, &all, &total, &rc, &r->err);
  zj_ckbuf_free (&mine);
  zj_program *hof = zj_xcalloc ((size_t) g->n, sizeof (zj_program));
  double *hf = zj_xcalloc ((size_t) g->n, sizeof (double));
  int64_t *ind = zj_xcalloc ((size_t) g->n, sizeof (int64_t));
  zj_ckrd rd = { .p = all, .len = rc == 0 ? total : 0, .field = "island hall of fame" };
  int seen = 0;
  while (rc == 0 && rd.pos < rd.len && !rd.bad)
    {
      const uint32_t j = zj_rd_u32 (&rd);
      if (j >= (uint32_t) g->n)
        {
          zj_rd_fail (&rd, "island %u out of range", j);
          break;
        }
      ind[j] = zj_rd_i64 (&rd);
      hf[j] = zj_rd_f64 (&rd);
      zj_rd_program (&rd, &hof[j]);
      seen++;
    }
  if (rc == 0 && (rd.bad || seen != g->n))
    {
      zj_error_set (&r->err, "bad island hall of fame: %s", rd.bad ? rd.why : "islands missing");
      rc = -1;
    }
  bool any = false;
  for (int j = 0; j < g->n && rc == 0; j++)
    {
      r->individuals += ind[j];
      if (ind[j] > 0 && (!any || hf[j] > r->hof_fit))
        {
          any = true;
          r->hof_fit = hf[j];
          zj_program_copy (&r->cand, &hof[j]);
        }
    }
  if (rc == 0 && !any)
    {
      zj_error_set (&r->err, "interrupted before any evaluation");
      rc = -1;
    }
  for (int j = 0; j < g->n; j++)
    zj_program_free (&hof[j]);
  free (hof);
  free (hf);
  free (ind);
  free (lens);
  free (all);
  return rc == 0;
}
