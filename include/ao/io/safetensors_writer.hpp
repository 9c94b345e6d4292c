// ao/io/safetensors_writer.hpp: ao::io::safetensors_writer, which writes safetensors files that
// safetensors.torch.load_file (and ao's reader) accept, atomically. Needs only POSIX (no JSON library).
//
//   ao::io::safetensors_writer w;
//   w.add("w", ao::io::dtype::bf16, {64, 256}, bytes.data(), bytes.size());   // borrowed until write returns
//   w.set_metadata({{"format", "pt"}});
//   w.write("model.safetensors");    // temp file in the same directory, fsync, rename; or ao::error
//
// Streaming: a tensor can be declared without its bytes (add_deferred), which then come through the open file:
//
//   w.add_deferred("big", ao::io::dtype::u8, {1 << 30});
//   ao::io::safetensors_writer::output out = w.open("model.safetensors");  // header and added tensors written
//   out.append("big", chunk, n);  ...                                       // each deferred tensor, in order
//   out.commit();                                 // all there? fsync, rename; destroyed uncommitted: file removed
//
// so that a producer (ao-quant) writes each tensor as it makes it, with one tensor in memory instead of all.
//
// What it writes is what the safetensors Rust crate's serializer (which safetensors.torch.save_file calls)
// writes for the same tensors and metadata, byte for byte:
//   - tensors sorted by dtype, descending in the crate's enum order (ao::io::dtype's order: U64, I64, F64, C64,
//     F32, U32, I32, BF16, F16, U16, I16, F8_E5M2FNUZ, F8_E4M3FNUZ, F8_E8M0, F8_E4M3, F8_E5M2, I8, U8, F6_E3M2,
//     F6_E2M3, F4, BOOL), then by name (byte-wise), their bytes in that order from data offset 0 with no padding;
//   - the header: compact JSON, "__metadata__" first when metadata was set (even empty: {}), then each tensor as
//     {"dtype":..,"shape":[..],"data_offsets":[b,e]}; strings escaped as serde_json escapes them;
//   - the header padded with spaces to a multiple of 8 bytes, so the data section starts 8-byte aligned.
// One difference cannot be removed: Python passes the metadata as a dict and the crate stores it in a HashMap,
// so the order of the metadata keys in a Python-written header is arbitrary (it differs from run to run). ao
// writes them in the order given (set_metadata with a vector, or add_metadata calls; a std::map gives sorted
// order), so copying a file's metadata_entries() reproduces that file exactly.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ao/error.hpp"
#include "ao/io/detail/json_text.hpp"
#include "ao/io/safetensors_dtype.hpp"

namespace ao::io {

class safetensors_writer {
 public:
  // Adds a tensor. `data` points to its bytes (row-major, little-endian, sub-byte dtypes packed as the format
  // says) and is borrowed, not copied: it must stay valid and unchanged until the last write / to_bytes call.
  // Throws ao::error, naming the tensor, when the name is not valid UTF-8, is "__metadata__" or was added
  // before, or when `size` is not the byte size of `shape` in `t` (overflow and partial bytes included).
  void add(std::string name, dtype t, std::vector<std::uint64_t> shape, const void* data, std::size_t size) {
    const std::string q = detail::quote_for_message(name);
    if (!detail::is_valid_utf8(name)) fail("tensor " + q + ": name.utf8: the name is not valid UTF-8");
    if (name == "__metadata__") fail("tensor " + q + ": name.reserved: \"__metadata__\" is the metadata's key");
    if (!names_.insert(name).second) fail("tensor " + q + ": name.duplicate: a tensor of that name was added");
    const byte_size_result s = byte_size(t, shape);
    if (s.state != byte_size_result::status::ok || s.bytes != size) {
      names_.erase(name);
      fail("tensor " + q + ": data_offsets.size: " + std::to_string(size) + " bytes given, but the shape of " +
           std::string(io::name(t)) +
           (s.state == byte_size_result::status::ok ? " needs " + std::to_string(s.bytes)
                                                    : " has no whole byte size (overflow or partial byte)"));
    }
    if (data == nullptr && size != 0) {
      names_.erase(name);
      fail("tensor " + q + ": data is null");
    }
    entries_.push_back(entry{std::move(name), t, std::move(shape), static_cast<const std::uint8_t*>(data), size, false});
  }

