/* kernels_lanes.h -- every deterministic op on task lanes, one macro each.
 *
 * The lane interpreter (interp_lanes.c) runs one program on several tasks
 * at once with the tasks side by side: element i of an address holds task
 * t's value at [i * L + t], L lanes (a multiple of the vector width ZJ_LW).
 * Each op is then a loop over whole vectors of lanes, so one dispatch does
 * the work of L scalar kernels.  Every lane performs exactly the arithmetic
 * of its kernels.h counterpart (same operation order, reductions in the
 * canonical order of reduce.h, products rounded before adding under
 * -ffp-contract=off, the same comparison forms for min/max/heaviside), so
 * each task's results are bit-identical to a separate evaluation.
 *
 * Expanded inside interp_lanes_f.h with F constant.  In scope:
 *   O, A, B  output/inputs as zj_lv pointers (vector q of element i is at
 *            [i * nb + q]);  I the decoded instruction (I->c0 constant);
 *   nb  vectors per element;  nl = nb * ZJ_LW lanes;  nr real lanes (tasks);
 *   T   scratch of F*F*nb vectors (ops whose output may alias an input
 *       through a non-elementwise pattern compute there first).
 */
#ifndef ZJ_KERNELS_LANES_H
#define ZJ_KERNELS_LANES_H

#include <math.h>
#include <stdbool.h>
#if defined __AVX__
# include <immintrin.h>
#endif

/* Lanes per vector: the widest the build's ISA has (a wider vector than the
   ISA would change the ABI of the inline helpers, -Wpsabi). */
#if defined __AVX512F__
# define ZJ_LW 8
#elif defined __AVX__
# define ZJ_LW 4
#else
# define ZJ_LW 2
#endif

/* may_alias: memory is allocated as doubles and read through these. */
typedef double zj_lv __attribute__ ((vector_size (ZJ_LW * sizeof (double)),
                                     may_alias));
typedef long long zj_li __attribute__ ((vector_size (ZJ_LW * sizeof (double)),
                                        may_alias));

#define ZJ_LINLINE static inline __attribute__ ((always_inline))

/* Every lane = c, bit for bit (0.0 + c would turn -0.0 into +0.0).  A
   broadcast instruction where there is one: GCC 12 turns the lane loop
   into one masked broadcast per lane when c is not a constant (the
   abort check's threshold was 15% of the demo's dispatch loop). */
ZJ_LINLINE zj_lv
zj_lsplat (double c)
{
#if ZJ_LW == 8
  return (zj_lv) _mm512_set1_pd (c);
#elif ZJ_LW == 4
  return (zj_lv) _mm256_set1_pd (c);
#else
  zj_lv v;
  for (int w = 0; w < ZJ_LW; w++)
    v[w] = c;
  return v;
#endif
}

/* Whether any lane of m (from a vector comparison) is set: one test into
   a mask register, or one vptest, instead of a reduction by halves. */
ZJ_LINLINE bool
zj_lany (zj_li m)
{
#if defined __AVX512F__ && ZJ_LW == 8
  return _mm512_test_epi64_mask ((__m512i) m, (__m512i) m) != 0;
#elif defined __AVX__ && ZJ_LW == 4
  return !_mm256_testz_si256 ((__m256i) m, (__m256i) m);
#else
  long long any = 0;
  for (int w = 0; w < ZJ_LW; w++)
    any |= m[w];
  return any != 0;
#endif
}

/* |y - p| per lane into dst (recorded errors, lane-major). */
ZJ_LINLINE void
zj_lstore_err (zj_lv *dst, const zj_lv *y, const zj_lv *p, int nb)
{
  const zj_li abs_mask = (zj_li) zj_lsplat (-0.0);
  for (int q = 0; q < nb; q++)
    dst[q] = (zj_lv) ((zj_li) (y[q] - p[q]) & ~abs_mask);
}

