/* baseline_internal.h -- the baseline context's state, shared by
 * baseline.c (kernels keyed by structure, the lane interpreter's hook)
 * and baseline_listing.c (what `zerojit show --tier=baseline` prints).
 * Internal to jit/.
 */
#ifndef ZJ_BASELINE_INTERNAL_H
#define ZJ_BASELINE_INTERNAL_H

#include "ktable.h"
#include "baseline.h"
#include "stencil.h"
#include "fused.h"
#include "kernels_lanes.h"
#include "stencil_pin.h"

/* Lanes per chunk: the host's lane vector when it is AVX-512 wide (the
   stencils then use zmm like the interpreter), else 4. */
#define ZJ_BL_W (ZJ_LW == 8 ? 8 : 4)

#define ZJ_BL_LIBS 16
#define ZJ_BL_BUCKETS0 4096       /* initial kernel-table size (doubles) */
/* How often a context asks whether a background build ended: a waitpid
   per evaluation would cost more than a demo's evaluation. */
#define ZJ_BL_POLL_NS 2e6

typedef struct zj_bkernel {
  zj_kentry e;               /* first: the table's entry */
  zj_lnative_fn predict, learn;
  /* Pinned kernels: the chains of zj_pin_steps (NULL otherwise). */
  zj_lnative_fn pfill, ppredict, plearn, pspill;
  /* threaded design: instruction records per component */
  zj_sinst *tins[2];
  zj_threaded_fn *tfn[2];
  int tn[2];
  /* The fused step kernel (fused.h) once made: evaluations of this
     structure so far, and whether fusing was tried. */
  long uses;
  bool fuse_tried, fused_seen;
  zj_fused_slot *slot;       /* requested or made, until it fails */
  double note;               /* the caller's (zj_baseline_last_note) */
  double probe_note[6];      /* the caller's too (zj_baseline_last_probe) */
} zj_bkernel;

typedef struct zj_blib {
  int F, W, C;
  bool failed;
  bool pending;              /* building in the background (b->builds) */
  double next_poll;          /* zj_now_ns when to ask again */
  zj_stencil_lib lib;
} zj_blib;

/* The last lookup: Predict and Learn as they were, the geometry, and the
   kernel found or made.  A search looks a candidate's kernel up for its
   FEC mini-run and again for its evaluation, and a child that changes
   only Setup has its parent's Predict and Learn: those lookups skip the
   decode, the key's hash and the table (b->k still holds the same
   constants: the instructions are the same, constants included). */
typedef struct zj_bgeom {
  int F, ns, nv, L, nt;
  bool patch;
  size_t t_off, mt_off;
} zj_bgeom;
typedef struct zj_bmemo {
  zj_bkernel *k;             /* NULL: nothing remembered */
  zj_instr *ins;             /* Predict's n[0] then Learn's n[1] */
  int n[2], cap;
  zj_bgeom g;
} zj_bmemo;

struct zj_baseline {
  bool threaded;
  zj_bmemo memo;
  zj_blib libs[ZJ_BL_LIBS];
  int nlibs;
  zj_ktable kernels;
  zj_bkernel *last;          /* the last lookup's kernel (hook) */
  zj_baseline_stats st;
  zj_error err;
  double *k;
  size_t kcap;
  uint32_t *key;
  size_t keycap;
  zj_sinst *ins;
  size_t inscap;
  zj_baseline_gate gate;
  zj_baseline_ready ready;
  void *pctx;
  zj_tier_notice notice;
  void *nctx;
  int fuse_after;            /* fuse a structure at this many uses; < 0 never */
  bool fuse_keep;            /* fused kernels store every element (tests) */
  double fuse_min_examples;  /* ... in evaluations of at least this many */
  zj_baseline_fuser fuser;   /* compiles them elsewhere (NULL: in process) */
  void *fctx;
  zj_stencil_builds *builds;
  /* Pinned stencils (ZEROJIT_PIN=1, stencil_pin.h): one library, for the
     first shape that fits; pin_state 0 not tried, 1 loaded, -1 failed. */
  bool pin_on;
  int pin_state;
  zj_pin_lib pin;
};

/* Decodes Predict and Learn into b->ins (stencil choice and holes), b->k
   (constants) and b->key (the structure); returns the instruction count
   (-1: a random op) and sets np to Predict's. */
/* Whether b's m decoded instructions can run on pinned stencils (loads
   the pinned library for the first shape that fits). */
bool zj_bl_pin_ready (zj_baseline *b, const zj_layout *lay, int L, bool patch,
                      int m);
/* A pinned kernel's four chains (zj_pin_steps): fill, Predict (which
   stores s1 for the check), Learn, spill, for b's m decoded instructions,
   np of them Predict's: each chain's instructions, fills, spills and
   whether it ends with vzeroupper. */
#define ZJ_BL_PIN_CHAINS 4
typedef struct zj_bl_pin_chains {
  const zj_sinst *ins[ZJ_BL_PIN_CHAINS];
  int n[ZJ_BL_PIN_CHAINS];
  bool fill[ZJ_BL_PIN_CHAINS][2][ZJ_PIN_MAXADDR];
  bool spill[ZJ_BL_PIN_CHAINS][2][ZJ_PIN_MAXADDR];
  bool vzu[ZJ_BL_PIN_CHAINS];
} zj_bl_pin_chains;
extern const char *const zj_bl_pin_chain_names[ZJ_BL_PIN_CHAINS];
void zj_bl_pin_chains_of (const zj_baseline *b, int np, int m,
                          zj_bl_pin_chains *c);
/* Emits k's four pinned chains (memory laid out by lay, L lanes) and sets
   its Predict and Learn to run them one component at a time; false, k's
   chains NULL, when one cannot be emitted. */
bool zj_bl_pin_emit (zj_baseline *b, zj_bkernel *k, const zj_layout *lay,
                     int L, int np, int m, size_t *bytes);
int zj_bl_decode (zj_baseline *b, const zj_program *p, const zj_layout *lay,
                  int L, int nt, bool patch, size_t t_off, size_t mt_off,
                  int *np);
/* The library of (F, C) for this host's lanes, or NULL: it failed, or (in
   the background mode) it is still being built. */
zj_stencil_lib *zj_bl_lib_for (zj_baseline *b, int F, int C);
/* The lane geometry zj_interp_eval_lanes uses for nt tasks. */
void zj_bl_geometry (const zj_shape *shape, int nt, zj_layout *lay, int *L,
                     size_t *t_off, size_t *mt_off);

#endif
