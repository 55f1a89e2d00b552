#include "platform/hardware_binding.h"

namespace dlvp::package {
namespace {

void add(ParameterList* out, const char* key, uint64_t package_value, uint64_t platform_value,
         BindingClass binding, const char* reason, uint32_t scale = 1) {
  if (out->count >= kMaxParameters) return;
  out->items[out->count++] = ParameterDifference{key, package_value, platform_value, scale, binding, reason};
}

// A memory the program lays its tiles or slots over: a smaller one overruns, a larger one is unused.
void add_memory(ParameterList* out, const char* key, uint64_t package_value, uint64_t platform_value,
                BindingClass when_larger, const char* larger_reason) {
  if (platform_value < package_value)
    add(out, key, package_value, platform_value, kBindRefuse, "the program's tiles overrun a smaller memory");
  else
    add(out, key, package_value, platform_value, when_larger, larger_reason);
}

// Only the cycle prediction (dlvpc's report) read these: the program is the same either way.
constexpr const char* kPredictionOnly = "used only by dlvpc's cycle prediction, not by the program";

void compare_cnn(const HardwareRequirements& p, const HardwareRequirements& hw, ParameterList* out) {
  constexpr const char* kTiledSmaller = "tiled for a smaller buffer (larger tiles would move less data)";
  add_memory(out, "cnn.input_buffer_bytes", p.input_buffer_bytes, hw.input_buffer_bytes, kBindSuboptimal, kTiledSmaller);
  add_memory(out, "cnn.weight_buffer_bytes", p.weight_buffer_bytes, hw.weight_buffer_bytes, kBindSuboptimal,
             kTiledSmaller);
  add_memory(out, "cnn.output_buffer_bytes", p.output_buffer_bytes, hw.output_buffer_bytes, kBindSuboptimal,
             kTiledSmaller);
  add(out, "cnn.accumulator_bits", p.accumulator_bits, hw.accumulator_bits, kBindRefuse,
      "the results saturate at the accumulator width (another width computes other outputs)");
  // The engine runs any group of output channels on any PEs and input channels on any convolvers
  // (docs/cnn.md): another count is correct, but the tiles were aligned to the recorded ones.
  add(out, "cnn.pes", p.pes, hw.pes, kBindSuboptimal, "output-channel groups were aligned to another PE count");
  add(out, "cnn.convolvers", p.convolvers, hw.convolvers, kBindSuboptimal,
      "input-channel passes were aligned to another convolver count");
  // The tiler never reads K: a CONV names its own kernel, which the engine runs in K x K pieces.
  add(out, "cnn.kernel", p.kernel, hw.kernel, kBindInformational, kPredictionOnly);
}

void compare_lstm(const LstmRequirements& p, const LstmRequirements& hw, ParameterList* out) {
  add(out, "lstm.pes", p.pes, hw.pes, kBindRefuse, "the weight streams are interleaved over the recorded PE count");
  add(out, "lstm.accumulator_bits", p.accumulator_bits, hw.accumulator_bits, kBindRefuse,
      "the gates saturate at the accumulator width (another width computes other outputs)");
  add_memory(out, "lstm.weight_memory_bytes", p.weight_memory_bytes, hw.weight_memory_bytes, kBindSuboptimal,
             "weights chunked (or streamed from DDR) for a smaller memory");
  add_memory(out, "lstm.vector_buffer_bytes", p.vector_buffer_bytes, hw.vector_buffer_bytes, kBindInformational,
             "the program's vectors sit at the same places in a larger buffer");
}

void compare_platform(const PackageHeader& h, const HardwareAtHand& hw, ParameterList* out) {
  const PlatformRequirements& p = h.platform;
  const PlatformRequirements& at = hw.platform;
  if (at.ddr_size_bytes != 0) {
    const uint64_t needed = ddr_bytes_needed(h);
    if (needed > at.ddr_size_bytes)  // the package's value: what it needs (at most the DDR it recorded)
      add(out, "ddr.size_bytes", needed, at.ddr_size_bytes, kBindRefuse,
          "the package and its job's tensors need that many bytes of DDR");
    else if (p.ddr_size_bytes != 0)
      add(out, "ddr.size_bytes", p.ddr_size_bytes, at.ddr_size_bytes, kBindInformational,
          "the package and its job's tensors fit (the size was only checked)");
  }
  if (p.memory_bytes_per_second != 0 && at.memory_bytes_per_second != 0)
    add(out, "memory_bytes_per_second", p.memory_bytes_per_second, at.memory_bytes_per_second, kBindInformational,
        kPredictionOnly);
  if (h.hardware.pes != 0 && hw.has_cnn && p.cnn_clock_khz != 0 && at.cnn_clock_khz != 0)
    add(out, "cnn.clock_mhz", p.cnn_clock_khz, at.cnn_clock_khz, kBindInformational, kPredictionOnly, 1000);
  if (h.lstm.pes != 0 && hw.has_lstm && p.lstm_clock_khz != 0 && at.lstm_clock_khz != 0)
    add(out, "lstm.clock_mhz", p.lstm_clock_khz, at.lstm_clock_khz, kBindInformational, kPredictionOnly, 1000);
}

}  // namespace

const char* to_string(BindingClass binding) {
  switch (binding) {
    case kBindRefuse: return "refuse";
    case kBindSuboptimal: return "suboptimal";
    default: return "informational";
  }
}

const ParameterDifference* ParameterList::first(BindingClass binding) const {
  for (uint32_t i = 0; i < count; ++i)
    if (items[i].binding == binding) return &items[i];
  return nullptr;
}

uint64_t ddr_bytes_needed(const PackageHeader& h) {
  uint64_t bytes = h.total_bytes;
  for (const ArgWindow& w : h.args)
    if (w.kind == kArgInput || w.kind == kArgOutput || w.kind == kArgScratch) bytes += w.size;
  return bytes;
}

HardwareAtHand recorded_hardware(const PackageHeader& h) {
  HardwareAtHand hw;
  hw.has_cnn = h.hardware.pes != 0, hw.has_lstm = h.lstm.pes != 0;
  hw.cnn = h.hardware, hw.lstm = h.lstm, hw.platform = h.platform;
  return hw;
}

void compare_hardware(const PackageHeader& h, const HardwareAtHand& hw, ParameterList* out) {
  list_parameters(h, hw, out);
  uint32_t kept = 0;
  for (uint32_t i = 0; i < out->count; ++i)
    if (out->items[i].package_value != out->items[i].platform_value) out->items[kept++] = out->items[i];
  out->count = kept;
}

void list_parameters(const PackageHeader& h, const HardwareAtHand& hw, ParameterList* out) {
  out->count = 0;
  if (h.hardware.pes != 0 && hw.has_cnn) compare_cnn(h.hardware, hw.cnn, out);
  if (h.lstm.pes != 0) {
    if (hw.has_lstm) compare_lstm(h.lstm, hw.lstm, out);
    else add(out, "lstm.enabled", 1, 0, kBindRefuse, "the package runs on the sparse LSTM engine");
  }
  compare_platform(h, hw, out);
}

}  // namespace dlvp::package
