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
    MNEMONET_STATUS_NON_FINITE = 6,       /* a step's loss/gradient became NaN/inf    → NonFiniteError        */
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

/* Bytes of large tensor buffers the engine keeps idle for reuse (at most min(RAM/8, 2 GiB)); release != 0 frees them
 * first and returns the bytes freed. */
int64_t mn_tensor_cache(int32_t release);

/* ---- replay (Sources/MnemonetReplay) --------------------------------------------------------------------- */

/*
 * Prioritized experience replay (MnemonetReplay.PrioritizedReplayBuffer) and reservoir replay
 * (MnemonetReplay.ReservoirReplayBuffer). Items are `field_count` typed fields of fixed widths (elements per item)
 * and element types (`field_types[f]`, MNEMONET_DTYPE_*; NULL: every field float32). Batches of items are item-major:
 * field f of a batch of n items is one buffer of n * field_widths[f] elements, and `field_sizes[f]` is that buffer's
 * size in BYTES (re-checked by the core).
 */
typedef struct mn_replay mn_replay;
typedef struct mn_reservoir mn_reservoir;

enum {
    MNEMONET_SAMPLING_PROPORTIONAL = 0, /* Schaul et al. 2016: p = |priority| + eps, stratified, weights / buffer max */
    MNEMONET_SAMPLING_SEED = 1,         /* the seed's ExperienceReplay: priority as given, without replacement,
                                           weights / batch max */
    MNEMONET_SAMPLING_RANK = 2,         /* Schaul et al. 2016 rank-based: P ~ rank^-alpha, stratified over ranks */
};

enum { /* replay field element types (ReplayElementType) */
    MNEMONET_DTYPE_FLOAT32 = 0, MNEMONET_DTYPE_FLOAT64 = 1,
    MNEMONET_DTYPE_INT8 = 2, MNEMONET_DTYPE_INT16 = 3, MNEMONET_DTYPE_INT32 = 4, MNEMONET_DTYPE_INT64 = 5,
    MNEMONET_DTYPE_UINT8 = 6, MNEMONET_DTYPE_UINT16 = 7, MNEMONET_DTYPE_UINT32 = 8, MNEMONET_DTYPE_UINT64 = 9,
    MNEMONET_DTYPE_BOOL = 10,
};

/* Creates a buffer; *out receives the handle. has_seed == 0 seeds from the system. */
int32_t mn_replay_create(int64_t capacity, const int64_t *field_widths, const uint8_t *field_types,
                         int64_t field_count, double alpha, double eps, int32_t sampling, int32_t has_seed, uint64_t seed, mn_replay **out, mn_status *status);
void mn_replay_free(mn_replay *replay);
/* Adds `items` items; `priorities` holds `items` values, or is NULL for the default priority. */
int32_t mn_replay_add(mn_replay *replay, const void *const *fields, const int64_t *field_sizes, int64_t field_count,
                      int64_t items, const double *priorities, mn_status *status);
/* Samples `batch_size` items into indices[batch_size], weights[batch_size] and fields[f][batch_size * width_f]. */
int32_t mn_replay_sample(mn_replay *replay, int64_t batch_size, double beta, int64_t *indices, float *weights,
                         void *const *fields, const int64_t *field_sizes, int64_t field_count, mn_status *status);
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
/* field_types[count] (MNEMONET_DTYPE_*). */
int32_t mn_replay_field_types(mn_replay *replay, uint8_t *field_types, int64_t count, mn_status *status);
/* Free-form UTF-8 text saved with the buffer. _get writes up to `capacity` bytes (NUL-terminated when it fits)
 * and stores the full length (without NUL) in *length. */
int32_t mn_replay_set_metadata(mn_replay *replay, const char *utf8, mn_status *status);
int32_t mn_replay_get_metadata(mn_replay *replay, char *buffer, int64_t capacity, int64_t *length, mn_status *status);
/* MNEMONET_STATUS_INVALID_STATE with a description when an internal invariant is violated (tests). */
int32_t mn_replay_check_invariants(mn_replay *replay, mn_status *status);
int32_t mn_replay_save(mn_replay *replay, const char *path, mn_status *status);
int32_t mn_replay_load(const char *path, mn_replay **out, mn_status *status);

