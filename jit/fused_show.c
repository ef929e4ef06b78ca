/* fused_show.c -- the listing of a program's fused step kernels
 * (zerojit show --tier=fused; fused.h).
 *
 * The kernels are built as a search builds them, except that every
 * statement carries a source location: a line of a small file listing the
 * program (one line per Predict/Learn instruction, one for each
 * function's loop and prologue, one for its stores).  Compiled with debug
 * info, the line table then says which program instruction each machine
 * instruction comes from, and the listing groups the disassembly
 * (objdump -dl, or the assembly's .loc directives without objdump) under
 * the instructions.  GCC schedules the statements of several instructions
 * together, so a group's addresses need not be contiguous: the addresses
 * give the order the code runs in.  --emit=c prints libgccjit's C-like
 * reproducer instead, with a comment before each instruction's
 * statements.
 */
#include "config.h"
#include "fused.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SRC_NAME "program.zj"

/* One machine instruction: its line in the program file (0: none) and
   the function it is in (0 Predict, 1 Learn, -1 unknown). */
typedef struct mline {
  int line, fn;
  char *text;
} mline;

typedef struct mlist {
  mline *v;
  size_t n, cap;
} mlist;

static void
mlist_add (mlist *l, int line, int fn, const char *text)
{
  if (l->n == l->cap)
    {
      l->cap = l->cap ? 2 * l->cap : 256;
      l->v = zj_xrealloc (l->v, l->cap * sizeof *l->v);
    }
  const size_t len = strcspn (text, "\n");
  char *t = zj_xmalloc (len + 1);
  memcpy (t, text, len);
  t[len] = '\0';
  l->v[l->n++] = (mline) { line, fn, t };
}

static void
mlist_free (mlist *l)
{
  for (size_t i = 0; i < l->n; i++)
    free (l->v[i].text);
  free (l->v);
}

static int
fn_of (const char *name)
{
  if (strstr (name, "zj_fused_predict"))
    return 0;
  if (strstr (name, "zj_fused_learn"))
    return 1;
  return -1;
}

/* "PATH:LINE" or "PATH:LINE (discriminator N)": the line.  (libgccjit 12
   names the file of every location after its own fake.c in the line
   table; the line numbers are ours.) */
static bool
line_mark (const char *buf, int *line)
{
  const char *d = strstr (buf, " (discriminator");
  const size_t end = d ? (size_t) (d - buf) : strcspn (buf, "\n");
  size_t i = end;
  while (i > 0 && buf[i - 1] >= '0' && buf[i - 1] <= '9')
    i--;
  if (i == end || i == 0 || buf[i - 1] != ':')
    return false;
  *line = atoi (buf + i);
  return true;
}

/* objdump -dl of the object: "PATH:LINE" lines give the line of the
   instructions after them.  0 when it printed no instruction. */
static size_t
read_objdump (const char *obj, mlist *l)
{
  char cmd[1024];
  snprintf (cmd, sizeof cmd, "objdump -dl --no-show-raw-insn %s 2>/dev/null", obj);
  FILE *pipe = popen (cmd, "r");
  if (!pipe)
    return 0;
  char buf[1024];
  int line = 0, fn = -1;
  const size_t n0 = l->n;
  while (fgets (buf, sizeof buf, pipe))
    {
      unsigned long addr;
      char c;
      if (buf[0] == '/' && line_mark (buf, &line))
        ;
      else if (strchr (buf, '<') && strstr (buf, ">:"))
        {
          fn = fn_of (buf);
          line = 0;
        }
      else if (sscanf (buf, " %lx%c", &addr, &c) == 2 && c == ':'
               && buf[0] == ' ')
        mlist_add (l, line, fn, buf);
    }
  pclose (pipe);
  return l->n - n0;
}

/* The assembly: ".loc FILE LINE" directives give the line of the
   instructions after them. */
