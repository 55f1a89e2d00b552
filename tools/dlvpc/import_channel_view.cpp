#include "tools/dlvpc/import_channel_view.h"

#include <algorithm>
#include <cmath>

namespace dlvp::dlvpc {

std::string int64_values(const ConstTensor& t, const char* role, std::vector<int64_t>& out) {
  out.clear();
  for (const double v : t.values) {
    if (v != std::floor(v) || !(v >= -std::ldexp(1.0, 63) && v <= std::ldexp(1.0, 63)))
      return std::string(role) + " holds " + value_text(v) + ", not an int64";
    out.push_back(v == std::ldexp(1.0, 63) ? INT64_MAX : static_cast<int64_t>(v));
  }
  return "";
}

void slice_axis(int64_t n, int64_t start, int64_t end, int64_t step, int64_t& first, int64_t& count) {
  const auto clamp = [&](int64_t v, bool positive) {
    if (v < 0) v += n;
    return positive ? std::clamp<int64_t>(v, 0, n) : std::clamp<int64_t>(v, -1, n - 1);
  };
  const int64_t s = clamp(start, step > 0), e = clamp(end, step > 0);
  first = s;
  count = step > 0 ? std::max<int64_t>(0, (e - s + step - 1) / step) : std::max<int64_t>(0, (s - e - step - 1) / -step);
}

std::string split_channel_ranges(const std::vector<int64_t>& dims, int64_t axis, const std::vector<int64_t>& sizes,
                                 int outputs, std::vector<ChannelRange>& ranges) {
  const auto rank = static_cast<int64_t>(dims.size());
  if (axis < 0) axis += rank;
  if (rank < 2 || axis != 1)
    return "splits axis " + std::to_string(axis) + " of " + dims_text(dims) +
           "; dlvpc splits the channels (axis 1), where each part is a contiguous range";
  if (outputs < 1) return "has no outputs";
  std::vector<int64_t> parts = sizes;
  if (parts.empty()) {
    if (dims[1] % outputs != 0)
      return std::to_string(dims[1]) + " channels do not split into " + std::to_string(outputs) + " equal parts";
    parts.assign(static_cast<size_t>(outputs), dims[1] / outputs);
  }
  if (parts.size() != static_cast<size_t>(outputs))
    return "split " + dims_text(parts) + " has " + std::to_string(parts.size()) + " sizes for " + std::to_string(outputs) +
           " outputs";
  ranges.clear();
  int64_t begin = 0;
  for (const int64_t part : parts) {
    if (part < 1 || part > dims[1] - begin) return "split " + dims_text(parts) + " does not cover the " + std::to_string(dims[1]) + " channels";
    ranges.push_back({begin, part});
    begin += part;
  }
  if (begin != dims[1]) return "split " + dims_text(parts) + " does not cover the " + std::to_string(dims[1]) + " channels";
  return "";
}

std::string slice_channel_range(const std::vector<int64_t>& dims, const std::vector<int64_t>& starts,
                                const std::vector<int64_t>& ends, std::vector<int64_t> axes,
                                std::vector<int64_t> steps, ChannelRange& range) {
  const auto rank = static_cast<int64_t>(dims.size());
  if (starts.size() != ends.size()) return "starts and ends differ in length";
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (axes.size() != starts.size() || steps.size() != starts.size()) return "axes or steps differ in length from starts";
  if (rank < 2) return "slices a tensor " + dims_text(dims) + " without channels";
  range = {0, dims[1]};
  for (size_t i = 0; i < axes.size(); ++i) {
    const int64_t a = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (a < 0 || a >= rank) return "axis " + std::to_string(axes[i]) + " outside rank " + std::to_string(rank);
    if (steps[i] == 0) return "step 0";
    int64_t first = 0, count = 0;
    slice_axis(dims[a], starts[i], ends[i], steps[i], first, count);
    if (count == dims[a] && steps[i] == 1) continue;  // the whole axis
    if (a != 1 || steps[i] != 1)
      return "cuts axis " + std::to_string(a) + (steps[i] != 1 ? " with step " + std::to_string(steps[i]) : "") + " of " +
             dims_text(dims) + "; dlvpc slices a contiguous range of the channels (axis 1, step 1) in place";
    if (count < 1) return "leaves no channels of " + dims_text(dims);
    range = {first, count};
  }
  return "";
}

namespace {

void flatten_sources(const std::vector<FloatOp>& ops, int op, std::vector<int>& out) {
  if (op < 0 || ops[op].kind != OpKind::kConcat) {
    out.push_back(op);
    return;
  }
  for (const int s : ops[op].inputs) flatten_sources(ops, s, out);
}

}  // namespace

int prefix_concatenation(const std::vector<FloatOp>& ops, const std::vector<int>& held_by, const std::vector<int>& sources,
                         size_t& prefix_length) {
  int best = -1;
  prefix_length = 0;
  for (size_t p = 0; p < ops.size(); ++p) {
    if (ops[p].kind != OpKind::kConcat || held_by[p] >= 0) continue;
    std::vector<int> flat;
    flatten_sources(ops, static_cast<int>(p), flat);
    if (flat.size() > prefix_length && flat.size() <= sources.size() && std::equal(flat.begin(), flat.end(), sources.begin()))
      best = static_cast<int>(p), prefix_length = flat.size();
  }
  return best;
}

FloatOp channel_view_op(int source, const TensorShape& input, const ChannelRange& range) {
  FloatOp op;
  op.kind = OpKind::kView;
  op.inputs = {source};
  op.input = input;
  op.output = {static_cast<uint32_t>(range.count), input.h, input.w};
  op.channel_begin = static_cast<uint32_t>(range.begin);
  return op;
}

FloatOp copy_op(int source, const TensorShape& shape) {
  FloatOp op;
  op.kind = OpKind::kCopy;
  op.inputs = {source};
  op.input = op.output = shape;
  return op;
}

}  // namespace dlvp::dlvpc
