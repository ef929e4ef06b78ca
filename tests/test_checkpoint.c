/* test_checkpoint.c -- checkpoint files: round trips of every field, a
 * search continued from a checkpoint equal to one never interrupted, and
 * the errors for damaged, truncated and mismatched files. */
#include <criterion/criterion.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testutil.h"
#include "ckpt.h"
#include "evaluator.h"
#include "evolution.h"
#include "fec.h"

#include "evalutil.h"

/* A search: evaluator with FEC (small, so it evicts and forgets), the
   duplicate cache and hurdles, and a population of 20. */
typedef struct search {
  zj_task *tasks;
  zj_search_space sp;
  zj_rng rng;
  zj_evaluator *ev;
  zj_population *pop;
} search;

static void
search_new (search *s, uint64_t seed)
{
  s->tasks = linear_tasks_n (3, 11, 30);
  demo_space (&s->sp);
  zj_rng_seed (&s->rng, seed);
  zj_evaluator_cfg cfg;
  zj_evaluator_cfg_default (&cfg);
  cfg.fec = true;
  cfg.fec_train = 10;
  cfg.fec_valid = 10;
  cfg.fec_cache_size = 64;
  cfg.fec_forget_every = 5;
  cfg.dedup = true;
  cfg.dedup_slots = 64;
  cfg.hurdles = true;
  cfg.hurdle_window = 16;
  zj_error err;
  s->ev = zj_evaluator_new (&cfg, s->tasks, 3, &shape, &s->sp, &s->rng, &err);
  cr_assert_not_null (s->ev, "%s", err.msg);
  zj_evolution_cfg vc = { .population_size = 20, .tournament_size = 5,
                          .initial_population = ZJ_ALG_RANDOM,
                          .progress_every = 100 };
  s->pop = zj_population_new (&vc, &s->sp, s->ev, &s->rng);
}

static void
search_free (search *s)
{
  zj_population_free (s->pop);
  zj_evaluator_free (s->ev);
  for (int i = 0; i < 3; i++)
    zj_task_free (&s->tasks[i]);
  free (s->tasks);
}

/* A checkpoint image holding s as its one running experiment. */
static void
image_of (search *s, zj_ckbuf *img)
{
  zj_ckpt c;
  zj_ckpt_init (&c);
  c.n_args = 2;
  c.args = calloc (2, sizeof (char *));
  c.args[0] = strdup ("--random_seed=5");
  c.args[1] = strdup ("--max_experiments=3");
  c.seed = 5;
  c.next = 3;
  c.consumed = 1;
  c.ran = 1;
  c.total_indivs = 1234;
  c.have_best = true;
  zj_program_copy (&c.best, zj_population_best (s->pop, NULL));
  c.best_select = 0.25;
  c.best_hof = 0.5;
  c.shape[0] = F;
  c.elapsed = 1.5;
  c.printed = strdup ("Random seed = 5\n");
  c.printed_len = strlen (c.printed);
  c.log_offset = 77;
  c.n_done = 1;
  c.done = calloc (1, sizeof *c.done);
  c.done[0].index = 2;
  c.done[0].ok = true;
  c.done[0].text = strdup ("done text\n");
  c.done[0].text_len = 10;
  zj_program_init (&c.done[0].cand);
  zj_program_copy (&c.done[0].cand, zj_population_best (s->pop, NULL));
  c.done[0].select_fit = 0.125;
  c.n_running = 1;
  c.running = calloc (1, sizeof *c.running);
  c.running[0].index = 1;
  c.running[0].text = strdup ("running\n");
  c.running[0].text_len = 8;
  c.running[0].n_islands = 1;
  c.running[0].isl = calloc (1, sizeof *c.running[0].isl);
  c.running[0].isl[0].migrations = 3;
  memcpy (c.running[0].isl[0].rng, s->rng.s, sizeof s->rng.s);
  zj_population_export (s->pop, &c.running[0].isl[0].pop);
  zj_evaluator_export (s->ev, &c.running[0].isl[0].eval);
  zj_ckpt_encode (&c, img);
  zj_ckpt_free (&c);
}

