/* signals.c -- SIGINT and SIGTERM for the commands that run long.
 *
 * The first signal only sets a zj_stop (src/stop.h): the search stops at
 * its next evaluation, reports the best so far, flushes and cleans up.  A
 * second signal means "now": it exits at once with 128 + signal.
 *
 * The signals are blocked in every thread and taken by one thread with
 * sigwait(), rather than by a handler.  The block is inherited by the
 * processes libgccjit starts (as, ld) and by the compile workers, so a
 * Ctrl-C on the terminal, which reaches the whole process group, does not
 * kill a compile half way (GCC's driver then re-raises the signal in our
 * process and leaves /tmp/libgccjit-* behind); they finish and the search
 * stops cleanly.
 */
#include "config.h"
#include "cli.h"
#include "stop.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Set once the search writes a last checkpoint on SIGTERM: only changes
   what the first SIGTERM says. */
static atomic_bool term_checkpoints;
/* Set under mpirun with several ranks: only changes what is said. */
static atomic_bool ranks;

void
zj_cli_signals_ranks (void)
{
  atomic_store (&ranks, true);
}

void
zj_cli_sigterm_checkpoints (void)
{
  atomic_store (&term_checkpoints, true);
}

static void *
signal_thread (void *arg)
{
  zj_stop *stop = arg;
  double first = 0.0;
  sigset_t set;
  sigemptyset (&set);
  sigaddset (&set, SIGINT);
  sigaddset (&set, SIGTERM);
  for (;;)
    {
      int sig;
      if (sigwait (&set, &sig) != 0)
        continue;
      struct timespec now;
      clock_gettime (CLOCK_MONOTONIC, &now);
      const double t = (double) now.tv_sec + 1e-9 * (double) now.tv_nsec;
      /* One signal often arrives twice at once: `timeout` and `kill -INT
         -PGID` signal both the process and its group.  Only a signal well
         after the first one means "exit now". */
      if (zj_stop_requested (stop) && t - first < 0.25)
        continue;
      if (zj_stop_requested (stop))
        {
          static const char msg[] = "\nzerojit: second signal, exiting now\n";
          ssize_t w = write (STDERR_FILENO, msg, sizeof msg - 1);
          (void) w;
          _exit (128 + sig);
        }
      zj_stop_request (stop, sig);
      first = t;
      static const char msg[] = "\nzerojit: stopping at the next evaluation "
        "(again to exit at once)\n";
      static const char ck[] = "\nzerojit: SIGTERM: writing a last checkpoint "
        "at the next generation, then exiting (again to exit at once)\n";
      static const char rk[] = "\nzerojit: stopping all ranks at their next "
        "exchange (again to exit at once)\n";
      static const char rck[] = "\nzerojit: SIGTERM: all ranks write a last "
        "checkpoint at their next exchange, then exit (again to exit at once)\n";
      const bool c = sig == SIGTERM && atomic_load (&term_checkpoints);
      ssize_t w = c && atomic_load (&ranks) ? write (STDERR_FILENO, rck, sizeof rck - 1)
                  : c ? write (STDERR_FILENO, ck, sizeof ck - 1)
                  : atomic_load (&ranks) ? write (STDERR_FILENO, rk, sizeof rk - 1)
                  : write (STDERR_FILENO, msg, sizeof msg - 1);
      (void) w;
    }
  return NULL;
}

int
zj_cli_catch_signals (zj_stop *stop)
{
  /* Must run before any other thread exists: they inherit the mask. */
  sigset_t set;
  sigemptyset (&set);
  sigaddset (&set, SIGINT);
  sigaddset (&set, SIGTERM);
  if (pthread_sigmask (SIG_BLOCK, &set, NULL) != 0)
    return -1;
  pthread_t t;
  if (pthread_create (&t, NULL, signal_thread, stop) != 0)
    {
      pthread_sigmask (SIG_UNBLOCK, &set, NULL);
      return -1;
    }
  pthread_detach (t);
  return 0;
}
