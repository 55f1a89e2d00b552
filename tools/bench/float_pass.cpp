// dlvpc's float pass on a whole network: the reference loops (float_graph's run_float) against the
// oneDNN pass (float_pass.h) on the same calibration inputs — wall time of each, the largest
// difference of any op's range, and whether the quantizer's choices (every tensor's radix point)
// are the same. Exit 1 when a choice differs (docs/validation.md, "dlvpc's float pass").
//   bench_float_pass [--model vgg16|resnet18|alexnet] [--calib random:N]
#include "tools/dlvpc/compiler.h"
#include "tools/dlvpc/onnx_import.h"
#include "tools/onnx_zoo/onnx_zoo.h"

#include <systemc>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace {

using namespace dlvp::dlvpc;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A line of /proc/self/status in MiB ("VmRSS", "VmHWM").
double status_mib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::strtod(line.c_str() + std::strlen(field) + 1, nullptr) / 1024.0;
  return 0;
}

// Starts a new peak: the kernel's high-water mark is reset to the current RSS.
void reset_peak() { std::ofstream("/proc/self/clear_refs") << "5"; }

// The largest |a - b| of a range's ends, relative to the range's magnitude.
double range_difference(const ValueRange& a, const ValueRange& b) {
  const double scale = std::max({1e-30, double(std::fabs(b.lo)), double(std::fabs(b.hi))});
  return std::max(std::fabs(double(a.lo) - b.lo), std::fabs(double(a.hi) - b.hi)) / scale;
}

}  // namespace

int sc_main(int argc, char** argv) {
  std::string model = "vgg16", calib = "random:1";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--model")) model = argv[i + 1];
    else if (!std::strcmp(argv[i], "--calib")) calib = argv[i + 1];
  }
  const FloatGraph graph = import_onnx(dlvp::zoo_onnx::make_model(model, 1), model);
  const CalibrationInputs inputs = CalibrationInputs::open(calib, 1, 1.0f, graph.input);

  const double before_mib = status_mib("VmRSS:");
  reset_peak();
  auto t0 = std::chrono::steady_clock::now();
  CalibrationStats reference;
  inputs.for_each([&](uint64_t, const std::vector<float>& x) { reference.add(centered_input(graph, x), run_float(graph, x)); });
  const double reference_s = seconds_since(t0), reference_mib = status_mib("VmHWM:") - before_mib;
  reset_peak();
  t0 = std::chrono::steady_clock::now();
  const CalibrationStats fast = calibrate(graph, inputs);
  const double fast_s = seconds_since(t0), fast_mib = status_mib("VmHWM:") - before_mib;

  const QuantizedModel a = quantize(graph, reference), b = quantize(graph, fast);
  double worst = 0;
  size_t worst_op = 0;
  for (size_t i = 0; i < graph.ops.size(); ++i)
    if (const double d = range_difference(fast.ops[i], reference.ops[i]); d > worst) worst = d, worst_op = i;
  const bool same = a.input_frac == b.input_frac && a.op_frac == b.op_frac && a.weight_frac == b.weight_frac;
  std::printf("%s, %s: %.3f G MACs per input, %zu ops\n", model.c_str(), calib.c_str(), graph.macs() * 1e-9, graph.ops.size());
  std::printf("reference loops: %.2f s   oneDNN pass: %.2f s   (%.1fx)\n", reference_s, fast_s, reference_s / fast_s);
  std::printf("memory above the imported graph (%.0f MiB): reference %.0f MiB, oneDNN pass %.0f MiB\n", before_mib,
              reference_mib, fast_mib);
  std::printf("largest range difference: %.2e of the range (op %zu '%s')\n", worst, worst_op, graph.ops[worst_op].name.c_str());
  std::printf("quantizer's choices (input, %zu op and weight radix points): %s\n", graph.ops.size(),
              same ? "identical" : "DIFFERENT");
  return same ? 0 : 1;
}
