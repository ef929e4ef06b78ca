/* internal.h -- declarations shared inside libzerojit, not part of the API. */
#ifndef ZJ_INTERNAL_H
#define ZJ_INTERNAL_H

#include <zerojit/zerojit.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ZJ_UNUSED __attribute__ ((unused))

/* Invariants a fast path relies on: checked in debug builds
   (./configure --enable-debug), compiled out otherwise. */
#if ZJ_DEBUG
# include <assert.h>
# define ZJ_ASSERT(x) assert (x)
#else
# define ZJ_ASSERT(x) ((void) 0)
#endif
#define ZJ_LIKELY(x) __builtin_expect (!!(x), 1)
#define ZJ_UNLIKELY(x) __builtin_expect (!!(x), 0)

/* Allocation that never returns NULL: out of memory is not an input error
   we could report usefully, so we stop with a message. */
void *zj_xmalloc (size_t n);
void *zj_xcalloc (size_t n, size_t size);
void *zj_xrealloc (void *p, size_t n);
char *zj_xstrdup (const char *s);
void *zj_aligned_alloc (size_t n);          /* 64-byte aligned, zeroed */
void *zj_huge_calloc (size_t n, size_t size); /* zeroed, 64-byte aligned, huge pages if large */
void *zj_huge_malloc (size_t n);   /* the same, not zeroed when large */
/* Whole file, NUL-terminated (malloc'd); length in *len if non-NULL.
   NULL with "PATH: cannot open: reason" or "PATH: cannot read: reason". */
char *zj_read_file (const char *path, size_t *len, zj_error *err);
/* The same for a text file: also NULL with "PATH: contains a NUL byte at
   offset N". */
char *zj_read_text (const char *path, size_t *len, zj_error *err);
/* All n bytes to or from fd, retrying after EINTR and short transfers
   (fdio.c); -1 on an error (errno says which) or, reading, at the end of
   the input. */
int zj_write_all (int fd, const void *buf, size_t n);
int zj_read_all (int fd, void *buf, size_t n);
/* Line (1-based) of instruction `index` (0-based) of component `comp` in
   a program's printed form; 0 when there is none.  Error messages about
   a loaded program use it to point into the file. */
int zj_program_line_of (const char *text, int comp, int index);

/* Monotonic clock in seconds, milliseconds and nanoseconds: for progress
   lines, compile times and the tier's cost model, never for results. */
static inline double
zj_now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

static inline double
zj_now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline double
zj_now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

/* CPU time of the calling thread in nanoseconds: benchmarks time with it,
   so that other jobs on a shared machine do not count. */
static inline double
zj_thread_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

