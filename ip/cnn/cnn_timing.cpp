// Timing and activity of the CNN PE cluster's compute instructions; the formulas are written out
// in docs/cnn.md ("Timing", "Energy counters").
#include "ip/cnn/cnn_timing.h"

#include "ip/cnn/activation_unit.h"
#include "ip/cnn/channel_shift.h"
#include "ip/cnn/cnn_arith.h"
#include "ip/common/config_error.h"

#include <algorithm>
#include <vector>

namespace dlvp::cnn {
namespace {

constexpr uint64_t kPsumBytes = 4;  // partial sums are int32 in the output buffer (docs/isa.md)
constexpr uint64_t kBiasBytes = 4;  // biases are int32 in the weight buffer
constexpr uint64_t kShiftBytes = 1;  // a per-channel output shift is int8 in the weight buffer (ISA v3)

uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }
uint64_t minus_floor0(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

uint32_t ceil_log2(uint64_t n) {
  uint32_t depth = 0;
  while ((uint64_t{1} << depth) < n) ++depth;
  return depth;
}

// Positions of [start, start + length) that lie inside [0, in).
uint64_t overlap(int64_t start, uint64_t length, uint32_t in) {
  const int64_t lo = std::max<int64_t>(start, 0);
  const int64_t hi = std::min<int64_t>(start + static_cast<int64_t>(length), in);
  return hi > lo ? static_cast<uint64_t>(hi - lo) : 0;
}

// Elements inside the map summed over all windows of one dimension (padding excluded).
uint64_t valid_window_elements(uint32_t n_out, uint32_t stride, uint32_t window, int64_t offset, uint32_t in) {
  uint64_t sum = 0;
  for (uint32_t o = 0; o < n_out; ++o) sum += overlap(offset + int64_t{o} * stride, window, in);
  return sum;
}

// One K x K piece of a kernel (kernels larger than K are cut into ceil(kh/K) x ceil(kw/K) of them)
// and what a convolver streams for it.
struct Piece {
  uint64_t taps = 0;          // real weights of the piece (<= K x K)
  uint64_t stream = 0;        // pixels streamed per convolver = cycles at one pixel per cycle
  uint64_t real_pixels = 0;   // of those, pixels read from the input buffer (the rest: padding zeros)
  uint64_t first_window = 0;  // pixels streamed before the first complete window: (K-1) x span_w + K
};

// What one pass keeps busy: `convolvers` convolvers on `active_pes` PEs, fed `input_lanes` bytes
// per streamed pixel by the input port, producing `channels` output channels' sums. Dense and
// grouped CONV: p PEs x a convolvers, a lanes broadcast to all PEs, p channels (adder tree);
// depthwise: n convolvers each with its own channel, n lanes, n channels (adder tree bypassed).
struct PassLoad {
  uint64_t active_pes = 0;
  uint64_t convolvers = 0;
  uint64_t input_lanes = 0;
  uint64_t channels = 0;
};

// How a CONV maps onto the PEs (docs/cnn.md, "Grouped and depthwise CONV"). A step is one
// output channel per PE (dense, grouped) or one channel per convolver (depthwise); a run is a
// sequence of `steps` steps of which the last may be partial; grouped CONV repeats the run for
// each of its groups.
struct ConvGeometry {
  ConvShape shape;
  uint64_t windows = 0;  // out_h x out_w per output channel and pass
  uint64_t pooled = 0;   // int8 results per output channel (after pooling) with AccLast
  bool depthwise = false;      // groups = in_c = out_c >= 2: each convolver its own channel
  uint64_t runs = 1;           // groups run one after the other (grouped mode: G; else 1)
  uint64_t group_in_c = 0;     // input channels an output channel reads: in_c / G
  uint64_t input_blocks = 0;   // blocks of C input channels per output channel: ceil(group_in_c / C)
  uint64_t full_block = 0, last_block = 0;  // convolvers busy in a full block / in the last block
  std::vector<Piece> pieces;
  uint64_t steps = 0;                    // steps of one run
  PassLoad full_step, last_step;         // the load of a run's full steps and of its last step
  bool acc_first = false, acc_last = false, pool = false;
  bool channel_shift = false;  // AccLast reads each channel's shift through the weight port

  uint64_t passes_per_channel() const { return input_blocks * pieces.size(); }
  uint64_t total_steps() const { return runs * steps; }
};

// Dense or grouped: a run is one group's out_c/G output channels over the P PEs, P at a time,
// each streaming the group's in_c/G input channels C at a time.
void map_output_channels(const isa::Conv& c, const CnnConfig& cfg, ConvGeometry& g) {
  const uint64_t groups = isa::conv_groups(c), group_out = c.out_c / groups;
  g.runs = groups;
  g.input_blocks = ceil_div(g.group_in_c, cfg.convolvers);
  g.full_block = std::min<uint64_t>(g.group_in_c, cfg.convolvers);
  g.last_block = g.group_in_c - (g.input_blocks - 1) * cfg.convolvers;
  g.steps = ceil_div(group_out, cfg.pes);
  const uint64_t last_pes = group_out - (g.steps - 1) * cfg.pes;
  g.full_step = {cfg.pes, cfg.pes, 0, cfg.pes};  // convolvers and lanes are set per input block
  g.last_step = {last_pes, last_pes, 0, last_pes};
}

// Depthwise: P x C channels per step, one per convolver (PE p takes the step's channels
// [p C, (p + 1) C)); the input port delivers one byte of each channel per streamed pixel.
void map_depthwise(const isa::Conv& c, const CnnConfig& cfg, ConvGeometry& g) {
  const uint64_t per_step = uint64_t{cfg.pes} * cfg.convolvers;
  g.runs = 1;
  g.input_blocks = 1;
  g.full_block = g.last_block = 1;
  g.steps = ceil_div(c.out_c, per_step);
  const uint64_t last = c.out_c - (g.steps - 1) * per_step;
  g.full_step = {cfg.pes, per_step, per_step, per_step};
  g.last_step = {ceil_div(last, cfg.convolvers), last, last, last};
}

ConvGeometry conv_geometry(const isa::Conv& c, const CnnConfig& cfg) {
  ConvGeometry g;
  g.shape = conv_shape(c);
  g.acc_first = c.header.flags & isa::kFlagAccFirst;
  g.acc_last = c.header.flags & isa::kFlagAccLast;
  g.pool = g.acc_last && (c.header.flags & isa::kFlagPool);
  g.channel_shift = uses_channel_shifts(c.header.flags);
  g.windows = uint64_t{g.shape.out_h} * g.shape.out_w;
  g.pooled = uint64_t{g.shape.pool_h} * g.shape.pool_w;
  g.group_in_c = isa::conv_group_in_c(c);
  g.depthwise = isa::conv_groups(c) > 1 && c.in_c == c.out_c && g.group_in_c == 1;
  if (g.depthwise)
    map_depthwise(c, cfg, g);
  else
    map_output_channels(c, cfg, g);
  const uint32_t k = cfg.kernel;
  for (uint32_t py = 0; py * k < c.kernel_h; ++py) {
    const StreamExtent rows =
        stream_extent(g.shape.out_h, c.stride_h, k, int64_t{py} * k - c.pad_top, c.in_h);
    for (uint32_t px = 0; px * k < c.kernel_w; ++px) {
      const StreamExtent cols =
          stream_extent(g.shape.out_w, c.stride_w, k, int64_t{px} * k - c.pad_left, c.in_w);
      Piece piece;
      piece.taps = uint64_t{std::min(k, c.kernel_h - py * k)} * std::min(k, c.kernel_w - px * k);
      piece.stream = rows.span * cols.span;
      piece.real_pixels = rows.real * cols.real;
      piece.first_window = uint64_t{k - 1} * cols.span + k;
      g.pieces.push_back(piece);
    }
  }
  return g;
}

// One pass of every active PE over one (input-channel block, kernel piece).
struct PassPosition {
  bool first_of_channel, last_of_channel;  // the first/last pass of an output channel
  bool first_of_instruction;
};

}  // namespace

InstructionTiming& InstructionTiming::operator+=(const InstructionTiming& o) {
  cycles += o.cycles;
  busy_cycles += o.busy_cycles;
  fill_cycles += o.fill_cycles;
  drain_cycles += o.drain_cycles;
  weight_stall_cycles += o.weight_stall_cycles;
  input_port_stall_cycles += o.input_port_stall_cycles;
  output_port_stall_cycles += o.output_port_stall_cycles;
  postprocess_cycles += o.postprocess_cycles;
  overhead_cycles += o.overhead_cycles;
  imbalance_pe_cycles += o.imbalance_pe_cycles;
  macs += o.macs;
  passes_per_pe += o.passes_per_pe;
  return *this;
}

void validate(const CnnConfig& c, const std::string& owner) {
  auto require = [&](bool ok, const char* key, uint64_t value, const char* range) {
    if (!ok) throw ConfigError(owner + ": cnn." + key + " = " + std::to_string(value) + " is out of range " + range);
  };
  require(c.pes >= 1 && c.pes <= 64, "pes", c.pes, "[1, 64]");
  require(c.convolvers >= 1 && c.convolvers <= 256, "convolvers", c.convolvers, "[1, 256]");
  require(c.kernel >= 1 && c.kernel <= 15, "kernel", c.kernel, "[1, 15]");
  require(c.input_port_bytes >= 1 && c.input_port_bytes <= 4096, "input_port_bytes", c.input_port_bytes, "[1, 4096]");
  require(c.weight_port_bytes >= 1 && c.weight_port_bytes <= 4096, "weight_port_bytes", c.weight_port_bytes,
          "[1, 4096]");
  require(c.output_port_bytes >= 1 && c.output_port_bytes <= 4096, "output_port_bytes", c.output_port_bytes,
          "[1, 4096]");
  require(c.accumulator_bits >= 16 && c.accumulator_bits <= 32, "accumulator_bits", c.accumulator_bits, "[16, 32]");
  require(c.multiplier_stages <= 16, "multiplier_stages", c.multiplier_stages, "[0, 16]");
  constexpr uint64_t kMinBuffer = 1024, kMaxBuffer = uint64_t{64} << 20;  // as the scenario keys allow
  require(c.input_buffer_bytes >= kMinBuffer && c.input_buffer_bytes <= kMaxBuffer, "input_buffer_bytes",
          c.input_buffer_bytes, "[1024, 67108864]");
  require(c.weight_buffer_bytes >= kMinBuffer && c.weight_buffer_bytes <= kMaxBuffer, "weight_buffer_bytes",
          c.weight_buffer_bytes, "[1024, 67108864]");
  require(c.output_buffer_bytes >= kMinBuffer && c.output_buffer_bytes <= kMaxBuffer, "output_buffer_bytes",
          c.output_buffer_bytes, "[1024, 67108864]");
  if (!(c.clock_mhz >= 1.0 && c.clock_mhz <= 10000.0))
    throw ConfigError(owner + ": cnn.clock_mhz = " + std::to_string(c.clock_mhz) + " is out of range [1, 10000]");
}

StreamExtent stream_extent(uint32_t n_out, uint32_t stride, uint32_t window, int64_t offset, uint32_t in) {
  StreamExtent e;
  if (n_out == 0) return e;
  if (stride <= window) {
    e.span = uint64_t{n_out - 1} * stride + window;
    e.real = overlap(offset, e.span, in);
  } else {
    e.span = uint64_t{n_out} * window;
    e.real = valid_window_elements(n_out, stride, window, offset, in);
  }
  return e;
}

TimingModel::TimingModel(const CnnConfig& config) : config_(config) { validate(config_, "cnn timing model"); }

uint32_t TimingModel::pipeline_depth(bool acc_last, bool pool, bool adder_tree) const {
  const uint64_t kk = uint64_t{config_.kernel} * config_.kernel;
  return config_.multiplier_stages + ceil_log2(kk) + (adder_tree ? ceil_log2(config_.convolvers) : 0) + 1 +
         (acc_last ? 1 : 0) + (pool ? 1 : 0);
}

uint32_t TimingModel::activation_stages(uint16_t flags) {
  return ((flags & isa::kFlagClip) ? 1 : 0) + ((flags & isa::kFlagTable) ? 1 : 0);
}

uint64_t TimingModel::table_load_cycles(uint16_t flags) const {
  return (flags & isa::kFlagTable) ? ceil_div(kActivationTableBytes, config_.weight_port_bytes) : 0;
}

InstructionCost TimingModel::cost(const isa::Instruction& in) const {
  // Empty shapes never pass cnn::check; they cost nothing rather than wrapping counts around.
  switch (in.header.opcode) {
    case isa::kOpConv: {
      const ConvShape s = conv_shape(in.conv);
      const bool empty = in.conv.in_c == 0 || in.conv.out_c == 0 || s.out_h == 0 || s.out_w == 0;
      return empty ? InstructionCost{} : conv_cost(in.conv);
    }
    case isa::kOpFc: return in.fc.n_in == 0 || in.fc.n_out == 0 ? InstructionCost{} : fc_cost(in.fc);
    case isa::kOpPool: {
      const PoolShape s = pool_shape(in.pool);
      return s.out_h == 0 || s.out_w == 0 || in.pool.c == 0 ? InstructionCost{} : pool_cost(in.pool);
    }
    case isa::kOpEltwise: return eltwise_cost(in.eltwise);
    default: return {};
  }
}

void TimingModel::finish(InstructionTiming& t) const {
  t.overhead_cycles = config_.instruction_overhead_cycles;
  t.cycles = t.busy_cycles + t.fill_cycles + t.drain_cycles + t.weight_stall_cycles + t.input_port_stall_cycles +
             t.output_port_stall_cycles + t.postprocess_cycles + t.overhead_cycles;
  t.utilization = t.cycles ? double(t.macs) / (double(t.cycles) * double(multipliers())) : 0.0;
}

// ---- CONV -----------------------------------------------------------------------------------

namespace {

// n copies of a step, summed by doubling (an instruction may have thousands of steps).
InstructionTiming scaled(const InstructionTiming& t, uint64_t n) {
  InstructionTiming sum, power = t;
  for (; n; n >>= 1) {
    if (n & 1) sum += power;
    power += power;
  }
  return sum;
}

struct StepResult {
  InstructionTiming timing;
  uint64_t last_stream = 0;  // cycles of the step's last pass: what the next weight load hides behind
};

// A pass streams its input through the line buffers at one pixel per cycle per convolver, slowed
// by the input port (a bytes per cycle needed) and by the output port (psum read-modify-write).
// Its weights load during the previous pass; the previous pass's drain overlaps this pass's fill.
struct ConvPassModel {
  const CnnConfig& cfg;
  const ConvGeometry& g;
  uint32_t depth;

