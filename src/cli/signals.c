/* signals.c -- SIGINT and SIGTERM for the commands that run long.
 *
 * The first signal only sets a zj_stop (src/stop.h): the search stops at
 * its next evaluation, reports the best so far, flushes and cleans up.  A
 * second signal means "now": it exits at once with 128 + signal.
 *
 * The handler needs to find the zj_stop, and a handler takes no argument:
 * this one file-scope pointer is that link, set once before the handlers
 * are installed.
 */
#include "config.h"
#include "cli.h"
#include "stop.h"
#include <signal.h>
#include <string.h>
#include <unistd.h>

static zj_stop *the_stop;

static void
on_signal (int sig)
{
  if (zj_stop_requested (the_stop))
    {
      static const char msg[] = "\nzerojit: second signal, exiting now\n";
      ssize_t w = write (STDERR_FILENO, msg, sizeof msg - 1);
      (void) w;
      _exit (128 + sig);
    }
  zj_stop_request (the_stop, sig);
  static const char msg[] = "\nzerojit: stopping at the next evaluation "
    "(again to exit at once)\n";
  ssize_t w = write (STDERR_FILENO, msg, sizeof msg - 1);
  (void) w;
}

void
zj_cli_catch_signals (zj_stop *stop)
{
  the_stop = stop;
  struct sigaction sa;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset (&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
}

void
zj_cli_release_signals (void)
{
  signal (SIGINT, SIG_DFL);
  signal (SIGTERM, SIG_DFL);
}
