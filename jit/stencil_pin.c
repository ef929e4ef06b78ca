/* stencil_pin.c -- pinned lane stencils (stencil_pin.h): their IR, the
 * library's build and load, and a component's code.
 *
 * Every pinned register is a global `double __attribute__ ((vector_size
 * (64)))` bound to its zmm by gcc_jit_lvalue_set_register_name, so a
 * stencil reads and writes its operands where they live.  GCC warns that
 * those registers are call-clobbered, a warning with no switch that
 * libgccjit turns into an error: the context has -w.  None of these
 * stencils calls out, so nothing clobbers them between a fill and a spill.
 * Each op does exactly what its ZJ_LK_ kernel (src/interp/kernels_lanes.h)
 * does per lane: elementwise ops compute every element before writing any
 * (a pinned output may be an input), the dot product is zj_lreduce's.
 */
#include "config.h"
#include "stencil_pin.h"
#include "jit_internal.h"
#include <libgccjit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define W 8                     /* lanes per chunk: zmm */
/* Bump when the pinned stencils' IR changes (the cached objects' name). */
#define ZJ_PIN_VERSION 1

/* Addresses of kind k with S scalars and V vectors (1: the slot is
   unused): how many an operand slot of that kind ranges over. */
static int
kind_range (zj_kind k, int S, int V)
{
  return k == ZJ_KIND_S ? S : k == ZJ_KIND_V ? V : 1;
}

/* Slots of op in a library of S scalars and V vectors: one per output
   address and input addresses (output 0 never built), 0 when op is not
   pinned. */
static size_t
op_slots (int op, int S, int V)
{
  if (!zj_pin_op_ok (op))
    return 0;
  const zj_op_info *I = &zj_ops[op];
  return (size_t) kind_range (I->out, S, V) * (size_t) kind_range (I->in1, S, V)
         * (size_t) kind_range (I->in2, S, V);
}

bool
zj_pin_fits (int F, int C, int S, int V)
{
  if (!(F >= 1 && C >= 1 && S >= 1 && V >= 1
        && (S - 1) * C + (V - 1) * F * C <= ZJ_PIN_NREG))
    return false;
  size_t n = 0;
  for (int op = 1; op < ZJ_NUM_OPS; op++)
    n += op_slots (op, S, V);
  return n <= ZJ_PIN_MAX_SLOTS;
}

/* The pinned ops, each with the binary operation of its elementwise body
   plus one (CONST_SET and the inner product have bodies of their own):
   adding an op is a line here and, if it is not elementwise, its case in
   body. */
static const signed char pin_binop[ZJ_NUM_OPS] = {
  [ZJ_SCALAR_SUM_OP] = 1 + GCC_JIT_BINARY_OP_PLUS,
  [ZJ_SCALAR_DIFF_OP] = 1 + GCC_JIT_BINARY_OP_MINUS,
  [ZJ_SCALAR_PRODUCT_OP] = 1 + GCC_JIT_BINARY_OP_MULT,
  [ZJ_SCALAR_DIVISION_OP] = 1 + GCC_JIT_BINARY_OP_DIVIDE,
  [ZJ_SCALAR_CONST_SET_OP] = 1 + GCC_JIT_BINARY_OP_PLUS,
  [ZJ_VECTOR_SUM_OP] = 1 + GCC_JIT_BINARY_OP_PLUS,
  [ZJ_VECTOR_DIFF_OP] = 1 + GCC_JIT_BINARY_OP_MINUS,
  [ZJ_VECTOR_PRODUCT_OP] = 1 + GCC_JIT_BINARY_OP_MULT,
  [ZJ_VECTOR_DIVISION_OP] = 1 + GCC_JIT_BINARY_OP_DIVIDE,
  [ZJ_SCALAR_VECTOR_PRODUCT_OP] = 1 + GCC_JIT_BINARY_OP_MULT,
  [ZJ_VECTOR_INNER_PRODUCT_OP] = 1 + GCC_JIT_BINARY_OP_PLUS,
};

