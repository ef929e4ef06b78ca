/* textproto.c -- protobuf text format into a tree of positioned fields.
 *
 * A hand-written lexer and recursive-descent parser.  It is schema-free on
 * purpose: every message becomes a list of (name, value) nodes, lists are
 * flattened into repeated nodes, and numbers stay text until the typed
 * layer knows whether the field is an integer, a double or an enum.  Every
 * node keeps its line and column so a later "unknown field" or "out of
 * range" error can still point at the exact spot.
 */
#include "internal.h"
#include "textproto.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include <strings.h>

typedef enum tok_kind {
  T_EOF, T_IDENT, T_NUMBER, T_STRING, T_PUNCT
} tok_kind;

typedef struct token {
  tok_kind kind;
  const char *s;            /* start in the source */
  size_t len;
  int line, col;
} token;

typedef struct lexer {
  const char *p;
  const char *source;
  int line, col;
  token peeked;
  bool have_peek;
  zj_error *err;
} lexer;

static int
fail_at (lexer *lx, int line, int col, const char *fmt, const char *arg)
{
  char reason[400];
  snprintf (reason, sizeof reason, fmt, arg);
  zj_error_set (lx->err, "%s:%d:%d: %s", lx->source, line, col, reason);
  return -1;
}

static void
advance (lexer *lx)
{
  if (*lx->p == '\n')
    {
      lx->line++;
      lx->col = 1;
    }
  else
    lx->col++;
  lx->p++;
}

static void
skip_space (lexer *lx)
{
  for (;;)
    {
      if (isspace ((unsigned char) *lx->p))
        advance (lx);
      else if (*lx->p == '#')
        while (*lx->p && *lx->p != '\n')
          advance (lx);
      else
        return;
    }
}

static bool
is_ident_start (int c)
{
  return isalpha (c) || c == '_';
}

static bool
is_ident_char (int c)
{
  return isalnum (c) || c == '_';
}

/* Scan a string literal starting at the quote; only checks that it ends
   (decoding happens when the node is built). */
static int
scan_string (lexer *lx, token *t)
{
  const char q = *lx->p;
  advance (lx);
  for (;;)
    {
      char c = *lx->p;
      if (c == '\0' || c == '\n')
        return fail_at (lx, t->line, t->col, "unterminated string%s", "");
      if (c == '\\' && lx->p[1] != '\0' && lx->p[1] != '\n')
        advance (lx);
      else if (c == q)
        break;
      advance (lx);
    }
  advance (lx);
  t->kind = T_STRING;
  return 0;
}

/* Numbers are scanned loosely (digits, letters, '.', exponent signs) and
   validated on conversion, when the field's type is known. */
static void
scan_number (lexer *lx)
{
  const char *start = lx->p;
  bool hex = lx->p[0] == '0' && (lx->p[1] == 'x' || lx->p[1] == 'X');
  for (;;)
    {
      char c = *lx->p;
      if (isalnum ((unsigned char) c) || c == '.' || c == '_')
        advance (lx);
      else if ((c == '+' || c == '-') && !hex && lx->p > start
               && (lx->p[-1] == 'e' || lx->p[-1] == 'E'))
        advance (lx);
      else
        break;
    }
}

