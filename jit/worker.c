/* worker.c -- compiling in forked worker processes, for bounded memory.
 *
 * libgccjit keeps GCC's garbage-collected heap and leaks ~9 kB per compile
 * in the process that compiles.  A long search therefore compiles in a
 * child process forked from this one: the parent sends the structure key
 * over a pipe, the child lowers and writes a shared object, the parent
 * dlopens it.  The child is replaced every `recycle` compiles, which
 * returns all its memory.  The code holds no host address (see lower.c),
 * so a shared object built in the child is valid in the parent.
 *
 * Workers are forked by a zygote: a small process forked once, when the
 * tier is made (before the search's threads run and before it loads
 * its data), that stays single-threaded and only forks workers on
 * request.  Forking the multithreaded search process instead can leave
 * the child blocked on an allocator lock another thread held at the
 * fork (GCC 12's AddressSanitizer, doc/testing.md), and it copies the
 * search's page tables.  The zygote passes each new worker's pipe ends
 * back over a socket (SCM_RIGHTS) and stays the worker's parent: it
 * ignores SIGCHLD, so the kernel reaps its workers, and we wait for a
 * worker's end by reading its pipe to EOF.  When no zygote can be had
 * the workers are forked directly, as they were before it.
 */
#define _GNU_SOURCE           /* pipe2, SCM_RIGHTS */
#include "config.h"
#include "jit_internal.h"
#include "fused.h"
#include <dlfcn.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct zj_workers {
  int recycle, used;
  pid_t pid;                  /* the worker; 0 when there is none */
  bool zygote_child;          /* pid is the zygote's child, not ours */
  int to_child, from_child;
  pid_t zygote;               /* 0: none (direct forks) */
  int zygote_fd;              /* our end of the zygote's socket, or -1 */
  bool zygote_tried;          /* started once at most: never again from
                                 the search's threads */
  long fork_ns;               /* the last worker's fork () call (bench) */
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

/* Writes the shared object of a request whose lowering worked (rp->rc
   0), and releases the context. */
static void
finish_compile (gcc_jit_context *ctx, const wreq *rq, wrep *rp, const char *what)
{
  if (rp->rc == 0)
    {
      gcc_jit_context_compile_to_file (ctx, GCC_JIT_OUTPUT_KIND_DYNAMIC_LIBRARY,
                                       rq->path);
      const char *e = gcc_jit_context_get_first_error (ctx);
      if (e)
        {
          rp->rc = -1;
          snprintf (rp->msg, sizeof rp->msg, "jit/worker.c: %scompile failed: %s",
                    what, e);
        }
    }
  gcc_jit_context_release (ctx);
}

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
  finish_compile (ctx, rq, rp, "");
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
  finish_compile (ctx, rq, rp, "fused ");
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

/* A worker's life after the fork: p[0] its request pipe, p[1] its reply
   pipe's write end. */
static void
worker_main (const int p[2])
{
  /* Ctrl-C reaches the whole process group: the parent stops at the
     next evaluation and closes our pipe, which ends us between compiles;
     dying mid-compile would leave /tmp/libgccjit-*.  GCC's driver waits
     for as and ld: SIGCHLD gets its default back (the zygote ignores
     it; the driver resets it too, but our own code must not depend on
     that). */
  signal (SIGINT, SIG_IGN);
  signal (SIGTERM, SIG_IGN);
  signal (SIGCHLD, SIG_DFL);
  child_main (p[0], p[1]);
  _exit (0);
}

/* Closes every descriptor above stderr but keep[0..n), sorted.  A
   forked worker or zygote holding a copy of another worker's pipe end
   would keep that worker from ever seeing its EOF, and our wait for its
   end would never return. */
static void
close_other_fds (const int *keep, int n)
{
  unsigned lo = 3;
  for (int i = 0; i <= n; i++)
    {
      const unsigned hi = i < n ? (unsigned) keep[i] : ~0u;
      if (hi > lo && close_range (lo, hi - 1, 0) != 0)
        for (unsigned fd = lo; fd < hi && fd < 65536; fd++)
          close ((int) fd);
      if (i < n && (unsigned) keep[i] + 1 > lo)
        lo = (unsigned) keep[i] + 1;
    }
}

/* Two pipes, close-on-exec (as and ld, run by GCC's driver in a worker,
   must not hold them: a pipe's EOF tells a worker's end), as the
   request pipe a and the reply pipe b. */
