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

#endif
