/* baseline.h -- the baseline native tier's interface for the tier and
 * tools: a context that owns stencil libraries and step kernels, and the
 * hook that gives the lane interpreter native Predict/Learn code.
 */
#ifndef ZJ_BASELINE_H
#define ZJ_BASELINE_H

#include "internal.h"
#include "policy.h"
#include <stdio.h>

typedef struct zj_baseline zj_baseline;

typedef struct zj_baseline_stats {
  long kernels;          /* step kernels emitted */
  long hits;             /* evaluations that found their kernel ready */
  long memo_hits;        /* ... the last lookup's, without a new lookup */
  long failures;         /* stencil-library loads that failed (interpreted) */
  long fallbacks;        /* evaluations interpreted for lack of code */
  long waits;            /* ... of them while a library built in the
                            background (zj_baseline_set_builds) */
  long skips;            /* evaluations the gate left interpreted */
  long task_matvecs;     /* products on per-task copies in kernels made */
  double ready_ns;       /* total time spent making kernels ready */
  double lib_ms;         /* stencil-library loads (disk or first build) */
  size_t bytes;          /* code emitted */
  long fuse_requests;    /* fused step kernels asked for (fused.h) */
  long fused;            /* ... that became ready */
  long fused_hits;       /* evaluations that ran one */
  long fuse_failures;    /* fused compiles that failed (stencils kept) */
  long fuse_ineligible;  /* structures with an op fusing lacks */
  double fuse_ms;        /* compile time of the fused kernels ready */
  long pinned;           /* kernels on pinned stencils (ZEROJIT_PIN=1) */
} zj_baseline_stats;

/* threaded: the alternative design (call-threaded op functions) instead of
   copied stencils; for measurements. */
zj_baseline *zj_baseline_new (bool threaded);
void zj_baseline_free (zj_baseline *b);
void zj_baseline_stats_get (const zj_baseline *b, zj_baseline_stats *s);
/* The last failure's message ("" if none). */
const char *zj_baseline_error (const zj_baseline *b);
/* A policy for new kernels: gate(ctx, examples, work) says whether one
   pays for an evaluation (NULL: always), ready(ctx, ns) hears how long
   each took. */
typedef bool (*zj_baseline_gate) (void *ctx, double examples, double work);
typedef void (*zj_baseline_ready) (void *ctx, double ns);
void zj_baseline_set_policy (zj_baseline *b, zj_baseline_gate gate,
                             zj_baseline_ready ready, void *ctx);
/* fn hears when a stencil library that is not yet in the cache dir
   starts building and when that ends (NULL: silent). */
void zj_baseline_set_notice (zj_baseline *b, zj_tier_notice fn, void *ctx);
struct zj_stencil_builds;
/* Libraries not yet cached are built in the background, in builds shared
   through s (stencil_jobs.c; owned by the caller, who frees it after b):
   the evaluations that need one meanwhile are interpreted (counted in
   fallbacks and waits), later ones find it ready.  Without this (NULL,
   the default) a load waits for the build: tools, benchmarks, tests. */
void zj_baseline_set_builds (zj_baseline *b, struct zj_stencil_builds *s);
/* Tells (through the notice) of background builds that ended, also of
   libraries no evaluation asks for any more: the caller polls now and
   then (one atomic load when none runs). */
void zj_baseline_poll_builds (zj_baseline *b);
/* Fused step kernels (fused.h): a structure's kernel is asked for when
   an evaluation of at least min_examples finds it used `after` times (0
   or 1: at once); after < 0 (the default) never.  fuser(ctx, p, g, slot,
   examples, uses) queues the compile elsewhere and returns whether it
   did (the slot is then made ready or failed later; false: asked again
   at the next use); NULL: compiled in this process at once.  keep_stores: the kernels store every element they
   write, dead or not (tests compare all of memory). */
struct zj_fused_geom;
struct zj_fused_slot;
typedef bool (*zj_baseline_fuser) (void *ctx, const zj_program *p,
                                   const struct zj_fused_geom *g,
                                   struct zj_fused_slot *slot,
                                   double examples, long uses);
void zj_baseline_set_fuse (zj_baseline *b, int after, bool keep_stores,
                           double min_examples, zj_baseline_fuser fuser,
                           void *ctx);
/* The geometry lane evaluations of nt tasks give p's fused kernels
   (zerojit show --tier=fused). */
void zj_baseline_fused_geom (const zj_program *p, const zj_shape *shape,
                             int nt, struct zj_fused_geom *g);
/* A number the caller may keep with the step kernel the last successful
   lookup returned (0 until set; the door keeps its stencils' ns per
   example there, for the fusing policy).  Valid until the next lookup. */
double *zj_baseline_last_note (zj_baseline *b);
/* Six more such numbers, for the door's paired probes (tier_door.c:
   the structure's interpreted and native ns per example and its kernel's
   first run's, on short and on long evaluations). */
double *zj_baseline_last_probe (zj_baseline *b);
/* Installs b as ws's native provider (NULL b: interpret). */
void zj_baseline_attach (zj_baseline *b, zj_workspace *ws);
/* Makes the step kernel of p ready for nt lanes of F (as a lane
   evaluation would) without running it: time-to-ready measurements.
   Returns 0, or -1 when the program cannot run natively. */
int zj_baseline_prepare (zj_baseline *b, const zj_program *p,
                         const zj_shape *shape, int nt);
/* Listing of p's step kernel for nt tasks: each Predict/Learn instruction
   with its stencil and hole values and (asm) its machine code, from
   objdump when installed, else in hex.  -1 with zj_baseline_error set. */
int zj_baseline_listing (zj_baseline *b, const zj_program *p,
                         const zj_shape *shape, int nt, bool asm_, FILE *out);
/* Loads (building it now if needed) the stencil library lane
   evaluations of nt tasks at F use, so that a search finds it cached.
   0, or -1 with err set. */
int zj_baseline_warm (int F, int nt, zj_error *err);
/* Path of the cached stencil object lane evaluations of nt tasks at F use
   (with the current cache directory). */
void zj_baseline_lib_path (int F, int nt, char *buf, size_t n);

#endif
