/* evaluator.c -- evaluate a program on every task and combine.
 *
 * Order of work for one program: prune; if it has no random ops and the
 * very same pruned program (structure and constants) was evaluated
 * recently, reuse that fitness (nothing executes, no random number is
 * drawn); otherwise per task run the FEC mini-run and, on a cache miss, the
 * real evaluation with the shared generator.
 */
#include "internal.h"
#include "evaluator.h"
#include "cost.h"
#include <string.h>

#define ZJ_FEC_MAX_ERRORS 100

typedef struct dedup_slot {
  uint64_t key;
  bool used;
  double fitness;
  zj_program prog;
} dedup_slot;

struct zj_evaluator {
  zj_evaluator_cfg cfg;
  const zj_task *tasks;
  int n_tasks;
  zj_shape shape;
  zj_rng *rng;
  zj_rng fec_rng;
  zj_fec *fec;
  zj_workspace *ws[33];        /* by F */
  double *fit;
  /* Per-task scratch, n_tasks each (errors: ZJ_FEC_MAX_ERRORS per task). */
  double *train_err, *valid_err, *bfit;
  zj_eval_result *res;
  long *n_real;
  uint64_t *keys;
  int *miss, *run;
  const zj_task **task_ptrs, **run_ptrs;
  double base_setup_cost, base_train_cost;   /* budget baseline, per F */
  int budget_F;
  zj_program baseline;
  zj_prepared prepared;        /* reused for every evaluation */
  dedup_slot *dedup;
  long train_steps;
  zj_eval_counters cnt;
};

void
zj_evaluator_cfg_default (zj_evaluator_cfg *cfg)
{
  memset (cfg, 0, sizeof *cfg);
  cfg->mode = ZJ_COMBINE_MEAN;
  cfg->max_abs_error = 100.0;
  cfg->fec_cache_size = 100000;
  cfg->fec_forget_every = 100;
  cfg->budget_baseline = ZJ_ALG_NEURAL_NET;
  cfg->budget_factor = 2.0;
  cfg->dedup = false;
  cfg->dedup_slots = 16384;
  cfg->batch = true;
}

void
zj_evaluator_cfg_from_spec (zj_evaluator_cfg *cfg, const zj_search_spec *s)
{
  zj_evaluator_cfg_default (cfg);
  cfg->mode = s->fitness_combination_mode;
  cfg->max_abs_error = s->max_abs_error;
  cfg->fec = s->has_fec;
  cfg->fec_train = s->fec_num_train_examples;
  cfg->fec_valid = s->fec_num_valid_examples;
  cfg->fec_cache_size = s->fec_cache_size;
  cfg->fec_forget_every = s->fec_forget_every;
  cfg->budget = s->has_train_budget;
  cfg->budget_baseline = s->train_budget_baseline;
  cfg->budget_factor = s->train_budget_threshold_factor;
  cfg->dedup = true;
}

