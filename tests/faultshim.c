/* faultshim.c -- an LD_PRELOAD library for the fault-injection tests
 * (tests/faults_io.sh): write(2) and fsync(2) fail, or the process is
 * killed, on the files chosen, at the moment chosen.
 *
 * A full disk can be had for real (/dev/full, a small tmpfs); an I/O error
 * cannot, and neither can a kill at an exact point of a checkpoint write.
 * The shim stands in for those.  It only sees calls that go through the
 * dynamic linker: zerojit's checkpoint and progress log use write(2) and
 * fsync(2) directly, the data cache uses stdio and then fsync(2).
 *
 *   ZJ_FAULT_PATH   a substring of the file's path (read from
 *                   /proc/self/fd); other files are left alone.  Required.
 *   ZJ_FAULT        EIO, ENOSPC (the call fails with that errno) or KILL
 *                   (the process sends itself SIGKILL).  Default EIO.
 *   ZJ_FAULT_ON     write (default) or fsync: which call faults.
 *   ZJ_FAULT_SKIP   the fault is armed after that many fsync calls on
 *                   matching files (default 0): SKIP=1 lets the first
 *                   checkpoint through and hits the second.
 *   ZJ_FAULT_AFTER  once armed, bytes written to matching files before
 *                   the fault (default 0); a write that crosses the limit
 *                   is cut short there, as on a file system that fills.
 *
 * Writes then fail every time (a disk stays full), so the program must
 * report the first failure, not retry.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef ssize_t (*write_fn) (int, const void *, size_t);
typedef int (*fsync_fn) (int);

static long fsyncs_seen;         /* fsyncs of matching files so far */
static long long bytes_left = -1; /* once armed: bytes before the fault */

static const char *
env (const char *name, const char *dflt)
{
  const char *v = getenv (name);
  return v && *v ? v : dflt;
}

static int
matches (int fd)
{
  const char *want = getenv ("ZJ_FAULT_PATH");
  if (!want || !*want)
    return 0;
  char link[64], path[4096];
  snprintf (link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink (link, path, sizeof path - 1);
  if (n <= 0)
    return 0;
  path[n] = '\0';
  return strstr (path, want) != NULL;
}

static int
armed (void)
{
  if (fsyncs_seen < atol (env ("ZJ_FAULT_SKIP", "0")))
    return 0;
  if (bytes_left < 0)
    bytes_left = atoll (env ("ZJ_FAULT_AFTER", "0"));
  return 1;
}

/* The fault itself: -1 with the chosen errno, or death. */
static int
fault (void)
{
  const char *f = env ("ZJ_FAULT", "EIO");
  if (strcmp (f, "KILL") == 0)
    {
      kill (getpid (), SIGKILL);
      pause ();
    }
  errno = strcmp (f, "ENOSPC") == 0 ? ENOSPC : EIO;
  return -1;
}

ssize_t
write (int fd, const void *buf, size_t n)
{
  static write_fn real;
  if (!real)
    real = (write_fn) dlsym (RTLD_NEXT, "write");
  if (strcmp (env ("ZJ_FAULT_ON", "write"), "write") != 0 || !matches (fd)
      || !armed ())
    return real (fd, buf, n);
  if ((long long) n <= bytes_left)
    {
      bytes_left -= (long long) n;
      return real (fd, buf, n);
    }
  if (bytes_left > 0)
    {
      /* Part of it fits: a short write, as a filling disk gives; the
         next call meets the fault (or, for KILL, dies now, mid-file). */
      ssize_t w = real (fd, buf, (size_t) bytes_left);
      if (w > 0)
        bytes_left -= w;
      if (strcmp (env ("ZJ_FAULT", "EIO"), "KILL") != 0)
        return w;
    }
  return fault ();
}

int
fsync (int fd)
{
  static fsync_fn real;
  if (!real)
    real = (fsync_fn) dlsym (RTLD_NEXT, "fsync");
  if (!matches (fd))
    return real (fd);
  const int fire = strcmp (env ("ZJ_FAULT_ON", "write"), "fsync") == 0 && armed ();
  fsyncs_seen++;
  return fire ? fault () : real (fd);
}
