/* ckpt_bytes.c -- the byte-level writer and reader of checkpoints.
 *
 * A growable buffer with little-endian integers, doubles by bit pattern,
 * length-prefixed strings and programs; and the bounds-checked reader
 * that undoes them, with a sticky error naming the field being read.
 * Checkpoints (ckpt.c) and migration messages (migration.c) are both
 * written with these, so they know nothing of either.
 */
#include "internal.h"
#include "ckpt.h"
#include <stdarg.h>
#include <string.h>

/* ------------------------------------------------------------- writer */
static void
put (zj_ckbuf *b, const void *p, size_t n)
{
  if (b->len + n > b->cap)
    {
      size_t cap = b->cap ? b->cap : 4096;
      while (cap < b->len + n)
        cap *= 2;
      b->p = zj_xrealloc (b->p, cap);
      b->cap = cap;
    }
  memcpy (b->p + b->len, p, n);
  b->len += n;
}

void
zj_ckbuf_append (zj_ckbuf *b, const void *p, size_t n)
{
  put (b, p, n);
}

void
zj_ckbuf_free (zj_ckbuf *b)
{
  free (b->p);
  memset (b, 0, sizeof *b);
}

void
zj_ck_u8 (zj_ckbuf *b, uint8_t v)
{
  put (b, &v, 1);
}

void
zj_ck_u32 (zj_ckbuf *b, uint32_t v)
{
  unsigned char c[4];
  for (int i = 0; i < 4; i++)
    c[i] = (unsigned char) (v >> (8 * i));
  put (b, c, 4);
}

void
zj_ck_u64 (zj_ckbuf *b, uint64_t v)
{
  unsigned char c[8];
  for (int i = 0; i < 8; i++)
    c[i] = (unsigned char) (v >> (8 * i));
  put (b, c, 8);
}

void
zj_ck_i64 (zj_ckbuf *b, int64_t v)
{
  zj_ck_u64 (b, (uint64_t) v);
}

void
zj_ck_f64 (zj_ckbuf *b, double v)
{
  uint64_t u;
  memcpy (&u, &v, sizeof u);
  zj_ck_u64 (b, u);
}

void
zj_ck_bytes (zj_ckbuf *b, const void *p, size_t n)
{
  zj_ck_u64 (b, n);
  if (n)
    put (b, p, n);
}

void
zj_ck_str (zj_ckbuf *b, const char *s)
{
  zj_ck_bytes (b, s ? s : "", s ? strlen (s) : 0);
}

/* One store, not four byte stores (GCC 12 does not merge those here:
   ~70 instructions per program instruction when migration encodes its
   emigrants). */
static inline unsigned char *
put_le32 (unsigned char *q, uint32_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap32 (v);
#endif
  memcpy (q, &v, sizeof v);
  return q + 4;
}

/* 4 + 28 bytes per instruction per component; reserved once, since
   migration sends hundreds of programs per exchange. */
size_t
zj_ck_program_size (const zj_program *p)
{
  size_t need = 0;
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    need += 4 + 28 * (size_t) p->fn[c].n;
  return need;
}

void
zj_ck_program (zj_ckbuf *b, const zj_program *p)
{
  const size_t need = zj_ck_program_size (p);
  if (b->len + need > b->cap)
    {
      size_t cap = b->cap ? b->cap : 4096;
      while (cap < b->len + need)
        cap *= 2;
      b->p = zj_xrealloc (b->p, cap);
      b->cap = cap;
    }
  unsigned char *q = b->p + b->len;
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    {
      q = put_le32 (q, (uint32_t) p->fn[c].n);
      for (int i = 0; i < p->fn[c].n; i++)
        {
          const zj_instr *in = &p->fn[c].ins[i];
          q = put_le32 (q, (uint32_t) in->op | (uint32_t) in->in1 << 16);
          q = put_le32 (q, (uint32_t) in->in2 | (uint32_t) in->out << 16);
          for (int k = 0; k < 3; k++)
            {
              uint32_t u;
              memcpy (&u, &in->fd[k], sizeof u);
              q = put_le32 (q, u);
            }
          uint64_t u;
          memcpy (&u, &in->act, sizeof u);
          q = put_le32 (q, (uint32_t) u);
          q = put_le32 (q, (uint32_t) (u >> 32));
        }
    }
  b->len += need;
}

