// Stacked and bidirectional LSTMs through the whole flow (docs/lstm.md, "Stacked and bidirectional
// LSTMs: dlvpc compile"): torch 1.13's exports (tests/data/torch_lstm_stacks) compiled by the dlvpc
// CLI into one-job packages, run on the SoC by run_package, whose output matches the reference
// model's bit for bit; report.json gives every layer (each direction of each level) and the head
// its own row.
#include "tests/support/dlvp_cli.h"

#include <gtest/gtest.h>

#include <string>

namespace dlvp::test {
namespace {

const std::string kStacks = std::string(DLVP_SOURCE_DIR) + "/tests/data/torch_lstm_stacks/";

struct Form {
  const char* name;
  size_t layers;  // LSTM layers: levels x directions
};

TEST(LstmStackSoc, TorchStacksCompileAndRunBitExactOnTheSoc) {
  for (const Form f : {Form{"stacked_batch_first", 2}, Form{"stacked_seq_first", 2}, Form{"bidirectional_batch_first", 2},
                       Form{"bidirectional_seq_first", 2}, Form{"stacked_bidirectional", 4}}) {
    const std::string dir = out_dir(std::string("lstm_stack_") + f.name);
    std::filesystem::create_directories(dir);
    const std::string package = dir + "/model.dlvp";
    const CliResult c = run_command(DLVPC_BINARY, "compile " + kStacks + f.name + "/model.onnx --hw zynq7020 --calib random:4 -o " + package);
    ASSERT_EQ(c.status, 0) << c.output;
    EXPECT_NE(c.output.find("LSTM stack: "), std::string::npos) << c.output;
    const CliResult r = run_dlvp("run " + std::string(DLVP_SOURCE_DIR) + "/scenarios/conformance.yaml --set 'software.load=[{file: \"" + package +
                                 "\", address: 0x90000000}]' --set 'software.args[0]=0x90000000' --out " + dir + "/run");
    ASSERT_EQ(r.status, 0) << f.name << "\n" << r.output;
    EXPECT_NE(r.output.find("run_package: output matches the expected output"), std::string::npos) << r.output;
    const nlohmann::json layers = read_report(dir + "/run")["accelerator"]["packages"][0]["layers"];
    ASSERT_EQ(layers.size(), f.layers + 1) << f.name;  // and the head
    for (size_t k = 0; k < f.layers; ++k) {
      EXPECT_EQ(layers[k]["kind"], "lstm") << f.name << " layer " << k;
      EXPECT_EQ(layers[k]["tag"], k) << f.name;
      EXPECT_GT(layers[k]["macs"].get<double>(), 0) << f.name;
      EXPECT_GT(layers[k]["engine_busy_cycles"].get<double>(), 0) << f.name;
      EXPECT_GT(layers[k]["energy"].get<double>(), 0) << f.name;
    }
    if (f.layers == 2 && std::string(f.name).find("bidirectional") != std::string::npos) {
      EXPECT_NE(layers[1]["name"].get<std::string>().find("(reverse)"), std::string::npos) << f.name;
    }
  }
}

// The 2-level bidirectional form on an engine whose vector buffer (1,200 B) cannot hold its
// sequences (1,280 B) but holds the through-DDR plan (1,176 B): dlvpc builds the DDR path, and the
// SoC's output, the levels' sequences stored in the output window included, is the expected one.
TEST(LstmStackSoc, AStackThatFitsOnlyThroughDdrRunsBitExactOnTheSoc) {
  const std::string dir = out_dir("lstm_stack_through_ddr");
  std::filesystem::create_directories(dir);
  const std::string package = dir + "/model.dlvp", buffer = " --set lstm.vector_buffer_bytes=1200";
  const CliResult c = run_command(DLVPC_BINARY, "compile " + kStacks + "stacked_bidirectional/model.onnx --hw zynq7020 --calib random:4 -o " +
                                                    package + buffer);
  ASSERT_EQ(c.status, 0) << c.output;
  EXPECT_NE(c.output.find("the levels' sequences through DDR"), std::string::npos) << c.output;
  const CliResult r = run_dlvp("run " + std::string(DLVP_SOURCE_DIR) + "/scenarios/conformance.yaml --set 'software.load=[{file: \"" +
                               package + "\", address: 0x90000000}]' --set 'software.args[0]=0x90000000' --out " + dir + "/run" + buffer);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("run_package: output matches the expected output"), std::string::npos) << r.output;
  const CliResult small = run_command(DLVPC_BINARY, "compile " + kStacks + "stacked_bidirectional/model.onnx --hw zynq7020 --calib random:4 -o " +
                                                        dir + "/none.dlvp --set lstm.vector_buffer_bytes=1024");
  EXPECT_NE(small.status, 0);
  EXPECT_NE(small.output.find("1176 B with the sequences passing through DDR"), std::string::npos) << small.output;
}

}  // namespace
}  // namespace dlvp::test
