// Test bench of the instruction fetch unit: the real IFU, DMA engine, system bus, DDR controller
// (ddr4-2400-x64 preset), a local bus with three SramBuffers (input, weight, output), a CPU that
// programs the IFU through the system bus and sleeps until the interrupt, and a fake compute
// engine written here: it executes CONV as "copy in_c x in_h x in_w bytes from the input buffer to
// the output buffer" in a configurable time, records what it ran and when, and refuses chosen
// instructions with a chosen error code. With BenchOptions::cnn set, the real CNN engine (its three
// buffers on the local bus) replaces the fake engine and its buffers, for builder programs. With
// BenchOptions::lstm set, the real sparse LSTM engine is added as a second compute engine (its two
// buffers on the local bus at kLstmLocalBase, its registers at kLstmBase).
#pragma once
#include "ip/bus/bus.h"
#include "ip/cnn/cnn_engine.h"
#include "ip/common/energy_ledger.h"
#include "ip/common/sram_buffer.h"
#include "ip/common/tech_table.h"
#include "ip/ddr/ddr_controller.h"
#include "ip/dma/dma_engine.h"
#include "ip/ifu/ifu.h"
#include "ip/lstm/lstm_engine.h"
#include "tests/support/register_initiator.h"

#include <gtest/gtest.h>
#include <systemc>

#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <functional>
#include <optional>
#include <utility>
#include <random>
#include <string>
#include <vector>

namespace dlvp::test {

using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;

// System space.
constexpr uint64_t kDdrBase = 0x80000000;
constexpr uint64_t kDdrBytes = uint64_t{16} << 20;
constexpr uint64_t kIfuBase = 0x10020000;      // the IFU's register window
constexpr uint64_t kDmaBase = 0x10010000;      // the DMA's register window
constexpr uint64_t kCnnBase = 0x10030000;      // the real CNN engine's register window (BenchOptions::cnn)
constexpr uint64_t kLstmBase = 0x10040000;     // the LSTM engine's register window (BenchOptions::lstm)
constexpr uint64_t kUnmappedBase = 0x40000000;  // nothing answers here
constexpr uint64_t kProgramBase = kDdrBase;     // default place of the instruction stream
constexpr uint64_t kInputWindow = kDdrBase + 0x100000;   // job argument 0
constexpr uint64_t kOutputWindow = kDdrBase + 0x200000;  // job argument 1
constexpr uint64_t kWindowBytes = 0x100000;
// Local space: the engine's buffers.
constexpr std::array<uint64_t, isa::kCnnBufCount> kBufferBase = {0x000000, 0x100000, 0x200000};
constexpr uint64_t kLstmLocalBase = 0x10000000;  // the LSTM engine's buffers (BenchOptions::lstm)

// ---------------------------------------------------------------------------------------------
// Instructions

inline isa::Instruction blank(uint8_t opcode, uint8_t deps = 0, uint32_t tag = 0) {
  isa::Instruction in;
  std::memset(&in, 0, sizeof in);
  in.header.opcode = opcode;
  in.header.deps = deps;
  in.header.tag = tag;
  return in;
}

inline isa::Instruction end_instruction(uint8_t deps = 0) { return blank(isa::kOpEnd, deps); }

// A 3-D block: planes x rows x row_bytes with strides on both sides.
struct Block {
  uint32_t planes = 1, rows = 1, row_bytes = 0;
  uint32_t ddr_row_stride = 0, ddr_plane_stride = 0;
  uint32_t buffer_row_stride = 0, buffer_plane_stride = 0;

