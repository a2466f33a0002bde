/*
 * mnemonet._native.Agent: a thin handle on the Swift ContinualLearningAgent (mnemonet.h, section "memory").
 * Argument checks and buffer plumbing only; every native call releases the GIL and holds the agent's lock, which
 * the agent's controller and memory-bank views share.
 */
#include "mn_common.h"
#include "mn_memory.h"

typedef struct {
    MN_HANDLE_HEAD(mn_agent)
    long long dims[9]; /* I, H, N, W, R, write heads, replay capacity, O (the size of y), memory kind (0 seed, 1 dnc) */
    float lr;
    int64_t replay_batch; /* B */
} MnAgent;

static mn_type MnAgentType;

/* Caches the shapes of a newly installed handle. */
static int agent_adopted(PyObject *obj) {
    MnAgent *self = (MnAgent *)obj;
    mn_status st;
    int64_t dims[9];
    if (mn_agent_info(self->handle, dims, &self->lr, &st) != 0 ||
        mn_agent_options(self->handle, &self->replay_batch, NULL, NULL, NULL, NULL, &st) != 0) {
        mn_raise(&st);
        return -1;
    }
    for (int k = 0; k < 9; k++) self->dims[k] = dims[k];
    return 0;
}

static int agent_init(MnAgent *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"input_dim", "hidden_dim", "memory_size", "memory_dim", "num_read_heads",
                             "num_write_heads", "replay_capacity", "lr", "seed", "replay_batch_size",
                             "replay_weight", "clip_norm", "replay_alpha", "replay_beta", "output_dim", "memory",
                             NULL};
    long long i, h, n, w, r, writes, cap, batch = 8, o = -1;
    int32_t memory_kind = 0;
    float lr, weight = 0.3f, clip = 1.0f;
    double alpha = 0.6, beta = 0.4;
    PyObject *seed_obj = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&O&O&O&O&O&O&O&|OO&O&O&O&O&O&O&", kwlist, mn_to_int64, &i,
                                     mn_to_int64, &h, mn_to_int64, &n, mn_to_int64, &w, mn_to_int64, &r, mn_to_int64,
                                     &writes, mn_to_int64, &cap, mn_to_float32, &lr, &seed_obj, mn_to_int64, &batch,
                                     mn_to_float32, &weight, mn_to_float32, &clip, mn_to_float64, &alpha,
                                     mn_to_float64, &beta, mn_to_int64, &o, mn_to_int32, &memory_kind))
        return -1;
    if (o == -1) o = i; /* the seed's output size */
    int32_t has_seed;
    uint64_t seed;
    if (mn_handle_fresh((PyObject *)self) < 0 || mn_parse_seed(seed_obj, &has_seed, &seed) < 0)
        return -1;
    MN_CREATE_AND_RETURN(self, mn_agent,
                         mn_agent_create(i, h, o, n, w, r, writes, cap, lr, batch, weight, clip, alpha, beta,
                                         memory_kind, has_seed, seed, &handle, &status));
}

static PyObject *agent_info(MnAgent *self, PyObject *unused) {
    MN_READY(self);
    return Py_BuildValue("(LLLLLLLdL)", self->dims[0], self->dims[1], self->dims[2], self->dims[3], self->dims[4],
                         self->dims[5], self->dims[6], (double)self->lr, self->dims[7]);
}

/* memory_kind() -> 0 (the seed's bank) or 1 (the DNC's memory access) */
static PyObject *agent_memory_kind(MnAgent *self, PyObject *unused) {
    MN_READY(self);
    return PyLong_FromLongLong(self->dims[8]);
}

