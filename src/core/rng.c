/* rng.c -- the one random generator used by search and evaluation.
 *
 * xoshiro256** seeded through splitmix64: fast, 256-bit state, identical
 * streams on every platform.  The original uses mt19937 with abseil
 * distributions; we do not reproduce those streams bit for bit (see
 * doc/deviations.md), only the distributions and interval conventions.
 * The JIT calls these same functions, so both tiers draw identically.
 */
#define ZJ_RNG_IMPL 1    /* the exported functions, not the macros */
#include "internal.h"
#include <math.h>

static uint64_t
splitmix64 (uint64_t *x)
{
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void
zj_rng_seed (zj_rng *r, uint64_t seed)
{
  uint64_t x = seed;
  for (int i = 0; i < 4; i++)
    r->s[i] = splitmix64 (&x);
}

uint64_t
zj_rng_next (zj_rng *r)
{
  return zj_rng_next_inl (r);
}

/* zj_rng_below's rejection step: m is the first draw times n, whose low
   word is below n. */
uint32_t
zj_rng_below_slow (zj_rng *r, uint32_t n, uint64_t m)
{
  uint32_t low = (uint32_t) m;
  const uint32_t thresh = (uint32_t) -n % n;
  while (low < thresh)
    {
      m = (zj_rng_next_inl (r) >> 32) * (uint64_t) n;
      low = (uint32_t) m;
    }
  return (uint32_t) (m >> 32);
}

uint32_t
zj_rng_below (zj_rng *r, uint32_t n)
{
  return zj_rng_below_inl (r, n);
}

double
zj_rng_unit (zj_rng *r)
{
  return zj_rng_unit_inl (r);
}

float
zj_rng_float (zj_rng *r, float lo, float hi)
{
  return zj_rng_float_inl (r, lo, hi);
}

double
zj_rng_open (zj_rng *r, double lo, double hi)
{
  if (!(lo < hi) || !isfinite (hi - lo))
    return lo;
  double u = ((double) (zj_rng_next_inl (r) >> 11) + 0.5) * 0x1.0p-53;
  double x = lo + (hi - lo) * u;
  if (x >= hi)
    x = nextafter (hi, lo);
  if (x <= lo)
    x = nextafter (lo, hi);
  return x;
}

double
zj_rng_normal (zj_rng *r)
{
  /* Marsaglia's polar method; the second value is dropped so the state
     is the generator's alone (no cached half-pair to copy around). */
  for (;;)
    {
      double u = 2.0 * zj_rng_unit_inl (r) - 1.0;
      double v = 2.0 * zj_rng_unit_inl (r) - 1.0;
      double s = u * u + v * v;
      if (s > 0.0 && s < 1.0)
        return u * sqrt (-2.0 * log (s) / s);
    }
}

void
zj_rng_normal_fill (zj_rng *r, double *x, size_t n)
{
  /* zj_rng_normal n times, in blocks: first the block's draws (the
     rejection is a coin toss to the branch predictor, so an accepted
     pair is kept by advancing the index, not by a branch), then the
     logarithms, divisions and square roots, which no longer wait on one
     another's mispredicted branches.  The same operations on the same
     values: the same results. */
  enum { B = 64 };
  double U[B + 1], S[B + 1];
  while (n > 0)
    {
      const size_t m = n < B ? n : B;
      size_t k = 0;
      while (k < m)
        {
          const double u = 2.0 * zj_rng_unit_inl (r) - 1.0;
          const double v = 2.0 * zj_rng_unit_inl (r) - 1.0;
          const double s = u * u + v * v;
          U[k] = u;
          S[k] = s;
          k += s > 0.0 && s < 1.0;
        }
      double Lg[B];
      for (size_t i = 0; i < m; i++)
        Lg[i] = log (S[i]);
      for (size_t i = 0; i < m; i++)     /* vectorised: exact operations */
        x[i] = U[i] * sqrt (-2.0 * Lg[i] / S[i]);
      x += m;
      n -= m;
    }
}

double
zj_rng_gaussian (zj_rng *r, double mean, double sd)
{
  return mean + sd * zj_rng_normal (r);
}

uint32_t
zj_rng_seed32 (zj_rng *r)
{
  return 2u + zj_rng_below (r, 0xFFFFFFFDu);
}

uint64_t
zj_hash_mix (uint64_t seed, uint64_t value)
{
  uint64_t a = 0x9e3779b9ULL, b = seed, c = value;
#define ZJ_MIX_A(sh) a -= b; a -= c; a ^= (sh)
#define ZJ_MIX_B(sh) b -= c; b -= a; b ^= (sh)
#define ZJ_MIX_C(sh) c -= a; c -= b; c ^= (sh)
  ZJ_MIX_A (c >> 43); ZJ_MIX_B (a << 9);  ZJ_MIX_C (b >> 8);
  ZJ_MIX_A (c >> 38); ZJ_MIX_B (a << 23); ZJ_MIX_C (b >> 5);
  ZJ_MIX_A (c >> 35); ZJ_MIX_B (a << 49); ZJ_MIX_C (b >> 11);
  ZJ_MIX_A (c >> 12); ZJ_MIX_B (a << 18); ZJ_MIX_C (b >> 22);
#undef ZJ_MIX_A
#undef ZJ_MIX_B
#undef ZJ_MIX_C
  return c;
}
