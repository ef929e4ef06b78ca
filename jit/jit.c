/* jit.c -- the public JIT API: contexts, compiling, the cached entry
 * lookup, evaluation through native code, dumps.
 *
 * One zj_jit owns its options, instruction-set choice, code cache and
 * counters behind one mutex.  Compiles run outside the mutex (libgccjit
 * serialises them internally anyway), either in this process or in forked
 * worker processes (worker.c), as searches do (jit/tier.c says why).  What
 * a compile is given (ISA, GCC options, runtime table) is in jit_isa.c.
 */
#include "config.h"
#include "jit_internal.h"
#include "fused.h"
#include <pthread.h>
#include <sleef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* --------------------------------------------------------- the context */
struct zj_jit {
  zj_jit_opts opts;
  zj_isa isa;
  void *rt[ZJ_RT_COUNT];
  pthread_mutex_t mu;
  zj_cache cache;
  long compiles, failures;
  double compile_ms;
  zj_workers *workers;
  bool fail_compile;         /* ZEROJIT_FAIL_COMPILE: every compile fails */
};

bool
zj_jit_available (void)
{
  return true;
}

void
zj_jit_opts_default (zj_jit_opts *o)
{
  memset (o, 0, sizeof *o);
  o->opt_level = 1;
  o->cache_max_entries = 4096;
  o->cache_max_bytes = (size_t) 256 << 20;
}

zj_jit *
zj_jit_new (const zj_jit_opts *o, zj_error *err)
{
  zj_jit_opts def;
  if (!o)
    {
      zj_jit_opts_default (&def);
      o = &def;
    }
  if (o->isa && strcmp (o->isa, "auto") && strcmp (o->isa, "avx512")
      && strcmp (o->isa, "avx512z") && strcmp (o->isa, "avx2") && strcmp (o->isa, "avx")
      && strcmp (o->isa, "sse2"))
    {
      zj_error_set (err, "jit/jit.c: unknown isa '%s' (auto, avx512, avx512z, avx2, avx, sse2)", o->isa);
      return NULL;
    }
  if (zj_jit_flags_check (o->flags, err) != 0)
    return NULL;
  zj_jit *j = zj_xcalloc (1, sizeof *j);
  j->opts = *o;
  j->opts.flags = NULL;       /* copied into j->isa.extra below */
  /* Fault injection for tests: the fallback to the interpreter must give
     the same search, with the failures counted.  Read once, here. */
  const char *fail = getenv ("ZEROJIT_FAIL_COMPILE");
  j->fail_compile = fail && *fail && strcmp (fail, "0") != 0;
  zj_isa_choose (&j->isa, o->isa, o->opt_level < 0 ? 1 : o->opt_level);
  if (o->flags)
    snprintf (j->isa.extra, sizeof j->isa.extra, "%s", o->flags);
  j->isa.pairs = o->pairs != 0;
  zj_jit_rt_table (j->rt);
  pthread_mutex_init (&j->mu, NULL);
  zj_cache_init (&j->cache, o->cache_max_entries, o->cache_max_bytes);
  if (o->worker_recycle > 0)
    {
      j->workers = zj_workers_new (o->worker_recycle, NULL, err);
      if (!j->workers)
        {
          zj_jit_free (j);
          return NULL;
        }
      /* Before the caller's threads run (zj_workers_start); a failure
         here is tried again, and counted, at the first compile. */
      zj_error ignored = { "" };
      (void) zj_workers_start (j->workers, &ignored);
    }
  return j;
}

void
zj_jit_free (zj_jit *j)
{
  if (!j)
    return;
  zj_cache_destroy (&j->cache);
  zj_workers_free (j->workers);
  pthread_mutex_destroy (&j->mu);
  free (j);
}

void
zj_jit_worker_pids (const zj_jit *j, pid_t *zygote, pid_t *worker)
{
  zj_workers_pids (j->workers, zygote, worker);
}

