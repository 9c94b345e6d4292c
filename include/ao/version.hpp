// ao/version.hpp: the library version, kept equal to project(VERSION) in CMakeLists.txt (a test checks it).
#pragma once

#define AO_VERSION_MAJOR 0
#define AO_VERSION_MINOR 1
#define AO_VERSION_PATCH 0
#define AO_VERSION_STRING "0.1.0"

namespace ao {
inline constexpr int version_major = AO_VERSION_MAJOR;
inline constexpr int version_minor = AO_VERSION_MINOR;
inline constexpr int version_patch = AO_VERSION_PATCH;
}  // namespace ao
