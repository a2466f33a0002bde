/*
 * mnemonet._native.MemoryBank and mnemonet._native.Controller: thin handles on the Swift NeuralMemoryBank and
 * MemoryController (mnemonet.h, section "memory"). Argument checks and buffer plumbing only.
 *
 * An object either owns its handle's lock (created standalone) or shares its owner's (the agent's controller and
 * memory bank), so that calls through the agent and through its parts never run concurrently.
 */
#include "mn_common.h"
#include "mn_memory.h"

#include <string.h>

/* ---- MemoryBank ------------------------------------------------------------------------------------------- */

static int bank_init(MnMemoryBank *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"memory_size", "memory_dim", "num_read_heads", "num_write_heads", NULL};
    long long n = 128, w = 64, r = 4, writes = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|LLLL", kwlist, &n, &w, &r, &writes) ||
        mn_handle_fresh((PyObject *)self) < 0)
        return -1;
    MN_CREATE_AND_RETURN(self, mn_memory_bank, mn_memory_bank_create(n, w, r, writes, &handle, &status));
}

/* Caches the bank's shape from a newly installed handle. */
static int bank_adopted(PyObject *obj) {
    MnMemoryBank *self = (MnMemoryBank *)obj;
    int64_t dims[4];
    mn_memory_bank_info(self->handle, dims);
    self->n = dims[0]; self->w = dims[1]; self->r = dims[2];
    return 0;
}

PyObject *mn_memory_bank_wrap(mn_memory_bank *h, PyObject *owner, const char *accessor) {
    return owner ? mn_handle_view(&MnMemoryBankType.type, h, owner, accessor)
                 : mn_handle_wrap(&MnMemoryBankType.type, h);
}

static PyObject *new_f32(int ndim, npy_intp *dims) { return (PyObject *)mn_new_array(ndim, dims, NPY_FLOAT32, 1); }

static PyObject *bank_get(MnMemoryBank *self, PyObject *unused) {
    MN_READY(self);
    npy_intp md[2] = {self->n, self->w}, ud[1] = {self->n};
    PyObject *m = new_f32(2, md), *u = new_f32(1, ud);
    if (!m || !u) { Py_XDECREF(m); Py_XDECREF(u); return NULL; }
    mn_status st; int32_t rc;
    float *mp = PyArray_DATA((PyArrayObject *)m), *up = PyArray_DATA((PyArrayObject *)u);
    MN_CALL(self, rc = mn_memory_bank_get(self->handle, mp, up, &st));
    if (rc) { Py_DECREF(m); Py_DECREF(u); return mn_raise(&st); }
    return Py_BuildValue("(NN)", m, u);
}

static PyObject *bank_set(MnMemoryBank *self, PyObject *args) {
    MN_READY(self);
    PyObject *mo, *uo;
    if (!PyArg_ParseTuple(args, "OO", &mo, &uo)) return NULL;
    npy_intp md[2] = {self->n, self->w}, ud[1] = {self->n};
    PyArrayObject *m = mn_check_array(mo, "memory", NPY_FLOAT32, 2, md, 0);
    if (!m) return NULL;
    PyArrayObject *u = mn_check_array(uo, "usage", NPY_FLOAT32, 1, ud, 0);
    if (!u) return NULL;
    mn_status st; int32_t rc;
    const float *mp = PyArray_DATA(m), *up = PyArray_DATA(u);
    MN_CALL(self, rc = mn_memory_bank_set(self->handle, mp, up, &st));
    if (rc) return mn_raise(&st);
    Py_RETURN_NONE;
}

static PyObject *bank_reset(MnMemoryBank *self, PyObject *unused) {
    MN_READY(self);
    mn_status st; int32_t rc;
    MN_CALL(self, rc = mn_memory_bank_reset(self->handle, &st));
    if (rc) return mn_raise(&st);
    Py_RETURN_NONE;
}

