// build(): validates the layers, plans DDR, tiles every layer and emits its steps through the
// Scheduler (which adds the dependency tokens).
#include "tools/builder/memory_plan.h"
#include "tools/builder/program.h"
#include "tools/builder/scheduler.h"
#include "tools/builder/tiler.h"

#include <algorithm>
#include <cstring>

namespace dlvp::builder {

const char* to_string(LayerKind kind) {
  switch (kind) {
    case LayerKind::kConv: return "conv";
    case LayerKind::kFc: return "fc";
    case LayerKind::kPool: return "pool";
    case LayerKind::kEltwise: return "eltwise";
    case LayerKind::kView: return "view";
    case LayerKind::kCopy: return "copy";
    case LayerKind::kCpu: return "cpu";
    default: return "concat";
  }
}

const char* to_string(LoopOrder order) { return order == LoopOrder::kBandOuter ? "band-outer" : "group-outer"; }

std::vector<uint8_t> Program::instruction_bytes() const {
  std::vector<uint8_t> bytes(instructions.size() * isa::kInstructionBytes);
  if (!bytes.empty()) std::memcpy(bytes.data(), instructions.data(), bytes.size());  // the ISA is little-endian
  return bytes;
}

namespace {

constexpr uint32_t kMaxDim16 = 65535;  // 16-bit shape fields of CONV and POOL

uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }
uint64_t align_up(uint64_t v, uint64_t a) { return ceil_div(v, a) * a; }

std::string shape_text(const TensorShape& s) {
  return std::to_string(s.c) + "x" + std::to_string(s.h) + "x" + std::to_string(s.w);
}

// Validation errors name the layer: "layer 3 'conv2' (conv): <reason>".
class LayerCheck {
 public:
  LayerCheck(uint32_t index, const Layer& layer) : index_(index), layer_(layer) {}
  [[noreturn]] void fail(const std::string& reason) const {
    throw BuildError("builder: layer " + std::to_string(index_) + " '" + layer_name(layer_) + "' (" +
                     layer_kind_name(layer_) + "): " + reason);
  }
  void require(bool ok, const std::string& reason) const {
    if (!ok) fail(reason);
  }
  void require_range(int64_t v, int64_t lo, int64_t hi, const std::string& what) const {
    require(v >= lo && v <= hi, what + " " + std::to_string(v) + " is outside " + std::to_string(lo) + ".." +
                                    std::to_string(hi) + " (docs/isa.md)");
  }