int32_t mn_reservoir_create(int64_t capacity, const int64_t *field_widths, const uint8_t *field_types,
                            int64_t field_count, int32_t has_seed,
                            uint64_t seed, mn_reservoir **out, mn_status *status);
void mn_reservoir_free(mn_reservoir *reservoir);
int32_t mn_reservoir_add(mn_reservoir *reservoir, const void *const *fields, const int64_t *field_sizes,
                         int64_t field_count, int64_t items, mn_status *status);
int32_t mn_reservoir_sample(mn_reservoir *reservoir, int64_t batch_size, int64_t *indices, void *const *fields,
                            const int64_t *field_sizes, int64_t field_count, mn_status *status);
/* count, capacity, field count, seen; any output pointer may be NULL. */
void mn_reservoir_describe(mn_reservoir *reservoir, int64_t *count, int64_t *capacity, int64_t *field_count,
                           int64_t *seen);
int32_t mn_reservoir_field_widths(mn_reservoir *reservoir, int64_t *field_widths, int64_t count, mn_status *status);
int32_t mn_reservoir_field_types(mn_reservoir *reservoir, uint8_t *field_types, int64_t count, mn_status *status);
int32_t mn_reservoir_set_metadata(mn_reservoir *reservoir, const char *utf8, mn_status *status);
int32_t mn_reservoir_get_metadata(mn_reservoir *reservoir, char *buffer, int64_t capacity, int64_t *length,
                                  mn_status *status);
int32_t mn_reservoir_save(mn_reservoir *reservoir, const char *path, mn_status *status);
int32_t mn_reservoir_load(const char *path, mn_reservoir **out, mn_status *status);

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

/* Opaque handles. A handle from mn_agent_controller / mn_agent_memory_bank shares the agent's object: serialise
 * calls on it with calls on the agent. */
typedef struct mn_memory_bank mn_memory_bank; /* NeuralMemoryBank: memory M [N, W], usage u [N]            */
typedef struct mn_controller mn_controller;   /* MemoryController: the seed's LSTM controller (flat params)  */
typedef struct mn_agent mn_agent;             /* ContinualLearningAgent: controller, memory, replay, Adam    */

/* Memory bank. Shapes: memory [N*W], usage [N], keys [count*W] (content addressing), read keys [R*W],
 * strengths [R], reads [R*W], weights [count*N], write key/vector/erase [W]. */
int32_t mn_memory_bank_create(int64_t memory_size, int64_t memory_dim, int64_t num_read_heads,
                              int64_t num_write_heads, mn_memory_bank **out, mn_status *status);
void mn_memory_bank_free(mn_memory_bank *bank);
int32_t mn_memory_bank_get(mn_memory_bank *bank, float *memory, float *usage, mn_status *status);
int32_t mn_memory_bank_set(mn_memory_bank *bank, const float *memory, const float *usage, mn_status *status);
int32_t mn_memory_bank_reset(mn_memory_bank *bank, mn_status *status);
int32_t mn_memory_bank_content_addressing(mn_memory_bank *bank, const float *keys, const float *betas, int64_t count,
                                          float *weights, mn_status *status);
int32_t mn_memory_bank_read(mn_memory_bank *bank, const float *keys, const float *strengths, float *reads,
                            mn_status *status);
int32_t mn_memory_bank_write(mn_memory_bank *bank, const float *key, const float *vector, const float *erase,
                             float strength, mn_status *status);

/* Memory controller. Tensors are the seed's state_dict entries in PyTorch's order (name, shape with ndim 1 or 2). */
/* output_dim: the size of the output (the seed's = input_dim). */
int32_t mn_controller_create(int64_t input_dim, int64_t hidden_dim, int64_t output_dim, int64_t memory_size, int64_t memory_dim,
                             int64_t num_read_heads, int64_t num_write_heads, int32_t has_seed, uint64_t seed,
                             mn_controller **out, mn_status *status);
void mn_controller_free(mn_controller *controller);
int64_t mn_controller_tensor_count(mn_controller *controller);
int32_t mn_controller_tensor_info(mn_controller *controller, int64_t index, char *name, int64_t name_capacity,
                                  int64_t *shape, int32_t *ndim, mn_status *status);
int32_t mn_controller_get_tensor(mn_controller *controller, int64_t index, float *out, int64_t count,
                                 mn_status *status);