zj_evaluator *
zj_evaluator_new (const zj_evaluator_cfg *cfg, const zj_task *tasks,
                  int n_tasks, const zj_shape *shape,
                  const zj_search_space *sp, zj_rng *rng, zj_error *err)
{
  if (cfg->fec)
    for (int i = 0; i < n_tasks; i++)
      {
        const zj_task *t = &tasks[i];
        if (cfg->fec_train > (long) t->n_train * t->epochs
            || cfg->fec_valid > t->n_valid || cfg->fec_train > ZJ_FEC_MAX_ERRORS
            || cfg->fec_valid > ZJ_FEC_MAX_ERRORS || cfg->fec_train <= 0
            || cfg->fec_valid <= 0)
          {
            zj_error_set (err, "fec: num_train_examples %d / num_valid_examples %d must be in 1..100 and fit task %d (%d train x %d epochs, %d valid)",
                          cfg->fec_train, cfg->fec_valid, i, t->n_train,
                          t->epochs, t->n_valid);
            return NULL;
          }
      }
  zj_evaluator *e = zj_xcalloc (1, sizeof *e);
  e->cfg = *cfg;
  e->tasks = tasks;
  e->n_tasks = n_tasks;
  e->shape = *shape;
  e->rng = rng;
  const size_t nt = (size_t) (n_tasks ? n_tasks : 1);
  e->fit = zj_xcalloc (nt, sizeof (double));
  e->bfit = zj_xcalloc (nt, sizeof (double));
  e->train_err = zj_xcalloc (nt * ZJ_FEC_MAX_ERRORS, sizeof (double));
  e->valid_err = zj_xcalloc (nt * ZJ_FEC_MAX_ERRORS, sizeof (double));
  e->res = zj_xcalloc (nt, sizeof (zj_eval_result));
  e->n_real = zj_xcalloc (nt, sizeof (long));
  e->keys = zj_xcalloc (nt, sizeof (uint64_t));
  e->miss = zj_xcalloc (nt, sizeof (int));
  e->run = zj_xcalloc (nt, sizeof (int));
  e->task_ptrs = zj_xcalloc (nt, sizeof (zj_task *));
  e->run_ptrs = zj_xcalloc (nt, sizeof (zj_task *));
  for (int i = 0; i < n_tasks; i++)
    e->task_ptrs[i] = &tasks[i];
  if (cfg->fec)
    e->fec = zj_fec_new (cfg->fec_cache_size, cfg->fec_forget_every);
  zj_program_init (&e->baseline);
  zj_program_init (&e->prepared.prog);
  if (cfg->budget)
    {
      if (!sp || zj_generate_algorithm (cfg->budget_baseline, sp, rng,
                                        &e->baseline, err) != 0)
        {
          if (!sp)
            zj_error_set (err, "train_budget needs a search space");
          zj_evaluator_free (e);
          return NULL;
        }
      e->budget_F = -1;
    }
  if (cfg->dedup)
    {
      e->dedup = zj_xcalloc ((size_t) cfg->dedup_slots, sizeof (dedup_slot));
      for (int i = 0; i < cfg->dedup_slots; i++)
        zj_program_init (&e->dedup[i].prog);
    }
  return e;
}

void
zj_evaluator_free (zj_evaluator *e)
{
  if (!e)
    return;
  for (int i = 0; i < 33; i++)
    zj_workspace_free (e->ws[i]);
  if (e->dedup)
    {
      for (int i = 0; i < e->cfg.dedup_slots; i++)
        zj_program_free (&e->dedup[i].prog);
      free (e->dedup);
    }
  zj_fec_free (e->fec);
  zj_program_free (&e->baseline);
  zj_program_free (&e->prepared.prog);
  free (e->fit);
  free (e->bfit);
  free (e->train_err);
  free (e->valid_err);
  free (e->res);
  free (e->n_real);
  free (e->keys);
  free (e->miss);
  free (e->run);
  free (e->task_ptrs);
  free (e->run_ptrs);
  free (e);
}

static zj_workspace *
workspace_for (zj_evaluator *e, int F)
{
  if (!e->ws[F])
    {
      zj_shape s = e->shape;
      s.F = F;
      e->ws[F] = zj_workspace_new (&s);
    }
  return e->ws[F];
}

static int
run_batch (zj_evaluator *e, const zj_prepared *pp, const zj_task **ts, int nt,
           const zj_eval_opts *o, zj_eval_result *res, double *fit)
{
  return zj_interp_eval_batch (pp, ts, nt, o, workspace_for (e, ts[0]->F),
                               res, fit);
}