static PyObject *bank_content_addressing(MnMemoryBank *self, PyObject *args) {
    MN_READY(self);
    PyObject *ko, *bo;
    if (!PyArg_ParseTuple(args, "OO", &ko, &bo)) return NULL;
    npy_intp kd[2] = {MN_ANY, self->w};
    PyArrayObject *k = mn_check_array(ko, "key", NPY_FLOAT32, 2, kd, 0);
    if (!k) return NULL;
    npy_intp count = PyArray_DIM(k, 0), bd[1] = {count};
    if (count < 1) { PyErr_SetString(MnInvalidArgument, "key must hold at least one key"); return NULL; }
    PyArrayObject *b = mn_check_array(bo, "beta", NPY_FLOAT32, 1, bd, 0);
    if (!b) return NULL;
    npy_intp od[2] = {count, self->n};
    PyObject *out = new_f32(2, od);
    if (!out) return NULL;
    mn_status st; int32_t rc;
    const float *kp = PyArray_DATA(k), *bp = PyArray_DATA(b);
    float *op = PyArray_DATA((PyArrayObject *)out);
    MN_CALL(self, rc = mn_memory_bank_content_addressing(self->handle, kp, bp, count, op, &st));
    if (rc) { Py_DECREF(out); return mn_raise(&st); }
    return out;
}

static PyObject *bank_read(MnMemoryBank *self, PyObject *args) {
    MN_READY(self);
    PyObject *ko, *so;
    if (!PyArg_ParseTuple(args, "OO", &ko, &so)) return NULL;
    npy_intp kd[2] = {self->r, self->w}, sd[1] = {self->r};
    PyArrayObject *k = mn_check_array(ko, "read_keys", NPY_FLOAT32, 2, kd, 0);
    if (!k) return NULL;
    PyArrayObject *s = mn_check_array(so, "read_strengths", NPY_FLOAT32, 1, sd, 0);
    if (!s) return NULL;
    npy_intp od[1] = {self->r * self->w};
    PyObject *out = new_f32(1, od);
    if (!out) return NULL;
    mn_status st; int32_t rc;
    const float *kp = PyArray_DATA(k), *sp = PyArray_DATA(s);
    float *op = PyArray_DATA((PyArrayObject *)out);
    MN_CALL(self, rc = mn_memory_bank_read(self->handle, kp, sp, op, &st));
    if (rc) { Py_DECREF(out); return mn_raise(&st); }
    return out;
}

static PyObject *bank_write(MnMemoryBank *self, PyObject *args) {
    MN_READY(self);
    PyObject *ko, *vo, *eo;
    float strength;
    if (!PyArg_ParseTuple(args, "OOOf", &ko, &vo, &eo, &strength)) return NULL;
    npy_intp d[1] = {self->w};
    PyArrayObject *k = mn_check_array(ko, "write_key", NPY_FLOAT32, 1, d, 0);
    if (!k) return NULL;
    PyArrayObject *v = mn_check_array(vo, "write_vector", NPY_FLOAT32, 1, d, 0);
    if (!v) return NULL;
    PyArrayObject *e = mn_check_array(eo, "erase_vector", NPY_FLOAT32, 1, d, 0);
    if (!e) return NULL;
    mn_status st; int32_t rc;
    const float *kp = PyArray_DATA(k), *vp = PyArray_DATA(v), *ep = PyArray_DATA(e);
    MN_CALL(self, rc = mn_memory_bank_write(self->handle, kp, vp, ep, strength, &st));
    if (rc) return mn_raise(&st);
    Py_RETURN_NONE;
}

static PyObject *bank_dims(MnMemoryBank *self, PyObject *unused) {
    MN_READY(self);
    return Py_BuildValue("(LLL)", self->n, self->w, self->r);
}

