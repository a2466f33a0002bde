/*
 * mnemonet._native.MetaLearner — the native meta-learner handle (Sources/MnemonetMeta through mn_meta_*).
 * Argument checks and buffer plumbing only; the Python API lives in mnemonet/meta.py.
 */
#include "mn_common.h"

typedef struct {
    MN_HANDLE_HEAD(mn_meta_learner)
    npy_intp d_in, d_out, n_params, n_alphas;
} MetaLearnerObject;

/* Caches the shapes of a newly installed handle. */
static int meta_adopted(PyObject *obj) {
    MetaLearnerObject *self = (MetaLearnerObject *)obj;
    int64_t sizes[64], count = 0;
    int32_t act, algo, steps, fo, backend;
    float ilr, mlr;
    mn_status st;
    if (mn_meta_describe(self->handle, sizes, 64, &count, &act, &algo, &ilr, &steps, &fo, &mlr, &backend, &st) !=
        MNEMONET_STATUS_OK) {
        mn_raise(&st);
        return -1;
    }
    self->d_in = (npy_intp)sizes[0];
    self->d_out = (npy_intp)sizes[count - 1];
    self->n_params = (npy_intp)mn_meta_parameter_count(self->handle);
    self->n_alphas = (npy_intp)mn_meta_alpha_count(self->handle);
    return 0;
}

static int meta_init(MetaLearnerObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"layer_sizes", "activation", "algorithm", "inner_lr", "inner_steps", "first_order",
                             "meta_lr", "seed", "backend", NULL};
    PyObject *sizes_obj;
    int activation, algorithm, inner_steps, first_order, backend = 0;
    float inner_lr, meta_lr;
    unsigned long long seed;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO&O&O&O&O&O&O&|O&", kwlist, &sizes_obj, mn_to_int32, &activation,
                                     mn_to_int32, &algorithm, mn_to_float32, &inner_lr, mn_to_int32, &inner_steps,
                                     mn_to_bool, &first_order, mn_to_float32, &meta_lr, mn_to_uint64, &seed,
                                     mn_to_int32, &backend))
        return -1;
    if (mn_handle_fresh((PyObject *)self) < 0)
        return -1;
    PyObject *seq = PySequence_Fast(sizes_obj, "layer_sizes must be a sequence of ints");
    if (!seq)
        return -1;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(seq);
    if (count < 2 || count > 64) {
        Py_DECREF(seq);
        PyErr_Format(MnInvalidArgument, "layer_sizes must have 2 to 64 entries, got %zd", count);
        return -1;
    }
    int64_t sizes[64];
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        char what[48];
        snprintf(what, sizeof what, "layer_sizes[%zd]", i);
        long long v;
        if (mn_as_int64(item, what, &v) < 0) {
            Py_DECREF(seq);
            return -1;
        }
        sizes[i] = (int64_t)v;
    }
    Py_DECREF(seq);
    MN_CREATE_AND_RETURN(self, mn_meta_learner,
                         mn_meta_create(sizes, (int64_t)count, activation, algorithm, inner_lr, inner_steps,
                                        first_order, meta_lr, backend, (uint64_t)seed, &handle, &status));
}

/* A new float32 array of the given shape, or NULL. */
static PyArrayObject *new_floats(int ndim, npy_intp *dims) {
    return mn_new_array(ndim, dims, NPY_FLOAT32, 0);
}

/* Optional parameter vector: None → NULL pointer; else a (n_params,) float32 array. Returns 0 / -1. */
static int optional_params(MetaLearnerObject *self, PyObject *obj, const float **out) {
    *out = NULL;
    if (obj == NULL || obj == Py_None)
        return 0;
    npy_intp shape[1] = {self->n_params};
    PyArrayObject *a = mn_check_array(obj, "params", NPY_FLOAT32, 1, shape, 0);
    if (!a)
        return -1;
    *out = (const float *)PyArray_DATA(a);
    return 0;
}

/* Checks x [n, d_in] and (if y_obj) y [n, d_out]; *n receives the row count. */
static int xy(MetaLearnerObject *self, PyObject *x_obj, PyObject *y_obj, const char *xn, const char *yn,
              PyArrayObject **x, PyArrayObject **y, npy_intp *n) {
    return mn_check_rows(x_obj, y_obj, xn, yn, self->d_in, self->d_out, 0, x, y, n);
}

