// The CNN engine's arithmetic (docs/isa.md "Arithmetic"): field and buffer checks, and execution
// of CONV, FC, POOL and ELTWISE on the engine's buffers.
#include "ip/cnn/cnn_arith.h"
#include "ip/cnn/simd.h"

#include "ip/cnn/activation_unit.h"
#include "ip/cnn/channel_shift.h"
#include "ip/cnn/conv_kernel.h"
#include "ip/cnn/depthwise_kernel.h"
#include "ip/cnn/output_kernel.h"
#include "ip/cnn/parallel_kernel.h"
#include "ip/common/range_check.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace dlvp::cnn {
namespace {

using isa::ErrorCode;

// ---- number formats -------------------------------------------------------------------------

int64_t round_shift(int64_t v, int shift) {
  if (shift > 0) return (v + (int64_t{1} << (shift - 1))) >> shift;
  if (shift < 0) return v * (int64_t{1} << -shift);
  return v;
}

int8_t sat8(int64_t v) { return static_cast<int8_t>(std::clamp<int64_t>(v, -128, 127)); }

// Signed range of the accumulators. Widths outside the contract (16..32) are pinned to 1..32:
// partial sums are stored as int32.
struct AccRange {
  int64_t lo, hi;
  explicit AccRange(uint32_t bits) {
    const uint32_t b = std::clamp<uint32_t>(bits, 1, 32);
    hi = (int64_t{1} << (b - 1)) - 1;
    lo = -hi - 1;
  }
};

// ---- checks ---------------------------------------------------------------------------------

// A byte range [offset, offset + bytes) inside a buffer (the fields are checked non-zero first).
bool fits(const BufferSet& b, isa::Buffer buf, uint64_t offset, uint64_t bytes) {
  return range_within(offset, bytes, 0, b.size[buf]);
}

bool output_shift_ok(int shift) { return shift >= -31 && shift <= 31; }

// The activation unit of CONV and FC runs only in the output stage (AccLast).
ErrorCode check_output_activation(uint16_t flags, const ActivationFields& a, const BufferSet& b) {
  return (flags & isa::kFlagAccLast) ? check_activation(a, b.size[isa::kBufWeight]) : isa::kErrNone;
}
bool bias_shift_ok(int shift) { return shift >= 0 && shift <= 31; }

// Output size of a sliding window; 0 when the window does not fit or the stride is 0.
uint32_t window_count(uint32_t in, uint32_t pad_a, uint32_t pad_b, uint32_t window, uint32_t stride) {
  const uint64_t padded = uint64_t{in} + pad_a + pad_b;
  if (stride == 0 || window == 0 || padded < window) return 0;
  return static_cast<uint32_t>((padded - window) / stride + 1);
}

bool window_fields_ok(uint32_t kernel, uint32_t stride, uint32_t pad_a, uint32_t pad_b) {
  return kernel >= 1 && kernel <= 15 && stride >= 1 && stride <= 15 && pad_a < kernel && pad_b < kernel;
}

// The accumulator sources and sinks shared by CONV and FC.
ErrorCode check_acc_buffers(const BufferSet& b, uint16_t flags, uint32_t out_c, uint64_t out_elems,
                            uint32_t bias_offset, uint32_t psum_offset, uint32_t output_offset,
                            uint64_t output_bytes) {
  const bool first = flags & isa::kFlagAccFirst, last = flags & isa::kFlagAccLast;
  if (first && !fits(b, isa::kBufWeight, bias_offset, 4ull * out_c)) return isa::kErrBufferOverrun;
  if ((!first || !last) && !fits(b, isa::kBufOutput, psum_offset, 4ull * out_elems)) return isa::kErrBufferOverrun;
  if (last && !fits(b, isa::kBufOutput, output_offset, output_bytes)) return isa::kErrBufferOverrun;
  return isa::kErrNone;
}

ErrorCode check_conv(const isa::Conv& c, const BufferSet& b) {
  if (c.in_h == 0 || c.in_w == 0 || c.in_c == 0 || c.out_c == 0) return isa::kErrBadField;
  if (!window_fields_ok(c.kernel_h, c.stride_h, c.pad_top, c.pad_bottom) ||
      !window_fields_ok(c.kernel_w, c.stride_w, c.pad_left, c.pad_right))
    return isa::kErrBadField;
  if (!bias_shift_ok(c.bias_shift) || !output_shift_ok(c.output_shift)) return isa::kErrBadField;
  if (c.in_c % isa::conv_groups(c) != 0 || c.out_c % isa::conv_groups(c) != 0) return isa::kErrBadField;
  const ConvShape s = conv_shape(c);
  if (s.out_h == 0 || s.out_w == 0) return isa::kErrBadField;
  if (c.header.flags & isa::kFlagPool) {
    const uint32_t out_min = std::min(s.out_h, s.out_w);
    if (c.pool_size < 1 || c.pool_size > out_min || c.pool_stride < 1 || c.pool_stride > out_min)
      return isa::kErrBadField;
  }
  if (const ErrorCode e = check_output_activation(c.header.flags, activation_fields(c), b); e != isa::kErrNone)
    return e;
  if (!fits(b, isa::kBufInput, c.input_offset, uint64_t{c.in_c} * c.in_h * c.in_w)) return isa::kErrBufferOverrun;
  if (!fits(b, isa::kBufWeight, c.weight_offset, uint64_t{c.out_c} * isa::conv_group_in_c(c) * c.kernel_h * c.kernel_w))
    return isa::kErrBufferOverrun;
  const ErrorCode acc = check_acc_buffers(b, c.header.flags, c.out_c, uint64_t{c.out_c} * s.out_h * s.out_w,
                                         c.bias_offset, c.psum_offset, c.output_offset,
                                         uint64_t{c.out_c} * s.pool_h * s.pool_w);
  return acc != isa::kErrNone ? acc : check_channel_shifts(c.header.flags, c.shift_offset, c.out_c, b);
}

ErrorCode check_fc(const isa::Fc& f, const BufferSet& b) {
  if (f.n_in == 0 || f.n_out == 0) return isa::kErrBadField;
  if (!bias_shift_ok(f.bias_shift) || !output_shift_ok(f.output_shift)) return isa::kErrBadField;
  if (const ErrorCode e = check_output_activation(f.header.flags, activation_fields(f), b); e != isa::kErrNone)
    return e;
  if (!fits(b, isa::kBufInput, f.input_offset, f.n_in)) return isa::kErrBufferOverrun;
  if (!fits(b, isa::kBufWeight, f.weight_offset, uint64_t{f.n_out} * f.n_in)) return isa::kErrBufferOverrun;
  const ErrorCode acc =
      check_acc_buffers(b, f.header.flags, f.n_out, f.n_out, f.bias_offset, f.psum_offset, f.output_offset, f.n_out);
  return acc != isa::kErrNone ? acc : check_channel_shifts(f.header.flags, f.shift_offset, f.n_out, b);
}

ErrorCode check_pool(const isa::Pool& p, const BufferSet& b) {
  if (p.source != isa::kBufInput && p.source != isa::kBufOutput) return isa::kErrBadField;
  if (p.c == 0 || p.in_h == 0 || p.in_w == 0) return isa::kErrBadField;
  if (!window_fields_ok(p.size, p.stride, p.pad_top, p.pad_bottom) ||
      !window_fields_ok(p.size, p.stride, p.pad_left, p.pad_right))
    return isa::kErrBadField;
  const PoolShape s = pool_shape(p);
  if (s.out_h == 0 || s.out_w == 0) return isa::kErrBadField;
  const auto source = static_cast<isa::Buffer>(p.source);
  if (!fits(b, source, p.input_offset, uint64_t{p.c} * p.in_h * p.in_w)) return isa::kErrBufferOverrun;
  if (!fits(b, isa::kBufOutput, p.output_offset, uint64_t{p.c} * s.out_h * s.out_w)) return isa::kErrBufferOverrun;
  return isa::kErrNone;
}

ErrorCode check_eltwise(const isa::Eltwise& e, const BufferSet& b) {
  if (e.count == 0 || e.a_shift > 15 || e.b_shift > 15 || !output_shift_ok(e.output_shift)) return isa::kErrBadField;
  if (e.op > isa::kEltwiseMul || (e.op == isa::kEltwiseMul && (e.a_shift != 0 || e.b_shift != 0)))
    return isa::kErrBadField;
  const ActivationFields act = activation_fields(e);
  if (act.clip() && act.clip_min > act.clip_max) return isa::kErrBadField;
  if (!fits(b, isa::kBufInput, e.a_offset, e.count) || !fits(b, isa::kBufInput, e.b_offset, eltwise_b_count(e)) ||
      !fits(b, isa::kBufOutput, e.output_offset, e.count))
    return isa::kErrBufferOverrun;
  return check_activation(act, b.size[isa::kBufWeight]);
}

// ---- CONV and FC output stage ---------------------------------------------------------------

constexpr uint64_t kParallelOutputs = uint64_t{1} << 12;  // below this the output stage runs on one thread

// Where the accumulators start: bias << bias_shift (constant per channel) or the stored psum.
struct AccStart {
  const uint8_t* psum = nullptr;  // int32 [channels][pixels]; null with AccFirst
  const uint8_t* bias = nullptr;  // int32 [channels]
  int bias_shift = 0;

