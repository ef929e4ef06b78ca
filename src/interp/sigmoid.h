/* sigmoid.h -- the one sigmoid of every tier, over a vector of lanes.
 *
 * ACCURACY passes each prediction through 1 / (1 + exp(-x)).  Every tier
 * (lane interpreter, single-task interpreter through zj_sigmoid, native
 * code through the same zj_sigmoid) computes it here, with one SLEEF
 * vector call per ZJ_LW lanes, so all of them agree bit for bit.
 *
 * The entry points are SLEEF's variants without fused multiply-add
 * (avx512fnofma, avx, sse2): they give exactly the bits of the scalar
 * Sleef_exp_u10 (checked in tests/test_sigmoid.c, and on 24 million
 * inputs when this was written), so results do not depend on the ISA the
 * build targets and match the scalar form zerojit used before.  The FMA
 * variants (avx512f, avx2) differ in the last bit for about 5% of inputs.
 */
#ifndef ZJ_SIGMOID_H
#define ZJ_SIGMOID_H

#include "kernels_lanes.h"
#if defined __x86_64__ || defined __i386__
# include <immintrin.h>
#endif
#include <sleef.h>

/* exp per lane, with the bits of Sleef_exp_u10. */
ZJ_LINLINE zj_lv
zj_lexp (zj_lv x)
{
#if ZJ_LW == 8
  return (zj_lv) Sleef_expd8_u10avx512fnofma ((__m512d) x);
#elif ZJ_LW == 4
  return (zj_lv) Sleef_expd4_u10avx ((__m256d) x);
#elif defined __SSE2__
  return (zj_lv) Sleef_expd2_u10sse2 ((__m128d) x);
#else
  zj_lv r;
  for (int w = 0; w < ZJ_LW; w++)
    r[w] = Sleef_exp_u10 (x[w]);
  return r;
#endif
}

/* 1 / (1 + exp(-x)) per lane: negation and the two IEEE operations are
   exact per lane, as in the scalar formula. */
ZJ_LINLINE zj_lv
zj_lsigmoid (zj_lv x)
{
  const zj_lv one = zj_lsplat (1.0);
  return one / (one + zj_lexp (-x));
}

/* In place over nb lane vectors. */
ZJ_LINLINE void
zj_lsigmoid_n (zj_lv *x, int nb)
{
  for (int q = 0; q < nb; q++)
    x[q] = zj_lsigmoid (x[q]);
}

/* ACCURACY's validation error per lane: 0.0 where the label and the
   sigmoid p fall on the same side of 0.5, else 1.0 (a NaN p counts as
   negative, as in the scalar comparison). */
ZJ_LINLINE zj_lv
zj_lacc_err (zj_lv y, zj_lv p)
{
  const zj_lv half = zj_lsplat (0.5);
  return (zj_lv) (((zj_li) (y > half) ^ (zj_li) (p > half))
                  & (zj_li) zj_lsplat (1.0));
}

/* zj_lacc_err (y, zj_lsigmoid (x)) without the exp where it can: for
   |x| >= 2^-20, sigmoid(x) > 0.5 exactly when x > 0 (doc/shortcuts.md:
   1 + exp(-x) is then at least 2^-21 away from 2, far beyond the
   exp's 1-ulp error and two roundings), a NaN x is negative either
   way, and so is a zero (exp(-0) = 1, 1 / 2 = 0.5: not above 0.5; the
   padding lanes of a chunk read zero rows).  A vector with another lane
   closer to 0 takes the sigmoid. */
ZJ_LINLINE zj_lv
zj_lacc_err_logit (zj_lv y, zj_lv x)
{
  const zj_li near0 = (zj_li) (zj_labs (x) < zj_lsplat (0x1p-20))
                      & (zj_li) (x != zj_lsplat (0.0));
  if (ZJ_UNLIKELY (zj_lany (near0)))
    return zj_lacc_err (y, zj_lsigmoid (x));
  const zj_lv half = zj_lsplat (0.5);
  return (zj_lv) (((zj_li) (y > half) ^ (zj_li) (x > zj_lsplat (0.0)))
                  & (zj_li) zj_lsplat (1.0));
}

#endif
