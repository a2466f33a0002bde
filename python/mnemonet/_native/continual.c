/*
 * Continual learning: the module-level function continual_run (one whole run of a strategy over a task stream).
 * Argument checks only (dtypes, shapes, offsets); the run happens in Swift with the GIL released.
 */
#include <string.h>

#include "mn_common.h"

#define MN_CONTINUAL_HYPER 20

/* Checks a [count + 1] int64 offsets array: 0 first, non-decreasing, `total` last. */
static int check_offsets(PyArrayObject *a, const char *what, npy_intp count, npy_intp total) {
    const int64_t *o = (const int64_t *)PyArray_DATA(a);
    if (PyArray_DIM(a, 0) != count + 1) {
        PyErr_Format(MnInvalidArgument, "%s must have %zd entries (tasks + 1), got %zd", what, (Py_ssize_t)(count + 1),
                     (Py_ssize_t)PyArray_DIM(a, 0));
        return 0;
    }
    if (o[0] != 0 || o[count] != total) {
        PyErr_Format(MnInvalidArgument, "%s must start at 0 and end at %zd, got %lld and %lld", what,
                     (Py_ssize_t)total, (long long)o[0], (long long)o[count]);
        return 0;
    }
    for (npy_intp k = 0; k < count; k++) {
        if (o[k + 1] < o[k]) {
            PyErr_Format(MnInvalidArgument, "%s must be non-decreasing (entry %zd is %lld, entry %zd is %lld)", what,
                         (Py_ssize_t)k, (long long)o[k], (Py_ssize_t)(k + 1), (long long)o[k + 1]);
            return 0;
        }
    }
    return 1;
}

