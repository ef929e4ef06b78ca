/* stencil.h -- the baseline native tier: copy-and-patch stencils.
 *
 * libgccjit compiles, once per (F, chunks per element, ISA), one small
 * function per op and operand-source variant that works on the lane
 * layout of src/interp/interp_lanes.c (element i of task t at [i * L + t]).
 * Operand byte offsets, the scratch offset, the real-lane count and the
 * constant's position are imported globals ("holes"): in the object file
 * they are R_X86_64_32S relocations sitting in addressing modes and
 * immediates.  Each stencil ends with a tail call to CONTINUE.  The object
 * is cached on disk; a component's code is the stencils of its
 * instructions copied back to back into executable memory with their holes
 * patched and their tail jumps dropped (doc/baseline_tier.md).
 *
 * Files: stencil_build.c (a function per op and variant), stencil_ops.c
 * (the IR of every op's body), stencil_lib.c (building the library and
 * its disk cache), stencil_elf.c (reading the object), execmem.c
 * (executable memory), stencil_emit.c (copy and patch), stencil_perf.c
 * (perf's map of the copied code), baseline.c
 * (kernels keyed by structure, the lane interpreter's hook).
 */
#ifndef ZJ_STENCIL_H
#define ZJ_STENCIL_H

#include "internal.h"
#include <stdint.h>

/* Holes every stencil may have, by index. */
enum zj_hole {
  ZJ_HOLE_O,        /* output byte offset from mem */
  ZJ_HOLE_A,        /* in1 byte offset from its base (mem, row or s0) */
  ZJ_HOLE_B,        /* in2 byte offset from its base */
  ZJ_HOLE_T,        /* scratch byte offset from mem */
  ZJ_HOLE_NR,       /* real lanes (tasks) */
  ZJ_HOLE_K,        /* byte offset of the op's constant in k */
  ZJ_HOLE_COUNT
};

/* Operand-source variant bits: an input of kind V read from the example
   row (v0) or of kind S from the s0 source, instead of from mem; and
   (ZJ_SV_MT, MATRIX_VECTOR_PRODUCT only) the matrix read from the
   per-task copy the lane evaluator makes after Setup (hole A is then the
   copy's byte offset from mem), the product done by the lane
   interpreter's own kernel, zj_lmatvec_tasks_call. */
#define ZJ_SV_A 1
#define ZJ_SV_B 2
#define ZJ_SV_MT 4
#define ZJ_SV_COUNT 8

/* Signature of a stencil chain (and, for the threaded design, of one op
   with its hole values in h). */
typedef void (*zj_stencil_fn) (double *mem, const double *row,
                               const double *s0, const double *k);
typedef void (*zj_threaded_fn) (double *mem, const double *row,
                                const double *s0, const double *k,
                                const size_t *h);

/* One relocation of a stencil, offsets relative to its first byte. */
typedef struct zj_sreloc {
  uint32_t at;          /* where the field is */
  uint8_t type;         /* ZJ_SR_* */
  int8_t hole;          /* ZJ_HOLE_* for ZJ_SR_HOLE32 */
  int64_t addend;
  const void *target;   /* ZJ_SR_PC32: absolute target (data or stub) */
} zj_sreloc;

enum { ZJ_SR_HOLE32, ZJ_SR_PC32, ZJ_SR_CONT };

typedef struct zj_stencil {
  const uint8_t *code;  /* in the object image */
  uint32_t size;        /* bytes to copy (tail jump dropped) */
  zj_sreloc *rel;
  int nrel;
} zj_stencil;

/* Executable memory: one mapping per library, bump-allocated; the
   library's read-only data and call stubs live at its start so every
   rel32 from copied code reaches them. */
typedef struct zj_execmem {
  uint8_t *base;
  size_t size, used, data_end;
} zj_execmem;

/* A library's executable memory. */
#define ZJ_EXECMEM_SIZE ((size_t) 64 << 20)
int zj_execmem_init (zj_execmem *m, size_t size);
void zj_execmem_destroy (zj_execmem *m);
void *zj_execmem_alloc (zj_execmem *m, size_t n, size_t align);
/* Drops all code (keeps the data and stubs). */
void zj_execmem_reset_code (zj_execmem *m);

/* perf's map of the code copied into one executable mapping
   (stencil_perf.c), with ZEROJIT_PERF_MAP=1. */
typedef struct zj_perf_map {
  /* ZEROJIT_PERF_MAP, read at open; false when zeroed, so fd 0 is never
     closed by mistake. */
  bool on;
  int fd;               /* /tmp/perf-<pid>.map, -1 if it cannot open */
  int pid;
  const zj_execmem *mem;   /* its data and stubs get a line at each open */
  char label[32];       /* the names' prefix after "zj:": "lanes:F4" */
} zj_perf_map;

