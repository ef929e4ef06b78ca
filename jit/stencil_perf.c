/* stencil_perf.c -- perf's map of copied stencil code.
 *
 * With ZEROJIT_PERF_MAP=1 every emitted component appends to
 * /tmp/perf-<pid>.map (perf's convention for code without an ELF image:
 * "START SIZE name", hex without 0x) one line per instruction, named
 * zj:<lanes|ptask>:F<F>:<P|L><index>:<op>, and one for its return; the
 * library's data and stubs get one line when it is loaded.  The pinned
 * library (stencil_pin.c) names its chains' pieces the same way, under
 * zj:pin:F<F>.  perf then
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
perf_reopen (zj_perf_map *m)
{
  if (m->fd >= 0)
    close (m->fd);
  m->pid = (int) getpid ();
  char path[64];
  snprintf (path, sizeof path, "/tmp/perf-%d.map", m->pid);
  /* O_APPEND: the libraries of a process (and its threads) share the
     file, and an append of one buffer lands whole. */
  m->fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (m->fd < 0)
    return;
  if (m->mem && m->mem->base && m->mem->data_end)
    {
      char line[96];
      const int len = snprintf (line, sizeof line, "%" PRIxPTR " %zx zj:%s:stubs\n",
                                (uintptr_t) m->mem->base, m->mem->data_end, m->label);
      put (m->fd, line, (size_t) len);
    }
}

void
zj_perf_map_open (zj_perf_map *m, const zj_execmem *mem, const char *label)
{
  const char *e = getenv ("ZEROJIT_PERF_MAP");
  m->on = e && *e && strcmp (e, "0") != 0;
  m->fd = -1;
  m->mem = mem;
  snprintf (m->label, sizeof m->label, "%s", label);
  if (m->on)
    perf_reopen (m);
}

void
zj_perf_map_close (zj_perf_map *m)
{
  if (m->on && m->fd >= 0)
    close (m->fd);
  m->on = false;
  m->fd = -1;
}

bool
zj_perf_lines_begin (zj_perf_lines *w, zj_perf_map *m)
{
  w->m = m;
  w->len = 0;
  if (!m->on)
    return false;
  /* A forked child (a worker) copies its own code: it must go to its own
     map, perf looks the file up by the sampled process's pid. */
  if (m->pid != (int) getpid ())
    perf_reopen (m);
  return m->fd >= 0;
}

/* Whole lines into one buffer, one write per buffer: a line never
   interleaves with another writer's and a kernel costs one syscall. */
void
zj_perf_lines_add (zj_perf_lines *w, const void *start, size_t size,
                   const char *name)
{
  if (!size)
    return;
  if (sizeof w->buf - w->len < 200)
    {
      put (w->m->fd, w->buf, w->len);
      w->len = 0;
    }
  const int k = snprintf (w->buf + w->len, sizeof w->buf - w->len,
                          "%" PRIxPTR " %zx zj:%s:%.120s\n", (uintptr_t) start,
                          size, w->m->label, name);
  if (k > 0 && (size_t) k < sizeof w->buf - w->len)
    w->len += (size_t) k;
}

void
zj_perf_lines_end (zj_perf_lines *w)
{
  if (w->len)
    put (w->m->fd, w->buf, w->len);
  w->len = 0;
}

void
zj_stencil_perf_open (zj_stencil_lib *lib)
{
  char label[32];
  snprintf (label, sizeof label, "%s:F%d", lib->C == ZJ_PTASK_C ? "ptask" : "lanes",
            lib->F);
  zj_perf_map_open (&lib->perf, &lib->mem, label);
}

void
zj_stencil_perf_close (zj_stencil_lib *lib)
{
  zj_perf_map_close (&lib->perf);
}

void
zj_stencil_perf_emit (zj_stencil_lib *lib, const uint8_t *code,
                      const zj_sinst *ins, int n, int comp, size_t bytes)
{
  zj_perf_lines w;
  if (!zj_perf_lines_begin (&w, &lib->perf))
    return;
  const char c = comp == ZJ_PREDICT ? 'P' : comp == ZJ_LEARN ? 'L' : 'S';
  uint32_t at = 0;
  for (int i = 0; i <= n; i++)
    {
      const uint32_t size = i < n ? lib->st[ins[i].op][ins[i].variant].size
                                  : (uint32_t) (bytes - at);
      char name[64];
      if (i < n)
        snprintf (name, sizeof name, "%c%d:%s", c, i, zj_ops[ins[i].op].name);
      else
        snprintf (name, sizeof name, "%c:ret", c);
      zj_perf_lines_add (&w, code + at, size, name);
      at += size;
    }
  zj_perf_lines_end (&w);
}
