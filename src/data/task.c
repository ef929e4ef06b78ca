/* task.c -- generated tasks: seeds, assembly of a collection, freeing.
 *
 * A collection's specs are expanded in order into num_tasks tasks each;
 * a task's position in that flat list is its index (the FEC key).  The
 * data of each task type come from task_gen.c.
 */
#include "internal.h"
#include "task_gen.h"
#include <zerojit/spec.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Default seeds of the original (doc/semantics.md, "Tasks"). */
static const uint32_t default_param_seeds[] = {
  1001, 1012, 1010, 1000, 1006, 1008, 1007, 1003
};
static const uint32_t default_data_seeds[] = {
  11001, 11012, 11010, 11000, 11006, 11008, 11007, 11003
};
#define N_DEFAULT_SEEDS 8

void
zj_task_free (zj_task *t)
{
  if (!t)
    return;
  free (t->train_x);
  free (t->train_y);
  free (t->valid_x);
  free (t->valid_y);
  free (t->order);
  t->train_x = t->train_y = t->valid_x = t->valid_y = NULL;
  t->order = NULL;
}

void
zj_tasks_free (zj_task *tasks, int n)
{
  if (!tasks)
    return;
  for (int i = 0; i < n; i++)
    zj_task_free (&tasks[i]);
  free (tasks);
}

uint32_t
zj_task_seed (const uint32_t *list, int n, bool data, int i)
{
  if (n == 0)
    {
      list = data ? default_data_seeds : default_param_seeds;
      n = N_DEFAULT_SEEDS;
    }
  if (i < n)
    return list[i];
  return list[n - 1] + (uint32_t) (i - n + 1);   /* wraps mod 2^32 */
}

/* zj_aligned_alloc without the abort: NULL when memory runs out. */
static void *
try_alloc (size_t n)
{
  size_t sz = (n + 63) & ~(size_t) 63;
  if (sz < n)
    return NULL;
  void *p = aligned_alloc (64, sz ? sz : 64);
  if (p)
    memset (p, 0, sz ? sz : 64);
  return p;
}

static int
task_make (const zj_task_spec *s, int i, zj_task *t, zj_error *err)
{
  memset (t, 0, sizeof *t);
  t->F = s->features_size;
  t->epochs = s->num_train_epochs;
  t->eval_type = s->eval_type;
  t->data_seed = zj_task_seed (s->data_seeds, s->n_data_seeds, true, i);
  t->param_seed = zj_task_seed (s->param_seeds, s->n_param_seeds, false, i);
  if (s->type == ZJ_TASK_UNIT_TEST_FIXED)
    {
      t->n_train = s->fixed_n_train;
      t->n_valid = s->fixed_n_valid;
    }
  else
    {
      t->n_train = s->num_train_examples;
      t->n_valid = s->num_valid_examples;
    }
  if (!zj_features_size_ok (t->F) || t->n_train <= 0 || t->n_valid <= 0
      || t->epochs <= 0)
    {
      zj_error_set (err, "invalid task spec (features_size %d, %d train, "
                    "%d valid examples, %d epochs)", t->F, t->n_train,
                    t->n_valid, t->epochs);
      return -1;
    }
  const size_t F = (size_t) t->F;
  /* Sizes come from the spec: a failed allocation is the user's error
     (named by field), not a crash. */
  size_t order_n;
  if (__builtin_mul_overflow ((size_t) t->n_train, (size_t) t->epochs, &order_n)
      || !(t->train_x = try_alloc (sizeof (double) * (size_t) t->n_train * F))
      || !(t->train_y = try_alloc (sizeof (double) * (size_t) t->n_train))
      || !(t->order = try_alloc (sizeof (int) * order_n)))
    {
      zj_error_set (err, "num_train_examples %d (x features_size %d, "
                    "num_train_epochs %d): cannot allocate the training "
                    "examples; reduce them", t->n_train, t->F, t->epochs);
      return -1;
    }
  if (!(t->valid_x = try_alloc (sizeof (double) * (size_t) t->n_valid * F))
      || !(t->valid_y = try_alloc (sizeof (double) * (size_t) t->n_valid)))
    {
      zj_error_set (err, "num_valid_examples %d (x features_size %d): cannot "
                    "allocate the validation examples; reduce it",
                    t->n_valid, t->F);
      return -1;
    }
  if (zj_task_fill (s, t, err) != 0)
    return -1;
  zj_task_epoch_orders (t);
  return 0;
}

/* Tasks of a collection being made by several threads: each takes the
   next index; the lowest failing one is remembered, with its error. */
