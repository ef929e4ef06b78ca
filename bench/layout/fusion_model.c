/* fusion_model.c -- what fused native code could win on a stateful
 * paper-setting program (bench/layout/stateful.txt), as a C model.
 *
 * Memory in lane layout (F = 16, two 8-lane chunks: 10 tasks in 16 lanes,
 * as the lane interpreter runs the paper setting), one training step =
 * Predict then Learn, over 8000 rows of features and labels:
 *   ops    one instruction at a time through memory, each a loop over the
 *          32 chunks (what the interpreter and the baseline stencils do);
 *   fused  one loop per component, every instruction's chunk computed
 *          while the operands are in registers, every written vector
 *          still stored (so the memory after each step is the same);
 *   dse    fused, and the stores nothing reads dropped: v8 (read only by
 *          the dot in the same Predict) and v2 (read only by the next
 *          Learn instruction).
 * Sums use the interpreter's order (reduce.h: four accumulators from
 * -0.0), no FMA, so all three end with the same bits ("same=1").  The
 * ACCURACY sigmoid and abort check are left out: they are the same in
 * every variant.
 *   gcc -O2 -march=native -ffp-contract=off bench/layout/fusion_model.c \
 *     -o /tmp/fusion_model && /tmp/fusion_model [ROWS]
 * ROWS (default 8000) distinct rows cycle through the 8000 steps: 8000
 * streams 17 MB of rows per pass as a search does, 100 keeps them in L1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef double v8 __attribute__ ((vector_size (64)));
typedef long long i8 __attribute__ ((vector_size (64)));
#define F 16
#define NB 2
#define NS 8000

typedef struct { v8 s[5][NB]; v8 v[9][F][NB]; } memt;

static double
now (void)
{
  struct timespec a;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &a);
  return a.tv_sec * 1e9 + a.tv_nsec;
}

/* a < b ? b : a per lane (VECTOR_MAX's select). */
static inline v8
vmax (v8 a, v8 b)
{
  i8 m = (i8) (a < b);
  return (v8) ((m & (i8) b) | (~m & (i8) a));
}

static inline v8
red (const v8 a[4])
{
  return (a[0] + a[1]) + (a[2] + a[3]);
}

#define Z ((v8) { -0.0, -0.0, -0.0, -0.0, -0.0, -0.0, -0.0, -0.0 })

/* ---------------------------------------------------- one op at a time */
#define EW(o, a, b, expr) \
  for (int k = 0; k < F * NB; k++) \
    { v8 A = ((v8 *) (a))[k], B = ((v8 *) (b))[k]; ((v8 *) (o))[k] = (expr); }
#define BARRIER __asm__ volatile ("" ::: "memory")

static inline void
dot (v8 *o, const v8 *a, const v8 *b)
{
  for (int q = 0; q < NB; q++)
    {
      v8 acc[4] = { Z, Z, Z, Z };
      for (int i = 0; i < F; i++)
        acc[i & 3] += a[i * NB + q] * b[i * NB + q];
      o[q] = red (acc);
    }
}

__attribute__ ((noinline)) static void
predict_ops (memt *m, const v8 *x)
{
  EW (m->v[5], m->v[3], m->v[6], A + B); BARRIER;
  EW (m->v[8], m->v[6], m->v[5], vmax (A, B)); BARRIER;
  dot (m->s[3], &m->v[1][0][0], &m->v[5][0][0]); BARRIER;
  EW (m->v[7], m->v[4], m->v[1], A + B); BARRIER;
  for (int q = 0; q < NB; q++)
    m->s[4][q] = m->s[4][q] + m->s[3][q];
  BARRIER;
  dot (m->s[1], x, &m->v[8][0][0]); BARRIER;
  EW (m->v[3], m->v[4], m->v[3], A + B);
}

__attribute__ ((noinline)) static void
learn_ops (memt *m, const v8 *x, const v8 *y)
{
  EW (m->v[2], m->v[7], m->v[4], A + B); BARRIER;
  for (int q = 0; q < NB; q++)
    m->s[1][q] = m->s[4][q] - m->s[1][q];
  BARRIER;
  EW (m->v[3], m->v[2], m->v[5], A + B); BARRIER;
  for (int q = 0; q < NB; q++)
    m->s[1][q] = y[q] + m->s[1][q];
  BARRIER;
  for (int i = 0; i < F; i++)
    for (int q = 0; q < NB; q++)
      m->v[4][i][q] = m->s[1][q] * x[i * NB + q];
}

