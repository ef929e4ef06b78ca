/* execmem.c -- executable memory for copied stencils.
 *
 * One mapping per stencil library, placed in the low 2 GiB when the
 * kernel allows (MAP_32BIT) so that absolute 32-bit references from a
 * stencil to copied data also fit; its start holds the library's data and
 * call stubs, code is bump-allocated after them.  The mapping is
 * read-write-execute: a candidate's code is written once, a few
 * microseconds before it runs, and an mprotect pair per candidate would
 * cost more than the copy.
 */
#include "config.h"
#include "stencil.h"
#include <sys/mman.h>

int
zj_execmem_init (zj_execmem *m, size_t size)
{
  const int prot = PROT_READ | PROT_WRITE | PROT_EXEC;
  const int fl = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
  void *p = MAP_FAILED;
#ifdef MAP_32BIT
  p = mmap (NULL, size, prot, fl | MAP_32BIT, -1, 0);
#endif
  if (p == MAP_FAILED)
    p = mmap (NULL, size, prot, fl, -1, 0);
  if (p == MAP_FAILED)
    {
      m->base = NULL;
      return -1;
    }
  m->base = p;
  m->size = size;
  m->used = m->data_end = 0;
  return 0;
}

void
zj_execmem_destroy (zj_execmem *m)
{
  if (m->base)
    munmap (m->base, m->size);
  m->base = NULL;
}

void *
zj_execmem_alloc (zj_execmem *m, size_t n, size_t align)
{
  size_t at = (m->used + align - 1) & ~(align - 1);
  if (!m->base || at + n > m->size)
    return NULL;
  m->used = at + n;
  return m->base + at;
}

void
zj_execmem_reset_code (zj_execmem *m)
{
  m->used = m->data_end;
}
