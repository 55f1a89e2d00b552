// Benchmark of the CNN engine's bit-exact arithmetic (ip/cnn/cnn_arith.h): the 13 convolution
// layers of VGG-16 (224 x 224 input, 3x3 kernels, pad 1, stride 1; ReLU; 2x2 max pooling fused
// after layers 2, 4, 7, 10 and 13), each as one CONV instruction through dlvp::cnn::execute on
// random int8 data with a fixed seed. Prints G MACs, seconds and G MAC/s per layer and in total,
// then a sanity ratio on one small layer against the scalar kernel and a plain direct loop (and
// checks the three agree).
// Then the same layers as buffer-sized tiles chained through partial sums (the instruction mix the
// simulator runs), checked against the one-shot results.
// Usage: bench_cnn_kernel [--repeat N] [--kernel scalar|avx2|vnni] [--no-tiled] [--no-reference]
// (threads: environment variable DLVP_CNN_THREADS).
#include "ip/cnn/cnn_arith.h"
#include "ip/cnn/conv_kernel.h"
#include "ip/cnn/int8_kernels.h"
#include "ip/cnn/parallel_kernel.h"

#include <systemc>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace dlvp;
using Clock = std::chrono::steady_clock;

struct VggLayer {
  const char* name;
  uint16_t in_c, out_c, size;  // size: input height = width
  bool pool;                   // 2x2 max pooling, stride 2, after ReLU
};

constexpr VggLayer kVgg16[] = {
    {"conv1_1", 3, 64, 224, false},    {"conv1_2", 64, 64, 224, true},    {"conv2_1", 64, 128, 112, false},
    {"conv2_2", 128, 128, 112, true},  {"conv3_1", 128, 256, 56, false},  {"conv3_2", 256, 256, 56, false},
    {"conv3_3", 256, 256, 56, true},   {"conv4_1", 256, 512, 28, false},  {"conv4_2", 512, 512, 28, false},
    {"conv4_3", 512, 512, 28, true},   {"conv5_1", 512, 512, 14, false},  {"conv5_2", 512, 512, 14, false},
    {"conv5_3", 512, 512, 14, true},
};

// One layer as one CONV instruction, with its buffers (input, weights + bias, output).
struct LayerJob {
  isa::Instruction instruction{};
  std::vector<uint8_t> storage[isa::kCnnBufCount];
  cnn::BufferSet buffers;

  LayerJob(const VggLayer& l, std::mt19937_64& rng) {
    isa::Conv& c = instruction.conv;
    c.header.opcode = isa::kOpConv;
    c.header.flags = isa::kFlagAccFirst | isa::kFlagAccLast | isa::kFlagRelu | (l.pool ? isa::kFlagPool : 0);
    c.in_c = l.in_c, c.out_c = l.out_c, c.in_h = c.in_w = l.size;
    c.kernel_h = c.kernel_w = 3, c.stride_h = c.stride_w = 1;
    c.pad_top = c.pad_left = c.pad_bottom = c.pad_right = 1;
    c.pool_size = c.pool_stride = 2;
    c.bias_shift = 4, c.output_shift = 10;  // a plausible dynamic fixed point
    const uint64_t input_bytes = uint64_t{l.in_c} * l.size * l.size;
    const uint64_t weight_bytes = uint64_t{l.out_c} * l.in_c * 9;
    c.weight_offset = 0;
    c.bias_offset = static_cast<uint32_t>(weight_bytes);
    c.output_offset = 0;
    storage[isa::kBufInput].resize(input_bytes);
    storage[isa::kBufWeight].resize(weight_bytes + 4ull * l.out_c);
    storage[isa::kBufOutput].resize(uint64_t{l.out_c} * l.size * l.size);
    for (auto& buffer : storage)
      for (uint64_t i = 0; i < buffer.size(); i += 8) {
        const uint64_t bits = rng();
        std::memcpy(buffer.data() + i, &bits, std::min<uint64_t>(8, buffer.size() - i));
      }
    for (int b = 0; b < isa::kCnnBufCount; ++b) {
      buffers.data[b] = storage[b].data();
      buffers.size[b] = storage[b].size();
    }
  }

