// ao/io/mapped_file.hpp: a whole regular file mapped read-only into memory (POSIX open + mmap), RAII.
//
// Contract: the bytes [data(), data() + size()) stay mapped until the mapped_file is destroyed (moving it moves
// the mapping without changing its address). The mapping is private and read-only. If another process truncates
// the file while it is mapped, reading the lost pages raises SIGBUS: no reader of a mapping can prevent that, so
// replace files by rename (as safetensors_writer does) rather than rewriting them in place.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "ao/error.hpp"

namespace ao::io {

class mapped_file {
 public:
  mapped_file() noexcept = default;

  // Maps the file at `path`. Throws ao::error naming the path and the failing call (open, fstat, mmap) with the
  // system's reason, or when the path is not a regular file (a FIFO or a device would block or never end).
  // An empty file gives size() == 0 and data() == nullptr (mmap cannot map 0 bytes).
  static mapped_file open(const std::string& path) {
    // O_NONBLOCK: opening a FIFO with no writer must not block; it is refused as not regular just below.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) fail(path, "open", errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      const int e = errno;
      ::close(fd);
      fail(path, "fstat", e);
    }
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      throw error("ao::io::mapped_file: '" + path + "' is not a regular file");
    }
    mapped_file m;
    if (st.st_size > 0) {
      if (static_cast<std::uintmax_t>(st.st_size) > std::numeric_limits<std::size_t>::max()) {
        ::close(fd);
        throw error("ao::io::mapped_file: '" + path + "' is larger than the address space");
      }
      const auto size = static_cast<std::size_t>(st.st_size);
      void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        const int e = errno;
        ::close(fd);
        fail(path, "mmap", e);
      }
      m.data_ = static_cast<const std::uint8_t*>(p);
      m.size_ = size;
    }
    ::close(fd);  // the mapping keeps the file open
    return m;
  }

  mapped_file(mapped_file&& o) noexcept : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  mapped_file& operator=(mapped_file&& o) noexcept {
    if (this != &o) {
      unmap();
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  mapped_file(const mapped_file&) = delete;
  mapped_file& operator=(const mapped_file&) = delete;
  ~mapped_file() { unmap(); }

  const std::uint8_t* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }

 private:
  [[noreturn]] static void fail(const std::string& path, const char* call, int err) {
    throw error("ao::io::mapped_file: " + std::string(call) + " '" + path + "': " + std::strerror(err));
  }
  void unmap() noexcept {
    if (data_ != nullptr) ::munmap(const_cast<std::uint8_t*>(data_), size_);
    data_ = nullptr;
    size_ = 0;
  }

  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace ao::io
