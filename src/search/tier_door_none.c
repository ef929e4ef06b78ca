/* tier_door_none.c -- the door to native code when the JIT is not built
 * (./configure --without-jit): there is never a tier, so every candidate
 * is interpreted and the rest does nothing. */
#include "internal.h"
#include "tier_door.h"
#include <string.h>

int
zj_door_tier_new (zj_tier_mode mode, const zj_policy_knobs *knobs,
                  int opt_level, const char *opt_flags, zj_tier_notice notice, void *notice_ctx,
                  struct zj_tier **tier, zj_error *err)
{
  (void) mode; (void) knobs; (void) opt_level; (void) opt_flags; (void) err;
  (void) notice; (void) notice_ctx;
  *tier = NULL;
  return 0;
}

void
zj_door_tier_free (struct zj_tier *tier)
{
  (void) tier;
}

bool
zj_door_tier_stats (struct zj_tier *tier, zj_tier_stats *s)
{
  (void) tier;
  memset (s, 0, sizeof *s);
  return false;
}

zj_door *
zj_door_open (struct zj_tier *tier, const zj_task *tasks, int n_tasks, int F)
{
  (void) tier; (void) tasks; (void) n_tasks; (void) F;
  return NULL;
}

void
zj_door_close (zj_door *d)
{
  (void) d;
}

uint64_t
zj_door_begin (zj_door *d, const zj_prepared *pp, double examples_all)
{
  (void) d; (void) pp; (void) examples_all;
  return 0;
}

bool
zj_door_native (zj_door *d, const zj_prepared *pp)
{
  (void) d; (void) pp;
  return false;
}

bool
zj_door_pending (const zj_door *d)
{
  (void) d;
  return false;
}

bool
zj_door_per_task (const zj_door *d)
{
  (void) d;
  return false;
}

double
zj_door_eval_task (zj_door *d, const zj_prepared *pp, const zj_task *t,
                   const zj_eval_opts *o, zj_rng *rng, zj_workspace *ws,
                   zj_eval_result *r)
{
  (void) d;
  return zj_interp_eval_task (pp, t, o, rng, ws, r);
}

bool
zj_door_eval_pair (zj_door *d, const zj_prepared *pp, const zj_task *a,
                   const zj_task *b, const zj_eval_opts *o, zj_rng *rng,
                   zj_workspace *wsa, zj_workspace *wsb, zj_eval_result *ra,
                   zj_eval_result *rb, double f[2])
{
  (void) d; (void) pp; (void) a; (void) b; (void) o; (void) rng;
  (void) wsa; (void) wsb; (void) ra; (void) rb; (void) f;
  return false;
}

bool
zj_door_eval_group (zj_door *d, const zj_prepared *pp,
                    const zj_task *const *t, int n, const zj_eval_opts *o,
                    zj_rng *rng, zj_workspace *const *ws,
                    zj_eval_result *const *r, double *f)
{
  (void) d; (void) pp; (void) t; (void) n; (void) o; (void) rng;
  (void) ws; (void) r; (void) f;
  return false;
}

int
zj_door_split_rest (const zj_door *d, int n)
{
  (void) d; (void) n;
  return 0;
}

bool
zj_door_rest_start (zj_door *d, const zj_prepared *pp,
                    const zj_task *const *t, int n, const zj_eval_opts *o,
                    zj_rng *rng, zj_workspace *const *ws,
                    zj_eval_result *const *r, zj_workspace *lanes_ws,
                    int lanes_nt, bool interleave)
{
  (void) d; (void) pp; (void) t; (void) n; (void) o; (void) rng;
  (void) ws; (void) r; (void) lanes_ws; (void) lanes_nt; (void) interleave;
  return false;
}

void
zj_door_rest_end (zj_door *d, zj_workspace *lanes_ws, double *f)
{
  (void) d; (void) lanes_ws; (void) f;
}

void
zj_door_rest_cancel (zj_door *d, zj_workspace *lanes_ws)
{
  (void) d; (void) lanes_ws;
}

double
zj_door_clock (zj_door *d)
{
  (void) d;
  return 0.0;
}

void
zj_door_batch_done (zj_door *d, double t0, double examples,
                    const zj_workspace *ws)
{
  (void) ws;
  (void) d; (void) t0; (void) examples;
}

void
zj_door_attach (zj_door *d, zj_workspace *ws)
{
  (void) d; (void) ws;
}

void
zj_door_consider (zj_door *d, const zj_prepared *pp, double examples_now,
                  double examples_per_eval, bool final_stage)
{
  (void) d; (void) pp; (void) examples_now; (void) examples_per_eval;
  (void) final_stage;
}

bool
zj_door_end (zj_door *d, bool final_stage)
{
  (void) d; (void) final_stage;
  return false;
}

void
zj_door_promote (zj_door *d, const zj_prepared *pp, double children)
{
  (void) d; (void) pp; (void) children;
}

void
zj_door_note_child (zj_door *d, bool kept)
{
  (void) d; (void) kept;
}

bool
zj_door_stats (const zj_door *d, zj_tier_stats *s)
{
  (void) d;
  memset (s, 0, sizeof *s);
  return false;
}