/* An RMS validation example: (y - p)^2 into loss and, with rec, |y - p|
   recorded. */
ZJ_LINLINE void
zj_lrms_valid (zj_lv *loss, zj_lv *rec, const zj_lv *y, const zj_lv *p, int nb)
{
  for (int q = 0; q < nb; q++)
    {
      const zj_lv dd = y[q] - p[q];
      loss[q] += dd * dd;
    }
  if (rec)
    zj_lstore_err (rec, y, p, nb);
}

/* Whether a lane set in `live` has !(|y - p| <= max), NaN included: one
   branch-free pass over the lane vectors instead of a branch per task. */
ZJ_LINLINE bool
zj_lany_bad (const zj_lv *y, const zj_lv *p, const zj_li *live, int nb,
             double max)
{
  const zj_lv mx = zj_lsplat (max);
  const zj_li abs_mask = (zj_li) zj_lsplat (-0.0);
  zj_li bad = { 0 };
  for (int q = 0; q < nb; q++)
    {
      const zj_lv a = (zj_lv) ((zj_li) (y[q] - p[q]) & ~abs_mask);
      bad |= ~(a <= mx) & live[q];
    }
  return zj_lany (bad);
}

/* m ? x : y per lane (m from a vector comparison: all ones or zero). */
ZJ_LINLINE zj_lv
zj_lsel (zj_li m, zj_lv x, zj_lv y)
{
  return (zj_lv) ((m & (zj_li) x) | (~m & (zj_li) y));
}

/* x < y ? x : y and x > y ? x : y per lane in one instruction: x86's
   min and max are defined as exactly these selects (the second operand
   when either is NaN or both are zeros), so NaN payloads and zero signs
   come out as the select gives them.  GCC keeps the operand order unless
   -ffinite-math-only and -fno-signed-zeros, which no build passes.  As a
   compare and two xors, VECTOR_MAX was 13% of the lane run of a stateful
   paper-setting program. */
ZJ_LINLINE zj_lv
zj_lmin (zj_lv x, zj_lv y)
{
#if ZJ_LW == 8
  return (zj_lv) _mm512_min_pd ((__m512d) x, (__m512d) y);
#elif ZJ_LW == 4
  return (zj_lv) _mm256_min_pd ((__m256d) x, (__m256d) y);
#else
  return zj_lsel ((zj_li) (x < y), x, y);
#endif
}

ZJ_LINLINE zj_lv
zj_lmax (zj_lv x, zj_lv y)
{
#if ZJ_LW == 8
  return (zj_lv) _mm512_max_pd ((__m512d) x, (__m512d) y);
#elif ZJ_LW == 4
  return (zj_lv) _mm256_max_pd ((__m256d) x, (__m256d) y);
#else
  return zj_lsel ((zj_li) (x > y), x, y);
#endif
}

/* 1.0 where m, else 0.0 (heaviside). */
ZJ_LINLINE zj_lv
zj_lstep (zj_li m)
{
  return (zj_lv) (m & (zj_li) zj_lsplat (1.0));
}

/* fabs: clear the sign bit, as fabs does (NaN payloads kept). */
ZJ_LINLINE zj_lv
zj_labs (zj_lv x)
{
  return (zj_lv) ((zj_li) x & ~(zj_li) zj_lsplat (-0.0));
}

/* reduce.h's canonical order per lane over n elements nb vectors apart:
   min(4, n) accumulators from -0.0, element i into i % 4, combined
   (l0 + l1) + (l2 + l3).  y == NULL sums x; otherwise sums x*y. */
ZJ_LINLINE zj_lv
zj_lreduce (const zj_lv *x, const zj_lv *y, int n, int nb)
{
  const zj_lv z = zj_lsplat (-0.0);
  zj_lv acc[4] = { z, z, z, z };
  const int L = n < 4 ? n : 4;
  for (int i = 0; i < n; i += L)
    for (int l = 0; l < L; l++)
      {
        zj_lv p = x[(i + l) * nb];
        if (y)
          p = p * y[(i + l) * nb];
        acc[l] += p;
      }
  return L == 4 ? (acc[0] + acc[1]) + (acc[2] + acc[3]) : acc[0] + acc[1];
}

