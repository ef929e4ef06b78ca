/* textproto.h -- a small reader for protobuf text format.
 *
 * The original release takes its experiment and task specs as text-format
 * protos.  This reader knows nothing about their schemas: it turns the text
 * into a tree of fields, each remembering where it was written, and the
 * typed layer (spec_walk.c with the tables of task_spec.c and
 * search_spec.c) checks names and types against its tables.
 *
 * Accepted syntax: `name: value`, `name { ... }`, `name: { ... }`,
 * `name < ... >`, lists `name: [v, v]` and `name [{...}, {...}]` (a list is
 * stored as the same field repeated), `#` comments, optional `,` or `;`
 * after every field.  Values are numbers (kept as text), identifiers
 * (enum names, inf, nan, true) and quoted strings ('x' or "x", with C
 * escapes; adjacent strings are joined).
 */
#ifndef ZJ_TEXTPROTO_H
#define ZJ_TEXTPROTO_H

#include <zerojit/zerojit.h>

typedef enum zj_tp_kind {
  ZJ_TP_NUMBER, ZJ_TP_IDENT, ZJ_TP_STRING, ZJ_TP_MESSAGE
} zj_tp_kind;

typedef struct zj_tp_node zj_tp_node;
struct zj_tp_node {
  char *name;               /* field name; NULL for the root */
  int line, col;            /* position of the field name (1-based) */
  int vline, vcol;          /* position of the value */
  zj_tp_kind kind;
  char *text;               /* NUMBER/IDENT: token; STRING: decoded bytes */
  size_t len;               /* length of text (strings may hold NULs) */
  bool in_list;             /* written inside [ ... ] */
  zj_tp_node *kids;         /* MESSAGE: its fields in source order */
  int n_kids, cap_kids;
};

/* Parse text into root (a MESSAGE).  On error returns -1 with
   "SOURCE:LINE:COL: reason" in err and root left empty. */
int zj_tp_parse (const char *text, const char *source, zj_tp_node *root,
                 zj_error *err);
void zj_tp_free (zj_tp_node *root);

/* Human name of a value kind, for "expects X, got Y" messages. */
const char *zj_tp_kind_name (zj_tp_kind k);

/* Conversions of a NUMBER (or, for doubles, IDENT inf/nan) node.  Return
   0, or -1 with a reason ("not an integer", "out of range") in why. */
int zj_tp_to_int64 (const zj_tp_node *n, int64_t lo, int64_t hi, int64_t *out,
                    const char **why);
int zj_tp_to_double (const zj_tp_node *n, double *out, const char **why);

#endif