bool
zj_pin_op_ok (int op)
{
  return op > 0 && op < ZJ_NUM_OPS && pin_binop[op] != 0;
}

/* The builder's state for one shape. */
typedef struct pb {
  gcc_jit_context *ctx;
  int F, C, S, V;
  gcc_jit_type *t_d, *t_v, *t_vu, *t_vup, *t_char, *t_charp, *t_size;
  gcc_jit_lvalue *reg[32];      /* by zmm number, ZJ_PIN_R0.. */
  gcc_jit_lvalue *hole_a, *hole_b, *hole_k;
  gcc_jit_function *cont;
  gcc_jit_param *par[4];        /* mem, row, s0, k of the current function */
  gcc_jit_function *fn;
  gcc_jit_block *b;
} pb;

/* zmm number of scalar a's chunk q / vector a's element e, chunk q. */
static int
sreg (int C, int a, int q)
{
  return ZJ_PIN_R0 + (a - 1) * C + q;
}

static int
vreg (int C, int S, int F, int a, int e, int q)
{
  return ZJ_PIN_R0 + (S - 1) * C + (a - 1) * F * C + e * C + q;
}

static gcc_jit_rvalue *
par (pb *P, int i)
{
  return gcc_jit_param_as_rvalue (P->par[i]);
}

/* *(v8d *) (base + bytes), unaligned-safe. */
static gcc_jit_lvalue *
at (pb *P, gcc_jit_rvalue *base, gcc_jit_rvalue *bytes)
{
  gcc_jit_rvalue *cp = gcc_jit_context_new_cast (P->ctx, NULL, base, P->t_charp);
  gcc_jit_lvalue *el = gcc_jit_context_new_array_access (P->ctx, NULL, cp, bytes);
  gcc_jit_rvalue *addr = gcc_jit_lvalue_get_address (el, NULL);
  return gcc_jit_rvalue_dereference (
    gcc_jit_context_new_cast (P->ctx, NULL, addr, P->t_vup), NULL);
}

static gcc_jit_rvalue *
isz (pb *P, long x)
{
  return gcc_jit_context_new_rvalue_from_long (P->ctx, P->t_size, x);
}

/* A hole's value as a size_t (its address as an integer). */
static gcc_jit_rvalue *
hole (pb *P, gcc_jit_lvalue *h)
{
  return gcc_jit_context_new_bitcast (P->ctx, NULL,
                                      gcc_jit_lvalue_get_address (h, NULL),
                                      P->t_size);
}

static gcc_jit_rvalue *
plus (pb *P, gcc_jit_rvalue *a, gcc_jit_rvalue *b)
{
  return gcc_jit_context_new_binary_op (P->ctx, NULL, GCC_JIT_BINARY_OP_PLUS,
                                        P->t_size, a, b);
}

/* Operand value: element e chunk q of scalar (kind S) or vector address a,
   address 0 from the s0 source or the example row. */
static gcc_jit_rvalue *
opnd (pb *P, zj_kind k, int a, int e, int q)
{
  if (k == ZJ_KIND_S)
    return a ? gcc_jit_lvalue_as_rvalue (P->reg[sreg (P->C, a, q)])
             : gcc_jit_lvalue_as_rvalue (at (P, par (P, 2), isz (P, (long) q * 64)));
  return a ? gcc_jit_lvalue_as_rvalue (P->reg[vreg (P->C, P->S, P->F, a, e, q)])
           : gcc_jit_lvalue_as_rvalue (at (P, par (P, 1),
                                           isz (P, ((long) e * P->C + q) * 64)));
}

static gcc_jit_lvalue *
out (pb *P, zj_kind k, int o, int e, int q)
{
  return k == ZJ_KIND_S ? P->reg[sreg (P->C, o, q)]
                        : P->reg[vreg (P->C, P->S, P->F, o, e, q)];
}

