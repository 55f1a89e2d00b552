#include "tools/dlvpc/cpu_stage.h"

#include "platform/cpu_ops.h"
#include "platform/model_package.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace dlvp::dlvpc {
namespace {

std::string dims_string(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? "," : "") + std::to_string(dims[i]);
  return s + "]";
}

int64_t product(const std::vector<int64_t>& dims, size_t first, size_t last) {
  int64_t p = 1;
  for (size_t i = first; i < last && i < dims.size(); ++i) p *= dims[i];
  return p;
}

// The view's axes padded with leading 1s to three.
TensorShape view_of(std::vector<int64_t> dims) {
  while (dims.size() < 3) dims.insert(dims.begin(), 1);
  return {static_cast<uint32_t>(dims[0]), static_cast<uint32_t>(dims[1]), static_cast<uint32_t>(dims[2])};
}

// "" when every view fits the driver's CPU buffers (package::kMaxCpuTensorBytes of int8).
std::string fits_cpu(const FloatOp& op) {
  for (const TensorShape* v : {&op.input_view, &op.other_view, &op.output_view})
    if (v->elements() > package::kMaxCpuTensorBytes)
      return "a tensor of " + std::to_string(v->elements()) + " elements is larger than the " +
             std::to_string(package::kMaxCpuTensorBytes) + " bytes a CPU stage's tensor may hold";
  return "";
}

FloatOp cpu_op(uint32_t operation) {
  FloatOp op;
  op.kind = OpKind::kCpu;
  op.cpu_op = operation;
  return op;
}

uint64_t index3(const TensorShape& s, uint32_t a, uint32_t b, uint32_t c) { return (uint64_t{a} * s.h + b) * s.w + c; }
uint32_t dim(const TensorShape& s, int axis) { return axis == 0 ? s.c : axis == 1 ? s.h : s.w; }

std::vector<float> transpose(const FloatOp& op, const std::vector<float>& x) {
  const TensorShape &in = op.input_view, &out = op.output_view;
  std::vector<float> y(out.elements());
  uint32_t at[3];
  for (uint32_t a = 0; a < out.c; ++a)
    for (uint32_t b = 0; b < out.h; ++b)
      for (uint32_t c = 0; c < out.w; ++c) {
        at[op.cpu_params[0]] = a, at[op.cpu_params[1]] = b, at[op.cpu_params[2]] = c;
        y[index3(out, a, b, c)] = x[index3(in, at[0], at[1], at[2])];
      }
  return y;
}

std::vector<float> softmax_along(const FloatOp& op, const std::vector<float>& x) {
  const TensorShape& v = op.input_view;
  const int axis = static_cast<int>(op.cpu_params[0]);
  const uint64_t inner = axis == 0 ? uint64_t{v.h} * v.w : axis == 1 ? v.w : 1;
  const uint64_t length = dim(v, axis), outer = v.elements() / (inner * length);
  std::vector<float> y(x.size());
  for (uint64_t o = 0; o < outer; ++o)
    for (uint64_t i = 0; i < inner; ++i) {
      const uint64_t first = o * length * inner + i;
      float most = -std::numeric_limits<float>::infinity();
      for (uint64_t k = 0; k < length; ++k) most = std::max(most, x[first + k * inner]);
      double sum = 0;
      for (uint64_t k = 0; k < length; ++k) sum += std::exp(double(x[first + k * inner]) - most);
      for (uint64_t k = 0; k < length; ++k)
        y[first + k * inner] = static_cast<float>(std::exp(double(x[first + k * inner]) - most) / sum);
    }
  return y;
}

