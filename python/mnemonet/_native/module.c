/*
 * mnemonet._native — the CPython face of the Swift core. This file creates the module and the exception
 * hierarchy; each concept (replay, agent, meta, …) lives in its own file and registers itself below.
 */
#define MN_MODULE_C
#include "mn_common.h"

/* Per-concept registration: each adds its types/functions to the module; 0 on success, -1 with an exception. */
typedef int (*mn_register_fn)(PyObject *module);
static const mn_register_fn mn_registrations[] = {
    mn_register_memory,
    mn_register_agent,
    mn_register_meta,
    mn_register_engine,
    mn_register_replay,
    mn_register_snail,
    mn_register_dnc,
    mn_register_continual,
    NULL, /* keep last */
};

static PyObject *abi_version(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    return PyLong_FromLong(mn_abi_version());
}

/* tensor_cache(release=False) -> int: bytes of idle tensor buffers; release frees them (returns the bytes freed). */
static PyObject *tensor_cache(PyObject *self, PyObject *args, PyObject *kwds) {
    (void)self;
    static char *kwlist[] = {"release", NULL};
    int release = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O&:tensor_cache", kwlist, mn_to_bool, &release))
        return NULL;
    int64_t bytes;
    Py_BEGIN_ALLOW_THREADS
    bytes = mn_tensor_cache(release);
    Py_END_ALLOW_THREADS
    return PyLong_FromLongLong((long long)bytes);
}

static PyMethodDef module_methods[] = {
    {"abi_version", abi_version, METH_NOARGS, "abi_version() -> int\n\nVersion of the native core's C ABI."},
    {"tensor_cache", (PyCFunction)(void (*)(void))tensor_cache, METH_VARARGS | METH_KEYWORDS,
     "tensor_cache(release=False) -> int\n\nBytes of large tensor buffers kept idle for reuse; release=True frees "
     "them and returns the bytes freed."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "mnemonet._native",
    .m_doc = "Native core of mnemonet (Swift, through a C ABI). Use the `mnemonet` package, not this module.",
    .m_size = -1,
    .m_methods = module_methods,
};

/* Creates `mnemonet.<name>` deriving from `bases` (a class or a tuple), stores it in *slot and in the module. */
static int add_exception(PyObject *module, PyObject **slot, const char *name, PyObject *bases, const char *doc) {
    char qualified[128];
    snprintf(qualified, sizeof qualified, "mnemonet.%s", name);
    *slot = PyErr_NewExceptionWithDoc(qualified, doc, bases, NULL);
    if (!*slot)
        return -1;
    Py_INCREF(*slot);
    if (PyModule_AddObject(module, name, *slot) < 0) {
        Py_DECREF(*slot);
        return -1;
    }
    return 0;
}

/* The hierarchy under MnemonetError: each subclass is also the built-in exception a Python user would expect. */
static const struct {
    PyObject **slot;
    const char *name;
    PyObject **builtin;
    const char *doc;
} mn_sub_exceptions[] = {
    {&MnInvalidArgument, "InvalidArgumentError", &PyExc_ValueError,
     "An argument has the wrong value, shape or memory layout."},
    {&MnArgumentType, "ArgumentTypeError", &PyExc_TypeError, "An argument has the wrong Python type or dtype."},
    {&MnIndexOutOfRange, "IndexOutOfRangeError", &PyExc_IndexError, "An index lies outside the valid range."},
    {&MnInvalidState, "InvalidStateError", &PyExc_RuntimeError,
     "The object cannot do this in its current state (e.g. sampling an empty buffer)."},
    {&MnCheckpointIO, "CheckpointIOError", &PyExc_OSError,
     "The operating system refused to read or write a checkpoint file."},
    {&MnCheckpointFormat, "CheckpointFormatError", &PyExc_ValueError,
     "A file is not a valid mnemonet checkpoint of the expected kind (truncated, corrupt or foreign)."},
    {&MnNonFinite, "NonFiniteError", &PyExc_FloatingPointError,
     "A computation (a training step's loss or gradient) became NaN or infinite; the object was left exactly as it "
     "was before the call."},
    {&MnOutOfMemory, "OutOfMemoryError", &PyExc_MemoryError, "The memory an object needs could not be allocated."},
    {NULL, NULL, NULL, NULL},
};

static int add_exceptions(PyObject *module) {
    if (add_exception(module, &MnError, "MnemonetError", PyExc_Exception,
                      "Base class of every error raised by mnemonet.") < 0)
        return -1;
    for (int k = 0; mn_sub_exceptions[k].slot; k++) {
        PyObject *bases = PyTuple_Pack(2, MnError, *mn_sub_exceptions[k].builtin);
        if (!bases)
            return -1;
        int rc = add_exception(module, mn_sub_exceptions[k].slot, mn_sub_exceptions[k].name, bases,
                               mn_sub_exceptions[k].doc);
        Py_DECREF(bases);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* ArgumentOverflowError(InvalidArgumentError, OverflowError): an integer too large for its parameter. */
static int add_overflow_exception(PyObject *module) {
    PyObject *bases = PyTuple_Pack(2, MnInvalidArgument, PyExc_OverflowError);
    if (!bases)
        return -1;
    int rc = add_exception(module, &MnArgumentOverflow, "ArgumentOverflowError", bases,
                           "An integer argument is too large (or too small) for its parameter.");
    Py_DECREF(bases);
    return rc;
}

PyMODINIT_FUNC PyInit__native(void) {
    import_array();
    if (mn_abi_version() != MNEMONET_ABI_VERSION) {
        PyErr_Format(PyExc_ImportError, "mnemonet._native: native core has ABI %d, the extension expects %d",
                     (int)mn_abi_version(), MNEMONET_ABI_VERSION);
        return NULL;
    }
    PyObject *module = PyModule_Create(&module_def);
    if (!module)
        return NULL;
    if (add_exceptions(module) < 0 || add_overflow_exception(module) < 0 || mn_guard_install_fork_handler() < 0 ||
        mn_configure_allocator() < 0) {
        Py_DECREF(module);
        return NULL;
    }
    for (const mn_register_fn *reg = mn_registrations; *reg; reg++) {
        if ((*reg)(module) < 0) {
            Py_DECREF(module);
            return NULL;
        }
    }
    return module;
}
