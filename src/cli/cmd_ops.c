/* cmd_ops.c -- `zerojit ops`: the op table (include/zerojit/ops.def) as
 * text: id, name, operand kinds and the printed form.
 */
#include "config.h"
#include "internal.h"
#include "cli.h"

static const char *
kind_name (zj_kind k)
{
  static const char *n[] = { "-", "scalar", "vector", "matrix" };
  return n[k];
}

/* The printed form with placeholders spelled out: "so = sa + sb". */
static void
render_form (const zj_op_info *o, char *buf, size_t n)
{
  static const char letter[] = { '?', 's', 'v', 'm' };
  size_t k = 0;
  for (const char *f = o->form; *f && k + 8 < n; f++)
    {
      if (*f != '$')
        {
          buf[k++] = *f;
          continue;
        }
      f++;
      switch (*f)
        {
        case 'o': buf[k++] = letter[o->out]; buf[k++] = 'o'; break;
        case 'a': buf[k++] = letter[o->in1]; buf[k++] = 'a'; break;
        case 'b': buf[k++] = letter[o->in2]; buf[k++] = 'b'; break;
        case 'A': k += (size_t) snprintf (buf + k, n - k, "<act>"); break;
        default: k += (size_t) snprintf (buf + k, n - k, "<fd%c>", *f); break;
        }
    }
  buf[k] = '\0';
}

static int
run (zj_cli *cli)
{
  (void) cli;
  printf ("%-3s %-28s %-7s %-7s %-7s %s\n", "id", "name", "in1", "in2", "out", "printed as");
  for (int i = 0; i < ZJ_NUM_OPS; i++)
    {
      char form[128];
      render_form (&zj_ops[i], form, sizeof form);
      printf ("%-3d %-28s %-7s %-7s %-7s %s\n", i, zj_ops[i].name,
              kind_name (zj_ops[i].in1), kind_name (zj_ops[i].in2),
              kind_name (zj_ops[i].out), form);
    }
  return 0;
}

const zj_command zj_cmd_ops = {
  "ops", "", "list the 65 ops: id, name, operand kinds, printed form",
  "Lists every op of the instruction set, one per line: its id, name, the "
  "kinds of its inputs and output (scalar, vector, matrix) and how a "
  "program prints it.  doc/semantics.md gives each op's meaning.",
  NULL, 0, 0, run,
};
