/* proj_cache.c -- the on-disk cache of projected binary data sets.
 *
 * Building a Fashion-MNIST task reads and decompresses 26 MB of images, so
 * each (dataset, pair, seed, sizes) result is kept in a small file of our
 * own format:
 *
 *   "ZJPB", u32 version, u32 byte-order mark 0x01020304,
 *   u32 pos, neg, seed, F, n_train, n_valid, n_test,
 *   u64 source id, u64 checksum of the payload, char dataset[16],
 *   payload: float32 train_x, train_y, valid_x, valid_y, test_x, test_y
 *
 * in host byte order (the mark makes a file from another byte order read
 * as invalid, hence rebuilt).  Every field is checked when read; a file
 * that fails any check is rebuilt, never trusted.  The source id hashes
 * the resolved input files' names, sizes and modification times, so a
 * changed dataset gets new entries.  Files are written to a temporary
 * name and renamed, so concurrent runs never see half a file.
 */
#include "internal.h"
#include "dataset.h"
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CACHE_MAGIC "ZJPB"
/* Bump when the pipeline's output changes for the same parameters. */
#define CACHE_VERSION 2u   /* 2: word-wise payload checksum */
#define CACHE_BOM 0x01020304u

typedef struct cache_header {
  char magic[4];
  uint32_t version, bom;
  uint32_t pos, neg, seed, F, n_train, n_valid, n_test;
  uint64_t source_id, checksum;
  char dataset[16];
} cache_header;

static uint64_t
fnv1a (uint64_t h, const void *p, size_t n)
{
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++)
    h = (h ^ b[i]) * 0x100000001b3ULL;
  return h;
}

#define FNV_START 0xcbf29ce484222325ULL

static void
header_fill (cache_header *h, const zj_proj_params *pp, uint64_t source_id)
{
  memset (h, 0, sizeof *h);
  memcpy (h->magic, CACHE_MAGIC, 4);
  h->version = CACHE_VERSION;
  h->bom = CACHE_BOM;
  h->pos = (uint32_t) pp->pos;
  h->neg = (uint32_t) pp->neg;
  h->seed = pp->seed;
  h->F = (uint32_t) pp->F;
  h->n_train = (uint32_t) pp->n_train;
  h->n_valid = (uint32_t) pp->n_valid;
  h->n_test = (uint32_t) pp->n_test;
  h->source_id = source_id;
  snprintf (h->dataset, sizeof h->dataset, "%s",
            pp->dataset ? pp->dataset : "fashion_mnist");
}

/* The six payload arrays in file order, with their lengths in floats. */
static void
payload_parts (const zj_proj_data *d, float **p[6], size_t n[6])
{
  zj_proj_data *m = (zj_proj_data *) d;
  float **ptr[6] = { &m->train_x, &m->train_y, &m->valid_x, &m->valid_y,
                     &m->test_x, &m->test_y };
  const size_t F = (size_t) d->F;
  size_t len[6] = { F * (size_t) d->n_train, (size_t) d->n_train,
                    F * (size_t) d->n_valid, (size_t) d->n_valid,
                    F * (size_t) d->n_test, (size_t) d->n_test };
  for (int i = 0; i < 6; i++)
    {
      p[i] = ptr[i];
      n[i] = len[i];
    }
}

/* Checksum of the payload: 8 bytes at a time into four independent
   multiply-xorshift chains (zj_fold), so a run that reads 40 cached pairs
   (27 MB) spends a few milliseconds on it; a byte-wise FNV-1a chain was
   30% of a paper-setting search's start-up CPU.  The chains are folded
   together at the end; a short tail goes through byte by byte. */