/* memory() -> (M float32 [N, W], u float32 [N]): copies of the agent's current memory (either kind) */
static PyObject *agent_memory(MnAgent *self, PyObject *unused) {
    MN_READY(self);
    npy_intp n = (npy_intp)self->dims[2], w = (npy_intp)self->dims[3];
    npy_intp fd[1] = {n * w + n};
    PyArrayObject *flat = mn_new_array(1, fd, NPY_FLOAT32, 0);
    if (!flat) return NULL;
    mn_status st; int32_t rc;
    float *fp = PyArray_DATA(flat);
    MN_CALL(self, rc = mn_agent_memory(self->handle, fp, &st));
    if (rc) { Py_DECREF(flat); return mn_raise(&st); }
    npy_intp md[2] = {n, w}, ud[1] = {n};
    PyArrayObject *m = mn_new_array(2, md, NPY_FLOAT32, 0), *u = m ? mn_new_array(1, ud, NPY_FLOAT32, 0) : NULL;
    if (!m || !u) { Py_XDECREF(m); Py_DECREF(flat); return NULL; }
    memcpy(PyArray_DATA(m), fp, (size_t)(n * w) * sizeof(float));
    memcpy(PyArray_DATA(u), fp + n * w, (size_t)n * sizeof(float));
    Py_DECREF(flat);
    return Py_BuildValue("(NN)", m, u);
}

static PyObject *agent_controller(MnAgent *self, PyObject *unused) {
    MN_READY(self);
    mn_status st;
    mn_controller *h = NULL;
    if (mn_agent_controller(self->handle, &h, &st) != 0) return mn_raise(&st);
    return mn_controller_wrap(h, (PyObject *)self, "controller");
}

static PyObject *agent_memory_bank(MnAgent *self, PyObject *unused) {
    MN_READY(self);
    mn_status st;
    mn_memory_bank *h = NULL;
    if (mn_agent_memory_bank(self->handle, &h, &st) != 0) return mn_raise(&st);
    return mn_memory_bank_wrap(h, (PyObject *)self, "memory_bank");
}

static PyObject *agent_train_step(MnAgent *self, PyObject *args) {
    MN_READY(self);
    PyObject *xo, *yo;
    int use_replay = 1;
    if (!PyArg_ParseTuple(args, "OO|O&", &xo, &yo, mn_to_bool, &use_replay)) return NULL;
    npy_intp d[1] = {self->dims[0]}, od[1] = {self->dims[7]};
    PyArrayObject *x = mn_check_array(xo, "x", NPY_FLOAT32, 1, d, 0);
    if (!x) return NULL;
    PyArrayObject *y = mn_check_array(yo, "y", NPY_FLOAT32, 1, od, 0);
    if (!y) return NULL;
    mn_status st; int32_t rc; double loss = 0;
    const float *xp = PyArray_DATA(x), *yp = PyArray_DATA(y);
    MN_CALL(self, rc = mn_agent_train_step(self->handle, xp, yp, use_replay, &loss, &st));
    if (rc) return mn_raise(&st);
    return PyFloat_FromDouble(loss);
}

static PyObject *agent_train_step_with_draws(MnAgent *self, PyObject *args) {
    MN_READY(self);
    PyObject *xo, *yo, *io, *wo;
    if (!PyArg_ParseTuple(args, "OOOO", &xo, &yo, &io, &wo)) return NULL;
    npy_intp d[1] = {self->dims[0]}, od[1] = {self->dims[7]}, b[1] = {(npy_intp)self->replay_batch};
    PyArrayObject *x = mn_check_array(xo, "x", NPY_FLOAT32, 1, d, 0);
    if (!x) return NULL;
    PyArrayObject *y = mn_check_array(yo, "y", NPY_FLOAT32, 1, od, 0);
    if (!y) return NULL;
    PyArrayObject *ix = mn_check_array(io, "indices", NPY_INT64, 1, b, 0);
    if (!ix) return NULL;
    PyArrayObject *w = mn_check_array(wo, "weights", NPY_FLOAT32, 1, b, 0);
    if (!w) return NULL;
    mn_status st; int32_t rc; double loss = 0;
    const float *xp = PyArray_DATA(x), *yp = PyArray_DATA(y), *wp = PyArray_DATA(w);
    const int64_t *ip = PyArray_DATA(ix);
    MN_CALL(self, rc = mn_agent_train_step_with_draws(self->handle, xp, yp, ip, wp, &loss, &st));
    if (rc) return mn_raise(&st);
    return PyFloat_FromDouble(loss);
}

