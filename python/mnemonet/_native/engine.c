/*
 * Engine benchmark hooks: module-level functions engine_bench_lstm, engine_bench_op_overhead, engine_bench_maml
 * (used by bench/bench_engine.py). Argument checks only; the workloads run in Swift with the GIL released.
 */
#include "mn_common.h"

/* Runs the benchmark call `call` (which writes its result to `&ns` and status to `&st`) with the GIL released and
 * returns the median ns per operation as a float (or NULL with the error raised). */
#define BENCH_RETURN(call)                                                                                    \
    do {                                                                                                      \
        mn_status st;                                                                                         \
        double ns = 0;                                                                                        \
        int32_t rc;                                                                                           \
        Py_BEGIN_ALLOW_THREADS                                                                                \
        rc = (call);                                                                                          \
        Py_END_ALLOW_THREADS                                                                                  \
        return rc != MNEMONET_STATUS_OK ? mn_raise(&st) : PyFloat_FromDouble(ns);                             \
    } while (0)

static int positive(const char *what, long long v) {
    if (v < 1) {
        PyErr_Format(MnInvalidArgument, "%s must be >= 1, got %lld", what, v);
        return 0;
    }
    return 1;
}

static PyObject *bench_lstm(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"batch", "input_size", "hidden_size", "backward", "iterations", "repeats", NULL};
    long long batch, input, hidden, iterations = 200, repeats = 5;
    int backward = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&O&O&|O&O&O&:engine_bench_lstm", kwlist, mn_to_int64, &batch,
                                     mn_to_int64, &input, mn_to_int64, &hidden, mn_to_bool, &backward, mn_to_int64,
                                     &iterations, mn_to_int64, &repeats))
        return NULL;
    if (!positive("batch", batch) || !positive("input_size", input) || !positive("hidden_size", hidden) ||
        !positive("iterations", iterations) || !positive("repeats", repeats))
        return NULL;
    BENCH_RETURN(mn_engine_bench_lstm(batch, input, hidden, backward, iterations, repeats, &ns, &st));
}

static PyObject *bench_op_overhead(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"size", "length", "mode", "iterations", "repeats", NULL};
    long long size, length, iterations = 200, repeats = 5;
    int mode;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&O&O&|O&O&:engine_bench_op_overhead", kwlist, mn_to_int64, &size,
                                     mn_to_int64, &length, mn_to_int32, &mode, mn_to_int64, &iterations, mn_to_int64,
                                     &repeats))
        return NULL;
    if (!positive("size", size) || !positive("length", length) || !positive("iterations", iterations) ||
        !positive("repeats", repeats))
        return NULL;
    if (mode < 0 || mode > 2) {
        PyErr_Format(MnInvalidArgument, "mode must be 0 (no graph), 1 (recording) or 2 (recording + backward), got %d",
                     mode);
        return NULL;
    }
    BENCH_RETURN(mn_engine_bench_op_overhead(size, length, mode, iterations, repeats, &ns, &st));
}

static PyObject *bench_maml(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"meta_batch", "k", "second_order", "iterations", "repeats", NULL};
    long long meta_batch, k, iterations = 20, repeats = 5;
    int second_order = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&O&|O&O&O&:engine_bench_maml", kwlist, mn_to_int64, &meta_batch,
                                     mn_to_int64, &k, mn_to_bool, &second_order, mn_to_int64, &iterations,
                                     mn_to_int64, &repeats))
        return NULL;
    if (!positive("meta_batch", meta_batch) || !positive("k", k) || !positive("iterations", iterations) ||
        !positive("repeats", repeats))
        return NULL;
    BENCH_RETURN(mn_engine_bench_maml(meta_batch, k, second_order, iterations, repeats, &ns, &st));
}

static PyMethodDef engine_methods[] = {
    {"engine_bench_lstm", (PyCFunction)(void (*)(void))bench_lstm, METH_VARARGS | METH_KEYWORDS,
     "engine_bench_lstm(batch, input_size, hidden_size, backward=True, iterations=200, repeats=5) -> float\n\n"
     "Median ns per fused LSTM cell step (forward, or forward + backward into the parameter gradients)."},
    {"engine_bench_op_overhead", (PyCFunction)(void (*)(void))bench_op_overhead, METH_VARARGS | METH_KEYWORDS,
     "engine_bench_op_overhead(size, length, mode, iterations=200, repeats=5) -> float\n\n"
     "Median ns per element-wise op in a chain of 2*length ops on size-element tensors; mode 0 no graph, "
     "1 recording the graph, 2 recording + backward."},
    {"engine_bench_maml", (PyCFunction)(void (*)(void))bench_maml, METH_VARARGS | METH_KEYWORDS,
     "engine_bench_maml(meta_batch, k, second_order=True, iterations=20, repeats=5) -> float\n\n"
     "Median ns per MAML meta-gradient (MLP 1-40-40-1, ReLU, one inner SGD step)."},
    {NULL, NULL, 0, NULL},
};

int mn_register_engine(PyObject *module) { return PyModule_AddFunctions(module, engine_methods); }
