#include "mn_common.h"

#include <stdio.h>
#include <errno.h>
#include <malloc.h>
#include <time.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <float.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

PyObject *MnError, *MnInvalidArgument, *MnArgumentType, *MnIndexOutOfRange, *MnInvalidState, *MnCheckpointIO,
    *MnCheckpointFormat, *MnNonFinite, *MnArgumentOverflow, *MnOutOfMemory;

/* The ONE place where native status codes become Python exceptions. */
PyObject *mn_raise(const mn_status *status) {
    const char *message = status->message;
    switch (status->code) {
    case MNEMONET_STATUS_INVALID_ARGUMENT: PyErr_SetString(MnInvalidArgument, message); break;
    case MNEMONET_STATUS_INDEX_OUT_OF_RANGE: PyErr_SetString(MnIndexOutOfRange, message); break;
    case MNEMONET_STATUS_INVALID_STATE: PyErr_SetString(MnInvalidState, message); break;
    case MNEMONET_STATUS_FORMAT: PyErr_SetString(MnCheckpointFormat, message); break;
    case MNEMONET_STATUS_NON_FINITE: PyErr_SetString(MnNonFinite, message); break;
    case MNEMONET_STATUS_IO: {
        /* OSError(errno, message): sets .errno and .strerror like the built-in file errors. */
        PyObject *args = Py_BuildValue("(is)", (int)status->os_errno, message);
        if (args) {
            PyErr_SetObject(MnCheckpointIO, args);
            Py_DECREF(args);
        }
        break;
    }
    default:
        PyErr_Format(MnError, "native error %d: %s", (int)status->code, message);
        break;
    }
    return NULL;
}

void mn_format_shape(char *buf, size_t size, int ndim, const npy_intp *dims) {
    size_t used = 0;
    used += (size_t)snprintf(buf + used, size - used, "(");
    for (int i = 0; i < ndim && used < size; i++) {
        if (dims[i] == MN_ANY)
            used += (size_t)snprintf(buf + used, size - used, i ? ", *" : "*");
        else
            used += (size_t)snprintf(buf + used, size - used, i ? ", %ld" : "%ld", (long)dims[i]);
    }
    if (used < size)
        snprintf(buf + used, size - used, ndim == 1 ? ",)" : ")");
}

PyArrayObject *mn_check_array(PyObject *obj, const char *what, int typenum, int ndim, const npy_intp *shape,
                              int writable) {
    if (!PyArray_Check(obj)) {
        PyErr_Format(MnArgumentType, "%s must be a numpy.ndarray of dtype %s, got %.200s", what,
                     typenum == NPY_FLOAT32 ? "float32" : typenum == NPY_INT64 ? "int64" : "the expected type",
                     Py_TYPE(obj)->tp_name);
        return NULL;
    }
    PyArrayObject *array = (PyArrayObject *)obj;
    PyArray_Descr *descr = PyArray_DESCR(array);
    if (PyArray_TYPE(array) != typenum) {
        PyArray_Descr *expected = PyArray_DescrFromType(typenum);
        PyObject *e = expected ? PyObject_Str((PyObject *)expected) : NULL;
        PyObject *g = PyObject_Str((PyObject *)descr);
        if (e && g)
            PyErr_Format(MnArgumentType, "%s must have dtype %U, got %U", what, e, g);
        Py_XDECREF(e);
        Py_XDECREF(g);
        Py_XDECREF(expected);
        return NULL;
    }
    if (PyArray_ISBYTESWAPPED(array)) {
        PyErr_Format(MnInvalidArgument, "%s must be in native byte order, got a byte-swapped array", what);
        return NULL;
    }
    if (!PyArray_IS_C_CONTIGUOUS(array)) {
        PyErr_Format(MnInvalidArgument,
                     "%s must be C-contiguous, got a non-contiguous view (use numpy.ascontiguousarray)", what);
        return NULL;
    }
    if (!PyArray_ISALIGNED(array)) {
        PyErr_Format(MnInvalidArgument, "%s must be aligned, got an unaligned array", what);
        return NULL;
    }
    if (writable && !PyArray_ISWRITEABLE(array)) {
        PyErr_Format(MnInvalidArgument, "%s must be writeable, got a read-only array", what);
        return NULL;
    }
    int got_ndim = PyArray_NDIM(array);
    const npy_intp *dims = PyArray_DIMS(array);
    int ok = got_ndim == ndim;
    for (int i = 0; ok && shape && i < ndim; i++)
        ok = shape[i] == MN_ANY || shape[i] == dims[i];
    if (!ok) {
        char expected[128], got[128];
        if (shape)
            mn_format_shape(expected, sizeof expected, ndim, shape);
        else
            snprintf(expected, sizeof expected, "%d dimension(s)", ndim);
        mn_format_shape(got, sizeof got, got_ndim, dims);
        PyErr_Format(MnInvalidArgument, "%s must have shape %s, got %s", what, expected, got);
        return NULL;
    }
    if (!writable && (typenum == NPY_FLOAT32 || typenum == NPY_FLOAT64) && mn_check_finite(array, what) < 0)
        return NULL;
    return array;
}

