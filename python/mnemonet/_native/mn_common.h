/*
 * Shared by every source file of mnemonet._native: the ONE mapping from native status codes to Python exceptions,
 * argument validation, the native-call guard and the handle base every native class is built on (see "the handle
 * base" below for how to add a class). No learning logic lives in C.
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

#if PY_VERSION_HEX < 0x030A0000 /* Python 3.9 */
static inline PyObject *Py_NewRef(PyObject *obj) {
    Py_INCREF(obj);
    return obj;
}
#endif

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
 * Parses a `seed=` argument: None (has_seed = 0) or an int in [0, 2^64) (mn_to_uint64's rule). 0, or -1 with
 * ArgumentTypeError (not an int, or a bool), InvalidArgumentError (negative) or ArgumentOverflowError (>= 2^64) set.
 * Every type taking a seed uses this one rule.
 */
int mn_parse_seed(PyObject *obj, int32_t *has_seed, uint64_t *seed);

/*
 * Strict scalar converters for PyArg_ParseTuple(AndKeywords) "O&" (issue 14: nothing coerced silently, also when
 * mnemonet._native is called directly). Every native method parses its scalars with these instead of the coercing
 * format units: "L" -> mn_to_int64 (long long), "i" -> mn_to_int32 (int), "K" -> mn_to_uint64 (unsigned long long),
 * "f" -> mn_to_float32 (float), "d" -> mn_to_float64 (double), "p" -> mn_to_bool (int).
 *   ints    Python int or NumPy integer (anything with __index__), never bool / float / str; beyond the target
 *           type's range ArgumentOverflowError (also an OverflowError); a negative value for mn_to_uint64
 *           InvalidArgumentError.
 *   reals   Python int / float or NumPy integer / floating scalar, never bool / str / complex / None; must be finite
 *           (mn_to_float32_or_inf also takes +inf: "no limit"); beyond float32's range (±3.4e38) ArgumentOverflowError.
 *   bools   True / False or a NumPy bool only (1, 'no', None are ArgumentTypeError).
 * Each returns 1, or 0 with the exception set (ArgumentTypeError for a wrong type).
 */
int mn_to_int64(PyObject *obj, void *out);
int mn_to_int32(PyObject *obj, void *out);
int mn_to_uint64(PyObject *obj, void *out);
int mn_to_float32(PyObject *obj, void *out);
int mn_to_float32_or_inf(PyObject *obj, void *out);
int mn_to_float64(PyObject *obj, void *out);
int mn_to_bool(PyObject *obj, void *out);

/* The int rule of mn_to_int64 for a named value (list items: "layer_sizes[2]"); 0, or -1 with the exception set. */
int mn_as_int64(PyObject *obj, const char *what, long long *out);

/* Formats a shape as "(3, 64)" into `buf`. */
void mn_format_shape(char *buf, size_t size, int ndim, const npy_intp *dims);

/* ---- native-call guard -------------------------------------------------------------------------------------- */

/*
 * Every extension object that owns a native handle embeds an mn_guard (inside MN_HANDLE_HEAD). Native work runs
 * with the GIL released and the object's lock held, so two Python threads never enter Swift on the same handle.
 */
typedef struct mn_guard {
    PyThread_type_lock lock;
    /* Every live guard is on one list (protected by the GIL), so that a fork can reset the locks. */
    struct mn_guard *prev, *next;
    /* Set in a forked child when another thread of the parent was inside native code on this object at the fork:
     * its state may be half-updated, so every later call raises InvalidStateError instead of hanging. */
    int poisoned;
} mn_guard;

int mn_guard_init(mn_guard *guard); /* 0, or -1 with MemoryError set */
void mn_guard_free(mn_guard *guard);

/* Installs the fork handler (pthread_atfork; module init): in the child, every guard lock a parent thread held is
 * replaced by a fresh one and its object poisoned. 0, or -1 with an exception set. */
int mn_guard_install_fork_handler(void);

/* Module init: a fixed mmap threshold, so large blocks are always mapped and unmapped (freed memory returns to the
 * system). Always 0. */
int mn_configure_allocator(void);

/* Runs `stmt` (no Python API inside!) with the GIL released and the guard held. */
#define MN_NATIVE(guard, stmt)                                   \
    do {                                                         \
        Py_BEGIN_ALLOW_THREADS                                   \
        PyThread_acquire_lock((guard)->lock, WAIT_LOCK);         \
        stmt;                                                    \
        PyThread_release_lock((guard)->lock);                    \
        Py_END_ALLOW_THREADS                                     \
    } while (0)

/* Runs `stmt` with the GIL released holding one guard, or two distinct guards in address order (no deadlock). */
#define MN_NATIVE2(g1, g2, stmt)                                                                    \
    do {                                                                                            \
        mn_guard *first_ = (g1), *second_ = (g2);                                                   \
        if (second_ == first_) second_ = NULL;                                                      \
        if (second_ && second_ < first_) { mn_guard *t_ = first_; first_ = second_; second_ = t_; } \
        Py_BEGIN_ALLOW_THREADS                                                                      \
        PyThread_acquire_lock(first_->lock, WAIT_LOCK);                                             \
        if (second_) PyThread_acquire_lock(second_->lock, WAIT_LOCK);                               \
        stmt;                                                                                       \
        if (second_) PyThread_release_lock(second_->lock);                                          \
        PyThread_release_lock(first_->lock);                                                        \
        Py_END_ALLOW_THREADS                                                                        \
    } while (0)

/* ---- the handle base: ONE pattern for every native class ---------------------------------------------------- */

/*
 * Every Python type wrapping a Swift handle is built from the pieces below, so that its C file holds only its
 * methods (argument checks + one native call each). The base provides:
 *
 *   MN_HANDLE_HEAD(T)      the object's first fields: `T *handle` (NULL until __init__/load succeeds), the type's
 *                          operations `cls`, the lock `guard` (its own, or the owner's for a view) and `owner`.
 *   mn_type                a PyTypeObject plus its mn_class (free / save / load / cache hooks); MN_TYPE(...) fills
 *                          the slots every handle type shares (tp_new, tp_dealloc, basic size, flags, doc).
 *   mn_handle_new/dealloc  generic: allocate + lock; free the handle through cls->free, drop the owner.
 *   MN_READY(self)         "X is not initialised" → InvalidStateError (returns NULL from the method).
 *   MN_CALL(self, stmt)    runs `stmt` with the GIL released and the object's lock held.
 *   mn_handle_fresh / MN_CREATE_AND_RETURN   the two halves of every tp_init ("already initialised"; create the
 *                                            handle with the GIL released and install it).
 *   mn_handle_wrap / mn_handle_view          a new object owning a handle / sharing an owner's lock.
 *   MN_CHECKPOINT_METHODS(Name)              save / load (path or file object), to_bytes / from_bytes and
 *                                            __reduce__ (pickle, copy.deepcopy) through cls's checkpoint hooks.
 *   mn_add_types(module, types)              PyType_Ready + module attribute, for a NULL-terminated list.
 *
 * Adding a class (say the DNC, exported by Swift as mn_dnc_create/_free/_step and the checkpoint four
 * _save/_load/_to_bytes/_from_bytes; see MN_CHECKPOINT_METHODS below):
 *
 *     typedef struct { MN_HANDLE_HEAD(mn_dnc) long long input_dim; } DncObject;     // cached shapes after HEAD
 *
 *     static int dnc_adopted(PyObject *o) {                  // optional: cache shapes from a new handle
 *         DncObject *self = (DncObject *)o; self->input_dim = mn_dnc_input_dim(self->handle); return 0;
 *     }
 *     static int dnc_init(DncObject *self, PyObject *args, PyObject *kwds) {
 *         ... PyArg_ParseTupleAndKeywords ..., mn_parse_seed ...
 *         if (mn_handle_fresh((PyObject *)self) < 0) return -1;
 *         MN_CREATE_AND_RETURN(self, mn_dnc, mn_dnc_create(..., &handle, &status));
 *     }
 *     static PyObject *dnc_step(DncObject *self, PyObject *arg) {
 *         MN_READY(self);
 *         PyArrayObject *x = mn_check_array(arg, "x", NPY_FLOAT32, 1, (npy_intp[]){self->input_dim}, 0);
 *         if (!x) return NULL;
 *         mn_status st; int32_t rc;
 *         MN_CALL(self, rc = mn_dnc_step(self->handle, PyArray_DATA(x), ..., &st));
 *         if (rc) return mn_raise(&st);
 *         ...
 *     }
 *     static PyMethodDef dnc_methods[] = {MN_CHECKPOINT_METHODS("DNC"), {"step", ...}, {NULL}};
 *     mn_type MnDncType = {
 *         .type = {MN_TYPE(DncObject, "DNC", "DNC(input_dim, ...): doc"), .tp_init = (initproc)dnc_init,
 *                  .tp_methods = dnc_methods},
 *         .cls = {.name = "DNC", .free = MN_FREE(mn_dnc_free), MN_CHECKPOINT_HOOKS(mn_dnc),
 *                 .adopted = dnc_adopted},
 *     };
 *     int mn_register_dnc(PyObject *m) { return mn_add_types(m, (mn_type *[]){&MnDncType, NULL}); }
 *
 * then one line `mn_register_dnc` in module.c's table and its declaration at the end of this file.
 */

typedef void (*mn_free_fn)(void *handle);
typedef int32_t (*mn_save_fn)(void *handle, const char *path, mn_status *status);
typedef int32_t (*mn_load_fn)(const char *path, void **out, mn_status *status);
typedef int32_t (*mn_to_bytes_fn)(void *handle, void **data, int64_t *length, mn_status *status);
typedef int32_t (*mn_from_bytes_fn)(const void *data, int64_t length, void **out, mn_status *status);

/* Casts a typed ABI function (mn_agent_free, mn_agent_save, mn_agent_load, ...) to the generic hook type. */
#define MN_FREE(f) ((mn_free_fn)(void (*)(void))(f))
#define MN_SAVE(f) ((mn_save_fn)(void (*)(void))(f))
#define MN_LOAD(f) ((mn_load_fn)(void (*)(void))(f))
#define MN_TO_BYTES(f) ((mn_to_bytes_fn)(void (*)(void))(f))
#define MN_FROM_BYTES(f) ((mn_from_bytes_fn)(void (*)(void))(f))

/* The four checkpoint hooks of a class whose ABI prefix is `p` (p##_save, p##_load, p##_to_bytes, p##_from_bytes). */
#define MN_CHECKPOINT_HOOKS(p)                                                                                \
    .save = MN_SAVE(p##_save), .load = MN_LOAD(p##_load), .to_bytes = MN_TO_BYTES(p##_to_bytes),              \
    .from_bytes = MN_FROM_BYTES(p##_from_bytes)

/* The operations of one native class. Only `name` and `free` are required. */
typedef struct mn_class {
    const char *name;          /* the Python class name, used in messages ("Agent is not initialised") */
    mn_free_fn free;           /* releases a handle */
    mn_save_fn save;           /* writes an atomic checkpoint file; NULL when the class has none */
    mn_load_fn load;           /* reads one into a new handle; NULL when the class has none */
    mn_to_bytes_fn to_bytes;   /* the same checkpoint as bytes (pickling, copy, file objects); NULL: none */
    mn_from_bytes_fn from_bytes; /* a new handle from such bytes; NULL: none */
    int (*adopted)(PyObject *self); /* after a handle is installed: cache shapes etc.; 0 or -1; may be NULL */
    void (*clear)(PyObject *self);  /* in dealloc: drop the object's own Python references; may be NULL */
    const void *data;          /* constants of the class for helpers several classes share (replay.c); may be NULL */
    PyObject *(*state)(PyObject *self); /* Python-side state the checkpoint lacks, pickled as __reduce__'s third item
                                           and restored by the class's __setstate__; may be NULL */
} mn_class;

/* The first fields of every handle object; `handle_type` is the ABI's opaque type (mn_agent, mn_replay, ...). */
#define MN_HANDLE_HEAD(handle_type)                                                                           \
    PyObject_HEAD                                                                                             \
    handle_type *handle;    /* the native object, NULL until initialised */                                   \
    const mn_class *cls;    /* the type's operations */                                                       \
    mn_guard *guard;        /* &own_guard, or the owner's guard for a view */                                 \
    PyObject *owner;        /* the object this one is a view into (kept alive), or NULL */                    \
    const char *accessor;   /* a view: the owner's method that makes it (pickled as owner.accessor()) */      \
    mn_guard own_guard;

/* Any handle object, seen through its head. */
typedef struct {
    MN_HANDLE_HEAD(void)
} mn_handle;

/* A handle type: the Python type object followed by its operations. */
typedef struct mn_type {
    PyTypeObject type;
    mn_class cls;
} mn_type;

/* The slots shared by every handle type; `object` is the C struct, `name` the class name in mnemonet._native. */
#define MN_TYPE(object, name, doc)                                                                            \
    PyVarObject_HEAD_INIT(NULL, 0)                                                                            \
    .tp_name = "mnemonet._native." name, .tp_basicsize = sizeof(object), .tp_flags = Py_TPFLAGS_DEFAULT,      \
    .tp_doc = doc, .tp_new = mn_handle_new, .tp_dealloc = mn_handle_dealloc

/* The class operations of `type` (also for a Python subclass of a handle type). */
const mn_class *mn_class_of(PyTypeObject *type);

/* tp_new / tp_dealloc of every handle type (set by MN_TYPE). */
PyObject *mn_handle_new(PyTypeObject *type, PyObject *args, PyObject *kwds);
void mn_handle_dealloc(PyObject *self);

/* 0 when `self` holds a handle, else -1 with InvalidStateError ("<Name> is not initialised"). */
int mn_ready(PyObject *self);
#define MN_READY(self)                              \
    do {                                            \
        if (mn_ready((PyObject *)(self)) < 0)       \
            return NULL;                            \
    } while (0)

/* Runs `stmt` with the GIL released and `self`'s lock held. */
#define MN_CALL(self, stmt) MN_NATIVE((self)->guard, stmt)

/*
 * MN_CALL for calls that move at most `work` floats. Releasing the GIL costs little alone, but with a second Python
 * thread it is a hand-off: the other thread takes the GIL and this one must wait for it again after a call of a few
 * microseconds (a futex wake-up and a context switch each way, ~5-20 µs on a busy machine). That is why small calls
 * (add of 64 items, sample(256)) ran at 0.3-0.9x under two threads. When the work is small and the object's lock is
 * free, the call runs holding the GIL (no hand-off; the lock is never *waited for* with the GIL held, so no
 * deadlock); otherwise it is an ordinary MN_CALL.
 */
#define MN_SMALL_WORK 65536 /* floats: ~256 KiB copied, ~20 µs */
#define MN_CALL_SIZED(self, work, stmt)                                                             \
    do {                                                                                             \
        if ((work) <= MN_SMALL_WORK && PyThread_acquire_lock((self)->guard->lock, NOWAIT_LOCK)) {     \
            stmt;                                                                                    \
            PyThread_release_lock((self)->guard->lock);                                              \
        } else {                                                                                     \
            MN_CALL(self, stmt);                                                                     \
        }                                                                                            \
    } while (0)

/* In tp_init, before creating the handle: -1 with InvalidStateError when `self` is already initialised. */
int mn_handle_fresh(PyObject *self);

/*
 * In tp_init, after the create call: `rc`/`status` are its result. On success installs `handle` (runs
 * cls->adopted; on its failure the handle is freed again). 0, or -1 with the exception set.
 */
int mn_handle_install(PyObject *self, int32_t rc, void *handle, const mn_status *status);

/*
 * The end of every tp_init: runs `create_call` with the GIL released (it must write the new `handle_type *` to
 * `&handle` and its status to `&status`, the two names this macro declares), installs the handle and returns 0 / -1
 * from tp_init. Example: MN_CREATE_AND_RETURN(self, mn_dnc, mn_dnc_create(n, w, &handle, &status));
 */
#define MN_CREATE_AND_RETURN(self, handle_type, create_call)                                                      do {                                                                                                              handle_type *handle = NULL;                                                                                   mn_status status;                                                                                             int32_t rc_;                                                                                                  Py_BEGIN_ALLOW_THREADS                                                                                        rc_ = (create_call);                                                                                          Py_END_ALLOW_THREADS                                                                                          return mn_handle_install((PyObject *)(self), rc_, handle, &status);                                       } while (0)

/* A new standalone object of `type` (own lock) owning `handle`; frees `handle` on failure. */
PyObject *mn_handle_wrap(PyTypeObject *type, void *handle);

/*
 * A new object of `type` owning `handle` but sharing `owner`'s lock (and keeping `owner` alive): the agent's
 * controller and memory bank. `accessor` names the owner's method that returns such a view: a view pickles and
 * deep-copies as `copy_of_owner.accessor()`, so it stays a view into the copied owner. Frees `handle` on failure.
 * cls->adopted runs as for any installed handle.
 */
PyObject *mn_handle_view(PyTypeObject *type, void *handle, PyObject *owner, const char *accessor);

/*
 * The checkpoint methods every class with cls->save/load/to_bytes/from_bytes gets from MN_CHECKPOINT_METHODS:
 *   save(target)         target: a path (str, bytes, os.PathLike; atomic write) or a binary file object (write())
 *   load(source)         classmethod; a path or a binary file object (read())
 *   to_bytes()           the checkpoint as bytes: exactly what save writes to a file
 *   from_bytes(data)     classmethod; any bytes-like object; CheckpointFormatError for truncated/corrupt/foreign
 *   __reduce__()         pickle, copy.copy and copy.deepcopy through to_bytes/from_bytes (a view: through its owner)
 * So a new class is picklable once its Swift type conforms to MnemonetBase.Checkpointable, its four exports exist
 * (CheckpointABI.swift: exportCheckpoint/importCheckpoint make the byte ones one line each), its mn_class has
 * MN_CHECKPOINT_HOOKS(prefix) and its method table starts with MN_CHECKPOINT_METHODS("Name").
 */
PyObject *mn_handle_save(PyObject *self, PyObject *target);
PyObject *mn_handle_load(PyObject *cls, PyObject *source);
PyObject *mn_handle_to_bytes(PyObject *self, PyObject *unused);
PyObject *mn_handle_from_bytes(PyObject *cls, PyObject *data);
PyObject *mn_handle_reduce(PyObject *self, PyObject *unused);
#define MN_CHECKPOINT_METHODS(name)                                                                           \
    {"save", (PyCFunction)mn_handle_save, METH_O,                                                             \
     "save(target): checkpoint to a path (atomic) or a binary file object"},                                  \
    {"load", (PyCFunction)mn_handle_load, METH_O | METH_CLASS,                                                \
     "load(source) -> " name ": from a path or a binary file object"},                                        \
    {"to_bytes", (PyCFunction)mn_handle_to_bytes, METH_NOARGS, "to_bytes() -> bytes: the checkpoint save writes"}, \
    {"from_bytes", (PyCFunction)mn_handle_from_bytes, METH_O | METH_CLASS,                                    \
     "from_bytes(data) -> " name ": from checkpoint bytes"},                                                  \
    {"__reduce__", (PyCFunction)mn_handle_reduce, METH_NOARGS, "Pickling through the checkpoint bytes."}

/* PyType_Ready and module attribute (the class name) for each type of a NULL-terminated list. 0 or -1. */
int mn_add_types(PyObject *module, mn_type *const *types);

/* ---- argument helpers --------------------------------------------------------------------------------------- */

/*
 * A pair of float32 row sets x [n, x_width], y [n, y_width] (y may be NULL: then only x is checked) with
 * n >= min_rows; the row count goes to *rows. `xn`/`yn` name them in errors. 0 or -1.
 */
int mn_check_rows(PyObject *x_obj, PyObject *y_obj, const char *xn, const char *yn, npy_intp x_width,
                  npy_intp y_width, npy_intp min_rows, PyArrayObject **x, PyArrayObject **y, npy_intp *rows);

/* -1 with InvalidArgumentError "<what> must be in lo...hi, got v" unless lo <= v <= hi; else 0. */
int mn_check_range(const char *what, long long v, long long lo, long long hi);

/* A new uninitialised (zeros = 0) or zero-filled (zeros = 1) array, or NULL. */
PyArrayObject *mn_new_array(int ndim, const npy_intp *dims, int typenum, int zeros);

/* ---- per-concept registration (one line each in module.c) ------------------------------------------------- */

int mn_register_memory(PyObject *module); /* memory.c: MemoryBank, Controller */
int mn_register_agent(PyObject *module);  /* agent.c: Agent */
int mn_register_meta(PyObject *module); /* meta.c */
int mn_register_engine(PyObject *module); /* engine.c: engine benchmark hooks */
int mn_register_replay(PyObject *module); /* replay.c: ReplayBuffer, ReservoirBuffer */
int mn_register_snail(PyObject *module);  /* snail.c: SNAIL */
int mn_register_dnc(PyObject *module);    /* dnc.c: DNC */
int mn_register_continual(PyObject *module); /* continual.c: continual_run */

#endif /* MN_COMMON_H */