static PyMethodDef bank_methods[] = {
    MN_CHECKPOINT_METHODS("MemoryBank"),
    {"get", (PyCFunction)bank_get, METH_NOARGS, "get() -> (memory [N, W], usage [N]) (copies)"},
    {"set", (PyCFunction)bank_set, METH_VARARGS, "set(memory [N, W], usage [N])"},
    {"reset", (PyCFunction)bank_reset, METH_NOARGS, "reset(): zero memory and usage"},
    {"content_addressing", (PyCFunction)bank_content_addressing, METH_VARARGS,
     "content_addressing(keys [K, W], betas [K]) -> weights [K, N]"},
    {"read", (PyCFunction)bank_read, METH_VARARGS, "read(keys [R, W], strengths [R]) -> reads [R*W]"},
    {"write", (PyCFunction)bank_write, METH_VARARGS, "write(key [W], vector [W], erase [W], strength)"},
    {"dims", (PyCFunction)bank_dims, METH_NOARGS, "dims() -> (memory_size, memory_dim, num_read_heads)"},
    {NULL, NULL, 0, NULL},
};

mn_type MnMemoryBankType = {
    .type = {MN_TYPE(MnMemoryBank, "MemoryBank",
                     "MemoryBank(memory_size=128, memory_dim=64, num_read_heads=4, num_write_heads=1): native "
                     "memory bank."),
             .tp_init = (initproc)bank_init, .tp_methods = bank_methods},
    .cls = {.name = "MemoryBank", .free = MN_FREE(mn_memory_bank_free), MN_CHECKPOINT_HOOKS(mn_memory_bank),
            .adopted = bank_adopted},
};

/* ---- Controller ------------------------------------------------------------------------------------------- */

static int controller_init(MnController *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"input_dim", "hidden_dim", "memory_size", "memory_dim", "num_read_heads",
                             "num_write_heads", "seed", "output_dim", NULL};
    long long i, h, n, w, r, writes, o = -1;
    PyObject *seed_obj = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "LLLLLL|OL", kwlist, &i, &h, &n, &w, &r, &writes, &seed_obj, &o))
        return -1;
    if (o == -1) o = i; /* the seed's output size */
    int32_t has_seed;
    uint64_t seed;
    if (mn_handle_fresh((PyObject *)self) < 0 || mn_parse_seed(seed_obj, &has_seed, &seed) < 0)
        return -1;
    MN_CREATE_AND_RETURN(self, mn_controller,
                         mn_controller_create(i, h, o, n, w, r, writes, has_seed, seed, &handle, &status));
}

/* Caches the controller's shape from a newly installed handle. */
static int controller_adopted(PyObject *obj) {
    MnController *self = (MnController *)obj;
    int64_t dims[7];
    mn_controller_info(self->handle, dims);
    self->input_dim = dims[0]; self->hidden_dim = dims[1]; self->output_dim = dims[6];
    self->n = dims[2]; self->w = dims[3]; self->r = dims[4]; self->writes = dims[5];
    return 0;
}

PyObject *mn_controller_wrap(mn_controller *h, PyObject *owner, const char *accessor) {
    return owner ? mn_handle_view(&MnControllerType.type, h, owner, accessor)
                 : mn_handle_wrap(&MnControllerType.type, h);
}


/* tensor_info() -> [(name, shape), ...] in the seed's state_dict order */
static PyObject *controller_tensor_info(MnController *self, PyObject *unused) {
    MN_READY(self);
    int64_t count = mn_controller_tensor_count(self->handle);
    PyObject *list = PyList_New(0);
    if (!list) return NULL;
    for (int64_t k = 0; k < count; k++) {
        char name[256];
        int64_t shape[2] = {0, 0};
        int32_t ndim = 0;
        mn_status st;
        if (mn_controller_tensor_info(self->handle, k, name, sizeof name, shape, &ndim, &st) != 0) {
            Py_DECREF(list);
            return mn_raise(&st);
        }
        PyObject *shp = ndim == 1 ? Py_BuildValue("(L)", (long long)shape[0])
                                  : Py_BuildValue("(LL)", (long long)shape[0], (long long)shape[1]);
        PyObject *item = shp ? Py_BuildValue("(sN)", name, shp) : NULL;
        if (!item || PyList_Append(list, item) < 0) {
            Py_XDECREF(item);
            Py_DECREF(list);
            return NULL;
        }
        Py_DECREF(item);
    }
    return list;
}

