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
    int ok = PySequence_Fast_GET_SIZE(seq) == fields->count;
    if (!ok)
        PyErr_Format(MnInvalidArgument, "expected %lld dtype codes (one per field), got %zd",
                     (long long)fields->count, PySequence_Fast_GET_SIZE(seq));
    for (int64_t f = 0; ok && f < fields->count; f++) {
        long long v = 0;
        char what[48];
        snprintf(what, sizeof what, "dtype code of field %lld", (long long)f);
        ok = mn_as_int64(PySequence_Fast_GET_ITEM(seq, f), what, &v) == 0;
        if (ok && (v < 0 || v >= MN_DTYPE_COUNT)) {
            PyErr_Format(MnInvalidArgument, "field %lld: unknown dtype code %lld", (long long)f, v);
            ok = 0;
        }
        if (ok)
            fields->types[f] = (uint8_t)v;
    }
    Py_DECREF(seq);
    return ok ? 0 : -1;
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
            long long v;
            char what[64];
            snprintf(what, sizeof what, "field %zd: dimension %zd", f, d);
            if (mn_as_int64(PyTuple_GET_ITEM(shape, d), what, &v) < 0)
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

/*
 * The tuple a sample returns: (indices int64 [batch], weights float32 [batch] when `weights` is not NULL, then one
 * (batch, *shape_f) array of the field's dtype per field), with the data pointers (and byte sizes) for Swift to
 * write into. NULL on failure.
 */
static PyObject *sample_result(const mn_fields *fields, int64_t batch, int64_t **indices, float **weights,
                               void **pointers, int64_t *sizes) {
    Py_ssize_t lead = weights ? 2 : 1;
    PyObject *result = PyTuple_New(lead + fields->count);
    if (!result)
        return NULL;
    npy_intp dims[NPY_MAXDIMS];
    dims[0] = (npy_intp)batch;
    for (Py_ssize_t k = 0; k < lead + fields->count; k++) {
        int nd = 1, typenum = k == 0 ? NPY_INT64 : NPY_FLOAT32;
        if (k >= lead) {
            typenum = npy_of_dtype[fields->types[k - lead]];
            PyObject *shape = PyTuple_GET_ITEM(fields->shapes, k - lead);
            nd = (int)PyTuple_GET_SIZE(shape) + 1;
            for (int d = 1; d < nd; d++)
                dims[d] = (npy_intp)PyLong_AsLongLong(PyTuple_GET_ITEM(shape, d - 1));
        }
        PyArrayObject *array = mn_new_array(nd, dims, typenum, 0);
        if (!array) {
            Py_DECREF(result);
            return NULL;
        }
        PyTuple_SET_ITEM(result, k, (PyObject *)array);
        if (k == 0)
            *indices = (int64_t *)PyArray_DATA(array);
        else if (k < lead)
            *weights = (float *)PyArray_DATA(array);
        else {
            pointers[k - lead] = PyArray_DATA(array);
            sizes[k - lead] = (int64_t)PyArray_NBYTES(array);
        }
    }
    return result;
}

/* batch_size: a Python int >= 1. */
static int parse_batch_size(PyObject *obj, int64_t *batch) {
    long long v;
    if (mn_as_int64(obj, "batch_size", &v) < 0)
        return -1;
    if (v < 1 || v > (1LL << 31)) {
        PyErr_Format(MnInvalidArgument, "batch_size must be in 1...2^31, got %lld", v);
        return -1;
    }
    *batch = v;
    return 0;
}

/* (widths[0], …) or (types[0], …) of the fields as a tuple of ints. */
static PyObject *fields_tuple(const mn_fields *fields, int types) {
    PyObject *t = PyTuple_New(fields->count);
    if (!t)
        return NULL;
    for (int64_t f = 0; f < fields->count; f++) {
        PyObject *v = PyLong_FromLongLong(types ? (long long)fields->types[f] : (long long)fields->widths[f]);
        if (!v) {
            Py_DECREF(t);
            return NULL;
        }
        PyTuple_SET_ITEM(t, f, v);
    }
    return t;
}

