/* stencil_perf.c -- perf's map of copied stencil code.
 *
 * With ZEROJIT_PERF_MAP=1 every emitted component appends to
 * /tmp/perf-<pid>.map (perf's convention for code without an ELF image:
 * "START SIZE name", hex without 0x) one line per instruction, named
 * zj:<lanes|ptask>:F<F>:<P|L><index>:<op>, and one for its return; the
 * library's data and stubs get one line when it is loaded.  perf then
 * attributes samples in the anonymous executable mapping to ops instead
 * of bare addresses (doc/baseline_tier.md, "Inspecting").
 */
#include "config.h"
#include "stencil.h"
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes the whole of buf[0..len) (a regular file takes it at once; the
   loop is for a signal between). */
static void
put (int fd, const char *buf, size_t len)
{
  while (len)
    {
      const ssize_t w = write (fd, buf, len);
      if (w <= 0)
        return;
      buf += w;
      len -= (size_t) w;
    }
}

/* Opens the map of the calling process.  A failure (no /tmp, read-only)
   only turns the lines off: profiling must never stop a search. */
static void
perf_reopen (zj_stencil_lib *lib)
{
  if (lib->perf_fd >= 0)
    close (lib->perf_fd);
  lib->perf_pid = (int) getpid ();
  char path[64];
  snprintf (path, sizeof path, "/tmp/perf-%d.map", lib->perf_pid);
  /* O_APPEND: the libraries of a process (and its threads) share the
     file, and an append of one buffer lands whole. */
  lib->perf_fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (lib->perf_fd < 0)
    return;
  if (lib->mem.base && lib->mem.data_end)
    {
      char line[96];
      const int len = snprintf (line, sizeof line, "%" PRIxPTR " %zx zj:%s:F%d:stubs\n",
                                (uintptr_t) lib->mem.base, lib->mem.data_end,
                                lib->C == ZJ_PTASK_C ? "ptask" : "lanes", lib->F);
      put (lib->perf_fd, line, (size_t) len);
    }
}

void
zj_stencil_perf_open (zj_stencil_lib *lib)
{
  const char *e = getenv ("ZEROJIT_PERF_MAP");
  lib->perf_map = e && *e && strcmp (e, "0") != 0;
  lib->perf_fd = -1;
  if (lib->perf_map)
    perf_reopen (lib);
}

void
zj_stencil_perf_close (zj_stencil_lib *lib)
{
  if (lib->perf_map && lib->perf_fd >= 0)
    close (lib->perf_fd);
  lib->perf_map = false;
  lib->perf_fd = -1;
}

void
zj_stencil_perf_emit (zj_stencil_lib *lib, const uint8_t *code,
                      const zj_sinst *ins, int n, int comp, size_t bytes)
{
  if (!lib->perf_map)
    return;
  /* A forked child (a worker) copies its own code: it must go to its own
     map, perf looks the file up by the sampled process's pid. */
  if (lib->perf_pid != (int) getpid ())
    perf_reopen (lib);
  if (lib->perf_fd < 0)
    return;
  const char *kind = lib->C == ZJ_PTASK_C ? "ptask" : "lanes";
  const char c = comp == ZJ_PREDICT ? 'P' : comp == ZJ_LEARN ? 'L' : 'S';
  /* Whole lines into one buffer, one write per buffer: a line never
     interleaves with another writer's and a kernel costs one syscall. */
  char buf[8192];
  size_t len = 0;
  uint32_t at = 0;
  for (int i = 0; i <= n; i++)
    {
      const uint32_t size = i < n ? lib->st[ins[i].op][ins[i].variant].size
                                  : (uint32_t) (bytes - at);
      if (!size)
        continue;
      char name[64];
      if (i < n)
        snprintf (name, sizeof name, "%c%d:%s", c, i, zj_ops[ins[i].op].name);
      else
        snprintf (name, sizeof name, "%c:ret", c);
      len += (size_t) snprintf (buf + len, sizeof buf - len,
                                "%" PRIxPTR " %" PRIx32 " zj:%s:F%d:%s\n",
                                (uintptr_t) (code + at), size, kind, lib->F, name);
      at += size;
      if (sizeof buf - len < 160)
        {
          put (lib->perf_fd, buf, len);
          len = 0;
        }
    }
  if (len)
    put (lib->perf_fd, buf, len);
}
