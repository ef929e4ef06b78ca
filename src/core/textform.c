/* textform.c -- the human-readable program text, printed and parsed.
 *
 * Both directions are driven by the `form` templates of ops.def, so the
 * printer and the parser cannot disagree about an op: `$o`/`$a`/`$b` are
 * out/in1/in2 with their kind letter (s, v, m), `$A` is the activation
 * constant, `$0`..`$2` are the float constants.  The default number format
 * is the original's (C++ ostream default, i.e. %g); lossless mode uses
 * %.17g for doubles and %.9g for floats, the shortest fixed precisions
 * that round-trip every value through strtod/strtof.
 */
#include "internal.h"
#include <ctype.h>
#include <errno.h>
#include <string.h>

/* ---------------------------------------------------------------- printing */

static char
kind_letter (zj_kind k)
{
  return k == ZJ_KIND_S ? 's' : k == ZJ_KIND_V ? 'v' : 'm';
}

static void
print_number (double x, bool is_float, bool lossless, FILE *out)
{
  if (!lossless)
    fprintf (out, "%g", x);
  else
    fprintf (out, is_float ? "%.9g" : "%.17g", x);
}

void
zj_instr_print (const zj_instr *in, bool lossless, FILE *out)
{
  const zj_op_info *o = &zj_ops[in->op < ZJ_NUM_OPS ? in->op : 0];
  for (const char *t = o->form; *t; t++)
    {
      if (*t != '$')
        {
          fputc (*t, out);
          continue;
        }
      t++;
      switch (*t)
        {
        case 'o': fprintf (out, "%c%u", kind_letter (o->out), in->out); break;
        case 'a': fprintf (out, "%c%u", kind_letter (o->in1), in->in1); break;
        case 'b': fprintf (out, "%c%u", kind_letter (o->in2), in->in2); break;
        case 'A': print_number (in->act, false, lossless, out); break;
        default:  print_number (in->fd[*t - '0'], true, lossless, out); break;
        }
    }
}

void
zj_program_print (const zj_program *p, bool lossless, FILE *out)
{
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    {
      fprintf (out, "def %s():\n", zj_component_names[c]);
      for (int i = 0; i < p->fn[c].n; i++)
        {
          fputs ("  ", out);
          zj_instr_print (&p->fn[c].ins[i], lossless, out);
          fputc ('\n', out);
        }
    }
}

char *
zj_program_to_string (const zj_program *p, bool lossless)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  if (!f)
    {
      fprintf (stderr, "zerojit: out of memory printing a program\n");
      abort ();
    }
  zj_program_print (p, lossless, f);
  fclose (f);
  return buf;
}

/* ----------------------------------------------------------------- parsing */

/* Why a template did not match, and where.  Only failures after a kind
   letter matched are specific enough to report; anything else is "unknown
   instruction" at the furthest point any template reached. */
typedef struct match_fail {
  const char *pos;
  const char *reason;      /* NULL = plain mismatch */
} match_fail;

