// Helpers for the exhaustive tests: a parallel sweep over float32 magnitudes, and an oracle that finds the
// expected code of each magnitude by walking the sorted value table of the reference decoder.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "reference_formats.hpp"

namespace ao::testing {

// Step between the float32 patterns a sweep visits: 1 (every pattern) unless AO_EXHAUSTIVE_STRIDE says otherwise
// (the sanitizer build uses a large prime to keep its run short).
inline std::uint32_t exhaustive_stride() {
  const char* s = std::getenv("AO_EXHAUSTIVE_STRIDE");
  const long v = s ? std::strtol(s, nullptr, 10) : 1;
  return v >= 1 ? static_cast<std::uint32_t>(v) : 1u;
}

// Collects mismatches from several threads: a count and the first few messages.
class mismatch_log {
 public:
  void add(const std::string& message) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (++count_ <= 12) messages_ += message + "\n";
  }
  std::uint64_t count() const { return count_; }
  const std::string& messages() const { return messages_; }

 private:
  std::mutex mutex_;
  std::uint64_t count_ = 0;
  std::string messages_;
};

// Calls fn(begin, end) on disjoint chunks of [begin, end) from all hardware threads.
template <class Fn>
void parallel_chunks(std::uint64_t begin, std::uint64_t end, Fn fn) {
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  const std::uint64_t chunks = threads * 8ull;
  const std::uint64_t size = (end - begin + chunks - 1) / chunks;
  std::vector<std::thread> pool;
  std::uint64_t next = begin;
  std::mutex mutex;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (;;) {
        std::uint64_t lo;
        {
          std::lock_guard<std::mutex> lock(mutex);
          if (next >= end) return;
          lo = next;
          next = std::min(end, next + size);
        }
        fn(lo, std::min(end, lo + size));
      }
    });
  }
  for (auto& th : pool) th.join();
}

// The expected code of every rounding/overflow mode for a non-negative value x, from the sorted value table.
// Walk it forward with advance(x) for increasing x.
template <class T>
class nearest_oracle {
 public:
  static constexpr std::uint32_t kSignBit = reference<T>::is_signed ? 1u << (reference<T>::bits - 1) : 0u;

  explicit nearest_oracle(const value_table<T>& table) : t_(table), n_(static_cast<int>(table.values.size())) {
    const std::uint32_t after = t_.max_code() + 1;
    const double v = reference<T>::decode(after & ((1u << reference<T>::bits) - 1));
    overflow_is_special_ = std::isnan(v) || std::isinf(v);
  }

  // Positions the oracle at x (x >= 0, finite, not below the previous x unless reset() was called).
  void advance(double x) {
    x_ = x;
    while (i_ + 1 < n_ && t_.values[i_ + 1] <= x) ++i_;
  }
  void reset(double x) {
    i_ = static_cast<int>(std::upper_bound(t_.values.begin(), t_.values.end(), x) - t_.values.begin()) - 1;
    x_ = x;
  }

  // Expected code for value sign*x_ with rounding R and overflow O.
  std::uint32_t expect(bool negative, rounding R, overflow O) const {
    if (!reference<T>::is_signed) negative = false;  // unsigned formats encode |x|
    const std::uint32_t sign = negative ? kSignBit : 0u;
    const bool increase_magnitude = R == rounding::nearest_even ? false
                                    : R == rounding::up         ? !negative
                                    : R == rounding::down       ? negative
                                                                : false;
    int idx;  // index into the table, or -2 for overflow
    if (i_ < 0) {
      idx = 0;  // below the smallest value of a format without zero
    } else if (t_.values[i_] == x_) {
      idx = i_;
    } else if (R == rounding::nearest_even) {
      const bool beyond = i_ == n_ - 1;
      const double lo = t_.values[i_];
      const double hi = beyond ? reference<T>::next_after_max() : t_.values[i_ + 1];
      const std::uint32_t lo_code = t_.codes[i_];
      const std::uint32_t hi_code = beyond ? t_.max_code() + 1 : t_.codes[i_ + 1];
      idx = x_ - lo < hi - x_ ? i_ : x_ - lo > hi - x_ ? i_ + 1 : (tie_winner<T>(lo_code, hi_code) == lo_code ? i_ : i_ + 1);
      if (beyond && (idx == n_ || x_ >= hi)) idx = O == overflow::saturate ? n_ - 1 : -2;
    } else if (increase_magnitude) {
      idx = i_ + 1;
      if (idx == n_) idx = O == overflow::saturate ? n_ - 1 : -2;
    } else {
      idx = i_;  // truncation; beyond the range this is the largest value, as IEEE says
    }
    if (idx == -2) return overflow_code(sign);
    const std::uint32_t magnitude = t_.codes[idx];
    if (magnitude == 0 && T::nan == nan_encoding::negative_zero) return 0;  // fnuz has no -0
    return sign | magnitude;
  }

  // Code of an overflowing result: infinity or NaN right after the largest value when the format has one
  // (fnuz: 0x80 whatever the sign), else the largest value.
  std::uint32_t overflow_code(std::uint32_t sign) const {
    return overflow_is_special_ ? (sign | (t_.max_code() + 1)) : (sign | t_.max_code());
  }

 private:
  const value_table<T>& t_;
  int n_;
  int i_ = -1;
  double x_ = 0;
  bool overflow_is_special_ = false;
};

inline std::string hex(std::uint64_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << v;
  return s.str();
}

}  // namespace ao::testing