std::vector<float> layer_norm(const FloatOp& op, const std::vector<float>& x) {
  const TensorShape& v = op.input_view;
  const uint64_t inner = v.w, length = v.h, outer = v.c;  // the axis is 1 (cpu_layer_norm)
  float epsilon;
  std::memcpy(&epsilon, &op.cpu_params[1], sizeof epsilon);
  std::vector<float> y(x.size());
  for (uint64_t o = 0; o < outer; ++o)
    for (uint64_t i = 0; i < inner; ++i) {
      const uint64_t first = o * length * inner + i;
      double sum = 0, squares = 0;
      for (uint64_t k = 0; k < length; ++k) sum += x[first + k * inner];
      const double mean = sum / double(length);
      for (uint64_t k = 0; k < length; ++k) squares += (x[first + k * inner] - mean) * (x[first + k * inner] - mean);
      const double scale = 1.0 / std::sqrt(squares / double(length) + epsilon);
      for (uint64_t k = 0; k < length; ++k) y[first + k * inner] = static_cast<float>((x[first + k * inner] - mean) * scale);
    }
  return y;
}

std::vector<float> resize_nearest(const FloatOp& op, const std::vector<float>& x) {
  const TensorShape &in = op.input_view, &out = op.output_view;
  std::vector<float> y(out.elements());
  for (uint32_t c = 0; c < out.c; ++c)
    for (uint32_t r = 0; r < out.h; ++r)
      for (uint32_t q = 0; q < out.w; ++q)
        y[index3(out, c, r, q)] = x[index3(in, c, static_cast<uint32_t>(uint64_t{r} * in.h / out.h),
                                           static_cast<uint32_t>(uint64_t{q} * in.w / out.w))];
  return y;
}

std::vector<float> reduce(const FloatOp& op, const std::vector<float>& x) {
  const TensorShape &in = op.input_view, &out = op.output_view;
  const bool mean = op.cpu_op == cpu::kOpReduceMean;
  std::vector<double> sum(out.elements(), 0.0);
  std::vector<float> most(out.elements(), -std::numeric_limits<float>::infinity());
  for (uint32_t a = 0; a < in.c; ++a)
    for (uint32_t b = 0; b < in.h; ++b)
      for (uint32_t c = 0; c < in.w; ++c) {
        const uint64_t o = index3(out, out.c == 1 ? 0 : a, out.h == 1 ? 0 : b, out.w == 1 ? 0 : c);
        const float v = x[index3(in, a, b, c)];
        sum[o] += v;
        most[o] = std::max(most[o], v);
      }
  if (!mean) return most;
  const double n = double(in.elements()) / double(out.elements());
  std::vector<float> y(out.elements());
  for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<float>(sum[i] / n);
  return y;
}

std::vector<float> arithmetic(const FloatOp& op, const std::vector<float>& a, const std::vector<float>& b) {
  const TensorShape &av = op.input_view, &bv = op.other_view;
  std::vector<float> y(a.size());
  for (uint32_t i = 0; i < av.c; ++i)
    for (uint32_t j = 0; j < av.h; ++j)
      for (uint32_t k = 0; k < av.w; ++k) {
        const uint64_t at = index3(av, i, j, k);
        const float x = a[at], z = b[index3(bv, bv.c == 1 ? 0 : i, bv.h == 1 ? 0 : j, bv.w == 1 ? 0 : k)];
        switch (op.cpu_params[0]) {
          case cpu::kAdd: y[at] = x + z; break;
          case cpu::kSub: y[at] = x - z; break;
          case cpu::kMul: y[at] = x * z; break;
          default: y[at] = x / z; break;
        }
      }
  return y;
}

}  // namespace

TensorShape image_like(const std::vector<int64_t>& d) {
  if (d.empty()) return {1, 1, 1};
  if (d.size() == 1) return {static_cast<uint32_t>(d[0]), 1, 1};
  return {static_cast<uint32_t>(product(d, 0, d.size() - 2)), static_cast<uint32_t>(d[d.size() - 2]),
          static_cast<uint32_t>(d.back())};
}

