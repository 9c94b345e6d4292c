// ao-quant, run as a user runs it (the binary, through the shell), against the checkpoints torchao wrote:
//   - `quantize` of weights.safetensors with each checkpoint's flags (spelled by its file name, see
//     ../shared/data/torchao/README.md) gives torchao's file: the same entries, dtypes, shapes and bytes, and the
//     same metadata as JSON values (the metadata key order of a Python-written file is a HashMap's). That includes
//     the fp4/fp6 codes of MX blocks whose scale is NaN, which follow torchao's CPU converter (spec §1.3).
//   - `dequantize` of each torchao checkpoint equals torchao's dequantize() (the .dequant twin) bit for bit.
//   - errors: one line on stderr, exit status 1, and no output file (an existing one is left as it was).
//   - explore --json / --plot, inspect and formats print what they promise.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ao/formats/registry.hpp"
#include "ao/io/safetensors.hpp"
#include "io_test_util.hpp"

namespace {

using ao_io_test::temp_dir;
const std::string data_dir = AO_TORCHAO_DATA_DIR;
const std::string tool = AO_QUANT_BINARY;

struct run_result {
  int status = -1;
  std::string out, err;
};

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Runs ao-quant with `args` (shell words, already quoted) in `dir`, capturing stdout and stderr.
run_result run(const temp_dir& dir, const std::string& args) {
  const std::string out = dir.path() + "/stdout.txt", err = dir.path() + "/stderr.txt";
  const std::string cmd = "'" + tool + "' " + args + " >'" + out + "' 2>'" + err + "'";
  const int raw = std::system(cmd.c_str());
  run_result r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = read_text(out);
  r.err = read_text(err);
  std::remove(out.c_str());
  std::remove(err.c_str());
  return r;
}

// "mxfp8_e4m3__scale-mode_rceil" -> "--format mxfp8_e4m3 --scale-mode rceil" (README's rule).
std::string flags_of(const std::string& config) {
  std::vector<std::string> parts;
  for (std::size_t pos = 0;;) {
    const std::size_t next = config.find("__", pos);
    parts.push_back(config.substr(pos, next - pos));
    if (next == std::string::npos) break;
    pos = next + 2;
  }
  std::string flags = "--format " + parts[0];
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const std::size_t u = parts[i].find('_');
    flags += u == std::string::npos ? " --" + parts[i] : " --" + parts[i].substr(0, u) + " " + parts[i].substr(u + 1);
  }
  return flags;
}

std::vector<std::string> checkpoint_configs() {
  std::vector<std::string> configs;
  for (const auto& e : std::filesystem::directory_iterator(data_dir + "/checkpoints")) {
    const std::string n = e.path().filename().string();
    const std::string suffix = ".safetensors", twin = ".dequant.safetensors";
    if (n.size() > twin.size() && n.compare(n.size() - twin.size(), twin.size(), twin) == 0) continue;
    if (n.size() > suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) {
      configs.push_back(n.substr(0, n.size() - suffix.size()));
    }
  }
  std::sort(configs.begin(), configs.end());
  return configs;
}

TEST(AoQuant, FlagsOfConfigNames) {
  EXPECT_EQ(flags_of("mxfp8_e4m3__scale-mode_rceil"), "--format mxfp8_e4m3 --scale-mode rceil");
  EXPECT_EQ(flags_of("nvfp4__global-scale"), "--format nvfp4 --global-scale");
  EXPECT_EQ(flags_of("intx__bits_4__group_32__mapping_symmetric"), "--format intx --bits 4 --group 32 --mapping symmetric");
  EXPECT_EQ(flags_of("nvfp4"), "--format nvfp4");
}

// Quantizing weights.safetensors with each checkpoint's flags gives torchao's checkpoint.
TEST(AoQuant, QuantizeEqualsTorchaoCheckpoints) {
  const std::vector<std::string> configs = checkpoint_configs();
  ASSERT_EQ(configs.size(), 60u);
  temp_dir dir;
  for (const std::string& config : configs) {
    SCOPED_TRACE(config);
    const std::string out = dir.path() + "/out.safetensors";
    const run_result r = run(dir, "quantize '" + data_dir + "/weights.safetensors' '" + out + "' " + flags_of(config) + " --quiet");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "");  // --quiet
    const auto ours = ao::io::safetensors_file::open(out);
    const auto theirs = ao::io::safetensors_file::open(data_dir + "/checkpoints/" + config + ".safetensors");
    ASSERT_EQ(ours.size(), theirs.size());
    for (const auto& t : theirs) {
      SCOPED_TRACE(t.name);
      const ao::io::tensor_entry* o = ours.find(t.name);
      ASSERT_NE(o, nullptr);
      ASSERT_EQ(o->dtype, t.dtype);
      ASSERT_EQ(o->shape, t.shape);
      ASSERT_EQ(o->bytes.size, t.bytes.size);
      EXPECT_EQ(std::memcmp(o->bytes.data, t.bytes.data, t.bytes.size), 0) << "bytes differ";
    }
    std::map<std::string, nlohmann::json> ours_meta, theirs_meta;
    for (const auto& kv : ours.metadata_entries()) ours_meta[kv.first] = nlohmann::json::parse(kv.second);
    for (const auto& kv : theirs.metadata_entries()) theirs_meta[kv.first] = nlohmann::json::parse(kv.second);
    EXPECT_EQ(ours_meta, theirs_meta);
  }
}

