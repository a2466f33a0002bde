/*
 * mnemonet._native.DNC — the native Differentiable Neural Computer + trainer handle (Sources/MnemonetMemory/DNC
 * through mn_dnc_*). Argument checks and buffer plumbing only; the Python API lives in mnemonet/dnc.py.
 */
#include <math.h>

#include "mn_common.h"

typedef struct {
    MN_HANDLE_HEAD(mn_dnc)
    int64_t sizes[8]; /* X, Y, H, N, W, R, Hw, controller */
    npy_intp n_params;
} DNCObject;

static int dnc_adopted(PyObject *o) {
    DNCObject *self = (DNCObject *)o;
    float lr, clip;
    int32_t loss;
    int64_t steps;
    mn_dnc_describe(self->handle, self->sizes, &lr, &clip, &loss, &steps);
    self->n_params = (npy_intp)mn_dnc_parameter_count(self->handle);
    return 0;
}

static int dnc_init(DNCObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"input_size", "output_size", "hidden_size", "memory_size", "memory_dim",
                             "num_read_heads", "num_write_heads", "controller", "lr", "clip", "loss", "seed", NULL};
    long long s[7];
    int controller, loss;
    float lr, clip;
    unsigned long long seed;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&O&O&O&O&O&O&O&O&O&O&O&", kwlist, mn_to_int64, &s[0], mn_to_int64,
                                     &s[1], mn_to_int64, &s[2], mn_to_int64, &s[3], mn_to_int64, &s[4], mn_to_int64,
                                     &s[5], mn_to_int64, &s[6], mn_to_int32, &controller, mn_to_float32, &lr,
                                     mn_to_float32_or_inf, &clip, mn_to_int32, &loss, mn_to_uint64, &seed))
        return -1;
    if (mn_handle_fresh((PyObject *)self) < 0)
        return -1;
    int64_t sizes[8];
    for (int i = 0; i < 7; i++)
        sizes[i] = (int64_t)s[i];
    sizes[7] = controller;
    MN_CREATE_AND_RETURN(self, mn_dnc, mn_dnc_create(sizes, lr, clip, loss, (uint64_t)seed, &handle, &status));
}

/* 0 when every value of the float32 array is finite, else -1 with InvalidArgumentError naming `what`. */
static int check_finite(PyArrayObject *a, const char *what) {
    const float *p = (const float *)PyArray_DATA(a);
    npy_intp n = PyArray_SIZE(a);
    for (npy_intp i = 0; i < n; i++) {
        if (!isfinite(p[i])) {
            PyErr_Format(MnInvalidArgument, "%s must be finite, found %s at flat index %zd", what,
                         isnan(p[i]) ? "NaN" : "an infinity", (Py_ssize_t)i);
            return -1;
        }
    }
    return 0;
}

/* x [T, B, X] (T, B >= 1, finite); sets *t, *b. */
static PyArrayObject *check_sequence(DNCObject *self, PyObject *obj, const char *what, npy_intp width, npy_intp t,
                                     npy_intp b) {
    npy_intp shape[3] = {t, b, width};
    PyArrayObject *a = mn_check_array(obj, what, NPY_FLOAT32, 3, shape, 0);
    if (!a)
        return NULL;
    if (PyArray_DIM(a, 0) < 1 || PyArray_DIM(a, 1) < 1) {
        PyErr_Format(MnInvalidArgument, "%s must have at least one time step and one sequence, got shape (%zd, %zd, %zd)",
                     what, (Py_ssize_t)PyArray_DIM(a, 0), (Py_ssize_t)PyArray_DIM(a, 1), (Py_ssize_t)PyArray_DIM(a, 2));
        return NULL;
    }
    return check_finite(a, what) < 0 ? NULL : a;
}

/* Optional mask [T, B] with values in [0, 1]; NULL pointer for None. */
static int check_mask(PyObject *obj, npy_intp t, npy_intp b, const float **out) {
    *out = NULL;
    if (!obj || obj == Py_None)
        return 0;
    npy_intp shape[2] = {t, b};
    PyArrayObject *m = mn_check_array(obj, "mask", NPY_FLOAT32, 2, shape, 0);
    if (!m || check_finite(m, "mask") < 0)
        return -1;
    const float *p = (const float *)PyArray_DATA(m);
    for (npy_intp i = 0; i < t * b; i++) {
        if (p[i] < 0 || p[i] > 1) {
            PyErr_Format(MnInvalidArgument, "mask values must lie in [0, 1], found %g", (double)p[i]);
            return -1;
        }
    }
    *out = p;
    return 0;
}

