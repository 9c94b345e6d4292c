// tools/ao-quant/text_table.hpp: an aligned plain-text table (columns padded to their widest cell; numbers
// right-aligned), and number formatting for its cells (shapes: ao::detail::shape_string).
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace ao_quant {

class text_table {
 public:
  // right[i]: column i is right-aligned (numbers).
  text_table(std::vector<std::string> header, std::vector<bool> right) : right_(std::move(right)) {
    rows_.push_back(std::move(header));
  }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void add_rule() { rules_.push_back(rows_.size()); }

  void print(std::FILE* out = stdout) const {
    std::vector<std::size_t> width;
    for (const auto& r : rows_) {
      if (width.size() < r.size()) width.resize(r.size(), 0);
      for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
    }
    std::size_t total = 0;
    for (std::size_t w : width) total += w + 2;
    const std::string rule(total > 2 ? total - 2 : 0, '-');
    for (std::size_t k = 0; k < rows_.size(); ++k) {
      for (std::size_t rk : rules_) {
        if (rk == k) std::fprintf(out, "%s\n", rule.c_str());
      }
      const auto& r = rows_[k];
      std::string line;
      for (std::size_t i = 0; i < r.size(); ++i) {
        const std::string pad(width[i] - r[i].size(), ' ');
        const bool right = i < right_.size() && right_[i];
        line += right ? pad + r[i] : r[i] + (i + 1 < r.size() ? pad : "");
        if (i + 1 < r.size()) line += "  ";
      }
      std::fprintf(out, "%s\n", line.c_str());
      if (k == 0) std::fprintf(out, "%s\n", rule.c_str());
    }
  }

 private:
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<std::size_t> rules_;
};

inline std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}


}  // namespace ao_quant
