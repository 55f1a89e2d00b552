// Fuzz target: any bytes as an ONNX model file, parsed and imported as `dlvpc compile` does (the
// LSTM path when the graph has an LSTM node), then — when the graph is small enough to be quick —
// calibrated, quantized, built and packaged. A ConfigError naming the problem is the only acceptable
// failure: any other exception, a crash or an allocation beyond libFuzzer's -rss_limit_mb (2 GiB;
// the importer's limits, docs/dlvpc.md "Limits", keep far below it) is a bug.
#include "tools/dlvpc/compiler.h"
#include "tools/dlvpc/lstm_compiler.h"
#include "tools/dlvpc/onnx_import.h"

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

namespace {

using namespace dlvp::dlvpc;

// Work above which a graph is imported but not compiled (the smoke test runs thousands).
constexpr uint64_t kMaxCompileWork = uint64_t{1} << 20;

uint64_t cnn_work(const FloatGraph& g) {
  uint64_t work = g.macs() + g.input.elements();
  for (const FloatOp& op : g.ops) {
    work += op.output.elements();
    if (op.pool_size) work += op.output.elements() * op.pool_size * op.pool_size;
  }
  return work;
}

uint64_t lstm_work(const LstmModel& m) {
  const auto& l = m.layer;
  const uint64_t per_step = uint64_t{4} * l.hidden_size * (l.input_size + l.recurrent_size()) +
                            uint64_t{l.projection_size} * l.hidden_size;
  return uint64_t{m.seq_length} * m.batch * (per_step + 1) + (m.has_head ? cnn_work(m.head) : 0);
}

void compile_cnn(FloatGraph graph) {
  if (cnn_work(graph) > kMaxCompileWork) return;
  CompileOptions options;
  options.hw.input_buffer_bytes = options.hw.output_buffer_bytes = options.hw.weight_buffer_bytes = 4096;
  options.ddr_bytes = 64 << 20;
  const std::vector<float> input(graph.input.elements(), 0.5f);
  (void)compile(std::move(graph), {input}, options);
}

void compile_lstm_model(LstmModel model) {
  LstmCompileOptions options;
  options.ddr_bytes = 64 << 20;
  check_lstm_fits(model, options);
  if (lstm_work(model) > kMaxCompileWork) return;
  const std::vector<double> input(static_cast<size_t>(element_count(model.input_dims)), 0.25);
  (void)compile_lstm(std::move(model), {input}, options);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    const onnx::ModelProto model = parse_onnx_model(bytes, "fuzz.onnx");
    if (has_lstm_node(model)) compile_lstm_model(import_onnx_lstm(model, "fuzz.onnx"));
    else compile_cnn(import_onnx(model, "fuzz.onnx"));
  } catch (const dlvp::ConfigError&) {
    // The expected way to refuse bad input.
  }
  return 0;
}