static size_t
read_asm (const char *path, mlist *l)
{
  FILE *f = fopen (path, "r");
  if (!f)
    return 0;
  char buf[1024];
  int line = 0, fn = -1, file, ln;
  const size_t n0 = l->n;
  while (fgets (buf, sizeof buf, f))
    {
      if (sscanf (buf, " .loc %d %d", &file, &ln) == 2)
        line = ln;
      else if (buf[0] != '\t' && buf[0] != ' ' && strchr (buf, ':'))
        {
          const int g = fn_of (buf);
          if (g >= 0)
            {
              fn = g;
              line = 0;
            }
        }
      else if (buf[0] == '\t' && buf[1] != '.' && buf[1] != '\n')
        mlist_add (l, line, fn, buf);
    }
  fclose (f);
  return l->n - n0;
}

/* Prints the machine instructions of function fn attributed to a line in
   [lo, hi] (frame: also those with no line of this program). */
static int
print_group (const mlist *l, int fn, int lo, int hi, bool frame, FILE *out)
{
  int n = 0;
  for (size_t i = 0; i < l->n; i++)
    {
      const mline *m = &l->v[i];
      const bool mine = m->line >= lo && m->line <= hi;
      if (m->fn == fn && (mine || (frame && m->line <= 0)))
        {
          fprintf (out, "    %s\n", m->text[0] == '\t' ? m->text + 1 : m->text);
          n++;
        }
    }
  if (!n)
    fprintf (out, "    (no machine code of its own: folded into others)\n");
  return n;
}

static char *
instr_text (const zj_instr *in)
{
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&text, &len);
  if (!f)
    return zj_xstrdup ("?");
  zj_instr_print (in, false, f);
  fclose (f);
  return text;
}