static bool
is_blank (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static const char *
skip_blanks (const char *p)
{
  while (is_blank (*p))
    p++;
  return p;
}

static bool
is_word (char c)
{
  return isalnum ((unsigned char) c) || c == '_' || c == '.';
}

static bool
fail (match_fail *f, const char *pos, const char *reason)
{
  f->pos = pos;
  f->reason = reason;
  return false;
}

static bool
match_address (const char **pp, zj_kind k, uint16_t *addr, match_fail *f)
{
  const char *p = *pp;
  if (*p != kind_letter (k))
    return fail (f, p, NULL);
  if (!isdigit ((unsigned char) p[1]))
    return fail (f, p, "address not an integer");
  errno = 0;
  char *end;
  unsigned long v = strtoul (p + 1, &end, 10);
  if (is_word (*end))
    return fail (f, p, "address not an integer");
  if (errno || v > UINT16_MAX)
    return fail (f, p, "address out of range");
  *addr = (uint16_t) v;
  *pp = end;
  return true;
}

static bool
match_number (const char **pp, bool is_float, zj_instr *in, int slot,
              match_fail *f)
{
  char *end;
  if (is_float)
    in->fd[slot] = strtof (*pp, &end);
  else
    in->act = strtod (*pp, &end);
  if (end == *pp)
    return fail (f, *pp, NULL);
  *pp = end;
  return true;
}

/* Match template `form` against the whole of `line` (comment and trailing
   blanks already removed).  Spaces in the template match any run of blanks;
   blanks are also allowed around punctuation, but not inside words. */
static bool
match_form (const char *form, const zj_op_info *o, const char *line,
            zj_instr *in, match_fail *f)
{
  const char *p = line;
  for (const char *t = form; *t; t++)
    {
      if (*t == ' ')
        {
          p = skip_blanks (p);
          continue;
        }
      if (*t == '$')
        {
          p = skip_blanks (p);
          bool ok;
          switch (*++t)
            {
            case 'o': ok = match_address (&p, o->out, &in->out, f); break;
            case 'a': ok = match_address (&p, o->in1, &in->in1, f); break;
            case 'b': ok = match_address (&p, o->in2, &in->in2, f); break;
            case 'A': ok = match_number (&p, false, in, 0, f); break;
            default:  ok = match_number (&p, true, in, *t - '0', f); break;
            }
          if (!ok)
            return false;
          continue;
        }
      bool glued = t > form && is_word (*t) && is_word (t[-1]);
      if (!glued)
        p = skip_blanks (p);
      if (*p != *t)
        return fail (f, p, NULL);
      p++;
    }
  p = skip_blanks (p);
  if (*p)
    return fail (f, p, NULL);
  return true;
}

/* First op whose template matches the whole line wins.  On failure, the
   most telling failure is left in *best. */
static int
parse_instruction (const char *line, zj_instr *in, match_fail *best)
{
  best->pos = line;
  best->reason = NULL;
  for (int op = 0; op < ZJ_NUM_OPS; op++)
    {
      match_fail f;
      memset (in, 0, sizeof *in);
      in->op = (uint16_t) op;
      if (match_form (zj_ops[op].form, &zj_ops[op], line, in, &f))
        return 0;
      if (f.pos > best->pos || (f.pos == best->pos && f.reason && !best->reason))
        *best = f;
    }
  return -1;
}

/* The text an error message quotes: the word at pos, or the single
   punctuation character there. */
static void
token_at (const char *pos, char *buf, size_t n)
{
  pos = skip_blanks (pos);
  if (!*pos)
    {
      snprintf (buf, n, "end of line");
      return;
    }
  size_t len = 0;
  while (pos[len] && !is_blank (pos[len]) && !strchr (",()[]=", pos[len]))
    len++;
  if (len == 0)
    len = 1;
  if (len > n - 1)
    len = n - 1;
  memcpy (buf, pos, len);
  buf[len] = '\0';
}

typedef struct parser {
  const char *filename;
  int lineno;
  int comp;                  /* component being filled, -1 before Setup */
  zj_program prog;
  zj_error *err;
} parser;

static int
parse_error (parser *ps, const char *reason, const char *pos)
{
  char tok[64];
  if (pos)
    token_at (pos, tok, sizeof tok);
  else
    snprintf (tok, sizeof tok, "end of file");
  zj_error_set (ps->err, "%s:%d: %s near '%s'", ps->filename, ps->lineno,
                reason, tok);
  return -1;
}

/* A `def Name():` line: must open the next component in order. */
static int
parse_header (parser *ps, const char *line)
{
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    {
      char form[32];
      match_fail f;
      snprintf (form, sizeof form, "def %s():", zj_component_names[c]);
      if (!match_form (form, NULL, line, NULL, &f))
        continue;
      if (c != ps->comp + 1)
        {
          char reason[80];
          snprintf (reason, sizeof reason,
                    "functions out of order (expected 'def %s():')",
                    zj_component_names[ps->comp + 1 < ZJ_NUM_COMPONENTS
                                       ? ps->comp + 1 : ZJ_LEARN]);
          return parse_error (ps, reason, line);
        }
      ps->comp = c;
      return 0;
    }
  return parse_error (ps, "unknown function header", line + 3);
}

static int
parse_line (parser *ps, char *line)
{
  char *hash = strchr (line, '#');
  if (hash)
    *hash = '\0';
  size_t n = strlen (line);
  while (n > 0 && is_blank (line[n - 1]))
    line[--n] = '\0';
  line = (char *) skip_blanks (line);
  if (!*line)
    return 0;
  if (strncmp (line, "def", 3) == 0 && (is_blank (line[3]) || !line[3]))
    return parse_header (ps, line);
  if (ps->comp < 0)
    return parse_error (ps, "missing 'def Setup():' header", line);
  zj_instr in;
  match_fail f;
  if (parse_instruction (line, &in, &f) < 0)
    {
      /* "dott(v1, v0)" fails at the second 't', after "dot" matched: quote
         the whole word, which is what the user mistyped. */
      const char *w = f.pos;
      while (!f.reason && w > line && is_word (w[-1]) && is_word (*w))
        w--;
      if (w < f.pos)
        return parse_error (ps, "unknown op name (see 'zerojit ops' for the "
                            "printed forms)", w);
      return parse_error (ps, f.reason ? f.reason : "unknown instruction", f.pos);
    }
  zj_fn_push (&ps->prog.fn[ps->comp], in);
  return 0;
}

int
zj_program_parse (const char *text, const char *filename, zj_program *out,
                  zj_error *err)
{
  parser ps = { filename ? filename : "<string>", 0, -1, { { { 0 } } }, err };
  zj_program_init (&ps.prog);
  char *copy = zj_xstrdup (text);
  int rc = 0;
  char *line = copy;
  while (line && rc == 0)
    {
      char *nl = strchr (line, '\n');
      if (nl)
        *nl = '\0';
      ps.lineno++;
      rc = parse_line (&ps, line);
      line = nl ? nl + 1 : NULL;
    }
  if (rc == 0 && ps.comp < ZJ_LEARN)
    {
      char reason[64];
      snprintf (reason, sizeof reason, "missing 'def %s():' header",
                zj_component_names[ps.comp + 1]);
      rc = parse_error (&ps, reason, NULL);
    }
  free (copy);
  if (rc == 0)
    zj_program_copy (out, &ps.prog);
  zj_program_free (&ps.prog);
  return rc;
}

int
zj_program_load (const char *path, zj_program *out, zj_error *err)
{
  char *buf = zj_read_text (path, NULL, err);
  if (!buf)
    return -1;
  int rc = zj_program_parse (buf, path, out, err);
  free (buf);
  return rc;
}

int
zj_program_line_of (const char *text, int comp, int index)
{
  int lineno = 0, c = -1, k = 0;
  for (const char *line = text; line && *line;)
    {
      const char *nl = strchr (line, '\n');
      const size_t len = nl ? (size_t) (nl - line) : strlen (line);
      lineno++;
      const char *p = skip_blanks (line);
      if (p < line + len && *p != '#')
        {
          if (!strncmp (p, "def", 3) && (is_blank (p[3]) || p[3] == '\n' || !p[3]))
            {
              c++;
              k = 0;
            }
          else if (c == comp && k++ == index)
            return lineno;
        }
      line = nl ? nl + 1 : NULL;
    }
  return 0;
}

