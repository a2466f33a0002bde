/* Shared between memory.c and agent.c: the memory bank and controller object layouts. */
#ifndef MN_MEMORY_H
#define MN_MEMORY_H
#include "mn_common.h"

typedef struct {
    MN_HANDLE_HEAD(mn_memory_bank) /* owner: the agent this bank belongs to, or NULL */
    long long n, w, r;
} MnMemoryBank;

typedef struct {
    MN_HANDLE_HEAD(mn_controller)
    long long input_dim, hidden_dim, n, w, r, writes, output_dim;
} MnController;

extern mn_type MnMemoryBankType;
extern mn_type MnControllerType;

/* New Python objects: a view sharing `owner`'s lock (kept alive; `accessor` is the owner's method that makes it) or,
 * with owner NULL, a standalone object. Steal `h` (freed on failure). */
PyObject *mn_memory_bank_wrap(mn_memory_bank *h, PyObject *owner, const char *accessor);
PyObject *mn_controller_wrap(mn_controller *h, PyObject *owner, const char *accessor);
#endif