static int
lex (lexer *lx, token *t)
{
  if (lx->have_peek)
    {
      *t = lx->peeked;
      lx->have_peek = false;
      return 0;
    }
  skip_space (lx);
  t->s = lx->p;
  t->line = lx->line;
  t->col = lx->col;
  const unsigned char c = (unsigned char) *lx->p;
  if (c == '\0')
    t->kind = T_EOF;
  else if (c == '"' || c == '\'')
    {
      if (scan_string (lx, t) != 0)
        return -1;
    }
  else if (is_ident_start (c))
    {
      while (is_ident_char ((unsigned char) *lx->p))
        advance (lx);
      t->kind = T_IDENT;
    }
  else if (isdigit (c) || (c == '.' && isdigit ((unsigned char) lx->p[1])))
    {
      scan_number (lx);
      t->kind = T_NUMBER;
    }
  else if (c == '-')
    {
      advance (lx);
      const unsigned char d = (unsigned char) *lx->p;
      if (isdigit (d) || (d == '.' && isdigit ((unsigned char) lx->p[1])))
        {
          scan_number (lx);
          t->kind = T_NUMBER;
        }
      else if (is_ident_start (d))       /* -inf, -infinity */
        {
          while (is_ident_char ((unsigned char) *lx->p))
            advance (lx);
          t->kind = T_IDENT;
        }
      else
        return fail_at (lx, t->line, t->col,
                        "unexpected '-' (not followed by a number)%s", "");
    }
  else if (strchr ("{}<>[]:,;", c))
    {
      advance (lx);
      t->kind = T_PUNCT;
    }
  else
    {
      char what[16];      /* "byte 0xff" and "'x'" both fit */
      if (isprint (c))
        snprintf (what, sizeof what, "'%c'", c);
      else
        snprintf (what, sizeof what, "byte 0x%02x", (unsigned) c);
      return fail_at (lx, t->line, t->col, "unexpected character %s", what);
    }
  t->len = (size_t) (lx->p - t->s);
  return 0;
}

static int
peek (lexer *lx, token *t)
{
  if (!lx->have_peek)
    {
      if (lex (lx, &lx->peeked) != 0)
        return -1;
      lx->have_peek = true;
    }
  *t = lx->peeked;
  return 0;
}

static bool
is_punct (const token *t, char c)
{
  return t->kind == T_PUNCT && t->s[0] == c;
}

/* A short printable rendering of a token for "unexpected X" messages. */
static const char *
describe (const token *t, char *buf, size_t n)
{
  if (t->kind == T_EOF)
    return "end of input";
  int len = t->len > 40 ? 40 : (int) t->len;
  snprintf (buf, n, "'%.*s'%s", len, t->s, t->len > 40 ? "..." : "");
  return buf;
}

static int
unexpected (lexer *lx, const token *t, const char *expected)
{
  char buf[64], reason[256];
  snprintf (reason, sizeof reason, "unexpected %s; expected %s",
            describe (t, buf, sizeof buf), expected);
  return fail_at (lx, t->line, t->col, "%s", reason);
}

/* ------------------------------------------------------------ strings */

static int
hexval (int c)
{
  return isdigit (c) ? c - '0' : tolower (c) - 'a' + 10;
}

/* Decode one literal (quotes included in t) onto buf. */
static int
decode_string (lexer *lx, const token *t, char **buf, size_t *len, size_t *cap)
{
  const char *p = t->s + 1, *end = t->s + t->len - 1;
  while (p < end)
    {
      int c = (unsigned char) *p++;
      if (c == '\\')
        {
          int e = (unsigned char) *p++;
          switch (e)
            {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'a': c = '\a'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'v': c = '\v'; break;
            case '\\': case '\'': case '"': case '?': c = e; break;
            case 'x':
              if (!isxdigit ((unsigned char) *p))
                return fail_at (lx, t->line, t->col,
                                "bad \\x escape in string%s", "");
              c = 0;
              for (int k = 0; k < 2 && isxdigit ((unsigned char) *p); k++)
                c = c * 16 + hexval ((unsigned char) *p++);
              break;
            default:
              if (e >= '0' && e <= '7')
                {
                  c = e - '0';
                  for (int k = 0; k < 2 && *p >= '0' && *p <= '7'; k++)
                    c = c * 8 + (*p++ - '0');
                  break;
                }
              return fail_at (lx, t->line, t->col,
                              "unknown escape in string%s", "");
            }
        }
      if (*len + 2 > *cap)
        {
          *cap = *cap * 2 + 16;
          *buf = zj_xrealloc (*buf, *cap);
        }
      (*buf)[(*len)++] = (char) c;
    }
  return 0;
}

/* ------------------------------------------------------------- parser */

static void
push_kid (zj_tp_node *msg, zj_tp_node *kid)
{
  if (msg->n_kids == msg->cap_kids)
    {
      msg->cap_kids = msg->cap_kids * 2 + 4;
      msg->kids = zj_xrealloc (msg->kids, sizeof *msg->kids
                               * (size_t) msg->cap_kids);
    }
  msg->kids[msg->n_kids++] = *kid;
}

