/* ckpt.c -- checkpoint encoding and parsing: the envelope and the payload.
 *
 * File = 32-byte envelope + payload.  Envelope: magic "ZJCKPT\r\n" (the
 * CR LF catches text-mode mangling), u32 version, u32 op-table size (a
 * build with a different op table cannot use the programs), u64 payload
 * length, u64 checksum of the payload.  All integers little endian,
 * doubles by bit pattern, so a resumed search sees exactly the values the
 * interrupted one had.  The payload is a fixed sequence of fields; the
 * reader checks every length against the bytes left before allocating.
 *
 * The byte-level writer and reader are ckpt_bytes.c; files and the
 * multi-rank manifest are ckpt_file.c.
 */
#include "internal.h"
#include "ckpt.h"
#include <string.h>

static const char MAGIC[8] = { 'Z', 'J', 'C', 'K', 'P', 'T', '\r', '\n' };
#define ENVELOPE 32

/* FNV-style but a word at a time: a 30 MB checkpoint sums in ~10 ms. */
static uint64_t
checksum (const unsigned char *p, size_t n)
{
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    {
      uint64_t w;
      memcpy (&w, p + i, 8);
      h = (h ^ w) * 0x100000001b3ULL;
      h ^= h >> 29;
    }
  for (; i < n; i++)
    h = (h ^ p[i]) * 0x100000001b3ULL;
  return zj_fmix64 (h);
}

/* -------------------------------------------------- plain-data structs */
void
zj_ckpt_init (zj_ckpt *c)
{
  memset (c, 0, sizeof *c);
  zj_program_init (&c->best);
}

void
zj_ckpt_eval_free (zj_ckpt_eval *e)
{
  free (e->fec);
  for (uint64_t i = 0; i < e->n_dedup; i++)
    zj_program_free (&e->dedup[i].prog);
  free (e->dedup);
  free (e->hring);
  memset (e, 0, sizeof *e);
}

void
zj_ckpt_pop_free (zj_ckpt_pop *p)
{
  if (p->progs)
    for (int i = 0; i < p->P; i++)
      zj_program_free (&p->progs[i]);
  free (p->progs);
  free (p->fit);
  free (p->shash);
  zj_program_free (&p->hof);
  memset (p, 0, sizeof *p);
}

void
zj_ckpt_free (zj_ckpt *c)
{
  for (int i = 0; i < c->n_args; i++)
    free (c->args[i]);
  free (c->args);
  zj_program_free (&c->best);
  free (c->printed);
  for (int i = 0; i < c->n_done; i++)
    {
      free (c->done[i].text);
      free (c->done[i].err);
      zj_program_free (&c->done[i].cand);
    }
  free (c->done);
  for (int i = 0; i < c->n_running; i++)
    {
      free (c->running[i].text);
      for (int j = 0; j < c->running[i].n_islands; j++)
        {
          zj_ckpt_pop_free (&c->running[i].isl[j].pop);
          zj_ckpt_eval_free (&c->running[i].isl[j].eval);
        }
      free (c->running[i].isl);
    }
  free (c->running);
  zj_ckpt_init (c);
}

/* ------------------------------------------------------------ encoding */
static void
put_eval (zj_ckbuf *b, const zj_ckpt_eval *e)
{
  zj_ck_i64 (b, e->train_steps);
  for (int i = 0; i < ZJ_CKPT_EVAL_COUNTERS; i++)
    zj_ck_i64 (b, e->cnt[i]);
  for (int i = 0; i < 4; i++)
    zj_ck_i64 (b, e->fec_stats[i]);
  zj_ck_i64 (b, e->fec_capacity);
  zj_ck_u64 (b, e->n_fec);
  for (uint64_t i = 0; i < e->n_fec; i++)
    {
      zj_ck_u64 (b, e->fec[i].key);
      zj_ck_f64 (b, e->fec[i].fitness);
      zj_ck_u32 (b, (uint32_t) e->fec[i].hits);
    }
  zj_ck_i64 (b, e->dedup_slots);
  zj_ck_u64 (b, e->n_dedup);
  for (uint64_t i = 0; i < e->n_dedup; i++)
    {
      zj_ck_u32 (b, e->dedup[i].slot);
      zj_ck_u64 (b, e->dedup[i].key);
      zj_ck_f64 (b, e->dedup[i].fitness);
      zj_ck_program (b, &e->dedup[i].prog);
    }
  zj_ck_i64 (b, e->hcount);
  zj_ck_f64 (b, e->hthreshold);
  zj_ck_u64 (b, e->n_hring);
  for (uint64_t i = 0; i < e->n_hring; i++)
    zj_ck_f64 (b, e->hring[i]);
}