static gcc_jit_rvalue *
bin (pb *P, enum gcc_jit_binary_op op, gcc_jit_rvalue *x, gcc_jit_rvalue *y)
{
  return gcc_jit_context_new_binary_op (P->ctx, NULL, op, P->t_v, x, y);
}

/* Starts function NAME (mem, row, s0, k). */
static void
begin (pb *P, const char *name)
{
  gcc_jit_type *dp = gcc_jit_type_get_pointer (P->t_d);
  gcc_jit_type *cdp = gcc_jit_type_get_pointer (gcc_jit_type_get_const (P->t_d));
  P->par[0] = gcc_jit_context_new_param (P->ctx, NULL, dp, "mem");
  P->par[1] = gcc_jit_context_new_param (P->ctx, NULL, cdp, "row");
  P->par[2] = gcc_jit_context_new_param (P->ctx, NULL, cdp, "s0");
  P->par[3] = gcc_jit_context_new_param (P->ctx, NULL, cdp, "k");
  P->fn = gcc_jit_context_new_function (
    P->ctx, NULL, GCC_JIT_FUNCTION_EXPORTED,
    gcc_jit_context_get_type (P->ctx, GCC_JIT_TYPE_VOID), name, 4, P->par, 0);
  P->b = gcc_jit_function_new_block (P->fn, NULL);
}

/* Ends it with the required tail call CONTINUE (mem, row, s0, k). */
static void
end (pb *P)
{
  gcc_jit_rvalue *a[4] = { par (P, 0), par (P, 1), par (P, 2), par (P, 3) };
  gcc_jit_rvalue *call = gcc_jit_context_new_call (P->ctx, NULL, P->cont, 4, a);
  gcc_jit_rvalue_set_bool_require_tail_call (call, 1);
  gcc_jit_block_add_eval (P->b, NULL, call);
  gcc_jit_block_end_with_void_return (P->b, NULL);
}

/* Results into temporaries first, then into the pinned outputs. */
static void
assign_all (pb *P, gcc_jit_lvalue **dst, gcc_jit_rvalue **val, int n)
{
  gcc_jit_lvalue *tmp[ZJ_PIN_NREG];
  for (int i = 0; i < n; i++)
    {
      tmp[i] = gcc_jit_function_new_local (P->fn, NULL, P->t_v, "t");
      gcc_jit_block_add_assignment (P->b, NULL, tmp[i], val[i]);
    }
  for (int i = 0; i < n; i++)
    gcc_jit_block_add_assignment (P->b, NULL, dst[i],
                                  gcc_jit_lvalue_as_rvalue (tmp[i]));
}

