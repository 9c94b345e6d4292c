// expect_error(fn, {parts...}): the tests' check that bad input gives a clear ao::error. Runs fn, which must throw
// ao::error whose message contains every part; any other outcome (no exception, another exception) is a failure.
// Returns the message ("" on failure) for further checks.
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <initializer_list>
#include <string>

#include "ao/error.hpp"

namespace ao::testing {

template <class Fn>
std::string expect_error(Fn&& fn, std::initializer_list<std::string> parts) {
  try {
    fn();
    ADD_FAILURE() << "no ao::error";
  } catch (const ao::error& e) {
    const std::string m = e.what();
    for (const std::string& p : parts) EXPECT_NE(m.find(p), std::string::npos) << "\"" << p << "\" not in: " << m;
    return m;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "an exception other than ao::error: " << e.what();
  } catch (...) {
    ADD_FAILURE() << "an exception other than ao::error";
  }
  return {};
}

}  // namespace ao::testing
