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
  double train_err[ZJ_FEC_MAX_ERRORS], valid_err[ZJ_FEC_MAX_ERRORS];
  double base_setup_cost, base_train_cost;   /* budget baseline, per F */
  int budget_F;
  zj_program baseline;
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
  cfg->dedup_slots = 4096;
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
  e->fit = zj_xcalloc ((size_t) (n_tasks ? n_tasks : 1), sizeof (double));
  if (cfg->fec)
    e->fec = zj_fec_new (cfg->fec_cache_size, cfg->fec_forget_every);
  zj_program_init (&e->baseline);
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
  free (e->fit);
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

static double
eval_task (zj_evaluator *e, const zj_prepared *pp, const zj_program *p,
           const zj_task *t)
{
  zj_workspace *ws = workspace_for (e, t->F);
  const long n_real = budget_steps (e, p, t);
  zj_eval_opts o;
  zj_eval_opts_default (&o);
  o.max_abs_error = e->cfg.max_abs_error;
  zj_eval_result r = { 0 };
  uint64_t key = 0;
  if (e->fec)
    {
      o.n_all_train = e->cfg.fec_train;
      o.n_valid = e->cfg.fec_valid;
      o.record_errors = ZJ_FEC_MAX_ERRORS;
      r.train_err = e->train_err;
      r.valid_err = e->valid_err;
      zj_rng_seed (&e->fec_rng, 235732282);
      zj_interp_eval_task (pp, t, &o, &e->fec_rng, ws, &r);
      e->train_steps += r.train_steps;
      e->cnt.examples += r.train_steps + r.n_valid_err;
      key = zj_fec_hash (r.train_err, r.n_train_err, r.valid_err,
                         r.n_valid_err, t->index, n_real);
      double f;
      if (zj_fec_lookup (e->fec, key, &f))
        {
          e->cnt.fec_hits++;
          return f;
        }
      e->cnt.fec_misses++;
      o.record_errors = 0;
      o.n_valid = -1;
    }
  o.n_all_train = n_real;
  r.train_steps = 0;
  double f = 0.0;
  if (n_real > 0)
    {
      f = zj_interp_eval_task (pp, t, &o, e->rng, ws, &r);
      e->cnt.task_evals++;
      e->train_steps += r.train_steps;
      e->cnt.examples += r.train_steps + t->n_valid;
    }
  if (e->fec)
    zj_fec_insert (e->fec, key, f);
  return f;
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
  zj_prepared *pp = zj_prepare (p, &e->shape, true, &err);
  if (!pp)
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
          zj_prepared_free (pp);
          return slot->fitness;
        }
    }
  for (int i = 0; i < e->n_tasks; i++)
    e->fit[i] = eval_task (e, pp, p, &e->tasks[i]);
  double f = zj_combine_fitness (e->fit, e->n_tasks, e->cfg.mode);
  if (slot)
    {
      slot->used = true;
      slot->key = key;
      slot->fitness = f;
      zj_program_copy (&slot->prog, pruned);
    }
  zj_prepared_free (pp);
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
