/* cli.h -- flag parsing shared by the zerojit subcommands. */
#ifndef ZJ_CLI_H
#define ZJ_CLI_H
#include <zerojit/zerojit.h>

typedef struct zj_flag {
  const char *name;
  const char *value;     /* NULL when not given */
  bool is_bool;          /* may be given without a value */
} zj_flag;

/* Parse --name=value / --name value; one-line error on stderr, -1. */
int zj_cli_parse (int argc, char **argv, zj_flag *flags, int n_flags,
                  const char *cmd);
const char *zj_cli_get (const zj_flag *flags, int n_flags, const char *name);
int zj_cli_int64 (const char *flag, const char *v, int64_t lo, int64_t hi,
                  int64_t *out);
int zj_cli_double (const char *flag, const char *v, double *out);
int zj_cli_bool (const char *flag, const char *v, bool *out);
int zj_cli_memory (const char *v, int *ns, int *nv, int *nm);
/* Whole file as a NUL-terminated string (malloc'd), or NULL + err. */
char *zj_cli_read_file (const char *path, zj_error *err);

/* JIT subcommands (built with the JIT tier). */
int zj_cmd_show (int argc, char **argv);
int zj_cmd_bench (int argc, char **argv);
/* zerojit eval --jit=MODE (off, baseline, optimized, auto): evaluates p
   on the n tasks with that tier.  0 with fit/res filled and *ran naming
   the tier that ran; 1 when the interpreter should run them instead (err
   says why unless MODE is off); -1 on an error. */
int zj_eval_tiered (const char *mode, const zj_program *p, zj_task *tasks,
                    int n, const zj_shape *shape, bool prune,
                    const zj_eval_opts *o, zj_rng *rng, double *fit,
                    zj_eval_result *res, const char **ran, zj_error *err);
/* Real data sets (cmd_data.c). */
int zj_cmd_data (int argc, char **argv);

/* Checkpoint and resume (cli_checkpoint.c). */
struct zj_ckpt;
/* The given flags that shape a search, as "--name=value", with *_file
   flags replaced by their inline form holding the file's text. */
int zj_cli_ckpt_args (const zj_flag *flags, int nf, char ***args, int *n,
                      zj_error *err);
void zj_cli_ckpt_args_free (char **args, int n);
/* Load the checkpoint at path and set flags to the ones it records; flags
   already given must agree with it, except speed and output ones. */
int zj_cli_resume (zj_flag *flags, int nf, const char *path,
                   struct zj_ckpt *ck, zj_error *err);
/* Install a SIGTERM handler; the flag it sets. */
#include <signal.h>
const volatile sig_atomic_t *zj_cli_catch_sigterm (void);
#endif