static PyObject *continual_run(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *kwlist[] = {"strategy",     "head_mode", "output_count", "units",         "unit_offsets",
                             "train_x",      "train_y",   "train_offsets", "test_x",       "test_y",
                             "test_offsets", "hidden",    "hyper",         "seed",         "memory_out",
                             "agent",        "use_replay", NULL};
    int strategy, head_mode;
    long long output_count;
    PyObject *o_units, *o_uoff, *o_trx, *o_try, *o_troff, *o_tex, *o_tey, *o_teoff, *o_hidden, *o_hyper, *o_seed;
    PyObject *o_memory = Py_None, *o_agent = Py_None;
    int use_replay = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&O&O&OOOOOOOOOOO|OOO&:continual_run", kwlist, mn_to_int32,
                                     &strategy, mn_to_int32, &head_mode, mn_to_int64, &output_count, &o_units,
                                     &o_uoff, &o_trx, &o_try, &o_troff, &o_tex, &o_tey, &o_teoff, &o_hidden, &o_hyper,
                                     &o_seed, &o_memory, &o_agent, mn_to_bool, &use_replay))
        return NULL;
    /* agent: None, or a mnemonet._native.Agent trained in place (ContinualLearningAgent.fit_stream). */
    mn_handle *agent = NULL;
    if (o_agent != Py_None) {
        const mn_class *cls = mn_class_of(Py_TYPE(o_agent));
        if (!cls || strcmp(cls->name, "Agent") != 0) {
            PyErr_Format(MnArgumentType, "agent must be a mnemonet._native.Agent, got %.200s", Py_TYPE(o_agent)->tp_name);
            return NULL;
        }
        if (mn_ready(o_agent) < 0)
            return NULL;
        agent = (mn_handle *)o_agent;
    }
    int32_t has_seed;
    uint64_t seed;
    if (mn_parse_seed(o_seed, &has_seed, &seed) < 0)
        return NULL;
    PyArrayObject *units = mn_check_array(o_units, "units", NPY_INT64, 1, NULL, 0);
    PyArrayObject *uoff = units ? mn_check_array(o_uoff, "unit_offsets", NPY_INT64, 1, NULL, 0) : NULL;
    PyArrayObject *trx = uoff ? mn_check_array(o_trx, "train_x", NPY_FLOAT32, 2, NULL, 0) : NULL;
    if (!trx)
        return NULL;
    npy_intp d = PyArray_DIM(trx, 1), ntr = PyArray_DIM(trx, 0);
    npy_intp shape_x[2] = {MN_ANY, d}, shape_ntr[1] = {ntr};
    PyArrayObject *try_ = mn_check_array(o_try, "train_y", NPY_INT32, 1, shape_ntr, 0);
    PyArrayObject *troff = try_ ? mn_check_array(o_troff, "train_offsets", NPY_INT64, 1, NULL, 0) : NULL;
    PyArrayObject *tex = troff ? mn_check_array(o_tex, "test_x", NPY_FLOAT32, 2, shape_x, 0) : NULL;
    if (!tex)
        return NULL;
    npy_intp nte = PyArray_DIM(tex, 0), shape_nte[1] = {nte}, shape_hyper[1] = {MN_CONTINUAL_HYPER};
    PyArrayObject *tey = mn_check_array(o_tey, "test_y", NPY_INT32, 1, shape_nte, 0);
    PyArrayObject *teoff = tey ? mn_check_array(o_teoff, "test_offsets", NPY_INT64, 1, NULL, 0) : NULL;
    PyArrayObject *hidden = teoff ? mn_check_array(o_hidden, "hidden", NPY_INT64, 1, NULL, 0) : NULL;
    PyArrayObject *hyper = hidden ? mn_check_array(o_hyper, "hyper", NPY_FLOAT64, 1, shape_hyper, 0) : NULL;
    if (!hyper)
        return NULL;
    npy_intp t = PyArray_DIM(uoff, 0) - 1;
    if (t < 1) {
        PyErr_SetString(MnInvalidArgument, "unit_offsets must have at least 2 entries (one task)");
        return NULL;
    }
    if (d < 1 || PyArray_DIM(hidden, 0) < 1) {
        PyErr_SetString(MnInvalidArgument, "train_x needs at least one column and hidden at least one size");
        return NULL;
    }
    if (!check_offsets(uoff, "unit_offsets", t, PyArray_DIM(units, 0)) ||
        !check_offsets(troff, "train_offsets", t, ntr) || !check_offsets(teoff, "test_offsets", t, nte))
        return NULL;
    /* memory_out: None, or a writable float32 array receiving M [T, N, W] after each task (memory agents). */
    PyArrayObject *memory = NULL;
    if (o_memory != Py_None && !(memory = mn_check_array(o_memory, "memory_out", NPY_FLOAT32, 3, NULL, 1)))
        return NULL;
    npy_intp rdims[2] = {t, t}, bdims[1] = {t};
    PyArrayObject *acc = mn_new_array(2, rdims, NPY_FLOAT64, 1);
    PyArrayObject *base = acc ? mn_new_array(1, bdims, NPY_FLOAT64, 1) : NULL;
    if (!base) {
        Py_XDECREF(acc);
        return NULL;
    }
    if (!has_seed)
        seed = 0;
    mn_status st;
    int32_t rc;
    if (agent) {
        /* The agent's lock is held (no other call on it meanwhile), the GIL released. */
        MN_CALL(agent, rc = mn_continual_run_agent(
            (mn_agent *)agent->handle, strategy, use_replay, head_mode, output_count, PyArray_DATA(units),
            PyArray_DATA(uoff), t, d, PyArray_DATA(trx), PyArray_DATA(try_), PyArray_DATA(troff), PyArray_DATA(tex),
            PyArray_DATA(tey), PyArray_DATA(teoff), PyArray_DATA(hidden), PyArray_DIM(hidden, 0), PyArray_DATA(hyper),
            MN_CONTINUAL_HYPER, seed, PyArray_DATA(acc), PyArray_DATA(base), memory ? PyArray_DATA(memory) : NULL,
            memory ? (int64_t)PyArray_SIZE(memory) : 0, &st));
    } else {
        Py_BEGIN_ALLOW_THREADS rc = mn_continual_run(
            strategy, head_mode, output_count, PyArray_DATA(units), PyArray_DATA(uoff), t, d, PyArray_DATA(trx),
            PyArray_DATA(try_), PyArray_DATA(troff), PyArray_DATA(tex), PyArray_DATA(tey), PyArray_DATA(teoff),
            PyArray_DATA(hidden), PyArray_DIM(hidden, 0), PyArray_DATA(hyper), MN_CONTINUAL_HYPER, seed,
            PyArray_DATA(acc), PyArray_DATA(base), memory ? PyArray_DATA(memory) : NULL,
            memory ? (int64_t)PyArray_SIZE(memory) : 0, &st);
        Py_END_ALLOW_THREADS
    }
    if (rc != MNEMONET_STATUS_OK) {
        Py_DECREF(acc);
        Py_DECREF(base);
        return mn_raise(&st);
    }
    return Py_BuildValue("(NN)", acc, base);
}

static PyMethodDef continual_methods[] = {
    {"continual_run", (PyCFunction)(void (*)(void))continual_run, METH_VARARGS | METH_KEYWORDS,
     "continual_run(strategy, head_mode, output_count, units, unit_offsets, train_x, train_y, train_offsets, "
     "test_x, test_y, test_offsets, hidden, hyper, seed, memory_out=None, agent=None, use_replay=True) -> tuple\n\n"
     "One continual-learning run in native code; returns (R [T, T] float64, baseline [T] float64); memory_out "
     "(float32 [T, N, W]) receives the memory agents' memory after each task. With agent (a mnemonet._native.Agent; "
     "strategy 9 for memory='seed', 10 for memory='dnc') the memory agent strategy trains that agent in place. Use "
     "mnemonet.continual.run or ContinualLearningAgent.fit_stream, which build these arrays."},
    {NULL, NULL, 0, NULL},
};

int mn_register_continual(PyObject *module) { return PyModule_AddFunctions(module, continual_methods); }