  // Declares a tensor whose bytes are written later, through the output that open() returns (output::append).
  // The same checks as add, for a shape with a whole byte size. write() and to_bytes() refuse a writer with
  // deferred tensors.
  void add_deferred(std::string name, dtype t, std::vector<std::uint64_t> shape) {
    const byte_size_result s = byte_size(t, shape);
    if (s.state != byte_size_result::status::ok) {
      fail("tensor " + detail::quote_for_message(name) + ": data_offsets.size: the shape of " +
           std::string(io::name(t)) + " has no whole byte size (overflow or partial byte)");
    }
    static const std::uint8_t placeholder = 0;  // add() wants non-null data; never read for a deferred entry
    add(std::move(name), t, std::move(shape), &placeholder, static_cast<std::size_t>(s.bytes));
    entries_.back().deferred = true;
  }

  // Sets "__metadata__" (replacing what was set), keys in the given order. Keys and values must be valid
  // UTF-8 and keys distinct. An empty set still writes "__metadata__":{} (as Python's metadata={} does).
  void set_metadata(const std::vector<std::pair<std::string, std::string>>& entries) {
    safetensors_writer checked;  // validate everything first: a failure leaves this writer unchanged
    checked.has_metadata_ = true;
    for (const auto& kv : entries) checked.add_metadata(kv.first, kv.second);
    has_metadata_ = true;
    metadata_ = std::move(checked.metadata_);
    metadata_keys_ = std::move(checked.metadata_keys_);
  }
  void set_metadata(const std::map<std::string, std::string>& entries) {
    set_metadata(std::vector<std::pair<std::string, std::string>>(entries.begin(), entries.end()));
  }
  // Appends one metadata entry (and makes the header have "__metadata__").
  void add_metadata(std::string key, std::string value) {
    if (!detail::is_valid_utf8(key) || !detail::is_valid_utf8(value)) {
      fail("metadata key " + detail::quote_for_message(key) + ": metadata.utf8: not valid UTF-8");
    }
    if (!metadata_keys_.insert(key).second) {
      fail("metadata key " + detail::quote_for_message(key) + ": metadata.duplicate: the key was added before");
    }
    has_metadata_ = true;
    metadata_.emplace_back(std::move(key), std::move(value));
  }
  // No "__metadata__" at all (the default).
  void clear_metadata() {
    has_metadata_ = false;
    metadata_.clear();
    metadata_keys_.clear();
  }

  // The header as written: the JSON and its padding (header().size() is the file's first 8 bytes' value).
  // Throws ao::error if it would exceed safetensors' 100,000,000-byte limit (readers refuse such files).
  std::string header() const {
    std::string h = "{";
    bool first = true;
    if (has_metadata_) {
      h += "\"__metadata__\":{";
      for (std::size_t i = 0; i < metadata_.size(); ++i) {
        if (i) h += ',';
        detail::append_json_string(h, metadata_[i].first);
        h += ':';
        detail::append_json_string(h, metadata_[i].second);
      }
      h += '}';
      first = false;
    }
    std::uint64_t offset = 0;
    for (const entry* e : sorted()) {
      if (!first) h += ',';
      first = false;
      detail::append_json_string(h, e->name);
      h += ":{\"dtype\":\"";
      h += io::name(e->type);
      h += "\",\"shape\":[";
      for (std::size_t i = 0; i < e->shape.size(); ++i) {
        if (i) h += ',';
        h += std::to_string(e->shape[i]);
      }
      h += "],\"data_offsets\":[";
      h += std::to_string(offset);
      h += ',';
      offset += e->size;
      h += std::to_string(offset);
      h += "]}";
    }
    h += '}';
    h.resize((h.size() + 7) / 8 * 8, ' ');
    if (h.size() > safetensors_max_header_size) {
      fail("header.max_size: the header would be " + std::to_string(h.size()) + " bytes, over the limit of " +
           std::to_string(safetensors_max_header_size));
    }
    return h;
  }

  // The whole file in memory.
  std::vector<std::uint8_t> to_bytes() const {
    refuse_deferred("to_bytes");
    const std::string h = header();
    std::vector<std::uint8_t> out;
    out.reserve(8 + h.size() + data_size());
    const std::uint64_t n = h.size();
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
    out.insert(out.end(), h.begin(), h.end());
    for (const entry* e : sorted()) out.insert(out.end(), e->data, e->data + e->size);
    return out;
  }

