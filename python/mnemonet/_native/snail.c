/*
 * mnemonet._native.SNAIL — the native SNAIL handle (Sources/MnemonetSNAIL through mn_snail_*).
 * Argument checks and buffer plumbing only; the Python API lives in mnemonet/snail.py.
 */
#include "mn_common.h"

typedef struct {
    MN_HANDLE_HEAD(mn_snail)
    npy_intp d_in, d_out, n_params;
} SNAILObject;

/* Caches the sizes of a newly installed handle. */
static int snail_adopted(PyObject *obj) {
    SNAILObject *self = (SNAILObject *)obj;
    int64_t sizes[3], blocks[3 * 64], count = 0;
    float opt[2];
    mn_status st;
    if (mn_snail_describe(self->handle, sizes, blocks, 64, &count, opt, &st) != MNEMONET_STATUS_OK) {
        mn_raise(&st);
        return -1;
    }
    self->d_in = (npy_intp)sizes[0];
    self->d_out = (npy_intp)sizes[1];
    self->n_params = 0;
    int64_t n = mn_snail_tensor_count(self->handle);
    for (int64_t i = 0; i < n; i++) {
        char name[256];
        int64_t shape[4], rank = 0, c = 1;
        if (mn_snail_tensor_info(self->handle, i, name, sizeof name, shape, &rank, &st) != MNEMONET_STATUS_OK) {
            mn_raise(&st);
            return -1;
        }
        for (int64_t d = 0; d < rank; d++)
            c *= shape[d];
        self->n_params += (npy_intp)c;
    }
    return 0;
}

/* embedding: a sequence of at most 16 layer sizes (int64 each) into sizes; returns the count or -1. */
static Py_ssize_t snail_embedding_sizes(PyObject *obj, int64_t sizes[16]) {
    if (obj == NULL || obj == Py_None)
        return 0;
    /* str/bytes/bytearray would be read as character codes, a set or dict in no defined order */
    if (PyUnicode_Check(obj) || PyBytes_Check(obj) || PyByteArray_Check(obj) || PyAnySet_Check(obj) || PyDict_Check(obj)) {
        PyErr_SetString(MnArgumentType, "embedding must be a sequence of layer sizes (ints)");
        return -1;
    }
    PyObject *seq = PySequence_Fast(obj, "embedding must be a sequence of layer sizes (ints)");
    if (!seq)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n > 16) {
        Py_DECREF(seq);
        PyErr_Format(MnInvalidArgument, "an embedding has at most 16 layers, got %zd", n);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        long long v;
        if (!mn_to_int64(PySequence_Fast_GET_ITEM(seq, i), &v)) {
            Py_DECREF(seq);
            return -1;
        }
        sizes[i] = v;
    }
    Py_DECREF(seq);
    return n;
}

static int snail_init(SNAILObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"input_size", "output_size", "sequence_length", "blocks", "lr", "clip_norm", "seed",
                             "embedding", "embedding_inputs", "embedding_final_relu", NULL};
    long long in, out, len, emb_in = 0;
    PyObject *blocks_obj, *emb_obj = NULL;
    float lr, clip;
    unsigned long long seed;
    int final_relu = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&O&O&OO&O&O&|$OO&O&", kwlist, mn_to_int64, &in, mn_to_int64, &out,
                                     mn_to_int64, &len, &blocks_obj, mn_to_float32, &lr, mn_to_float32, &clip,
                                     mn_to_uint64, &seed, &emb_obj, mn_to_int64, &emb_in, mn_to_bool, &final_relu))
        return -1;
    if (mn_handle_fresh((PyObject *)self) < 0)
        return -1;
    int64_t emb[16];
    Py_ssize_t emb_count = snail_embedding_sizes(emb_obj, emb);
    if (emb_count < 0)
        return -1;
    PyObject *seq = PySequence_Fast(blocks_obj, "blocks must be a sequence of (kind, a, b) integer triples");
    if (!seq)
        return -1;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(seq);
    if (count > 64) {
        Py_DECREF(seq);
        PyErr_Format(MnInvalidArgument, "at most 64 blocks, got %zd", count);
        return -1;
    }
    int64_t blocks[3 * 64];
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        long long a, b, c;
        if (!PyTuple_Check(item) || !PyArg_ParseTuple(item, "O&O&O&", mn_to_int64, &a, mn_to_int64, &b, mn_to_int64,
                                                      &c)) {
            Py_DECREF(seq);
            if (!PyErr_Occurred() || PyErr_ExceptionMatches(PyExc_TypeError)) {
                PyErr_Clear();
                PyErr_Format(MnArgumentType, "blocks[%zd] must be a tuple of 3 ints", i);
            }
            return -1;
        }
        blocks[3 * i] = a, blocks[3 * i + 1] = b, blocks[3 * i + 2] = c;
    }
    Py_DECREF(seq);
    MN_CREATE_AND_RETURN(self, mn_snail,
                         mn_snail_create(in, out, len, blocks, (int64_t)count, emb, (int64_t)emb_count, emb_in,
                                         final_relu, lr, clip, (uint64_t)seed, &handle, &status));
}

