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
  /* Experiment 2's buffered log line is in the file now, and counted;
     whether experiment 2 will be used is not known yet. */
  char *log = file_text (logp);
  cr_assert_eq ((int64_t) strlen (log), log_len);
  cr_assert (strstr (log, "{\"experiment\": 0, \"used\": true, \"n\": 0}\n"));
  cr_assert (strstr (log, "{\"experiment\": 2, \"used\": null, \"n\": 2}\n"));
  int oe, le;
  zj_outseq_finished (q);
  zj_outseq_free (q, &oe, &le);
  fclose (out);
  /* Not written twice when the queue is freed; the run ended before
     experiment 2 went live, so it was not used. */
  char *log2 = file_text (logp);
  cr_assert_str_eq (log2, "{\"experiment\": 0, \"used\": true, \"n\": 0}\n"
                    "{\"experiment\": 2, \"used\": false, \"n\": 2}\n");
  cr_assert_eq (le, 0);
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

/* Lines written ahead at a checkpoint say null, then true once their
   experiment goes live, or false if the run ends first; a resumed queue
   finds them in the log again. */
Test (outseq, lines_written_ahead_are_settled)
{
  char logp[] = "/tmp/zj_outseq_logXXXXXX";
  int fd = mkstemp (logp);
  cr_assert (fd >= 0);
  FILE *out = fopen ("/dev/null", "w");
  zj_outseq *q = zj_outseq_new (out, fd, false);
  zj_outseq_capture (q);
  zj_outseq_log (q, 0, "\"n\": 0");
  zj_outseq_log (q, 1, "\"n\": 1");
  zj_outseq_log (q, 2, "\"n\": 2");
  char *printed;
  size_t plen;
  int64_t log_len;
  zj_outseq_snapshot (q, &printed, &plen, &log_len);
  free (printed);
  zj_outseq_advance (q, 0);                /* 1 goes live: used */
  zj_outseq_log (q, 1, "\"n\": 10");
  char *log = file_text (logp);
  cr_assert_str_eq (log, "{\"experiment\": 0, \"used\": true, \"n\": 0}\n"
                    "{\"experiment\": 1, \"used\": true, \"n\": 1}\n"
                    "{\"experiment\": 2, \"used\": null, \"n\": 2}\n"
                    "{\"experiment\": 1, \"used\": true, \"n\": 10}\n");
  free (log);
  int oe, le;
  zj_outseq_free (q, &oe, &le);   /* stopped, not finished: 2 stays null */
  cr_assert_eq (le, 0);
  log = file_text (logp);
  cr_assert (strstr (log, "{\"experiment\": 2, \"used\": null, \"n\": 2}\n"));
  free (log);

  /* Resume from the checkpoint's log (experiment 1 live; the run went on
     to make it live, which marked its line true after the checkpoint): 2
     goes live after 1, a line of 3 written ahead never does. */
  cr_assert_eq (ftruncate (fd, log_len), 0);
  cr_assert_eq (lseek (fd, 0, SEEK_END), log_len);
  const char *ahead = "{\"experiment\": 3, \"used\": null, \"n\": 3}\n";
  cr_assert_eq (write (fd, ahead, strlen (ahead)), (ssize_t) strlen (ahead));
  q = zj_outseq_new (out, fd, false);
  zj_outseq_resume (q, 1, "", 0);
  zj_outseq_advance (q, 1);
  zj_outseq_finished (q);
  zj_outseq_free (q, &oe, &le);
  cr_assert_eq (le, 0);
  log = file_text (logp);
  cr_assert_str_eq (log, "{\"experiment\": 0, \"used\": true, \"n\": 0}\n"
                    "{\"experiment\": 1, \"used\": true, \"n\": 1}\n"
                    "{\"experiment\": 2, \"used\": true, \"n\": 2}\n"
                    "{\"experiment\": 3, \"used\": false, \"n\": 3}\n");
  free (log);
  fclose (out);
  close (fd);
  unlink (logp);
}