static PyObject *dnc_forward(DNCObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"x", "mask", "state", "trace", NULL};
    PyObject *x_obj, *mask_obj = Py_None, *state_obj = Py_None;
    int trace = 0;
    MN_READY(self);
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|OOO&", kwlist, &x_obj, &mask_obj, &state_obj, mn_to_bool, &trace))
        return NULL;
    PyArrayObject *x = check_sequence(self, x_obj, "x", (npy_intp)self->sizes[0], MN_ANY, MN_ANY);
    if (!x)
        return NULL;
    npy_intp t = PyArray_DIM(x, 0), b = PyArray_DIM(x, 1);
    const float *mask;
    if (check_mask(mask_obj, t, b, &mask) < 0)
        return NULL;
    mn_status st;
    if (mn_dnc_check_memory(self->handle, t, b, 0, &st) != MNEMONET_STATUS_OK)
        return mn_raise(&st);
    npy_intp ssize = (npy_intp)mn_dnc_state_size(self->handle, (int64_t)b);
    const float *state_in = NULL;
    if (state_obj != Py_None) {
        npy_intp shape[1] = {ssize};
        PyArrayObject *s = mn_check_array(state_obj, "state", NPY_FLOAT32, 1, shape, 0);
        if (!s || check_finite(s, "state") < 0)
            return NULL;
        state_in = (const float *)PyArray_DATA(s);
    }
    npy_intp N = (npy_intp)self->sizes[3], R = (npy_intp)self->sizes[5], Hw = (npy_intp)self->sizes[6];
    npy_intp yd[3] = {t, b, (npy_intp)self->sizes[1]}, sd[1] = {ssize}, rd[4] = {t, b, R, N}, wd[4] = {t, b, Hw, N};
    PyArrayObject *y = (PyArrayObject *)PyArray_SimpleNew(3, yd, NPY_FLOAT32);
    PyArrayObject *so = y ? (PyArrayObject *)PyArray_SimpleNew(1, sd, NPY_FLOAT32) : NULL;
    PyArrayObject *rw = NULL, *ww = NULL;
    if (so && trace) {
        rw = (PyArrayObject *)PyArray_SimpleNew(4, rd, NPY_FLOAT32);
        ww = rw ? (PyArrayObject *)PyArray_SimpleNew(4, wd, NPY_FLOAT32) : NULL;
    }
    if (!so || (trace && !ww)) {
        Py_XDECREF(y);
        Py_XDECREF(so);
        Py_XDECREF(rw);
        return NULL;
    }
    int32_t rc;
    const float *xp = (const float *)PyArray_DATA(x);
    MN_CALL(self, rc = mn_dnc_forward(self->handle, xp, t, b, mask, state_in, (float *)PyArray_DATA(y),
                                                (float *)PyArray_DATA(so), rw ? (float *)PyArray_DATA(rw) : NULL,
                                                ww ? (float *)PyArray_DATA(ww) : NULL, &st));
    if (rc != MNEMONET_STATUS_OK) {
        Py_DECREF(y);
        Py_DECREF(so);
        Py_XDECREF(rw);
        Py_XDECREF(ww);
        return mn_raise(&st);
    }
    if (!trace)
        return Py_BuildValue("(NNOO)", y, so, Py_None, Py_None);
    return Py_BuildValue("(NNNN)", y, so, rw, ww);
}

static PyObject *dnc_train_step(DNCObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"x", "y", "mask", "truncation", "lr", "clip", NULL};
    PyObject *x_obj, *y_obj, *mask_obj = Py_None;
    long long truncation = 0;
    float lr, clip;
    MN_READY(self);
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOO&O&O&", kwlist, &x_obj, &y_obj, &mask_obj, mn_to_int64,
                                     &truncation, mn_to_float32, &lr, mn_to_float32_or_inf, &clip))
        return NULL;
    PyArrayObject *x = check_sequence(self, x_obj, "x", (npy_intp)self->sizes[0], MN_ANY, MN_ANY);
    if (!x)
        return NULL;
    npy_intp t = PyArray_DIM(x, 0), b = PyArray_DIM(x, 1);
    PyArrayObject *y = check_sequence(self, y_obj, "y", (npy_intp)self->sizes[1], t, b);
    if (!y)
        return NULL;
    const float *mask;
    if (check_mask(mask_obj, t, b, &mask) < 0)
        return NULL;
    if (truncation < 0) {
        PyErr_Format(MnInvalidArgument, "truncation must be >= 0 (0: whole sequence), got %lld", truncation);
        return NULL;
    }
    float loss = 0;
    mn_status st;
    int32_t rc;
    const float *xp = (const float *)PyArray_DATA(x), *yp = (const float *)PyArray_DATA(y);
    MN_CALL(self, rc = mn_dnc_train_step(self->handle, xp, yp, mask, t, b, truncation, lr, clip, &loss, &st));
    if (rc != MNEMONET_STATUS_OK)
        return mn_raise(&st);
    return PyFloat_FromDouble((double)loss);
}