static inline int
zj_cmp_double (const void *a, const void *b)
{
  const double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* Sorts v[0..n) ascending (for medians, percentiles and fastest runs). */
static inline void
zj_sort_doubles (double *v, size_t n)
{
  qsort (v, n, sizeof *v, zj_cmp_double);
}

/* Address count of kind k in a shape (0 for ZJ_KIND_N). */
static inline int
zj_kind_count (const zj_shape *s, zj_kind k)
{
  return k == ZJ_KIND_S ? s->ns : k == ZJ_KIND_V ? s->nv
       : k == ZJ_KIND_M ? s->nm : 0;
}

/* Elements of one operand of kind k at features size F (0 for N). */
static inline int
zj_kind_elems (zj_kind k, int F)
{
  return k == ZJ_KIND_S ? 1 : k == ZJ_KIND_V ? F : k == ZJ_KIND_M ? F * F : 0;
}

/* One multiply-xorshift step, the fold of every key built here (structure
   and program keys, lane-row keys: shift 29; FEC fingerprints: 31); finish
   a chain with zj_fmix64 or zj_hash_mix. */
static inline uint64_t
zj_fold_shift (uint64_t h, uint64_t v, int shift)
{
  h = (h ^ v) * 0x9e3779b97f4a7c15ULL;
  return h ^ (h >> shift);
}

static inline uint64_t
zj_fold (uint64_t h, uint64_t v)
{
  return zj_fold_shift (h, v, 29);
}

/* The features sizes the interpreters are specialised for: the size check
   (zj_features_size_ok) and both interpreters' dispatch expand this list.
   The instantiations themselves are #include chains in interp.c and
   interp_lanes.c (a macro cannot #include); a size listed here without an
   instantiation does not compile, one instantiated but not listed warns
   as an unused function. */
#define ZJ_FEATURE_SIZES(X) X (2) X (4) X (8) X (16) X (32)

/* Memory layout of one evaluation: scalars, vectors (F each), matrices
   (F*F each, column-major: element (r, c) at c*F + r).  Offsets in doubles;
   every bank starts on a 64-byte boundary so vectors load aligned. */
typedef struct zj_layout {
  int F;
  int ns, nv;                  /* scalar and vector addresses (the shape's) */
  size_t s_off, v_off, m_off, total;
} zj_layout;

void zj_layout_init (zj_layout *l, const zj_shape *shape);

/* Offset (in doubles) of address a of kind k in layout l: the first
   element of that operand; 0 for ZJ_KIND_N (an unused operand). */
static inline size_t
zj_layout_elem (const zj_layout *l, zj_kind k, int a)
{
  const size_t F = (size_t) l->F;
  switch (k)
    {
    case ZJ_KIND_S: return l->s_off + (size_t) a;
    case ZJ_KIND_V: return l->v_off + (size_t) a * F;
    case ZJ_KIND_M: return l->m_off + (size_t) a * F * F;
    default: return 0;
    }
}

/* Element index of a float fraction, computed in float as the original. */
static inline int
zj_frac_index (float frac, int F)
{
  int i = (int) ((float) F * frac);
  /* Mutated data is always in [0,1) but a hand-edited program may not be. */
  if (i < 0) i = 0;
  if (i >= F) i = F - 1;
  return i;
}

/* Roles of data fields (ops.def, ZJ_DATA). */
typedef enum zj_field_role {
  ZJ_FIELD_NIL = 0, ZJ_FIELD_IDX, ZJ_FIELD_VAL, ZJ_FIELD_SD, ZJ_FIELD_LOHI
} zj_field_role;

typedef struct zj_data_info {
  zj_field_role role[3];     /* of fields 0..2 (activation_data for act) */
  int nfields;               /* fields used (a prefix of 0..2) */
  int nidx;                  /* of those, element index fractions */
  bool act;                  /* the one field is activation_data */
} zj_data_info;

extern const zj_data_info zj_data_kinds[ZJ_NUM_DATA_KINDS];

/* An instruction's data as its kernel reads it at F: returns the offset of
   the output element its IDX fields pick (0 without), and puts the other
   fields, widened to double, in c[0], c[1] in field order (0 if unused).
   The interpreters, the lanes and the JIT's constant table all decode
   through this. */
static inline size_t
zj_data_decode (const zj_instr *in, int F, double c[2])
{
  const zj_data_info *d = &zj_data_kinds[zj_ops[in->op].data];
  size_t off = 0;
  int nidx = 0, nc = 0;
  c[0] = c[1] = 0.0;
  if (d->act)
    {
      c[0] = in->act;
      return 0;
    }
  for (int f = 0; f < d->nfields; f++)
    if (d->role[f] == ZJ_FIELD_IDX)
      off += (size_t) zj_frac_index (in->fd[f], F) * (nidx++ ? (size_t) F : 1);
    else
      c[nc++] = in->fd[f];
  return off;
}

struct zj_prepared {
  zj_shape shape;
  zj_program prog;           /* executed program (pruned or not) */
};

/* Final avalanche for keys built with a multiply-xorshift fold (FEC
   fingerprints, duplicate cache): murmur3's fmix64, a fraction of the cost
   of the original's HashMix, which only task-seed derivation needs. */
static inline uint64_t
zj_fmix64 (uint64_t h)
{
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

/* Examples of one task set already laid out in lanes (interp_lanes.c). */
typedef struct zj_lane_rows {
  uint64_t key;              /* identity of the task set; 0 = empty */
  unsigned long stamp;       /* last use, for replacement */
  long n_train;              /* training positions 0 .. n_train-1 held */
  int n_valid;               /* validation examples held (all or none) */
  double *train, *valid;     /* rows of (F + 1) * L doubles: x, then y */
  double y_lo, y_hi;         /* range of every task's training labels */
  size_t cap;                /* doubles allocated at train */
} zj_lane_rows;

#define ZJ_LANE_ROWS_SETS 4

/* Per task of a task set: the range [lo, hi] of each feature over its
   training examples, then of its label, then of each feature over its
   validation examples, as 2F + 1 (lo, hi) pairs (the training shortcut's
   proof, src/interp/shortcut.c). */
typedef struct zj_lane_ranges {
  uint64_t key;              /* lane_rows_key of the set; 0 = empty */
  unsigned long stamp;
  double *r;
  size_t cap;
} zj_lane_ranges;

#define ZJ_LANE_RANGES_SETS 4
#define ZJ_SC_MIN_STEPS 1000

/* Native code of a lane evaluation's Predict and Learn (the baseline
   tier, jit/baseline.c).  Each function runs its component's instructions
   on lane memory mem; when the code was made for a patched decode (v0 and
   s0 never written) it reads v0 from row and s0 from s0, else from mem.
   Constants come from k. */
typedef void (*zj_lnative_fn) (double *mem, const double *row,
                               const double *s0, const double *k);
/* A block of fast-path steps on native code in one call (lnrun's loop,
   interp_lanes_f.h, without a companion, a sigmoid or ACCURACY's
   validation): the steps' rows, the check's s1 and lanes, the validation
   loss and the errors to record (alive_m and loss are lane vectors). */
typedef struct zj_lsteps {
  double *mem;
  const double *zeros, *rows;
  size_t rowsz;
  long k, kn;
  int F, nb;
  const double *s1;
  const void *alive_m;
  double max_err;
  bool valid;
  void *loss;
  double *rec;
  long n_rec;
} zj_lsteps;
struct zj_lnative;
/* Runs steps a->k .. a->kn - 1; returns the first whose check failed (its
   Predict has run, its Learn has not) or a->kn. */
typedef long (*zj_lsteps_fn) (const struct zj_lnative *n, const zj_lsteps *a);
typedef struct zj_lnative {
  zj_lnative_fn predict, learn;
  const double *k;
  /* Pinned kernels (jit/stencil_pin.h): steps runs whole blocks on the
     chains below, which keep the program's memory in registers between
     examples; NULL: predict and learn, one call each per example. */
  zj_lsteps_fn steps;
  zj_lnative_fn pfill, ppredict, plearn, pspill;
} zj_lnative;
/* Fills nat and returns true when native code for p's Predict and Learn
   is ready for this lane evaluation: nt tasks in L lanes, memory laid out
   by lay, scratch at byte t_off from mem, the per-task copies of the
   matrices in zj_lmatvec_tasks_plan at byte mt_off (zj_lanes_carving;
   made after Setup), patched decode or not, about
   `examples` examples over all tasks. */
typedef bool (*zj_lnative_hook) (void *ctx, const zj_program *p,
                                 const zj_layout *lay, int L, int nt,
                                 bool patch, size_t t_off, size_t mt_off,
                                 double examples, zj_lnative *nat);

/* Work a lane evaluation interleaves with its own: step is called once
   per example of the fast paths (training steps and validation examples),
   so that the caller's independent serial chains (the split's per-task
   rest: jit/ptask.h, zj_ptask_run) fill the lanes' stalls.  The lanes
   never wait for it and do not depend on it; whatever steps it did not
   get, its owner runs afterwards. */
typedef struct zj_companion {
  bool (*step) (void *ctx);
  void *ctx;
} zj_companion;

struct zj_workspace {
  zj_shape shape;
  zj_layout lay;
  double *mem;
  void *code;                /* decoded instructions, grown on demand */
  size_t code_cap;
  double *bmem;              /* batch (lanes): memory and bookkeeping */
  size_t bmem_cap;
  zj_lane_rows lrows[ZJ_LANE_ROWS_SETS];
  unsigned long lrows_clock;
  uint64_t lrows_seen[8];    /* keys seen once: laid out on the second */
  int lrows_seen_next;
  /* The last task set's key (lane_rows.c) and the task keys it came
     from: every FEC mini-run of a search asks for the same set. */
  uint64_t lrk_tkeys[16], lrk_key;
  int lrk_nt, lrk_L;
  zj_lnative_hook native;    /* NULL: the lane interpreter runs everything */
  void *native_ctx;
  bool native_used;          /* the last lane evaluation ran native code */
  /* Set around one zj_interp_eval_task: Predict and Learn run these
     per-task native steps on ws->mem (jit/ptask.c), NULL: interpreted. */
  const zj_lnative *tnat;
  /* Set around one lane evaluation: work it interleaves (zj_companion);
     NULL: none. */
  const zj_companion *co;
  zj_lane_ranges lranges[ZJ_LANE_RANGES_SETS];
  void *sc_buf;              /* the shortcut proof's intervals */
  size_t sc_cap;             /* bytes at sc_buf */
  /* Lane evaluations that record no errors (the FEC's mini-runs do),
     those of them whose program's structure allows the training shortcut,
     and those that took it (doc/shortcuts.md); shortcut_used: the last
     lane evaluation did. */
  unsigned long n_lane_evals, n_sc_eligible, n_shortcuts;
  bool sc_eligible_used;     /* the last one's program had a plan */
  /* Training steps below which no shortcut is tried: the proof costs a
     few hundred steps' work (the demo's 100-step tasks lost 5% to it).
     ZJ_SC_MIN_STEPS; tests set 0. */
  long sc_min_steps;
  bool shortcut_used;
  /* The lanes as a run left them after its training steps, for a later
     run to continue from (zj_lsnap_mode; interp_lanes.c); NULL until a
     lane evaluation needs it. */
  struct zj_lsnap *lsnap;
  unsigned long n_resumed;   /* lane evaluations that resumed kept lanes */
};

/* Evaluate one program on nt tasks at once, the tasks in SIMD lanes
   (interp_lanes.c; same F, counts and eval type; no random ops in
   Predict or Learn).  Each task gets exactly the result of a separate
   zj_interp_eval_task with generator rng, the tasks taken in order:
   random ops in Setup draw from rng task after task (restarted from
   `reseed` before each task when it is not 0, as the FEC does); rng may
   be NULL when Setup has none.  Returns -1 (doing nothing) when not
   applicable. */
int zj_interp_eval_lanes (const zj_prepared *pp, const zj_task *const *ts,
                          int nt, const zj_eval_opts *o, zj_rng *rng,
                          uint64_t reseed, zj_workspace *ws,
                          zj_eval_result *res, double *fit);
/* Recorded errors as the lanes keep them: error i of task t at
   train[i * stride + t] (valid likewise); train NULL when not kept so. */
typedef struct zj_lane_record {
  const double *train, *valid;
  size_t stride;
} zj_lane_record;
/* The same, with task_keys[t] = zj_lane_task_key (ts[t]) worked out by a
   caller whose tasks have not changed since (or NULL): the lane rows
   cached in ws are looked up by them without reading the tasks' data.
   With rec, recorded errors kept lane-major (short records: the FEC's)
   are left there for the caller, valid until ws is next used, and
   *rec says where; res[t].train_err and valid_err are then not written
   (their counts are).  Otherwise rec->train is NULL. */
/* A run of n training steps on Setup's memory goes through the same
   states as the first n steps of a longer run of the same program on the
   same tasks (doc/shortcuts.md, "Real runs resume the FEC's
   mini-run").  So the FEC's
   mini-run keeps its lanes after its training steps (before its
   validation, whose Predicts write memory), and the real run after a
   miss starts from there instead of from Setup. */
typedef enum zj_lsnap_mode {
  ZJ_LSNAP_NONE,     /* neither (and forget any kept lanes) */
  ZJ_LSNAP_TAKE,     /* keep the lanes after the first chunk's steps */
  ZJ_LSNAP_RESUME    /* continue from them if they fit this run (same
                        program, tasks and workspace, no Setup draws, no
                        shortcut, enough steps), else start afresh */
} zj_lsnap_mode;
void zj_lsnap_free (struct zj_lsnap *s);
int zj_interp_eval_lanes_keyed (const zj_prepared *pp,
                                const zj_task *const *ts, int nt,
                                const zj_eval_opts *o, zj_rng *rng,
                                uint64_t reseed, zj_workspace *ws,
                                zj_eval_result *res, double *fit,
                                const uint64_t *task_keys,
                                zj_lane_record *rec);
/* The same with a snapshot request: TAKE and RESUME name the snapshot by
   snap_id (non-zero, the caller's: the same program on the same tasks
   between the two calls, e.g. one id per evaluation); a RESUME whose id
   is not the one kept runs from the start.  Every call but a TAKE that
   keeps its lanes forgets the kept ones. */
int zj_interp_eval_lanes_snap (const zj_prepared *pp,
                               const zj_task *const *ts, int nt,
                               const zj_eval_opts *o, zj_rng *rng,
                               uint64_t reseed, zj_workspace *ws,
                               zj_eval_result *res, double *fit,
                               const uint64_t *task_keys,
                               zj_lane_record *rec, zj_lsnap_mode snap,
                               uint64_t snap_id);
/* What identifies a task's data to the lane-row cache (addresses, sizes,
   seeds and a few sampled values). */
uint64_t zj_lane_task_key (const zj_task *t);
/* Setup of pp alone on fresh memory of ws (the single-task layout), as a
   task evaluation starts; returns that memory (lay.total doubles). */
/* The ACCURACY shortcuts an evaluation on per-task native steps takes
   (ws->tnat; src/interp/interp.c, zj_decoded): validation on the logit,
   and training without a sigmoid nothing reads. */
void zj_interp_nat_shortcuts (const zj_prepared *pp, const zj_task *t,
                              const zj_eval_opts *o, bool *logit,
                              bool *s1_dead);
const double *zj_interp_run_setup (const zj_prepared *pp, zj_rng *rng,
                                   zj_workspace *ws);
/* Whether component c of p draws random numbers. */
bool zj_fn_is_random (const zj_program *p, int c);

/* Prune: keep only instructions that can influence the prediction in the
   Setup -> {Predict -> Learn}* loop (fixed point).  Random set ops are
   always kept: they consume the shared generator, and removing one would
   change later draws. */
/* Room for at least n instructions in f (its count is unchanged). */
void zj_fn_reserve (zj_fn *f, int n);

void zj_prune (const zj_program *in, zj_program *out);
/* Same, for a program known to fit ns/nv/nm addresses (no scan). */
void zj_prune_sized (const zj_program *in, int ns, int nv, int nm,
                     zj_program *out);
/* zj_program_check and zj_prune_sized in one pass: -1 (out unchanged or
   partly written) where zj_program_check fails, else 0 and the pruned
   program in out. */
int zj_prune_checked (const zj_program *in, const zj_shape *shape,
                      zj_program *out);

/* Where a mutation changed a program (zj_mutate_site): instruction i
   of component c, which was `old` (i = -1: every instruction of c, the
   count unchanged), or nothing, or more than that.  A site is a
   superset: the instruction may have been redrawn to itself.  Only c
   is set for ZJ_SITE_NONE and ZJ_SITE_MANY. */
enum { ZJ_SITE_NONE = -1, ZJ_SITE_MANY = -2 };
typedef struct zj_mut_site {
  int c, i;
  zj_instr old;
} zj_mut_site;

/* What the prune of a program found, kept so that a child can be pruned
   without the fixed point: which instructions stay (bit i of kept[c]),
   each component's live-out set (locations as zj_prune_checked numbers
   them for `shape`), and, when keyed, the zj_program_key of the pruned
   program.  Valid only for components of at most 64 instructions and
   shapes of at most 64 locations.  tag is the caller's: 0, or a name a
   cache gave the pruned program (kept, like key, while it stays). */
typedef struct zj_prune_memo {
  uint64_t kept[ZJ_NUM_COMPONENTS], out[ZJ_NUM_COMPONENTS];
  uint64_t key, tag;
  zj_shape shape;
  bool valid, keyed;
} zj_prune_memo;

/* zj_prune_checked, also filling memo (its valid flag says whether it
   could); memo may be NULL. */
int zj_prune_checked_memo (const zj_program *in, const zj_shape *shape,
                           zj_program *out, zj_prune_memo *memo);
/* What child, the program parent's memo describes but for site, can take
   from that memo.  NONE: prune it in full (more than one change, no
   memo, or a changed instruction the check refuses: this says nothing
   else about the child).  LIVENESS: child passes the check and memo (may be parent) is
   now child's own, so zj_prune_apply (child, memo) is its prune.
   PRUNED: the same, and the pruned program is the parent's (memo keeps
   its key). */
enum { ZJ_REUSE_NONE = 0, ZJ_REUSE_LIVENESS = 1, ZJ_REUSE_PRUNED = 2 };
int zj_prune_reuse (const zj_program *child, const zj_shape *shape,
                    const zj_prune_memo *parent, const zj_mut_site *site,
                    zj_prune_memo *memo);
/* out := in's instructions that m keeps (m valid, for a program of the
   same component sizes). */
void zj_prune_apply (const zj_program *in, const zj_prune_memo *m,
                     zj_program *out);
/* Same op, operands and data fields, bit for bit (zj_program_equal's
   test), without memcmp calls or branches.  Each field is read at its
   own width: a mutation has just stored one of them, and a wider load
   across that store would wait for it to reach the cache. */
static inline bool
zj_instr_equal (const zj_instr *a, const zj_instr *b)
{
  uint32_t fa[3], fb[3];
  uint64_t xa, xb;
  memcpy (fa, a->fd, sizeof fa);
  memcpy (fb, b->fd, sizeof fb);
  memcpy (&xa, &a->act, sizeof xa);
  memcpy (&xb, &b->act, sizeof xb);
  return ((unsigned) (a->op ^ b->op) | (unsigned) (a->in1 ^ b->in1)
          | (unsigned) (a->in2 ^ b->in2) | (unsigned) (a->out ^ b->out)
          | (fa[0] ^ fb[0]) | (fa[1] ^ fb[1]) | (fa[2] ^ fb[2])
          | (xa != xb)) == 0;
}
/* zj_mutate (search.h), also saying where it changed p. */
struct zj_search_space;
int zj_mutate_site (const struct zj_search_space *sp, zj_rng *rng, int k,
                    zj_program *p, zj_mut_site *site);
/* Whether ACCURACY's s1 := sigmoid(s1) after a training step's Predict
   is never read: Learn, or else the next Predict, writes s1 before
   reading it.  The training step then needs the sigmoid only for its
   abort check, which a NaN test of s1 gives when the labels are in
   range (doc/shortcuts.md). */
bool zj_s1_sigmoid_dead (const zj_program *p);
/* The matrix addresses (bit m) whose products the lane evaluator runs
   per task on a copy it makes after Setup (src/interp/lane_decode.c):
   read by a matrix-vector product of Predict or Learn, written by
   neither, for nt tasks in L lanes; 0 when the build or F has no such
   kernel or the lane product is cheaper.  The baseline tier's stencils
   run the same products on the same copies. */
uint64_t zj_lmatvec_tasks_plan (const zj_program *p, const zj_layout *l,
                                int nt, int L);
/* Whether the baseline tier's stencils should use those copies for nt
   tasks in L lanes (8-lane chunks) rather than their lane product: a
   subset of the cases where zj_lmatvec_tasks_plan makes copies. */
bool zj_lmatvec_tasks_native (int F, int nt, int L);
/* That per-task product as a function (the lane interpreter's kernel):
   o = the product of each task's copy at mt with b, lane layout, F 8 or
   16, nb 8-lane vectors per element, nr real lanes.  The baseline
   tier's stencils call it; only AVX-512 builds have it. */
void zj_lmatvec_tasks_call (double *o, const double *mt, const double *b,
                            long F, long nb, long nr);
/* Byte offsets from a lane evaluation's memory (zj_interp_eval_lanes) of
   its scratch and of its per-task matrix copies, for nt tasks in L
   lanes; the copy of matrix m is at mt_off + m * F * F * L doubles. */
void zj_lanes_carving (const zj_layout *lay, int L, int nt, size_t *t_off,
                       size_t *mt_off);
/* zj_prepare into caller-owned storage (initialised with
   zj_program_init on pp->prog), reusing its buffers. */
int zj_prepare_into (zj_prepared *pp, const zj_program *p,
                     const zj_shape *shape, bool prune, zj_error *err);

/* The generator's hot path inline: mutation and tournaments draw several
   numbers per individual, and the calls cost more than xoshiro itself.
   Same arithmetic as rng.c's exported functions (which call these), so
   the streams are unchanged; calls in the library go here, while taking
   the address of zj_rng_next etc. still gives the exported function. */
static inline uint64_t
zj_rng_next_inl (zj_rng *r)
{
  uint64_t *s = r->s;
  const uint64_t x = s[1] * 5;
  const uint64_t result = ((x << 7) | (x >> 57)) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = (s[3] << 45) | (s[3] >> 19);
  return result;
}

/* x[0..n) := n draws of zj_rng_normal (r), in order, bit for bit; faster
   than one call each (rng.c). */
void zj_rng_normal_fill (zj_rng *r, double *x, size_t n);

uint32_t zj_rng_below_slow (zj_rng *r, uint32_t n, uint64_t m);

static inline uint32_t
zj_rng_below_inl (zj_rng *r, uint32_t n)
{
  /* Lemire's multiply-and-reject; the rare rejection loop out of line. */
  const uint64_t m = (zj_rng_next_inl (r) >> 32) * (uint64_t) n;
  if (__builtin_expect ((uint32_t) m < n, 0))
    return zj_rng_below_slow (r, n, m);
  return (uint32_t) (m >> 32);
}

static inline double
zj_rng_unit_inl (zj_rng *r)
{
  return (double) (zj_rng_next_inl (r) >> 11) * 0x1.0p-53;
}

static inline float
zj_rng_float_inl (zj_rng *r, float lo, float hi)
{
  const float u = (float) (zj_rng_next_inl (r) >> 40) * 0x1.0p-24f;
  const float x = lo + (hi - lo) * u;
  return x < hi ? x : lo;   /* rounding may reach hi; keep [lo, hi) */
}

#ifndef ZJ_RNG_IMPL
# define zj_rng_next(r) zj_rng_next_inl (r)
# define zj_rng_below(r, n) zj_rng_below_inl (r, n)
# define zj_rng_unit(r) zj_rng_unit_inl (r)
# define zj_rng_float(r, lo, hi) zj_rng_float_inl (r, lo, hi)
#endif

/* zj_op_is_random inline: the evaluator asks it of every instruction of
   every candidate (dedup, batching, lanes). */
static inline bool
zj_op_is_random_inl (int op)
{
  return (unsigned) op < (unsigned) ZJ_NUM_OPS && zj_ops[op].random;
}

#ifndef ZJ_OPS_IMPL
# define zj_op_is_random(op) zj_op_is_random_inl (op)
#endif

/* zj_fn_is_random inline, for the same reason: the evaluator and the
   lanes ask it of every candidate's components several times. */
static inline bool
zj_fn_is_random_inl (const zj_program *p, int c)
{
  bool r = false;
  for (int i = 0; i < p->fn[c].n; i++)
    r |= zj_op_is_random_inl (p->fn[c].ins[i].op);
  return r;
}

#endif
