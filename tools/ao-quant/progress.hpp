// tools/ao-quant/progress.hpp: a one-line progress bar on stderr (items done, bytes, rate, time left), drawn only
// when stderr is a terminal and the user did not ask for --quiet; otherwise every call does nothing.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace ao_quant {

class progress {
 public:
  progress(std::string what, std::size_t items, std::uint64_t bytes, bool quiet)
      : what_(std::move(what)), items_(items), bytes_(bytes), on_(!quiet && ::isatty(2) == 1),
        start_(clock::now()) {}
  ~progress() { finish(); }
  progress(const progress&) = delete;
  progress& operator=(const progress&) = delete;

  // One more item done, of `bytes` input bytes.
  void advance(std::uint64_t bytes) {
    ++items_done_;
    bytes_done_ += bytes;
    draw();
  }
  // Clears the line (once).
  void finish() {
    if (on_ && drawn_) std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    on_ = false;
  }

  static std::string human_bytes(double b) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (b >= 1024.0 && u < 4) {
      b /= 1024.0;
      ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
    return buf;
  }

 private:
  using clock = std::chrono::steady_clock;
  void draw() {
    if (!on_) return;
    const auto now = clock::now();
    if (drawn_ && now - last_ < std::chrono::milliseconds(100) && items_done_ < items_) return;
    last_ = now;
    drawn_ = true;
    const double secs = std::chrono::duration<double>(now - start_).count();
    const double frac = bytes_ ? double(bytes_done_) / double(bytes_) : (items_ ? double(items_done_) / items_ : 1.0);
    const int width = 24, filled = static_cast<int>(frac * width + 0.5);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(width, '.');
    const double rate = secs > 0 ? double(bytes_done_) / secs : 0.0;
    const double left = rate > 0 ? double(bytes_ - bytes_done_) / rate : 0.0;
    std::fprintf(stderr, "\r\033[K%s [%s] %zu/%zu tensors, %s/%s, %s/s, %.0f s left", what_.c_str(), bar.c_str(),
                 items_done_, items_, human_bytes(double(bytes_done_)).c_str(), human_bytes(double(bytes_)).c_str(),
                 human_bytes(rate).c_str(), left);
    std::fflush(stderr);
  }

  std::string what_;
  std::size_t items_, items_done_ = 0;
  std::uint64_t bytes_, bytes_done_ = 0;
  bool on_, drawn_ = false;
  clock::time_point start_, last_;
};

}  // namespace ao_quant