static void
assert_same_search (search *a, search *b)
{
  double fa, fb;
  const zj_program *pa = zj_population_hall_of_fame (a->pop, &fa);
  const zj_program *pb = zj_population_hall_of_fame (b->pop, &fb);
  cr_assert_eq (fa, fb);
  cr_assert (zj_program_equal (pa, pb));
  pa = zj_population_best (a->pop, &fa);
  pb = zj_population_best (b->pop, &fb);
  cr_assert_eq (fa, fb);
  cr_assert (zj_program_equal (pa, pb));
  cr_assert_eq (zj_population_individuals (a->pop), zj_population_individuals (b->pop));
  cr_assert_eq (zj_evaluator_train_steps (a->ev), zj_evaluator_train_steps (b->ev));
  zj_eval_counters ca = zj_evaluator_counters (a->ev), cb = zj_evaluator_counters (b->ev);
  cr_assert_eq (memcmp (&ca, &cb, sizeof ca), 0);
  cr_assert_eq (zj_fec_count (zj_evaluator_fec (a->ev)), zj_fec_count (zj_evaluator_fec (b->ev)));
  cr_assert_eq (memcmp (a->rng.s, b->rng.s, sizeof a->rng.s), 0);
}

Test (checkpoint, search_continues_exactly_as_uninterrupted)
{
  zj_error err;
  search a, b;
  search_new (&a, 9);
  cr_assert_eq (zj_population_init (a.pop, &err), 0, "%s", err.msg);
  zj_population_run (a.pop, INT64_MAX, 300);
  zj_ckbuf img = { 0 };
  image_of (&a, &img);
  zj_population_run (a.pop, INT64_MAX, 1500);
  /* The resumed one starts from another seed: everything that matters
     must come from the file. */
  search_new (&b, 1234);
  zj_ckpt c;
  cr_assert_eq (zj_ckpt_parse (img.p, img.len, &c, &err), 0, "%s", err.msg);
  cr_assert_eq (c.n_running, 1);
  cr_assert_eq (zj_population_import (b.pop, &c.running[0].isl[0].pop, &shape, &err), 0, "%s", err.msg);
  cr_assert_eq (zj_evaluator_import (b.ev, &c.running[0].isl[0].eval, &err), 0, "%s", err.msg);
  memcpy (b.rng.s, c.running[0].isl[0].rng, sizeof b.rng.s);
  zj_population_run (b.pop, INT64_MAX, 1500);
  /* The FEC evicted, forgot and hit; the duplicate cache hit. */
  zj_eval_counters cnt = zj_evaluator_counters (a.ev);
  cr_assert_gt (cnt.fec_hits, 0);
  cr_assert_gt (cnt.dedup_hits, 0);
  cr_assert_gt (cnt.hurdled, 0);
  cr_assert_gt (zj_fec_get_stats (zj_evaluator_fec (a.ev)).forgotten, 0);
  assert_same_search (&a, &b);
  zj_ckpt_free (&c);
  zj_ckbuf_free (&img);
  search_free (&a);
  search_free (&b);
}

Test (checkpoint, every_field_round_trips)
{
  zj_error err;
  search a;
  search_new (&a, 3);
  cr_assert_eq (zj_population_init (a.pop, &err), 0, "%s", err.msg);
  zj_population_run (a.pop, INT64_MAX, 200);
  zj_ckbuf img = { 0 }, again = { 0 };
  image_of (&a, &img);
  zj_ckpt c;
  cr_assert_eq (zj_ckpt_parse (img.p, img.len, &c, &err), 0, "%s", err.msg);
  cr_assert_eq (c.n_args, 2);
  cr_assert_str_eq (c.args[1], "--max_experiments=3");
  cr_assert_eq (c.seed, 5);
  cr_assert_eq (c.next, 3);
  cr_assert_eq (c.consumed, 1);
  cr_assert_eq (c.total_indivs, 1234);
  cr_assert_eq (c.best_hof, 0.5);
  cr_assert_eq (c.log_offset, 77);
  cr_assert_str_eq (c.printed, "Random seed = 5\n");
  cr_assert_eq (c.n_done, 1);
  cr_assert_eq (c.done[0].index, 2);
  cr_assert_str_eq (c.done[0].text, "done text\n");
  cr_assert_eq (c.done[0].select_fit, 0.125);
  cr_assert (zj_program_equal (&c.done[0].cand, zj_population_best (a.pop, NULL)));
  cr_assert_eq (c.running[0].n_islands, 1);
  cr_assert_eq (c.running[0].isl[0].migrations, 3);
  cr_assert_eq (c.running[0].isl[0].pop.P, 20);
  cr_assert_eq (c.running[0].isl[0].pop.individuals, zj_population_individuals (a.pop));
  cr_assert_eq (c.running[0].isl[0].eval.train_steps, zj_evaluator_train_steps (a.ev));
  cr_assert_eq (c.running[0].isl[0].eval.n_fec, zj_fec_count (zj_evaluator_fec (a.ev)));
  cr_assert_eq (c.running[0].isl[0].eval.n_hring, 16);
  /* Encoding what was parsed gives the same bytes. */
  zj_ckpt_encode (&c, &again);
  cr_assert_eq (again.len, img.len);
  cr_assert_eq (memcmp (again.p, img.p, img.len), 0);
  zj_ckpt_free (&c);
  zj_ckbuf_free (&img);
  zj_ckbuf_free (&again);
  search_free (&a);
}