/* The body of op with output o and inputs a, b. */
static void
body (pb *P, int op, int o, int a, int b)
{
  const zj_op_info *I = &zj_ops[op];
  const int F = P->F, C = P->C;
  gcc_jit_lvalue *dst[ZJ_PIN_NREG];
  gcc_jit_rvalue *val[ZJ_PIN_NREG];
  int n = 0;
  const enum gcc_jit_binary_op bo = (enum gcc_jit_binary_op) (pin_binop[op] - 1);
  switch (op)
    {
    case ZJ_SCALAR_CONST_SET_OP:
      {
        /* k[hole K] into every lane. */
        gcc_jit_rvalue *kp = gcc_jit_context_new_cast (P->ctx, NULL, par (P, 3), P->t_charp);
        gcc_jit_lvalue *kel = gcc_jit_context_new_array_access (P->ctx, NULL, kp, hole (P, P->hole_k));
        gcc_jit_rvalue *c = gcc_jit_lvalue_as_rvalue (gcc_jit_rvalue_dereference (
          gcc_jit_context_new_cast (P->ctx, NULL, gcc_jit_lvalue_get_address (kel, NULL),
                                    gcc_jit_type_get_pointer (gcc_jit_type_get_const (P->t_d))),
          NULL));
        gcc_jit_rvalue *el[W];
        for (int w = 0; w < W; w++)
          el[w] = c;
        for (int q = 0; q < C; q++)
          {
            dst[n] = out (P, ZJ_KIND_S, o, 0, q);
            val[n++] = gcc_jit_context_new_rvalue_from_vector (P->ctx, NULL, P->t_v, W, el);
          }
        break;
      }
    case ZJ_SCALAR_VECTOR_PRODUCT_OP:
      for (int e = 0; e < F; e++)
        for (int q = 0; q < C; q++)
          {
            dst[n] = out (P, ZJ_KIND_V, o, e, q);
            val[n++] = bin (P, bo, opnd (P, ZJ_KIND_S, a, 0, q),
                            opnd (P, ZJ_KIND_V, b, e, q));
          }
      break;
    case ZJ_VECTOR_INNER_PRODUCT_OP:
      /* zj_lreduce: acc[l] from -0.0, += x * y over i in steps of L, then
         (acc0 + acc1) + (acc2 + acc3), or acc0 + acc1 when L < 4. */
      for (int q = 0; q < C; q++)
        {
          const int L = F < 4 ? F : 4;
          gcc_jit_rvalue *z[W];
          gcc_jit_rvalue *mz = gcc_jit_context_new_rvalue_from_double (P->ctx, P->t_d, -0.0);
          for (int w = 0; w < W; w++)
            z[w] = mz;
          gcc_jit_rvalue *acc[4];
          for (int l = 0; l < 4; l++)
            acc[l] = gcc_jit_context_new_rvalue_from_vector (P->ctx, NULL, P->t_v, W, z);
          for (int i = 0; i < F; i += L)
            for (int l = 0; l < L; l++)
              acc[l] = bin (P, GCC_JIT_BINARY_OP_PLUS, acc[l],
                            bin (P, GCC_JIT_BINARY_OP_MULT,
                                 opnd (P, ZJ_KIND_V, a, i + l, q),
                                 opnd (P, ZJ_KIND_V, b, i + l, q)));
          dst[n] = out (P, ZJ_KIND_S, o, 0, q);
          val[n++] = L == 4
            ? bin (P, GCC_JIT_BINARY_OP_PLUS,
                   bin (P, GCC_JIT_BINARY_OP_PLUS, acc[0], acc[1]),
                   bin (P, GCC_JIT_BINARY_OP_PLUS, acc[2], acc[3]))
            : bin (P, GCC_JIT_BINARY_OP_PLUS, acc[0], acc[1]);
        }
      break;
    default:
      {
        /* Elementwise over the output's elements. */
        const int ne = I->out == ZJ_KIND_S ? 1 : F;
        for (int e = 0; e < ne; e++)
          for (int q = 0; q < C; q++)
            {
              dst[n] = out (P, I->out, o, e, q);
              val[n++] = bin (P, bo, opnd (P, I->in1, a, e, q),
                              opnd (P, I->in2, b, e, q));
            }
      }
    }
  assign_all (P, dst, val, n);
}

