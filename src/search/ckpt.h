/* ckpt.h -- the checkpoint file: byte-level writer and reader, the file
 * envelope (magic, version, length, checksum), atomic replacement, and
 * the plain-data image of a search that a checkpoint holds.
 *
 * Layering: the byte writer and reader live in ckpt_bytes.c, the envelope
 * and the encoding of plain data in ckpt.c, files and the multi-rank
 * manifest in ckpt_file.c; none knows of populations or evaluators.  zj_ckpt_parse turns
 * bytes into a zj_ckpt (pure: no files, no globals; the fuzz entry
 * point).  The search modules copy their live state into these structs
 * (save) and back (apply), checking it fits the objects they rebuilt from
 * the flags (see doc/checkpoint.md).
 */
#ifndef ZJ_CKPT_H
#define ZJ_CKPT_H
#include <zerojit/zerojit.h>

#define ZJ_CKPT_VERSION 2     /* 2: the training-shortcut counters */
#define ZJ_CKPT_EVAL_COUNTERS 10

/* ----------------------------------------------------- growable buffer */
typedef struct zj_ckbuf {
  unsigned char *p;
  size_t len, cap;
} zj_ckbuf;

void zj_ckbuf_free (zj_ckbuf *b);
void zj_ckbuf_append (zj_ckbuf *b, const void *p, size_t n);  /* raw */
void zj_ck_u8 (zj_ckbuf *b, uint8_t v);
void zj_ck_u32 (zj_ckbuf *b, uint32_t v);
void zj_ck_u64 (zj_ckbuf *b, uint64_t v);
void zj_ck_i64 (zj_ckbuf *b, int64_t v);
void zj_ck_f64 (zj_ckbuf *b, double v);          /* bit exact */
void zj_ck_bytes (zj_ckbuf *b, const void *p, size_t n);  /* length + bytes */
void zj_ck_str (zj_ckbuf *b, const char *s);     /* NULL allowed */
void zj_ck_program (zj_ckbuf *b, const zj_program *p);
/* The bytes zj_ck_program writes for p. */
size_t zj_ck_program_size (const zj_program *p);

/* ------------------------------------------------ bounds-checked reader */
/* Every read past the end or of an impossible value sets a sticky error
   naming the field being read; later reads return zeros. */
typedef struct zj_ckrd {
  const unsigned char *p;
  size_t len, pos;
  const char *field;           /* what is being read, for messages */
  bool bad;
  char why[160];
} zj_ckrd;

uint8_t zj_rd_u8 (zj_ckrd *r);
uint32_t zj_rd_u32 (zj_ckrd *r);
uint64_t zj_rd_u64 (zj_ckrd *r);
int64_t zj_rd_i64 (zj_ckrd *r);
double zj_rd_f64 (zj_ckrd *r);
/* A count that must be <= max (and fit the bytes left at min_each). */
uint64_t zj_rd_count (zj_ckrd *r, uint64_t max, size_t min_each);
/* Length-prefixed bytes, malloc'd and NUL-terminated; NULL on error. */
char *zj_rd_bytes (zj_ckrd *r, size_t *len);
/* Program; ops beyond the op table are an error. */
void zj_rd_program (zj_ckrd *r, zj_program *p);
void zj_rd_fail (zj_ckrd *r, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));

/* ------------------------------------------------------ plain-data image */
typedef struct zj_ckpt_fec_entry {
  uint64_t key;
  double fitness;
  int32_t hits;
} zj_ckpt_fec_entry;

typedef struct zj_ckpt_dedup_entry {
  uint32_t slot;
  uint64_t key;
  double fitness;
  zj_program prog;
} zj_ckpt_dedup_entry;

