/* spec_walk.h -- the table-driven walker behind the spec parsers.
 *
 * A text-format tree (textproto.h) is checked against one table per
 * message: each row names a field, its type and where its value goes.
 * One walker applies the tables, so "unknown field", "wrong type", "given
 * twice" and "must be > 0" read the same everywhere, always one line with
 * source:line:col.  task_spec.c and search_spec.c hold the tables and the
 * checks that relate several fields.
 */
#ifndef ZJ_SPEC_WALK_H
#define ZJ_SPEC_WALK_H

#include "textproto.h"
#include <stddef.h>

#define NOSTORE ((size_t) -1)
#define MAX_FIELDS 32

typedef struct ctx {
  const char *source;
  zj_error *err;
} ctx;

typedef enum ftype {
  F_INT,          /* int32 into an int */
  F_INT64,        /* int64 into an int64_t */
  F_DOUBLE,       /* double */
  F_STRING,       /* malloc'd char * */
  F_ENUM,         /* enum (by name or number) into an int-sized enum */
  F_SEEDS,        /* repeated uint32: array at off, count at aux */
  F_ENUM_LIST,    /* repeated enum: int array at off, count at aux */
  F_DOUBLE_LIST,  /* repeated double, checked only */
  F_MSG,          /* sub-message; its fields are stored relative to obj+off */
  F_CUSTOM        /* sub-message handled by fn */
} ftype;

enum {
  REPEATED = 1,   /* may be given several times / as a list */
  REQUIRED = 2,
  POSITIVE = 4,   /* > 0 */
  NONNEG = 8,     /* >= 0 */
  PRESENCE = 16   /* F_MSG: set the bool at aux when present */
};

typedef struct enum_table {
  const char *type;               /* proto enum name, for messages */
  const char *const *names;       /* indexed by value; NULL marks a gap */
  int n;
} enum_table;

typedef struct msg_desc msg_desc;
typedef int (*custom_fn) (ctx *c, const zj_tp_node *n, void *obj);
typedef int (*check_fn) (ctx *c, const zj_tp_node *msg, void *obj,
                         const zj_tp_node *const *seen);

typedef struct field {
  const char *name;
  ftype type;
  int flags;
  size_t off;
  size_t aux;
  const enum_table *en;
  const msg_desc *sub;
  custom_fn fn;
  int oneof;                      /* task type selected by this message */
  int64_t max;                    /* integers: upper bound, 0 = none */
} field;

struct msg_desc {
  const char *name;
  const field *fields;
  int n;
  check_fn check;
};

/* Apply table d to the fields of msg, storing into obj; then d->check. */
int zj_spec_walk (ctx *c, const zj_tp_node *msg, const msg_desc *d,
                  void *obj);
/* The node given for field `name` of table d (NULL when absent). */
const zj_tp_node *zj_spec_got (const msg_desc *d,
                               const zj_tp_node *const *seen,
                               const char *name);
int zj_spec_err_at (ctx *c, int line, int col, const char *fmt, ...)
  __attribute__ ((format (printf, 4, 5)));
/* An error about a whole message (missing field, inconsistent fields).
   The root message has no name or position, so `what` names it. */
int zj_spec_err_msg (ctx *c, const zj_tp_node *msg, const char *what,
                     const char *fmt, ...)
  __attribute__ ((format (printf, 4, 5)));

/* The TaskCollection table (task_spec.c), also read inside search specs. */
extern const msg_desc zj_spec_collection_msg;

/* An error about a field's value, pointing at the value. */
#define ERR_VAL(c, n, fmt, ...) \
  zj_spec_err_at (c, (n)->vline, (n)->vcol, "%s: " fmt, (n)->name, \
                  __VA_ARGS__)

#define COUNT(a) ((int) (sizeof (a) / sizeof (a)[0]))
#define MSG(name, fields, check) { name, fields, COUNT (fields), check }

#endif
