/* laneutil.h -- tasks, an SGD Learn and the lane-vs-separate comparison
 * shared by the lane interpreter suites test_lanes*.c (include after
 * criterion.h and testutil.h). */
#ifndef ZJ_LANEUTIL_H
#define ZJ_LANEUTIL_H
#include "internal.h"

#define MAX_NT 19
#define NREC 32         /* errors recorded: more than any run validates */

/* nt tasks with the same counts.  Task k % 4 == 3 has huge labels (aborts
   in training); task k % 5 == 4 has one huge validation label at index 4
   (its validation passes abort half-way, training goes on). */
static inline zj_task *
make_tasks (int F, int nt, int ntr, int nva, int epochs, zj_eval_type et,
            uint64_t seed)
{
  return zj_test_lane_tasks (F, nt, ntr, nva, epochs, et, seed, true);
}

/* Learn of SGD on v1 with the rate in s2, using s<tmp> as scratch:
   s<tmp> = (s0 - s1) * s2;  v2 = s<tmp> * v0;  v1 = v1 + v2. */
static inline void
push_sgd_learn (zj_program *p, int tmp)
{
  zj_fn_push (&p->fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_DIFF_OP, 0, 1, tmp));
  zj_fn_push (&p->fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_PRODUCT_OP, tmp, 2, tmp));
  zj_fn_push (&p->fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_VECTOR_PRODUCT_OP, tmp, 0, 2));
  zj_fn_push (&p->fn[ZJ_LEARN], zj_test_ins (ZJ_VECTOR_SUM_OP, 1, 2, 1));
}

typedef struct counts { int evals, aborted, vaborted; } counts;

/* Lanes vs separate evaluations of one prepared program; adds what was
   exercised to *c. */
static inline void
check_program (const zj_prepared *pp, const zj_task *ts, int nt,
               const zj_eval_opts *o, zj_workspace *ws1, zj_workspace *ws2,
               const char *what, counts *c)
{
  const zj_task *ptrs[MAX_NT];
  double te1[MAX_NT][NREC], ve1[MAX_NT][NREC], te2[MAX_NT][NREC], ve2[MAX_NT][NREC];
  zj_eval_result rl[MAX_NT];
  double fl[MAX_NT];
  for (int k = 0; k < nt; k++)
    {
      ptrs[k] = &ts[k];
      rl[k] = (zj_eval_result) { 0 };
      rl[k].train_err = te2[k];
      rl[k].valid_err = ve2[k];
    }
  cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, nt, o, NULL, 0, ws2, rl, fl), 0, "%s", what);
  for (int k = 0; k < nt; k++)
    {
      zj_eval_result rs = { 0 };
      rs.train_err = te1[k];
      rs.valid_err = ve1[k];
      zj_rng unused;
      zj_rng_seed (&unused, 1);
      double fs = zj_interp_eval_task (pp, &ts[k], o, &unused, ws1, &rs);
      cr_assert (memcmp (&fs, &fl[k], sizeof fs) == 0,
                 "%s task %d: %.17g vs %.17g", what, k, fs, fl[k]);
      cr_assert (memcmp (&fs, &rl[k].fitness, sizeof fs) == 0, "%s task %d", what, k);
      cr_assert_eq (rs.train_steps, rl[k].train_steps, "%s task %d", what, k);
      cr_assert_eq (rs.aborted, rl[k].aborted, "%s task %d", what, k);
      cr_assert_eq (rs.n_train_err, rl[k].n_train_err, "%s task %d", what, k);
      cr_assert_eq (rs.n_valid_err, rl[k].n_valid_err, "%s task %d", what, k);
      cr_assert (memcmp (te1[k], te2[k], sizeof (double) * (size_t) rs.n_train_err) == 0,
                 "%s task %d", what, k);
      cr_assert (memcmp (ve1[k], ve2[k], sizeof (double) * (size_t) rs.n_valid_err) == 0,
                 "%s task %d", what, k);
      c->evals++;
      c->aborted += rs.aborted;
      /* A training-complete run that recorded fewer validation errors than
         it validated examples had a validation pass abort. */
      const int nv = o->n_valid >= 0 && o->n_valid < ts[k].n_valid ? o->n_valid
                                                                   : ts[k].n_valid;
      const long passes = (rs.train_steps + ts[k].n_train - 1) / ts[k].n_train;
      const long seen = passes * nv < o->record_errors ? passes * nv
                                                       : o->record_errors;
      if (!rs.aborted && rs.n_valid_err < seen)
        c->vaborted++;
    }
}
#endif