static int
make_pipes (int a[2], int b[2])
{
  if (pipe2 (a, O_CLOEXEC) != 0)
    return -1;
  if (pipe2 (b, O_CLOEXEC) != 0)
    {
      close (a[0]); close (a[1]);
      return -1;
    }
  return 0;
}

static long
now_ns (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return (long) t.tv_sec * 1000000000L + t.tv_nsec;
}

/* Forks a worker from this process: its pid, and our ends of its pipes
   in ends (request write end, reply read end); -1 on failure.  *ns: how
   long the fork () call took. */
static pid_t
fork_worker (int ends[2], long *ns)
{
  int a[2], b[2];
  if (make_pipes (a, b) != 0)
    return -1;
  const long t0 = now_ns ();
  pid_t pid = fork ();
  *ns = now_ns () - t0;
  if (pid == 0)
    {
      const int keep[2] = { a[0] < b[1] ? a[0] : b[1], a[0] < b[1] ? b[1] : a[0] };
      close_other_fds (keep, 2);
      worker_main ((const int[2]) { a[0], b[1] });
    }
  close (a[0]);
  close (b[1]);
  if (pid < 0)
    {
      const int e = errno;
      close (a[1]);
      close (b[0]);
      errno = e;
      return -1;
    }
  ends[0] = a[1];
  ends[1] = b[0];
  return pid;
}

/* The zygote's reply to a request (one byte): the worker's pid, or -1
   and errno; with a pid, our two pipe ends as SCM_RIGHTS. */
typedef struct {
  pid_t pid;
  int err;
  long fork_ns;
} zreply;

static void
zygote_main (int sock, pid_t parent)
{
  /* Dies with the thread that made the tier (PR_SET_PDEATHSIG), and at
     the EOF of its socket when the parent process ends in any way.
     Ctrl-C and SIGTERM to the process group are the parent's to act on,
     as for workers. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != parent)
    _exit (0);
  signal (SIGINT, SIG_IGN);
  signal (SIGTERM, SIG_IGN);
  signal (SIGCHLD, SIG_IGN);    /* the kernel reaps our workers */
  for (;;)
    {
      char c;
      ssize_t r = read (sock, &c, 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r != 1)
        _exit (0);
      int ends[2];
      zreply rp = { -1, 0, 0 };
      rp.pid = fork_worker (ends, &rp.fork_ns);
      rp.err = rp.pid < 0 ? errno : 0;
      struct iovec iov = { &rp, sizeof rp };
      union {
        struct cmsghdr h;
        char buf[CMSG_SPACE (sizeof ends)];
      } cm;
      memset (&cm, 0, sizeof cm);
      struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
      if (rp.pid > 0)
        {
          m.msg_control = cm.buf;
          m.msg_controllen = sizeof cm.buf;
          struct cmsghdr *h = CMSG_FIRSTHDR (&m);
          h->cmsg_level = SOL_SOCKET;
          h->cmsg_type = SCM_RIGHTS;
          h->cmsg_len = CMSG_LEN (sizeof ends);
          memcpy (CMSG_DATA (h), ends, sizeof ends);
        }
      const ssize_t s = sendmsg (sock, &m, MSG_NOSIGNAL);
      if (rp.pid > 0)
        {
          close (ends[0]);
          close (ends[1]);
        }
      if (s != (ssize_t) sizeof rp)
        _exit (0);
    }
}

/* Starts the zygote; on failure there is none and workers are forked
   directly. */
static void
start_zygote (zj_workers *w)
{
  /* ZEROJIT_WORKER_ZYGOTE=0 forks workers directly (for bench/ and tests). */
  const char *env = getenv ("ZEROJIT_WORKER_ZYGOTE");
  if (env && strcmp (env, "0") == 0)
    return;
  int sv[2];
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    return;
  const pid_t parent = getpid ();
  const pid_t pid = fork ();
  if (pid == 0)
    {
      close_other_fds (&sv[1], 1);
      zygote_main (sv[1], parent);
    }
  close (sv[1]);
  if (pid < 0)
    {
      close (sv[0]);
      return;
    }
  w->zygote = pid;
  w->zygote_fd = sv[0];
}

static void
stop_zygote (zj_workers *w)
{
  if (w->zygote <= 0)
    return;
  close (w->zygote_fd);
  waitpid (w->zygote, NULL, 0);
  w->zygote = 0;
  w->zygote_fd = -1;
}

/* A new worker from the zygote: its pid, or -1 with err set (a dead
   zygote is reaped, and later workers are forked directly). */