/* sqrt is correctly rounded, so a per-lane loop matches the scalar kernel;
   with -fno-math-errno the compiler vectorises it. */
ZJ_LINLINE void
zj_lsqrt (zj_lv *v, int n)
{
  double *x = (double *) v;
  for (int t = 0; t < n; t++)
    x[t] = sqrt (x[t]);
}

#define ZJ_LFF (F * F)
/* Elementwise over n elements: all n * nb vectors are contiguous. */
#define ZJ_LEW(n, expr) for (int k = 0; k < (n) * nb; k++) O[k] = (expr)
/* SLEEF has no bit-identical vector twin of the scalar u10 functions:
   call the scalar one per real lane. */
#define ZJ_LSLEEF(fn) \
  for (int t = 0; t < nr; t++) \
    ((double *) O)[t] = fn (((const double *) A)[t])
#define ZJ_LZ ((zj_lv) { 0.0 })
/* The start of every sum: -0.0, the identity of addition (reduce.h). */
#define ZJ_LSUM0 zj_lsplat (-0.0)

#define ZJ_LK_NO_OP
#define ZJ_LK_SCALAR_SUM_OP        ZJ_LEW (1, A[k] + B[k])
#define ZJ_LK_SCALAR_DIFF_OP       ZJ_LEW (1, A[k] - B[k])
#define ZJ_LK_SCALAR_PRODUCT_OP    ZJ_LEW (1, A[k] * B[k])
#define ZJ_LK_SCALAR_DIVISION_OP   ZJ_LEW (1, A[k] / B[k])
#define ZJ_LK_SCALAR_ABS_OP        ZJ_LEW (1, zj_labs (A[k]))
#define ZJ_LK_SCALAR_RECIPROCAL_OP ZJ_LEW (1, 1.0 / A[k])
#define ZJ_LK_SCALAR_SIN_OP        ZJ_LSLEEF (Sleef_sin_u10)
#define ZJ_LK_SCALAR_COS_OP        ZJ_LSLEEF (Sleef_cos_u10)
#define ZJ_LK_SCALAR_TAN_OP        ZJ_LSLEEF (Sleef_tan_u10)
#define ZJ_LK_SCALAR_ARCSIN_OP     ZJ_LSLEEF (Sleef_asin_u10)
#define ZJ_LK_SCALAR_ARCCOS_OP     ZJ_LSLEEF (Sleef_acos_u10)
#define ZJ_LK_SCALAR_ARCTAN_OP     ZJ_LSLEEF (Sleef_atan_u10)
#define ZJ_LK_SCALAR_EXP_OP        ZJ_LSLEEF (Sleef_exp_u10)
#define ZJ_LK_SCALAR_LOG_OP        ZJ_LSLEEF (Sleef_log_u10)
#define ZJ_LK_SCALAR_HEAVYSIDE_OP  ZJ_LEW (1, zj_lstep ((zj_li) (A[k] >= ZJ_LZ)))
#define ZJ_LK_VECTOR_HEAVYSIDE_OP  ZJ_LEW (F, zj_lstep ((zj_li) (A[k] > ZJ_LZ)))
#define ZJ_LK_MATRIX_HEAVYSIDE_OP  ZJ_LEW (ZJ_LFF, zj_lstep ((zj_li) (A[k] > ZJ_LZ)))
/* Scalar times each element: A[q] is the scalar's vector q. */
#define ZJ_LSCALE(n) \
  for (int i = 0; i < (n); i++) \
    for (int q = 0; q < nb; q++) \
      O[i * nb + q] = A[q] * B[i * nb + q]
