#include "tools/dlvpc/float_predictions.h"

#include "ip/common/config_error.h"
#include "ip/common/output_file.h"
#include "tools/dlvpc/lstm_stack_compiler.h"

#include <algorithm>
#include <exception>
#include <iterator>
#include <thread>

namespace dlvp::dlvpc {

namespace {

// Image i of the file as the model's input: pixel x scale.
std::vector<float> image_input(const IdxFile& images, uint64_t i, float scale) {
  const uint64_t n = images.header.item_bytes();
  std::vector<float> x(n);
  for (uint64_t e = 0; e < n; ++e) x[e] = images.data[i * n + e] * scale;
  return x;
}

void require_image_size(const IdxFile& images, const std::string& path, uint64_t elements, const std::string& input) {
  if (images.header.item_bytes() != elements)
    throw ConfigError(path + ": images of " + std::to_string(images.header.item_bytes()) + " pixels, the model's input " +
                      input + " has " + std::to_string(elements) + " values");
}

// predict(i) for every image, on the host's cores (each image is independent); the first
// exception a worker meets is rethrown here.
template <typename Predict>
std::vector<uint8_t> for_every_image(uint64_t count, const Predict& predict) {
  std::vector<uint8_t> classes(count);
  const uint64_t workers = std::clamp<uint64_t>(std::thread::hardware_concurrency(), 1, 16);
  std::vector<std::exception_ptr> failures(workers);
  std::vector<std::thread> threads;
  for (uint64_t w = 0; w < workers; ++w)
    threads.emplace_back([&, w] {
      try {
        for (uint64_t i = w; i < count; i += workers) classes[i] = predict(i);
      } catch (...) {
        failures[w] = std::current_exception();
      }
    });
  for (std::thread& t : threads) t.join();
  for (const std::exception_ptr& f : failures)
    if (f) std::rethrow_exception(f);
  return classes;
}

}  // namespace

uint8_t class_of(const std::vector<float>& output, const std::string& what) {
  if (output.empty() || output.size() > 256)
    throw ConfigError(what + ": the model has " + std::to_string(output.size()) +
                      " outputs; float predictions need 1..256 classes (one byte each)");
  return static_cast<uint8_t>(std::max_element(output.begin(), output.end()) - output.begin());
}

std::vector<uint8_t> float_predictions(const FloatGraph& graph, const IdxFile& images, const std::string& path, float scale) {
  InputPreprocessing pre;
  pre.scale = scale;
  return float_predictions(graph, images, path, pre);
}

std::vector<uint8_t> float_predictions(const FloatGraph& graph, const IdxFile& images, const std::string& path,
                                       const InputPreprocessing& pre) {
  require_image_size(images, path, graph.input.elements(),
                     std::to_string(graph.input.c) + "x" + std::to_string(graph.input.h) + "x" + std::to_string(graph.input.w));
  check_image_dims(path, images.header.dims, graph.input, pre.layout);
  class_of(std::vector<float>(graph.ops.empty() ? 0 : graph.ops.back().output.elements()), path);  // class count
  const uint64_t n = images.header.item_bytes();
  return for_every_image(images.items(), [&](uint64_t i) {
    return class_of(run_float(graph, pre.image(images.data.data() + i * n, graph.input)).back(), path);
  });
}

namespace {

// A recurrent model's classes: each image one sequence of `steps` steps of `inputs` values, run by
// classify(sequence) (the float LSTM, GRU or stack, then the head). `op` and `origin` name the model
// in the refusal of one without a head.
template <typename Classify>
std::vector<uint8_t> sequence_predictions(const std::string& origin, const char* op, uint32_t steps, uint32_t inputs,
                                          bool has_head, const FloatGraph& head, const IdxFile& images,
                                          const std::string& path, float scale, const Classify& classify) {
  if (!has_head)
    throw ConfigError(path + ": float predictions need a classifier head after the " + op + "; " + origin + " has none");
  require_image_size(images, path, uint64_t{steps} * inputs, std::to_string(steps) + " steps x " + std::to_string(inputs));
  class_of(std::vector<float>(head.ops.empty() ? 0 : head.ops.back().output.elements()), path);
  return for_every_image(images.items(), [&](uint64_t i) {
    const std::vector<float> x = image_input(images, i, scale);
    return classify(std::vector<double>(x.begin(), x.end()));
  });
}

}  // namespace

std::vector<uint8_t> float_predictions(const LstmModel& model, const IdxFile& images, const std::string& path, float scale) {
  const lstm_ref::FloatLstm& lstm = model.layer;
  const std::vector<double> h0 = model.initial_h_of(0), c0 = model.initial_c_of(0);
  return sequence_predictions(model.origin, "LSTM", model.seq_length, lstm.input_size, model.has_head, model.head, images,
                              path, scale, [&](const std::vector<double>& x) {
                                const lstm_ref::FloatRun run = lstm_ref::run_float(lstm, x, h0, c0);
                                const std::vector<float> last(run.y.end() - lstm.output_size(), run.y.end());
                                return class_of(run_float(model.head, last).back(), path);
                              });
}

std::vector<uint8_t> float_predictions(const GruModel& model, const IdxFile& images, const std::string& path, float scale) {
  const lstm_ref::FloatGru& gru = model.layer;
  const std::vector<double> h0 = model.initial_h_of(0);
  return sequence_predictions(model.origin, "GRU", model.seq_length, gru.input_size, model.has_head, model.head, images,
                              path, scale, [&](const std::vector<double>& x) {
                                const lstm_ref::FloatGruRun run = lstm_ref::run_float(gru, x, h0);
                                const std::vector<float> last(run.h.end() - gru.hidden_size, run.h.end());
                                return class_of(run_float(model.head, last).back(), path);
  });
}

std::vector<uint8_t> float_predictions(const LstmStackModel& model, const IdxFile& images, const std::string& path, float scale) {
  const LstmModel& first = model.levels[0][0];
  return sequence_predictions(first.origin, "LSTM", first.seq_length, first.layer.input_size, model.has_head, model.head,
                              images, path, scale, [&](const std::vector<double>& x) {
                                const std::vector<double> out = lstm_stack_float_output(model, x);
                                return class_of(std::vector<float>(out.begin(), out.end()), path);
                              });
}

std::vector<uint8_t> idx1_bytes(const std::vector<uint8_t>& values) {
  const auto n = static_cast<uint32_t>(values.size());
  std::vector<uint8_t> bytes(8 + values.size());
  const uint8_t header[8] = {0, 0, 0x08, 1, uint8_t(n >> 24), uint8_t(n >> 16), uint8_t(n >> 8), uint8_t(n)};
  std::copy(std::begin(header), std::end(header), bytes.begin());
  std::copy(values.begin(), values.end(), bytes.begin() + 8);
  return bytes;
}

void write_predictions_file(const std::string& path, const std::vector<uint8_t>& predictions) {
  const std::vector<uint8_t> bytes = idx1_bytes(predictions);
  const std::string error = write_file_atomically(path, [&](std::ostream& os) {
    os.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  });
  if (!error.empty()) throw ConfigError(path + ": cannot write the float predictions (" + error + ")");
}

}  // namespace dlvp::dlvpc
