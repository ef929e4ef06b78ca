/* experiment_memory.c -- estimate the memory a spec needs before running it.
 *
 * The driver refuses a spec whose big allocations add up to more than the
 * machine has (zj_exp_check_memory), naming the field that drives the estimate;
 * zj_experiment_memory also serves callers that only want the figure.
 */
#include "config.h"
#include <unistd.h>
#include <stdarg.h>
#include "experiment_internal.h"

/* ------------------------------------------------------ memory estimate
 *
 * A spec whose counts are each within bounds can still ask for more
 * memory than the machine has (a million tasks of a million examples).
 * Allocating would end in an abort deep inside; instead the driver adds
 * up the big allocations first and refuses the spec, naming the field
 * that drives the estimate.  Deliberately a lower bound: only the example
 * arrays (stored twice: as given and laid out for batched evaluation),
 * the example orders, the population and the FEC cache.
 */

typedef struct mem_term {
  double bytes;
  char what[160];
} mem_term;

static void
add_term (mem_term *worst, double *total, double bytes, const char *fmt, ...)
  __attribute__ ((format (printf, 4, 5)));

static void
add_term (mem_term *worst, double *total, double bytes, const char *fmt, ...)
{
  *total += bytes;
  if (bytes > worst->bytes)
    {
      worst->bytes = bytes;
      va_list ap;
      va_start (ap, fmt);
      vsnprintf (worst->what, sizeof worst->what, fmt, ap);
      va_end (ap);
    }
}

static void
tasks_memory (const zj_task_collection *c, const char *name, double copies,
              mem_term *worst, double *total)
{
  for (int i = 0; i < c->n; i++)
    {
      const zj_task_spec *t = &c->specs[i];
      const double ex = (double) t->num_train_examples + t->num_valid_examples;
      add_term (worst, total,
                copies * t->num_tasks * (2.0 * ex * (t->features_size + 1) * 8.0
                                         + 4.0 * t->num_train_examples
                                           * t->num_train_epochs),
                "%s: tasks %d: num_tasks=%d x num_train_examples=%d + "
                "num_valid_examples=%d", name, i + 1, t->num_tasks,
                t->num_train_examples, t->num_valid_examples);
    }
}

double
zj_experiment_memory (const zj_experiment_cfg *cfg, char *driver, size_t n)
{
  const zj_search_spec *sp = &cfg->spec;
  int64_t par = cfg->workers < 1 ? 1 : cfg->workers;
  if (cfg->max_experiments > 0 && cfg->max_experiments < par)
    par = cfg->max_experiments;
  mem_term worst = { 0, "" };
  double total = 0.0;
  tasks_memory (&sp->search_tasks, "search_tasks", (double) par, &worst, &total);
  tasks_memory (&cfg->select_tasks, "select_tasks", (double) par, &worst, &total);
  tasks_memory (&cfg->final_tasks, "final_tasks", 1.0, &worst, &total);
  double instrs = 0.0;
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    instrs += sp->size_init[c] > sp->size_max[c] ? sp->size_init[c] : sp->size_max[c];
  add_term (&worst, &total,
            (double) par * sp->population_size * (cfg->islands > 1 ? cfg->islands : 1)
            * (sizeof (zj_program) + 24.0 + instrs * sizeof (zj_instr)),
            "population_size=%d", sp->population_size);
  if (sp->has_fec)
    add_term (&worst, &total, (double) par * sp->fec_cache_size * 32.0,
              "fec { cache_size=%d }", sp->fec_cache_size);
  snprintf (driver, n, "%s", worst.what);
  return total;
}

int
zj_exp_check_memory (const zj_experiment_cfg *cfg, zj_error *err)
{
  char driver[160];
  const double need = zj_experiment_memory (cfg, driver, sizeof driver);
  const long pages = sysconf (_SC_PHYS_PAGES), page = sysconf (_SC_PAGE_SIZE);
  const double have = pages > 0 && page > 0 ? (double) pages * page : 0.0;
  if (have > 0 && need > have)
    {
      zj_error_set (err, "the spec needs at least %.1f GiB (with %d workers), "
                    "more than this machine's %.1f GiB; most of it from %s",
                    need / 1073741824.0, cfg->workers < 1 ? 1 : cfg->workers,
                    have / 1073741824.0, driver);
      return -1;
    }
  return 0;
}