  uint64_t macs() const { return cnn::conv_shape(instruction.conv).macs; }

  // Wall seconds of one execute(); the instruction must pass check() first. Adds the process's
  // CPU seconds (all threads) to `cpu_s`: on a busy machine wall time alone would mislead.
  double run(const cnn::ArithConfig& config, double* cpu_s = nullptr) {
    const std::clock_t c0 = std::clock();
    const auto t0 = Clock::now();
    cnn::execute(instruction, buffers, config);
    const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    if (cpu_s) *cpu_s = double(std::clock() - c0) / CLOCKS_PER_SEC;
    return wall;
  }
};

struct Options {
  int repeat = 3;
  const char* kernel = nullptr;
  bool reference = true;
  bool tiled = true;
};

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--repeat" && i + 1 < argc)
      o.repeat = std::max(1, std::atoi(argv[++i]));
    else if (a == "--kernel" && i + 1 < argc)
      o.kernel = argv[++i];
    else if (a == "--no-reference")
      o.reference = false;
    else if (a == "--no-tiled")
      o.tiled = false;
    else
      return false;
  }
  return true;
}

bool select_kernel(const char* name) {
  for (int i = 0; i < cnn::kernels::kKernelIsaCount; ++i) {
    const auto isa = static_cast<cnn::kernels::KernelIsa>(i);
    if (std::strcmp(name, cnn::kernels::kernel_isa_name(isa)) == 0) return cnn::kernels::force_kernel_isa(isa);
  }
  return false;
}

// The VGG-16 stack: best of `repeat` runs per layer. Returns false if an instruction is rejected.
bool run_vgg(const Options& o) {
  std::mt19937_64 rng(16);
  const cnn::ArithConfig config;
  double total_s = 0, total_cpu_s = 0, first_total_s = 0;
  uint64_t total_macs = 0;
  std::printf("%-8s %5s %5s %4s %5s %9s %10s %9s %10s\n", "layer", "in_c", "out_c", "size", "pool", "GMAC",
              "seconds", "GMAC/s", "cpu s");
  for (const VggLayer& l : kVgg16) {
    LayerJob job(l, rng);
    if (cnn::check(job.instruction, job.buffers) != isa::kErrNone) {
      std::fprintf(stderr, "%s: instruction rejected by check()\n", l.name);
      return false;
    }
    double best = 1e30, best_cpu = 0;
    for (int r = 0; r < o.repeat; ++r) {
      double cpu = 0;
      const double s = job.run(config, &cpu);
      if (r == 0) first_total_s += s;
      if (s < best) best = s, best_cpu = cpu;
    }
    const double gmac = job.macs() * 1e-9;
    std::printf("%-8s %5u %5u %4u %5s %9.3f %10.4f %9.1f %10.4f\n", l.name, l.in_c, l.out_c, l.size,
                l.pool ? "2x2" : "-", gmac, best, gmac / best, best_cpu);
    total_s += best;
    total_cpu_s += best_cpu;
    total_macs += job.macs();
  }
  std::printf("%-8s %28s %9.3f %10.4f %9.1f %10.4f\n", "total", "", total_macs * 1e-9, total_s,
              total_macs * 1e-9 / total_s, total_cpu_s);
  std::printf("first runs (cold scratch buffers): %.4f s\n", first_total_s);
  return true;
}