#define ZJ_LK_SCALAR_VECTOR_PRODUCT_OP ZJ_LSCALE (F)
#define ZJ_LK_SCALAR_BROADCAST_OP \
  for (int i = 0; i < F; i++) \
    for (int q = 0; q < nb; q++) \
      O[i * nb + q] = A[q]
#define ZJ_LK_VECTOR_RECIPROCAL_OP ZJ_LEW (F, 1.0 / A[k])
#define ZJ_LK_VECTOR_NORM_OP \
  { for (int q = 0; q < nb; q++) O[q] = zj_lreduce (A + q, A + q, F, nb); \
    zj_lsqrt (O, nl); }
#define ZJ_LK_VECTOR_ABS_OP        ZJ_LEW (F, zj_labs (A[k]))
#define ZJ_LK_VECTOR_SUM_OP        ZJ_LEW (F, A[k] + B[k])
#define ZJ_LK_VECTOR_DIFF_OP       ZJ_LEW (F, A[k] - B[k])
#define ZJ_LK_VECTOR_PRODUCT_OP    ZJ_LEW (F, A[k] * B[k])
#define ZJ_LK_VECTOR_DIVISION_OP   ZJ_LEW (F, A[k] / B[k])
#define ZJ_LK_VECTOR_INNER_PRODUCT_OP \
  for (int q = 0; q < nb; q++) O[q] = zj_lreduce (A + q, B + q, F, nb)
/* The output matrix never overlaps the input vectors (separate banks). */
#define ZJ_LK_VECTOR_OUTER_PRODUCT_OP \
  for (int c = 0; c < F; c++) \
    for (int r = 0; r < F; r++) \
      for (int q = 0; q < nb; q++) \
        O[(c * F + r) * nb + q] = A[r * nb + q] * B[c * nb + q]
#define ZJ_LK_SCALAR_MATRIX_PRODUCT_OP ZJ_LSCALE (ZJ_LFF)
#define ZJ_LK_MATRIX_RECIPROCAL_OP ZJ_LEW (ZJ_LFF, 1.0 / A[k])
/* y(r) = sum over c of M(r, c) * v(c), c in order, from -0.0, into T
   first (v1 = dot(m0, v1) is legal).  A block of rows at a time keeps its
   sums in registers (ZJ_LMV_ACC vectors) while the columns stream by:
   accumulating in T instead cost a load and a store of T per product, and
   this op was 45% of the paper setting's lane interpreter
   (bench/RESULTS.md).  Each lane still adds its products in column
   order, so the result is the same bit for bit. */
#define ZJ_LMV_ACC 16
ZJ_LINLINE void
zj_lmatvec (zj_lv *T, const zj_lv *A, const zj_lv *B, int F_, int nb)
{
  const zj_lv z = zj_lsplat (-0.0);
  if (nb > ZJ_LMV_ACC)
    {
      for (int k = 0; k < F_ * nb; k++)
        T[k] = z;
      for (int c = 0; c < F_; c++)
        for (int r = 0; r < F_; r++)
          for (int q = 0; q < nb; q++)
            {
              zj_lv p = A[(c * F_ + r) * nb + q] * B[c * nb + q];
              T[r * nb + q] += p;
            }
      return;
    }
  const int R = ZJ_LMV_ACC / nb < F_ ? ZJ_LMV_ACC / nb : F_;
  for (int r0 = 0; r0 < F_; r0 += R)
    {
      const int rn = F_ - r0 < R ? F_ - r0 : R;
      zj_lv acc[ZJ_LMV_ACC];
#pragma GCC unroll 16
      for (int k = 0; k < ZJ_LMV_ACC; k++)
        acc[k] = z;
      for (int c = 0; c < F_; c++)
        {
          const zj_lv *a = A + (c * F_ + r0) * nb, *b = B + c * nb;
#pragma GCC unroll 16
          for (int k = 0; k < ZJ_LMV_ACC; k++)
            if (k < rn * nb)
              {
                zj_lv p = a[k] * b[k % nb];
                acc[k] += p;
              }
        }
#pragma GCC unroll 16
      for (int k = 0; k < ZJ_LMV_ACC; k++)
        if (k < rn * nb)
          T[r0 * nb + k] = acc[k];
    }
}
#if ZJ_LW == 8
/* The same product for a matrix that Predict and Learn never write, from
   a per-task copy made after Setup (Mt: task after task, F x F in the
   lanes' element order, so column c of a task is F consecutive doubles).
   Eight tasks at a time, each task's column times its broadcast v(c)
   fills whole vectors: 2 * F * F / 8 products and sums per real task,
   where the lane layout pays F * F * nb * 2 for all 16 lanes of 10
   tasks; an 8 x 8 transpose per 8 rows puts the sums back in lanes.
   Every row still adds its products in column order from -0.0: the same
   bits as zj_lmatvec.  F is 8 or 16 (16 sums in registers), and O may be
   B: a group reads only its own lanes of B, all before writing them. */
