// dlvp run --log mmio,irq on the CNN self-test (scenarios/cnn_selftest.yaml, cpu.mode native):
// every device register access is one line naming the initiator, the block, the register (from
// its table) and the value, so the lines of each block add up to the register accesses its report
// counts; every interrupt raised, claimed and completed is one line, as many claims and
// completions as the interrupt controller counts. Without the option there are none.
#include "tests/support/dlvp_cli.h"

#include <regex>

using namespace dlvp::test;

namespace {

const std::string kCnnSelftest = std::string(DLVP_SOURCE_DIR) + "/scenarios/cnn_selftest.yaml";

size_t count(const std::string& text, const std::regex& pattern) {
  return static_cast<size_t>(std::distance(std::sregex_iterator(text.begin(), text.end(), pattern), std::sregex_iterator()));
}

}  // namespace

TEST(TraceLogs, CnnSelftestShowsEveryRegisterAccessAndInterrupt) {
  const auto dir = out_dir("trace_logs");
  const auto r = run_dlvp("run " + kCnnSelftest + " --log mmio,irq --out " + dir);
  ASSERT_EQ(r.status, 0) << r.output;
  const auto report = read_json(dir, "report.json");
  const auto& modules = report["modules"];  // by hierarchical name

  // The CNN block's configuration as software reads it, by register name with the value.
  const std::string pes = std::to_string(modules["soc.cnn"]["pes"].get<int>());
  EXPECT_TRUE(std::regex_search(r.output, std::regex(R"(info  soc\.cnn: mmio cpu read PES \(\+0x008, 4 B\) -> 0x)" + pes +
                                                     R"( at [0-9.]+ us\n)")))
      << r.output.substr(0, 4000);
  EXPECT_TRUE(std::regex_search(r.output, std::regex(R"(soc\.cnn: mmio cpu read KERNEL \(\+0x010, 4 B\) -> 0x3 at)")));

  // Every block's lines are its register accesses (reads, writes, refused).
  size_t blocks = 0;
  for (const auto& [name, block] : modules.items()) {
    if (!block.is_object() || !block.contains("register_reads")) continue;
    ++blocks;
    const size_t accesses = block["register_reads"].get<size_t>() + block["register_writes"].get<size_t>() +
                            block["refused_accesses"].get<size_t>();
    EXPECT_EQ(count(r.output, std::regex(std::regex_replace(name, std::regex("\\."), "\\.") + ": mmio ")), accesses) << name;
  }
  EXPECT_GE(blocks, 5u);

  // Interrupts: the IFU's (source 2) raised, claimed by the driver, completed.
  const auto& intc = modules["soc.intc"];
  const size_t claims = intc["claims_by_source"]["2"].get<size_t>();
  ASSERT_GT(claims, 0u);
  EXPECT_EQ(count(r.output, std::regex(R"(soc\.intc: irq source 2 \(ifu\) claimed at)")), claims);
  EXPECT_EQ(count(r.output, std::regex(R"(soc\.intc: irq source 2 \(ifu\) completed at)")), intc["completions"].get<size_t>());
  EXPECT_GE(count(r.output, std::regex(R"(soc\.intc: irq source 2 \(ifu\) raised at)")), claims);
  // A claim is the read of CLAIM that returned the source, logged right after the claim line.
  EXPECT_TRUE(std::regex_search(r.output, std::regex(R"(irq source 2 \(ifu\) claimed at [0-9.]+ us\n.*mmio cpu read CLAIM \(\+0x008, 4 B\) -> 0x2 )")));

  // The same run without the option: no such line.
  const auto quiet = run_dlvp("run " + kCnnSelftest + " --out " + dir + "_quiet");
  ASSERT_EQ(quiet.status, 0) << quiet.output;
  EXPECT_EQ(quiet.output.find(": mmio "), std::string::npos);
  EXPECT_EQ(quiet.output.find(": irq "), std::string::npos);
}

TEST(TraceLogs, UnknownWordsAreBadInput) {
  const auto r = run_dlvp("run " + kCnnSelftest + " --log mmio,bogus --out " + out_dir("trace_logs_bad"));
  EXPECT_EQ(r.status, 122) << r.output;
  EXPECT_NE(r.output.find("--log mmio,bogus: expected"), std::string::npos) << r.output;
}
