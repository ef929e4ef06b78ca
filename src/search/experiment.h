/* experiment.h -- the search driver (doc/semantics.md, "Search driver"):
 * repeated experiments, select and final evaluation, output in the
 * original's format, live and in experiment order.
 */
#ifndef ZJ_EXPERIMENT_H
#define ZJ_EXPERIMENT_H
#include <zerojit/zerojit.h>
#include <zerojit/spec.h>
#include "policy.h"
#include "migration.h"
#include "stop.h"

struct zj_ckpt;

typedef struct zj_experiment_cfg {
  zj_search_spec spec;              /* owned */
  zj_task_collection select_tasks;  /* owned */
  zj_task_collection final_tasks;   /* owned */
  int64_t max_experiments;          /* 0 = unlimited; default 1 */
  uint64_t random_seed;             /* 0 = time based */
  bool randomize_task_seeds;
  double sufficient_fitness;        /* default DBL_MAX */
  int ns, nv, nm;                   /* address counts */
  bool dedup;                       /* exact-duplicate cache; default on */
  bool no_shortcuts;                /* --shortcuts=false (doc/shortcuts.md) */
  const char *progress_log;         /* JSON lines file or NULL */
  int workers;                      /* experiments run at once; default 1 */
  /* Tiered execution (off without the JIT) and its knobs. */
  zj_tier_mode jit;                 /* default off (the CLI's: auto) */
  /* The tier's counters on every progress line (the CLI: when --jit is
     given); the `Tier summary:` line comes either way. */
  bool jit_progress;
  zj_policy_knobs jit_knobs;
  int jit_opt_level;                /* default 1 */
  const char *jit_opt_flags;        /* NULL, or GCC options for the
                                       optimized tier (zj_jit_opts.flags);
                                       must outlive the experiment */
  /* Progressive hurdles on the search tasks (default off). */
  bool hurdles;
  int hurdle_tasks;                 /* default 1 */
  double hurdle_percentile;         /* default 50 */
  /* Islands with migration (doc/islands.md). */
  int islands;                      /* populations per experiment; 1 */
  int64_t migration_interval;       /* individuals per island; 0 = never */
  double migration_fraction;        /* 0.5 */
  zj_topology migration_topology;   /* all */
  const struct zj_comm *comm;       /* ranks sharing the islands; NULL = one */
  /* Checkpoint and resume (doc/checkpoint.md).  With a checkpoint, an
     interrupt by SIGTERM parks every island at its next generation
     boundary, writes a last checkpoint and stops (-1, err says so)
     instead of reporting the best so far. */
  const char *checkpoint;           /* file to write; NULL = none */
  double checkpoint_every;          /* seconds; default 300 */
  char **ckpt_args;                 /* the run's flags, kept in the file */
  int n_ckpt_args;
  const struct zj_ckpt *resume;     /* borrowed; NULL = a fresh run */
  int64_t resume_gen;               /* several ranks: manifest generation */
  /* Set (e.g. by a signal handler) to stop at the next evaluation and
     report the best algorithm so far; NULL = never. */
  const zj_stop *interrupt;
  bool status_line;                 /* live status on stderr (a TTY) */
} zj_experiment_cfg;

typedef struct zj_experiment_summary {
  double final_fitness, best_select_fitness;
  double hall_of_fame_fitness;      /* best search fitness ever evaluated */
  zj_program best;                  /* the final algorithm (caller frees) */
  long individuals;                 /* over all experiments */
  int experiments;
  double seconds;
  int interrupted;                  /* the stop reason (signal), 0 = none */
} zj_experiment_summary;

void zj_experiment_cfg_init (zj_experiment_cfg *cfg);
void zj_experiment_cfg_free (zj_experiment_cfg *cfg);
/* A lower bound of the bytes the run needs (all workers); `driver` gets
   the spec field behind the largest part.  zj_run_experiments refuses a
   run that needs more than the machine's memory. */
double zj_experiment_memory (const zj_experiment_cfg *cfg, char *driver,
                             size_t n);
/* Runs everything, printing to out.  Returns 0, or -1 with err set
   (also after a checkpoint-and-stop on SIGTERM). */
int zj_run_experiments (zj_experiment_cfg *cfg, FILE *out,
                        zj_experiment_summary *sum, zj_error *err);
#endif
