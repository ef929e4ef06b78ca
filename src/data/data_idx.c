/* data_idx.c -- IDX files (the MNIST family's raw array format) and
 * Fashion-MNIST, which ships as two pairs of them.
 *
 * An IDX file is a big-endian header (two zero bytes, an element type,
 * the number of dimensions, then each dimension as a 32-bit integer)
 * followed by the elements in row-major order.  We read through zlib's
 * gz* functions, which also read uncompressed files unchanged, and stream
 * the images so only the selected examples are ever converted to double.
 */
#include "internal.h"
#include "dataset.h"
#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

const char zj_fashion_mnist_default_dir[] = "/usr/share/datasets/fashion-mnist";

#define IDX_MAX_DIMS 8

typedef struct idx_file {
  gzFile gz;
  const char *path;
  int type, ndims;
  uint32_t dims[IDX_MAX_DIMS];
  size_t elem_size;
} idx_file;

static size_t
idx_elem_size (int type)
{
  switch (type)
    {
    case ZJ_IDX_U8: case ZJ_IDX_S8: return 1;
    case ZJ_IDX_I16: return 2;
    case ZJ_IDX_I32: case ZJ_IDX_F32: return 4;
    case ZJ_IDX_F64: return 8;
    default: return 0;
    }
}

static uint32_t
be32 (const unsigned char *b)
{
  return (uint32_t) b[0] << 24 | (uint32_t) b[1] << 16 | (uint32_t) b[2] << 8
         | (uint32_t) b[3];
}

/* Read exactly n bytes; 0, or -1 with "truncated" / zlib's reason. */
static int
gz_read_all (idx_file *f, void *buf, size_t n, const char *what,
             zj_error *err)
{
  unsigned char *p = buf;
  while (n > 0)
    {
      unsigned chunk = n > (1u << 30) ? 1u << 30 : (unsigned) n;
      int got = gzread (f->gz, p, chunk);
      if (got < 0)
        {
          int code;
          const char *msg = gzerror (f->gz, &code);
          zj_error_set (err, "%s: corrupt file while reading %s (%s)", f->path,
                        what, msg);
          return -1;
        }
      if (got == 0)
        {
          zj_error_set (err, "%s: file is truncated in %s", f->path, what);
          return -1;
        }
      p += got;
      n -= (size_t) got;
    }
  return 0;
}

/* Read exactly n bytes into a new buffer that grows as the data arrives,
   so a header that claims gigabytes costs memory only if the file really
   holds them (a short or hostile file fails as truncated first). */
static unsigned char *
gz_read_grown (idx_file *f, size_t n, const char *what, zj_error *err)
{
  /* Start small and double: at most twice the bytes the file really has
     (a 1 MiB first step made every short file cost a megabyte). */
  size_t cap = n < 4096 ? n : 4096, have = 0;
  unsigned char *buf = zj_xmalloc (cap + 1);
  while (have < n)
    {
      if (have == cap)
        {
          cap = cap < n / 2 ? cap * 2 : n;
          buf = zj_xrealloc (buf, cap + 1);
        }
      if (gz_read_all (f, buf + have, cap - have, what, err) != 0)
        {
          free (buf);
          return NULL;
        }
      have = cap;
    }
  return buf;
}

static int
idx_open (idx_file *f, const char *path, zj_error *err)
{
  memset (f, 0, sizeof *f);
  f->path = path;
  f->gz = gzopen (path, "rb");
  if (!f->gz)
    {
      zj_error_set (err, "%s: cannot open (%s)", path,
                    errno ? strerror (errno) : "out of memory");
      return -1;
    }
  unsigned char h[4];
  if (gz_read_all (f, h, 4, "the header", err) != 0)
    return -1;
  f->type = h[2];
  f->ndims = h[3];
  f->elem_size = idx_elem_size (f->type);
  if (h[0] != 0 || h[1] != 0 || f->elem_size == 0 || f->ndims < 1
      || f->ndims > IDX_MAX_DIMS)
    {
      zj_error_set (err, "%s: not an IDX file (magic %02x %02x %02x %02x)",
                    path, h[0], h[1], h[2], h[3]);
      return -1;
    }
  for (int i = 0; i < f->ndims; i++)
    {
      unsigned char b[4];
      if (gz_read_all (f, b, 4, "the header", err) != 0)
        return -1;
      f->dims[i] = be32 (b);
    }
  return 0;
}

static void
idx_close (idx_file *f)
{
  if (f->gz)
    gzclose (f->gz);
  f->gz = NULL;
}