Test (checkpoint, fec_keeps_recency_and_hit_counts)
{
  zj_fec *a = zj_fec_new (4, 3), *b = zj_fec_new (4, 3);
  double f;
  for (uint64_t k = 1; k <= 4; k++)
    zj_fec_insert (a, k, (double) k);
  cr_assert (zj_fec_lookup (a, 1, &f));     /* 1 most recent, 2 hits */
  zj_ckpt_eval x;
  memset (&x, 0, sizeof x);
  zj_fec_export (a, &x);
  zj_error err;
  cr_assert_eq (zj_fec_import (b, &x, &err), 0, "%s", err.msg);
  zj_fec *both[2] = { a, b };
  for (int i = 0; i < 2; i++)
    {
      zj_fec_insert (both[i], 5, 5.0);       /* evicts 2, the oldest */
      cr_assert_not (zj_fec_lookup (both[i], 2, &f));
      cr_assert (zj_fec_lookup (both[i], 1, &f));   /* third hit: forgotten */
      cr_assert_eq (f, 1.0);
      cr_assert_not (zj_fec_lookup (both[i], 1, &f));
      cr_assert_eq (zj_fec_count (both[i]), 3);
    }
  cr_assert_eq (zj_fec_get_stats (a).hits, zj_fec_get_stats (b).hits);
  zj_ckpt_eval_free (&x);
  zj_fec_free (a);
  zj_fec_free (b);
}

/* A small valid image for the error tests. */
static void
small_image (zj_ckbuf *img)
{
  search a;
  search_new (&a, 4);
  zj_error err;
  cr_assert_eq (zj_population_init (a.pop, &err), 0, "%s", err.msg);
  image_of (&a, img);
  search_free (&a);
}

static void
assert_parse_error (const void *p, size_t n, const char *needle)
{
  zj_ckpt c;
  zj_error err = { "" };
  cr_assert_eq (zj_ckpt_parse (p, n, &c, &err), -1);
  cr_assert_not_null (strstr (err.msg, needle), "'%s' lacks '%s'", err.msg, needle);
  cr_assert_eq (c.n_running, 0);
}

Test (checkpoint, damaged_files_are_named)
{
  zj_ckbuf img = { 0 };
  small_image (&img);
  unsigned char *p = malloc (img.len + 1);
  memcpy (p, img.p, img.len);
  assert_parse_error (p, 10, "truncated");
  assert_parse_error (p, img.len - 1, "truncated");
  p[img.len] = 0;
  assert_parse_error (p, img.len + 1, "trailing data");
  p[img.len / 2] ^= 0x10;
  assert_parse_error (p, img.len, "checksum mismatch");
  p[img.len / 2] ^= 0x10;
  p[0] = 'X';
  assert_parse_error (p, img.len, "bad magic");
  p[0] = 'Z';
  p[8] = 9;
  assert_parse_error (p, img.len, "format version 9");
  p[8] = ZJ_CKPT_VERSION;
  p[12] = 7;
  assert_parse_error (p, img.len, "with 7 ops");
  p[12] = ZJ_NUM_OPS;
  zj_ckpt c;
  zj_error err;
  cr_assert_eq (zj_ckpt_parse (p, img.len, &c, &err), 0, "%s", err.msg);
  zj_ckpt_free (&c);
  /* Every prefix fails cleanly. */
  for (size_t n = 0; n < img.len; n += 1 + n / 64)
    cr_assert_eq (zj_ckpt_parse (p, n, &c, &err), -1);
  free (p);
  zj_ckbuf_free (&img);
}

