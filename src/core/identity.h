/* identity.h -- when are two programs the same?
 *
 * Three answers, each for one user:
 * - the program key (every field of every instruction) keys the
 *   evaluator's exact-duplicate cache;
 * - the structure key and hash (ops, addresses, shape and eval type, but
 *   not the constants) key the native code cache: candidates that differ
 *   only in constants share one compile;
 * - the constant table holds what the structure key leaves out, in the
 *   order native code reads it.
 * None of this needs the JIT.
 */
#ifndef ZJ_IDENTITY_H
#define ZJ_IDENTITY_H
#include <zerojit/zerojit.h>

/* Version of the lowering, part of every structure key: bump it when the
   generated code changes meaning. */
#define ZJ_STRUCTURE_KEY_VERSION 1

/* Key of the duplicate cache: every field of every instruction (a cache
   hit still compares whole programs, so this only has to spread well). */
uint64_t zj_program_key (const zj_program *p);

/* Structure key into key[0..cap); returns its full length (which may
   exceed cap: then call again with a larger buffer). */
size_t zj_structure_key (const zj_program *p, const zj_shape *shape,
                         zj_eval_type et, uint16_t *key, size_t cap);
/* Hash of a structure key; the hash of the key of (pruned, shape, et). */
uint64_t zj_structure_hash_key (const uint16_t *key, size_t n);
uint64_t zj_structure_hash (const zj_program *pruned, const zj_shape *shape,
                            zj_eval_type et);

/* Constant-table slots of one op (0..2) and of a program; filling the
   table with the values the interpreter's decode computes. */
int zj_op_const_count (int op);
int zj_const_count (const zj_program *p);
void zj_const_fill (const zj_program *p, int F, double *k);
#endif