std::string cpu_transpose(const std::vector<int64_t>& dims, const std::vector<int64_t>& perm, FloatOp& op,
                          std::vector<int64_t>& out_dims) {
  const size_t n = dims.size();
  if (perm.size() != n) return "perm " + dims_string(perm) + " does not permute the " + std::to_string(n) + " axes";
  std::vector<bool> seen(n, false);
  for (const int64_t p : perm) {
    if (p < 0 || p >= static_cast<int64_t>(n) || seen[p]) return "perm " + dims_string(perm) + " is not a permutation";
    seen[p] = true;
  }
  out_dims.clear();
  for (const int64_t p : perm) out_dims.push_back(dims[p]);
  // Axes of size 1 go anywhere; the others form groups that stay adjacent and in order.
  std::vector<int64_t> kept;  // the input axes of size > 1, in output order
  for (const int64_t p : perm)
    if (dims[p] > 1) kept.push_back(p);
  struct Group {
    int64_t first_axis, size;
  };
  std::vector<Group> groups;  // output order
  for (size_t j = 0; j < kept.size(); ++j) {
    if (j > 0 && kept[j] > kept[j - 1]) {
      bool adjacent = true;  // no kept axis between them in the input
      for (int64_t a = kept[j - 1] + 1; a < kept[j]; ++a) adjacent = adjacent && dims[a] == 1;
      if (adjacent) {
        groups.back().size *= dims[kept[j]];
        continue;
      }
    }
    groups.push_back({kept[j], dims[kept[j]]});
  }
  op = cpu_op(cpu::kOpTranspose);
  op.output = image_like(out_dims);
  if (groups.size() <= 1) {  // the bytes stay in order: no operation (the caller aliases)
    op.cpu_op = 0;
    return "";
  }
  if (groups.size() > 3)
    return "transpose " + dims_string(perm) + " of " + dims_string(dims) + " moves " + std::to_string(groups.size()) +
           " groups of axes; the CPU's transpose takes three";
  std::vector<size_t> input_order(groups.size());  // group indices by their place in the input
  for (size_t g = 0; g < groups.size(); ++g) input_order[g] = g;
  std::sort(input_order.begin(), input_order.end(),
            [&](size_t x, size_t y) { return groups[x].first_axis < groups[y].first_axis; });
  const size_t pad = 3 - groups.size();
  std::vector<int64_t> in_view, out_view;
  for (const size_t g : input_order) in_view.push_back(groups[g].size);
  for (const Group& g : groups) out_view.push_back(g.size);
  for (uint32_t i = 0; i < pad; ++i) op.cpu_params[i] = i;
  for (size_t g = 0; g < groups.size(); ++g)
    op.cpu_params[pad + g] = static_cast<uint32_t>(
        pad + (std::find(input_order.begin(), input_order.end(), g) - input_order.begin()));
  op.input_view = view_of(in_view);
  op.output_view = view_of(out_view);
  return fits_cpu(op);
}

std::string cpu_softmax(const std::vector<int64_t>& dims, int64_t axis, bool flattened, FloatOp& op) {
  if (axis < 0 || axis >= static_cast<int64_t>(dims.size()))
    return "softmax axis " + std::to_string(axis) + " outside the sample's " + std::to_string(dims.size()) + " axes";
  const size_t a = static_cast<size_t>(axis);
  const int64_t outer = product(dims, 0, a), length = flattened ? product(dims, a, dims.size()) : dims[a];
  const int64_t inner = flattened ? 1 : product(dims, a + 1, dims.size());
  op = cpu_op(cpu::kOpSoftmax);
  op.cpu_params[0] = 1;
  op.input_view = op.output_view = view_of({outer, length, inner});
  op.output = image_like(dims);
  return fits_cpu(op);
}

std::string cpu_layer_norm(const std::vector<int64_t>& dims, int64_t axis, bool flattened, float epsilon, FloatOp& op) {
  if (!(epsilon > 0) || !std::isfinite(epsilon)) return "epsilon " + std::to_string(epsilon) + " is not positive";
  const std::string why = cpu_softmax(dims, axis, flattened, op);  // the same lines along one axis
  op.cpu_op = cpu::kOpLayerNorm;
  std::memcpy(&op.cpu_params[1], &epsilon, sizeof epsilon);
  return why;
}