/* Key of a prepared program, malloc'd. */
static uint16_t *
make_key (const zj_prepared *pp, zj_eval_type et, size_t *n)
{
  *n = zj_structure_key (&pp->prog, &pp->shape, et, NULL, 0);
  uint16_t *key = zj_xmalloc (*n * sizeof *key);
  zj_structure_key (&pp->prog, &pp->shape, et, key, *n);
  return key;
}


/* Lowers n programs into one context (one as/ld/dlopen for all: the
   fixed cost of a compile is most of it) and fills codes[i]->fn. */
static int
compile_inproc (const zj_isa *isa, int n, const zj_program *const *p,
                const zj_shape *shape, const zj_eval_type *et,
                zj_jit_code **codes, zj_error *err)
{
  gcc_jit_context *ctx = gcc_jit_context_acquire ();
  if (!ctx)
    {
      zj_error_set (err, "jit/jit.c: gcc_jit_context_acquire failed");
      return -1;
    }
  zj_jit_context_setup (ctx, isa);
  int rc = 0;
  char name[32];
  for (int i = 0; i < n && rc == 0; i++)
    {
      snprintf (name, sizeof name, ZJ_NATIVE_NAME "_%d", i);
      rc = zj_lower_program (ctx, isa, p[i], &shape[i], et[i], name, err);
    }
  gcc_jit_result *res = rc == 0 ? gcc_jit_context_compile (ctx) : NULL;
  if (rc == 0 && !res)
    {
      const char *e = gcc_jit_context_get_first_error (ctx);
      zj_error_set (err, "jit/jit.c: compile failed: %s", e ? e : "no code");
      rc = -1;
    }
  gcc_jit_context_release (ctx);
  if (rc != 0)
    return -1;
  zj_jit_lib *lib = zj_xcalloc (1, sizeof *lib);
  lib->result = res;
  lib->refs = n;
  for (int i = 0; i < n; i++)
    {
      snprintf (name, sizeof name, ZJ_NATIVE_NAME "_%d", i);
      codes[i]->lib = lib;
      codes[i]->fn = (zj_native_fn) gcc_jit_result_get_code (res, name);
      snprintf (name, sizeof name, ZJ_NATIVE_NAME "_%d" ZJ_PAIR_SUFFIX, i);
      codes[i]->fn2 = isa->pairs && zj_lower_pair_ok (p[i])
                      ? (zj_native_pair_fn) gcc_jit_result_get_code (res, name) : NULL;
    }
  return 0;
}

static zj_jit_code *
new_code (uint64_t hash, uint16_t *key, size_t nkey, const zj_shape *shape)
{
  zj_jit_code *code = zj_xcalloc (1, sizeof *code);
  code->hash = hash;
  code->key = key;
  code->nkey = nkey;
  code->refs = 1;
  /* Rough code-size estimate: instructions x chunks touched. */
  code->bytes = 4096 + nkey * 32 * (size_t) shape->F;
  return code;
}

static int
injected_failure (zj_error *err)
{
  zj_error_set (err, "jit/jit.c: compile failed: ZEROJIT_FAIL_COMPILE is set");
  return -1;
}

static void
count_compile (zj_jit *j, int rc, int n, double ms)
{
  pthread_mutex_lock (&j->mu);
  j->compile_ms += ms;
  if (rc == 0)
    j->compiles += n;
  else
    j->failures += n;
  pthread_mutex_unlock (&j->mu);
}

/* Compiles (no lock held); returns a new entry with one reference. */
static zj_jit_code *
compile_code (zj_jit *j, const zj_program *p, const zj_shape *shape,
              zj_eval_type et, uint64_t hash, uint16_t *key, size_t nkey,
              zj_error *err)
{
  zj_jit_code *code = new_code (hash, key, nkey, shape);
  double t0 = zj_now_ms ();
  int rc = j->fail_compile ? injected_failure (err)
    : j->workers ? zj_workers_compile (j->workers, &j->isa, 1, &p, &code, err)
    : compile_inproc (&j->isa, 1, &p, shape, &et, &code, err);
  count_compile (j, rc, 1, zj_now_ms () - t0);
  if (rc != 0)
    {
      code->key = NULL;
      zj_code_unref (code);
      return NULL;
    }
  return code;
}

