/* bench_regs_pinned.c -- bench_regs's linreg step with the program's memory
 * pinned to zmm registers: the model of copy-and-patch stencils compiled
 * with global register variables (libgccjit: gcc_jit_lvalue_set_register_name
 * on a vector global, with -w, since GCC warns that the registers are
 * call-clobbered).  Each stencil then reads and writes its operands in
 * their registers; a barrier after every op stops GCC from combining ops
 * across it, as separately compiled stencils could not.  s1, s2, s3 take
 * zmm10-15 and v1, v2 zmm16-31 (F = 4, 2 chunks: 22 registers), so the
 * demo's programs fit whole; v0 and s0 stay in the example row.
 *   pinned_loop    the steps' loop and check in the chain (frame stencils);
 *   pinned_calls   Predict and Learn called per example, the check in C
 *                  (the registers survive the calls: the caller is compiled
 *                  in this file, with the same pins).
 * Built with -w: that warning cannot be turned off by itself.
 */
#include "bench_regs.h"

register V s1a asm ("zmm10"), s1b asm ("zmm11");
register V s2a asm ("zmm12"), s2b asm ("zmm13");
register V s3a asm ("zmm14"), s3b asm ("zmm15");
register V w0a asm ("zmm16"), w0b asm ("zmm17"), w1a asm ("zmm18"), w1b asm ("zmm19");
register V w2a asm ("zmm20"), w2b asm ("zmm21"), w3a asm ("zmm22"), w3b asm ("zmm23");
register V u0a asm ("zmm24"), u0b asm ("zmm25"), u1a asm ("zmm26"), u1b asm ("zmm27");
register V u2a asm ("zmm28"), u2b asm ("zmm29"), u3a asm ("zmm30"), u3b asm ("zmm31");

/* A stencil boundary: every pinned register may have been read and
   written. */
#define PIN_END()                                                             \
  do {                                                                        \
    __asm__ volatile ("" : "+v" (s1a), "+v" (s1b), "+v" (s2a), "+v" (s2b),   \
                      "+v" (s3a), "+v" (s3b), "+v" (w0a), "+v" (w0b),         \
                      "+v" (w1a), "+v" (w1b), "+v" (w2a) :: "memory");        \
    __asm__ volatile ("" : "+v" (w2b), "+v" (w3a), "+v" (w3b), "+v" (u0a),   \
                      "+v" (u0b), "+v" (u1a), "+v" (u1b), "+v" (u2a),         \
                      "+v" (u2b), "+v" (u3a), "+v" (u3b) :: "memory");        \
  } while (0)

/* The chunk-q dot of v1 and x: the order of bench_regs.h's dot. */
#define PDOT(q, W0, W1, W2, W3)                                               \
  _mm512_add_pd (_mm512_add_pd (_mm512_mul_pd (W0, x[0 * C + q]),           \
                                _mm512_mul_pd (W1, x[1 * C + q])),           \
                 _mm512_add_pd (_mm512_mul_pd (W2, x[2 * C + q]),           \
                                _mm512_mul_pd (W3, x[3 * C + q])))

static inline __attribute__ ((always_inline)) void
p_predict (const V *x)
{
  s1a = PDOT (0, w0a, w1a, w2a, w3a);
  s1b = PDOT (1, w0b, w1b, w2b, w3b);
  PIN_END ();
}

static inline __attribute__ ((always_inline)) void
p_learn (const V *x, const V *y)
{
  s3a = _mm512_sub_pd (y[0], s1a);
  s3b = _mm512_sub_pd (y[1], s1b);
  PIN_END ();
  s3a = _mm512_mul_pd (s2a, s3a);
  s3b = _mm512_mul_pd (s2b, s3b);
  PIN_END ();
  u0a = _mm512_mul_pd (s3a, x[0]); u0b = _mm512_mul_pd (s3b, x[1]);
  u1a = _mm512_mul_pd (s3a, x[2]); u1b = _mm512_mul_pd (s3b, x[3]);
  u2a = _mm512_mul_pd (s3a, x[4]); u2b = _mm512_mul_pd (s3b, x[5]);
  u3a = _mm512_mul_pd (s3a, x[6]); u3b = _mm512_mul_pd (s3b, x[7]);
  PIN_END ();
  w0a = _mm512_add_pd (w0a, u0a); w0b = _mm512_add_pd (w0b, u0b);
  w1a = _mm512_add_pd (w1a, u1a); w1b = _mm512_add_pd (w1b, u1b);
  w2a = _mm512_add_pd (w2a, u2a); w2b = _mm512_add_pd (w2b, u2b);
  w3a = _mm512_add_pd (w3a, u3a); w3b = _mm512_add_pd (w3b, u3b);
  PIN_END ();
}

