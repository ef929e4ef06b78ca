/* worker.c -- compiling in forked worker processes, for bounded memory.
 *
 * libgccjit keeps GCC's garbage-collected heap and leaks ~9 kB per compile
 * in the process that compiles.  A long search therefore compiles in a
 * child process forked from this one: the parent sends the structure key
 * over a pipe, the child lowers and writes a shared object, the parent
 * dlopens it.  The child is replaced every `recycle` compiles, which
 * returns all its memory.  The code holds no host address (see lower.c),
 * so a shared object built in the child is valid in the parent.
 */
#include "config.h"
#include "jit_internal.h"
#include "fused.h"
#include <dlfcn.h>
#include <pthread.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct zj_workers {
  int recycle, used;
  pid_t pid;
  int to_child, from_child;
  char dir[64];
  long seq;
};

/* Inverse of zj_structure_key (src/core/identity.c): the program's structure. */
static int
key_to_program (const uint16_t *key, size_t n, zj_program *p, zj_shape *shape,
                zj_eval_type *et)
{
  if (n < 9)
    return -1;
  shape->F = key[1]; shape->ns = key[2]; shape->nv = key[3]; shape->nm = key[4];
  *et = (zj_eval_type) key[5];
  int c = -1;
  for (size_t i = 6; i < n;)
    {
      if (key[i] == 0xffff)
        {
          c++;
          i++;
          continue;
        }
      if (c < 0 || c >= ZJ_NUM_COMPONENTS || i + 4 > n || key[i] >= ZJ_NUM_OPS)
        return -1;
      zj_instr in;
      memset (&in, 0, sizeof in);
      in.op = key[i]; in.in1 = key[i + 1]; in.in2 = key[i + 2]; in.out = key[i + 3];
      zj_fn_push (&p->fn[c], in);
      i += 4;
    }
  return 0;
}

typedef struct {
  zj_isa isa;       /* flags point into the parent's memory as it was at
                       the fork: zj_jit_new copied them before */
  int n;            /* programs, each sent as its key's length and key */
  bool fused;       /* fused step kernels instead: each program sent as
                       its geometry, then Predict's and Learn's length
                       and instructions */
  char path[128];
} wreq;

typedef struct {
  int rc;
  char msg[sizeof ((zj_error *) 0)->msg];
} wrep;

/* Lowers the n programs of one request into one context, as
   compile_inproc does (ZJ_NATIVE_NAME "_i"), and writes the shared
   object; the reply says whether it worked. */
static void
child_compile (int in, const wreq *rq, wrep *rp)
{
  gcc_jit_context *ctx = gcc_jit_context_acquire ();
  zj_jit_context_setup (ctx, &rq->isa);
  zj_error err = { "" };
  rp->rc = 0;
  for (int i = 0; i < rq->n; i++)
    {
      size_t nkey;
      if (zj_read_all (in, &nkey, sizeof nkey) != 0 || nkey > ((size_t) 1 << 24))
        _exit (0);
      uint16_t *key = zj_xmalloc (nkey * sizeof *key);
      if (zj_read_all (in, key, nkey * sizeof *key) != 0)
        _exit (0);
      zj_program p;
      zj_shape shape;
      zj_eval_type et;
      zj_program_init (&p);
      char name[32];
      snprintf (name, sizeof name, ZJ_NATIVE_NAME "_%d", i);
      if (rp->rc == 0 && key_to_program (key, nkey, &p, &shape, &et) != 0)
        {
          rp->rc = -1;
          snprintf (rp->msg, sizeof rp->msg, "jit/worker.c: bad structure key");
        }
      else if (rp->rc == 0
               && zj_lower_program (ctx, &rq->isa, &p, &shape, et, name, &err) != 0)
        {
          rp->rc = -1;
          snprintf (rp->msg, sizeof rp->msg, "%s", err.msg);
        }
      zj_program_free (&p);
      free (key);
    }
  if (rp->rc == 0)
    {
      gcc_jit_context_compile_to_file (ctx, GCC_JIT_OUTPUT_KIND_DYNAMIC_LIBRARY,
                                       rq->path);
      const char *e = gcc_jit_context_get_first_error (ctx);
      if (e)
        {
          rp->rc = -1;
          snprintf (rp->msg, sizeof rp->msg, "jit/worker.c: compile failed: %s", e);
        }
    }
  gcc_jit_context_release (ctx);
}