static PyObject *agent_evaluate(MnAgent *self, PyObject *args) {
    MN_READY(self);
    PyObject *xo, *yo;
    int write_memory = 1;
    if (!PyArg_ParseTuple(args, "OO|O&", &xo, &yo, mn_to_bool, &write_memory)) return NULL;
    PyArrayObject *x, *y;
    npy_intp count;
    if (mn_check_rows(xo, yo, "X", "Y", self->dims[0], self->dims[7], 1, &x, &y, &count) < 0) return NULL;
    mn_status st; int32_t rc; double err = 0;
    const float *xp = PyArray_DATA(x), *yp = PyArray_DATA(y);
    MN_CALL(self, rc = mn_agent_evaluate(self->handle, xp, yp, count, write_memory, &err, &st));
    if (rc) return mn_raise(&st);
    return PyFloat_FromDouble(err);
}

/* predict(X [n, I]) -> float32 [n, I]: outputs without training or writing the memory. */
static PyObject *agent_predict(MnAgent *self, PyObject *xo) {
    MN_READY(self);
    PyArrayObject *x, *y;
    npy_intp count;
    if (mn_check_rows(xo, xo, "X", "X", self->dims[0], self->dims[0], 0, &x, &y, &count) < 0) return NULL;
    npy_intp od[2] = {count, (npy_intp)self->dims[7]};
    PyArrayObject *out = mn_new_array(2, od, NPY_FLOAT32, 0);
    if (!out) return NULL;
    mn_status st; int32_t rc;
    const float *xp = PyArray_DATA(x);
    float *op = PyArray_DATA(out);
    MN_CALL(self, rc = mn_agent_predict(self->handle, xp, count, op, &st));
    if (rc) { Py_DECREF(out); return mn_raise(&st); }
    return (PyObject *)out;
}

/* options() -> (replay_batch_size, replay_weight, clip_norm, replay_alpha, replay_beta) */
static PyObject *agent_options(MnAgent *self, PyObject *unused) {
    MN_READY(self);
    mn_status st; int32_t rc;
    int64_t batch; float weight, clip; double alpha, beta;
    MN_CALL(self, rc = mn_agent_options(self->handle, &batch, &weight, &clip, &alpha, &beta, &st));
    if (rc) return mn_raise(&st);
    return Py_BuildValue("(Ldddd)", (long long)batch, (double)weight, (double)clip, alpha, beta);
}

/* exact_adam(set=-1) -> bool: reads (set < 0) or sets (0/1) whether Adam uses PyTorch's exact arithmetic. */
static PyObject *agent_exact_adam(MnAgent *self, PyObject *args) {
    MN_READY(self);
    int set = -1;
    if (!PyArg_ParseTuple(args, "|i", &set)) return NULL;
    mn_status st; int32_t rc, exact = 0;
    MN_CALL(self, rc = mn_agent_exact_adam(self->handle, set < 0 ? -1 : set != 0, &exact, &st));
    if (rc) return mn_raise(&st);
    return PyBool_FromLong(exact);
}

/* adapt(X [n, I], Y [n, I], num_steps, lr) -> losses float64 [num_steps + 1] (controller adapted in place) */
static PyObject *agent_adapt(MnAgent *self, PyObject *args) {
    MN_READY(self);
    PyObject *xo, *yo;
    long long steps;
    float lr;
    if (!PyArg_ParseTuple(args, "OOO&O&", &xo, &yo, mn_to_int64, &steps, mn_to_float32, &lr)) return NULL;
    PyArrayObject *x, *y;
    npy_intp count;
    if (mn_check_rows(xo, yo, "support_x", "support_y", self->dims[0], self->dims[7], 1, &x, &y, &count) < 0 ||
        mn_check_range("num_steps", steps, 0, 100000) < 0)
        return NULL;
    npy_intp ld[1] = {(npy_intp)(steps + 1)};
    PyArrayObject *losses = mn_new_array(1, ld, NPY_FLOAT64, 1);
    if (!losses) return NULL;
    mn_status st; int32_t rc;
    const float *xp = PyArray_DATA(x), *yp = PyArray_DATA(y);
    double *lp = PyArray_DATA(losses);
    MN_CALL(self, rc = mn_agent_adapt(self->handle, xp, yp, count, steps, lr, lp, &st));
    if (rc) { Py_DECREF(losses); return mn_raise(&st); }
    return (PyObject *)losses;
}

