// ao/ao.hpp: the umbrella header. Everything here compiles as host C++17/C++20 and, under nvcc/hipcc, in device
// code. (Never ao/ao.h: Debian's libao-dev owns that name.)
#pragma once

#include "ao/config.hpp"
#include "ao/numeric.hpp"
#include "ao/version.hpp"