/* The fused kernels of one request (fused.h), as child_compile does. */
static void
child_compile_fused (int in, const wreq *rq, wrep *rp)
{
  gcc_jit_context *ctx = gcc_jit_context_acquire ();
  zj_error err = { "" };
  rp->rc = 0;
  for (int i = 0; i < rq->n; i++)
    {
      zj_fused_geom g;
      zj_program p;
      zj_program_init (&p);
      if (zj_read_all (in, &g, sizeof g) != 0)
        _exit (0);
      if (i == 0)
        zj_fused_setup_ctx (ctx, g.W);
      for (int c = ZJ_PREDICT; c <= ZJ_LEARN; c++)
        {
          int n;
          if (zj_read_all (in, &n, sizeof n) != 0 || n < 0 || n > (1 << 16))
            _exit (0);
          for (int k = 0; k < n; k++)
            {
              zj_instr ins;
              if (zj_read_all (in, &ins, sizeof ins) != 0)
                _exit (0);
              zj_fn_push (&p.fn[c], ins);
            }
        }
      char pn[32], ln[32];
      snprintf (pn, sizeof pn, ZJ_FUSED_NAME "p_%d", i);
      snprintf (ln, sizeof ln, ZJ_FUSED_NAME "l_%d", i);
      if (rp->rc == 0 && zj_fused_build (ctx, &p, &g, pn, ln, &err) != 0)
        {
          rp->rc = -1;
          snprintf (rp->msg, sizeof rp->msg, "%s", err.msg);
        }
      zj_program_free (&p);
    }
  if (rp->rc == 0)
    {
      gcc_jit_context_compile_to_file (ctx, GCC_JIT_OUTPUT_KIND_DYNAMIC_LIBRARY,
                                       rq->path);
      const char *e = gcc_jit_context_get_first_error (ctx);
      if (e)
        {
          rp->rc = -1;
          snprintf (rp->msg, sizeof rp->msg, "jit/worker.c: fused compile failed: %s", e);
        }
    }
  gcc_jit_context_release (ctx);
}

static void
child_main (int in, int out)
{
  for (;;)
    {
      wreq rq;
      if (zj_read_all (in, &rq, sizeof rq) != 0 || rq.n < 1)
        _exit (0);
      wrep rp;
      memset (&rp, 0, sizeof rp);
      if (rq.fused)
        child_compile_fused (in, &rq, &rp);
      else
        child_compile (in, &rq, &rp);
      if (zj_write_all (out, &rp, sizeof rp) != 0)
        _exit (0);
    }
}

static void
stop_child (zj_workers *w)
{
  if (w->pid <= 0)
    return;
  close (w->to_child);
  close (w->from_child);
  waitpid (w->pid, NULL, 0);
  w->pid = 0;
}

static int
start_child (zj_workers *w, zj_error *err)
{
  int a[2], b[2];
  if (pipe (a) != 0)
    goto fail;
  if (pipe (b) != 0)
    {
      close (a[0]); close (a[1]);
      goto fail;
    }
  pid_t pid = fork ();
  if (pid < 0)
    {
      close (a[0]); close (a[1]); close (b[0]); close (b[1]);
      goto fail;
    }
  if (pid == 0)
    {
      /* Ctrl-C reaches the whole process group: the parent stops at the
         next evaluation and closes our pipe, which ends us between
         compiles; dying mid-compile would leave /tmp/libgccjit-*. */
      signal (SIGINT, SIG_IGN);
      signal (SIGTERM, SIG_IGN);
      close (a[1]);
      close (b[0]);
      child_main (a[0], b[1]);
      _exit (0);
    }
  close (a[0]);
  close (b[1]);
  w->pid = pid;
  w->to_child = a[1];
  w->from_child = b[0];
  w->used = 0;
  return 0;
fail:
  zj_error_set (err, "jit/worker.c: cannot start a compile worker: %s", strerror (errno));
  return -1;
}

