/* opsutil.h -- the memory of one task as a struct (every s, v and m up to
 * F = 32), a Setup that writes it with const-set instructions, runs more
 * instructions and reads it back, and the reductions in the canonical
 * order: shared by the op suites test_ops.c and test_ops_edges.c (include
 * after criterion.h and testutil.h). */
#ifndef ZJ_OPSUTIL_H
#define ZJ_OPSUTIL_H
#include <math.h>
#include "internal.h"

#define NS 4
#define NV 3
#define NM 3
#define FMAX 32

typedef struct {
  int F;
  double s[NS];
  double v[NV][FMAX];
  double m[NM][FMAX][FMAX];   /* logical m[address][row][column] */
} state;

static const int sizes[] = { 2, 4, 8, 16, 32 };
#define NSIZES ((int) (sizeof sizes / sizeof sizes[0]))

/* ------------------------------------------------------------ running */

static inline zj_instr
const_s (int a, double x)
{
  zj_instr in = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, a);
  in.act = x;
  return in;
}

static inline zj_instr
const_v (int a, int i, int F, double x)
{
  zj_instr in = zj_test_ins (ZJ_VECTOR_CONST_SET_OP, 0, 0, a);
  in.fd[0] = ((float) i + 0.5f) / (float) F;
  in.fd[1] = (float) x;
  return in;
}

static inline zj_instr
const_m (int a, int r, int c, int F, double x)
{
  zj_instr in = zj_test_ins (ZJ_MATRIX_CONST_SET_OP, 0, 0, a);
  in.fd[0] = ((float) r + 0.5f) / (float) F;
  in.fd[1] = ((float) c + 0.5f) / (float) F;
  in.fd[2] = (float) x;
  return in;
}

/* Setup := (memory <- *in) followed by extra[0..n); no training. */
static inline void
run_setup (const state *in, const zj_instr *extra, int n, zj_rng *rng,
           state *out)
{
  const int F = in->F;
  zj_shape sh = { F, NS, NV, NM };
  zj_program p;
  zj_program_init (&p);
  zj_fn *f = &p.fn[ZJ_SETUP];
  for (int a = 0; a < NS; a++)
    zj_fn_push (f, const_s (a, in->s[a]));
  for (int a = 0; a < NV; a++)
    for (int i = 0; i < F; i++)
      zj_fn_push (f, const_v (a, i, F, in->v[a][i]));
  for (int a = 0; a < NM; a++)
    for (int r = 0; r < F; r++)
      for (int c = 0; c < F; c++)
        zj_fn_push (f, const_m (a, r, c, F, in->m[a][r][c]));
  for (int k = 0; k < n; k++)
    zj_fn_push (f, extra[k]);

  zj_error err;
  zj_prepared *pp = zj_prepare (&p, &sh, false, &err);
  cr_assert_not_null (pp, "zj_prepare: %s", err.msg);
  zj_workspace *ws = zj_workspace_new (&sh);
  double x[FMAX] = { 0 }, y[1] = { 0 };
  zj_task *t = zj_test_task (F, 0, x, y, 0, x, y, 1, ZJ_RMS_ERROR);
  zj_eval_result res = { 0 };
  double fit = zj_interp_eval_task (pp, t, NULL, rng, ws, &res);
  cr_assert_eq (fit, 0.0);
  cr_assert_eq (res.train_steps, 0);

  zj_layout l;
  zj_layout_init (&l, &sh);
  size_t len;
  const double *mem = zj_workspace_memory (ws, &len);
  cr_assert_eq (len, l.total);
  out->F = F;
  for (int a = 0; a < NS; a++)
    out->s[a] = mem[l.s_off + a];
  for (int a = 0; a < NV; a++)
    for (int i = 0; i < F; i++)
      out->v[a][i] = mem[l.v_off + (size_t) a * F + i];
  for (int a = 0; a < NM; a++)
    for (int r = 0; r < F; r++)
      for (int c = 0; c < F; c++)
        out->m[a][r][c] = mem[l.m_off + (size_t) a * F * F + (size_t) c * F + r];

  zj_task_free (t);
  free (t);
  zj_workspace_free (ws);
  zj_prepared_free (pp);
  zj_program_free (&p);
}

/* ------------------------------------------------ canonical-order sums */

/* Canonical lane order of reduce.h, written from its description. */
static inline double
lane_sum (const double *x, int n)
{
  double lane[4] = { 0.0, 0.0, 0.0, 0.0 };
  const int L = n < 4 ? n : 4;
  for (int i = 0; i < n; i++)
    lane[i % L] += x[i];
  if (L == 4)
    return (lane[0] + lane[1]) + (lane[2] + lane[3]);
  return lane[0] + lane[1];
}

static inline double
vec_sum (const double *v, int F)
{
  return lane_sum (v, F);
}

static inline double
vec_dot (const double *a, const double *b, int F)
{
  double p[FMAX];
  for (int i = 0; i < F; i++)
    p[i] = a[i] * b[i];
  return lane_sum (p, F);
}

/* Matrix-wide reductions walk elements in memory (column-major) order. */
static inline double
mat_sum (double m[FMAX][FMAX], int F, bool squares)
{
  static double flat[FMAX * FMAX];
  for (int c = 0; c < F; c++)
    for (int r = 0; r < F; r++)
      flat[c * F + r] = squares ? m[r][c] * m[r][c] : m[r][c];
  return lane_sum (flat, F * F);
}

static inline double
row_sum (double m[FMAX][FMAX], int r, int F, bool squares)
{
  double acc = 0.0;
  for (int c = 0; c < F; c++)
    acc += squares ? m[r][c] * m[r][c] : m[r][c];
  return acc;
}

/* Bit-equal, but any NaN matches any NaN (zeros differ by sign). */
static inline bool
same (double x, double y)
{
  if (isnan (x) || isnan (y))
    return isnan (x) && isnan (y);
  return x == y && signbit (x) == signbit (y);
}
#endif
