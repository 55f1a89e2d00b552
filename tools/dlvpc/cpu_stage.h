// CPUC (issue 16): ONNX nodes no engine runs, as operations of the host CPU between accelerator
// jobs (docs/dlvpc.md, "CPU stages"; platform/cpu_ops.h, docs/cpu_ops.md). The importer asks these
// functions for a node's FloatOp (kind kCpu): the operation, its parameters and its views of the
// [c][h][w] bytes of its tensors (at most three axes after merging the axes a Transpose keeps
// together). The float graph runs the same operation in float (calibration, SQNR); the quantizer
// makes it a builder::CpuLayer on int8 tensors that the driver and the reference run with
// platform/cpu_ops.
#pragma once
#include "tools/dlvpc/float_graph.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dlvp::dlvpc {

// The [c][h][w] shape a CPU operation's result has for its readers, from one sample's ONNX dims:
// the last two are h and w, the product of the others c ([A] is A x 1 x 1, [A, B] is 1 x A x B).
TensorShape image_like(const std::vector<int64_t>& sample_dims);

// Each returns "" and fills `op` (kind, cpu_op, cpu_params, views, output; the caller sets inputs
// and `input`) and `out_dims` (one sample's ONNX result dims), or the reason the node is not one
// the CPU operations express. `dims` are one sample's ONNX dims (no batch).
//
// Transpose by `perm` (of the sample's axes): axes that stay adjacent and in order merge, at most
// three groups may remain (ShuffleNet's channel shuffle [g][c/g][h][w] -> [c/g][g][h][w] is two
// swapped groups with h x w kept: one 3-axis transpose).
std::string cpu_transpose(const std::vector<int64_t>& dims, const std::vector<int64_t>& perm, FloatOp& op,
                          std::vector<int64_t>& out_dims);
// Softmax over axis `axis` of the sample's axes (opset 13), or over all axes from `axis` on
// (`flattened`: opsets before 13 coerce the input to 2-D).
std::string cpu_softmax(const std::vector<int64_t>& dims, int64_t axis, bool flattened, FloatOp& op);
// LayerNorm without its affine part over axis `axis` (one axis), or over all axes from `axis` on
// (`flattened`: ONNX's LayerNormalization), with `epsilon`.
std::string cpu_layer_norm(const std::vector<int64_t>& dims, int64_t axis, bool flattened, float epsilon, FloatOp& op);
// Nearest-neighbour resize of [c][h][w] to `out_dims` (same channels): src = floor(dst x in / out).
std::string cpu_resize_nearest(const std::vector<int64_t>& dims, const std::vector<int64_t>& out_dims, FloatOp& op);
// ReduceMean (`mean`) or ReduceMax over `axes` of the sample's axes (sorted, distinct), kept as 1
// when `keepdims`.
std::string cpu_reduce(const std::vector<int64_t>& dims, const std::vector<int64_t>& axes, bool keepdims, bool mean,
                       FloatOp& op, std::vector<int64_t>& out_dims);
// A op B (cpu::Arithmetic) with B's dims broadcast over A's (numpy rules, aligned at the right;
// B may not be larger than A: the result has A's shape).
std::string cpu_arithmetic(const std::vector<int64_t>& a_dims, const std::vector<int64_t>& b_dims, uint32_t which,
                           FloatOp& op);

// The operation in float on its inputs' values (the reference of the float graph): the same steps
// as platform/cpu_ops without the rounding to int8.
std::vector<float> run_cpu_float(const FloatOp& op, const std::vector<const std::vector<float>*>& in);

// Whether the operation moves values without computing (Transpose, Resize, ReduceMax): its output
// keeps its input's radix point.
bool cpu_moves_data(const FloatOp& op);

}  // namespace dlvp::dlvpc
