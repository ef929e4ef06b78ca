/* test_lanes_matvec.c -- the lanes' matrix-vector products (row blocks,
 * read-only matrices per task, the task kernel) equal separate runs. */
#include <criterion/criterion.h>
#include <math.h>
#include "testutil.h"
#include "laneutil.h"
#include "kernels_lanes.h"

/* Matrix-vector products (computed a block of rows at a time with the
   sums in registers, zj_lmatvec) equal separate evaluations: every F,
   1 to 3 lane vectors (and the run-time count), products reading the
   example row, a vector written in place (v3 = dot(m1, v3)) in Predict
   and in Learn, matrices that start at zero (signed zeros: sums start
   at -0.0) and then change with every step. */
static const char *const matvec_program = ZJ_TEST_MATVEC_PROGRAM;

Test (lanes, matrix_vector_row_blocks_equal_separate_evaluations)
{
  zj_program p;
  zj_program_init (&p);
  zj_error err;
  cr_assert_eq (zj_program_parse (matvec_program, "matvec", &p, &err), 0,
                "%s", err.msg);
  const int Fs[] = { 2, 4, 8, 16, 32 };
  const int nts[] = { 1, 3, 10, 17 };
  int evals = 0;
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 4; j++)
      for (int et = 0; et < 2; et++)
        {
          const zj_shape sh = { Fs[i], 5, 4, 3 };
          const zj_eval_type type = et ? ZJ_ACCURACY : ZJ_RMS_ERROR;
          zj_task *ts = make_tasks (Fs[i], nts[j], 40, 7, 2, type,
                                    100 + (uint64_t) (i * 8 + j * 2 + et));
          zj_workspace *ws1 = zj_workspace_new (&sh);
          zj_workspace *ws2 = zj_workspace_new (&sh);
          zj_prepared *pp = zj_test_prepare (&p, &sh, false);
          cr_assert_eq (zj_prepared_program (pp)->fn[ZJ_PREDICT].n, 4);
          for (int rec = 0; rec < 2; rec++)
            {
              zj_eval_opts o;
              zj_eval_opts_default (&o);
              o.record_errors = rec ? NREC : 0;   /* 0: fused steps */
              char what[96];
              snprintf (what, sizeof what, "matvec F=%d nt=%d et=%d rec=%d",
                        Fs[i], nts[j], et, rec);
              counts c = { 0, 0, 0 };
              check_program (pp, ts, nts[j], &o, ws1, ws2, what, &c);
              evals += c.evals;
            }
          zj_prepared_free (pp);
          zj_workspace_free (ws1);
          zj_workspace_free (ws2);
          zj_test_tasks_free (ts, nts[j]);
        }
  cr_assert_eq (evals, 2 * 2 * 5 * (1 + 3 + 10 + 17));
  zj_program_free (&p);
}

/* Products with a matrix that Predict and Learn never write run on a
   per-task copy, eight tasks at a time (zj_lmatvec_tasks on AVX-512
   builds, F = 8 or 16): each equals separate evaluations, with signed
   zeros and values from Setup, in place (v3 = dot(m1, v3)), reading the
   example (v0) and the label in Learn, two matrices of which one is
   written (m0 keeps the lane kernel), and 1 to 17 tasks (one or more
   groups of eight, a partial last group). */
static const char *const ro_matvec_program =
  "def Setup():\n"
  "  s2 = 0.01\n"
  "  v4[0.0] = 0.75\n"
  "  v4[0.3] = -1.5\n"
  "  v4[0.9] = 0.125\n"
  "  v5[0.1] = 2.0\n"
  "  v5[0.6] = -0.5\n"
  "  m1 = outer(v4, v5)\n"
  "  m1[0.2, 0.8] = -0.25\n"
  "  m1[0.7, 0.0] = 1.25\n"
  "  m1 = m1 + m1\n"
  "def Predict():\n"
  "  v2 = dot(m1, v0)\n"
  "  v3 = dot(m0, v2)\n"
  "  v3 = dot(m1, v3)\n"
  "  v4 = dot(m1, v4)\n"
  "  s1 = dot(v3, v0)\n"
  "  s3 = dot(v4, v0)\n"
  "  s1 = s1 + s3\n"
  "def Learn():\n"
  "  s3 = s0 - s1\n"
  "  s3 = s2 * s3\n"
  "  v1 = s3 * v0\n"
  "  v5 = dot(m1, v1)\n"
  "  m2 = outer(v5, v0)\n"
  "  m0 = m0 + m2\n";

