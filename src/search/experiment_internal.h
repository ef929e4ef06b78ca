/* experiment_internal.h -- shared internals of the experiment driver.
 *
 * For the files of src/search that together run experiments (experiment.c,
 * experiment_run.c, experiment_stop.c, experiment_memory.c,
 * experiment_ckpt.c, islands.c, status_line.c): the pool, run, island and
 * driver structures they share and the functions one of them calls in
 * another.  Not part of the library's interface.
 */
#ifndef ZJ_EXPERIMENT_INTERNAL_H
#define ZJ_EXPERIMENT_INTERNAL_H

#include "internal.h"
#include "experiment.h"
#include "evaluator.h"
#include "evolution.h"
#include "ckpt.h"
#include "stop.h"
#include "outseq.h"
#include <pthread.h>
#include <stdatomic.h>

enum { MAX_WORKERS = 64 };

typedef struct exp_result {
  bool done, ok, interrupted;
  zj_program cand;
  double select_fit, hof_fit;
  long individuals;
  zj_shape shape;
  zj_error err;
} exp_result;

typedef struct exp_pool exp_pool;

/* One population of an experiment.  With one island it draws from the
   experiment's generator, as an experiment always did; with several, each
   has its own, seeded from the experiment's seed and its index.  Islands
   sit in an array and run on different threads: each has its own cache
   lines (aligned, allocated with zj_aligned_alloc), or the generator
   state one island writes on every draw would share a line with the live
   counters the next island writes after every individual. */
typedef struct __attribute__ ((aligned (64))) island {
  zj_rng own;
  zj_rng *rng;
  zj_evaluator *ev;
  zj_population *pop;
  int64_t migrations;
  bool finished;              /* its search budget is spent */
  zj_live_stats live;         /* for the status line (several islands) */
  /* Thread CPU seconds spent searching: in all, and since the last
     migration point (islands.c; for the progress log). */
  double cpu, cpu_seg;
} island;

/* The islands of one running experiment and the threads that share them
   (thread t runs islands t, t + threads, ...).  The migration barrier is
   guarded by the pool lock. */
typedef struct exp_run {
  exp_pool *pl;
  int n;
  island *isl;                /* pop and ev only for this rank's islands */
  int n_own, *own;            /* this rank's islands: j % ranks == rank */
  FILE *out;                  /* the experiment's output (island 0 prints) */
  /* Builds island j (its evaluator and population, or restores them);
     each thread calls it for its own islands before running them. */
  int (*setup) (void *ctx, int j, zj_error *err);
  void *setup_ctx;
  int threads;
  int arrived;
  int64_t epoch;
  bool all_finished;
  /* Cost of migration on this rank, for the progress log. */
  int64_t exchanges;
  uint64_t sent, received;    /* bytes */
  double exchange_secs, wait_secs;
  /* Sum over migration intervals of the largest island's CPU seconds in
     that interval: the critical path with one thread per island. */
  double cpu_critical;
  /* Emigrant pool (islands.c), n x m entries kept between exchanges. */
  zj_program *mig_prog;
  double *mig_fit;
  size_t *mig_off;            /* where an entry is in the message */
  size_t *mig_len;            /* and its length */
  zj_ckbuf mig_msg;           /* this rank's message, kept for its buffer */
  unsigned char *mig_have;    /* entry is in mig_prog */
  int *mig_slots;             /* this rank's islands' emigrant slots */
  int *mig_uses;              /* islands still to receive an entry */
  size_t mig_cap;
} exp_run;

/* What a worker thread is running, for checkpoints and the status
   line. */
typedef struct exp_live {
  exp_pool *pl;
  int64_t k;                  /* experiment index; -1 idle (pool lock) */
  exp_run *run;               /* set while its islands exist */
  double start;               /* when k started (pool lock) */
  zj_live_stats stats;        /* its population's; with islands, their
                                 sum once they are done (status_line.c
                                 reads the islands' own while run is set) */
  _Atomic int phase;          /* enum phase */
} __attribute__ ((aligned (64))) exp_live;

enum phase { PH_TASKS, PH_INIT, PH_EVOLVE, PH_SELECT };