#define widths_tuple(fields) fields_tuple(fields, 0)
#define dtypes_tuple(fields) fields_tuple(fields, 1)

typedef int32_t (*get_metadata_fn)(void *, char *, int64_t, int64_t *, mn_status *);
typedef int32_t (*set_metadata_fn)(void *, const char *, mn_status *);
typedef int32_t (*field_widths_fn)(void *, int64_t *, int64_t, mn_status *);
typedef int32_t (*field_types_fn)(void *, uint8_t *, int64_t, mn_status *);

/* What differs between the two buffer types for the shared helpers below (their mn_class `data`). */
typedef struct {
    get_metadata_fn get_metadata;
    set_metadata_fn set_metadata;
    field_widths_fn field_widths;
    field_types_fn field_types;
    void (*counts)(void *handle, int64_t *items, int64_t *fields); /* stored items, fields per item */
} buffer_access;

#define BUFFER_ACCESS(self) ((const buffer_access *)((mn_handle *)(self))->cls->data)

/* The `metadata` getter of both buffer types: the text stored natively. */
static PyObject *get_metadata(PyObject *obj, void *closure) {
    const buffer_access *access = BUFFER_ACCESS(obj);
    mn_handle *self = (mn_handle *)obj;
    MN_READY(self);
    mn_status st;
    int64_t length = 0;
    int32_t rc;
    MN_CALL(self, rc = access->get_metadata(self->handle, NULL, 0, &length, &st));
    if (rc)
        return mn_raise(&st);
    char *buf = PyMem_Malloc((size_t)length + 1);
    if (!buf)
        return PyErr_NoMemory();
    MN_CALL(self, rc = access->get_metadata(self->handle, buf, length + 1, &length, &st));
    PyObject *s = rc ? mn_raise(&st) : PyUnicode_DecodeUTF8(buf, (Py_ssize_t)length, "replace");
    PyMem_Free(buf);
    return s;
}

/* The `metadata` setter of both buffer types: a str, stored natively. 0 or -1. */
static int set_metadata(PyObject *obj, PyObject *value, void *closure) {
    const buffer_access *access = BUFFER_ACCESS(obj);
    mn_handle *self = (mn_handle *)obj;
    if (mn_ready(obj) < 0)
        return -1;
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
    MN_CALL(self, rc = access->set_metadata(self->handle, utf8, &st));
    if (rc) {
        mn_raise(&st);
        return -1;
    }
    return 0;
}

/* Both buffer types: the handle head, then the fields (per-item shapes, set on creation or after a load). */
#define MN_BUFFER_OBJECT(handle_type) \
    struct {                          \
        MN_HANDLE_HEAD(handle_type)   \
        mn_fields fields;             \
    }
typedef MN_BUFFER_OBJECT(void) BufferObject;

static void clear_fields(PyObject *self) { Py_CLEAR(((BufferObject *)self)->fields.shapes); }

/* After a handle is installed. A buffer created by __init__ already has its parsed fields and keeps them; a loaded
 * one gets the field widths from the checkpoint and flat default shapes (the wrapper then sets the real ones). */
