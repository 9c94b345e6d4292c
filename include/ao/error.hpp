// ao/error.hpp: ao::error, what host APIs throw on bad input. The message names the argument and the rule it
// broke ("quantize<mxfp4>: cols = 100 is not a multiple of the block size 32"). Host only: device code returns
// status codes instead.
#pragma once

#include <stdexcept>
#include <string>

namespace ao {

class error : public std::invalid_argument {
 public:
  explicit error(const std::string& what) : std::invalid_argument(what) {}
};

}  // namespace ao