 private:
  uint32_t index_;
  const Layer& layer_;
};

void check_activation(const Activation& a, const LayerCheck& c) {
  if (a.clip) {
    c.require_range(a.clip_min, -128, 127, "clip_min");
    c.require_range(a.clip_max, a.clip_min, 127, "clip_max");
  }
  c.require(a.table.empty() || a.table.size() == isa::kActivationTableBytes,
            "has an activation table of " + std::to_string(a.table.size()) + " entries, expected 0 or 256");
}

// Per-output-channel shifts (ISA v3): none, or one per output within output_shift's range.
void check_channel_shifts(const std::vector<int8_t>& shifts, uint32_t outputs, const LayerCheck& c) {
  if (shifts.empty()) return;
  c.require(shifts.size() == outputs, "has " + std::to_string(shifts.size()) + " channel shifts, expected " +
                                          std::to_string(outputs) + " (one per output channel)");
  for (size_t i = 0; i < shifts.size(); ++i)
    c.require_range(shifts[i], -31, 31, "channel_shifts[" + std::to_string(i) + "]");
}

TensorShape check_conv(const ConvLayer& l, const TensorShape& in, const LayerCheck& c) {
  c.require(in == TensorShape{l.in_c, l.in_h, l.in_w},
            "declares input " + shape_text({l.in_c, l.in_h, l.in_w}) + " but its input is " + shape_text(in));
  for (const uint32_t v : {l.in_c, l.in_h, l.in_w, l.out_c})
    c.require(v >= 1 && v <= kMaxDim16, "channel counts and sizes must be 1..65535 (16-bit CONV fields)");
  if (l.kernel_h > 15 || l.kernel_w > 15 || l.kernel_h < 1 || l.kernel_w < 1)
    c.fail("kernel " + std::to_string(l.kernel_h) + "x" + std::to_string(l.kernel_w) +
           " is outside 1..15, the largest kernel a CONV instruction takes (docs/isa.md)");
  c.require_range(l.stride_h, 1, 15, "stride_h");
  c.require_range(l.stride_w, 1, 15, "stride_w");
  c.require(l.pad_top < l.kernel_h && l.pad_bottom < l.kernel_h && l.pad_left < l.kernel_w && l.pad_right < l.kernel_w,
            "padding must be smaller than the kernel (docs/isa.md)");
  c.require(l.conv_h() >= 1 && l.conv_w() >= 1, "the kernel does not fit the padded input");
  if (l.pooled()) {
    const uint32_t smaller = std::min(l.conv_h(), l.conv_w());
    c.require(l.pool_stride >= 1 && l.pool_size <= smaller && l.pool_stride <= smaller,
              "pooling size " + std::to_string(l.pool_size) + " / stride " + std::to_string(l.pool_stride) +
                  " must be 1..(convolution output " + std::to_string(l.conv_h()) + "x" +
                  std::to_string(l.conv_w()) + ")");
  }
  c.require_range(l.bias_shift, 0, 31, "bias_shift");
  c.require_range(l.output_shift, -31, 31, "output_shift");
  c.require(l.groups >= 1 && l.groups <= kMaxDim16 && l.in_c % l.groups == 0 && l.out_c % l.groups == 0,
            "groups " + std::to_string(l.groups) + " must divide in_c " + std::to_string(l.in_c) + " and out_c " +
                std::to_string(l.out_c));
  const uint64_t weights = uint64_t{l.out_c} * l.group_in_c() * l.kernel_h * l.kernel_w;
  c.require(l.weights.size() == weights, "has " + std::to_string(l.weights.size()) + " weights, expected " +
                                             std::to_string(weights) + " (out_c x in_c/groups x kernel_h x kernel_w)");
  c.require(l.bias.size() == l.out_c,
            "has " + std::to_string(l.bias.size()) + " biases, expected " + std::to_string(l.out_c));
  check_activation(l.activation, c);
  check_channel_shifts(l.channel_shifts, l.out_c, c);
  return {l.out_c, l.result_h(), l.result_w()};
}

TensorShape check_fc(const FcLayer& l, const TensorShape& in, const LayerCheck& c) {
  c.require(l.n_in >= 1 && l.n_out >= 1, "n_in and n_out must be >= 1");
  c.require(in.elements() == l.n_in,
            "n_in " + std::to_string(l.n_in) + " does not match its input " + shape_text(in) + " (" +
                std::to_string(in.elements()) + " elements)");
  c.require_range(l.bias_shift, 0, 31, "bias_shift");
  c.require_range(l.output_shift, -31, 31, "output_shift");
  const uint64_t weights = uint64_t{l.n_out} * l.n_in;
  c.require(l.weights.size() == weights,
            "has " + std::to_string(l.weights.size()) + " weights, expected " + std::to_string(weights));
  c.require(l.bias.size() == l.n_out,
            "has " + std::to_string(l.bias.size()) + " biases, expected " + std::to_string(l.n_out));
  check_activation(l.activation, c);
  check_channel_shifts(l.channel_shifts, l.n_out, c);
  return {l.n_out, 1, 1};
}

RowSweep pool_rows(const PoolLayer& l, const TensorShape& in) {
  RowSweep r;
  r.in_h = in.h, r.window = l.size, r.stride = l.stride, r.pad_top = l.pad_top, r.pad_bottom = l.pad_bottom;
  return r;
}

TensorShape check_pool(const PoolLayer& l, const TensorShape& in, const LayerCheck& c) {
  c.require(in.c <= kMaxDim16 && in.h <= kMaxDim16 && in.w <= kMaxDim16,
            "input " + shape_text(in) + " exceeds the 16-bit POOL fields");
  if (l.size < 1 || l.size > 15) c.fail("pooling size " + std::to_string(l.size) + " is outside 1..15 (docs/isa.md)");
  c.require_range(l.stride, 1, 15, "pooling stride");
  c.require(l.pad_top < l.size && l.pad_bottom < l.size && l.pad_left < l.size && l.pad_right < l.size,
            "padding must be smaller than the pooling window (docs/isa.md)");
  const uint32_t out_w = sweep_length(in.w, l.pad_left, l.pad_right, l.size, l.stride);
  const uint32_t out_h = pool_rows(l, in).out_h();
  c.require(out_h >= 1 && out_w >= 1, "the pooling window does not fit the padded input " + shape_text(in));
  return {in.c, out_h, out_w};
}

TensorShape check_eltwise(const EltwiseLayer& l, uint32_t index, const TensorShape& in, const TensorShape& other,
                          const LayerCheck& c) {
  c.require(l.other >= -1 && l.other < static_cast<int>(index),
            "other operand " + std::to_string(l.other) + " must name an earlier layer (or -1, the network input)");
  if (l.channel_broadcast)
    c.require(other == TensorShape{in.c, 1, 1}, "a channel broadcast operand must be " + shape_text({in.c, 1, 1}) +
                                                    " for " + shape_text(in) + ", not " + shape_text(other));
  else
    c.require(other == in, "operands differ in shape: " + shape_text(in) + " and " + shape_text(other));
  c.require_range(l.a_shift, 0, l.op == EltwiseOp::kMul ? 0 : 15, "a_shift");
  c.require_range(l.b_shift, 0, l.op == EltwiseOp::kMul ? 0 : 15, "b_shift");
  c.require_range(l.output_shift, -31, 31, "output_shift");
  check_activation(l.activation, c);
  return in;
}

// The layer whose output layer `index` reads (kNetworkInput for the network input); a
// concatenation's first source.
int input_source(const Layer& layer, uint32_t index) {
  if (const auto* concat = std::get_if<ConcatLayer>(&layer)) return concat->sources.empty() ? -3 : concat->sources.front();
  const int input = std::visit([](const LayerBase& l) { return l.input; }, layer);
  return input == kPreviousLayer ? static_cast<int>(index) - 1 : input;
}

// The layer whose bytes hold each layer's output, and the byte offset in them: a concatenation holds
// its sources as slices, a view lies in its input.
struct Slice {
  int container = -1;  // -1: the layer's output is a tensor of its own
  uint64_t offset = 0;
};

TensorShape check_concat(const ConcatLayer& l, uint32_t index, const std::vector<TensorShape>& out,
                         std::vector<Slice>& slices, const LayerCheck& c) {
  c.require(!l.sources.empty(), "has no sources");
  TensorShape shape{0, 0, 0};
  for (const int s : l.sources) {
    c.require(s >= 0 && s < static_cast<int>(index),
              "source " + std::to_string(s) + " must name an earlier layer (the network input would need a copy)");
    c.require(slices[s].container < 0, "source " + std::to_string(s) + " already lies in layer " +
                                           std::to_string(slices[s].container) +
                                           "'s bytes (a slice of a concatenation or a view: copy it) or is listed twice");
    if (shape.c == 0) shape.h = out[s].h, shape.w = out[s].w;
    c.require(out[s].h == shape.h && out[s].w == shape.w,
              "sources differ in height or width: " + shape_text(out[l.sources.front()]) + " and " + shape_text(out[s]));
    slices[s] = {static_cast<int>(index), uint64_t{shape.c} * shape.h * shape.w};
    shape.c += out[s].c;
  }
  return shape;
}

TensorShape check_view(const ViewLayer& l, int source, bool last, const TensorShape& in, Slice& slice, const LayerCheck& c) {
  c.require(source >= 0, "views the network input, which is not in the scratch window (copy it)");
  c.require(!last, "is the network output, which must be a tensor of its own in the output window (copy it)");
  c.require(l.channels >= 1 && uint64_t{l.channel_begin} + l.channels <= in.c,
            "channels " + std::to_string(l.channel_begin) + " + " + std::to_string(l.channels) + " outside its input " +
                shape_text(in));
  slice = {source, uint64_t{l.channel_begin} * in.h * in.w};
  return {l.channels, in.h, in.w};
}

// A copy is a 1x1 max pooling with stride 1: the identity on int8, through the engine's buffers.
PoolLayer copy_as_pool(const CopyLayer& l) {
  PoolLayer p;
  static_cast<LayerBase&>(p) = l;
  p.kind = PoolKind::kMax;
  p.size = p.stride = 1;
  return p;
}

TensorShape network_input(const Network& net) {
  if (!net.input.empty()) return net.input;
  const Layer& first = net.layers.front();
  if (const auto* conv = std::get_if<ConvLayer>(&first)) return {conv->in_c, conv->in_h, conv->in_w};
  if (const auto* fc = std::get_if<FcLayer>(&first)) return {fc->n_in, 1, 1};
  LayerCheck(0, first).fail("Network::input must be set when the first layer is a pool or eltwise");
}

// ---------------------------------------------------------------------------------------------
// Emission

// A weight tile in the constants blob: weights, then (first pass only) the bias at an aligned
// offset, then (last pass only, with per-channel shifts) the int8 shifts of its outputs.
struct Blob {
  uint64_t offset = 0, bytes = 0;
};

// Where a weight tile's shift table starts, relative to the tile (after the weights and the bias).
uint64_t shift_table_offset(uint64_t weight_bytes, uint32_t outs, bool with_bias) {
  return align_up(weight_bytes, kBufferAlign) + (with_bias ? 4 * uint64_t{outs} : 0);
}

void append_bias(std::vector<uint8_t>& blob, uint64_t tile_start, uint64_t weight_bytes, const int32_t* bias,
                 uint32_t count) {
  blob.resize(tile_start + align_up(weight_bytes, kBufferAlign), 0);
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t v = static_cast<uint32_t>(bias[i]);
    for (int byte = 0; byte < 4; ++byte) blob.push_back(static_cast<uint8_t>(v >> (8 * byte)));  // little-endian
  }
}

