/* jit_internal.h -- declarations shared by the files of the JIT tier.
 *
 * The native code of one program structure is ONE function
 *   double zj_native (zj_jit_args *a)
 * that runs a whole task evaluation like the interpreter's eval_f<F>.  The
 * argument block carries the task, the workspace memory, the per-candidate
 * constant table and a table of host functions (SLEEF, rng, fitness), so the
 * code holds no host address and no constant of the program: it depends only
 * on the structure hash and can be shared, cached and built in another
 * process.
 */
#ifndef ZJ_JIT_INTERNAL_H
#define ZJ_JIT_INTERNAL_H

#include "internal.h"
#include "identity.h"
#include <zerojit/jit.h>
#include <libgccjit.h>

/* Host functions the native code calls, by index into zj_jit_args.rt. */
enum zj_rt_index {
  ZJ_RT_SIN, ZJ_RT_COS, ZJ_RT_TAN, ZJ_RT_ASIN, ZJ_RT_ACOS, ZJ_RT_ATAN,
  ZJ_RT_EXP, ZJ_RT_LOG, ZJ_RT_SIGMOID, ZJ_RT_RNG_OPEN, ZJ_RT_RNG_GAUSS,
  ZJ_RT_RMS_FITNESS, ZJ_RT_COUNT
};

/* The native code's one argument, each field once: its C type, its IR
   type (lower.c: arg_ir_type), its name and its index (A_<NAME> in
   lower.c).  The C struct and the IR struct both expand this list, so
   they cannot drift apart. */
#define ZJ_JIT_ARGS(X) \
  X (const double *, DP, train_x, TRAIN_X) \
  X (const double *, DP, train_y, TRAIN_Y) \
  X (const double *, DP, valid_x, VALID_X) \
  X (const double *, DP, valid_y, VALID_Y) \
  X (const int *, IP, order, ORDER) \
  X (const double *, DP, k, K)          /* constant table (zj_const_fill) */ \
  X (double *, DP, mem, MEM)            /* workspace memory, zero on entry */ \
  X (zj_rng *, VP, rng, RNG) \
  X (void *const *, VPP, rt, RT)        /* ZJ_RT_COUNT host functions */ \
  X (double *, DP, train_err, TRAIN_ERR) \
  X (double *, DP, valid_err, VALID_ERR) \
  X (long, LONG, n_train, N_TRAIN)      /* steps to run (n_all_train applied) */ \
  X (long, LONG, per_epoch, PER_EPOCH) \
  X (long, LONG, train_steps, TRAIN_STEPS)      /* out */ \
  X (double, D, max_abs_error, MAX_ABS_ERROR) \
  X (int, INT, n_valid, N_VALID)        /* validation examples to run */ \
  X (int, INT, n_valid_total, N_VALID_TOTAL)    /* divisor of the loss */ \
  X (int, INT, record_errors, RECORD_ERRORS) \
  X (int, INT, n_train_err, N_TRAIN_ERR)        /* out */ \
  X (int, INT, n_valid_err, N_VALID_ERR)        /* out */ \
  X (int, INT, aborted, ABORTED)                /* out */ \
  X (long, LONG, save_step, SAVE_STEP)  /* step whose step-local values reach memory */ \
  X (double, D, fitness, FITNESS)       /* out: the pair function's result per task */

typedef struct zj_jit_args {
#define ZJ_ARG_FIELD(ctype, irtype, name, NAME) ctype name;
  ZJ_JIT_ARGS (ZJ_ARG_FIELD)
#undef ZJ_ARG_FIELD
} zj_jit_args;

typedef double (*zj_native_fn) (zj_jit_args *);
typedef double (*zj_native_pair_fn) (zj_jit_args *, zj_jit_args *);
/* The pair function's name: the single one's with this suffix. */
/* The native functions of a compile are ZJ_NATIVE_NAME "_i", i-th program
   of its batch (jit.c, worker.c), and their pair functions that plus
   ZJ_PAIR_SUFFIX. */
#define ZJ_NATIVE_NAME "zj_native"
#define ZJ_PAIR_SUFFIX "_pair"

/* Instruction set the code is compiled for (chosen once per zj_jit). */
typedef struct zj_isa {
  bool avx;                   /* VEX asm forms, 4-lane vectors */
  bool zmm;                   /* 8-lane (512-bit) vectors where 8 divides F
                                 ("avx512z"; lower.c) */
  const char *flags[4];       /* extra command-line options */
  int nflags;
  int opt_level;
  char extra[ZJ_JIT_FLAGS_MAX];  /* zj_jit_opts.flags, comma-separated
                                 (a copy: the isa travels to worker
                                 processes by value) */
  bool pairs;                 /* also the two-task function (zj_jit_opts) */
} zj_isa;

void zj_isa_choose (zj_isa *isa, const char *name, int opt_level);
void zj_jit_rt_table (void *rt[ZJ_RT_COUNT]);

