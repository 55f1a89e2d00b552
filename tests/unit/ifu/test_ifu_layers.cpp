// Layer time in the IFU (docs/ifu.md, "Layer time"): each completed job's time attributed to its
// layers (ip/ifu/layer_timeline.h), summed per program (INSTR_BASE) and layer; jobs that do not
// complete excluded from every per-layer figure (time, ledger counts, engines' figures).
#include "ip/common/energy_tag.h"
#include "tests/unit/ifu/ifu_test_bench.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace dlvp::test {
namespace {

constexpr uint32_t kTileBytes = 256;

isa::Instruction tagged(isa::Instruction in, uint32_t tag) {
  in.header.tag = tag;
  return in;
}

// Two layers (tags 0 and 1), each a LOAD, a compute and a STORE chained by tokens.
JobSpec two_layers(uint64_t instr_base = kProgramBase) {
  JobSpec job;
  job.instr_base = instr_base;
  for (uint32_t layer = 0; layer < 2; ++layer) {
    const uint32_t offset = layer * kTileBytes;
    job.program.push_back(tagged(load(isa::kPushNext, 0, offset, kTileBytes), layer));
    job.program.push_back(tagged(copy_tile(isa::kPopPrev | isa::kPushNext, 0, 0, kTileBytes), layer));
    job.program.push_back(tagged(store(isa::kPopPrev, 0, offset, kTileBytes), layer));
  }
  job.program.push_back(end_instruction());
  return job;
}

ifu::Picoseconds ps(const sc_time& t) { return static_cast<ifu::Picoseconds>(t.to_seconds() * 1e12 + 0.5); }

TEST(IfuLayers, MeasuredLayerTimesAddUpToTheJob) {
  BenchOptions options;
  options.compute_time = sc_time(2, SC_US);
  Bench b(options);
  b.run([&](RegisterInitiator&) {
    const JobResult r = b.run_job(two_layers());
    EXPECT_EQ(r.status & ifu::kStatusDone, ifu::kStatusDone);
    b.acknowledge();
  });
  ASSERT_EQ(b.ifu->job_summaries().size(), 1u);
  const JobSummary& job = b.ifu->job_summaries()[0];
  ASSERT_EQ(b.ifu->programs().size(), 1u);
  const Ifu::ProgramAccount& p = b.ifu->programs().at(kProgramBase);
  EXPECT_EQ(p.jobs_completed, 1u);
  EXPECT_TRUE(p.jobs_excluded.empty());
  EXPECT_EQ(p.job_time, ps(job.end - job.start));
  ASSERT_EQ(p.layers.size(), 2u);
  ifu::Picoseconds sum = 0;
  for (uint32_t layer = 0; layer < 2; ++layer) {
    const Ifu::LayerAccount& l = p.layers[layer];
    EXPECT_EQ(l.layer, layer);
    EXPECT_EQ(l.ledger_tag, layer_tag(b.ledger, kProgramBase, layer));
    // Its one compute instruction, and the token it pushes to the store queue (one IFU cycle).
    EXPECT_EQ(l.time.engine_busy, ps(options.compute_time + b.ifu->clock().cycles(1)));
    EXPECT_GT(l.time.memory_stall, 0) << "its LOAD runs while the engine waits";
    EXPECT_EQ(l.time.time, l.time.engine_busy + l.time.memory_stall + l.time.store_tail + l.time.other);
    EXPECT_GE(l.time.span, l.time.time - l.time.other);
    EXPECT_EQ(l.time.load_instructions + l.time.compute_instructions + l.time.store_instructions, 3u);
    sum += l.time.time;
  }
  EXPECT_EQ(sum, p.job_time) << "the layers add up to the job, exactly";
  // The engine got each instruction's ledger tag; the DMA counted each layer's DRAM traffic under it.
  ASSERT_EQ(b.engine.executions.size(), 2u);
  EXPECT_EQ(b.engine.executions[1].ledger_tag, p.layers[1].ledger_tag);
  EXPECT_EQ(b.ledger.completed_dram_traffic(p.layers[0].ledger_tag).read_bytes, kTileBytes);
  EXPECT_EQ(b.ledger.completed_dram_traffic(p.layers[0].ledger_tag).write_bytes, kTileBytes);
  EXPECT_EQ(b.engine.job_ends, std::vector<bool>{true});
}

TEST(IfuLayers, TwoProgramsAreKeptApart) {
  constexpr uint64_t kSecondBase = kProgramBase + 0x10000;
  Bench b(BenchOptions{});
  b.run([&](RegisterInitiator&) {
    for (uint64_t base : {kProgramBase, kSecondBase, kSecondBase}) {
      EXPECT_EQ(b.run_job(two_layers(base)).status & ifu::kStatusDone, ifu::kStatusDone);
      b.acknowledge();
    }
  });
  ASSERT_EQ(b.ifu->programs().size(), 2u);
  const Ifu::ProgramAccount& first = b.ifu->programs().at(kProgramBase);
  const Ifu::ProgramAccount& second = b.ifu->programs().at(kSecondBase);
  EXPECT_EQ(first.jobs_completed, 1u);
  EXPECT_EQ(second.jobs_completed, 2u);
  ASSERT_EQ(second.layers.size(), 2u);
  EXPECT_NE(first.layers[0].ledger_tag, second.layers[0].ledger_tag) << "layer 0 of each program has its own tag";
  EXPECT_EQ(b.ledger.tag_name(second.layers[0].ledger_tag), layer_tag_name(kSecondBase, 0));
  EXPECT_EQ(b.ledger.completed_dram_traffic(first.layers[0].ledger_tag).read_bytes, kTileBytes);
  EXPECT_EQ(b.ledger.completed_dram_traffic(second.layers[0].ledger_tag).read_bytes, 2 * kTileBytes);
}

TEST(IfuLayers, JobsThatDoNotCompleteAreExcluded) {
  Bench b(BenchOptions{});
  TagId tag = kUntagged;
  b.run([&](RegisterInitiator&) {
    EXPECT_EQ(b.run_job(two_layers()).status & ifu::kStatusDone, ifu::kStatusDone);
    b.acknowledge();
    // A failed job: the engine refuses layer 1's compute.
    b.engine.refuse[4] = isa::kErrBufferOverrun;
    EXPECT_EQ(b.run_job(two_layers()).status & ifu::kStatusError, ifu::kStatusError);
    b.acknowledge();
    b.engine.refuse.clear();
    // A job the run stops while it runs (as the time limit does): START, then stop the simulation.
    const JobResult cut = b.run_job(two_layers(), sc_time(100, SC_NS));
    EXPECT_FALSE(cut.interrupted);
    tag = layer_tag(b.ledger, kProgramBase, 0);
    sc_core::sc_stop();
  });
  const Ifu::ProgramAccount& p = b.ifu->programs().at(kProgramBase);
  EXPECT_EQ(p.jobs_completed, 1u);
  ASSERT_EQ(p.jobs_excluded.size(), 1u);
  EXPECT_EQ(p.jobs_excluded.begin()->second, 1u);
  EXPECT_NE(p.jobs_excluded.begin()->first.find("failed: "), std::string::npos) << p.jobs_excluded.begin()->first;
  // Only the completed job's traffic counts; the failed and the cut job moved more.
  EXPECT_EQ(b.ledger.completed_dram_traffic(tag).read_bytes, kTileBytes);
  EXPECT_GT(b.ledger.dram_traffic(tag).read_bytes, kTileBytes);
  EXPECT_EQ(p.layers[0].time.compute_instructions, 1u);
  nlohmann::json report;
  b.ifu->report(report, 0);
  ASSERT_EQ(report["programs"].size(), 1u);
  EXPECT_EQ(report["programs"][0]["jobs_excluded"]["running at the end of the run"], 1) << report["programs"].dump();
}

TEST(IfuLayers, AJobLongerThanTheRecordsIsNotAttributed) {
  BenchOptions options;
  options.ifu.layer_records = 4;  // the job executes 6 instructions
  Bench b(options);
  b.run([&](RegisterInitiator&) {
    EXPECT_EQ(b.run_job(two_layers()).status & ifu::kStatusDone, ifu::kStatusDone);
    b.acknowledge();
  });
  const Ifu::ProgramAccount& p = b.ifu->programs().at(kProgramBase);
  EXPECT_EQ(p.jobs_completed, 0u);
  EXPECT_TRUE(p.layers.empty());
  EXPECT_EQ(p.jobs_excluded.at("more than ifu.layer_records = 4 instructions"), 1u);
}

}  // namespace
}  // namespace dlvp::test
