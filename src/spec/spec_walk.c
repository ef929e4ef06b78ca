/* spec_walk.c -- applies a message table to a text-format tree.
 *
 * Looks every field up in its message's table, converts the value to the
 * table's type (integer ranges, doubles, enum names or numbers, strings,
 * lists), stores it at the row's offset and recurses into sub-messages.
 * See spec_walk.h for the table format.
 */
#include "internal.h"
#include "spec_walk.h"
#include <zerojit/spec.h>
#include <stdarg.h>
#include <string.h>

/* ------------------------------------------------------------ errors */

int
zj_spec_err_at (ctx *c, int line, int col, const char *fmt, ...)
{
  char reason[960];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (reason, sizeof reason, fmt, ap);
  va_end (ap);
  zj_error_set (c->err, "%s:%d:%d: %s", c->source, line, col, reason);
  return -1;
}

int
zj_spec_err_msg (ctx *c, const zj_tp_node *msg, const char *what, const char *fmt,
         ...)
{
  char reason[960];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (reason, sizeof reason, fmt, ap);
  va_end (ap);
  if (msg->name)
    zj_error_set (c->err, "%s:%d:%d: %s: %s", c->source, msg->line, msg->col,
                  msg->name, reason);
  else
    zj_error_set (c->err, "%s: %s: %s", c->source, what, reason);
  return -1;
}

static int
unknown_field (ctx *c, const zj_tp_node *k, const msg_desc *d)
{
  char list[900] = "";
  size_t used = 0;
  for (int i = 0; i < d->n && used < sizeof list; i++)
    used += (size_t) snprintf (list + used, sizeof list - used, "%s%s",
                               i ? ", " : "", d->fields[i].name);
  if (d->n == 0)
    return zj_spec_err_at (c, k->line, k->col, "unknown field '%s' in %s (it has no "
                   "fields)", k->name, d->name);
  return zj_spec_err_at (c, k->line, k->col, "unknown field '%s' in %s; valid "
                 "fields: %s", k->name, d->name, list);
}

/* ------------------------------------------------------------ storing */

static void *
at (void *obj, size_t off)
{
  return (char *) obj + off;
}

static void
store_int (void *obj, size_t off, int v)
{
  if (off != NOSTORE)
    memcpy (at (obj, off), &v, sizeof v);
}

/* Lists of 4-byte elements (seeds, ops, mutation types). */
static void
append4 (void *obj, size_t off, size_t count_off, uint32_t v)
{
  if (off == NOSTORE)
    return;
  uint32_t **arr = at (obj, off);
  int *n = at (obj, count_off);
  *arr = zj_xrealloc (*arr, sizeof **arr * (size_t) (*n + 1));
  (*arr)[(*n)++] = v;
}

static const char *
enum_name (const enum_table *en, int v)
{
  if (en->names == NULL)          /* ops: the op table holds the names */
    return v >= 0 && v < ZJ_NUM_OPS ? zj_ops[v].name : NULL;
  return v >= 0 && v < en->n ? en->names[v] : NULL;
}

static int
enum_lookup (const enum_table *en, const char *name)
{
  if (en->names == NULL)
    return zj_op_lookup (name);
  for (int i = 0; i < en->n; i++)
    if (en->names[i] && strcmp (en->names[i], name) == 0)
      return i;
  return -1;
}

static int
bad_enum (ctx *c, const zj_tp_node *k, const enum_table *en)
{
  if (en->names == NULL)
    return ERR_VAL (c, k, "unknown op '%s' (`zerojit ops` lists them)",
                    k->text);
  char list[300] = "";
  size_t used = 0;
  for (int i = 0; i < en->n && used < sizeof list; i++)
    if (en->names[i])
      used += (size_t) snprintf (list + used, sizeof list - used, "%s%s",
                                 used ? ", " : "", en->names[i]);
  return ERR_VAL (c, k, "unknown %s value '%s'; valid: %s", en->type,
                  k->text, list);
}

/* Enum value by name or by number. */
static int
read_enum (ctx *c, const zj_tp_node *k, const enum_table *en, int *out)
{
  int64_t v;
  const char *why;
  if (k->kind == ZJ_TP_IDENT)
    v = enum_lookup (en, k->text);
  else if (zj_tp_to_int64 (k, INT32_MIN, INT32_MAX, &v, &why) != 0)
    return ERR_VAL (c, k, "expects a %s name, got %s", en->type,
                    zj_tp_kind_name (k->kind));
  else if (!enum_name (en, (int) v))
    v = -1;
  if (v < 0)
    return bad_enum (c, k, en);
  *out = (int) v;
  return 0;
}

static int
read_int64 (ctx *c, const zj_tp_node *k, const field *f, int64_t lo,
            int64_t hi, int64_t *out)
{
  const char *why;
  if (zj_tp_to_int64 (k, lo, hi, out, &why) != 0)
    {
      if (k->kind == ZJ_TP_NUMBER)
        return ERR_VAL (c, k, "%s (got %s)", why, k->text);
      return ERR_VAL (c, k, "expects an integer, got %s",
                      zj_tp_kind_name (k->kind));
    }
  if ((f->flags & POSITIVE) && *out <= 0)
    return ERR_VAL (c, k, "must be > 0 (got %s)", k->text);
  if ((f->flags & NONNEG) && *out < 0)
    return ERR_VAL (c, k, "must be >= 0 (got %s)", k->text);
  if (f->max && *out > f->max)
    return ERR_VAL (c, k, "must be <= %lld (got %s)", (long long) f->max,
                    k->text);
  return 0;
}

