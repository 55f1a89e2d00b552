// Instruction fetch unit: registers, a LOAD/CONV/STORE job end to end (data, DONE, interrupt,
// CYCLES, INSTRUCTIONS_RETIRED), token ordering, load/compute overlap with double buffering and
// its absence with one buffer, finite queues, every error code with its index followed by a clean
// job, the Chrome trace, statistics and configuration checks. The decode checks and the transfer
// planning are also tested as plain functions.
#include "ifu_test_bench.h"

#include "ip/common/config_error.h"
#include "ip/common/energy_tag.h"
#include "ip/common/log.h"
#include "ip/ifu/instruction_checks.h"
#include "ip/ifu/transfer_plan.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <limits>
#include <set>
#include <sstream>

using namespace dlvp;
using namespace dlvp::test;
using ifu::Outcome;

namespace {

// LOAD input -> CONV (the fake engine copies input to output) -> STORE output, ordered by tokens.
JobSpec copy_job(uint32_t bytes) {
  JobSpec job;
  job.program = {load(isa::kPushNext, 0, 0, bytes), copy_tile(isa::kPopPrev | isa::kPushNext, 0, 0, static_cast<uint16_t>(bytes)),
                 store(isa::kPopPrev, 0, 0, bytes), end_instruction()};
  return job;
}

// `tiles` tiles of `tile_bytes` through `buffers` buffer slots (1: one buffer, 2: double
// buffering), VTA style: load n waits for compute n - buffers to free its slot, compute n waits for
// load n (data ready) and for store n - buffers (output slot free), store n waits for compute n.
// Program index of tile n: load 3n, compute 3n + 1, store 3n + 2.
JobSpec tiled_job(uint32_t tiles, uint32_t tile_bytes, uint32_t buffers) {
  JobSpec job;
  for (uint32_t n = 0; n < tiles; ++n) {
    const uint32_t slot = (n % buffers) * tile_bytes;
    const uint8_t reuse = n >= buffers ? isa::kPopNext : 0;
    job.program.push_back(load(isa::kPushNext | reuse, slot, uint64_t{n} * tile_bytes, tile_bytes));
    job.program.push_back(copy_tile(isa::kPopPrev | isa::kPushPrev | isa::kPushNext | reuse, slot, slot,
                                    static_cast<uint16_t>(tile_bytes)));
    job.program.push_back(store(isa::kPopPrev | isa::kPushPrev, slot, uint64_t{n} * tile_bytes, tile_bytes));
  }
  job.program.push_back(end_instruction());
  return job;
}

sc_time max_end(const std::map<uint32_t, InstructionRecord>& records) {
  sc_time end = sc_core::SC_ZERO_TIME;
  for (const auto& [index, r] : records) end = std::max(end, r.end);
  return end;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Plain functions: decode checks and transfer planning

TEST(IfuChecks, BlockExtentCoversTheLastRowOfTheLastPlane) {
  uint64_t extent = 0;
  ASSERT_TRUE(ifu::block_extent(3, 4, 10, 16, 100, extent));
  EXPECT_EQ(extent, 2u * 100 + 3u * 16 + 10);
  ASSERT_TRUE(ifu::block_extent(1, 1, 7, 0, 0, extent));
  EXPECT_EQ(extent, 7u);
  EXPECT_FALSE(ifu::block_extent(0, 1, 1, 0, 0, extent));
  const uint32_t big = std::numeric_limits<uint32_t>::max();
  // (2^32 - 2) x (2^32 - 1) twice overflows 64 bits: refused, not wrapped.
  EXPECT_FALSE(ifu::block_extent(big, big, big, big, big, extent));
}

TEST(IfuChecks, TransferFieldsWindowsAndBuffers) {
  ifu::ArgWindows windows{};
  windows[0] = {0x1000, 0x1000};
  const ifu::BufferSizes sizes = {4096, 4096, 4096};
  auto verdict = [&](const isa::Instruction& in) { return ifu::check_instruction(in, windows, sizes).code; };

  EXPECT_EQ(verdict(load(0, 0, 0, 4096)), isa::kErrNone);
  EXPECT_EQ(verdict(load(0, 0, 1, 4096)), isa::kErrAddressWindow);        // one byte past the window
  EXPECT_EQ(verdict(load(0, 1, 0, 4096)), isa::kErrBufferOverrun);        // one byte past the buffer
  EXPECT_EQ(verdict(load(0, 0, ~uint64_t{0}, 1)), isa::kErrAddressWindow);  // would wrap
  EXPECT_EQ(verdict(load(0, 0, 0, 0)), isa::kErrBadField);
  EXPECT_EQ(verdict(load(0, 0, 0, 16, isa::kBufInput, isa::kArgCount)), isa::kErrBadField);
  EXPECT_EQ(verdict(load(0, 0, 0, 16, isa::kBufCount)), isa::kErrBadField);
  EXPECT_EQ(verdict(load(0, 0, 0, 16, isa::kBufInput, 1)), isa::kErrAddressWindow);  // argument 1 has no window

  Block rows;  // 2 rows of 64 B into the buffer 32 B apart: destination rows overlap
  rows.rows = 2;
  rows.row_bytes = 64;
  rows.ddr_row_stride = 64;
  rows.buffer_row_stride = 32;
  EXPECT_EQ(verdict(transfer(isa::kOpLoad, 0, isa::kBufInput, 0, 0, 0, rows)), isa::kErrBadField);
  // The same block stored: the destination is DDR (stride 64), the source may overlap.
  EXPECT_EQ(verdict(transfer(isa::kOpStore, 0, isa::kBufInput, 0, 0, 0, rows)), isa::kErrNone);

  Block planes;  // the whole 3-D block must fit, not only its first plane
  planes.planes = 3;
  planes.row_bytes = 1024;
  planes.ddr_plane_stride = 1024;
  planes.buffer_plane_stride = 2048;
  EXPECT_EQ(verdict(transfer(isa::kOpLoad, 0, isa::kBufInput, 0, 0, 0, planes)), isa::kErrBufferOverrun);
  planes.buffer_plane_stride = 1024;
  EXPECT_EQ(verdict(transfer(isa::kOpLoad, 0, isa::kBufInput, 0, 0, 0, planes)), isa::kErrNone);
  planes.ddr_plane_stride = 2048;
  EXPECT_EQ(verdict(transfer(isa::kOpLoad, 0, isa::kBufInput, 0, 0, 0, planes)), isa::kErrAddressWindow);
}

TEST(IfuChecks, OpcodesAndDependencyFlags) {
  const ifu::ArgWindows windows{};
  const ifu::BufferSizes sizes{};
  auto verdict = [&](const isa::Instruction& in) { return ifu::check_instruction(in, windows, sizes).code; };
  EXPECT_EQ(verdict(blank(0x03)), isa::kErrUnknownOpcode);
  EXPECT_EQ(verdict(blank(0xFF)), isa::kErrUnknownOpcode);
  EXPECT_EQ(verdict(end_instruction()), isa::kErrNone);
  EXPECT_EQ(verdict(end_instruction(isa::kPopPrev)), isa::kErrBadDeps);
  for (uint8_t op : {isa::kOpConv, isa::kOpFc, isa::kOpPool, isa::kOpEltwise})
    EXPECT_EQ(verdict(blank(op, isa::kPopPrev | isa::kPopNext | isa::kPushPrev | isa::kPushNext)), isa::kErrNone);
  EXPECT_EQ(verdict(blank(isa::kOpConv, 1u << 4)), isa::kErrBadDeps);  // undefined bit
  EXPECT_EQ(verdict(blank(isa::kOpLoad, isa::kPopPrev)), isa::kErrBadDeps);
  EXPECT_EQ(verdict(blank(isa::kOpLoad, isa::kPushPrev)), isa::kErrBadDeps);
  EXPECT_EQ(verdict(blank(isa::kOpStore, isa::kPopNext)), isa::kErrBadDeps);
  EXPECT_EQ(verdict(blank(isa::kOpStore, isa::kPushNext)), isa::kErrBadDeps);
  // Dependency flags are checked before fields: a LOAD with both problems is a deps error.
  EXPECT_EQ(verdict(blank(isa::kOpLoad, isa::kPopPrev)), isa::kErrBadDeps);
}

TEST(IfuTransferPlan, ContiguousPlanesBecomeOneJobStridedPlanesOneEach) {
  Block b;
  b.planes = 4;
  b.rows = 8;
  b.row_bytes = 32;
  b.ddr_row_stride = 64;
  b.ddr_plane_stride = 8 * 64;  // planes continue the DDR row pattern
  b.buffer_row_stride = 32;
  b.buffer_plane_stride = 8 * 32;
  const isa::Instruction in = transfer(isa::kOpLoad, 0, isa::kBufInput, 0, 0, 0, b);
  const ifu::TransferPlan merged(in.transfer, 0x80000000, 0x100);
  ASSERT_EQ(merged.jobs(), 1u);
  EXPECT_EQ(merged.job(0).rows, b.rows * b.planes);
  EXPECT_EQ(merged.job(0).src, 0x80000000u);
  EXPECT_EQ(merged.job(0).dst, 0x100u);
  EXPECT_EQ(merged.job(0).src_space, dma::kSystemSpace);
  EXPECT_EQ(merged.job(0).dst_space, dma::kLocalSpace);
  EXPECT_EQ(merged.total_bytes(), uint64_t{b.planes} * b.rows * b.row_bytes);

  b.buffer_plane_stride = 1000;  // a gap between buffer planes: one DMA job per plane
  const isa::Instruction strided = transfer(isa::kOpStore, 0, isa::kBufOutput, 0, 0, 0, b);
  const ifu::TransferPlan split(strided.transfer, 0x80000000, 0x100);
  ASSERT_EQ(split.jobs(), b.planes);
  for (uint32_t p = 0; p < b.planes; ++p) {
    const DmaDescriptor d = split.job(p);
    EXPECT_EQ(d.src, 0x100u + p * 1000u);  // STORE: buffer -> DDR
    EXPECT_EQ(d.dst, 0x80000000u + p * b.ddr_plane_stride);
    EXPECT_EQ(d.rows, b.rows);
    EXPECT_EQ(d.src_stride, b.buffer_row_stride);
    EXPECT_EQ(d.dst_stride, b.ddr_row_stride);
  }
}

// ---------------------------------------------------------------------------------------------
// Registers

TEST(IfuRegisters, IdentityResetValuesAndAccessRules) {
  BenchOptions o;
  o.ifu.queue_depth = 5;
  Bench b(o);
  b.run([&](RegisterInitiator& c) {
    EXPECT_EQ(c.read(kIfuBase + ifu::ID), 0x49465530u);
    EXPECT_EQ(c.read(kIfuBase + ifu::VERSION), isa::kVersion);
    EXPECT_EQ(c.read(kIfuBase + ifu::QUEUE_DEPTH), 5u);
    EXPECT_EQ(c.read(kIfuBase + ifu::STATUS), 0u);
    EXPECT_EQ(c.write_status(kIfuBase + ifu::ID, 1), tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(c.write_status(kIfuBase + ifu::CYCLES, 1), tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(c.read_status(kIfuBase + 0x800), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    // 8-byte registers as two 4-byte halves (RV32 software).
    c.write(kIfuBase + ifu::INSTR_BASE, 0x89abcdef);
    c.write(kIfuBase + ifu::INSTR_BASE + 4, 0x01234567);
    EXPECT_EQ(c.read(kIfuBase + ifu::INSTR_BASE, 8), 0x0123456789abcdefu);
    c.write(kIfuBase + ifu::arg_size_reg(7), 0x4000, 8);
    EXPECT_EQ(c.read(kIfuBase + ifu::ARG_SIZE7, 8), 0x4000u);
    // Software cannot set BUSY, DONE or ERROR.
    c.write(kIfuBase + ifu::STATUS, 0x7);
    EXPECT_EQ(c.read(kIfuBase + ifu::STATUS), 0u);
  });
}

// ---------------------------------------------------------------------------------------------
// A job end to end

TEST(IfuJob, LoadComputeStoreMovesDataRaisesDoneAndCountsCycles) {
  BenchOptions o;
  o.compute_time = sc_time(2, SC_US);
  Bench b(o);
  const uint32_t bytes = 4096;
  const std::vector<uint8_t> input = b.random_bytes(bytes, 1);
  b.preload(kInputWindow, input);
  const JobSpec job = copy_job(bytes);
  JobResult r;
  bool irq_after_acknowledge = true;
  b.run([&](RegisterInitiator&) {
    r = b.run_job(job);
    b.acknowledge();
    irq_after_acknowledge = b.irq.read();
  });

  ASSERT_TRUE(r.interrupted);
  EXPECT_EQ(r.status, ifu::kStatusDone);
  EXPECT_EQ(r.error_code, isa::kErrNone);
  EXPECT_EQ(r.retired, job.program.size());
  EXPECT_FALSE(irq_after_acknowledge);
  EXPECT_EQ(b.read_memory(kOutputWindow, bytes), input);

  // Token ordering: each consumer starts one handshake cycle after its producer finished
  // (the producer's end includes its push handshake).
  const auto rec = b.records_of_job(0);
  const sc_time cycle = b.ifu->clock().period;
  ASSERT_EQ(rec.size(), 4u);
  EXPECT_EQ(rec.at(1).start, rec.at(0).end + cycle);
  EXPECT_EQ(rec.at(2).start, rec.at(1).end + cycle);
  EXPECT_EQ(rec.at(1).end - rec.at(1).start, o.compute_time + cycle);  // engine time + push handshake
  for (const auto& [index, record] : rec) EXPECT_EQ(record.outcome, Outcome::retired) << index;
  ASSERT_EQ(b.engine.executions.size(), 1u);
  EXPECT_EQ(b.engine.executions[0].start, rec.at(1).start);

  // CYCLES: from the START write to the end of the last instruction.
  ASSERT_EQ(b.ifu->job_summaries().size(), 1u);
  const JobSummary& s = b.ifu->job_summaries()[0];
  EXPECT_GE(s.start, r.started_before);
  EXPECT_LE(s.start, r.started_after);
  EXPECT_EQ(s.end, max_end(rec));
  EXPECT_EQ(r.cycles, b.ifu->clock().to_cycles(s.end - s.start));
  EXPECT_EQ(s.cycles, r.cycles);
  EXPECT_GE(r.interrupt_seen, s.end);
  auto us = [](const sc_time& t) { return t.to_seconds() * 1e6; };
  std::printf("LOAD %u B %.3f us, CONV %.3f us, STORE %.3f us; job %.3f us = %llu cycles at %.0f MHz, first "
              "dispatch %.3f us after START\n",
              bytes, us(rec.at(0).end - rec.at(0).start), us(rec.at(1).end - rec.at(1).start),
              us(rec.at(2).end - rec.at(2).start), us(s.end - s.start), static_cast<unsigned long long>(r.cycles),
              b.ifu->clock().mhz, us(rec.at(0).dispatch - s.start));

  // One fetch transaction of the whole program through the bus.
  const Bus::PortStatistics& fetch = b.system_bus->initiator_statistics(b.fetch_port);
  EXPECT_EQ(fetch.transactions, 1u);
  EXPECT_EQ(fetch.bytes_read, job.program.size() * isa::kInstructionBytes);
  EXPECT_EQ(b.ifu->stats().fetch_bytes, fetch.bytes_read);
  EXPECT_EQ(b.dma->channel_stats(b.ifu->config().load_dma_channel).bytes_moved, bytes);
  EXPECT_EQ(b.dma->channel_stats(b.ifu->config().store_dma_channel).bytes_moved, bytes);
}

TEST(IfuJob, WithoutTokensTheQueuesRunConcurrently) {
  Bench b;
  JobSpec job;
  const uint32_t bytes = 8192;
  job.program = {load(0, 0, 0, bytes), copy_tile(0, 0, 0, 16), store(0, 0, 0, bytes), end_instruction()};
  JobResult r;
  b.run([&](RegisterInitiator&) { r = b.run_job(job); });
  ASSERT_TRUE(r.interrupted);
  EXPECT_EQ(r.status, ifu::kStatusDone);
  const auto rec = b.records_of_job(0);
  // Order between queues comes only from tokens: all three start before the load has finished.
  EXPECT_LT(rec.at(1).start, rec.at(0).end);
  EXPECT_LT(rec.at(2).start, rec.at(0).end);
}

TEST(IfuJob, ThreeDimensionalTransfersMoveStridedPlanes) {
  Bench b;
  Block in;  // 3 planes x 4 rows x 40 B, from DDR rows 64 B apart, planes 512 B apart
  in.planes = 3;
  in.rows = 4;
  in.row_bytes = 40;
  in.ddr_row_stride = 64;
  in.ddr_plane_stride = 512;
  in.buffer_row_stride = 48;
  in.buffer_plane_stride = 256;
  Block out = in;  // stored back densely packed
  out.ddr_row_stride = in.row_bytes;
  out.ddr_plane_stride = in.rows * in.row_bytes;
  const std::vector<uint8_t> source = b.random_bytes(in.planes * in.ddr_plane_stride, 7);
  b.preload(kInputWindow, source);
  JobSpec job;
  job.program = {transfer(isa::kOpLoad, isa::kPushNext, isa::kBufWeight, 100, 0, 0, in),
                 copy_tile(isa::kPopPrev | isa::kPushNext, 0, 0, 1),
                 transfer(isa::kOpStore, isa::kPopPrev, isa::kBufWeight, 100, 1, 8, out), end_instruction()};
  JobResult r;
  b.run([&](RegisterInitiator&) { r = b.run_job(job); });
  ASSERT_EQ(r.status, ifu::kStatusDone);

  const uint8_t* buffer = b.buffers[isa::kBufWeight]->data() + 100;
  const std::vector<uint8_t> stored = b.read_memory(kOutputWindow + 8, in.planes * in.rows * in.row_bytes);
  for (uint32_t p = 0; p < in.planes; ++p)
    for (uint32_t row = 0; row < in.rows; ++row)
      for (uint32_t x = 0; x < in.row_bytes; ++x) {
        const uint8_t expected = source[p * in.ddr_plane_stride + row * in.ddr_row_stride + x];
        ASSERT_EQ(buffer[p * in.buffer_plane_stride + row * in.buffer_row_stride + x], expected);
        ASSERT_EQ(stored[(p * in.rows + row) * in.row_bytes + x], expected);
      }
  // Strided buffer planes: one DMA job per plane each way.
  EXPECT_EQ(b.dma->channel_stats(b.ifu->config().load_dma_channel).jobs, in.planes);
  EXPECT_EQ(b.dma->channel_stats(b.ifu->config().store_dma_channel).jobs, in.planes);
}

TEST(IfuJob, StartWhileBusyIsIgnoredAndLogged) {
  BenchOptions o;
  o.compute_time = sc_time(20, SC_US);
  Bench b(o);
  const JobSpec job = copy_job(256);
  uint32_t status_after_second_start = 0;
  uint64_t cycles_while_busy = 0;
  sc_time read_before, read_after;
  const unsigned long warnings_before = log::warning_count();
  b.run([&](RegisterInitiator& c) {
    b.write_memory(job.instr_base, job.program.data(), job.program.size() * sizeof(isa::Instruction));
    c.write(kIfuBase + ifu::INSTR_BASE, job.instr_base, 8);
    c.write(kIfuBase + ifu::INSTR_COUNT, static_cast<uint32_t>(job.program.size()));
    for (uint32_t a = 0; a < 2; ++a) {
      c.write(kIfuBase + ifu::arg_base_reg(a), job.args[a].base, 8);
      c.write(kIfuBase + ifu::arg_size_reg(a), job.args[a].size, 8);
    }
    c.write(kIfuBase + ifu::CTRL, ifu::kCtrlStart | ifu::kCtrlDoneIrqEnable);
    c.at(c.now() + sc_time(5, SC_US));
    c.write(kIfuBase + ifu::INSTR_COUNT, 0);  // would be a no-END job if it started
    c.write(kIfuBase + ifu::CTRL, ifu::kCtrlStart | ifu::kCtrlDoneIrqEnable);
    status_after_second_start = static_cast<uint32_t>(c.read(kIfuBase + ifu::STATUS));
    read_before = c.now();
    cycles_while_busy = c.read(kIfuBase + ifu::CYCLES, 8);  // so far, at the reader's time
    read_after = c.now();
    EXPECT_EQ(c.read(kIfuBase + ifu::CTRL), ifu::kCtrlDoneIrqEnable);  // START self-clears
    c.sync();
    if (!b.irq.read()) wait(b.irq.posedge_event());
  });
  EXPECT_EQ(status_after_second_start, ifu::kStatusBusy);
  EXPECT_EQ(b.ifu->stats().refused_starts, 1u);
  EXPECT_GT(log::warning_count(), warnings_before);
  ASSERT_EQ(b.ifu->job_summaries().size(), 1u);
  EXPECT_EQ(b.ifu->job_summaries()[0].error, isa::kErrNone);
  EXPECT_EQ(b.ifu->job_summaries()[0].instructions_retired, job.program.size());
  const sc_time start = b.ifu->job_summaries()[0].start;
  EXPECT_GE(cycles_while_busy, b.ifu->clock().to_cycles(read_before - start));
  EXPECT_LE(cycles_while_busy, b.ifu->clock().to_cycles(read_after - start));
}

// ---------------------------------------------------------------------------------------------
// Overlap

TEST(IfuOverlap, DoubleBufferingOverlapsLoadsWithComputeAndOneBufferSerializes) {
  BenchOptions o;
  o.compute_time = sc_time(3, SC_US);
  Bench b(o);
  const uint32_t tiles = 6, tile_bytes = 4096;
  const std::vector<uint8_t> input = b.random_bytes(tiles * tile_bytes, 3);
  b.preload(kInputWindow, input);
  JobResult doubled, single;
  std::vector<uint8_t> out_doubled, out_single;
  b.run([&](RegisterInitiator&) {
    doubled = b.run_job(tiled_job(tiles, tile_bytes, 2));
    out_doubled = b.read_memory(kOutputWindow, input.size());
    b.acknowledge();
    const std::vector<uint8_t> zeros(input.size(), 0);
    b.write_memory(kOutputWindow, zeros.data(), zeros.size());
    single = b.run_job(tiled_job(tiles, tile_bytes, 1));
    out_single = b.read_memory(kOutputWindow, input.size());
  });
  ASSERT_EQ(doubled.status, ifu::kStatusDone);
  ASSERT_EQ(single.status, ifu::kStatusDone);
  EXPECT_EQ(out_doubled, input);
  EXPECT_EQ(out_single, input);

  const auto dbl = b.records_of_job(0), one = b.records_of_job(1);
  auto load_of = [](uint32_t n) { return 3 * n; };
  auto compute_of = [](uint32_t n) { return 3 * n + 1; };
  sc_time serial_work = sc_core::SC_ZERO_TIME;
  for (uint32_t n = 0; n + 1 < tiles; ++n) {
    // Double buffering: the next tile loads while this one computes.
    EXPECT_LT(dbl.at(load_of(n + 1)).start, dbl.at(compute_of(n)).end) << "tile " << n;
    // One buffer: the next load must wait until this compute has freed the buffer.
    EXPECT_GE(one.at(load_of(n + 1)).start, one.at(compute_of(n)).end) << "tile " << n;
  }
  for (uint32_t n = 0; n < tiles; ++n) {
    serial_work += one.at(load_of(n)).end - one.at(load_of(n)).start;
    serial_work += one.at(compute_of(n)).end - one.at(compute_of(n)).start;
  }
  const JobSummary& s_dbl = b.ifu->job_summaries().at(0);
  const JobSummary& s_one = b.ifu->job_summaries().at(1);
  // Serialized, every load and compute is on the critical path.
  EXPECT_GE(s_one.end - s_one.start, serial_work);
  EXPECT_LT(s_dbl.end - s_dbl.start, s_one.end - s_one.start);
  EXPECT_LT(doubled.cycles, single.cycles);
  std::printf("%u tiles of %u B, compute %.1f us each: double-buffered %.2f us (%llu cycles), one buffer %.2f us "
              "(%llu cycles), serial work %.2f us\n",
              tiles, tile_bytes, o.compute_time.to_seconds() * 1e6, (s_dbl.end - s_dbl.start).to_seconds() * 1e6,
              static_cast<unsigned long long>(doubled.cycles), (s_one.end - s_one.start).to_seconds() * 1e6,
              static_cast<unsigned long long>(single.cycles), serial_work.to_seconds() * 1e6);
  // Time the queues spent waiting for tokens is reported per job.
  EXPECT_GT(s_one.queues[isa::kQueueLoad].token_wait, s_dbl.queues[isa::kQueueLoad].token_wait);
}

// ---------------------------------------------------------------------------------------------
// Queues

TEST(IfuQueues, AFullQueueStallsDispatchUntilItsThreadTakesAnEntry) {
  BenchOptions o;
  o.ifu.queue_depth = 2;
  o.compute_time = sc_time(1, SC_US);
  Bench b(o);
  JobSpec job;
  const uint32_t computes = 8;
  for (uint32_t k = 0; k < computes; ++k) job.program.push_back(copy_tile(0, 0, 0, 64));
  job.program.push_back(end_instruction());
  JobResult r;
  b.run([&](RegisterInitiator&) { r = b.run_job(job); });
  ASSERT_EQ(r.status, ifu::kStatusDone);
  const auto rec = b.records_of_job(0);
  const uint32_t depth = o.ifu.queue_depth;
  for (uint32_t k = depth; k < computes; ++k) {
    // Instruction k takes the slot instruction k - depth left when its thread took it.
    EXPECT_GE(rec.at(k).dispatch, rec.at(k - depth).issue) << k;
    if (k > depth) {
      EXPECT_EQ(rec.at(k).dispatch, rec.at(k - depth).issue) << k;  // stalled until then
    }
  }
  // END is decoded only after the last compute found room.
  EXPECT_GE(rec.at(computes).dispatch, rec.at(computes - 1).dispatch);
  EXPECT_GT(b.ifu->stats().queues[isa::kQueueCompute].dispatch_stall, sc_core::SC_ZERO_TIME);
  // Back to back: each compute starts when the previous one ended.
  for (uint32_t k = 1; k < computes; ++k) EXPECT_EQ(rec.at(k).start, rec.at(k - 1).end) << k;
}

TEST(IfuFetch, BurstsOfConfiguredSizeAndDecodeTime) {
  BenchOptions o;
  o.ifu.fetch_burst_instructions = 4;
  o.ifu.decode_cycles = 3;
  Bench b(o);
  JobSpec job;
  const uint32_t instructions = 11;  // 10 computes + END: bursts of 4, 4, 3
  for (uint32_t k = 0; k + 1 < instructions; ++k) job.program.push_back(copy_tile(0, 0, 0, 8));
  job.program.push_back(end_instruction());
  JobResult r;
  b.engine.time_per_instruction = sc_time(10, SC_NS);
  b.run([&](RegisterInitiator&) { r = b.run_job(job); });
  ASSERT_EQ(r.status, ifu::kStatusDone);
  const Bus::PortStatistics& fetch = b.system_bus->initiator_statistics(b.fetch_port);
  EXPECT_EQ(fetch.transactions, (instructions + 3) / 4);
  EXPECT_EQ(fetch.bytes_read, uint64_t{instructions} * isa::kInstructionBytes);
  EXPECT_EQ(b.ifu->stats().instructions_decoded, instructions);
  // Inside a burst, consecutive instructions are decoded decode_cycles apart (the queue never fills).
  const auto rec = b.records_of_job(0);
  const sc_time decode = b.ifu->clock().cycles(o.ifu.decode_cycles);
  EXPECT_EQ(rec.at(1).dispatch - rec.at(0).dispatch, decode);
  EXPECT_EQ(rec.at(2).dispatch - rec.at(1).dispatch, decode);
  EXPECT_GE(rec.at(4).dispatch - rec.at(3).dispatch, decode);  // next burst was prefetched
}

// ---------------------------------------------------------------------------------------------
// Errors: each stops the job with its code and index, ERROR and the interrupt; the next job is clean

struct ErrorCase {
  std::string name;
  isa::ErrorCode code;
  uint32_t index;
  std::function<void(JobSpec&, Bench&)> build;
};

std::ostream& operator<<(std::ostream& os, const ErrorCase& c) { return os << c.name; }

class IfuErrors : public testing::TestWithParam<ErrorCase> {};

TEST_P(IfuErrors, StopTheJobWithCodeIndexAndInterruptThenTheNextJobIsClean) {
  const ErrorCase& c = GetParam();
  Bench b;
  JobSpec failing;
  c.build(failing, b);
  const uint32_t bytes = 2048;
  const std::vector<uint8_t> input = b.random_bytes(bytes, 11);
  b.preload(kInputWindow, input);
  JobResult bad, good;
  bool irq_after_acknowledge = true;
  const unsigned long warnings_before = log::warning_count();
  b.run([&](RegisterInitiator&) {
    bad = b.run_job(failing);
    b.engine.refuse.clear();
    b.acknowledge();
    irq_after_acknowledge = b.irq.read();
    JobSpec clean = copy_job(bytes);
    clean.instr_base = kProgramBase + 0x10000;
    good = b.run_job(clean);
  });

  ASSERT_TRUE(bad.interrupted) << "no interrupt";
  EXPECT_EQ(bad.status, ifu::kStatusError);
  EXPECT_EQ(bad.error_code, c.code) << ifu::error_name(static_cast<isa::ErrorCode>(bad.error_code));
  EXPECT_EQ(bad.error_index, c.index);
  EXPECT_FALSE(irq_after_acknowledge);
  EXPECT_GT(log::warning_count(), warnings_before);
  const auto rec = b.records_of_job(0);
  if (auto it = rec.find(c.index); it != rec.end()) {
    EXPECT_EQ(it->second.outcome, Outcome::failed);
  } else {
    EXPECT_TRUE(c.code == isa::kErrFetchError || c.code == isa::kErrNoEnd) << "no trace record of the failure";
  }
  for (const auto& [index, r] : rec) EXPECT_NE(r.outcome, Outcome::pending) << index;

  ASSERT_TRUE(good.interrupted);
  EXPECT_EQ(good.status, ifu::kStatusDone);
  EXPECT_EQ(good.error_code, isa::kErrNone);
  EXPECT_EQ(good.error_index, 0u);
  EXPECT_EQ(good.retired, 4u);
  EXPECT_EQ(b.read_memory(kOutputWindow, bytes), input);
  EXPECT_EQ(b.ifu->stats().errors.at(c.code), 1u);
}

namespace {

const uint16_t kSmall = 64;

std::vector<ErrorCase> error_cases() {
  using P = std::vector<isa::Instruction>;
  auto program = [](P p) { return [p](JobSpec& j, Bench&) { j.program = p; }; };
  Block zero_rows = Block::linear(64);
  zero_rows.rows = 0;
  Block overlapping = Block::linear(64);
  overlapping.rows = 2;
  overlapping.ddr_row_stride = 64;
  overlapping.buffer_row_stride = 32;
  return {
      {"unknown_opcode", isa::kErrUnknownOpcode, 1, program({load(0, 0, 0, kSmall), blank(0x7F), end_instruction()})},
      {"zero_rows", isa::kErrBadField, 1,
       program({load(0, 0, 0, kSmall), transfer(isa::kOpLoad, 0, isa::kBufInput, 0, 0, 0, zero_rows), end_instruction()})},
      {"argument_number_out_of_range", isa::kErrBadField, 0,
       program({load(0, 0, 0, kSmall, isa::kBufInput, isa::kArgCount), end_instruction()})},
      {"buffer_number_out_of_range", isa::kErrBadField, 0,
       program({load(0, 0, 0, kSmall, isa::kBufCount), end_instruction()})},
      {"overlapping_destination_rows", isa::kErrBadField, 0,
       program({transfer(isa::kOpLoad, 0, isa::kBufInput, 0, 0, 0, overlapping), end_instruction()})},
      {"buffer_overrun", isa::kErrBufferOverrun, 0,
       [](JobSpec& j, Bench& b) {
         const auto size = static_cast<uint32_t>(b.engine.buffer_size(isa::kBufOutput));
         j.program = {load(0, size - kSmall / 2, 0, kSmall, isa::kBufOutput), end_instruction()};
       }},
      {"buffer_overrun_in_last_plane", isa::kErrBufferOverrun, 1,
       [](JobSpec& j, Bench& b) {
         Block planes = Block::linear(kSmall);
         planes.planes = 3;
         planes.ddr_plane_stride = kSmall;
         planes.buffer_plane_stride = static_cast<uint32_t>(b.engine.buffer_size(isa::kBufInput) / 2);
         j.program = {load(0, 0, 0, kSmall), transfer(isa::kOpLoad, 0, isa::kBufInput, 0, 0, 0, planes),
                      end_instruction()};
       }},
      {"address_window", isa::kErrAddressWindow, 0,
       program({load(0, 0, kWindowBytes - kSmall / 2, kSmall), end_instruction()})},
      {"address_window_wrap", isa::kErrAddressWindow, 0,
       program({load(0, 0, ~uint64_t{0} - 15, kSmall), end_instruction()})},
      {"argument_without_window", isa::kErrAddressWindow, 0,
       program({load(0, 0, 0, kSmall, isa::kBufInput, 5), end_instruction()})},
      {"load_pops_from_previous", isa::kErrBadDeps, 0, program({load(isa::kPopPrev, 0, 0, kSmall), end_instruction()})},
      {"store_pushes_to_next", isa::kErrBadDeps, 1,
       program({load(0, 0, 0, kSmall), store(isa::kPushNext, 0, 0, kSmall), end_instruction()})},
      {"end_with_dependencies", isa::kErrBadDeps, 1, program({load(0, 0, 0, kSmall), end_instruction(isa::kPopNext)})},
      {"undefined_dependency_bit", isa::kErrBadDeps, 0, program({copy_tile(0x80, 0, 0, kSmall), end_instruction()})},
      {"deadlock_pop_without_push", isa::kErrTokenDeadlock, 1,
       program({load(0, 0, 0, kSmall), copy_tile(isa::kPopPrev, 0, 0, kSmall), end_instruction()})},
      {"deadlock_reports_smallest_blocked_index", isa::kErrTokenDeadlock, 1,
       program({load(0, 0, 0, kSmall), store(isa::kPopPrev, 0, 0, kSmall), copy_tile(isa::kPopPrev, 0, 0, kSmall),
                end_instruction()})},
      {"deadlock_behind_a_full_queue", isa::kErrTokenDeadlock, 0,
       [](JobSpec& j, Bench& b) {
         // The load that would feed the computes is behind more computes than the queue holds.
         for (uint32_t k = 0; k < b.ifu->config().queue_depth + 2; ++k)
           j.program.push_back(copy_tile(isa::kPopPrev, 0, 0, kSmall));
         j.program.push_back(load(isa::kPushNext, 0, 0, kSmall));
         j.program.push_back(end_instruction());
       }},
      {"dma_error", isa::kErrDmaError, 1,
       [](JobSpec& j, Bench&) {
         j.args[2] = {kUnmappedBase, 0x10000};  // a window the DMA may not touch
         j.program = {load(0, 0, 0, kSmall), load(0, 0, 0, kSmall, isa::kBufInput, 2), end_instruction()};
       }},
      {"fetch_error_unmapped_base", isa::kErrFetchError, 0,
       [](JobSpec& j, Bench&) {
         j.instr_base = kUnmappedBase;
         j.count = 4;
       }},
      {"fetch_error_base_wraps", isa::kErrFetchError, 0,
       [](JobSpec& j, Bench&) {
         // INSTR_BASE 64 bytes below 2^64: the first burst (4 x 64 B) would wrap to address 0.
         j.instr_base = ~uint64_t{0} - 63;
         j.count = 4;
       }},
      {"fetch_error_in_second_burst", isa::kErrFetchError, 8,
       [](JobSpec& j, Bench& b) {
         // Burst 0 is the last 8 instructions of DDR; burst 1 runs past its end.
         const uint32_t burst = b.ifu->config().fetch_burst_instructions;
         j.instr_base = kDdrBase + kDdrBytes - uint64_t{burst} * isa::kInstructionBytes;
         for (uint32_t k = 0; k < burst; ++k) j.program.push_back(load(0, 0, 0, kSmall));
         j.count = burst + 4;
       }},
      {"no_end", isa::kErrNoEnd, 3,
       program({load(0, 0, 0, kSmall), load(0, 0, 0, kSmall), load(0, 0, 0, kSmall)})},
      {"no_end_with_zero_count", isa::kErrNoEnd, 0,
       [](JobSpec& j, Bench&) {
         j.program = {end_instruction()};
         j.count = 0;
       }},
      {"engine_error", isa::kErrBadField, 1,
       [](JobSpec& j, Bench& b) {
         b.engine.refuse[1] = isa::kErrBadField;
         j.program = {load(isa::kPushNext, 0, 0, kSmall), copy_tile(isa::kPopPrev, 0, 0, kSmall), end_instruction()};
       }},
  };
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Ifu, IfuErrors, testing::ValuesIn(error_cases()),
                         [](const testing::TestParamInfo<ErrorCase>& info) { return info.param.name; });

TEST(IfuErrorPath, InFlightDmaFinishesQueuedInstructionsAreDroppedThenErrorIsPosted) {
  Bench b;
  b.engine.refuse[2] = isa::kErrBufferOverrun;
  JobSpec job;
  const uint32_t big = 32 * 1024;
  job.program = {load(0, 0, 0, big), load(0, 0, 0, kSmall), copy_tile(0, 0, 0, kSmall), end_instruction()};
  JobResult r;
  b.run([&](RegisterInitiator&) { r = b.run_job(job); });
  ASSERT_TRUE(r.interrupted);
  EXPECT_EQ(r.status, ifu::kStatusError);
  EXPECT_EQ(r.error_code, isa::kErrBufferOverrun);
  EXPECT_EQ(r.error_index, 2u);
  const auto rec = b.records_of_job(0);
  EXPECT_EQ(rec.at(0).outcome, Outcome::retired);  // in flight when the error came: finished
  EXPECT_EQ(rec.at(1).outcome, Outcome::dropped);  // queued behind it: never started
  EXPECT_EQ(rec.at(2).outcome, Outcome::failed);
  EXPECT_LT(rec.at(2).end, rec.at(0).end);         // the error came first...
  const JobSummary& s = b.ifu->job_summaries().at(0);
  EXPECT_EQ(s.end, rec.at(0).end);                 // ...and was posted when the DMA finished
  EXPECT_EQ(r.retired, 1u);
  EXPECT_EQ(b.dma->channel_stats(b.ifu->config().load_dma_channel).jobs, 1u);
}

// ---------------------------------------------------------------------------------------------
// Trace and statistics

TEST(IfuTrace, ChromeTraceIsValidJsonWithOneTrackPerQueue) {
  BenchOptions o;
  o.compute_time = sc_time(2, SC_US);
  Bench b(o);
  const uint32_t tiles = 4, tile_bytes = 2048;
  JobResult r;
  b.run([&](RegisterInitiator&) { r = b.run_job(tiled_job(tiles, tile_bytes, 2)); });
  ASSERT_EQ(r.status, ifu::kStatusDone);

  std::ostringstream os;
  b.ifu->write_chrome_trace(os);
  const nlohmann::json trace = nlohmann::json::parse(os.str());  // throws on invalid JSON
  ASSERT_TRUE(trace.contains("traceEvents"));
  std::map<int, int> slices_per_track;
  std::set<std::string> track_names;
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] == "M" && e["name"] == "thread_name") track_names.insert(e["args"]["name"].get<std::string>());
    if (e["ph"] != "X" || e["cat"] == "token_wait" || e["cat"] == "job") continue;
    EXPECT_GE(e["ts"].get<double>(), 0.0);
    EXPECT_GE(e["dur"].get<double>(), 0.0);
    ++slices_per_track[e["tid"].get<int>()];
  }
  EXPECT_EQ(track_names, (std::set<std::string>{"IFU load queue", "IFU compute queue", "IFU store queue", "IFU jobs"}));
  EXPECT_EQ(slices_per_track[isa::kQueueLoad], static_cast<int>(tiles));
  EXPECT_EQ(slices_per_track[isa::kQueueCompute], static_cast<int>(tiles));
  EXPECT_EQ(slices_per_track[isa::kQueueStore], static_cast<int>(tiles));
  // The durations are the trace's: compute slices last the engine time plus the push handshakes.
  const sc_time compute = o.compute_time + b.ifu->clock().cycles(2);
  for (const auto& e : trace["traceEvents"])
    if (e["ph"] == "X" && e["cat"] == "compute") {
      EXPECT_NEAR(e["dur"].get<double>(), compute.to_seconds() * 1e6, 1e-6);
    }
}

TEST(IfuReport, StatisticsPerQueueAndJob) {
  BenchOptions o;
  o.compute_time = sc_time(2, SC_US);
  Bench b(o);
  const uint32_t bytes = 1024;
  JobResult r;
  b.run([&](RegisterInitiator&) { r = b.run_job(copy_job(bytes)); });
  ASSERT_EQ(r.status, ifu::kStatusDone);
  nlohmann::json report;
  const double elapsed_ns = sc_core::sc_time_stamp().to_seconds() * 1e9;
  b.ifu->report(report, elapsed_ns);
  EXPECT_EQ(report["jobs"], 1);
  EXPECT_EQ(report["jobs_failed"], 0);
  EXPECT_EQ(report["instructions_retired"], 4);
  EXPECT_EQ(report["fetch_bytes"], 4 * isa::kInstructionBytes);
  const auto rec = b.records_of_job(0);
  auto ns = [](const sc_time& t) { return t.to_seconds() * 1e9; };
  for (isa::Queue q : {isa::kQueueLoad, isa::kQueueCompute, isa::kQueueStore}) {
    const nlohmann::json& figures = report["queues"][ifu::queue_name(q)];
    const InstructionRecord& only = rec.at(static_cast<uint32_t>(q));  // program order = queue order here
    EXPECT_EQ(figures["instructions"], 1);
    EXPECT_NEAR(figures["busy_time_ns"].get<double>(), ns(only.end - only.start), 1e-3);
    EXPECT_NEAR(figures["token_wait_ns"].get<double>(), ns(only.start - only.issue) -
                                                            ns(b.ifu->clock().cycles(q == isa::kQueueLoad ? 0 : 1)),
                1e-3);
  }
  EXPECT_GT(report["queues"]["compute"]["token_wait_ns"].get<double>(), 0.0);  // it waited for the load
  EXPECT_EQ(report["errors"].size(), 0u);
}

// ---------------------------------------------------------------------------------------------
// Configuration

TEST(IfuConfig, BindChecksRangesAndUnknownKeys) {
  auto origin = [](const std::string&) { return std::string("scenario.yaml:3"); };
  {
    ParamBinder binder(YAML::Load("queue_depth: 0"), "ifu", origin);
    IfuConfig c;
    EXPECT_THROW(IfuConfig::bind(binder, c), ConfigError);
  }
  {
    ParamBinder binder(YAML::Load("fetch_burst_instructions: 16\nbogus: 1"), "ifu", origin);
    IfuConfig c;
    IfuConfig::bind(binder, c);
    EXPECT_EQ(c.fetch_burst_instructions, 16u);
    EXPECT_THROW(binder.finish(), ConfigError);
  }
  const auto described = describe_params<IfuConfig>("ifu");
  std::set<std::string> keys;
  for (const auto& e : described) keys.insert(e.key);
  for (const char* k : {"ifu.clock_mhz", "ifu.fetch_burst_instructions", "ifu.queue_depth", "ifu.decode_cycles",
                        "ifu.load_dma_channel", "ifu.store_dma_channel", "ifu.trace_records"})
    EXPECT_TRUE(keys.count(k)) << k;
}

TEST(IfuConfig, ConstructorRefusesADmaChannelTheDmaDoesNotHave) {
  EnergyLedger ledger(test_tech());
  DmaConfig dc;
  dc.channels = 2;
  DmaEngine dma("dma", dc, ledger);
  IfuConfig c;
  c.store_dma_channel = 2;
  try {
    Ifu ifu("ifu", c, dma, ledger);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("store_dma_channel"), std::string::npos) << e.what();
  }
}

// ---------------------------------------------------------------------------------------------
// Energy

TEST(IfuEnergy, FetchDecodeAndQueuesCountTheTechnologyTablesEnergyPerInstruction) {
  Bench b;
  const JobSpec job = copy_job(256);
  JobResult r;
  b.run([&](RegisterInitiator&) { r = b.run_job(job); });
  ASSERT_EQ(r.status, ifu::kStatusDone);
  const uint64_t instructions = job.program.size();  // LOAD, CONV, STORE, END: one fetch burst
  const uint64_t queued = instructions - 1;            // END is decoded, not queued
  ASSERT_EQ(b.ifu->stats().instructions_decoded, instructions);
  // An instruction is 512 bits: 32 accesses of the table's 16-bit register-file entry.
  const uint64_t words = isa::kInstructionBytes * 8 / 16;
  const TechTable& tech = b.ledger.tech();
  const double rf = tech.energy("rf_access_16b"), decode = tech.energy("ifu_decode");
  ASSERT_GT(rf, 0);
  ASSERT_GT(decode, 0);
  struct Expected {
    const char* counter;
    uint64_t count;
    double unit;
  };
  double ifu_energy = 0;
  for (const Expected& e : {Expected{"fetch_buffer.write", instructions * words, rf},
                            Expected{"fetch_buffer.read", instructions * words, rf},
                            Expected{"decode", instructions, decode}, Expected{"queue.write", queued * words, rf},
                            Expected{"queue.read", queued * words, rf}}) {
    SCOPED_TRACE(e.counter);
    const CounterId id = b.ledger.find(b.ifu->name(), e.counter);
    EXPECT_EQ(b.ledger.count_of(id), e.count);
    EXPECT_EQ(b.ledger.spec(id).level, Level::other);
    EXPECT_FALSE(b.ledger.spec(id).static_energy);
    EXPECT_DOUBLE_EQ(b.ledger.energy_of(id, 0.0), double(e.count) * e.unit);
    ifu_energy += b.ledger.energy_of(id, 0.0);
  }
  EXPECT_DOUBLE_EQ(ifu_energy, double(instructions) * (2 * words * rf + decode) + double(queued) * 2 * words * rf);

  // The decoder's read, the decode and the queues' accesses of the three executed instructions are
  // their layer's; the fetch (the fetch buffer's write) and END's decode are no layer's.
  const TagId layer = layer_tag(b.ledger, job.instr_base, 0);
  EXPECT_EQ(b.ledger.completed_count_of(b.ledger.find(b.ifu->name(), "decode"), layer), queued);
  EXPECT_EQ(b.ledger.completed_count_of(b.ledger.find(b.ifu->name(), "queue.read"), layer), queued * words);
  EXPECT_EQ(b.ledger.completed_count_of(b.ledger.find(b.ifu->name(), "fetch_buffer.read"), layer), queued * words);
  EXPECT_EQ(b.ledger.count_of(b.ledger.find(b.ifu->name(), "fetch_buffer.write"), layer), 0u);
  EXPECT_EQ(b.ledger.count_of(b.ledger.find(b.ifu->name(), "decode"), kUntagged), 1u);
}

TEST(IfuEnergy, ATableWithoutTheEntriesCountsNothingOfTheIfu) {
  // No invented figure: without ifu_decode and rf_access_16b the IFU registers no counter.
  std::ifstream in(std::string(DLVP_SOURCE_DIR) + "/scenarios/tech/horowitz-45nm.yaml");
  std::string text;
  for (std::string line; std::getline(in, line);)
    if (line.find("  ifu_decode:") != 0 && line.find("  rf_access_16b:") != 0) text += line + "\n";
  const std::string path = testing::TempDir() + "ifu_tech_without_entries.yaml";
  std::ofstream(path) << text;
  EnergyLedger ledger(test_tech(path));
  ASSERT_FALSE(ledger.tech().has("ifu_decode"));
  ASSERT_FALSE(ledger.tech().has("rf_access_16b"));
  DmaEngine dma("dma", DmaConfig{}, ledger);
  Ifu ifu("ifu", IfuConfig{}, dma, ledger);
  for (CounterId id = 0; id < ledger.counter_count(); ++id) EXPECT_NE(ledger.spec(id).module, "ifu");
}