static void
free_node (zj_tp_node *n)
{
  for (int i = 0; i < n->n_kids; i++)
    free_node (&n->kids[i]);
  free (n->kids);
  free (n->name);
  free (n->text);
  memset (n, 0, sizeof *n);
}

static int parse_fields (lexer *lx, zj_tp_node *msg, char close,
                         const token *open);

/* One scalar value; v has its name and position set already. */
static int
parse_scalar (lexer *lx, zj_tp_node *v)
{
  token t;
  if (lex (lx, &t) != 0)
    return -1;
  v->vline = t.line;
  v->vcol = t.col;
  if (t.kind == T_NUMBER || t.kind == T_IDENT)
    {
      v->kind = t.kind == T_NUMBER ? ZJ_TP_NUMBER : ZJ_TP_IDENT;
      v->len = t.len;
      v->text = zj_xmalloc (t.len + 1);
      memcpy (v->text, t.s, t.len);
      v->text[t.len] = '\0';
      return 0;
    }
  if (t.kind != T_STRING)
    return unexpected (lx, &t, "a value (number, name or string)");
  size_t len = 0, cap = 16;
  char *buf = zj_xmalloc (cap);
  for (;;)
    {
      if (decode_string (lx, &t, &buf, &len, &cap) != 0)
        {
          free (buf);
          return -1;
        }
      token nx;
      if (peek (lx, &nx) != 0)
        {
          free (buf);
          return -1;
        }
      if (nx.kind != T_STRING)
        break;
      lex (lx, &t);             /* adjacent literals are concatenated */
    }
  buf[len] = '\0';
  v->kind = ZJ_TP_STRING;
  v->text = buf;
  v->len = len;
  return 0;
}

/* A message body after its opening bracket t. */
static int
parse_message (lexer *lx, zj_tp_node *v, const token *t)
{
  v->kind = ZJ_TP_MESSAGE;
  v->vline = t->line;
  v->vcol = t->col;
  return parse_fields (lx, v, t->s[0] == '{' ? '}' : '>', t);
}

/* One value (scalar or message) of field `name`, pushed onto msg. */
static int
parse_value (lexer *lx, zj_tp_node *msg, const token *name, bool colon,
             bool in_list)
{
  zj_tp_node v;
  memset (&v, 0, sizeof v);
  v.name = zj_xmalloc (name->len + 1);
  memcpy (v.name, name->s, name->len);
  v.name[name->len] = '\0';
  v.line = name->line;
  v.col = name->col;
  v.in_list = in_list;
  token t;
  int rc = peek (lx, &t);
  if (rc == 0 && (is_punct (&t, '{') || is_punct (&t, '<')))
    {
      lex (lx, &t);
      rc = parse_message (lx, &v, &t);
    }
  else if (rc == 0 && !colon)
    rc = unexpected (lx, &t, "':' or '{' after the field name");
  else if (rc == 0)
    rc = parse_scalar (lx, &v);
  if (rc != 0)
    {
      free_node (&v);
      return -1;
    }
  push_kid (msg, &v);
  return 0;
}

/* `[ v, v, ... ]` after the field name (and colon). */
static int
parse_list (lexer *lx, zj_tp_node *msg, const token *name, bool colon)
{
  token t;
  lex (lx, &t);                 /* the '[' */
  if (peek (lx, &t) != 0)
    return -1;
  if (is_punct (&t, ']'))
    {
      lex (lx, &t);
      return 0;
    }
  for (;;)
    {
      if (parse_value (lx, msg, name, true, true) != 0)
        return -1;
      if (lex (lx, &t) != 0)
        return -1;
      if (is_punct (&t, ']'))
        return 0;
      if (!is_punct (&t, ','))
        return unexpected (lx, &t, "',' or ']' in a list");
    }
}

static int
parse_field (lexer *lx, zj_tp_node *msg, const token *name)
{
  token t;
  if (peek (lx, &t) != 0)
    return -1;
  bool colon = is_punct (&t, ':');
  if (colon)
    {
      lex (lx, &t);
      if (peek (lx, &t) != 0)
        return -1;
    }
  if (is_punct (&t, '['))
    return parse_list (lx, msg, name, colon);
  return parse_value (lx, msg, name, colon, false);
}