// Dequantizing each torchao checkpoint equals torchao's dequantize() (in the recorded dtype), widened to fp32.
TEST(AoQuant, DequantizeEqualsTorchao) {
  temp_dir dir;
  std::size_t values = 0;
  for (const std::string& config : checkpoint_configs()) {
    SCOPED_TRACE(config);
    const std::string out = dir.path() + "/dq.safetensors";
    const run_result r = run(dir, "dequantize '" + data_dir + "/checkpoints/" + config + ".safetensors' '" + out + "' --quiet");
    ASSERT_EQ(r.status, 0) << r.err;
    const auto ours = ao::io::safetensors_file::open(out);
    const auto twin = ao::io::safetensors_file::open(data_dir + "/checkpoints/" + config + ".dequant.safetensors");
    ASSERT_EQ(ours.size(), twin.size());
    for (const auto& t : ours) {
      SCOPED_TRACE(t.name);
      const ao::io::tensor_entry& ref = twin.at(t.name + ".dequant_f32");
      ASSERT_EQ(t.shape, ref.shape);
      ASSERT_TRUE(t.dtype == ao::io::dtype::f32 || t.dtype == ao::io::dtype::bf16);
      const std::size_t width = t.dtype == ao::io::dtype::f32 ? 4 : 2;
      for (std::size_t i = 0; i < ref.bytes.size / 4; ++i) {
        std::uint32_t want, got = 0;
        std::memcpy(&want, ref.bytes.data + 4 * i, 4);
        std::memcpy(reinterpret_cast<std::uint8_t*>(&got) + (4 - width), t.bytes.data + width * i, width);
        ASSERT_EQ(got, want) << "value " << i;
      }
      values += ref.bytes.size / 4;
    }
  }
  EXPECT_EQ(values, 60u * 5 * 64 * 256);
}

TEST(AoQuant, ErrorsAreOneLineAndLeaveNoFile) {
  temp_dir dir;
  const std::string in = data_dir + "/weights.safetensors", out = dir.path() + "/out.safetensors";
  struct bad_case {
    std::string args, message;
  };
  const std::vector<bad_case> cases = {
      {"quantize '" + in + "' '" + out + "'", "needs --format"},
      {"quantize '" + in + "' '" + out + "' --format mxfp5", "--format mxfp5"},
      {"quantize '" + in + "' '" + out + "' --format mxfp4 --bits 4", "--bits applies to intx only"},
      {"quantize '" + in + "' '" + out + "' --format intx --bits 9", "--bits 9"},
      {"quantize '" + in + "' '" + out + "' --format intx --group 100", "not a multiple of --group 100"},
      {"quantize '" + in + "' '" + out + "' --format intx --bits 1 --mapping symmetric", "--bits 1"},
      {"quantize '" + in + "' '" + out + "' --format mxfp4 --frobnicate", "unknown option --frobnicate"},
      {"quantize '" + in + "' '" + out + "' --format mxfp4 --include '('", "not a valid regular expression"},
      {"quantize '" + dir.path() + "/missing.safetensors' '" + out + "' --format mxfp4", "missing.safetensors"},
      {"quantize '" + data_dir + "/checkpoints/nvfp4.safetensors' '" + out + "' --format mxfp4", "already a torchao checkpoint"},
      {"dequantize '" + in + "' '" + out + "'", "tensor_names"},
      {"dequantize '" + in + "' '" + out + "' --dtype float64", "--dtype float64"},
      {"explore --formats nosuch --rows 8 --cols 64", "nosuch"},
      {"inspect", "usage"},
      {"frobnicate", "unknown command"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.args);
    const run_result r = run(dir, c.args);
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.rfind("ao-quant", 0), 0u) << r.err;
    EXPECT_FALSE(std::filesystem::exists(out));
  }
  // A failed run leaves an existing output as it was, and no temporary file beside it.
  { std::ofstream(out) << "keep"; }
  EXPECT_NE(run(dir, "quantize '" + in + "' '" + out + "' --format intx --group 100").status, 0);
  EXPECT_EQ(read_text(out), "keep");
  EXPECT_EQ(dir.entries(), std::vector<std::string>({"out.safetensors"}));
}