/* Fused step kernels (fused.h) share the compile workers; their compiles
   are not the optimized tier's and are not counted with them. */
int
zj_jit_compile_fused (zj_jit *j, int n, const zj_program *const *p,
                      const zj_fused_geom *g, zj_fused_slot **slots,
                      zj_error *err)
{
  if (j->fail_compile)
    return injected_failure (err);
  if (j->workers)
    return zj_workers_compile_fused (j->workers, n, p, g, slots, err);
  for (int i = 0; i < n; i++)
    {
      if (zj_fused_compile (p[i], &g[i], &slots[i]->code, err) != 0)
        return -1;
      slots[i]->predict = slots[i]->code.predict;
      slots[i]->learn = slots[i]->code.learn;
    }
  return 0;
}

int
zj_jit_get_batch (zj_jit *j, int n, const zj_prepared *const *pps,
                  const zj_eval_type *ets, zj_jit_entry **out, zj_error *err)
{
  zj_jit_code *miss[n];
  const zj_program *mp[n];
  zj_shape ms[n];
  zj_eval_type me[n];
  int nm = 0;
  pthread_mutex_lock (&j->mu);
  for (int i = 0; i < n; i++)
    {
      size_t nkey;
      uint16_t *key = make_key (pps[i], ets[i], &nkey);
      uint64_t hash = zj_structure_hash_key (key, nkey);
      out[i] = zj_cache_find (&j->cache, hash, key, nkey);
      for (int m = 0; !out[i] && m < nm; m++)
        if (miss[m]->hash == hash && miss[m]->nkey == nkey
            && !memcmp (miss[m]->key, key, nkey * sizeof *key))
          out[i] = miss[m];             /* a duplicate in this batch */
      if (out[i])
        {
          free (key);
          if (out[i]->refs > 0 && out[i]->fn == NULL)
            out[i]->refs++;
          continue;
        }
      miss[nm] = out[i] = new_code (hash, key, nkey, &pps[i]->shape);
      out[i]->refs = 2;                 /* the cache's and the caller's */
      mp[nm] = &pps[i]->prog;
      ms[nm] = pps[i]->shape;
      me[nm] = ets[i];
      nm++;
    }
  pthread_mutex_unlock (&j->mu);
  int rc = 0;
  if (nm > 0)
    {
      double t0 = zj_now_ms ();
      rc = j->fail_compile ? injected_failure (err)
        : j->workers ? zj_workers_compile (j->workers, &j->isa, nm, mp, miss, err)
        : compile_inproc (&j->isa, nm, mp, ms, me, miss, err);
      count_compile (j, rc, nm, zj_now_ms () - t0);
    }
  pthread_mutex_lock (&j->mu);
  for (int m = 0; m < nm; m++)
    {
      if (rc == 0)
        {
          zj_cache_insert (&j->cache, miss[m]);   /* the cache's reference */
          continue;
        }
      for (int i = 0; i < n; i++)
        if (out[i] == miss[m])
          out[i] = NULL;
      /* Drop every reference (the cache's, the caller's and those of
         duplicates in this batch); the last unref frees the entry, so
         count first rather than reading refs after it. */
      for (int r = miss[m]->refs; r > 0; r--)
        zj_code_unref (miss[m]);
    }
  pthread_mutex_unlock (&j->mu);
  if (rc != 0)
    for (int i = 0; i < n; i++)
      if (out[i])
        {
          zj_jit_release (j, out[i]);
          out[i] = NULL;
        }
  return rc;
}

