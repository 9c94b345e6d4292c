// ao/io/detail/python_json.hpp: a JSON value written as Python's json.dumps(value) writes it (default arguments:
// separators ", " and ": ", ensure_ascii=True, allow_nan=True), so that the metadata strings torchao writes into
// its checkpoints (json.dumps of each tensor's attributes) can be reproduced byte for byte. Needs nlohmann-json.
//
//   objects   {"a": 1, "b": [1, 2]}  keys in the value's order (use nlohmann::ordered_json to keep an order)
//   strings   "\"" "\\" "\n" "\r" "\t" "\b" "\f"; every other byte outside ' '..'~' as \u00XX, and every non-ASCII
//             code point as \uXXXX (lowercase hex; above U+FFFF a UTF-16 surrogate pair), as ensure_ascii does
//   numbers   integers in decimal; floats as Python's repr (shortest round trip; fixed notation with ".0" when
//             -4 <= exponent < 16, else d.ddde+XX), NaN, Infinity, -Infinity
//   literals  true, false, null
// The input strings must be valid UTF-8 (nlohmann's parser guarantees it); invalid bytes are written as \u00XX.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace ao::io::detail {

inline void python_json_hex4(std::string& out, unsigned v) {
  static const char digits[] = "0123456789abcdef";
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += digits[(v >> shift) & 0xF];
}

inline void python_json_string(std::string& out, std::string_view s) {
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
          if (c < 0x20 || c == 0x7F) {
            python_json_hex4(out, c);
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    // A UTF-8 sequence: decode it to a code point.
    std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (len == 1 || i + len > s.size()) {
      python_json_hex4(out, c);
      ++i;
      continue;
    }
    unsigned cp = c & (0x7F >> len);
    for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      python_json_hex4(out, 0xD800 + (cp >> 10));
      python_json_hex4(out, 0xDC00 + (cp & 0x3FF));
    } else {
      python_json_hex4(out, cp);
    }
    i += len;
  }
  out += '"';
}

// Python's float.__repr__.
inline std::string python_float_repr(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v == 0.0) return std::signbit(v) ? "-0.0" : "0.0";
  // The shortest decimal that reads back as v: digits and the exponent of its first digit.
  char buf[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*e", precision - 1, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  // buf is "[-]d[.ddd]e[+-]XX".
  std::string s(buf);
  const bool negative = s[0] == '-';
  if (negative) s.erase(0, 1);
  const std::size_t e = s.find('e');
  const int exponent = std::atoi(s.c_str() + e + 1);
  std::string digits;
  for (std::size_t k = 0; k < e; ++k) {
    if (s[k] != '.') digits += s[k];
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  std::string out = negative ? "-" : "";
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) {
      out += "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
    } else if (static_cast<std::size_t>(exponent) + 1 >= digits.size()) {
      out += digits + std::string(static_cast<std::size_t>(exponent) + 1 - digits.size(), '0') + ".0";
    } else {
      out += digits.substr(0, static_cast<std::size_t>(exponent) + 1) + "." +
             digits.substr(static_cast<std::size_t>(exponent) + 1);
    }
  } else {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char ex[16];
    std::snprintf(ex, sizeof ex, "e%c%02d", exponent < 0 ? '-' : '+', exponent < 0 ? -exponent : exponent);
    out += ex;
  }
  return out;
}

template <class Json>
void python_json_dump(std::string& out, const Json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::object: {
      out += '{';
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out += ", ";
        first = false;
        python_json_string(out, it.key());
        out += ": ";
        python_json_dump(out, it.value());
      }
      out += '}';
      break;
    }
    case nlohmann::json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v) {
        if (!first) out += ", ";
        first = false;
        python_json_dump(out, e);
      }
      out += ']';
      break;
    }
    case nlohmann::json::value_t::string:
      python_json_string(out, v.template get_ref<const std::string&>());
      break;
    case nlohmann::json::value_t::boolean:
      out += v.template get<bool>() ? "true" : "false";
      break;
    case nlohmann::json::value_t::number_integer:
      out += std::to_string(v.template get<std::int64_t>());
      break;
    case nlohmann::json::value_t::number_unsigned:
      out += std::to_string(v.template get<std::uint64_t>());
      break;
    case nlohmann::json::value_t::number_float:
      out += python_float_repr(v.template get<double>());
      break;
    default:  // null, discarded, binary (never produced by the parser)
      out += "null";
      break;
  }
}

// json.dumps(v).
template <class Json>
std::string python_json_dumps(const Json& v) {
  std::string out;
  python_json_dump(out, v);
  return out;
}

}  // namespace ao::io::detail
