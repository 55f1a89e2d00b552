// Benchmark: the 13 convolution layers of VGG-16 (15.35 G MACs, random int8 weights) simulated
// bit-exactly, with timing and energy, on the virtual SoC — the builder's program in a model
// package, run by the run_package app through the IFU, DMA, DDR and CNN engine — against the same
// layers computed by oneDNN's int8 convolution on this machine, in the same run.
// Usage: bench_vgg16 [--hw NAME] [--layers N] [--set key=value]...
#include "ip/cnn/cnn_arith.h"
#include "platform/report.h"
#include "platform/runner.h"
#include "tools/bench/onednn_conv.h"
#include "tools/package/model_zoo.h"
#include "tools/package/package_writer.h"

#include <systemc>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace {

using namespace dlvp;
namespace fs = std::filesystem;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// oneDNN's time for the network's convolutions (best of three runs per layer).
double onednn_seconds(const builder::Network& net) {
  double total = 0;
  for (const auto& layer : net.layers) {
    const auto& c = std::get<builder::ConvLayer>(layer);
    bench::OneDnnConv conv({c.in_c, c.out_c, c.in_h, c.in_w, c.kernel_h, c.stride_h, c.pad_top});
    conv.run();  // warm-up
    double best = 1e30;
    for (int i = 0; i < 3; ++i) best = std::min(best, conv.run());
    total += best;
  }
  return total;
}

// The engine's exact int32 accumulators of one layer (CONV with AccFirst, zero bias, no AccLast)
// compared with oneDNN's s32 result for the same input and weights.
bool cross_check(const builder::ConvLayer& c) {
  const std::vector<int8_t> input = zoo::random_tensor(uint64_t{c.in_c} * c.in_h * c.in_w, 7);
  bench::OneDnnConv conv({c.in_c, c.out_c, c.in_h, c.in_w, c.kernel_h, c.stride_h, c.pad_top});
  const std::vector<int32_t> expected = conv.compute(input, c.weights);
  std::vector<uint8_t> in_buf(input.size()), w_buf(c.weights.size() + 4 * c.out_c, 0), out_buf(expected.size() * 4);
  std::memcpy(in_buf.data(), input.data(), input.size());
  std::memcpy(w_buf.data(), c.weights.data(), c.weights.size());
  isa::Instruction instr{};
  isa::Conv& k = instr.conv;
  k.header.opcode = isa::kOpConv;
  k.header.flags = isa::kFlagAccFirst;
  k.in_h = static_cast<uint16_t>(c.in_h), k.in_w = static_cast<uint16_t>(c.in_w);
  k.in_c = static_cast<uint16_t>(c.in_c), k.out_c = static_cast<uint16_t>(c.out_c);
  k.weight_offset = 0, k.bias_offset = static_cast<uint32_t>(c.weights.size());
  k.kernel_h = k.kernel_w = static_cast<uint8_t>(c.kernel_h);
  k.stride_h = k.stride_w = static_cast<uint8_t>(c.stride_h);
  k.pad_top = k.pad_left = k.pad_bottom = k.pad_right = static_cast<uint8_t>(c.pad_top);
  cnn::BufferSet buffers;
  buffers.data[isa::kBufInput] = in_buf.data(), buffers.size[isa::kBufInput] = in_buf.size();
  buffers.data[isa::kBufWeight] = w_buf.data(), buffers.size[isa::kBufWeight] = w_buf.size();
  buffers.data[isa::kBufOutput] = out_buf.data(), buffers.size[isa::kBufOutput] = out_buf.size();
  if (cnn::check(instr, buffers) != isa::kErrNone) return false;
  cnn::execute(instr, buffers, cnn::ArithConfig{});
  return std::memcmp(out_buf.data(), expected.data(), out_buf.size()) == 0;
}

}  // namespace