uint64_t
zj_proj_checksum (const void *const parts[6], const size_t bytes[6])
{
  uint64_t h[4] = { FNV_START, FNV_START + 1, FNV_START + 2, FNV_START + 3 };
  for (int i = 0; i < 6; i++)
    {
      const unsigned char *b = parts[i];
      const size_t len = bytes[i];
      size_t j = 0;
      for (; j + 32 <= len; j += 32)
        for (int c = 0; c < 4; c++)
          {
            uint64_t w;
            memcpy (&w, b + j + 8 * c, 8);
            h[c] = zj_fold (h[c], w);
          }
      h[i & 3] = fnv1a (h[i & 3], b + j, len - j);
      h[0] = zj_fold (h[0], len);
    }
  return zj_fold (zj_fold (zj_fold (h[0], h[1]), h[2]), h[3]);
}

static uint64_t
payload_checksum (const zj_proj_data *d)
{
  float **p[6];
  size_t n[6];
  payload_parts (d, p, n);
  const void *parts[6];
  size_t bytes[6];
  for (int i = 0; i < 6; i++)
    {
      parts[i] = *p[i];
      bytes[i] = n[i] * sizeof (float);
    }
  return zj_proj_checksum (parts, bytes);
}

int
zj_proj_cache_write (const char *file, const zj_proj_params *pp,
                     uint64_t source_id, const zj_proj_data *d, zj_error *err)
{
  cache_header h;
  header_fill (&h, pp, source_id);
  h.checksum = payload_checksum (d);
  char tmp[4200];
  /* Process and thread: the tasks of a collection are made by several
     threads (zj_tasks_generate_threads), two of which may miss the same
     projection. */
  snprintf (tmp, sizeof tmp, "%s.tmp.%ld.%ld", file, (long) getpid (),
            (long) syscall (SYS_gettid));
  FILE *f = fopen (tmp, "wb");
  if (!f)
    {
      zj_error_set (err, "%s: cannot create (%s)", tmp, strerror (errno));
      return -1;
    }
  float **p[6];
  size_t n[6];
  payload_parts (d, p, n);
  errno = 0;
  bool ok = fwrite (&h, sizeof h, 1, f) == 1;
  for (int i = 0; i < 6 && ok; i++)
    ok = fwrite (*p[i], sizeof (float), n[i], f) == n[i];
  /* On disk before the rename (as the checkpoint): an I/O error shows up
     here, not as a cache file that reads back short after a crash. */
  ok = ok && fflush (f) == 0 && fsync (fileno (f)) == 0;
  int e = errno;
  ok = (fclose (f) == 0) && ok;
  if (!e)
    e = errno;
  if (ok && rename (tmp, file) != 0)
    {
      ok = false;
      e = errno;
    }
  if (!ok)
    {
      zj_error_set (err, "%s: write failed (%s)", file, strerror (e ? e : EIO));
      unlink (tmp);
      return -1;
    }
  return 0;
}

static int
read_payload (FILE *f, const char *file, const cache_header *h,
              zj_proj_data *d, zj_error *err)
{
  d->F = (int) h->F;
  d->n_train = (int) h->n_train;
  d->n_valid = (int) h->n_valid;
  d->n_test = (int) h->n_test;
  float **p[6];
  size_t n[6];
  payload_parts (d, p, n);
  for (int i = 0; i < 6; i++)
    {
      *p[i] = zj_xmalloc (sizeof (float) * n[i] + 1);
      if (fread (*p[i], sizeof (float), n[i], f) != n[i])
        {
          zj_error_set (err, "%s: truncated cache file", file);
          return -1;
        }
    }
  if (fgetc (f) != EOF)
    {
      zj_error_set (err, "%s: trailing bytes after the payload", file);
      return -1;
    }
  if (payload_checksum (d) != h->checksum)
    {
      zj_error_set (err, "%s: checksum mismatch (corrupt cache file)", file);
      return -1;
    }
  return 0;
}