  int64_t base(uint32_t channel) const {
    return psum ? 0 : int64_t{load_i32(bias + 4 * channel)} * (int64_t{1} << bias_shift);
  }
  const uint8_t* psum_at(uint64_t pixel) const { return psum ? psum + 4 * pixel : nullptr; }
};

AccStart acc_start(const BufferSet& b, uint16_t flags, uint32_t bias_offset, int bias_shift, const uint8_t* psum) {
  AccStart start;
  if (flags & isa::kFlagAccFirst) {
    start.bias = b.data[isa::kBufWeight] + bias_offset;
    start.bias_shift = bias_shift;
  } else {
    start.psum = psum;
  }
  return start;
}

kernels::OutputRow output_row(const ArithConfig& config, int output_shift, uint16_t flags) {
  const AccRange range(config.accumulator_bits);
  kernels::OutputRow row;
  row.acc_lo = range.lo;
  row.acc_hi = range.hi;
  row.output_shift = output_shift;
  row.relu = flags & isa::kFlagRelu;
  return row;
}

// The partial sums to read: from a copy when the int8 results would overwrite them before they
// are read (results are as if every input were read before any output is written).
const uint8_t* psum_source(const BufferSet& b, uint32_t psum_offset, uint64_t psum_bytes, uint32_t output_offset,
                           uint64_t output_bytes, std::vector<uint8_t>& copy) {
  const uint8_t* psum = b.data[isa::kBufOutput] + psum_offset;
  const bool overlap = psum_offset < uint64_t{output_offset} + output_bytes && output_offset < psum_offset + psum_bytes;
  if (!overlap) return psum;
  copy.assign(psum, psum + psum_bytes);
  return copy.data();
}

void finish_sums(kernels::KernelIsa isa, const kernels::OutputRow& stage, const int32_t* sum, const uint8_t* psum_in,
                 int64_t base, uint32_t n, uint8_t* psum_out, int8_t* y) {
  kernels::finish_row(isa, stage, sum, psum_in, base, n, psum_out, y);
}
void finish_sums(kernels::KernelIsa, const kernels::OutputRow& stage, const int64_t* sum, const uint8_t* psum_in,
                 int64_t base, uint32_t n, uint8_t* psum_out, int8_t* y) {
  kernels::finish_row_wide(stage, sum, psum_in, base, n, psum_out, y);
}

// Max pooling of one int8 map of width `w` over windows entirely inside it (CONV with kFlagPool).
void max_pool_map(const int8_t* map, uint32_t w, uint32_t size, uint32_t stride, uint32_t out_h, uint32_t out_w,
                  int8_t* out) {
  if (size == 2 && stride == 2) {
    for (uint32_t oy = 0; oy < out_h; ++oy, out += out_w)
      kernels::max_pool_2x2_row(map + 2ull * oy * w, map + (2ull * oy + 1) * w, out_w, out);
    return;
  }
  for (uint32_t oy = 0; oy < out_h; ++oy)
    for (uint32_t ox = 0; ox < out_w; ++ox) {
      const int8_t* window = map + uint64_t{oy} * stride * w + uint64_t{ox} * stride;
      int8_t m = -128;
      for (uint32_t dy = 0; dy < size; ++dy)
        for (uint32_t dx = 0; dx < size; ++dx) m = std::max(m, window[uint64_t{dy} * w + dx]);
      *out++ = m;
    }
}

struct ConvOutputs {
  uint8_t* psum = nullptr;  // int32 [out_c][out_h][out_w], without AccLast
  int8_t* out = nullptr;    // int8 [out_c][pool_h][pool_w], with AccLast
  const int8_t* shifts = nullptr;  // int8 [out_c] per-channel output shifts (kFlagChannelShift)
};

// The output stage of CONV channels [oc_begin, oc_end); `sums` hold channel oc at oc - sums_first.
template <typename T>
void finish_conv_channels(const isa::Conv& c, const ConvShape& s, kernels::SumView<T> sums, uint32_t sums_first,
                          const AccStart& start, const kernels::OutputRow& layer_stage, const ActivationUnit& act,
                          const ConvOutputs& to, uint32_t oc_begin, uint32_t oc_end) {
  const kernels::KernelIsa isa = kernels::active_kernel_isa();
  thread_local std::vector<int8_t> map;
  const bool pool = c.header.flags & isa::kFlagPool;
  if (pool) map.resize(uint64_t{s.out_h} * s.out_w);
  const uint64_t pixels = uint64_t{s.out_h} * s.out_w;
  for (uint32_t oc = oc_begin; oc < oc_end; ++oc) {
    const int64_t base = start.base(oc);
    kernels::OutputRow stage = layer_stage;
    stage.output_shift = channel_output_shift(to.shifts, oc, layer_stage.output_shift);
    for (uint32_t oy = 0; oy < s.out_h; ++oy) {
      const uint64_t pixel = oc * pixels + uint64_t{oy} * s.out_w;
      const T* sum = sums.data + (oc - sums_first) * sums.channel_stride + oy * sums.row_stride;
      uint8_t* psum_out = to.out ? nullptr : to.psum + 4 * pixel;
      int8_t* y = !to.out ? nullptr : pool ? map.data() + uint64_t{oy} * s.out_w : to.out + pixel;
      finish_sums(isa, stage, sum, start.psum_at(pixel), base, s.out_w, psum_out, y);
      if (y) act.apply(y, s.out_w);
    }
    if (to.out && pool)
      max_pool_map(map.data(), s.out_w, c.pool_size, c.pool_stride, s.pool_h, s.pool_w,
                   to.out + uint64_t{oc} * s.pool_h * s.pool_w);
  }
}

// Channels [oc_begin, oc_end) are independent: large outputs are finished on the kernel threads.
template <typename T>
void finish_conv(const isa::Conv& c, const ConvShape& s, kernels::SumView<T> sums, const AccStart& start,
                 const kernels::OutputRow& stage, const ActivationUnit& act, const ConvOutputs& to, uint32_t oc_begin,
                 uint32_t oc_end) {
  const uint32_t channels = oc_end - oc_begin;
  const uint64_t outputs = uint64_t{channels} * s.out_h * s.out_w;
  const uint32_t parts = outputs >= kParallelOutputs ? kernels::kernel_threads() : 1;
  kernels::parallel_for(parts, [&](uint32_t part) {
    const auto first = static_cast<uint32_t>(oc_begin + uint64_t{channels} * part / parts);
    const auto last = static_cast<uint32_t>(oc_begin + uint64_t{channels} * (part + 1) / parts);
    finish_conv_channels(c, s, sums, oc_begin, start, stage, act, to, first, last);
  });
}

struct Scratch {
  kernels::ConvKernel conv;
  kernels::DepthwiseKernel depthwise;
  std::vector<int64_t> fc_sums;
  std::vector<uint8_t> copy;
};
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

// What the output stage of a CONV needs besides the sums.
struct ConvSums {
  const isa::Conv& c;
  const ConvShape& s;
  const AccStart& start;
  const kernels::OutputRow& stage;
  const ActivationUnit& act;
  const ConvOutputs& to;
};

// Dense (one group) or grouped: each group is a dense convolution of in_c/G input channels into
// out_c/G output channels on the dense kernel.
void grouped_conv(const ConvSums& a, const int8_t* input, const int8_t* weights, kernels::ConvKernel& kernel) {
  const uint32_t groups = isa::conv_groups(a.c);
  isa::Conv group = a.c;
  group.in_c = static_cast<uint16_t>(a.c.in_c / groups);
  group.out_c = static_cast<uint16_t>(a.c.out_c / groups);
  group.groups = 1;
  const uint64_t group_input = uint64_t{group.in_c} * a.c.in_h * a.c.in_w;
  const uint64_t group_weights = uint64_t{group.out_c} * group.in_c * a.c.kernel_h * a.c.kernel_w;
  for (uint32_t g = 0; g < groups; ++g) {
    kernel.prepare(group, input + g * group_input, kernels::active_kernel_isa());
    const uint32_t first = g * group.out_c;
    for (uint32_t oc0 = 0; oc0 < group.out_c; oc0 += kernel.channel_chunk()) {
      const uint32_t oc1 = std::min<uint32_t>(group.out_c, oc0 + kernel.channel_chunk());
      kernel.compute(weights + g * group_weights, oc0, oc1);
      if (kernel.wide())
        finish_conv(a.c, a.s, kernel.wide_sums(), a.start, a.stage, a.act, a.to, first + oc0, first + oc1);
      else
        finish_conv(a.c, a.s, kernel.narrow_sums(), a.start, a.stage, a.act, a.to, first + oc0, first + oc1);
    }
  }
}

void depthwise_conv(const ConvSums& a, const int8_t* input, const int8_t* weights, kernels::DepthwiseKernel& kernel) {
  kernel.prepare(a.c);
  for (uint32_t oc0 = 0; oc0 < a.c.out_c; oc0 += kernel.channel_chunk()) {
    const uint32_t oc1 = std::min<uint32_t>(a.c.out_c, oc0 + kernel.channel_chunk());
    kernel.compute(input, weights, oc0, oc1);
    finish_conv(a.c, a.s, kernel.sums(), a.start, a.stage, a.act, a.to, oc0, oc1);
  }
}

void execute_conv(const isa::Conv& c, const BufferSet& b, const ArithConfig& config) {
  Scratch& sc = scratch();
  const ConvShape s = conv_shape(c);
  const uint16_t flags = c.header.flags;
  const bool last = flags & isa::kFlagAccLast;
  const uint8_t* psum_in = nullptr;
  if (!(flags & isa::kFlagAccFirst))
    psum_in = last ? psum_source(b, c.psum_offset, 4ull * c.out_c * s.out_h * s.out_w, c.output_offset,
                                 uint64_t{c.out_c} * s.pool_h * s.pool_w, sc.copy)
                   : b.data[isa::kBufOutput] + c.psum_offset;
  const AccStart start = acc_start(b, flags, c.bias_offset, c.bias_shift, psum_in);
  const kernels::OutputRow stage = output_row(config, c.output_shift, flags);
  // The unit exists only in the output stage (its fields were checked only with AccLast).
  const ActivationUnit act(last ? activation_fields(c) : ActivationFields{}, b.data[isa::kBufWeight]);
  ConvOutputs to;
  to.shifts = channel_shift_table(flags, c.shift_offset, b);
  if (last)
    to.out = reinterpret_cast<int8_t*>(b.data[isa::kBufOutput] + c.output_offset);
  else
    to.psum = b.data[isa::kBufOutput] + c.psum_offset;

  const auto* input = reinterpret_cast<const int8_t*>(b.data[isa::kBufInput] + c.input_offset);
  const auto* weights = reinterpret_cast<const int8_t*>(b.data[isa::kBufWeight] + c.weight_offset);
  const ConvSums sums{c, s, start, stage, act, to};
  if (isa::conv_groups(c) > 1 && isa::conv_group_in_c(c) == 1)
    depthwise_conv(sums, input, weights, sc.depthwise);
  else
    grouped_conv(sums, input, weights, sc.conv);
}

void execute_fc(const isa::Fc& f, const BufferSet& b, const ArithConfig& config) {
  Scratch& sc = scratch();
  const uint16_t flags = f.header.flags;
  const bool last = flags & isa::kFlagAccLast;
  const uint8_t* psum_in = nullptr;
  if (!(flags & isa::kFlagAccFirst))
    psum_in = last ? psum_source(b, f.psum_offset, 4ull * f.n_out, f.output_offset, f.n_out, sc.copy)
                   : b.data[isa::kBufOutput] + f.psum_offset;
  const AccStart start = acc_start(b, flags, f.bias_offset, f.bias_shift, psum_in);
  kernels::OutputRow stage = output_row(config, f.output_shift, flags);
  const int8_t* shifts = channel_shift_table(flags, f.shift_offset, b);

  const auto* input = reinterpret_cast<const int8_t*>(b.data[isa::kBufInput] + f.input_offset);
  const auto* weights = reinterpret_cast<const int8_t*>(b.data[isa::kBufWeight] + f.weight_offset);
  kernels::fc_sums(input, weights, f.n_in, f.n_out, kernels::active_kernel_isa(), sc.fc_sums);
  auto* out = reinterpret_cast<int8_t*>(b.data[isa::kBufOutput] + f.output_offset);
  uint8_t* psum_out = b.data[isa::kBufOutput] + f.psum_offset;
  for (uint32_t o = 0; o < f.n_out; ++o) {
    stage.output_shift = channel_output_shift(shifts, o, f.output_shift);
    kernels::finish_row_wide(stage, sc.fc_sums.data() + o, start.psum_at(o), start.base(o), 1,
                             last ? nullptr : psum_out + 4 * o, last ? out + o : nullptr);
  }
  if (last) ActivationUnit(activation_fields(f), b.data[isa::kBufWeight]).apply(out, f.n_out);
}

// ---- POOL and ELTWISE -----------------------------------------------------------------------

// floor(a / b) for b > 0.
int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

void execute_pool(const isa::Pool& p, const BufferSet& b) {
  const PoolShape s = pool_shape(p);
  const uint64_t in_bytes = uint64_t{p.c} * p.in_h * p.in_w;
  const uint8_t* src = b.data[p.source] + p.input_offset;
  if (p.source == isa::kBufOutput) {  // the result may overlap the source: read it all first
    Scratch& sc = scratch();
    sc.copy.assign(src, src + in_bytes);
    src = sc.copy.data();
  }
  const int8_t* in = reinterpret_cast<const int8_t*>(src);
  int8_t* out = reinterpret_cast<int8_t*>(b.data[isa::kBufOutput] + p.output_offset);
  const bool avg = p.header.flags & isa::kFlagAvgPool, relu = p.header.flags & isa::kFlagRelu;
  for (uint32_t ch = 0; ch < p.c; ++ch) {
    const int8_t* map = in + uint64_t{ch} * p.in_h * p.in_w;
    for (uint32_t oy = 0; oy < s.out_h; ++oy) {
      const int64_t y0 = int64_t{oy} * p.stride - p.pad_top;
      const int64_t y_begin = std::max<int64_t>(y0, 0), y_end = std::min<int64_t>(y0 + p.size, p.in_h);
      for (uint32_t ox = 0; ox < s.out_w; ++ox) {
        const int64_t x0 = int64_t{ox} * p.stride - p.pad_left;
        const int64_t x_begin = std::max<int64_t>(x0, 0), x_end = std::min<int64_t>(x0 + p.size, p.in_w);
        int64_t sum = 0, n = 0, m = -128;
        for (int64_t y = y_begin; y < y_end; ++y)
          for (int64_t x = x_begin; x < x_end; ++x) {
            const int64_t v = map[y * p.in_w + x];
            sum += v;
            ++n;
            m = std::max(m, v);
          }
        int64_t v = avg ? floor_div(2 * sum + n, 2 * n) : m;
        if (relu && v < 0) v = 0;
        *out++ = static_cast<int8_t>(v);
      }
    }
  }
}

void execute_eltwise(const isa::Eltwise& e, const BufferSet& b) {
  const int8_t* a = reinterpret_cast<const int8_t*>(b.data[isa::kBufInput] + e.a_offset);
  const int8_t* bb = reinterpret_cast<const int8_t*>(b.data[isa::kBufInput] + e.b_offset);
  int8_t* out = reinterpret_cast<int8_t*>(b.data[isa::kBufOutput] + e.output_offset);
  const ActivationUnit act(activation_fields(e), b.data[isa::kBufWeight]);
  const bool relu = e.header.flags & isa::kFlagRelu, mul = e.op == isa::kEltwiseMul;
  const uint32_t run = std::max<uint32_t>(e.broadcast, 1);
  for (uint32_t i = 0; i < e.count; ++i) {
    const int64_t x = a[i], w = bb[i / run];
    const int64_t v64 = mul ? x * w : x * (int64_t{1} << e.a_shift) + w * (int64_t{1} << e.b_shift);
    const int8_t v = sat8(round_shift(v64, e.output_shift));
    out[i] = relu && v < 0 ? 0 : v;
  }
  act.apply(out, e.count);
}

}  // namespace

