// A 2-layer MLP with MXFP4 weights from a torchao checkpoint, evaluated with ao::matmul and checked against Eigen.
//
//   ao_mlp_mxfp4 CHECKPOINT [FC1 FC2]
//
// CHECKPOINT is a safetensors file in torchao's layout (flatten_tensor_state_dict; what ao-quant quantize writes)
// holding two MXTensor weights with fp4 elements: FC1 of shape [H, D] and FC2 of D * H values (default names:
// gauss_f32.weight and gauss_bf16.weight, the [64, 256] weights of torchao's mxfp4 checkpoints in
// ../shared/data/torchao/checkpoints). FC2 is read with shape [D, H] (the same bytes: MX blocks run along the
// last dim, and H is a multiple of 32), so the MLP maps D features to H and back:
//
//   y = relu(x @ W1^T + b1) @ W2^T        x: [M, D] fp32, W1: [H, D], b1: [H], W2: [D, H], y: [M, D]
//
// The weights stay in MXFP4 (4.25 bits each): ao::matmul decodes them tile by tile. The check: the same MLP in
// Eigen, in float, with the weights dequantized by ao's scalar oracle (what torchao's dequantize() gives, bit for
// bit). The two differ only in the order of the float sums: the relative Frobenius difference must stay below
// 1e-5, and the program says "matches Eigen" (exit 0) or not (exit 1).
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "ao/executor.hpp"
#include "ao/io/torchao_checkpoint.hpp"
#include "ao/ops/matmul.hpp"
#include "ao/ops/quantize.hpp"

namespace {

using matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// W dequantized to fp32 by the scalar oracle, as an Eigen matrix (row-major, the quantized tensor's shape).
matrix dequantized(const ao::quantized_tensor<ao::mxfp4>& w) {
  matrix m(static_cast<Eigen::Index>(w.rows()), static_cast<Eigen::Index>(w.logical_cols()));
  ao::dequantize(w.view(), ao::strided_view<float, 2>(m.data(), {w.rows(), w.logical_cols()}), ao::backend::scalar{});
  return m;
}

ao::strided_view<float, 2> view_of(matrix& m) {
  return ao::strided_view<float, 2>(m.data(), {static_cast<std::size_t>(m.rows()), static_cast<std::size_t>(m.cols())});
}

int run(int argc, char** argv) {
  if (argc != 2 && argc != 4) {
    std::fprintf(stderr, "usage: %s CHECKPOINT [FC1 FC2]\n", argv[0]);
    return 2;
  }
  const std::string fc1 = argc == 4 ? argv[2] : "gauss_f32.weight", fc2 = argc == 4 ? argv[3] : "gauss_bf16.weight";
  const auto ckpt = ao::io::torchao_checkpoint::open(argv[1]);
  const ao::quantized_tensor<ao::mxfp4> w1 = ckpt.load<ao::mxfp4>(fc1);
  if (w1.shape().size() != 2) throw ao::error(fc1 + " is not 2-D");
  const std::size_t hidden = w1.rows(), features = w1.logical_cols();
  const ao::quantized_tensor<ao::mxfp4> w2 = ckpt.load<ao::mxfp4>(fc2, {features, hidden});  // [D, H]

  // A batch of 8 tokens, and a bias: deterministic values of unit scale.
  const std::size_t tokens = 8;
  matrix x(static_cast<Eigen::Index>(tokens), static_cast<Eigen::Index>(features));
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = std::sin(0.37f * static_cast<float>(i) + 1.0f);
  std::vector<float> b1(hidden);
  for (std::size_t j = 0; j < hidden; ++j) b1[j] = 0.05f * std::cos(static_cast<float>(j));

  // ao: the weights stay quantized.
  ao::thread_pool pool;
  matrix h(static_cast<Eigen::Index>(tokens), static_cast<Eigen::Index>(hidden));
  matrix y(static_cast<Eigen::Index>(tokens), static_cast<Eigen::Index>(features));
  ao::matmul(ao::strided_view<const float, 2>(view_of(x)), w1, ao::strided_view<const float, 1>(b1.data(), {hidden}),
             view_of(h), pool);
  h = h.cwiseMax(0.0f);
  ao::matmul(ao::strided_view<const float, 2>(view_of(h)), w2, view_of(y), pool);

  // Eigen, in float, with the dequantized weights.
  const matrix w1f = dequantized(w1), w2f = dequantized(w2);
  const Eigen::Map<const Eigen::RowVectorXf> bias(b1.data(), static_cast<Eigen::Index>(hidden));
  const matrix h_ref = ((x * w1f.transpose()).rowwise() + bias).cwiseMax(0.0f);
  const matrix y_ref = h_ref * w2f.transpose();

  const double rel = static_cast<double>((y - y_ref).norm() / y_ref.norm());
  const double max_abs = static_cast<double>((y - y_ref).cwiseAbs().maxCoeff());
  std::printf("MLP %zu -> %zu -> %zu, batch %zu, MXFP4 weights from %s (%s [%zu, %zu], %s as [%zu, %zu]): %zu bytes, "
              "%.3f bits per weight\n",
              features, hidden, features, tokens, argv[1], fc1.c_str(), hidden, features, fc2.c_str(), features,
              hidden, w1.bytes() + w2.bytes(), 8.0 * double(w1.bytes() + w2.bytes()) / double(2 * hidden * features));
  std::printf("y[0][0..3] = %.6f %.6f %.6f %.6f (Eigen: %.6f %.6f %.6f %.6f)\n", y(0, 0), y(0, 1), y(0, 2), y(0, 3),
              y_ref(0, 0), y_ref(0, 1), y_ref(0, 2), y_ref(0, 3));
  const bool ok = std::isfinite(rel) && rel < 1e-5 && y_ref.norm() > 0.0f;
  std::printf("relative Frobenius difference %.3g, largest difference %.3g (largest |y| %.3g): %s\n", rel, max_abs,
              static_cast<double>(y_ref.cwiseAbs().maxCoeff()), ok ? "matches Eigen" : "DIFFERS from Eigen");
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ao_mlp_mxfp4: %s\n", e.what());
    return 1;
  }
}