# define ZJ_LMATVEC_TASKS(F_) ((F_) == 8 || (F_) == 16)
ZJ_LINLINE void
zj_ltranspose8 (zj_lv x[8])
{
  zj_lv u[8], w[8];
  for (int t = 0; t < 8; t += 2)
    {
      u[t] = __builtin_shuffle (x[t], x[t + 1],
                                (zj_li) { 0, 8, 2, 10, 4, 12, 6, 14 });
      u[t + 1] = __builtin_shuffle (x[t], x[t + 1],
                                    (zj_li) { 1, 9, 3, 11, 5, 13, 7, 15 });
    }
  for (int t = 0; t < 8; t += (t % 2 ? 3 : 1))
    {
      w[t] = __builtin_shuffle (u[t], u[t + 2],
                                (zj_li) { 0, 1, 8, 9, 4, 5, 12, 13 });
      w[t + 2] = __builtin_shuffle (u[t], u[t + 2],
                                    (zj_li) { 2, 3, 10, 11, 6, 7, 14, 15 });
    }
  for (int t = 0; t < 4; t++)
    {
      x[t] = __builtin_shuffle (w[t], w[t + 4],
                                (zj_li) { 0, 1, 2, 3, 8, 9, 10, 11 });
      x[t + 4] = __builtin_shuffle (w[t], w[t + 4],
                                    (zj_li) { 4, 5, 6, 7, 12, 13, 14, 15 });
    }
}

ZJ_LINLINE void
zj_lmatvec_tasks (zj_lv *O, const double *Mt, const zj_lv *B, int F_, int nb,
                  int nr)
{
  if (!ZJ_LMATVEC_TASKS (F_))
    __builtin_unreachable ();   /* zj_lmatvec_tasks_collect's condition */
  const int R = F_ / 8, nl = nb * 8;
  const double *b = (const double *) B;
  for (int g = 0; g < nb; g++)
    {
      const int t0 = g * 8, n = nr - t0 < 8 ? nr - t0 : 8;
      zj_lv acc[8][2];
#pragma GCC unroll 8
      for (int u = 0; u < 8; u++)
        acc[u][0] = acc[u][1] = zj_lsplat (-0.0);
      for (int c = 0; c < F_; c++)
#pragma GCC unroll 8
        for (int u = 0; u < 8; u++)
          if (u < n)
            {
              const zj_lv v = zj_lsplat (b[(size_t) c * nl + t0 + u]);
              const zj_lv *m = (const zj_lv *) (Mt + (size_t) (t0 + u) * F_ * F_
                                                + (size_t) c * F_);
#pragma GCC unroll 2
              for (int j = 0; j < 2; j++)
                if (j < R)
                  acc[u][j] += m[j] * v;
            }
#pragma GCC unroll 2
      for (int j = 0; j < 2; j++)
        if (j < R)
          {
            zj_lv x[8];
#pragma GCC unroll 8
            for (int u = 0; u < 8; u++)
              x[u] = acc[u][j];
            zj_ltranspose8 (x);
#pragma GCC unroll 8
            for (int i = 0; i < 8; i++)
              O[(j * 8 + i) * nb + g] = x[i];
          }
    }
}
#else
# define ZJ_LMATVEC_TASKS(F_) 0
#endif
#define ZJ_LK_MATRIX_VECTOR_PRODUCT_OP \
  { zj_lmatvec (T, A, B, F, nb); ZJ_LEW (F, T[k]); }
