/*
 * Replay buffers: `_native.ReplayBuffer` (prioritized, MnemonetReplay.PrioritizedReplayBuffer) and
 * `_native.ReservoirBuffer` (MnemonetReplay.ReservoirReplayBuffer). Argument checks and buffer plumbing only:
 * every array is validated here (dtype, layout, shape) before Swift sees it; sampled batches are written by Swift
 * straight into NumPy arrays allocated here (no extra copy). The pure-Python wrappers (mnemonet/replay.py) add the
 * conveniences (dicts of named fields, dtype conversion, single items).
 */
#include "mn_common.h"

#include <string.h>

#define MN_MAX_FIELDS 64

/* ---- shared helpers ------------------------------------------------------------------------------------------ */

/* The fields of one buffer: per-item shapes (a tuple of tuples), their widths (products) and element types. */
typedef struct {
    int64_t count;
    int64_t widths[MN_MAX_FIELDS];
    uint8_t types[MN_MAX_FIELDS]; /* MNEMONET_DTYPE_* */
    PyObject *shapes;             /* tuple of tuples of ints */
} mn_fields;

/* NumPy type numbers of the MNEMONET_DTYPE_* codes (index = code). */
static const int npy_of_dtype[] = {NPY_FLOAT32, NPY_FLOAT64, NPY_INT8,   NPY_INT16,  NPY_INT32, NPY_INT64,
                                   NPY_UINT8,   NPY_UINT16,  NPY_UINT32, NPY_UINT64, NPY_BOOL};
#define MN_DTYPE_COUNT ((int)(sizeof npy_of_dtype / sizeof npy_of_dtype[0]))

/* `dtypes`: None (every field float32) or a sequence of `fields->count` MNEMONET_DTYPE_* codes. 0 or -1. */
static int parse_dtypes(PyObject *dtypes, mn_fields *fields) {
    if (dtypes == Py_None) {
        memset(fields->types, MNEMONET_DTYPE_FLOAT32, sizeof fields->types);
        return 0;
    }
    PyObject *seq = PySequence_Fast(dtypes, "dtypes must be a sequence of element type codes");
    if (!seq)
        return -1;
    if (PySequence_Fast_GET_SIZE(seq) != fields->count) {
        PyErr_Format(MnInvalidArgument, "expected %lld dtype codes (one per field), got %zd",
                     (long long)fields->count, PySequence_Fast_GET_SIZE(seq));
        Py_DECREF(seq);
        return -1;
    }
    for (int64_t f = 0; f < fields->count; f++) {
        long v = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, f));
        if (v == -1 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return -1;
        }
        if (v < 0 || v >= MN_DTYPE_COUNT) {
            PyErr_Format(MnInvalidArgument, "field %lld: unknown dtype code %ld", (long long)f, v);
            Py_DECREF(seq);
            return -1;
        }
        fields->types[f] = (uint8_t)v;
    }
    Py_DECREF(seq);
    return 0;
}

static PyObject *dtypes_tuple(const mn_fields *fields) {
    PyObject *t = PyTuple_New(fields->count);
    if (!t)
        return NULL;
    for (int64_t f = 0; f < fields->count; f++) {
        PyObject *v = PyLong_FromLong(fields->types[f]);
        if (!v) {
            Py_DECREF(t);
            return NULL;
        }
        PyTuple_SET_ITEM(t, f, v);
    }
    return t;
}

/* Parses `shapes` (a sequence of sequences of non-negative ints, product >= 1) into `fields`. 0 or -1. */
static int parse_shapes(PyObject *shapes, mn_fields *fields) {
    PyObject *seq = PySequence_Fast(shapes, "shapes must be a sequence of tuples of ints");
    if (!seq)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n < 1 || n > MN_MAX_FIELDS) {
        PyErr_Format(MnInvalidArgument, "a replay buffer needs 1 to %d fields, got %zd", MN_MAX_FIELDS, n);
        Py_DECREF(seq);
        return -1;
    }
    PyObject *out = PyTuple_New(n);
    if (!out) {
        Py_DECREF(seq);
        return -1;
    }
    for (Py_ssize_t f = 0; f < n; f++) {
        PyObject *shape = PySequence_Tuple(PySequence_Fast_GET_ITEM(seq, f));
        if (!shape)
            goto fail;
        PyTuple_SET_ITEM(out, f, shape);
        Py_ssize_t nd = PyTuple_GET_SIZE(shape);
        if (nd > NPY_MAXDIMS - 1) {
            PyErr_Format(MnInvalidArgument, "field %zd has %zd dimensions, at most %d are supported", f, nd,
                         NPY_MAXDIMS - 1);
            goto fail;
        }
        int64_t width = 1;
        for (Py_ssize_t d = 0; d < nd; d++) {
            long long v = PyLong_AsLongLong(PyTuple_GET_ITEM(shape, d));
            if (v == -1 && PyErr_Occurred())
                goto fail;
            if (v < 1 || v > (1LL << 31) || width > (1LL << 31) / v) {
                PyErr_Format(MnInvalidArgument, "field %zd: every dimension must be in 1...2^31 and the item size "
                             "at most 2^31, got dimension %lld", f, v);
                goto fail;
            }
            width *= v;
        }
        fields->widths[f] = width;
    }
    fields->count = n;
    Py_XSETREF(fields->shapes, out);
    Py_DECREF(seq);
    return 0;