/* Forking while another thread holds a lock the child then needs leaves
   the child blocked for good: glibc resets its malloc locks in a child,
   but GCC 12's AddressSanitizer allocator does not (doc/testing.md).  So
   the first worker is started here, from the thread that makes the
   tier, before the search's threads run; later ones (recycled every
   `recycle` contexts, or after a worker died) are forked by the compile
   thread. */
int
zj_workers_start (zj_workers *w, zj_error *err)
{
  return w->pid > 0 ? 0 : start_child (w, err);
}

zj_workers *
zj_workers_new (int recycle, const char *dir, zj_error *err)
{
  zj_workers *w = zj_xcalloc (1, sizeof *w);
  w->recycle = recycle;
  return w;
}

void
zj_workers_free (zj_workers *w)
{
  if (!w)
    return;
  stop_child (w);
  if (w->dir[0])
    rmdir (w->dir);
  free (w);
}

/* The request's directory, worker and path; -1 when none can be had. */
static int
request_begin (zj_workers *w, wreq *rq, zj_error *err)
{
  /* The directory for the shared objects, made at the first compile:
     searches that never compile (most, under the default --jit=auto)
     leave nothing behind, not even when killed.  $TMPDIR as libgccjit's
     own temporary directories use it. */
  if (!w->dir[0])
    {
      const char *tmp = getenv ("TMPDIR");
      snprintf (w->dir, sizeof w->dir, "%s/zerojit-XXXXXX",
                tmp && *tmp && strlen (tmp) < sizeof w->dir - 16 ? tmp : "/tmp");
      if (!mkdtemp (w->dir))
        {
          zj_error_set (err, "jit/worker.c: cannot create %s: %s", w->dir,
                        strerror (errno));
          w->dir[0] = 0;
          return -1;
        }
    }
  if (w->pid > 0 && w->used >= w->recycle)
    stop_child (w);
  if (w->pid <= 0 && start_child (w, err) != 0)
    return -1;
  snprintf (rq->path, sizeof rq->path, "%s/c%ld.so", w->dir, w->seq++);
  return 0;
}

/* Sends rq then what send(ctx) writes, and waits for the reply: 0 when
   the shared object at rq->path is ready. */
static int
request_run (zj_workers *w, const wreq *rq,
             bool (*send) (int fd, const void *ctx), const void *ctx,
             zj_error *err)
{
  /* A dead worker must fail the write with EPIPE, not kill the search;
     but SIGPIPE keeps its default for the process (`zerojit search |
     head` must stop at once): blocked in this thread around the writes,
     and any it raised taken before the mask is restored. */
  sigset_t pipe_set, old_mask;
  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  pthread_sigmask (SIG_BLOCK, &pipe_set, &old_mask);
  bool sent = zj_write_all (w->to_child, rq, sizeof *rq) == 0
              && send (w->to_child, ctx);
  if (!sent)
    {
      const struct timespec now = { 0, 0 };
      while (sigtimedwait (&pipe_set, NULL, &now) == SIGPIPE)
        ;
    }
  pthread_sigmask (SIG_SETMASK, &old_mask, NULL);
  wrep rp;
  if (!sent || zj_read_all (w->from_child, &rp, sizeof rp) != 0)
    {
      stop_child (w);
      unlink (rq->path);
      zj_error_set (err, "jit/worker.c: compile worker died");
      return -1;
    }
  w->used++;
  if (rp.rc != 0)
    {
      unlink (rq->path);
      zj_error_set (err, "%s", rp.msg);
      return -1;
    }
  return 0;
}

typedef struct {
  int n;
  zj_jit_code **codes;
} keys_msg;

static bool
send_keys (int fd, const void *ctx)
{
  const keys_msg *m = ctx;
  bool sent = true;
  for (int i = 0; i < m->n && sent; i++)
    sent = zj_write_all (fd, &m->codes[i]->nkey, sizeof m->codes[i]->nkey) == 0
           && zj_write_all (fd, m->codes[i]->key,
                            m->codes[i]->nkey * sizeof *m->codes[i]->key) == 0;
  return sent;
}