/* An evaluator's state that shapes the future of a search. */
typedef struct zj_ckpt_eval {
  int64_t train_steps;
  int64_t cnt[ZJ_CKPT_EVAL_COUNTERS];  /* zj_eval_counters, in order */
  int64_t fec_stats[4];        /* hits, misses, forgotten, evicted */
  int64_t fec_capacity;        /* -1: no FEC */
  uint64_t n_fec;
  zj_ckpt_fec_entry *fec;      /* least recently used first */
  int64_t dedup_slots;         /* 0: no duplicate cache */
  uint64_t n_dedup;
  zj_ckpt_dedup_entry *dedup;
  int64_t hcount;
  double hthreshold;
  uint64_t n_hring;            /* 0: no hurdles */
  double *hring;
} zj_ckpt_eval;

/* A population between two generations. */
typedef struct zj_ckpt_pop {
  int32_t P;
  zj_program *progs;
  double *fit;
  uint64_t *shash;
  int64_t individuals, last_printed;
  bool printed, have_hof;
  double elapsed;
  zj_program hof;
  double hof_fit;
} zj_ckpt_pop;

/* One island (population) of a running experiment: its generator, its
   migrations so far, its population and its evaluator. */
typedef struct zj_ckpt_island {
  uint64_t rng[4];
  int64_t migrations;
  zj_ckpt_pop pop;
  zj_ckpt_eval eval;
} zj_ckpt_island;

/* An experiment whose islands are all parked between two generations. */
typedef struct zj_ckpt_running {
  int64_t index;
  char *text;                  /* its output so far */
  size_t text_len;
  int n_islands;
  zj_ckpt_island *isl;
} zj_ckpt_running;

/* An experiment finished but not yet consumed by the driver. */
typedef struct zj_ckpt_done {
  int64_t index;
  bool ok;
  char *text;
  size_t text_len;
  zj_program cand;
  double select_fit, hof_fit;
  int64_t individuals;
  int32_t shape[4];            /* F, ns, nv, nm */
  char *err;                   /* message when !ok */
} zj_ckpt_done;

typedef struct zj_ckpt {
  /* The command line the run was started with (file flags inlined). */
  int n_args;
  char **args;
  /* Driver. */
  uint64_t seed;
  int64_t next;                /* next experiment to start */
  int64_t consumed;            /* experiments printed by the driver */
  int64_t ran, total_indivs;
  bool have_best;
  zj_program best;
  double best_select, best_hof;
  int32_t shape[4];
  double elapsed;
  char *printed;               /* the driver's output so far */
  size_t printed_len;
  int64_t log_offset;          /* bytes of --progress_log written */
  int n_done, n_running;
  zj_ckpt_done *done;
  zj_ckpt_running *running;
} zj_ckpt;

void zj_ckpt_init (zj_ckpt *c);
void zj_ckpt_free (zj_ckpt *c);
void zj_ckpt_eval_free (zj_ckpt_eval *e);
void zj_ckpt_pop_free (zj_ckpt_pop *p);

/* The whole file image: envelope + payload. */
void zj_ckpt_encode (const zj_ckpt *c, zj_ckbuf *out);
/* Parse a whole file image.  Pure: the fuzz entry point.  On error c is
   left empty and err says what is wrong ("truncated", "checksum mismatch",
   "version 7, this build reads 1", "bad value in field X"). */
int zj_ckpt_parse (const void *buf, size_t len, zj_ckpt *c, zj_error *err);

/* Write atomically: PATH.tmp, fsync, rename over PATH, fsync the
   directory.  On failure PATH is untouched and err names the step. */
int zj_ckpt_write_file (const char *path, const zj_ckbuf *data, zj_error *err);
/* Runs of several MPI ranks: each rank writes PATH.GEN.rankR (a
   checkpoint of its own islands), then rank 0 writes the manifest PATH,
   a short text naming the generation and the number of ranks. */
char *zj_ckpt_rank_path (const char *path, int64_t gen, int rank);
void zj_ckpt_manifest (int64_t gen, int ranks, zj_ckbuf *out);
bool zj_ckpt_is_manifest (const void *buf, size_t len);
int zj_ckpt_manifest_parse (const void *buf, size_t len, int64_t *gen,
                            int *ranks, zj_error *err);
/* Read and parse; errors are prefixed with the path. */
int zj_ckpt_load (const char *path, zj_ckpt *c, zj_error *err);
#endif