int
zj_proj_cache_read (const char *file, const zj_proj_params *pp,
                    uint64_t source_id, zj_proj_data *d, zj_error *err)
{
  memset (d, 0, sizeof *d);
  FILE *f = fopen (file, "rb");
  if (!f)
    {
      zj_error_set (err, "%s: cannot open (%s)", file, strerror (errno));
      return -1;
    }
  cache_header h, want;
  header_fill (&want, pp, source_id);
  int rc = -1;
  if (fread (&h, sizeof h, 1, f) != 1)
    zj_error_set (err, "%s: truncated cache header", file);
  else if (memcmp (h.magic, CACHE_MAGIC, 4) != 0 || h.bom != CACHE_BOM)
    zj_error_set (err, "%s: not a zerojit cache file", file);
  else if (h.version != CACHE_VERSION)
    zj_error_set (err, "%s: cache version %u, expected %u", file, h.version,
                  CACHE_VERSION);
  else if ((want.checksum = h.checksum, memcmp (&h, &want, sizeof h) != 0))
    zj_error_set (err, "%s: cache entry is for other parameters or data",
                  file);
  else
    rc = read_payload (f, file, &h, d, err);
  fclose (f);
  if (rc != 0)
    zj_proj_free (d);
  return rc;
}

int
zj_proj_cache_dir (char *buf, size_t n)
{
  const char *v = getenv ("ZEROJIT_CACHE_DIR");
  if (v && !strcmp (v, "off"))
    return -1;
  if (v && *v)
    snprintf (buf, n, "%s", v);
  else if ((v = getenv ("XDG_CACHE_HOME")) && *v)
    snprintf (buf, n, "%s/zerojit", v);
  else if ((v = getenv ("HOME")) && *v)
    snprintf (buf, n, "%s/.cache/zerojit", v);
  else
    return -1;
  return 0;
}

/* mkdir -p; 0 when the directory exists afterwards. */
static int
make_dirs (const char *dir)
{
  char tmp[4096];
  snprintf (tmp, sizeof tmp, "%s", dir);
  for (char *p = tmp + 1; *p; p++)
    if (*p == '/')
      {
        *p = '\0';
        mkdir (tmp, 0777);
        *p = '/';
      }
  mkdir (tmp, 0777);
  struct stat st;
  return stat (dir, &st) == 0 && S_ISDIR (st.st_mode) ? 0 : -1;
}

void
zj_proj_cache_name (const zj_proj_params *pp, uint64_t source_id, char *buf,
                    size_t n)
{
  /* The version is in the name so that builds of different versions
     sharing a cache folder keep their own files instead of rewriting each
     other's (version 1 files had no suffix). */
  snprintf (buf, n, "binary_%s-pos_%d-neg_%d-dim_%d-seed_%u-n_%d_%d_%d-%016llx"
            "-v%u.zjpb", pp->dataset ? pp->dataset : "fashion_mnist", pp->pos,
            pp->neg, pp->F, pp->seed, pp->n_train, pp->n_valid, pp->n_test,
            (unsigned long long) source_id, CACHE_VERSION);
}

static int
hash_file (uint64_t *h, const char *path, zj_error *err)
{
  struct stat st;
  char real[4096];
  if (stat (path, &st) != 0 || !realpath (path, real))
    {
      zj_error_set (err, "%s: cannot open (%s)", path, strerror (errno));
      return -1;
    }
  int64_t meta[3] = { (int64_t) st.st_size, (int64_t) st.st_mtim.tv_sec,
                      (int64_t) st.st_mtim.tv_nsec };
  *h = fnv1a (fnv1a (*h, real, strlen (real) + 1), meta, sizeof meta);
  return 0;
}

