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
    long long input_dim, n, w, r;
} MnController;

extern mn_type MnMemoryBankType;
extern mn_type MnControllerType;

/* New Python objects sharing `owner`'s lock (they keep `owner` alive; a controller with owner NULL is standalone).
 * Steal `h` (freed on failure). */
PyObject *mn_memory_bank_wrap(mn_memory_bank *h, PyObject *owner, long long n, long long w, long long r);
PyObject *mn_controller_wrap(mn_controller *h, PyObject *owner, long long input_dim, long long n, long long w,
                             long long r);
#endif