  static Block linear(uint32_t bytes) {
    Block b;
    b.row_bytes = bytes;
    return b;
  }
};

inline isa::Instruction transfer(uint8_t opcode, uint8_t deps, uint8_t buffer, uint32_t buffer_offset, uint8_t arg,
                                 uint64_t ddr_offset, const Block& block) {
  isa::Instruction in = blank(opcode, deps);
  isa::Transfer& t = in.transfer;
  t.buffer = buffer;
  t.arg = arg;
  t.buffer_offset = buffer_offset;
  t.ddr_offset = ddr_offset;
  t.planes = block.planes;
  t.rows = block.rows;
  t.row_bytes = block.row_bytes;
  t.ddr_row_stride = block.ddr_row_stride;
  t.ddr_plane_stride = block.ddr_plane_stride;
  t.buffer_row_stride = block.buffer_row_stride;
  t.buffer_plane_stride = block.buffer_plane_stride;
  return in;
}

inline isa::Instruction load(uint8_t deps, uint32_t buffer_offset, uint64_t ddr_offset, uint32_t bytes,
                             uint8_t buffer = isa::kBufInput, uint8_t arg = 0) {
  return transfer(isa::kOpLoad, deps, buffer, buffer_offset, arg, ddr_offset, Block::linear(bytes));
}

inline isa::Instruction store(uint8_t deps, uint32_t buffer_offset, uint64_t ddr_offset, uint32_t bytes,
                              uint8_t buffer = isa::kBufOutput, uint8_t arg = 1) {
  return transfer(isa::kOpStore, deps, buffer, buffer_offset, arg, ddr_offset, Block::linear(bytes));
}

// The fake engine's CONV: copies `bytes` (<= 65535) from the input buffer to the output buffer.
inline isa::Instruction copy_tile(uint8_t deps, uint32_t input_offset, uint32_t output_offset, uint16_t bytes) {
  isa::Instruction in = blank(isa::kOpConv, deps);
  in.conv.input_offset = input_offset;
  in.conv.output_offset = output_offset;
  in.conv.in_c = 1;
  in.conv.in_h = 1;
  in.conv.in_w = bytes;
  return in;
}

// ---------------------------------------------------------------------------------------------
// Fake compute engine

class FakeEngine : public ComputeEngineIf {
 public:
  struct Execution {
    uint32_t index;
    sc_time start, end;
    TagId ledger_tag;
  };
  std::array<SramBuffer*, isa::kCnnBufCount> buffers{};
  sc_time time_per_instruction = sc_time(1, SC_US);
  std::map<uint32_t, isa::ErrorCode> refuse;  // program index -> error returned
  std::vector<Execution> executions;
  std::vector<bool> job_ends;  // end_job's argument, per job

  bool handles(uint8_t opcode) const override { return isa::is_cnn_opcode(opcode); }
  uint64_t buffer_base(isa::Buffer b) const override { return b < isa::kCnnBufCount ? kBufferBase[b] : 0; }
  uint64_t buffer_size(isa::Buffer b) const override { return b < isa::kCnnBufCount ? buffers[b]->size() : 0; }

  void end_job(bool completed) override { job_ends.push_back(completed); }
  isa::ErrorCode execute(const isa::Instruction& in, uint32_t index, TagId ledger_tag, sc_time& delay) override {
    if (auto it = refuse.find(index); it != refuse.end()) return it->second;
    const isa::Conv& c = in.conv;
    const uint64_t bytes = uint64_t{c.in_c} * c.in_h * c.in_w;
    SramBuffer& input = *buffers[isa::kBufInput];
    SramBuffer& output = *buffers[isa::kBufOutput];
    if (c.input_offset + bytes > input.size() || c.output_offset + bytes > output.size()) return isa::kErrBufferOverrun;
    std::memcpy(output.data() + c.output_offset, input.data() + c.input_offset, bytes);
    input.count_reads(bytes);
    output.count_writes(bytes);
    const sc_time start = sc_core::sc_time_stamp() + delay;
    delay += time_per_instruction;
    executions.push_back({index, start, start + time_per_instruction, ledger_tag});
    return isa::kErrNone;
  }
};

// ---------------------------------------------------------------------------------------------
// The bench

struct BenchOptions {
  IfuConfig ifu;
  DmaConfig dma;
  sc_time compute_time = sc_time(1, SC_US);
  uint64_t buffer_bytes = 64 * 1024;
  std::optional<CnnConfig> cnn;  // set: the real CNN engine, its buffers at kBufferBase[0] and up
  std::optional<LstmConfig> lstm;  // set: the LSTM engine too, its buffers at kLstmLocalBase
  std::string tech_path = std::string(DLVP_SOURCE_DIR) + "/scenarios/tech/horowitz-45nm.yaml";
  std::string ddr_preset = "ddr4-2400-x64";  // scenarios/hw/ddr/<preset>.yaml
  BusConfig bus;                             // the system bus and the local (buffer) bus
};

// One job as software would program it.
struct JobSpec {
  std::vector<isa::Instruction> program;
  uint64_t instr_base = kProgramBase;
  std::optional<uint32_t> count;  // INSTR_COUNT; default: the program's length
  std::array<ifu::ArgWindow, isa::kArgCount> args{
      {{kInputWindow, kWindowBytes}, {kOutputWindow, kWindowBytes}}};
};

// What software saw at the end of a job.
struct JobResult {
  bool interrupted = false;  // the IRQ came before the timeout
  uint32_t status = 0, error_code = 0, error_index = 0, retired = 0;
  uint64_t cycles = 0;
  sc_time started_before, started_after;  // the CPU's time around its START write
  sc_time interrupt_seen;
};

inline TechTable test_tech(const std::string& path = BenchOptions().tech_path) { return TechTable::load(path); }

struct Bench {
  EnergyLedger ledger;
  std::unique_ptr<DdrController> ddr;
  std::unique_ptr<Bus> system_bus, local_bus;
  std::array<std::unique_ptr<SramBuffer>, isa::kCnnBufCount> buffers;  // the fake engine's (empty with `cnn`)
  std::unique_ptr<DmaEngine> dma;
  std::unique_ptr<Ifu> ifu;
  FakeEngine engine;
  std::unique_ptr<CnnEngine> cnn;  // BenchOptions::cnn
  std::unique_ptr<LstmEngine> lstm;  // BenchOptions::lstm
  std::unique_ptr<RegisterInitiator> cpu;
  sc_core::sc_signal<bool> irq{"ifu_irq"}, dma_irq{"dma_irq"};
  size_t cpu_port = 0, fetch_port = 1, dma_port = 2;

