/* stencil_lib.c -- building the stencil library and caching it on disk.
 *
 * One libgccjit context holds every stencil of one (F, C): about 150
 * functions compiled at -O2 (require_tail_call crashes GCC 12 at -O0/-O1)
 * with -fno-pic -mno-vzeroupper, so holes are 32-bit fields in addressing
 * modes and the tail is a droppable jmp rel32.  The object is written once
 * to the cache directory (atomically: a temporary file renamed) and read
 * by later runs; a failed build leaves NAME.failed there so a broken
 * toolchain costs one attempt, not one per run.  ZEROJIT_FAIL_COMPILE=1
 * makes every build fail (tests of the fallback) without a sentinel.
 */
#include "config.h"
#include "jit_internal.h"
#include "stencil.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Bump when the stencils' IR or calling convention changes. */
#define ZJ_STENCIL_VERSION 6
/* The same for the per-task stencils (stencil_ptask.c). */
#define ZJ_PTASK_VERSION 3

void
zj_stencil_cache_dir (char *buf, size_t n)
{
  /* 'off' turns off the data cache only: the stencil libraries have to
     be files to be loaded, and a per-run build would cost every search a
     second or so, so they then go to the default place (not ./off). */
  const char *d = getenv ("ZEROJIT_CACHE_DIR");
  if (d && *d && strcmp (d, "off") != 0)
    snprintf (buf, n, "%s", d);
  else if ((d = getenv ("XDG_CACHE_HOME")) && *d)
    snprintf (buf, n, "%s/zerojit", d);
  else
    snprintf (buf, n, "%s/.cache/zerojit", getenv ("HOME") ? getenv ("HOME") : "/tmp");
}

void
zj_stencil_lib_path (char *buf, size_t n, int F, int W, int C)
{
  char dir[900];
  zj_stencil_cache_dir (dir, sizeof dir);
  if (C == ZJ_PTASK_C)
    snprintf (buf, n, "%s/ptask-v%d-F%d-%s.o", dir, ZJ_PTASK_VERSION, F,
              W == 8 ? "avx512" : "avx2");
  else
    snprintf (buf, n, "%s/stencils-v%d-F%d-C%d-%s.o", dir, ZJ_STENCIL_VERSION,
              F, C, W == 8 ? "avx512" : "avx2");
}

static void
mkdirs (const char *dir)
{
  char p[1024];
  snprintf (p, sizeof p, "%s", dir);
  for (char *s = p + 1; *s; s++)
    if (*s == '/')
      {
        *s = 0;
        mkdir (p, 0755);
        *s = '/';
      }
  mkdir (p, 0755);
}

static void
setup_ctx (gcc_jit_context *ctx, int W)
{
  gcc_jit_context_add_command_line_option (ctx, "-fno-pic");
  gcc_jit_context_add_command_line_option (ctx, "-mno-vzeroupper");
  zj_lane_context_setup (ctx, W, 3);
}

static int
build_object (int F, int W, int C, const char *path, zj_error *err)
{
  char tmp[1200];
  snprintf (tmp, sizeof tmp, "%s.tmp.%ld", path, (long) getpid ());
  gcc_jit_context *ctx = gcc_jit_context_acquire ();
  if (!ctx)
    {
      zj_error_set (err, "jit/stencil_lib.c: cannot create a libgccjit context");
      return -1;
    }
  setup_ctx (ctx, W);
  zj_stencil_build_ir (ctx, F, W, C, false);
  gcc_jit_context_compile_to_file (ctx, GCC_JIT_OUTPUT_KIND_OBJECT_FILE, tmp);
  const char *e = gcc_jit_context_get_first_error (ctx);
  int rc = 0;
  if (e)
    {
      zj_error_set (err, "jit/stencil_lib.c: stencil build F=%d W=%d C=%d failed: %s",
                    F, W, C, e);
      rc = -1;
    }
  gcc_jit_context_release (ctx);
  if (rc == 0 && rename (tmp, path) != 0)
    {
      zj_error_set (err, "%s: cannot store stencils: %s", path, strerror (errno));
      rc = -1;
    }
  unlink (tmp);
  return rc;
}