/* ------------------------------------------------------------ fused */
static inline __attribute__ ((always_inline)) void
predict_f (memt *m, const v8 *x, int dse)
{
  for (int q = 0; q < NB; q++)
    {
      v8 a3[4] = { Z, Z, Z, Z }, a1[4] = { Z, Z, Z, Z };
      for (int i = 0; i < F; i++)
        {
          const v8 v3 = m->v[3][i][q], v6 = m->v[6][i][q];
          const v8 v1 = m->v[1][i][q], v4 = m->v[4][i][q];
          const v8 v5 = v3 + v6, w8 = vmax (v6, v5);
          a3[i & 3] += v1 * v5;
          a1[i & 3] += x[i * NB + q] * w8;
          m->v[5][i][q] = v5;
          if (!dse)
            m->v[8][i][q] = w8;
          m->v[7][i][q] = v4 + v1;
          m->v[3][i][q] = v4 + v3;
        }
      const v8 s3 = red (a3);
      m->s[3][q] = s3;
      m->s[4][q] = m->s[4][q] + s3;
      m->s[1][q] = red (a1);
    }
}

static inline __attribute__ ((always_inline)) void
learn_f (memt *m, const v8 *x, const v8 *y, int dse)
{
  for (int q = 0; q < NB; q++)
    {
      const v8 s1 = y[q] + (m->s[4][q] - m->s[1][q]);
      m->s[1][q] = s1;
      for (int i = 0; i < F; i++)
        {
          const v8 v2 = m->v[7][i][q] + m->v[4][i][q];
          if (!dse)
            m->v[2][i][q] = v2;
          m->v[3][i][q] = v2 + m->v[5][i][q];
          m->v[4][i][q] = s1 * x[i * NB + q];
        }
    }
}

__attribute__ ((noinline)) static void
predict_fused (memt *m, const v8 *x) { predict_f (m, x, 0); }
__attribute__ ((noinline)) static void
learn_fused (memt *m, const v8 *x, const v8 *y) { learn_f (m, x, y, 0); }
__attribute__ ((noinline)) static void
predict_dse (memt *m, const v8 *x) { predict_f (m, x, 1); }
__attribute__ ((noinline)) static void
learn_dse (memt *m, const v8 *x, const v8 *y) { learn_f (m, x, y, 1); }

int
main (int argc, char **argv)
{
  const int nrows = argc > 1 ? atoi (argv[1]) : NS;
  if (nrows < 1 || nrows > NS)
    return 1;
  const size_t rowsz = (size_t) (F + 1) * NB;
  v8 *rows = aligned_alloc (64, sizeof (v8) * (size_t) NS * rowsz);
  srand (1);
  for (size_t i = 0; i < (size_t) NS * rowsz; i++)
    for (int l = 0; l < 8; l++)
      rows[i][l] = (rand () / (double) RAND_MAX - 0.5) * 1e-3;
  memt *m[3];
  for (int j = 0; j < 3; j++)
    m[j] = aligned_alloc (64, sizeof (memt));
  double best[3] = { 1e30, 1e30, 1e30 };
  for (int rep = 0; rep < 9; rep++)
    for (int j = 0; j < 3; j++)
      {
        memset (m[j], 0, sizeof (memt));
        const double t0 = now ();
        for (int k = 0; k < NS; k++)
          {
            const v8 *x = rows + (size_t) (k % nrows) * rowsz;
            if (j == 0)
              predict_ops (m[j], x), learn_ops (m[j], x, x + F * NB);
            else if (j == 1)
              predict_fused (m[j], x), learn_fused (m[j], x, x + F * NB);
            else
              predict_dse (m[j], x), learn_dse (m[j], x, x + F * NB);
          }
        const double t = (now () - t0) / NS;
        best[j] = t < best[j] ? t : best[j];
      }
  /* The dropped stores are of values nothing reads later: the rest of
     memory is the same. */
  memcpy (m[2]->v[8], m[0]->v[8], sizeof m[0]->v[8]);
  memcpy (m[2]->v[2], m[0]->v[2], sizeof m[0]->v[2]);
  printf ("%d rows: ops %.1f  fused %.1f (%.2fx)  dse %.1f (%.2fx) ns/step, "
          "fastest of 9; same=%d\n", nrows, best[0], best[1],
          best[0] / best[1], best[2], best[0] / best[2],
          !memcmp (m[0], m[1], sizeof (memt)) && !memcmp (m[0], m[2], sizeof (memt)));
  return 0;
}