/* ------------------------------------------------------------- reader */
void
zj_rd_fail (zj_ckrd *r, const char *fmt, ...)
{
  if (r->bad)
    return;
  r->bad = true;
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (r->why, sizeof r->why, fmt, ap);
  va_end (ap);
}

static const unsigned char *
take (zj_ckrd *r, size_t n)
{
  if (r->bad)
    return NULL;
  if (r->len - r->pos < n)
    {
      zj_rd_fail (r, "truncated in field %s", r->field ? r->field : "?");
      return NULL;
    }
  const unsigned char *p = r->p + r->pos;
  r->pos += n;
  return p;
}

static inline uint32_t
get_le32 (const unsigned char *p)
{
  uint32_t v;
  memcpy (&v, p, sizeof v);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap32 (v);
#endif
  return v;
}

uint8_t
zj_rd_u8 (zj_ckrd *r)
{
  const unsigned char *p = take (r, 1);
  return p ? p[0] : 0;
}

uint32_t
zj_rd_u32 (zj_ckrd *r)
{
  const unsigned char *p = take (r, 4);
  uint32_t v = 0;
  if (p)
    for (int i = 0; i < 4; i++)
      v |= (uint32_t) p[i] << (8 * i);
  return v;
}

uint64_t
zj_rd_u64 (zj_ckrd *r)
{
  const unsigned char *p = take (r, 8);
  uint64_t v = 0;
  if (p)
    for (int i = 0; i < 8; i++)
      v |= (uint64_t) p[i] << (8 * i);
  return v;
}

int64_t
zj_rd_i64 (zj_ckrd *r)
{
  return (int64_t) zj_rd_u64 (r);
}

double
zj_rd_f64 (zj_ckrd *r)
{
  uint64_t u = zj_rd_u64 (r);
  double d;
  memcpy (&d, &u, sizeof d);
  return d;
}

uint64_t
zj_rd_count (zj_ckrd *r, uint64_t max, size_t min_each)
{
  uint64_t n = zj_rd_u64 (r);
  if (r->bad)
    return 0;
  if (n > max || (min_each && n > (r->len - r->pos) / min_each))
    {
      zj_rd_fail (r, "bad count %llu in field %s",
                  (unsigned long long) n, r->field ? r->field : "?");
      return 0;
    }
  return n;
}

char *
zj_rd_bytes (zj_ckrd *r, size_t *len)
{
  uint64_t n = zj_rd_count (r, SIZE_MAX - 1, 1);
  const unsigned char *p = take (r, (size_t) n);
  if (!p)
    {
      if (len)
        *len = 0;
      return NULL;
    }
  char *s = zj_xmalloc ((size_t) n + 1);
  memcpy (s, p, (size_t) n);
  s[n] = '\0';
  if (len)
    *len = (size_t) n;
  return s;
}

void
zj_rd_program (zj_ckrd *r, zj_program *p)
{
  zj_program_clear (p);
  for (int c = 0; c < ZJ_NUM_COMPONENTS && !r->bad; c++)
    {
      const uint32_t n = zj_rd_u32 (r);
      if (n > (r->len - r->pos) / 28)
        {
          zj_rd_fail (r, "bad instruction count %u in field %s", n,
                      r->field ? r->field : "?");
          return;
        }
      /* The bytes are there (checked above): decode them without a
         bounds check per field (migration decodes hundreds of programs
         per exchange). */
      const unsigned char *q = take (r, 28 * (size_t) n);
      if (!q)
        return;
      zj_fn *f = &p->fn[c];
      zj_fn_reserve (f, (int) n);
      for (uint32_t i = 0; i < n; i++, q += 28)
        {
          zj_instr *in = &f->ins[i];
          const uint32_t a = get_le32 (q), b = get_le32 (q + 4);
          in->op = (uint16_t) a;
          in->in1 = (uint16_t) (a >> 16);
          in->in2 = (uint16_t) b;
          in->out = (uint16_t) (b >> 16);
          for (int k = 0; k < 3; k++)
            {
              const uint32_t u = get_le32 (q + 8 + 4 * k);
              memcpy (&in->fd[k], &u, sizeof u);
            }
          const uint64_t u = (uint64_t) get_le32 (q + 20)
                             | (uint64_t) get_le32 (q + 24) << 32;
          memcpy (&in->act, &u, sizeof u);
          if (in->op >= ZJ_NUM_OPS)
            {
              zj_rd_fail (r, "unknown op %u in field %s", in->op,
                          r->field ? r->field : "?");
              return;
            }
          f->n = (int) i + 1;
        }
    }
}