ConvShape conv_shape(const isa::Conv& c) {
  ConvShape s;
  s.out_h = window_count(c.in_h, c.pad_top, c.pad_bottom, c.kernel_h, c.stride_h);
  s.out_w = window_count(c.in_w, c.pad_left, c.pad_right, c.kernel_w, c.stride_w);
  s.pool_h = s.out_h;
  s.pool_w = s.out_w;
  if (c.header.flags & isa::kFlagPool) {
    s.pool_h = window_count(s.out_h, 0, 0, c.pool_size, c.pool_stride);
    s.pool_w = window_count(s.out_w, 0, 0, c.pool_size, c.pool_stride);
  }
  s.macs = uint64_t{c.out_c} * s.out_h * s.out_w * isa::conv_group_in_c(c) * c.kernel_h * c.kernel_w;
  return s;
}

uint64_t eltwise_b_count(const isa::Eltwise& e) {
  const uint32_t run = std::max<uint32_t>(e.broadcast, 1);
  return (uint64_t{e.count} + run - 1) / run;
}

PoolShape pool_shape(const isa::Pool& p) {
  PoolShape s;
  s.out_h = window_count(p.in_h, p.pad_top, p.pad_bottom, p.size, p.stride);
  s.out_w = window_count(p.in_w, p.pad_left, p.pad_right, p.size, p.stride);
  return s;
}

isa::ErrorCode check(const isa::Instruction& instruction, const BufferSet& buffers) {
  switch (instruction.header.opcode) {
    case isa::kOpConv: return check_conv(instruction.conv, buffers);
    case isa::kOpFc: return check_fc(instruction.fc, buffers);
    case isa::kOpPool: return check_pool(instruction.pool, buffers);
    case isa::kOpEltwise: return check_eltwise(instruction.eltwise, buffers);
    default: return isa::kErrUnknownOpcode;  // not a compute instruction
  }
}

void execute(const isa::Instruction& instruction, const BufferSet& buffers, const ArithConfig& config) {
  switch (instruction.header.opcode) {
    case isa::kOpConv: execute_conv(instruction.conv, buffers, config); break;
    case isa::kOpFc: execute_fc(instruction.fc, buffers, config); break;
    case isa::kOpPool: execute_pool(instruction.pool, buffers); break;
    case isa::kOpEltwise: execute_eltwise(instruction.eltwise, buffers); break;
    default: break;
  }
}

}  // namespace dlvp::cnn
