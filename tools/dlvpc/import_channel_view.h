// Split and Slice on the channel axis of a computed tensor, as views (docs/dlvpc.md, "Channel views
// and copies"; ZOO, issue 16). [c][h][w] keeps a channel range contiguous, so a Split's outputs and
// a channel Slice name byte ranges of their input: builder::ViewLayer, no data moves. What a view
// cannot express (a tensor in two concatenations, a view or the graph input in one) is a copy.
#pragma once
#include "tools/dlvpc/float_graph.h"
#include "tools/dlvpc/onnx_import.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dlvp::dlvpc {

struct ChannelRange {
  int64_t begin = 0, count = 0;
};

// Integers that are sizes, axes or indices: whole numbers within int64 (torch writes INT64_MIN and
// INT64_MAX for open slice ends; INT64_MAX reads as the double 2^63). "" or the problem, naming `role`.
std::string int64_values(const ConstTensor& t, const char* role, std::vector<int64_t>& out);

// ONNX Slice on one axis of n elements (negative start/end count from the end, then clamped):
// the first index and the element count.
void slice_axis(int64_t n, int64_t start, int64_t end, int64_t step, int64_t& first, int64_t& count);

// A Split of a tensor of ONNX shape `dims` on `axis` into `outputs` parts of `sizes` (empty: equal
// parts): the channel ranges, or the reason ("") it is not a split of the channels (axis 1).
std::string split_channel_ranges(const std::vector<int64_t>& dims, int64_t axis, const std::vector<int64_t>& sizes,
                                 int outputs, std::vector<ChannelRange>& ranges);

// A Slice (starts, ends, axes, steps as ONNX gives them; axes and steps may be empty) of a tensor of
// ONNX shape `dims`: the channel range, or the reason it is not one (another axis cut, a step other
// than 1, nothing left).
std::string slice_channel_range(const std::vector<int64_t>& dims, const std::vector<int64_t>& starts,
                                const std::vector<int64_t>& ends, std::vector<int64_t> axes,
                                std::vector<int64_t> steps, ChannelRange& range);

// DenseNet's dense blocks concatenate [x0, y1 .. yk] for every k: each concatenation is the last one
// plus one input. The earlier concatenation (an op of `ops`, no other concatenation's slice by
// `held_by`) whose sources, nested concatenations flattened, are the longest prefix of `sources`
// (the new concatenation's input ops): its index, and in `prefix_length` how many of `sources` it
// covers; -1 (and 0) when none. As the new concatenation's first slice it is a channel prefix of it,
// so every concatenation of a block lies in the last one's bytes and nothing is copied.
int prefix_concatenation(const std::vector<FloatOp>& ops, const std::vector<int>& held_by, const std::vector<int>& sources,
                         size_t& prefix_length);

// The float ops: a view of channels `range` of op `source`'s output of shape `input`, and a copy.
FloatOp channel_view_op(int source, const TensorShape& input, const ChannelRange& range);
FloatOp copy_op(int source, const TensorShape& shape);

}  // namespace dlvp::dlvpc
