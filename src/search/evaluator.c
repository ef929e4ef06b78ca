/* evaluator.c -- evaluate a program on every task and combine.
 *
 * This file: the evaluator's configuration, life and counters, steps 1,
 * 2 and 5 below (zj_evaluator_eval_child), the tier and checkpoints.
 * Steps 3 and 4, the runs on the tasks, are in evaluator_run.c; the
 * evaluator's state, shared by both, in evaluator_internal.h.
 *
 * Order of work for one program (zj_evaluator_eval):
 * 1. prepare: check and prune it; the train budget's steps per task
 *    (budget.c).  A child (zj_evaluator_eval_child) whose parent's prune
 *    tells its own (zj_prune_reuse: the mutation left the liveness
 *    alone) is pruned by that memo, and one that prunes to its parent's
 *    program takes its duplicate-cache key too;
 * 2. dedup: if it has no random ops and the very same pruned program
 *    (structure and constants) was evaluated recently, reuse that fitness:
 *    nothing executes, no random number is drawn (dedup.c);
 * 3. FEC: per task a mini-run whose errors fingerprint the program's
 *    behaviour; cached fingerprints give the fitness (fec.c);
 * 4. run: the real evaluations of the misses with the shared generator,
 *    through the hurdle when it is on (hurdle.c);
 * 5. combine the tasks' fitnesses (fitness.c).
 *
 * Native code is reached only through the tier door (tier_door.h): a
 * candidate runs native code when its structure's code is ready;
 * otherwise the interpreter runs and the tier may queue a compile, picked
 * up at the next task boundary.  The order of FEC lookups/inserts and of
 * random draws is the same either way, and native code is bit-identical,
 * so results never depend on the tier.
 */
#include "evaluator_internal.h"
#include "stash.h"
#include "ckpt.h"
#include "identity.h"
#include <stdlib.h>
#include <string.h>

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
  cfg->hurdle_tasks = 1;
  cfg->hurdle_percentile = 50.0;
  cfg->hurdle_window = 512;
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
  e->skip = zj_xcalloc (nt, sizeof (bool));
  if (cfg->hurdles)
    zj_hurdle_init (&e->hurdle, cfg->hurdle_window, cfg->hurdle_percentile);
  e->task_keys = zj_xcalloc (nt, sizeof (uint64_t));
  e->run_keys = zj_xcalloc (nt, sizeof (uint64_t));
  for (int i = 0; i < n_tasks; i++)
    {
      e->task_ptrs[i] = &tasks[i];
      e->task_keys[i] = zj_lane_task_key (&tasks[i]);
    }
  if (cfg->fec)
    e->fec = zj_stash_take_fec (cfg->stash, cfg->fec_cache_size,
                                cfg->fec_forget_every);
  zj_program_init (&e->prepared.prog);
  if (zj_budget_init (&e->budget, cfg->budget, cfg->budget_baseline,
                      cfg->budget_factor, sp, rng, err) != 0)
    {
      zj_evaluator_free (e);
      return NULL;
    }
  if (cfg->dedup)
    e->dedup = zj_stash_take_dedup (cfg->stash, cfg->dedup_slots);
  if (!cfg->budget)
    for (int i = 0; i < n_tasks; i++)
      e->n_real[i] = zj_budget_steps (&e->budget, NULL, &tasks[i]);
  return e;
}

void
zj_evaluator_free (zj_evaluator *e)
{
  if (!e)
    return;
  zj_door_close (e->door);
  for (int i = 0; i < 33; i++)
    {
      zj_workspace_free (e->ws[i]);
      zj_workspace_free (e->ws2[i]);
      for (int j = 0; j < ZJ_DOOR_GROUP_MAX - 1; j++)
        zj_workspace_free (e->wsg[i][j]);
    }
  zj_stash_put_dedup (e->cfg.stash, e->dedup);
  zj_stash_put_fec (e->cfg.stash, e->fec);
  zj_budget_free (&e->budget);
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
  free (e->task_keys);
  free (e->run_keys);
  free (e->skip);
  zj_hurdle_free (&e->hurdle);
  free (e);
}

