// dlvpc's fast float pass (docs/dlvpc.md, "The float pass"): the float graph run with oneDNN for
// what costs — convolutions through oneDNN's convolution primitive (weights reordered once into its
// layout), fully connected layers through its sgemm — and float_graph's loops for pooling, Add and
// Concat. The results equal run_float's within float rounding (the sums are added in another
// order). One sample at a time: an op's output is released once its last consumer has run, so a
// pass holds the live tensors of one sample, never every layer's.
#pragma once
#include "tools/dlvpc/float_graph.h"

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

namespace dlvp::dlvpc {

class FloatPass {
 public:
  // Prepares the primitives of every convolution (the graph must outlive the pass).
  explicit FloatPass(const FloatGraph& graph);
  ~FloatPass();
  FloatPass(const FloatPass&) = delete;
  FloatPass& operator=(const FloatPass&) = delete;

  // Runs one ONNX input sample; visit(op index, its output) for every op in order.
  void run(const std::vector<float>& onnx_input,
           const std::function<void(size_t, const std::vector<float>&)>& visit);
  // Every op's output (as run_float returns them; for tests).
  std::vector<std::vector<float>> outputs(const std::vector<float>& onnx_input);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dlvp::dlvpc