struct exp_pool {
  zj_experiment_cfg *cfg;
  uint64_t seed;
  struct zj_tier *tier;
  zj_outseq *seq;
  zj_stop done;               /* the driver has its answer (or failed) */
  pthread_mutex_t lock;       /* guards everything below and cfg's tasks */
  pthread_cond_t cond;
  int64_t next;               /* next experiment index to start */
  int64_t limit;              /* experiments allowed (INT64_MAX: unlimited) */
  long done_indivs;           /* individuals of finished experiments */
  double done_best;           /* best hall of fame of finished ones */
  exp_result *res;
  int64_t res_cap;
  /* Checkpoints: the driver sets ckpt_req and waits until every live
     worker is parked (idle, or between two generations); abort_run ends
     the running experiments without a result (stop after SIGTERM). */
  volatile bool ckpt_req, abort_run;
  int parked, alive;
  exp_live live[MAX_WORKERS];
  const zj_ckpt *resume;
  int next_resume;            /* resume->running[] not yet restarted */
  /* Several MPI ranks checkpoint together at a migration point: rank 0's
     driver asks for a periodic one (1), any rank's driver for a last one
     after SIGTERM (2: checkpoint and stop); the requests travel with the
     migration message, the largest wins, every rank writes its file. */
  struct driver *drv;
  volatile int mpi_want;
  int64_t ckpt_gen;           /* generation of the last multi-rank checkpoint */
  /* Checkpoint writes that failed (the search goes on from the last good
     file); a run that had any ends with an error status. */
  int ckpt_failures;
  char ckpt_last_error[256];
  bool ckpt_stopped;          /* stopped after a final checkpoint */
  /* Several ranks: a signal on one rank stops them all at the next
     exchange (migration or end of experiment), where every rank learns
     it; until then the searches go on.  interrupt_reason reads agreed. */
  bool coordinated;
  zj_stop agreed;
  int announced[8];           /* F of the stencil builds announced */
  int running[8];             /* ... and how many of each still build */
  bool failed_told[8];        /* ... and whether a failure was told */
  int n_announced;
  _Atomic int building;       /* stencil libraries being built now */
  /* Finished experiments' duplicate caches and FECs, for the next ones
     (stash.h). */
  struct zj_stash *stash;
};

/* The driver's state: what it has printed and kept so far. */
struct driver {
  int64_t consumed;           /* experiments printed */
  int ran;
  long total_indivs;
  zj_program best;
  bool have_best;
  double best_select, best_hof;
  zj_shape shape;
  double t0;
};
typedef struct driver driver;

/* experiment_run.c */
/* The worker thread: runs experiments until none is left (arg: its
   exp_live). */
void *zj_exp_worker (void *arg);
bool zj_exp_budget_spent (const zj_experiment_cfg *cfg, const island *is);
exp_result *zj_exp_result_slot (exp_pool *pl, int64_t k);
int zj_exp_final_fitness (const exp_pool *pl, const zj_shape *shape,
                          const zj_program *best, double *fitness, zj_error *err);

/* experiment_stop.c */
bool zj_exp_halted (const exp_pool *pl);
void zj_exp_park (exp_pool *pl);
/* The signal that stopped the search (agreed by all ranks), 0 if none. */
int zj_exp_interrupt_reason (const exp_pool *pl);
bool zj_exp_interrupted (const exp_pool *pl);
/* The signal that parks the islands for a last checkpoint (0: none). */
int zj_exp_park_reason (const zj_experiment_cfg *cfg);
const char *zj_exp_signal_name (int sig);
/* The signal to tell the other ranks about (0: none). */
int zj_exp_local_interrupt (const exp_pool *pl);
/* The first rank's signal in rank order, from an exchange: every rank
   records the same. */
void zj_exp_agree_interrupt (exp_pool *pl, int why);

/* experiment_memory.c */
int zj_exp_check_memory (const zj_experiment_cfg *cfg, zj_error *err);

/* status_line.c */
void zj_exp_status_line (exp_pool *pl, int n_workers, int64_t consumed, double t0,
                         char *buf, size_t n);

/* experiment_ckpt.c */
int zj_exp_checkpoint_now (exp_pool *pl, driver *d);
void zj_exp_mpi_checkpoint (exp_run *g, int want);
int zj_exp_restore (exp_pool *pl, driver *d, const zj_ckpt *c, FILE *out, zj_error *err);

/* islands.c */
int zj_exp_ranks_of (const zj_experiment_cfg *cfg, int *rank);
bool zj_exp_run_islands (exp_run *g, bool resumed, zj_error *err);
bool zj_exp_islands_summary (exp_run *g, exp_result *r, FILE *out);
void zj_exp_islands_free (exp_run *g);     /* the emigrant pool */
/* Interrupted experiment: the best ever over all islands of all ranks
   (lowest island on ties) and their individuals into r. */
bool zj_exp_islands_hall_of_fame (exp_run *g, exp_result *r);

#endif
