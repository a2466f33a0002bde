/*
 * mnemonet.h — the C ABI of mnemonet's Swift core (the ONE hand-written header).
 *
 * Implemented by the Swift target MnemonetNative (`@c` exports, no logic), consumed by the CPython extension
 * python/mnemonet/_native. Only handles, scalars and (pointer, count) buffers cross this boundary.
 *
 * Conventions
 *  - Every function that can fail returns an int32_t status (MNEMONET_STATUS_OK == 0) and fills *status with
 *    the code and a NUL-terminated UTF-8 message. `status` may not be NULL.
 *  - Handles are opaque (`mn_*` pointers) created by `mn_*_create`/`mn_*_load` and released by `mn_*_free`.
 *    A handle is not thread-safe: callers serialise calls on one handle (the extension holds a lock per object).
 *  - Buffers are float32 / int64 / uint8, C-contiguous, native byte order, aligned; counts are in elements.
 *    The caller has validated shapes; the core re-checks what it cannot afford to get wrong and reports
 *    MNEMONET_STATUS_INVALID_ARGUMENT instead of trapping.
 */
#ifndef MNEMONET_H
#define MNEMONET_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status ------------------------------------------------------------------------------------------------ */

enum {
    MNEMONET_STATUS_OK = 0,
    MNEMONET_STATUS_INVALID_ARGUMENT = 1, /* an argument outside its domain            → InvalidArgumentError  */
    MNEMONET_STATUS_INDEX_OUT_OF_RANGE = 2, /* an index outside 0..<count              → IndexOutOfRangeError  */
    MNEMONET_STATUS_INVALID_STATE = 3,    /* the object cannot do this now (empty…)   → InvalidStateError     */
    MNEMONET_STATUS_IO = 4,               /* the OS refused a file operation (errno)  → CheckpointIOError     */
    MNEMONET_STATUS_FORMAT = 5,           /* not a (valid) checkpoint of that kind    → CheckpointFormatError */
};

#define MNEMONET_MESSAGE_CAPACITY 512

typedef struct mn_status {
    int32_t code;                              /* MNEMONET_STATUS_* */
    int32_t os_errno;                          /* errno for MNEMONET_STATUS_IO, else 0 */
    char message[MNEMONET_MESSAGE_CAPACITY];   /* NUL-terminated, truncated to fit */
} mn_status;

/* ---- library ----------------------------------------------------------------------------------------------- */

/* Version of this ABI; the extension refuses to load a core with another. */
#define MNEMONET_ABI_VERSION 1
int32_t mn_abi_version(void);

/* ---- replay (Sources/MnemonetReplay) --------------------------------------------------------------------- */

/* (declarations of the replay section go here) */

/* ---- end of replay section ---- */

/* ---- engine (Sources/MnemonetEngine) --------------------------------------------------------------------- */

/* Benchmark hooks of the learning engine (bench/bench_engine.py). Each runs a workload in Swift and writes the
 * median over `repeats` of the mean wall time per iteration (ns) into the double out-parameter. All sizes ≥ 1. */

/* One fused LSTM cell step, batch × input → hidden; forward only (backward == 0) or forward + backward of
 * Σh' + Σc' into the parameters' gradients. */
int32_t mn_engine_bench_lstm(int64_t batch, int64_t input, int64_t hidden, int32_t backward, int64_t iterations,
                             int64_t repeats, double *ns_per_step, mn_status *status);

/* Per-op overhead: 2·length element-wise ops on `size`-element tensors; mode 0 no graph, 1 recording, 2 recording +
 * backward. Result in ns per op. */
int32_t mn_engine_bench_op_overhead(int64_t size, int64_t length, int32_t mode, int64_t iterations, int64_t repeats,
                                    double *ns_per_op, mn_status *status);

/* One MAML meta-gradient: MLP 1→40→40→1 (ReLU), meta_batch tasks of k support + k query points, one inner SGD
 * step, second order when second_order != 0. */
int32_t mn_engine_bench_maml(int64_t meta_batch, int64_t k, int32_t second_order, int64_t iterations,
                             int64_t repeats, double *ns_per_iteration, mn_status *status);

/* ---- end of engine section ---- */

/* ---- memory and agent (Sources/MnemonetMemory, Sources/MnemonetAgent) ------------------------------------ */

/* (declarations of the memory section go here) */

/* ---- end of memory section ---- */

/* ---- meta-learning (Sources/MnemonetMeta) ---------------------------------------------------------------- */

/* (declarations of the meta-learning section go here) */

/* ---- end of meta-learning section ---- */

#ifdef __cplusplus
}
#endif

#endif /* MNEMONET_H */