int32_t mn_controller_set_tensor(mn_controller *controller, int64_t index, const float *values, int64_t count,
                                 mn_status *status);
/* The seed's forward(x, memory_bank): x [I] → output [I]; reads then writes the bank (configs must match). */
int32_t mn_controller_forward(mn_controller *controller, mn_memory_bank *bank, const float *x, float *output,
                              mn_status *status);

/* Controller adaptation (the seed's MetaLearner.adapt over the controller; Sources/MnemonetMemory/
 * ControllerAdaptation.swift). x, y [count*I]. Every pass runs from a COPY of the bank: neither the controller nor the
 * bank is modified. adapt: num_steps SGD steps of rate lr on the mean support MSE; *adapted receives a NEW controller
 * (free with mn_controller_free) holding the adapted parameters; losses [num_steps + 1] the support loss before each
 * step and after the last. mean_loss: the mean MSE from a copy of the bank. meta_gradient: d L_Q(theta_K) / d theta
 * (MAML; second order unless first_order != 0) into gradient [parameter count], the state_dict entries concatenated
 * in PyTorch's order; *query_loss = L_Q(theta_K). */
int32_t mn_controller_adapt(mn_controller *controller, mn_memory_bank *bank, const float *x, const float *y,
                            int64_t count, int64_t num_steps, float lr, mn_controller **adapted, double *losses,
                            mn_status *status);
int32_t mn_controller_mean_loss(mn_controller *controller, mn_memory_bank *bank, const float *x, const float *y,
                                int64_t count, double *loss, mn_status *status);
int32_t mn_controller_meta_gradient(mn_controller *controller, mn_memory_bank *bank, const float *support_x,
                                    const float *support_y, int64_t support_count, const float *query_x,
                                    const float *query_y, int64_t query_count, int64_t num_steps, float lr,
                                    int32_t first_order, float *gradient, double *query_loss, mn_status *status);

/* Continual-learning agent. x, y: [I] for a step, [count*I] for evaluate/fit; losses [epochs*count]. */
/* replay_batch B, replay_weight lambda, clip_norm c, replay_alpha, replay_beta: the seed's 8, 0.3, 1, 0.6, 0.4. */
/* output_dim: the size of y (the seed's = input_dim). */
int32_t mn_agent_create(int64_t input_dim, int64_t hidden_dim, int64_t output_dim, int64_t memory_size, int64_t memory_dim,
                        int64_t num_read_heads, int64_t num_write_heads, int64_t replay_capacity, float lr,
                        int64_t replay_batch, float replay_weight, float clip_norm, double replay_alpha,
                        double replay_beta, int32_t memory_kind, int32_t has_seed, uint64_t seed, mn_agent **out,
                        mn_status *status);
/* The replay and clipping options given to mn_agent_create (any pointer may be NULL). */
int32_t mn_agent_options(mn_agent *agent, int64_t *replay_batch, float *replay_weight, float *clip_norm,
                         double *replay_alpha, double *replay_beta, mn_status *status);
/* Reads (set < 0) or sets (0/1) whether Adam uses PyTorch's exact arithmetic; *exact receives the value after. */
int32_t mn_agent_exact_adam(mn_agent *agent, int32_t set, int32_t *exact, mn_status *status);
void mn_agent_free(mn_agent *agent);
/* memory_kind: 0 = the seed's bank (ContinualLearningAgent), 1 = the DNC's memory access (DNCMemoryAgent, which
 * needs output_dim == input_dim); the controller / memory_bank views, train_step_with_draws and adapt need kind 0
 * (kind 1: MN_INVALID_STATE). */
/* dims [9]: input_dim, hidden_dim, memory_size, memory_dim, num_read_heads, num_write_heads, replay_capacity,
 * output_dim, memory_kind. */
int32_t mn_agent_info(mn_agent *agent, int64_t *dims, float *lr, mn_status *status);
int32_t mn_agent_controller(mn_agent *agent, mn_controller **out, mn_status *status);
int32_t mn_agent_memory_bank(mn_agent *agent, mn_memory_bank **out, mn_status *status);
int32_t mn_agent_train_step(mn_agent *agent, const float *x, const float *y, int32_t use_replay, double *loss,
                            mn_status *status);
