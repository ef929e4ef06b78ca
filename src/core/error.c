/* error.c -- one-line error messages and allocation helpers. */
#include "internal.h"
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>

void
zj_error_set (zj_error *err, const char *fmt, ...)
{
  if (!err)
    return;
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (err->msg, sizeof err->msg, fmt, ap);
  va_end (ap);
}

static void *
oom (size_t n)
{
  fprintf (stderr, "zerojit: out of memory allocating %zu bytes\n", n);
  abort ();
}

void *
zj_xmalloc (size_t n)
{
  void *p = malloc (n ? n : 1);
  return p ? p : oom (n);
}

void *
zj_xcalloc (size_t n, size_t size)
{
  void *p = calloc (n ? n : 1, size ? size : 1);
  return p ? p : oom (n * size);
}

void *
zj_xrealloc (void *p, size_t n)
{
  p = realloc (p, n ? n : 1);
  return p ? p : oom (n);
}

char *
zj_xstrdup (const char *s)
{
  size_t n = strlen (s) + 1;
  return memcpy (zj_xmalloc (n), s, n);
}

void *
zj_aligned_alloc (size_t n)
{
  size_t sz = (n + 63) & ~(size_t) 63;
  void *p = aligned_alloc (64, sz ? sz : 64);
  if (!p)
    oom (sz);
  memset (p, 0, sz ? sz : 64);
  return p;
}

/* Tables probed at random on every individual (the FEC, the dedup cache)
   span megabytes: with 4 KiB pages nearly every probe also misses the TLB,
   and perf showed the page walks (in zj_fec_prefetch and erase) costing
   more than the data misses.  Large tables therefore go on 2 MiB-aligned
   memory the kernel may back with huge pages (THP in "madvise" mode, as
   on Debian); smaller ones are 64-byte aligned, like zj_aligned_alloc.
   Freed with free (). */
static void *
huge_alloc (size_t n, size_t size, bool zero)
{
  const size_t huge = (size_t) 2 << 20;
  size_t sz = n * size;
  if (size && sz / size != n)
    return oom (SIZE_MAX);
  if (sz < huge / 2)
    return zj_aligned_alloc (sz);
  sz = (sz + huge - 1) & ~(huge - 1);
  void *p = NULL;
  if (posix_memalign (&p, huge, sz) != 0)
    return oom (sz);
#ifdef MADV_HUGEPAGE
  madvise (p, sz, MADV_HUGEPAGE);   /* advice only: no error if refused */
#endif
  return zero ? memset (p, 0, sz) : p;
}

void *
zj_huge_calloc (size_t n, size_t size)
{
  return huge_alloc (n, size, true);
}

/* The same, its large blocks not cleared: their pages are touched when
   first written, not all at once. */
void *
zj_huge_malloc (size_t n)
{
  return huge_alloc (n, 1, false);
}