TEST(AoQuant, RejectsBrokenInputCleanly) {
  temp_dir dir;
  const ao_io_test::bytes whole = ao_io_test::read_bytes(data_dir + "/weights.safetensors");
  for (std::size_t cut : {std::size_t{3}, std::size_t{100}, whole.size() / 2, whole.size() - 1}) {
    SCOPED_TRACE(cut);
    const std::string in = dir.path() + "/cut.safetensors";
    std::ofstream(in, std::ios::binary).write(reinterpret_cast<const char*>(whole.data()), static_cast<std::streamsize>(cut));
    for (const std::string cmd : {"quantize", "inspect", "explore"}) {
      const std::string args = cmd == "quantize" ? cmd + " '" + in + "' '" + dir.path() + "/o.safetensors' --format mxfp4"
                                                 : cmd + " '" + in + "'";
      const run_result r = run(dir, args);
      EXPECT_EQ(r.status, 1) << args;
      EXPECT_NE(r.err.find("cut.safetensors"), std::string::npos) << r.err;
    }
  }
}

// Plain tensors and tensors --include does not select are copied as they are; a round trip through quantize and
// dequantize keeps every name and shape.
TEST(AoQuant, SelectsTensorsAndCopiesTheRest) {
  temp_dir dir;
  const std::string in = data_dir + "/weights.safetensors", q = dir.path() + "/q.safetensors";
  const run_result r = run(dir, "quantize '" + in + "' '" + q + "' --format float8_e4m3 --include 'gauss' --exclude bf16");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("quantized 1 of 5 tensors"), std::string::npos) << r.out;
  const auto src = ao::io::safetensors_file::open(in), out = ao::io::safetensors_file::open(q);
  const ao::io::tensor_entry* copied = out.find("outlier_bf16.weight");
  ASSERT_NE(copied, nullptr);
  const ao::io::tensor_entry& orig = src.at("outlier_bf16.weight");
  ASSERT_EQ(copied->bytes.size, orig.bytes.size);
  EXPECT_EQ(std::memcmp(copied->bytes.data, orig.bytes.data, orig.bytes.size), 0);
  EXPECT_NE(out.find("gauss_f32._weight_qdata"), nullptr);
  EXPECT_EQ(out.find("gauss_bf16._weight_qdata"), nullptr);

  const run_result inspect = run(dir, "inspect '" + q + "'");
  ASSERT_EQ(inspect.status, 0) << inspect.err;
  EXPECT_NE(inspect.out.find("Float8Tensor"), std::string::npos);
  EXPECT_NE(inspect.out.find("total: 5 tensors, 1 quantized"), std::string::npos) << inspect.out;
}

// quantize streams: tensors of one shape share reused buffers, and each is written on a writer thread while the
// next is quantized. Every tensor of a many-tensor run must equal the same tensor quantized alone (one selected
// tensor: no reuse, nothing overlapped), whatever the thread count.
TEST(AoQuant, StreamingGivesEachTensorItsOwnBytes) {
  temp_dir dir;
  const std::string in = dir.path() + "/in.safetensors";
  ASSERT_EQ(run(dir, "synth '" + in + "' --tensors 6 --rows 48 --cols 256 --quiet").status, 0);
  for (const std::string format : {"mxfp4", "intx --bits 4 --group 32 --mapping asymmetric"}) {
    SCOPED_TRACE(format);
    for (const std::string threads : {"1", "3"}) {
      const std::string all = dir.path() + "/all" + threads + ".safetensors";
      const run_result r = run(dir, "quantize '" + in + "' '" + all + "' --quiet --threads " + threads + " --format " + format);
      ASSERT_EQ(r.status, 0) << r.err;
      const auto whole = ao::io::safetensors_file::open(all);
      std::size_t compared = 0;
      for (int k = 0; k < 6; ++k) {
        const std::string one = dir.path() + "/one.safetensors";
        const run_result r1 = run(dir, "quantize '" + in + "' '" + one + "' --quiet --threads 1 --format " + format +
                                           " --include '^layers\\." + std::to_string(k) + "\\.weight$'");
        ASSERT_EQ(r1.status, 0) << r1.err;
        const auto alone = ao::io::safetensors_file::open(one);
        for (const auto& e : alone) {
          if (e.name.rfind("layers." + std::to_string(k) + ".", 0) != 0) continue;  // the other, copied tensors
          const ao::io::tensor_entry& w = whole.at(e.name);
          ASSERT_EQ(w.bytes.size, e.bytes.size) << e.name;
          EXPECT_EQ(std::memcmp(w.bytes.data, e.bytes.data, e.bytes.size), 0) << e.name;
          ++compared;
        }
      }
      EXPECT_EQ(compared, 6u * (format == "mxfp4" ? 2u : 3u));  // qdata, scale (, zero_point) of each tensor
    }
  }
}

