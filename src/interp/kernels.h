/* kernels.h -- the interpreter's semantics of every op, one macro each.
 *
 * Expanded inside src/interp/interp_f.h with F a compile-time constant.  In scope:
 *   I    the decoded instruction (zj_dins): I->o output, I->a / I->b inputs,
 *        I->c0 / I->c1 constants (see decode in interp.c);
 *   rng  the evaluation's generator;  T  scratch of F*F doubles.
 * Matrices are column-major: element (r, c) is at c*F + r.  Ops that read
 * an input of the output's kind through a non-elementwise pattern compute
 * into T first, so aliasing (m1 = matmul(m1, m1)) is safe.
 * Min/max follow std::min/std::max for scalars and vectors, and the
 * "a < b ? a : b" form for matrices (they differ only for NaN).
 */
#define ZJ_FF (F * F)
#define ZJ_EW(n, expr) for (int i = 0; i < (n); i++) I->o[i] = (expr)

/* Four doubles as one GCC vector, for the two kernels the auto-vectoriser
   leaves scalar inside the big dispatch function (matrix-vector and outer
   product dominate the hand-coded NN).  Each lane does exactly the scalar
   arithmetic (product rounded, then added: -ffp-contract=off), so results
   are bit-identical to the plain loops; without AVX it lowers to SSE2. */
typedef double zj_v4 __attribute__ ((vector_size (4 * sizeof (double))));
/* Macros, not functions: passing 32-byte vectors by value warns (-Wpsabi)
   when AVX is off.  memcpy = unaligned load/store. */
#define ZJ_V4_LOAD(v, p) memcpy (&(v), (p), sizeof (zj_v4))
#define ZJ_V4_STORE(p, v) memcpy ((p), &(v), sizeof (zj_v4))

#define ZJ_KERNEL_NO_OP
#define ZJ_KERNEL_SCALAR_SUM_OP        *I->o = *I->a + *I->b
#define ZJ_KERNEL_SCALAR_DIFF_OP       *I->o = *I->a - *I->b
#define ZJ_KERNEL_SCALAR_PRODUCT_OP    *I->o = *I->a * *I->b
#define ZJ_KERNEL_SCALAR_DIVISION_OP   *I->o = *I->a / *I->b
#define ZJ_KERNEL_SCALAR_ABS_OP        *I->o = fabs (*I->a)
#define ZJ_KERNEL_SCALAR_RECIPROCAL_OP *I->o = 1.0 / *I->a
#define ZJ_KERNEL_SCALAR_SIN_OP        *I->o = Sleef_sin_u10 (*I->a)
#define ZJ_KERNEL_SCALAR_COS_OP        *I->o = Sleef_cos_u10 (*I->a)
#define ZJ_KERNEL_SCALAR_TAN_OP        *I->o = Sleef_tan_u10 (*I->a)
#define ZJ_KERNEL_SCALAR_ARCSIN_OP     *I->o = Sleef_asin_u10 (*I->a)
#define ZJ_KERNEL_SCALAR_ARCCOS_OP     *I->o = Sleef_acos_u10 (*I->a)
#define ZJ_KERNEL_SCALAR_ARCTAN_OP     *I->o = Sleef_atan_u10 (*I->a)
#define ZJ_KERNEL_SCALAR_EXP_OP        *I->o = Sleef_exp_u10 (*I->a)
#define ZJ_KERNEL_SCALAR_LOG_OP        *I->o = Sleef_log_u10 (*I->a)
#define ZJ_KERNEL_SCALAR_HEAVYSIDE_OP  *I->o = *I->a >= 0.0 ? 1.0 : 0.0
#define ZJ_KERNEL_VECTOR_HEAVYSIDE_OP  ZJ_EW (F, I->a[i] > 0.0 ? 1.0 : 0.0)
#define ZJ_KERNEL_MATRIX_HEAVYSIDE_OP  ZJ_EW (ZJ_FF, I->a[i] > 0.0 ? 1.0 : 0.0)
#define ZJ_KERNEL_SCALAR_VECTOR_PRODUCT_OP \
  { const double s = *I->a; ZJ_EW (F, s * I->b[i]); }
#define ZJ_KERNEL_SCALAR_BROADCAST_OP \
  { const double s = *I->a; ZJ_EW (F, s); }