  // Writes the file at `path` atomically: into a new file beside it (same directory, name "<path>.tmp.<pid>.<n>",
  // created with O_EXCL and mode 0666 minus the umask), fsync, close, rename over `path`, then fsync the
  // directory. Readers see the old file or the new one, never a part; a reader that mapped the old file keeps
  // it. On any failure the temporary file is removed and ao::error names the path, the call and the reason.
  // (If `path` is a symbolic link, the link itself is replaced.)
  void write(const std::string& path) const {
    refuse_deferred("write");
    open(path).commit();
  }

  // The file at `path` being written: its temporary file holds the header and every tensor added with bytes;
  // each deferred tensor's bytes are appended (in order, any number of calls), then commit() checks that every
  // deferred tensor is complete and makes the file appear at `path` as write() does. Destroyed without a commit
  // (an exception, an early return), it removes the temporary file: `path` is never touched.
  // The writer it came from may be destroyed or changed meanwhile (the output keeps what it needs). Not
  // thread-safe: one thread appends at a time.
  class output {
   public:
    output(output&& other) noexcept { *this = std::move(other); }
    output& operator=(output&& other) noexcept {
      if (this != &other) {
        discard();
        path_ = std::move(other.path_);
        tmp_path_ = std::move(other.tmp_path_);
        fd_ = other.fd_;
        other.fd_ = -1;
        other.tmp_path_.clear();
        slots_ = std::move(other.slots_);
      }
      return *this;
    }
    output(const output&) = delete;
    output& operator=(const output&) = delete;
    ~output() { discard(); }

    // Appends n bytes of the deferred tensor `name` after those appended before. ao::error when the name is not
    // a deferred tensor, the bytes would run past its size, the output was committed, or the write fails.
    void append(const std::string& name, const void* data, std::size_t n) {
      if (fd_ < 0) fail("output for '" + path_ + "': append after commit");
      const auto it = slots_.find(name);
      if (it == slots_.end()) {
        fail("output for '" + path_ + "': tensor " + detail::quote_for_message(name) + " was not declared deferred");
      }
      slot& sl = it->second;
      if (n > sl.size - sl.written) {
        fail("output for '" + path_ + "': tensor " + detail::quote_for_message(name) + ": " + std::to_string(n) +
             " more bytes after " + std::to_string(sl.written) + " of " + std::to_string(sl.size));
      }
      if (n != 0 && data == nullptr) fail("output for '" + path_ + "': tensor " + detail::quote_for_message(name) + ": data is null");
      pwrite_all(fd_, static_cast<const std::uint8_t*>(data), n, sl.offset + sl.written, path_);
      sl.written += n;
    }

    // Finishes the file (fsync, close, rename, fsync of the directory). ao::error naming the first deferred
    // tensor that is incomplete, or the failing call; the temporary file is then removed.
    void commit() {
      if (fd_ < 0) fail("output for '" + path_ + "': committed twice");
      try {
        for (const auto& kv : slots_) {
          if (kv.second.written != kv.second.size) {
            fail("output for '" + path_ + "': tensor " + detail::quote_for_message(kv.first) + " has " +
                 std::to_string(kv.second.written) + " of its " + std::to_string(kv.second.size) + " bytes");
          }
        }
        if (::fsync(fd_) != 0) fail_io(path_, "fsync", errno);
        const int fd = fd_;
        fd_ = -1;
        if (::close(fd) != 0) fail_io(path_, "close", errno);
        if (::rename(tmp_path_.c_str(), path_.c_str()) != 0) fail_io(path_, "rename", errno);
      } catch (...) {
        discard();
        throw;
      }
      tmp_path_.clear();  // renamed: nothing to remove
      // Make the rename durable. A failure here leaves a complete file in place: it is not reported.
      const std::string dir = directory_of(path_);
      const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dfd >= 0) {
        (void)::fsync(dfd);
        ::close(dfd);
      }
    }

   private:
    friend class safetensors_writer;
    struct slot {
      std::uint64_t offset = 0;  // in the file
      std::uint64_t size = 0, written = 0;
    };
    output() = default;
    void discard() noexcept {
      if (fd_ >= 0) ::close(fd_);
      fd_ = -1;
      if (!tmp_path_.empty()) ::unlink(tmp_path_.c_str());
      tmp_path_.clear();
    }

