/* interp_lanes_f.h -- the lane interpreter for one features size.
 *
 * Included by interp_lanes.c with ZJ_F and ZJ_NB defined: ZJ_NB > 0 fixes
 * the number of lane vectors per element at compile time (the kernels'
 * lane loops unroll and example copies become a few vector moves), 0
 * takes it at run time.  One dispatch loop runs a
 * decoded component function on all lanes at once (kernels_lanes.h); the
 * evaluation loop around it is interp_f.h's control flow, so every
 * task gets exactly what a separate zj_interp_eval_task gives it.
 * All lanes always execute.  That is harmless for a task whose training
 * aborted (nothing of it is read again) but not for one whose validation
 * pass aborted: it trains on from the memory its pass stopped at, so that
 * lane is saved at the abort and put back after the pass.
 */
#define F ZJ_F
#define ZJ_CAT2(a, b) a##b
#define ZJ_CAT(a, b) ZJ_CAT2 (a, b)
#define ZJ_FN(name) ZJ_CAT (ZJ_CAT (name##_f, ZJ_F), ZJ_CAT (_n, ZJ_NB))

/* Runs decoded code from ip to its end.  With tc, instead runs training
   steps tc->k, tc->k + 1, ... of a block on the fast path (see
   zj_ltrain) without returning between Predict, the abort check and
   Learn, and returns the first step whose check failed (its Predict has
   run, its Learn has not), or tc->kn. */
static long
ZJ_FN (lrun) (const zj_lins *ip, int nb_, int nr, zj_lv *T,
              const zj_ltrain *tc)
{
  const int nb = ZJ_NB > 0 ? ZJ_NB : nb_;
  static const void *const labels[ZJ_NUM_OPS + 2] = {
#define ZJ_OP(id, name, ...) [id] = &&L_##name,
#include <zerojit/ops.def>
#undef ZJ_OP
    [ZJ_NUM_OPS] = &&L_END,
    [ZJ_LOP_MATVEC_TASKS] = &&L_MATVEC_TASKS,
  };
  const int nl = nb * ZJ_LW;
  const zj_lins *I;
  const void *ret = NULL;
  long k = 0;
  const double *row = NULL, *y = NULL;
  (void) nl;
  (void) nr;
#define ZJ_NEXT() do { I = ip++; goto *labels[I->op]; } while (0)
  if (tc)
    {
      k = tc->k;
      goto L_STEP;
    }
  ZJ_NEXT ();
#define ZJ_OP(id, name, ...) \
  L_##name: \
    { \
      zj_lv *O = (zj_lv *) I->o; \
      const zj_lv *A = (const zj_lv *) I->a, *B = (const zj_lv *) I->b; \
      (void) O; (void) A; (void) B; \
      ZJ_LK_##name; \
    } \
    ZJ_NEXT ();
#include <zerojit/ops.def>
#undef ZJ_OP
L_MATVEC_TASKS:
#if ZJ_LW == 8
  if (ZJ_LMATVEC_TASKS (F))
    zj_lmatvec_tasks ((zj_lv *) I->o, I->a, (const zj_lv *) I->b, F, nb, nr);
#endif
  ZJ_NEXT ();
L_END:
  if (!tc)
    return 0;
  goto *ret;
L_STEP:
  if (k == tc->kn)
    return k;
  if (tc->co)
    tc->co->step (tc->co->ctx);
  row = tc->rows + (size_t) k * tc->rowsz;
  y = row + (size_t) F * nl;
  zj_lpatch_apply (&tc->d->pv0, row);
  ip = tc->d->predict;
  ret = tc->valid ? &&L_VPREDICTED : &&L_PREDICTED;
  ZJ_NEXT ();
L_PREDICTED:
  if (tc->sig)
    zj_lsigmoid_n ((zj_lv *) tc->s1, nb);
  if (zj_lany_bad ((const zj_lv *) y, (const zj_lv *) tc->s1, tc->alive_m,
                   nb, tc->max_err))
    return k;
  if (k < tc->n_rec)
    zj_lstore_err ((zj_lv *) (tc->rec + (size_t) k * nl), (const zj_lv *) y,
                   (const zj_lv *) tc->s1, nb);
  zj_lpatch_apply (&tc->d->lv0, row);
  zj_lpatch_apply (&tc->d->ls0, y);
  ip = tc->d->learn;
  ret = &&L_LEARNED;
  ZJ_NEXT ();
L_LEARNED:
  k++;
  goto L_STEP;
L_VPREDICTED:
  {
    const zj_lv *yv = (const zj_lv *) y, *pv = (const zj_lv *) tc->s1;
    if (tc->acc)
      {
        /* No abort: the error is 0 or 1.  s1 itself stays as Predict
           left it (the next example's Predict may read it). */
        zj_lv *rv = k < tc->n_rec ? (zj_lv *) (tc->rec + (size_t) k * nl)
                                  : NULL;
        for (int q = 0; q < nb; q++)
          {
            const zj_lv e = tc->logit ? zj_lacc_err_logit (yv[q], pv[q])
                            : zj_lacc_err (yv[q], zj_lsigmoid (pv[q]));
            tc->loss[q] += e;
            if (rv)
              rv[q] = e;
          }
        k++;
        goto L_STEP;
      }
    if (zj_lany_bad (yv, pv, tc->alive_m, nb, tc->max_err))
      return k;
    zj_lrms_valid (tc->loss, k < tc->n_rec
                             ? (zj_lv *) (tc->rec + (size_t) k * nl) : NULL,
                   yv, pv, nb);
  }
  k++;
  goto L_STEP;
#undef ZJ_NEXT
}