// Weight rows [first_out, first_out + outs) x columns [first_in, first_in + ins) of a row-major
// [n_out][row_len] matrix, where one column holds `taps` bytes.
Blob append_weight_tile(std::vector<uint8_t>& blob, const std::vector<int8_t>& weights, const std::vector<int32_t>& bias,
                        uint32_t row_len, uint32_t taps, uint32_t first_out, uint32_t outs, uint32_t first_in,
                        uint32_t ins, bool with_bias, const int8_t* shifts) {
  Blob b;
  b.offset = align_up(blob.size(), kDdrAlign);
  blob.resize(b.offset, 0);
  const uint64_t row_bytes = uint64_t{ins} * taps;
  for (uint32_t o = 0; o < outs; ++o) {
    const int8_t* src = weights.data() + (uint64_t{first_out + o} * row_len + first_in) * taps;
    const auto* bytes = reinterpret_cast<const uint8_t*>(src);
    blob.insert(blob.end(), bytes, bytes + row_bytes);
  }
  if (with_bias) append_bias(blob, b.offset, row_bytes * outs, bias.data() + first_out, outs);
  if (shifts) {
    blob.resize(b.offset + shift_table_offset(row_bytes * outs, outs, with_bias), 0);
    const auto* bytes = reinterpret_cast<const uint8_t*>(shifts + first_out);
    blob.insert(blob.end(), bytes, bytes + outs);
  }
  b.bytes = blob.size() - b.offset;
  return b;
}

// A layer's activation table after a weight tile (or alone); its offset from the tile's start.
uint64_t append_table(std::vector<uint8_t>& blob, uint64_t tile_start, const std::vector<int8_t>& table) {
  blob.resize(align_up(blob.size(), kBufferAlign), 0);
  const uint64_t at = blob.size() - tile_start;
  const auto* bytes = reinterpret_cast<const uint8_t*>(table.data());
  blob.insert(blob.end(), bytes, bytes + table.size());
  return at;
}

// The activation unit's flags and fields of an instruction whose table is at `table_offset`.
uint16_t activation_flags(const Activation& a) {
  return (a.clip ? isa::kFlagClip : 0) | (a.table.empty() ? 0 : isa::kFlagTable);
}
template <typename I>
void set_activation(I& i, const Activation& a, uint64_t table_offset) {
  i.header.flags |= activation_flags(a);
  i.clip_min = static_cast<int8_t>(a.clip ? a.clip_min : 0);
  i.clip_max = static_cast<int8_t>(a.clip ? a.clip_max : 0);
  i.table_offset = a.table.empty() ? 0 : static_cast<uint32_t>(table_offset);
}

// The shift table a weight tile carries: the layer's, in the tile of an output group's last pass.
const int8_t* last_pass_shifts(const std::vector<int8_t>& shifts, uint32_t pass, uint32_t passes) {
  return !shifts.empty() && pass + 1 == passes ? shifts.data() : nullptr;
}

// `planes` blocks of `plane_bytes` contiguous bytes, `ddr_plane_stride` apart in DDR and packed in
// the buffer; one plane when they are also packed in DDR.
isa::Transfer make_transfer(isa::Buffer buffer, uint8_t arg, uint64_t buffer_offset, uint64_t ddr_offset,
                            uint64_t planes, uint64_t plane_bytes, uint64_t ddr_plane_stride) {
  if (planes == 1 || ddr_plane_stride == plane_bytes) {
    plane_bytes *= planes;
    planes = 1;
    ddr_plane_stride = plane_bytes;
  }
  isa::Transfer t{};
  t.buffer = buffer;
  t.arg = arg;
  t.buffer_offset = static_cast<uint32_t>(buffer_offset);
  t.ddr_offset = ddr_offset;
  t.planes = static_cast<uint32_t>(planes);
  t.rows = 1;
  t.row_bytes = static_cast<uint32_t>(plane_bytes);
  t.ddr_row_stride = t.row_bytes;
  t.ddr_plane_stride = static_cast<uint32_t>(ddr_plane_stride);
  t.buffer_row_stride = t.row_bytes;
  t.buffer_plane_stride = t.row_bytes;
  return t;
}

class LayerEmitter {
 public:
  LayerEmitter(Scheduler& sched, std::vector<uint8_t>& constants, LayerInfo& info, uint32_t index)
      : sched_(sched), constants_(constants), info_(info), index_(index) {}

  void conv(const ConvLayer& l, const TensorPlacement& in, const TensorPlacement& out, const BandedTiling& plan);
  void fc(const FcLayer& l, const TensorPlacement& in, const TensorPlacement& out, const FcTiling& plan);
  void pool(const PoolLayer& l, const TensorPlacement& in, const TensorPlacement& out, const BandedTiling& plan);
  void eltwise(const EltwiseLayer& l, const TensorPlacement& a, const TensorPlacement& b, const TensorPlacement& out,
               const Tiling& plan);

 private:
  void load(SlotRef slot, const isa::Transfer& t) {
    sched_.load(t, slot);
    ++info_.loads;
    info_.load_bytes += uint64_t{t.planes} * t.rows * t.row_bytes;
  }
  void store(uint32_t slot, const isa::Transfer& t) {
    sched_.store(t, slot);
    ++info_.stores;
    info_.store_bytes += uint64_t{t.planes} * t.rows * t.row_bytes;
  }
  void compute(const isa::Instruction& i, std::initializer_list<SlotRef> reads, uint32_t out, bool fresh) {
    sched_.compute(i, reads, out, fresh);
    ++info_.tiles;
  }
  // The weight tile (group, pass) in a weight slot, loaded unless still resident.
  SlotRef weights(uint32_t group, uint32_t pass, const Blob& blob) {
    const Scheduler::Acquired w = sched_.acquire(isa::kBufWeight, {index_, group, pass});
    if (!w.resident)
      load(w.ref, make_transfer(isa::kBufWeight, kArgConstants, w.base, blob.offset, 1, blob.bytes, blob.bytes));
    return w.ref;
  }