  explicit Bench(const BenchOptions& o = BenchOptions()) : ledger(test_tech(o.tech_path)) {
    tlm::tlm_global_quantum::instance().set(sc_time(1, SC_US));
    DdrConfig ddr_config;
    ddr_config.size_bytes = kDdrBytes;
    ddr = std::make_unique<DdrController>(
        "ddr", ddr_config, DdrTiming::load(std::string(DLVP_SOURCE_DIR) + "/scenarios/hw/ddr/" + o.ddr_preset + ".yaml"),
        ledger);
    MemoryMap system_map("ifu test system map");
    system_map.add("ddr", kDdrBase, kDdrBytes);
    system_map.add("ifu", kIfuBase, 0x1000);
    system_map.add("dma", kDmaBase, 0x1000);
    if (o.cnn) system_map.add("cnn", kCnnBase, 0x1000);
    if (o.lstm) system_map.add("lstm", kLstmBase, 0x1000);
    system_bus = std::make_unique<Bus>("system_bus", o.bus, system_map, ledger);

    const char* names[] = {"input_buffer", "weight_buffer", "output_buffer"};
    std::vector<SramBuffer*> local_buffers(isa::kCnnBufCount);
    if (o.cnn) {
      cnn = std::make_unique<CnnEngine>("cnn", *o.cnn, ledger, kBufferBase[0]);
      for (int b = 0; b < isa::kCnnBufCount; ++b) local_buffers[b] = &cnn->buffer(static_cast<isa::Buffer>(b));
    } else {
      SramBufferConfig sram;
      sram.size_bytes = o.buffer_bytes;
      sram.port_width_bytes = 16;
      sram.clock_mhz = 214;
      for (int b = 0; b < isa::kCnnBufCount; ++b) {
        buffers[b] = std::make_unique<SramBuffer>(names[b], sram, ledger);
        local_buffers[b] = engine.buffers[b] = buffers[b].get();
      }
    }
    ComputeEngineIf& compute = cnn ? static_cast<ComputeEngineIf&>(*cnn) : engine;
    MemoryMap local_map("ifu test local map");
    std::vector<std::pair<uint64_t, uint64_t>> local_ranges;  // base, size of each local buffer
    for (int b = 0; b < isa::kCnnBufCount; ++b) {
      const auto buffer = static_cast<isa::Buffer>(b);
      local_map.add(names[b], compute.buffer_base(buffer), compute.buffer_size(buffer));
      local_ranges.emplace_back(compute.buffer_base(buffer), compute.buffer_size(buffer));
    }
    if (o.lstm) {
      lstm = std::make_unique<LstmEngine>("lstm", *o.lstm, ledger, kLstmLocalBase);
      for (const isa::Buffer buffer : {isa::kBufLstmWeight, isa::kBufLstmVector}) {
        local_map.add(buffer == isa::kBufLstmWeight ? "lstm_weight" : "lstm_vector", lstm->buffer_base(buffer),
                      lstm->buffer_size(buffer));
        local_ranges.emplace_back(lstm->buffer_base(buffer), lstm->buffer_size(buffer));
        local_buffers.push_back(&lstm->buffer(buffer));
      }
    }
    local_bus = std::make_unique<Bus>("local_bus", o.bus, local_map, ledger);

    dma = std::make_unique<DmaEngine>("dma", o.dma, ledger);
    ifu = std::make_unique<Ifu>("ifu", o.ifu, *dma, ledger);
    cpu = std::make_unique<RegisterInitiator>("cpu");
    engine.time_per_instruction = o.compute_time;
    ifu->add_compute_engine(&compute);
    if (lstm) ifu->add_compute_engine(lstm.get());

    cpu->socket.bind(system_bus->target_socket);
    ifu->fetch_socket.bind(system_bus->target_socket);
    dma->mem_socket.bind(system_bus->target_socket);
    system_bus->initiator_socket.bind(ddr->socket);
    system_bus->initiator_socket.bind(ifu->reg_socket);
    system_bus->initiator_socket.bind(dma->reg_socket);
    if (cnn) system_bus->initiator_socket.bind(cnn->reg_socket);
    if (lstm) system_bus->initiator_socket.bind(lstm->reg_socket);
    dma->buffer_socket.bind(local_bus->target_socket);
    for (SramBuffer* b : local_buffers) local_bus->initiator_socket.bind(b->socket);
    system_bus->set_initiator_name(cpu_port, "cpu");
    system_bus->set_initiator_name(fetch_port, "ifu");
    system_bus->set_initiator_name(dma_port, "dma");
    ifu->irq.bind(irq);
    dma->irq.bind(dma_irq);
    dma->add_valid_range(dma::kSystemSpace, kDdrBase, kDdrBytes);
    for (const auto& [base, size] : local_ranges) dma->add_valid_range(dma::kLocalSpace, base, size);
  }