int
zj_fused_listing (const zj_program *p, const zj_fused_geom *g, bool asm_,
                  FILE *out, zj_error *err)
{
  char why[512];
  if (zj_fused_why_not (p, g->lay.F, why, sizeof why))
    {
      zj_error_set (err, "--tier=fused: %s", why);
      return -1;
    }
  char dir[] = "/tmp/zerojit-fused-XXXXXX";
  if (!mkdtemp (dir))
    {
      zj_error_set (err, "--tier=fused: cannot create a temporary directory");
      return -1;
    }
  char src[64], obj[64], sfile[64], cfile[64];
  snprintf (src, sizeof src, "%s/" SRC_NAME, dir);
  snprintf (obj, sizeof obj, "%s/fused.o", dir);
  snprintf (sfile, sizeof sfile, "%s/fused.s", dir);
  snprintf (cfile, sizeof cfile, "%s/fused.c", dir);

  /* The program file: line numbers of each function's frame, its
     instructions (m in kernel order, as decode counts them) and stores. */
  const int n = p->fn[ZJ_PREDICT].n + p->fn[ZJ_LEARN].n;
  char **text = zj_xcalloc ((size_t) (n ? n : 1), sizeof *text);
  int *ins_line = zj_xcalloc ((size_t) (n ? n : 1), sizeof *ins_line);
  int frame_line[2], store_line[2], first[2], m = 0, line = 0;
  FILE *sf = fopen (src, "w");
  for (int c = 0; c < 2; c++)
    {
      const zj_fn *f = &p->fn[c ? ZJ_LEARN : ZJ_PREDICT];
      frame_line[c] = ++line;
      if (sf)
        fprintf (sf, "def %s():  # the loop over the chunks\n", c ? "Learn" : "Predict");
      first[c] = m;
      for (int i = 0; i < f->n; i++)
        if (f->ins[i].op != ZJ_NO_OP)
          {
            text[m] = instr_text (&f->ins[i]);
            ins_line[m] = ++line;
            if (sf)
              fprintf (sf, "  %s\n", text[m]);
            m++;
          }
      store_line[c] = ++line;
      if (sf)
        fprintf (sf, "  # stores of the elements read later\n");
    }
  if (sf)
    fclose (sf);

  int rc = -1;
  gcc_jit_context *ctx = gcc_jit_context_acquire ();
  if (!ctx)
    {
      zj_error_set (err, "--tier=fused: cannot create a libgccjit context");
      goto out;
    }
  zj_fused_setup_ctx (ctx, g->W);
  gcc_jit_context_set_bool_option (ctx, GCC_JIT_BOOL_OPTION_DEBUGINFO, 1);
  gcc_jit_location **locs = zj_xcalloc ((size_t) (m ? m : 1), sizeof *locs);
  for (int i = 0; i < m; i++)
    locs[i] = gcc_jit_context_new_location (ctx, src, ins_line[i], 1);
  zj_fused_ann ann = { .ins = locs, .text = asm_ ? NULL : (const char *const *) text };
  for (int c = 0; c < 2; c++)
    {
      ann.frame[c] = gcc_jit_context_new_location (ctx, src, frame_line[c], 1);
      ann.store[c] = gcc_jit_context_new_location (ctx, src, store_line[c], 1);
    }
  if (zj_fused_build_ann (ctx, p, g, "zj_fused_predict", "zj_fused_learn", &ann, err) == 0)
    {
      fprintf (out, "%s fused step kernels: F=%d, %d tasks in %d lanes (%d chunks "
               "of %d), v0/s0 %s; -O1 -ffp-contract=off%s%s\n",
               asm_ ? "#" : "/*", g->lay.F, g->nt, g->C * g->W, g->C, g->W,
               g->patch ? "read from the example row" : "in memory",
               g->W == 8 ? " -mavx512f" : " -mavx2", asm_ ? "" : " */");
      if (!asm_)
        {
          gcc_jit_context_dump_to_file (ctx, cfile, 0);
          FILE *in = fopen (cfile, "r");
          if (in)
            {
              char buf[4096];
              size_t k;
              while ((k = fread (buf, 1, sizeof buf, in)) > 0)
                fwrite (buf, 1, k, out);
              fclose (in);
              rc = 0;
            }
          else
            zj_error_set (err, "--tier=fused: the C dump failed");
        }
      else
        {
          mlist l = { 0 };
          gcc_jit_context_compile_to_file (ctx, GCC_JIT_OUTPUT_KIND_OBJECT_FILE, obj);
          const char *how = "objdump -dl";
          bool objdump = true;
          if (!gcc_jit_context_get_first_error (ctx) && read_objdump (obj, &l) == 0)
            {
              objdump = false;
              /* No objdump: the compiler's own assembly and line marks. */
              gcc_jit_context_compile_to_file (ctx, GCC_JIT_OUTPUT_KIND_ASSEMBLER, sfile);
              read_asm (sfile, &l);
              how = "the assembly's .loc lines (objdump not found)";
            }
          const char *e = gcc_jit_context_get_first_error (ctx);
          if (e || l.n == 0)
            zj_error_set (err, "--tier=fused: compile failed: %s", e ? e : "no code");
          else
            {
              fprintf (out, "# each instruction's machine code from %s; GCC "
                       "schedules instructions together, %s\n", how,
                       objdump ? "the addresses give the order"
                       : "each group in the assembly's order");
              for (int c = 0; c < 2; c++)
                {
                  int cnt = 0;
                  for (size_t i = 0; i < l.n; i++)
                    cnt += l.v[i].fn == c;
                  fprintf (out, "def %s():   # zj_fused_%s: %d machine instructions\n",
                           c ? "Learn" : "Predict", c ? "learn" : "predict", cnt);
                  fprintf (out, "  # the loop over the chunks%s\n",
                           c ? "" : ", prefetch of the rows ahead");
                  print_group (&l, c, frame_line[c], frame_line[c], true, out);
                  const int end = c ? m : first[1];
                  for (int i = first[c]; i < end; i++)
                    {
                      fprintf (out, "  %s\n", text[i]);
                      print_group (&l, c, ins_line[i], ins_line[i], false, out);
                    }
                  fprintf (out, "  # stores of the elements read later\n");
                  print_group (&l, c, store_line[c], store_line[c], false, out);
                }
              rc = 0;
            }
          mlist_free (&l);
        }
    }
  free (locs);
  gcc_jit_context_release (ctx);
out:
  for (int i = 0; i < n; i++)
    free (text[i]);
  free (text);
  free (ins_line);
  unlink (src);
  unlink (obj);
  unlink (sfile);
  unlink (cfile);
  rmdir (dir);
  return rc;
}
