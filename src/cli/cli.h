/* cli.h -- the zerojit command line.
 *
 * Every command is one zj_command: its name, a synopsis, a paragraph of
 * description and ONE table of flags (name, value name, default, help).
 * Parsing, `--help`, the error for an unknown flag and the zerojit(1) man
 * page (`zerojit --man`, generated at build time) all read that table, so
 * a flag is described exactly once.  The defaults in the table are the
 * values the commands use: zj_cli_get returns them when a flag is absent.
 */
#ifndef ZJ_CLI_H
#define ZJ_CLI_H
#include "config.h"
#include <zerojit/zerojit.h>
#include <stdio.h>
#if HAVE_JIT
# include <zerojit/jit.h>
#endif

/* Flag tables leave the optional trailing fields (conflicts, alias) out. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define ZJ_CLI_MAX_FLAGS 48
#define ZJ_CLI_MAX_POS 4

typedef struct zj_flag_def {
  const char *name;      /* without dashes */
  const char *arg;       /* value name for help ("N", "FILE"); NULL: boolean */
  const char *def;       /* default value, as parsed; NULL: none */
  const char *help;      /* one sentence or two; the man page reuses it */
  const char *conflicts; /* a flag that may not be given with this one */
  const char *alias;     /* another accepted spelling, or NULL */
} zj_flag_def;

struct zj_cli;

typedef struct zj_command {
  const char *name;
  const char *synopsis;       /* after "zerojit NAME " */
  const char *summary;        /* one line, for the command list */
  const char *description;    /* paragraph(s) for --help and the man page */
  const zj_flag_def *flags;
  int n_flags;
  int max_pos;                /* positional arguments accepted */
  int (*run) (struct zj_cli *cli);
} zj_command;

/* A parsed command line. */
typedef struct zj_cli {
  const zj_command *cmd;
  const char *value[ZJ_CLI_MAX_FLAGS];  /* given value, NULL when absent */
  const char *pos[ZJ_CLI_MAX_POS];
  int n_pos;
} zj_cli;

#define ZJ_CLI_FLAGS(table) (table), (int) (sizeof (table) / sizeof (table)[0])

/* Parses argv (after the command name).  Accepts --name=value,
   -name=value, --name value and -name value; booleans also as --name,
   --noname and --name=true|false.  "--" ends the flags.  Returns 0, 1 when
   help was printed (-h, --help, -help), or 2 after a one-line error on
   stderr (unknown flag, missing value, conflicting flags). */
int zj_cli_parse (const zj_command *cmd, int argc, char **argv, zj_cli *cli);
/* The given value, else the table's default, else NULL. */
const char *zj_cli_get (const zj_cli *cli, const char *name);
bool zj_cli_given (const zj_cli *cli, const char *name);

/* Typed getters: 0 with *out set (untouched when the flag is absent and
   has no default), or -1 after a one-line error naming the flag. */
int zj_cli_int (const zj_cli *cli, const char *name, int64_t lo, int64_t hi,
                int64_t *out);
int zj_cli_num (const zj_cli *cli, const char *name, double *out);
int zj_cli_flag (const zj_cli *cli, const char *name, bool *out);
/* --shortcuts=true|false (default true) as zj_eval_opts.no_shortcuts. */
int zj_cli_no_shortcuts (const zj_cli *cli, bool *no_shortcuts);
int zj_cli_memory (const zj_cli *cli, int *ns, int *nv, int *nm);

/* Value parsers used by the getters (flag names only for messages). */
int zj_cli_int64 (const char *flag, const char *v, int64_t lo, int64_t hi,
                  int64_t *out);
int zj_cli_double (const char *flag, const char *v, double *out);
int zj_cli_bool (const char *flag, const char *v, bool *out);
/* Whole file as a NUL-terminated string (malloc'd), or NULL + err. */
char *zj_cli_read_file (const char *path, zj_error *err);
/* Text of --NAME, or of the file named by --NAME_file; NULL + err. */
char *zj_cli_text (const zj_cli *cli, const char *name, const char *file_flag,
                   const char **source, zj_error *err);

/* Prefixes err (from zj_prepare or zj_program_check on the program read
   from path) with "path:LINE:" of the instruction it names. */
void zj_cli_locate (const char *path, zj_error *err);

/* help.c: the command list, one command's help, the man page. */
void zj_cli_usage (FILE *f);
void zj_cli_help (FILE *f, const zj_command *cmd);
void zj_cli_man (FILE *f);
/* The commands, in the order help lists them. */
extern const zj_command *const zj_commands[];
extern const int zj_n_commands;

/* signals.c: from now on the first SIGINT/SIGTERM requests a stop on
   `stop` (reason: the signal number); a second one exits at once with
   128 + signal.  Call before starting any thread; -1 if it cannot. */
struct zj_stop;
int zj_cli_catch_signals (struct zj_stop *stop);
/* The search writes a last checkpoint on SIGTERM (--checkpoint): say so
   when it comes. */
void zj_cli_sigterm_checkpoints (void);
/* Several MPI ranks: the first signal stops every rank at the next
   exchange between them (doc/islands.md): say so when it comes. */
void zj_cli_signals_ranks (void);

/* Exit status after a write error on stdout: 0 when all output reached
   its destination, else 1 after a one-line error. */
int zj_cli_close_stdout (void);

/* Checkpoint and resume (cli_checkpoint.c). */
struct zj_ckpt;
/* The given flags that shape a search, as "--name=value", with *_file
   flags replaced by their inline form holding the file's text. */
int zj_cli_ckpt_args (const zj_cli *cli, char ***args, int *n, zj_error *err);
void zj_cli_ckpt_args_free (char **args, int n);
/* Load the checkpoint at path and make cli's flags the ones it records;
   flags already given must agree with it, except speed and output ones.
   The values then point into ck's records. */
int zj_cli_resume (zj_cli *cli, const char *path, struct zj_ckpt *ck,
                   zj_error *err);

#if HAVE_JIT
/* --opt=N[,-fNAME...] (bench, show, eval) into o; on bad text a one-line
   error "WHO: --opt=V: reason" on stderr and -1. */
int zj_cli_jit_opt (const char *who, const char *v, zj_jit_opts *o);

/* zerojit eval --jit=MODE (off, baseline, fused, optimized, auto): evaluates p
   on the n tasks with that tier (cmd_jit.c), the optimized tier with the
   options jo (--opt).  0 with fit/res filled and *ran naming the tier that
   ran; 1 when the interpreter should run them instead (err says why unless
   MODE is off); -1 on an error. */
int zj_eval_tiered (const char *mode, const zj_jit_opts *jo,
                    const zj_program *p, zj_task *tasks, int n,
                    const zj_shape *shape, bool prune, const zj_eval_opts *o,
                    zj_rng *rng, double *fit, zj_eval_result *res,
                    const char **ran, zj_error *err);
#endif

extern const zj_command zj_cmd_ops, zj_cmd_eval, zj_cmd_print, zj_cmd_search,
  zj_cmd_data, zj_cmd_plot;
#if HAVE_JIT
extern const zj_command zj_cmd_show, zj_cmd_bench;
#endif
#endif