typedef struct gen_job {
  const zj_task_collection *c;
  zj_task *out;
  int *spec_of, *nth_of;       /* task k is task nth_of[k] of spec spec_of[k] */
  int total;
  pthread_mutex_t lock;
  int next;                    /* next task to make */
  int failed;                  /* lowest failing task, total if none */
  zj_error err;                /* its error */
} gen_job;

static void *
gen_worker (void *arg)
{
  gen_job *j = arg;
  for (;;)
    {
      pthread_mutex_lock (&j->lock);
      const int k = j->next++;
      /* Tasks past a failure are not needed; those before it are, to
         find the first failure as a single thread would. */
      const bool stop = k >= j->total || k > j->failed;
      pthread_mutex_unlock (&j->lock);
      if (stop)
        return NULL;
      zj_error e;
      if (task_make (&j->c->specs[j->spec_of[k]], j->nth_of[k], &j->out[k], &e) != 0)
        {
          pthread_mutex_lock (&j->lock);
          if (k < j->failed)
            {
              j->failed = k;
              j->err = e;
            }
          pthread_mutex_unlock (&j->lock);
        }
      j->out[k].index = k;
    }
}

int
zj_tasks_generate_threads (const zj_task_collection *c, int threads,
                           zj_task **tasks, int *n, zj_error *err)
{
  int total = 0;
  for (int s = 0; s < c->n; s++)
    total += c->specs[s].num_tasks;
  zj_task *out = calloc ((size_t) (total ? total : 1), sizeof *out);
  int *spec_of = malloc ((size_t) (total ? total : 1) * sizeof (int));
  int *nth_of = malloc ((size_t) (total ? total : 1) * sizeof (int));
  if (!out || !spec_of || !nth_of)
    {
      zj_error_set (err, "num_tasks: cannot allocate %d tasks", total);
      free (out);
      free (spec_of);
      free (nth_of);
      *tasks = NULL;
      *n = 0;
      return -1;
    }
  for (int s = 0, k = 0; s < c->n; s++)
    for (int i = 0; i < c->specs[s].num_tasks; i++, k++)
      {
        spec_of[k] = s;
        nth_of[k] = i;
      }
  gen_job j = { .c = c, .out = out, .spec_of = spec_of, .nth_of = nth_of,
                .total = total, .failed = total };
  pthread_mutex_init (&j.lock, NULL);
  if (threads > total)
    threads = total;
  if (threads > 64)
    threads = 64;
  pthread_t tid[64];
  int started = 0;
  for (int t = 1; t < threads; t++)
    {
      if (pthread_create (&tid[started], NULL, gen_worker, &j) != 0)
        break;   /* fewer threads: the same tasks, later */
      started++;
    }
  gen_worker (&j);
  for (int t = 0; t < started; t++)
    pthread_join (tid[t], NULL);
  pthread_mutex_destroy (&j.lock);
  int rc = 0;
  if (j.failed < total)
    {
      if (err)
        zj_error_set (err, "tasks[%d] (task %d of that spec): %s",
                      spec_of[j.failed], nth_of[j.failed], j.err.msg);
      zj_tasks_free (out, total);
      out = NULL;
      total = 0;
      rc = -1;
    }
  free (spec_of);
  free (nth_of);
  *tasks = out;
  *n = total;
  return rc;
}

int
zj_tasks_generate (const zj_task_collection *c, zj_task **tasks, int *n,
                   zj_error *err)
{
  return zj_tasks_generate_threads (c, 1, tasks, n, err);
}

uint32_t
zj_hash_mix_list (const uint64_t *values, int n)
{
  uint64_t h = 42;
  for (int i = 0; i < n; i++)
    h = zj_hash_mix (h, values[i]);
  return (uint32_t) h;
}

static void
redraw (zj_rng *r, uint32_t **seeds, int *n, int count)
{
  free (*seeds);
  *seeds = zj_xmalloc (sizeof **seeds * (size_t) (count ? count : 1));
  for (int i = 0; i < count; i++)
    (*seeds)[i] = zj_rng_seed32 (r);
  *n = count;
}

void
zj_task_collection_randomize_seeds (zj_task_collection *c, uint32_t base_seed)
{
  const uint64_t pv[2] = { ZJ_SEED_SALT_PARAM, base_seed };
  const uint64_t dv[2] = { ZJ_SEED_SALT_DATA, base_seed };
  zj_rng pr, dr;
  zj_rng_seed (&pr, zj_hash_mix_list (pv, 2));
  zj_rng_seed (&dr, zj_hash_mix_list (dv, 2));
  /* Both generators run on across the specs of the collection. */
  for (int s = 0; s < c->n; s++)
    {
      zj_task_spec *t = &c->specs[s];
      redraw (&pr, &t->param_seeds, &t->n_param_seeds, t->num_tasks);
      redraw (&dr, &t->data_seeds, &t->n_data_seeds, t->num_tasks);
    }
}
