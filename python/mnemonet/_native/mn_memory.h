/* Shared between memory.c and agent.c: the memory bank and controller object layouts. */
#ifndef MN_MEMORY_H
#define MN_MEMORY_H
#include "mn_common.h"

typedef struct {
    PyObject_HEAD
    mn_memory_bank *handle;
    mn_guard own_guard;  /* used when standalone */
    mn_guard *guard;     /* own_guard, or the owner's */
    PyObject *owner;     /* the agent this bank belongs to, or NULL */
    long long n, w, r;
} MnMemoryBank;

typedef struct {
    PyObject_HEAD
    mn_controller *handle;
    mn_guard own_guard;
    mn_guard *guard;
    PyObject *owner;
    long long input_dim, n, w, r;
} MnController;

extern PyTypeObject MnMemoryBankType;
extern PyTypeObject MnControllerType;

/* New Python objects sharing `owner`'s guard (they keep `owner` alive). Steal `h` (freed on failure). */
PyObject *mn_memory_bank_wrap(mn_memory_bank *h, PyObject *owner, mn_guard *guard, long long n, long long w,
                              long long r);
PyObject *mn_controller_wrap(mn_controller *h, PyObject *owner, mn_guard *guard, long long input_dim, long long n,
                             long long w, long long r);
#endif