#define ZJ_KERNEL_VECTOR_RECIPROCAL_OP ZJ_EW (F, 1.0 / I->a[i])
#define ZJ_KERNEL_VECTOR_NORM_OP       *I->o = sqrt (zj_rdot (I->a, I->a, F))
#define ZJ_KERNEL_VECTOR_ABS_OP        ZJ_EW (F, fabs (I->a[i]))
#define ZJ_KERNEL_VECTOR_SUM_OP        ZJ_EW (F, I->a[i] + I->b[i])
#define ZJ_KERNEL_VECTOR_DIFF_OP       ZJ_EW (F, I->a[i] - I->b[i])
#define ZJ_KERNEL_VECTOR_PRODUCT_OP    ZJ_EW (F, I->a[i] * I->b[i])
#define ZJ_KERNEL_VECTOR_DIVISION_OP   ZJ_EW (F, I->a[i] / I->b[i])
#define ZJ_KERNEL_VECTOR_INNER_PRODUCT_OP *I->o = zj_rdot (I->a, I->b, F)
/* The output matrix never overlaps the input vectors (separate banks). */
#define ZJ_KERNEL_VECTOR_OUTER_PRODUCT_OP \
  for (int c = 0; c < F; c++) \
    { const double bc = I->b[c]; \
      if (F >= 4) \
        for (int q = 0; q < F / 4; q++) \
          { zj_v4 a_; ZJ_V4_LOAD (a_, I->a + 4 * q); \
            zj_v4 p = a_ * bc; ZJ_V4_STORE (I->o + c * F + 4 * q, p); } \
      else \
        for (int r = 0; r < F; r++) \
          I->o[c * F + r] = I->a[r] * bc; }
#define ZJ_KERNEL_SCALAR_MATRIX_PRODUCT_OP \
  { const double s = *I->a; ZJ_EW (ZJ_FF, s * I->b[i]); }
#define ZJ_KERNEL_MATRIX_RECIPROCAL_OP ZJ_EW (ZJ_FF, 1.0 / I->a[i])
/* y(r) = sum over c of M(r, c) * v(c), c in order, from -0.0.  For F >= 4
   four rows at a time in vector accumulators, stored only after every
   input is read (so v1 = dot(m0, v1) is safe). */
#define ZJ_KERNEL_MATRIX_VECTOR_PRODUCT_OP \
  if (F >= 4) \
    { zj_v4 acc_[F >= 4 ? F / 4 : 1]; \
      for (int q = 0; q < F / 4; q++) acc_[q] = (zj_v4) { -0.0, -0.0, -0.0, -0.0 }; \
      for (int c = 0; c < F; c++) \
        { const double vc = I->b[c]; \
          for (int q = 0; q < F / 4; q++) \
            { zj_v4 m_; ZJ_V4_LOAD (m_, I->a + c * F + 4 * q); \
              zj_v4 p = m_ * vc; acc_[q] += p; } } \
      for (int q = 0; q < F / 4; q++) ZJ_V4_STORE (I->o + 4 * q, acc_[q]); } \
  else \
    { for (int r = 0; r < F; r++) T[r] = -0.0; \
      for (int c = 0; c < F; c++) \
        { const double vc = I->b[c]; \
          for (int r = 0; r < F; r++) { double p = I->a[c * F + r] * vc; T[r] += p; } } \
      ZJ_EW (F, T[i]); }
#define ZJ_KERNEL_VECTOR_COLUMN_BROADCAST_OP \
  for (int c = 0; c < F; c++) \
    for (int r = 0; r < F; r++) \
      I->o[c * F + r] = I->a[r]
#define ZJ_KERNEL_VECTOR_ROW_BROADCAST_OP \
  for (int c = 0; c < F; c++) \
    for (int r = 0; r < F; r++) \
      I->o[c * F + r] = I->a[c]
#define ZJ_KERNEL_MATRIX_NORM_OP *I->o = sqrt (zj_rdot (I->a, I->a, ZJ_FF))
#define ZJ_KERNEL_MATRIX_COLUMN_NORM_OP \
  for (int c = 0; c < F; c++) \
    I->o[c] = sqrt (zj_rdot (I->a + c * F, I->a + c * F, F))
/* Row-wise reductions accumulate over columns in order, from -0.0. */
#define ZJ_ROW_ACC(acc, term) \
  for (int r = 0; r < F; r++) acc[r] = -0.0; \
  for (int c = 0; c < F; c++) \
    for (int r = 0; r < F; r++) \
      { const double x = I->a[c * F + r]; (void) x; double t_ = (term); acc[r] += t_; }
#define ZJ_KERNEL_MATRIX_ROW_NORM_OP \
  { ZJ_ROW_ACC (T, x * x); ZJ_EW (F, sqrt (T[i])); }
#define ZJ_KERNEL_MATRIX_TRANSPOSE_OP \
  { for (int c = 0; c < F; c++) \
      for (int r = 0; r < F; r++) \
        T[r * F + c] = I->a[c * F + r]; \
    ZJ_EW (ZJ_FF, T[i]); }