TEST(AoQuant, ExploreReportsEveryFormat) {
  temp_dir dir;
  const std::string svg = dir.path() + "/frontier.svg";
  const run_result r = run(dir, "explore --json --rows 64 --cols 256 --reps 1 --threads 2 "
                                "--formats mxfp8_e4m3,mxfp4,nvfp4,int8_symmetric_per_row,int4_symmetric_group32 "
                                "--plot '" + svg + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["formats"].size(), 5u);
  std::map<std::string, nlohmann::json> by;
  for (const auto& f : j["formats"]) by[f["format"].get<std::string>()] = f;
  // Bits per weight from the layouts: mxfp8 8 + 8/32, mxfp4 4 + 8/32, nvfp4 4 + 8/16, int8 per row of 256
  // values 8 + (32 + 8) / 256 (fp32 scale, I8 zero point), int4 groups of 32 4 + (32 + 8) / 32.
  EXPECT_DOUBLE_EQ(by["mxfp8_e4m3"]["bits_per_weight"].get<double>(), 8.25);
  EXPECT_DOUBLE_EQ(by["mxfp4"]["bits_per_weight"].get<double>(), 4.25);
  EXPECT_DOUBLE_EQ(by["nvfp4"]["bits_per_weight"].get<double>(), 4.5);
  EXPECT_DOUBLE_EQ(by["int8_symmetric_per_row"]["bits_per_weight"].get<double>(), 8.0 + 40.0 / 256);
  EXPECT_DOUBLE_EQ(by["int4_symmetric_group32"]["bits_per_weight"].get<double>(), 4.0 + 40.0 / 32);
  // Accuracy follows the bits: 8-bit formats beat 4-bit ones, and every format keeps some signal.
  EXPECT_GT(by["mxfp8_e4m3"]["sqnr_db"].get<double>(), by["mxfp4"]["sqnr_db"].get<double>() + 10);
  EXPECT_GT(by["int8_symmetric_per_row"]["sqnr_db"].get<double>(), by["int4_symmetric_group32"]["sqnr_db"].get<double>());
  for (const auto& [name, f] : by) {
    SCOPED_TRACE(name);
    EXPECT_GT(f["sqnr_db"].get<double>(), 10.0);
    EXPECT_GT(f["quantize_gb_per_s"].get<double>(), 0.0);
    EXPECT_GE(f["max_relative_error"].get<double>(), f["mean_relative_error"].get<double>());
  }
  const std::string plot = read_text(svg);
  EXPECT_EQ(plot.rfind("<svg", 0), 0u);
  std::size_t circles = 0;
  for (std::size_t p = plot.find("<circle"); p != std::string::npos; p = plot.find("<circle", p + 1)) ++circles;
  EXPECT_EQ(circles, 5u);
  EXPECT_NE(plot.find("</svg>"), std::string::npos);

  // The table form: a header and one line per format.
  const run_result table = run(dir, "explore --rows 64 --cols 256 --reps 1 --formats mxfp4,nvfp4");
  ASSERT_EQ(table.status, 0) << table.err;
  EXPECT_NE(table.out.find("SQNR dB"), std::string::npos);
  EXPECT_NE(table.out.find("\nmxfp4 "), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("\nnvfp4 "), std::string::npos) << table.out;
}

TEST(AoQuant, FormatsListsTheRegistry) {
  temp_dir dir;
  const run_result r = run(dir, "formats");
  ASSERT_EQ(r.status, 0) << r.err;
  for (std::size_t i = 0; i < ao::format_count; ++i) {
    EXPECT_NE(r.out.find(std::string("\n") + ao::name(static_cast<ao::format_id>(i)) + " "), std::string::npos)
        << ao::name(static_cast<ao::format_id>(i));
  }
}

}  // namespace