/* train_step with the B replay draws given: indices [B] (0 = oldest stored item), weights [B]. */
int32_t mn_agent_train_step_with_draws(mn_agent *agent, const float *x, const float *y, const int64_t *indices,
                                       const float *weights, double *loss, mn_status *status);
/* Benchmark hook (bench/bench_floors.py): ns [8] receives the CPU ns per call of a whole step without replay on (x, y)
 * and of each of its phases alone (checks+snapshot+copies, forward, loss, replay push, pullback, gradient norms,
 * Adam), each run `iterations` times, median of `repeats`. Changes the agent (use a throwaway one). */
int32_t mn_agent_bench_plain_step_phases(mn_agent *agent, const float *x, const float *y, int64_t iterations,
                                         int64_t repeats, double *ns, mn_status *status);
/* write_memory != 0: the seed's evaluate (each forward writes the memory); 0: read-only, the agent is unchanged. */
int32_t mn_agent_evaluate(mn_agent *agent, const float *x, const float *y, int64_t count, int32_t write_memory,
                          double *error, mn_status *status);
/* Outputs out [count*I] for x [count*I], reading the memory without writing it, without training. */
int32_t mn_agent_predict(mn_agent *agent, const float *x, int64_t count, float *out, mn_status *status);
int32_t mn_agent_fit(mn_agent *agent, const float *x, const float *y, int64_t count, int64_t epochs,
                     int32_t use_replay, double *losses, mn_status *status);
/* Adapts the agent's controller in place on a support set x, y [count*I] (mn_controller_adapt from the agent's
 * memory, then theta <- theta_K); memory, usage, Adam state and replay are unchanged. losses [num_steps + 1]. */
int32_t mn_agent_adapt(mn_agent *agent, const float *x, const float *y, int64_t count, int64_t num_steps, float lr,
                       double *losses, mn_status *status);
int32_t mn_agent_replay_count(mn_agent *agent, int64_t *count, mn_status *status);
/* indices [batch], weights [batch], x and y [batch*I]. */
int32_t mn_agent_replay_sample(mn_agent *agent, int64_t batch_size, double beta, int64_t *indices, float *weights,
                               float *x, float *y, mn_status *status);
int32_t mn_agent_save(mn_agent *agent, const char *path, mn_status *status);
int32_t mn_agent_load(const char *path, mn_agent **out, mn_status *status);
/* M [N*W] then u [N] of the agent's current memory (either kind) into out [N*W + N]. */
int32_t mn_agent_memory(mn_agent *agent, float *out, mn_status *status);

/* ---- end of memory section ---- */

/* ---- meta-learning (Sources/MnemonetMeta) ---------------------------------------------------------------- */

/*
 * A meta-learner over an MLP (layer_sizes[0] → … → layer_sizes[L], hidden activation, linear output): the
 * meta-parameters θ in PyTorch nn.Sequential state-dict order (W0 [out, in], b0, W1, b1, …), Meta-SGD's α, the outer
 * Adam state and a sinusoid task stream. Adaptation is functional (returns θ′, never writes θ).
 * activation: 0 relu, 1 tanh, 2 sigmoid, 3 identity. algorithm: 0 maml, 1 meta-sgd, 2 reptile, 3 pretrain.
 * backend: 0 fused (hand-derived HVPs for the MLP), 1 composed (the engine's createGraph autodiff; same values).
 * Negative steps / lr / first_order arguments mean "the learner's default".
 */
typedef struct mn_meta_learner mn_meta_learner;

int32_t mn_meta_create(const int64_t *layer_sizes, int64_t layer_count, int32_t activation, int32_t algorithm,
                       float inner_lr, int32_t inner_steps, int32_t first_order, float meta_lr, int32_t backend,
                       uint64_t seed, mn_meta_learner **out, mn_status *status);
void mn_meta_free(mn_meta_learner *h);
int64_t mn_meta_parameter_count(mn_meta_learner *h); /* |θ| */
int64_t mn_meta_alpha_count(mn_meta_learner *h);     /* |α|: |θ| for meta-sgd, else 0 */
int64_t mn_meta_iteration(mn_meta_learner *h);       /* outer steps taken */
/* which: 0 = θ, 1 = α; count must equal the vector's length. */
int32_t mn_meta_get_parameters(mn_meta_learner *h, int32_t which, float *out, int64_t count, mn_status *status);
int32_t mn_meta_set_parameters(mn_meta_learner *h, int32_t which, const float *values, int64_t count,
                               mn_status *status);