/* Training steps the budget allows for task t: all or none. */
static long
budget_steps (zj_evaluator *e, const zj_program *p, const zj_task *t)
{
  const long N = (long) t->n_train * t->epochs;
  if (!e->cfg.budget)
    return N;
  if (e->budget_F != t->F)
    {
      e->base_setup_cost = zj_fn_cost (&e->baseline.fn[ZJ_SETUP], t->F);
      e->base_train_cost = zj_fn_cost (&e->baseline.fn[ZJ_PREDICT], t->F)
                           + zj_fn_cost (&e->baseline.fn[ZJ_LEARN], t->F);
      e->budget_F = t->F;
    }
  const double train = zj_fn_cost (&p->fn[ZJ_PREDICT], t->F)
                       + zj_fn_cost (&p->fn[ZJ_LEARN], t->F);
  const double cost = zj_fn_cost (&p->fn[ZJ_SETUP], t->F) + (double) N * train;
  const double limit = e->cfg.budget_factor
                       * (e->base_setup_cost + (double) N * e->base_train_cost);
  return cost <= limit ? N : 0;
}

static bool
has_random_ops (const zj_program *p)
{
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    for (int i = 0; i < p->fn[c].n; i++)
      if (zj_op_is_random (p->fn[c].ins[i].op))
        return true;
  return false;
}

/* Evaluate p on every task: FEC lookups for all tasks first, then the
   real evaluations of the misses (batched across tasks when the program
   draws no random numbers, else one by one in task order with the shared
   generator), then the inserts.  Batched or not, each task's result and
   the cache's state are the same. */
static void
eval_tasks (zj_evaluator *e, const zj_prepared *pp, const zj_program *p,
            bool batch)
{
  const int n = e->n_tasks;
  zj_eval_opts o;
  zj_eval_opts_default (&o);
  o.max_abs_error = e->cfg.max_abs_error;
  int n_miss = 0;
  for (int i = 0; i < n; i++)
    {
      e->n_real[i] = budget_steps (e, p, &e->tasks[i]);
      e->res[i] = (zj_eval_result) { 0 };
    }
  if (e->fec)
    {
      o.n_all_train = e->cfg.fec_train;
      o.n_valid = e->cfg.fec_valid;
      o.record_errors = ZJ_FEC_MAX_ERRORS;
      for (int i = 0; i < n; i++)
        {
          e->res[i].train_err = e->train_err + (size_t) i * ZJ_FEC_MAX_ERRORS;
          e->res[i].valid_err = e->valid_err + (size_t) i * ZJ_FEC_MAX_ERRORS;
        }
      if (!batch || run_batch (e, pp, e->task_ptrs, n, &o, e->res, e->fit) != 0)
        for (int i = 0; i < n; i++)
          {
            /* The FEC generator restarts from its fixed seed every time. */
            zj_rng_seed (&e->fec_rng, 235732282);
            zj_interp_eval_task (pp, &e->tasks[i], &o, &e->fec_rng,
                                 workspace_for (e, e->tasks[i].F), &e->res[i]);
          }
      for (int i = 0; i < n; i++)
        {
          const zj_eval_result *r = &e->res[i];
          e->train_steps += r->train_steps;
          e->cnt.examples += r->train_steps + r->n_valid_err;
          e->keys[i] = zj_fec_hash (r->train_err, r->n_train_err, r->valid_err,
                                    r->n_valid_err, e->tasks[i].index,
                                    e->n_real[i]);
          if (zj_fec_lookup (e->fec, e->keys[i], &e->fit[i]))
            e->cnt.fec_hits++;
          else
            {
              e->cnt.fec_misses++;
              e->miss[n_miss++] = i;
            }
        }
    }
  else
    for (int i = 0; i < n; i++)
      e->miss[n_miss++] = i;
  /* Real evaluations of the misses; budget-starved tasks score 0. */
  o.n_valid = -1;
  o.record_errors = 0;
  int n_run = 0;
  for (int k = 0; k < n_miss; k++)
    {
      const int i = e->miss[k];
      e->fit[i] = 0.0;
      if (e->n_real[i] > 0)
        e->run[n_run++] = i;
    }
  bool done = false;
  if (batch && n_run > 1)
    {
      bool same_n = true;
      for (int k = 0; k < n_run; k++)
        {
          e->run_ptrs[k] = &e->tasks[e->run[k]];
          e->res[k] = (zj_eval_result) { 0 };
          same_n = same_n && e->n_real[e->run[k]] == e->n_real[e->run[0]];
        }
      o.n_all_train = e->n_real[e->run[0]];
      if (same_n
          && run_batch (e, pp, e->run_ptrs, n_run, &o, e->res, e->bfit) == 0)
        {
          for (int k = 0; k < n_run; k++)
            {
              const int i = e->run[k];
              e->fit[i] = e->bfit[k];
              e->train_steps += e->res[k].train_steps;
              e->cnt.examples += e->res[k].train_steps + e->tasks[i].n_valid;
            }
          e->cnt.task_evals += n_run;
          done = true;
        }
    }
  if (!done)
    for (int k = 0; k < n_run; k++)
      {
        const int i = e->run[k];
        zj_eval_result r = { 0 };
        o.n_all_train = e->n_real[i];
        e->fit[i] = zj_interp_eval_task (pp, &e->tasks[i], &o, e->rng,
                                         workspace_for (e, e->tasks[i].F), &r);
        e->cnt.task_evals++;
        e->train_steps += r.train_steps;
        e->cnt.examples += r.train_steps + e->tasks[i].n_valid;
      }
  if (e->fec)
    for (int k = 0; k < n_miss; k++)
      zj_fec_insert (e->fec, e->keys[e->miss[k]], e->fit[e->miss[k]]);
}