/* A stencil library for one (F, W, C): W lanes per chunk (4 or 8), C
   chunks per element: the stencils of every op and variant
   (size 0 = not built) and, for the threaded design, callable functions. */
typedef struct zj_stencil_lib {
  int F, W, C;
  zj_stencil st[ZJ_NUM_OPS][ZJ_SV_COUNT];
  zj_threaded_fn th[ZJ_NUM_OPS][ZJ_SV_COUNT];
  void *image;          /* the object file's bytes */
  zj_execmem mem;       /* copied data, stubs, then emitted code */
  void *th_result;      /* gcc_jit_result of the threaded design */
  zj_perf_map perf;     /* opened when the library is loaded */
} zj_stencil_lib;

/* Stencil name of op/variant, the symbol compiled into the object. */
void zj_stencil_name (char *buf, size_t n, int op, int variant);
/* Whether op has variant v (its A/B bits name V/S inputs only, MT is
   for MATRIX_VECTOR_PRODUCT). */
bool zj_stencil_variant_ok (int op, int v);
/* Whether a library of (F, W) has the MT variants: the per-task kernel
   exists for 8-lane chunks and F 8 or 16 (ZJ_LMATVEC_TASKS). */
bool zj_stencil_mt_built (int F, int W);

/* IR of every stencil into ctx (stencil_build.c).  threaded: holes are
   read from a parameter and functions return instead of tail-calling. */
void zj_stencil_build_ir (void *gcc_jit_ctx, int F, int W, int C,
                          bool threaded);

/* Directory of the on-disk cache ($ZEROJIT_CACHE_DIR, else
   $XDG_CACHE_HOME/zerojit, else ~/.cache/zerojit). */
void zj_stencil_cache_dir (char *buf, size_t n);
/* The cached object's path for (F, W, C) (failure sentinel: + ".failed"). */
void zj_stencil_lib_path (char *buf, size_t n, int F, int W, int C);
/* Loads (building and caching on disk if needed) the library for F, W, C.
   -1 with err set when the build fails or ZEROJIT_FAIL_COMPILE=1; a failed
   build leaves a sentinel file so later runs do not retry it. */
int zj_stencil_lib_load (zj_stencil_lib *lib, int F, int W, int C,
                         zj_error *err);
void zj_stencil_lib_free (zj_stencil_lib *lib);

/* A library build in a forked child, for callers that must not wait for
   it (a search: jit/baseline.c).  pid > 0 while it runs, 0 once the
   library is in the cache, -1 when it cannot be had. */
typedef struct zj_stencil_job {
  int F, W, C;
  int pid;
  int fd;               /* the child's error message comes through it */
  double t0;            /* start (zj_now_ns) */
  double secs;          /* how long it ran, once done */
} zj_stencil_job;
/* 1: the build started in a child; 0: the library is cached already;
   -1 (err set): it cannot be had (ZEROJIT_FAIL_COMPILE=1, the CPU, a
   sentinel of an earlier failure, fork). */
int zj_stencil_job_start (zj_stencil_job *job, int F, int W, int C,
                          zj_error *err);
/* A started build: 1 still running (wait false: one waitpid WNOHANG),
   0 done and cached, -1 failed (err set; the sentinel written).  The
   child is reaped by the call that returns 0 or -1; wait true blocks
   until then.  Calls after that repeat the answer. */
int zj_stencil_job_poll (zj_stencil_job *job, bool wait, zj_error *err);

/* Builds shared by the evaluators of a search (stencil_jobs.c), locked. */
typedef struct zj_stencil_builds zj_stencil_builds;
enum { ZJ_SB_READY, ZJ_SB_BUILDING, ZJ_SB_FAILED };
enum { ZJ_SB_NEWS_NONE, ZJ_SB_NEWS_STARTED, ZJ_SB_NEWS_DONE,
       ZJ_SB_NEWS_FAILED };
zj_stencil_builds *zj_stencil_builds_new (void);
/* Waits for the builds still running (they finish the cache). */
void zj_stencil_builds_free (zj_stencil_builds *s);
/* ZJ_SB_* of (F, W, C)'s library, starting its build in a child when it
   is neither cached nor failed (never waits).  news: whether this call
   started the build or saw it end (then secs: how long it ran); each is
   told to one caller only.  ZJ_SB_FAILED sets err. */
int zj_stencil_builds_poll (zj_stencil_builds *s, int F, int W, int C,
                            int *news, double *secs, zj_error *err);
