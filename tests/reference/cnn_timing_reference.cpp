#include "tests/reference/cnn_timing_reference.h"

#include <algorithm>
#include <vector>

namespace dlvp::ref {
namespace {

// The rows (or columns) a convolver streams for one dimension: every position from the first
// window's start to the last window's end, or, when the stride skips positions, only the windows'
// own K positions each. Returns, per streamed position, whether a window ends there.
std::vector<bool> window_ends(uint32_t in, uint32_t pad_before, uint32_t pad_after, uint32_t kernel, uint32_t stride,
                              uint32_t k) {
  const uint32_t outputs = (in + pad_before + pad_after - kernel) / stride + 1;
  const uint32_t step = std::min(stride, k);  // skipped positions are not streamed
  std::vector<bool> ends((outputs - 1) * step + k, false);
  for (uint32_t o = 0; o < outputs; ++o) ends[o * step + k - 1] = true;
  return ends;
}

// Adder-pipeline depth from a window's pixels to its accumulated sum: the multipliers, a binary
// tree over the K x K products, a tree over the convolvers, the accumulator, and the output
// stage (round, saturate, ReLU) when the pass writes results.
uint32_t pipeline_depth(const CnnCluster& c, bool writes_results) {
  const auto tree = [](uint64_t inputs) {
    uint32_t levels = 0;
    for (uint64_t width = 1; width < inputs; width *= 2) ++levels;
    return levels;
  };
  return c.multiplier_stages + tree(uint64_t{c.kernel} * c.kernel) + tree(c.convolvers) + 1 + (writes_results ? 1 : 0);
}

}  // namespace

ConvCycles simulate_conv(const CnnCluster& c, const ConvLayerShape& l) {
  const std::vector<bool> rows = window_ends(l.in_h, l.pad_top, l.pad_bottom, l.kernel_h, l.stride_h, c.kernel);
  const std::vector<bool> cols = window_ends(l.in_w, l.pad_left, l.pad_right, l.kernel_w, l.stride_w, c.kernel);
  const uint32_t depth = pipeline_depth(c, l.acc_last);
  const uint64_t taps = uint64_t{l.kernel_h} * l.kernel_w;
  const uint32_t groups = (l.in_c + c.convolvers - 1) / c.convolvers;

  ConvCycles out;
  uint64_t now = 0;              // cycle at which the cluster is ready for the next pass
  uint64_t loader_start = 0;     // when the weight loader may start on the next pass's weights
  uint64_t last_sum = 0;         // cycle at which the previous pass's last window ended
  bool first_pass = true;
  for (uint32_t first_channel = 0; first_channel < l.out_c; first_channel += c.pes) {
    const uint32_t pes = std::min(c.pes, l.out_c - first_channel);
    for (uint32_t g = 0; g < groups; ++g) {
      const uint32_t convolvers = std::min(c.convolvers, l.in_c - g * c.convolvers);
      const bool bias = g == 0 && l.acc_first;
      const bool shift = g + 1 == groups && l.acc_last && l.channel_shift;
      const uint64_t weight_bytes = uint64_t{pes} * (convolvers * taps + (bias ? 4 : 0) + (shift ? 1 : 0));
      const uint64_t weights_ready = loader_start + (weight_bytes + c.weight_port_bytes - 1) / c.weight_port_bytes;
      uint64_t start = std::max(now, weights_ready);
      out.weight_waits += start - now;
      loader_start = start;  // the next pass's weights load while this one streams
      // Stream pixel by pixel: the input port delivers input_port_bytes per cycle; each pixel
      // needs one byte per active convolver (broadcast to the PEs), at most one pixel per cycle.
      uint64_t cycle = start, credit = 0, first_window = 0, last_window = 0;
      bool any_window = false;
      for (size_t r = 0; r < rows.size(); ++r)
        for (size_t q = 0; q < cols.size(); ++q) {
          do {
            ++cycle;
            credit += c.input_port_bytes;
          } while (credit < convolvers);
          credit -= convolvers;  // with a port at least a bytes wide the rest only piles up unused
          ++out.streamed;
          if (rows[r] && cols[q]) {
            if (!any_window) first_window = cycle;
            any_window = true;
            last_window = cycle;
            ++out.windows;
            out.idle_pe_windows += c.pes - pes;
          }
        }
      // The pass's first sum enters the accumulator only after the previous pass's last sum left
      // the pipeline: the whole stream slips by the difference.
      if (!first_pass && first_window < last_sum + depth) {
        const uint64_t slip = last_sum + depth - first_window;
        out.drain_waits += slip;
        last_window += slip;
        cycle += slip;
      }
      first_pass = false;
      last_sum = last_window;
      now = cycle;
    }
  }
  out.drain_waits += depth;  // the last sums leave the pipeline
  out.cycles = now + depth + c.instruction_overhead_cycles;
  return out;
}

}  // namespace dlvp::ref