  // The activation table appended to the tile of an output stage's pass (it is resident with the
  // weights the pass reads); its offset in the tile.
  uint64_t last_pass_table(Blob& blob, const Activation& a, bool last_pass) {
    if (!last_pass || a.table.empty()) return 0;
    const uint64_t at = append_table(constants_, blob.offset, a.table);
    blob.bytes = constants_.size() - blob.offset;
    return at;
  }

  Scheduler& sched_;
  std::vector<uint8_t>& constants_;
  LayerInfo& info_;
  uint32_t index_;
};

isa::Instruction compute_header(uint8_t opcode, uint16_t flags) {
  isa::Instruction i{};
  i.header.opcode = opcode;
  i.header.flags = flags;
  return i;
}

// The CONV instruction of one pass of one output tile.
// `groups`: the tile's whole groups of a grouped layer (ins and outs are theirs), 1 when dense.
isa::Instruction conv_instruction(const ConvLayer& l, const Band& band, uint32_t outs, uint32_t ins, uint32_t groups,
                                  uint32_t pass, uint32_t passes, uint64_t input, uint64_t weights, uint64_t psum,
                                  uint64_t psum_bytes) {
  const bool last = pass + 1 == passes;
  uint16_t flags = pass == 0 ? isa::kFlagAccFirst : 0;
  if (last) flags |= isa::kFlagAccLast | (l.relu ? isa::kFlagRelu : 0) | (l.pooled() ? isa::kFlagPool : 0);
  const bool shifts = last && !l.channel_shifts.empty();
  if (shifts) flags |= isa::kFlagChannelShift;
  isa::Instruction i = compute_header(isa::kOpConv, flags);
  isa::Conv& c = i.conv;
  c.input_offset = static_cast<uint32_t>(input);
  c.in_h = static_cast<uint16_t>(band.in_rows), c.in_w = static_cast<uint16_t>(l.in_w);
  c.in_c = static_cast<uint16_t>(ins), c.out_c = static_cast<uint16_t>(outs);
  c.groups = static_cast<uint16_t>(groups > 1 ? groups : 0);
  c.weight_offset = static_cast<uint32_t>(weights);
  const uint64_t weight_bytes = uint64_t{outs} * (ins / groups) * l.kernel_h * l.kernel_w;
  c.bias_offset = static_cast<uint32_t>(weights + align_up(weight_bytes, kBufferAlign));
  c.psum_offset = static_cast<uint32_t>(psum);
  c.output_offset = static_cast<uint32_t>(psum + psum_bytes);  // int8 results after the partial sums
  c.kernel_h = static_cast<uint8_t>(l.kernel_h), c.kernel_w = static_cast<uint8_t>(l.kernel_w);
  c.stride_h = static_cast<uint8_t>(l.stride_h), c.stride_w = static_cast<uint8_t>(l.stride_w);
  c.pad_top = static_cast<uint8_t>(band.pad_top), c.pad_bottom = static_cast<uint8_t>(band.pad_bottom);
  c.pad_left = static_cast<uint8_t>(l.pad_left), c.pad_right = static_cast<uint8_t>(l.pad_right);
  c.bias_shift = static_cast<int8_t>(l.bias_shift), c.output_shift = static_cast<int8_t>(l.output_shift);
  if (shifts)
    c.shift_offset = static_cast<uint32_t>(weights + shift_table_offset(weight_bytes, outs, pass == 0));
  if (flags & isa::kFlagPool) {
    c.pool_size = static_cast<uint8_t>(l.pool_size);
    c.pool_stride = static_cast<uint8_t>(l.pool_stride);
  }
  return i;
}

// The channels of pass k of output tile g. Dense: outputs [g S, ...), inputs [k C, ...) of all
// in_c. Grouped (docs/builder.md): a tile holds whole groups; with one pass it reads its groups'
// input channels, with several (one group per tile) a range of its group's channels per pass.
class ConvTileChannels {
 public:
  struct Pass {
    uint32_t out_first, outs;  // output channels of the tile
    uint32_t in_first, ins;    // input channels the pass reads (contiguous in the layer's input)
    uint32_t weight_first;     // first of them within the group's in_c / groups (the weights' column)
    uint32_t groups;           // whole groups in the tile (1 when dense)
  };
  ConvTileChannels(const ConvLayer& l, const Tiling& t) : l_(l), t_(t) {}
  Pass pass(uint32_t g, uint32_t k) const {
    Pass p;
    p.out_first = g * t_.group_size;
    p.outs = std::min(t_.group_size, l_.out_c - p.out_first);
    const uint32_t group_out = l_.out_c / l_.groups, group_in = l_.group_in_c();
    const uint32_t first_group = p.out_first / group_out;
    p.groups = l_.groups > 1 ? p.outs / group_out : 1;
    p.weight_first = k * t_.pass_channels;
    const uint32_t per_group = std::min(t_.pass_channels, group_in - p.weight_first);
    p.in_first = first_group * group_in + p.weight_first;
    p.ins = l_.groups > 1 ? p.groups * per_group : per_group;
    return p;
  }

 private:
  const ConvLayer& l_;
  const Tiling& t_;
};

