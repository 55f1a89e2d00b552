// The reference arithmetic: docs/isa.md read literally, one loop per sum, int64 everywhere.
#include "tests/reference/cnn_reference.h"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

namespace dlvp::ref {

// ---------------------------------------------------------------------------------------------
// Scalar rules

int64_t floor_div(int64_t a, int64_t b) {
  if (b <= 0) throw std::invalid_argument("floor_div: divisor must be positive");
  int64_t q = a / b;
  if (a % b != 0 && a < 0) q -= 1;  // C++ truncates toward zero; floor goes one lower for negatives
  return q;
}

int64_t round_shift(int64_t v, int shift) {
  if (shift < -31 || shift > 31) throw std::invalid_argument("round_shift: shift outside -31..31");
  if (shift == 0) return v;
  if (shift < 0) return v * (int64_t{1} << -shift);
  const int64_t divisor = int64_t{1} << shift;
  return floor_div(v + divisor / 2, divisor);
}

int8_t sat8(int64_t v) { return static_cast<int8_t>(std::clamp<int64_t>(v, -128, 127)); }

int64_t sat_acc(int64_t v, uint32_t accumulator_bits) {
  if (accumulator_bits < 1 || accumulator_bits > 63) throw std::invalid_argument("sat_acc: width outside 1..63");
  const int64_t max = (int64_t{1} << (accumulator_bits - 1)) - 1;
  const int64_t min = -(int64_t{1} << (accumulator_bits - 1));
  return std::clamp(v, min, max);
}

int8_t activate(const Activation& a, int8_t y) {
  if (a.clip) {
    if (a.clip_min > a.clip_max) throw std::invalid_argument("activation: clip_min > clip_max");
    y = static_cast<int8_t>(std::clamp<int>(y, a.clip_min, a.clip_max));
  }
  if (a.table.empty()) return y;
  if (a.table.size() != 256) throw std::invalid_argument("activation: the table has not 256 entries");
  return a.table[static_cast<size_t>(int{y} + 128)];
}

int64_t average_half_up(int64_t sum, int64_t n) {
  if (n < 1) throw std::invalid_argument("average_half_up: no elements");
  return floor_div(2 * sum + n, 2 * n);
}

namespace {

int8_t relu8(int8_t v, bool relu) { return relu && v < 0 ? int8_t{0} : v; }

int64_t shift_left(int64_t v, int shift) { return v * (int64_t{1} << shift); }

void require(bool condition, const char* what) {
  if (!condition) throw std::invalid_argument(what);
}

// ---------------------------------------------------------------------------------------------
// Bounds-checked little-endian access to one buffer.

class ByteView {
 public:
  ByteView(uint8_t* data, uint64_t size, const char* name) : data_(data), size_(size), name_(name) {}

  int8_t read_i8(uint64_t offset) const {
    require_inside(offset, 1);
    return static_cast<int8_t>(data_[offset]);
  }
  void write_i8(uint64_t offset, int8_t v) const {
    require_inside(offset, 1);
    data_[offset] = static_cast<uint8_t>(v);
  }
  int32_t read_i32(uint64_t offset) const {
    require_inside(offset, 4);
    uint64_t u = 0;
    for (int i = 0; i < 4; ++i) u |= uint64_t{data_[offset + i]} << (8 * i);
    const int64_t value = u >= (uint64_t{1} << 31) ? static_cast<int64_t>(u) - (int64_t{1} << 32) : static_cast<int64_t>(u);
    return static_cast<int32_t>(value);
  }
  void write_i32(uint64_t offset, int64_t v) const {
    require_inside(offset, 4);
    if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
      throw std::out_of_range("reference: partial sum does not fit int32");
    const uint64_t u = v < 0 ? static_cast<uint64_t>(v + (int64_t{1} << 32)) : static_cast<uint64_t>(v);
    for (int i = 0; i < 4; ++i) data_[offset + i] = static_cast<uint8_t>((u >> (8 * i)) & 0xff);
  }

  std::vector<int8_t> read_i8_block(uint64_t offset, uint64_t count) const {
    std::vector<int8_t> v(count);
    for (uint64_t i = 0; i < count; ++i) v[i] = read_i8(offset + i);
    return v;
  }
  void write_i8_block(uint64_t offset, const std::vector<int8_t>& v) const {
    for (uint64_t i = 0; i < v.size(); ++i) write_i8(offset + i, v[i]);
  }