/* ------------------------------------------------------------ lowering */
typedef struct zj_lower {
  gcc_jit_context *ctx;
  gcc_jit_function *fn;
  gcc_jit_block *entry;       /* locals are initialised here */
  gcc_jit_block *b;           /* current block */
  const zj_isa *isa;
  int F, W, C;                /* features, lanes per vector, chunks per vector */
  gcc_jit_type *t_v4;         /* 4 doubles: the reduction lanes when W = 8 */
  const zj_shape *shape;
  gcc_jit_type *t_d, *t_v, *t_vl, *t_dp, *t_vp, *t_int, *t_long, *t_bool,
    *t_void_ptr;
  gcc_jit_lvalue **s;         /* [ns] scalar locals (NULL when unused) */
  gcc_jit_lvalue ***v;        /* [nv][C] */
  gcc_jit_lvalue ***m;        /* [nm][F*C], column c chunk j at c*C+j */
  gcc_jit_lvalue **kv;        /* constant-table values, loaded lazily */
  int nk;
  gcc_jit_lvalue *rt_fn[ZJ_RT_COUNT];
  gcc_jit_rvalue *rt, *kptr, *rng;
  gcc_jit_rvalue *row;        /* the example's features while v0 still
                                 equals them (zl_velem), else NULL */
  gcc_jit_lvalue **fv;        /* [C] v0 in Predict and Learn when neither
                                 writes it (lower.c, feature_locals) */
  gcc_jit_lvalue *last_row;   /* the row v0 last came from, or NULL */
  gcc_jit_function *sqrt_fn;
  int ntmp;
  gcc_jit_location *loc;      /* of the statements added (NULL: none; the
                                 fused listing's program lines) */
} zj_lower;

/* Helpers used by the op table (lower_ir.c). */
gcc_jit_lvalue *zl_tmp (zj_lower *L, gcc_jit_type *t);
void zl_set (zj_lower *L, gcc_jit_lvalue *lv, gcc_jit_rvalue *rv);
gcc_jit_rvalue *zl_r (gcc_jit_lvalue *lv);
gcc_jit_rvalue *zl_bin (zj_lower *L, enum gcc_jit_binary_op op,
                        gcc_jit_rvalue *a, gcc_jit_rvalue *b);
gcc_jit_rvalue *zl_dbl (zj_lower *L, double x);
gcc_jit_rvalue *zl_vconst (zj_lower *L, const double *x);
gcc_jit_rvalue *zl_bcast (zj_lower *L, gcc_jit_rvalue *x);
gcc_jit_rvalue *zl_lane (zj_lower *L, gcc_jit_lvalue *chunk, int lane);
gcc_jit_rvalue *zl_build (zj_lower *L, gcc_jit_rvalue **x);
/* Element e of vector address a (from the feature row while L->row). */
gcc_jit_rvalue *zl_velem (zj_lower *L, int a, int e);
gcc_jit_rvalue *zl_k (zj_lower *L, int idx);
gcc_jit_rvalue *zl_call (zj_lower *L, int rt, int n, gcc_jit_rvalue **args);
gcc_jit_rvalue *zl_sqrt (zj_lower *L, gcc_jit_rvalue *x);
gcc_jit_rvalue *zl_vsqrt (zj_lower *L, gcc_jit_rvalue *x);
/* One two-operand x86 instruction mnem (s1, s2) into a fresh temporary of
   type t (VEX form with isa->avx): o = s1 OP s2 in Intel order. */
gcc_jit_rvalue *zl_asm2 (zj_lower *L, const char *mnem, gcc_jit_type *t,
                         gcc_jit_rvalue *s1, gcc_jit_rvalue *s2);
/* x86 min/max: is_max ? (s1 > s2 ? s1 : s2) : (s1 < s2 ? s1 : s2). */
gcc_jit_rvalue *zl_minmax (zj_lower *L, bool is_max, gcc_jit_rvalue *s1,
                           gcc_jit_rvalue *s2);
/* Lane mask (all ones / zero) of a < b (lt) or a == b (!lt), as a vector. */
gcc_jit_rvalue *zl_vcmp (zj_lower *L, bool lt, gcc_jit_rvalue *a,
                         gcc_jit_rvalue *b);
gcc_jit_rvalue *zl_vand (zj_lower *L, gcc_jit_rvalue *a, gcc_jit_rvalue *b);
/* mask ? y : x, lane by lane. */
gcc_jit_rvalue *zl_vblend (zj_lower *L, gcc_jit_rvalue *x, gcc_jit_rvalue *y,
                           gcc_jit_rvalue *mask);
/* Heaviside of a lane vector on its bits (no compare instruction): 1.0
   where a > 0, or a >= 0 when or_equal, else +0.0; NaN never.  Needs
   L->t_vl. */
gcc_jit_rvalue *zl_lheaviside (zj_lower *L, gcc_jit_rvalue *a, bool or_equal);
void zl_fill_loop (zj_lower *L, int rt, int k, int n, bool row_major,
                   gcc_jit_lvalue **out);