/* y [n, d_out] = f(x [n, d_in]; params), params = NULL for θ. */
int32_t mn_meta_predict(mn_meta_learner *h, const float *params, const float *x, int64_t n, float *y,
                        mn_status *status);
/* out [|θ|] = θ′ after `steps` inner steps on (x [n, d_in], y [n, d_out]) from params (NULL: θ). */
int32_t mn_meta_adapt(mn_meta_learner *h, const float *params, const float *x, const float *y, int64_t n,
                      int32_t steps, float lr, float *out, mn_status *status);
/* One task's meta-gradient at θ: gradient [|θ|], alpha_gradient [|α|] (may be NULL), losses [2] = (L^s before,
 * L^q after). */
int32_t mn_meta_meta_gradient(mn_meta_learner *h, const float *sx, const float *sy, int64_t ns, const float *qx,
                              const float *qy, int64_t nq, int32_t steps, float lr, int32_t first_order,
                              float *gradient, float *alpha_gradient, float *losses, mn_status *status);
/* One outer Adam step with a caller-supplied gradient of |θ| + |α| floats. */
int32_t mn_meta_apply_meta_gradient(mn_meta_learner *h, const float *gradient, int64_t count, mn_status *status);
/* One meta-iteration on a caller-supplied meta-batch: x [batch, n, d_in], y [batch, n, d_out]; losses [2] =
 * meta-batch means (L^s before, L^q after). */
int32_t mn_meta_step(mn_meta_learner *h, const float *sx, const float *sy, int64_t ns, const float *qx,
                     const float *qy, int64_t nq, int64_t batch, float *losses, mn_status *status);
/* `iterations` meta-iterations on sinusoid tasks (meta-batch and Adam in native code); loss_history
 * [iterations] or NULL. */
int32_t mn_meta_train_sinusoid(mn_meta_learner *h, int64_t iterations, int32_t meta_batch_size, int32_t k_shot,
                               float *loss_history, mn_status *status);
/* Checkpoints (kind "meta-learner", atomic): network, configuration, θ, α, Adam state, task stream, iteration. */
int32_t mn_meta_save(mn_meta_learner *h, const char *path, mn_status *status);
int32_t mn_meta_load(const char *path, mn_meta_learner **out, mn_status *status);
/* The learner's shape and configuration (layer_sizes receives min(capacity, *layer_count) sizes). */
int32_t mn_meta_describe(mn_meta_learner *h, int64_t *layer_sizes, int64_t capacity, int64_t *layer_count,
                         int32_t *activation, int32_t *algorithm, float *inner_lr, int32_t *inner_steps,
                         int32_t *first_order, float *meta_lr, int32_t *backend, mn_status *status);
/* out [num_tasks, max_steps + 1]: query MSE before and after 1..max_steps inner steps on fresh K-shot tasks. */
int32_t mn_meta_evaluate_sinusoid(mn_meta_learner *h, int64_t num_tasks, int32_t k_shot, int32_t max_steps, float lr,
                                  uint64_t seed, float *out, mn_status *status);

/* ---- end of meta-learning section ---- */

/* ---- SNAIL (Sources/MnemonetSNAIL) ------------------------------------------------------------------------- */

/*
 * A SNAIL network (Mishra et al. 2018) with its Adam optimiser: x [B, T, I] → y [B, T, O]. Parameters are tensors in
 * PyTorch named_parameters() order (names from mn_snail_tensor_info). blocks: 3 integers per block, (0, key, value)
 * for attention, (1, filters, 0) for a TC block.
 */
typedef struct mn_snail mn_snail;

/* blocks: 3 integers per block, (0, key, value) attention, (1, filters, 0) TC. embedding: the MLP's layer sizes
 * (embedding_count 0: no embedding network) over the first embedding_inputs columns; embedding_final_relu != 0: a
 * ReLU after the last layer too. */
int32_t mn_snail_create(int64_t input_size, int64_t output_size, int64_t sequence_length, const int64_t *blocks,
                        int64_t block_count, const int64_t *embedding, int64_t embedding_count,
                        int64_t embedding_inputs, int32_t embedding_final_relu, float lr, float clip_norm,
                        uint64_t seed, mn_snail **out, mn_status *status);