/* Element i of a big-endian record as double. */
static double
idx_value (const unsigned char *b, int type, size_t i)
{
  switch (type)
    {
    case ZJ_IDX_U8: return b[i];
    case ZJ_IDX_S8: return (signed char) b[i];
    case ZJ_IDX_I16:
      return (int16_t) ((uint16_t) b[2 * i] << 8 | b[2 * i + 1]);
    case ZJ_IDX_I32: return (int32_t) be32 (b + 4 * i);
    case ZJ_IDX_F32:
      {
        uint32_t u = be32 (b + 4 * i);
        float v;
        memcpy (&v, &u, sizeof v);
        return v;
      }
    default:
      {
        uint64_t u = (uint64_t) be32 (b + 8 * i) << 32 | be32 (b + 8 * i + 4);
        double v;
        memcpy (&v, &u, sizeof v);
        return v;
      }
    }
}

/* All labels of a one-dimensional IDX file, as non-negative integers. */
static int
read_labels (const char *path, int **labels, int *n, zj_error *err)
{
  idx_file f;
  int rc = -1;
  unsigned char *buf = NULL;
  if (idx_open (&f, path, err) != 0)
    goto out;
  if (f.ndims != 1 || f.dims[0] > (uint32_t) INT32_MAX / 8)
    {
      zj_error_set (err, "%s: a label file must have one dimension "
                    "(has %d)", path, f.ndims);
      goto out;
    }
  *n = (int) f.dims[0];
  buf = gz_read_grown (&f, f.elem_size * (size_t) *n, "the labels", err);
  if (!buf)
    goto out;
  *labels = zj_xmalloc (sizeof **labels * (size_t) (*n + 1));
  for (int i = 0; i < *n; i++)
    {
      double v = idx_value (buf, f.type, (size_t) i);
      if (!(v >= 0 && v <= INT32_MAX && v == floor (v)))
        {
          zj_error_set (err, "%s: record %d: label %g is not a non-negative "
                        "integer", path, i, v);
          free (*labels);
          *labels = NULL;
          goto out;
        }
      (*labels)[i] = (int) v;
    }
  rc = 0;
out:
  free (buf);
  idx_close (&f);
  return rc;
}

/* keep[i] for each example by the selection; returns how many are kept and
   sets *last to the last kept index (-1 when none). */
static int
select_rows (const int *y, int n, const zj_select *sel, bool *keep, int *last)
{
  int count[2] = { 0, 0 }, kept = 0;
  *last = -1;
  for (int i = 0; i < n; i++)
    {
      keep[i] = sel == NULL;
      for (int c = 0; sel && c < sel->n_classes; c++)
        if (y[i] == sel->classes[c] && count[c] < sel->per_class)
          {
            count[c]++;
            keep[i] = true;
          }
      if (keep[i])
        {
          kept++;
          *last = i;
        }
    }
  return kept;
}

/* Number of features per record: the product of dims[1..], or -1. */
static long
record_size (const idx_file *f)
{
  long d = 1;
  for (int i = 1; i < f->ndims; i++)
    {
      d *= (long) f->dims[i];
      if (d > (1L << 24))
        return -1;
    }
  return d;
}

static int
read_images (idx_file *f, const int *y, int n, const zj_select *sel,
             zj_dataset *out, zj_error *err)
{
  long d = record_size (f);
  if (f->ndims < 2 || d <= 0)
    {
      zj_error_set (err, "%s: an image file needs 2 or more dimensions of "
                    "at most 2^24 elements per record", f->path);
      return -1;
    }
  bool *keep = zj_xmalloc (sizeof *keep * (size_t) (n + 1));
  int last, kept = select_rows (y, n, sel, keep, &last);
  out->n = kept;
  out->d = (int) d;
  /* out->x grows with the records actually read, for the same reason as
     gz_read_grown: the header alone must not decide the allocation. */
  size_t xcap = ((size_t) 1 << 12) / (size_t) d;
  xcap = xcap < 1 ? 1 : xcap > (size_t) kept ? (size_t) kept : xcap;
  out->x = NULL;
  out->y = zj_xmalloc (sizeof *out->y * (size_t) kept + 1);
  size_t rec_bytes = f->elem_size * (size_t) d;
  unsigned char *rec = NULL;
  int k = 0, rc = 0;
  char what[64];
  for (int i = 0; i <= last && rc == 0; i++)
    {
      snprintf (what, sizeof what, "record %d", i);
      /* The first record's buffer grows as its bytes arrive too (a record
         may claim 2^24 doubles); later records reuse it. */
      if (i == 0 ? !(rec = gz_read_grown (f, rec_bytes, what, err))
                 : gz_read_all (f, rec, rec_bytes, what, err) != 0)
        rc = -1;
      else if (keep[i])
        {
          if (!out->x)
            out->x = zj_xmalloc (sizeof *out->x * xcap * (size_t) d + 1);
          else if ((size_t) k == xcap)
            {
              xcap = xcap * 2 < (size_t) kept ? xcap * 2 : (size_t) kept;
              out->x = zj_xrealloc (out->x,
                                    sizeof *out->x * xcap * (size_t) d + 1);
            }
          double *x = out->x + (size_t) k * (size_t) d;
          if (f->type == ZJ_IDX_U8)     /* the common case, kept tight */
            for (long j = 0; j < d; j++)
              x[j] = rec[j];
          for (long j = 0; j < d && rc == 0 && f->type != ZJ_IDX_U8; j++)
            {
              x[j] = idx_value (rec, f->type, (size_t) j);
              if (!isfinite (x[j]))
                {
                  zj_error_set (err, "%s: record %d: element %ld is not "
                                "finite", f->path, i, j);
                  rc = -1;
                }
            }
          out->y[k++] = y[i];
        }
    }
  if (rc == 0 && !out->x)
    out->x = zj_xmalloc (1);          /* nothing selected: still non-NULL */
  free (rec);
  free (keep);
  return rc;
}