static void
put_pop (zj_ckbuf *b, const zj_ckpt_pop *p)
{
  zj_ck_u32 (b, (uint32_t) p->P);
  for (int i = 0; i < p->P; i++)
    {
      zj_ck_program (b, &p->progs[i]);
      zj_ck_f64 (b, p->fit[i]);
      zj_ck_u64 (b, p->shash[i]);
    }
  zj_ck_i64 (b, p->individuals);
  zj_ck_i64 (b, p->last_printed);
  zj_ck_u8 (b, p->printed);
  zj_ck_u8 (b, p->have_hof);
  zj_ck_f64 (b, p->elapsed);
  zj_ck_program (b, &p->hof);
  zj_ck_f64 (b, p->hof_fit);
}

static void
put_shape (zj_ckbuf *b, const int32_t s[4])
{
  for (int i = 0; i < 4; i++)
    zj_ck_u32 (b, (uint32_t) s[i]);
}

void
zj_ckpt_encode (const zj_ckpt *c, zj_ckbuf *out)
{
  zj_ckbuf b = { 0 };
  zj_ck_u64 (&b, (uint64_t) c->n_args);
  for (int i = 0; i < c->n_args; i++)
    zj_ck_str (&b, c->args[i]);
  zj_ck_u64 (&b, c->seed);
  zj_ck_i64 (&b, c->next);
  zj_ck_i64 (&b, c->consumed);
  zj_ck_i64 (&b, c->ran);
  zj_ck_i64 (&b, c->total_indivs);
  zj_ck_u8 (&b, c->have_best);
  zj_ck_program (&b, &c->best);
  zj_ck_f64 (&b, c->best_select);
  zj_ck_f64 (&b, c->best_hof);
  put_shape (&b, c->shape);
  zj_ck_f64 (&b, c->elapsed);
  zj_ck_bytes (&b, c->printed, c->printed_len);
  zj_ck_i64 (&b, c->log_offset);
  zj_ck_u64 (&b, (uint64_t) c->n_done);
  for (int i = 0; i < c->n_done; i++)
    {
      const zj_ckpt_done *d = &c->done[i];
      zj_ck_i64 (&b, d->index);
      zj_ck_u8 (&b, d->ok);
      zj_ck_bytes (&b, d->text, d->text_len);
      zj_ck_program (&b, &d->cand);
      zj_ck_f64 (&b, d->select_fit);
      zj_ck_f64 (&b, d->hof_fit);
      zj_ck_i64 (&b, d->individuals);
      put_shape (&b, d->shape);
      zj_ck_str (&b, d->err);
    }
  zj_ck_u64 (&b, (uint64_t) c->n_running);
  for (int i = 0; i < c->n_running; i++)
    {
      const zj_ckpt_running *x = &c->running[i];
      zj_ck_i64 (&b, x->index);
      zj_ck_bytes (&b, x->text, x->text_len);
      zj_ck_u64 (&b, (uint64_t) x->n_islands);
      for (int j = 0; j < x->n_islands; j++)
        {
          for (int k = 0; k < 4; k++)
            zj_ck_u64 (&b, x->isl[j].rng[k]);
          zj_ck_i64 (&b, x->isl[j].migrations);
          put_pop (&b, &x->isl[j].pop);
          put_eval (&b, &x->isl[j].eval);
        }
    }
  /* Envelope. */
  out->len = 0;
  zj_ckbuf_append (out, MAGIC, 8);
  zj_ck_u32 (out, ZJ_CKPT_VERSION);
  zj_ck_u32 (out, ZJ_NUM_OPS);
  zj_ck_u64 (out, b.len);
  zj_ck_u64 (out, checksum (b.p, b.len));
  zj_ckbuf_append (out, b.p, b.len);
  zj_ckbuf_free (&b);
}