/* Index of the first NaN/inf among `n` floats (exponent bits all ones), or -1. Blocks of 64 are tested with SSE2
 * (4 lanes, no early exit inside a block); a block with a hit and the tail are scanned one by one. (The plain C loop
 * was not vectorised at -O2 and took 30% of a replay add of 1024 x 128 floats: ~1 ns per value.) */
static npy_intp first_non_finite_f32(const uint32_t *v, npy_intp n) {
    npy_intp start = 0;
#if defined(__SSE2__)
    const __m128i e = _mm_set1_epi32(0x7F800000);
    for (; start + 64 <= n; start += 64) {
        __m128i bad = _mm_setzero_si128();
        for (int k = 0; k < 64; k += 4) {
            __m128i x = _mm_and_si128(_mm_loadu_si128((const __m128i *)(v + start + k)), e);
            bad = _mm_or_si128(bad, _mm_cmpeq_epi32(x, e));
        }
        if (_mm_movemask_epi8(bad)) break;
    }
#endif
    for (npy_intp k = start; k < n; k++)
        if ((v[k] & 0x7F800000u) == 0x7F800000u)
            return k;
    return -1;
}

/* The same for doubles: the exponent bits are in the high 32-bit word of each (little-endian) value. */
static npy_intp first_non_finite_f64(const uint64_t *v, npy_intp n) {
    const uint64_t e64 = 0x7FF0000000000000ull;
    npy_intp start = 0;
#if defined(__SSE2__)
    const __m128i e = _mm_set_epi32(0x7FF00000, 0, 0x7FF00000, 0);
    for (; start + 64 <= n; start += 64) {
        __m128i bad = _mm_setzero_si128();
        for (int k = 0; k < 64; k += 2) {
            __m128i x = _mm_and_si128(_mm_loadu_si128((const __m128i *)(v + start + k)), e);
            bad = _mm_or_si128(bad, _mm_cmpeq_epi32(x, e));
        }
        if (_mm_movemask_epi8(bad) & 0xF0F0) break;  /* the high words' lanes (the low ones always compare 0 == 0) */
    }
#endif
    for (npy_intp k = start; k < n; k++)
        if ((v[k] & e64) == e64)
            return k;
    return -1;
}