fail:
    Py_DECREF(out);
    Py_DECREF(seq);
    return -1;
}

/* Default shapes ((w0,), (w1,), ...) for a loaded buffer, until the wrapper sets the real ones. */
static int default_shapes(mn_fields *fields) {
    PyObject *out = PyTuple_New(fields->count);
    if (!out)
        return -1;
    for (int64_t f = 0; f < fields->count; f++) {
        PyObject *shape = Py_BuildValue("(L)", (long long)fields->widths[f]);
        if (!shape) {
            Py_DECREF(out);
            return -1;
        }
        PyTuple_SET_ITEM(out, f, shape);
    }
    Py_XSETREF(fields->shapes, out);
    return 0;
}

/* Replaces the shapes by `shapes` after checking that the widths are unchanged. */
static int set_shapes(mn_fields *fields, PyObject *shapes) {
    mn_fields parsed = {0};
    if (parse_shapes(shapes, &parsed) < 0)
        return -1;
    int ok = parsed.count == fields->count;
    for (int64_t f = 0; ok && f < parsed.count; f++)
        ok = parsed.widths[f] == fields->widths[f];
    if (!ok) {
        PyErr_SetString(MnInvalidArgument, "shapes do not match the buffer's field widths");
        Py_DECREF(parsed.shapes);
        return -1;
    }
    Py_XSETREF(fields->shapes, parsed.shapes);
    return 0;
}

/*
 * Validates `arrays` (a tuple with one C-contiguous array per field, of the field's dtype and of shape
 * (n, *field_shape)) and fills `pointers`/`sizes` (bytes). *items receives n. 0 or -1 with an exception.
 */
static int batch_arrays(const mn_fields *fields, PyObject *arrays, const void **pointers, int64_t *sizes,
                        int64_t *items) {
    if (!PyTuple_Check(arrays) || PyTuple_GET_SIZE(arrays) != fields->count) {
        PyErr_Format(MnInvalidArgument, "expected a tuple of %lld field arrays, got %.200s",
                     (long long)fields->count, Py_TYPE(arrays)->tp_name);
        return -1;
    }
    *items = -1;
    for (int64_t f = 0; f < fields->count; f++) {
        PyObject *shape = PyTuple_GET_ITEM(fields->shapes, f);
        int nd = (int)PyTuple_GET_SIZE(shape) + 1;
        npy_intp dims[NPY_MAXDIMS];
        PyObject *obj = PyTuple_GET_ITEM(arrays, f);
        dims[0] = PyArray_Check(obj) && PyArray_NDIM((PyArrayObject *)obj) > 0
                      ? PyArray_DIMS((PyArrayObject *)obj)[0] : MN_ANY;
        if (*items >= 0)
            dims[0] = (npy_intp)*items;
        for (int d = 1; d < nd; d++)
            dims[d] = (npy_intp)PyLong_AsLongLong(PyTuple_GET_ITEM(shape, d - 1));
        char what[64];
        snprintf(what, sizeof what, "field %lld", (long long)f);
        PyArrayObject *array = mn_check_array(obj, what, npy_of_dtype[fields->types[f]], nd, dims, 0);
        if (!array)
            return -1;
        *items = PyArray_DIMS(array)[0];
        pointers[f] = PyArray_DATA(array);
        sizes[f] = (int64_t)PyArray_NBYTES(array);
    }
    return 0;
}

/* Allocates one (batch, *shape_f) array of the field's dtype per field into `out[f]`; fills pointers/sizes (bytes). */
static int output_arrays(const mn_fields *fields, int64_t batch, PyObject **out, void **pointers, int64_t *sizes) {
    for (int64_t f = 0; f < fields->count; f++) {
        PyObject *shape = PyTuple_GET_ITEM(fields->shapes, f);
        int nd = (int)PyTuple_GET_SIZE(shape) + 1;
        npy_intp dims[NPY_MAXDIMS];
        dims[0] = (npy_intp)batch;
        for (int d = 1; d < nd; d++)
            dims[d] = (npy_intp)PyLong_AsLongLong(PyTuple_GET_ITEM(shape, d - 1));
        out[f] = PyArray_SimpleNew(nd, dims, npy_of_dtype[fields->types[f]]);
        if (!out[f])
            return -1;
        pointers[f] = PyArray_DATA((PyArrayObject *)out[f]);
        sizes[f] = (int64_t)PyArray_NBYTES((PyArrayObject *)out[f]);
    }
    return 0;
}

