// ao/io/detail/json_text.hpp: the byte-level pieces of safetensors headers that need no JSON library: UTF-8
// validation, a nesting-depth scan, and string escaping as serde_json writes it (what the safetensors writers use).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ao::io::detail {

inline constexpr std::size_t npos = static_cast<std::size_t>(-1);

// The offset of the first byte of `s` that is not part of a well-formed UTF-8 sequence (RFC 3629: no overlong
// forms, no surrogates U+D800..U+DFFF, nothing above U+10FFFF; what Rust's str::from_utf8 accepts), or npos.
inline std::size_t find_invalid_utf8(const unsigned char* s, std::size_t n) noexcept {
  std::size_t i = 0;
  while (i < n) {
    const unsigned c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // no overlong 3-byte forms
      if (c == 0xED) hi = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // no overlong 4-byte forms
      if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    } else {
      return i;  // 0x80..0xC1 (continuation or overlong lead), 0xF5..0xFF
    }
    if (n - i < len) return i;
    if (s[i + 1] < lo || s[i + 1] > hi) return i;
    for (std::size_t k = 2; k < len; ++k) {
      if (s[i + k] < 0x80 || s[i + k] > 0xBF) return i;
    }
    i += len;
  }
  return npos;
}

inline bool is_valid_utf8(std::string_view s) noexcept {
  return find_invalid_utf8(reinterpret_cast<const unsigned char*>(s.data()), s.size()) == npos;
}

// The offset of the first NUL byte of `s`, or npos. JSON text never contains one (inside strings control
// characters must be escaped; outside, only whitespace and tokens), and nlohmann's lexer takes a NUL for the end
// of its input, so "{}\0<anything>" would parse: the reader refuses NUL bytes before parsing.
inline std::size_t find_nul(const unsigned char* s, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    if (s[i] == 0) return i;
  }
  return npos;
}

// The offset of the first '[' or '{' (outside strings) that opens a level deeper than max_depth, or npos.
// One pass, no recursion, so it bounds the nesting before any parser sees the text. Brackets are not matched:
// a text that closes more than it opens is left to the JSON parser to reject.
inline std::size_t find_depth_over(const unsigned char* s, std::size_t n, std::size_t max_depth) noexcept {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char c = s[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return npos;
}

// Appends `s` as a JSON string literal, escaped exactly as serde_json does (so headers are byte-identical with
// the safetensors writers'): '"' and '\\' escaped, \b \f \n \r \t for those controls, \u00xx (lowercase hex) for
// the other bytes below 0x20; everything else (DEL, non-ASCII UTF-8) as is. `s` must be valid UTF-8.
inline void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 0xF];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

// `s` quoted for an error message: printable ASCII as is, other bytes as \xHH, at most `max_len` bytes of it
// (a name in an error message is never a way to print a megabyte or a terminal escape).
inline std::string quote_for_message(std::string_view s, std::size_t max_len = 200) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "'";
  const std::size_t n = s.size() < max_len ? s.size() : max_len;
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F && c != '\\' && c != '\'') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xF];
    }
  }
  if (n < s.size()) out += "...";
  out += "'";
  return out;
}

}  // namespace ao::io::detail