static uint64_t
program_key (const zj_program *p)
{
  uint64_t h = 0x5eed;
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    {
      h = zj_hash_mix (h, (uint64_t) p->fn[c].n);
      for (int i = 0; i < p->fn[c].n; i++)
        {
          const zj_instr *in = &p->fn[c].ins[i];
          uint64_t a, f01, f2;
          memcpy (&a, &in->act, sizeof a);
          memcpy (&f01, in->fd, sizeof f01);
          uint32_t f2u;
          memcpy (&f2u, &in->fd[2], sizeof f2u);
          f2 = f2u;
          h = zj_hash_mix (h, (uint64_t) in->op | (uint64_t) in->in1 << 16
                              | (uint64_t) in->in2 << 32 | (uint64_t) in->out << 48);
          h = zj_hash_mix (h, a ^ (f01 * 31) ^ (f2 << 7));
        }
    }
  return h;
}

double
zj_evaluator_eval (zj_evaluator *e, const zj_program *p)
{
  e->cnt.evaluations++;
  zj_error err;
  zj_prepared *pp = &e->prepared;
  if (zj_prepare_into (pp, p, &e->shape, true, &err) != 0)
    return 0.0;
  const zj_program *pruned = zj_prepared_program (pp);
  dedup_slot *slot = NULL;
  uint64_t key = 0;
  /* The budget depends on the unpruned program, so dedup only without it. */
  if (e->dedup && !e->cfg.budget && !has_random_ops (pruned))
    {
      key = program_key (pruned);
      slot = &e->dedup[key & (uint64_t) (e->cfg.dedup_slots - 1)];
      if (slot->used && slot->key == key && zj_program_equal (&slot->prog, pruned))
        {
          e->cnt.dedup_hits++;
          return slot->fitness;
        }
    }
  eval_tasks (e, pp, p, e->cfg.batch && !has_random_ops (pruned));
  double f = zj_combine_fitness (e->fit, e->n_tasks, e->cfg.mode);
  if (slot)
    {
      slot->used = true;
      slot->key = key;
      slot->fitness = f;
      zj_program_copy (&slot->prog, pruned);
    }
  return f;
}

const double *
zj_evaluator_task_fitness (const zj_evaluator *e)
{
  return e->fit;
}

long
zj_evaluator_train_steps (const zj_evaluator *e)
{
  return e->train_steps;
}

zj_eval_counters
zj_evaluator_counters (const zj_evaluator *e)
{
  return e->cnt;
}

const zj_fec *
zj_evaluator_fec (const zj_evaluator *e)
{
  return e->fec;
}