int
zj_workers_compile (zj_workers *w, const zj_isa *isa, int n,
                    const zj_program *const *p, zj_jit_code **codes,
                    zj_error *err)
{
  wreq rq;
  memset (&rq, 0, sizeof rq);
  rq.isa = *isa;
  rq.n = n;
  const keys_msg m = { n, codes };
  if (request_begin (w, &rq, err) != 0
      || request_run (w, &rq, send_keys, &m, err) != 0)
    return -1;
  /* One handle per entry (dlopen counts them), so each entry's
     zj_code_unref closes its own; the file can go once all are open. */
  int rc = 0;
  for (int i = 0; i < n && rc == 0; i++)
    {
      char name[48];
      codes[i]->dl = dlopen (rq.path, RTLD_NOW | RTLD_LOCAL);
      if (!codes[i]->dl)
        {
          zj_error_set (err, "jit/worker.c: dlopen: %s", dlerror ());
          rc = -1;
          break;
        }
      snprintf (name, sizeof name, ZJ_NATIVE_NAME "_%d", i);
      codes[i]->fn = (zj_native_fn) dlsym (codes[i]->dl, name);
      if (!codes[i]->fn)
        {
          zj_error_set (err, "jit/worker.c: %s not found in the shared object", name);
          rc = -1;
          break;
        }
      snprintf (name, sizeof name, ZJ_NATIVE_NAME "_%d" ZJ_PAIR_SUFFIX, i);
      codes[i]->fn2 = isa->pairs && zj_lower_pair_ok (p[i])
                      ? (zj_native_pair_fn) dlsym (codes[i]->dl, name) : NULL;
    }
  unlink (rq.path);     /* the mappings stay valid */
  return rc;
}

typedef struct {
  int n;
  const zj_program *const *p;
  const zj_fused_geom *g;
} fused_msg;

/* Each program's geometry, then its non-no-op Predict and Learn. */
static bool
send_fused (int fd, const void *ctx)
{
  const fused_msg *m = ctx;
  bool sent = true;
  for (int i = 0; i < m->n && sent; i++)
    {
      sent = zj_write_all (fd, &m->g[i], sizeof m->g[i]) == 0;
      for (int c = ZJ_PREDICT; c <= ZJ_LEARN && sent; c++)
        {
          const zj_fn *f = &m->p[i]->fn[c];
          int n = 0;
          for (int k = 0; k < f->n; k++)
            n += f->ins[k].op != ZJ_NO_OP;
          sent = zj_write_all (fd, &n, sizeof n) == 0;
          for (int k = 0; k < f->n && sent; k++)
            if (f->ins[k].op != ZJ_NO_OP)
              sent = zj_write_all (fd, &f->ins[k], sizeof f->ins[k]) == 0;
        }
    }
  return sent;
}

int
zj_workers_compile_fused (zj_workers *w, int n, const zj_program *const *p,
                          const zj_fused_geom *g, zj_fused_slot **slots,
                          zj_error *err)
{
  wreq rq;
  memset (&rq, 0, sizeof rq);
  rq.n = n;
  rq.fused = true;
  const fused_msg m = { n, p, g };
  if (request_begin (w, &rq, err) != 0
      || request_run (w, &rq, send_fused, &m, err) != 0)
    return -1;
  int rc = 0;
  for (int i = 0; i < n && rc == 0; i++)
    {
      char pn[32], ln[32];
      snprintf (pn, sizeof pn, ZJ_FUSED_NAME "p_%d", i);
      snprintf (ln, sizeof ln, ZJ_FUSED_NAME "l_%d", i);
      slots[i]->dl = dlopen (rq.path, RTLD_NOW | RTLD_LOCAL);
      if (!slots[i]->dl)
        {
          zj_error_set (err, "jit/worker.c: dlopen: %s", dlerror ());
          rc = -1;
          break;
        }
      slots[i]->predict = (zj_lnative_fn) dlsym (slots[i]->dl, pn);
      slots[i]->learn = (zj_lnative_fn) dlsym (slots[i]->dl, ln);
      if (!slots[i]->predict || !slots[i]->learn)
        {
          zj_error_set (err, "jit/worker.c: %s not found in the shared object", pn);
          rc = -1;
        }
    }
  unlink (rq.path);
  return rc;
}
