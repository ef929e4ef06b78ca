/* test_perf_map.c -- ZEROJIT_PERF_MAP (jit/stencil_perf.c): the copied
 * step kernels of the lanes (baseline) and of the per-task stencils get
 * one line per Predict/Learn instruction in /tmp/perf-<pid>.map, named by
 * component, index and op, in order, contiguous, at the kernel's address;
 * without the variable no map is written; a map that cannot be opened
 * changes nothing else. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testutil.h"
#include "internal.h"
#include "baseline.h"
#include "kernels_lanes.h"
#include "stencil.h"
#include "ptask.h"
#include "stencilutil.h"

/* Matrix and vector ops in Predict, scalar and vector ones in Learn. */
static const char *const program = ZJ_TEST_MATVEC_PROGRAM;

typedef struct map_line {
  uintptr_t start;
  size_t size;
  char name[128];
} map_line;

static void
map_path (char *buf, size_t n)
{
  snprintf (buf, n, "/tmp/perf-%d.map", (int) getpid ());
}

/* The map's lines (at most max) into out; how many. */
static int
read_map (map_line *out, int max)
{
  char path[64];
  map_path (path, sizeof path);
  FILE *f = fopen (path, "r");
  cr_assert_not_null (f, "%s not written", path);
  int n = 0;
  char line[256];
  while (fgets (line, sizeof line, f))
    {
      cr_assert_lt (n, max);
      unsigned long long a, s;
      cr_assert_eq (sscanf (line, "%llx %llx %127s", &a, &s, out[n].name), 3,
                    "malformed line '%s'", line);
      cr_assert (strchr (line, '\n'), "line '%s' not ended", line);
      out[n].start = (uintptr_t) a;
      out[n].size = (size_t) s;
      n++;
    }
  fclose (f);
  return n;
}

/* .fini of every test: a failed assertion leaves no map behind. */
static void
remove_map (void)
{
  char path[64];
  map_path (path, sizeof path);
  unlink (path);
  rmdir (path);
}

static void
parse (zj_program *p)
{
  zj_error err;
  zj_program_init (p);
  cr_assert_eq (zj_program_parse (program, "test", p, &err), 0, "%s", err.msg);
}

/* Every test's start: the stencil cache, no map yet at path, the
   variable set to value (NULL: unset), the program parsed. */
static void
start (char *path, size_t n, const char *value, zj_program *p)
{
  use_cache_dir ("stencils");
  map_path (path, n);
  unlink (path);
  if (value)
    setenv ("ZEROJIT_PERF_MAP", value, 1);
  else
    unsetenv ("ZEROJIT_PERF_MAP");
  parse (p);
}

/* Checks the lines of one component starting at l[at]: one per
   instruction of p's component c named prefix:<P|L><i>:<op>, contiguous
   from code, then the return.  Returns the index after them. */
static int
check_component (const map_line *l, int n, int at, const zj_program *p, int c,
                 const char *prefix, uintptr_t code)
{
  const zj_fn *f = &p->fn[c];
  const char cc = c == ZJ_PREDICT ? 'P' : 'L';
  uintptr_t next = code;
  int k = 0;
  for (int i = 0; i < f->n; i++)
    {
      if (f->ins[i].op == ZJ_NO_OP)
        continue;
      cr_assert_lt (at, n, "%c%d: no line", cc, k);
      char want[128];
      snprintf (want, sizeof want, "%s:%c%d:%s", prefix, cc, k, zj_ops[f->ins[i].op].name);
      cr_assert_str_eq (l[at].name, want);
      cr_assert_eq (l[at].start, next, "%s starts at %#lx, not %#lx", want,
                    (unsigned long) l[at].start, (unsigned long) next);
      cr_assert_gt (l[at].size, 0, "%s", want);
      next = l[at].start + l[at].size;
      at++;
      k++;
    }
  char ret[128];
  snprintf (ret, sizeof ret, "%s:%c:ret", prefix, cc);
  cr_assert_lt (at, n);
  cr_assert_str_eq (l[at].name, ret);
  cr_assert_eq (l[at].start, next);
  cr_assert_gt (l[at].size, 0);
  return at + 1;
}

static const zj_shape shape = { 4, 5, 4, 3 };

