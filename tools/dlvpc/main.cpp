// dlvpc: the dlvp model compiler (docs/dlvpc.md).
//   dlvpc compile MODEL.onnx --hw HW -o OUT.dlvp [--calib SRC] [--calib-count N] [--input-scale S]
//                 [--single-buffer] [--quiet]
// HW is a hardware file (scenarios/hw/<name>.yaml, or a bare name); SRC an IDX image file or
// random:N. Exit 0 on success, 2 on bad input (the message names the file, node or layer).
#include "ip/common/config_error.h"
#include "platform/platform_config.h"
#include "platform/scenario.h"
#include "tools/dlvpc/calibration.h"
#include "tools/dlvpc/compiler.h"
#include "tools/dlvpc/onnx_import.h"

#include <systemc>  // declares sc_main with C linkage

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

namespace {

using namespace dlvp;

constexpr const char* kUsage =
    "usage: dlvpc compile MODEL.onnx --hw HW -o OUT.dlvp [--calib SOURCE] [--calib-count N]\n"
    "                     [--input-scale S] [--single-buffer] [--quiet]\n"
    "  --hw HW          hardware file (scenarios/hw/NAME.yaml or a bare NAME)\n"
    "  --calib SOURCE   calibration inputs: an IDX image file (uncompressed) or random:N (default random:4)\n"
    "  --calib-count N  images taken from an IDX file (default 200)\n"
    "  --input-scale S  model input = pixel x S for IDX images (default 1/255)\n"
    "  --single-buffer  one slot per on-chip buffer instead of double buffering\n";

struct Args {
  std::string model, hw, out, calib = "random:4";
  uint32_t calib_count = 200;
  float input_scale = 1.0f / 255.0f;
  bool single_buffer = false, quiet = false;
};

Args parse(int argc, char** argv) {
  if (argc < 3 || std::strcmp(argv[1], "compile") != 0) throw ConfigError(kUsage);
  Args a;
  a.model = argv[2];
  for (int i = 3; i < argc; ++i) {
    const std::string flag = argv[i];
    const auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw ConfigError("dlvpc: " + flag + " needs a value\n" + kUsage);
      return argv[++i];
    };
    const auto number = [&](const std::string& text) {
      try {
        size_t used = 0;
        const double v = std::stod(text, &used);
        if (used == text.size()) return v;
      } catch (const std::exception&) {
      }
      throw ConfigError("dlvpc: " + flag + " " + text + ": not a number");
    };
    if (flag == "--hw") a.hw = next();
    else if (flag == "-o" || flag == "--out") a.out = next();
    else if (flag == "--calib") a.calib = next();
    else if (flag == "--calib-count") a.calib_count = static_cast<uint32_t>(std::max(1.0, number(next())));
    else if (flag == "--input-scale") a.input_scale = static_cast<float>(number(next()));
    else if (flag == "--single-buffer") a.single_buffer = true;
    else if (flag == "--quiet") a.quiet = true;
    else throw ConfigError("dlvpc: unknown option " + flag + "\n" + kUsage);
  }
  if (a.hw.empty() || a.out.empty()) throw ConfigError(std::string("dlvpc: --hw and -o are required\n") + kUsage);
  return a;
}

std::string hardware_file(const std::string& hw) {
  if (hw.find('/') != std::string::npos || hw.find('.') != std::string::npos) return hw;
  return Scenario::data_dir() + "/hw/" + hw + ".yaml";
}

int compile_command(const Args& a) {
  const Scenario scenario = Scenario::load(hardware_file(a.hw), {});
  const PlatformConfig platform = load_platform_config(scenario, "");
  dlvpc::CompileOptions options;
  options.hw = platform.cnn;
  options.build.double_buffer = !a.single_buffer;
  options.ddr_bytes = platform.ddr.size_bytes;
  options.memory_bytes_per_second = std::min(platform.bus.width_bytes * platform.bus.clock_mhz * 1e6,
                                             platform.ddr_timing.peak_bandwidth_Bps() * platform.ddr.channels);

  dlvpc::FloatGraph graph = dlvpc::import_onnx_file(a.model);
  const auto calibration = dlvpc::load_calibration(a.calib, a.calib_count, a.input_scale, graph.input);
  const dlvpc::Compiled c = dlvpc::compile(std::move(graph), calibration, options);

  std::ofstream file(a.out, std::ios::binary);
  if (!file.write(reinterpret_cast<const char*>(c.package.data()), static_cast<std::streamsize>(c.package.size())))
    throw ConfigError(a.out + ": cannot write the package");
  if (!a.quiet) {
    std::printf("dlvpc: %s -> %s for %s (%u PEs x %u convolvers %ux%u @ %.0f MHz; buffers %llu/%llu/%llu B), "
                "calibrated on %zu inputs (%s)\n",
                a.model.c_str(), a.out.c_str(), a.hw.c_str(), options.hw.pes, options.hw.convolvers, options.hw.kernel,
                options.hw.kernel, options.hw.clock_mhz, static_cast<unsigned long long>(options.hw.input_buffer_bytes),
                static_cast<unsigned long long>(options.hw.weight_buffer_bytes),
                static_cast<unsigned long long>(options.hw.output_buffer_bytes), calibration.size(), a.calib.c_str());
    std::fputs(dlvpc::format_report(c, options).c_str(), stdout);
  }
  return 0;
}

}  // namespace

int sc_main(int argc, char** argv) {
  try {
    return compile_command(parse(argc, argv));
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "dlvpc: out of memory\n");
    return 2;
  }
}