zj_jit_entry *
zj_jit_get (zj_jit *j, const zj_prepared *pp, zj_eval_type et, zj_error *err)
{
  size_t nkey;
  uint16_t *key = make_key (pp, et, &nkey);
  uint64_t hash = zj_structure_hash_key (key, nkey);
  pthread_mutex_lock (&j->mu);
  zj_jit_code *c = zj_cache_find (&j->cache, hash, key, nkey);
  pthread_mutex_unlock (&j->mu);
  if (c)
    {
      free (key);
      return c;
    }
  c = compile_code (j, &pp->prog, &pp->shape, et, hash, key, nkey, err);
  if (!c)
    {
      free (key);
      return NULL;
    }
  pthread_mutex_lock (&j->mu);
  /* Another thread may have compiled the same structure meanwhile. */
  zj_jit_code *other = zj_cache_find (&j->cache, hash, key, nkey);
  if (other)
    {
      j->cache.hits--;
      zj_code_unref (c);
      c = other;
    }
  else
    {
      j->cache.misses--;     /* the first lookup counted this miss */
      c->refs++;             /* the caller's reference */
      zj_cache_insert (&j->cache, c);
    }
  pthread_mutex_unlock (&j->mu);
  return c;
}

void
zj_jit_release (zj_jit *j, zj_jit_entry *e)
{
  if (!e)
    return;
  pthread_mutex_lock (&j->mu);
  zj_code_unref (e);
  pthread_mutex_unlock (&j->mu);
}

/* ------------------------------------------------------------- lookup */
zj_jit_entry *
zj_jit_lookup_key (zj_jit *j, uint64_t hash, const uint16_t *key, size_t nkey)
{
  pthread_mutex_lock (&j->mu);
  zj_jit_code *c = zj_cache_find (&j->cache, hash, key, nkey);
  if (!c)
    j->cache.misses--;       /* not yet compiled is not a lookup miss */
  pthread_mutex_unlock (&j->mu);
  return c;
}

zj_jit_entry *
zj_jit_lookup (zj_jit *j, const zj_prepared *pp, zj_eval_type et)
{
  size_t nkey;
  uint16_t *key = make_key (pp, et, &nkey);
  zj_jit_entry *c = zj_jit_lookup_key (j, zj_structure_hash_key (key, nkey),
                                       key, nkey);
  free (key);
  return c;
}

void
zj_jit_get_stats (zj_jit *j, zj_jit_stats *s)
{
  pthread_mutex_lock (&j->mu);
  s->compiles = j->compiles;
  s->failures = j->failures;
  s->compile_ms = j->compile_ms;
  s->hits = j->cache.hits;
  s->misses = j->cache.misses;
  s->evictions = j->cache.evictions;
  s->entries = j->cache.count;
  s->bytes = j->cache.bytes;
  pthread_mutex_unlock (&j->mu);
}

/* ---------------------------------------------------------- evaluation */
int
zj_jit_const_count (const zj_program *p)
{
  return zj_const_count (p);
}

void
zj_jit_const_fill (const zj_program *p, int F, double *k)
{
  zj_const_fill (p, F, k);
}

static bool
entry_matches (const zj_jit_code *e, const zj_prepared *pp, zj_eval_type et)
{
  uint16_t buf[1024];
  size_t n = zj_structure_key (&pp->prog, &pp->shape, et, buf, 1024);
  if (n != e->nkey)
    return false;
  if (n <= 1024)
    return memcmp (buf, e->key, n * sizeof *buf) == 0;
  uint16_t *key = zj_xmalloc (n * sizeof *key);
  zj_structure_key (&pp->prog, &pp->shape, et, key, n);
  bool same = memcmp (key, e->key, n * sizeof *key) == 0;
  free (key);
  return same;
}