Test (checkpoint, impossible_values_are_named)
{
  zj_ckpt c;
  zj_ckpt_init (&c);
  c.next = 2;
  c.consumed = 5;               /* printed more than were started */
  zj_ckbuf img = { 0 };
  zj_ckpt_encode (&c, &img);
  assert_parse_error (img.p, img.len, "inconsistent experiment counters");
  c.consumed = 0;
  c.n_done = 1;
  c.done = calloc (1, sizeof *c.done);
  zj_program_init (&c.done[0].cand);
  c.done[0].index = 7;          /* not a started experiment */
  zj_ckpt_encode (&c, &img);
  assert_parse_error (img.p, img.len, "experiment index 7 out of range");
  c.done[0].index = 1;
  c.n_running = 1;
  c.running = calloc (1, sizeof *c.running);
  c.running[0].index = 1;           /* both finished and running */
  zj_ckpt_encode (&c, &img);
  assert_parse_error (img.p, img.len, "experiment 1 saved twice");
  c.running[0].index = 0;
  zj_fn_push (&c.done[0].cand.fn[ZJ_PREDICT], zj_test_ins (ZJ_NUM_OPS + 3, 0, 0, 0));
  zj_ckpt_encode (&c, &img);
  assert_parse_error (img.p, img.len, "unknown op");
  zj_ckpt_free (&c);
  zj_ckbuf_free (&img);
}

Test (checkpoint, state_that_does_not_fit_is_refused)
{
  search a, b;
  search_new (&a, 4);
  zj_error err;
  cr_assert_eq (zj_population_init (a.pop, &err), 0, "%s", err.msg);
  zj_ckpt_pop x;
  zj_population_export (a.pop, &x);
  x.P = 19;
  search_new (&b, 4);
  cr_assert_eq (zj_population_import (b.pop, &x, &shape, &err), -1);
  cr_assert_not_null (strstr (err.msg, "population of 19"), "%s", err.msg);
  x.P = 20;
  zj_shape small = { F, 2, 3, 1 };  /* fewer scalar addresses than used */
  cr_assert_eq (zj_population_import (b.pop, &x, &small, &err), -1);
  zj_ckpt_eval e;
  zj_evaluator_export (a.ev, &e);
  e.dedup_slots = 0;
  e.n_dedup = 0;
  cr_assert_eq (zj_evaluator_import (b.ev, &e, &err), -1);
  cr_assert_not_null (strstr (err.msg, "do not match"), "%s", err.msg);
  zj_ckpt_pop_free (&x);
  zj_ckpt_eval_free (&e);
  search_free (&a);
  search_free (&b);
}

Test (checkpoint, failed_write_keeps_the_previous_file)
{
  char dir[] = "/tmp/zj_ckpt_XXXXXX";
  cr_assert_not_null (mkdtemp (dir));
  char path[256], tmp[256];
  snprintf (path, sizeof path, "%s/ck", dir);
  snprintf (tmp, sizeof tmp, "%s/ck.tmp", dir);
  zj_ckbuf good = { 0 }, bad = { 0 };
  small_image (&good);
  zj_error err;
  cr_assert_eq (zj_ckpt_write_file (path, &good, &err), 0, "%s", err.msg);
  /* The temporary file cannot be created: the write fails and says
     where, and the good checkpoint is still there, whole. */
  cr_assert_eq (mkdir (tmp, 0700), 0);
  zj_ck_u32 (&bad, 1);
  cr_assert_eq (zj_ckpt_write_file (path, &bad, &err), -1);
  cr_assert_not_null (strstr (err.msg, "ck.tmp"), "%s", err.msg);
  zj_ckpt c;
  cr_assert_eq (zj_ckpt_load (path, &c, &err), 0, "%s", err.msg);
  cr_assert_eq (c.n_running, 1);
  zj_ckpt_free (&c);
  rmdir (tmp);
  unlink (path);
  rmdir (dir);
  zj_ckbuf_free (&good);
  zj_ckbuf_free (&bad);
}

