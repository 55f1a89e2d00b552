// The ONNX conformance suite of dlvpc (docs/conformance.md): ONNX backend node tests (Debian's
// libonnx-testdata: <test>/model.onnx, <test>/test_data_set_0/{input_N,output_0}.pb) compiled by
// dlvpc, run on the virtual SoC by the `dlvp` binary (bit-exact with the reference model), and
// compared with the ONNX expected output: the float graph within float32's reordering error, each
// quantized layer within its own rounding bound (docs/conformance.md, "The comparison").
#pragma once
#include "tools/dlvpc/float_graph.h"
#include "tools/dlvpc/quantizer.h"

#include <cstdint>
#include <limits>
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
  double atol = -1;          // the tolerance it was held to: integer outputs 0, one layer its rounding
                             // bound, an LSTM its derived bound; negative: none (a deeper graph is
                             // held to the two checks below instead)
  double sqnr_db = std::numeric_limits<double>::quiet_NaN();  // SoC output against ONNX's, 10 log10(sum e^2 /
                                                              // sum (s - e)^2); reported (NaN: not compared)
  double float_error = -1;   // max |dlvpc's float graph - ONNX output| (negative: not compared)...
  double float_atol = -1;    // ...held to float32's reordering error
  double layer_ratio = -1;   // worst layer: |quantized - float on its quantized inputs| / its rounding
                             // bound; must be <= 1 (negative: not compared)
  std::string note;          // why (unsupported, failed) or what ran (passed)
  // Samples whose SoC output has its largest element where ONNX's output has its (top-1 agreement
  // of a classifier), of top1_samples compared (0: not compared).
  uint32_t top1_agreements = 0, top1_samples = 0;
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

// Makes a test folder of a whole model (docs/conformance.md, "Cases of whole models"): model.onnx
// copied, test_data_set_0/input_0.pb uniform in [0, 1) from `seed`, output_0.pb dlvpc's float
// graph's output for it (with the softmax when the graph ends with one). Debian 12 packages no ONNX
// runtime, so this expected output checks the quantized chain and the SoC, not the importer; replace
// output_0.pb with a runtime's to check both. Throws ConfigError naming the file.
void make_case(const std::string& model_path, const std::string& dir, uint32_t seed);

// The worst-case |error| of the quantized graph's output against the float graph's on `input`
// (docs/conformance.md, "Tolerance"): per layer the rounding of its input, weights, bias and output
// at the radix points the quantizer chose, chained through the layers. A sound and useful bound for
// one layer; chained through many it compounds worst cases (1e6 on the Fashion CNN's logits), so
// run_test uses it only for single-layer graphs.
double output_tolerance(const dlvpc::FloatGraph& graph, const dlvpc::QuantizedModel& model,
                        const std::vector<float>& input);

// The float graph against ONNX's output: for float, the same function summed in another order
// (1e-6 + 1e-4 x max |expected|); for an integer output, within 0.25 (it must round to ONNX's).
double float_tolerance(const std::vector<double>& expected, bool integer_output);

// Each layer of the quantized graph against the float layer applied to that layer's own quantized
// inputs (as the reference model computes them for `quantized_input`), within the layer's rounding
// bound: output rounding + taps x weight rounding x max |input| + bias rounding (a max/average pool,
// Add or Concat: the output rounding), the float value clamped to the output format's range.
// Measured layer by layer, the errors do not compound with depth.
struct LayerCheck {
  double ratio = 0;  // the worst |error| / bound over the layers' elements
  int layer = -1;    // where it is
  double error = 0, bound = 0;
};
LayerCheck check_layers(const dlvpc::FloatGraph& graph, const dlvpc::QuantizedModel& model,
                        const std::vector<int8_t>& quantized_input, uint32_t accumulator_bits);


struct Summary {
  int passed = 0, failed = 0, unsupported = 0;
};
Summary summarize(const std::vector<CaseResult>& results);

// The table `onnx_conformance` prints: a header, then one fixed-width row per test.
std::string table_header();
std::string table_row(const CaseResult& result);
std::string summary_line(const Summary& summary);
// name,result,soc_checked,max_error,atol,sqnr_db,float_error,float_atol,layer_ratio,note with a header
// line (numbers empty when not compared).
std::string format_csv(const std::vector<CaseResult>& results);

}  // namespace dlvp::conformance