/* ------------------------------------------------------------- parsing */
static void
get_eval (zj_ckrd *r, zj_ckpt_eval *e)
{
  r->field = "evaluator counters";
  e->train_steps = zj_rd_i64 (r);
  for (int i = 0; i < ZJ_CKPT_EVAL_COUNTERS; i++)
    e->cnt[i] = zj_rd_i64 (r);
  for (int i = 0; i < 4; i++)
    e->fec_stats[i] = zj_rd_i64 (r);
  r->field = "fec cache";
  e->fec_capacity = zj_rd_i64 (r);
  e->n_fec = zj_rd_count (r, e->fec_capacity > 0 ? (uint64_t) e->fec_capacity : 0, 20);
  e->fec = zj_xcalloc (e->n_fec ? e->n_fec : 1, sizeof *e->fec);
  for (uint64_t i = 0; i < e->n_fec; i++)
    {
      e->fec[i].key = zj_rd_u64 (r);
      e->fec[i].fitness = zj_rd_f64 (r);
      e->fec[i].hits = (int32_t) zj_rd_u32 (r);
    }
  r->field = "duplicate cache";
  e->dedup_slots = zj_rd_i64 (r);
  if (e->dedup_slots < 0 || e->dedup_slots > (1 << 30))
    zj_rd_fail (r, "bad slot count in field duplicate cache");
  const uint64_t n = zj_rd_count (r, (uint64_t) (e->dedup_slots > 0 ? e->dedup_slots : 0), 32);
  e->dedup = zj_xcalloc (n ? n : 1, sizeof *e->dedup);
  for (uint64_t i = 0; i < n && !r->bad; i++)
    {
      zj_ckpt_dedup_entry *d = &e->dedup[i];
      zj_program_init (&d->prog);
      e->n_dedup = i + 1;
      d->slot = zj_rd_u32 (r);
      if ((int64_t) d->slot >= e->dedup_slots)
        zj_rd_fail (r, "slot %u out of range in field duplicate cache", d->slot);
      d->key = zj_rd_u64 (r);
      d->fitness = zj_rd_f64 (r);
      zj_rd_program (r, &d->prog);
    }
  r->field = "hurdles";
  e->hcount = zj_rd_i64 (r);
  e->hthreshold = zj_rd_f64 (r);
  e->n_hring = zj_rd_count (r, 1 << 30, 8);
  e->hring = zj_xcalloc (e->n_hring ? e->n_hring : 1, sizeof (double));
  for (uint64_t i = 0; i < e->n_hring; i++)
    e->hring[i] = zj_rd_f64 (r);
}

static void
get_pop (zj_ckrd *r, zj_ckpt_pop *p)
{
  r->field = "population";
  zj_program_init (&p->hof);
  const uint32_t P = zj_rd_u32 (r);
  if (P > (r->len - r->pos) / 28)
    {
      zj_rd_fail (r, "bad population size %u", P);
      return;
    }
  p->progs = zj_xcalloc (P ? P : 1, sizeof *p->progs);
  p->fit = zj_xcalloc (P ? P : 1, sizeof (double));
  p->shash = zj_xcalloc (P ? P : 1, sizeof (uint64_t));
  p->P = (int32_t) P;
  for (uint32_t i = 0; i < P; i++)
    zj_program_init (&p->progs[i]);
  for (uint32_t i = 0; i < P && !r->bad; i++)
    {
      zj_rd_program (r, &p->progs[i]);
      p->fit[i] = zj_rd_f64 (r);
      p->shash[i] = zj_rd_u64 (r);
    }
  p->individuals = zj_rd_i64 (r);
  p->last_printed = zj_rd_i64 (r);
  p->printed = zj_rd_u8 (r);
  p->have_hof = zj_rd_u8 (r);
  p->elapsed = zj_rd_f64 (r);
  r->field = "hall of fame";
  zj_rd_program (r, &p->hof);
  p->hof_fit = zj_rd_f64 (r);
}

static void
get_shape (zj_ckrd *r, int32_t s[4])
{
  for (int i = 0; i < 4; i++)
    s[i] = (int32_t) zj_rd_u32 (r);
}