static PyObject *snail_tensor_info(SNAILObject *self, PyObject *arg) {
    MN_READY(self);
    long long i;
    if (mn_as_int64(arg, "index", &i) < 0)
        return NULL;
    char name[256];
    int64_t shape[4], rank = 0;
    mn_status st;
    int32_t rc;
    MN_CALL(self, rc = mn_snail_tensor_info(self->handle, i, name, sizeof name, shape, &rank, &st));
    if (rc != MNEMONET_STATUS_OK)
        return mn_raise(&st);
    PyObject *dims = PyTuple_New((Py_ssize_t)rank);
    if (!dims)
        return NULL;
    for (int64_t d = 0; d < rank; d++)
        PyTuple_SET_ITEM(dims, (Py_ssize_t)d, PyLong_FromLongLong((long long)shape[d]));
    return Py_BuildValue("(sN)", name, dims);
}

/* The float32 array for tensor `i`: shape from the handle. */
static PyObject *snail_get_tensor(SNAILObject *self, PyObject *arg) {
    PyObject *info = snail_tensor_info(self, arg);
    if (!info)
        return NULL;
    PyObject *dims = PyTuple_GET_ITEM(info, 1);
    npy_intp shape[4];
    int rank = (int)PyTuple_GET_SIZE(dims);
    npy_intp count = 1;
    for (int d = 0; d < rank; d++)
        count *= (shape[d] = (npy_intp)PyLong_AsLongLong(PyTuple_GET_ITEM(dims, d)));
    Py_DECREF(info);
    PyArrayObject *out = (PyArrayObject *)PyArray_SimpleNew(rank, shape, NPY_FLOAT32);
    if (!out)
        return NULL;
    long long i = PyLong_AsLongLong(arg);
    mn_status st;
    int32_t rc;
    MN_CALL(self, rc = mn_snail_get_tensor(self->handle, i, (float *)PyArray_DATA(out), count, &st));
    if (rc != MNEMONET_STATUS_OK) {
        Py_DECREF(out);
        return mn_raise(&st);
    }
    return (PyObject *)out;
}

static PyObject *snail_set_tensor(SNAILObject *self, PyObject *args) {
    long long i;
    PyObject *v;
    if (mn_ready((PyObject *)self) < 0 || !PyArg_ParseTuple(args, "O&O", mn_to_int64, &i, &v))
        return NULL;
    PyObject *index = PyLong_FromLongLong(i);
    PyObject *info = index ? snail_tensor_info(self, index) : NULL;
    Py_XDECREF(index);
    if (!info)
        return NULL;
    PyObject *dims = PyTuple_GET_ITEM(info, 1);
    npy_intp shape[4];
    int rank = (int)PyTuple_GET_SIZE(dims);
    for (int d = 0; d < rank; d++)
        shape[d] = (npy_intp)PyLong_AsLongLong(PyTuple_GET_ITEM(dims, d));
    const char *name = PyUnicode_AsUTF8(PyTuple_GET_ITEM(info, 0));
    PyArrayObject *a = mn_check_array(v, name ? name : "parameter", NPY_FLOAT32, rank, shape, 0);
    Py_DECREF(info);
    if (!a)
        return NULL;
    mn_status st;
    int32_t rc;
    MN_CALL(self, rc = mn_snail_set_tensor(self->handle, i, (const float *)PyArray_DATA(a),
                                                     (int64_t)PyArray_SIZE(a), &st));
    if (rc != MNEMONET_STATUS_OK)
        return mn_raise(&st);
    Py_RETURN_NONE;
}

