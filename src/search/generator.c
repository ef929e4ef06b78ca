/* generator.c -- the initial algorithms a search can start from
 * (doc/semantics.md, "Hand-coded algorithms").
 *
 * The hand-coded algorithms are written below in the program text form and
 * parsed, so the source shows exactly the listing a user sees when the
 * algorithm is printed, and the original listing can be compared by eye.
 */
#include "internal.h"
#include <assert.h>
#include <zerojit/search.h>

const char *const zj_algorithm_names[ZJ_ALG_COUNT] = {
  "NO_OP_ALGORITHM", "RANDOM_ALGORITHM", "LINEAR_ALGORITHM",
  "NEURAL_NET_ALGORITHM", "INTEGRATION_TEST_DAMAGED_NEURAL_NET_ALGORITHM",
};

/* Linear regression by gradient descent, learning rate 0.01: s2 is the
   rate, v1 the weights. */
static const char linear_text[] =
  "def Setup():\n"
  "  s2 = 0.01\n"
  "def Predict():\n"
  "  s1 = dot(v1, v0)\n"
  "def Learn():\n"
  "  s3 = s0 - s1\n"
  "  s3 = s2 * s3\n"
  "  v2 = s3 * v0\n"
  "  v1 = v1 + v2\n";

/* Two-layer ReLU network trained by backpropagation: m0/v1 first layer
   weights/bias, v2/s2 output weights/bias, s3 the learning rate, v5 the
   zero vector that makes `maximum` a ReLU. */
static const char neural_net_text[] =
  "def Setup():\n"
  "  v2 = gaussian(0, 0.1, n_features)\n"
  "  m0 = gaussian(0, 0.1, (n_features, n_features))\n"
  "  s3 = 0.01\n"
  "def Predict():\n"
  "  v3 = dot(m0, v0)\n"
  "  v3 = v3 + v1\n"
  "  v4 = maximum(v3, v5)\n"
  "  s1 = dot(v4, v2)\n"
  "  s1 = s1 + s2\n"
  "def Learn():\n"
  "  s4 = s0 - s1\n"
  "  s4 = s3 * s4\n"
  "  s2 = s2 + s4\n"
  "  v6 = s4 * v4\n"
  "  v2 = v2 + v6\n"
  "  v7 = s4 * v2\n"
  "  v8 = heaviside(v3, 1.0)\n"
  "  v7 = v8 * v7\n"
  "  v1 = v1 + v7\n"
  "  m1 = outer(v7, v0)\n"
  "  m0 = m0 + m1\n";

static const char *
kind_word (zj_kind k)
{
  return k == ZJ_KIND_S ? "scalar" : k == ZJ_KIND_V ? "vector" : "matrix";
}

int
zj_search_space_check (const zj_search_space *sp, zj_error *err)
{
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    for (int i = 0; i < sp->n_ops[c]; i++)
      {
        int op = sp->ops[c][i];
        if (op < 0 || op >= ZJ_NUM_OPS)
          {
            zj_error_set (err, "%s ops: unknown op id %d",
                          zj_component_names[c], op);
            return -1;
          }
        const zj_op_info *o = &zj_ops[op];
        /* A random output skips s0/v0, so it needs a second address. */
        const struct { zj_kind k; int need; } use[3] = {
          { o->in1, 1 }, { o->in2, 1 },
          { o->out, o->out == ZJ_KIND_M ? 1 : 2 } };
        for (int u = 0; u < 3; u++)
          if (use[u].k != ZJ_KIND_N
              && zj_kind_count (&sp->shape, use[u].k) < use[u].need)
            {
              zj_error_set (err, "%s ops: %s needs at least %d %s address%s but memory has %d",
                            zj_component_names[c], o->name, use[u].need,
                            kind_word (use[u].k), use[u].need > 1 ? "es" : "",
                            zj_kind_count (&sp->shape, use[u].k));
              return -1;
            }
      }
  return 0;
}

