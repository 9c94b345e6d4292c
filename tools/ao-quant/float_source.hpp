// tools/ao-quant/float_source.hpp: a floating safetensors tensor (F32, BF16, F16) as a typed rows x cols view for
// ao's kernels. The bytes are used in place when they are aligned for the type (safetensors does not promise it:
// a file can put an F32 tensor at an odd offset); otherwise they are copied once into an aligned buffer.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "ao/io/safetensors_reader.hpp"
#include "ao/numeric/bfloat16.hpp"
#include "ao/numeric/float16.hpp"
#include "ao/view.hpp"

namespace ao_quant {

inline bool is_float_dtype(ao::io::dtype t) {
  return t == ao::io::dtype::f32 || t == ao::io::dtype::bf16 || t == ao::io::dtype::f16;
}

// rows = the product of the leading dims (1 for a 1-D tensor), cols = the last dim.
inline std::uint64_t rows_of(const std::vector<std::uint64_t>& shape) {
  std::uint64_t r = 1;
  for (std::size_t d = 0; d + 1 < shape.size(); ++d) r *= shape[d];
  return r;
}
inline std::uint64_t cols_of(const std::vector<std::uint64_t>& shape) { return shape.empty() ? 1 : shape.back(); }

template <class T>
class float_source {
 public:
  // The entry's bytes viewed as `rows x cols` values of T (the caller picks a shape of entry.numel() values).
  float_source(const ao::io::tensor_entry& entry, std::uint64_t rows, std::uint64_t cols) : rows_(rows), cols_(cols) {
    const std::uint8_t* p = entry.bytes.data;
    if (reinterpret_cast<std::uintptr_t>(p) % alignof(T) != 0) {
      copy_.resize(entry.bytes.size / sizeof(T));
      if (!copy_.empty()) std::memcpy(copy_.data(), p, copy_.size() * sizeof(T));
      data_ = copy_.data();
    } else {
      data_ = reinterpret_cast<const T*>(p);
    }
  }
  ao::strided_view<const T, 2> view() const {
    return ao::strided_view<const T, 2>(data_, {static_cast<std::size_t>(rows_), static_cast<std::size_t>(cols_)});
  }

 private:
  std::uint64_t rows_, cols_;
  std::vector<T> copy_;
  const T* data_ = nullptr;
};

// Calls fn(T{}) with the C++ type of a floating dtype.
template <class Fn>
void with_float_type(ao::io::dtype t, Fn&& fn) {
  switch (t) {
    case ao::io::dtype::f32: return fn(float{});
    case ao::io::dtype::bf16: return fn(ao::bfloat16{});
    case ao::io::dtype::f16: return fn(ao::float16{});
    default: throw ao::error(std::string("not a floating dtype: ") + std::string(ao::io::name(t)));
  }
}

}  // namespace ao_quant