static int buffer_adopted(PyObject *obj) {
    BufferObject *self = (BufferObject *)obj;
    mn_fields *fields = &self->fields;
    if (fields->count > 0)
        return 0;
    int64_t items, count = 0;
    BUFFER_ACCESS(self)->counts(self->handle, &items, &count);
    if (count < 1 || count > MN_MAX_FIELDS) {
        PyErr_SetString(MnCheckpointFormat, "checkpoint has an unsupported number of fields");
        return -1;
    }
    fields->count = count;
    mn_status st;
    if (BUFFER_ACCESS(self)->field_widths(self->handle, fields->widths, count, &st) ||
        BUFFER_ACCESS(self)->field_types(self->handle, fields->types, count, &st)) {
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

/* len(buffer): the number of stored items. */
static Py_ssize_t buffer_len(PyObject *obj) {
    BufferObject *self = (BufferObject *)obj;
    if (mn_ready(obj) < 0)
        return -1;
    int64_t items, count;
    MN_CALL(self, BUFFER_ACCESS(self)->counts(self->handle, &items, &count));
    return (Py_ssize_t)items;
}

/* The start of both __init__s: not yet initialised, the seed, the field shapes and dtypes. 0 or -1. */
static int buffer_init_args(PyObject *obj, PyObject *shapes, PyObject *dtypes, PyObject *seed_obj, int32_t *has_seed,
                            uint64_t *seed) {
    if (mn_handle_fresh(obj) < 0 || mn_parse_seed(seed_obj, has_seed, seed) < 0)
        return -1;
    mn_fields *fields = &((BufferObject *)obj)->fields;
    return parse_shapes(shapes, fields) < 0 ? -1 : parse_dtypes(dtypes, fields);
}

/* set_shapes(shapes) of both types. */
static PyObject *buffer_set_shapes(PyObject *obj, PyObject *shapes) {
    if (mn_ready(obj) < 0 || set_shapes(&((BufferObject *)obj)->fields, shapes) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* The start of both add()s: initialised, and `arrays` a valid batch (pointers, sizes, *items). 0 or -1. */
static int buffer_add_args(PyObject *obj, PyObject *arrays, const void **pointers, int64_t *sizes, int64_t *items) {
    if (mn_ready(obj) < 0)
        return -1;
    return batch_arrays(&((BufferObject *)obj)->fields, arrays, pointers, sizes, items);
}

/* The start of both sample()s: initialised, a valid batch size, the result tuple to fill (see sample_result). */
static PyObject *buffer_sample_args(PyObject *obj, PyObject *batch_obj, int64_t *batch, int64_t **indices,
                                    float **weights, void **pointers, int64_t *sizes) {
    if (mn_ready(obj) < 0 || parse_batch_size(batch_obj, batch) < 0)
        return NULL;
    return sample_result(&((BufferObject *)obj)->fields, *batch, indices, weights, pointers, sizes);
}

/* The end of both sample()s: `result`, or NULL with the native error raised (result released). */
static PyObject *buffer_sample_done(PyObject *result, int32_t rc, const mn_status *st) {
    if (rc) {
        Py_DECREF(result);
        return mn_raise(st);
    }
    return result;
}

/* The per-item field shapes (not in the checkpoint, which knows only widths): pickled beside the bytes. */
static PyObject *buffer_state(PyObject *obj) { return Py_NewRef(((BufferObject *)obj)->fields.shapes); }

static PyGetSetDef buffer_getset[] = {
    {"metadata", get_metadata, set_metadata, "Text saved with the buffer.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PySequenceMethods buffer_as_sequence = {
    .sq_length = buffer_len,
};

/* ---- ReplayBuffer ------------------------------------------------------------------------------------------- */

typedef MN_BUFFER_OBJECT(mn_replay) ReplayObject;

static void replay_counts(void *handle, int64_t *items, int64_t *fields) {
    *items = mn_replay_count(handle);
    mn_replay_describe(handle, NULL, fields, NULL, NULL, NULL, NULL, NULL);
}

static int replay_init(ReplayObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"capacity", "shapes", "alpha", "eps", "sampling", "seed", "dtypes", NULL};
    long long capacity;
    PyObject *shapes, *seed_obj = Py_None, *dtypes = Py_None;
    double alpha = 0.6, eps = 1e-6;
    int sampling = MNEMONET_SAMPLING_PROPORTIONAL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&O|O&O&O&OO", kwlist, mn_to_int64, &capacity, &shapes,
                                     mn_to_float64, &alpha, mn_to_float64, &eps, mn_to_int32, &sampling, &seed_obj,
                                     &dtypes))
        return -1;
    int32_t has_seed;
    uint64_t seed;
    if (buffer_init_args((PyObject *)self, shapes, dtypes, seed_obj, &has_seed, &seed) < 0)
        return -1;
    MN_CREATE_AND_RETURN(self, mn_replay,
                         mn_replay_create(capacity, self->fields.widths, self->fields.types, self->fields.count,
                                          alpha, eps, sampling, has_seed, seed, &handle, &status));
}

/* Floats a call moves: the sum of its field buffer sizes (for MN_CALL_SIZED). */
static int64_t total_size(const int64_t *sizes, int64_t count) {
    int64_t total = 0;
    for (int64_t f = 0; f < count; f++)
        total += sizes[f];
    return total;
}

static PyObject *replay_add(ReplayObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"fields", "priorities", NULL};
    PyObject *arrays, *prio_obj = Py_None;
    const void *pointers[MN_MAX_FIELDS];
    int64_t sizes[MN_MAX_FIELDS], items;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O", kwlist, &arrays, &prio_obj) ||
        buffer_add_args((PyObject *)self, arrays, pointers, sizes, &items) < 0)
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
    MN_CALL_SIZED(self, total_size(sizes, self->fields.count),
                  rc = mn_replay_add(self->handle, pointers, sizes, self->fields.count, items, priorities, &st));
    if (rc)
        return mn_raise(&st);
    Py_RETURN_NONE;
}

