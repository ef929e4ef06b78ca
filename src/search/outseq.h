/* outseq.h -- the output of experiments that run side by side, in
 * experiment order and live.
 *
 * Every experiment writes its lines (and its progress-log lines) as they
 * happen.  The lowest experiment not yet consumed by the driver is "live":
 * its lines go straight to the output.  A later experiment's lines wait in
 * a buffer until the driver has consumed every experiment before it; then
 * they are written and it becomes live.  So the reader sees experiment 0's
 * lines, then experiment 1's, each as soon as it is its turn, whatever the
 * number of threads.
 *
 * Each progress-log line is one write(2) of a whole JSON object carrying
 * "experiment" (the index) and "used" (false for experiments that ran past
 * the driver's answer and whose result was thrown away; null, briefly, for
 * lines a checkpoint wrote ahead, see zj_outseq_snapshot), so concurrent
 * writers never interleave within a line.
 *
 * The optional status line (a TTY on stderr) is erased before output is
 * written and redrawn by zj_outseq_status, under the same lock.
 */
#ifndef ZJ_OUTSEQ_H
#define ZJ_OUTSEQ_H
#include <stdint.h>
#include <stdio.h>
#include <stdbool.h>

typedef struct zj_outseq zj_outseq;

/* out: the text output; log_fd: the progress log (-1: none). */
zj_outseq *zj_outseq_new (FILE *out, int log_fd, bool status_line);
/* Writes everything still buffered for unconsumed experiments to the log
   with "used": false (their text is dropped), reports the errno of the
   first failed write to the output and to the log (0: none), and frees.
   After zj_outseq_finished, lines a checkpoint wrote ahead for experiments
   never used become false too (the log's tail is rewritten: "false" is a
   byte longer than "null"); otherwise they stay null, since a stopped run
   may be resumed from a checkpoint whose log length counts them. */
void zj_outseq_free (zj_outseq *q, int *out_err, int *log_err);
/* The search ended normally: no experiment past the live one is used. */
void zj_outseq_finished (zj_outseq *q);

/* A line-buffered stream for experiment k's text; fclose it when done. */
FILE *zj_outseq_open (zj_outseq *q, int64_t k);
/* One progress-log line of experiment k: JSON fields without braces. */
void zj_outseq_log (zj_outseq *q, int64_t k, const char *fields);
/* The driver has consumed experiment k (whose stream is closed): k + 1
   goes live and its buffered lines are written now. */
void zj_outseq_advance (zj_outseq *q, int64_t k);
/* Text written by the driver itself, between experiments. */
void zj_outseq_printf (zj_outseq *q, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));
/* A line (text ends in a newline) on stderr, above the status line if
   one shows: the next zj_outseq_status redraws it. */
void zj_outseq_note (zj_outseq *q, const char *text);
/* Replace the status line (no newline in text); "" erases it. */
void zj_outseq_status (zj_outseq *q, const char *text);

/* Checkpoints (doc/checkpoint.md).  After zj_outseq_capture, the queue
   keeps a copy of everything written to the output and of the text of
   every experiment not yet consumed, so a checkpoint can store them. */
void zj_outseq_capture (zj_outseq *q);
/* The output up to the live experiment's first line (malloc'd copy), and
   the progress log's length once every buffered log line has been
   written (so the file holds all lines logged so far).  Lines written
   ahead of their experiment say "used": null until it goes live (then
   true, in place) or the run ends without it (then false); a resumed
   queue finds them again in the log. */
void zj_outseq_snapshot (zj_outseq *q, char **printed, size_t *len,
                         int64_t *log_len);
/* Experiment k's text so far (malloc'd copy). */
char *zj_outseq_text (zj_outseq *q, int64_t k, size_t *len);
/* Resuming: writes the output a checkpoint recorded and makes `live` the
   live experiment. */
void zj_outseq_resume (zj_outseq *q, int64_t live, const char *printed,
                       size_t len);
/* Text of experiment k, as if written to its stream. */
void zj_outseq_write (zj_outseq *q, int64_t k, const char *s, size_t n);
#endif
