// ao/executor.hpp: how ao's kernels run in parallel. An executor is any object with
//   void parallel_for(std::size_t n, F&& fn)   calls fn(i) once for every i in [0, n), in any order and on any
//                                              threads, and returns when all calls have returned; an exception
//                                              thrown by a call is rethrown (the first one) after all have ended.
// Engines pass their own thread pool through a thin adapter; ao ships two:
//   ao::sequential_executor    runs every task on the calling thread (the default: ao starts no thread itself)
//   ao::thread_pool            a small fixed pool of std::threads; parallel_for blocks the caller, which works too
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ao {

struct sequential_executor {
  template <class F>
  void parallel_for(std::size_t n, F&& fn) const {
    for (std::size_t i = 0; i < n; ++i) fn(i);
  }
  static constexpr std::size_t concurrency() noexcept { return 1; }
};

class thread_pool {
 public:
  // threads == 0: std::thread::hardware_concurrency(). The caller is one of the workers, so `threads` workers
  // means threads - 1 pool threads.
  explicit thread_pool(std::size_t threads = 0)
      : size_(threads != 0 ? threads : std::max<std::size_t>(1, std::thread::hardware_concurrency())) {
    for (std::size_t t = 1; t < size_; ++t) workers_.emplace_back([this] { work(); });
  }
  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;
  ~thread_pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (std::thread& t : workers_) t.join();
  }

  std::size_t concurrency() const noexcept { return size_; }

  // Not reentrant: one parallel_for at a time per pool (a second caller waits).
  template <class F>
  void parallel_for(std::size_t n, F&& fn) {
    if (n == 0) return;
    if (n == 1 || size_ == 1) {
      for (std::size_t i = 0; i < n; ++i) fn(i);
      return;
    }
    std::lock_guard<std::mutex> one_at_a_time(call_mutex_);
    std::function<void(std::size_t)> job = [&fn](std::size_t i) { fn(i); };
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &job;
      next_ = 0;
      count_ = n;
      pending_ = n;
      error_ = nullptr;
      ++generation_;
    }
    wake_.notify_all();
    run_tasks();
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    job_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void work() {
    std::size_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
      }
      run_tasks();
    }
  }
  // Takes task indices until none are left.
  void run_tasks() {
    for (;;) {
      std::size_t i = 0;
      const std::function<void(std::size_t)>* job = nullptr;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (job_ == nullptr || next_ >= count_) return;
        i = next_++;
        job = job_;
      }
      std::exception_ptr error;
      try {
        (*job)(i);
      } catch (...) {
        error = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(mutex_);
      if (error && !error_) error_ = error;
      if (--pending_ == 0) done_.notify_all();
    }
  }

  std::size_t size_;
  std::vector<std::thread> workers_;
  std::mutex call_mutex_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(std::size_t)>* job_ = nullptr;
  std::size_t next_ = 0, count_ = 0, pending_ = 0, generation_ = 0;
  std::exception_ptr error_;
  bool stop_ = false;
};

}  // namespace ao