/* One row from the examples x[t] (F doubles each) and labels y[t] of the
   nt tasks: written in address order, lane by lane within an element, so
   stores stay sequential (writing one task's example at a time strides
   the whole row per task and cost most of a small program's step).
   Padding lanes get 0. */
static inline void
ZJ_FN (lrow) (double *row, const double *const *x, const double *y, int nt,
              int nb_)
{
  const int L = (ZJ_NB > 0 ? ZJ_NB : nb_) * ZJ_LW;
  for (int i = 0; i < F; i++)
    {
      double *r = row + (size_t) i * L;
      for (int t = 0; t < nt; t++)
        r[t] = x[t][i];
      for (int t = nt; t < L; t++)
        r[t] = 0.0;
    }
  double *r = row + (size_t) F * L;
  for (int t = 0; t < nt; t++)
    r[t] = y[t];
  for (int t = nt; t < L; t++)
    r[t] = 0.0;
}

/* lrun's fused path (tc) on native Predict and Learn: same steps, same
   checks (ACCURACY's sigmoid included), same result. */
static long
ZJ_FN (lnrun) (int nb_, const zj_ltrain *tc)
{
  const int nb = ZJ_NB > 0 ? ZJ_NB : nb_;
  const int nl = nb * ZJ_LW;
  const zj_ldecoded *d = tc->d;
  const zj_lnative *n = d->nat;
  const zj_companion *co = tc->co;
  if (n->steps && !co && !tc->sig && !(tc->acc && tc->valid))
    {
      const zj_lsteps a = { d->mem, d->zeros, tc->rows, tc->rowsz, tc->k,
                            tc->kn, F, nb, tc->s1, tc->alive_m, tc->max_err,
                            tc->valid, tc->loss, tc->rec, tc->n_rec };
      return n->steps (n, &a);
    }
  for (long k = tc->k; k < tc->kn; k++)
    {
      const double *row = tc->rows + (size_t) k * tc->rowsz;
      const double *y = row + (size_t) F * nl;
      n->predict (d->mem, row, d->zeros, n->k);
      /* Between Predict and the sigmoid: the companion's chain overlaps
         this step's exp and Learn, its own exp the next Predict. */
      if (co && !co->step (co->ctx))
        co = NULL;
      const zj_lv *yv = (const zj_lv *) y, *pv = (const zj_lv *) tc->s1;
      if (tc->acc && tc->valid)
        {
          /* As lrun: no abort, 0/1 errors, s1 left as Predict wrote it. */
          zj_lv *rv = k < tc->n_rec ? (zj_lv *) (tc->rec + (size_t) k * nl)
                                    : NULL;
          for (int q = 0; q < nb; q++)
            {
              const zj_lv e = tc->logit ? zj_lacc_err_logit (yv[q], pv[q])
                              : zj_lacc_err (yv[q], zj_lsigmoid (pv[q]));
              tc->loss[q] += e;
              if (rv)
                rv[q] = e;
            }
          continue;
        }
      if (tc->sig)
        zj_lsigmoid_n ((zj_lv *) tc->s1, nb);
      if (zj_lany_bad (yv, pv, tc->alive_m, nb, tc->max_err))
        return k;
      if (tc->valid)
        {
          zj_lrms_valid (tc->loss, k < tc->n_rec
                                   ? (zj_lv *) (tc->rec + (size_t) k * nl) : NULL,
                         yv, pv, nb);
          continue;
        }
      if (k < tc->n_rec)
        zj_lstore_err ((zj_lv *) (tc->rec + (size_t) k * nl), yv, pv, nb);
      n->learn (d->mem, row, y, n->k);
    }
  return tc->kn;
}

