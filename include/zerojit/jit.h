/* jit.h -- the libgccjit tier: programs lowered to native SIMD code.
 *
 * A zj_jit compiles a prepared program into one native function that runs
 * a whole task evaluation exactly like zj_interp_eval_task (bit-identical
 * fitness, errors and final workspace memory).  Code depends only on the
 * program's structure (ops and addresses, shape, eval type); constants are
 * data, so every candidate with the same structure shares one compile.
 * Compiled code is kept in an LRU cache bounded by entries and bytes.
 *
 * A compile failure is never fatal: it is reported in zj_error and counted,
 * and the caller falls back to the interpreter.  Available only when the
 * library was configured with libgccjit (zj_jit_available()).
 */
#ifndef ZEROJIT_JIT_H
#define ZEROJIT_JIT_H

#include <zerojit/zerojit.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct zj_jit zj_jit;
/* Compiled code for one structure; reference-counted. */
typedef struct zj_jit_code zj_jit_entry;

typedef struct zj_jit_opts {
  int opt_level;              /* libgccjit -O level, default 1; level 1
                                 adds ZJ_JIT_LEVEL1_FLAGS
                                 (doc/optimized_tier.md) */
  const char *flags;          /* NULL, or more GCC options after the
                                 level's, comma-separated, each "-f..."
                                 (e.g. "-fschedule-insns" or
                                 "-fno-expensive-optimizations"); at most
                                 ZJ_JIT_FLAGS_MAX - 1 characters */
  const char *isa;            /* NULL/"auto", "avx512z", "avx512", "avx2", "avx", "sse2" */
  size_t cache_max_entries;   /* default 4096 */
  size_t cache_max_bytes;     /* default 256 MiB (estimated code size) */
  int worker_recycle;         /* >0: compile in forked worker processes to
                                 shared objects, a new process every this
                                 many compiles (bounded memory); 0: in-process */
  int pairs;                  /* 1: also compile the two-task function that
                                 zj_jit_eval_pair runs (about twice the
                                 compile time); default 0 */
} zj_jit_opts;

#define ZJ_JIT_FLAGS_MAX 256
/* What level 1 adds to -O1: two of -O2's passes, which give the NN
   program at F=16 -O2's speed for a fraction of -O2's extra compile time
   (doc/optimized_tier.md). */
#define ZJ_JIT_LEVEL1_FLAGS "-fexpensive-optimizations,-fschedule-insns2"

/* "N" or "N,-fFLAG[,-fFLAG...]" (the CLI's --opt, --jit_opt_level) into
   o->opt_level (0..3) and o->flags (pointing into text).  0, or -1 with
   a one-line reason in err (the caller names the flag). */
int zj_jit_parse_opt (const char *text, zj_jit_opts *o, zj_error *err);
/* 0 if flags (NULL or as zj_jit_opts.flags) is well formed, else -1 with
   err naming the bad option. */
int zj_jit_flags_check (const char *flags, zj_error *err);

typedef struct zj_jit_stats {
  long compiles, hits, misses, evictions, failures;
  double compile_ms;          /* total wall time spent compiling */
  size_t entries, bytes;
} zj_jit_stats;

bool zj_jit_available (void);
void zj_jit_opts_default (zj_jit_opts *o);
zj_jit *zj_jit_new (const zj_jit_opts *o, zj_error *err);
void zj_jit_free (zj_jit *jit);

/* Compiled code for pp (compiles synchronously on a miss).  Returns a
   reference the caller gives back with zj_jit_release, or NULL with err
   set (fall back to the interpreter).  Thread-safe. */
zj_jit_entry *zj_jit_get (zj_jit *jit, const zj_prepared *pp,
                          zj_eval_type et, zj_error *err);
void zj_jit_release (zj_jit *jit, zj_jit_entry *e);
/* Entries for n programs; the cache misses are compiled together in one
   libgccjit context (one assembler/linker run: much cheaper per program).
   0, or -1 with err set and every out[i] NULL.  In-process compile only. */
int zj_jit_get_batch (zj_jit *jit, int n, const zj_prepared *const *pps,
                      const zj_eval_type *ets, zj_jit_entry **out,
                      zj_error *err);

/* Compiled code for pp if it is already in the cache (a reference, as
   zj_jit_get), else NULL; never compiles.  The _key form takes the
   structure key and hash the caller has already computed (identity.h). */
zj_jit_entry *zj_jit_lookup (zj_jit *jit, const zj_prepared *pp,
                             zj_eval_type et);
zj_jit_entry *zj_jit_lookup_key (zj_jit *jit, uint64_t hash,
                                 const uint16_t *key, size_t nkey);

/* Same contract as zj_interp_eval_task.  The entry must come from pp's
   structure; if it does not, the interpreter is used. */
double zj_jit_eval_task (const zj_jit_entry *e, const zj_prepared *pp,
                         const zj_task *t, const zj_eval_opts *o, zj_rng *rng,
                         zj_workspace *ws, zj_eval_result *res);

/* Tasks a then b, as two zj_jit_eval_task calls with the same rng (a's
   memory left in wsa, b's in wsb), into f[0] and f[1].  When the code has
   a pair function (no random op in Predict or Learn) and the tasks have
   equal sizes, their training steps run interleaved in one call, which
   hides most of each step's dependency chain; the results are the same
   bit for bit.  Returns 1 when they ran interleaved, 0 when one after the
   other (no pair function, unequal sizes, or a training abort). */
int zj_jit_eval_pair (const zj_jit_entry *e, const zj_prepared *pp,
                       const zj_task *a, const zj_task *b, const zj_eval_opts *o,
                       zj_rng *rng, zj_workspace *wsa, zj_workspace *wsb,
                       zj_eval_result *ra, zj_eval_result *rb, double f[2]);

void zj_jit_get_stats (zj_jit *jit, zj_jit_stats *s);

/* Hash of the pruned program's live instructions' ops and addresses, F,
   address counts and eval type: the code cache key. */
uint64_t zj_structure_hash (const zj_program *pruned, const zj_shape *shape,
                            zj_eval_type et);
/* Constant table of a program (activation data, float data, const-set
   element indices) in the order the code reads it. */
int zj_jit_const_count (const zj_program *p);
void zj_jit_const_fill (const zj_program *p, int F, double *k);

/* Inspection: emit = "c" (libgccjit's C reproducer of the IR) or "asm"
   (the generated assembly).  isa/opt_level as in zj_jit_opts (NULL = auto). */
int zj_jit_dump (const zj_prepared *pp, zj_eval_type et, const char *emit,
                 const zj_jit_opts *o, FILE *out, zj_error *err);

#ifdef __cplusplus
}
#endif
#endif /* ZEROJIT_JIT_H */