/* A build seen to end by zj_stencil_builds_reap. */
typedef struct zj_stencil_ended {
  int F, news;                 /* ZJ_SB_NEWS_DONE or _FAILED */
  double secs;
  char why[sizeof ((zj_error *) 0)->msg];
} zj_stencil_ended;
/* Polls every running build (nothing when none runs: one atomic load),
   including those no evaluation asks for any more; up to max that ended
   now into out, each told to this caller only.  Returns how many. */
int zj_stencil_builds_reap (zj_stencil_builds *s, zj_stencil_ended *out,
                            int max);
/* Parses an object image into lib->st (stencil_elf.c); copies its data
   sections into lib->mem and makes call stubs.  -1 on a malformed object. */
int zj_stencil_elf_parse (zj_stencil_lib *lib, const uint8_t *img,
                          size_t len, zj_error *err);
/* The same for any set of stencils: slot gives the stencil a function
   symbol's name fills (NULL: not a stencil); data and stubs go to mem. */
typedef zj_stencil *(*zj_stencil_slot_fn) (void *ctx, const char *name);
int zj_stencil_elf_parse_slots (zj_execmem *mem, const uint8_t *img,
                                size_t len, zj_stencil_slot_fn slot,
                                void *ctx, zj_error *err);

/* The threaded design (the measured alternative): libgccjit compiles the
   same IR in memory with holes as parameters. */
int zj_stencil_lib_threaded (zj_stencil_lib *lib, zj_error *err);

/* Per-task stencils (stencil_ptask.c): a library of C = ZJ_PTASK_C holds
   one stencil per op (variant 0) doing the op for ONE task in the
   single-task interpreter's layout, W doubles per vector chunk along the
   elements (zj_ptask_W); its holes O, A, B are byte offsets from mem and
   K the constant's byte offset in k.  Built, cached and loaded like the
   lane libraries (file ptask-v<version>-F<F>-<isa>.o). */
#define ZJ_PTASK_C 0
/* Whether F has per-task stencils (F a multiple of 4, 4..32). */
bool zj_ptask_F_ok (int F);
/* Doubles per vector chunk of the per-task library of F on this host. */
int zj_ptask_W (int F);
/* Whether op has a per-task stencil (every op but the random ones). */
bool zj_ptask_op_ok (int op);
void zj_ptask_build_ir (void *gcc_jit_ctx, int F, int W);

/* One instruction's stencil choice and hole values. */
typedef struct zj_sinst {
  int op, variant;
  size_t hole[ZJ_HOLE_COUNT];
  int addr[3];                  /* output, in1, in2 addresses (pinned stencils) */
} zj_sinst;

/* Copies and patches the stencils of n instructions into lib's memory,
   ending with a return.  NULL when memory is full.  offs (n + 1 entries,
   or NULL) receives where each instruction's code starts and the end.
   comp (ZJ_PREDICT or ZJ_LEARN) names the code in perf's map. */
zj_stencil_fn zj_stencil_emit (zj_stencil_lib *lib, const zj_sinst *ins,
                               int n, int comp, size_t *bytes, uint32_t *offs);
/* The same for any stencils st[i] with ins[i]'s holes, into mem (no perf
   map), ending with vzeroupper; ret (vzu) or ret; offs (n + 1 entries, or
   NULL) as for zj_stencil_emit. */
zj_stencil_fn zj_stencil_emit_list (zj_execmem *mem,
                                    const zj_stencil *const *st,
                                    const zj_sinst *ins, int n, bool vzu,
                                    size_t *bytes, uint32_t *offs);

/* A perf map: open reads the variable (mem's data and stubs get a line,
   named zj:<label>:stubs), close closes; the lines of code copied since
   go in batches, one write each: begin (false: the map is off), a line
   zj:<label>:<name> per piece, end.  A forked child reopens its own map
   at its first batch.  Failures to open or write are ignored. */
void zj_perf_map_open (zj_perf_map *m, const zj_execmem *mem,
                       const char *label);
void zj_perf_map_close (zj_perf_map *m);
typedef struct zj_perf_lines {
  zj_perf_map *m;
  size_t len;
  char buf[8192];
} zj_perf_lines;
bool zj_perf_lines_begin (zj_perf_lines *w, zj_perf_map *m);
void zj_perf_lines_add (zj_perf_lines *w, const void *start, size_t size,
                        const char *name);
void zj_perf_lines_end (zj_perf_lines *w);

/* A library's map (zj:<lanes|ptask>:F<F>): open at load, emit a line per
   instruction of code (bytes long, ins[0..n)) named <P|L><i>:<op> and one
   for the return, close. */
void zj_stencil_perf_open (zj_stencil_lib *lib);
void zj_stencil_perf_emit (zj_stencil_lib *lib, const uint8_t *code,
                           const zj_sinst *ins, int n, int comp, size_t bytes);
void zj_stencil_perf_close (zj_stencil_lib *lib);

#endif