/* x [B, T, d_in] with B, T ≥ 1. */
static PyArrayObject *check_x(SNAILObject *self, PyObject *obj) {
    npy_intp xs[3] = {MN_ANY, MN_ANY, self->d_in};
    PyArrayObject *x = mn_check_array(obj, "x", NPY_FLOAT32, 3, xs, 0);
    if (x && (PyArray_DIM(x, 0) < 1 || PyArray_DIM(x, 1) < 1)) {
        PyErr_SetString(MnInvalidArgument, "x must have at least one sequence and one step");
        return NULL;
    }
    return x;
}

static PyObject *snail_forward(SNAILObject *self, PyObject *arg) {
    MN_READY(self);
    PyArrayObject *x = check_x(self, arg);
    if (!x)
        return NULL;
    npy_intp dims[3] = {PyArray_DIM(x, 0), PyArray_DIM(x, 1), self->d_out};
    PyArrayObject *y = (PyArrayObject *)PyArray_SimpleNew(3, dims, NPY_FLOAT32);
    if (!y)
        return NULL;
    mn_status st;
    int32_t rc;
    MN_CALL(self, rc = mn_snail_forward(self->handle, (const float *)PyArray_DATA(x), dims[0], dims[1],
                                                  (float *)PyArray_DATA(y), &st));
    if (rc != MNEMONET_STATUS_OK) {
        Py_DECREF(y);
        return mn_raise(&st);
    }
    return (PyObject *)y;
}

static PyObject *snail_loss(SNAILObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"x", "targets", "weights", "loss", "update", "gradients", NULL};
    PyObject *x_o, *t_o, *w_o;
    int loss, update, want;
    if (mn_ready((PyObject *)self) < 0 ||
        !PyArg_ParseTupleAndKeywords(args, kwds, "OOOO&O&O&", kwlist, &x_o, &t_o, &w_o, mn_to_int32, &loss,
                                     mn_to_bool, &update, mn_to_bool, &want))
        return NULL;
    PyArrayObject *x = check_x(self, x_o);
    if (!x)
        return NULL;
    npy_intp b = PyArray_DIM(x, 0), t = PyArray_DIM(x, 1);
    npy_intp ts[3] = {b, t, self->d_out}, ws[2] = {b, t};
    PyArrayObject *tg = mn_check_array(t_o, "targets", NPY_FLOAT32, 3, ts, 0);
    PyArrayObject *w = tg ? mn_check_array(w_o, "weights", NPY_FLOAT32, 2, ws, 0) : NULL;
    if (!w)
        return NULL;
    PyArrayObject *g = NULL;
    if (want) {
        npy_intp gd[1] = {self->n_params};
        if (!(g = (PyArrayObject *)PyArray_SimpleNew(1, gd, NPY_FLOAT32)))
            return NULL;
    }
    float value = 0;
    mn_status st;
    int32_t rc;
    MN_CALL(self,
              rc = mn_snail_loss(self->handle, (const float *)PyArray_DATA(x), (const float *)PyArray_DATA(tg),
                                 (const float *)PyArray_DATA(w), b, t, loss, update, &value,
                                 g ? (float *)PyArray_DATA(g) : NULL, &st));
    if (rc != MNEMONET_STATUS_OK) {
        Py_XDECREF(g);
        return mn_raise(&st);
    }
    if (!g)
        return Py_BuildValue("(dO)", (double)value, Py_None);
    return Py_BuildValue("(dN)", (double)value, g);
}

static PyObject *snail_set_optimizer(SNAILObject *self, PyObject *args) {
    float lr, clip;
    if (mn_ready((PyObject *)self) < 0 || !PyArg_ParseTuple(args, "O&O&", mn_to_float32, &lr, mn_to_float32, &clip))
        return NULL;
    mn_status st;
    int32_t rc;
    MN_CALL(self, rc = mn_snail_set_optimizer(self->handle, lr, clip, &st));
    if (rc != MNEMONET_STATUS_OK)
        return mn_raise(&st);
    Py_RETURN_NONE;
}