double
zj_jit_eval_task (const zj_jit_entry *e, const zj_prepared *pp, const zj_task *t,
                  const zj_eval_opts *o, zj_rng *rng, zj_workspace *ws,
                  zj_eval_result *res)
{
  if (!e || !entry_matches (e, pp, t->eval_type))
    return zj_interp_eval_task (pp, t, o, rng, ws, res);
  return zj_jit_run_task (e, pp, t, o, rng, ws, res);
}

/* The native function's arguments for task t (memory cleared). */
static void
fill_args (zj_jit_args *a, const zj_task *t, const zj_eval_opts *o, const double *k,
           void *const *rt, zj_rng *rng, zj_workspace *ws, zj_eval_result *res)
{
  memset (ws->mem, 0, ws->lay.total * sizeof (double));
  memset (a, 0, sizeof *a);
  a->train_x = t->train_x; a->train_y = t->train_y;
  a->valid_x = t->valid_x; a->valid_y = t->valid_y;
  a->order = t->order; a->k = k; a->mem = ws->mem; a->rng = rng; a->rt = rt;
  a->train_err = res->train_err; a->valid_err = res->valid_err;
  a->per_epoch = t->n_train;
  a->n_train = (long) t->n_train * t->epochs;
  if (o->n_all_train >= 0 && o->n_all_train < a->n_train)
    a->n_train = o->n_all_train;
  a->max_abs_error = o->max_abs_error;
  a->n_valid = (o->n_valid >= 0 && o->n_valid < t->n_valid) ? o->n_valid : t->n_valid;
  a->n_valid_total = t->n_valid;
  a->record_errors = o->record_errors;
  a->save_step = a->n_train;
}

static void
set_result (zj_eval_result *res, const zj_jit_args *a, double f)
{
  res->train_steps = a->train_steps;
  res->aborted = a->aborted != 0;
  res->n_train_err = a->n_train_err;
  res->n_valid_err = a->n_valid_err;
  res->fitness = f;
}

int
zj_jit_eval_pair (const zj_jit_entry *e, const zj_prepared *pp, const zj_task *ta,
                  const zj_task *tb, const zj_eval_opts *o, zj_rng *rng,
                  zj_workspace *wsa, zj_workspace *wsb, zj_eval_result *ra,
                  zj_eval_result *rb, double f[2])
{
  zj_eval_result la = { 0 }, lb = { 0 };
  if (!ra)
    ra = &la;
  if (!rb)
    rb = &lb;
  zj_eval_opts def;
  if (!o)
    {
      zj_eval_opts_default (&def);
      o = &def;
    }
  const bool pair = e && e->fn2 && ta->eval_type == tb->eval_type
                    && entry_matches (e, pp, ta->eval_type)
                    && ta->n_train == tb->n_train && ta->epochs == tb->epochs
                    && ta->n_valid == tb->n_valid;
  if (pair)
    {
      const int nk = zj_const_count (&pp->prog);
      double kstack[256], *k = nk <= 256 ? kstack : zj_xmalloc ((size_t) nk * sizeof *k);
      zj_const_fill (&pp->prog, pp->shape.F, k);
      void *rt[ZJ_RT_COUNT];
      zj_jit_rt_table (rt);
      zj_jit_args a, b;
      fill_args (&a, ta, o, k, rt, rng, wsa, ra);
      fill_args (&b, tb, o, k, rt, rng, wsb, rb);
      const zj_rng rng0 = *rng;
      e->fn2 (&a, &b);
      if (k != kstack)
        free (k);
      if (!a.aborted)
        {
          set_result (ra, &a, f[0] = a.fitness);
          set_result (rb, &b, f[1] = b.fitness);
          return 1;
        }
      /* A training abort in either task: one after the other instead. */
      *rng = rng0;
    }
  f[0] = zj_jit_eval_task (e, pp, ta, o, rng, wsa, ra);
  f[1] = zj_jit_eval_task (e, pp, tb, o, rng, wsb, rb);
  return 0;
}