/* fit(X [n, I], Y [n, I], epochs, use_replay, losses float64 [epochs*n]) */
static PyObject *agent_fit(MnAgent *self, PyObject *args) {
    MN_READY(self);
    PyObject *xo, *yo, *lo;
    long long epochs;
    int use_replay;
    if (!PyArg_ParseTuple(args, "OOO&O&O", &xo, &yo, mn_to_int64, &epochs, mn_to_bool, &use_replay, &lo)) return NULL;
    PyArrayObject *x, *y;
    npy_intp count;
    if (mn_check_rows(xo, yo, "X", "Y", self->dims[0], self->dims[7], 1, &x, &y, &count) < 0) return NULL;
    if (epochs < 0) { PyErr_Format(MnInvalidArgument, "epochs must be >= 0, got %lld", epochs); return NULL; }
    npy_intp ld[1] = {(npy_intp)(epochs * count)};
    PyArrayObject *l = mn_check_array(lo, "losses", NPY_FLOAT64, 1, ld, 1);
    if (!l) return NULL;
    mn_status st; int32_t rc;
    const float *xp = PyArray_DATA(x), *yp = PyArray_DATA(y);
    double *lp = PyArray_DATA(l);
    MN_CALL(self, rc = mn_agent_fit(self->handle, xp, yp, count, epochs, use_replay, lp, &st));
    if (rc) return mn_raise(&st);
    Py_RETURN_NONE;
}

static PyObject *agent_replay_count(MnAgent *self, PyObject *unused) {
    MN_READY(self);
    mn_status st; int32_t rc; int64_t count = 0;
    MN_CALL(self, rc = mn_agent_replay_count(self->handle, &count, &st));
    if (rc) return mn_raise(&st);
    return PyLong_FromLongLong(count);
}

static PyObject *agent_replay_sample(MnAgent *self, PyObject *args) {
    MN_READY(self);
    long long batch;
    double beta = 0.4;
    if (!PyArg_ParseTuple(args, "O&|O&", mn_to_int64, &batch, mn_to_float64, &beta)) return NULL;
    if (batch < 1) { PyErr_Format(MnInvalidArgument, "batch_size must be >= 1, got %lld", batch); return NULL; }
    npy_intp bd[1] = {batch}, xd[2] = {batch, self->dims[0]}, yd[2] = {batch, self->dims[7]};
    PyObject *ix = PyArray_ZEROS(1, bd, NPY_INT64, 0), *w = PyArray_ZEROS(1, bd, NPY_FLOAT32, 0);
    PyObject *x = PyArray_ZEROS(2, xd, NPY_FLOAT32, 0), *y = PyArray_ZEROS(2, yd, NPY_FLOAT32, 0);
    if (!ix || !w || !x || !y) goto fail;
    mn_status st; int32_t rc;
    int64_t *ip = PyArray_DATA((PyArrayObject *)ix);
    float *wp = PyArray_DATA((PyArrayObject *)w), *xp = PyArray_DATA((PyArrayObject *)x),
          *yp = PyArray_DATA((PyArrayObject *)y);
    MN_CALL(self, rc = mn_agent_replay_sample(self->handle, batch, beta, ip, wp, xp, yp, &st));
    if (rc) { mn_raise(&st); goto fail; }
    return Py_BuildValue("(NNNN)", ix, w, x, y);
fail:
    Py_XDECREF(ix); Py_XDECREF(w); Py_XDECREF(x); Py_XDECREF(y);
    return NULL;
}

static PyObject *agent_bench_plain_step_phases(MnAgent *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"x", "y", "iterations", "repeats", NULL};
    MN_READY(self);
    PyObject *xo, *yo;
    long long iterations = 1000, repeats = 5;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|O&O&:bench_plain_step_phases", kwlist, &xo, &yo, mn_to_int64,
                                     &iterations, mn_to_int64, &repeats))
        return NULL;
    if (iterations < 1 || repeats < 1) {
        PyErr_Format(MnInvalidArgument, "iterations and repeats must be >= 1, got %lld and %lld", iterations, repeats);
        return NULL;
    }
    npy_intp d[1] = {self->dims[0]}, od[1] = {self->dims[7]};
    PyArrayObject *x = mn_check_array(xo, "x", NPY_FLOAT32, 1, d, 0);
    if (!x) return NULL;
    PyArrayObject *y = mn_check_array(yo, "y", NPY_FLOAT32, 1, od, 0);
    if (!y) return NULL;
    mn_status st; int32_t rc; double ns[8] = {0};
    const float *xp = PyArray_DATA(x), *yp = PyArray_DATA(y);
    MN_CALL(self, rc = mn_agent_bench_plain_step_phases(self->handle, xp, yp, iterations, repeats, ns, &st));
    if (rc) return mn_raise(&st);
    return Py_BuildValue("(dddddddd)", ns[0], ns[1], ns[2], ns[3], ns[4], ns[5], ns[6], ns[7]);
}

