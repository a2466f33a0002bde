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

/*
 * Prioritized experience replay (MnemonetReplay.PrioritizedReplayBuffer) and reservoir replay
 * (MnemonetReplay.ReservoirReplayBuffer). Items are `field_count` float32 fields of fixed widths (values per item).
 * Batches of items are item-major: field f of a batch of n items is one buffer of n * field_widths[f] floats, and
 * `field_sizes[f]` is that buffer's element count (re-checked by the core).
 */
typedef struct mn_replay mn_replay;
typedef struct mn_reservoir mn_reservoir;

enum {
    MNEMONET_SAMPLING_PROPORTIONAL = 0, /* Schaul et al. 2016: p = |priority| + eps, stratified, weights / buffer max */
    MNEMONET_SAMPLING_SEED = 1,         /* the seed's ExperienceReplay: priority as given, without replacement,
                                           weights / batch max */
};

/* Creates a buffer; *out receives the handle. has_seed == 0 seeds from the system. */
int32_t mn_replay_create(int64_t capacity, const int64_t *field_widths, int64_t field_count, double alpha, double eps,
                         int32_t sampling, int32_t has_seed, uint64_t seed, mn_replay **out, mn_status *status);
void mn_replay_free(mn_replay *replay);
/* Adds `items` items; `priorities` holds `items` values, or is NULL for the default priority. */
int32_t mn_replay_add(mn_replay *replay, const float *const *fields, const int64_t *field_sizes, int64_t field_count,
                      int64_t items, const double *priorities, mn_status *status);
/* Samples `batch_size` items into indices[batch_size], weights[batch_size] and fields[f][batch_size * width_f]. */
int32_t mn_replay_sample(mn_replay *replay, int64_t batch_size, double beta, int64_t *indices, float *weights,
                         float *const *fields, const int64_t *field_sizes, int64_t field_count, mn_status *status);
int32_t mn_replay_update_priorities(mn_replay *replay, const int64_t *indices, const double *priorities, int64_t count,
                                    mn_status *status);
/* Stored leaves p_i^alpha of the given items, into out[count]. */
int32_t mn_replay_priorities(mn_replay *replay, const int64_t *indices, double *out, int64_t count, mn_status *status);
int64_t mn_replay_count(mn_replay *replay);
/* Configuration and state; any output pointer may be NULL. */
void mn_replay_describe(mn_replay *replay, int64_t *capacity, int64_t *field_count, double *alpha, double *eps,
                        int32_t *sampling, int64_t *position, double *max_priority);
/* field_widths[count] (count must equal the field count). */
int32_t mn_replay_field_widths(mn_replay *replay, int64_t *field_widths, int64_t count, mn_status *status);
/* Free-form UTF-8 text saved with the buffer. _get writes up to `capacity` bytes (NUL-terminated when it fits)
 * and stores the full length (without NUL) in *length. */
int32_t mn_replay_set_metadata(mn_replay *replay, const char *utf8, mn_status *status);
int32_t mn_replay_get_metadata(mn_replay *replay, char *buffer, int64_t capacity, int64_t *length, mn_status *status);
/* MNEMONET_STATUS_INVALID_STATE with a description when an internal invariant is violated (tests). */
int32_t mn_replay_check_invariants(mn_replay *replay, mn_status *status);
int32_t mn_replay_save(mn_replay *replay, const char *path, mn_status *status);
int32_t mn_replay_load(const char *path, mn_replay **out, mn_status *status);

int32_t mn_reservoir_create(int64_t capacity, const int64_t *field_widths, int64_t field_count, int32_t has_seed,
                            uint64_t seed, mn_reservoir **out, mn_status *status);
void mn_reservoir_free(mn_reservoir *reservoir);
int32_t mn_reservoir_add(mn_reservoir *reservoir, const float *const *fields, const int64_t *field_sizes,
                         int64_t field_count, int64_t items, mn_status *status);
int32_t mn_reservoir_sample(mn_reservoir *reservoir, int64_t batch_size, int64_t *indices, float *const *fields,
                            const int64_t *field_sizes, int64_t field_count, mn_status *status);
/* count, capacity, field count, seen; any output pointer may be NULL. */
void mn_reservoir_describe(mn_reservoir *reservoir, int64_t *count, int64_t *capacity, int64_t *field_count,
                           int64_t *seen);
int32_t mn_reservoir_field_widths(mn_reservoir *reservoir, int64_t *field_widths, int64_t count, mn_status *status);
int32_t mn_reservoir_set_metadata(mn_reservoir *reservoir, const char *utf8, mn_status *status);
int32_t mn_reservoir_get_metadata(mn_reservoir *reservoir, char *buffer, int64_t capacity, int64_t *length,
                                  mn_status *status);
int32_t mn_reservoir_save(mn_reservoir *reservoir, const char *path, mn_status *status);
int32_t mn_reservoir_load(const char *path, mn_reservoir **out, mn_status *status);

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
