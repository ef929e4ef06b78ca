/* readfile.c -- read a whole file into a NUL-terminated buffer.
 *
 * Programs, specs, CSV and JSON data are all parsed from memory; this is
 * the one place that loads them.  zj_read_text also refuses a NUL byte,
 * which no text parser could get past.
 */
#include "internal.h"
#include <errno.h>
#include <string.h>

char *
zj_read_file (const char *path, size_t *len, zj_error *err)
{
  FILE *f = fopen (path, "rb");
  if (!f)
    {
      zj_error_set (err, "%s: cannot open: %s", path, strerror (errno));
      return NULL;
    }
  size_t cap = 1 << 16, n = 0, got;
  char *buf = zj_xmalloc (cap);
  errno = 0;
  while ((got = fread (buf + n, 1, cap - n - 1, f)) > 0)
    if ((n += got) + 1 == cap)
      buf = zj_xrealloc (buf, cap *= 2);
  const int e = errno;
  const bool bad = ferror (f);
  fclose (f);
  if (bad)
    {
      /* A directory opens fine and fails here with EISDIR: say so. */
      zj_error_set (err, "%s: cannot read: %s", path,
                    strerror (e ? e : EIO));
      free (buf);
      return NULL;
    }
  buf[n] = '\0';
  if (len)
    *len = n;
  return buf;
}

char *
zj_read_text (const char *path, size_t *len, zj_error *err)
{
  size_t n;
  char *buf = zj_read_file (path, &n, err);
  if (!buf)
    return NULL;
  /* Every parser stops at a NUL: the rest of the file would be silently
     ignored.  Text files have none. */
  const char *nul = memchr (buf, '\0', n);
  if (nul)
    {
      zj_error_set (err, "%s: contains a NUL byte at offset %zu (not a text file?)",
                    path, (size_t) (nul - buf));
      free (buf);
      return NULL;
    }
  if (len)
    *len = n;
  return buf;
}