/* get_tensor(index, out): fills the float32 array `out` (shape checked by the caller, count checked natively) */
static PyObject *controller_get_tensor(MnController *self, PyObject *args) {
    MN_READY(self);
    long long index;
    PyObject *oo;
    if (!PyArg_ParseTuple(args, "LO", &index, &oo)) return NULL;
    PyArrayObject *o = mn_check_array(oo, "out", NPY_FLOAT32, PyArray_Check(oo) ? PyArray_NDIM((PyArrayObject *)oo) : 1,
                                      NULL, 1);
    if (!o) return NULL;
    mn_status st; int32_t rc;
    float *op = PyArray_DATA(o);
    npy_intp count = PyArray_SIZE(o);
    MN_CALL(self, rc = mn_controller_get_tensor(self->handle, index, op, count, &st));
    if (rc) return mn_raise(&st);
    Py_RETURN_NONE;
}

static PyObject *controller_set_tensor(MnController *self, PyObject *args) {
    MN_READY(self);
    long long index;
    PyObject *vo;
    if (!PyArg_ParseTuple(args, "LO", &index, &vo)) return NULL;
    PyArrayObject *v = mn_check_array(vo, "value", NPY_FLOAT32, PyArray_Check(vo) ? PyArray_NDIM((PyArrayObject *)vo) : 1,
                                      NULL, 0);
    if (!v) return NULL;
    mn_status st; int32_t rc;
    const float *vp = PyArray_DATA(v);
    npy_intp count = PyArray_SIZE(v);
    MN_CALL(self, rc = mn_controller_set_tensor(self->handle, index, vp, count, &st));
    if (rc) return mn_raise(&st);
    Py_RETURN_NONE;
}

/* The bank argument: an initialised MemoryBank. */
static MnMemoryBank *controller_bank_arg(PyObject *bo) {
    if (!PyObject_TypeCheck(bo, &MnMemoryBankType.type)) {
        PyErr_Format(MnArgumentType, "memory_bank must be a mnemonet NeuralMemoryBank, got %.200s", Py_TYPE(bo)->tp_name);
        return NULL;
    }
    return mn_ready(bo) < 0 ? NULL : (MnMemoryBank *)bo;
}

static PyObject *controller_forward(MnController *self, PyObject *args) {
    MN_READY(self);
    PyObject *xo, *bo;
    if (!PyArg_ParseTuple(args, "OO", &xo, &bo)) return NULL;
    MnMemoryBank *bank = controller_bank_arg(bo);
    if (!bank) return NULL;
    npy_intp xd[1] = {self->input_dim}, od[1] = {self->output_dim};
    PyArrayObject *x = mn_check_array(xo, "x", NPY_FLOAT32, 1, xd, 0);
    if (!x) return NULL;
    PyObject *out = new_f32(1, od);
    if (!out) return NULL;
    mn_status st; int32_t rc;
    const float *xp = PyArray_DATA(x);
    float *op = PyArray_DATA((PyArrayObject *)out);
    MN_NATIVE2(self->guard, bank->guard, rc = mn_controller_forward(self->handle, bank->handle, xp, op, &st));
    if (rc) { Py_DECREF(out); return mn_raise(&st); }
    return out;
}

/* ---- Controller adaptation (MetaLearner over the controller): argument checks and plumbing only ---------- */

#define MN_MAX_ADAPT_STEPS 100000