void LayerEmitter::conv(const ConvLayer& l, const TensorPlacement& in, const TensorPlacement& out,
                        const BandedTiling& plan) {
  const Tiling& t = plan.tiling;
  const ConvTileChannels channels(l, t);
  std::vector<Blob> blobs;  // weight tile (group g, pass k) at g * passes + k
  std::vector<uint64_t> table_at;  // the activation table's offset in each tile (its last pass)
  for (uint32_t g = 0; g < t.groups; ++g)
    for (uint32_t k = 0; k < t.passes; ++k) {
      const ConvTileChannels::Pass p = channels.pass(g, k);
      blobs.push_back(append_weight_tile(constants_, l.weights, l.bias, l.group_in_c(), l.kernel_h * l.kernel_w,
                                         p.out_first, p.outs, p.weight_first, p.ins / p.groups, k == 0,
                                         last_pass_shifts(l.channel_shifts, k, t.passes)));
      table_at.push_back(last_pass_table(blobs.back(), l.activation, k + 1 == t.passes));
    }
  const uint32_t result_h = l.result_h(), result_w = l.result_w();

  // One output tile: all input-channel passes of output channels of group g over one row band.
  // A dense layer's input tiles serve every output tile; a grouped layer's are its groups' own.
  auto tile = [&](uint32_t band_index, uint32_t g) {
    const Band& band = plan.bands[band_index];
    const uint32_t o0 = g * t.group_size, outs = std::min(t.group_size, l.out_c - o0);
    const Scheduler::Acquired o = sched_.acquire_output();
    const uint64_t psum_bytes = t.passes > 1 ? conv_psum_bytes(outs, band.sweep_rows, l.conv_w()) : 0;
    for (uint32_t k = 0; k < t.passes; ++k) {
      const ConvTileChannels::Pass p = channels.pass(g, k);
      const SlotRef w = weights(g, k, blobs[g * t.passes + k]);
      const uint32_t input_key = l.groups > 1 ? g * t.passes + k : k;
      const Scheduler::Acquired x = sched_.acquire(isa::kBufInput, {index_, band_index, input_key});
      if (!x.resident)
        load(x.ref, make_transfer(isa::kBufInput, in.arg, x.base,
                                  in.offset + (uint64_t{p.in_first} * l.in_h + band.in_first) * l.in_w, p.ins,
                                  uint64_t{band.in_rows} * l.in_w, uint64_t{l.in_h} * l.in_w));
      isa::Instruction i = conv_instruction(l, band, outs, p.ins, p.groups, k, t.passes, x.base, sched_.slot_base(w),
                                            o.base, psum_bytes);
      if (k + 1 == t.passes) set_activation(i.conv, l.activation, sched_.slot_base(w) + table_at[g * t.passes + k]);
      compute(i, {x.ref, w}, o.ref.slot, k == 0);
    }
    store(o.ref.slot, make_transfer(isa::kBufOutput, out.arg, o.base + psum_bytes,
                                    out.offset + (uint64_t{o0} * result_h + band.first) * result_w, outs,
                                    uint64_t{band.rows} * result_w, uint64_t{result_h} * result_w));
  };

  const uint32_t bands = static_cast<uint32_t>(plan.bands.size());
  if (t.order == LoopOrder::kBandOuter) {
    for (uint32_t b = 0; b < bands; ++b)
      for (uint32_t g = 0; g < t.groups; ++g) tile(b, g);
  } else {
    for (uint32_t g = 0; g < t.groups; ++g)
      for (uint32_t b = 0; b < bands; ++b) tile(b, g);
  }
}

void LayerEmitter::fc(const FcLayer& l, const TensorPlacement& in, const TensorPlacement& out, const FcTiling& plan) {
  const Tiling& t = plan.tiling;
  std::vector<Blob> blobs;
  std::vector<uint64_t> table_at;
  for (uint32_t g = 0; g < t.groups; ++g)
    for (uint32_t k = 0; k < t.passes; ++k) {
      const uint32_t o0 = g * t.group_size, i0 = k * t.pass_channels;
      blobs.push_back(append_weight_tile(constants_, l.weights, l.bias, l.n_in, 1, o0,
                                         std::min(t.group_size, l.n_out - o0), i0,
                                         std::min(t.pass_channels, l.n_in - i0), k == 0,
                                         last_pass_shifts(l.channel_shifts, k, t.passes)));
      table_at.push_back(last_pass_table(blobs.back(), l.activation, k + 1 == t.passes));
    }
  const uint64_t psum_bytes = t.passes > 1 ? align_up(4 * uint64_t{t.group_size}, kBufferAlign) : 0;
  Scheduler::Acquired o;
  uint32_t chunk_first = 0;  // first output group held by the current output slot
  for (uint32_t g = 0; g < t.groups; ++g) {
    const uint32_t o0 = g * t.group_size, outs = std::min(t.group_size, l.n_out - o0);
    const bool chunk_start = g % plan.groups_per_store == 0;
    if (chunk_start) {
      o = sched_.acquire_output();
      chunk_first = g;
    }
    for (uint32_t k = 0; k < t.passes; ++k) {
      const uint32_t i0 = k * t.pass_channels, ins = std::min(t.pass_channels, l.n_in - i0);
      const SlotRef w = weights(g, k, blobs[g * t.passes + k]);
      const Scheduler::Acquired x = sched_.acquire(isa::kBufInput, {index_, k, 0});
      if (!x.resident) load(x.ref, make_transfer(isa::kBufInput, in.arg, x.base, in.offset + i0, 1, ins, ins));
      const bool last = k + 1 == t.passes;
      uint16_t flags = k == 0 ? isa::kFlagAccFirst : 0;
      if (last) flags |= isa::kFlagAccLast | (l.relu ? isa::kFlagRelu : 0);
      const bool shifts = last && !l.channel_shifts.empty();
      if (shifts) flags |= isa::kFlagChannelShift;
      isa::Instruction i = compute_header(isa::kOpFc, flags);
      isa::Fc& f = i.fc;
      f.input_offset = static_cast<uint32_t>(x.base);
      f.n_in = ins, f.n_out = outs;
      f.weight_offset = static_cast<uint32_t>(sched_.slot_base(w));
      f.bias_offset = static_cast<uint32_t>(f.weight_offset + align_up(uint64_t{outs} * ins, kBufferAlign));
      f.psum_offset = static_cast<uint32_t>(o.base);
      f.output_offset = static_cast<uint32_t>(o.base + psum_bytes + uint64_t{g - chunk_first} * t.group_size);
      f.bias_shift = static_cast<int8_t>(l.bias_shift), f.output_shift = static_cast<int8_t>(l.output_shift);
      if (last) set_activation(f, l.activation, f.weight_offset + table_at[g * t.passes + k]);
      if (shifts)
        f.shift_offset = static_cast<uint32_t>(f.weight_offset + shift_table_offset(uint64_t{outs} * ins, outs, k == 0));
      compute(i, {x.ref, w}, o.ref.slot, chunk_start && k == 0);
    }
    if ((g + 1) % plan.groups_per_store == 0 || g + 1 == t.groups) {
      const uint64_t first = uint64_t{chunk_first} * t.group_size, bytes = uint64_t{o0} + outs - first;
      store(o.ref.slot, make_transfer(isa::kBufOutput, out.arg, o.base + psum_bytes, out.offset + first, 1, bytes, bytes));
    }
  }
}

