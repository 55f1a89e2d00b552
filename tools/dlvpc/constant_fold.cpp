#include "tools/dlvpc/constant_fold.h"
#include "tools/dlvpc/import_channel_view.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <set>

namespace dlvp::dlvpc {

namespace {

const std::set<std::string>& foldable_ops() {
  static const std::set<std::string> ops = {"Constant", "Shape",   "Gather",          "Unsqueeze", "Squeeze",
                                            "Concat",   "Cast",    "Reshape",         "Flatten",   "Expand",
                                            "Identity", "Slice",   "ConstantOfShape", "Transpose", "Add",
                                            "Sub",      "Mul",     "Div"};
  return ops;
}

const onnx::AttributeProto* attribute(const onnx::NodeProto& node, const char* name) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

int64_t int_attr(const onnx::NodeProto& node, const char* name, int64_t fallback) {
  const onnx::AttributeProto* a = attribute(node, name);
  return a ? a->i() : fallback;
}

// Row-major strides of `dims`.
std::vector<int64_t> strides_of(const std::vector<int64_t>& dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 1;) s[i - 1] = s[i] * dims[i];
  return s;
}

// The folder of one node: `fail` records the first reason and the evaluation stops.
class Folder {
 public:
  Folder(const onnx::NodeProto& node, const std::vector<FoldInput>& inputs) : node_(node), inputs_(inputs) {}

  std::string run(std::vector<ConstTensor>& outputs);

 private:
  struct Stop {};
  // Div of the shape arithmetic torch emits (channels / groups): integer operands truncate; a
  // quotient of whole numbers of no known integer type that is not whole is refused.
  double quotient(double a, double b, bool integer) {
    if (b == 0) fail("divides by zero");
    const double q = a / b;
    if (integer) return std::trunc(q);  // ONNX's integer Div (a quotient of int64 is exact in double)
    if (a == std::floor(a) && b == std::floor(b) && q != std::floor(q))
      fail("divides whole numbers " + value_text(a) + " / " + value_text(b) +
           " without a whole quotient (integer and float division differ; dlvpc does not track the element type)");
    return q;
  }
  [[noreturn]] void fail(const std::string& why) {
    reason_ = why;
    throw Stop{};
  }
  const ConstTensor& in(size_t index, const char* role) {
    if (index >= inputs_.size() || !inputs_[index].value) fail(std::string(role) + " is missing");
    return *inputs_[index].value;
  }
  const ConstTensor* optional(size_t index) const { return index < inputs_.size() ? inputs_[index].value : nullptr; }
  // An axis in -rank..rank-1 (or ..rank with `end`), made non-negative.
  int64_t axis(double value, int64_t rank, const char* role) {
    if (!(value >= -rank && value < rank) || value != std::floor(value))
      fail(std::string(role) + " " + value_text(value) + " is outside -" + std::to_string(rank) + ".." + std::to_string(rank - 1));
    const auto a = static_cast<int64_t>(value);
    return a < 0 ? a + rank : a;
  }
  // A result of shape `dims`, checked before it is allocated.
  ConstTensor make(std::vector<int64_t> dims) {
    if (const std::string problem = shape_problem(dims); !problem.empty()) fail("result " + dims_text(dims) + " " + problem);
    ConstTensor t;
    t.values.resize(static_cast<size_t>(element_count(dims)));
    t.dims = std::move(dims);
    return t;
  }
  // Integers that are sizes, axes or indices: whole numbers within int64.
  std::vector<int64_t> integers(const ConstTensor& t, const char* role) {
    std::vector<int64_t> out;
    if (const std::string why = int64_values(t, role, out); !why.empty()) fail(why);
    return out;
  }
  ConstTensor constant();
  ConstTensor shape();
  ConstTensor gather();
  ConstTensor squeeze(bool unsqueeze);
  ConstTensor concat();
  ConstTensor cast();
  ConstTensor reshape(bool flatten);
  ConstTensor expand();
  ConstTensor slice();
  ConstTensor constant_of_shape();
  ConstTensor transpose();
  ConstTensor binary(const std::function<double(double, double)>& f);
  bool result_is_integer(const std::string& op, const ConstTensor& out) const;