static void
build_ir (pb *P)
{
  gcc_jit_context *ctx = P->ctx;
  P->t_d = gcc_jit_context_get_type (ctx, GCC_JIT_TYPE_DOUBLE);
  P->t_v = gcc_jit_type_get_vector (P->t_d, W);
  P->t_vu = gcc_jit_type_get_aligned (P->t_v, 8);
  P->t_vup = gcc_jit_type_get_pointer (P->t_vu);
  P->t_char = gcc_jit_context_get_type (ctx, GCC_JIT_TYPE_CHAR);
  P->t_charp = gcc_jit_type_get_pointer (P->t_char);
  P->t_size = gcc_jit_context_get_type (ctx, GCC_JIT_TYPE_SIZE_T);
  const int nreg = (P->S - 1) * P->C + (P->V - 1) * P->F * P->C;
  char nm[64];
  for (int r = ZJ_PIN_R0; r < ZJ_PIN_R0 + nreg; r++)
    {
      snprintf (nm, sizeof nm, "zj_pin_reg%d", r);
      P->reg[r] = gcc_jit_context_new_global (ctx, NULL, GCC_JIT_GLOBAL_INTERNAL,
                                              P->t_v, nm);
      snprintf (nm, sizeof nm, "zmm%d", r);
      gcc_jit_lvalue_set_register_name (P->reg[r], nm);
    }
  P->hole_a = gcc_jit_context_new_global (ctx, NULL, GCC_JIT_GLOBAL_IMPORTED,
                                          P->t_char, "zj_hole_a");
  P->hole_b = gcc_jit_context_new_global (ctx, NULL, GCC_JIT_GLOBAL_IMPORTED,
                                          P->t_char, "zj_hole_b");
  P->hole_k = gcc_jit_context_new_global (ctx, NULL, GCC_JIT_GLOBAL_IMPORTED,
                                          P->t_char, "zj_hole_k");
  gcc_jit_type *dp = gcc_jit_type_get_pointer (P->t_d);
  gcc_jit_type *cdp = gcc_jit_type_get_pointer (gcc_jit_type_get_const (P->t_d));
  gcc_jit_param *cp[4] = {
    gcc_jit_context_new_param (ctx, NULL, dp, "mem"),
    gcc_jit_context_new_param (ctx, NULL, cdp, "row"),
    gcc_jit_context_new_param (ctx, NULL, cdp, "s0"),
    gcc_jit_context_new_param (ctx, NULL, cdp, "k"),
  };
  P->cont = gcc_jit_context_new_function (
    ctx, NULL, GCC_JIT_FUNCTION_IMPORTED,
    gcc_jit_context_get_type (ctx, GCC_JIT_TYPE_VOID), "CONTINUE", 4, cp, 0);
  /* Fill and spill per address: scalar a chunk q at mem + A + (a * C + q)
     * 64, vector a element e chunk q at mem + B + ((a * F + e) * C + q) *
     64.  A component fills what it reads before writing and spills what
     it writes. */
  for (int dir = 0; dir < 2; dir++)
    for (int kind = 0; kind < 2; kind++)
      for (int a = 1; a < (kind ? P->V : P->S); a++)
        {
          snprintf (nm, sizeof nm, "zj_pin_%s_%c_%d", dir ? "spill" : "fill",
                    kind ? 'v' : 's', a);
          begin (P, nm);
          const int ne = kind ? P->F : 1;
          for (int e = 0; e < ne; e++)
            for (int q = 0; q < P->C; q++)
              {
                const long off = kind ? (((long) a * P->F + e) * P->C + q) * 64
                                      : ((long) a * P->C + q) * 64;
                gcc_jit_lvalue *m = at (P, par (P, 0),
                                        plus (P, hole (P, kind ? P->hole_b : P->hole_a),
                                              isz (P, off)));
                gcc_jit_lvalue *r = kind ? P->reg[vreg (P->C, P->S, P->F, a, e, q)]
                                         : P->reg[sreg (P->C, a, q)];
                gcc_jit_block_add_assignment (P->b, NULL, dir ? m : r,
                                              gcc_jit_lvalue_as_rvalue (dir ? r : m));
              }
          end (P);
        }
  for (int op = 1; op < ZJ_NUM_OPS; op++)
    {
      if (!zj_pin_op_ok (op))
        continue;
      const zj_op_info *I = &zj_ops[op];
      const int no = kind_range (I->out, P->S, P->V),
        na = kind_range (I->in1, P->S, P->V), nb = kind_range (I->in2, P->S, P->V);
      for (int o = 1; o < no; o++)
        for (int a = 0; a < na; a++)
          for (int b = 0; b < nb; b++)
            {
              snprintf (nm, sizeof nm, "zj_pin_%d_%d_%d_%d", op, o, a, b);
              begin (P, nm);
              body (P, op, o, a, b);
              end (P);
            }
    }
}