void LayerEmitter::pool(const PoolLayer& l, const TensorPlacement& in, const TensorPlacement& out,
                        const BandedTiling& plan) {
  const Tiling& t = plan.tiling;
  const TensorShape& is = in.shape;
  const TensorShape& os = out.shape;
  for (uint32_t b = 0; b < plan.bands.size(); ++b) {
    const Band& band = plan.bands[b];
    for (uint32_t g = 0; g < t.groups; ++g) {
      const uint32_t c0 = g * t.group_size, cs = std::min(t.group_size, is.c - c0);
      const Scheduler::Acquired x = sched_.acquire(isa::kBufInput, {index_, b, g});
      if (!x.resident)
        load(x.ref, make_transfer(isa::kBufInput, in.arg, x.base, in.offset + (uint64_t{c0} * is.h + band.in_first) * is.w,
                                  cs, uint64_t{band.in_rows} * is.w, uint64_t{is.h} * is.w));
      const Scheduler::Acquired o = sched_.acquire_output();
      uint16_t flags = (l.relu ? isa::kFlagRelu : 0) | (l.kind == PoolKind::kAverage ? isa::kFlagAvgPool : 0);
      isa::Instruction i = compute_header(isa::kOpPool, flags);
      isa::Pool& p = i.pool;
      p.source = isa::kBufInput;
      p.size = static_cast<uint8_t>(l.size), p.stride = static_cast<uint8_t>(l.stride);
      p.pad_top = static_cast<uint8_t>(band.pad_top), p.pad_bottom = static_cast<uint8_t>(band.pad_bottom);
      p.pad_left = static_cast<uint8_t>(l.pad_left), p.pad_right = static_cast<uint8_t>(l.pad_right);
      p.input_offset = static_cast<uint32_t>(x.base), p.output_offset = static_cast<uint32_t>(o.base);
      p.c = static_cast<uint16_t>(cs), p.in_h = static_cast<uint16_t>(band.in_rows), p.in_w = static_cast<uint16_t>(is.w);
      compute(i, {x.ref}, o.ref.slot, true);
      store(o.ref.slot, make_transfer(isa::kBufOutput, out.arg, o.base, out.offset + (uint64_t{c0} * os.h + band.first) * os.w,
                                      cs, uint64_t{band.rows} * os.w, uint64_t{os.h} * os.w));
    }
  }
}

// The element range [first, end) of an ELTWISE chunk starting at `first`: at most `size` elements,
// and with a channel broadcast of `run` elements per b value either whole runs (first is a run's
// start) or a piece of one run, so that b[j] of the chunk is b[first / run + i / run].
uint64_t eltwise_chunk_end(uint64_t first, uint64_t size, uint64_t elements, uint64_t run) {
  if (run <= 1) return std::min(first + size, elements);
  if (size >= run) return std::min(first + size / run * run, elements);
  return std::min({first + size, (first / run + 1) * run, elements});
}

void LayerEmitter::eltwise(const EltwiseLayer& l, const TensorPlacement& a, const TensorPlacement& b,
                           const TensorPlacement& out, const Tiling& t) {
  const uint64_t elements = a.shape.elements();
  const uint64_t b_offset = align_up(t.group_size, kBufferAlign);
  const uint64_t run = l.channel_broadcast ? uint64_t{a.shape.h} * a.shape.w : 1;
  // The activation table sits alone in a weight slot for the whole layer.
  Blob table;
  if (!l.activation.table.empty()) {
    table.offset = align_up(constants_.size(), kDdrAlign);
    constants_.resize(table.offset, 0);
    append_table(constants_, table.offset, l.activation.table);
    table.bytes = constants_.size() - table.offset;
  }
  uint32_t chunk = 0;
  for (uint64_t e0 = 0; e0 < elements; ++chunk) {
    const uint64_t e1 = eltwise_chunk_end(e0, t.group_size, elements, run), n = e1 - e0;
    const uint64_t b0 = e0 / run, nb = (e1 - 1) / run - b0 + 1;
    const Scheduler::Acquired x = sched_.acquire(isa::kBufInput, {index_, chunk, 0});
    load(x.ref, make_transfer(isa::kBufInput, a.arg, x.base, a.offset + e0, 1, n, n));
    load(x.ref, make_transfer(isa::kBufInput, b.arg, x.base + b_offset, b.offset + b0, 1, nb, nb));
    const SlotRef w = table.bytes ? weights(0, 0, table) : SlotRef{};
    const Scheduler::Acquired o = sched_.acquire_output();
    isa::Instruction i = compute_header(isa::kOpEltwise, l.relu ? isa::kFlagRelu : 0);
    isa::Eltwise& e = i.eltwise;
    e.a_offset = static_cast<uint32_t>(x.base), e.b_offset = static_cast<uint32_t>(x.base + b_offset);
    e.output_offset = static_cast<uint32_t>(o.base);
    e.count = static_cast<uint32_t>(n);
    e.a_shift = static_cast<uint8_t>(l.a_shift), e.b_shift = static_cast<uint8_t>(l.b_shift);
    e.output_shift = static_cast<int8_t>(l.output_shift);
    e.op = l.op == EltwiseOp::kMul ? isa::kEltwiseMul : isa::kEltwiseAdd;
    e.broadcast = static_cast<uint32_t>(run);
    set_activation(e, l.activation, table.bytes ? sched_.slot_base(w) : 0);
    if (table.bytes)
      compute(i, {x.ref, w}, o.ref.slot, true);
    else
      compute(i, {x.ref}, o.ref.slot, true);
    store(o.ref.slot, make_transfer(isa::kBufOutput, out.arg, o.base, out.offset + e0, 1, n, n));
    e0 = e1;
  }
  info_.tiling.groups = chunk;  // broadcast runs may cut more chunks than the tiler's count
}

// ---------------------------------------------------------------------------------------------

TileBudget budget_of(const std::array<BufferSlots, isa::kCnnBufCount>& slots, const CnnConfig& hw) {
  TileBudget b;
  b.input = slots[isa::kBufInput].bytes;
  b.weight = slots[isa::kBufWeight].bytes;
  b.output = slots[isa::kBufOutput].bytes;
  b.slots = slots[isa::kBufInput].count;
  b.channel_align = hw.convolvers;
  b.group_align = hw.pes;
  return b;
}

// A layer with an activation table keeps it after its last pass's weights and bias (aligned).
TileBudget budget_with_table(TileBudget b, const Activation& a) {
  if (!a.table.empty()) b.weight -= std::min<uint64_t>(b.weight, kBufferAlign + isa::kActivationTableBytes);
  return b;
}

ConvProblem conv_problem(const ConvLayer& l) {
  ConvProblem p;
  p.rows.in_h = l.in_h, p.rows.window = l.kernel_h, p.rows.stride = l.stride_h;
  p.rows.pad_top = l.pad_top, p.rows.pad_bottom = l.pad_bottom;
  p.rows.pool_size = l.pool_size, p.rows.pool_stride = l.pool_stride;
  p.in_c = l.in_c, p.in_w = l.in_w, p.out_c = l.out_c, p.groups = l.groups;
  p.kernel_h = l.kernel_h, p.kernel_w = l.kernel_w;
  p.sweep_w = l.conv_w(), p.result_w = l.result_w();
  p.channel_shifts = !l.channel_shifts.empty();
  return p;
}