static int
read_double (ctx *c, const zj_tp_node *k, const field *f, double *out)
{
  const char *why;
  if (zj_tp_to_double (k, out, &why) != 0)
    {
      if (k->kind == ZJ_TP_NUMBER || k->kind == ZJ_TP_IDENT)
        return ERR_VAL (c, k, "%s (got %s)", why, k->text);
      return ERR_VAL (c, k, "expects a number, got %s",
                      zj_tp_kind_name (k->kind));
    }
  if ((f->flags & POSITIVE) && !(*out > 0))
    return ERR_VAL (c, k, "must be > 0 (got %s)", k->text);
  if ((f->flags & NONNEG) && !(*out >= 0))
    return ERR_VAL (c, k, "must be >= 0 (got %s)", k->text);
  return 0;
}


static int
set_message (ctx *c, const zj_tp_node *k, const field *f, const msg_desc *d,
             void *obj)
{
  if (f->oneof)
    {
      /* All oneof members of TaskSpec share the `type` slot. */
      zj_task_spec *t = obj;
      if (t->type != ZJ_TASK_NONE)
        {
          const char *prev = "?";
          for (int i = 0; i < d->n; i++)
            if (d->fields[i].oneof == (int) t->type)
              prev = d->fields[i].name;
          return zj_spec_err_at (c, k->line, k->col, "%s: a task has one task type, "
                         "but %s was given too", k->name, prev);
        }
      t->type = (zj_task_type) f->oneof;
    }
  if (f->flags & PRESENCE)
    *(bool *) at (obj, f->aux) = true;
  if (f->type == F_CUSTOM)
    return f->fn (c, k, obj);
  return zj_spec_walk (c, k, f->sub, at (obj, f->off));
}

static int
set_field (ctx *c, const zj_tp_node *k, const field *f, const msg_desc *d,
           void *obj)
{
  const bool is_msg = f->type == F_MSG || f->type == F_CUSTOM;
  if (is_msg != (k->kind == ZJ_TP_MESSAGE))
    return zj_spec_err_at (c, k->vline, k->vcol, "%s: expects %s, got %s", k->name,
                   is_msg ? "a message { ... }" : "a value",
                   zj_tp_kind_name (k->kind));
  int64_t i64;
  double d64;
  int e;
  switch (f->type)
    {
    case F_INT:
      if (read_int64 (c, k, f, INT32_MIN, INT32_MAX, &i64) != 0)
        return -1;
      store_int (obj, f->off, (int) i64);
      return 0;
    case F_INT64:
      if (read_int64 (c, k, f, INT64_MIN, INT64_MAX, &i64) != 0)
        return -1;
      if (f->off != NOSTORE)
        memcpy (at (obj, f->off), &i64, sizeof i64);
      return 0;
    case F_DOUBLE:
    case F_DOUBLE_LIST:
      if (read_double (c, k, f, &d64) != 0)
        return -1;
      if (f->off != NOSTORE)
        memcpy (at (obj, f->off), &d64, sizeof d64);
      return 0;
    case F_STRING:
      if (k->kind != ZJ_TP_STRING)
        return ERR_VAL (c, k, "expects a quoted string, got %s",
                        zj_tp_kind_name (k->kind));
      if (f->off != NOSTORE)
        *(char **) at (obj, f->off) = zj_xstrdup (k->text);
      return 0;
    case F_ENUM:
      if (read_enum (c, k, f->en, &e) != 0)
        return -1;
      store_int (obj, f->off, e);
      return 0;
    case F_ENUM_LIST:
      if (read_enum (c, k, f->en, &e) != 0)
        return -1;
      append4 (obj, f->off, f->aux, (uint32_t) e);
      return 0;
    case F_SEEDS:
      if (read_int64 (c, k, f, 0, UINT32_MAX, &i64) != 0)
        return -1;
      append4 (obj, f->off, f->aux, (uint32_t) i64);
      return 0;
    default:
      return set_message (c, k, f, d, obj);
    }
}

static int
find_field (const msg_desc *d, const char *name)
{
  for (int i = 0; i < d->n; i++)
    if (strcmp (d->fields[i].name, name) == 0)
      return i;
  return -1;
}

int
zj_spec_walk (ctx *c, const zj_tp_node *msg, const msg_desc *d, void *obj)
{
  const zj_tp_node *seen[MAX_FIELDS] = { 0 };
  for (int j = 0; j < msg->n_kids; j++)
    {
      const zj_tp_node *k = &msg->kids[j];
      int i = find_field (d, k->name);
      if (i < 0)
        return unknown_field (c, k, d);
      const field *f = &d->fields[i];
      if (!(f->flags & REPEATED) && (seen[i] || k->in_list))
        return zj_spec_err_at (c, k->line, k->col, "%s: %s", k->name, seen[i]
                       ? "given more than once (it is not a repeated field)"
                       : "is not a repeated field; a list [...] is not "
                       "allowed");
      seen[i] = k;
      if (set_field (c, k, f, d, obj) != 0)
        return -1;
    }
  for (int i = 0; i < d->n; i++)
    if ((d->fields[i].flags & REQUIRED) && !seen[i])
      return zj_spec_err_msg (c, msg, d->name, "missing required field '%s'",
                      d->fields[i].name);
  return d->check ? d->check (c, msg, obj, seen) : 0;
}

const zj_tp_node *
zj_spec_got (const msg_desc *d, const zj_tp_node *const *seen, const char *name)
{
  int i = find_field (d, name);
  return i >= 0 ? seen[i] : NULL;
}