Test (lanes, read_only_matrix_products_equal_separate_evaluations)
{
  zj_program p;
  zj_program_init (&p);
  zj_error err;
  cr_assert_eq (zj_program_parse (ro_matvec_program, "ro_matvec", &p, &err),
                0, "%s", err.msg);
  const int Fs[] = { 4, 8, 16, 32 };
  const int nts[] = { 1, 3, 8, 10, 16, 17 };
  int evals = 0;
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 6; j++)
      for (int et = 0; et < 2; et++)
        {
          const zj_shape sh = { Fs[i], 5, 6, 3 };
          const zj_eval_type type = et ? ZJ_ACCURACY : ZJ_RMS_ERROR;
          zj_task *ts = make_tasks (Fs[i], nts[j], 30, 7, 2, type,
                                    700 + (uint64_t) (i * 16 + j * 2 + et));
          zj_workspace *ws1 = zj_workspace_new (&sh);
          zj_workspace *ws2 = zj_workspace_new (&sh);
          zj_prepared *pp = zj_test_prepare (&p, &sh, false);
          for (int rep = 0; rep < 3; rep++)
            {
              zj_eval_opts o;
              zj_eval_opts_default (&o);
              o.record_errors = rep == 2 ? NREC : 0;
              o.no_shortcuts = rep == 1;
              char what[96];
              snprintf (what, sizeof what, "ro matvec F=%d nt=%d et=%d rep=%d",
                        Fs[i], nts[j], et, rep);
              counts c = { 0, 0, 0 };
              check_program (pp, ts, nts[j], &o, ws1, ws2, what, &c);
              evals += c.evals;
            }
          zj_prepared_free (pp);
          zj_workspace_free (ws1);
          zj_workspace_free (ws2);
          zj_test_tasks_free (ts, nts[j]);
        }
  cr_assert_eq (evals, 3 * 2 * 4 * (1 + 3 + 8 + 10 + 16 + 17));
  zj_program_free (&p);
}

#if ZJ_LW == 8
/* The kernel itself, bit for bit against the lane kernel: matrices and
   vectors with zeros of both signs (all-zero rows: their sum's sign is
   the start value's), subnormals, infinities and NaN, every task count
   of one and two groups of eight. */
Test (lanes, task_matvec_kernel_equals_lane_kernel)
{
  zj_rng r;
  zj_rng_seed (&r, 5150);
  const double sp[] = { 0.0, -0.0, 1e-310, -1e-310, INFINITY, -INFINITY, NAN,
                        1e300, -3.5 };
  for (int F = 8; F <= 16; F += 8)
    for (int nb = 1; nb <= 2; nb++)
      for (int nr = (nb - 1) * 8 + 1; nr <= nb * 8; nr++)
        for (int rep = 0; rep < 20; rep++)
          {
            const int L = nb * ZJ_LW;
            zj_lv *A = zj_aligned_alloc ((size_t) (F * F * nb) * sizeof (zj_lv));
            zj_lv *B = zj_aligned_alloc ((size_t) (F * nb) * sizeof (zj_lv));
            zj_lv *T1 = zj_aligned_alloc ((size_t) (F * nb) * sizeof (zj_lv));
            zj_lv *T2 = zj_aligned_alloc ((size_t) (F * nb) * sizeof (zj_lv));
            double *Mt = zj_aligned_alloc ((size_t) (F * F * L) * sizeof (double));
            double *a = (double *) A, *b = (double *) B;
            for (int e = 0; e < F * F * L; e++)
              {
                const int row = (e / L) % F;
                a[e] = row == rep % F ? (zj_rng_below (&r, 2) ? 0.0 : -0.0)
                       : zj_rng_below (&r, 10) == 0 ? sp[zj_rng_below (&r, 9)]
                       : zj_rng_normal (&r);
              }
            for (int e = 0; e < F * L; e++)
              b[e] = zj_rng_below (&r, 10) == 0 ? sp[zj_rng_below (&r, 9)]
                     : zj_rng_normal (&r);
            for (int t = 0; t < nr; t++)
              for (int e = 0; e < F * F; e++)
                Mt[t * F * F + e] = a[e * L + t];
            zj_lmatvec (T1, A, B, F, nb);
            zj_lmatvec_tasks (T2, Mt, B, F, nb, nr);
            const double *x = (const double *) T1, *y = (const double *) T2;
            for (int row = 0; row < F; row++)
              for (int t = 0; t < nr; t++)
                cr_assert (memcmp (&x[row * L + t], &y[row * L + t], 8) == 0,
                           "F=%d nb=%d nr=%d row %d task %d: %a vs %a", F, nb,
                           nr, row, t, x[row * L + t], y[row * L + t]);
            free (A); free (B); free (T1); free (T2); free (Mt);
          }
}
#endif
