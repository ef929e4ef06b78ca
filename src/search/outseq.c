/* outseq.c -- experiments' output in experiment order, live (outseq.h). */
#define _GNU_SOURCE
#include "internal.h"
#include "outseq.h"
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

typedef struct buf {
  char *p;
  size_t len, cap;
} buf;

typedef struct slot {
  buf text, log;              /* log: "fields\n" lines, not yet written */
  buf all;                    /* capture: all the text it wrote */
} slot;

struct zj_outseq {
  pthread_mutex_t lock;       /* guards everything below */
  FILE *out;
  int log_fd;
  bool status_on, status_shown;
  int64_t live;
  slot *slots;
  int64_t n_slots;
  int out_err, log_err;
  bool capture;
  buf printed;                /* capture: everything written to out */
  /* Log lines written ahead of their experiment (at a checkpoint) say
     "used": null; where that null is, to become true when the
     experiment goes live, or false when the run ends before. */
  struct pending { int64_t k; off_t off; } *pend;
  size_t n_pend, cap_pend;
  bool finished;              /* zj_outseq_finished: settle them at free */
};

typedef struct cookie {
  zj_outseq *q;
  int64_t k;
} cookie;

static void
buf_add (buf *b, const char *s, size_t n)
{
  if (b->len + n + 1 > b->cap)
    {
      b->cap = (b->len + n + 1) * 2;
      b->p = zj_xrealloc (b->p, b->cap);
    }
  memcpy (b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static slot *
slot_at (zj_outseq *q, int64_t k)
{
  if (k >= q->n_slots)
    {
      int64_t n = q->n_slots ? q->n_slots : 16;
      while (n <= k)
        n *= 2;
      q->slots = zj_xrealloc (q->slots, (size_t) n * sizeof *q->slots);
      memset (q->slots + q->n_slots, 0, (size_t) (n - q->n_slots) * sizeof *q->slots);
      q->n_slots = n;
    }
  return &q->slots[k];
}

static void
erase_status (zj_outseq *q)
{
  if (q->status_shown)
    {
      fputs ("\r\033[K", stderr);
      q->status_shown = false;
    }
}

static void
out_write (zj_outseq *q, const char *s, size_t n)
{
  if (n == 0)
    return;
  erase_status (q);
  if (q->capture)
    buf_add (&q->printed, s, n);
  errno = 0;
  if ((fwrite (s, 1, n, q->out) != n || fflush (q->out) != 0) && !q->out_err)
    q->out_err = errno ? errno : EIO;
}

/* One line, one write(2): readers never see half a line.  After a failed
   write (full disk, I/O error) the log is cut back to its last whole line
   and nothing more is written to it: the error is reported at the end and
   the file holds whole lines only, without a gap.
   used is "true", "false" or "null" (not decided yet: remembered in
   q->pend). */
static void
log_write (zj_outseq *q, int64_t k, const char *fields, size_t n, const char *used)
{
  if (q->log_fd < 0 || q->log_err)
    return;
  char *line = NULL;
  int head = 0;
  int len = asprintf (&line, "{\"experiment\": %lld, \"used\": %n%s, %.*s}\n",
                      (long long) k, &head, used, (int) n, fields);
  if (len < 0)
    {
      q->log_err = ENOMEM;
      return;
    }
  const off_t start = lseek (q->log_fd, 0, SEEK_END);
  ssize_t done = 0, w = 0;
  /* A short write is followed by another, which says why (ENOSPC, EIO). */
  while (done < len)
    {
      w = write (q->log_fd, line + done, (size_t) (len - done));
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        break;
      done += w;
    }
  if (done != len)
    {
      q->log_err = w < 0 ? errno : ENOSPC;
      /* A character device (/dev/full) has no length to cut back to. */
      if (done > 0 && start >= 0)
        (void) ftruncate (q->log_fd, start);
    }
  else if (!strcmp (used, "null") && start >= 0)
    {
      /* The log is written only here, at its end (see zj_outseq_new). */
      if (q->n_pend == q->cap_pend)
        {
          q->cap_pend = q->cap_pend ? 2 * q->cap_pend : 64;
          q->pend = zj_xrealloc (q->pend, q->cap_pend * sizeof *q->pend);
        }
      q->pend[q->n_pend++] = (struct pending) { k, start + head };
    }
  free (line);
}

static void
log_flush_slot (zj_outseq *q, int64_t k, slot *s, bool used)
{
  for (char *p = s->log.p, *e; p && (e = strchr (p, '\n')); p = e + 1)
    log_write (q, k, p, (size_t) (e - p), used ? "true" : "false");
  free (s->log.p);
  free (s->text.p);
  s->log = s->text = (buf) { 0 };
}

/* Experiment k went live: its lines written ahead now say true (same
   length as null, so in place). */
static void
log_settle (zj_outseq *q, int64_t k)
{
  if (q->log_err)
    return;
  size_t keep = 0;
  for (size_t i = 0; i < q->n_pend; i++)
    if (q->pend[i].k == k)
      {
        if (pwrite (q->log_fd, "true", 4, q->pend[i].off) != 4 && !q->log_err)
          q->log_err = errno ? errno : EIO;
      }
    else
      q->pend[keep++] = q->pend[i];
  q->n_pend = keep;
}

/* The run ends: lines still pending belong to experiments never used.
   "false" is a byte longer than "null", so the log is rewritten from the
   first of them on. */
static void
log_settle_unused (zj_outseq *q)
{
  if (q->n_pend == 0 || q->log_err)
    return;
  off_t from = q->pend[0].off;
  for (size_t i = 1; i < q->n_pend; i++)
    if (q->pend[i].off < from)
      from = q->pend[i].off;
  const off_t end = lseek (q->log_fd, 0, SEEK_END);
  if (end < from)
    return;
  const size_t n = (size_t) (end - from);
  char *old = zj_xmalloc (n ? n : 1);
  char *neu = zj_xmalloc (n + 2 * q->n_pend + 1);
  if (pread (q->log_fd, old, n, from) != (ssize_t) n)
    {
      if (!q->log_err)
        q->log_err = errno ? errno : EIO;
      free (old);
      free (neu);
      return;
    }
  size_t o = 0, w = 0;
  while (o < n)
    {
      bool hit = false;
      for (size_t i = 0; i < q->n_pend && !hit; i++)
        hit = q->pend[i].off == from + (off_t) o;
      if (hit && o + 4 <= n && !memcmp (old + o, "null", 4))
        {
          memcpy (neu + w, "false", 5);
          w += 5;
          o += 4;
        }
      else
        neu[w++] = old[o++];
    }
  if (pwrite (q->log_fd, neu, w, from) != (ssize_t) w && !q->log_err)
    q->log_err = errno ? errno : EIO;
  q->n_pend = 0;
  free (old);
  free (neu);
}

zj_outseq *
zj_outseq_new (FILE *out, int log_fd, bool status_line)
{
  zj_outseq *q = zj_xcalloc (1, sizeof *q);
  pthread_mutex_init (&q->lock, NULL);
  q->out = out;
  q->log_fd = log_fd;
  q->status_on = status_line;
  return q;
}

void
zj_outseq_free (zj_outseq *q, int *out_err, int *log_err)
{
  if (!q)
    return;
  pthread_mutex_lock (&q->lock);
  erase_status (q);
  for (int64_t k = 0; k < q->n_slots; k++)
    log_flush_slot (q, k, &q->slots[k], k <= q->live);
  if (q->finished && q->log_fd >= 0)
    log_settle_unused (q);
  pthread_mutex_unlock (&q->lock);
  *out_err = q->out_err;
  *log_err = q->log_err;
  pthread_mutex_destroy (&q->lock);
  for (int64_t k = 0; k < q->n_slots; k++)
    free (q->slots[k].all.p);
  free (q->slots);
  free (q->printed.p);
  free (q->pend);
  free (q);
}

static ssize_t
cookie_write (void *c, const char *s, size_t n)
{
  cookie *ck = c;
  zj_outseq_write (ck->q, ck->k, s, n);
  return (ssize_t) n;
}

static int
cookie_close (void *c)
{
  free (c);
  return 0;
}

FILE *
zj_outseq_open (zj_outseq *q, int64_t k)
{
  cookie *ck = zj_xcalloc (1, sizeof *ck);
  ck->q = q;
  ck->k = k;
  FILE *f = fopencookie (ck, "w", (cookie_io_functions_t) {
                           .write = cookie_write, .close = cookie_close });
  if (!f)
    {
      free (ck);
      return NULL;
    }
  setvbuf (f, NULL, _IOLBF, 0);
  return f;
}

void
zj_outseq_log (zj_outseq *q, int64_t k, const char *fields)
{
  pthread_mutex_lock (&q->lock);
  if (k == q->live)
    log_write (q, k, fields, strlen (fields), "true");
  else if (q->log_fd >= 0)
    {
      buf *b = &slot_at (q, k)->log;
      buf_add (b, fields, strlen (fields));
      buf_add (b, "\n", 1);
    }
  pthread_mutex_unlock (&q->lock);
}

void
zj_outseq_advance (zj_outseq *q, int64_t k)
{
  pthread_mutex_lock (&q->lock);
  assert (k == q->live);
  if (k < q->n_slots)
    {
      free (q->slots[k].all.p);
      q->slots[k].all = (buf) { 0 };
    }
  q->live = k + 1;
  if (q->log_fd >= 0)
    log_settle (q, q->live);
  if (q->live < q->n_slots)
    {
      slot *s = &q->slots[q->live];
      if (s->text.p)
        out_write (q, s->text.p, s->text.len);
      log_flush_slot (q, q->live, s, true);
    }
  pthread_mutex_unlock (&q->lock);
}

void
zj_outseq_finished (zj_outseq *q)
{
  pthread_mutex_lock (&q->lock);
  q->finished = true;
  pthread_mutex_unlock (&q->lock);
}

void
zj_outseq_printf (zj_outseq *q, const char *fmt, ...)
{
  char *s = NULL;
  va_list ap;
  va_start (ap, fmt);
  int n = vasprintf (&s, fmt, ap);
  va_end (ap);
  if (n < 0)
    return;
  pthread_mutex_lock (&q->lock);
  out_write (q, s, (size_t) n);
  pthread_mutex_unlock (&q->lock);
  free (s);
}

void
zj_outseq_note (zj_outseq *q, const char *text)
{
  pthread_mutex_lock (&q->lock);
  erase_status (q);
  fputs (text, stderr);
  fflush (stderr);
  pthread_mutex_unlock (&q->lock);
}

void
zj_outseq_status (zj_outseq *q, const char *text)
{
  pthread_mutex_lock (&q->lock);
  if (q->status_on)
    {
      erase_status (q);
      if (*text)
        {
          fputs (text, stderr);
          q->status_shown = true;
        }
      fflush (stderr);
    }
  pthread_mutex_unlock (&q->lock);
}

void
zj_outseq_write (zj_outseq *q, int64_t k, const char *s, size_t n)
{
  pthread_mutex_lock (&q->lock);
  if (q->capture)
    buf_add (&slot_at (q, k)->all, s, n);
  if (k == q->live)
    out_write (q, s, n);
  else
    buf_add (&slot_at (q, k)->text, s, n);
  pthread_mutex_unlock (&q->lock);
}

void
zj_outseq_capture (zj_outseq *q)
{
  pthread_mutex_lock (&q->lock);
  q->capture = true;
  pthread_mutex_unlock (&q->lock);
}

static char *
copy_of (const char *p, size_t n)
{
  char *c = zj_xmalloc (n + 1);
  if (n)
    memcpy (c, p, n);
  c[n] = '\0';
  return c;
}

void
zj_outseq_snapshot (zj_outseq *q, char **printed, size_t *len,
                    int64_t *log_len)
{
  pthread_mutex_lock (&q->lock);
  /* The live experiment's text is the tail of the output: the driver
     prints between experiments only, before making the next one live. */
  size_t live_len = q->live < q->n_slots ? q->slots[q->live].all.len : 0;
  assert (live_len <= q->printed.len);
  *len = q->printed.len - live_len;
  *printed = copy_of (q->printed.p, *len);
  *log_len = 0;
  if (q->log_fd >= 0)
    {
      for (int64_t k = q->live + 1; k < q->n_slots; k++)
        {
          slot *s = &q->slots[k];
          for (char *p = s->log.p, *e; p && (e = strchr (p, '\n')); p = e + 1)
            log_write (q, k, p, (size_t) (e - p), "null");
          free (s->log.p);
          s->log = (buf) { 0 };
        }
      off_t end = lseek (q->log_fd, 0, SEEK_END);
      *log_len = end > 0 ? (int64_t) end : 0;
    }
  pthread_mutex_unlock (&q->lock);
}

char *
zj_outseq_text (zj_outseq *q, int64_t k, size_t *len)
{
  pthread_mutex_lock (&q->lock);
  const buf *b = k < q->n_slots ? &q->slots[k].all : NULL;
  *len = b ? b->len : 0;
  char *c = copy_of (b ? b->p : NULL, *len);
  pthread_mutex_unlock (&q->lock);
  return c;
}

void
zj_outseq_resume (zj_outseq *q, int64_t live, const char *printed,
                  size_t len)
{
  pthread_mutex_lock (&q->lock);
  out_write (q, printed, len);
  q->live = live;
  /* Lines the interrupted run wrote ahead are still undecided. */
  const off_t end = q->log_fd >= 0 ? lseek (q->log_fd, 0, SEEK_END) : 0;
  if (end > 0)
    {
      char *t = zj_xmalloc ((size_t) end + 1);
      if (pread (q->log_fd, t, (size_t) end, 0) == (ssize_t) end)
        {
          t[end] = '\0';
          for (char *p = t, *e; (e = strchr (p, '\n')); p = e + 1)
            {
              long long k;
              int head = 0;
              if (sscanf (p, "{\"experiment\": %lld, \"used\": %n", &k, &head) == 1
                  && head > 0 && !strncmp (p + head, "null", 4))
                {
                  if (q->n_pend == q->cap_pend)
                    {
                      q->cap_pend = q->cap_pend ? 2 * q->cap_pend : 64;
                      q->pend = zj_xrealloc (q->pend, q->cap_pend * sizeof *q->pend);
                    }
                  q->pend[q->n_pend++] = (struct pending) { k, (off_t) (p - t) + head };
                }
            }
        }
      else if (!q->log_err)
        q->log_err = errno ? errno : EIO;
      free (t);
    }
  pthread_mutex_unlock (&q->lock);
}