// conv1_1 .. conv2_1 would take the plain loop too long; a 64 -> 64 layer on 56 x 56 (116 M MACs)
// through execute() with the active and the scalar kernels, and through the direct loop.
bool run_reference_ratio(const cnn::kernels::KernelIsa fast) {
  std::mt19937_64 rng(17);
  LayerJob job({"small", 64, 64, 56, false}, rng);
  job.instruction.conv.header.flags = isa::kFlagAccFirst;  // keep the exact int32 sums (psum)
  job.instruction.conv.psum_offset = 0;
  job.storage[isa::kBufOutput].assign(4ull * 64 * 56 * 56, 0);
  job.buffers.data[isa::kBufOutput] = job.storage[isa::kBufOutput].data();
  job.buffers.size[isa::kBufOutput] = job.storage[isa::kBufOutput].size();
  std::memset(job.storage[isa::kBufWeight].data() + job.instruction.conv.bias_offset, 0, 4 * 64);  // bias 0
  if (cnn::check(job.instruction, job.buffers) != isa::kErrNone) return false;
  const cnn::ArithConfig config;
  const double gmac = job.macs() * 1e-9;

  cnn::kernels::force_kernel_isa(fast);
  const double fast_s = job.run(config);
  const std::vector<uint8_t> fast_sums = job.storage[isa::kBufOutput];
  cnn::kernels::force_kernel_isa(cnn::kernels::KernelIsa::kScalar);
  const double scalar_s = job.run(config);
  const bool scalar_same = job.storage[isa::kBufOutput] == fast_sums;

  std::vector<int64_t> direct;
  const auto t0 = Clock::now();
  cnn::kernels::direct_conv_sums(job.instruction.conv, reinterpret_cast<const int8_t*>(job.buffers.data[0]),
                                 reinterpret_cast<const int8_t*>(job.buffers.data[1]), direct);
  const double direct_s = std::chrono::duration<double>(Clock::now() - t0).count();
  bool direct_same = true;
  for (uint64_t i = 0; i < direct.size(); ++i) {
    int32_t v;
    std::memcpy(&v, fast_sums.data() + 4 * i, 4);
    direct_same = direct_same && v == direct[i];
  }
  cnn::kernels::reset_kernel_isa();

  std::printf("\nsanity, 64 -> 64 channels on 56 x 56 (%.3f GMAC):\n", gmac);
  std::printf("  %-22s %8.4f s %8.1f GMAC/s\n", cnn::kernels::kernel_isa_name(fast), fast_s, gmac / fast_s);
  std::printf("  %-22s %8.4f s %8.1f GMAC/s  (%.1fx slower, %s)\n", "scalar kernel", scalar_s, gmac / scalar_s,
              scalar_s / fast_s, scalar_same ? "identical" : "DIFFERENT");
  std::printf("  %-22s %8.4f s %8.1f GMAC/s  (%.1fx slower, %s)\n", "direct loop", direct_s, gmac / direct_s,
              direct_s / fast_s, direct_same ? "identical" : "DIFFERENT");
  return scalar_same && direct_same;
}

// ---- the same layers as buffer-sized tiles -------------------------------------------------------

// Tile sizes of the engine's default buffers (96 KB input, 64 KB weights, 96 KB output), each split
// in two for double buffering: a pass of up to 32 input channels over a band of rows, for a group
// of 8 output channels, with int32 partial sums in the output buffer between passes.
constexpr uint64_t kSlotBytes = 48 * 1024;
constexpr uint32_t kPassChannels = 32, kGroupChannels = 8;

struct TiledFigures {
  uint64_t instructions = 0;
  double execute_s = 0, staging_s = 0;
};

// Result rows per band: even with pooling; input band and psum inside one slot each.
uint32_t band_rows(const VggLayer& l) {
  uint32_t rows = l.size;
  auto fits = [&](uint32_t r) {
    return uint64_t{kPassChannels} * (r + 2) * l.size <= kSlotBytes && 4ull * kGroupChannels * r * l.size <= kSlotBytes;
  };
  while (rows > 1 && !fits(rows)) --rows;
  if (l.pool && rows > 1) rows &= ~1u;
  return rows;
}