#define ZJ_LK_VECTOR_COLUMN_BROADCAST_OP \
  for (int c = 0; c < F; c++) \
    for (int r = 0; r < F; r++) \
      for (int q = 0; q < nb; q++) \
        O[(c * F + r) * nb + q] = A[r * nb + q]
#define ZJ_LK_VECTOR_ROW_BROADCAST_OP \
  for (int c = 0; c < F; c++) \
    for (int r = 0; r < F; r++) \
      for (int q = 0; q < nb; q++) \
        O[(c * F + r) * nb + q] = A[c * nb + q]
#define ZJ_LK_MATRIX_NORM_OP \
  { for (int q = 0; q < nb; q++) O[q] = zj_lreduce (A + q, A + q, ZJ_LFF, nb); \
    zj_lsqrt (O, nl); }
#define ZJ_LK_MATRIX_COLUMN_NORM_OP \
  { for (int c = 0; c < F; c++) \
      for (int q = 0; q < nb; q++) \
        { const zj_lv *col_ = A + c * F * nb + q; \
          O[c * nb + q] = zj_lreduce (col_, col_, F, nb); } \
    zj_lsqrt (O, F * nl); }
/* Row-wise reductions accumulate over columns in order, from -0.0. */
#define ZJ_LROW_ACC(acc, term) \
  for (int k = 0; k < F * nb; k++) (acc)[k] = ZJ_LSUM0; \
  for (int c = 0; c < F; c++) \
    for (int r = 0; r < F; r++) \
      for (int q = 0; q < nb; q++) \
        { const zj_lv x = A[(c * F + r) * nb + q]; (void) x; \
          zj_lv t_ = (term); (acc)[r * nb + q] += t_; }
#define ZJ_LK_MATRIX_ROW_NORM_OP \
  { ZJ_LROW_ACC (T, x * x); ZJ_LEW (F, T[k]); zj_lsqrt (O, F * nl); }
#define ZJ_LK_MATRIX_TRANSPOSE_OP \
  { for (int c = 0; c < F; c++) \
      for (int r = 0; r < F; r++) \
        for (int q = 0; q < nb; q++) \
          T[(r * F + c) * nb + q] = A[(c * F + r) * nb + q]; \
    ZJ_LEW (ZJ_LFF, T[k]); }
#define ZJ_LK_MATRIX_ABS_OP        ZJ_LEW (ZJ_LFF, zj_labs (A[k]))
#define ZJ_LK_MATRIX_SUM_OP        ZJ_LEW (ZJ_LFF, A[k] + B[k])
#define ZJ_LK_MATRIX_DIFF_OP       ZJ_LEW (ZJ_LFF, A[k] - B[k])
#define ZJ_LK_MATRIX_PRODUCT_OP    ZJ_LEW (ZJ_LFF, A[k] * B[k])
#define ZJ_LK_MATRIX_DIVISION_OP   ZJ_LEW (ZJ_LFF, A[k] / B[k])
/* C(:, j) = sum over k of A(:, k) * B(k, j), k in order, from -0.0. */
#define ZJ_LK_MATRIX_MATRIX_PRODUCT_OP \
  { for (int k = 0; k < ZJ_LFF * nb; k++) T[k] = ZJ_LSUM0; \
    for (int j = 0; j < F; j++) \
      for (int kk = 0; kk < F; kk++) \
        for (int r = 0; r < F; r++) \
          for (int q = 0; q < nb; q++) \
            { zj_lv p = A[(kk * F + r) * nb + q] * B[(j * F + kk) * nb + q]; \
              T[(j * F + r) * nb + q] += p; } \
    ZJ_LEW (ZJ_LFF, T[k]); }
