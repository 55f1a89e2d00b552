// Fuzz target: any bytes as an ONNX model file, read and imported as `dlvpc compile` does (OnnxFile,
// the LSTM path when the graph has an LSTM node), then — when the graph is small enough to be quick —
// calibrated, quantized, built and packaged. OnnxFile must give what parsing the whole bytes gives:
// the same model once its payloads are back, or the same refusal; a difference is a bug (a trap). A ConfigError naming the problem is the only acceptable
// failure: any other exception, a crash or an allocation beyond libFuzzer's -rss_limit_mb (2 GiB;
// the importer's limits, docs/dlvpc.md "Limits", keep far below it) is a bug.
#include "tools/dlvpc/compiler.h"
#include "tools/dlvpc/lstm_compiler.h"
#include "tools/dlvpc/onnx_file.h"
#include "tools/dlvpc/onnx_import.h"

#include <onnx/onnx_pb.h>
#include <sys/mman.h>
#include <unistd.h>

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

// The model serialized, or "error: " and the refusal.
template <typename Read>
std::string outcome(Read&& read) {
  try {
    return read().SerializeAsString();
  } catch (const dlvp::ConfigError& e) {
    return std::string("error: ") + e.what();
  }
}

// The bytes as a file (an anonymous regular file, /proc/self/fd/N).
struct MemoryFile {
  int fd = memfd_create("fuzz.onnx", MFD_CLOEXEC);
  explicit MemoryFile(const std::string& bytes) {
    for (size_t done = 0; fd >= 0 && done < bytes.size();) {
      const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
      if (n <= 0) __builtin_trap();
      done += static_cast<size_t>(n);
    }
  }
  ~MemoryFile() { close(fd); }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const MemoryFile file(bytes);
  if (file.fd < 0) __builtin_trap();
  const std::string path = file.path();
  if (outcome([&] { return OnnxFile(path).full_model(); }) != outcome([&] { return parse_onnx_model(bytes, path); }))
    __builtin_trap();
  try {
    const OnnxFile model(path);
    if (has_lstm_node(model.model())) compile_lstm_model(import_onnx_lstm(OnnxFile(path).full_model(), path));
    else compile_cnn(import_onnx(model));
  } catch (const dlvp::ConfigError&) {
    // The expected way to refuse bad input.
  }
  return 0;
}