// Runs layer `l` of `job` tile by tile into `result` ([out_c][pool_h][pool_w]).
void run_tiled_layer(const VggLayer& l, const LayerJob& job, const cnn::ArithConfig& config, std::vector<int8_t>& result,
                     TiledFigures& f) {
  const isa::Conv& whole = job.instruction.conv;
  const uint32_t n = l.size, rows = band_rows(l);
  const uint32_t out_n = l.pool ? n / 2 : n;
  const auto* input = reinterpret_cast<const int8_t*>(job.buffers.data[isa::kBufInput]);
  const auto* weights = reinterpret_cast<const int8_t*>(job.buffers.data[isa::kBufWeight]);
  std::vector<uint8_t> mem[isa::kCnnBufCount];
  for (auto& m : mem) m.assign(2 * kSlotBytes, 0);
  cnn::BufferSet buffers;
  for (int b = 0; b < isa::kCnnBufCount; ++b) buffers.data[b] = mem[b].data(), buffers.size[b] = mem[b].size();
  result.assign(uint64_t{l.out_c} * out_n * out_n, 0);
  for (uint32_t oc0 = 0; oc0 < l.out_c; oc0 += kGroupChannels)
    for (uint32_t r0 = 0; r0 < n; r0 += rows) {
      const uint32_t band = std::min(rows, n - r0), group = std::min<uint32_t>(kGroupChannels, l.out_c - oc0);
      const uint32_t in_first = r0 == 0 ? 0 : r0 - 1, in_last = std::min(n, r0 + band + 1);
      for (uint32_t ic0 = 0; ic0 < l.in_c; ic0 += kPassChannels) {
        const uint32_t pass = std::min<uint32_t>(kPassChannels, l.in_c - ic0);
        const auto t0 = Clock::now();
        for (uint32_t c = 0; c < pass; ++c)  // what LOAD would bring in
          std::memcpy(mem[isa::kBufInput].data() + uint64_t{c} * (in_last - in_first) * n,
                      input + (uint64_t{ic0 + c} * n + in_first) * n, uint64_t{in_last - in_first} * n);
        for (uint32_t o = 0; o < group; ++o)
          std::memcpy(mem[isa::kBufWeight].data() + uint64_t{o} * pass * 9,
                      weights + (uint64_t{oc0 + o} * l.in_c + ic0) * 9, uint64_t{pass} * 9);
        std::memcpy(mem[isa::kBufWeight].data() + kSlotBytes, weights + whole.bias_offset + 4ull * oc0, 4ull * group);
        isa::Instruction tile = job.instruction;
        isa::Conv& c = tile.conv;
        c.in_c = static_cast<uint16_t>(pass), c.out_c = static_cast<uint16_t>(group);
        c.in_h = static_cast<uint16_t>(in_last - in_first);
        c.pad_top = r0 == 0, c.pad_bottom = r0 + band == n;
        c.bias_offset = kSlotBytes, c.psum_offset = 0, c.output_offset = kSlotBytes;
        c.header.flags = whole.header.flags & ~(isa::kFlagAccFirst | isa::kFlagAccLast);
        if (ic0 == 0) c.header.flags |= isa::kFlagAccFirst;
        const bool last = ic0 + pass == l.in_c;
        if (last) c.header.flags |= isa::kFlagAccLast;
        const auto t1 = Clock::now();
        if (cnn::check(tile, buffers) != isa::kErrNone) {
          std::fprintf(stderr, "%s: tile rejected by check()\n", l.name);
          std::exit(1);
        }
        cnn::execute(tile, buffers, config);
        const auto t2 = Clock::now();
        ++f.instructions;
        if (last) {  // what STORE would take out
          const uint32_t res_rows = l.pool ? band / 2 : band;
          for (uint32_t o = 0; o < group; ++o)
            std::memcpy(result.data() + (uint64_t{oc0 + o} * out_n + (l.pool ? r0 / 2 : r0)) * out_n,
                        mem[isa::kBufOutput].data() + kSlotBytes + uint64_t{o} * res_rows * out_n,
                        uint64_t{res_rows} * out_n);
        }
        f.execute_s += std::chrono::duration<double>(t2 - t1).count();
        f.staging_s += std::chrono::duration<double>(t1 - t0).count() +
                       std::chrono::duration<double>(Clock::now() - t2).count();
      }
    }
}

