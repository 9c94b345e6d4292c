// tools/ao-quant/frontier_plot.hpp: the SVG `ao-quant explore --plot` writes: SQNR (dB) against bits per weight,
// one point per format (its name in a tooltip), the accuracy/size frontier (formats no other format beats on both axes) joined
// by a line and labelled. Plain SVG 1.1, no script, viewable in any browser.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace ao_quant {

struct plot_point {
  std::string label;
  double bits = 0, sqnr_db = 0;
};

inline std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// The points on the frontier, by increasing bits: each has a higher SQNR than every point with fewer or equal bits.
inline std::vector<plot_point> frontier(std::vector<plot_point> pts) {
  std::sort(pts.begin(), pts.end(), [](const plot_point& a, const plot_point& b) {
    return a.bits != b.bits ? a.bits < b.bits : a.sqnr_db > b.sqnr_db;
  });
  std::vector<plot_point> out;
  double best = -INFINITY;
  for (const auto& p : pts) {
    if (std::isfinite(p.sqnr_db) && p.sqnr_db > best) {
      out.push_back(p);
      best = p.sqnr_db;
    }
  }
  return out;
}

inline std::string frontier_svg(const std::vector<plot_point>& points, const std::string& title) {
  const double W = 900, H = 560, left = 70, right = 30, top = 50, bottom = 60;
  double xmin = 1e300, xmax = -1e300, ymin = 1e300, ymax = -1e300;
  for (const auto& p : points) {
    if (!std::isfinite(p.sqnr_db)) continue;
    xmin = std::min(xmin, p.bits);
    xmax = std::max(xmax, p.bits);
    ymin = std::min(ymin, p.sqnr_db);
    ymax = std::max(ymax, p.sqnr_db);
  }
  if (xmin > xmax) xmin = 0, xmax = 1, ymin = 0, ymax = 1;
  xmin = std::floor(xmin) - 0.5;
  xmax = std::ceil(xmax) + 0.5;
  ymin = std::floor(ymin / 5) * 5 - 5;
  ymax = std::ceil(ymax / 5) * 5 + 5;
  auto X = [&](double v) { return left + (v - xmin) / (xmax - xmin) * (W - left - right); };
  auto Y = [&](double v) { return H - bottom - (v - ymin) / (ymax - ymin) * (H - top - bottom); };
  std::string s;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
                "font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
                W, H, W, H);
  s += buf;
  std::snprintf(buf, sizeof buf, "<text x=\"%.0f\" y=\"28\" font-size=\"16\" text-anchor=\"middle\">%s</text>\n", W / 2,
                xml_escape(title).c_str());
  s += buf;
  for (double x = std::ceil(xmin); x <= xmax; x += 1) {  // vertical grid, one line per bit
    std::snprintf(buf, sizeof buf,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                  "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n",
                  X(x), Y(ymin), X(x), Y(ymax), X(x), H - bottom + 16, x);
    s += buf;
  }
  for (double y = ymin; y <= ymax; y += 5) {
    std::snprintf(buf, sizeof buf,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                  "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                  X(xmin), Y(y), X(xmax), Y(y), left - 6, Y(y) + 4, y);
    s += buf;
  }
  std::snprintf(buf, sizeof buf,
                "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">bits per weight (element + scales, packed)</text>\n"
                "<text x=\"18\" y=\"%.0f\" text-anchor=\"middle\" transform=\"rotate(-90 18 %.0f)\">SQNR (dB)</text>\n",
                (left + W - right) / 2, H - 20, (top + H - bottom) / 2, (top + H - bottom) / 2);
  s += buf;
  const std::vector<plot_point> best = frontier(points);
  std::string path;
  for (const auto& p : best) {
    std::snprintf(buf, sizeof buf, "%s%.1f,%.1f", path.empty() ? "" : " ", X(p.bits), Y(p.sqnr_db));
    path += buf;
  }
  s += "<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\" points=\"" + path + "\"/>\n";
  for (const auto& p : points) {
    if (!std::isfinite(p.sqnr_db)) continue;
    const bool on = std::any_of(best.begin(), best.end(), [&](const plot_point& b) { return b.label == p.label; });
    // Every point names itself in its tooltip; only the frontier's are labelled (others share their columns).
    std::snprintf(buf, sizeof buf,
                  "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>%s: %.3f bits, %.2f dB</title></circle>\n",
                  X(p.bits), Y(p.sqnr_db), on ? "#d62728" : "#1f77b4", xml_escape(p.label).c_str(), p.bits, p.sqnr_db);
    s += buf;
    if (on) {
      std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#333\">%s</text>\n", X(p.bits) + 6,
                    Y(p.sqnr_db) - 6, xml_escape(p.label).c_str());
      s += buf;
    }
  }
  s += "</svg>\n";
  return s;
}

}  // namespace ao_quant