// CPUC: the views cover their tensors' bytes exactly; the second operand is an earlier tensor or
// the layer's constant. The operation's own rules are package::validate_stage's (the writer's
// package is read back by every reader).
TensorShape check_cpu(const CpuLayer& l, uint32_t index, const TensorShape& in, const TensorShape& other,
                      const LayerCheck& c) {
  c.require(l.input_view.elements() == in.elements(),
            "input view " + shape_text(l.input_view) + " does not cover its input " + shape_text(in));
  c.require(!l.output.empty() && l.output_view.elements() == l.output.elements(),
            "output view " + shape_text(l.output_view) + " does not cover its output " + shape_text(l.output));
  if (l.other == kConstantOperand)
    c.require(!l.other_view.empty() && l.constant.size() == l.other_view.elements(),
              "constant of " + std::to_string(l.constant.size()) + " values for operand " + shape_text(l.other_view));
  else if (l.other != kNoOperand)
    c.require(l.other >= -1 && l.other < static_cast<int>(index) && l.other_view.elements() == other.elements(),
              "second operand " + std::to_string(l.other) + " is not an earlier tensor of " + shape_text(l.other_view));
  return l.output;
}

// Shapes of every layer's input and output, validated, and the concatenations' slices.
struct Shapes {
  TensorShape input;
  std::vector<TensorShape> in, out;
  std::vector<Slice> slices;
};

Shapes check_network(const Network& net) {
  Shapes s;
  s.input = network_input(net);
  const uint32_t n = static_cast<uint32_t>(net.layers.size());
  s.in.resize(n), s.out.resize(n), s.slices.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    const Layer& layer = net.layers[i];
    const LayerCheck check(i, layer);
    if (const auto* concat = std::get_if<ConcatLayer>(&layer)) {
      s.out[i] = check_concat(*concat, i, s.out, s.slices, check);
      s.in[i] = s.out[concat->sources.front()];
      continue;
    }
    const int source = input_source(layer, i);
    check.require(source >= kNetworkInput && source < static_cast<int>(i),
                  "input " + std::to_string(source) + " must name an earlier layer (or -1, the network input)");
    s.in[i] = source == kNetworkInput ? s.input : s.out[source];
    check.require(!s.in[i].empty(), "empty input tensor " + shape_text(s.in[i]));
    if (const auto* conv = std::get_if<ConvLayer>(&layer))
      s.out[i] = check_conv(*conv, s.in[i], check);
    else if (const auto* fc = std::get_if<FcLayer>(&layer))
      s.out[i] = check_fc(*fc, s.in[i], check);
    else if (const auto* pool = std::get_if<PoolLayer>(&layer))
      s.out[i] = check_pool(*pool, s.in[i], check);
    else if (const auto* view = std::get_if<ViewLayer>(&layer))
      s.out[i] = check_view(*view, source, i + 1 == n, s.in[i], s.slices[i], check);
    else if (std::holds_alternative<CopyLayer>(layer))
      s.out[i] = s.in[i];
    else if (const auto* cpu = std::get_if<CpuLayer>(&layer))
      s.out[i] = check_cpu(*cpu, i, s.in[i], cpu->other >= -1 && cpu->other < static_cast<int>(i)
                                                   ? (cpu->other < 0 ? s.input : s.out[cpu->other])
                                                   : TensorShape{}, check);
    else {
      const auto& e = std::get<EltwiseLayer>(layer);
      const bool named = e.other >= -1 && e.other < static_cast<int>(i);
      s.out[i] = check_eltwise(e, i, s.in[i], named ? (e.other < 0 ? s.input : s.out[e.other]) : TensorShape{}, check);
    }
  }
  return s;
}

// The tensor that holds layer i's output (itself, or the outermost layer whose bytes contain it) and
// the byte offset of the output in it.
std::pair<uint32_t, uint64_t> storage_of(uint32_t i, const std::vector<Slice>& slices) {
  uint64_t offset = 0;
  while (slices[i].container >= 0) {
    offset += slices[i].offset;
    i = static_cast<uint32_t>(slices[i].container);
  }
  return {i, offset};
}

MemoryPlan plan_memory(const Network& net, const Shapes& shapes) {
  const uint32_t n = static_cast<uint32_t>(net.layers.size());
  MemoryPlan plan;
  plan.input = {kArgInput, 0, shapes.input};
  plan.output = {kArgOutput, 0, shapes.out.back()};
  // Every intermediate tensor lives from its layer to its last reader; a concatenation's from its
  // first source's layer to the last reader of it or of any source (they share its bytes).
  std::vector<Lifetime> lifetimes(n);
  for (uint32_t i = 0; i < n; ++i) lifetimes[i] = {shapes.out[i].elements(), i, i};
  const auto read_by = [&](int source, uint32_t reader) {
    if (source >= 0) lifetimes[source].last = std::max(lifetimes[source].last, reader);
  };
  for (uint32_t i = 0; i < n; ++i) {
    if (std::holds_alternative<ConcatLayer>(net.layers[i])) continue;
    read_by(input_source(net.layers[i], i), i);
    if (const auto* e = std::get_if<EltwiseLayer>(&net.layers[i])) read_by(e->other, i);
    if (const auto* cpu = std::get_if<CpuLayer>(&net.layers[i])) read_by(cpu->other, i);
  }
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t root = storage_of(i, shapes.slices).first;
    if (root == i) continue;
    lifetimes[root].first = std::min(lifetimes[root].first, lifetimes[i].first);
    lifetimes[root].last = std::max(lifetimes[root].last, lifetimes[i].last);
    lifetimes[i].bytes = 0;
  }
  // The last layer's tensor (and its slices) is the output window, not scratch.
  lifetimes.back().bytes = 0;
  uint64_t scratch = 0;
  const std::vector<uint64_t> offsets = place_tensors(lifetimes, kDdrAlign, scratch);
  for (uint32_t i = 0; i < n; ++i) {
    const auto [root, offset] = storage_of(i, shapes.slices);
    plan.layer_outputs.push_back(root + 1 == n ? TensorPlacement{kArgOutput, offset, shapes.out[i]}
                                               : TensorPlacement{kArgScratch, offsets[root] + offset, shapes.out[i]});
  }
  plan.window_bytes[kArgInput] = shapes.input.elements();
  plan.window_bytes[kArgOutput] = shapes.out.back().elements();
  plan.window_bytes[kArgScratch] = scratch;
  return plan;
}

package::CpuTensor placed(package::CpuTensor t, const TensorPlacement& where) {
  t.window = where.arg;
  t.offset = where.offset;
  return t;
}