static bool
has_random_ops (const zj_program *p)
{
  return zj_fn_is_random_inl (p, ZJ_SETUP)
         || zj_fn_is_random_inl (p, ZJ_PREDICT)
         || zj_fn_is_random_inl (p, ZJ_LEARN);
}

double
zj_evaluator_eval (zj_evaluator *e, const zj_program *p)
{
  return zj_evaluator_eval_child (e, p, NULL, NULL, NULL);
}

double
zj_evaluator_eval_child (zj_evaluator *e, const zj_program *p,
                         const zj_prune_memo *parent,
                         const zj_mut_site *site, zj_prune_memo *memo)
{
  e->cnt.evaluations++;
  e->last_hash = 0;
  e->want_rank = false;
  zj_prune_memo scratch;
  if (!memo)
    memo = &scratch;
  /* 1. prepare: in full, or from the parent's memo as far as it tells
     the child's prune (zj_prune_reuse; the same result either way). */
  const int reuse = parent ? zj_prune_reuse (p, &e->shape, parent, site, memo)
                           : ZJ_REUSE_NONE;
  const bool dedup_on = e->dedup && !e->cfg.budget;
  double f;
  /* A child that prunes to its parent's program, still in the duplicate
     cache where the parent left or found it (the tag): zj_dedup_find's
     hit, without building or comparing the program. */
  if (reuse == ZJ_REUSE_PRUNED && dedup_on
      && zj_dedup_find_tagged (e->dedup, memo->key, memo->tag, &f))
    {
      e->memo_prunes++;
      e->cnt.dedup_hits++;
      return f;
    }
  zj_prepared *pp = &e->prepared;
  if (reuse != ZJ_REUSE_NONE)
    {
      zj_prune_apply (p, memo, &pp->prog);
      e->memo_prunes++;
    }
  else if (zj_prune_checked_memo (p, &e->shape, &pp->prog, memo) != 0)
    return 0.0;
  pp->shape = e->shape;
  const zj_program *pruned = zj_prepared_program (pp);
  const bool random = has_random_ops (pruned);
  /* 2. dedup.  The budget depends on the unpruned program, so dedup only
     without it. */
  const bool dedup = dedup_on && !random;
  uint64_t key = 0;
  if (dedup)
    {
      if (!memo->keyed)
        {
          memo->key = zj_program_key (pruned);
          memo->keyed = memo->valid;
        }
      key = memo->key;
      if (zj_dedup_find (e->dedup, pruned, key, &f))
        {
          e->cnt.dedup_hits++;
          memo->tag = zj_dedup_slot_tag (e->dedup, key);
          return f;
        }
      zj_dedup_prefetch (e->dedup, key, 0);
    }
  /* Without a budget every task runs all its steps (set once, in
     zj_evaluator_new). */
  if (e->cfg.budget)
    for (int i = 0; i < e->n_tasks; i++)
      e->n_real[i] = zj_budget_steps (&e->budget, p, &e->tasks[i]);
  /* 3.-4. FEC and runs, natively where the door has code. */
  e->all_ex = zj_ev_all_examples (e);
  e->last_hash = zj_door_begin (e->door, pp, e->all_ex);
  /* Random ops in Setup only still batch: the lanes run each task's
     Setup on its own, in task order (zj_interp_eval_lanes). */
  const bool batch = e->cfg.batch && !zj_fn_is_random_inl (pruned, ZJ_PREDICT)
                     && !zj_fn_is_random_inl (pruned, ZJ_LEARN);
  e->store_pending = dedup;
  e->store_key = key;
  e->snap_id++;
  zj_ev_eval_tasks (e, pp, batch);
  e->want_rank = zj_door_end (e->door, e->cfg.final_stage);
  /* 5. combine */
  f = zj_combine_fitness (e->fit, e->n_tasks, e->cfg.mode);
  if (dedup)
    memo->tag = zj_dedup_store (e->dedup, pruned, key, f);
  return f;
}