int
zj_proj_source_id (const zj_proj_params *pp, uint64_t *id, zj_error *err)
{
  const char *name = pp->dataset ? pp->dataset : "fashion_mnist";
  uint64_t h = fnv1a (FNV_START, name, strlen (name) + 1);
  char a[4200], b[4200];
  if (!strcmp (name, "mnist"))
    {
      char dir[4096];
      if (zj_mnist_json_find (pp->path, dir, sizeof dir, err) != 0)
        return -1;
      snprintf (a, sizeof a, "%s/%d.json", dir, pp->pos);
      snprintf (b, sizeof b, "%s/%d.json", dir, pp->neg);
    }
  else if (!strcmp (name, "fashion_mnist"))
    {
      /* The files the loader reads, not the folder: a replaced file
         changes the id.  Only their names and stat data are read here
         (loading the labels for a probe was 10% of a paper-setting
         search's start-up, once per task). */
      if (zj_fashion_mnist_files (pp->path, false, a, b, sizeof a, err) != 0)
        return -1;
    }
  else if (!strcmp (name, "csv") && pp->path)
    {
      snprintf (a, sizeof a, "%s", pp->path);
      snprintf (b, sizeof b, "%s", pp->path);
    }
  else
    {
      zj_error_set (err, "unknown dataset '%s' (known: fashion_mnist, mnist, "
                    "csv with a path)", name);
      return -1;
    }
  if (hash_file (&h, a, err) != 0 || hash_file (&h, b, err) != 0)
    return -1;
  *id = h;
  return 0;
}

/* Load the pair's examples into *ds unless it already holds them (the
   caller keeps it across seeds of one pair), then build. */
static int
build (const zj_proj_params *pp, zj_dataset *ds, zj_proj_data *out,
       zj_error *err)
{
  if (!ds->x)
    {
      int np, nn;
      zj_proj_per_class (pp->n_train, pp->n_valid, pp->n_test, &np, &nn);
      zj_select sel = { { pp->pos, pp->neg }, 2, np > nn ? np : nn };
      if (zj_dataset_load (pp->dataset, pp->path, &sel, ds, err) != 0)
        return -1;
    }
  if (zj_proj_build (ds, pp, out, err) != 0)
    {
      char msg[sizeof err->msg];
      snprintf (msg, sizeof msg, "%s", err->msg);
      zj_error_set (err, "%s: %s", pp->dataset ? pp->dataset
                    : "fashion_mnist", msg);
      return -1;
    }
  return 0;
}

int
zj_proj_get_reuse (const zj_proj_params *pp, zj_dataset *ds,
                   zj_proj_data *out, bool *cached, zj_error *err)
{
  return zj_proj_get_saved (pp, ds, out, cached, NULL, err);
}

int
zj_proj_get_saved (const zj_proj_params *pp, zj_dataset *ds,
                   zj_proj_data *out, bool *cached, zj_error *save_err,
                   zj_error *err)
{
  uint64_t id;
  char dir[4096], file[4096 + 256], name[256];
  if (cached)
    *cached = false;
  if (zj_proj_source_id (pp, &id, err) != 0)
    return -1;
  bool use_cache = zj_proj_cache_dir (dir, sizeof dir) == 0;
  if (use_cache)
    {
      zj_proj_cache_name (pp, id, name, sizeof name);
      snprintf (file, sizeof file, "%s/%s", dir, name);
      zj_error ignored;
      if (zj_proj_cache_read (file, pp, id, out, &ignored) == 0)
        {
          if (cached)
            *cached = true;
          return 0;
        }
    }
  if (build (pp, ds, out, err) != 0)
    return -1;
  /* A cache we cannot write only costs a search time, so it is not an
     error there; `data build`, whose job is the cache, asks to know. */
  zj_error ignored;
  zj_error *se = save_err ? save_err : &ignored;
  if (save_err)
    save_err->msg[0] = '\0';
  if (use_cache && make_dirs (dir) != 0)
    zj_error_set (se, "%s: cannot create the cache directory (%s)", dir,
                  strerror (errno));
  else if (use_cache)
    zj_proj_cache_write (file, pp, id, out, se);
  return 0;
}

int
zj_proj_get (const zj_proj_params *pp, zj_proj_data *out, bool *cached,
             zj_error *err)
{
  zj_dataset ds = { 0 };
  int rc = zj_proj_get_reuse (pp, &ds, out, cached, err);
  zj_dataset_free (&ds);
  return rc;
}