/* A pair X, Y of float32 [n, I] with n >= 1 (n in *count). */
static int controller_xy_args(MnController *self, PyObject *xo, PyObject *yo, const char *xn, const char *yn,
                              PyArrayObject **x, PyArrayObject **y, npy_intp *count) {
    return mn_check_rows(xo, yo, xn, yn, self->input_dim, self->output_dim, 1, x, y, count);
}

/* adapt(bank, X [n, I], Y [n, I], num_steps, lr) -> (Controller, losses float64 [num_steps + 1]) */
static PyObject *controller_adapt(MnController *self, PyObject *args) {
    MN_READY(self);
    PyObject *bo, *xo, *yo;
    long long steps;
    float lr;
    if (!PyArg_ParseTuple(args, "OOOLf", &bo, &xo, &yo, &steps, &lr)) return NULL;
    MnMemoryBank *bank = controller_bank_arg(bo);
    if (!bank) return NULL;
    PyArrayObject *x, *y;
    npy_intp count;
    if (controller_xy_args(self, xo, yo, "support_x", "support_y", &x, &y, &count) < 0) return NULL;
    if (mn_check_range("num_steps", steps, 0, MN_MAX_ADAPT_STEPS) < 0) return NULL;
    npy_intp ld[1] = {(npy_intp)(steps + 1)};
    PyObject *losses = PyArray_ZEROS(1, ld, NPY_FLOAT64, 0);
    if (!losses) return NULL;
    mn_status st; int32_t rc;
    mn_controller *adapted = NULL;
    const float *xp = PyArray_DATA(x), *yp = PyArray_DATA(y);
    double *lp = PyArray_DATA((PyArrayObject *)losses);
    MN_NATIVE2(self->guard, bank->guard,
               rc = mn_controller_adapt(self->handle, bank->handle, xp, yp, count, steps, lr, &adapted, lp, &st));
    if (rc) { Py_DECREF(losses); return mn_raise(&st); }
    PyObject *c = mn_controller_wrap(adapted, NULL, NULL);
    if (!c) { Py_DECREF(losses); return NULL; }
    return Py_BuildValue("(NN)", c, losses);
}

/* mean_loss(bank, X [n, I], Y [n, I]) -> float (from a copy of the bank) */
static PyObject *controller_mean_loss(MnController *self, PyObject *args) {
    MN_READY(self);
    PyObject *bo, *xo, *yo;
    if (!PyArg_ParseTuple(args, "OOO", &bo, &xo, &yo)) return NULL;
    MnMemoryBank *bank = controller_bank_arg(bo);
    if (!bank) return NULL;
    PyArrayObject *x, *y;
    npy_intp count;
    if (controller_xy_args(self, xo, yo, "x", "y", &x, &y, &count) < 0) return NULL;
    mn_status st; int32_t rc; double loss = 0;
    const float *xp = PyArray_DATA(x), *yp = PyArray_DATA(y);
    MN_NATIVE2(self->guard, bank->guard,
               rc = mn_controller_mean_loss(self->handle, bank->handle, xp, yp, count, &loss, &st));
    if (rc) return mn_raise(&st);
    return PyFloat_FromDouble(loss);
}