static PyObject *meta_get(MetaLearnerObject *self, int which) {
    if (mn_ready((PyObject *)self) < 0)
        return NULL;
    npy_intp dims[1] = {which == 0 ? self->n_params : self->n_alphas};
    PyArrayObject *out = new_floats(1, dims);
    if (!out)
        return NULL;
    mn_status st;
    int32_t rc;
    MN_CALL(self, rc = mn_meta_get_parameters(self->handle, which, (float *)PyArray_DATA(out), dims[0], &st));
    if (rc != MNEMONET_STATUS_OK) {
        Py_DECREF(out);
        return mn_raise(&st);
    }
    return (PyObject *)out;
}

static PyObject *meta_set(MetaLearnerObject *self, PyObject *arg, int which) {
    if (mn_ready((PyObject *)self) < 0)
        return NULL;
    npy_intp shape[1] = {which == 0 ? self->n_params : self->n_alphas};
    PyArrayObject *a = mn_check_array(arg, which == 0 ? "parameters" : "alphas", NPY_FLOAT32, 1, shape, 0);
    if (!a)
        return NULL;
    mn_status st;
    int32_t rc;
    MN_CALL(self, rc = mn_meta_set_parameters(self->handle, which, (const float *)PyArray_DATA(a),
                                                        shape[0], &st));
    if (rc != MNEMONET_STATUS_OK)
        return mn_raise(&st);
    Py_RETURN_NONE;
}

static PyObject *meta_get_parameters(MetaLearnerObject *self, PyObject *unused) { return meta_get(self, 0); }
static PyObject *meta_get_alphas(MetaLearnerObject *self, PyObject *unused) { return meta_get(self, 1); }
static PyObject *meta_set_parameters(MetaLearnerObject *self, PyObject *arg) { return meta_set(self, arg, 0); }
static PyObject *meta_set_alphas(MetaLearnerObject *self, PyObject *arg) { return meta_set(self, arg, 1); }

static PyObject *meta_predict(MetaLearnerObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"x", "params", NULL};
    PyObject *x_obj, *p_obj = Py_None;
    if (mn_ready((PyObject *)self) < 0 || !PyArg_ParseTupleAndKeywords(args, kwds, "O|O", kwlist, &x_obj, &p_obj))
        return NULL;
    PyArrayObject *x;
    npy_intp n;
    const float *params;
    if (xy(self, x_obj, NULL, "x", NULL, &x, NULL, &n) < 0 || optional_params(self, p_obj, &params) < 0)
        return NULL;
    npy_intp dims[2] = {n, self->d_out};
    PyArrayObject *out = new_floats(2, dims);
    if (!out)
        return NULL;
    mn_status st;
    int32_t rc = MNEMONET_STATUS_OK;
    if (n > 0)
        MN_CALL(self, rc = mn_meta_predict(self->handle, params, (const float *)PyArray_DATA(x), n,
                                                     (float *)PyArray_DATA(out), &st));
    if (rc != MNEMONET_STATUS_OK) {
        Py_DECREF(out);
        return mn_raise(&st);
    }
    return (PyObject *)out;
}

static PyObject *meta_adapt(MetaLearnerObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"x", "y", "steps", "lr", "params", NULL};
    PyObject *x_obj, *y_obj, *p_obj = Py_None;
    int steps;
    float lr;
    if (mn_ready((PyObject *)self) < 0 ||
        !PyArg_ParseTupleAndKeywords(args, kwds, "OOO&O&|O", kwlist, &x_obj, &y_obj, mn_to_int32, &steps,
                                     mn_to_float32, &lr, &p_obj))
        return NULL;
    PyArrayObject *x, *y;
    npy_intp n;
    const float *params;
    if (xy(self, x_obj, y_obj, "support_x", "support_y", &x, &y, &n) < 0 || optional_params(self, p_obj, &params) < 0)
        return NULL;
    npy_intp dims[1] = {self->n_params};
    PyArrayObject *out = new_floats(1, dims);
    if (!out)
        return NULL;
    mn_status st;
    int32_t rc;
    MN_CALL(self, rc = mn_meta_adapt(self->handle, params, (const float *)PyArray_DATA(x),
                                               (const float *)PyArray_DATA(y), n, steps, lr,
                                               (float *)PyArray_DATA(out), &st));
    if (rc != MNEMONET_STATUS_OK) {
        Py_DECREF(out);
        return mn_raise(&st);
    }
    return (PyObject *)out;
}

