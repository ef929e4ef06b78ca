/* test_outseq.c -- experiments' output in order, and what a checkpoint
 * takes from it (the output before the live experiment, each
 * experiment's text, the progress log's length). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include "testutil.h"
#include "outseq.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *
file_text (const char *path)
{
  FILE *f = fopen (path, "r");
  cr_assert (f);
  char *s = NULL;
  size_t n = 0;
  cr_assert (getdelim (&s, &n, '\0', f) >= 0 || feof (f));
  fclose (f);
  return s ? s : strdup ("");
}

Test (outseq, later_experiments_wait_for_their_turn)
{
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream (&text, &len);
  zj_outseq *q = zj_outseq_new (out, -1, false);
  FILE *e1 = zj_outseq_open (q, 1), *e0 = zj_outseq_open (q, 0);
  fprintf (e1, "one\n");
  fprintf (e0, "zero\n");
  fclose (e0);
  fflush (out);
  cr_assert_str_eq (text, "zero\n");
  zj_outseq_advance (q, 0);
  fclose (e1);
  int oe, le;
  zj_outseq_free (q, &oe, &le);
  fclose (out);
  cr_assert_str_eq (text, "zero\none\n");
  cr_assert_eq (oe, 0);
  free (text);
}

Test (outseq, snapshot_splits_the_output_at_the_live_experiment)
{
  char logp[] = "/tmp/zj_outseq_logXXXXXX";
  int fd = mkstemp (logp);
  cr_assert (fd >= 0);
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream (&text, &len);
  zj_outseq *q = zj_outseq_new (out, fd, false);
  zj_outseq_capture (q);
  zj_outseq_printf (q, "Random seed = 7\n");
  zj_outseq_write (q, 0, "e0 a\n", 5);
  zj_outseq_log (q, 0, "\"n\": 0");
  zj_outseq_printf (q, "best so far\n");
  zj_outseq_advance (q, 0);
  zj_outseq_write (q, 2, "e2 a\n", 5);     /* buffered: 1 is live */
  zj_outseq_log (q, 2, "\"n\": 2");
  zj_outseq_write (q, 1, "e1 a\n", 5);
  zj_outseq_write (q, 1, "e1 b\n", 5);
  char *printed;
  size_t plen;
  int64_t log_len;
  zj_outseq_snapshot (q, &printed, &plen, &log_len);
  /* The output before experiment 1's lines; its lines and 2's apart. */
  cr_assert_eq (plen, strlen ("Random seed = 7\ne0 a\nbest so far\n"));
  cr_assert_str_eq (printed, "Random seed = 7\ne0 a\nbest so far\n");
  size_t n1, n2, n0;
  char *t1 = zj_outseq_text (q, 1, &n1), *t2 = zj_outseq_text (q, 2, &n2);
  char *t0 = zj_outseq_text (q, 0, &n0);
  cr_assert_str_eq (t1, "e1 a\ne1 b\n");
  cr_assert_eq (n1, 10);
  cr_assert_str_eq (t2, "e2 a\n");
  cr_assert_eq (n0, 0, "a consumed experiment's text is dropped");
  /* Experiment 2's buffered log line is in the file now, and counted. */
  char *log = file_text (logp);
  cr_assert_eq ((int64_t) strlen (log), log_len);
  cr_assert (strstr (log, "{\"experiment\": 0, \"used\": true, \"n\": 0}\n"));
  cr_assert (strstr (log, "{\"experiment\": 2, \"used\": true, \"n\": 2}\n"));
  int oe, le;
  zj_outseq_free (q, &oe, &le);
  fclose (out);
  /* Not written twice when the queue is freed. */
  char *log2 = file_text (logp);
  cr_assert_str_eq (log2, log);
  close (fd);
  unlink (logp);
  free (log);
  free (log2);
  free (printed);
  free (t0);
  free (t1);
  free (t2);
  free (text);
}

Test (outseq, resume_writes_the_output_again_and_continues_live)
{
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream (&text, &len);
  zj_outseq *q = zj_outseq_new (out, -1, false);
  zj_outseq_capture (q);
  zj_outseq_resume (q, 3, "before\n", 7);
  zj_outseq_write (q, 4, "e4\n", 3);
  zj_outseq_write (q, 3, "e3\n", 3);
  char *printed;
  size_t plen;
  int64_t log_len;
  zj_outseq_snapshot (q, &printed, &plen, &log_len);
  cr_assert_str_eq (printed, "before\n");
  cr_assert_eq (log_len, 0);
  zj_outseq_advance (q, 3);
  int oe, le;
  zj_outseq_free (q, &oe, &le);
  fclose (out);
  cr_assert_str_eq (text, "before\ne3\ne4\n");
  free (printed);
  free (text);
}