/* Training examples of positions pos .. pos+n-1 in lane layout, one row
   of (F + 1) * L doubles per step: x lanes, then label lanes.  Built once,
   each row is copied twice (before Predict and before Learn).  Used when
   the task set's rows are not cached in the workspace.  xp and yp hold
   nt entries. */
static void
ZJ_FN (lrows) (const zj_task *const *ts, int nt, long pos, long n, int nb_,
               double *rows, const double **xp, double *yp)
{
  const int L = (ZJ_NB > 0 ? ZJ_NB : nb_) * ZJ_LW;
  const size_t rowsz = (size_t) (F + 1) * L;
  for (long k = 0; k < n; k++)
    {
      for (int t = 0; t < nt; t++)
        {
          const zj_task *tk = ts[t];
          const int ex = tk->order[pos + k];
          xp[t] = tk->train_x + (size_t) ex * F;
          yp[t] = tk->train_y[ex];
        }
      ZJ_FN (lrow) (rows + (size_t) k * rowsz, xp, yp, nt, nb_);
    }
}

/* The same for validation examples i .. i+n-1 (stored order). */
static void
ZJ_FN (lvrows) (const zj_task *const *ts, int nt, int i0, int n, int nb_,
                double *rows, const double **xp, double *yp)
{
  const int L = (ZJ_NB > 0 ? ZJ_NB : nb_) * ZJ_LW;
  const size_t rowsz = (size_t) (F + 1) * L;
  for (int k = 0; k < n; k++)
    {
      for (int t = 0; t < nt; t++)
        {
          const zj_task *tk = ts[t];
          xp[t] = tk->valid_x + (size_t) (i0 + k) * F;
          yp[t] = tk->valid_y[i0 + k];
        }
      ZJ_FN (lrow) (rows + (size_t) k * rowsz, xp, yp, nt, nb_);
    }
}

/* One example's Predict outside the fused paths: v0 and s0 = 0 either
   pointed at (patched operands) or copied into memory. */
static inline void
ZJ_FN (lpredict) (const zj_ldecoded *d, const double *row, double *v0,
                  double *s0, int nb_, int nt, zj_lv *T)
{
  const int nb = ZJ_NB > 0 ? ZJ_NB : nb_;
  if (d->patch)
    {
      if (d->nat)
        {
          d->nat->predict (d->mem, row, d->zeros, d->nat->k);
          return;
        }
      zj_lpatch_apply (&d->pv0, row);
    }
  else
    {
      zj_lcopy ((zj_lv *) v0, (const zj_lv *) row, F * nb);
      zj_lzero ((zj_lv *) s0, nb);
    }
  if (d->nat)
    d->nat->predict (d->mem, row, d->zeros, d->nat->k);
  else
    ZJ_FN (lrun) (d->predict, nb, nt, T, NULL);
}