int
zj_idx_load (const char *images, const char *labels, const zj_select *sel,
             zj_dataset *out, zj_error *err)
{
  memset (out, 0, sizeof *out);
  int *y = NULL, n = 0;
  if (read_labels (labels, &y, &n, err) != 0)
    return -1;
  idx_file f;
  int rc = -1;
  if (idx_open (&f, images, err) != 0)
    goto out;
  if ((int64_t) f.dims[0] != n)
    {
      zj_error_set (err, "%s: %u images but %s has %d labels", images,
                    f.dims[0], labels, n);
      goto out;
    }
  rc = read_images (&f, y, n, sel, out, err);
out:
  idx_close (&f);
  free (y);
  if (rc != 0)
    zj_dataset_free (out);
  return rc;
}

int
zj_idx_write_u8 (const char *path, const uint8_t *data, int ndims,
                 const uint32_t *dims, bool gz, zj_error *err)
{
  gzFile g = gzopen (path, gz ? "wb6" : "wbT");
  if (!g)
    {
      zj_error_set (err, "%s: cannot create (%s)", path, strerror (errno));
      return -1;
    }
  unsigned char h[4 + 4 * IDX_MAX_DIMS] = { 0, 0, ZJ_IDX_U8, (unsigned char) ndims };
  size_t total = 1;
  for (int i = 0; i < ndims; i++)
    {
      h[4 + 4 * i] = (unsigned char) (dims[i] >> 24);
      h[5 + 4 * i] = (unsigned char) (dims[i] >> 16);
      h[6 + 4 * i] = (unsigned char) (dims[i] >> 8);
      h[7 + 4 * i] = (unsigned char) dims[i];
      total *= dims[i];
    }
  int ok = gzwrite (g, h, (unsigned) (4 + 4 * ndims)) == 4 + 4 * ndims
           && (total == 0 || gzwrite (g, data, (unsigned) total) == (int) total);
  if (gzclose (g) != Z_OK || !ok)
    {
      zj_error_set (err, "%s: write failed", path);
      return -1;
    }
  return 0;
}

/* dir/name, or dir/name without ".gz" when only that exists. */
static void
fm_file (const char *dir, const char *name, char *buf, size_t n)
{
  snprintf (buf, n, "%s/%s", dir, name);
  if (access (buf, R_OK) != 0)
    {
      char plain[4096];
      snprintf (plain, sizeof plain, "%s", buf);
      size_t len = strlen (plain);
      if (len > 3 && !strcmp (plain + len - 3, ".gz"))
        {
          plain[len - 3] = '\0';
          if (access (plain, R_OK) == 0)
            snprintf (buf, n, "%s", plain);
        }
    }
}

int
zj_fashion_mnist_files (const char *dir, bool test_split, char *img,
                        char *lab, size_t n, zj_error *err)
{
  if (!dir || !*dir)
    dir = getenv ("ZEROJIT_FASHION_MNIST_DIR");
  if (!dir || !*dir)
    dir = zj_fashion_mnist_default_dir;
  const char *split = test_split ? "t10k" : "train";
  char name[64];
  snprintf (name, sizeof name, "%s-images-idx3-ubyte.gz", split);
  fm_file (dir, name, img, n);
  snprintf (name, sizeof name, "%s-labels-idx1-ubyte.gz", split);
  fm_file (dir, name, lab, n);
  if (access (img, R_OK) != 0 || access (lab, R_OK) != 0)
    {
      zj_error_set (err, "fashion_mnist: %s not found; install it with "
                    "'apt-get install dataset-fashion-mnist', or give its "
                    "folder as path or ZEROJIT_FASHION_MNIST_DIR",
                    access (img, R_OK) != 0 ? img : lab);
      return -1;
    }
  return 0;
}

int
zj_fashion_mnist_load (const char *dir, bool test_split, const zj_select *sel,
                       zj_dataset *out, zj_error *err)
{
  memset (out, 0, sizeof *out);
  char img[4096], lab[4096];
  if (zj_fashion_mnist_files (dir, test_split, img, lab, sizeof img, err) != 0)
    return -1;
  return zj_idx_load (img, lab, sel, out, err);
}