static PyObject *replay_sample(ReplayObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"batch_size", "beta", NULL};
    PyObject *batch_obj;
    double beta = 0.4;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O&", kwlist, &batch_obj, mn_to_float64, &beta))
        return NULL;
    int64_t batch, *ip, sizes[MN_MAX_FIELDS];
    float *wp;
    void *pointers[MN_MAX_FIELDS];
    PyObject *result = buffer_sample_args((PyObject *)self, batch_obj, &batch, &ip, &wp, pointers, sizes);
    if (!result)
        return NULL;
    mn_status st;
    int32_t rc;
    MN_CALL_SIZED(self, total_size(sizes, self->fields.count),
                  rc = mn_replay_sample(self->handle, batch, beta, ip, wp, pointers, sizes, self->fields.count, &st));
    return buffer_sample_done(result, rc, &st);
}

static PyObject *replay_update_priorities(ReplayObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"indices", "priorities", NULL};
    PyObject *idx_obj, *prio_obj;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO", kwlist, &idx_obj, &prio_obj) || mn_ready((PyObject *)self) < 0)
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
    MN_CALL_SIZED(self, (int64_t)shape[0] * 16, rc = mn_replay_update_priorities(self->handle, ip, pp, (int64_t)shape[0], &st));
    if (rc)
        return mn_raise(&st);
    Py_RETURN_NONE;
}

static PyObject *replay_priorities(ReplayObject *self, PyObject *idx_obj) {
    if (mn_ready((PyObject *)self) < 0)
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
    MN_CALL(self, rc = mn_replay_priorities(self->handle, ip, op, (int64_t)dims[0], &st));
    if (rc) {
        Py_DECREF(out);
        return mn_raise(&st);
    }
    return out;
}

static PyObject *replay_check_invariants(ReplayObject *self, PyObject *unused) {
    if (mn_ready((PyObject *)self) < 0)
        return NULL;
    mn_status st;
    int32_t rc;
    MN_CALL(self, rc = mn_replay_check_invariants(self->handle, &st));
    if (rc)
        return mn_raise(&st);
    Py_RETURN_NONE;
}

static PyObject *replay_describe(ReplayObject *self, PyObject *unused) {
    if (mn_ready((PyObject *)self) < 0)
        return NULL;
    int64_t capacity, fields, position;
    double alpha, eps, max_priority;
    int32_t sampling;
    MN_CALL(self, mn_replay_describe(self->handle, &capacity, &fields, &alpha, &eps, &sampling, &position,
                                               &max_priority));
    int64_t count;
    MN_CALL_SIZED(self, 0, count = mn_replay_count(self->handle));
    return Py_BuildValue("{s:L,s:L,s:d,s:d,s:i,s:L,s:d,s:N,s:O,s:N}", "count", (long long)count, "capacity",
                         (long long)capacity, "alpha", alpha, "eps", eps, "sampling", (int)sampling, "position",
                         (long long)position, "max_priority", max_priority, "field_widths",
                         widths_tuple(&self->fields), "shapes", self->fields.shapes, "dtypes",
                         dtypes_tuple(&self->fields));
}