static PyObject *snail_describe(SNAILObject *self, PyObject *unused) {
    MN_READY(self);
    int64_t sizes[3], blocks[3 * 64], count = 0;
    float opt[2];
    mn_status st;
    int32_t rc;
    MN_CALL(self, rc = mn_snail_describe(self->handle, sizes, blocks, 64, &count, opt, &st));
    if (rc != MNEMONET_STATUS_OK)
        return mn_raise(&st);
    int64_t einfo[3] = {0, 0, 0}, esizes[16];
    MN_CALL(self, rc = mn_snail_describe_embedding(self->handle, einfo, esizes, 16, &st));
    if (rc != MNEMONET_STATUS_OK)
        return mn_raise(&st);
    PyObject *list = PyList_New((Py_ssize_t)count);
    if (!list)
        return NULL;
    for (int64_t i = 0; i < count && i < 64; i++)
        PyList_SET_ITEM(list, (Py_ssize_t)i,
                        Py_BuildValue("(LLL)", (long long)blocks[3 * i], (long long)blocks[3 * i + 1],
                                      (long long)blocks[3 * i + 2]));
    PyObject *elist = PyTuple_New((Py_ssize_t)(einfo[0] < 16 ? einfo[0] : 16));
    if (!elist) {
        Py_DECREF(list);
        return NULL;
    }
    for (int64_t i = 0; i < einfo[0] && i < 16; i++)
        PyTuple_SET_ITEM(elist, (Py_ssize_t)i, PyLong_FromLongLong((long long)esizes[i]));
    return Py_BuildValue("{s:L,s:L,s:L,s:N,s:d,s:d,s:N,s:L,s:O}", "input_size", (long long)sizes[0], "output_size",
                         (long long)sizes[1], "sequence_length", (long long)sizes[2], "blocks", list, "lr",
                         (double)opt[0], "clip_norm", (double)opt[1], "embedding", elist, "embedding_inputs",
                         (long long)einfo[1], "embedding_final_relu", einfo[2] ? Py_True : Py_False);
}

static PyObject *snail_bandit_train(SNAILObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"arms", "pulls", "batch", "iterations", "config", NULL};
    long long arms, pulls, batch, iterations;
    float c[5];
    if (mn_ready((PyObject *)self) < 0 || !PyArg_ParseTupleAndKeywords(args, kwds, "O&O&O&O&(O&O&O&O&O&)", kwlist,
                                                                       mn_to_int64, &arms, mn_to_int64, &pulls,
                                                                       mn_to_int64, &batch, mn_to_int64, &iterations,
                                                                       mn_to_float32, &c[0], mn_to_float32, &c[1],
                                                                       mn_to_float32, &c[2], mn_to_float32, &c[3],
                                                                       mn_to_float32, &c[4]))
        return NULL;
    if (iterations < 0 || iterations > 100000000LL) {
        PyErr_Format(MnInvalidArgument, "iterations must be in 0...100000000, got %lld", iterations);
        return NULL;
    }
    npy_intp dims[1] = {(npy_intp)iterations};
    PyArrayObject *out = (PyArrayObject *)PyArray_SimpleNew(1, dims, NPY_FLOAT32);
    if (!out)
        return NULL;
    mn_status st;
    int32_t rc;
    MN_CALL(self, rc = mn_snail_bandit_train(self->handle, arms, pulls, batch, iterations, c,
                                                       (float *)PyArray_DATA(out), &st));
    if (rc != MNEMONET_STATUS_OK) {
        Py_DECREF(out);
        return mn_raise(&st);
    }
    return (PyObject *)out;
}