/* Memory into the registers at entry and back at exit: what a chain's
   first and last stencils would do. */
static inline __attribute__ ((always_inline)) void
fill (const mem *m)
{
  s1a = m->s[1][0]; s1b = m->s[1][1];
  s2a = m->s[2][0]; s2b = m->s[2][1];
  s3a = m->s[3][0]; s3b = m->s[3][1];
  const V *w = m->v[1], *u = m->v[2];
  w0a = w[0]; w0b = w[1]; w1a = w[2]; w1b = w[3];
  w2a = w[4]; w2b = w[5]; w3a = w[6]; w3b = w[7];
  u0a = u[0]; u0b = u[1]; u1a = u[2]; u1b = u[3];
  u2a = u[4]; u2b = u[5]; u3a = u[6]; u3b = u[7];
}

static inline __attribute__ ((always_inline)) void
spill (mem *m)
{
  m->s[1][0] = s1a; m->s[1][1] = s1b;
  m->s[2][0] = s2a; m->s[2][1] = s2b;
  m->s[3][0] = s3a; m->s[3][1] = s3b;
  V *w = m->v[1], *u = m->v[2];
  w[0] = w0a; w[1] = w0b; w[2] = w1a; w[3] = w1b;
  w[4] = w2a; w[5] = w2b; w[6] = w3a; w[7] = w3b;
  u[0] = u0a; u[1] = u0b; u[2] = u1a; u[3] = u1b;
  u[4] = u2a; u[5] = u2b; u[6] = u3a; u[7] = u3b;
}

/* The RMS check of bench_regs.h on s1 in its registers. */
static inline __attribute__ ((always_inline)) int
p_bad (const V *y)
{
  const V s1[C] = { s1a, s1b };
  return bad (y, s1, 100.0);
}

static __attribute__ ((noinline)) void
call_predict (const V *x)
{
  p_predict (x);
}

static __attribute__ ((noinline)) void
call_learn (const V *x, const V *y)
{
  p_learn (x, y);
}

/* Predict and Learn as chains that fill the registers from memory at
   entry and spill them at exit, called per example from C that knows
   nothing of the pins (the lane evaluator as it is). */
static __attribute__ ((noinline)) void
spill_predict (mem *m, const V *x)
{
  fill (m);
  p_predict (x);
  spill (m);
}

static __attribute__ ((noinline)) void
spill_learn (mem *m, const V *x, const V *y)
{
  fill (m);
  p_learn (x, y);
  spill (m);
}

int
pinned_spills (const prog *p, mem *m, const V *rows, const V *labels, int n)
{
  int k = 0;
  for (int j = 0; k < n; k++, j = j + 1 == p->nrows ? 0 : j + 1)
    {
      const V *x = rows + (size_t) j * 4 * C, *y = labels + (size_t) j * C;
      spill_predict (m, x);
      if (bad (y, m->s[1], 100.0))
        break;
      spill_learn (m, x, y);
    }
  return k;
}

/* Steps with the pins kept from the first to the last: the chain's own
   loop (calls false) or Predict and Learn called per example. */
static inline __attribute__ ((always_inline)) int
pinned_run (const prog *p, mem *m, const V *rows, const V *labels, int n,
            bool calls)
{
  fill (m);
  int k = 0;
  for (int j = 0; k < n; k++, j = j + 1 == p->nrows ? 0 : j + 1)
    {
      const V *x = rows + (size_t) j * 4 * C, *y = labels + (size_t) j * C;
      if (calls)
        call_predict (x);
      else
        p_predict (x);
      if (p_bad (y))
        break;
      if (calls)
        call_learn (x, y);
      else
        p_learn (x, y);
    }
  spill (m);
  return k;
}

int
pinned_loop (const prog *p, mem *m, const V *rows, const V *labels, int n)
{
  return pinned_run (p, m, rows, labels, n, false);
}

int
pinned_calls (const prog *p, mem *m, const V *rows, const V *labels, int n)
{
  return pinned_run (p, m, rows, labels, n, true);
}