/* The index of op's stencil for (o, a, b) in lib->st, or -1. */
static long
slot_index (const zj_pin_lib *lib, int op, int o, int a, int b)
{
  if (!zj_pin_op_ok (op))
    return -1;
  const zj_op_info *I = &zj_ops[op];
  const int no = kind_range (I->out, lib->S, lib->V),
    na = kind_range (I->in1, lib->S, lib->V), nb = kind_range (I->in2, lib->S, lib->V);
  if (o < 0 || o >= no || a < 0 || a >= na || b < 0 || b >= nb)
    return -1;
  return (long) lib->first[op] + ((long) o * na + a) * nb + b;
}

/* lib->first and lib->nst for the ops build_ir builds. */
static void
lay_out (zj_pin_lib *lib)
{
  size_t n = 0;
  for (int op = 0; op < ZJ_NUM_OPS; op++)
    {
      lib->first[op] = n;
      n += op_slots (op, lib->S, lib->V);
    }
  lib->nst = n;
}

static zj_stencil *
pin_slot (void *ctx, const char *nm)
{
  zj_pin_lib *lib = ctx;
  int op, o, a, b;
  char dir[8], kind;
  if (sscanf (nm, "zj_pin_%5[a-z]_%c_%d", dir, &kind, &a) == 3
      && (!strcmp (dir, "fill") || !strcmp (dir, "spill"))
      && (kind == 's' || kind == 'v') && a > 0
      && a < (kind == 'v' ? lib->V : lib->S))
    return &lib->move[!strcmp (dir, "spill")][kind == 'v'][a];
  if (sscanf (nm, "zj_pin_%d_%d_%d_%d", &op, &o, &a, &b) != 4)
    return NULL;
  const long i = slot_index (lib, op, o, a, b);
  return i < 0 ? NULL : &lib->st[i];
}

int
zj_pin_lib_load (zj_pin_lib *lib, int F, int C, int S, int V, zj_error *err)
{
  memset (lib, 0, sizeof *lib);
  if (!zj_pin_fits (F, C, S, V))
    {
      zj_error_set (err, "pinned stencils: F=%d C=%d S=%d V=%d does not fit", F, C, S, V);
      return -1;
    }
  const char *fail = getenv ("ZEROJIT_FAIL_COMPILE");
  if (fail && !strcmp (fail, "1"))
    {
      zj_error_set (err, "pinned stencils: build failed (ZEROJIT_FAIL_COMPILE=1)");
      return -1;
    }
  lib->F = F;
  lib->C = C;
  lib->S = S;
  lib->V = V;
  lay_out (lib);
  lib->st = zj_xcalloc (lib->nst, sizeof *lib->st);
  /* The object is cached like the lane libraries (stencil_lib.c): built
     into a temporary file beside it, renamed into place. */
  char dir[900], path[1000], tmp[1100];
  zj_stencil_cache_dir (dir, sizeof dir);
  snprintf (path, sizeof path, "%s/pin-v%d-F%d-C%d-S%d-V%d-avx512.o", dir,
            ZJ_PIN_VERSION, F, C, S, V);
  size_t len = 0;
  zj_error ignored = { "" };
  uint8_t *img = (uint8_t *) zj_read_file (path, &len, &ignored);
  if (!img)
    {
      /* The directory exists: the lane library, loaded first, made it. */
      snprintf (tmp, sizeof tmp, "%s.tmp.%ld", path, (long) getpid ());
      gcc_jit_context *ctx = gcc_jit_context_acquire ();
      gcc_jit_context_add_command_line_option (ctx, "-fno-pic");
      gcc_jit_context_add_command_line_option (ctx, "-mno-vzeroupper");
      gcc_jit_context_add_command_line_option (ctx, "-w");
      zj_lane_context_setup (ctx, W, 2);
      pb P = { .ctx = ctx, .F = F, .C = C, .S = S, .V = V };
      build_ir (&P);
      gcc_jit_context_compile_to_file (ctx, GCC_JIT_OUTPUT_KIND_OBJECT_FILE, tmp);
      const char *e = gcc_jit_context_get_first_error (ctx);
      if (e)
        zj_error_set (err, "pinned stencils F=%d C=%d S=%d V=%d: %s", F, C, S, V, e);
      gcc_jit_context_release (ctx);
      if (!e && rename (tmp, path) != 0)
        unlink (tmp);
      img = e ? NULL : (uint8_t *) zj_read_file (access (path, F_OK) == 0 ? path : tmp,
                                                  &len, err);
      unlink (tmp);
    }
  if (!img)
    {
      zj_pin_lib_free (lib);
      return -1;
    }
  lib->image = img;
  if (zj_execmem_init (&lib->mem, ZJ_EXECMEM_SIZE) != 0
      || zj_stencil_elf_parse_slots (&lib->mem, img, len, pin_slot, lib, err) != 0)
    {
      if (!err->msg[0])
        zj_error_set (err, "pinned stencils: cannot load the object");
      zj_pin_lib_free (lib);
      return -1;
    }
  char label[32];
  snprintf (label, sizeof label, "pin:F%d", F);
  zj_perf_map_open (&lib->perf, &lib->mem, label);
  return 0;
}