Test (perf_map, lane_kernels_name_every_instruction,
      .timeout = 300, .fini = remove_map)
{
  char path[64];
  zj_program p;
  start (path, sizeof path, "1", &p);
  zj_baseline *b = zj_baseline_new (false);
  cr_assert_eq (zj_baseline_prepare (b, &p, &shape, 10), 0, "%s", zj_baseline_error (b));
  /* The listing emits the kernel again and says where: the addresses of
     the second pair of components in the map. */
  char *text = baseline_listing_text (b, &p, &shape, 10, false);
  void *at_p = NULL, *at_l = NULL;
  const char *s = strstr (text, "def Predict():");
  cr_assert_not_null (s, "%s", text);
  cr_assert_eq (sscanf (strstr (s, " at "), " at %p", &at_p), 1);
  s = strstr (text, "def Learn():");
  cr_assert_not_null (s, "%s", text);
  cr_assert_eq (sscanf (strstr (s, " at "), " at %p", &at_l), 1);
  free (text);

  map_line l[128];
  const int n = read_map (l, 128);
  cr_assert_gt (n, 0);
  cr_assert_str_eq (l[0].name, "zj:lanes:F4:stubs");
  cr_assert_gt (l[0].size, 0);
  int at = 1;
  /* prepare's kernel, then the listing's. */
  at = check_component (l, n, at, &p, ZJ_PREDICT, "zj:lanes:F4", l[at].start);
  at = check_component (l, n, at, &p, ZJ_LEARN, "zj:lanes:F4", l[at].start);
  at = check_component (l, n, at, &p, ZJ_PREDICT, "zj:lanes:F4", (uintptr_t) at_p);
  at = check_component (l, n, at, &p, ZJ_LEARN, "zj:lanes:F4", (uintptr_t) at_l);
  cr_assert_eq (at, n, "%d lines after the kernels", n - at);
  /* The copied code follows the stubs in the library's mapping. */
  cr_assert_gt (l[1].start, l[0].start);
  cr_assert_str_eq (l[1].name, "zj:lanes:F4:P0:MATRIX_VECTOR_PRODUCT_OP");
  zj_baseline_free (b);
  zj_program_free (&p);
  unlink (path);
}

Test (perf_map, per_task_kernels_start_at_the_function,
      .timeout = 300, .fini = remove_map)
{
  char path[64];
  zj_program p;
  start (path, sizeof path, "1", &p);
  zj_layout lay;
  zj_layout_init (&lay, &shape);
  zj_ptask *pt = zj_ptask_new ();
  zj_lnative nat;
  cr_assert (zj_ptask_get (pt, &p, &lay, &nat), "%s", zj_ptask_error (pt));
  map_line l[64];
  const int n = read_map (l, 64);
  cr_assert_str_eq (l[0].name, "zj:ptask:F4:stubs");
  int at = check_component (l, n, 1, &p, ZJ_PREDICT, "zj:ptask:F4",
                            (uintptr_t) (void *) nat.predict);
  at = check_component (l, n, at, &p, ZJ_LEARN, "zj:ptask:F4",
                        (uintptr_t) (void *) nat.learn);
  cr_assert_eq (at, n);
  /* The same structure again: the kernel is reused, nothing is added. */
  cr_assert (zj_ptask_get (pt, &p, &lay, &nat));
  cr_assert_eq (read_map (l, 64), n);
  zj_ptask_free (pt);
  zj_program_free (&p);
  unlink (path);
}

Test (perf_map, nothing_without_the_variable,
      .timeout = 300, .fini = remove_map)
{
  char path[64];
  zj_program p;
  start (path, sizeof path, NULL, &p);
  zj_baseline *b = zj_baseline_new (false);
  cr_assert_eq (zj_baseline_prepare (b, &p, &shape, 10), 0, "%s", zj_baseline_error (b));
  zj_baseline_stats st;
  zj_baseline_stats_get (b, &st);
  cr_assert_eq (st.kernels, 1);
  cr_assert_neq (access (path, F_OK), 0, "%s written without ZEROJIT_PERF_MAP", path);
  zj_baseline_free (b);
  /* "0" is off too. */
  setenv ("ZEROJIT_PERF_MAP", "0", 1);
  b = zj_baseline_new (false);
  cr_assert_eq (zj_baseline_prepare (b, &p, &shape, 10), 0);
  cr_assert_neq (access (path, F_OK), 0);
  zj_baseline_free (b);
  zj_program_free (&p);
}

/* A map that cannot be opened (here: a directory in its place) leaves the
   kernels as they are. */
