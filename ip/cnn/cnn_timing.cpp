// Timing and activity of the CNN PE cluster's compute instructions; the formulas are written out
// in docs/cnn.md ("Timing", "Energy counters").
#include "ip/cnn/cnn_timing.h"

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

struct ConvGeometry {
  ConvShape shape;
  uint64_t windows = 0;  // out_h x out_w per output channel and pass
  uint64_t pooled = 0;   // int8 results per output channel (after pooling) with AccLast
  uint64_t groups = 0;   // input-channel groups of C: ceil(in_c / C)
  uint64_t full_group = 0, last_group = 0;  // convolvers busy in a full group / in the last group
  std::vector<Piece> pieces;
  uint64_t steps = 0;          // output channels on the busiest PE: ceil(out_c / P)
  uint64_t last_step_pes = 0;  // PEs with an output channel in the last step
  bool acc_first = false, acc_last = false, pool = false;
  bool channel_shift = false;  // AccLast reads each channel's shift through the weight port

  uint64_t passes_per_channel() const { return groups * pieces.size(); }
};

ConvGeometry conv_geometry(const isa::Conv& c, const CnnConfig& cfg) {
  ConvGeometry g;
  g.shape = conv_shape(c);
  g.acc_first = c.header.flags & isa::kFlagAccFirst;
  g.acc_last = c.header.flags & isa::kFlagAccLast;
  g.pool = g.acc_last && (c.header.flags & isa::kFlagPool);
  g.channel_shift = uses_channel_shifts(c.header.flags);
  g.windows = uint64_t{g.shape.out_h} * g.shape.out_w;
  g.pooled = uint64_t{g.shape.pool_h} * g.shape.pool_w;
  g.groups = ceil_div(c.in_c, cfg.convolvers);
  g.full_group = std::min<uint64_t>(c.in_c, cfg.convolvers);
  g.last_group = c.in_c - (g.groups - 1) * cfg.convolvers;
  g.steps = ceil_div(c.out_c, cfg.pes);
  g.last_step_pes = c.out_c - (g.steps - 1) * cfg.pes;
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

// One pass of every active PE over one (input-channel group, kernel piece).
struct PassPosition {
  uint64_t active_convolvers;
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

uint32_t TimingModel::pipeline_depth(bool acc_last, bool pool) const {
  const uint64_t kk = uint64_t{config_.kernel} * config_.kernel;
  return config_.multiplier_stages + ceil_log2(kk) + ceil_log2(config_.convolvers) + 1 + (acc_last ? 1 : 0) +
         (pool ? 1 : 0);
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

  void run(const Piece& piece, const PassPosition& at, uint64_t active_pes, uint64_t& prev_stream,
           InstructionTiming& t) const {
    const uint64_t s = piece.stream;
    const uint64_t input_limited = std::max(s, ceil_div(s * at.active_convolvers, cfg.input_port_bytes));
    const uint64_t psum_read = (at.first_of_channel && g.acc_first) ? 0 : kPsumBytes;
    const uint64_t psum_write = (at.last_of_channel && g.acc_last) ? 0 : kPsumBytes;
    const uint64_t results = (at.last_of_channel && g.acc_last) ? g.pooled : 0;
    const uint64_t output_bytes = active_pes * (g.windows * (psum_read + psum_write) + results);
    const uint64_t stream = std::max(input_limited, ceil_div(output_bytes, cfg.output_port_bytes));
    const uint64_t bias = (at.first_of_channel && g.acc_first) ? kBiasBytes : 0;
    // The output stage's shift arrives with the weights of the channel's last pass.
    const uint64_t shift = (at.last_of_channel && g.channel_shift) ? kShiftBytes : 0;
    const uint64_t weight_cycles =
        ceil_div(active_pes * (at.active_convolvers * piece.taps + bias + shift), cfg.weight_port_bytes);
    const uint64_t weight_stall = minus_floor0(weight_cycles, prev_stream);
    // The first window's pixels arrive at the input port's pace too: its sum can enter the
    // accumulator no earlier than that, which hides that much of the previous pass's drain.
    const uint64_t first_window_cycles =
        std::max(piece.first_window, ceil_div(piece.first_window * at.active_convolvers, cfg.input_port_bytes));
    const uint64_t drain = at.first_of_instruction ? 0 : minus_floor0(depth, first_window_cycles + weight_stall);

    t.busy_cycles += g.windows;
    t.fill_cycles += s - g.windows;
    t.input_port_stall_cycles += input_limited - s;
    t.output_port_stall_cycles += stream - input_limited;
    t.weight_stall_cycles += weight_stall;
    t.drain_cycles += drain;
    t.imbalance_pe_cycles += (cfg.pes - active_pes) * g.windows;
    prev_stream = stream + drain;  // the next pass's weights load while this one waits for the drain too
  }

  // One output channel on each of `active_pes` PEs: every group, every piece.
  StepResult step(uint64_t active_pes, uint64_t prev_stream, bool first_step) const {
    StepResult r;
    uint64_t prev = prev_stream;
    const uint64_t passes = g.passes_per_channel();
    uint64_t index = 0;
    for (uint64_t group = 0; group < g.groups; ++group) {
      const uint64_t convolvers = group + 1 < g.groups ? g.full_group : g.last_group;
      for (const Piece& piece : g.pieces) {
        const PassPosition at{convolvers, index == 0, index + 1 == passes, first_step && index == 0};
        run(piece, at, active_pes, prev, r.timing);
        ++index;
      }
    }
    r.timing.passes_per_pe = passes;
    r.last_stream = prev;
    return r;
  }
};

// n copies of a step, summed by doubling (an instruction may have thousands of steps).
InstructionTiming scaled(const InstructionTiming& t, uint64_t n) {
  InstructionTiming sum, power = t;
  for (; n; n >>= 1) {
    if (n & 1) sum += power;
    power += power;
  }
  return sum;
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
  a.broadcast_transfers = uint64_t{c.out_c} * c.in_c * stream;
  a.line_buffer_transfers = a.broadcast_transfers * 2 * (cfg.kernel - 1);  // K-1 row FIFOs: write + read
  a.input_bytes_read = g.steps * c.in_c * real;  // re-streamed for every step, shared by its PEs
  a.weight_bytes_read = uint64_t{c.out_c} * c.in_c * c.kernel_h * c.kernel_w + (g.acc_first ? kBiasBytes * c.out_c : 0) +
                        (g.channel_shift ? kShiftBytes * c.out_c : 0);
  a.output_bytes_read = kPsumBytes * c.out_c * g.windows * (passes - (g.acc_first ? 1 : 0));
  a.output_bytes_written = kPsumBytes * c.out_c * g.windows * (passes - (g.acc_last ? 1 : 0)) +
                           (g.acc_last ? uint64_t{c.out_c} * g.pooled : 0);
  return a;
}

}  // namespace

InstructionCost TimingModel::conv_cost(const isa::Conv& c) const {
  const ConvGeometry g = conv_geometry(c, config_);
  const ConvPassModel model{config_, g, pipeline_depth(g.acc_last, g.pool)};
  InstructionCost cost;
  InstructionTiming& t = cost.timing;
  if (g.steps == 1) {
    t = model.step(g.last_step_pes, 0, true).timing;
  } else {
    const StepResult first = model.step(config_.pes, 0, true);
    t = first.timing;
    // A step's first weights load behind the previous step's last pass, whose length (with its
    // drain wait) depends on its own weight wait: step by step until a step ends as the one before
    // it (at most pipeline-depth steps: the length only grows, by at most the depth), then n copies.
    uint64_t prev = first.last_stream, middle_steps = g.steps - 2;
    while (middle_steps > 0) {
      const StepResult middle = model.step(config_.pes, prev, false);
      if (middle.last_stream == prev) {
        t += scaled(middle.timing, middle_steps);
        break;
      }
      t += middle.timing;
      prev = middle.last_stream;
      --middle_steps;
    }
    t += model.step(g.last_step_pes, prev, false).timing;
  }
  t.drain_cycles += model.depth;  // the last pass drains in full
  t.macs = g.shape.macs;
  t.pe_imbalance = double(g.steps * config_.pes - c.out_c) / double(g.steps * config_.pes);
  finish(t);
  cost.activity = conv_activity(c, g, config_);
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
  t.drain_cycles = pipeline_depth(acc_last, false);
  t.macs = uint64_t{f.n_in} * f.n_out;
  t.pe_imbalance = double(steps * config_.pes - f.n_out) / double(steps * config_.pes);
  finish(t);

  InstructionActivity& a = cost.activity;
  a.mul8 = a.add32 = t.macs;
  a.accumulator_accesses = 2 * compute * f.n_out;  // read-modify-write per chunk
  a.broadcast_transfers = uint64_t{f.n_in} * f.n_out;
  a.input_bytes_read = steps * f.n_in;
  a.weight_bytes_read = t.macs + per_output_extra * f.n_out;
  a.output_bytes_read = acc_first ? 0 : kPsumBytes * f.n_out;
  a.output_bytes_written = (acc_last ? 1 : kPsumBytes) * uint64_t{f.n_out};
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

// Reads a and b through the input port, writes y through the output port; an add stage and a
// round/saturate stage drain at the end.
InstructionCost TimingModel::eltwise_cost(const isa::Eltwise& e) const {
  constexpr uint64_t kEltwiseStages = 2;
  InstructionCost cost;
  InstructionTiming& t = cost.timing;
  t.postprocess_cycles = std::max(ceil_div(2 * uint64_t{e.count}, config_.input_port_bytes),
                                  ceil_div(e.count, config_.output_port_bytes));
  t.drain_cycles = kEltwiseStages;
  finish(t);
  InstructionActivity& a = cost.activity;
  a.add32 = uint64_t{e.count} * (e.output_shift > 0 ? 2 : 1);  // the sum, plus the rounding add
  a.input_bytes_read = 2 * uint64_t{e.count};
  a.output_bytes_written = e.count;
  return cost;
}

}  // namespace dlvp::cnn
