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

/* (declarations of the engine section go here) */

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