static PyObject *meta_meta_gradient(MetaLearnerObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"support_x", "support_y", "query_x", "query_y", "steps", "lr", "first_order", NULL};
    PyObject *sx_o, *sy_o, *qx_o, *qy_o;
    int steps, first_order;
    float lr;
    if (mn_ready((PyObject *)self) < 0 || !PyArg_ParseTupleAndKeywords(args, kwds, "OOOOO&O&O&", kwlist, &sx_o,
                                                                       &sy_o, &qx_o, &qy_o, mn_to_int32, &steps,
                                                                       mn_to_float32, &lr, mn_to_int32, &first_order))
        return NULL;
    PyArrayObject *sx, *sy, *qx, *qy;
    npy_intp ns, nq;
    if (xy(self, sx_o, sy_o, "support_x", "support_y", &sx, &sy, &ns) < 0 ||
        xy(self, qx_o, qy_o, "query_x", "query_y", &qx, &qy, &nq) < 0)
        return NULL;
    npy_intp gd[1] = {self->n_params}, ad[1] = {self->n_alphas};
    PyArrayObject *g = new_floats(1, gd);
    PyArrayObject *ga = g ? new_floats(1, ad) : NULL;
    if (!ga) {
        Py_XDECREF(g);
        return NULL;
    }
    float losses[2] = {0, 0};
    mn_status st;
    int32_t rc;
    MN_CALL(self,
              rc = mn_meta_meta_gradient(self->handle, (const float *)PyArray_DATA(sx), (const float *)PyArray_DATA(sy),
                                         ns, (const float *)PyArray_DATA(qx), (const float *)PyArray_DATA(qy), nq, steps,
                                         lr, first_order, (float *)PyArray_DATA(g),
                                         self->n_alphas ? (float *)PyArray_DATA(ga) : NULL, losses, &st));
    if (rc != MNEMONET_STATUS_OK) {
        Py_DECREF(g);
        Py_DECREF(ga);
        return mn_raise(&st);
    }
    return Py_BuildValue("(NNdd)", g, ga, (double)losses[0], (double)losses[1]);
}

static PyObject *meta_apply_meta_gradient(MetaLearnerObject *self, PyObject *arg) {
    if (mn_ready((PyObject *)self) < 0)
        return NULL;
    npy_intp shape[1] = {self->n_params + self->n_alphas};
    PyArrayObject *g = mn_check_array(arg, "gradient", NPY_FLOAT32, 1, shape, 0);
    if (!g)
        return NULL;
    mn_status st;
    int32_t rc;
    MN_CALL(self, rc = mn_meta_apply_meta_gradient(self->handle, (const float *)PyArray_DATA(g), shape[0], &st));
    if (rc != MNEMONET_STATUS_OK)
        return mn_raise(&st);
    Py_RETURN_NONE;
}

/* Checks a batched set: x [B, n, d_in], y [B, n, d_out] with B = *batch (or sets it when -1). */
static int batched(MetaLearnerObject *self, PyObject *x_obj, PyObject *y_obj, const char *xn, const char *yn,
                   npy_intp *batch, PyArrayObject **x, PyArrayObject **y, npy_intp *n) {
    npy_intp xs[3] = {*batch < 0 ? MN_ANY : *batch, MN_ANY, self->d_in};
    *x = mn_check_array(x_obj, xn, NPY_FLOAT32, 3, xs, 0);
    if (!*x)
        return -1;
    *batch = PyArray_DIM(*x, 0);
    *n = PyArray_DIM(*x, 1);
    npy_intp ys[3] = {*batch, *n, self->d_out};
    *y = mn_check_array(y_obj, yn, NPY_FLOAT32, 3, ys, 0);
    return *y ? 0 : -1;
}