/* A failed build leaves NAME.failed (with the reason) in the cache. */
static void
job_fail (const zj_stencil_job *job, const zj_error *err)
{
  char path[1000], failed[1100];
  zj_stencil_lib_path (path, sizeof path, job->F, job->W, job->C);
  snprintf (failed, sizeof failed, "%s.failed", path);
  FILE *f = fopen (failed, "w");
  if (f)
    {
      fprintf (f, "%s\n", err && err->msg[0] ? err->msg : "stencil build failed");
      fclose (f);
    }
}

/* build_object in a forked child: GCC's embedded driver sets SIGINT and
   SIGTERM to SIG_IGN and then to its own handler on every compile, which
   in this process would throw away a signal the search's signal thread
   had not taken yet (src/cli/signals.c).  The child ignores both (the
   driver then leaves them ignored): a Ctrl-C reaching the process group
   must not kill it half way, which would leave /tmp/libgccjit-* behind;
   whoever started it waits for it (zj_stencil_job_poll, blocking), as
   for the compile workers (jit/worker.c).  The child's error comes back
   through a pipe, written before it exits, and is the only report: its
   stderr goes to /dev/null. */
static int
job_fork (zj_stencil_job *job, const char *path, zj_error *err)
{
  int fd[2];
  if (pipe (fd) != 0)
    {
      zj_error_set (err, "jit/stencil_lib.c: pipe: %s", strerror (errno));
      return -1;
    }
  const pid_t pid = fork ();
  if (pid < 0)
    {
      close (fd[0]);
      close (fd[1]);
      zj_error_set (err, "jit/stencil_lib.c: fork: %s", strerror (errno));
      return -1;
    }
  if (pid == 0)
    {
      signal (SIGINT, SIG_IGN);
      signal (SIGTERM, SIG_IGN);
      /* libgccjit prints its errors too: the one report is the parent's. */
      const int null = open ("/dev/null", O_WRONLY);
      if (null >= 0)
        dup2 (null, STDERR_FILENO);
      close (fd[0]);
      zj_error e = { "" };
      const int rc = build_object (job->F, job->W, job->C, path, &e);
      if (rc != 0)
        zj_write_all (fd[1], e.msg, strlen (e.msg) + 1);
      _exit (rc == 0 ? 0 : 1);
    }
  close (fd[1]);
  fcntl (fd[0], F_SETFD, FD_CLOEXEC);
  job->pid = pid;
  job->fd = fd[0];
  return 0;
}

/* The reasons a library cannot be had at all, before any build: a forced
   failure, the CPU, a sentinel of an earlier failed build. */
static int
precheck (int F, int W, int C, zj_error *err)
{
  const char *force = getenv ("ZEROJIT_FAIL_COMPILE");
  if (force && !strcmp (force, "1"))
    {
      zj_error_set (err, "stencil build failed: forced by ZEROJIT_FAIL_COMPILE=1");
      return -1;
    }
  __builtin_cpu_init ();
  if (!__builtin_cpu_supports ("avx2")
      || (W == 8 && !__builtin_cpu_supports ("avx512f")))
    {
      zj_error_set (err, "baseline tier: the CPU lacks %s", W == 8 ? "AVX-512" : "AVX2");
      return -1;
    }
  char path[1000], failed[1100];
  zj_stencil_lib_path (path, sizeof path, F, W, C);
  snprintf (failed, sizeof failed, "%s.failed", path);
  if (access (failed, F_OK) == 0)
    {
      zj_error_set (err, "%s: an earlier stencil build failed (remove it to retry)", failed);
      return -1;
    }
  return 0;
}

int
zj_stencil_job_start (zj_stencil_job *job, int F, int W, int C, zj_error *err)
{
  memset (job, 0, sizeof *job);
  job->F = F;
  job->W = W;
  job->C = C;
  job->fd = -1;
  job->pid = -1;
  if (precheck (F, W, C, err) != 0)
    return -1;
  char dir[900], path[1000];
  zj_stencil_cache_dir (dir, sizeof dir);
  zj_stencil_lib_path (path, sizeof path, F, W, C);
  job->pid = 0;
  if (access (path, R_OK) == 0)
    return 0;
  mkdirs (dir);
  if (job_fork (job, path, err) != 0)
    {
      job->pid = -1;
      job_fail (job, err);
      return -1;
    }
  job->t0 = zj_now_ns ();
  return 1;
}