/* ---------------------------------------------------------- the tier */
void
zj_evaluator_set_tier (zj_evaluator *e, struct zj_tier *tier)
{
  zj_door_close (e->door);
  e->door = zj_door_open (tier, e->tasks, e->n_tasks, e->shape.F);
  for (int i = 0; i < 33; i++)
    if (e->ws[i])
      zj_door_attach (e->door, e->ws[i]);
}

bool
zj_evaluator_tier_stats (const zj_evaluator *e, zj_tier_stats *s)
{
  return zj_door_stats (e->door, s);
}

uint64_t
zj_evaluator_last_structure (const zj_evaluator *e)
{
  return e->last_hash;
}

bool
zj_evaluator_wants_rank (const zj_evaluator *e)
{
  return e->want_rank;
}

void
zj_evaluator_promote (zj_evaluator *e, double children)
{
  if (!e->want_rank)
    return;
  e->want_rank = false;
  zj_door_promote (e->door, &e->prepared, children);
}

void
zj_evaluator_note_child (zj_evaluator *e, bool kept)
{
  zj_door_note_child (e->door, kept);
}

/* ---------------------------------------------------------- counters */
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

long
zj_evaluator_memo_prunes (const zj_evaluator *e)
{
  return e->memo_prunes;
}

unsigned long
zj_evaluator_resumed (const zj_evaluator *e)
{
  unsigned long n = 0;
  for (int i = 0; i < 33; i++)
    n += e->ws[i] ? e->ws[i]->n_resumed : 0;
  return n;
}

const zj_fec *
zj_evaluator_fec (const zj_evaluator *e)
{
  return e->fec;
}

/* ---------------------------------------------------------- checkpoint */
void
zj_evaluator_export (const zj_evaluator *e, zj_ckpt_eval *x)
{
  memset (x, 0, sizeof *x);
  x->train_steps = e->train_steps;
  const long c[ZJ_CKPT_EVAL_COUNTERS] = {
    e->cnt.evaluations, e->cnt.dedup_hits, e->cnt.fec_hits,
    e->cnt.fec_misses, e->cnt.task_evals, e->cnt.examples, e->cnt.hurdled,
    e->cnt.lane_evals, e->cnt.sc_eligible, e->cnt.shortcuts };
  for (int i = 0; i < ZJ_CKPT_EVAL_COUNTERS; i++)
    x->cnt[i] = c[i];
  x->fec_capacity = -1;
  if (e->fec)
    zj_fec_export (e->fec, x);
  if (e->dedup)
    zj_dedup_export (e->dedup, x);
  if (e->hurdle.ring)
    {
      x->hcount = e->hurdle.count;
      x->hthreshold = e->hurdle.threshold;
      x->n_hring = (uint64_t) e->hurdle.window;
      x->hring = zj_xcalloc (x->n_hring, sizeof (double));
      memcpy (x->hring, e->hurdle.ring, x->n_hring * sizeof (double));
    }
}

int
zj_evaluator_import (zj_evaluator *e, const zj_ckpt_eval *x, zj_error *err)
{
  if ((x->fec_capacity >= 0) != (e->fec != NULL)
      || (x->dedup_slots > 0) != (e->dedup != NULL)
      || x->n_hring != (uint64_t) (e->hurdle.ring ? e->hurdle.window : 0))
    {
      zj_error_set (err, "evaluator caches (fec, duplicate cache, hurdles) do not match the flags and spec");
      return -1;
    }
  if (e->fec && zj_fec_import (e->fec, x, err) != 0)
    return -1;
  if (e->dedup && zj_dedup_import (e->dedup, x, &e->shape, err) != 0)
    return -1;
  if (e->hurdle.ring)
    {
      e->hurdle.count = x->hcount;
      e->hurdle.threshold = x->hthreshold;
      memcpy (e->hurdle.ring, x->hring, x->n_hring * sizeof (double));
    }
  e->train_steps = x->train_steps;
  e->cnt = (zj_eval_counters) { x->cnt[0], x->cnt[1], x->cnt[2], x->cnt[3],
                                x->cnt[4], x->cnt[5], x->cnt[6], x->cnt[7],
                                x->cnt[8], x->cnt[9] };
  return 0;
}