static PyObject *meta_step(MetaLearnerObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"support_x", "support_y", "query_x", "query_y", NULL};
    PyObject *sx_o, *sy_o, *qx_o, *qy_o;
    if (mn_ready((PyObject *)self) < 0 || !PyArg_ParseTupleAndKeywords(args, kwds, "OOOO", kwlist, &sx_o, &sy_o, &qx_o, &qy_o))
        return NULL;
    PyArrayObject *sx, *sy, *qx, *qy;
    npy_intp batch = -1, ns, nq;
    if (batched(self, sx_o, sy_o, "support_x", "support_y", &batch, &sx, &sy, &ns) < 0 ||
        batched(self, qx_o, qy_o, "query_x", "query_y", &batch, &qx, &qy, &nq) < 0)
        return NULL;
    if (batch < 1 || ns < 1 || nq < 1) {
        PyErr_SetString(MnInvalidArgument, "the meta-batch, support and query sets must be non-empty");
        return NULL;
    }
    float losses[2] = {0, 0};
    mn_status st;
    int32_t rc;
    MN_CALL(self,
              rc = mn_meta_step(self->handle, (const float *)PyArray_DATA(sx), (const float *)PyArray_DATA(sy), ns,
                                (const float *)PyArray_DATA(qx), (const float *)PyArray_DATA(qy), nq, batch, losses,
                                &st));
    if (rc != MNEMONET_STATUS_OK)
        return mn_raise(&st);
    return Py_BuildValue("(dd)", (double)losses[0], (double)losses[1]);
}

static PyObject *meta_train_sinusoid(MetaLearnerObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"iterations", "meta_batch_size", "k_shot", NULL};
    long long iterations;
    int meta_batch, k_shot;
    if (mn_ready((PyObject *)self) < 0 ||
        !PyArg_ParseTupleAndKeywords(args, kwds, "O&O&O&", kwlist, mn_to_int64, &iterations, mn_to_int32,
                                     &meta_batch, mn_to_int32, &k_shot))
        return NULL;
    if (iterations < 0 || iterations > 100000000LL) {
        PyErr_Format(MnInvalidArgument, "iterations must be in 0...100000000, got %lld", iterations);
        return NULL;
    }
    npy_intp dims[1] = {(npy_intp)iterations};
    PyArrayObject *hist = new_floats(1, dims);
    if (!hist)
        return NULL;
    mn_status st;
    int32_t rc;
    MN_CALL(self, rc = mn_meta_train_sinusoid(self->handle, (int64_t)iterations, meta_batch, k_shot,
                                                        (float *)PyArray_DATA(hist), &st));
    if (rc != MNEMONET_STATUS_OK) {
        Py_DECREF(hist);
        return mn_raise(&st);
    }
    return (PyObject *)hist;
}

static PyObject *meta_evaluate_sinusoid(MetaLearnerObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"num_tasks", "k_shot", "max_steps", "lr", "seed", NULL};
    long long tasks;
    int k_shot, max_steps;
    float lr;
    unsigned long long seed;
    if (mn_ready((PyObject *)self) < 0 ||
        !PyArg_ParseTupleAndKeywords(args, kwds, "O&O&O&O&O&", kwlist, mn_to_int64, &tasks, mn_to_int32, &k_shot,
                                     mn_to_int32, &max_steps, mn_to_float32, &lr, mn_to_uint64, &seed))
        return NULL;
    if (tasks < 1 || tasks > 1000000 || max_steps < 0 || max_steps > 10000 ||
        tasks * (long long)(max_steps + 1) > 100000000LL) {
        PyErr_Format(MnInvalidArgument,
                     "num_tasks must be in 1...1000000, max_steps in 0...10000 and num_tasks*(max_steps+1) <= 1e8, "
                     "got %lld and %d",
                     tasks, max_steps);
        return NULL;
    }
    npy_intp dims[2] = {(npy_intp)tasks, (npy_intp)max_steps + 1};
    PyArrayObject *out = new_floats(2, dims);
    if (!out)
        return NULL;
    mn_status st;
    int32_t rc;
    MN_CALL(self, rc = mn_meta_evaluate_sinusoid(self->handle, (int64_t)tasks, k_shot, max_steps, lr,
                                                           (uint64_t)seed, (float *)PyArray_DATA(out), &st));
    if (rc != MNEMONET_STATUS_OK) {
        Py_DECREF(out);
        return mn_raise(&st);
    }
    return (PyObject *)out;
}

