/* task.c -- generated tasks: data, labels and epoch orders. */
#include "internal.h"

void
zj_task_free (zj_task *t)
{
  if (!t)
    return;
  free (t->train_x);
  free (t->train_y);
  free (t->valid_x);
  free (t->valid_y);
  free (t->order);
  t->train_x = t->train_y = t->valid_x = t->valid_y = NULL;
  t->order = NULL;
}
