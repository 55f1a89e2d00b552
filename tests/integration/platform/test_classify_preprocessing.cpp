// classify honours the input preprocessing dlvpc records in the package (package version 7): a
// Fashion CNN compiled with --input-scale 2/255 agrees with its float model as the 1/255 one does
// (the 81 % vs 96 % case), and a multi-channel image file whose layout is not the
// package's is refused — by classify (exit 3) and by dlvpc (exit 2) — naming both layouts; the same
// file runs once the package says NHWC.
#include "tests/support/dlvp_cli.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

namespace {

using dlvp::test::out_dir;
using dlvp::test::read_report;
using dlvp::test::run_command;
using dlvp::test::run_dlvp;

const std::string kSource = DLVP_SOURCE_DIR;
const std::string kBuild = DLVP_BUILD_DIR;
const std::string kFashion = kBuild + "/data/fashion-mnist/";
constexpr int kImages = 200;

// The first `n` items of an IDX file (its count rewritten): a small test set, so that the float
// predictions cover exactly the images classify runs.
void head_idx(const std::string& from, const std::string& to, uint32_t n) {
  std::ifstream in(from, std::ios::binary);
  std::vector<char> head(4);
  in.read(head.data(), 4);
  const int rank = head[3];
  std::vector<char> dims(4 * rank);
  in.read(dims.data(), dims.size());
  uint64_t item = 1;
  for (int d = 1; d < rank; ++d)
    item *= uint32_t(uint8_t(dims[4 * d])) << 24 | uint32_t(uint8_t(dims[4 * d + 1])) << 16 |
            uint32_t(uint8_t(dims[4 * d + 2])) << 8 | uint8_t(dims[4 * d + 3]);
  const char count[4] = {char(n >> 24), char(n >> 16), char(n >> 8), char(n)};
  std::copy(count, count + 4, dims.begin());
  std::vector<char> body(item * n);
  in.read(body.data(), body.size());
  std::ofstream out(to, std::ios::binary);
  out.write(head.data(), 4).write(dims.data(), dims.size()).write(body.data(), body.size());
}

struct TestSet {
  std::string images, labels;
};
TestSet small_test_set() {
  const std::string dir = out_dir("pre_test_set");
  std::filesystem::create_directories(dir);
  const TestSet set{dir + "/images.idx", dir + "/labels.idx"};
  head_idx(kFashion + "t10k-images-idx3-ubyte", set.images, kImages);
  head_idx(kFashion + "t10k-labels-idx1-ubyte", set.labels, kImages);
  return set;
}

// classify on the test set with this package and prediction file: its agreement.
double agreement(const TestSet& set, const std::string& package, const std::string& name) {
  const std::string dir = out_dir(name);
  const auto r = run_dlvp("run " + kSource + "/scenarios/fashion_mnist.yaml --set software.load[0].file=" + package +
                          " --set software.load[1].file=" + set.images + " --set software.load[2].file=" + set.labels +
                          " --set software.load[3].file=" + package + ".predictions --set software.args[3]=0 --out " + dir);
  EXPECT_EQ(r.status, 0) << r.output;
  return read_report(dir)["app"]["results"]["agreement"]["value"].get<double>();
}

std::string compile_fashion(const TestSet& set, const std::string& scale, const std::string& name) {
  const std::string dir = out_dir(name), package = dir + "/fashion.dlvp";
  std::filesystem::create_directories(dir);
  const auto r = run_command(DLVPC_BINARY, "compile " + kSource + "/scenarios/models/fashion_cnn.onnx --hw zynq7020 --calib " +
                                               kFashion + "train-images-idx3-ubyte --calib-count 100 --input-scale " + scale +
                                               " --float-predictions " + set.images + " " + package +
                                               ".predictions -o " + package + " --quiet");
  EXPECT_EQ(r.status, 0) << r.output;
  return package;
}

TEST(ClassifyPreprocessing, TheInputScaleOfThePackageIsHonoured) {
  const TestSet set = small_test_set();
  const double a1 = agreement(set, compile_fashion(set, "0.00392156862745098", "pre_scale_1"), "pre_run_1");
  const double a2 = agreement(set, compile_fashion(set, "0.00784313725490196", "pre_scale_2"), "pre_run_2");
  std::printf("agreement with the float model on %d images: scale 1/255 %.3f, 2/255 %.3f\n", kImages, a1, a2);
  EXPECT_GE(a2, 0.95);
  EXPECT_NEAR(a2, a1, 0.02);
}

void write_be32(std::ofstream& f, uint32_t v) {
  const char b[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  f.write(b, 4);
}

// An IDX3/4 file of `n` images with these dimensions (ramp pixels) and its IDX1 labels (0).
void write_images(const std::string& path, const std::vector<uint32_t>& dims, uint32_t n) {
  std::ofstream f(path, std::ios::binary);
  const char head[4] = {0, 0, 8, char(dims.size() + 1)};
  f.write(head, 4);
  write_be32(f, n);
  uint64_t bytes = n;
  for (const uint32_t d : dims) write_be32(f, d), bytes *= d;
  for (uint64_t i = 0; i < bytes; ++i) f.put(char(i * 7 % 256));
  std::ofstream labels(path + ".labels", std::ios::binary);
  const char lhead[4] = {0, 0, 8, 1};
  labels.write(lhead, 4);
  write_be32(labels, n);
  for (uint32_t i = 0; i < n; ++i) labels.put(0);
}

TEST(ClassifyPreprocessing, AnImageFileInAnotherLayoutIsRefusedNamingBoth) {
  const std::string dir = out_dir("pre_layout");
  std::filesystem::create_directories(dir);
  const std::string model = kSource + "/tests/data/torch_forms/cnn_global_forms/model.onnx";  // 3x20x20 -> 4
  const std::string hwc = dir + "/hwc.idx";
  write_images(hwc, {20, 20, 3}, 4);
  const auto compile = [&](const std::string& layout, const std::string& calib, const std::string& out) {
    return run_command(DLVPC_BINARY, "compile " + model + " --hw zynq7020 --calib " + calib + " --input-layout " + layout +
                                         " --input-mean 0.5,0.4,0.3 --input-std 0.25 -o " + out + " --quiet");
  };
  // dlvpc: the HWC file is no calibration data for an NCHW model.
  const auto refused = compile("NCHW", hwc, dir + "/refused.dlvp");
  EXPECT_EQ(refused.status, 2) << refused.output;
  EXPECT_NE(refused.output.find("hwc.idx: images are 20x20x3; the model's input in NCHW order (--input-layout) is 3x20x20 "
                                "(the file is in NHWC order); NCHW 3x20x20, NHWC 20x20x3"),
            std::string::npos)
      << refused.output;

  const auto run = [&](const std::string& package, const std::string& name) {
    const std::string out = out_dir(name);
    const auto r = run_dlvp("run " + kSource + "/scenarios/fashion_mnist.yaml --set software.load[0].file=" + package +
                            " --set software.load[1].file=" + hwc + " --set software.load[2].file=" + hwc +
                            ".labels --set software.args[4]=0 --set software.args[3]=4 --out " + out);
    return std::make_pair(r, read_report(out)["software"]["console"].get<std::string>());
  };
  // classify: an NCHW package refuses the HWC images (exit 3) naming both layouts.
  ASSERT_EQ(compile("NCHW", "random:2", dir + "/nchw.dlvp").status, 0);
  const auto [nchw, nchw_console] = run(dir + "/nchw.dlvp", "pre_layout_nchw");
  EXPECT_EQ(nchw.status, 3) << nchw.output;
  EXPECT_NE(nchw_console.find("classify: images (boot argument 1): images are 20x20x3; the model's input in NCHW order "
                              "is 3x20x20 (NCHW 3x20x20, NHWC 20x20x3)"),
            std::string::npos)
      << nchw_console;
  // The same file with a package that says NHWC runs.
  const auto nhwc = compile("NHWC", hwc, dir + "/nhwc.dlvp");
  ASSERT_EQ(nhwc.status, 0) << nhwc.output;
  const auto [ran, ran_console] = run(dir + "/nhwc.dlvp", "pre_layout_nhwc");
  EXPECT_EQ(ran.status, 0) << ran.output << ran_console;
}

}  // namespace
