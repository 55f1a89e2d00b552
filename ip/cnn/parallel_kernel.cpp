#include "ip/cnn/parallel_kernel.h"

#include <algorithm>
#include <atomic>
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

// Helpers sleep on a condition variable between jobs; a job is a task list claimed through an
// atomic counter, so faster threads take more tasks.
class WorkerPool {
 public:
  explicit WorkerPool(uint32_t helpers) {
    for (uint32_t i = 0; i < helpers; ++i) threads_.emplace_back([this] { helper_loop(); });
  }
  ~WorkerPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
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
    {
      std::lock_guard<std::mutex> lock(mutex_);
      task_ = &task;
      count_ = count;
      next_.store(0);
      active_ = static_cast<uint32_t>(threads_.size());
      ++generation_;
    }
    wake_.notify_all();
    drain();
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return active_ == 0; });
    task_ = nullptr;
  }

 private:
  void drain() {
    for (uint32_t i = next_.fetch_add(1); i < count_; i = next_.fetch_add(1)) (*task_)(i);
  }

  void helper_loop() {
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
      }
      drain();
      std::lock_guard<std::mutex> lock(mutex_);
      if (--active_ == 0) done_.notify_one();
    }
  }

  std::vector<std::thread> threads_;
  std::mutex caller_;  // one job at a time
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(uint32_t)>* task_ = nullptr;
  uint32_t count_ = 0;
  std::atomic<uint32_t> next_{0};
  uint32_t active_ = 0;
  uint64_t generation_ = 0;
  bool stopping_ = false;
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