  const onnx::NodeProto& node_;
  const std::vector<FoldInput>& inputs_;
  std::string reason_;
};

std::string Folder::run(std::vector<ConstTensor>& outputs) {
  outputs.clear();
  try {
    const std::string& op = node_.op_type();
    ConstTensor out;
    if (op == "Constant") out = constant();
    else if (op == "Shape") out = shape();
    else if (op == "Gather") out = gather();
    else if (op == "Unsqueeze") out = squeeze(true);
    else if (op == "Squeeze") out = squeeze(false);
    else if (op == "Concat") out = concat();
    else if (op == "Cast") out = cast();
    else if (op == "Reshape") out = reshape(false);
    else if (op == "Flatten") out = reshape(true);
    else if (op == "Expand") out = expand();
    else if (op == "Identity") out = in(0, "input");
    else if (op == "Slice") out = slice();
    else if (op == "ConstantOfShape") out = constant_of_shape();
    else if (op == "Transpose") out = transpose();
    else if (op == "Add") out = binary([](double a, double b) { return a + b; });
    else if (op == "Sub") out = binary([](double a, double b) { return a - b; });
    else if (op == "Mul") out = binary([](double a, double b) { return a * b; });
    else if (op == "Div") {
      const bool integer = in(0, "A").integer && in(1, "B").integer;
      out = binary([this, integer](double a, double b) { return quotient(a, b, integer); });
    } else {
      fail("is not an operator dlvpc folds");
    }
    out.integer = result_is_integer(op, out);
    if (const int64_t bad = first_non_finite(out.values); bad >= 0)
      fail("folds to a non-finite value at index " + std::to_string(bad));
    outputs.push_back(std::move(out));
  } catch (const Stop&) {
    return reason_;
  }
  return "";
}

// The result's element type: Shape's int64; Cast's target; Constant's and ConstantOfShape's own;
// the data's for the operators that move it; both operands' for the arithmetic.
bool Folder::result_is_integer(const std::string& op, const ConstTensor& out) const {
  if (op == "Shape") return true;
  if (op == "Constant" || op == "ConstantOfShape") return out.integer;
  if (op == "Cast") {
    const int64_t to = int_attr(node_, "to", 0);
    return to != onnx::TensorProto::FLOAT && to != onnx::TensorProto::DOUBLE;
  }
  const size_t operands = op == "Concat" || op == "Add" || op == "Sub" || op == "Mul" || op == "Div" ? inputs_.size() : 1;
  for (size_t i = 0; i < operands; ++i)
    if (!inputs_[i].value || !inputs_[i].value->integer) return false;
  return true;
}

ConstTensor Folder::constant() {
  for (const auto& a : node_.attribute()) {
    if (a.name() == "value") {
      // decode_tensor checks the shape against the data before it allocates.
      try {
        return decode_tensor(a.t(), "constant");
      } catch (const ImportError& e) {
        fail(std::string("value: ") + e.what());
      }
    }
    if (a.name() == "value_float") return {{}, {a.f()}};
    if (a.name() == "value_int") return {{}, {static_cast<double>(a.i())}, true};
    if (a.name() == "value_floats") return {{a.floats_size()}, {a.floats().begin(), a.floats().end()}};
    if (a.name() == "value_ints") return {{a.ints_size()}, {a.ints().begin(), a.ints().end()}, true};
  }
  fail("has no value dlvpc reads (value, value_float(s) or value_int(s))");
}

ConstTensor Folder::shape() {
  if (inputs_.empty()) fail("input is missing");
  const std::vector<int64_t>& dims = inputs_[0].value ? inputs_[0].value->dims : inputs_[0].dims;
  const auto rank = static_cast<int64_t>(dims.size());
  int64_t start = int_attr(node_, "start", 0), end = int_attr(node_, "end", rank);
  start = std::clamp(start < 0 ? start + rank : start, int64_t{0}, rank);
  end = std::clamp(end < 0 ? end + rank : end, int64_t{0}, rank);
  ConstTensor t;
  for (int64_t i = start; i < end; ++i) t.values.push_back(static_cast<double>(dims[i]));
  t.dims = {static_cast<int64_t>(t.values.size())};
  return t;
}

ConstTensor Folder::gather() {
  const ConstTensor& data = in(0, "data");
  const ConstTensor& indices = in(1, "indices");
  const auto rank = static_cast<int64_t>(data.dims.size());
  if (rank == 0) fail("gathers from a scalar");
  const int64_t ax = axis(static_cast<double>(int_attr(node_, "axis", 0)), rank, "axis");
  std::vector<int64_t> dims(data.dims.begin(), data.dims.begin() + ax);
  dims.insert(dims.end(), indices.dims.begin(), indices.dims.end());
  dims.insert(dims.end(), data.dims.begin() + ax + 1, data.dims.end());
  ConstTensor out = make(dims);
  const int64_t outer = element_count({data.dims.begin(), data.dims.begin() + ax});
  const int64_t inner = element_count({data.dims.begin() + ax + 1, data.dims.end()});
  const int64_t n = data.dims[ax];
  const std::vector<int64_t> idx = integers(indices, "indices");
  size_t k = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i : idx) {
      if (i < -n || i >= n) fail("index " + std::to_string(i) + " is outside -" + std::to_string(n) + ".." + std::to_string(n - 1));
      if (i < 0) i += n;
      for (int64_t j = 0; j < inner; ++j) out.values[k++] = data.values[(o * n + i) * inner + j];
    }
  return out;
}