static PyMethodDef replay_methods[] = {
    MN_CHECKPOINT_METHODS("ReplayBuffer"),
    {"set_shapes", (PyCFunction)buffer_set_shapes, METH_O, "set_shapes(shapes): per-field item shapes"},
    {"__setstate__", (PyCFunction)buffer_set_shapes, METH_O, "Restores the field shapes after unpickling."},
    {"add", (PyCFunction)(void (*)(void))replay_add, METH_VARARGS | METH_KEYWORDS,
     "add(fields, priorities=None): fields is a tuple of (n, *shape) arrays in the fields' dtypes; priorities float64 (n,)"},
    {"sample", (PyCFunction)(void (*)(void))replay_sample, METH_VARARGS | METH_KEYWORDS,
     "sample(batch_size, beta=0.4) -> (indices int64, weights float32, field arrays...)"},
    {"update_priorities", (PyCFunction)(void (*)(void))replay_update_priorities, METH_VARARGS | METH_KEYWORDS,
     "update_priorities(indices int64 (n,), priorities float64 (n,))"},
    {"priorities", (PyCFunction)replay_priorities, METH_O, "priorities(indices) -> stored p**alpha (float64)"},
    {"check_invariants", (PyCFunction)replay_check_invariants, METH_NOARGS, "Raises InvalidStateError if broken."},
    {"describe", (PyCFunction)replay_describe, METH_NOARGS, "Configuration and state as a dict."},
    {NULL, NULL, 0, NULL},
};

static mn_type ReplayType = {
    .type = {MN_TYPE(ReplayObject, "ReplayBuffer",
                     "ReplayBuffer(capacity, shapes, alpha=0.6, eps=1e-6, sampling=0, seed=None)\n\n"
                     "Native prioritized replay buffer (use mnemonet.PrioritizedReplay)."),
             .tp_init = (initproc)replay_init, .tp_methods = replay_methods, .tp_getset = buffer_getset,
             .tp_as_sequence = &buffer_as_sequence},
    .cls = {.name = "ReplayBuffer", .free = MN_FREE(mn_replay_free), MN_CHECKPOINT_HOOKS(mn_replay),
            .adopted = buffer_adopted, .clear = clear_fields, .state = buffer_state,
            .data = &(const buffer_access){(get_metadata_fn)(void (*)(void))mn_replay_get_metadata,
                                           (set_metadata_fn)(void (*)(void))mn_replay_set_metadata,
                                           (field_widths_fn)(void (*)(void))mn_replay_field_widths,
                                           (field_types_fn)(void (*)(void))mn_replay_field_types, replay_counts}},
};

/* ---- ReservoirBuffer ---------------------------------------------------------------------------------------- */

typedef MN_BUFFER_OBJECT(mn_reservoir) ReservoirObject;

static void reservoir_counts(void *handle, int64_t *items, int64_t *fields) {
    mn_reservoir_describe(handle, items, NULL, fields, NULL);
}

static int reservoir_init(ReservoirObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"capacity", "shapes", "seed", "dtypes", NULL};
    long long capacity;
    PyObject *shapes, *seed_obj = Py_None, *dtypes = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&O|OO", kwlist, mn_to_int64, &capacity, &shapes, &seed_obj,
                                     &dtypes))
        return -1;
    int32_t has_seed;
    uint64_t seed;
    if (buffer_init_args((PyObject *)self, shapes, dtypes, seed_obj, &has_seed, &seed) < 0)
        return -1;
    MN_CREATE_AND_RETURN(self, mn_reservoir,
                         mn_reservoir_create(capacity, self->fields.widths, self->fields.types, self->fields.count,
                                             has_seed, seed, &handle, &status));
}