 private:
  void require_inside(uint64_t offset, uint64_t bytes) const {
    if (data_ == nullptr || bytes > size_ || offset > size_ - bytes)
      throw std::out_of_range(std::string("reference: access outside the ") + name_ + " buffer at offset " +
                              std::to_string(offset));
  }
  uint8_t* data_;
  uint64_t size_;
  const char* name_;
};

ByteView view(const Buffers& b, isa::Buffer which) {
  static const char* const kNames[isa::kBufCount] = {"input", "weight", "output"};
  return ByteView(b.data[which], b.size[which], kNames[which]);
}

// The activation unit of an instruction (its table read from the weight buffer).
template <typename T>
Activation activation_of(const T& i, const Buffers& b) {
  Activation a;
  a.clip = i.header.flags & isa::kFlagClip;
  a.clip_min = i.clip_min;
  a.clip_max = i.clip_max;
  if (i.header.flags & isa::kFlagTable) a.table = view(b, isa::kBufWeight).read_i8_block(i.table_offset, 256);
  return a;
}

// ---------------------------------------------------------------------------------------------
// Checks

// a * b, saturated at UINT64_MAX (products of 32-bit fields can exceed 64 bits).
uint64_t mul_sat(uint64_t a, uint64_t b) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) return std::numeric_limits<uint64_t>::max();
  return a * b;
}

bool region_fits(uint64_t offset, uint64_t bytes, uint64_t buffer_size) {
  return bytes <= buffer_size && offset <= buffer_size - bytes;
}

bool output_shift_ok(int v) { return v >= -31 && v <= 31; }
bool bias_shift_ok(int v) { return v >= 0 && v <= 31; }
bool kernel_ok(uint32_t v) { return v >= 1 && v <= 15; }
bool stride_ok(uint32_t v) { return v >= 1 && v <= 15; }

// Output length of a window sweep, 0 when the window does not fit in the padded input.
uint32_t sweep_length(uint32_t in, uint32_t pad_before, uint32_t pad_after, uint32_t window, uint32_t stride) {
  const uint64_t padded = uint64_t{in} + pad_before + pad_after;
  if (window == 0 || stride == 0 || padded < window) return 0;
  return static_cast<uint32_t>((padded - window) / stride + 1);
}

uint32_t pooled_length(uint32_t in, uint32_t size, uint32_t stride) {
  if (size == 0 || stride == 0 || in < size) return 0;
  return (in - size) / stride + 1;
}

// Version 3: the activation unit's fields, where the instruction uses them (CONV and FC: AccLast).
template <typename T>
bool clip_ok(const T& i, bool used) {
  return !used || !(i.header.flags & isa::kFlagClip) || i.clip_min <= i.clip_max;
}
template <typename T>
bool table_fits(const T& i, bool used, const Buffers& b) {
  return !used || !(i.header.flags & isa::kFlagTable) || region_fits(i.table_offset, 256, b.size[isa::kBufWeight]);
}

uint64_t eltwise_b_elements(const isa::Eltwise& e) {
  const uint64_t run = e.broadcast == 0 ? 1 : e.broadcast;
  return (e.count + run - 1) / run;
}

bool reads_shift_table(uint16_t flags) {
  return (flags & isa::kFlagAccLast) && (flags & isa::kFlagChannelShift);
}

// ISA v3: the per-channel shift table must lie in the weight buffer, every entry -31..31.
isa::ErrorCode check_shift_table(uint16_t flags, uint32_t offset, uint32_t channels, const Buffers& b) {
  if (!reads_shift_table(flags)) return isa::kErrNone;
  if (!region_fits(offset, channels, b.size[isa::kBufWeight])) return isa::kErrBufferOverrun;
  for (uint32_t c = 0; c < channels; ++c)
    if (!output_shift_ok(static_cast<int8_t>(b.data[isa::kBufWeight][offset + c]))) return isa::kErrBadField;
  return isa::kErrNone;
}