/* batch_size: a Python int >= 1. */
static int parse_batch_size(PyObject *obj, int64_t *batch) {
    if (!PyLong_Check(obj) || PyBool_Check(obj)) {
        PyErr_Format(MnArgumentType, "batch_size must be an int, got %.200s", Py_TYPE(obj)->tp_name);
        return -1;
    }
    long long v = PyLong_AsLongLong(obj);
    if (v == -1 && PyErr_Occurred())
        return -1;
    if (v < 1 || v > (1LL << 31)) {
        PyErr_Format(MnInvalidArgument, "batch_size must be in 1...2^31, got %lld", v);
        return -1;
    }
    *batch = v;
    return 0;
}

static PyObject *widths_tuple(const mn_fields *fields) {
    PyObject *t = PyTuple_New(fields->count);
    if (!t)
        return NULL;
    for (int64_t f = 0; f < fields->count; f++) {
        PyObject *v = PyLong_FromLongLong(fields->widths[f]);
        if (!v) {
            Py_DECREF(t);
            return NULL;
        }
        PyTuple_SET_ITEM(t, f, v);
    }
    return t;
}

typedef int32_t (*get_metadata_fn)(void *, char *, int64_t, int64_t *, mn_status *);

static PyObject *read_metadata(void *handle, get_metadata_fn get, mn_guard *guard) {
    mn_status st;
    int64_t length = 0;
    int32_t rc;
    MN_NATIVE(guard, rc = get(handle, NULL, 0, &length, &st));
    if (rc)
        return mn_raise(&st);
    char *buf = PyMem_Malloc((size_t)length + 1);
    if (!buf)
        return PyErr_NoMemory();
    MN_NATIVE(guard, rc = get(handle, buf, length + 1, &length, &st));
    PyObject *s = rc ? mn_raise(&st) : PyUnicode_DecodeUTF8(buf, (Py_ssize_t)length, "replace");
    PyMem_Free(buf);
    return s;
}

typedef int32_t (*set_metadata_fn)(void *, const char *, mn_status *);
typedef int32_t (*save_fn)(void *, const char *, mn_status *);
typedef int32_t (*field_widths_fn)(void *, int64_t *, int64_t, mn_status *);
typedef int32_t (*field_types_fn)(void *, uint8_t *, int64_t, mn_status *);

/* The `metadata` setter of both buffer types: a str, stored natively. 0 or -1. */
static int write_metadata(void *handle, set_metadata_fn set, mn_guard *guard, PyObject *value) {
    if (!value || !PyUnicode_Check(value)) {
        PyErr_SetString(MnArgumentType, "metadata must be a str");
        return -1;
    }
    Py_ssize_t size;
    const char *utf8 = PyUnicode_AsUTF8AndSize(value, &size);
    if (!utf8)
        return -1;
    if ((size_t)size != strlen(utf8)) { /* the ABI takes a C string: a NUL would silently cut it */
        PyErr_SetString(MnInvalidArgument, "metadata must not contain NUL characters");
        return -1;
    }
    mn_status st;
    int32_t rc;
    MN_NATIVE(guard, rc = set(handle, utf8, &st));
    if (rc) {
        mn_raise(&st);
        return -1;
    }
    return 0;
}

/* `save(path)` of both buffer types. */
static PyObject *save_to_path(void *handle, save_fn save, mn_guard *guard, PyObject *path_obj) {
    PyObject *path = NULL;
    if (!PyUnicode_FSConverter(path_obj, &path))
        return NULL;
    const char *p = PyBytes_AS_STRING(path);
    mn_status st;
    int32_t rc;
    MN_NATIVE(guard, rc = save(handle, p, &st));
    Py_DECREF(path);
    if (rc)
        return mn_raise(&st);
    Py_RETURN_NONE;
}

/* After a load: the field count `count` (from describe), the widths and types into `fields`, flat default shapes.
 * 0 or -1. */