static PyObject *reservoir_add(ReservoirObject *self, PyObject *arrays) {
    const void *pointers[MN_MAX_FIELDS];
    int64_t sizes[MN_MAX_FIELDS], items;
    if (buffer_add_args((PyObject *)self, arrays, pointers, sizes, &items) < 0)
        return NULL;
    mn_status st;
    int32_t rc;
    MN_CALL_SIZED(self, total_size(sizes, self->fields.count),
                  rc = mn_reservoir_add(self->handle, pointers, sizes, self->fields.count, items, &st));
    if (rc)
        return mn_raise(&st);
    Py_RETURN_NONE;
}

static PyObject *reservoir_sample(ReservoirObject *self, PyObject *batch_obj) {
    int64_t batch, *ip, sizes[MN_MAX_FIELDS];
    void *pointers[MN_MAX_FIELDS];
    PyObject *result = buffer_sample_args((PyObject *)self, batch_obj, &batch, &ip, NULL, pointers, sizes);
    if (!result)
        return NULL;
    mn_status st;
    int32_t rc;
    MN_CALL_SIZED(self, total_size(sizes, self->fields.count),
                  rc = mn_reservoir_sample(self->handle, batch, ip, pointers, sizes, self->fields.count, &st));
    return buffer_sample_done(result, rc, &st);
}

static PyObject *reservoir_describe(ReservoirObject *self, PyObject *unused) {
    if (mn_ready((PyObject *)self) < 0)
        return NULL;
    int64_t count, capacity, fields, seen;
    MN_CALL(self, mn_reservoir_describe(self->handle, &count, &capacity, &fields, &seen));
    return Py_BuildValue("{s:L,s:L,s:L,s:N,s:O,s:N}", "count", (long long)count, "capacity", (long long)capacity,
                         "seen", (long long)seen, "field_widths", widths_tuple(&self->fields), "shapes",
                         self->fields.shapes, "dtypes", dtypes_tuple(&self->fields));
}

static PyMethodDef reservoir_methods[] = {
    MN_CHECKPOINT_METHODS("ReservoirBuffer"),
    {"set_shapes", (PyCFunction)buffer_set_shapes, METH_O, "set_shapes(shapes): per-field item shapes"},
    {"__setstate__", (PyCFunction)buffer_set_shapes, METH_O, "Restores the field shapes after unpickling."},
    {"add", (PyCFunction)reservoir_add, METH_O, "add(fields): a tuple of (n, *shape) arrays, one per field in its dtype"},
    {"sample", (PyCFunction)reservoir_sample, METH_O, "sample(batch_size) -> (indices int64, field arrays...)"},
    {"describe", (PyCFunction)reservoir_describe, METH_NOARGS, "Configuration and state as a dict."},
    {NULL, NULL, 0, NULL},
};

static mn_type ReservoirType = {
    .type = {MN_TYPE(ReservoirObject, "ReservoirBuffer",
                     "ReservoirBuffer(capacity, shapes, seed=None)\n\nNative reservoir (use mnemonet.ReservoirReplay)."),
             .tp_init = (initproc)reservoir_init, .tp_methods = reservoir_methods, .tp_getset = buffer_getset,
             .tp_as_sequence = &buffer_as_sequence},
    .cls = {.name = "ReservoirBuffer", .free = MN_FREE(mn_reservoir_free), MN_CHECKPOINT_HOOKS(mn_reservoir),
            .adopted = buffer_adopted, .clear = clear_fields, .state = buffer_state,
            .data = &(const buffer_access){(get_metadata_fn)(void (*)(void))mn_reservoir_get_metadata,
                                           (set_metadata_fn)(void (*)(void))mn_reservoir_set_metadata,
                                           (field_widths_fn)(void (*)(void))mn_reservoir_field_widths,
                                           (field_types_fn)(void (*)(void))mn_reservoir_field_types,
                                           reservoir_counts}},
};

/* ---- registration ------------------------------------------------------------------------------------------- */

int mn_register_replay(PyObject *module) {
    return mn_add_types(module, (mn_type *const[]){&ReplayType, &ReservoirType, NULL});
}
