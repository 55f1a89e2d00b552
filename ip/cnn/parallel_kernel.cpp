#include "ip/cnn/parallel_kernel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace dlvp::cnn::kernels {
namespace {

uint32_t configured_threads() {
  if (const char* env = std::getenv("DLVP_CNN_THREADS")) {
    const long n = std::strtol(env, nullptr, 10);
    if (n >= 1 && n <= 64) return static_cast<uint32_t>(n);
  }
  return std::clamp<uint32_t>(std::thread::hardware_concurrency(), 1, 2);
}

// A job is a task list claimed through an atomic counter, so faster threads take more tasks.
// Helpers spin for a short while after a job (the simulator issues compute instructions back to
// back, a few microseconds apart) and then sleep on a condition variable; the caller waits until
// every helper has checked in, so a job's tasks never outlive run().
class WorkerPool {
 public:
  explicit WorkerPool(uint32_t helpers) {
    for (uint32_t i = 0; i < helpers; ++i) threads_.emplace_back([this] { helper_loop(); });
  }
  ~WorkerPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_.store(true);
    }
    wake_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

  void run(uint32_t count, const std::function<void(uint32_t)>& task) {
    std::unique_lock<std::mutex> busy(caller_, std::try_to_lock);
    if (!busy.owns_lock() || threads_.empty()) {  // another caller holds the helpers
      for (uint32_t i = 0; i < count; ++i) task(i);
      return;
    }
    task_ = &task;
    count_ = count;
    next_.store(0);
    pending_.store(static_cast<uint32_t>(threads_.size()));
    {
      std::lock_guard<std::mutex> lock(mutex_);  // no helper can miss the change while going to sleep
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    drain();
    wait_until([this] { return pending_.load(std::memory_order_acquire) == 0; }, kCallerSpin);
    task_ = nullptr;
  }

 private:
  static constexpr std::chrono::microseconds kHelperSpin{200}, kCallerSpin{50};

  // Spins on `ready` for up to `spin`, then yields the processor between checks.
  template <typename Ready>
  static bool wait_until(Ready ready, std::chrono::microseconds spin) {
    const auto deadline = std::chrono::steady_clock::now() + spin;
    while (!ready()) {
      if (std::chrono::steady_clock::now() > deadline) std::this_thread::yield();
    }
    return true;
  }

  void drain() {
    for (uint32_t i = next_.fetch_add(1); i < count_; i = next_.fetch_add(1)) (*task_)(i);
  }

  void helper_loop() {
    uint64_t seen = 0;
    for (;;) {
      const auto deadline = std::chrono::steady_clock::now() + kHelperSpin;
      while (generation_.load(std::memory_order_acquire) == seen && !stopping_.load() &&
             std::chrono::steady_clock::now() < deadline) {
      }
      if (generation_.load(std::memory_order_acquire) == seen) {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stopping_.load() || generation_.load() != seen; });
      }
      if (stopping_.load()) return;
      seen = generation_.load(std::memory_order_acquire);
      drain();
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  std::vector<std::thread> threads_;
  std::mutex caller_;  // one job at a time
  std::mutex mutex_;   // for sleeping helpers
  std::condition_variable wake_;
  const std::function<void(uint32_t)>* task_ = nullptr;
  uint32_t count_ = 0;
  std::atomic<uint32_t> next_{0}, pending_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> stopping_{false};
};

WorkerPool& pool() {
  static WorkerPool instance(kernel_threads() - 1);
  return instance;
}

}  // namespace

uint32_t kernel_threads() {
  static const uint32_t threads = configured_threads();
  return threads;
}

void parallel_for(uint32_t count, const std::function<void(uint32_t)>& task) {
  if (count <= 1 || kernel_threads() == 1) {
    for (uint32_t i = 0; i < count; ++i) task(i);
    return;
  }
  pool().run(count, task);
}

}  // namespace dlvp::cnn::kernels