static PyObject *snail_bandit_evaluate(SNAILObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"probabilities", "uniforms", "greedy", NULL};
    PyObject *p_o, *u_o;
    int greedy = 0;
    if (mn_ready((PyObject *)self) < 0 || !PyArg_ParseTupleAndKeywords(args, kwds, "OO|O&", kwlist, &p_o, &u_o,
                                                                       mn_to_bool, &greedy))
        return NULL;
    npy_intp ps[2] = {MN_ANY, self->d_in - 2};
    PyArrayObject *p = mn_check_array(p_o, "probabilities", NPY_FLOAT32, 2, ps, 0);
    if (!p)
        return NULL;
    npy_intp e = PyArray_DIM(p, 0), k = PyArray_DIM(p, 1);
    npy_intp us[3] = {e, MN_ANY, k};
    PyArrayObject *u = mn_check_array(u_o, "uniforms", NPY_FLOAT32, 3, us, 0);
    if (!u)
        return NULL;
    npy_intp n = PyArray_DIM(u, 1);
    npy_intp dims[1] = {e};
    PyArrayObject *out = (PyArrayObject *)PyArray_SimpleNew(1, dims, NPY_FLOAT32);
    if (!out)
        return NULL;
    mn_status st;
    int32_t rc = MNEMONET_STATUS_OK;
    if (e > 0)
        MN_CALL(self, rc = mn_snail_bandit_evaluate(self->handle, k, n, (const float *)PyArray_DATA(p),
                                                              (const float *)PyArray_DATA(u), e, greedy,
                                                              (float *)PyArray_DATA(out), &st));
    if (rc != MNEMONET_STATUS_OK) {
        Py_DECREF(out);
        return mn_raise(&st);
    }
    return (PyObject *)out;
}

static PyObject *snail_get_int(SNAILObject *self, void *closure) {
    MN_READY(self);
    int64_t v;
    if ((intptr_t)closure == 0) {
        MN_CALL(self, v = mn_snail_tensor_count(self->handle));
    } else if ((intptr_t)closure == 1) {
        v = (int64_t)self->n_params;
    } else {
        MN_CALL(self, v = mn_snail_iteration(self->handle));
    }
    return PyLong_FromLongLong((long long)v);
}

static PyGetSetDef snail_getset[] = {
    {"tensor_count", (getter)snail_get_int, NULL, "number of parameter tensors", (void *)0},
    {"parameter_count", (getter)snail_get_int, NULL, "number of scalar parameters", (void *)1},
    {"iteration", (getter)snail_get_int, NULL, "optimiser steps taken", (void *)2},
    {NULL},
};

static PyMethodDef snail_methods[] = {
    {"tensor_info", (PyCFunction)snail_tensor_info, METH_O, "tensor_info(i) -> (name, shape)"},
    {"get_tensor", (PyCFunction)snail_get_tensor, METH_O, "get_tensor(i) -> float32 array (a copy)"},
    {"set_tensor", (PyCFunction)snail_set_tensor, METH_VARARGS, "set_tensor(i, values)"},
    {"forward", (PyCFunction)snail_forward, METH_O, "forward(x [B, T, I]) -> y [B, T, O]"},
    {"loss", (PyCFunction)(void (*)(void))snail_loss, METH_VARARGS | METH_KEYWORDS,
     "loss(x, targets, weights, loss, update, gradients) -> (value, flat gradients or None)"},
    {"set_optimizer", (PyCFunction)snail_set_optimizer, METH_VARARGS, "set_optimizer(lr, clip_norm)"},
    {"describe", (PyCFunction)snail_describe, METH_NOARGS, "Architecture and optimiser settings as a dict."},
    {"bandit_train", (PyCFunction)(void (*)(void))snail_bandit_train, METH_VARARGS | METH_KEYWORDS,
     "bandit_train(arms, pulls, batch, iterations, config) -> mean reward per iteration"},
    {"bandit_evaluate", (PyCFunction)(void (*)(void))snail_bandit_evaluate, METH_VARARGS | METH_KEYWORDS,
     "bandit_evaluate(probabilities [E, K], uniforms [E, N, K], greedy=False) -> totals [E]"},
    MN_CHECKPOINT_METHODS("SNAIL"),
    {NULL, NULL, 0, NULL},
};

static mn_type SNAILType = {
    .type = {MN_TYPE(SNAILObject, "SNAIL", "Native SNAIL network (internal; use mnemonet.SNAIL)."),
             .tp_init = (initproc)snail_init, .tp_methods = snail_methods, .tp_getset = snail_getset},
    .cls = {.name = "SNAIL", .free = MN_FREE(mn_snail_free), MN_CHECKPOINT_HOOKS(mn_snail),
            .adopted = snail_adopted},
};

int mn_register_snail(PyObject *module) { return mn_add_types(module, (mn_type *const[]){&SNAILType, NULL}); }