static void
ZJ_FN (leval) (const zj_ldecoded *d, const zj_task *const *ts, int nt,
               const zj_eval_opts *o, double *mem, const zj_layout *lay,
               int nb_, zj_lv *T, zj_eval_result *res, double *fit,
               const zj_lbook *bk)
{
  const int nb = ZJ_NB > 0 ? ZJ_NB : nb_;
  const int L = nb * ZJ_LW;
  ZJ_ASSERT (ZJ_NB == 0 || nb_ == ZJ_NB);
  ZJ_ASSERT (nt >= 1 && nt <= L && L - nt < ZJ_LW);   /* < 1 vector of padding */
  const zj_task *t0 = ts[0];
  const bool acc = t0->eval_type == ZJ_ACCURACY;
  double *loss = bk->loss;
  bool *alive = bk->alive, *vabort = bk->vabort, *vsaved = bk->vsaved;
  double *s0 = mem + lay->s_off * (size_t) L;   /* s0 of lane t: s0[t] */
  double *s1 = s0 + L;
  double *v0 = mem + lay->v_off * (size_t) L;
  const size_t rowsz = (size_t) (F + 1) * L;
  /* A resumed run (bk->resume) starts where the kept run's first steps
     left the lanes: Setup has run. */
  const zj_lsnap *rs = bk->resume ? bk->snap : NULL;
  if (!rs)
    ZJ_FN (lrun) (d->setup, nb, nt, T, NULL);
  for (int k = 0; k < d->n_mt; k++)
    for (int t = 0; t < nt; t++)
      for (int e = 0; e < F * F; e++)
        d->mt_dst[k][(size_t) t * F * F + e] = d->mt_src[k][(size_t) e * L + t];
  const long per_epoch = t0->n_train;
  long n_train = per_epoch * t0->epochs;
  if (o->n_all_train >= 0 && o->n_all_train < n_train)
    n_train = o->n_all_train;
  const int n_valid = (o->n_valid >= 0 && o->n_valid < t0->n_valid)
                      ? o->n_valid : t0->n_valid;
  for (int t = 0; t < L; t++)
    {
      alive[t] = t < nt;        /* padding lanes never count */
      zj_lmask_set (bk->alive_m, t, alive[t]);
    }
  for (int t = 0; t < nt; t++)
    fit[t] = 0.0;
  if (rs)
    {
      for (int t = 0; t < L; t++)
        {
          alive[t] = rs->alive[t];
          zj_lmask_set (bk->alive_m, t, alive[t]);
        }
      for (int t = 0; t < nt; t++)
        if (rs->abort_at[t] >= 0)
          {
            res[t].aborted = true;
            res[t].train_steps = rs->abort_at[t];
          }
    }
  const double max_err = o->max_abs_error;
  const bool record = o->record_errors > 0;
  /* ACCURACY's training sigmoid when nothing reads its result
     (zj_s1_sigmoid_dead): with every label in [1 - max_err, max_err],
     |y - sigmoid(s1)| <= max_err unless s1 is NaN, so the abort check is
     !(|y - s1| <= inf) on the raw s1 (doc/shortcuts.md).  Recorded
     errors need the sigmoid. */
  const bool sig_dead = acc && !record && !o->no_shortcuts && d->s1_dead
                        && bk->y_lo >= 1.0 - max_err && bk->y_hi <= max_err;
  const bool sig = acc && !sig_dead;
  const double tmax = sig_dead ? INFINITY : max_err;
  const bool logit = acc && !o->no_shortcuts;
  const bool restore_v0 = d->predict_writes_v0;
  const bool patch = d->patch;
  /* FEC mini-runs (one training chunk, a short record): errors go
     lane-major into bk's buffers, one vector store per step, and are
     handed to each task at the end instead of appended task by task.  A
     task's count is then the steps (examples) before its abort, capped. */
  const int cap = o->record_errors;
  const bool vrec = record && n_train <= per_epoch && cap <= ZJ_LREC_MAX;
  int *vcount = bk->vcount;
  /* Training steps run fused in lrun: nothing per task between steps
     (ACCURACY's sigmoid included: one vector call per lane vector); the
     FEC mini-run's lane-major record is stored there too. */
  const bool fused = patch && (!record || vrec);
  /* Validation examples run fused in lrun, like training steps. */
  const bool vfused = patch && (!record || vrec);
  /* The mode flags' combinations: fused paths need the patched v0/s0,
     fused training records only lane-major, those records fit their
     buffer. */
  ZJ_ASSERT (!fused || (patch && (!record || vrec)));
  ZJ_ASSERT (!vrec || (record && cap <= ZJ_LREC_MAX));
  ZJ_ASSERT (!vfused || patch);
  for (int t = 0; t < L; t++)
    vcount[t] = 0;
  if (patch)
    zj_lpatch_apply (&d->ps0, bk->zeros);
  int n_alive = rs ? rs->n_alive : nt;
  long remaining = n_train, pos = 0;
  /* Steps started; a task's train_steps is this at its abort, or at the
     end for a task that never aborts. */
  long started = rs ? rs->started : 0;
  /* The training shortcut (doc/shortcuts.md): a step's memory depends on
     the last sc_depth + 1 steps only and no step of any lane can abort,
     so each chunk ends in the memory its last sc_depth + 1 steps give:
     run those, count the rest. */
  const bool sc = bk->ranges && !record
                  && lanes_prove (bk, mem, lay, L, nt, acc, max_err);
  *bk->shortcut = sc;
  while (remaining > 0 && n_alive > 0)
    {
      const long chunk = remaining < per_epoch ? remaining : per_epoch;
      const long keep = (long) bk->sc_depth + 1;   /* steps that matter */
      /* The first chunk of a resumed run starts after the kept steps
         (counted in started already). */
      const bool resumed = rs && pos == 0;
      ZJ_ASSERT (!resumed || (!sc && rs->steps <= chunk));
      const long first = resumed ? rs->steps
                         : sc && chunk > keep ? chunk - keep : 0;
      if (!resumed)
        started += first;
      if (sc && bk->sc_kind == ZJ_SC_SIGMOID_CHAIN)
        /* s1 as the skipped steps leave it: one sigmoid each, until it
           stops changing (bit for bit, every lane).  From any start the
           rounded iteration reaches its fixed point 0.65904606840740665
           within about 30 calls; the loop is bounded by the steps anyway. */
        for (long j = 0; j < first; j++)
          {
            zj_lv prev[ZJ_NB > 0 ? ZJ_NB : 8];
            const int nc = nb <= 8 ? nb : 0;   /* compare up to 8 vectors */
            for (int q = 0; q < nc; q++)
              prev[q] = ((const zj_lv *) s1)[q];
            zj_lsigmoid_n ((zj_lv *) s1, nb);
            if (nc && !memcmp (prev, s1, (size_t) nc * sizeof (zj_lv)))
              break;
          }
      for (long k0 = first; k0 < chunk && n_alive > 0; k0 += ZJ_LBLOCK)
        {
          const long kn = chunk - k0 < ZJ_LBLOCK ? chunk - k0 : ZJ_LBLOCK;
          const double *rows;
          if (pos + k0 + kn <= bk->n_ctrain)
            rows = bk->ctrain + (size_t) (pos + k0) * rowsz;
          else
            {
              ZJ_FN (lrows) (ts, nt, pos + k0, kn, nb, bk->rows, bk->xp,
                             bk->yp);
              rows = bk->rows;
            }
          for (long k = 0; k < kn; k++)
            {
              if (fused)
                {
                  /* Steps k.. run inside lrun until one needs the
                     per-task path below (its Predict has run). */
                  /* Step k0 + k is the (k0 + k + 1)-th started: recorded
                     while that is at most cap (one chunk when vrec). */
                  const long n_rec = vrec ? (cap - k0 < kn ? cap - k0 : kn) : 0;
                  const zj_ltrain tc = { d, rows, rowsz, k, kn, s1,
                                         bk->alive_m, tmax, false, acc,
                                         sig, logit, NULL,
                                         vrec ? bk->rec_train + (size_t) k0 * L
                                              : NULL,
                                         n_rec, bk->co };
                  const long j = d->nat ? ZJ_FN (lnrun) (nb, &tc)
                                 : ZJ_FN (lrun) (NULL, nb, nt, T, &tc);
                  started += j - k;
                  if (j == kn)
                    break;
                  k = j;
                }
              const double *row = rows + (size_t) k * rowsz;
              const double *y = row + (size_t) F * L;
              started++;
              if (!fused)
                {
                  ZJ_FN (lpredict) (d, row, v0, s0, nb, nt, T);
                  /* Every lane at once (dead and padding lanes too: their
                     memory is never read again). */
                  if (sig)
                    zj_lsigmoid_n ((zj_lv *) s1, nb);
                }
              /* Fast path: one branch-free pass over all lanes (padding
                 and dead lanes masked) finds whether any task aborts. */
              if (ZJ_UNLIKELY ((record && !vrec)
                               || zj_lany_bad ((const zj_lv *) y,
                                               (const zj_lv *) s1,
                                               bk->alive_m, nb, tmax)))
                for (int t = 0; t < nt; t++)
                  {
                    if (!alive[t])
                      continue;
                    const double err = fabs (y[t] - s1[t]);
                    if (ZJ_UNLIKELY (!(err <= tmax)))
                      {
                        /* An abort in the first chunk gives 0; later ones
                           keep the best validation so far (in fit[t]). */
                        alive[t] = false;
                        zj_lmask_set (bk->alive_m, t, false);
                        res[t].aborted = true;
                        res[t].train_steps = started;
                        n_alive--;
                        continue;
                      }
                    if (ZJ_UNLIKELY (!vrec
                                     && res[t].n_train_err < o->record_errors))
                      res[t].train_err[res[t].n_train_err++] = err;
                  }
              if (vrec && started <= cap)
                zj_lstore_err ((zj_lv *) (bk->rec_train
                                          + (size_t) (started - 1) * L),
                               (const zj_lv *) y, (const zj_lv *) s1, nb);
              if (ZJ_UNLIKELY (n_alive == 0))
                break;
              if (patch && d->nat)
                ;
              else if (patch)
                {
                  zj_lpatch_apply (&d->lv0, row);
                  zj_lpatch_apply (&d->ls0, y);
                }
              else
                {
                  if (restore_v0)
                    zj_lcopy ((zj_lv *) v0, (const zj_lv *) row, F * nb);
                  zj_lcopy ((zj_lv *) s0, (const zj_lv *) y, nb);
                }
              if (d->nat)
                d->nat->learn (d->mem, row, y, d->nat->k);
              else
                ZJ_FN (lrun) (d->learn, nb, nt, T, NULL);
            }
        }
      /* The lanes after a chunk that is the whole training, before the
         validation (whose Predicts write memory) and the lane restores:
         a longer run's state after as many steps. */
      if (bk->take && pos == 0 && chunk == n_train && !sc)
        lsnap_take (bk, d, mem, lay, L, nt, res, alive, n_alive, started,
                    chunk);
      pos += chunk;
      remaining -= per_epoch;
      if (n_alive == 0)
        break;
      int nv = 0;
      for (int t = 0; t < L; t++)
        {
          loss[t] = 0.0;
          vabort[t] = !alive[t];   /* vabort doubles as "not validating" */
          zj_lmask_set (bk->vact_m, t, alive[t]);
          vsaved[t] = false;
          vcount[t] = alive[t] ? n_valid : 0;
          nv += alive[t];
        }
      for (int i0 = 0; i0 < n_valid && nv > 0; i0 += ZJ_LBLOCK)
        {
          const int kn = n_valid - i0 < ZJ_LBLOCK ? n_valid - i0 : ZJ_LBLOCK;
          const double *rows;
          if (bk->cvalid)
            rows = bk->cvalid + (size_t) i0 * rowsz;
          else
            {
              ZJ_FN (lvrows) (ts, nt, i0, kn, nb, bk->rows, bk->xp, bk->yp);
              rows = bk->rows;
            }
          for (int k = 0; k < kn && nv > 0; k++)
            {
              if (vfused)
                {
                  /* Examples k.. run inside lrun until one needs the
                     per-task path below (its Predict has run). */
                  const long n_rec = vrec ? (cap - i0 < kn ? cap - i0 : kn) : 0;
                  const zj_ltrain tc = { d, rows, rowsz, k, kn, s1,
                                         bk->vact_m, max_err, true, acc,
                                         false, logit, (zj_lv *) loss,
                                         bk->rec_valid + (size_t) i0 * L,
                                         n_rec, bk->co };
                  const long j = d->nat ? ZJ_FN (lnrun) (nb, &tc)
                                 : ZJ_FN (lrun) (NULL, nb, nt, T, &tc);
                  if (j == kn)
                    break;
                  k = (int) j;
                }
              const double *row = rows + (size_t) k * rowsz;
              const double *y = row + (size_t) F * L;
              if (!vfused)
                ZJ_FN (lpredict) (d, row, v0, s0, nb, nt, T);
              const int vi = i0 + k;
              if (acc && (!record || vrec))
                {
                  /* All lanes at once, as in the fused path. */
                  zj_lv *lv = (zj_lv *) loss;
                  const zj_lv *yv = (const zj_lv *) y;
                  const zj_lv *pv = (const zj_lv *) s1;
                  zj_lv *rv = vrec && vi < cap
                              ? (zj_lv *) (bk->rec_valid + (size_t) vi * L)
                              : NULL;
                  for (int q = 0; q < nb; q++)
                    {
                      const zj_lv e = logit
                                      ? zj_lacc_err_logit (yv[q], pv[q])
                                      : zj_lacc_err (yv[q],
                                                     zj_lsigmoid (pv[q]));
                      lv[q] += e;
                      if (rv)
                        rv[q] = e;
                    }
                  continue;
                }
              if (!acc && (!record || vrec))
                {
                  /* Fast path as in training; lanes that do not validate
                     accumulate a loss nobody reads. */
                  if (ZJ_LIKELY (!zj_lany_bad ((const zj_lv *) y,
                                               (const zj_lv *) s1,
                                               bk->vact_m, nb, max_err)))
                    {
                      zj_lrms_valid ((zj_lv *) loss,
                                     vrec && vi < cap
                                     ? (zj_lv *) (bk->rec_valid + (size_t) vi * L)
                                     : NULL,
                                     (const zj_lv *) y, (const zj_lv *) s1, nb);
                      continue;
                    }
                }
              for (int t = 0; t < nt; t++)
                {
                  if (vabort[t])
                    continue;
                  const double label = y[t];
                  const double p1 = s1[t];
                  double e;
                  if (acc)
                    {
                      const double p = zj_sigmoid (p1);
                      e = ((label > 0.5) == (p > 0.5)) ? 0.0 : 1.0;
                      loss[t] += e;
                    }
                  else
                    {
                      const double dd = label - p1;
                      e = fabs (dd);
                      if (ZJ_UNLIKELY (!(e <= max_err)))
                        {
                          /* This validation pass scores 0 and stops here:
                             freeze the lane's memory as it is now. */
                          vabort[t] = true;
                          zj_lmask_set (bk->vact_m, t, false);
                          vsaved[t] = true;
                          vcount[t] = vi;
                          nv--;
                          zj_lane_save (mem, lay->total, L, t,
                                        bk->save + (size_t) t * lay->total);
                          continue;
                        }
                      loss[t] += dd * dd;
                    }
                  if (ZJ_UNLIKELY (!vrec
                                   && res[t].n_valid_err < o->record_errors))
                    res[t].valid_err[res[t].n_valid_err++] = e;
                }
              if (vrec && vi < cap)
                zj_lstore_err ((zj_lv *) (bk->rec_valid + (size_t) vi * L),
                               (const zj_lv *) y, (const zj_lv *) s1, nb);
            }
        }
      for (int t = 0; t < nt; t++)
        {
          if (ZJ_UNLIKELY (vsaved[t]))
            zj_lane_restore (mem, lay->total, L, t,
                             bk->save + (size_t) t * lay->total);
          if (vabort[t] || o->no_fitness)   /* not validated, its pass
                                               aborted, or not wanted */
            continue;
          const double f = acc ? 1.0 - loss[t] / ts[t]->n_valid
                               : zj_rms_fitness (loss[t], ts[t]->n_valid);
          if (f > fit[t])
            fit[t] = f;
        }
    }
  for (int t = 0; t < nt; t++)
    if (!res[t].aborted)
      res[t].train_steps = started;
  if (vrec)
    {
      /* A caller that reads the lane-major record itself gets it there
         (bk->rec_out) instead of copied out task by task. */
      zj_lane_record *out = bk->rec_out;
      if (out)
        *out = (zj_lane_record) { bk->rec_train, bk->rec_valid, (size_t) L };
      for (int t = 0; t < nt; t++)
        {
          /* Training errors of the steps before the abort (or all). */
          const long before = res[t].aborted ? res[t].train_steps - 1 : started;
          const int n = before < cap ? (int) before : cap;
          for (int i = 0; !out && i < n; i++)
            res[t].train_err[i] = bk->rec_train[(size_t) i * L + t];
          res[t].n_train_err = n;
          const int nv = vcount[t] < cap ? vcount[t] : cap;
          for (int i = 0; !out && i < nv; i++)
            res[t].valid_err[i] = bk->rec_valid[(size_t) i * L + t];
          res[t].n_valid_err = nv;
        }
    }
}

#undef ZJ_FN
#undef ZJ_CAT
#undef ZJ_CAT2
#undef F