  void run(const Piece& piece, const PassPosition& at, const PassLoad& load, uint64_t& prev_stream,
           InstructionTiming& t) const {
    const uint64_t s = piece.stream;
    const uint64_t input_limited = std::max(s, ceil_div(s * load.input_lanes, cfg.input_port_bytes));
    const uint64_t psum_read = (at.first_of_channel && g.acc_first) ? 0 : kPsumBytes;
    const uint64_t psum_write = (at.last_of_channel && g.acc_last) ? 0 : kPsumBytes;
    const uint64_t results = (at.last_of_channel && g.acc_last) ? g.pooled : 0;
    const uint64_t output_bytes = load.channels * (g.windows * (psum_read + psum_write) + results);
    const uint64_t stream = std::max(input_limited, ceil_div(output_bytes, cfg.output_port_bytes));
    const uint64_t bias = (at.first_of_channel && g.acc_first) ? kBiasBytes : 0;
    // The output stage's shift arrives with the weights of the channel's last pass.
    const uint64_t shift = (at.last_of_channel && g.channel_shift) ? kShiftBytes : 0;
    const uint64_t weight_cycles =
        ceil_div(load.convolvers * piece.taps + load.channels * (bias + shift), cfg.weight_port_bytes);
    const uint64_t weight_stall = minus_floor0(weight_cycles, prev_stream);
    // The first window's pixels arrive at the input port's pace too: its sum can enter the
    // accumulator no earlier than that, which hides that much of the previous pass's drain.
    const uint64_t first_window_cycles =
        std::max(piece.first_window, ceil_div(piece.first_window * load.input_lanes, cfg.input_port_bytes));
    const uint64_t drain = at.first_of_instruction ? 0 : minus_floor0(depth, first_window_cycles + weight_stall);

    t.busy_cycles += g.windows;
    t.fill_cycles += s - g.windows;
    t.input_port_stall_cycles += input_limited - s;
    t.output_port_stall_cycles += stream - input_limited;
    t.weight_stall_cycles += weight_stall;
    t.drain_cycles += drain;
    t.imbalance_pe_cycles += (cfg.pes - load.active_pes) * g.windows;
    prev_stream = stream + drain;  // the next pass's weights load while this one waits for the drain too
  }

