/* zerojit.h -- public API of libzerojit.
 *
 * AutoML-Zero programs (Setup / Predict / Learn over scalar, vector and matrix
 * memory), their text form, the tasks they learn, and their evaluation.  The
 * interpreter in the core is the reference semantics; the JIT tier (jit/)
 * must agree with it bit for bit.
 *
 * Conventions: functions that can fail return 0 on success and -1 on error,
 * with a one-line message in a caller-provided zj_error.  The library never
 * calls exit().
 */
#ifndef ZEROJIT_ZEROJIT_H
#define ZEROJIT_ZEROJIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ errors */
typedef struct zj_error {
  char msg[1024];
} zj_error;

void zj_error_set (zj_error *err, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));

/* --------------------------------------------------------------------- ops */
typedef enum zj_kind { ZJ_KIND_N = 0, ZJ_KIND_S, ZJ_KIND_V, ZJ_KIND_M } zj_kind;

/* What an op's data fields mean (ops.def, ZJ_DATA). */
typedef enum zj_data_kind {
#define ZJ_DATA(name, f0, f1, f2) ZJ_DATA_##name,
#include <zerojit/ops.def>
#undef ZJ_DATA
  ZJ_NUM_DATA_KINDS
} zj_data_kind;

typedef enum zj_op {
#define ZJ_OP(id, name, ...) ZJ_##name = id,
#include <zerojit/ops.def>
#undef ZJ_OP
  ZJ_NUM_OPS
} zj_op;

typedef struct zj_op_info {
  const char *name;          /* enum name, e.g. "SCALAR_SUM_OP" */
  zj_kind in1, in2, out;
  zj_data_kind data;
  const char *form;          /* printed-form template, see ops.def */
  int arity;                 /* number of address inputs: 0, 1 or 2 */
  bool random;               /* draws from the evaluation's generator */
} zj_op_info;

extern const zj_op_info zj_ops[ZJ_NUM_OPS];

/* Op id for an enum name ("VECTOR_SUM_OP"), or -1. */
int zj_op_lookup (const char *name);
/* True for the ops that draw random numbers (ops.def's rand column). */
bool zj_op_is_random (int op);

/* ----------------------------------------------------------- instructions */
typedef struct zj_instr {
  uint16_t op, in1, in2, out;
  float fd[3];               /* float_data_0..2 */
  double act;                /* activation_data */
} zj_instr;

typedef enum zj_component {
  ZJ_SETUP = 0, ZJ_PREDICT = 1, ZJ_LEARN = 2, ZJ_NUM_COMPONENTS = 3
} zj_component;

extern const char *const zj_component_names[ZJ_NUM_COMPONENTS]; /* "Setup".. */

typedef struct zj_fn {
  zj_instr *ins;
  int n, cap;
} zj_fn;

typedef struct zj_program {
  zj_fn fn[ZJ_NUM_COMPONENTS];
} zj_program;

void zj_program_init (zj_program *p);
void zj_program_free (zj_program *p);
void zj_program_clear (zj_program *p);
/* dst must be initialised; its old contents are replaced. */
void zj_program_copy (zj_program *dst, const zj_program *src);
bool zj_program_equal (const zj_program *a, const zj_program *b);
size_t zj_program_size (const zj_program *p);   /* total instructions */
void zj_fn_push (zj_fn *f, zj_instr in);
void zj_fn_insert (zj_fn *f, int pos, zj_instr in);
void zj_fn_remove (zj_fn *f, int pos);
void zj_fn_resize (zj_fn *f, int n);     /* new slots are no-ops */

/* ------------------------------------------------------------------ shape */
/* Memory sizes are run-time parameters (compile-time in the original). */
typedef struct zj_shape {
  int F;                     /* features size: 2, 4, 8, 16 or 32 */
  int ns, nv, nm;            /* scalar / vector / matrix address counts */
} zj_shape;

bool zj_features_size_ok (int F);
/* Checks F and that every address of p fits the shape. */
int zj_program_check (const zj_program *p, const zj_shape *shape, zj_error *err);

/* --------------------------------------------------------------- text form */
/* Print in the original's format (6 significant digits), or with %.17g
   constants when lossless (round-trips exactly). */
void zj_program_print (const zj_program *p, bool lossless, FILE *out);
char *zj_program_to_string (const zj_program *p, bool lossless); /* malloc'd */
/* One instruction's form (e.g. "s1 = dot(v1, v0)"), without the indent
   or newline. */
void zj_instr_print (const zj_instr *in, bool lossless, FILE *out);
/* Parse the printed form.  filename is used in messages
   ("FILE:LINE: unknown instruction near 'x'").  out must be initialised;
   it is replaced on success and left alone on error. */
int zj_program_parse (const char *text, const char *filename, zj_program *out,
                      zj_error *err);
int zj_program_load (const char *path, zj_program *out, zj_error *err);

/* -------------------------------------------------------------------- rng */
/* Our own generator (xoshiro256** seeded by splitmix64); see
   doc/deviations.md.  Deterministic for a seed on every platform. */