static PyMethodDef agent_methods[] = {
    MN_CHECKPOINT_METHODS("Agent"),
    {"info", (PyCFunction)agent_info, METH_NOARGS, "info() -> (I, H, N, W, R, write heads, replay capacity, lr, O)"},
    {"memory_kind", (PyCFunction)agent_memory_kind, METH_NOARGS, "memory_kind() -> 0 (seed) or 1 (dnc)"},
    {"memory", (PyCFunction)agent_memory, METH_NOARGS, "memory() -> (M float32 [N, W], u float32 [N]) (copies)"},
    {"controller", (PyCFunction)agent_controller, METH_NOARGS, "controller() -> Controller (shares the agent)"},
    {"memory_bank", (PyCFunction)agent_memory_bank, METH_NOARGS, "memory_bank() -> MemoryBank (shares the agent)"},
    {"train_step", (PyCFunction)agent_train_step, METH_VARARGS, "train_step(x, y, use_replay=True) -> loss"},
    {"bench_plain_step_phases", (PyCFunction)(void (*)(void))agent_bench_plain_step_phases,
     METH_VARARGS | METH_KEYWORDS,
     "bench_plain_step_phases(x, y, iterations=1000, repeats=5) -> 8 floats\n\n"
     "Benchmark hook: CPU ns per call of a step without replay and of each of its phases (train_step, "
     "checks_snapshot_copy, forward, loss, replay_record_push, pullback, gradient_norms, adam). Changes the agent."},
    {"train_step_with_draws", (PyCFunction)agent_train_step_with_draws, METH_VARARGS,
     "train_step_with_draws(x [I], y [O], indices int64 [B], weights float32 [B]) -> loss"},
    {"evaluate", (PyCFunction)agent_evaluate, METH_VARARGS,
     "evaluate(X, Y, write_memory=True) -> mean MSE (write_memory: the seed's writes during evaluation)"},
    {"predict", (PyCFunction)agent_predict, METH_O, "predict(X [n, I]) -> float32 [n, O] (memory read, not written)"},
    {"options", (PyCFunction)agent_options, METH_NOARGS,
     "options() -> (replay_batch_size, replay_weight, clip_norm, replay_alpha, replay_beta)"},
    {"fit", (PyCFunction)agent_fit, METH_VARARGS, "fit(X, Y, epochs, use_replay, losses)"},
    {"exact_adam", (PyCFunction)agent_exact_adam, METH_VARARGS,
     "exact_adam(set=-1) -> bool (set 0/1 changes it: PyTorch's exact Adam arithmetic or refined estimates)"},
    {"adapt", (PyCFunction)agent_adapt, METH_VARARGS, "adapt(X, Y, num_steps, lr) -> losses float64 [num_steps + 1]"},
    {"replay_count", (PyCFunction)agent_replay_count, METH_NOARGS, "replay_count() -> int"},
    {"replay_sample", (PyCFunction)agent_replay_sample, METH_VARARGS,
     "replay_sample(batch_size, beta=0.4) -> (indices, weights, X, Y)"},
    {NULL, NULL, 0, NULL},
};

static mn_type MnAgentType = {
    .type = {MN_TYPE(MnAgent, "Agent",
                     "Agent(input_dim, hidden_dim, memory_size, memory_dim, num_read_heads, num_write_heads, "
                     "replay_capacity, lr, seed=None, ..., output_dim=input_dim, memory=0): native continual-learning "
                     "agent (memory 0: the seed's bank, 1: the DNC's memory access)."),
             .tp_init = (initproc)agent_init, .tp_methods = agent_methods},
    .cls = {.name = "Agent", .free = MN_FREE(mn_agent_free), MN_CHECKPOINT_HOOKS(mn_agent),
            .adopted = agent_adopted},
};

int mn_register_agent(PyObject *module) { return mn_add_types(module, (mn_type *const[]){&MnAgentType, NULL}); }
