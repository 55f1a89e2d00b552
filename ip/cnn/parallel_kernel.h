// A small pool of helper threads for the CNN kernels: runs independent tasks (disjoint outputs)
// on the calling thread and the helpers. Results never depend on which thread ran a task, so the
// arithmetic stays deterministic.
#pragma once
#include <cstdint>
#include <functional>

namespace dlvp::cnn::kernels {

// Threads used for one large kernel call, the caller included: min(2, hardware threads), or the
// environment variable DLVP_CNN_THREADS (1..64) when set.
uint32_t kernel_threads();

// Runs task(0) .. task(count - 1), spread over kernel_threads() threads; returns when all are done.
// Runs everything on the caller when the pool is busy with another caller.
void parallel_for(uint32_t count, const std::function<void(uint32_t)>& task);

}  // namespace dlvp::cnn::kernels