ConstTensor Folder::squeeze(bool unsqueeze) {
  ConstTensor out = in(0, "data");
  std::vector<int64_t> dims;
  if (const std::string why = squeeze_dims(out.dims, squeeze_axes(node_, optional(1)), unsqueeze, dims); !why.empty()) fail(why);
  out.dims = dims;
  return out;
}

ConstTensor Folder::concat() {
  const ConstTensor& first = in(0, "input 0");
  const auto rank = static_cast<int64_t>(first.dims.size());
  if (rank == 0) fail("concatenates scalars");
  const int64_t ax = axis(static_cast<double>(int_attr(node_, "axis", 0)), rank, "axis");
  std::vector<int64_t> dims = first.dims;
  dims[ax] = 0;
  for (size_t i = 0; i < inputs_.size(); ++i) {
    const ConstTensor& t = in(i, "input");
    for (int64_t d = 0; d < rank; ++d)
      if (t.dims.size() != first.dims.size() || (d != ax && t.dims[d] != first.dims[d]))
        fail("inputs " + dims_text(first.dims) + " and " + dims_text(t.dims) + " differ outside axis " + std::to_string(ax));
    dims[ax] += t.dims[ax];
  }
  ConstTensor out = make(dims);
  const int64_t outer = element_count({first.dims.begin(), first.dims.begin() + ax});
  size_t k = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (size_t i = 0; i < inputs_.size(); ++i) {
      const ConstTensor& t = *inputs_[i].value;
      const int64_t block = element_count({t.dims.begin() + ax, t.dims.end()});
      for (int64_t j = 0; j < block; ++j) out.values[k++] = t.values[o * block + j];
    }
  return out;
}

ConstTensor Folder::cast() {
  ConstTensor out = in(0, "input");
  const int64_t to = int_attr(node_, "to", 0);
  switch (to) {
    case onnx::TensorProto::FLOAT:
      for (double& v : out.values) v = static_cast<float>(v);
      break;
    case onnx::TensorProto::DOUBLE: break;
    case onnx::TensorProto::INT64: case onnx::TensorProto::INT32: case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT8: case onnx::TensorProto::BOOL:
      for (double& v : out.values) {
        if (std::fabs(v) > 9.2e18) fail("value " + value_text(v) + " does not fit the integer type " + std::to_string(to));
        v = to == onnx::TensorProto::BOOL ? (v != 0) : std::trunc(v);
      }
      break;
    default: fail("to element type " + std::to_string(to) + " is not folded (float, double, int8/32/64, uint8, bool)");
  }
  return out;
}

ConstTensor Folder::reshape(bool flatten) {
  ConstTensor out = in(0, "data");
  const auto rank = static_cast<int64_t>(out.dims.size());
  if (flatten) {
    int64_t a = int_attr(node_, "axis", 1);
    if (a < 0) a += rank;
    if (a < 0 || a > rank) fail("axis out of range");
    const int64_t outer = element_count({out.dims.begin(), out.dims.begin() + a});
    out.dims = {outer, element_count(out.dims) / std::max<int64_t>(outer, 1)};
    return out;
  }
  std::vector<int64_t> dims;
  const std::string problem = reshape_target(in(1, "shape").values, out.dims, int_attr(node_, "allowzero", 0) != 0, dims);
  if (!problem.empty()) fail(problem);
  out.dims = dims;
  return out;
}

// Numpy broadcasting of `a` and `b` into `dims` (empty when they do not broadcast).
bool broadcast_dims(const std::vector<int64_t>& a, const std::vector<int64_t>& b, std::vector<int64_t>& dims) {
  const size_t rank = std::max(a.size(), b.size());
  dims.assign(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) return false;
    dims[i] = da == 1 ? db : da;
  }
  return true;
}

