/* stencilutil.h -- tasks, a per-lane-memory view and the interpreter-
 * against-baseline checks shared by test_stencil.c,
 * test_stencil_builds.c and test_fused.c (include after criterion.h,
 * testutil.h, internal.h, baseline.h and kernels_lanes.h). */
#ifndef ZJ_STENCILUTIL_H
#define ZJ_STENCILUTIL_H

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_NT 24
#define NREC 16

static inline void
use_cache_dir (const char *sub)
{
  char d[512];
  snprintf (d, sizeof d, "%s/%s", ZJ_TEST_CACHE_DIR, sub);
  setenv ("ZEROJIT_CACHE_DIR", d, 1);
}

/* zj_baseline_listing's text for p on nt tasks of shape sh (asserted to
   succeed); the caller frees it. */
static inline char *
baseline_listing_text (zj_baseline *b, const zj_program *p, const zj_shape *sh,
                       int nt, bool asm_)
{
  /* A temporary file read back, not open_memstream: GCC 12 takes the
     stream's hold on a local's address for a dangling pointer once this
     is inlined. */
  char path[] = "/tmp/zj-test-listing-XXXXXX";
  const int fd = mkstemp (path);
  cr_assert_geq (fd, 0, "%s: %s", path, strerror (errno));
  FILE *out = fdopen (fd, "w");
  cr_assert_not_null (out);
  const int rc = zj_baseline_listing (b, p, sh, nt, asm_, out);
  fclose (out);
  zj_error err = { "" };
  char *text = zj_read_file (path, NULL, &err);
  unlink (path);
  cr_assert_eq (rc, 0, "%s", zj_baseline_error (b));
  cr_assert_not_null (text, "%s", err.msg);
  return text;
}

/* A new empty cache directory ZJ_TEST_CACHE_DIR/what-XXXXXX, made
   ZEROJIT_CACHE_DIR; its name into dir.  Not what-PID: a PID comes back
   in a later run of the tests, and with it that run's cached library. */
static inline void
fresh_cache_dir (const char *what, char *dir, size_t n)
{
  mkdir (ZJ_TEST_CACHE_DIR, 0755);
  snprintf (dir, n, "%s/%s-XXXXXX", ZJ_TEST_CACHE_DIR, what);
  cr_assert_not_null (mkdtemp (dir), "%s: %s", dir, strerror (errno));
  setenv ("ZEROJIT_CACHE_DIR", dir, 1);
}

/* nt tasks with equal counts; every fourth has huge labels (aborts). */
static inline zj_task *
make_tasks (int F, int nt, int ntr, int nva, int epochs, zj_eval_type et,
            uint64_t seed)
{
  return zj_test_lane_tasks (F, nt, ntr, nva, epochs, et, seed, false);
}

/* Lane memory of ws's last lane evaluation: lay.total elements of L lanes. */
static inline const double *
lane_mem (const zj_workspace *ws, size_t *n, int nt)
{
  const int nb = (nt + ZJ_LW - 1) / ZJ_LW;
  *n = ws->lay.total * (size_t) (nb * ZJ_LW);
  return ws->bmem;
}

/* A sweep of random programs over nt tasks: the tasks, the interpreter's
   workspace ws1, the baseline b with its workspace ws2, the generator and
   the program. */
typedef struct sweep_env {
  zj_shape sh;
  int nt;
  zj_task *ts;
  zj_workspace *ws1, *ws2;
  zj_baseline *b;
  zj_rng r;
  zj_program p;
} sweep_env;

/* Takes b (set up by the caller; freed by sweep_end). */
static inline void
sweep_begin (sweep_env *e, zj_baseline *b, int F, zj_eval_type et, int nt,
             uint64_t seed)
{
  e->sh = (zj_shape) { F, 5, 4, 3 };
  e->nt = nt;
  e->ts = make_tasks (F, nt, 12, 7, 2, et, seed);
  e->ws1 = zj_workspace_new (&e->sh);
  e->ws2 = zj_workspace_new (&e->sh);
  e->b = b;
  zj_baseline_attach (b, e->ws2);
  zj_rng_seed (&e->r, seed * 7 + 1);
  zj_program_init (&e->p);
}

static inline void
sweep_end (sweep_env *e)
{
  zj_program_free (&e->p);
  zj_baseline_free (e->b);
  zj_workspace_free (e->ws1);
  zj_workspace_free (e->ws2);
  zj_test_tasks_free (e->ts, e->nt);
}

/* The options of a sweep's program n (errors recorded: none, NREC or 8;
   a short n_all_train every fourth); prints pp when ZJ_TEST_SHOW=n. */
static inline void
sweep_opts (int n, const zj_prepared *pp, zj_eval_opts *o)
{
  zj_eval_opts_default (o);
  o->record_errors = n % 3 == 0 ? 0 : n % 3 == 1 ? NREC : 8;
  if (n % 4 == 1)
    o->n_all_train = 5 + n % 12;
  if (getenv ("ZJ_TEST_SHOW") && atoi (getenv ("ZJ_TEST_SHOW")) == n)
    zj_program_print (zj_prepared_program (pp), true, stderr);
}

