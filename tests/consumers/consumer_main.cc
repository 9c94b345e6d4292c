// Every consumer project (find_package, add_subdirectory, FetchContent) builds this file: the headers of ao::ao are
// found and usable in constant expressions under C++17.
#include <ao/ao.hpp>
#include <cstdio>

#if defined(_MSVC_LANG)
static_assert(_MSVC_LANG == 201703L, "the consumer asks for C++17; ao::ao must not require a newer standard");
#else
static_assert(__cplusplus == 201703L, "the consumer asks for C++17; ao::ao must not require a newer standard");
#endif
static_assert(float(ao::float4_e2m1fn::from_bits(7)) == 6.0f, "float4_e2m1fn code 7 is 6.0");
static_assert(ao::version_major == AO_VERSION_MAJOR && ao::version_minor == AO_VERSION_MINOR, "");

int main() {
  std::printf("ao %s via %s: float4_e2m1fn code 7 = %g\n", AO_VERSION_STRING, AO_CONSUMER_MODE,
              static_cast<double>(float(ao::float4_e2m1fn::from_bits(7))));
  return 0;
}
