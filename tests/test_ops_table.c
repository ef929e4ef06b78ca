/* test_ops_table.c -- the op table's columns: random, cost, data. */
#include <criterion/criterion.h>
#include "testutil.h"
#include "internal.h"
#include "identity.h"
#include "cost.h"

/* ------------------------------------------------ the table's columns */
/* The rand column says which ops draw: exactly the uniform and gaussian
   set ops (their data are distribution parameters). */
Test (table, random_column)
{
  int n = 0;
  for (int op = 0; op < ZJ_NUM_OPS; op++)
    {
      const zj_data_kind d = zj_ops[op].data;
      cr_assert_eq (zj_op_is_random (op), d == ZJ_DATA_UNIF || d == ZJ_DATA_GAUSS,
                    "%s", zj_ops[op].name);
      n += zj_op_is_random (op);
    }
  cr_assert_eq (n, 6);
  cr_assert (!zj_op_is_random (-1) && !zj_op_is_random (ZJ_NUM_OPS));
}

/* The library's inline zj_op_is_random (internal.h) answers as the
   exported function, out-of-range ops included. */
Test (table, random_column_inline)
{
  for (int op = -3; op < ZJ_NUM_OPS + 3; op++)
    {
      const bool want = op >= 0 && op < ZJ_NUM_OPS && zj_ops[op].random;
      cr_assert_eq (zj_op_is_random_inl (op), want, "op %d", op);
      cr_assert_eq ((zj_op_is_random) (op), want, "op %d", op);
    }
  cr_assert (!zj_op_is_random_inl (INT32_MIN));
}

/* The cost column: 2 for dispatch plus the op's work at F. */
Test (table, cost_column)
{
  cr_assert_eq (zj_op_cost (ZJ_NO_OP, 4), 2.0);
  cr_assert_eq (zj_op_cost (ZJ_SCALAR_SUM_OP, 4), 3.0);
  cr_assert_eq (zj_op_cost (ZJ_VECTOR_SUM_OP, 8), 10.0);
  cr_assert_eq (zj_op_cost (ZJ_MATRIX_SUM_OP, 4), 18.0);
  cr_assert_eq (zj_op_cost (ZJ_MATRIX_MEAN_OP, 4), 18.0);    /* reads F*F */
  cr_assert_eq (zj_op_cost (ZJ_MATRIX_VECTOR_PRODUCT_OP, 4), 34.0);
  cr_assert_eq (zj_op_cost (ZJ_MATRIX_MATRIX_PRODUCT_OP, 4), 130.0);
  cr_assert_eq (zj_op_cost (ZJ_SCALAR_LOG_OP, 16), 22.0);
  cr_assert_eq (zj_op_cost (ZJ_VECTOR_CONST_SET_OP, 16), 3.0);
  cr_assert_eq (zj_op_cost (ZJ_SCALAR_CONST_SET_OP, 16), 3.0);
  cr_assert_eq (zj_op_cost (ZJ_VECTOR_GAUSSIAN_SET_OP, 4), 42.0);
  cr_assert_eq (zj_op_cost (ZJ_MATRIX_UNIFORM_SET_OP, 4), 162.0);
}

/* The data columns: what the kernels read, and the constant table. */
Test (table, data_decode)
{
  const int F = 4;
  double c[2];
  zj_instr in = zj_test_ins (ZJ_VECTOR_CONST_SET_OP, 0, 0, 1);
  in.fd[0] = 0.5f; in.fd[1] = -0.25f;
  cr_assert_eq (zj_data_decode (&in, F, c), 2);
  cr_assert_eq (c[0], -0.25);
  cr_assert_eq (c[1], 0.0);
  in = zj_test_ins (ZJ_MATRIX_CONST_SET_OP, 0, 0, 0);
  in.fd[0] = 0.25f; in.fd[1] = 0.75f; in.fd[2] = 0.5f;
  cr_assert_eq (zj_data_decode (&in, F, c), 3 * F + 1);    /* row 1, column 3 */
  cr_assert_eq (c[0], 0.5);
  in = zj_test_ins (ZJ_SCALAR_UNIFORM_SET_OP, 0, 0, 1);
  in.fd[0] = -0.5f; in.fd[1] = 0.75f;
  cr_assert_eq (zj_data_decode (&in, F, c), 0);
  cr_assert (c[0] == -0.5 && c[1] == 0.75);
  in = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, 1);
  in.act = 0.1;
  cr_assert_eq (zj_data_decode (&in, F, c), 0);
  cr_assert_eq (c[0], 0.1);
  cr_assert_eq (zj_op_const_count (ZJ_NO_OP), 0);
  cr_assert_eq (zj_op_const_count (ZJ_SCALAR_CONST_SET_OP), 1);
  cr_assert_eq (zj_op_const_count (ZJ_MATRIX_CONST_SET_OP), 2);
  cr_assert_eq (zj_op_const_count (ZJ_VECTOR_GAUSSIAN_SET_OP), 2);
  /* The constant table of a program: offsets and values in order. */
  zj_program p;
  zj_program_init (&p);
  zj_instr m = zj_test_ins (ZJ_MATRIX_CONST_SET_OP, 0, 0, 0);
  m.fd[0] = 0.25f; m.fd[1] = 0.75f; m.fd[2] = 0.5f;
  zj_instr a = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, 1);
  a.act = 0.1;
  zj_fn_push (&p.fn[ZJ_SETUP], m);
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_SUM_OP, 1, 1, 1));
  zj_fn_push (&p.fn[ZJ_LEARN], a);
  cr_assert_eq (zj_const_count (&p), 3);
  double k[3];
  zj_const_fill (&p, F, k);
  cr_assert (k[0] == 13.0 && k[1] == 0.5 && k[2] == 0.1);
  zj_program_free (&p);
}