double
zj_jit_run_task (const zj_jit_entry *e, const zj_prepared *pp,
                 const zj_task *t, const zj_eval_opts *o, zj_rng *rng,
                 zj_workspace *ws, zj_eval_result *res)
{
  zj_eval_result local = { 0 };
  if (!res)
    res = &local;
  zj_eval_opts def;
  if (!o)
    {
      zj_eval_opts_default (&def);
      o = &def;
    }
  const int nk = zj_const_count (&pp->prog);
  double kstack[256], *k = nk <= 256 ? kstack : zj_xmalloc ((size_t) nk * sizeof *k);
  zj_const_fill (&pp->prog, pp->shape.F, k);
  void *rt[ZJ_RT_COUNT];
  zj_jit_rt_table (rt);
  zj_jit_args a;
  fill_args (&a, t, o, k, rt, rng, ws, res);
  const zj_rng rng0 = *rng;
  double f = e->fn (&a);
  /* Step-local values reach memory only in step save_step (lower.c); after
     an abort at step N they are those of step N - 1, so run again, from the
     same start, saving them there.  Aborts come early in a run or not at all. */
  if (a.aborted && a.train_steps > 1 && zj_lower_step_locals (&pp->prog, &pp->shape))
    {
      *rng = rng0;
      memset (ws->mem, 0, ws->lay.total * sizeof (double));
      a.save_step = a.train_steps - 1;
      f = e->fn (&a);
    }
  if (k != kstack)
    free (k);
  set_result (res, &a, f);
  return f;
}

/* ---------------------------------------------------------- inspection */
static int
copy_file (const char *path, FILE *out)
{
  FILE *in = fopen (path, "r");
  if (!in)
    return -1;
  char buf[8192];
  size_t n;
  while ((n = fread (buf, 1, sizeof buf, in)) > 0)
    fwrite (buf, 1, n, out);
  fclose (in);
  return 0;
}

int
zj_jit_dump (const zj_prepared *pp, zj_eval_type et, const char *emit,
             const zj_jit_opts *o, FILE *out, zj_error *err)
{
  const bool as_c = emit && !strcmp (emit, "c");
  if (!as_c && !(emit && !strcmp (emit, "asm")))
    {
      zj_error_set (err, "jit/jit.c: emit must be \"c\" or \"asm\", not '%s'",
                    emit ? emit : "(null)");
      return -1;
    }
  zj_isa isa;
  if (zj_jit_flags_check (o ? o->flags : NULL, err) != 0)
    return -1;
  zj_isa_choose (&isa, o ? o->isa : NULL, o && o->opt_level >= 0 ? o->opt_level : 1);
  if (o && o->flags)
    snprintf (isa.extra, sizeof isa.extra, "%s", o->flags);
  isa.pairs = o && o->pairs;
  char dir[] = "/tmp/zerojit-dump-XXXXXX", path[64];
  if (!mkdtemp (dir))
    {
      zj_error_set (err, "jit/jit.c: cannot create a temporary directory");
      return -1;
    }
  snprintf (path, sizeof path, "%s/out.%s", dir, as_c ? "c" : "s");
  gcc_jit_context *ctx = gcc_jit_context_acquire ();
  zj_jit_context_setup (ctx, &isa);
  int rc = zj_lower_program (ctx, &isa, &pp->prog, &pp->shape, et, ZJ_NATIVE_NAME, err);
  if (rc == 0)
    {
      if (as_c)
        gcc_jit_context_dump_to_file (ctx, path, 0);
      else
        gcc_jit_context_compile_to_file (ctx, GCC_JIT_OUTPUT_KIND_ASSEMBLER, path);
      const char *e = gcc_jit_context_get_first_error (ctx);
      if (e || copy_file (path, out) != 0)
        {
          zj_error_set (err, "jit/jit.c: dump failed: %s", e ? e : "no output");
          rc = -1;
        }
    }
  gcc_jit_context_release (ctx);
  unlink (path);
  rmdir (dir);
  return rc;
}