bool conv_fields_ok(const isa::Conv& c) {
  if (!clip_ok(c, c.header.flags & isa::kFlagAccLast)) return false;
  if (c.in_h < 1 || c.in_w < 1 || c.in_c < 1 || c.out_c < 1) return false;
  if (!kernel_ok(c.kernel_h) || !kernel_ok(c.kernel_w) || !stride_ok(c.stride_h) || !stride_ok(c.stride_w)) return false;
  if (c.pad_top >= c.kernel_h || c.pad_bottom >= c.kernel_h || c.pad_left >= c.kernel_w || c.pad_right >= c.kernel_w)
    return false;
  if (!bias_shift_ok(c.bias_shift) || !output_shift_ok(c.output_shift)) return false;
  const uint32_t groups = c.groups == 0 ? 1 : c.groups;
  if (c.in_c % groups != 0 || c.out_c % groups != 0) return false;
  const ConvDims d = conv_dims(c);
  if (d.out_h < 1 || d.out_w < 1) return false;
  if (c.header.flags & isa::kFlagPool) {
    const uint32_t smaller = std::min(d.out_h, d.out_w);
    if (c.pool_size < 1 || c.pool_stride < 1 || c.pool_size > smaller || c.pool_stride > smaller) return false;
  }
  return true;
}

isa::ErrorCode check_conv(const isa::Conv& c, const Buffers& b) {
  if (!conv_fields_ok(c)) return isa::kErrBadField;
  const ConvDims d = conv_dims(c);
  const bool first = c.header.flags & isa::kFlagAccFirst;
  const bool last = c.header.flags & isa::kFlagAccLast;
  const uint64_t in_bytes = uint64_t{c.in_c} * c.in_h * c.in_w;
  const uint64_t weight_bytes = uint64_t{c.out_c} * (c.in_c / (c.groups == 0 ? 1 : c.groups)) * c.kernel_h * c.kernel_w;
  const uint64_t psum_bytes = 4 * uint64_t{c.out_c} * d.out_h * d.out_w;
  const uint64_t out_bytes = uint64_t{c.out_c} * d.pool_h * d.pool_w;
  bool ok = region_fits(c.input_offset, in_bytes, b.size[isa::kBufInput]) &&
            region_fits(c.weight_offset, weight_bytes, b.size[isa::kBufWeight]);
  if (first) ok = ok && region_fits(c.bias_offset, 4 * uint64_t{c.out_c}, b.size[isa::kBufWeight]);
  if (!first || !last) ok = ok && region_fits(c.psum_offset, psum_bytes, b.size[isa::kBufOutput]);
  if (last) ok = ok && region_fits(c.output_offset, out_bytes, b.size[isa::kBufOutput]);
  ok = ok && table_fits(c, last, b);
  if (!ok) return isa::kErrBufferOverrun;
  return check_shift_table(c.header.flags, c.shift_offset, c.out_c, b);
}

isa::ErrorCode check_fc(const isa::Fc& f, const Buffers& b) {
  if (f.n_in < 1 || f.n_out < 1 || !bias_shift_ok(f.bias_shift) || !output_shift_ok(f.output_shift) ||
      !clip_ok(f, f.header.flags & isa::kFlagAccLast))
    return isa::kErrBadField;
  const bool first = f.header.flags & isa::kFlagAccFirst;
  const bool last = f.header.flags & isa::kFlagAccLast;
  bool ok = region_fits(f.input_offset, f.n_in, b.size[isa::kBufInput]) &&
            region_fits(f.weight_offset, mul_sat(f.n_out, f.n_in), b.size[isa::kBufWeight]);
  if (first) ok = ok && region_fits(f.bias_offset, 4 * uint64_t{f.n_out}, b.size[isa::kBufWeight]);
  if (!first || !last) ok = ok && region_fits(f.psum_offset, 4 * uint64_t{f.n_out}, b.size[isa::kBufOutput]);
  if (last) ok = ok && region_fits(f.output_offset, f.n_out, b.size[isa::kBufOutput]);
  ok = ok && table_fits(f, last, b);
  if (!ok) return isa::kErrBufferOverrun;
  return check_shift_table(f.header.flags, f.shift_offset, f.n_out, b);
}

isa::ErrorCode check_pool(const isa::Pool& p, const Buffers& b) {
  if (p.source != isa::kBufInput && p.source != isa::kBufOutput) return isa::kErrBadField;
  if (p.c < 1 || p.in_h < 1 || p.in_w < 1 || !kernel_ok(p.size) || !stride_ok(p.stride)) return isa::kErrBadField;
  if (p.pad_top >= p.size || p.pad_bottom >= p.size || p.pad_left >= p.size || p.pad_right >= p.size)
    return isa::kErrBadField;
  const PoolDims d = pool_dims(p);
  if (d.out_h < 1 || d.out_w < 1) return isa::kErrBadField;
  const bool ok = region_fits(p.input_offset, uint64_t{p.c} * p.in_h * p.in_w, b.size[p.source]) &&
                  region_fits(p.output_offset, uint64_t{p.c} * d.out_h * d.out_w, b.size[isa::kBufOutput]);
  return ok ? isa::kErrNone : isa::kErrBufferOverrun;
}

