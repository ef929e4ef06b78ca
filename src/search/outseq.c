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
  errno = 0;
  if ((fwrite (s, 1, n, q->out) != n || fflush (q->out) != 0) && !q->out_err)
    q->out_err = errno ? errno : EIO;
}

/* One line, one write(2): readers never see half a line. */
static void
log_write (zj_outseq *q, int64_t k, const char *fields, size_t n, bool used)
{
  if (q->log_fd < 0)
    return;
  char *line = NULL;
  int len = asprintf (&line, "{\"experiment\": %lld, \"used\": %s, %.*s}\n",
                      (long long) k, used ? "true" : "false", (int) n, fields);
  if (len < 0)
    {
      q->log_err = ENOMEM;
      return;
    }
  ssize_t w;
  do
    w = write (q->log_fd, line, (size_t) len);
  while (w < 0 && errno == EINTR);
  if (w != len && !q->log_err)
    q->log_err = w < 0 ? errno : ENOSPC;
  free (line);
}

static void
log_flush_slot (zj_outseq *q, int64_t k, slot *s, bool used)
{
  for (char *p = s->log.p, *e; p && (e = strchr (p, '\n')); p = e + 1)
    log_write (q, k, p, (size_t) (e - p), used);
  free (s->log.p);
  free (s->text.p);
  memset (s, 0, sizeof *s);
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
  pthread_mutex_unlock (&q->lock);
  *out_err = q->out_err;
  *log_err = q->log_err;
  pthread_mutex_destroy (&q->lock);
  free (q->slots);
  free (q);
}

static ssize_t
cookie_write (void *c, const char *s, size_t n)
{
  cookie *ck = c;
  zj_outseq *q = ck->q;
  pthread_mutex_lock (&q->lock);
  if (ck->k == q->live)
    out_write (q, s, n);
  else
    buf_add (&slot_at (q, ck->k)->text, s, n);
  pthread_mutex_unlock (&q->lock);
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
    log_write (q, k, fields, strlen (fields), true);
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
  q->live = k + 1;
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
