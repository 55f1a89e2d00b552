#include "tools/conformance/conformance.h"

#include "ip/common/config_error.h"
#include "tools/builder/program.h"
#include "platform/cpu_ops.h"
#include "tools/dlvpc/compiler.h"
#include "tools/dlvpc/gru_compiler.h"
#include "tools/dlvpc/cpu_stage.h"
#include "tools/dlvpc/lstm_compiler.h"
#include "tools/dlvpc/onnx_import.h"
#include "tools/package/package_writer.h"
#include "tests/reference/network_reference.h"

#include <onnx/onnx_pb.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <set>
#include <sstream>
#include <variant>

extern char** environ;

namespace dlvp::conformance {

namespace fs = std::filesystem;

namespace {

// Where the runner places the package in the SoC's DDR (and tells run_package via boot argument 0).
constexpr uint64_t kPackageAddress = 0x90000000;

std::string read_file(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw ConfigError(path.string() + ": cannot open the file");
  std::stringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

onnx::ModelProto read_model(const fs::path& path) {
  const std::string bytes = read_file(path);
  onnx::ModelProto model;
  if (bytes.empty() || !model.ParseFromString(bytes))
    throw ConfigError(path.string() + ": not a valid ONNX model (" + std::to_string(bytes.size()) + " bytes)");
  return model;
}

// The graph inputs a test data set feeds, in order: those that are not initializers.
std::vector<std::string> fed_inputs(const onnx::GraphProto& graph) {
  std::set<std::string> initializers;
  for (const auto& t : graph.initializer()) initializers.insert(t.name());
  std::vector<std::string> names;
  for (const auto& input : graph.input())
    if (!initializers.count(input.name())) names.push_back(input.name());
  return names;
}

std::vector<TestTensor> read_inputs(const fs::path& data_set) {
  std::vector<TestTensor> inputs;
  for (int i = 0;; ++i) {
    const fs::path file = data_set / ("input_" + std::to_string(i) + ".pb");
    if (!fs::exists(file)) break;
    inputs.push_back(read_tensor(file.string()));
  }
  return inputs;
}

// "<origin>: node 'Conv#0' (ConvInteger): why (supported: ...)" -> "ConvInteger: why": the
// importer's and quantizer's messages without the file, the generated node name and the lists.
std::string short_reason(std::string message, const std::string& origin) {
  for (const std::string& prefix : {origin + ": ", std::string("dlvpc: ")})
    if (message.rfind(prefix, 0) == 0) message.erase(0, prefix.size());
  if (message.rfind("node '", 0) == 0) {
    const auto open = message.find("' (");
    const auto close = open == std::string::npos ? open : message.find("): ", open);
    if (close != std::string::npos) message = message.substr(open + 3, close - open - 3) + ": " + message.substr(close + 3);
  }
  const auto list = message.find(" (supported: ");
  if (list != std::string::npos) message.erase(list, message.find(')', list) + 1 - list);
  return message;
}

std::string number_text(double v) {
  if (v < 0 || std::isnan(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string hex_text(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// What ran, for a passed row: each layer's fused ONNX nodes and radix points (input, weights, output).
std::string layers_text(const dlvpc::Compiled& c) {
  std::string text;
  for (const dlvpc::LayerReport& l : c.layers) {
    char q[48];
    std::snprintf(q, sizeof q, " Q(%d,%d,%d)", l.input_frac, l.weight_frac, l.output_frac);
    text += (text.empty() ? "" : "; ") + l.onnx_ops + q;
  }
  return c.graph.softmax_on_cpu ? text + "; Softmax on the CPU" : text;
}

struct SocRun {
  int status = -1;  // dlvp's exit status (-1: killed by a signal)
  std::string console;
};

// Spawns `dlvp run` on the scenario with the package placed at kPackageAddress; stdout and stderr
// go to DIR/console.txt.
SocRun run_dlvp(const RunOptions& options, const fs::path& package, const fs::path& dir) {
  const std::string path = package.string();
  if (path.find_first_of("\"\\") != std::string::npos)
    throw ConfigError(path + ": the package path must not contain quotes or backslashes (it goes into a YAML --set)");
  const std::vector<std::string> args = {
      options.dlvp, "run", options.scenario,
      "--set", "software.load=[{file: \"" + path + "\", address: " + hex_text(kPackageAddress) + "}]",
      "--set", "software.args[0]=" + hex_text(kPackageAddress),
      "--out", (dir / "run").string()};
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const std::string console_path = (dir / "console.txt").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, console_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  const int error = posix_spawn(&pid, options.dlvp.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) throw ConfigError(options.dlvp + ": cannot start the dlvp binary: " + std::strerror(error));
  int raw = 0;
  while (waitpid(pid, &raw, 0) < 0 && errno == EINTR) {
  }
  SocRun run;
  run.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  run.console = read_file(console_path);
  return run;
}

// Why a dlvp run did not end with a bit-exact output: run_package's or dlvp's own last words.
std::string soc_problem(const SocRun& run) {
  if (run.status == 4) return "SoC output differs from the reference model";
  if (run.status == 124) return "the SoC did not finish within the scenario's run.max_time_ms";
  if (run.status == 0) return "dlvp exited 0 but run_package did not compare the output";
  // dlvp's own first error line gives the cause (a refused package's next line is the remedy).
  std::string last, first_dlvp_error;
  std::istringstream lines(run.console);
  for (std::string line; std::getline(lines, line);) {
    if (first_dlvp_error.empty() && line.rfind("dlvp: error:", 0) == 0) first_dlvp_error = line;
    if (line.find("run_package:") != std::string::npos || line.find("error") != std::string::npos) last = line;
  }
  const std::string& why = first_dlvp_error.empty() ? last : first_dlvp_error;
  const std::string status = run.status < 0 ? "dlvp was killed by a signal" : "dlvp exit " + std::to_string(run.status);
  return why.empty() ? status : status + ": " + why;
}

float max_abs(const std::vector<float>& v) {
  float m = 0;
  for (const float x : v) m = std::max(m, std::fabs(x));
  return m;
}

// Half a unit in the last place of a radix point: the largest rounding error there.
double half_lsb(int frac) { return std::ldexp(0.5, -frac); }

int bias_shift_of(const builder::Layer& layer) {
  if (const auto* conv = std::get_if<builder::ConvLayer>(&layer)) return conv->bias_shift;
  if (const auto* fc = std::get_if<builder::FcLayer>(&layer)) return fc->bias_shift;
  return 0;
}

CaseResult& conclude(CaseResult& r, Outcome outcome, std::string note) {
  r.outcome = outcome;
  r.note = std::move(note);
  return r;
}

int16_t get16(const std::vector<uint8_t>& bytes, uint64_t at) {
  return static_cast<int16_t>(uint16_t(bytes[at]) | uint16_t(bytes[at + 1]) << 8);
}

// One ONNX output of an LSTM job's output window (y [stored steps][B][Y], c [B][H]), dequantized
// in ONNX's order, with the reference's worst-case error bound per element (docs/lstm.md,
// "Tolerance").
struct LstmOutputValues {
  std::vector<double> value, bound;
};

LstmOutputValues lstm_output(const dlvpc::LstmCompiled& c, const std::vector<double>& x, dlvpc::LstmOutput what) {
  const dlvpc::LstmModel& m = c.model;
  const lstm_ref::FixedLstm& q = c.lstm.fixed;
  const uint32_t T = m.seq_length, B = m.batch, Y = q.output_size(), H = q.hidden_size;
  const builder::LstmProgram& p = c.program;
  const uint32_t first_stored = T - p.stored_steps;
  LstmOutputValues out;
  const uint64_t n = what == dlvpc::LstmOutput::kY ? uint64_t{T} * B * Y : uint64_t{B} * (what == dlvpc::LstmOutput::kYc ? H : Y);
  out.value.assign(n, 0.0);
  out.bound.assign(n, 0.0);
  for (uint32_t b = 0; b < B; ++b) {
    const std::vector<double> seq = m.sequence(x, b), h0 = m.initial_h_of(b), c0 = m.initial_c_of(b);
    const lstm_ref::FloatRun f = lstm_ref::run_float(c.lstm.pruned, seq, h0, c0);
    const lstm_ref::ErrorBound e = lstm_ref::output_error_bound(c.lstm.pruned, q, seq, f, h0, c0);
    const auto y_at = [&](uint32_t t, uint32_t k) {
      return ((uint64_t{t} - first_stored) * c.sequences + b) * Y + k;  // in the window, int16 elements
    };
    if (what == dlvpc::LstmOutput::kY) {
      for (uint32_t t = 0; t < T; ++t)
        for (uint32_t k = 0; k < Y; ++k) {
          const uint64_t at = (m.layout == 0 ? uint64_t{t} * B + b : uint64_t{b} * T + t) * Y + k;
          out.value[at] = lstm_ref::dequantize(get16(c.test_expected, 2 * y_at(t, k)), q.output_frac());
          out.bound[at] = e.y[uint64_t{t} * Y + k];
        }
    } else if (what == dlvpc::LstmOutput::kYh) {
      for (uint32_t k = 0; k < Y; ++k) {
        out.value[uint64_t{b} * Y + k] = lstm_ref::dequantize(get16(c.test_expected, 2 * y_at(T - 1, k)), q.output_frac());
        out.bound[uint64_t{b} * Y + k] = e.y[uint64_t{T - 1} * Y + k];
      }
    } else {
      for (uint32_t k = 0; k < H; ++k) {
        const uint64_t at = p.final_c_offset + 2 * (uint64_t{b} * H + k);
        out.value[uint64_t{b} * H + k] = lstm_ref::dequantize(get16(c.test_expected, at), q.c_frac);
        out.bound[uint64_t{b} * H + k] = e.c[k];
      }
    }
  }
  return out;
}

// An LSTM with a classifier head (a whole model, docs/conformance.md, "LSTM"): the float LSTM and
// head (dlvpc's float model) against the expected output within float32's reordering error, and
// the SoC's output (the package's embedded test, bit-exact with the reference) against it,
// reported as max_error and SQNR without a derived bound (atol negative), as for deeper graphs.
// Compiled: LstmCompiled or GruCompiled (`op` names it); layer_outputs(b) is the float layer's
// output sequence [steps][width] for batch entry b (the head reads its last step, or every step:
// then the output is [batch, steps, outputs] or [steps, batch, outputs] as ONNX's, and each of the
// job's sequences holds its [steps][outputs]).
template <typename Compiled, typename LayerOutputs>
CaseResult& check_recurrent_head(CaseResult& r, const Compiled& c, const TestTensor& expected, const std::string& op,
                                 uint32_t width, LayerOutputs layer_outputs) {
  const auto& m = c.model;
  const uint32_t outputs = c.head.outputs(), T = m.seq_length, steps = m.head_every_step ? T : 1;
  if (expected.values.size() != uint64_t{m.batch} * steps * outputs)
    return conclude(r, Outcome::kFailed, "the head has " + std::to_string(m.batch) + " x " + std::to_string(steps) + " x " +
                                             std::to_string(outputs) + " outputs, output_0 " +
                                             std::to_string(expected.values.size()));
  r.max_error = 0;
  r.float_error = 0;
  r.float_atol = float_tolerance(expected.values, false);
  double signal = 0, noise = 0;
  for (uint32_t b = 0; b < m.batch; ++b) {
    const std::vector<float> y = layer_outputs(b);
    for (uint32_t j = 0; j < steps; ++j) {
      const uint64_t t = m.head_every_step ? j : T - 1;
      std::vector<float> out = dlvpc::run_float(m.head, std::vector<float>(y.begin() + t * width, y.begin() + (t + 1) * width)).back();
      if (m.head.softmax_on_cpu) out = dlvpc::softmax(out);
      std::vector<double> soc(outputs);
      for (uint32_t k = 0; k < outputs; ++k)
        soc[k] = lstm_ref::dequantize(get16(c.test_expected, c.output_offset + 2 * ((uint64_t{b} * steps + j) * outputs + k)),
                                      c.output_frac);
      if (m.head.softmax_on_cpu) {
        const std::vector<float> p = dlvpc::softmax(std::vector<float>(soc.begin(), soc.end()));
        soc.assign(p.begin(), p.end());
      }
      // ONNX's order: [batch, steps, outputs], or [steps, batch, outputs] (steps_first).
      const uint64_t row = m.steps_first ? uint64_t{j} * m.batch + b : uint64_t{b} * steps + j;
      for (uint32_t k = 0; k < outputs; ++k) {
        const double want = expected.values[row * outputs + k];
        r.float_error = std::max(r.float_error, std::fabs(out[k] - want));
        r.max_error = std::max(r.max_error, std::fabs(soc[k] - want));
        signal += want * want, noise += (soc[k] - want) * (soc[k] - want);
      }
    }
  }
  r.sqnr_db = noise == 0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(signal / noise);
  if (r.float_error > r.float_atol)
    return conclude(r, Outcome::kFailed, "dlvpc's float " + op + " and head differ from the expected output by " +
                                             number_text(r.float_error) + " (float32 tolerance " + number_text(r.float_atol) + ")");
  return conclude(r, Outcome::kPassed, op + " -> head '" + c.head_name + "'" + (m.head_every_step ? " on every step" : "") + (m.head.softmax_on_cpu ? " + softmax on the CPU" : "") +
                                           " on the LSTM engine, " + std::to_string(c.sequences) + (c.sequences == 1 ? " sequence" : " sequences") + " per job");
}

// The package of a recurrent case run once on the SoC (its embedded test, bit-exact with the
// reference): false, with r concluded as failed, when it is not.
bool run_recurrent_package(CaseResult& r, const std::vector<uint8_t>& package, const RunOptions& options) {
  const fs::path work = fs::path(options.work_dir) / r.name;
  fs::create_directories(work);
  package::write_package_file((work / "model.dlvp").string(), package);
  const SocRun soc = run_dlvp(options, work / "model.dlvp", work);
  r.soc_checked = soc.status == 0 && soc.console.find("run_package: output matches the expected output") != std::string::npos;
  if (!r.soc_checked) conclude(r, Outcome::kFailed, soc_problem(soc));
  return r.soc_checked;
}

// An LSTM node test (docs/conformance.md, "LSTM"): compiled for the sparse LSTM engine with the
// batch as the job's sequences, run once on the SoC (bit-exact with the reference model), and every
// ONNX output compared within the fixed-point format's derived bound.
CaseResult& run_lstm_test(CaseResult& r, const onnx::ModelProto& model, const std::vector<TestTensor>& inputs,
                          const dlvpc::ImportOptions& import_options, const fs::path& data_set,
                          const RunOptions& options) {
  dlvpc::LstmModel lstm;
  try {
    lstm = dlvpc::import_onnx_lstm(model, r.name, import_options);
  } catch (const dlvpc::ImportError& e) {
    return conclude(r, Outcome::kUnsupported, short_reason(e.what(), r.name));
  }
  const std::vector<dlvpc::LstmModel::GraphOutput> outputs = lstm.outputs;
  dlvpc::LstmCompiled c;
  try {
    c = dlvpc::compile_lstm(std::move(lstm), {inputs[0].values}, dlvpc::LstmCompileOptions{});
  } catch (const dlvpc::QuantizeError& e) {
    return conclude(r, Outcome::kUnsupported, short_reason(e.what(), r.name));
  } catch (const builder::BuildError& e) {
    return conclude(r, Outcome::kUnsupported, short_reason(e.what(), r.name));
  }
  if (!run_recurrent_package(r, c.package, options)) return r;
  if (c.has_head) {
    const dlvpc::LstmModel& m = c.model;
    return check_recurrent_head(r, c, read_tensor((data_set / "output_0.pb").string()), "LSTM", m.layer.output_size(),
                                [&](uint32_t b) {
                                  const lstm_ref::FloatRun run = lstm_ref::run_float(m.layer, m.sequence(inputs[0].values, b),
                                                                                     m.initial_h_of(b), m.initial_c_of(b));
                                  return std::vector<float>(run.y.begin(), run.y.end());
                                });
  }
  r.max_error = 0;
  r.atol = 0;
  std::string ran;
  for (size_t o = 0; o < outputs.size(); ++o) {
    const fs::path file = data_set / ("output_" + std::to_string(o) + ".pb");
    if (!fs::exists(file)) continue;
    const TestTensor expected = read_tensor(file.string());
    const LstmOutputValues got = lstm_output(c, inputs[0].values, outputs[o].what);
    if (got.value.size() != expected.values.size())
      return conclude(r, Outcome::kFailed, std::string(dlvpc::to_string(outputs[o].what)) + " has " +
                                               std::to_string(got.value.size()) + " elements, " + file.filename().string() +
                                               " " + std::to_string(expected.values.size()));
    for (size_t i = 0; i < got.value.size(); ++i) {
      // The bound is rigorous for the fixed point against exact arithmetic; 1e-5 covers the float
      // expected output's own rounding.
      const double error = std::fabs(got.value[i] - expected.values[i]), atol = got.bound[i] + 1e-5;
      r.max_error = std::max(r.max_error, error);
      r.atol = std::max(r.atol, atol);
      if (error > atol)
        return conclude(r, Outcome::kFailed, std::string(dlvpc::to_string(outputs[o].what)) + " element " +
                                                 std::to_string(i) + ": error " + number_text(error) + " exceeds its bound " +
                                                 number_text(atol));
    }
    ran += (ran.empty() ? "" : ", ") + std::string(dlvpc::to_string(outputs[o].what));
  }
  const lstm_ref::FixedLstm& q = c.lstm.fixed;
  char formats[160];
  std::snprintf(formats, sizeof formats, " on the LSTM engine, %u sequence%s per job; x Q%d, h Q%d, c Q%d, gates Q%d",
                c.sequences, c.sequences == 1 ? "" : "s", q.x_frac, q.h_frac, q.c_frac, q.gate_frac);
  return conclude(r, Outcome::kPassed, "LSTM -> " + ran + formats + "; atol = the largest per-element bound");
}

// A GRU with a classifier head (torch's nn.GRU exports, tests/data/torch_forms/gru_*): compiled by
// dlvpc's GRU path, run once on the SoC (bit-exact with the reference), the head's output checked as
// an LSTM's. A GRU without a head (ONNX's node tests) is checked by tests/unit/lstm/test_gru_onnx.cpp.
CaseResult& run_gru_test(CaseResult& r, const onnx::ModelProto& model, const std::vector<TestTensor>& inputs,
                         const dlvpc::ImportOptions& import_options, const fs::path& data_set, const RunOptions& options) {
  dlvpc::GruCompiled c;
  try {
    dlvpc::GruModel gru = dlvpc::import_onnx_gru(model, r.name, import_options);
    if (!gru.has_head)
      return conclude(r, Outcome::kUnsupported, "a GRU without a head (its node tests run in lstm_test_gru_onnx)");
    c = dlvpc::compile_gru(std::move(gru), {inputs[0].values}, dlvpc::LstmCompileOptions{});
  } catch (const dlvpc::ImportError& e) {
    return conclude(r, Outcome::kUnsupported, short_reason(e.what(), r.name));
  } catch (const dlvpc::QuantizeError& e) {
    return conclude(r, Outcome::kUnsupported, short_reason(e.what(), r.name));
  } catch (const builder::BuildError& e) {
    return conclude(r, Outcome::kUnsupported, short_reason(e.what(), r.name));
  }
  if (!run_recurrent_package(r, c.package, options)) return r;
  const dlvpc::GruModel& m = c.model;
  return check_recurrent_head(r, c, read_tensor((data_set / "output_0.pb").string()), "GRU", m.layer.hidden_size,
                              [&](uint32_t b) {
                                const lstm_ref::FloatGruRun run =
                                    lstm_ref::run_float(m.layer, m.sequence(inputs[0].values, b), m.initial_h_of(b));
                                return std::vector<float>(run.h.begin(), run.h.end());
                              });
}

}  // namespace

TestTensor read_tensor(const std::string& path) {
  const std::string bytes = read_file(path);
  onnx::TensorProto t;
  if (!t.ParseFromString(bytes))
    throw ConfigError(path + ": not an onnx.TensorProto (" + std::to_string(bytes.size()) + " bytes)");
  TestTensor out;
  out.name = t.name();
  out.data_type = t.data_type();
  dlvpc::ConstTensor decoded = dlvpc::decode_tensor(t, path);
  out.dims = std::move(decoded.dims);
  out.values = std::move(decoded.values);
  return out;
}

const char* to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPassed: return "passed";
    case Outcome::kFailed: return "failed";
    default: return "unsupported";
  }
}

bool is_selected(const std::string& name) {
  // A trailing '*' is a prefix; anything else must match the whole name.
  static const char* const kPatterns[] = {
      "test_conv*", "test_basic_conv*", "test_convinteger*", "test_basic_convinteger", "test_qlinearconv",
      "test_gemm*", "test_matmul*", "test_matmulinteger", "test_qlinearmatmul*", "test_relu", "test_maxpool*",
      "test_averagepool*", "test_globalaveragepool*", "test_globalmaxpool*", "test_add*", "test_batchnorm*",
      "test_flatten*", "test_reshape*", "test_softmax*", "test_lstm*",
      // ACT: the activation unit and ELTWISE Mul (ISA version 3)
      "test_clip*", "test_sigmoid*", "test_hardsigmoid*", "test_hardswish*", "test_leakyrelu*", "test_tanh*",
      "test_mul*"};
  const std::string expanded = "_expanded";
  if (name.size() >= expanded.size() && name.compare(name.size() - expanded.size(), expanded.size(), expanded) == 0)
    return false;
  for (const std::string pattern : kPatterns) {
    if (pattern.back() == '*' ? name.rfind(pattern.substr(0, pattern.size() - 1), 0) == 0 : name == pattern) return true;
  }
  return false;
}

std::vector<std::string> list_tests(const std::string& data_dir, const std::string& filter) {
  std::error_code ec;
  if (!fs::is_directory(data_dir, ec))
    throw ConfigError(data_dir + ": not a folder of ONNX node tests (Debian's libonnx-testdata: "
                      "/usr/share/libonnx-testdata/data/node)");
  std::vector<std::string> tests;
  for (const auto& entry : fs::directory_iterator(data_dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && is_selected(name) && name.find(filter) != std::string::npos)
      tests.push_back(entry.path().string());
  }
  std::sort(tests.begin(), tests.end());
  return tests;
}

// ACT: an op's bound through its activation unit. A table rounds the op's value at its
// pre-activation radix point instead of the output's, then maps it by f (error times f's largest
// slope) and rounds at the output; a clip moves nothing by more than the clip's own rounding.
double through_activation(const dlvpc::FloatOp& op, const builder::Layer& layer, const dlvpc::QuantizedModel& model,
                          size_t index, double error, int in_frac) {
  if (op.activation.none()) return error;
  const double output_rounding = half_lsb(model.op_frac[index]);
  if (!op.activation.needs_table()) return error + output_rounding;
  const int pre = std::visit(
      [&](const auto& l) -> int {
        using L = std::decay_t<decltype(l)>;
        if constexpr (std::is_same_v<L, builder::ConvLayer> || std::is_same_v<L, builder::FcLayer>)
          return in_frac + model.weight_frac[index] - l.output_shift;
        else if constexpr (std::is_same_v<L, builder::EltwiseLayer>)
          return in_frac - l.output_shift;
        else
          return model.op_frac[index];
      },
      layer);
  return dlvpc::activation_slope(op.activation) * (error - output_rounding + half_lsb(pre)) + output_rounding +
         dlvpc::activation_tail(op.activation, pre);
}

// Where op i's sum is before its output shift: the input's radix point (Conv, Fc: plus the
// weights', added in through_activation), an Add's common one (+1 for a mean), a Mul's product.
int sum_frac(const dlvpc::FloatOp& op, const dlvpc::QuantizedModel& model) {
  const auto frac_of = [&](int source) { return source == dlvpc::kGraphInput ? model.input_frac : model.op_frac[source]; };
  if (op.kind == dlvpc::OpKind::kAdd) return std::max(frac_of(op.inputs[0]), frac_of(op.inputs[1])) + (op.mean ? 1 : 0);
  if (op.kind == dlvpc::OpKind::kMul) return frac_of(op.inputs[0]) + frac_of(op.inputs[1]);
  return frac_of(op.inputs[0]);
}

// CPUC: what rounding a CPU arithmetic's constant operand (to e_b) moves its result by, for first
// operands up to |a|: e_b for a sum or difference, |a| e_b for a product, |a| e_b / (|b| (|b| - e_b))
// for a quotient with |b| at its smallest (unbounded when the rounded constant may be 0).
double constant_operand_error(const dlvpc::FloatOp& op, double e_b, double big_a) {
  if (op.cpu_params[0] == cpu::kAdd || op.cpu_params[0] == cpu::kSub) return e_b;
  if (op.cpu_params[0] == cpu::kMul) return big_a * e_b;
  double least = std::numeric_limits<double>::infinity();
  for (const float v : op.weights) least = std::min(least, static_cast<double>(std::fabs(v)));
  return least > e_b ? big_a * e_b / (least * (least - e_b)) : std::numeric_limits<double>::infinity();
}

// CPUC: a CPU stage's bound (docs/cpu_ops.md). Data movement passes its input's error on; a
// softmax's Jacobian has rows of absolute sum 2p(1 - p) <= 1/2; a mean passes the error on; the
// arithmetic as products and quotients do. Plus the output's rounding (binary64 adds ~1e-16).
template <typename ErrorOf, typename Largest>
double cpu_error(const dlvpc::FloatOp& op, const dlvpc::QuantizedModel& model, size_t index,
                 const std::vector<std::vector<float>>& outputs, const std::vector<float>& centered,
                 const ErrorOf& error_of, const Largest& largest, double output_rounding) {
  const double e_a = error_of(op.inputs[0]);
  if (dlvpc::cpu_moves_data(op)) return e_a;
  if (op.cpu_op == cpu::kOpSoftmax) return 0.5 * e_a + output_rounding;
  if (op.cpu_op == cpu::kOpLayerNorm) {  // y = (x - mean) / s: |dy| <= (2 + |y|) e / (s - e), s at its smallest
    const std::vector<float>& x = op.inputs[0] == dlvpc::kGraphInput ? centered : outputs[op.inputs[0]];
    const uint64_t length = op.input_view.h, inner = op.input_view.w;
    float epsilon;
    std::memcpy(&epsilon, &op.cpu_params[1], sizeof epsilon);
    double least = std::numeric_limits<double>::infinity();
    for (uint64_t o = 0; o < op.input_view.c; ++o)
      for (uint64_t i = 0; i < inner; ++i) {
        double sum = 0, squares = 0;
        for (uint64_t k = 0; k < length; ++k) sum += x[(o * length + k) * inner + i];
        for (uint64_t k = 0; k < length; ++k) {
          const double d = x[(o * length + k) * inner + i] - sum / double(length);
          squares += d * d;
        }
        least = std::min(least, std::sqrt(squares / double(length) + epsilon));
      }
    if (!(least > e_a)) return std::numeric_limits<double>::infinity();
    return (2.0 + max_abs(outputs[index])) * e_a / (least - e_a) + output_rounding;
  }
  if (op.cpu_op != cpu::kOpArithmetic) return e_a + output_rounding;
  const bool constant = op.inputs.size() < 2;
  const double e_b = constant ? half_lsb(model.weight_frac[index]) : error_of(op.inputs[1]);
  const double big_a = largest(op.inputs[0]), big_b = constant ? max_abs(op.weights) : largest(op.inputs[1]);
  switch (op.cpu_params[0]) {
    case cpu::kAdd:
    case cpu::kSub: return e_a + e_b + output_rounding;
    case cpu::kMul: return big_a * e_b + (big_b + e_b) * e_a + output_rounding;
    default: {  // |a'/b' - a/b| <= (|a| e_b + |b| e_a) / (|b| (|b| - e_b)), |b| at its smallest
      const std::vector<float>& b = constant ? op.weights : outputs[op.inputs[1]];
      double least = std::numeric_limits<double>::infinity();
      for (const float v : b) least = std::min(least, static_cast<double>(std::fabs(v)));
      if (!(least > e_b)) return std::numeric_limits<double>::infinity();
      return (big_a * e_b + least * e_a) / (least * (least - e_b)) + output_rounding;
    }
  }
}

double output_tolerance(const dlvpc::FloatGraph& graph, const dlvpc::QuantizedModel& model,
                        const std::vector<float>& input) {
  const std::vector<std::vector<float>> outputs = dlvpc::run_float(graph, input);
  const std::vector<float> centered = dlvpc::centered_input(graph, input);
  std::vector<double> error(graph.ops.size());
  // What a layer reads: its radix point, the bound on its error, its largest float magnitude. The
  // graph input's only error is its own rounding.
  const auto frac_of = [&](int source) { return source == dlvpc::kGraphInput ? model.input_frac : model.op_frac[source]; };
  const auto error_of = [&](int source) {
    return source == dlvpc::kGraphInput ? half_lsb(model.input_frac) : error[source];
  };
  const auto largest = [&](int source) {
    return static_cast<double>(max_abs(source == dlvpc::kGraphInput ? centered : outputs[source]));
  };
  for (size_t i = 0; i < graph.ops.size(); ++i) {
    const dlvpc::FloatOp& op = graph.ops[i];
    const double output_rounding = half_lsb(model.op_frac[i]);
    const int source = op.inputs[0];
    switch (op.kind) {
      case dlvpc::OpKind::kConv:
      case dlvpc::OpKind::kFc: {
        // Taps per output: in_c x kh x kw, or n_in. |w'x' - wx| <= |w||x' - x| + |w' - w||x'|, summed.
        const double taps = op.kind == dlvpc::OpKind::kConv ? static_cast<double>(op.input.c) * op.kernel_h * op.kernel_w
                                                            : static_cast<double>(op.input.elements());
        const int f_in = frac_of(source), f_w = model.weight_frac[i];
        const double e_in = error_of(source);
        const double bias_rounding = half_lsb(f_in + f_w - bias_shift_of(model.network.layers[i]));
        error[i] = output_rounding + taps * (max_abs(op.weights) * e_in + half_lsb(f_w) * (largest(source) + e_in)) +
                   bias_rounding;
        break;
      }
      case dlvpc::OpKind::kPool:
        // Max pooling and ReLU pass an input's error on; an average adds its own rounding.
        error[i] = error_of(source) + output_rounding;
        break;
      case dlvpc::OpKind::kView:
      case dlvpc::OpKind::kCopy:
        error[i] = error_of(source);  // the input's bytes, unchanged
        break;
      case dlvpc::OpKind::kAdd:
        error[i] = (error_of(source) + error_of(op.inputs[1])) * (op.mean ? 0.5 : 1.0) + output_rounding;
        break;
      case dlvpc::OpKind::kMul: {  // |a'b' - ab| <= |a| e_b + |b'| e_a
        const double e_a = error_of(source), e_b = error_of(op.inputs[1]);
        error[i] = largest(source) * e_b + (largest(op.inputs[1]) + e_b) * e_a + output_rounding;
        break;
      }
      case dlvpc::OpKind::kCpu:
        error[i] = cpu_error(op, model, i, outputs, centered, error_of, largest, output_rounding);
        break;
      case dlvpc::OpKind::kConcat:
        // Slices keep their producers' values: the largest of their errors.
        error[i] = 0;
        for (const int s : op.inputs) error[i] = std::max(error[i], error_of(s));
        break;
    }
    error[i] = through_activation(op, model.network.layers[i], model, i, error[i], sum_frac(op, model));
  }
  return error.back();
}

double float_tolerance(const std::vector<double>& expected, bool integer_output) {
  if (integer_output) return 0.25;  // integers: the float graph's value must round to ONNX's
  double largest = 0;
  for (const double e : expected) largest = std::max(largest, std::fabs(e));
  // float32 keeps about 7 digits; sums of thousands of products in another order lose a few more.
  return 1e-6 + 1e-4 * largest;
}

namespace {

// Op `i` of the graph in float on `inputs` (one per source, in op.inputs order).
std::vector<float> float_layer(const dlvpc::FloatOp& op, const std::vector<const std::vector<float>*>& inputs) {
  switch (op.kind) {
    case dlvpc::OpKind::kAdd:
    case dlvpc::OpKind::kMul:
    case dlvpc::OpKind::kCpu: return dlvpc::run_op(op, inputs);
    case dlvpc::OpKind::kConcat: {
      std::vector<float> y;
      for (const std::vector<float>* slice : inputs) y.insert(y.end(), slice->begin(), slice->end());
      return y;
    }
    default: {  // one input: the float executor on a graph of this op alone
      dlvpc::FloatGraph one;
      one.input = op.input;
      dlvpc::FloatOp alone = op;
      alone.inputs = {dlvpc::kGraphInput};
      one.ops.push_back(std::move(alone));
      return dlvpc::run_float(one, *inputs[0]).back();
    }
  }
}

}  // namespace

LayerCheck check_layers(const dlvpc::FloatGraph& graph, const dlvpc::QuantizedModel& model,
                        const std::vector<int8_t>& quantized_input, uint32_t accumulator_bits) {
  const std::vector<std::vector<int8_t>> outputs =
      ref::run_network_layers(model.network, graph.input, quantized_input, accumulator_bits);
  std::vector<std::vector<float>> dequantized(graph.ops.size());
  const std::vector<float> input = dlvpc::dequantize(quantized_input, model.input_frac);
  LayerCheck worst;
  for (size_t i = 0; i < graph.ops.size() && i < outputs.size(); ++i) {
    const dlvpc::FloatOp& op = graph.ops[i];
    dequantized[i] = dlvpc::dequantize(outputs[i], model.op_frac[i]);
    std::vector<const std::vector<float>*> sources;
    for (const int s : op.inputs) sources.push_back(s == dlvpc::kGraphInput ? &input : &dequantized[s]);
    const std::vector<float> y = float_layer(op, sources);
    if (y.size() != dequantized[i].size())
      throw ConfigError("layer " + std::to_string(i) + ": the float layer has " + std::to_string(y.size()) +
                        " values, the quantized one " + std::to_string(dequantized[i].size()));
    const int f_out = model.op_frac[i];
    double bound = half_lsb(f_out);
    if (op.kind == dlvpc::OpKind::kConv || op.kind == dlvpc::OpKind::kFc) {
      const double taps = op.kind == dlvpc::OpKind::kConv ? double(op.input.c) * op.kernel_h * op.kernel_w
                                                          : double(op.input.elements());
      const int f_in = op.inputs[0] == dlvpc::kGraphInput ? model.input_frac : model.op_frac[op.inputs[0]];
      const int f_w = model.weight_frac[i];
      bound += taps * half_lsb(f_w) * max_abs(*sources[0]) + half_lsb(f_in + f_w - bias_shift_of(model.network.layers[i]));
    } else if (op.kind == dlvpc::OpKind::kCpu && op.cpu_op == cpu::kOpArithmetic && op.inputs.size() < 2) {
      bound += constant_operand_error(op, half_lsb(model.weight_frac[i]), max_abs(*sources[0]));  // CPUC
    }
    bound = through_activation(op, model.network.layers[i], model, i, bound, sum_frac(op, model));
    const double lo = std::ldexp(-128.0, -f_out), hi = std::ldexp(127.0, -f_out);
    const double slack = 1e-6 * (1.0 + max_abs(y));  // the float layer's own rounding
    for (size_t k = 0; k < y.size(); ++k) {
      const double error = std::fabs(double(dequantized[i][k]) - std::clamp(double(y[k]), lo, hi));
      const double ratio = error / (bound + slack);
      if (ratio > worst.ratio || worst.layer < 0) worst = {ratio, static_cast<int>(i), error, bound + slack};
    }
  }
  return worst;
}

CaseResult run_test(const std::string& test_dir, const RunOptions& options) {
  const fs::path dir(test_dir);
  CaseResult r;
  r.name = dir.filename().string();
  try {
    // 1. The model and test_data_set_0: the first fed input is the data, the others are constants.
    const onnx::ModelProto model = read_model(dir / "model.onnx");
    const fs::path data_set = dir / "test_data_set_0";
    const std::vector<TestTensor> inputs = read_inputs(data_set);
    const TestTensor expected = read_tensor((data_set / "output_0.pb").string());
    const std::vector<std::string> fed = fed_inputs(model.graph());
    if (inputs.empty() || inputs.size() != fed.size())
      return conclude(r, Outcome::kFailed, data_set.string() + " has " + std::to_string(inputs.size()) +
                                               " input files, the model " + std::to_string(fed.size()) + " inputs to feed");
    dlvpc::ImportOptions import_options;
    for (size_t i = 1; i < inputs.size(); ++i) import_options.bindings[fed[i]] = {inputs[i].dims, inputs[i].values};
    if (dlvpc::has_lstm_node(model)) return run_lstm_test(r, model, inputs, import_options, data_set, options);
    if (dlvpc::has_gru_node(model)) return run_gru_test(r, model, inputs, import_options, data_set, options);

    // 2. Import.
    dlvpc::FloatGraph graph;
    try {
      graph = dlvpc::import_onnx(model, r.name, import_options);
    } catch (const dlvpc::ImportError& e) {
      return conclude(r, Outcome::kUnsupported, short_reason(e.what(), r.name));
    }
    // The batch's samples: one job each.
    const size_t per_sample = graph.input.elements();
    if (inputs[0].values.size() != per_sample * graph.batch)
      return conclude(r, Outcome::kFailed, "input_0 has " + std::to_string(inputs[0].values.size()) + " elements, the graph input " +
                                               std::to_string(graph.batch) + " x " + std::to_string(per_sample));
    std::vector<std::vector<float>> samples(graph.batch);
    for (uint32_t n = 0; n < graph.batch; ++n)
      samples[n].assign(inputs[0].values.begin() + n * per_sample, inputs[0].values.begin() + (n + 1) * per_sample);

    // 3. Compile, calibrated on the test's own samples; the package carries one and the reference output.
    dlvpc::CompileOptions compile_options;
    compile_options.test_data_max_macs = std::numeric_limits<uint64_t>::max();
    dlvpc::Compiled compiled;
    try {
      compiled = dlvpc::compile(std::move(graph), samples, compile_options);
    } catch (const dlvpc::QuantizeError& e) {
      return conclude(r, Outcome::kUnsupported, short_reason(e.what(), r.name));
    } catch (const builder::BuildError& e) {
      return conclude(r, Outcome::kUnsupported, short_reason(e.what(), r.name));
    }
    if (compiled.test_expected.empty()) return conclude(r, Outcome::kFailed, "the package carries no expected output");
    if (compiled.test_expected.size() * samples.size() != expected.values.size())
      return conclude(r, Outcome::kFailed, "the output has " + std::to_string(samples.size()) + " x " +
                                               std::to_string(compiled.test_expected.size()) + " elements, output_0 " +
                                               std::to_string(expected.values.size()));

    // 4. Each sample's package on the virtual SoC: run_package checks its output against the
    // reference model's. 5. That output against ONNX's, within the worst-case rounding (exactly for
    // an integer output).
    const fs::path work = fs::path(options.work_dir) / r.name;
    r.max_error = 0;
    r.atol = 0;
    r.float_error = 0;
    r.float_atol = 0;
    r.layer_ratio = 0;
    double signal = 0, noise = 0;  // SQNR over all samples
    const bool one_layer = compiled.graph.ops.size() == 1;
    for (size_t n = 0; n < samples.size(); ++n) {
      if (n > 0) dlvpc::embed_test_sample(compiled, samples[n], compile_options);
      const fs::path dir = samples.size() == 1 ? work : work / ("sample_" + std::to_string(n));
      fs::create_directories(dir);
      const fs::path package_path = dir / "model.dlvp";
      package::write_package_file(package_path.string(), compiled.package);
      const SocRun soc = run_dlvp(options, package_path, dir);
      r.soc_checked = soc.status == 0 && soc.console.find("run_package: output matches the expected output") != std::string::npos;
      if (!r.soc_checked)
        return conclude(r, Outcome::kFailed, (samples.size() > 1 ? "sample " + std::to_string(n) + ": " : "") + soc_problem(soc));

      // 5a. dlvpc's float graph computes ONNX's function: within float32's reordering error.
      const double* want = expected.values.data() + n * compiled.test_expected.size();
      std::vector<double> expected_sample(want, want + compiled.test_expected.size());
      std::vector<float> float_output = dlvpc::run_float(compiled.graph, samples[n]).back();
      if (compiled.graph.softmax_on_cpu) float_output = dlvpc::softmax(float_output);
      const double float_atol = float_tolerance(expected_sample, compiled.graph.integer_output);
      r.float_atol = std::max(r.float_atol, float_atol);
      for (size_t i = 0; i < float_output.size(); ++i) {
        const double error = std::fabs(float_output[i] - want[i]);
        r.float_error = std::max(r.float_error, error);
        if (error > float_atol)
          return conclude(r, Outcome::kFailed, "sample " + std::to_string(n) + " element " + std::to_string(i) +
                                                   ": dlvpc's float graph differs from ONNX's output by " +
                                                   number_text(error) + " (float32 tolerance " + number_text(float_atol) +
                                                   "); ran " + layers_text(compiled));
      }
      // 5b. Every quantized layer within its own rounding of the float layer on its quantized inputs.
      const LayerCheck layers = check_layers(compiled.graph, compiled.model,
                                             dlvpc::quantize_input(compiled, samples[n]), compile_options.hw.accumulator_bits);
      r.layer_ratio = std::max(r.layer_ratio, layers.ratio);
      if (layers.ratio > 1.0)
        return conclude(r, Outcome::kFailed, "sample " + std::to_string(n) + " layer " + std::to_string(layers.layer) +
                                                 ": quantized error " + number_text(layers.error) +
                                                 " exceeds its rounding bound " + number_text(layers.bound) + "; ran " +
                                                 layers_text(compiled));
      // 5c. The SoC's output against ONNX's: exactly for an integer output; within the worst-case
      // rounding for one layer (sound there; chained through layers it is not a useful bound);
      // reported as SQNR for any graph.
      std::vector<float> output = dlvpc::dequantize(compiled.test_expected, compiled.model.output_frac());
      double atol = compiled.graph.integer_output ? 0.0 : one_layer ? output_tolerance(compiled.graph, compiled.model, samples[n]) : -1;
      if (compiled.graph.softmax_on_cpu) {
        // Logits off by at most e change each probability p by at most p (e^(2e) - 1) <= e^(2e) - 1.
        output = dlvpc::softmax(output);
        if (atol > 0) atol = std::expm1(2 * atol);
      }
      r.atol = atol < 0 ? -1 : std::max(r.atol, atol);
      r.top1_agreements += std::max_element(output.begin(), output.end()) - output.begin() ==
                           std::max_element(want, want + output.size()) - want;
      ++r.top1_samples;
      for (size_t i = 0; i < output.size(); ++i) {
        const double error = std::fabs(output[i] - want[i]);
        r.max_error = std::max(r.max_error, error);
        signal += want[i] * want[i];
        noise += error * error;
        if (atol >= 0 && error > atol)
          return conclude(r, Outcome::kFailed, "sample " + std::to_string(n) + " element " + std::to_string(i) +
                                                   ": error exceeds atol; ran " + layers_text(compiled));
      }
    }
    r.sqnr_db = noise == 0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(signal / noise);
    const std::string batch = samples.size() > 1 ? "batch " + std::to_string(samples.size()) + " as jobs; " : "";
    return conclude(r, Outcome::kPassed, batch + layers_text(compiled));
  } catch (const std::exception& e) {
    return conclude(r, Outcome::kFailed, e.what());
  }
}

void make_case(const std::string& model_path, const std::string& dir, uint32_t seed) {
  const dlvpc::FloatGraph graph = dlvpc::import_onnx_file(model_path);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::vector<float> input(graph.input.elements());
  for (float& x : input) x = uniform(rng);
  std::vector<float> output = dlvpc::run_float(graph, input).back();
  if (graph.softmax_on_cpu) output = dlvpc::softmax(output);
  const fs::path data_set = fs::path(dir) / "test_data_set_0";
  fs::create_directories(data_set);
  fs::copy_file(model_path, fs::path(dir) / "model.onnx", fs::copy_options::overwrite_existing);
  const auto write = [](const fs::path& path, const std::string& name, const std::vector<int64_t>& dims,
                        const std::vector<float>& values) {
    onnx::TensorProto t;
    t.set_name(name);
    t.set_data_type(onnx::TensorProto::FLOAT);
    for (const int64_t d : dims) t.add_dims(d);
    for (const float v : values) t.add_float_data(v);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!t.SerializeToOstream(&out) || !out.flush()) throw ConfigError(path.string() + ": cannot be written");
  };
  std::vector<int64_t> input_dims = graph.input_dims, output_dims = graph.output_dims;
  if (!input_dims.empty()) input_dims[0] = 1;  // one sample
  if (!output_dims.empty()) output_dims[0] = 1;
  write(data_set / "input_0.pb", graph.input_name, input_dims, input);
  write(data_set / "output_0.pb", graph.output_name, output_dims, output);
}

Summary summarize(const std::vector<CaseResult>& results) {
  Summary s;
  for (const CaseResult& r : results) {
    if (r.outcome == Outcome::kPassed) ++s.passed;
    else if (r.outcome == Outcome::kFailed) ++s.failed;
    else ++s.unsupported;
  }
  return s;
}

namespace {
constexpr const char* kRowFormat = "%-54s %-11s %10s %10s %8s %10s %8s  %s\n";
}

std::string table_header() {
  char line[256];
  std::snprintf(line, sizeof line, kRowFormat, "test", "result", "max|err|", "atol", "SQNR dB", "float err", "layers", "note");
  return line;
}

std::string table_row(const CaseResult& r) {
  std::vector<char> line(r.name.size() + r.note.size() + 128);
  char sqnr[32] = "-";
  if (!std::isnan(r.sqnr_db)) std::snprintf(sqnr, sizeof sqnr, "%.1f", r.sqnr_db);
  std::snprintf(line.data(), line.size(), kRowFormat, r.name.c_str(), to_string(r.outcome), number_text(r.max_error).c_str(),
                number_text(r.atol).c_str(), sqnr, number_text(r.float_error).c_str(), number_text(r.layer_ratio).c_str(),
                r.note.c_str());
  return line.data();
}

std::string summary_line(const Summary& s) {
  return std::to_string(s.passed + s.failed + s.unsupported) + " tests: " + std::to_string(s.passed) + " passed, " +
         std::to_string(s.failed) + " failed, " + std::to_string(s.unsupported) + " unsupported\n";
}

std::string format_csv(const std::vector<CaseResult>& results) {
  const auto quoted = [](const std::string& text) {
    std::string q = "\"";
    for (const char c : text) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  const auto exact = [](double v) {  // empty when not compared
    if (v < 0) return std::string();
    char text[32];
    std::snprintf(text, sizeof text, "%.9g", v);
    return std::string(text);
  };
  const auto sqnr = [](double v) {  // any sign; empty when not compared
    if (std::isnan(v)) return std::string();
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", v);
    return std::string(text);
  };
  std::string csv = "test,result,soc_checked,max_error,atol,sqnr_db,float_error,float_atol,layer_ratio,note,top1_agree,top1_samples\n";
  for (const CaseResult& r : results) {
    csv += r.name + "," + to_string(r.outcome) + "," + (r.soc_checked ? "1" : "0") + "," + exact(r.max_error) + "," +
           exact(r.atol) + "," + sqnr(r.sqnr_db) + "," + exact(r.float_error) +
           "," + exact(r.float_atol) + "," + exact(r.layer_ratio) + "," + quoted(r.note) + "," +
           std::to_string(r.top1_agreements) + "," + std::to_string(r.top1_samples) + "\n";
  }
  return csv;
}

}  // namespace dlvp::conformance