    std::string path_, tmp_path_;
    int fd_ = -1;
    std::map<std::string, slot> slots_;
  };

  // Creates the temporary file beside `path` and writes the header and the bytes of every tensor added with
  // data (see output). ao::error as write.
  output open(const std::string& path) const {
    const std::string h = header();
    std::uint8_t len[8];
    const std::uint64_t n = h.size();
    for (int i = 0; i < 8; ++i) len[i] = static_cast<std::uint8_t>(n >> (8 * i));

    output out;
    out.path_ = path;
    static std::atomic<unsigned> counter{0};
    for (int attempt = 0; out.fd_ < 0; ++attempt) {
      const auto tick = static_cast<unsigned long long>(std::chrono::steady_clock::now().time_since_epoch().count());
      out.tmp_path_ = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++) + "." +
                      std::to_string(tick % 1000000007ULL);
      out.fd_ = ::open(out.tmp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (out.fd_ < 0 && (errno != EEXIST || attempt >= 100)) {
        const int e = errno;
        out.tmp_path_.clear();  // nothing to remove
        fail_io(path, "open " + path + ".tmp.*", e);
      }
    }
    pwrite_all(out.fd_, len, 8, 0, path);
    pwrite_all(out.fd_, reinterpret_cast<const std::uint8_t*>(h.data()), h.size(), 8, path);
    std::uint64_t offset = 8 + n;
    for (const entry* e : sorted()) {
      if (e->deferred) {
        out.slots_[e->name] = output::slot{offset, e->size, 0};
      } else {
        pwrite_all(out.fd_, e->data, e->size, offset, path);
      }
      offset += e->size;
    }
    return out;
  }

  std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct entry {
    std::string name;
    dtype type;
    std::vector<std::uint64_t> shape;
    const std::uint8_t* data;
    std::size_t size;
    bool deferred;  // bytes come through output::append
  };

  void refuse_deferred(const char* call) const {
    for (const entry& e : entries_) {
      if (e.deferred) {
        fail(std::string(call) + ": tensor " + detail::quote_for_message(e.name) +
             " was declared deferred: write through open()");
      }
    }
  }

  // The safetensors order: dtype descending (enum order), then name ascending byte-wise.
  std::vector<const entry*> sorted() const {
    std::vector<const entry*> v;
    v.reserve(entries_.size());
    for (const entry& e : entries_) v.push_back(&e);
    std::sort(v.begin(), v.end(), [](const entry* a, const entry* b) {
      if (a->type != b->type) return a->type > b->type;
      return a->name < b->name;  // std::string compares as unsigned char: byte-wise, like Rust's str
    });
    return v;
  }

  std::uint64_t data_size() const noexcept {
    std::uint64_t n = 0;
    for (const entry& e : entries_) n += e.size;
    return n;
  }

  static std::string directory_of(const std::string& path) {
    const auto slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
  }

  // Writes n bytes at file offset `at` (short writes and EINTR retried).
  static void pwrite_all(int fd, const std::uint8_t* p, std::size_t n, std::uint64_t at, const std::string& path) {
    while (n > 0) {
      const std::size_t chunk = n < (std::size_t{1} << 30) ? n : (std::size_t{1} << 30);
      const ::ssize_t w = ::pwrite(fd, p, chunk, static_cast<::off_t>(at));
      if (w < 0) {
        if (errno == EINTR) continue;
        fail_io(path, "write", errno);
      }
      if (w == 0) fail_io(path, "write", EIO);
      p += w;
      at += static_cast<std::uint64_t>(w);
      n -= static_cast<std::size_t>(w);
    }
  }

  [[noreturn]] static void fail(const std::string& what) { throw error("ao::io::safetensors_writer: " + what); }
  [[noreturn]] static void fail_io(const std::string& path, const std::string& call, int err) {
    throw error("ao::io::safetensors_writer: writing '" + path + "': " + call + ": " + std::strerror(err));
  }

  std::vector<entry> entries_;
  std::set<std::string> names_;
  bool has_metadata_ = false;
  std::vector<std::pair<std::string, std::string>> metadata_;
  std::set<std::string> metadata_keys_;
};

}  // namespace ao::io