std::string cpu_resize_nearest(const std::vector<int64_t>& dims, const std::vector<int64_t>& out_dims, FloatOp& op) {
  if (dims.size() != 3 || out_dims.size() != 3 || out_dims[0] != dims[0])
    return "resize of " + dims_string(dims) + " to " + dims_string(out_dims) +
           "; the CPU resizes the height and width of a [C,H,W] sample";
  op = cpu_op(cpu::kOpResizeNearest);
  op.input_view = view_of(dims);
  op.output_view = op.output = view_of(out_dims);
  return fits_cpu(op);
}

std::string cpu_reduce(const std::vector<int64_t>& dims, const std::vector<int64_t>& axes, bool keepdims, bool mean,
                       FloatOp& op, std::vector<int64_t>& out_dims) {
  if (dims.size() > 3 || axes.empty())
    return "reduction over " + dims_string(axes) + " of a sample " + dims_string(dims) +
           "; the CPU reduces samples of at most three axes";
  op = cpu_op(mean ? cpu::kOpReduceMean : cpu::kOpReduceMax);
  const size_t pad = 3 - dims.size();
  std::vector<int64_t> kept = dims;
  out_dims.clear();
  for (size_t i = 0; i < dims.size(); ++i) {
    const bool reduced = std::count(axes.begin(), axes.end(), static_cast<int64_t>(i)) > 0;
    if (reduced) op.cpu_params[0] |= 1u << (pad + i), kept[i] = 1;
    if (!reduced || keepdims) out_dims.push_back(reduced ? 1 : dims[i]);
  }
  op.input_view = view_of(dims);
  op.output_view = view_of(kept);
  op.output = image_like(out_dims);
  return fits_cpu(op);
}

std::string cpu_arithmetic(const std::vector<int64_t>& a_dims, const std::vector<int64_t>& b_dims, uint32_t which,
                           FloatOp& op) {
  std::vector<int64_t> b = b_dims;
  while (b.size() > a_dims.size() && b.front() == 1) b.erase(b.begin());
  const std::string shapes = dims_string(a_dims) + " and " + dims_string(b_dims);
  if (b.size() > a_dims.size() || a_dims.size() > 3)
    return "operands " + shapes + "; the CPU broadcasts a second operand over a first of at most three axes";
  while (b.size() < a_dims.size()) b.insert(b.begin(), 1);
  for (size_t i = 0; i < b.size(); ++i)
    if (b[i] != 1 && b[i] != a_dims[i]) return "operands " + shapes + " do not broadcast to the first one's shape";
  op = cpu_op(cpu::kOpArithmetic);
  op.cpu_params[0] = which;
  op.input_view = op.output_view = view_of(a_dims);
  op.other_view = view_of(b);
  op.output = image_like(a_dims);
  return fits_cpu(op);
}

std::vector<float> run_cpu_float(const FloatOp& op, const std::vector<const std::vector<float>*>& in) {
  switch (op.cpu_op) {
    case cpu::kOpTranspose: return transpose(op, *in[0]);
    case cpu::kOpSoftmax: return softmax_along(op, *in[0]);
    case cpu::kOpResizeNearest: return resize_nearest(op, *in[0]);
    case cpu::kOpLayerNorm: return layer_norm(op, *in[0]);
    case cpu::kOpReduceMean:
    case cpu::kOpReduceMax: return reduce(op, *in[0]);
    default: return arithmetic(op, *in[0], in.size() > 1 ? *in[1] : op.weights);
  }
}

bool cpu_moves_data(const FloatOp& op) {
  return op.kind == OpKind::kCpu &&
         (op.cpu_op == cpu::kOpTranspose || op.cpu_op == cpu::kOpResizeNearest || op.cpu_op == cpu::kOpReduceMax);
}

}  // namespace dlvp::dlvpc
