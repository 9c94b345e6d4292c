// tools/ao-quant/command_line.hpp: ao-quant's argument parser. Each command states its flags; anything else is an
// error naming the flag. "--flag value" and "--flag=value" both work; "--" ends the flags.
#pragma once

#include <cstdint>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "ao/error.hpp"

namespace ao_quant {

struct flag_spec {
  std::set<std::string> with_value;  // "--format F"
  std::set<std::string> switches;    // "--quiet"
};

class command_line {
 public:
  command_line(const std::vector<std::string>& args, const flag_spec& spec) {
    bool flags_done = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      if (flags_done || a.size() < 2 || a.compare(0, 2, "--") != 0) {
        positional_.push_back(a);
        continue;
      }
      if (a == "--") {
        flags_done = true;
        continue;
      }
      std::string name = a.substr(2), value;
      const std::size_t eq = name.find('=');
      const bool inline_value = eq != std::string::npos;
      if (inline_value) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      if (spec.switches.count(name) != 0) {
        if (inline_value) throw ao::error("--" + name + " takes no value");
        set(name, "");
      } else if (spec.with_value.count(name) != 0) {
        if (!inline_value) {
          if (i + 1 >= args.size()) throw ao::error("--" + name + " needs a value");
          value = args[++i];
        }
        set(name, value);
      } else {
        throw ao::error("unknown option --" + name + " (see ao-quant --help)");
      }
    }
  }

  const std::vector<std::string>& positional() const noexcept { return positional_; }
  bool has(const std::string& name) const { return values_.count(name) != 0; }
  std::string get(const std::string& name, const std::string& fallback = "") const {
    auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
  }
  // A whole number in [lo, hi], or the fallback when the flag is absent; ao::error otherwise.
  long long get_int(const std::string& name, long long fallback, long long lo, long long hi) const {
    if (!has(name)) return fallback;
    const std::string s = get(name);
    std::size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(s, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (s.empty() || used != s.size() || v < lo || v > hi) {
      throw ao::error("--" + name + " " + s + ": expected a whole number from " + std::to_string(lo) + " to " +
                      std::to_string(hi));
    }
    return v;
  }
  // One of `choices`, or the fallback when absent.
  std::string get_choice(const std::string& name, const std::string& fallback,
                         const std::vector<std::string>& choices) const {
    if (!has(name)) return fallback;
    const std::string v = get(name);
    std::string list;
    for (const auto& c : choices) {
      if (c == v) return v;
      list += (list.empty() ? "" : ", ") + c;
    }
    throw ao::error("--" + name + " " + v + ": expected one of " + list);
  }
  // A regular expression (ECMAScript), or `fallback` when absent; ao::error naming the flag when invalid.
  std::regex get_regex(const std::string& name, const std::string& fallback) const {
    const std::string pattern = get(name, fallback);
    try {
      return std::regex(pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      throw ao::error("--" + name + " " + pattern + ": not a valid regular expression (" + e.what() + ")");
    }
  }

 private:
  void set(const std::string& name, const std::string& value) {
    if (!values_.emplace(name, value).second) throw ao::error("--" + name + " given twice");
  }
  std::vector<std::string> positional_;
  std::map<std::string, std::string> values_;
};

}  // namespace ao_quant
