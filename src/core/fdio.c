/* fdio.c -- whole transfers on a file descriptor.
 *
 * write(2) and read(2) may move fewer bytes than asked, or none when a
 * signal arrives first; checkpoint files and the compile workers' pipes
 * need all of them.  One loop, here, rather than one per caller.
 */
#include "internal.h"
#include <errno.h>
#include <unistd.h>

int
zj_write_all (int fd, const void *buf, size_t n)
{
  const char *p = buf;
  while (n > 0)
    {
      ssize_t k = write (fd, p, n);
      if (k < 0 && errno == EINTR)
        continue;
      if (k <= 0)
        return -1;
      p += k;
      n -= (size_t) k;
    }
  return 0;
}

int
zj_read_all (int fd, void *buf, size_t n)
{
  char *p = buf;
  while (n > 0)
    {
      ssize_t k = read (fd, p, n);
      if (k < 0 && errno == EINTR)
        continue;
      if (k <= 0)
        return -1;
      p += k;
      n -= (size_t) k;
    }
  return 0;
}