isa::ErrorCode check_eltwise(const isa::Eltwise& e, const Buffers& b) {
  if (e.count < 1 || e.a_shift > 15 || e.b_shift > 15 || !output_shift_ok(e.output_shift)) return isa::kErrBadField;
  if (e.op > 1 || (e.op == 1 && (e.a_shift != 0 || e.b_shift != 0)) || !clip_ok(e, true)) return isa::kErrBadField;
  const bool ok = region_fits(e.a_offset, e.count, b.size[isa::kBufInput]) &&
                  region_fits(e.b_offset, eltwise_b_elements(e), b.size[isa::kBufInput]) &&
                  region_fits(e.output_offset, e.count, b.size[isa::kBufOutput]) && table_fits(e, true, b);
  return ok ? isa::kErrNone : isa::kErrBufferOverrun;
}

// ---------------------------------------------------------------------------------------------
// Layer pieces shared by the per-instruction and the whole-layer functions

ConvLayer layer_of(const isa::Conv& c, uint32_t accumulator_bits) {
  ConvLayer l;
  l.in_c = c.in_c, l.in_h = c.in_h, l.in_w = c.in_w, l.out_c = c.out_c;
  l.kernel_h = c.kernel_h, l.kernel_w = c.kernel_w, l.stride_h = c.stride_h, l.stride_w = c.stride_w;
  l.pad_top = c.pad_top, l.pad_left = c.pad_left, l.pad_bottom = c.pad_bottom, l.pad_right = c.pad_right;
  l.groups = c.groups == 0 ? 1 : c.groups;
  l.bias_shift = c.bias_shift, l.output_shift = c.output_shift;
  l.relu = c.header.flags & isa::kFlagRelu;
  l.pool = c.header.flags & isa::kFlagPool;
  l.pool_size = c.pool_size, l.pool_stride = c.pool_stride;
  l.accumulator_bits = accumulator_bits;
  return l;
}

void validate(const ConvLayer& l) {
  require(l.in_c >= 1 && l.in_h >= 1 && l.in_w >= 1 && l.out_c >= 1, "conv layer: empty tensor");
  require(l.kernel_h >= 1 && l.kernel_w >= 1 && l.stride_h >= 1 && l.stride_w >= 1, "conv layer: zero kernel or stride");
  require(l.out_h() >= 1 && l.out_w() >= 1, "conv layer: kernel larger than the padded input");
  require(l.groups >= 1 && l.in_c % l.groups == 0 && l.out_c % l.groups == 0,
          "conv layer: groups must divide in_c and out_c");
  require(l.bias_shift >= 0 && l.bias_shift <= 31 && l.output_shift >= -31 && l.output_shift <= 31,
          "conv layer: shift out of range");
  require(l.channel_shifts.empty() || l.channel_shifts.size() == l.out_c, "conv layer: channel shifts != out_c");
  for (int8_t v : l.channel_shifts) require(v >= -31 && v <= 31, "conv layer: channel shift out of range");
  if (l.pool) require(l.result_h() >= 1 && l.result_w() >= 1, "conv layer: pooling window larger than the map");
  require(l.accumulator_bits >= 2 && l.accumulator_bits <= 32, "conv layer: accumulator width outside 2..32");
}

// int8 results of the accumulators: round_shift, sat8, ReLU, then (optionally) max pooling.
std::vector<int8_t> finish_conv(const ConvLayer& l, const std::vector<int64_t>& acc) {
  const uint32_t oh = l.out_h(), ow = l.out_w();
  std::vector<int8_t> y(acc.size());
  const uint64_t pixels = uint64_t{oh} * ow;
  for (size_t i = 0; i < acc.size(); ++i) {
    const int shift = l.channel_shifts.empty() ? l.output_shift : l.channel_shifts[i / pixels];
    y[i] = activate(l.activation, relu8(sat8(round_shift(acc[i], shift)), l.relu));
  }
  if (!l.pool) return y;
  const uint32_t ph = l.result_h(), pw = l.result_w();
  std::vector<int8_t> pooled(uint64_t{l.out_c} * ph * pw);
  for (uint32_t c = 0; c < l.out_c; ++c)
    for (uint32_t py = 0; py < ph; ++py)
      for (uint32_t px = 0; px < pw; ++px) {
        int8_t best = std::numeric_limits<int8_t>::min();
        for (uint32_t i = 0; i < l.pool_size; ++i)
          for (uint32_t j = 0; j < l.pool_size; ++j) {
            const uint64_t y_index = (uint64_t{c} * oh + py * l.pool_stride + i) * ow + px * l.pool_stride + j;
            best = std::max(best, y[y_index]);
          }
        pooled[(uint64_t{c} * ph + py) * pw + px] = best;
      }
  return pooled;
}