void
zj_pin_lib_free (zj_pin_lib *lib)
{
  zj_perf_map_close (&lib->perf);
  if (lib->st)
    for (size_t i = 0; i < lib->nst; i++)
      free (lib->st[i].rel);
  for (int d = 0; d < 2; d++)
    for (int k = 0; k < 2; k++)
      for (int a = 0; a < ZJ_PIN_MAXADDR; a++)
        free (lib->move[d][k][a].rel);
  free (lib->st);
  if (lib->mem.base)
    zj_execmem_destroy (&lib->mem);
  free (lib->image);
  memset (lib, 0, sizeof *lib);
}

const zj_stencil *
zj_pin_stencil (const zj_pin_lib *lib, int op, int o, int a, int b)
{
  const long i = slot_index (lib, op, o, a, b);
  return i >= 0 && lib->st[i].size ? &lib->st[i] : NULL;
}

void
zj_pin_sets (const zj_sinst *ins, int n, bool rd[2][ZJ_PIN_MAXADDR],
             bool wr[2][ZJ_PIN_MAXADDR])
{
  memset (rd, 0, 2 * ZJ_PIN_MAXADDR * sizeof (bool));
  memset (wr, 0, 2 * ZJ_PIN_MAXADDR * sizeof (bool));
  for (int i = 0; i < n; i++)
    {
      const zj_op_info *I = &zj_ops[ins[i].op];
      const zj_kind kin[2] = { I->in1, I->in2 };
      for (int j = 0; j < 2; j++)
        if ((kin[j] == ZJ_KIND_S || kin[j] == ZJ_KIND_V) && ins[i].addr[j + 1] > 0)
          {
            const int k = kin[j] == ZJ_KIND_V, a = ins[i].addr[j + 1];
            if (!wr[k][a])
              rd[k][a] = true;
          }
      wr[I->out == ZJ_KIND_V][ins[i].addr[0]] = true;
    }
}