static pid_t
zygote_fork (zj_workers *w, int ends[2], zj_error *err)
{
  zreply rp = { -1, 0, 0 };
  union {
    struct cmsghdr h;
    char buf[CMSG_SPACE (2 * sizeof (int))];
  } cm;
  struct iovec iov = { &rp, sizeof rp };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
                      .msg_control = cm.buf, .msg_controllen = sizeof cm.buf };
  ssize_t r;
  if (send (w->zygote_fd, "w", 1, MSG_NOSIGNAL) != 1)
    r = -1;
  else
    while ((r = recvmsg (w->zygote_fd, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
      ;
  if (r != (ssize_t) sizeof rp)
    {
      stop_zygote (w);
      zj_error_set (err, "jit/worker.c: the compile worker zygote died");
      return -1;
    }
  const struct cmsghdr *h = CMSG_FIRSTHDR (&m);
  if (rp.pid <= 0 || !h || h->cmsg_type != SCM_RIGHTS
      || h->cmsg_len != CMSG_LEN (2 * sizeof (int)))
    {
      zj_error_set (err, "jit/worker.c: cannot start a compile worker: %s",
                    strerror (rp.err ? rp.err : EPROTO));
      return -1;
    }
  memcpy (ends, CMSG_DATA (h), 2 * sizeof (int));
  w->fork_ns = rp.fork_ns;
  return rp.pid;
}

static void
stop_child (zj_workers *w)
{
  if (w->pid <= 0)
    return;
  close (w->to_child);
  if (w->zygote_child)
    {
      /* Not our child: its reply pipe's EOF is its end (the zygote
         reaps it). */
      char buf[64];
      ssize_t r;
      while ((r = read (w->from_child, buf, sizeof buf)) > 0
             || (r < 0 && errno == EINTR))
        ;
    }
  close (w->from_child);
  if (!w->zygote_child)
    waitpid (w->pid, NULL, 0);
  w->pid = 0;
}

static int
start_child (zj_workers *w, zj_error *err)
{
  int ends[2];
  const bool zygote = w->zygote > 0;
  pid_t pid = zygote ? zygote_fork (w, ends, err)
                     : fork_worker (ends, &w->fork_ns);
  if (pid < 0)
    {
      if (!zygote)
        zj_error_set (err, "jit/worker.c: cannot start a compile worker: %s",
                      strerror (errno));
      return -1;
    }
  w->pid = pid;
  w->zygote_child = zygote;
  w->to_child = ends[0];
  w->from_child = ends[1];
  w->used = 0;
  return 0;
}

/* Forking while another thread holds a lock the child then needs leaves
   the child blocked for good: glibc resets its malloc locks in a child,
   but GCC 12's AddressSanitizer allocator does not (doc/testing.md).  So
   the zygote is started here, from the thread that makes the tier,
   before the search's threads run, and forks every worker; without a
   zygote the first worker is forked here and later ones (recycled every
   `recycle` contexts, or after a worker died) by the compile thread. */
int
zj_workers_start (zj_workers *w, zj_error *err)
{
  if (w->zygote <= 0 && !w->zygote_tried)
    {
      w->zygote_tried = true;
      start_zygote (w);
    }
  return w->pid > 0 ? 0 : start_child (w, err);
}

zj_workers *
zj_workers_new (int recycle, const char *dir, zj_error *err)
{
  zj_workers *w = zj_xcalloc (1, sizeof *w);
  w->recycle = recycle;
  w->zygote_fd = -1;
  return w;
}

void
zj_workers_free (zj_workers *w)
{
  if (!w)
    return;
  stop_child (w);
  stop_zygote (w);
  if (w->dir[0])
    rmdir (w->dir);
  free (w);
}

void
zj_workers_pids (const zj_workers *w, pid_t *zygote, pid_t *worker)
{
  *zygote = w ? w->zygote : 0;
  *worker = w ? w->pid : 0;
}

/* Replaces the worker by a new one now (bench/bench_worker_fork.c);
   secs[0]: how long getting the new one took, secs[1]: its fork () call
   alone (in the zygote or here). */
int
zj_workers_respawn (zj_workers *w, double secs[2], zj_error *err)
{
  stop_child (w);
  const long t0 = now_ns ();
  const int rc = start_child (w, err);
  secs[0] = 1e-9 * (double) (now_ns () - t0);
  secs[1] = 1e-9 * (double) w->fork_ns;
  return rc;
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