  // One step (`load`): every input block, every piece.
  StepResult step(const PassLoad& load, uint64_t prev_stream, bool first_step) const {
    StepResult r;
    uint64_t prev = prev_stream;
    const uint64_t passes = g.passes_per_channel();
    uint64_t index = 0;
    for (uint64_t block = 0; block < g.input_blocks; ++block) {
      PassLoad pass = load;
      if (!g.depthwise) {  // p PEs x the block's convolvers, its channels broadcast
        pass.input_lanes = block + 1 < g.input_blocks ? g.full_block : g.last_block;
        pass.convolvers = load.active_pes * pass.input_lanes;
      }
      for (const Piece& piece : g.pieces) {
        const PassPosition at{index == 0, index + 1 == passes, first_step && index == 0};
        run(piece, at, pass, prev, r.timing);
        ++index;
      }
    }
    r.timing.passes_per_pe = passes;
    r.last_stream = prev;
    return r;
  }

  // A run: steps - 1 full steps, then the last one. A step's first weights load behind the
  // previous step's last pass, whose length (with its drain wait) depends on its own weight wait:
  // step by step until a step ends as the one before it (at most pipeline-depth steps: the length
  // only grows, by at most the depth), then n copies.
  StepResult steps(uint64_t prev_stream, bool first_of_instruction) const {
    if (g.steps == 1) return step(g.last_step, prev_stream, first_of_instruction);
    StepResult first = step(g.full_step, prev_stream, first_of_instruction);
    StepResult r;
    r.timing = first.timing;
    uint64_t prev = first.last_stream, middle_steps = g.steps - 2;
    while (middle_steps > 0) {
      const StepResult middle = step(g.full_step, prev, false);
      if (middle.last_stream == prev) {
        r.timing += scaled(middle.timing, middle_steps);
        break;
      }
      r.timing += middle.timing;
      prev = middle.last_stream;
      --middle_steps;
    }
    const StepResult last = step(g.last_step, prev, false);
    r.timing += last.timing;
    r.last_stream = last.last_stream;
    return r;
  }
};

// The activation unit's work on `results` int8 outputs: two compares per clip, the LUT's fill
// through the weight port and one LUT read per result; its table load delays the first result.
void add_activation(uint16_t flags, uint64_t results, uint64_t table_cycles, InstructionCost& cost) {
  if (flags & isa::kFlagClip) cost.activity.cmp8 += 2 * results;
  if (!(flags & isa::kFlagTable)) return;
  cost.activity.lut_accesses += kActivationTableBytes + results;
  cost.activity.weight_bytes_read += kActivationTableBytes;
  cost.timing.weight_stall_cycles += table_cycles;
}

InstructionActivity conv_activity(const isa::Conv& c, const ConvGeometry& g, const CnnConfig& cfg) {
  InstructionActivity a;
  uint64_t stream = 0, real = 0;
  for (const Piece& p : g.pieces) {
    stream += p.stream;
    real += p.real_pixels;
  }
  const uint64_t passes = g.passes_per_channel();
  a.mul8 = g.shape.macs;
  a.add32 = g.shape.macs;  // per window: a(t-1) convolver + (a-1) tree + 1 accumulator adds = a x t
  a.cmp8 = g.pool ? uint64_t{c.out_c} * g.pooled * (uint64_t{c.pool_size} * c.pool_size - 1) : 0;
  a.accumulator_accesses = 2 * uint64_t{c.out_c} * g.windows * passes;  // one write + one read per pass
  a.broadcast_transfers = uint64_t{c.out_c} * g.group_in_c * stream;
  a.line_buffer_transfers = a.broadcast_transfers * 2 * (cfg.kernel - 1);  // K-1 row FIFOs: write + read
  // Dense/grouped: a group's channels are re-streamed for every step, shared by its PEs;
  // depthwise: each channel is streamed once, to its own convolver.
  a.input_bytes_read = (g.depthwise ? uint64_t{c.in_c} : g.total_steps() * g.group_in_c) * real;
  a.weight_bytes_read = uint64_t{c.out_c} * g.group_in_c * c.kernel_h * c.kernel_w +
                        (g.acc_first ? kBiasBytes * c.out_c : 0) + (g.channel_shift ? kShiftBytes * c.out_c : 0);
  a.output_bytes_read = kPsumBytes * c.out_c * g.windows * (passes - (g.acc_first ? 1 : 0));
  a.output_bytes_written = kPsumBytes * c.out_c * g.windows * (passes - (g.acc_last ? 1 : 0)) +
                           (g.acc_last ? uint64_t{c.out_c} * g.pooled : 0);
  return a;
}

}  // namespace

InstructionCost TimingModel::conv_cost(const isa::Conv& c) const {
  const ConvGeometry g = conv_geometry(c, config_);
  const uint32_t act_stages = g.acc_last ? activation_stages(c.header.flags) : 0;
  const ConvPassModel model{config_, g, pipeline_depth(g.acc_last, g.pool, !g.depthwise) + act_stages};
  InstructionCost cost;
  InstructionTiming& t = cost.timing;
  // Grouped: the groups' runs one after the other, the next run's first weights loading behind
  // the previous run's last pass; by the same fixed point as the steps, then n copies.
  StepResult run = model.steps(0, true);
  t = run.timing;
  uint64_t prev = run.last_stream, runs_left = g.runs - 1;
  while (runs_left > 0) {
    const StepResult next = model.steps(prev, false);
    if (next.last_stream == prev) {
      t += scaled(next.timing, runs_left);
      break;
    }
    t += next.timing;
    prev = next.last_stream;
    --runs_left;
  }
  t.drain_cycles += model.depth;  // the last pass drains in full
  t.macs = g.shape.macs;
  const uint64_t pe_slots = g.total_steps() * config_.pes;
  const uint64_t pe_used = g.runs * ((g.steps - 1) * g.full_step.active_pes + g.last_step.active_pes);
  t.pe_imbalance = double(pe_slots - pe_used) / double(pe_slots);
  cost.activity = conv_activity(c, g, config_);
  if (g.acc_last)
    add_activation(c.header.flags, uint64_t{c.out_c} * g.windows, table_load_cycles(c.header.flags), cost);
  finish(t);
  return cost;
}

// ---- FC -------------------------------------------------------------------------------------

// Each step gives one output to each active PE; the C x K x K multipliers of a PE take a chunk of
// the input vector per cycle, fed by the input port (the chunk is broadcast) and by the weight
// port (every active PE needs its own C x K x K weights per cycle).
InstructionCost TimingModel::fc_cost(const isa::Fc& f) const {
  const bool acc_first = f.header.flags & isa::kFlagAccFirst, acc_last = f.header.flags & isa::kFlagAccLast;
  const uint64_t chunk = uint64_t{config_.convolvers} * config_.kernel * config_.kernel;
  const uint64_t compute = ceil_div(f.n_in, chunk);
  const uint64_t steps = ceil_div(f.n_out, config_.pes);
  const uint64_t last_pes = f.n_out - (steps - 1) * config_.pes;
  const uint64_t out_bytes = (acc_first ? 0 : kPsumBytes) + (acc_last ? 1 : kPsumBytes);
  // Per output: its weights, its bias (AccFirst), its shift (ISA v3 per-channel shifts).
  const uint64_t per_output_extra =
      (acc_first ? kBiasBytes : 0) + (uses_channel_shifts(f.header.flags) ? kShiftBytes : 0);

  auto step = [&](uint64_t active) {
    InstructionTiming s;
    const uint64_t input = std::max(compute, ceil_div(f.n_in, config_.input_port_bytes));
    const uint64_t weight =
        std::max(input, ceil_div(active * (f.n_in + per_output_extra), config_.weight_port_bytes));
    const uint64_t output = std::max(weight, ceil_div(active * out_bytes, config_.output_port_bytes));
    s.busy_cycles = compute;
    s.input_port_stall_cycles = input - compute;
    s.weight_stall_cycles = weight - input;
    s.output_port_stall_cycles = output - weight;
    s.imbalance_pe_cycles = (config_.pes - active) * compute;
    s.passes_per_pe = 1;
    return s;
  };
  InstructionCost cost;
  InstructionTiming& t = cost.timing;
  t = scaled(step(config_.pes), steps - 1);
  t += step(last_pes);
  t.drain_cycles = pipeline_depth(acc_last, false) + (acc_last ? activation_stages(f.header.flags) : 0);
  t.macs = uint64_t{f.n_in} * f.n_out;
  t.pe_imbalance = double(steps * config_.pes - f.n_out) / double(steps * config_.pes);

  InstructionActivity& a = cost.activity;
  a.mul8 = a.add32 = t.macs;
  a.accumulator_accesses = 2 * compute * f.n_out;  // read-modify-write per chunk
  a.broadcast_transfers = uint64_t{f.n_in} * f.n_out;
  a.input_bytes_read = steps * f.n_in;
  a.weight_bytes_read = t.macs + per_output_extra * f.n_out;
  a.output_bytes_read = acc_first ? 0 : kPsumBytes * f.n_out;
  a.output_bytes_written = (acc_last ? 1 : kPsumBytes) * uint64_t{f.n_out};
  if (acc_last) add_activation(f.header.flags, f.n_out, table_load_cycles(f.header.flags), cost);
  finish(t);
  return cost;
}

// ---- POOL and ELTWISE: the post-processing unit -------------------------------------------------

// Streams its source at the source port's width and writes through the output port (one shared
// port when the source is the output buffer); a compare/add tree of depth ceil(log2(size^2)) and a
// write stage drain at the end.
InstructionCost TimingModel::pool_cost(const isa::Pool& p) const {
  const PoolShape s = pool_shape(p);
  const StreamExtent rows = stream_extent(s.out_h, p.stride, p.size, -int64_t{p.pad_top}, p.in_h);
  const StreamExtent cols = stream_extent(s.out_w, p.stride, p.size, -int64_t{p.pad_left}, p.in_w);
  const uint64_t in_bytes = uint64_t{p.c} * rows.real * cols.real;
  const uint64_t outputs = uint64_t{p.c} * s.out_h * s.out_w;
  InstructionCost cost;
  InstructionTiming& t = cost.timing;
  t.postprocess_cycles = p.source == isa::kBufOutput
                             ? ceil_div(in_bytes + outputs, config_.output_port_bytes)
                             : std::max(ceil_div(in_bytes, config_.input_port_bytes),
                                        ceil_div(outputs, config_.output_port_bytes));
  t.drain_cycles = ceil_log2(uint64_t{p.size} * p.size) + 1;
  finish(t);

  InstructionActivity& a = cost.activity;
  const uint64_t valid = uint64_t{p.c} *
                         valid_window_elements(s.out_h, p.stride, p.size, -int64_t{p.pad_top}, p.in_h) *
                         valid_window_elements(s.out_w, p.stride, p.size, -int64_t{p.pad_left}, p.in_w);
  const uint64_t reductions = minus_floor0(valid, outputs);  // n elements need n - 1 compares or adds
  if (p.header.flags & isa::kFlagAvgPool) a.add16 = reductions;
  else a.cmp8 = reductions;
  if (p.source == isa::kBufOutput) a.output_bytes_read = in_bytes;
  else a.input_bytes_read = in_bytes;
  a.output_bytes_written = outputs;
  return cost;
}

// Reads a and b through the input port (b once per broadcast run: a b element is held while its
// run of a streams), writes y through the output port; an add (or multiply) stage, a
// round/saturate stage and the activation unit's stages drain at the end.
InstructionCost TimingModel::eltwise_cost(const isa::Eltwise& e) const {
  constexpr uint64_t kEltwiseStages = 2;
  const bool mul = e.op == isa::kEltwiseMul;
  const uint64_t b_count = eltwise_b_count(e);
  InstructionCost cost;
  InstructionTiming& t = cost.timing;
  t.postprocess_cycles = std::max(ceil_div(uint64_t{e.count} + b_count, config_.input_port_bytes),
                                  ceil_div(e.count, config_.output_port_bytes));
  t.drain_cycles = kEltwiseStages + activation_stages(e.header.flags);
  InstructionActivity& a = cost.activity;
  const uint64_t rounding = e.output_shift > 0 ? e.count : 0;  // the rounding add
  if (mul) a.mul8 = e.count;
  a.add32 = (mul ? 0 : uint64_t{e.count}) + rounding;  // the sum, plus the rounding add
  a.input_bytes_read = uint64_t{e.count} + b_count;
  a.output_bytes_written = e.count;
  add_activation(e.header.flags, e.count, table_load_cycles(e.header.flags), cost);
  finish(t);
  return cost;
}

}  // namespace dlvp::cnn