int
zj_pin_chain_parts (int n, const bool fill[2][ZJ_PIN_MAXADDR],
                    const bool spill[2][ZJ_PIN_MAXADDR], zj_pin_part *parts)
{
  int m = 0;
  for (int dir = 0; dir < 2; dir++)
    {
      for (int k = 0; k < 2; k++)
        for (int a = 1; a < ZJ_PIN_MAXADDR; a++)
          if (dir ? spill[k][a] : fill[k][a])
            parts[m++] = (zj_pin_part) {
              dir ? ZJ_PIN_PART_SPILL : ZJ_PIN_PART_FILL, k, a, -1 };
      if (dir == 0)
        for (int i = 0; i < n; i++)
          parts[m++] = (zj_pin_part) { ZJ_PIN_PART_OP, 0, 0, i };
    }
  return m;
}

/* The perf map's lines of a chain emitted at code with its parts at
   offs[0..m], bytes long. */
static void
perf_chain (zj_pin_lib *lib, const char *name, const zj_sinst *ins,
            const zj_pin_part *parts, int m, const uint8_t *code,
            const uint32_t *offs, size_t bytes)
{
  zj_perf_lines w;
  if (!zj_perf_lines_begin (&w, &lib->perf))
    return;
  char nm[96];
  for (int j = 0; j < m; j++)
    {
      const zj_pin_part *q = &parts[j];
      if (q->what == ZJ_PIN_PART_OP)
        snprintf (nm, sizeof nm, "%s:%d:%s", name, q->i, zj_ops[ins[q->i].op].name);
      else
        snprintf (nm, sizeof nm, "%s:%s:%c%d", name,
                  q->what == ZJ_PIN_PART_FILL ? "fill" : "spill",
                  q->kind ? 'v' : 's', q->a);
      zj_perf_lines_add (&w, code + offs[j], offs[j + 1] - offs[j], nm);
    }
  snprintf (nm, sizeof nm, "%s:ret", name);
  zj_perf_lines_add (&w, code + offs[m], bytes - offs[m], nm);
  zj_perf_lines_end (&w);
}

zj_stencil_fn
zj_pin_emit_chain (zj_pin_lib *lib, const char *name, const zj_sinst *ins,
                   int n, const bool fill[2][ZJ_PIN_MAXADDR],
                   const bool spill[2][ZJ_PIN_MAXADDR], bool vzu,
                   size_t s_bytes, size_t v_bytes, size_t *bytes,
                   uint32_t *offs)
{
  const int nmax = ZJ_PIN_PARTS_MAX (n);
  zj_pin_part *parts = zj_xmalloc ((size_t) nmax * sizeof *parts);
  uint32_t *own = NULL;
  if (!offs && lib->perf.on)
    offs = own = zj_xmalloc ((size_t) (nmax + 1) * sizeof *own);
  size_t nbytes = 0;
  const zj_stencil **st = zj_xmalloc ((size_t) nmax * sizeof *st);
  zj_sinst *hs = zj_xcalloc ((size_t) nmax, sizeof *hs);
  zj_stencil_fn fn = NULL;
  const int m = zj_pin_chain_parts (n, fill, spill, parts);
  for (int j = 0; j < m; j++)
    {
      const zj_pin_part *q = &parts[j];
      if (q->what == ZJ_PIN_PART_OP)
        {
          const zj_sinst *in = &ins[q->i];
          st[j] = zj_pin_stencil (lib, in->op, in->addr[0], in->addr[1], in->addr[2]);
          if (!st[j])
            goto out;
          hs[j] = *in;
          continue;
        }
      st[j] = &lib->move[q->what == ZJ_PIN_PART_SPILL][q->kind][q->a];
      if (!st[j]->size)
        goto out;
      hs[j].hole[ZJ_HOLE_A] = s_bytes;
      hs[j].hole[ZJ_HOLE_B] = v_bytes;
    }
  fn = zj_stencil_emit_list (&lib->mem, st, hs, m, vzu, &nbytes, offs);
  if (fn && offs && lib->perf.on)
    perf_chain (lib, name, ins, parts, m, (const uint8_t *) (void *) fn, offs, nbytes);
  if (bytes)
    *bytes = nbytes;
out:
  free (own);
  free (parts);
  free (st);
  free (hs);
  return fn;
}