Test (perf_map, unopenable_map_changes_nothing,
      .timeout = 300, .fini = remove_map)
{
  char path[64];
  zj_program p;
  start (path, sizeof path, "1", &p);
  rmdir (path);
  cr_assert_eq (mkdir (path, 0700), 0, "%s: %s", path, strerror (errno));
  zj_baseline *b = zj_baseline_new (false);
  cr_assert_eq (zj_baseline_prepare (b, &p, &shape, 10), 0, "%s", zj_baseline_error (b));
  zj_baseline_stats st;
  zj_baseline_stats_get (b, &st);
  cr_assert_eq (st.kernels, 1);
  cr_assert_eq (st.fallbacks, 0);
  zj_layout lay;
  zj_layout_init (&lay, &shape);
  zj_ptask *pt = zj_ptask_new ();
  zj_lnative nat;
  cr_assert (zj_ptask_get (pt, &p, &lay, &nat), "%s", zj_ptask_error (pt));
  zj_ptask_free (pt);
  zj_baseline_free (b);
  zj_program_free (&p);
  cr_assert_eq (rmdir (path), 0);
}

/* Under ZEROJIT_PIN=1 a pinned kernel's four chains (doc/baseline_tier.md,
   "Register-resident stencils") get their lines too: every fill, spill
   and instruction of each chain, contiguous, then its return, under
   zj:pin:F4. */
Test (perf_map, pinned_chains_name_every_piece,
      .timeout = 300, .fini = remove_map)
{
  if (ZJ_LW != 8)
    cr_skip ("pinned stencils need AVX-512");
  char path[64];
  zj_program p;
  start (path, sizeof path, "1", &p);
  zj_program_free (&p);
  zj_program_init (&p);
  zj_error err;
  cr_assert_eq (zj_program_parse (
    "def Setup():\n  s2 = -0.01\n"
    "def Predict():\n  s1 = dot(v0, v1)\n"
    "def Learn():\n  s3 = s0 - s1\n  s3 = s2 * s3\n  v2 = s3 * v0\n  v1 = v1 + v2\n",
    "test", &p, &err), 0, "%s", err.msg);
  const zj_shape sh = { 4, 4, 3, 1 };
  setenv ("ZEROJIT_PIN", "1", 1);
  zj_baseline *b = zj_baseline_new (false);
  unsetenv ("ZEROJIT_PIN");
  cr_assert_eq (zj_baseline_prepare (b, &p, &sh, 10), 0, "%s", zj_baseline_error (b));
  zj_baseline_stats st;
  zj_baseline_stats_get (b, &st);
  cr_assert_eq (st.pinned, 1);
  map_line l[128];
  const int n = read_map (l, 128);
  static const char *const want[] = {
    "fill:fill:s1", "fill:fill:s2", "fill:fill:s3", "fill:fill:v1", "fill:fill:v2",
    "fill:ret",
    "Predict:0:VECTOR_INNER_PRODUCT_OP", "Predict:spill:s1", "Predict:ret",
    "Learn:0:SCALAR_DIFF_OP", "Learn:1:SCALAR_PRODUCT_OP",
    "Learn:2:SCALAR_VECTOR_PRODUCT_OP", "Learn:3:VECTOR_SUM_OP", "Learn:ret",
    "spill:spill:s1", "spill:spill:s3", "spill:spill:v1", "spill:spill:v2",
    "spill:ret",
  };
  const int nw = (int) (sizeof want / sizeof *want);
  int k = 0;
  uintptr_t next = 0;
  for (int i = 0; i < n; i++)
    {
      if (strncmp (l[i].name, "zj:pin:F4:", 10) != 0 || !strcmp (l[i].name + 10, "stubs"))
        continue;
      cr_assert_lt (k, nw, "extra line %s", l[i].name);
      cr_assert_str_eq (l[i].name + 10, want[k]);
      cr_assert_gt (l[i].size, 0, "%s", l[i].name);
      /* Within a chain each piece starts where the previous one ended. */
      if (k > 0 && !strstr (want[k - 1], "ret"))
        cr_assert_eq (l[i].start, next, "%s", l[i].name);
      next = l[i].start + l[i].size;
      k++;
    }
  cr_assert_eq (k, nw, "%d of %d pinned lines", k, nw);
  zj_baseline_free (b);
  zj_program_free (&p);
  unlink (path);
}