/* meta_gradient(bank, SX, SY, QX, QY, num_steps, lr, first_order, out float32 [P]) -> query loss */
static PyObject *controller_meta_gradient(MnController *self, PyObject *args) {
    MN_READY(self);
    PyObject *bo, *sxo, *syo, *qxo, *qyo, *go;
    long long steps;
    float lr;
    int first_order;
    if (!PyArg_ParseTuple(args, "OOOOOLfpO", &bo, &sxo, &syo, &qxo, &qyo, &steps, &lr, &first_order, &go))
        return NULL;
    MnMemoryBank *bank = controller_bank_arg(bo);
    if (!bank) return NULL;
    PyArrayObject *sx, *sy, *qx, *qy;
    npy_intp ns, nq;
    if (controller_xy_args(self, sxo, syo, "support_x", "support_y", &sx, &sy, &ns) < 0) return NULL;
    if (controller_xy_args(self, qxo, qyo, "query_x", "query_y", &qx, &qy, &nq) < 0) return NULL;
    /* The parameter count: the sum of the tensor sizes. */
    int64_t tensors = mn_controller_tensor_count(self->handle);
    npy_intp total = 0;
    for (int64_t k = 0; k < tensors; k++) {
        char name[256]; int64_t shape[2] = {1, 1}; int32_t ndim = 0; mn_status st0;
        if (mn_controller_tensor_info(self->handle, k, name, sizeof name, shape, &ndim, &st0) != 0) return mn_raise(&st0);
        total += (npy_intp)(ndim == 1 ? shape[0] : shape[0] * shape[1]);
    }
    npy_intp gd[1] = {total};
    PyArrayObject *g = mn_check_array(go, "out", NPY_FLOAT32, 1, gd, 1);
    if (!g) return NULL;
    mn_status st; int32_t rc; double loss = 0;
    const float *sxp = PyArray_DATA(sx), *syp = PyArray_DATA(sy), *qxp = PyArray_DATA(qx), *qyp = PyArray_DATA(qy);
    float *gp = PyArray_DATA(g);
    MN_NATIVE2(self->guard, bank->guard,
               rc = mn_controller_meta_gradient(self->handle, bank->handle, sxp, syp, ns, qxp, qyp, nq, steps, lr,
                                                first_order, gp, &loss, &st));
    if (rc) return mn_raise(&st);
    return PyFloat_FromDouble(loss);
}

static PyObject *controller_dims(MnController *self, PyObject *unused) {
    MN_READY(self);
    return Py_BuildValue("(LLLLLLL)", self->input_dim, self->hidden_dim, self->n, self->w, self->r, self->writes,
                         self->output_dim);
}

static PyMethodDef controller_methods[] = {
    MN_CHECKPOINT_METHODS("Controller"),
    {"dims", (PyCFunction)controller_dims, METH_NOARGS,
     "dims() -> (input_dim, hidden_dim, memory_size, memory_dim, num_read_heads, num_write_heads, output_dim)"},
    {"tensor_info", (PyCFunction)controller_tensor_info, METH_NOARGS, "tensor_info() -> [(name, shape), ...]"},
    {"get_tensor", (PyCFunction)controller_get_tensor, METH_VARARGS, "get_tensor(index, out)"},
    {"set_tensor", (PyCFunction)controller_set_tensor, METH_VARARGS, "set_tensor(index, value)"},
    {"forward", (PyCFunction)controller_forward, METH_VARARGS, "forward(x [I], bank) -> output [O]"},
    {"adapt", (PyCFunction)controller_adapt, METH_VARARGS,
     "adapt(bank, X [n, I], Y [n, I], num_steps, lr) -> (Controller, losses float64 [num_steps + 1])"},
    {"mean_loss", (PyCFunction)controller_mean_loss, METH_VARARGS, "mean_loss(bank, X, Y) -> float"},
    {"meta_gradient", (PyCFunction)controller_meta_gradient, METH_VARARGS,
     "meta_gradient(bank, SX, SY, QX, QY, num_steps, lr, first_order, out float32 [P]) -> query loss"},
    {NULL, NULL, 0, NULL},
};

mn_type MnControllerType = {
    .type = {MN_TYPE(MnController, "Controller",
                     "Controller(input_dim, hidden_dim, memory_size, memory_dim, num_read_heads, num_write_heads, "
                     "seed=None, output_dim=input_dim)"),
             .tp_init = (initproc)controller_init, .tp_methods = controller_methods},
    .cls = {.name = "Controller", .free = MN_FREE(mn_controller_free), MN_CHECKPOINT_HOOKS(mn_controller),
            .adopted = controller_adopted},
};

int mn_register_memory(PyObject *module) {
    return mn_add_types(module, (mn_type *const[]){&MnMemoryBankType, &MnControllerType, NULL});
}
