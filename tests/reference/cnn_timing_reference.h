// An independent timing model of the CNN PE cluster's CONV (docs/cnn.md, "Timing"), written from
// the micro-architecture's description rather than from ip/cnn/cnn_timing's formulas: a timeline
// of passes in which each convolver's line buffer streams its map pixel by pixel (windows found
// by position, the input port delivering bytes cycle by cycle), the weight loader fills the next
// pass's weights while a pass streams, and a pass's first sum waits for the previous pass's last
// one to leave the adder pipeline. For kernels that fit one convolver (kernel_h, kernel_w <= K),
// no pooling, and an output port wide enough for the partial-sum traffic. The engine's model must
// agree with it cycle for cycle (tests/unit/cnn/test_cnn_timing_reference.cpp); no shared code.
#pragma once
#include <cstdint>

namespace dlvp::ref {

struct CnnCluster {
  uint32_t pes = 2, convolvers = 16, kernel = 3;
  uint32_t input_port_bytes = 16, weight_port_bytes = 32;
  uint32_t multiplier_stages = 2, instruction_overhead_cycles = 8;
};

struct ConvLayerShape {
  uint32_t in_c = 1, in_h = 1, in_w = 1, out_c = 1;
  uint32_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1;
  uint32_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  bool acc_first = true, acc_last = true;
  bool channel_shift = false;  // ISA v3: a per-channel int8 shift read with the last group's weights
};

struct ConvCycles {
  uint64_t cycles = 0;
  uint64_t windows = 0;          // cycles in which a window completed, summed over passes (one PE)
  uint64_t streamed = 0;         // pixels streamed, summed over passes (one convolver)
  uint64_t weight_waits = 0;     // cycles a pass waited for its weights
  uint64_t drain_waits = 0;      // cycles a pass waited for the previous pass's sums, + the last drain
  uint64_t idle_pe_windows = 0;  // PE-cycles of windows in which a PE had no output channel
};

ConvCycles simulate_conv(const CnnCluster& cluster, const ConvLayerShape& layer);

}  // namespace dlvp::ref