void mn_snail_free(mn_snail *h);
int64_t mn_snail_tensor_count(mn_snail *h);
int64_t mn_snail_iteration(mn_snail *h);
/* name NUL-terminated into capacity bytes; shape receives up to 4 dims, rank their number. */
int32_t mn_snail_tensor_info(mn_snail *h, int64_t index, char *name, int64_t capacity, int64_t *shape, int64_t *rank,
                             mn_status *status);
int32_t mn_snail_get_tensor(mn_snail *h, int64_t index, float *out, int64_t count, mn_status *status);
int32_t mn_snail_set_tensor(mn_snail *h, int64_t index, const float *values, int64_t count, mn_status *status);
int32_t mn_snail_forward(mn_snail *h, const float *x, int64_t batch, int64_t length, float *y, mn_status *status);
/* L = sum w*l / sum w over targets [B, T, O], weights [B, T]; loss 0 mse, 1 cross-entropy; gradients (NULL, or all
 * parameters concatenated in tensor order) before the step; update != 0: one clipped Adam step. */
int32_t mn_snail_loss(mn_snail *h, const float *x, const float *targets, const float *weights, int64_t batch,
                      int64_t length, int32_t loss, int32_t update, float *value, float *gradients, mn_status *status);
int32_t mn_snail_set_optimizer(mn_snail *h, float lr, float clip_norm, mn_status *status);
/* sizes [3] = (I, O, T); blocks [3 * capacity]; optimizer [2] = (lr, clip_norm). */
int32_t mn_snail_describe(mn_snail *h, int64_t *sizes, int64_t *blocks, int64_t capacity, int64_t *block_count,
                          float *optimizer, mn_status *status);
/* info [3] = (layer count n, 0 without an embedding; inputs F; final ReLU 0/1); sizes [capacity] receives E_1..E_n. */
int32_t mn_snail_describe_embedding(mn_snail *h, int64_t *info, int64_t *sizes, int64_t capacity, mn_status *status);
/* Bandit meta-RL (K arms, N pulls; input K + 2, output K + 1): `iterations` A2C updates on `batch` fresh episodes;
 * config [5] = (discount, gae_lambda, value_coef, entropy_coef, normalize_advantages); mean_rewards [iterations] or
 * NULL. */
int32_t mn_snail_bandit_train(mn_snail *h, int64_t arms, int64_t pulls, int64_t batch, int64_t iterations,
                              const float *config, float *mean_rewards, mn_status *status);
/* totals [E] of episodes with p [E, K], u [E, N, K] (reward of arm a at step t: u[e, t, a] < p[e, a]). */
int32_t mn_snail_bandit_evaluate(mn_snail *h, int64_t arms, int64_t pulls, const float *probabilities,
                                 const float *uniforms, int64_t episodes, int32_t greedy, float *totals,
                                 mn_status *status);
int32_t mn_snail_save(mn_snail *h, const char *path, mn_status *status);
int32_t mn_snail_load(const char *path, mn_snail **out, mn_status *status);
/* The checkpoint as bytes (release with mn_bytes_free) and back (see "checkpoints in memory"). */
int32_t mn_snail_to_bytes(mn_snail *h, void **data, int64_t *length, mn_status *status);
int32_t mn_snail_from_bytes(const void *data, int64_t length, mn_snail **out, mn_status *status);

/* ---- end of SNAIL section ---- */
/* ---- checkpoints in memory (Sources/MnemonetBase/Checkpointable.swift, Sources/MnemonetNative/CheckpointABI.swift) */

/*
 * Every native object's complete checkpoint as bytes: exactly the bytes its _save writes to a file (magic, kind,
 * length, CRC-32, payload), so pickles, deep copies and files share one format. _to_bytes writes a new buffer to
 * *data (*length bytes; release it with mn_bytes_free); _from_bytes reads one into a new handle (MNEMONET_STATUS_FORMAT
 * for truncated, corrupt or foreign bytes). The memory bank and the controller also get file checkpoints and an
 * info call: bank dims [4] = N, W, R, write heads; controller dims [6] = I, H, N, W, R, write heads.
 */