// The accumulators' starting values: bias << bias_shift, one per output channel, over the map.
std::vector<int64_t> bias_start(uint32_t out_c, uint64_t pixels, const std::vector<int32_t>& bias, int bias_shift) {
  std::vector<int64_t> start(out_c * pixels);
  for (uint32_t c = 0; c < out_c; ++c)
    for (uint64_t p = 0; p < pixels; ++p) start[c * pixels + p] = shift_left(bias[c], bias_shift);
  return start;
}

std::vector<int32_t> read_bias(const ByteView& weights, uint64_t offset, uint32_t count) {
  std::vector<int32_t> bias(count);
  for (uint32_t i = 0; i < count; ++i) bias[i] = weights.read_i32(offset + 4 * uint64_t{i});
  return bias;
}

std::vector<int64_t> read_psum(const ByteView& output, uint64_t offset, uint64_t count) {
  std::vector<int64_t> psum(count);
  for (uint64_t i = 0; i < count; ++i) psum[i] = output.read_i32(offset + 4 * i);
  return psum;
}

void write_psum(const ByteView& output, uint64_t offset, const std::vector<int64_t>& acc) {
  for (uint64_t i = 0; i < acc.size(); ++i) output.write_i32(offset + 4 * i, acc[i]);
}

void require_accumulator_bits(uint32_t bits) {
  require(bits >= 2 && bits <= 32, "reference: accumulator width outside 2..32 (psum is int32)");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Shapes

ConvDims conv_dims(const isa::Conv& c) {
  ConvDims d;
  d.out_h = sweep_length(c.in_h, c.pad_top, c.pad_bottom, c.kernel_h, c.stride_h);
  d.out_w = sweep_length(c.in_w, c.pad_left, c.pad_right, c.kernel_w, c.stride_w);
  const bool pooled = c.header.flags & isa::kFlagPool;
  d.pool_h = pooled ? pooled_length(d.out_h, c.pool_size, c.pool_stride) : d.out_h;
  d.pool_w = pooled ? pooled_length(d.out_w, c.pool_size, c.pool_stride) : d.out_w;
  return d;
}

PoolDims pool_dims(const isa::Pool& p) {
  PoolDims d;
  d.out_h = sweep_length(p.in_h, p.pad_top, p.pad_bottom, p.size, p.stride);
  d.out_w = sweep_length(p.in_w, p.pad_left, p.pad_right, p.size, p.stride);
  return d;
}

uint32_t ConvLayer::out_h() const { return sweep_length(in_h, pad_top, pad_bottom, kernel_h, stride_h); }
uint32_t ConvLayer::out_w() const { return sweep_length(in_w, pad_left, pad_right, kernel_w, stride_w); }
uint32_t ConvLayer::result_h() const { return pool ? pooled_length(out_h(), pool_size, pool_stride) : out_h(); }
uint32_t ConvLayer::result_w() const { return pool ? pooled_length(out_w(), pool_size, pool_stride) : out_w(); }
uint32_t PoolLayer::out_h() const { return sweep_length(in_h, pad_top, pad_bottom, size, stride); }
uint32_t PoolLayer::out_w() const { return sweep_length(in_w, pad_left, pad_right, size, stride); }

// ---------------------------------------------------------------------------------------------
// Checks and per-instruction execution

isa::ErrorCode check_compute(const isa::Instruction& instruction, const Buffers& buffers) {
  switch (instruction.header.opcode) {
    case isa::kOpConv: return check_conv(instruction.conv, buffers);
    case isa::kOpFc: return check_fc(instruction.fc, buffers);
    case isa::kOpPool: return check_pool(instruction.pool, buffers);
    case isa::kOpEltwise: return check_eltwise(instruction.eltwise, buffers);
    default: return isa::kErrUnknownOpcode;
  }
}

isa::ErrorCode execute_compute(const isa::Instruction& instruction, const Buffers& buffers, uint32_t accumulator_bits) {
  const isa::ErrorCode error = check_compute(instruction, buffers);
  if (error != isa::kErrNone) return error;
  switch (instruction.header.opcode) {
    case isa::kOpConv: conv(instruction.conv, buffers, accumulator_bits); break;
    case isa::kOpFc: fc(instruction.fc, buffers, accumulator_bits); break;
    case isa::kOpPool: pool(instruction.pool, buffers); break;
    default: eltwise(instruction.eltwise, buffers); break;
  }
  return isa::kErrNone;
}

void conv(const isa::Conv& c, const Buffers& buffers, uint32_t accumulator_bits) {
  require_accumulator_bits(accumulator_bits);
  ConvLayer layer = layer_of(c, accumulator_bits);
  if (c.header.flags & isa::kFlagAccLast) layer.activation = activation_of(c, buffers);
  const ByteView in = view(buffers, isa::kBufInput), wt = view(buffers, isa::kBufWeight);
  const ByteView out = view(buffers, isa::kBufOutput);
  const uint64_t pixels = uint64_t{layer.out_h()} * layer.out_w();
  const std::vector<int8_t> input = in.read_i8_block(c.input_offset, uint64_t{c.in_c} * c.in_h * c.in_w);
  const std::vector<int8_t> weights =
      wt.read_i8_block(c.weight_offset, uint64_t{c.out_c} * (c.in_c / layer.groups) * c.kernel_h * c.kernel_w);
  const std::vector<int64_t> start = (c.header.flags & isa::kFlagAccFirst)
                                         ? bias_start(c.out_c, pixels, read_bias(wt, c.bias_offset, c.out_c), c.bias_shift)
                                         : read_psum(out, c.psum_offset, c.out_c * pixels);
  const std::vector<int64_t> acc = conv_accumulate(layer, input, weights, start);
  if (reads_shift_table(c.header.flags)) layer.channel_shifts = wt.read_i8_block(c.shift_offset, c.out_c);
  if (c.header.flags & isa::kFlagAccLast)
    out.write_i8_block(c.output_offset, finish_conv(layer, acc));
  else
    write_psum(out, c.psum_offset, acc);
}

void fc(const isa::Fc& f, const Buffers& buffers, uint32_t accumulator_bits) {
  require_accumulator_bits(accumulator_bits);
  const ByteView in = view(buffers, isa::kBufInput), wt = view(buffers, isa::kBufWeight);
  const ByteView out = view(buffers, isa::kBufOutput);
  const std::vector<int8_t> input = in.read_i8_block(f.input_offset, f.n_in);
  std::vector<int64_t> acc = (f.header.flags & isa::kFlagAccFirst)
                                 ? bias_start(f.n_out, 1, read_bias(wt, f.bias_offset, f.n_out), f.bias_shift)
                                 : read_psum(out, f.psum_offset, f.n_out);
  for (uint32_t o = 0; o < f.n_out; ++o) {
    int64_t sum = acc[o];
    for (uint32_t i = 0; i < f.n_in; ++i)
      sum += int64_t{input[i]} * wt.read_i8(f.weight_offset + uint64_t{o} * f.n_in + i);
    acc[o] = sat_acc(sum, accumulator_bits);
  }
  if (!(f.header.flags & isa::kFlagAccLast)) {
    write_psum(out, f.psum_offset, acc);
    return;
  }
  const bool relu = f.header.flags & isa::kFlagRelu;
  const Activation activation = activation_of(f, buffers);
  const bool table = reads_shift_table(f.header.flags);
  std::vector<int8_t> y(f.n_out);
  for (uint32_t o = 0; o < f.n_out; ++o) {
    const int shift = table ? wt.read_i8(f.shift_offset + uint64_t{o}) : f.output_shift;
    y[o] = activate(activation, relu8(sat8(round_shift(acc[o], shift)), relu));
  }
  out.write_i8_block(f.output_offset, y);
}

void pool(const isa::Pool& p, const Buffers& buffers) {
  PoolLayer layer;
  layer.c = p.c, layer.in_h = p.in_h, layer.in_w = p.in_w, layer.size = p.size, layer.stride = p.stride;
  layer.pad_top = p.pad_top, layer.pad_left = p.pad_left, layer.pad_bottom = p.pad_bottom, layer.pad_right = p.pad_right;
  layer.average = p.header.flags & isa::kFlagAvgPool;
  layer.relu = p.header.flags & isa::kFlagRelu;
  if (p.source != isa::kBufInput && p.source != isa::kBufOutput) throw std::out_of_range("reference: bad pool source");
  const ByteView src = view(buffers, static_cast<isa::Buffer>(p.source));
  const std::vector<int8_t> input = src.read_i8_block(p.input_offset, uint64_t{p.c} * p.in_h * p.in_w);
  view(buffers, isa::kBufOutput).write_i8_block(p.output_offset, pool2d(layer, input));
}

void eltwise(const isa::Eltwise& e, const Buffers& buffers) {
  const ByteView in = view(buffers, isa::kBufInput);
  EltwiseLayer layer;
  layer.a_shift = e.a_shift, layer.b_shift = e.b_shift, layer.output_shift = e.output_shift;
  layer.relu = e.header.flags & isa::kFlagRelu;
  layer.mul = e.op == 1;
  layer.broadcast = e.broadcast == 0 ? 1 : e.broadcast;
  layer.activation = activation_of(e, buffers);
  const std::vector<int8_t> y =
      eltwise_add(layer, in.read_i8_block(e.a_offset, e.count), in.read_i8_block(e.b_offset, eltwise_b_elements(e)));
  view(buffers, isa::kBufOutput).write_i8_block(e.output_offset, y);
}

// ---------------------------------------------------------------------------------------------
// Whole layers

std::vector<int64_t> conv_accumulate(const ConvLayer& l, const std::vector<int8_t>& input,
                                     const std::vector<int8_t>& weights, const std::vector<int64_t>& start) {
  validate(l);
  const uint32_t oh = l.out_h(), ow = l.out_w();
  require(input.size() == uint64_t{l.in_c} * l.in_h * l.in_w, "conv: input size does not match its shape");
  const uint32_t group_in = l.in_c / l.groups, group_out = l.out_c / l.groups;
  require(weights.size() == uint64_t{l.out_c} * group_in * l.kernel_h * l.kernel_w, "conv: weight size does not match");
  require(start.size() == uint64_t{l.out_c} * oh * ow, "conv: start accumulator size does not match");
  std::vector<int64_t> acc(start.size());
  for (uint32_t oc = 0; oc < l.out_c; ++oc)
    for (uint32_t oy = 0; oy < oh; ++oy)
      for (uint32_t ox = 0; ox < ow; ++ox) {
        const uint64_t out_index = (uint64_t{oc} * oh + oy) * ow + ox;
        int64_t sum = start[out_index];
        const uint32_t first_in = oc / group_out * group_in;
        for (uint32_t j = 0; j < group_in; ++j)
          for (uint32_t ky = 0; ky < l.kernel_h; ++ky)
            for (uint32_t kx = 0; kx < l.kernel_w; ++kx) {
              const int64_t iy = int64_t{oy} * l.stride_h + ky - l.pad_top;
              const int64_t ix = int64_t{ox} * l.stride_w + kx - l.pad_left;
              if (iy < 0 || ix < 0 || iy >= l.in_h || ix >= l.in_w) continue;  // padding contributes 0
              const int64_t x = input[(uint64_t{first_in + j} * l.in_h + iy) * l.in_w + ix];
              const int64_t w = weights[((uint64_t{oc} * group_in + j) * l.kernel_h + ky) * l.kernel_w + kx];
              sum += x * w;
            }
        acc[out_index] = sat_acc(sum, l.accumulator_bits);
      }
  return acc;
}

std::vector<int8_t> conv2d(const ConvLayer& layer, const std::vector<int8_t>& input, const std::vector<int8_t>& weights,
                           const std::vector<int32_t>& bias) {
  validate(layer);
  require(bias.size() == layer.out_c, "conv2d: bias size does not match out_c");
  const uint64_t pixels = uint64_t{layer.out_h()} * layer.out_w();
  const std::vector<int64_t> acc =
      conv_accumulate(layer, input, weights, bias_start(layer.out_c, pixels, bias, layer.bias_shift));
  return finish_conv(layer, acc);
}

std::vector<int8_t> fully_connected(const FcLayer& l, const std::vector<int8_t>& input,
                                    const std::vector<int8_t>& weights, const std::vector<int32_t>& bias) {
  require(l.n_in >= 1 && l.n_out >= 1, "fc: empty layer");
  require(input.size() == l.n_in && bias.size() == l.n_out && weights.size() == uint64_t{l.n_out} * l.n_in,
          "fc: tensor sizes do not match the layer");
  require(l.bias_shift >= 0 && l.bias_shift <= 31 && l.output_shift >= -31 && l.output_shift <= 31,
          "fc: shift out of range");
  require(l.accumulator_bits >= 2 && l.accumulator_bits <= 32, "fc: accumulator width outside 2..32");
  require(l.channel_shifts.empty() || l.channel_shifts.size() == l.n_out, "fc: channel shifts != n_out");
  for (int8_t v : l.channel_shifts) require(v >= -31 && v <= 31, "fc: channel shift out of range");
  std::vector<int8_t> y(l.n_out);
  for (uint32_t o = 0; o < l.n_out; ++o) {
    int64_t sum = shift_left(bias[o], l.bias_shift);
    for (uint32_t i = 0; i < l.n_in; ++i) sum += int64_t{input[i]} * weights[uint64_t{o} * l.n_in + i];
    const int shift = l.channel_shifts.empty() ? l.output_shift : l.channel_shifts[o];
    y[o] = activate(l.activation, relu8(sat8(round_shift(sat_acc(sum, l.accumulator_bits), shift)), l.relu));
  }
  return y;
}

std::vector<int8_t> pool2d(const PoolLayer& l, const std::vector<int8_t>& input) {
  require(l.c >= 1 && l.in_h >= 1 && l.in_w >= 1, "pool: empty tensor");
  require(input.size() == uint64_t{l.c} * l.in_h * l.in_w, "pool: input size does not match its shape");
  const uint32_t oh = l.out_h(), ow = l.out_w();
  require(oh >= 1 && ow >= 1, "pool: window larger than the padded input");
  std::vector<int8_t> y(uint64_t{l.c} * oh * ow);
  for (uint32_t c = 0; c < l.c; ++c)
    for (uint32_t oy = 0; oy < oh; ++oy)
      for (uint32_t ox = 0; ox < ow; ++ox) {
        int64_t best = std::numeric_limits<int64_t>::min();
        int64_t sum = 0, n = 0;
        for (uint32_t ky = 0; ky < l.size; ++ky)
          for (uint32_t kx = 0; kx < l.size; ++kx) {
            const int64_t iy = int64_t{oy} * l.stride + ky - l.pad_top;
            const int64_t ix = int64_t{ox} * l.stride + kx - l.pad_left;
            if (iy < 0 || ix < 0 || iy >= l.in_h || ix >= l.in_w) continue;  // padding: never wins, not counted
            const int64_t v = input[(uint64_t{c} * l.in_h + iy) * l.in_w + ix];
            best = std::max(best, v);
            sum += v;
            ++n;
          }
        require(n >= 1, "pool: a window holds only padding");
        const int64_t value = l.average ? average_half_up(sum, n) : best;
        y[(uint64_t{c} * oh + oy) * ow + ox] = relu8(sat8(value), l.relu);
      }
  return y;
}

std::vector<int8_t> eltwise_add(const EltwiseLayer& l, const std::vector<int8_t>& a, const std::vector<int8_t>& b) {
  require(l.broadcast >= 1, "eltwise: broadcast 0");
  require(b.size() == (a.size() + l.broadcast - 1) / l.broadcast, "eltwise: b does not match a and broadcast");
  require(!l.mul || (l.a_shift == 0 && l.b_shift == 0), "eltwise: mul with input shifts");
  require(l.a_shift >= 0 && l.a_shift <= 15 && l.b_shift >= 0 && l.b_shift <= 15, "eltwise: input shift outside 0..15");
  require(l.output_shift >= -31 && l.output_shift <= 31, "eltwise: output shift outside -31..31");
  std::vector<int8_t> y(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    const int64_t bj = b[i / l.broadcast];
    const int64_t v = l.mul ? int64_t{a[i]} * bj : shift_left(a[i], l.a_shift) + shift_left(bj, l.b_shift);
    y[i] = activate(l.activation, relu8(sat8(round_shift(v, l.output_shift)), l.relu));
  }
  return y;
}

}  // namespace dlvp::ref