static PyObject *dnc_parameters(DNCObject *self, PyObject *unused) {
    MN_READY(self);
    npy_intp d[1] = {self->n_params};
    PyArrayObject *out = (PyArrayObject *)PyArray_SimpleNew(1, d, NPY_FLOAT32);
    if (!out)
        return NULL;
    mn_status st;
    int32_t rc;
    MN_CALL(self, rc = mn_dnc_parameters(self->handle, (float *)PyArray_DATA(out), d[0], 0, &st));
    if (rc != MNEMONET_STATUS_OK) {
        Py_DECREF(out);
        return mn_raise(&st);
    }
    return (PyObject *)out;
}

static PyObject *dnc_set_parameters(DNCObject *self, PyObject *arg) {
    MN_READY(self);
    npy_intp shape[1] = {self->n_params};
    PyArrayObject *a = mn_check_array(arg, "parameters", NPY_FLOAT32, 1, shape, 0);
    if (!a || check_finite(a, "parameters") < 0)
        return NULL;
    mn_status st;
    int32_t rc;
    MN_CALL(self, rc = mn_dnc_parameters(self->handle, (float *)PyArray_DATA(a), shape[0], 1, &st));
    if (rc != MNEMONET_STATUS_OK)
        return mn_raise(&st);
    Py_RETURN_NONE;
}

static PyObject *dnc_state_size(DNCObject *self, PyObject *arg) {
    MN_READY(self);
    long long b;
    if (mn_as_int64(arg, "batch", &b) < 0)
        return NULL;
    if (b < 1 || b > (1LL << 24)) {
        PyErr_Format(MnInvalidArgument, "batch must be in 1...16777216, got %lld", b);
        return NULL;
    }
    return PyLong_FromLongLong((long long)mn_dnc_state_size(self->handle, (int64_t)b));
}

static PyObject *dnc_describe(DNCObject *self, PyObject *unused) {
    MN_READY(self);
    int64_t s[8], steps;
    float lr, clip;
    int32_t loss;
    MN_CALL(self, mn_dnc_describe(self->handle, s, &lr, &clip, &loss, &steps));
    return Py_BuildValue("{s:L,s:L,s:L,s:L,s:L,s:L,s:L,s:i,s:d,s:d,s:i,s:L}", "input_size", (long long)s[0],
                         "output_size", (long long)s[1], "hidden_size", (long long)s[2], "memory_size", (long long)s[3],
                         "memory_dim", (long long)s[4], "num_read_heads", (long long)s[5], "num_write_heads",
                         (long long)s[6], "controller", (int)s[7], "lr", (double)lr, "clip", (double)clip, "loss",
                         (int)loss, "optimizer_steps", (long long)steps);
}

static PyObject *dnc_get_parameter_count(DNCObject *self, void *closure) {
    (void)closure;
    MN_READY(self);
    return PyLong_FromSsize_t(self->n_params);
}

static PyGetSetDef dnc_getset[] = {
    {"parameter_count", (getter)dnc_get_parameter_count, NULL, "total number of parameters", NULL},
    {NULL},
};

static PyMethodDef dnc_methods[] = {
    {"forward", (PyCFunction)(void (*)(void))dnc_forward, METH_VARARGS | METH_KEYWORDS,
     "forward(x, mask=None, state=None, trace=False) -> (y, state, read_weights, write_weights)"},
    {"train_step", (PyCFunction)(void (*)(void))dnc_train_step, METH_VARARGS | METH_KEYWORDS,
     "train_step(x, y, mask, truncation, lr, clip) -> loss"},
    {"get_parameters", (PyCFunction)dnc_parameters, METH_NOARGS, "All parameters, flat, named_parameters order."},
    {"set_parameters", (PyCFunction)dnc_set_parameters, METH_O, "Replaces all parameters (flat)."},
    {"state_size", (PyCFunction)dnc_state_size, METH_O, "state_size(batch) -> floats in the flat state"},
    {"describe", (PyCFunction)dnc_describe, METH_NOARGS, "Sizes and trainer settings as a dict."},
    MN_CHECKPOINT_METHODS("DNC"),
    {NULL, NULL, 0, NULL},
};

static mn_type MnDNCType = {
    .type = {MN_TYPE(DNCObject, "DNC", "Native Differentiable Neural Computer (internal; use mnemonet.DNC)."),
             .tp_init = (initproc)dnc_init, .tp_methods = dnc_methods, .tp_getset = dnc_getset},
    .cls = {.name = "DNC", .free = MN_FREE(mn_dnc_free), MN_CHECKPOINT_HOOKS(mn_dnc),
            .adopted = dnc_adopted},
};

int mn_register_dnc(PyObject *module) { return mn_add_types(module, (mn_type *[]){&MnDNCType, NULL}); }