  // Memory contents written (by debug transport) when the simulation starts, before the script.
  void preload(uint64_t address, std::vector<uint8_t> data) { preloads_.emplace_back(address, std::move(data)); }

  // Runs `script` on the CPU thread (after the preloads) and simulates until nothing is left to do.
  void run(std::function<void(RegisterInitiator&)> script) {
    cpu->body = [this, script](RegisterInitiator& c) {
      for (const auto& [address, data] : preloads_) write_memory(address, data.data(), data.size());
      script(c);
    };
    sc_core::sc_start();
  }

  // Debug-transport access to the system space (no time, no energy); the sockets are bound once
  // the simulation has started.
  void write_memory(uint64_t address, const void* data, size_t bytes) {
    debug(tlm::TLM_WRITE_COMMAND, address, const_cast<void*>(data), bytes);
  }
  std::vector<uint8_t> read_memory(uint64_t address, size_t bytes) {
    std::vector<uint8_t> data(bytes);
    debug(tlm::TLM_READ_COMMAND, address, data.data(), bytes);
    return data;
  }
  std::vector<uint8_t> random_bytes(size_t bytes, unsigned seed) const {
    std::mt19937 gen(seed);
    std::vector<uint8_t> data(bytes);
    for (auto& d : data) d = static_cast<uint8_t>(gen());
    return data;
  }

  // Runs on the CPU thread: writes the program, programs the registers, starts the job with both
  // interrupts enabled and sleeps until the interrupt (or `timeout`).
  JobResult run_job(const JobSpec& job, const sc_time& timeout = sc_time(10, sc_core::SC_MS)) {
    RegisterInitiator& c = *cpu;
    if (!job.program.empty()) write_memory(job.instr_base, job.program.data(), job.program.size() * sizeof(isa::Instruction));
    c.write(kIfuBase + ifu::INSTR_BASE, job.instr_base, 8);
    c.write(kIfuBase + ifu::INSTR_COUNT, job.count.value_or(static_cast<uint32_t>(job.program.size())));
    for (uint32_t a = 0; a < isa::kArgCount; ++a) {
      c.write(kIfuBase + ifu::arg_base_reg(a), job.args[a].base, 8);
      c.write(kIfuBase + ifu::arg_size_reg(a), job.args[a].size, 8);
    }
    JobResult r;
    r.started_before = c.now();
    c.write(kIfuBase + ifu::CTRL, ifu::kCtrlStart | ifu::kCtrlDoneIrqEnable | ifu::kCtrlErrorIrqEnable);
    r.started_after = c.now();
    c.sync();
    if (!irq.read()) sc_core::wait(timeout, irq.posedge_event());
    r.interrupted = irq.read();
    r.interrupt_seen = sc_core::sc_time_stamp();
    r.status = static_cast<uint32_t>(c.read(kIfuBase + ifu::STATUS));
    r.error_code = static_cast<uint32_t>(c.read(kIfuBase + ifu::ERROR_CODE));
    r.error_index = static_cast<uint32_t>(c.read(kIfuBase + ifu::ERROR_INDEX));
    r.retired = static_cast<uint32_t>(c.read(kIfuBase + ifu::INSTRUCTIONS_RETIRED));
    r.cycles = c.read(kIfuBase + ifu::CYCLES, 8);
    return r;
  }

  // Clears DONE and ERROR (W1C) and lets the interrupt line settle.
  void acknowledge() {
    cpu->write(kIfuBase + ifu::STATUS, ifu::kStatusDone | ifu::kStatusError);
    cpu->settle();
  }

  // The records of one job, by program index.
  std::map<uint32_t, InstructionRecord> records_of_job(uint64_t job) const {
    std::map<uint32_t, InstructionRecord> out;
    for (const InstructionRecord& r : ifu->trace())
      if (r.job == job) out[r.index] = r;
    return out;
  }

 private:
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> preloads_;

  void debug(tlm::tlm_command command, uint64_t address, void* data, size_t bytes) {
    tlm::tlm_generic_payload trans;
    setup_payload(trans, command, address, static_cast<unsigned char*>(data), static_cast<unsigned>(bytes));
    ASSERT_EQ(cpu->socket->transport_dbg(trans), bytes) << "debug access at 0x" << std::hex << address;
  }
};

}  // namespace dlvp::test