typedef struct zj_rng {
  uint64_t s[4];
} zj_rng;

void zj_rng_seed (zj_rng *r, uint64_t seed);
uint64_t zj_rng_next (zj_rng *r);
uint32_t zj_rng_below (zj_rng *r, uint32_t n);      /* uniform in [0, n) */
double zj_rng_unit (zj_rng *r);                     /* [0, 1) */
float zj_rng_float (zj_rng *r, float lo, float hi); /* [lo, hi) */
/* Uniform in the open interval (lo, hi); returns lo without consuming
   randomness when !(lo < hi) or hi - lo is not finite. */
double zj_rng_open (zj_rng *r, double lo, double hi);
double zj_rng_normal (zj_rng *r);                   /* N(0, 1) */
double zj_rng_gaussian (zj_rng *r, double mean, double sd);
uint32_t zj_rng_seed32 (zj_rng *r);                 /* uniform in (1, 2^32-1) */
/* The original's HashMix (Jenkins-style 64-bit mix) of a list of values. */
uint64_t zj_hash_mix (uint64_t seed, uint64_t value);

/* ------------------------------------------------------------------ tasks */
typedef enum zj_eval_type {
  ZJ_EVAL_INVALID = 0, ZJ_RMS_ERROR = 1, ZJ_ACCURACY = 4
} zj_eval_type;

/* One generated task: data, epoch order, evaluation type. */
typedef struct zj_task {
  int F;
  int n_train, n_valid, epochs;
  zj_eval_type eval_type;
  double *train_x, *train_y;    /* n_train * F, n_train */
  double *valid_x, *valid_y;    /* n_valid * F, n_valid */
  int *order;                   /* n_train * epochs example indices */
  uint32_t data_seed, param_seed;
  int index;                    /* position in its collection (FEC key) */
} zj_task;

void zj_task_free (zj_task *t);

/* ------------------------------------------------------------- evaluation */
/* A program prepared for evaluation on one shape: pruned of dead
   instructions and checked.  Immutable; shareable between threads. */
typedef struct zj_prepared zj_prepared;
/* Scratch memory for evaluations of one shape; one per thread.  It also
   keeps the examples of the last few task sets it evaluated laid out for
   batched evaluation, recognised by the tasks' addresses, sizes, seeds and
   a few sampled values: after changing a task's data in place, use a new
   workspace. */
typedef struct zj_workspace zj_workspace;

zj_prepared *zj_prepare (const zj_program *p, const zj_shape *shape,
                         bool prune, zj_error *err);
void zj_prepared_free (zj_prepared *pp);
/* The program that is actually executed (pruned unless prune was false). */
const zj_program *zj_prepared_program (const zj_prepared *pp);

zj_workspace *zj_workspace_new (const zj_shape *shape);
void zj_workspace_free (zj_workspace *ws);
/* Final memory of the last evaluation (scalars, then vectors, then matrices;
   matrices column-major) and its length in doubles. */
const double *zj_workspace_memory (const zj_workspace *ws, size_t *len);

typedef struct zj_eval_opts {
  long n_all_train;           /* training steps including epochs; <0 = all */
  int n_valid;                /* <0 = all */
  double max_abs_error;       /* abort threshold, default 100 */
  int record_errors;          /* FEC: record up to this many errors each */
  /* Run every step as written, without the exact shortcuts the lane
     evaluator takes when it can prove a step's work is unobservable
     (doc/shortcuts.md).  The results are the same either way: this is
     for tests and benchmarks. */
  bool no_shortcuts;
  /* The caller wants the recorded errors only (the FEC's mini-runs): an
     evaluator may then skip working out the fitness and report 0. */
  bool no_fitness;
} zj_eval_opts;

typedef struct zj_eval_result {
  double fitness;
  long train_steps;           /* attempted training steps */
  bool aborted;
  int n_train_err, n_valid_err;
  double *train_err, *valid_err;  /* caller-provided, record_errors long */
} zj_eval_result;

void zj_eval_opts_default (zj_eval_opts *o);

/* Evaluate one program on one task with the interpreter (the reference
   semantics: doc/semantics.md, "Executor").  Returns the fitness in [0,1]. */
double zj_interp_eval_task (const zj_prepared *pp, const zj_task *t,
                            const zj_eval_opts *o, zj_rng *rng,
                            zj_workspace *ws, zj_eval_result *res);

/* Fitness helpers shared by every tier. */
double zj_rms_fitness (double loss, int n);        /* 1 - 2/pi atan(rms) */
double zj_sigmoid (double x);

typedef enum zj_combination {
  ZJ_COMBINE_UNKNOWN = 0, ZJ_COMBINE_MEAN = 1, ZJ_COMBINE_MEDIAN = 3
} zj_combination;

double zj_combine_fitness (const double *f, int n, zj_combination mode);

#ifdef __cplusplus
}
#endif
#endif /* ZEROJIT_ZEROJIT_H */
