/* data_csv.c -- a user's own data as CSV: numeric features, then the class
 * (a non-negative integer) in the last column.
 *
 * The format is deliberately plain: comma-separated, no quoting, one
 * example per line.  A first line that does not parse as numbers, or has a
 * different column count than the next two lines (sklearn's CSVs start
 * with "n_samples,n_features,names..."), is taken as a header.  Every error
 * names the file, line and column.
 */
#include "internal.h"
#include "dataset.h"
#include <errno.h>
#include <math.h>
#include <string.h>

typedef struct csv_ctx {
  const char *path;
  int line;                  /* 1-based line of the current row */
  zj_error *err;
} csv_ctx;


static bool
skip_line (const char *s)
{
  while (*s == ' ' || *s == '\t' || *s == '\r')
    s++;
  return *s == '\0' || *s == '#';
}

static int
count_fields (const char *s)
{
  int n = 1;
  for (; *s; s++)
    n += *s == ',';
  return n;
}

/* Parse field [s, e) as a double; 1 ok, 0 not a number. */
static int
field_number (const char *s, const char *e, double *v)
{
  while (s < e && (*s == ' ' || *s == '\t'))
    s++;
  while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
    e--;
  if (s == e)
    return 0;
  char tmp[128];
  size_t len = (size_t) (e - s);
  if (len >= sizeof tmp)
    return 0;
  memcpy (tmp, s, len);
  tmp[len] = '\0';
  char *end;
  *v = strtod (tmp, &end);
  return *end == '\0';
}

/* Parse a whole row into vals (ncols entries).  When strict, errors are
   reported; otherwise the caller only wants to know if it is numeric. */
static int
parse_row (csv_ctx *c, const char *s, double *vals, int ncols, bool strict)
{
  int got = count_fields (s);
  if (got != ncols)
    {
      if (strict)
        zj_error_set (c->err, "%s:%d: %d columns, expected %d", c->path,
                      c->line, got, ncols);
      return -1;
    }
  for (int col = 0; col < ncols; col++)
    {
      const char *e = strchr (s, ',');
      if (!e)
        e = s + strlen (s);
      if (!field_number (s, e, &vals[col]))
        {
          if (strict)
            zj_error_set (c->err, "%s:%d: column %d: '%.*s' is not a number",
                          c->path, c->line, col + 1,
                          (int) (e - s > 40 ? 40 : e - s), s);
          return -1;
        }
      if (!isfinite (vals[col]))
        {
          if (strict)
            zj_error_set (c->err, "%s:%d: column %d: non-finite value",
                          c->path, c->line, col + 1);
          return -1;
        }
      s = *e ? e + 1 : e;
    }
  /* Classes are 0..9 everywhere (pairs, tasks, the cache names), as in
     the image data sets. */
  if (strict && !(vals[ncols - 1] >= 0 && vals[ncols - 1] <= 9
                  && vals[ncols - 1] == floor (vals[ncols - 1])))
    {
      zj_error_set (c->err, "%s:%d: class %g (last column) is not an "
                    "integer in 0..9", c->path, c->line, vals[ncols - 1]);
      return -1;
    }
  return 0;
}

/* Split buf into content lines (in place); returns their count. */
static int
content_lines (char *buf, char ***lines, int **numbers)
{
  int n = 0, cap = 0, lineno = 0;
  char *s = buf;
  while (*s)
    {
      char *nl = strchr (s, '\n');
      if (nl)
        *nl = '\0';
      lineno++;
      if (!skip_line (s))
        {
          if (n == cap)
            {
              cap = cap ? 2 * cap : 1024;
              *lines = zj_xrealloc (*lines, sizeof **lines * (size_t) cap);
              *numbers = zj_xrealloc (*numbers, sizeof **numbers * (size_t) cap);
            }
          (*lines)[n] = s;
          (*numbers)[n++] = lineno;
        }
      if (!nl)
        break;
      s = nl + 1;
    }
  return n;
}

static bool
is_header (csv_ctx *c, char **lines, int n)
{
  int cols = count_fields (lines[0]);
  double *tmp = zj_xmalloc (sizeof *tmp * (size_t) cols);
  bool numeric = parse_row (c, lines[0], tmp, cols, false) == 0;
  free (tmp);
  /* A different count is only a header when the lines after it agree
     with each other; otherwise line 2 is the odd one and gets the error. */
  return !numeric || (n > 2 && count_fields (lines[1]) != cols
                      && count_fields (lines[1]) == count_fields (lines[2]));
}

static bool
selected (const zj_select *sel, int cls, int *count)
{
  if (!sel)
    return true;
  for (int k = 0; k < sel->n_classes; k++)
    if (cls == sel->classes[k] && count[k] < sel->per_class)
      {
        count[k]++;
        return true;
      }
  return false;
}

static int
parse_rows (csv_ctx *c, char **lines, const int *numbers, int n,
            const zj_select *sel, zj_dataset *out)
{
  const int ncols = count_fields (lines[0]);
  if (ncols < 2)
    {
      c->line = numbers[0];
      zj_error_set (c->err, "%s:%d: need at least one feature column and "
                    "the class column", c->path, c->line);
      return -1;
    }
  out->d = ncols - 1;
  /* The arrays grow with the rows accepted, never from the line count
     times the first line's width: a 240 kB file of one 60,000-column line
     and 60,000 one-column lines would otherwise ask for 29 GB. */
  size_t cap = 0;
  out->x = NULL;
  out->y = NULL;
  double *vals = zj_xmalloc (sizeof *vals * (size_t) ncols);
  int count[2] = { 0, 0 }, rc = 0;
  for (int i = 0; i < n && rc == 0; i++)
    {
      c->line = numbers[i];
      if (parse_row (c, lines[i], vals, ncols, true) != 0)
        rc = -1;
      else if (selected (sel, (int) vals[ncols - 1], count))
        {
          if ((size_t) out->n == cap)
            {
              cap = cap ? 2 * cap : 64;
              out->x = zj_xrealloc (out->x, sizeof *out->x * cap * (size_t) out->d);
              out->y = zj_xrealloc (out->y, sizeof *out->y * cap);
            }
          memcpy (out->x + (size_t) out->n * (size_t) out->d, vals,
                  sizeof *vals * (size_t) out->d);
          out->y[out->n++] = (int) vals[ncols - 1];
        }
    }
  free (vals);
  return rc;
}

int
zj_csv_load (const char *path, const zj_select *sel, zj_dataset *out,
             zj_error *err)
{
  memset (out, 0, sizeof *out);
  size_t len;
  char *buf = zj_read_text (path, &len, err);
  if (!buf)
    return -1;
  if (memchr (buf, '\0', len))
    {
      zj_error_set (err, "%s: not a text file (contains NUL bytes)", path);
      free (buf);
      return -1;
    }
  csv_ctx c = { path, 0, err };
  char **lines = NULL;
  int *numbers = NULL;
  int n = content_lines (buf, &lines, &numbers), first = 0, rc = -1;
  if (n > 0 && is_header (&c, lines, n))
    first = 1;
  if (n - first <= 0)
    zj_error_set (err, "%s: no data rows", path);
  else
    rc = parse_rows (&c, lines + first, numbers + first, n - first, sel, out);
  free (lines);
  free (numbers);
  free (buf);
  if (rc != 0)
    zj_dataset_free (out);
  return rc;
}