/* Interpreter (ws1) and baseline (ws2) on one program: equal fitness,
   steps and recorded errors, bit for bit.  The baseline's fitness per task
   into fit (NULL: not wanted). */
static inline void
check_results (const zj_prepared *pp, const zj_task *ts, int nt,
               const zj_eval_opts *o, zj_workspace *ws1, zj_workspace *ws2,
               const char *what, double *fit)
{
  const zj_task *ptrs[MAX_NT];
  double e[4][MAX_NT][NREC];
  zj_eval_result r1[MAX_NT], r2[MAX_NT];
  double f1[MAX_NT], f2[MAX_NT];
  for (int k = 0; k < nt; k++)
    {
      ptrs[k] = &ts[k];
      r1[k] = (zj_eval_result) { .train_err = e[0][k], .valid_err = e[1][k] };
      r2[k] = (zj_eval_result) { .train_err = e[2][k], .valid_err = e[3][k] };
    }
  cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, nt, o, NULL, 0, ws1, r1, f1), 0, "%s", what);
  cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, nt, o, NULL, 0, ws2, r2, f2), 0, "%s", what);
  for (int k = 0; k < nt; k++)
    {
      cr_assert (memcmp (&f1[k], &f2[k], sizeof f1[k]) == 0,
                 "%s task %d: %.17g vs %.17g", what, k, f1[k], f2[k]);
      if (fit)
        fit[k] = f2[k];
      cr_assert_eq (r1[k].train_steps, r2[k].train_steps, "%s task %d", what, k);
      cr_assert_eq (r1[k].aborted, r2[k].aborted, "%s task %d", what, k);
      cr_assert_eq (r1[k].n_train_err, r2[k].n_train_err, "%s task %d", what, k);
      cr_assert_eq (r1[k].n_valid_err, r2[k].n_valid_err, "%s task %d", what, k);
      cr_assert (memcmp (e[0][k], e[2][k], sizeof (double) * (size_t) r1[k].n_train_err) == 0,
                 "%s task %d", what, k);
      cr_assert (memcmp (e[1][k], e[3][k], sizeof (double) * (size_t) r1[k].n_valid_err) == 0,
                 "%s task %d", what, k);
    }
}

/* The last lane evaluations of ws1 and ws2 (over nt tasks) left the same
   lane memory. */
static inline void
check_lane_mem (const zj_workspace *ws1, const zj_workspace *ws2, int nt,
                const char *what)
{
  size_t n1, n2;
  const double *m1 = lane_mem (ws1, &n1, nt), *m2 = lane_mem (ws2, &n2, nt);
  cr_assert_eq (n1, n2);
  /* Bits, except that any NaN equals any NaN: which NaN x86 propagates
     from two NaN inputs follows the operand order the compiler picked for
     a commutative operation (as in test_jit).  Real lanes only: padding
     lanes are never read, and the interpreter's products with a read-only
     matrix (zj_lmatvec_tasks) leave -0.0 there instead of computing them. */
  const size_t L = (size_t) ((nt + ZJ_LW - 1) / ZJ_LW * ZJ_LW);
  for (size_t i = 0; i < n1; i++)
    cr_assert (i % L >= (size_t) nt
               || memcmp (&m1[i], &m2[i], sizeof *m1) == 0
               || (isnan (m1[i]) && isnan (m2[i])),
               "%s: memory double %zu: %.17g vs %.17g", what, i, m1[i], m2[i]);
}

/* Interpreter (ws1) and baseline (ws2) on one program; equal bit for bit,
   lane memory included.  The baseline's fitness per task into fit (NULL:
   not wanted). */
static inline void
check_fit (const zj_prepared *pp, const zj_task *ts, int nt,
           const zj_eval_opts *o, zj_workspace *ws1, zj_workspace *ws2,
           const char *what, double *fit)
{
  check_results (pp, ts, nt, o, ws1, ws2, what, fit);
  check_lane_mem (ws1, ws2, nt, what);
}

static inline void
check (const zj_prepared *pp, const zj_task *ts, int nt, const zj_eval_opts *o,
       zj_workspace *ws1, zj_workspace *ws2, const char *what)
{
  check_fit (pp, ts, nt, o, ws1, ws2, what, NULL);
}

/* Program n of a sweep (e->p): prepared (pruned for even n), with
   sweep_opts's options, checked as check does. */
static inline void
sweep_check (sweep_env *e, int n, const char *what)
{
  zj_prepared *pp = zj_test_prepare (&e->p, &e->sh, n % 2 == 0);
  zj_eval_opts o;
  sweep_opts (n, pp, &o);
  check (pp, e->ts, e->nt, &o, e->ws1, e->ws2, what);
  zj_prepared_free (pp);
}

#endif
