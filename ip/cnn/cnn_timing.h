// The micro-architectural timing and activity model of the CNN PE cluster (docs/cnn.md, "Timing"
// and "Energy counters"): how many engine cycles a compute instruction takes, where they go (MAC
// windows, line-buffer fill, pipeline drain, buffer-port stalls, PE imbalance), and how many
// operations and transfers it performs at each level. Every figure is derived from the
// configuration and the instruction's shape. SystemC-free, so it can be tested alone.
#pragma once
#include "ip/cnn/cnn_config.h"
#include "ip/ifu/isa.h"

#include <cstdint>
#include <string>

namespace dlvp::cnn {

// Where the cycles of one instruction go. busy + fill + drain + weight_stall + input_port_stall +
// output_port_stall + postprocess + overhead = cycles.
struct InstructionTiming {
  uint64_t cycles = 0;
  uint64_t busy_cycles = 0;               // the multipliers compute a window (CONV) or a chunk (FC)
  uint64_t fill_cycles = 0;               // line-buffer fill, row edges and stride skips (no window)
  uint64_t drain_cycles = 0;              // pipeline drain not hidden behind the next pass
  uint64_t weight_stall_cycles = 0;       // weight loads not hidden behind the previous pass
  uint64_t input_port_stall_cycles = 0;   // input buffer port narrower than the convolvers' demand
  uint64_t output_port_stall_cycles = 0;  // partial-sum/result traffic beyond the output port
  uint64_t postprocess_cycles = 0;        // POOL/ELTWISE unit streaming its operands
  uint64_t overhead_cycles = 0;           // decode/issue around the instruction
  uint64_t imbalance_pe_cycles = 0;       // PE-cycles of busy time in which a PE had no output channel
  uint64_t macs = 0;                      // useful multiply-accumulates
  uint64_t passes_per_pe = 0;             // CONV: output-channel steps x groups x kernel pieces; FC: steps
  double pe_imbalance = 0;                // share of PE slots without an output channel (0 = balanced)
  double utilization = 0;                 // macs / (cycles x P x C x K x K)

  uint64_t stall_cycles() const { return cycles - busy_cycles - postprocess_cycles; }
  InstructionTiming& operator+=(const InstructionTiming& o);
};

// Operations and transfers of one instruction: what the energy counters count.
struct InstructionActivity {
  uint64_t mul8 = 0;                   // 8-bit multiplies (= MACs)
  uint64_t add32 = 0;                  // wide adds: convolver sums, adder tree, accumulator, ELTWISE
  uint64_t cmp8 = 0;                   // 8-bit compares of max pooling
  uint64_t add16 = 0;                  // 16-bit adds of average pooling
  uint64_t accumulator_accesses = 0;   // accumulator reads + writes (accumulator_bits wide)
  uint64_t line_buffer_transfers = 0;  // 8-bit writes + reads of the convolvers' line buffers
  uint64_t broadcast_transfers = 0;    // 8-bit pixels delivered from the input port to a PE
  uint64_t input_bytes_read = 0;       // input buffer (POOL/ELTWISE sources included)
  uint64_t weight_bytes_read = 0;      // weights and biases
  uint64_t output_bytes_read = 0;      // partial sums (and a POOL source in the output buffer)
  uint64_t output_bytes_written = 0;   // partial sums and int8 results
  uint64_t lut_accesses = 0;           // 8-bit activation LUT writes (its fill) + reads (one per result)
};

struct InstructionCost {
  InstructionTiming timing;
  InstructionActivity activity;
};

// Throws ConfigError naming `owner` and the key when a parameter the model divides by or sizes
// hardware from is out of range (a CnnConfig built in code skips the scenario's range checks).
void validate(const CnnConfig& config, const std::string& owner);

class TimingModel {
 public:
  explicit TimingModel(const CnnConfig& config);

  // Cost of a compute instruction that passed cnn::check (shapes bounded by the buffers); other
  // opcodes cost nothing.
  InstructionCost cost(const isa::Instruction& instruction) const;

  const CnnConfig& config() const { return config_; }
  uint64_t multipliers() const { return uint64_t{config_.pes} * config_.convolvers * config_.kernel * config_.kernel; }
  double peak_gops() const { return config_.peak_ops_per_second() * 1e-9; }
  // Pipeline from a window's pixels to its accumulated sum: multiplier stages + convolver sum
  // tree ceil(log2(K^2)) + adder tree ceil(log2(C)) + 1 accumulator stage, + 1 output stage
  // (round, saturate, ReLU) with AccLast, + 1 with pooling. Depthwise CONV bypasses the adder
  // tree (adder_tree false).
  uint32_t pipeline_depth(bool acc_last, bool pool, bool adder_tree = true) const;
  // Version 3's activation unit in the output stage: one pipeline stage per unit (clip, table).
  static uint32_t activation_stages(uint16_t flags);
  // Cycles to read the 256-byte table into the LUT through the weight port (kFlagTable), once per
  // instruction before its first result.
  uint64_t table_load_cycles(uint16_t flags) const;

 private:
  InstructionCost conv_cost(const isa::Conv& c) const;
  InstructionCost fc_cost(const isa::Fc& f) const;
  InstructionCost pool_cost(const isa::Pool& p) const;
  InstructionCost eltwise_cost(const isa::Eltwise& e) const;
  void finish(InstructionTiming& t) const;  // adds overhead, totals cycles, utilization

  CnnConfig config_;
};

// A sliding window of `window` over `in` positions (starting at `offset`, which may be negative
// for padding) with `n_out` outputs at `stride`, as a line buffer streams it: `span` positions
// pass through (padding zeros included), `real` of them are inside [0, in) and read from SRAM.
// For stride <= window every position from the first to the last window is streamed:
// span = (n_out - 1) x stride + window; for stride > window the gaps are skipped: n_out x window.
struct StreamExtent {
  uint64_t span = 0;
  uint64_t real = 0;
};
StreamExtent stream_extent(uint32_t n_out, uint32_t stride, uint32_t window, int64_t offset, uint32_t in);

}  // namespace dlvp::cnn
