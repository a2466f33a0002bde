/*
 * Shared by every source file of mnemonet._native: argument validation, the native-call guard, and the ONE
 * mapping from native status codes to Python exceptions. No learning logic lives in C.
 */
#ifndef MN_COMMON_H
#define MN_COMMON_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#define PY_ARRAY_UNIQUE_SYMBOL mnemonet_ARRAY_API
#ifndef MN_MODULE_C
#define NO_IMPORT_ARRAY
#endif
#include <numpy/arrayobject.h>
#undef I /* complex.h's I, pulled in by NumPy, clashes with ordinary names */

#include "mnemonet.h"

/* ---- exceptions (created in module.c) ----------------------------------------------------------------------- */

extern PyObject *MnError;              /* mnemonet.MnemonetError(Exception)                        */
extern PyObject *MnInvalidArgument;    /* mnemonet.InvalidArgumentError(MnemonetError, ValueError)  */
extern PyObject *MnArgumentType;       /* mnemonet.ArgumentTypeError(MnemonetError, TypeError)      */
extern PyObject *MnIndexOutOfRange;    /* mnemonet.IndexOutOfRangeError(MnemonetError, IndexError)  */
extern PyObject *MnInvalidState;       /* mnemonet.InvalidStateError(MnemonetError, RuntimeError)   */
extern PyObject *MnCheckpointIO;       /* mnemonet.CheckpointIOError(MnemonetError, OSError)        */
extern PyObject *MnCheckpointFormat;   /* mnemonet.CheckpointFormatError(MnemonetError, ValueError) */
extern PyObject *MnNonFinite;          /* mnemonet.NonFiniteError(MnemonetError, FloatingPointError) */
extern PyObject *MnArgumentOverflow;   /* mnemonet.ArgumentOverflowError(InvalidArgumentError, OverflowError) */
extern PyObject *MnOutOfMemory;        /* mnemonet.OutOfMemoryError(MnemonetError, MemoryError)      */

/* Raises the Python exception for a failed native call; always returns NULL (for `return mn_raise(&st);`). */
PyObject *mn_raise(const mn_status *status);

/* ---- argument validation ------------------------------------------------------------------------------------ */

#define MN_ANY (-1) /* in a shape: any size */

/*
 * Checks that `obj` is a NumPy array of dtype `typenum` (NPY_FLOAT32, NPY_INT64, …) in native byte order,
 * C-contiguous and aligned (and writeable when `writable`), with `ndim` dimensions whose sizes equal `shape`
 * (entries MN_ANY match any size; `shape` may be NULL to accept any sizes); read-only float inputs must be finite
 * (mn_check_finite). `what` names the argument in errors,
 * which say what was expected and what came. Returns `obj` as an array (borrowed) or NULL with an exception set:
 * ArgumentTypeError for a wrong Python type or dtype, InvalidArgumentError for byte order, layout or shape.
 */
PyArrayObject *mn_check_array(PyObject *obj, const char *what, int typenum, int ndim, const npy_intp *shape,
                              int writable);

/*
 * Float inputs (float32/float64 arrays checked with writable == 0) must be finite: mn_check_array calls this, so
 * every native entry point refuses NaN/inf before Swift sees it. InvalidArgumentError naming `what` and the first
 * bad index ("x must be finite, got nan at x[3]"); 0 when finite, -1 with the exception set.
 */
int mn_check_finite(PyArrayObject *array, const char *what);

/*
 * Parses a `seed=` argument: None (has_seed = 0) or an int in [0, 2^64). 0, or -1 with ArgumentTypeError (not an
 * int, or a bool) or InvalidArgumentError (out of range) set. Every type taking a seed uses this one rule.
 */
int mn_parse_seed(PyObject *obj, int32_t *has_seed, uint64_t *seed);

/* Formats a shape as "(3, 64)" into `buf`. */
void mn_format_shape(char *buf, size_t size, int ndim, const npy_intp *dims);

/* ---- native-call guard -------------------------------------------------------------------------------------- */

/*
 * Every extension object that owns a native handle embeds an mn_guard. Native work runs with the GIL released
 * and the object's lock held, so two Python threads never enter Swift on the same handle at once.
 */
typedef struct {
    PyThread_type_lock lock;
} mn_guard;

int mn_guard_init(mn_guard *guard); /* 0, or -1 with MemoryError set */
void mn_guard_free(mn_guard *guard);

/* Runs `stmt` (no Python API inside!) with the GIL released and the guard held. */
#define MN_NATIVE(guard, stmt)                                   \
    do {                                                         \
        Py_BEGIN_ALLOW_THREADS                                   \
        PyThread_acquire_lock((guard)->lock, WAIT_LOCK);         \
        stmt;                                                    \
        PyThread_release_lock((guard)->lock);                    \
        Py_END_ALLOW_THREADS                                     \
    } while (0)

/* ---- per-concept registration (one line each in module.c) ------------------------------------------------- */

int mn_register_memory(PyObject *module); /* memory.c: MemoryBank, Controller */
int mn_register_agent(PyObject *module);  /* agent.c: Agent */
int mn_register_meta(PyObject *module); /* meta.c */
int mn_register_engine(PyObject *module); /* engine.c: engine benchmark hooks */
int mn_register_replay(PyObject *module); /* replay.c: ReplayBuffer, ReservoirBuffer */

#endif /* MN_COMMON_H */