// The element of `t` (broadcast to `dims`) at the flat index `flat` of `dims`.
double broadcast_at(const ConstTensor& t, const std::vector<int64_t>& dims, const std::vector<int64_t>& out_strides, int64_t flat) {
  const size_t offset = dims.size() - t.dims.size();
  int64_t index = 0, stride = 1;
  for (size_t i = dims.size(); i-- > offset;) {
    const int64_t coordinate = (flat / out_strides[i]) % dims[i];
    const int64_t d = t.dims[i - offset];
    if (d != 1) index += coordinate * stride;
    stride *= d;
  }
  return t.values[static_cast<size_t>(index)];
}

ConstTensor Folder::expand() {
  const ConstTensor& data = in(0, "input");
  const std::vector<int64_t> shape = integers(in(1, "shape"), "shape");
  for (const int64_t d : shape)
    if (d < 0) fail("shape holds " + std::to_string(d));
  std::vector<int64_t> dims;
  if (!broadcast_dims(data.dims, shape, dims)) fail("input " + dims_text(data.dims) + " does not broadcast to " + dims_text(shape));
  ConstTensor out = make(dims);
  const std::vector<int64_t> strides = strides_of(dims);
  for (size_t i = 0; i < out.values.size(); ++i) out.values[i] = broadcast_at(data, dims, strides, static_cast<int64_t>(i));
  return out;
}

ConstTensor Folder::binary(const std::function<double(double, double)>& f) {
  const ConstTensor& a = in(0, "A");
  const ConstTensor& b = in(1, "B");
  std::vector<int64_t> dims;
  if (!broadcast_dims(a.dims, b.dims, dims)) fail("operands " + dims_text(a.dims) + " and " + dims_text(b.dims) + " do not broadcast");
  ConstTensor out = make(dims);
  const std::vector<int64_t> strides = strides_of(dims);
  for (size_t i = 0; i < out.values.size(); ++i) {
    const auto flat = static_cast<int64_t>(i);
    out.values[i] = f(broadcast_at(a, dims, strides, flat), broadcast_at(b, dims, strides, flat));
  }
  return out;
}

ConstTensor Folder::slice() {
  const ConstTensor& data = in(0, "data");
  const auto rank = static_cast<int64_t>(data.dims.size());
  const std::vector<int64_t> starts = integers(in(1, "starts"), "starts"), ends = integers(in(2, "ends"), "ends");
  if (starts.size() != ends.size()) fail("starts and ends differ in length");
  std::vector<int64_t> axes, steps(starts.size(), 1);
  if (const ConstTensor* t = optional(3))
    for (const double v : t->values) axes.push_back(axis(v, rank, "axis"));
  else
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  if (const ConstTensor* t = optional(4)) steps = integers(*t, "steps");
  if (axes.size() != starts.size() || steps.size() != starts.size()) fail("axes or steps differ in length from starts");
  std::vector<int64_t> first(rank, 0), step(rank, 1), dims = data.dims;
  for (size_t i = 0; i < axes.size(); ++i) {
    const int64_t a = axes[i];
    if (steps[i] == 0) fail("step 0");
    slice_axis(data.dims[a], starts[i], ends[i], steps[i], first[a], dims[a]);
    step[a] = steps[i];
  }
  ConstTensor out = make(dims);
  const std::vector<int64_t> in_strides = strides_of(data.dims), out_strides = strides_of(dims);
  for (size_t i = 0; i < out.values.size(); ++i) {
    int64_t index = 0;
    for (int64_t d = 0; d < rank; ++d)
      index += (first[d] + (static_cast<int64_t>(i) / out_strides[d]) % dims[d] * step[d]) * in_strides[d];
    out.values[i] = data.values[static_cast<size_t>(index)];
  }
  return out;
}

ConstTensor Folder::constant_of_shape() {
  std::vector<int64_t> dims = integers(in(0, "shape"), "shape");
  double value = 0;
  bool integer = false;  // ONNX's default value: float 0
  if (const onnx::AttributeProto* a = attribute(node_, "value")) {
    ConstTensor v;
    try {
      v = decode_tensor(a->t(), "value");
    } catch (const ImportError& e) {
      fail(e.what());
    }
    if (v.values.size() != 1) fail("value " + dims_text(v.dims) + " is not one element");
    value = v.values[0];
    integer = v.integer;
  }
  ConstTensor out = make(dims);
  std::fill(out.values.begin(), out.values.end(), value);
  out.integer = integer;
  return out;
}

