/* rng.c -- the one random generator used by search and evaluation.
 *
 * xoshiro256** seeded through splitmix64: fast, 256-bit state, identical
 * streams on every platform.  The original uses mt19937 with abseil
 * distributions; we do not reproduce those streams bit for bit (see
 * doc/deviations.md), only the distributions and interval conventions.
 * The JIT calls these same functions, so both tiers draw identically.
 */
#include "internal.h"
#include <math.h>

static inline uint64_t
rotl (uint64_t x, int k)
{
  return (x << k) | (x >> (64 - k));
}

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
  uint64_t *s = r->s;
  uint64_t result = rotl (s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

uint32_t
zj_rng_below (zj_rng *r, uint32_t n)
{
  /* Lemire's multiply-and-reject: unbiased, rarely divides. */
  uint64_t m = (zj_rng_next (r) >> 32) * (uint64_t) n;
  uint32_t low = (uint32_t) m;
  if (low < n)
    {
      uint32_t thresh = (uint32_t) -n % n;
      while (low < thresh)
        {
          m = (zj_rng_next (r) >> 32) * (uint64_t) n;
          low = (uint32_t) m;
        }
    }
  return (uint32_t) (m >> 32);
}

double
zj_rng_unit (zj_rng *r)
{
  return (double) (zj_rng_next (r) >> 11) * 0x1.0p-53;
}

float
zj_rng_float (zj_rng *r, float lo, float hi)
{
  float u = (float) (zj_rng_next (r) >> 40) * 0x1.0p-24f;
  float x = lo + (hi - lo) * u;
  return x < hi ? x : lo;   /* rounding may reach hi; keep [lo, hi) */
}

double
zj_rng_open (zj_rng *r, double lo, double hi)
{
  if (!(lo < hi) || !isfinite (hi - lo))
    return lo;
  double u = ((double) (zj_rng_next (r) >> 11) + 0.5) * 0x1.0p-53;
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
      double u = 2.0 * zj_rng_unit (r) - 1.0;
      double v = 2.0 * zj_rng_unit (r) - 1.0;
      double s = u * u + v * v;
      if (s > 0.0 && s < 1.0)
        return u * sqrt (-2.0 * log (s) / s);
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