static PyObject *meta_describe(MetaLearnerObject *self, PyObject *unused) {
    if (mn_ready((PyObject *)self) < 0)
        return NULL;
    int64_t sizes[64], count = 0;
    int32_t act, algo, steps, fo, backend;
    float ilr, mlr;
    mn_status st;
    int32_t rc;
    MN_CALL(self, rc = mn_meta_describe(self->handle, sizes, 64, &count, &act, &algo, &ilr, &steps, &fo,
                                                  &mlr, &backend, &st));
    if (rc != MNEMONET_STATUS_OK)
        return mn_raise(&st);
    PyObject *list = PyList_New((Py_ssize_t)count);
    if (!list)
        return NULL;
    for (int64_t i = 0; i < count && i < 64; i++)
        PyList_SET_ITEM(list, (Py_ssize_t)i, PyLong_FromLongLong((long long)sizes[i]));
    return Py_BuildValue("{s:N,s:i,s:i,s:d,s:i,s:O,s:d,s:i}", "layer_sizes", list, "activation", (int)act,
                         "algorithm", (int)algo, "inner_lr", (double)ilr, "inner_steps", (int)steps, "first_order",
                         fo ? Py_True : Py_False, "meta_lr", (double)mlr, "backend", (int)backend);
}

static PyObject *meta_get_int(MetaLearnerObject *self, void *closure) {
    if (mn_ready((PyObject *)self) < 0)
        return NULL;
    switch ((int)(intptr_t)closure) {
    case 0: return PyLong_FromSsize_t(self->n_params);
    case 1: return PyLong_FromSsize_t(self->n_alphas);
    default: {
        int64_t it;
        MN_CALL(self, it = mn_meta_iteration(self->handle));
        return PyLong_FromLongLong((long long)it);
    }
    }
}

static PyGetSetDef meta_getset[] = {
    {"parameter_count", (getter)meta_get_int, NULL, "|θ|", (void *)0},
    {"alpha_count", (getter)meta_get_int, NULL, "|α| (Meta-SGD), else 0", (void *)1},
    {"iteration", (getter)meta_get_int, NULL, "outer steps taken", (void *)2},
    {NULL},
};

static PyMethodDef meta_methods[] = {
    {"get_parameters", (PyCFunction)meta_get_parameters, METH_NOARGS, "θ as a new float32 array."},
    {"set_parameters", (PyCFunction)meta_set_parameters, METH_O, "Replaces θ."},
    {"get_alphas", (PyCFunction)meta_get_alphas, METH_NOARGS, "Meta-SGD's α as a new float32 array."},
    {"set_alphas", (PyCFunction)meta_set_alphas, METH_O, "Replaces Meta-SGD's α."},
    {"predict", (PyCFunction)(void (*)(void))meta_predict, METH_VARARGS | METH_KEYWORDS, "predict(x, params=None)"},
    {"adapt", (PyCFunction)(void (*)(void))meta_adapt, METH_VARARGS | METH_KEYWORDS, "adapt(x, y, steps, lr, params=None)"},
    {"meta_gradient", (PyCFunction)(void (*)(void))meta_meta_gradient, METH_VARARGS | METH_KEYWORDS,
     "meta_gradient(support_x, support_y, query_x, query_y, steps, lr, first_order)"},
    MN_CHECKPOINT_METHODS("MetaLearner"),
    {"describe", (PyCFunction)meta_describe, METH_NOARGS, "Shape and configuration as a dict."},
    {"meta_step", (PyCFunction)(void (*)(void))meta_step, METH_VARARGS | METH_KEYWORDS,
     "meta_step(support_x, support_y, query_x, query_y) -> (support loss, query loss)"},
    {"apply_meta_gradient", (PyCFunction)meta_apply_meta_gradient, METH_O, "One outer Adam step."},
    {"train_sinusoid", (PyCFunction)(void (*)(void))meta_train_sinusoid, METH_VARARGS | METH_KEYWORDS,
     "train_sinusoid(iterations, meta_batch_size, k_shot) -> loss history"},
    {"evaluate_sinusoid", (PyCFunction)(void (*)(void))meta_evaluate_sinusoid, METH_VARARGS | METH_KEYWORDS,
     "evaluate_sinusoid(num_tasks, k_shot, max_steps, lr, seed) -> [num_tasks, max_steps + 1]"},
    {NULL, NULL, 0, NULL},
};

static mn_type MetaLearnerType = {
    .type = {MN_TYPE(MetaLearnerObject, "MetaLearner", "Native meta-learner (internal; use mnemonet.MetaLearner)."),
             .tp_init = (initproc)meta_init, .tp_methods = meta_methods, .tp_getset = meta_getset},
    .cls = {.name = "MetaLearner", .free = MN_FREE(mn_meta_free), MN_CHECKPOINT_HOOKS(mn_meta),
            .adopted = meta_adopted},
};

int mn_register_meta(PyObject *module) { return mn_add_types(module, (mn_type *const[]){&MetaLearnerType, NULL}); }
