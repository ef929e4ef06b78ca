/* bench_regs.h -- the lane layout, memory and shared kernels of
 * bench_regs.c and bench_regs_pinned.c (one translation unit per register
 * convention: global register variables bind a whole file). */
#ifndef BENCH_REGS_H
#define BENCH_REGS_H
#include <immintrin.h>
#include <sleef.h>
#include <stdbool.h>
#include <stddef.h>

enum { C = 2, TASKS = 10, NEX = 8000, FMAX = 16 };
typedef __m512d V;

#define NOINLINE static __attribute__ ((noinline))
#define INL static inline __attribute__ ((always_inline))
/* A stencil boundary: nothing may stay in a register across it. */
#define OP_END() __asm__ volatile ("" ::: "memory")

/* The program's memory in the lane layout: element e, chunk q at
   [e * C + q]; scalars s0..s4, vectors v1..v6 (v0 is the row). */
typedef struct {
  V s[5][C];
  V v[7][FMAX * C];
} mem;

typedef struct {
  int F;
  bool acc;                    /* ACCURACY: sigmoid before the check and Learn */
  int nrows;                   /* distinct examples, cycled through */
  const char *name, *text;
} prog;

/* dot over F elements of chunk q: four accumulators, (l0 + l1) + (l2 + l3),
   the stencils' order (any fixed order serves: the forms share it). */
INL V
dot (const V *a, const V *b, int F, int q)
{
  V l[4];
  for (int k = 0; k < 4; k++)
    l[k] = _mm512_mul_pd (a[k * C + q], b[k * C + q]);
  for (int e = 4; e < F; e++)
    l[e % 4] = _mm512_add_pd (l[e % 4], _mm512_mul_pd (a[e * C + q], b[e * C + q]));
  return _mm512_add_pd (_mm512_add_pd (l[0], l[1]), _mm512_add_pd (l[2], l[3]));
}

INL V
sigmoid (V x)
{
  const V one = _mm512_set1_pd (1.0);
  return _mm512_div_pd (one, _mm512_add_pd (one, Sleef_expd8_u10avx512fnofma (
    _mm512_sub_pd (_mm512_setzero_pd (), x))));
}

/* The abort check over both chunks: !(|y - p| <= max) in any lane. */
INL int
bad (const V *y, const V *p, double max)
{
  const V m = _mm512_set1_pd (max);
  __mmask8 k = 0;
  for (int q = 0; q < C; q++)
    {
      V d = _mm512_abs_pd (_mm512_sub_pd (y[q], p[q]));
      k |= _mm512_cmp_pd_mask (d, m, _CMP_NLE_UQ);
    }
  return k != 0;
}

int pinned_loop (const prog *p, mem *m, const V *rows, const V *labels, int n);
int pinned_calls (const prog *p, mem *m, const V *rows, const V *labels, int n);
int pinned_spills (const prog *p, mem *m, const V *rows, const V *labels, int n);

#endif