int mn_check_finite(PyArrayObject *array, const char *what) {
    npy_intp n = PyArray_SIZE(array), k;
    double value;
    if (PyArray_TYPE(array) == NPY_FLOAT32) {
        k = first_non_finite_f32((const uint32_t *)PyArray_DATA(array), n);
        value = k >= 0 ? (double)((const float *)PyArray_DATA(array))[k] : 0;
    } else if (PyArray_TYPE(array) == NPY_FLOAT64) {
        k = first_non_finite_f64((const uint64_t *)PyArray_DATA(array), n);
        value = k >= 0 ? ((const double *)PyArray_DATA(array))[k] : 0;
    } else {
        return 0;
    }
    if (k < 0)
        return 0;
    /* The index in the array's own shape: x[3], X[2, 5]. */
    char at[160];
    size_t used = 0;
    int nd = PyArray_NDIM(array);
    npy_intp rest = k, idx[NPY_MAXDIMS];
    for (int d = nd - 1; d >= 0; d--) {
        npy_intp dim = PyArray_DIM(array, d);
        idx[d] = dim > 0 ? rest % dim : 0;
        rest = dim > 0 ? rest / dim : 0;
    }
    used += (size_t)snprintf(at, sizeof at, "[");
    for (int d = 0; d < nd && used < sizeof at; d++)
        used += (size_t)snprintf(at + used, sizeof at - used, d ? ", %ld" : "%ld", (long)idx[d]);
    if (used < sizeof at)
        snprintf(at + used, sizeof at - used, "]");
    const char *name = isnan(value) ? "nan" : value > 0 ? "inf" : "-inf";
    PyErr_Format(MnInvalidArgument, "%s must be finite, got %s at %s%s", what, name, what, nd ? at : "");
    return -1;
}

static mn_guard *mn_guards; /* the list of live guards (mn_guard.next); touched only with the GIL held */

int mn_guard_init(mn_guard *guard) {
    guard->lock = PyThread_allocate_lock();
    if (!guard->lock) {
        PyErr_NoMemory();
        return -1;
    }
    guard->poisoned = 0;
    guard->prev = NULL;
    guard->next = mn_guards;
    if (mn_guards)
        mn_guards->prev = guard;
    mn_guards = guard;
    return 0;
}

void mn_guard_free(mn_guard *guard) {
    if (guard->lock) {
        if (guard->prev)
            guard->prev->next = guard->next;
        else if (mn_guards == guard)
            mn_guards = guard->next;
        if (guard->next)
            guard->next->prev = guard->prev;
        guard->prev = guard->next = NULL;
        PyThread_free_lock(guard->lock);
        guard->lock = NULL;
    }
}

/*
 * In the child of a fork. Only the forking thread survives, and it held the GIL (os.fork) or at least was not inside
 * MN_NATIVE, so a guard lock that is held now was held by a thread that no longer exists: waiting for it would hang
 * forever. Such a lock is replaced (the old one is leaked: it cannot be freed while "held") and the object is
 * poisoned, because the dead thread may have left it half-updated. Free locks are left as they are.
 */
static void mn_after_fork_child(void) {
    for (mn_guard *g = mn_guards; g; g = g->next) {
        if (!g->lock)
            continue;
        if (PyThread_acquire_lock(g->lock, NOWAIT_LOCK)) {
            PyThread_release_lock(g->lock);
            continue;
        }
        PyThread_type_lock fresh = PyThread_allocate_lock();
        if (fresh)
            g->lock = fresh;
        g->poisoned = 1;
    }
}