void mn_bytes_free(void *data);
int32_t mn_replay_to_bytes(mn_replay *h, void **data, int64_t *length, mn_status *status);
int32_t mn_replay_from_bytes(const void *data, int64_t length, mn_replay **out, mn_status *status);
int32_t mn_reservoir_to_bytes(mn_reservoir *h, void **data, int64_t *length, mn_status *status);
int32_t mn_reservoir_from_bytes(const void *data, int64_t length, mn_reservoir **out, mn_status *status);
int32_t mn_agent_to_bytes(mn_agent *h, void **data, int64_t *length, mn_status *status);
int32_t mn_agent_from_bytes(const void *data, int64_t length, mn_agent **out, mn_status *status);
int32_t mn_meta_to_bytes(mn_meta_learner *h, void **data, int64_t *length, mn_status *status);
int32_t mn_meta_from_bytes(const void *data, int64_t length, mn_meta_learner **out, mn_status *status);
int32_t mn_memory_bank_to_bytes(mn_memory_bank *h, void **data, int64_t *length, mn_status *status);
int32_t mn_memory_bank_from_bytes(const void *data, int64_t length, mn_memory_bank **out, mn_status *status);
int32_t mn_controller_to_bytes(mn_controller *h, void **data, int64_t *length, mn_status *status);
int32_t mn_controller_from_bytes(const void *data, int64_t length, mn_controller **out, mn_status *status);
int32_t mn_memory_bank_save(mn_memory_bank *h, const char *path, mn_status *status);
int32_t mn_memory_bank_load(const char *path, mn_memory_bank **out, mn_status *status);
int32_t mn_controller_save(mn_controller *h, const char *path, mn_status *status);
int32_t mn_controller_load(const char *path, mn_controller **out, mn_status *status);
void mn_memory_bank_info(mn_memory_bank *h, int64_t *dims);
/* dims [7]: input_dim, hidden_dim, memory_size, memory_dim, num_read_heads, num_write_heads, output_dim. */
void mn_controller_info(mn_controller *h, int64_t *dims);

/* ---- end of checkpoints-in-memory section ---- */
/* ---- dnc (Sources/MnemonetMemory/DNC) ---------------------------------------------------------------------- */

/*
 * A Differentiable Neural Computer (Graves et al. 2016) with its Adam trainer. sizes[8]: input X, output Y, hidden H,
 * memory_size N, memory_dim W, read heads R, write heads Hw, controller (0 lstm, 1 feedforward). loss: 0 sigmoid
 * cross-entropy, 1 squared error. Parameters are one flat buffer in PyTorch named_parameters order. The flat state
 * of a batch B is (h [B,H], c [B,H] for LSTM), memory [B,N,W], usage [B,N], link [B,Hw,N,N], precedence [B,Hw,N],
 * read_weights [B,R,N], write_weights [B,Hw,N], read_vectors [B,R,W]. Sequences are time-major [T, B, ·].
 */
typedef struct mn_dnc mn_dnc;

int32_t mn_dnc_create(const int64_t *sizes, float lr, float clip, int32_t loss, uint64_t seed, mn_dnc **out,
                      mn_status *status);
void mn_dnc_free(mn_dnc *h);
void mn_dnc_describe(mn_dnc *h, int64_t *sizes, float *lr, float *clip, int32_t *loss, int64_t *steps);
int64_t mn_dnc_parameter_count(mn_dnc *h);
/* Copies all parameters out (set = 0) or in (set = 1). */
int32_t mn_dnc_parameters(mn_dnc *h, float *values, int64_t count, int32_t set, mn_status *status);
int64_t mn_dnc_state_size(mn_dnc *h, int64_t batch);
/* INVALID_ARGUMENT when the link matrices of `steps` steps at `batch` would not fit in memory (training: the graph). */
int32_t mn_dnc_check_memory(mn_dnc *h, int64_t steps, int64_t batch, int32_t training, mn_status *status);
/* mask [T,B] (sequence mask: 0 freezes the state) or NULL; state_in or NULL (zeros); read_weights [T,B,R,N] / write_weights [T,B,Hw,N] may be NULL. */
int32_t mn_dnc_forward(mn_dnc *h, const float *x, int64_t steps, int64_t batch, const float *mask,
                       const float *state_in, float *y, float *state_out, float *read_weights, float *write_weights,
                       mn_status *status);