#define ZJ_KERNEL_MATRIX_ABS_OP        ZJ_EW (ZJ_FF, fabs (I->a[i]))
#define ZJ_KERNEL_MATRIX_SUM_OP        ZJ_EW (ZJ_FF, I->a[i] + I->b[i])
#define ZJ_KERNEL_MATRIX_DIFF_OP       ZJ_EW (ZJ_FF, I->a[i] - I->b[i])
#define ZJ_KERNEL_MATRIX_PRODUCT_OP    ZJ_EW (ZJ_FF, I->a[i] * I->b[i])
#define ZJ_KERNEL_MATRIX_DIVISION_OP   ZJ_EW (ZJ_FF, I->a[i] / I->b[i])
/* C(:, j) = sum over k of A(:, k) * B(k, j), k in order, from -0.0. */
#define ZJ_KERNEL_MATRIX_MATRIX_PRODUCT_OP \
  { for (int i = 0; i < ZJ_FF; i++) T[i] = -0.0; \
    for (int j = 0; j < F; j++) \
      for (int k = 0; k < F; k++) \
        { const double bkj = I->b[j * F + k]; \
          for (int r = 0; r < F; r++) \
            { double p = I->a[k * F + r] * bkj; T[j * F + r] += p; } } \
    ZJ_EW (ZJ_FF, T[i]); }
#define ZJ_KERNEL_SCALAR_MIN_OP \
  { const double a = *I->a, b = *I->b; *I->o = b < a ? b : a; }
#define ZJ_KERNEL_VECTOR_MIN_OP ZJ_EW (F, I->b[i] < I->a[i] ? I->b[i] : I->a[i])
#define ZJ_KERNEL_MATRIX_MIN_OP ZJ_EW (ZJ_FF, I->a[i] < I->b[i] ? I->a[i] : I->b[i])
#define ZJ_KERNEL_SCALAR_MAX_OP \
  { const double a = *I->a, b = *I->b; *I->o = a < b ? b : a; }
#define ZJ_KERNEL_VECTOR_MAX_OP ZJ_EW (F, I->a[i] < I->b[i] ? I->b[i] : I->a[i])
#define ZJ_KERNEL_MATRIX_MAX_OP ZJ_EW (ZJ_FF, I->a[i] > I->b[i] ? I->a[i] : I->b[i])
#define ZJ_KERNEL_VECTOR_MEAN_OP *I->o = zj_rsum (I->a, F) / F
#define ZJ_KERNEL_MATRIX_MEAN_OP *I->o = zj_rsum (I->a, ZJ_FF) / ZJ_FF
#define ZJ_KERNEL_MATRIX_ROW_MEAN_OP \
  { ZJ_ROW_ACC (T, x); ZJ_EW (F, T[i] / F); }
#define ZJ_KERNEL_MATRIX_ROW_ST_DEV_OP \
  { ZJ_ROW_ACC (T, x); ZJ_ROW_ACC ((T + F), x * x); \
    for (int i = 0; i < F; i++) \
      { const double m = T[i] / F; I->o[i] = sqrt (T[F + i] / F - m * m); } }
#define ZJ_KERNEL_VECTOR_ST_DEV_OP \
  { const double m = zj_rsum (I->a, F) / F; \
    *I->o = sqrt (zj_rdot (I->a, I->a, F) / F - m * m); }
#define ZJ_KERNEL_MATRIX_ST_DEV_OP \
  { const double m = zj_rsum (I->a, ZJ_FF) / ZJ_FF; \
    *I->o = sqrt (zj_rdot (I->a, I->a, ZJ_FF) / ZJ_FF - m * m); }
/* Const sets: decode points I->o at the element and puts the value in c0. */
#define ZJ_KERNEL_SCALAR_CONST_SET_OP  *I->o = I->c0
#define ZJ_KERNEL_VECTOR_CONST_SET_OP  *I->o = I->c0
#define ZJ_KERNEL_MATRIX_CONST_SET_OP  *I->o = I->c0
#define ZJ_KERNEL_SCALAR_UNIFORM_SET_OP *I->o = zj_rng_open (rng, I->c0, I->c1)
#define ZJ_KERNEL_VECTOR_UNIFORM_SET_OP ZJ_EW (F, zj_rng_open (rng, I->c0, I->c1))
/* Matrix fills draw in row-major order (i then j), as the original. */
#define ZJ_FILL_ROW_MAJOR(draw) \
  for (int r = 0; r < F; r++) \
    for (int c = 0; c < F; c++) \
      I->o[c * F + r] = (draw)
#define ZJ_KERNEL_MATRIX_UNIFORM_SET_OP ZJ_FILL_ROW_MAJOR (zj_rng_open (rng, I->c0, I->c1))
#define ZJ_KERNEL_SCALAR_GAUSSIAN_SET_OP *I->o = zj_rng_gaussian (rng, I->c0, I->c1)
#define ZJ_KERNEL_VECTOR_GAUSSIAN_SET_OP ZJ_EW (F, zj_rng_gaussian (rng, I->c0, I->c1))
#define ZJ_KERNEL_MATRIX_GAUSSIAN_SET_OP ZJ_FILL_ROW_MAJOR (zj_rng_gaussian (rng, I->c0, I->c1))