static int loaded_fields(void *handle, field_widths_fn widths, field_types_fn types, int64_t count,
                         mn_fields *fields) {
    if (count < 1 || count > MN_MAX_FIELDS) {
        PyErr_SetString(MnCheckpointFormat, "checkpoint has an unsupported number of fields");
        return -1;
    }
    fields->count = count;
    mn_status st;
    if (widths(handle, fields->widths, count, &st) || types(handle, fields->types, count, &st)) {
        mn_raise(&st);
        return -1;
    }
    for (int64_t f = 0; f < count; f++)
        if (fields->types[f] >= MN_DTYPE_COUNT) {
            PyErr_SetString(MnCheckpointFormat, "checkpoint has an unknown field dtype");
            return -1;
        }
    return default_shapes(fields);
}

/* ---- ReplayBuffer ------------------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    mn_replay *handle;
    mn_guard guard;
    mn_fields fields;
} ReplayObject;

static PyTypeObject ReplayType;

static int replay_check(ReplayObject *self) {
    if (!self->handle) {
        PyErr_SetString(MnInvalidState, "replay buffer is not initialised");
        return -1;
    }
    return 0;
}

static PyObject *replay_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    ReplayObject *self = (ReplayObject *)type->tp_alloc(type, 0);
    if (!self)
        return NULL;
    if (mn_guard_init(&self->guard) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static void replay_dealloc(ReplayObject *self) {
    if (self->handle)
        mn_replay_free(self->handle);
    mn_guard_free(&self->guard);
    Py_XDECREF(self->fields.shapes);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int replay_init(ReplayObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"capacity", "shapes", "alpha", "eps", "sampling", "seed", "dtypes", NULL};
    long long capacity;
    PyObject *shapes, *seed_obj = Py_None, *dtypes = Py_None;
    double alpha = 0.6, eps = 1e-6;
    int sampling = MNEMONET_SAMPLING_PROPORTIONAL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "LO|ddiOO", kwlist, &capacity, &shapes, &alpha, &eps, &sampling,
                                     &seed_obj, &dtypes))
        return -1;
    if (self->handle) {
        PyErr_SetString(MnInvalidState, "ReplayBuffer is already initialised");
        return -1;
    }
    int32_t has_seed;
    uint64_t seed;
    if (mn_parse_seed(seed_obj, &has_seed, &seed) < 0 || parse_shapes(shapes, &self->fields) < 0 ||
        parse_dtypes(dtypes, &self->fields) < 0)
        return -1;
    mn_status st;
    int32_t rc;
    mn_replay *handle = NULL;
    Py_BEGIN_ALLOW_THREADS
    rc = mn_replay_create(capacity, self->fields.widths, self->fields.types, self->fields.count, alpha, eps, sampling,
                          has_seed, seed, &handle, &st);
    Py_END_ALLOW_THREADS
    if (rc) {
        mn_raise(&st);
        return -1;
    }
    self->handle = handle;
    return 0;
}

static PyObject *replay_load(PyObject *cls, PyObject *path_obj) {
    PyObject *path = NULL;
    if (!PyUnicode_FSConverter(path_obj, &path))
        return NULL;
    mn_status st;
    int32_t rc;
    mn_replay *handle = NULL;
    const char *p = PyBytes_AS_STRING(path);
    Py_BEGIN_ALLOW_THREADS
    rc = mn_replay_load(p, &handle, &st);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    if (rc)
        return mn_raise(&st);
    ReplayObject *self = (ReplayObject *)replay_new((PyTypeObject *)cls, NULL, NULL);
    if (!self) {
        mn_replay_free(handle);
        return NULL;
    }
    self->handle = handle;
    int64_t count = 0;
    mn_replay_describe(handle, NULL, &count, NULL, NULL, NULL, NULL, NULL);
    if (loaded_fields(handle, (field_widths_fn)mn_replay_field_widths, (field_types_fn)mn_replay_field_types, count,
                      &self->fields) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static PyObject *replay_set_shapes(ReplayObject *self, PyObject *shapes) {
    if (replay_check(self) < 0 || set_shapes(&self->fields, shapes) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *replay_add(ReplayObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"fields", "priorities", NULL};
    PyObject *arrays, *prio_obj = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O", kwlist, &arrays, &prio_obj) || replay_check(self) < 0)
        return NULL;
    const void *pointers[MN_MAX_FIELDS];
    int64_t sizes[MN_MAX_FIELDS], items;
    if (batch_arrays(&self->fields, arrays, pointers, sizes, &items) < 0)
        return NULL;
    const double *priorities = NULL;
    if (prio_obj != Py_None) {
        npy_intp shape[1] = {(npy_intp)items};
        PyArrayObject *p = mn_check_array(prio_obj, "priorities", NPY_FLOAT64, 1, shape, 0);
        if (!p)
            return NULL;
        priorities = (const double *)PyArray_DATA(p);
    }
    mn_status st;
    int32_t rc;
    MN_NATIVE(&self->guard, rc = mn_replay_add(self->handle, pointers, sizes, self->fields.count, items, priorities,
                                               &st));
    if (rc)
        return mn_raise(&st);
    Py_RETURN_NONE;
}

static PyObject *replay_sample(ReplayObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"batch_size", "beta", NULL};
    PyObject *batch_obj;
    double beta = 0.4;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|d", kwlist, &batch_obj, &beta) || replay_check(self) < 0)
        return NULL;
    int64_t batch;
    if (parse_batch_size(batch_obj, &batch) < 0)
        return NULL;
    npy_intp dims[1] = {(npy_intp)batch};
    PyObject *result = PyTuple_New(2 + self->fields.count);
    if (!result)
        return NULL;
    PyObject *indices = PyArray_SimpleNew(1, dims, NPY_INT64);
    PyObject *weights = indices ? PyArray_SimpleNew(1, dims, NPY_FLOAT32) : NULL;
    if (!weights) {
        Py_XDECREF(indices);
        Py_DECREF(result);
        return NULL;
    }
    PyTuple_SET_ITEM(result, 0, indices);
    PyTuple_SET_ITEM(result, 1, weights);
    PyObject *outs[MN_MAX_FIELDS] = {0};
    void *pointers[MN_MAX_FIELDS];
    int64_t sizes[MN_MAX_FIELDS];
    int ok = output_arrays(&self->fields, batch, outs, pointers, sizes) == 0;
    for (int64_t f = 0; f < self->fields.count; f++) {
        if (outs[f])
            PyTuple_SET_ITEM(result, 2 + f, outs[f]);
        else {
            Py_INCREF(Py_None);
            PyTuple_SET_ITEM(result, 2 + f, Py_None);
        }
    }
    if (!ok) {
        Py_DECREF(result);
        return NULL;
    }
    int64_t *ip = (int64_t *)PyArray_DATA((PyArrayObject *)indices);
    float *wp = (float *)PyArray_DATA((PyArrayObject *)weights);
    mn_status st;
    int32_t rc;
    MN_NATIVE(&self->guard, rc = mn_replay_sample(self->handle, batch, beta, ip, wp, pointers, sizes,
                                                  self->fields.count, &st));
    if (rc) {
        Py_DECREF(result);
        return mn_raise(&st);
    }
    return result;
}

static PyObject *replay_update_priorities(ReplayObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"indices", "priorities", NULL};
    PyObject *idx_obj, *prio_obj;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO", kwlist, &idx_obj, &prio_obj) || replay_check(self) < 0)
        return NULL;
    PyArrayObject *idx = mn_check_array(idx_obj, "indices", NPY_INT64, 1, NULL, 0);
    if (!idx)
        return NULL;
    npy_intp shape[1] = {PyArray_DIMS(idx)[0]};
    PyArrayObject *prio = mn_check_array(prio_obj, "priorities", NPY_FLOAT64, 1, shape, 0);
    if (!prio)
        return NULL;
    const int64_t *ip = (const int64_t *)PyArray_DATA(idx);
    const double *pp = (const double *)PyArray_DATA(prio);
    mn_status st;
    int32_t rc;
    MN_NATIVE(&self->guard, rc = mn_replay_update_priorities(self->handle, ip, pp, (int64_t)shape[0], &st));
    if (rc)
        return mn_raise(&st);
    Py_RETURN_NONE;
}

static PyObject *replay_priorities(ReplayObject *self, PyObject *idx_obj) {
    if (replay_check(self) < 0)
        return NULL;
    PyArrayObject *idx = mn_check_array(idx_obj, "indices", NPY_INT64, 1, NULL, 0);
    if (!idx)
        return NULL;
    npy_intp dims[1] = {PyArray_DIMS(idx)[0]};
    PyObject *out = PyArray_SimpleNew(1, dims, NPY_FLOAT64);
    if (!out)
        return NULL;
    const int64_t *ip = (const int64_t *)PyArray_DATA(idx);
    double *op = (double *)PyArray_DATA((PyArrayObject *)out);
    mn_status st;
    int32_t rc;
    MN_NATIVE(&self->guard, rc = mn_replay_priorities(self->handle, ip, op, (int64_t)dims[0], &st));
    if (rc) {
        Py_DECREF(out);
        return mn_raise(&st);
    }
    return out;
}

static PyObject *replay_check_invariants(ReplayObject *self, PyObject *unused) {
    if (replay_check(self) < 0)
        return NULL;
    mn_status st;
    int32_t rc;
    MN_NATIVE(&self->guard, rc = mn_replay_check_invariants(self->handle, &st));
    if (rc)
        return mn_raise(&st);
    Py_RETURN_NONE;
}

static PyObject *replay_save(ReplayObject *self, PyObject *path_obj) {
    if (replay_check(self) < 0)
        return NULL;
    return save_to_path(self->handle, (save_fn)mn_replay_save, &self->guard, path_obj);
}

static Py_ssize_t replay_len(ReplayObject *self) {
    if (replay_check(self) < 0)
        return -1;
    int64_t n;
    MN_NATIVE(&self->guard, n = mn_replay_count(self->handle));
    return (Py_ssize_t)n;
}

static PyObject *replay_describe(ReplayObject *self, PyObject *unused) {
    if (replay_check(self) < 0)
        return NULL;
    int64_t capacity, fields, position;
    double alpha, eps, max_priority;
    int32_t sampling;
    MN_NATIVE(&self->guard, mn_replay_describe(self->handle, &capacity, &fields, &alpha, &eps, &sampling, &position,
                                               &max_priority));
    int64_t count;
    MN_NATIVE(&self->guard, count = mn_replay_count(self->handle));
    return Py_BuildValue("{s:L,s:L,s:d,s:d,s:i,s:L,s:d,s:N,s:O,s:N}", "count", (long long)count, "capacity",
                         (long long)capacity, "alpha", alpha, "eps", eps, "sampling", (int)sampling, "position",
                         (long long)position, "max_priority", max_priority, "field_widths",
                         widths_tuple(&self->fields), "shapes", self->fields.shapes, "dtypes",
                         dtypes_tuple(&self->fields));
}

static PyObject *replay_get_metadata(ReplayObject *self, void *closure) {
    if (replay_check(self) < 0)
        return NULL;
    return read_metadata(self->handle, (get_metadata_fn)mn_replay_get_metadata, &self->guard);
}

static int replay_set_metadata(ReplayObject *self, PyObject *value, void *closure) {
    if (replay_check(self) < 0)
        return -1;
    return write_metadata(self->handle, (set_metadata_fn)mn_replay_set_metadata, &self->guard, value);
}

static PyMethodDef replay_methods[] = {
    {"load", (PyCFunction)replay_load, METH_O | METH_CLASS, "load(path) -> ReplayBuffer"},
    {"set_shapes", (PyCFunction)replay_set_shapes, METH_O, "set_shapes(shapes): per-field item shapes"},
    {"add", (PyCFunction)(void (*)(void))replay_add, METH_VARARGS | METH_KEYWORDS,
     "add(fields, priorities=None): fields is a tuple of float32 (n, *shape) arrays; priorities float64 (n,)"},
    {"sample", (PyCFunction)(void (*)(void))replay_sample, METH_VARARGS | METH_KEYWORDS,
     "sample(batch_size, beta=0.4) -> (indices int64, weights float32, field arrays...)"},
    {"update_priorities", (PyCFunction)(void (*)(void))replay_update_priorities, METH_VARARGS | METH_KEYWORDS,
     "update_priorities(indices int64 (n,), priorities float64 (n,))"},
    {"priorities", (PyCFunction)replay_priorities, METH_O, "priorities(indices) -> stored p**alpha (float64)"},
    {"check_invariants", (PyCFunction)replay_check_invariants, METH_NOARGS, "Raises InvalidStateError if broken."},
    {"save", (PyCFunction)replay_save, METH_O, "save(path): atomic checkpoint"},
    {"describe", (PyCFunction)replay_describe, METH_NOARGS, "Configuration and state as a dict."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef replay_getset[] = {
    {"metadata", (getter)replay_get_metadata, (setter)replay_set_metadata, "Text saved with the buffer.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PySequenceMethods replay_as_sequence = {
    .sq_length = (lenfunc)replay_len,
};

static PyTypeObject ReplayType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "mnemonet._native.ReplayBuffer",
    .tp_basicsize = sizeof(ReplayObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "ReplayBuffer(capacity, shapes, alpha=0.6, eps=1e-6, sampling=0, seed=None)\n\n"
              "Native prioritized replay buffer (use mnemonet.PrioritizedReplay).",
    .tp_new = replay_new,
    .tp_init = (initproc)replay_init,
    .tp_dealloc = (destructor)replay_dealloc,
    .tp_methods = replay_methods,
    .tp_getset = replay_getset,
    .tp_as_sequence = &replay_as_sequence,
};

/* ---- ReservoirBuffer ---------------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    mn_reservoir *handle;
    mn_guard guard;
    mn_fields fields;
} ReservoirObject;

static PyTypeObject ReservoirType;

static int reservoir_check(ReservoirObject *self) {
    if (!self->handle) {
        PyErr_SetString(MnInvalidState, "reservoir is not initialised");
        return -1;
    }
    return 0;
}

static PyObject *reservoir_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    ReservoirObject *self = (ReservoirObject *)type->tp_alloc(type, 0);
    if (!self)
        return NULL;
    if (mn_guard_init(&self->guard) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static void reservoir_dealloc(ReservoirObject *self) {
    if (self->handle)
        mn_reservoir_free(self->handle);
    mn_guard_free(&self->guard);
    Py_XDECREF(self->fields.shapes);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int reservoir_init(ReservoirObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"capacity", "shapes", "seed", "dtypes", NULL};
    long long capacity;
    PyObject *shapes, *seed_obj = Py_None, *dtypes = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "LO|OO", kwlist, &capacity, &shapes, &seed_obj, &dtypes))
        return -1;
    if (self->handle) {
        PyErr_SetString(MnInvalidState, "ReservoirBuffer is already initialised");
        return -1;
    }
    int32_t has_seed;
    uint64_t seed;
    if (mn_parse_seed(seed_obj, &has_seed, &seed) < 0 || parse_shapes(shapes, &self->fields) < 0 ||
        parse_dtypes(dtypes, &self->fields) < 0)
        return -1;
    mn_status st;
    int32_t rc;
    mn_reservoir *handle = NULL;
    Py_BEGIN_ALLOW_THREADS
    rc = mn_reservoir_create(capacity, self->fields.widths, self->fields.types, self->fields.count, has_seed, seed,
                             &handle, &st);
    Py_END_ALLOW_THREADS
    if (rc) {
        mn_raise(&st);
        return -1;
    }
    self->handle = handle;
    return 0;
}

static PyObject *reservoir_load(PyObject *cls, PyObject *path_obj) {
    PyObject *path = NULL;
    if (!PyUnicode_FSConverter(path_obj, &path))
        return NULL;
    mn_status st;
    int32_t rc;
    mn_reservoir *handle = NULL;
    const char *p = PyBytes_AS_STRING(path);
    Py_BEGIN_ALLOW_THREADS
    rc = mn_reservoir_load(p, &handle, &st);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    if (rc)
        return mn_raise(&st);
    ReservoirObject *self = (ReservoirObject *)reservoir_new((PyTypeObject *)cls, NULL, NULL);
    if (!self) {
        mn_reservoir_free(handle);
        return NULL;
    }
    self->handle = handle;
    int64_t count = 0;
    mn_reservoir_describe(handle, NULL, NULL, &count, NULL);
    if (loaded_fields(handle, (field_widths_fn)mn_reservoir_field_widths, (field_types_fn)mn_reservoir_field_types,
                      count, &self->fields) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static PyObject *reservoir_set_shapes(ReservoirObject *self, PyObject *shapes) {
    if (reservoir_check(self) < 0 || set_shapes(&self->fields, shapes) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *reservoir_add(ReservoirObject *self, PyObject *arrays) {
    if (reservoir_check(self) < 0)
        return NULL;
    const void *pointers[MN_MAX_FIELDS];
    int64_t sizes[MN_MAX_FIELDS], items;
    if (batch_arrays(&self->fields, arrays, pointers, sizes, &items) < 0)
        return NULL;
    mn_status st;
    int32_t rc;
    MN_NATIVE(&self->guard, rc = mn_reservoir_add(self->handle, pointers, sizes, self->fields.count, items, &st));
    if (rc)
        return mn_raise(&st);
    Py_RETURN_NONE;
}

static PyObject *reservoir_sample(ReservoirObject *self, PyObject *batch_obj) {
    if (reservoir_check(self) < 0)
        return NULL;
    int64_t batch;
    if (parse_batch_size(batch_obj, &batch) < 0)
        return NULL;
    npy_intp dims[1] = {(npy_intp)batch};
    PyObject *result = PyTuple_New(1 + self->fields.count);
    if (!result)
        return NULL;
    PyObject *indices = PyArray_SimpleNew(1, dims, NPY_INT64);
    if (!indices) {
        Py_DECREF(result);
        return NULL;
    }
    PyTuple_SET_ITEM(result, 0, indices);
    PyObject *outs[MN_MAX_FIELDS] = {0};
    void *pointers[MN_MAX_FIELDS];
    int64_t sizes[MN_MAX_FIELDS];
    int ok = output_arrays(&self->fields, batch, outs, pointers, sizes) == 0;
    for (int64_t f = 0; f < self->fields.count; f++) {
        if (outs[f])
            PyTuple_SET_ITEM(result, 1 + f, outs[f]);
        else {
            Py_INCREF(Py_None);
            PyTuple_SET_ITEM(result, 1 + f, Py_None);
        }
    }
    if (!ok) {
        Py_DECREF(result);
        return NULL;
    }
    int64_t *ip = (int64_t *)PyArray_DATA((PyArrayObject *)indices);
    mn_status st;
    int32_t rc;
    MN_NATIVE(&self->guard,
              rc = mn_reservoir_sample(self->handle, batch, ip, pointers, sizes, self->fields.count, &st));
    if (rc) {
        Py_DECREF(result);
        return mn_raise(&st);
    }
    return result;
}

static PyObject *reservoir_save(ReservoirObject *self, PyObject *path_obj) {
    if (reservoir_check(self) < 0)
        return NULL;
    return save_to_path(self->handle, (save_fn)mn_reservoir_save, &self->guard, path_obj);
}

static Py_ssize_t reservoir_len(ReservoirObject *self) {
    if (reservoir_check(self) < 0)
        return -1;
    int64_t n;
    MN_NATIVE(&self->guard, mn_reservoir_describe(self->handle, &n, NULL, NULL, NULL));
    return (Py_ssize_t)n;
}

static PyObject *reservoir_describe(ReservoirObject *self, PyObject *unused) {
    if (reservoir_check(self) < 0)
        return NULL;
    int64_t count, capacity, fields, seen;
    MN_NATIVE(&self->guard, mn_reservoir_describe(self->handle, &count, &capacity, &fields, &seen));
    return Py_BuildValue("{s:L,s:L,s:L,s:N,s:O,s:N}", "count", (long long)count, "capacity", (long long)capacity,
                         "seen", (long long)seen, "field_widths", widths_tuple(&self->fields), "shapes",
                         self->fields.shapes, "dtypes", dtypes_tuple(&self->fields));
}

static PyObject *reservoir_get_metadata(ReservoirObject *self, void *closure) {
    if (reservoir_check(self) < 0)
        return NULL;
    return read_metadata(self->handle, (get_metadata_fn)mn_reservoir_get_metadata, &self->guard);
}

static int reservoir_set_metadata(ReservoirObject *self, PyObject *value, void *closure) {
    if (reservoir_check(self) < 0)
        return -1;
    return write_metadata(self->handle, (set_metadata_fn)mn_reservoir_set_metadata, &self->guard, value);
}

static PyMethodDef reservoir_methods[] = {
    {"load", (PyCFunction)reservoir_load, METH_O | METH_CLASS, "load(path) -> ReservoirBuffer"},
    {"set_shapes", (PyCFunction)reservoir_set_shapes, METH_O, "set_shapes(shapes): per-field item shapes"},
    {"add", (PyCFunction)reservoir_add, METH_O, "add(fields): a tuple of float32 (n, *shape) arrays"},
    {"sample", (PyCFunction)reservoir_sample, METH_O, "sample(batch_size) -> (indices int64, field arrays...)"},
    {"save", (PyCFunction)reservoir_save, METH_O, "save(path): atomic checkpoint"},
    {"describe", (PyCFunction)reservoir_describe, METH_NOARGS, "Configuration and state as a dict."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef reservoir_getset[] = {
    {"metadata", (getter)reservoir_get_metadata, (setter)reservoir_set_metadata, "Text saved with the buffer.",
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PySequenceMethods reservoir_as_sequence = {
    .sq_length = (lenfunc)reservoir_len,
};

static PyTypeObject ReservoirType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "mnemonet._native.ReservoirBuffer",
    .tp_basicsize = sizeof(ReservoirObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "ReservoirBuffer(capacity, shapes, seed=None)\n\nNative reservoir (use mnemonet.ReservoirReplay).",
    .tp_new = reservoir_new,
    .tp_init = (initproc)reservoir_init,
    .tp_dealloc = (destructor)reservoir_dealloc,
    .tp_methods = reservoir_methods,
    .tp_getset = reservoir_getset,
    .tp_as_sequence = &reservoir_as_sequence,
};

/* ---- registration ------------------------------------------------------------------------------------------- */

int mn_register_replay(PyObject *module) {
    if (PyType_Ready(&ReplayType) < 0 || PyType_Ready(&ReservoirType) < 0)
        return -1;
    Py_INCREF(&ReplayType);
    if (PyModule_AddObject(module, "ReplayBuffer", (PyObject *)&ReplayType) < 0) {
        Py_DECREF(&ReplayType);
        return -1;
    }
    Py_INCREF(&ReservoirType);
    if (PyModule_AddObject(module, "ReservoirBuffer", (PyObject *)&ReservoirType) < 0) {
        Py_DECREF(&ReservoirType);
        return -1;
    }
    return 0;
}