/* The exact comparison forms of kernels.h (they differ only for NaN and
   zeros): B < A ? B : A is min (B, A), and so on (zj_lmin). */
#define ZJ_LK_SCALAR_MIN_OP ZJ_LEW (1, zj_lmin (B[k], A[k]))
#define ZJ_LK_VECTOR_MIN_OP ZJ_LEW (F, zj_lmin (B[k], A[k]))
#define ZJ_LK_MATRIX_MIN_OP ZJ_LEW (ZJ_LFF, zj_lmin (A[k], B[k]))
#define ZJ_LK_SCALAR_MAX_OP ZJ_LEW (1, zj_lmax (B[k], A[k]))
#define ZJ_LK_VECTOR_MAX_OP ZJ_LEW (F, zj_lmax (B[k], A[k]))
#define ZJ_LK_MATRIX_MAX_OP ZJ_LEW (ZJ_LFF, zj_lmax (A[k], B[k]))
#define ZJ_LK_VECTOR_MEAN_OP \
  for (int q = 0; q < nb; q++) O[q] = zj_lreduce (A + q, NULL, F, nb) / F
#define ZJ_LK_MATRIX_MEAN_OP \
  for (int q = 0; q < nb; q++) \
    O[q] = zj_lreduce (A + q, NULL, ZJ_LFF, nb) / ZJ_LFF
#define ZJ_LK_MATRIX_ROW_MEAN_OP \
  { ZJ_LROW_ACC (T, x); ZJ_LEW (F, T[k] / F); }
#define ZJ_LK_MATRIX_ROW_ST_DEV_OP \
  { ZJ_LROW_ACC (T, x); ZJ_LROW_ACC ((T + F * nb), x * x); \
    for (int k = 0; k < F * nb; k++) \
      { const zj_lv m = T[k] / F; O[k] = T[F * nb + k] / F - m * m; } \
    zj_lsqrt (O, F * nl); }
#define ZJ_LSTDEV(n) \
  { for (int q = 0; q < nb; q++) \
      { const zj_lv m = zj_lreduce (A + q, NULL, (n), nb) / (n); \
        O[q] = zj_lreduce (A + q, A + q, (n), nb) / (n) - m * m; } \
    zj_lsqrt (O, nl); }
#define ZJ_LK_VECTOR_ST_DEV_OP ZJ_LSTDEV (F)
#define ZJ_LK_MATRIX_ST_DEV_OP ZJ_LSTDEV (ZJ_LFF)
/* Const sets: decode points I->o at the element and puts the value in c0. */
#define ZJ_LCONST for (int q = 0; q < nb; q++) O[q] = zj_lsplat (I->c0)
#define ZJ_LK_SCALAR_CONST_SET_OP ZJ_LCONST
#define ZJ_LK_VECTOR_CONST_SET_OP ZJ_LCONST
#define ZJ_LK_MATRIX_CONST_SET_OP ZJ_LCONST
/* Random ops draw from one generator in task order: not lane-parallel.
   zj_interp_eval_lanes refuses them in Predict and Learn and runs a
   random Setup task by task in the single-task interpreter, so these
   never run. */
#define ZJ_LK_SCALAR_UNIFORM_SET_OP
#define ZJ_LK_VECTOR_UNIFORM_SET_OP
#define ZJ_LK_MATRIX_UNIFORM_SET_OP
#define ZJ_LK_SCALAR_GAUSSIAN_SET_OP
#define ZJ_LK_VECTOR_GAUSSIAN_SET_OP
#define ZJ_LK_MATRIX_GAUSSIAN_SET_OP

#endif
