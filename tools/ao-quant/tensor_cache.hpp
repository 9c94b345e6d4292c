// tools/ao-quant/tensor_cache.hpp: quantized tensors kept between the tensors of a checkpoint, so that one of the
// same format and shape is quantized into memory that is already there. A fresh tensor of a large checkpoint's
// size costs its allocation: page faults and zeroing of every page, which on the development VM took as long as
// the quantize kernel itself (docs/performance.md, "ao-quant on a 1 GiB checkpoint").
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <typeindex>
#include <utility>
#include <vector>

#include "ao/tensor.hpp"

namespace ao_quant {

class tensor_cache {
 public:
  // At most `slots` tensors are kept (the most recently used); a checkpoint's layers repeat a few shapes.
  explicit tensor_cache(std::size_t slots = 4) : max_slots_(slots) {}

  // A quantized_tensor<F> of this shape other than `busy` (one still being written): a kept one, or a new one
  // (allocate's checks and errors). Its values are what the last user left: the caller overwrites them all
  // (ao::quantize does). Shared: a tensor evicted while its holder still uses it lives until released.
  template <class F>
  std::shared_ptr<ao::quantized_tensor<F>> get(const std::vector<std::size_t>& shape, const void* busy = nullptr) {
    const std::type_index type(typeid(F));
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].type == type && slots_[i].shape == shape && slots_[i].tensor.get() != busy) {
        const auto at = slots_.begin() + static_cast<std::ptrdiff_t>(i);
        std::rotate(slots_.begin(), at, at + 1);  // most recently used first
        return std::static_pointer_cast<ao::quantized_tensor<F>>(slots_.front().tensor);
      }
    }
    if (slots_.size() == max_slots_) slots_.pop_back();  // first: at most max_slots_ kept at once
    auto q = std::make_shared<ao::quantized_tensor<F>>(ao::quantized_tensor<F>::allocate(shape));
    slots_.insert(slots_.begin(), slot{type, shape, q});
    return q;
  }

 private:
  struct slot {
    std::type_index type;
    std::vector<std::size_t> shape;
    std::shared_ptr<void> tensor;
  };
  std::size_t max_slots_;
  std::vector<slot> slots_;
};

}  // namespace ao_quant
