/* cmd_plot.c -- `zerojit plot`: a --progress_log file as a PNG, through
 * gnuplot.  The script is examples/plot_progress.gp, built in here so the
 * command works from any directory; tests/cli_plot.sh checks that the two
 * are the same text.
 */
#define _GNU_SOURCE
#include "config.h"
#include "internal.h"
#include "cli.h"
#include <string.h>
#include <sys/wait.h>

static const char script[] =
  "# plot_progress.gp -- turn a --progress_log JSON-lines file into a PNG:\n"
  "# the best fitness of each experiment's population against the individuals\n"
  "# it evaluated, one curve per experiment (dashed: experiments whose result\n"
  "# was not used).  `zerojit plot LOG --out PNG` runs this very script (it is\n"
  "# built into the command; `zerojit plot --script` prints it), or by hand:\n"
  "#\n"
  "#   gnuplot -e \"log='progress.json'; out='progress.png'\" examples/plot_progress.gp\n"
  "#\n"
  "# Needs gnuplot (apt-get install gnuplot-nox); each JSON line is flattened\n"
  "# with sed.\n"
  "if (!exists(\"log\")) log = 'progress.json'\n"
  "if (!exists(\"out\")) out = 'progress.png'\n"
  "last = int(system(sprintf(\"sed -nE 's/.*\\\"experiment\\\": ([0-9]+).*/\\\\1/p' '%s' | sort -n | tail -1\", log)) + 0)\n"
  "series(e) = sprintf(\"< sed -nE 's/^\\\\{\\\"experiment\\\": %d, \\\"used\\\": [a-z]+, \\\"individuals\\\": ([0-9]+).*\\\"best\\\": ([-0-9.eE+]+).*/\\\\1 \\\\2/p' '%s'\", e, log)\n"
  "used(e) = int(system(sprintf(\"grep -c '^.\\\"experiment\\\": %d, \\\"used\\\": true' '%s'\", e, log)) + 0) > 0\n"
  "set terminal png size 1000,560\n"
  "set output out\n"
  "set title sprintf(\"zerojit search progress (%s): best fitness per experiment\", log) noenhanced\n"
  "set xlabel \"individuals evaluated in the experiment\"\n"
  "set ylabel \"best fitness in the population\"\n"
  "set yrange [0:1.02]\n"
  "set grid\n"
  "if (last > 11) set key off; else set key bottom right\n"
  "plot for [e=0:last] series(e) using 1:2 with lines lw 2 lc e+1 dt 2-used(e) \\\n"
  "     title sprintf(\"experiment %d%s\", e, used(e) ? \"\" : \" (not used)\")\n";

static const zj_flag_def flags[] = {
  { "out", "PNG", "progress.png", "The picture to write." },
  { "script", NULL, NULL, "Print the gnuplot script instead (it is examples/plot_progress.gp)." },
  { "gnuplot", "PROGRAM", "gnuplot", "The gnuplot to run (apt-get install gnuplot-nox)." },
};

static int
run (zj_cli *cli)
{
  bool only_script = false;
  if (zj_cli_flag (cli, "script", &only_script))
    return 2;
  if (only_script)
    {
      fputs (script, stdout);
      return 0;
    }
  if (cli->n_pos != 1)
    {
      fprintf (stderr, "zerojit plot: expected one LOG file (see 'zerojit plot --help')\n");
      return 2;
    }
  const char *log = cli->pos[0], *out = zj_cli_get (cli, "out");
  const char *gp = zj_cli_get (cli, "gnuplot");
  if (strchr (log, '\'') || strchr (out, '\''))
    {
      fprintf (stderr, "zerojit plot: file names with a ' are not supported\n");
      return 2;
    }
  FILE *probe = fopen (log, "r");
  if (!probe)
    {
      fprintf (stderr, "zerojit plot: %s: cannot open: %m\n", log);
      return 1;
    }
  fclose (probe);
  char *cmd = NULL;
  if (asprintf (&cmd, "'%s' -e \"log='%s'; out='%s'\" -", gp, log, out) < 0)
    return 1;
  FILE *p = popen (cmd, "w");
  free (cmd);
  if (!p)
    {
      fprintf (stderr, "zerojit plot: cannot run %s: %m\n", gp);
      return 1;
    }
  fputs (script, p);
  int st = pclose (p);
  if (st == -1 || !WIFEXITED (st) || WEXITSTATUS (st) != 0)
    {
      fprintf (stderr, "zerojit plot: %s failed%s\n", gp,
               WIFEXITED (st) && WEXITSTATUS (st) == 127
               ? " (not installed? apt-get install gnuplot-nox)" : "");
      return 1;
    }
  printf ("wrote %s\n", out);
  return 0;
}

const zj_command zj_cmd_plot = {
  "plot", "LOG [--out PNG]", "draw a --progress_log file as a PNG (gnuplot)",
  "Draws the best fitness of every experiment's population against the "
  "individuals it evaluated, one curve per experiment, from a file written "
  "by 'zerojit search --progress_log=LOG'.  Experiments whose result was "
  "not used (they ran past the answer) are dashed.  Needs gnuplot.",
  ZJ_CLI_FLAGS (flags), 1, run,
};
