// The ONNX conformance suite of dlvpc (docs/conformance.md): ONNX backend node tests (Debian's
// libonnx-testdata: <test>/model.onnx, <test>/test_data_set_0/{input_N,output_0}.pb) compiled by
// dlvpc, run on the virtual SoC by the `dlvp` binary, and compared with the ONNX expected output
// within the worst-case error of 8-bit dynamic fixed point.
#pragma once
#include "tools/dlvpc/float_graph.h"
#include "tools/dlvpc/quantizer.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dlvp::conformance {

// One TensorProto file of a test data set; every element type the suite uses is converted exactly
// to double (float, double, int8, uint8, int32, int64).
struct TestTensor {
  std::string name;
  int data_type = 0;  // onnx::TensorProto::DataType
  std::vector<int64_t> dims;
  std::vector<double> values;
};

// Throws ConfigError naming the file for an unreadable or unparsable file, an unsupported element
// type or a data size that does not match the shape.
TestTensor read_tensor(const std::string& path);

enum class Outcome { kPassed, kFailed, kUnsupported };
const char* to_string(Outcome outcome);

struct CaseResult {
  std::string name;
  Outcome outcome = Outcome::kUnsupported;
  bool soc_checked = false;  // dlvp ran the package and run_package found the output bit-exact
  double max_error = -1;     // max |SoC output - ONNX output| (negative: not compared)
  double atol = -1;          // the tolerance it was held to (negative: not compared)
  std::string note;          // why (unsupported, failed) or what ran (passed)
};

struct RunOptions {
  std::string dlvp;      // the dlvp binary
  std::string scenario;  // the run_package scenario (scenarios/conformance.yaml)
  std::string work_dir;  // an existing folder for the packages and the runs' outputs
};

// Whether a node test is in the suite: the operators this hardware can plausibly express
// (convolution, matrix products, pooling, ReLU, Add, BatchNorm, Flatten/Reshape, Softmax),
// selected by name prefix, without the *_expanded function-body variants.
bool is_selected(const std::string& test_name);

// The selected test folders under `data_dir` whose name contains `filter`, sorted by name.
// Throws ConfigError when `data_dir` is not a folder.
std::vector<std::string> list_tests(const std::string& data_dir, const std::string& filter = "");

// Runs one test folder end to end (docs/conformance.md, "How one test runs").
CaseResult run_test(const std::string& test_dir, const RunOptions& options);

// The worst-case |error| of the quantized graph's output against the float graph's on `input`
// (docs/conformance.md, "Tolerance"): per layer the rounding of its input, weights, bias and output
// at the radix points the quantizer chose, chained through the layers.
double output_tolerance(const dlvpc::FloatGraph& graph, const dlvpc::QuantizedModel& model,
                        const std::vector<float>& input);

struct Summary {
  int passed = 0, failed = 0, unsupported = 0;
};
Summary summarize(const std::vector<CaseResult>& results);

// The table `onnx_conformance` prints: a header, then one fixed-width row per test.
std::string table_header();
std::string table_row(const CaseResult& result);
std::string summary_line(const Summary& summary);
// name,result,soc_checked,max_error,atol,note with a header line (numbers empty when not compared).
std::string format_csv(const std::vector<CaseResult>& results);

}  // namespace dlvp::conformance