/* Canonical reduction (src/interp/reduce.h) of n chunks, of x*y when y != NULL. */
gcc_jit_rvalue *zl_reduce (zj_lower *L, gcc_jit_rvalue **x, gcc_jit_rvalue **y,
                           int n);

/* Lowers one instruction; k = index of its first constant-table slot. */
typedef void (*zj_lower_op_fn) (zj_lower *L, const zj_instr *in, int k);
extern const zj_lower_op_fn zj_lower_ops[ZJ_NUM_OPS];

/* zj_jit_eval_task for an entry known to hold pp's structure (found by
   its structure key): no key comparison. */
double zj_jit_run_task (const zj_jit_entry *e, const zj_prepared *pp,
                        const zj_task *t, const zj_eval_opts *o, zj_rng *rng,
                        zj_workspace *ws, zj_eval_result *res);

/* Builds the native evaluation function named `name` in ctx. */
int zj_lower_program (gcc_jit_context *ctx, const zj_isa *isa,
                      const zj_program *p, const zj_shape *shape,
                      zj_eval_type et, const char *name, zj_error *err);
/* Whether zj_lower_program may emit the two-task function (name
   ZJ_PAIR_SUFFIX; it does when isa->pairs): no random op in Predict or
   Learn. */
bool zj_lower_pair_ok (const zj_program *p);
/* Sets up ctx for isa (options, flags). */
void zj_jit_context_setup (gcc_jit_context *ctx, const zj_isa *isa);
/* Sets up ctx for lane code (stencils, fused kernels) of W-double chunks
   (4: AVX2, 8: AVX-512) at optimisation level opt_level. */
void zj_lane_context_setup (gcc_jit_context *ctx, int W, int opt_level);
/* Number of step-local addresses of p (see lower.c): when non-zero, an
   aborted run of its native code must be replayed to get its final memory. */
int zj_lower_step_locals (const zj_program *p, const zj_shape *shape);


/* ------------------------------------------------------------- cache */
/* One in-process compile result, shared by the entries of a batch. */
typedef struct zj_jit_lib {
  gcc_jit_result *result;
  int refs;
} zj_jit_lib;

typedef struct zj_jit_code {
  uint64_t hash;
  uint16_t *key;
  size_t nkey;
  zj_native_fn fn;
  zj_native_pair_fn fn2;      /* two tasks interleaved (lower_pair.c), or NULL */
  struct zj_jit_lib *lib;     /* in-process compile (maybe shared), or NULL */
  void *dl;                   /* dlopen handle (worker compile), or NULL */
  size_t bytes;               /* estimate used for the byte bound */
  int refs;                   /* cache's own reference + users */
  struct zj_jit_code *prev, *next;  /* LRU list, most recent first */
  struct zj_jit_code *hnext;        /* hash chain */
} zj_jit_code;

typedef struct zj_cache {
  zj_jit_code **buckets;
  size_t nbuckets, count, bytes, max_count, max_bytes;
  zj_jit_code *head, *tail;
  long hits, misses, evictions;
} zj_cache;

void zj_cache_init (zj_cache *c, size_t max_count, size_t max_bytes);
void zj_cache_destroy (zj_cache *c);
/* Finds and references an entry (moves it to the front), or NULL. */
zj_jit_code *zj_cache_find (zj_cache *c, uint64_t hash, const uint16_t *key,
                            size_t nkey);
/* Inserts (taking the creator's reference as the cache's), evicting the
   least recently used entries over the bounds. */
void zj_cache_insert (zj_cache *c, zj_jit_code *code);
void zj_code_unref (zj_jit_code *code);

/* ------------------------------------------------------------ workers */
typedef struct zj_workers zj_workers;
zj_workers *zj_workers_new (int recycle, const char *dir, zj_error *err);
void zj_workers_free (zj_workers *w);
/* Starts the zygote that forks the workers (when it can: else they are
   forked directly) and the first worker now (0), instead of at the first
   compile. */
int zj_workers_start (zj_workers *w, zj_error *err);
/* The zygote's and the current worker's pids, 0 for none (tests). */
void zj_workers_pids (const zj_workers *w, pid_t *zygote, pid_t *worker);
/* Replaces the worker by a new one now; secs[0]: the time getting it
   took, secs[1]: its fork () call's (bench). */
int zj_workers_respawn (zj_workers *w, double secs[2], zj_error *err);
/* zj_workers_pids of a zj_jit's workers (tests). */
void zj_jit_worker_pids (const zj_jit *j, pid_t *zygote, pid_t *worker);
/* Compiles the n programs p (keys in codes[i]) in a forked worker, in
   one context, to one shared object, and fills codes[i]->dl, fn, fn2. */
int zj_workers_compile (zj_workers *w, const zj_isa *isa, int n,
                        const zj_program *const *p, zj_jit_code **codes,
                        zj_error *err);

#endif