/* Forward + BPTT + clipping + Adam (one step per chunk when truncation > 0); mask [T,B] = loss weights (NULL: all
 * ones); *loss = summed batch-mean loss. */
int32_t mn_dnc_train_step(mn_dnc *h, const float *x, const float *y, const float *mask, int64_t steps, int64_t batch,
                          int64_t truncation, float lr, float clip, float *loss, mn_status *status);
int32_t mn_dnc_save(mn_dnc *h, const char *path, mn_status *status);
int32_t mn_dnc_load(const char *path, mn_dnc **out, mn_status *status);
/* The checkpoint as bytes (release with mn_bytes_free) and back (see "checkpoints in memory"). */
int32_t mn_dnc_to_bytes(mn_dnc *h, void **data, int64_t *length, mn_status *status);
int32_t mn_dnc_from_bytes(const void *data, int64_t length, mn_dnc **out, mn_status *status);

/* ---- end of dnc section ---- */

/* ---- continual learning (MnemonetContinual) ---- */

/*
 * One continual-learning run: an MLP classifier (input_dim → hidden[0..hidden_count) → output_count, ReLU) trained
 * task after task with `strategy` (0 naive, 1 joint, 2 EWC, 3 SI, 4 LwF, 5 A-GEM, 6 ER, 7 ER-prioritized, 8 MER, 9 memory agent,
 * 10 memory agent on the DNC's memory)
 * over `head_mode` (0 task-incremental multi-head, 1 shared head, 2 class-incremental growing head).
 * Task k's output units are units[unit_offsets[k] .. unit_offsets[k+1]); its training rows are
 * train_x/train_y[train_offsets[k] .. train_offsets[k+1]) (test likewise); offsets are [task_count + 1],
 * non-decreasing from 0. hyper [20]: lr, epochs, batch_size, buffer_size, replay_batch, ewc_lambda, ewc_decay,
 * si_c, si_xi, lwf_alpha, lwf_temperature, agem_sample_size, priority_alpha, priority_beta, mer_beta, mer_gamma,
 * mer_batches, mer_batch_rows, memory_size, memory_dim. Writes accuracy [task_count, task_count] (R[i, j]) and
 * baseline [task_count] (accuracy of the initial model); memory (NULL: not wanted) receives the memory agents' M
 * [task_count, memory_size, memory_dim] after each task (memory_count must be that many floats; untouched for the
 * other strategies).
 */
int32_t mn_continual_run(int32_t strategy, int32_t head_mode, int64_t output_count, const int64_t *units,
                         const int64_t *unit_offsets, int64_t task_count, int64_t input_dim, const float *train_x,
                         const int32_t *train_y, const int64_t *train_offsets, const float *test_x,
                         const int32_t *test_y, const int64_t *test_offsets, const int64_t *hidden,
                         int64_t hidden_count, const double *hyper, int64_t hyper_count, uint64_t seed,
                         double *accuracy, double *baseline, float *memory, int64_t memory_count,
                         mn_status *status);

/*
 * mn_continual_run of a memory agent strategy on an existing agent, trained in place (its controller / DNC, memory,
 * Adam state; its own replay buffer is not used): strategy 9 for a seed-memory agent, 10 for a DNC-memory agent
 * (must match), with the agent's replay options; use_replay 0 turns the replay off. hyper's epochs and buffer_size
 * apply; memory receives the agent's M [task_count, N, W] after each task (memory_count = that many floats).
 */
int32_t mn_continual_run_agent(mn_agent *agent, int32_t strategy, int32_t use_replay, int32_t head_mode,
                               int64_t output_count, const int64_t *units, const int64_t *unit_offsets,
                               int64_t task_count, int64_t input_dim, const float *train_x, const int32_t *train_y,
                               const int64_t *train_offsets, const float *test_x, const int32_t *test_y,
                               const int64_t *test_offsets, const int64_t *hidden, int64_t hidden_count,
                               const double *hyper, int64_t hyper_count, uint64_t seed, double *accuracy,
                               double *baseline, float *memory, int64_t memory_count, mn_status *status);

/* ---- end of continual learning section ---- */

#ifdef __cplusplus
}
#endif

#endif /* MNEMONET_H */