Test (checkpoint, manifest_names_generation_and_ranks)
{
  zj_ckbuf m = { 0 };
  zj_ckpt_manifest (12, 3, &m);
  int64_t gen;
  int ranks;
  zj_error err;
  cr_assert (zj_ckpt_is_manifest (m.p, m.len));
  cr_assert_eq (zj_ckpt_manifest_parse (m.p, m.len, &gen, &ranks, &err), 0, "%s", err.msg);
  cr_assert_eq (gen, 12);
  cr_assert_eq (ranks, 3);
  char *p = zj_ckpt_rank_path ("/x/ck", 12, 2);
  cr_assert_str_eq (p, "/x/ck.12.rank2");
  free (p);
  cr_assert_eq (zj_ckpt_manifest_parse (m.p, m.len - 3, &gen, &ranks, &err), -1);
  cr_assert_not_null (strstr (err.msg, "damaged"), "%s", err.msg);
  m.p[m.len - 2] = 'x';
  cr_assert_eq (zj_ckpt_manifest_parse (m.p, m.len, &gen, &ranks, &err), -1);
  cr_assert_not (zj_ckpt_is_manifest ("ZJCKPT\r\n", 8));
  zj_ckbuf_free (&m);
}

/* Migration decodes programs into pool entries that held other, longer
   programs: every field comes back bit for bit (NaN payloads, -0.0),
   nothing of the old contents stays, and a message cut inside an
   instruction is refused. */
Test (checkpoint, program_decodes_bit_for_bit_into_used_storage)
{
  zj_program p, q;
  zj_program_init (&p);
  zj_program_init (&q);
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    for (int i = 0; i < 3 + c; i++)
      {
        zj_instr in = zj_test_ins (ZJ_SCALAR_SUM_OP + i % 3, i, c, (i + c) % 4);
        in.fd[0] = (float) i * -0.5f;
        in.fd[1] = -0.0f;
        uint32_t nan = 0x7fc00000u | (uint32_t) (i + 1);
        memcpy (&in.fd[2], &nan, sizeof nan);
        uint64_t act = 0xfff8000000000000ull | (uint64_t) (c * 16 + i);
        memcpy (&in.act, &act, sizeof act);
        zj_fn_push (&p.fn[c], in);
      }
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    for (int i = 0; i < 9; i++)
      zj_fn_push (&q.fn[c], zj_test_ins (ZJ_VECTOR_SUM_OP, 1, 1, 1));
  zj_ckbuf b = { 0 };
  zj_ck_program (&b, &p);
  zj_ckrd rd = { .p = b.p, .len = b.len, .field = "program" };
  zj_rd_program (&rd, &q);
  cr_assert (!rd.bad, "%s", rd.why);
  cr_assert_eq (rd.pos, b.len);
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    {
      cr_assert_eq (q.fn[c].n, p.fn[c].n);
      for (int i = 0; i < p.fn[c].n; i++)
        {
          const zj_instr *x = &p.fn[c].ins[i], *y = &q.fn[c].ins[i];
          cr_assert (x->op == y->op && x->in1 == y->in1 && x->in2 == y->in2
                     && x->out == y->out, "component %d instruction %d", c, i);
          cr_assert_eq (memcmp (x->fd, y->fd, sizeof x->fd), 0);
          cr_assert_eq (memcmp (&x->act, &y->act, sizeof x->act), 0);
        }
    }
  cr_assert (zj_program_equal (&p, &q));
  /* Cut 10 bytes into the last instruction. */
  zj_ckrd cut = { .p = b.p, .len = b.len - 18, .field = "program" };
  zj_rd_program (&cut, &q);
  cr_assert (cut.bad);
  cr_assert_not_null (strstr (cut.why, "bad instruction count"), "%s", cut.why);
  zj_ckbuf_free (&b);
  zj_program_free (&p);
  zj_program_free (&q);
}