int
zj_stencil_job_poll (zj_stencil_job *job, bool wait, zj_error *err)
{
  if (job->pid <= 0)
    return job->pid == 0 ? 0 : -1;
  int status = 0;
  pid_t w;
  while ((w = waitpid (job->pid, &status, wait ? 0 : WNOHANG)) < 0 && errno == EINTR)
    ;
  if (w == 0)
    return 1;
  job->secs = (zj_now_ns () - job->t0) * 1e-9;
  /* The child has exited: its message, if any, is all in the pipe. */
  zj_error e = { "" };
  size_t got = 0;
  ssize_t k;
  while (got < sizeof e.msg - 1
         && ((k = read (job->fd, e.msg + got, sizeof e.msg - 1 - got)) > 0
             || (k < 0 && errno == EINTR)))
    got += k > 0 ? (size_t) k : 0;
  close (job->fd);
  job->fd = -1;
  if (w > 0 && WIFEXITED (status) && WEXITSTATUS (status) == 0)
    {
      job->pid = 0;
      return 0;
    }
  if (e.msg[0])
    zj_error_set (err, "%s", e.msg);
  else if (w < 0)
    zj_error_set (err, "jit/stencil_lib.c: stencil build F=%d W=%d C=%d: the "
                  "build process was lost: %s", job->F, job->W, job->C,
                  strerror (errno));
  else
    zj_error_set (err, "jit/stencil_lib.c: stencil build F=%d W=%d C=%d: the "
                  "build process died (status %d)", job->F, job->W, job->C,
                  status);
  job->pid = -1;
  job_fail (job, err);
  return -1;
}

int
zj_stencil_lib_load (zj_stencil_lib *lib, int F, int W, int C, zj_error *err)
{
  memset (lib, 0, sizeof *lib);
  lib->F = F;
  lib->W = W;
  lib->C = C;
  zj_stencil_job job;
  const int st = zj_stencil_job_start (&job, F, W, C, err);
  if (st < 0 || (st > 0 && zj_stencil_job_poll (&job, true, err) != 0))
    return -1;
  char path[1000];
  zj_stencil_lib_path (path, sizeof path, F, W, C);
  size_t len = 0;
  uint8_t *img = (uint8_t *) zj_read_file (path, &len, err);
  if (!img)
    return -1;
  lib->image = img;
  if (zj_execmem_init (&lib->mem, ZJ_EXECMEM_SIZE) != 0)
    {
      zj_error_set (err, "baseline tier: cannot map executable memory");
      zj_stencil_lib_free (lib);
      return -1;
    }
  if (zj_stencil_elf_parse (lib, img, len, err) != 0)
    {
      zj_stencil_lib_free (lib);
      return -1;
    }
  zj_stencil_perf_open (lib);
  return 0;
}

int
zj_stencil_lib_threaded (zj_stencil_lib *lib, zj_error *err)
{
  gcc_jit_context *ctx = gcc_jit_context_acquire ();
  setup_ctx (ctx, lib->W);
  zj_stencil_build_ir (ctx, lib->F, lib->W, lib->C, true);
  gcc_jit_result *r = gcc_jit_context_compile (ctx);
  if (!r)
    {
      zj_error_set (err, "threaded stencils: %s", gcc_jit_context_get_first_error (ctx));
      gcc_jit_context_release (ctx);
      return -1;
    }
  gcc_jit_context_release (ctx);
  for (int op = 1; op < ZJ_NUM_OPS; op++)
    for (int v = 0; v < ZJ_SV_COUNT; v++)
      if (!zj_op_is_random (op) && zj_stencil_variant_ok (op, v)
          && !(v & ZJ_SV_MT))
        {
          char name[48];
          zj_stencil_name (name, sizeof name, op, v);
          lib->th[op][v] = (zj_threaded_fn) gcc_jit_result_get_code (r, name);
        }
  lib->th_result = r;
  return 0;
}

void
zj_stencil_lib_free (zj_stencil_lib *lib)
{
  for (int op = 0; op < ZJ_NUM_OPS; op++)
    for (int v = 0; v < ZJ_SV_COUNT; v++)
      free (lib->st[op][v].rel);
  if (lib->th_result)
    gcc_jit_result_release (lib->th_result);
  zj_stencil_perf_close (lib);
  zj_execmem_destroy (&lib->mem);
  free (lib->image);
  memset (lib, 0, sizeof *lib);
}