int sc_main(int argc, char** argv) {
  std::string hw = "zynq7020";
  size_t max_layers = 13;
  std::vector<std::string> overrides;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--hw" && i + 1 < argc) hw = argv[++i];
    else if (a == "--layers" && i + 1 < argc) max_layers = std::strtoul(argv[++i], nullptr, 10);
    else if (a == "--set" && i + 1 < argc) overrides.push_back(argv[++i]);
    else {
      std::cerr << "usage: bench_vgg16 [--hw NAME] [--layers N] [--set key=value]...\n";
      return 2;
    }
  }
  try {
    builder::Network net = zoo::vgg16_conv();
    if (max_layers < net.layers.size()) net.layers.resize(max_layers);
    uint64_t macs = 0;
    for (const auto& l : net.layers) {
      const auto& c = std::get<builder::ConvLayer>(l);
      macs += uint64_t{c.out_c} * c.conv_h() * c.conv_w() * c.in_c * c.kernel_h * c.kernel_w;
    }

    const auto build_start = std::chrono::steady_clock::now();
    const CnnConfig cnn_config;  // the package is built for the default engine (the scenario must match)
    const builder::Program program = builder::build(net, cnn_config);
    const auto& first = std::get<builder::ConvLayer>(net.layers.front());
    const package::TestData test{zoo::random_tensor(uint64_t{first.in_c} * first.in_h * first.in_w, 3), {}};
    package::Provenance provenance;
    provenance.producer = "bench_vgg16";
    const std::vector<uint8_t> blob = package::write_package(program, cnn_config, &test, {}, provenance);
    const fs::path dir = fs::temp_directory_path() / "dlvp_bench_vgg16";
    fs::create_directories(dir);
    std::ofstream((dir / "vgg16.pkg").string(), std::ios::binary)
        .write(reinterpret_cast<const char*>(blob.data()), static_cast<std::streamsize>(blob.size()));
    const double build_seconds = seconds_since(build_start);
    std::ofstream(dir / "vgg16.yaml") << "hw: " << hw << "\n"
                                      << "software:\n  app: run_package\n  load:\n"
                                      << "    - {file: " << (dir / "vgg16.pkg").string() << ", address: 0x90000000}\n"
                                      << "  args: [0x90000000, 1]\nrun:\n  max_time_ms: 100000\n";

    RunRequest request{(dir / "vgg16.yaml").string(), overrides, (dir / "out").string(), DLVP_APP_DIR,
                       log::Level::warn, false};
    const RunResult run = run_scenario(request);
    if (run.exit_status != 0) {
      std::cerr << "bench_vgg16: the simulated job failed (exit status " << run.exit_status << "):\n"
                << run.report["software"]["console"].get<std::string>();
      return 1;
    }
    const auto& report = run.report;
    const auto& cnn = report["modules"]["soc.cnn"];
    const double simulated_s = report["run"]["simulated_time_ns"].get<double>() * 1e-9;
    const double onednn_s = onednn_seconds(net);
    const bool exact = cross_check(std::get<builder::ConvLayer>(net.layers[std::min<size_t>(2, net.layers.size() - 1)]));

    std::printf("VGG-16 convolution layers: %zu layers, %.2f G MACs, %zu instructions, package %.1f MB (built in %.2f s)\n",
                net.layers.size(), macs / 1e9, program.instructions.size(), blob.size() / 1e6, build_seconds);
    // The job's figures from the package's layer table (per image, end to end); the run's totals
    // also hold the driver's checksum pass over the package and the time around the job.
    const auto& unit = report["energy"]["unit"];
    const auto& package_table = report["accelerator"]["packages"].at(0);
    const auto& per_image = package_table["per_inference"];
    std::printf("simulated on %s: job %.2f ms per image, %.1f GOPS end to end of %.1f peak (%.1f GOPS while the engine "
                "is busy); the whole run %.2f ms\n",
                hw.c_str(), package_table["job_time_ns"].get<double>() * 1e-6, per_image["GOPS"].get<double>(),
                cnn["peak_GOPS"].get<double>(), cnn["achieved_GOPS"].get<double>(), simulated_s * 1e3);
    std::printf("energy per image in the layers: %s (static %s, dynamic %s); the whole run %s (dram %s, buffer %s, "
                "array %s, rf %s, mac %s)\n",
                format_energy(per_image["layer_energy"], unit).c_str(),
                format_energy(per_image["layer_static_energy"], unit).c_str(),
                format_energy(per_image["layer_dynamic_energy"], unit).c_str(),
                format_energy(report["energy"]["total"], unit).c_str(),
                format_energy(report["energy"]["by_level"]["dram"], unit).c_str(),
                format_energy(report["energy"]["by_level"]["buffer"], unit).c_str(),
                format_energy(report["energy"]["by_level"]["array"], unit).c_str(),
                format_energy(report["energy"]["by_level"]["rf"], unit).c_str(),
                format_energy(report["energy"]["by_level"]["mac"], unit).c_str());
    const auto& power = report["power"];
    const std::string power_unit = power["unit"];
    std::printf("power over %.0f ns intervals: average %s, peak %s (dram average %s, peak %s)\n",
                power["interval_ns"].get<double>(), format_power(power["average"]["total"], power_unit).c_str(),
                format_power(power["peak"]["total"], power_unit).c_str(),
                format_power(power["average"]["by_level"]["dram"], power_unit).c_str(),
                format_power(power["peak"]["by_level"]["dram"], power_unit).c_str());
    std::printf("wall time of the simulation: %.3f s = %.2f G MACs per wall second (bit-exact, timed, with energy)\n",
                run.simulate_seconds, macs / run.simulate_seconds / 1e9);
    std::printf("oneDNN int8 convolution, same layers, this machine: %.4f s (%.1f G MACs/s)\n", onednn_s,
                macs / onednn_s / 1e9);
    std::printf("ratio simulation / oneDNN: %.1fx\n", run.simulate_seconds / onednn_s);
    std::printf("exactness cross-check (engine int32 accumulators vs oneDNN s32, %s): %s\n",
                std::get<builder::ConvLayer>(net.layers[std::min<size_t>(2, net.layers.size() - 1)]).name.c_str(),
                exact ? "identical" : "DIFFERENT");
    return exact ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "bench_vgg16: " << e.what() << "\n";
    return 2;
  }
}