/* Fields up to `close` ('}' or '>'), or to the end of input when close is
   0.  open is the opening bracket, for the "missing '}'" message. */
static int
parse_fields (lexer *lx, zj_tp_node *msg, char close, const token *open)
{
  for (;;)
    {
      token t;
      if (lex (lx, &t) != 0)
        return -1;
      if (t.kind == T_EOF)
        {
          if (!close)
            return 0;
          char what[200];
          snprintf (what, sizeof what, "missing '%c' to close '%s' opened at "
                    "line %d, column %d", close, msg->name ? msg->name : "",
                    open->line, open->col);
          return fail_at (lx, t.line, t.col, "%s", what);
        }
      if (close && is_punct (&t, close))
        return 0;
      if (t.kind != T_IDENT)
        return unexpected (lx, &t, close ? "a field name or the closing "
                           "bracket" : "a field name");
      if (parse_field (lx, msg, &t) != 0)
        return -1;
      token sep;
      if (peek (lx, &sep) != 0)
        return -1;
      if (is_punct (&sep, ',') || is_punct (&sep, ';'))
        lex (lx, &sep);
    }
}

int
zj_tp_parse (const char *text, const char *source, zj_tp_node *root,
             zj_error *err)
{
  memset (root, 0, sizeof *root);
  root->kind = ZJ_TP_MESSAGE;
  root->line = root->col = root->vline = root->vcol = 1;
  lexer lx = { .p = text, .source = source ? source : "<input>",
               .line = 1, .col = 1, .err = err };
  if (parse_fields (&lx, root, 0, NULL) != 0)
    {
      free_node (root);
      root->kind = ZJ_TP_MESSAGE;
      return -1;
    }
  return 0;
}

void
zj_tp_free (zj_tp_node *root)
{
  if (root)
    free_node (root);
}

const char *
zj_tp_kind_name (zj_tp_kind k)
{
  switch (k)
    {
    case ZJ_TP_NUMBER: return "a number";
    case ZJ_TP_IDENT: return "a name";
    case ZJ_TP_STRING: return "a string";
    default: return "a message";
    }
}

/* --------------------------------------------------------- conversions */

int
zj_tp_to_int64 (const zj_tp_node *n, int64_t lo, int64_t hi, int64_t *out,
                const char **why)
{
  if (n->kind != ZJ_TP_NUMBER)
    {
      *why = "expects an integer";
      return -1;
    }
  errno = 0;
  char *end;
  long long v = strtoll (n->text, &end, 0);
  if (*end != '\0' || end == n->text)
    {
      *why = "expects an integer";
      return -1;
    }
  if (errno == ERANGE || v < lo || v > hi)
    {
      *why = "value out of range";
      return -1;
    }
  *out = v;
  return 0;
}

static bool
named_special (const char *s, double *out)
{
  const bool neg = *s == '-';
  const char *w = s + neg;
  if (!strcasecmp (w, "inf") || !strcasecmp (w, "infinity"))
    *out = neg ? -INFINITY : INFINITY;
  else if (!strcasecmp (w, "nan"))
    *out = neg ? -NAN : NAN;
  else
    return false;
  return true;
}

int
zj_tp_to_double (const zj_tp_node *n, double *out, const char **why)
{
  *why = "expects a number";
  if (n->kind == ZJ_TP_IDENT)
    return named_special (n->text, out) ? 0 : -1;
  if (n->kind != ZJ_TP_NUMBER)
    return -1;
  /* A trailing f/F marks a float literal in text format ("1.5f"). */
  size_t len = n->len;
  bool hex = strchr (n->text, 'x') || strchr (n->text, 'X');
  if (!hex && len > 1 && (n->text[len - 1] == 'f' || n->text[len - 1] == 'F'))
    len--;
  char buf[128];
  if (len >= sizeof buf)
    return -1;
  memcpy (buf, n->text, len);
  buf[len] = '\0';
  errno = 0;
  char *end;
  double v = strtod (buf, &end);
  if (*end != '\0' || end == buf)
    return -1;
  if (errno == ERANGE && isinf (v))
    {
      *why = "value out of range";
      return -1;
    }
  *out = v;
  return 0;
}