int mn_guard_install_fork_handler(void) {
    static int installed;
    if (installed)
        return 0;
    int rc = pthread_atfork(NULL, NULL, mn_after_fork_child);
    if (rc != 0) {
        errno = rc;
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    installed = 1;
    return 0;
}

static int as_uint64(PyObject *obj, const char *what, unsigned long long *out);

/* seed: None or an integer (int, numpy integer: anything with __index__ but bool) in [0, 2^64): mn_to_uint64's rule. */
int mn_parse_seed(PyObject *obj, int32_t *has_seed, uint64_t *seed) {
    *has_seed = 0;
    *seed = 0;
    if (obj == Py_None)
        return 0;
    unsigned long long v;
    if (as_uint64(obj, "seed", &v) < 0)
        return -1;
    *has_seed = 1;
    *seed = (uint64_t)v;
    return 0;
}

/* ---- strict scalar converters ------------------------------------------------------------------------------ */

static int is_bool_like(PyObject *obj) { return PyBool_Check(obj) || PyArray_IsScalar(obj, Bool); }

int mn_as_int64(PyObject *obj, const char *what, long long *out) {
    if (is_bool_like(obj) || !PyIndex_Check(obj)) {
        PyErr_Format(MnArgumentType, "%s must be an int, got %.100s %.60R", what, Py_TYPE(obj)->tp_name, obj);
        return -1;
    }
    PyObject *index = PyNumber_Index(obj);
    if (!index) {
        PyErr_Clear();
        PyErr_Format(MnArgumentType, "%s must be an int, got %.100s", what, Py_TYPE(obj)->tp_name);
        return -1;
    }
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(index, &overflow);
    if (overflow) {
        PyErr_Format(MnArgumentOverflow, "%s must be in -2**63...2**63-1, got %.60S", what, index);
        Py_DECREF(index);
        return -1;
    }
    Py_DECREF(index);
    if (v == -1 && PyErr_Occurred())
        return -1;
    *out = v;
    return 0;
}

int mn_to_int64(PyObject *obj, void *out) { return mn_as_int64(obj, "an integer argument", (long long *)out) == 0; }

int mn_to_int32(PyObject *obj, void *out) {
    long long v;
    if (mn_as_int64(obj, "an integer argument", &v) < 0)
        return 0;
    if (v < INT32_MIN || v > INT32_MAX) {
        PyErr_Format(MnArgumentOverflow, "an integer argument must be in -2**31...2**31-1, got %lld", v);
        return 0;
    }
    *(int *)out = (int)v;
    return 1;
}

/* mn_to_uint64's rule for a value named `what` in messages; 0, or -1 with the exception set. */
static int as_uint64(PyObject *obj, const char *what, unsigned long long *out) {
    if (is_bool_like(obj) || !PyIndex_Check(obj)) {
        PyErr_Format(MnArgumentType, "%s must be an int, got %.100s %.60R", what, Py_TYPE(obj)->tp_name, obj);
        return -1;
    }
    PyObject *index = PyNumber_Index(obj);
    if (!index)
        return -1;
    int overflow = 0;
    long long signed_value = PyLong_AsLongLongAndOverflow(index, &overflow);
    int negative = overflow < 0 || (!overflow && signed_value < 0);
    unsigned long long v = negative ? 0 : PyLong_AsUnsignedLongLong(index);
    if (negative || (v == (unsigned long long)-1 && PyErr_Occurred())) {
        PyErr_Clear();
        PyErr_Format(negative ? MnInvalidArgument : MnArgumentOverflow, "%s must be in 0...2**64-1, got %.60S", what,
                     index);
        Py_DECREF(index);
        return -1;
    }
    Py_DECREF(index);
    *out = v;
    return 0;
}

int mn_to_uint64(PyObject *obj, void *out) {
    return as_uint64(obj, "an unsigned integer argument", (unsigned long long *)out) == 0;
}

/* A real, finite (or +inf when `plus_inf`) number as a double; 0, or -1 with the exception set. */
static int as_real(PyObject *obj, double *out, int plus_inf) {
    int real = !is_bool_like(obj) && (PyFloat_Check(obj) || PyLong_Check(obj) || PyArray_IsScalar(obj, Integer) ||
                                      PyArray_IsScalar(obj, Floating));
    if (!real) {
        PyErr_Format(MnArgumentType, "a real-number argument must be an int or a float, got %.100s %.60R",
                     Py_TYPE(obj)->tp_name, obj);
        return -1;
    }
    double v = PyFloat_AsDouble(obj);
    if (v == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        PyErr_Format(MnArgumentOverflow, "a real-number argument is too large for a float, got %.60R", obj);
        return -1;
    }
    if (!(isfinite(v) || (plus_inf && v == INFINITY))) {
        PyErr_Format(MnInvalidArgument, "a real-number argument must be finite%s, got %R", plus_inf ? " or +inf" : "",
                     obj);
        return -1;
    }
    *out = v;
    return 0;
}

int mn_to_float64(PyObject *obj, void *out) { return as_real(obj, (double *)out, 0) == 0; }

static int to_float32(PyObject *obj, void *out, int plus_inf) {
    double v;
    if (as_real(obj, &v, plus_inf) < 0)
        return 0;
    if (isfinite(v) && fabs(v) > FLT_MAX) {
        PyErr_Format(MnArgumentOverflow, "a float32 argument must be within +-3.4e38, got %R", obj);
        return 0;
    }
    *(float *)out = (float)v;
    return 1;
}

int mn_to_float32(PyObject *obj, void *out) { return to_float32(obj, out, 0); }
int mn_to_float32_or_inf(PyObject *obj, void *out) { return to_float32(obj, out, 1); }

int mn_to_bool(PyObject *obj, void *out) {
    if (!is_bool_like(obj)) {
        PyErr_Format(MnArgumentType, "a flag argument must be True or False, got %.100s %.60R", Py_TYPE(obj)->tp_name,
                     obj);
        return 0;
    }
    *(int *)out = PyObject_IsTrue(obj);
    return 1;
}

/* ---- the handle base ---------------------------------------------------------------------------------------- */

const mn_class *mn_class_of(PyTypeObject *type) {
    /* A Python subclass of a handle type is a heap type; its static base is the mn_type. */
    while (type && type->tp_dealloc == mn_handle_dealloc && (type->tp_flags & Py_TPFLAGS_HEAPTYPE))
        type = type->tp_base;
    if (!type || type->tp_dealloc != mn_handle_dealloc)
        return NULL;
    return &((const mn_type *)type)->cls;
}

/* The operations of a handle type (tp_new's, a classmethod's), or NULL with TypeError. */
static const mn_class *class_argument(PyObject *cls_obj) {
    const mn_class *cls = mn_class_of((PyTypeObject *)cls_obj);
    if (!cls)
        PyErr_Format(PyExc_TypeError, "%.200s is not a mnemonet handle type", ((PyTypeObject *)cls_obj)->tp_name);
    return cls;
}

PyObject *mn_handle_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    const mn_class *cls = class_argument((PyObject *)type);
    if (!cls)
        return NULL;
    mn_handle *self = (mn_handle *)type->tp_alloc(type, 0);
    if (!self)
        return NULL;
    self->cls = cls;
    if (mn_guard_init(&self->own_guard) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    self->guard = &self->own_guard;
    return (PyObject *)self;
}

/*
 * Memory held by the allocator. Large blocks are mmap'ed and munmap'ed (LargeAllocation in Swift, and a fixed
 * M_MMAP_THRESHOLD, see mn_configure_allocator), so they return to the system when an object is dropped. Freed small
 * chunks stay in malloc's free lists and are reused by the next object; but objects freed in a burst (by the cyclic
 * garbage collector, for objects caught in a user's reference cycle) leave free pages that a later long-lived chunk
 * can pin. As a safety net, freeing a native object returns free pages with malloc_trim, at most every 20 ms or 64
 * frees (~15 µs when there is nothing to return). Measured: creating and dropping 20,000 default agents once grew
 * the process from 31 to 472 MB (the wrapper's agent <-> replay_buffer cycle delayed every free to the GC); now flat.
 */
static void mn_return_free_memory(void) {
    static double last;
    static unsigned since;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    double t = (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
    /* At most every 20 ms, or every 64 frees (the cyclic GC frees objects in bursts). */
    if (++since >= 64 || t - last >= 0.02) {
        malloc_trim(0);
        last = t;
        since = 0;
    }
}

int mn_configure_allocator(void) {
    /* glibc raises the mmap threshold each time an mmap'ed block is freed (up to 32 MB), after which blocks of that
     * size come from the heap and are retained there. Fixing it at its default (128 KiB) keeps large blocks mapped. */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    return 0;
}

void mn_handle_dealloc(PyObject *obj) {
    mn_handle *self = (mn_handle *)obj;
    int owned = self->handle && self->cls && !self->owner;
    if (self->handle && self->cls)
        self->cls->free(self->handle);
    self->handle = NULL;
    if (self->cls && self->cls->clear)
        self->cls->clear(obj);
    mn_guard_free(&self->own_guard);
    Py_CLEAR(self->owner);
    Py_TYPE(obj)->tp_free(obj);
    if (owned)
        mn_return_free_memory();
}

int mn_ready(PyObject *obj) {
    mn_handle *self = (mn_handle *)obj;
    if (!self->handle) {
        PyErr_Format(MnInvalidState, "%s is not initialised", self->cls ? self->cls->name : Py_TYPE(obj)->tp_name);
        return -1;
    }
    if (self->guard && self->guard->poisoned) {
        PyErr_Format(MnInvalidState,
                     "this %s was in use by another thread when the process forked, so its state in this child "
                     "process is undefined; load it from a checkpoint, or fork when no thread is using it",
                     self->cls ? self->cls->name : Py_TYPE(obj)->tp_name);
        return -1;
    }
    return 0;
}

int mn_handle_fresh(PyObject *obj) {
    mn_handle *self = (mn_handle *)obj;
    if (self->handle) {
        PyErr_Format(MnInvalidState, "%s is already initialised", self->cls->name);
        return -1;
    }
    return 0;
}

int mn_handle_install(PyObject *obj, int32_t rc, void *handle, const mn_status *status) {
    mn_handle *self = (mn_handle *)obj;
    if (rc != MNEMONET_STATUS_OK) {
        mn_raise(status);
        return -1;
    }
    if (self->handle) { /* a concurrent __init__ won the race: keep its handle */
        self->cls->free(handle);
        return mn_handle_fresh(obj);
    }
    self->handle = handle;
    if (self->cls->adopted && self->cls->adopted(obj) < 0) {
        self->handle = NULL;
        self->cls->free(handle);
        return -1;
    }
    return 0;
}

PyObject *mn_handle_wrap(PyTypeObject *type, void *handle) {
    PyObject *self = mn_handle_new(type, NULL, NULL);
    if (!self) {
        const mn_class *cls = mn_class_of(type);
        if (cls)
            cls->free(handle);
        return NULL;
    }
    if (mn_handle_install(self, MNEMONET_STATUS_OK, handle, NULL) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return self;
}

PyObject *mn_handle_view(PyTypeObject *type, void *handle, PyObject *owner, const char *accessor) {
    PyObject *obj = mn_handle_wrap(type, handle);
    if (!obj)
        return NULL;
    mn_handle *self = (mn_handle *)obj;
    Py_INCREF(owner);
    self->owner = owner;
    self->accessor = accessor;
    self->guard = ((mn_handle *)owner)->guard;
    return obj;
}

/* Saves `self` to, or (self NULL) loads a new handle of `cls` into *loaded from, the checkpoint file `path_obj`
 * (str, bytes or os.PathLike). 0, or -1 with the exception set. */
static int checkpoint_file(const mn_class *cls, mn_handle *self, PyObject *path_obj, void **loaded) {
    if (self ? !cls->save : !cls->load) {
        PyErr_Format(PyExc_TypeError, "%s has no checkpoint", cls->name);
        return -1;
    }
    PyObject *path = NULL;
    if (!PyUnicode_FSConverter(path_obj, &path))
        return -1;
    const char *p = PyBytes_AS_STRING(path);
    mn_status st;
    int32_t rc;
    if (self) {
        MN_CALL(self, rc = cls->save(self->handle, p, &st));
    } else {
        Py_BEGIN_ALLOW_THREADS
        rc = cls->load(p, loaded, &st);
        Py_END_ALLOW_THREADS
    }
    Py_DECREF(path);
    if (rc) {
        mn_raise(&st);
        return -1;
    }
    return 0;
}

/* A path for checkpoint_file (str, bytes, os.PathLike), as opposed to a file object. */
static int is_path(PyObject *obj) {
    return PyUnicode_Check(obj) || PyBytes_Check(obj) || PyObject_HasAttrString(obj, "__fspath__");
}

/* The checkpoint bytes of an initialised `self` (a new bytes object), or NULL. */
static PyObject *checkpoint_bytes(mn_handle *self) {
    if (!self->cls->to_bytes) {
        PyErr_Format(PyExc_TypeError, "%s has no checkpoint bytes", self->cls->name);
        return NULL;
    }
    void *data = NULL;
    int64_t length = 0;
    mn_status st;
    int32_t rc;
    MN_CALL(self, rc = self->cls->to_bytes(self->handle, &data, &length, &st));
    if (rc)
        return mn_raise(&st);
    PyObject *bytes = PyBytes_FromStringAndSize((const char *)data, (Py_ssize_t)length);
    mn_bytes_free(data);
    return bytes;
}

/* A new object of `type` from any bytes-like `data` holding a checkpoint, or NULL. */
static PyObject *object_from_bytes(PyTypeObject *type, const mn_class *cls, PyObject *data) {
    if (!cls->from_bytes) {
        PyErr_Format(PyExc_TypeError, "%s has no checkpoint bytes", cls->name);
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) {
        PyErr_Clear();
        PyErr_Format(MnArgumentType, "%s checkpoint data must be bytes-like (bytes, bytearray, memoryview), got %.200s",
                     cls->name, Py_TYPE(data)->tp_name);
        return NULL;
    }
    void *handle = NULL;
    mn_status st;
    int32_t rc;
    Py_BEGIN_ALLOW_THREADS
    rc = cls->from_bytes(view.buf, (int64_t)view.len, &handle, &st);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    if (rc)
        return mn_raise(&st);
    return mn_handle_wrap(type, handle);
}

PyObject *mn_handle_save(PyObject *obj, PyObject *target) {
    mn_handle *self = (mn_handle *)obj;
    if (mn_ready(obj) < 0)
        return NULL;
    if (is_path(target)) {
        if (checkpoint_file(self->cls, self, target, NULL) < 0)
            return NULL;
        Py_RETURN_NONE;
    }
    if (!PyObject_HasAttrString(target, "write")) {
        PyErr_Format(MnArgumentType, "save() takes a path (str, bytes, os.PathLike) or a binary file object, got %.200s",
                     Py_TYPE(target)->tp_name);
        return NULL;
    }
    PyObject *bytes = checkpoint_bytes(self);
    if (!bytes)
        return NULL;
    PyObject *written = PyObject_CallMethod(target, "write", "O", bytes);
    Py_DECREF(bytes);
    if (!written)
        return NULL;
    Py_DECREF(written);
    Py_RETURN_NONE;
}

PyObject *mn_handle_load(PyObject *cls_obj, PyObject *source) {
    PyTypeObject *type = (PyTypeObject *)cls_obj;
    const mn_class *cls = class_argument(cls_obj);
    if (!cls)
        return NULL;
    if (is_path(source)) {
        void *handle = NULL;
        if (checkpoint_file(cls, NULL, source, &handle) < 0)
            return NULL;
        return mn_handle_wrap(type, handle);
    }
    if (!PyObject_HasAttrString(source, "read")) {
        PyErr_Format(MnArgumentType, "load() takes a path (str, bytes, os.PathLike) or a binary file object, got %.200s",
                     Py_TYPE(source)->tp_name);
        return NULL;
    }
    PyObject *data = PyObject_CallMethod(source, "read", NULL);
    if (!data)
        return NULL;
    PyObject *result = object_from_bytes(type, cls, data);
    Py_DECREF(data);
    return result;
}

PyObject *mn_handle_to_bytes(PyObject *obj, PyObject *unused) {
    if (mn_ready(obj) < 0)
        return NULL;
    return checkpoint_bytes((mn_handle *)obj);
}

PyObject *mn_handle_from_bytes(PyObject *cls_obj, PyObject *data) {
    const mn_class *cls = class_argument(cls_obj);
    return cls ? object_from_bytes((PyTypeObject *)cls_obj, cls, data) : NULL;
}

/* Standalone: (type(self).from_bytes, (self.to_bytes(),)). A view: (operator.methodcaller(accessor), (owner,)),
 * so that pickle and copy.deepcopy copy the owner (once per memo) and take the view of the copy. */
PyObject *mn_handle_reduce(PyObject *obj, PyObject *unused) {
    mn_handle *self = (mn_handle *)obj;
    if (mn_ready(obj) < 0)
        return NULL;
    if (self->owner) {
        PyObject *operator_module = PyImport_ImportModule("operator");
        PyObject *caller = operator_module ? PyObject_CallMethod(operator_module, "methodcaller", "s", self->accessor)
                                           : NULL;
        Py_XDECREF(operator_module);
        return caller ? Py_BuildValue("(N(O))", caller, self->owner) : NULL;
    }
    PyObject *from_bytes = PyObject_GetAttrString((PyObject *)Py_TYPE(obj), "from_bytes");
    PyObject *bytes = from_bytes ? checkpoint_bytes(self) : NULL;
    PyObject *state = bytes ? (self->cls->state ? self->cls->state(obj) : Py_NewRef(Py_None)) : NULL;
    if (!state) {
        Py_XDECREF(from_bytes);
        Py_XDECREF(bytes);
        return NULL;
    }
    return Py_BuildValue("(N(N)N)", from_bytes, bytes, state);
}

int mn_add_types(PyObject *module, mn_type *const *types) {
    for (; *types; types++) {
        PyTypeObject *type = &(*types)->type;
        if (PyType_Ready(type) < 0)
            return -1;
        Py_INCREF(type);
        if (PyModule_AddObject(module, (*types)->cls.name, (PyObject *)type) < 0) {
            Py_DECREF(type);
            return -1;
        }
    }
    return 0;
}

/* ---- argument helpers --------------------------------------------------------------------------------------- */

int mn_check_rows(PyObject *x_obj, PyObject *y_obj, const char *xn, const char *yn, npy_intp x_width,
                  npy_intp y_width, npy_intp min_rows, PyArrayObject **x, PyArrayObject **y, npy_intp *rows) {
    npy_intp d[2] = {MN_ANY, x_width};
    *x = mn_check_array(x_obj, xn, NPY_FLOAT32, 2, d, 0);
    if (!*x)
        return -1;
    d[0] = PyArray_DIM(*x, 0);
    d[1] = y_width;
    if (y_obj && !(*y = mn_check_array(y_obj, yn, NPY_FLOAT32, 2, d, 0)))
        return -1;
    if (d[0] < min_rows) {
        PyErr_Format(MnInvalidArgument, "%s needs at least %zd sample(s), got %zd", xn, (Py_ssize_t)min_rows,
                     (Py_ssize_t)d[0]);
        return -1;
    }
    *rows = d[0];
    return 0;
}

int mn_check_range(const char *what, long long v, long long lo, long long hi) {
    if (v < lo || v > hi) {
        PyErr_Format(MnInvalidArgument, "%s must be in %lld...%lld, got %lld", what, lo, hi, v);
        return -1;
    }
    return 0;
}

PyArrayObject *mn_new_array(int ndim, const npy_intp *dims, int typenum, int zeros) {
    return (PyArrayObject *)(zeros ? PyArray_ZEROS(ndim, (npy_intp *)dims, typenum, 0)
                                   : PyArray_SimpleNew(ndim, (npy_intp *)dims, typenum));
}
