/* ckpt_file.c -- checkpoint files: atomic replacement, loading, and the
 * manifest of a multi-rank checkpoint.
 *
 * The file system side of checkpoints, apart from the encoding (ckpt.c):
 * a new checkpoint is written beside the old one and renamed over it, so
 * a kill at any moment leaves one whole file; an MPI job writes one file
 * per rank and a small text manifest naming the generation they share.
 */
#include "internal.h"
#include "ckpt.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------- files */
int
zj_ckpt_write_file (const char *path, const zj_ckbuf *data, zj_error *err)
{
  const size_t plen = strlen (path);
  char *tmp = zj_xmalloc (plen + 5);
  memcpy (tmp, path, plen);
  memcpy (tmp + plen, ".tmp", 5);
  int rc = -1;
  int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      zj_error_set (err, "checkpoint %s: cannot create: %s", tmp, strerror (errno));
      goto out;
    }
  if (zj_write_all (fd, data->p, data->len) != 0 || fsync (fd) != 0)
    {
      zj_error_set (err, "checkpoint %s: write failed: %s", tmp, strerror (errno));
      close (fd);
      unlink (tmp);
      goto out;
    }
  if (close (fd) != 0)
    {
      zj_error_set (err, "checkpoint %s: close failed: %s", tmp, strerror (errno));
      unlink (tmp);
      goto out;
    }
  /* Only now is the new file whole: the rename replaces the old good one
     in a single step. */
  if (rename (tmp, path) != 0)
    {
      zj_error_set (err, "checkpoint %s: rename failed: %s", path, strerror (errno));
      unlink (tmp);
      goto out;
    }
  /* Make the rename itself durable. */
  const char *slash = strrchr (path, '/');
  char *dir = slash ? zj_xmalloc ((size_t) (slash - path) + 2) : zj_xstrdup (".");
  if (slash)
    {
      size_t dl = slash == path ? 1 : (size_t) (slash - path);
      memcpy (dir, path, dl);
      dir[dl] = '\0';
    }
  int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0)
    {
      fsync (dfd);
      close (dfd);
    }
  free (dir);
  rc = 0;
out:
  free (tmp);
  return rc;
}

int
zj_ckpt_load (const char *path, zj_ckpt *c, zj_error *err)
{
  size_t len;
  zj_error e2;
  char *buf = zj_read_file (path, &len, &e2);
  zj_ckpt_init (c);
  if (!buf)
    {
      zj_error_set (err, "--resume: %s", e2.msg);
      return -1;
    }
  int rc = zj_ckpt_parse (buf, len, c, &e2);
  free (buf);
  if (rc != 0)
    zj_error_set (err, "--resume=%s: %s", path, e2.msg);
  return rc;
}

/* ------------------------------------------------------------ manifest */
#define MANIFEST_HEAD "zerojit checkpoint manifest 1\n"

char *
zj_ckpt_rank_path (const char *path, int64_t gen, int rank)
{
  size_t n = strlen (path) + 48;
  char *s = zj_xmalloc (n);
  snprintf (s, n, "%s.%lld.rank%d", path, (long long) gen, rank);
  return s;
}

void
zj_ckpt_manifest (int64_t gen, int ranks, zj_ckbuf *out)
{
  char line[128];
  int n = snprintf (line, sizeof line, MANIFEST_HEAD "ranks %d\ngeneration %lld\n",
                    ranks, (long long) gen);
  zj_ckbuf_append (out, line, (size_t) n);
}

bool
zj_ckpt_is_manifest (const void *buf, size_t len)
{
  return len >= sizeof MANIFEST_HEAD - 1
         && memcmp (buf, MANIFEST_HEAD, sizeof MANIFEST_HEAD - 1) == 0;
}

int
zj_ckpt_manifest_parse (const void *buf, size_t len, int64_t *gen, int *ranks,
                        zj_error *err)
{
  char text[128];
  if (!zj_ckpt_is_manifest (buf, len) || len >= sizeof text)
    {
      zj_error_set (err, "not a checkpoint manifest");
      return -1;
    }
  memcpy (text, buf, len);
  text[len] = '\0';
  long long g;
  int r, used = 0;
  if (sscanf (text + sizeof MANIFEST_HEAD - 1, "ranks %d\ngeneration %lld\n%n",
              &r, &g, &used) != 2
      || used != (int) (len - (sizeof MANIFEST_HEAD - 1)) || r < 1 || g < 1)
    {
      zj_error_set (err, "damaged checkpoint manifest");
      return -1;
    }
  *gen = g;
  *ranks = r;
  return 0;
}