// A CPU layer's stage: its tensors where the memory plan put them; a constant operand appended to
// the constants window.
package::StageRecord cpu_stage(const CpuLayer& l, uint32_t index, const TensorPlacement& in,
                               const TensorPlacement& out, Program& program) {
  package::StageRecord s = cpu_stage_of(l);
  s.layer = index;
  s.inputs[0] = placed(s.inputs[0], in);
  s.output = placed(s.output, out);
  if (l.other == kConstantOperand) {
    const uint64_t at = align_up(program.constants.size(), kDdrAlign);
    program.constants.resize(at);
    program.constants.insert(program.constants.end(), l.constant.begin(), l.constant.end());
    s.inputs[1] = placed(s.inputs[1], TensorPlacement{kArgConstants, at, l.other_view});
  } else if (l.other != kNoOperand) {
    s.inputs[1] = placed(s.inputs[1], l.other == kNetworkInput ? program.plan.input : program.plan.layer_outputs[l.other]);
  }
  return s;
}

}  // namespace

Program build(const Network& net, const CnnConfig& hw, const BuildOptions& options) {
  if (net.layers.empty()) throw BuildError("builder: the network has no layers");
  const Shapes shapes = check_network(net);
  Program program;
  program.options = options;
  program.slots = plan_slots(hw, options.double_buffer);
  program.plan = plan_memory(net, shapes);
  const TileBudget budget = budget_of(program.slots, hw);

  // Each accelerator stage is a job of its own: a scheduler of its own (tokens and buffer slots
  // start afresh at START), its END appended where a CPU layer begins.
  Scheduler sched(hw, options.double_buffer);
  const auto end_accelerator_stage = [&] {
    if (sched.size() == 0) return;
    std::vector<isa::Instruction> range = sched.finish();
    package::StageRecord stage{};
    stage.kind = package::kStageAccelerator;
    stage.first_instruction = static_cast<uint32_t>(program.instructions.size());
    stage.instruction_count = static_cast<uint32_t>(range.size());
    program.stages.push_back(stage);
    program.instructions.insert(program.instructions.end(), range.begin(), range.end());
    sched = Scheduler(hw, options.double_buffer);
  };
  for (uint32_t i = 0; i < net.layers.size(); ++i) {
    const Layer& layer = net.layers[i];
    const LayerCheck check(i, layer);
    LayerInfo info;
    info.name = layer_name(layer);
    info.kind = static_cast<LayerKind>(layer.index());
    info.input = shapes.in[i];
    info.output = shapes.out[i];
    info.constants_offset = align_up(program.constants.size(), kDdrAlign);
    const int source = input_source(layer, i);
    const TensorPlacement in = source == kNetworkInput ? program.plan.input : program.plan.layer_outputs[source];
    const TensorPlacement& out = program.plan.layer_outputs[i];

    if (const auto* cpu = std::get_if<CpuLayer>(&layer)) {
      end_accelerator_stage();
      info.first_instruction = info.end_instruction = static_cast<uint32_t>(program.instructions.size());
      program.stages.push_back(cpu_stage(*cpu, i, in, out, program));
      info.constants_bytes =
          program.constants.size() > info.constants_offset ? program.constants.size() - info.constants_offset : 0;
      program.layers.push_back(std::move(info));
      continue;
    }
    const uint32_t base = static_cast<uint32_t>(program.instructions.size());
    sched.set_layer(i);
    info.first_instruction = base + sched.size();
    const uint32_t syncs_before = sched.syncs();
    LayerEmitter emit(sched, program.constants, info, i);
    std::string why;
    if (const auto* conv = std::get_if<ConvLayer>(&layer)) {
      const auto plan = choose_conv_tiling(conv_problem(*conv), budget_with_table(budget, conv->activation), why);
      if (!plan) check.fail("cannot be tiled: " + why);
      info.tiling = plan->tiling;
      info.macs =
          uint64_t{conv->out_c} * conv->conv_h() * conv->conv_w() * conv->group_in_c() * conv->kernel_h * conv->kernel_w;
      info.weight_bytes = conv->weights.size();
      info.bias_bytes = 4 * conv->bias.size() + conv->channel_shifts.size();
      emit.conv(*conv, in, out, *plan);
    } else if (const auto* fc = std::get_if<FcLayer>(&layer)) {
      const auto plan =
          choose_fc_tiling(fc->n_in, fc->n_out, budget_with_table(budget, fc->activation), why, !fc->channel_shifts.empty());
      if (!plan) check.fail("cannot be tiled: " + why);
      info.tiling = plan->tiling;
      info.macs = uint64_t{fc->n_in} * fc->n_out;
      info.weight_bytes = fc->weights.size();
      info.bias_bytes = 4 * fc->bias.size() + fc->channel_shifts.size();
      emit.fc(*fc, in, out, *plan);
    } else if (const auto* pool = std::get_if<PoolLayer>(&layer)) {
      const auto plan = choose_pool_tiling(pool_rows(*pool, in.shape), in.shape.c, in.shape.w, out.shape.w, budget, why);
      if (!plan) check.fail("cannot be tiled: " + why);
      info.tiling = plan->tiling;
      emit.pool(*pool, in, out, *plan);
    } else if (std::holds_alternative<ConcatLayer>(layer)) {
      info.input = shapes.out[i];  // its sources wrote their slices: nothing to compute or move
    } else if (std::holds_alternative<ViewLayer>(layer)) {
      // Its readers read the channel range in place: nothing to compute or move.
    } else if (const auto* copy = std::get_if<CopyLayer>(&layer)) {
      const PoolLayer pool = copy_as_pool(*copy);
      const auto plan = choose_pool_tiling(pool_rows(pool, in.shape), in.shape.c, in.shape.w, out.shape.w, budget, why);
      if (!plan) check.fail("cannot be tiled: " + why);
      info.tiling = plan->tiling;
      emit.pool(pool, in, out, *plan);
    } else {
      const auto& e = std::get<EltwiseLayer>(layer);
      const auto plan = choose_eltwise_tiling(in.shape.elements(), budget, why);
      if (!plan) check.fail("cannot be tiled: " + why);
      info.tiling = *plan;
      const TensorPlacement& b = e.other < 0 ? program.plan.input : program.plan.layer_outputs[e.other];
      emit.eltwise(e, in, b, out, *plan);
    }
    info.end_instruction = base + sched.size();
    info.syncs = sched.syncs() - syncs_before;
    info.constants_bytes = program.constants.size() > info.constants_offset ? program.constants.size() - info.constants_offset : 0;
    program.layers.push_back(std::move(info));
  }
  if (program.stages.empty()) {
    program.instructions = sched.finish();
  } else {
    end_accelerator_stage();
    // The package holds at least one instruction even when the CPU runs every layer.
    if (program.instructions.empty()) program.instructions = sched.finish();
  }
  program.constants.resize(align_up(program.constants.size(), kDdrAlign), 0);
  program.plan.window_bytes[kArgConstants] = program.constants.size();
  return program;
}

}  // namespace dlvp::builder