ConstTensor Folder::transpose() {
  const ConstTensor& data = in(0, "data");
  const auto rank = static_cast<int64_t>(data.dims.size());
  std::vector<int64_t> perm;
  if (const onnx::AttributeProto* a = attribute(node_, "perm")) perm.assign(a->ints().begin(), a->ints().end());
  else
    for (int64_t i = rank; i-- > 0;) perm.push_back(i);
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < rank; ++i)
    if (static_cast<int64_t>(sorted.size()) != rank || sorted[i] != i) fail("perm " + dims_text(perm) + " is not a permutation");
  std::vector<int64_t> dims(rank);
  for (int64_t i = 0; i < rank; ++i) dims[i] = data.dims[perm[i]];
  ConstTensor out = make(dims);
  const std::vector<int64_t> in_strides = strides_of(data.dims), out_strides = strides_of(dims);
  for (size_t i = 0; i < out.values.size(); ++i) {
    int64_t index = 0;
    for (int64_t d = 0; d < rank; ++d) index += (static_cast<int64_t>(i) / out_strides[d]) % dims[d] * in_strides[perm[d]];
    out.values[i] = data.values[static_cast<size_t>(index)];
  }
  return out;
}

}  // namespace

std::string squeeze_dims(const std::vector<int64_t>& dims, const std::vector<double>& axes, bool unsqueeze,
                         std::vector<int64_t>& out) {
  const auto rank = static_cast<int64_t>(dims.size() + (unsqueeze ? axes.size() : 0));
  std::set<int64_t> listed;
  for (const double a : axes) {
    if (!(a >= -rank && a < rank) || a != std::floor(a)) return "axis " + value_text(a) + " is outside the rank " + std::to_string(rank);
    if (!listed.insert(a < 0 ? static_cast<int64_t>(a) + rank : static_cast<int64_t>(a)).second) return "axes repeat";
  }
  out.clear();
  if (unsqueeze) {
    out = dims;
    for (const int64_t a : listed) out.insert(out.begin() + a, 1);
    return "";
  }
  for (int64_t i = 0; i < rank; ++i) {
    if (listed.count(i) && dims[i] != 1) return "axis " + std::to_string(i) + " of " + dims_text(dims) + " is not 1";
    if (listed.empty() ? dims[i] != 1 : !listed.count(i)) out.push_back(dims[i]);
  }
  return "";
}

std::vector<double> squeeze_axes(const onnx::NodeProto& node, const ConstTensor* given) {
  std::vector<double> axes;
  if (const onnx::AttributeProto* a = attribute(node, "axes"))
    for (const int64_t v : a->ints()) axes.push_back(static_cast<double>(v));
  if (given) axes.insert(axes.end(), given->values.begin(), given->values.end());
  return axes;
}

bool is_foldable(const std::string& op_type) { return foldable_ops().count(op_type) > 0; }

bool can_fold(const std::string& op_type, const std::vector<FoldInput>& inputs) {
  if (!is_foldable(op_type)) return false;
  if (op_type == "Shape") return !inputs.empty();
  for (const FoldInput& in : inputs)
    if (in.computed) return false;
  return true;
}

std::string fold_node(const onnx::NodeProto& node, const std::vector<FoldInput>& inputs, std::vector<ConstTensor>& outputs) {
  return Folder(node, inputs).run(outputs);
}

std::string try_fold(const onnx::NodeProto& node, const std::function<std::optional<FoldInput>(const std::string&)>& input_of,
                     uint64_t& folded_elements, std::vector<ConstTensor>& outputs, bool& folded) {
  folded = false;
  std::vector<FoldInput> inputs;
  for (const auto& name : node.input()) {
    if (name.empty()) {
      inputs.emplace_back();
      continue;
    }
    std::optional<FoldInput> in = input_of(name);
    if (!in) return "";
    inputs.push_back(std::move(*in));
  }
  if (!can_fold(node.op_type(), inputs)) return "";
  if (std::string why = fold_node(node, inputs, outputs); !why.empty()) return why;
  for (const ConstTensor& t : outputs) {
    folded_elements += t.values.size();
    if (folded_elements > kMaxConstantElements)
      return "the constants folded up to here hold " + std::to_string(folded_elements) + " elements, more than " +
             std::to_string(kMaxConstantElements) + " (dlvpc's limit for a model's constants)";
  }
  folded = true;
  return "";
}

}  // namespace dlvp::dlvpc