// Every layer tiled, compared with its one-shot result. Returns false on any difference.
bool run_vgg_tiled() {
  std::mt19937_64 rng(16);
  const cnn::ArithConfig config;
  TiledFigures total;
  uint64_t macs = 0;
  bool all_same = true;
  std::printf("\ntiled as the default buffers require (passes of %u input channels, groups of %u outputs):\n",
              kPassChannels, kGroupChannels);
  std::printf("%-8s %6s %5s %8s %10s %9s %10s %s\n", "layer", "tiles", "rows", "MAC/tile", "seconds", "GMAC/s",
              "staging s", "vs one-shot");
  for (const VggLayer& l : kVgg16) {
    LayerJob job(l, rng);
    LayerJob reference = job;
    reference.buffers = job.buffers;
    for (int b = 0; b < isa::kCnnBufCount; ++b) reference.buffers.data[b] = reference.storage[b].data();
    reference.run(config);
    const cnn::ConvShape shape = cnn::conv_shape(reference.instruction.conv);
    const std::vector<uint8_t> expected(reference.storage[isa::kBufOutput].begin(),
                                        reference.storage[isa::kBufOutput].begin() +
                                            uint64_t{l.out_c} * shape.pool_h * shape.pool_w);
    TiledFigures f;
    std::vector<int8_t> result;
    run_tiled_layer(l, job, config, result, f);
    const bool same = std::memcmp(result.data(), expected.data(), expected.size()) == 0;
    all_same = all_same && same;
    std::printf("%-8s %6llu %5u %8.2fM %10.4f %9.1f %10.4f %s\n", l.name, (unsigned long long)f.instructions,
                band_rows(l), job.macs() * 1e-6 / f.instructions, f.execute_s, job.macs() * 1e-9 / f.execute_s,
                f.staging_s, same ? "identical" : "DIFFERENT");
    total.instructions += f.instructions;
    total.execute_s += f.execute_s;
    total.staging_s += f.staging_s;
    macs += job.macs();
  }
  std::printf("%-8s %6llu %5s %8.2fM %10.4f %9.1f %10.4f\n", "total", (unsigned long long)total.instructions, "",
              macs * 1e-6 / total.instructions, total.execute_s, macs * 1e-9 / total.execute_s, total.staging_s);
  return all_same;
}

}  // namespace

int sc_main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    std::fprintf(stderr, "usage: %s [--repeat N] [--kernel scalar|avx2|vnni] [--no-tiled] [--no-reference]\n", argv[0]);
    return 2;
  }
  if (o.kernel && !select_kernel(o.kernel)) {
    std::fprintf(stderr, "kernel '%s' unknown or not supported by this CPU\n", o.kernel);
    return 2;
  }
  const auto fast = cnn::kernels::active_kernel_isa();
  std::printf("VGG-16 convolution layers through dlvp::cnn::execute: kernel %s, %u thread(s), best of %d\n",
              cnn::kernels::kernel_isa_name(fast), cnn::kernels::kernel_threads(), o.repeat);
  if (!run_vgg(o)) return 1;
  if (o.tiled && !run_vgg_tiled()) {
    std::fprintf(stderr, "tiled results differ from the one-shot layers\n");
    return 1;
  }
  if (o.reference && !run_reference_ratio(fast)) {
    std::fprintf(stderr, "kernel results differ\n");
    return 1;
  }
  return 0;
}