int
zj_ckpt_parse (const void *buf, size_t len, zj_ckpt *c, zj_error *err)
{
  zj_ckpt_init (c);
  const unsigned char *p = buf;
  if (len < ENVELOPE)
    {
      zj_error_set (err, "truncated: %zu bytes, shorter than the header", len);
      return -1;
    }
  if (memcmp (p, MAGIC, 8) != 0)
    {
      zj_error_set (err, "not a zerojit checkpoint (bad magic)");
      return -1;
    }
  zj_ckrd r = { .p = p, .len = len, .pos = 8, .field = "header" };
  const uint32_t version = zj_rd_u32 (&r), nops = zj_rd_u32 (&r);
  const uint64_t plen = zj_rd_u64 (&r), sum = zj_rd_u64 (&r);
  if (version != ZJ_CKPT_VERSION)
    {
      zj_error_set (err, "format version %u, this build reads version %u",
                    version, ZJ_CKPT_VERSION);
      return -1;
    }
  if (nops != ZJ_NUM_OPS)
    {
      zj_error_set (err, "written by a build with %u ops, this one has %d",
                    nops, ZJ_NUM_OPS);
      return -1;
    }
  if (plen != len - ENVELOPE)
    {
      zj_error_set (err, "%s: payload is %zu bytes, the header says %llu",
                    plen > len - ENVELOPE ? "truncated" : "trailing data",
                    len - ENVELOPE, (unsigned long long) plen);
      return -1;
    }
  if (checksum (p + ENVELOPE, (size_t) plen) != sum)
    {
      zj_error_set (err, "checksum mismatch: the file is damaged");
      return -1;
    }
  r = (zj_ckrd) { .p = p + ENVELOPE, .len = (size_t) plen, .field = "flags" };
  const uint64_t na = zj_rd_count (&r, 4096, 8);
  c->args = zj_xcalloc (na ? na : 1, sizeof (char *));
  for (uint64_t i = 0; i < na && !r.bad; i++)
    {
      c->args[i] = zj_rd_bytes (&r, NULL);
      c->n_args = (int) i + (c->args[i] != NULL);
    }
  r.field = "driver";
  c->seed = zj_rd_u64 (&r);
  c->next = zj_rd_i64 (&r);
  c->consumed = zj_rd_i64 (&r);
  c->ran = zj_rd_i64 (&r);
  c->total_indivs = zj_rd_i64 (&r);
  c->have_best = zj_rd_u8 (&r);
  r.field = "best algorithm";
  zj_rd_program (&r, &c->best);
  r.field = "driver";
  c->best_select = zj_rd_f64 (&r);
  c->best_hof = zj_rd_f64 (&r);
  get_shape (&r, c->shape);
  c->elapsed = zj_rd_f64 (&r);
  r.field = "output so far";
  c->printed = zj_rd_bytes (&r, &c->printed_len);
  c->log_offset = zj_rd_i64 (&r);
  if (!r.bad && (c->next < 0 || c->consumed < 0 || c->consumed > c->next
                 || c->log_offset < 0))
    zj_rd_fail (&r, "inconsistent experiment counters in field driver");
  r.field = "finished experiments";
  const uint64_t nd = zj_rd_count (&r, 1 << 20, 64);
  c->done = zj_xcalloc (nd ? nd : 1, sizeof *c->done);
  for (uint64_t i = 0; i < nd && !r.bad; i++)
    {
      zj_ckpt_done *d = &c->done[i];
      zj_program_init (&d->cand);
      c->n_done = (int) i + 1;
      r.field = "finished experiment";
      d->index = zj_rd_i64 (&r);
      if (!r.bad && (d->index < c->consumed || d->index >= c->next))
        zj_rd_fail (&r, "experiment index %lld out of range", (long long) d->index);
      d->ok = zj_rd_u8 (&r);
      d->text = zj_rd_bytes (&r, &d->text_len);
      zj_rd_program (&r, &d->cand);
      d->select_fit = zj_rd_f64 (&r);
      d->hof_fit = zj_rd_f64 (&r);
      d->individuals = zj_rd_i64 (&r);
      get_shape (&r, d->shape);
      d->err = zj_rd_bytes (&r, NULL);
    }
  r.field = "running experiments";
  const uint64_t nr = zj_rd_count (&r, 1 << 20, 24);
  c->running = zj_xcalloc (nr ? nr : 1, sizeof *c->running);
  for (uint64_t i = 0; i < nr && !r.bad; i++)
    {
      zj_ckpt_running *x = &c->running[i];
      c->n_running = (int) i + 1;
      r.field = "running experiment";
      x->index = zj_rd_i64 (&r);
      if (!r.bad && (x->index < c->consumed || x->index >= c->next))
        zj_rd_fail (&r, "experiment index %lld out of range", (long long) x->index);
      x->text = zj_rd_bytes (&r, &x->text_len);
      r.field = "islands";
      const uint64_t ni = zj_rd_count (&r, 1 << 20, 64);
      x->isl = zj_xcalloc (ni ? ni : 1, sizeof *x->isl);
      for (uint64_t j = 0; j < ni && !r.bad; j++)
        {
          zj_ckpt_island *is = &x->isl[j];
          x->n_islands = (int) j + 1;
          r.field = "island";
          for (int k = 0; k < 4; k++)
            is->rng[k] = zj_rd_u64 (&r);
          is->migrations = zj_rd_i64 (&r);
          get_pop (&r, &is->pop);
          get_eval (&r, &is->eval);
        }
    }
  if (!r.bad && r.pos != r.len)
    zj_rd_fail (&r, "%zu unread bytes at the end", r.len - r.pos);
  /* Each started experiment is either finished or running, once. */
  for (int i = 0; i < c->n_done + c->n_running && !r.bad; i++)
    for (int j = i + 1; j < c->n_done + c->n_running && !r.bad; j++)
      {
        const int64_t a = i < c->n_done ? c->done[i].index
                                        : c->running[i - c->n_done].index;
        const int64_t b = j < c->n_done ? c->done[j].index
                                        : c->running[j - c->n_done].index;
        if (a == b)
          zj_rd_fail (&r, "experiment %lld saved twice", (long long) a);
      }
  if (r.bad)
    {
      zj_error_set (err, "%s", r.why);
      zj_ckpt_free (c);
      return -1;
    }
  return 0;
}