/* The hand-coded text names fixed addresses; refuse shapes that lack them
   rather than produce a program that writes outside memory. */
static int
check_fits (const zj_program *p, const zj_shape *shape, const char *name,
            zj_error *err)
{
  int need[4] = { 0, 0, 0, 0 };
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    for (int i = 0; i < p->fn[c].n; i++)
      {
        const zj_instr *in = &p->fn[c].ins[i];
        const zj_op_info *o = &zj_ops[in->op];
        const struct { zj_kind k; int a; } use[3] = {
          { o->in1, in->in1 }, { o->in2, in->in2 }, { o->out, in->out } };
        for (int u = 0; u < 3; u++)
          if (use[u].k != ZJ_KIND_N && use[u].a + 1 > need[use[u].k])
            need[use[u].k] = use[u].a + 1;
      }
  if (need[ZJ_KIND_S] <= shape->ns && need[ZJ_KIND_V] <= shape->nv
      && need[ZJ_KIND_M] <= shape->nm)
    return 0;
  zj_error_set (err, "%s needs at least %d scalar, %d vector and %d matrix addresses (memory has %d/%d/%d)",
                name, need[ZJ_KIND_S], need[ZJ_KIND_V], need[ZJ_KIND_M],
                shape->ns, shape->nv, shape->nm);
  return -1;
}

static void
parse_builtin (const char *text, zj_program *p)
{
  zj_error err;
  int rc = zj_program_parse (text, "<built-in>", p, &err);
  /* The texts above are fixed; a failure is a bug in this file. */
  assert (rc == 0);
  (void) rc;
}

static int
randomize (const zj_search_space *sp, zj_rng *rng, zj_program *p,
           zj_error *err)
{
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    if (sp->n_ops[c] == 0 && sp->size_init[c] > 0)
      {
        zj_error_set (err, "%s: %s has size_init %d but no allowed ops",
                      zj_algorithm_names[ZJ_ALG_RANDOM], zj_component_names[c],
                      sp->size_init[c]);
        return -1;
      }
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    for (int i = 0; i < p->fn[c].n; i++)
      {
        int op = sp->ops[c][zj_rng_below (rng, (uint32_t) sp->n_ops[c])];
        zj_random_instruction (rng, op, &sp->shape, &p->fn[c].ins[i]);
      }
  return 0;
}

int
zj_generate_algorithm (zj_algorithm_id id, const zj_search_space *sp,
                       zj_rng *rng, zj_program *out, zj_error *err)
{
  if ((int) id < 0 || id >= ZJ_ALG_COUNT)
    {
      zj_error_set (err, "unknown initial algorithm id %d", (int) id);
      return -1;
    }
  if (zj_search_space_check (sp, err) < 0)
    return -1;
  zj_program p;
  zj_program_init (&p);
  if (id == ZJ_ALG_LINEAR)
    parse_builtin (linear_text, &p);
  else if (id == ZJ_ALG_NEURAL_NET || id == ZJ_ALG_DAMAGED_NEURAL_NET)
    parse_builtin (neural_net_text, &p);
  if (id == ZJ_ALG_DAMAGED_NEURAL_NET)
    {
      /* Without its weight initialisations the network cannot learn;
         evolution has to put them back. */
      zj_fn_remove (&p.fn[ZJ_SETUP], 0);
      zj_fn_remove (&p.fn[ZJ_SETUP], 0);
    }
  int rc = check_fits (&p, &sp->shape, zj_algorithm_names[id], err);
  for (int c = 0; c < ZJ_NUM_COMPONENTS && rc == 0; c++)
    if (p.fn[c].n < sp->size_init[c])
      zj_fn_resize (&p.fn[c], sp->size_init[c]);
  if (rc == 0 && id == ZJ_ALG_RANDOM)
    rc = randomize (sp, rng, &p, err);
  if (rc == 0)
    zj_program_copy (out, &p);
  zj_program_free (&p);
  return rc;
}
