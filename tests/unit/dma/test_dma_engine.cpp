// DmaEngine: data movement, registers and interrupt, the submit() API, descriptor errors, bus
// errors, and the timing model (pipelined reads, shared bandwidth).
//
// The test bench has its own memories (a fixed latency plus a per-byte occupancy with a busy-until
// reservation) and a CPU thread that programs registers, so it depends on no other IP block.
#include "ip/common/config_error.h"
#include "ip/common/energy_tag.h"
#include "ip/common/sram_buffer.h"
#include "ip/dma/dma_engine.h"

#include <gtest/gtest.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>

using namespace dlvp;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;

namespace {

constexpr uint64_t kDdrBase = 0x80000000;
constexpr uint64_t kDdrBytes = 1 << 20;

TechTable test_tech(bool with_burst_entry = false) {
  const std::string path = testing::TempDir() + "dma_tech.yaml";
  std::ofstream out(path);
  out << "name: test\nunit: pJ\n";
  if (with_burst_entry) out << "entries:\n  dma_burst: {energy: 0.5, per: burst, source: test figure}\n";
  else out << "entries: {}\n";
  out << "sram:\n  source: test points\n  points:\n"
         "    - {bytes: 1024, read: 5, write: 6}\n"
         "    - {bytes: 1048576, read: 100, write: 120}\n";
  out.close();
  return TechTable::load(path);
}

// A memory with a fixed access latency and a per-byte occupancy: an access starts when the memory
// is free, holds it for bytes x per_byte and completes max(latency, occupancy) after its start.
class TestMemory : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<TestMemory> socket{"socket"};
  std::vector<uint8_t> bytes;
  uint64_t base;
  sc_time latency, per_byte;
  uint64_t fail_begin = 0, fail_end = 0;  // accesses touching [fail_begin, fail_end) get an error
  uint64_t transactions = 0;
  uint64_t largest_transaction = 0;
  uint64_t align = 0;                 // when set, reads crossing a multiple of `align` are counted
  uint64_t unaligned_reads = 0;
  std::map<TagId, uint64_t> bytes_by_tag;  // bytes of the payloads carrying an EnergyTagExtension

  TestMemory(sc_core::sc_module_name n, uint64_t base_address, uint64_t size, sc_time lat, sc_time byte_time)
      : sc_module(n), bytes(size), base(base_address), latency(lat), per_byte(byte_time) {
    socket.register_b_transport(this, &TestMemory::b_transport);
  }
  uint8_t* at(uint64_t address) { return bytes.data() + (address - base); }
  void fill(uint64_t address, uint64_t length, uint8_t seed) {
    for (uint64_t i = 0; i < length; ++i) at(address)[i] = static_cast<uint8_t>(seed + i * 7 + (i >> 8));
  }

 private:
  sc_time busy_until;
  void b_transport(tlm::tlm_generic_payload& t, sc_time& delay) {
    const uint64_t a = t.get_address(), n = t.get_data_length();
    if (a < base || a + n > base + bytes.size()) {
      t.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
    if (a < fail_end && a + n > fail_begin) {
      t.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
      return;
    }
    if (t.is_write()) std::memcpy(at(a), t.get_data_ptr(), n);
    else std::memcpy(t.get_data_ptr(), at(a), n);
    ++transactions;
    largest_transaction = std::max(largest_transaction, n);
    if (const auto* tag = t.get_extension<EnergyTagExtension>()) bytes_by_tag[tag->tag] += n;
    if (align && t.is_read() && a / align != (a + n - 1) / align) ++unaligned_reads;
    const sc_time now = sc_core::sc_time_stamp();
    const sc_time start = std::max(now + delay, busy_until);
    const sc_time occupancy = per_byte * static_cast<double>(n);
    busy_until = start + occupancy;
    delay = start + std::max(latency, occupancy) - now;
    t.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

// Runs a script in a thread: register accesses without temporal decoupling.
class TestCpu : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<TestCpu> socket{"socket"};
  std::function<void(TestCpu&)> script;
  tlm::tlm_response_status last_status = tlm::TLM_OK_RESPONSE;

  SC_HAS_PROCESS(TestCpu);
  explicit TestCpu(sc_core::sc_module_name n) : sc_module(n) { SC_THREAD(run); }

  uint64_t read(uint32_t offset, unsigned width = 4) {
    uint64_t value = 0;
    access(tlm::TLM_READ_COMMAND, offset, &value, width);
    return value;
  }
  void write(uint32_t offset, uint64_t value, unsigned width = 4) { access(tlm::TLM_WRITE_COMMAND, offset, &value, width); }

 private:
  void run() {
    if (script) script(*this);
  }
  void access(tlm::tlm_command cmd, uint32_t offset, uint64_t* value, unsigned width) {
    tlm::tlm_generic_payload t;
    setup_payload(t, cmd, offset, reinterpret_cast<unsigned char*>(value), width);
    sc_time delay = sc_core::SC_ZERO_TIME;
    socket->b_transport(t, delay);
    last_status = t.get_response_status();
    wait(delay);
  }
};

struct BenchOptions {
  DmaConfig dma;
  sc_time ddr_latency = sc_time(100, SC_NS);
  sc_time ddr_per_byte = sc_time(1, SC_NS);     // 1 GB/s
  bool local_is_sram = false;                  // else a fast TestMemory
  uint64_t local_bytes = 256 * 1024;
  bool burst_energy_entry = false;
};

// DDR on the system bus, a local memory (SramBuffer or fast test memory) in the local space, a CPU
// on the register socket, and the interrupt line.
struct Bench {
  EnergyLedger ledger;
  std::unique_ptr<TestMemory> ddr, local_mem;
  std::unique_ptr<SramBuffer> sram;
  std::unique_ptr<DmaEngine> dma;
  std::unique_ptr<TestCpu> cpu;
  sc_core::sc_signal<bool> irq{"irq_line"};

  explicit Bench(const BenchOptions& o = BenchOptions()) : ledger(test_tech(o.burst_energy_entry)) {
    tlm::tlm_global_quantum::instance().set(sc_time(1, SC_US));
    ddr = std::make_unique<TestMemory>("ddr", kDdrBase, kDdrBytes, o.ddr_latency, o.ddr_per_byte);
    dma = std::make_unique<DmaEngine>("dma", o.dma, ledger);
    cpu = std::make_unique<TestCpu>("cpu");
    dma->mem_socket.bind(ddr->socket);
    if (o.local_is_sram) {
      SramBufferConfig sc;
      sc.size_bytes = o.local_bytes;
      sc.port_width_bytes = 16;
      sc.clock_mhz = 400;
      sram = std::make_unique<SramBuffer>("sram", sc, ledger);
      dma->buffer_socket.bind(sram->socket);
    } else {
      local_mem = std::make_unique<TestMemory>("local", 0, o.local_bytes, sc_time(1, SC_NS), sc_core::SC_ZERO_TIME);
      dma->buffer_socket.bind(local_mem->socket);
    }
    cpu->socket.bind(dma->reg_socket);
    dma->irq.bind(irq);
    dma->add_valid_range(dma::kSystemSpace, kDdrBase, kDdrBytes);
    dma->add_valid_range(dma::kLocalSpace, 0, o.local_bytes);
  }

  // Programs a channel through its registers and starts it with the interrupt enabled.
  static void program(TestCpu& cpu, unsigned ch, const DmaDescriptor& d, bool irq_enable = true) {
    cpu.write(dma::channel_reg(ch, dma::SRC_ADDR), d.src, 8);
    cpu.write(dma::channel_reg(ch, dma::DST_ADDR), d.dst, 8);
    cpu.write(dma::channel_reg(ch, dma::ROWS), d.rows);
    cpu.write(dma::channel_reg(ch, dma::ROW_BYTES), d.row_bytes);
    cpu.write(dma::channel_reg(ch, dma::SRC_STRIDE), d.src_stride);
    cpu.write(dma::channel_reg(ch, dma::DST_STRIDE), d.dst_stride);
    uint32_t ctrl = dma::kCtrlStart | (irq_enable ? dma::kCtrlIrqEnable : 0);
    if (d.src_space == dma::kLocalSpace) ctrl |= dma::kCtrlSrcSpace;
    if (d.dst_space == dma::kLocalSpace) ctrl |= dma::kCtrlDstSpace;
    cpu.write(dma::channel_reg(ch, dma::CTRL), ctrl);
  }
};

DmaDescriptor block(uint64_t src, uint64_t dst, uint32_t rows, uint32_t row_bytes, uint32_t src_stride,
                    uint32_t dst_stride) {
  DmaDescriptor d;
  d.src = src;
  d.dst = dst;
  d.rows = rows;
  d.row_bytes = row_bytes;
  d.src_stride = src_stride;
  d.dst_stride = dst_stride;
  return d;
}

// Checks every destination row equals its source row and every gap byte kept `guard`.
void expect_block_copied(const uint8_t* src, const uint8_t* dst, const DmaDescriptor& d, uint8_t guard) {
  for (uint32_t r = 0; r < d.rows; ++r) {
    ASSERT_EQ(std::memcmp(dst + uint64_t{r} * d.dst_stride, src + uint64_t{r} * d.src_stride, d.row_bytes), 0)
        << "row " << r;
    if (r + 1 == d.rows) break;
    for (uint32_t g = d.row_bytes; g < d.dst_stride; ++g)
      ASSERT_EQ(dst[uint64_t{r} * d.dst_stride + g], guard) << "gap after row " << r;
  }
}

// Like software: sleep only if the interrupt is not already pending.
void wait_for_irq(const sc_core::sc_signal<bool>& irq) {
  if (!irq.read()) sc_core::wait(irq.posedge_event());
}

// What a job's completion callback reported; `code` stays empty until it is called, so an
// expected DmaErrorCode::none cannot pass without a callback.
struct Outcome {
  bool called = false;
  std::optional<DmaErrorCode> code;
  sc_time at;
};

DmaEngine::DoneCallback record(Outcome& o) {
  return [&o](DmaErrorCode code) {
    o.called = true;
    o.code = code;
    o.at = sc_core::sc_time_stamp();
  };
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Data movement

TEST(DmaEngine, OneDimensionalCopyMatchesByteForByte) {
  Bench b;
  const uint64_t src = kDdrBase + 3, dst = kDdrBase + 0x40000 + 5;  // unaligned on purpose
  const uint32_t length = 10000;
  b.ddr->fill(src, length, 11);
  std::memset(b.ddr->at(dst - 16), 0xEE, length + 32);
  b.ddr->align = b.dma->config().burst_bytes;
  Outcome done;
  b.dma->submit(0, block(src, dst, 1, length, 0, 0), record(done));
  sc_core::sc_start();
  ASSERT_TRUE(done.called);
  EXPECT_EQ(done.code, DmaErrorCode::none);
  EXPECT_EQ(std::memcmp(b.ddr->at(dst), b.ddr->at(src), length), 0);
  for (int i = 1; i <= 16; ++i) {
    EXPECT_EQ(*b.ddr->at(dst - i), 0xEE);
    EXPECT_EQ(*b.ddr->at(dst + length - 1 + i), 0xEE);
  }
  EXPECT_LE(b.ddr->largest_transaction, b.dma->config().burst_bytes);
  EXPECT_EQ(b.ddr->unaligned_reads, 0u);  // source bursts stop at burst_bytes boundaries
  EXPECT_EQ(b.dma->channel_stats(0).bytes_moved, length);
  // Every byte crosses the memory twice at 1 ns per byte: at least 2 x length ns.
  EXPECT_GE(done.at, sc_time(2.0 * length, SC_NS));
}

TEST(DmaEngine, TwoDimensionalStridedCopyMatchesByteForByte) {
  Bench b;
  const DmaDescriptor d = block(kDdrBase + 0x100, kDdrBase + 0x80000, 17, 100, 300, 128);
  b.ddr->fill(d.src, uint64_t{d.rows} * d.src_stride, 29);
  std::memset(b.ddr->at(d.dst), 0xEE, uint64_t{d.rows} * d.dst_stride + 64);
  Outcome done;
  b.dma->submit(1, d, record(done));
  sc_core::sc_start();
  ASSERT_TRUE(done.called);
  EXPECT_EQ(done.code, DmaErrorCode::none);
  expect_block_copied(b.ddr->at(d.src), b.ddr->at(d.dst), d, 0xEE);
  EXPECT_EQ(*b.ddr->at(d.dst + uint64_t{d.rows - 1} * d.dst_stride + d.row_bytes), 0xEE);
  EXPECT_EQ(b.dma->channel_stats(1).bytes_moved, d.total_bytes());
}

TEST(DmaEngine, LocalBufferSpaceThroughSramBuffer) {
  BenchOptions o;
  o.local_is_sram = true;
  o.local_bytes = 64 * 1024;
  Bench b(o);
  // DDR -> buffer (2-D gather), then buffer -> DDR (contiguous) into a second place.
  DmaDescriptor in = block(kDdrBase, 0x400, 32, 256, 512, 256);
  in.dst_space = dma::kLocalSpace;
  DmaDescriptor out = block(0x400, kDdrBase + 0x20000, 1, 32 * 256, 0, 0);
  out.src_space = dma::kLocalSpace;
  b.ddr->fill(in.src, 32 * 512, 77);
  Outcome loaded, stored;
  b.dma->submit(0, in, [&](DmaErrorCode code) {
    record(loaded)(code);
    b.dma->submit(0, out, record(stored));  // the completion callback may queue the next job
  });
  sc_core::sc_start();
  ASSERT_TRUE(loaded.called && stored.called);
  EXPECT_EQ(loaded.code, DmaErrorCode::none);
  EXPECT_EQ(stored.code, DmaErrorCode::none);
  EXPECT_LT(loaded.at, stored.at);
  for (uint32_t r = 0; r < in.rows; ++r)
    ASSERT_EQ(std::memcmp(b.sram->data() + in.dst + r * 256, b.ddr->at(in.src + r * 512), 256), 0) << r;
  EXPECT_EQ(std::memcmp(b.ddr->at(out.dst), b.sram->data() + out.src, out.row_bytes), 0);

  const uint64_t total = in.total_bytes();
  EXPECT_EQ(b.sram->stats().bytes_written, total);
  EXPECT_EQ(b.sram->stats().bytes_read, total);
  // Staging FIFO energy: every byte enters and leaves it once per job, counted in 64-bit words
  // (all bursts here are whole multiples of 8 bytes).
  const CounterId staged_in = b.ledger.find("dma", "staging.write");
  const CounterId staged_out = b.ledger.find("dma", "staging.read");
  EXPECT_EQ(b.ledger.count_of(staged_in), 2 * total / 8);
  EXPECT_EQ(b.ledger.count_of(staged_out), 2 * total / 8);
  EXPECT_EQ(b.ledger.spec(staged_in).level, Level::buffer);
  EXPECT_DOUBLE_EQ(b.ledger.spec(staged_in).unit_energy,
                   b.ledger.tech().sram_access_64b(b.dma->config().buffer_bytes, true));
  // The table has no dma_burst entry, so no control counter was invented.
  EXPECT_THROW(b.ledger.find("dma", "burst_control"), std::out_of_range);
}

TEST(DmaEngine, BurstControlEnergyCountedWhenTheTableHasAnEntry) {
  BenchOptions o;
  o.burst_energy_entry = true;
  Bench b(o);
  const DmaDescriptor d = block(kDdrBase, kDdrBase + 0x10000, 1, 4096, 0, 0);
  Outcome done;
  b.dma->submit(0, d, record(done));
  sc_core::sc_start();
  ASSERT_TRUE(done.called);
  const CounterId control = b.ledger.find("dma", "burst_control");
  const uint64_t bursts_each_way = d.total_bytes() / b.dma->config().burst_bytes;
  EXPECT_EQ(b.ledger.count_of(control), 2 * bursts_each_way);
  EXPECT_EQ(b.dma->channel_stats(0).bursts, 2 * bursts_each_way);
}

// ---------------------------------------------------------------------------------------------
// Registers and interrupt

TEST(DmaEngine, EnergyOfASubmittedJobGoesToItsTag) {
  BenchOptions o;
  o.local_is_sram = true;
  o.local_bytes = 64 * 1024;
  o.burst_energy_entry = true;
  Bench b(o);
  EnergyLedger& l = b.ledger;
  const TagId load_tag = l.tag_named("layer0"), store_tag = l.tag_named("layer1");
  DmaDescriptor in = block(kDdrBase, 0x400, 32, 256, 512, 256);  // 8 KiB, DDR -> SRAM
  in.dst_space = dma::kLocalSpace;
  DmaDescriptor out = block(0x400, kDdrBase + 0x20000, 1, 4096, 0, 0);  // 4 KiB, SRAM -> DDR
  out.src_space = dma::kLocalSpace;
  DmaDescriptor by_registers = block(kDdrBase + 0x40000, 0x8000, 1, 1024, 0, 0);  // 1 KiB, untagged
  by_registers.dst_space = dma::kLocalSpace;
  Outcome loaded, stored;
  b.dma->submit(0, in, [&](DmaErrorCode code) {
    record(loaded)(code);
    b.dma->submit(0, out, record(stored), sc_core::SC_ZERO_TIME, store_tag);
  }, sc_core::SC_ZERO_TIME, load_tag);
  b.cpu->script = [&](TestCpu& cpu) {
    Bench::program(cpu, 1, by_registers, false);
    while (!(cpu.read(dma::channel_reg(1, dma::STATUS)) & dma::kStatusDone)) wait(sc_time(1, SC_US));
  };
  sc_core::sc_start();
  ASSERT_TRUE(loaded.called && stored.called);
  ASSERT_EQ(loaded.code, DmaErrorCode::none);
  ASSERT_EQ(stored.code, DmaErrorCode::none);

  // The staging FIFO and the burst control (64 B bursts of whole 64-bit words).
  const CounterId staged_in = l.find("dma", "staging.write"), staged_out = l.find("dma", "staging.read");
  const CounterId control = l.find("dma", "burst_control");
  for (CounterId id : {staged_in, staged_out}) {
    EXPECT_EQ(l.count_of(id, load_tag), in.total_bytes() / 8) << l.spec(id).name;
    EXPECT_EQ(l.count_of(id, store_tag), out.total_bytes() / 8) << l.spec(id).name;
    EXPECT_EQ(l.count_of(id, kUntagged), by_registers.total_bytes() / 8) << l.spec(id).name;
  }
  EXPECT_EQ(l.count_of(control, load_tag), 2 * in.total_bytes() / 64);
  EXPECT_EQ(l.count_of(control, store_tag), 2 * out.total_bytes() / 64);
  // The SRAM (through DMI: the accountant is given the tag) and the system side (the payload's
  // extension) see the same tags.
  const CounterId sram_write = l.find("sram", "write"), sram_read = l.find("sram", "read");
  EXPECT_EQ(l.count_of(sram_write, load_tag), in.total_bytes() / 8);
  EXPECT_EQ(l.count_of(sram_read, store_tag), out.total_bytes() / 8);
  EXPECT_EQ(l.count_of(sram_write, kUntagged), by_registers.total_bytes() / 8);
  EXPECT_EQ(b.ddr->bytes_by_tag[load_tag], in.total_bytes());
  EXPECT_EQ(b.ddr->bytes_by_tag[store_tag], out.total_bytes());
  EXPECT_EQ(b.ddr->bytes_by_tag[kUntagged], by_registers.total_bytes()) << "register jobs carry no tag";
}

TEST(DmaEngine, RegisterJobSetsDoneRaisesIrqAndW1CClearsIt) {
  Bench b;
  const DmaDescriptor d = block(kDdrBase, kDdrBase + 0x10000, 8, 512, 512, 1024);
  b.ddr->fill(d.src, 8 * 512, 5);
  sc_time irq_at;
  bool checked = false;
  b.cpu->script = [&](TestCpu& cpu) {
    EXPECT_EQ(cpu.read(dma::ID), 0x444D4130u);
    EXPECT_EQ(cpu.read(dma::CHANNELS), b.dma->channels());
    cpu.write(dma::ID, 0);
    EXPECT_EQ(cpu.last_status, tlm::TLM_COMMAND_ERROR_RESPONSE);  // read-only
    cpu.read(dma::channel_reg(b.dma->channels(), dma::CTRL));     // a channel this instance lacks
    EXPECT_EQ(cpu.last_status, tlm::TLM_ADDRESS_ERROR_RESPONSE);

    Bench::program(cpu, 0, d);
    EXPECT_EQ(cpu.read(dma::channel_reg(0, dma::STATUS)), dma::kStatusBusy);
    EXPECT_EQ(cpu.read(dma::channel_reg(0, dma::CTRL)) & dma::kCtrlStart, 0u);  // self-clearing
    wait_for_irq(b.irq);
    irq_at = sc_core::sc_time_stamp();
    EXPECT_EQ(cpu.read(dma::channel_reg(0, dma::STATUS)), dma::kStatusDone);
    EXPECT_EQ(cpu.read(dma::channel_reg(0, dma::BYTES_DONE), 8), d.total_bytes());
    EXPECT_EQ(cpu.read(dma::channel_reg(0, dma::ERROR_CODE)), 0u);
    EXPECT_EQ(cpu.read(dma::IRQ_STATUS), 1u);
    cpu.write(dma::channel_reg(0, dma::STATUS), dma::kStatusDone | dma::kStatusBusy);  // W1C; BUSY is not clearable
    wait(sc_time(1, SC_NS));
    EXPECT_FALSE(b.irq.read());
    EXPECT_EQ(cpu.read(dma::IRQ_STATUS), 0u);
    EXPECT_EQ(cpu.read(dma::channel_reg(0, dma::STATUS)), 0u);

    // Second job on channel 1, acknowledged through IRQ_STATUS instead.
    Bench::program(cpu, 1, block(kDdrBase, kDdrBase + 0x20000, 1, 256, 0, 0));
    wait_for_irq(b.irq);
    EXPECT_EQ(cpu.read(dma::IRQ_STATUS), 2u);
    cpu.write(dma::IRQ_STATUS, 2);
    wait(sc_time(1, SC_NS));
    EXPECT_FALSE(b.irq.read());
    EXPECT_EQ(cpu.read(dma::channel_reg(1, dma::STATUS)), 0u);
    checked = true;
  };
  sc_core::sc_start();
  ASSERT_TRUE(checked);
  expect_block_copied(b.ddr->at(d.src), b.ddr->at(d.dst), d, 0);
  // The interrupt comes no earlier than the memory can have moved the data (each byte read and
  // written at 1 ns per byte) and not much later (pipeline fill: one latency, plus a quantum).
  const double floor_ns = 2.0 * d.total_bytes();
  EXPECT_GE(irq_at.to_seconds() * 1e9, floor_ns);
  EXPECT_LE(irq_at.to_seconds() * 1e9, floor_ns + 2 * 100.0 + 100.0);
}

TEST(DmaEngine, SubmittedJobCallsBackWithoutInterruptOrStatus) {
  Bench b;
  Outcome done;
  b.dma->submit(0, block(kDdrBase, kDdrBase + 0x1000, 4, 64, 64, 64), record(done));
  uint64_t status_during = 0, status_after = 0;
  b.cpu->script = [&](TestCpu& cpu) {
    status_during = cpu.read(dma::channel_reg(0, dma::STATUS));
    wait(sc_time(10, SC_US));
    status_after = cpu.read(dma::channel_reg(0, dma::STATUS));
  };
  sc_core::sc_start();
  ASSERT_TRUE(done.called);
  EXPECT_EQ(done.code, DmaErrorCode::none);
  EXPECT_EQ(status_during, dma::kStatusBusy);
  EXPECT_EQ(status_after, 0u);  // no DONE for submitted jobs
  EXPECT_FALSE(b.irq.read());
  // The callback runs at the simulated completion time: the channel's busy time from 0.
  EXPECT_EQ(done.at, b.dma->channel_stats(0).busy_time);
}

// ---------------------------------------------------------------------------------------------
// Errors

TEST(DmaEngine, OutOfRangeDescriptorMovesNothing) {
  Bench b;
  const uint64_t dst = kDdrBase + 0x1000;
  std::memset(b.ddr->at(dst), 0xEE, 4096);
  // The last source row ends one byte past the DDR.
  const uint32_t rows = 4, row = 256, stride = 1024;
  const uint64_t src = kDdrBase + kDdrBytes - (uint64_t{rows - 1} * stride + row) + 1;
  bool checked = false;
  b.cpu->script = [&](TestCpu& cpu) {
    Bench::program(cpu, 0, block(src, dst, rows, row, stride, row));
    wait_for_irq(b.irq);
    EXPECT_EQ(cpu.read(dma::channel_reg(0, dma::STATUS)), dma::kStatusError);
    EXPECT_EQ(cpu.read(dma::channel_reg(0, dma::ERROR_CODE)), uint32_t(DmaErrorCode::src_out_of_range));
    EXPECT_EQ(cpu.read(dma::channel_reg(0, dma::BYTES_DONE), 8), 0u);
    cpu.write(dma::channel_reg(0, dma::STATUS), dma::kStatusError);
    // Destination rows: the last one leaves the DDR.
    Bench::program(cpu, 0, block(kDdrBase, kDdrBase + kDdrBytes - 3 * 4096, rows, row, row, 4096));
    wait_for_irq(b.irq);
    EXPECT_EQ(cpu.read(dma::channel_reg(0, dma::ERROR_CODE)), uint32_t(DmaErrorCode::dst_out_of_range));
    // Local space: only the declared 256 KiB exist.
    DmaDescriptor local = block(kDdrBase, 256 * 1024 - 100, 1, 200, 0, 0);
    local.dst_space = dma::kLocalSpace;
    cpu.write(dma::channel_reg(0, dma::STATUS), dma::kStatusError);
    Bench::program(cpu, 0, local);
    wait_for_irq(b.irq);
    EXPECT_EQ(cpu.read(dma::channel_reg(0, dma::ERROR_CODE)), uint32_t(DmaErrorCode::dst_out_of_range));
    checked = true;
  };
  sc_core::sc_start();
  ASSERT_TRUE(checked);
  EXPECT_EQ(b.ddr->transactions, 0u);  // validated before anything moved
  EXPECT_EQ(b.local_mem->transactions, 0u);
  for (int i = 0; i < 4096; ++i) ASSERT_EQ(*b.ddr->at(dst + i), 0xEE);
  EXPECT_EQ(b.dma->channel_stats(0).errors, 3u);
}

TEST(DmaEngine, MalformedDescriptorsAreRefused) {
  Bench b;
  Outcome zero_rows, zero_bytes, overlap, one_row_any_stride, bad_space;
  b.dma->submit(0, block(kDdrBase, kDdrBase + 0x1000, 0, 64, 64, 64), record(zero_rows));
  b.dma->submit(0, block(kDdrBase, kDdrBase + 0x1000, 4, 0, 64, 64), record(zero_bytes));
  b.dma->submit(0, block(kDdrBase, kDdrBase + 0x1000, 4, 64, 64, 63), record(overlap));
  b.dma->submit(0, block(kDdrBase, kDdrBase + 0x1000, 1, 64, 0, 0), record(one_row_any_stride));
  DmaDescriptor space = block(kDdrBase, kDdrBase + 0x1000, 1, 64, 0, 0);
  space.src_space = 7;  // from a corrupt instruction: refused, not a crash
  b.dma->submit(0, space, record(bad_space));
  sc_core::sc_start();
  EXPECT_EQ(zero_rows.code, DmaErrorCode::zero_size);
  EXPECT_EQ(zero_bytes.code, DmaErrorCode::zero_size);
  EXPECT_EQ(overlap.code, DmaErrorCode::stride_overlap);
  EXPECT_EQ(one_row_any_stride.code, DmaErrorCode::none);
  EXPECT_EQ(bad_space.code, DmaErrorCode::src_out_of_range);
  EXPECT_TRUE(bad_space.called);
  EXPECT_EQ(b.dma->channel_stats(0).errors, 4u);
}

TEST(DmaDescriptor, EveryRowMustFitInsideOneValidRange) {
  const std::vector<AddressRange> two = {{0x1000, 0x1000}, {0x3000, 0x1000}};  // gap 0x2000..0x2fff
  // Rows of 0x100 every 0x800: 0x1000, 0x1800 in the first range, 0x2000 falls in the gap.
  EXPECT_TRUE(rows_inside_ranges(0x1000, 0x800, 2, 0x100, two));
  EXPECT_FALSE(rows_inside_ranges(0x1000, 0x800, 3, 0x100, two));
  // Every 0x2000: 0x1000 and 0x3000, one row in each range.
  EXPECT_TRUE(rows_inside_ranges(0x1000, 0x2000, 2, 0x100, two));
  EXPECT_FALSE(rows_inside_ranges(0x1000, 0x2000, 3, 0x100, two));
  // A row straddling the end of a range fits in neither.
  EXPECT_FALSE(rows_inside_ranges(0x1f80, 0, 1, 0x100, two));
  // Billions of rows re-reading one row (stride 0) are checked at once.
  EXPECT_TRUE(rows_inside_ranges(0x1000, 0, 0xffffffffu, 0x100, two));
  EXPECT_FALSE(rows_inside_ranges(0x1000, 1, 0xffffffffu, 0x100, two));
  // Addresses near 2^64 do not wrap around into a valid range.
  const std::vector<AddressRange> low = {{0, 0x10000}};
  EXPECT_FALSE(rows_inside_ranges(~uint64_t{0} - 0x10, 0x100, 2, 0x100, low));
  EXPECT_FALSE(rows_inside_ranges(0, 0xffffffffu, 2, 0x100, low));
  EXPECT_FALSE(rows_inside_ranges(0x1000, 0, 1, 0x100, {}));
}

TEST(DmaEngine, BusErrorMidTransferStopsWithErrorCode) {
  Bench b;
  const uint64_t src = kDdrBase, dst = kDdrBase + 0x40000;
  const uint32_t length = 8192, fail_at = 4096 + 64;
  b.ddr->fill(src, length, 3);
  std::memset(b.ddr->at(dst), 0xEE, length);
  b.ddr->fail_begin = src + fail_at;
  b.ddr->fail_end = src + fail_at + 1;
  uint64_t bytes_done = 0;
  bool checked = false;
  b.cpu->script = [&](TestCpu& cpu) {
    Bench::program(cpu, 0, block(src, dst, 1, length, 0, 0));
    wait_for_irq(b.irq);
    EXPECT_EQ(cpu.read(dma::channel_reg(0, dma::STATUS)), dma::kStatusError);
    EXPECT_EQ(cpu.read(dma::channel_reg(0, dma::ERROR_CODE)), uint32_t(DmaErrorCode::bus_error));
    bytes_done = cpu.read(dma::channel_reg(0, dma::BYTES_DONE), 8);
    checked = true;
  };
  sc_core::sc_start();
  ASSERT_TRUE(checked);
  // Bytes before the faulting burst may have been written, nothing at or after it.
  EXPECT_GT(bytes_done, 0u);
  EXPECT_LE(bytes_done, fail_at);
  EXPECT_EQ(std::memcmp(b.ddr->at(dst), b.ddr->at(src), bytes_done), 0);
  for (uint32_t i = fail_at; i < length; ++i) ASSERT_EQ(*b.ddr->at(dst + i), 0xEE) << i;
}

TEST(DmaEngine, StartWhileBusyIsRefusedAndTheJobContinues) {
  Bench b;
  const DmaDescriptor d = block(kDdrBase, kDdrBase + 0x40000, 1, 64 * 1024, 0, 0);
  b.ddr->fill(d.src, d.row_bytes, 9);
  bool checked = false;
  b.cpu->script = [&](TestCpu& cpu) {
    Bench::program(cpu, 0, d);
    wait(sc_time(1, SC_US));
    cpu.write(dma::channel_reg(0, dma::CTRL), dma::kCtrlStart | dma::kCtrlIrqEnable);
    EXPECT_EQ(cpu.read(dma::channel_reg(0, dma::STATUS)), dma::kStatusBusy | dma::kStatusError);
    EXPECT_EQ(cpu.read(dma::channel_reg(0, dma::ERROR_CODE)), uint32_t(DmaErrorCode::busy));
    wait(sc_time(1, SC_NS));
    EXPECT_TRUE(b.irq.read());  // the error interrupts
    cpu.write(dma::channel_reg(0, dma::STATUS), dma::kStatusError | dma::kStatusBusy);  // BUSY is not W1C
    EXPECT_EQ(cpu.read(dma::channel_reg(0, dma::STATUS)), dma::kStatusBusy);
    while (!(cpu.read(dma::channel_reg(0, dma::STATUS)) & dma::kStatusDone)) wait(sc_time(1, SC_US));
    EXPECT_EQ(cpu.read(dma::channel_reg(0, dma::BYTES_DONE), 8), d.total_bytes());
    checked = true;
  };
  sc_core::sc_start();
  ASSERT_TRUE(checked);
  EXPECT_EQ(std::memcmp(b.ddr->at(d.dst), b.ddr->at(d.src), d.row_bytes), 0);
  EXPECT_EQ(b.dma->channel_stats(0).jobs, 1u);
  EXPECT_EQ(b.dma->channel_stats(0).errors, 1u);
}

// ---------------------------------------------------------------------------------------------
// Timing model

namespace {
// Streams `bytes` from DDR (latency L, occupancy per byte) into the fast local memory and returns
// the channel's busy time.
sc_time stream_time(Bench& b, uint64_t bytes) {
  DmaDescriptor d = block(kDdrBase, 0, 1, static_cast<uint32_t>(bytes), 0, 0);
  d.dst_space = dma::kLocalSpace;
  Outcome done;
  b.dma->submit(0, d, record(done));
  sc_core::sc_start();
  EXPECT_TRUE(done.called);
  EXPECT_EQ(done.code, DmaErrorCode::none);
  EXPECT_EQ(std::memcmp(b.local_mem->at(0), b.ddr->at(kDdrBase), bytes), 0);
  return b.dma->channel_stats(0).busy_time;
}
}  // namespace

TEST(DmaEngine, PipelinedReadsAreLimitedByOccupancyNotLatency) {
  BenchOptions o;
  o.ddr_latency = sc_time(400, SC_NS);
  o.ddr_per_byte = sc_time(1, SC_NS);
  Bench b(o);
  const uint32_t burst = b.dma->config().burst_bytes;
  const sc_time occupancy = o.ddr_per_byte * double(burst);
  // The window must cover the latency for the memory to be the limit.
  ASSERT_GT(double(b.dma->config().max_outstanding) * (occupancy / sc_time(1, SC_NS)),
            o.ddr_latency / sc_time(1, SC_NS));
  const uint64_t bytes = 128 * 1024, bursts = bytes / burst;
  const sc_time busy = stream_time(b, bytes);
  // Burst k starts at k x O and completes L later; the last write lands at once.
  const sc_time expected = occupancy * double(bursts - 1) + o.ddr_latency;
  EXPECT_NEAR(busy.to_seconds(), expected.to_seconds(), 0.01 * expected.to_seconds());
  const double peak_gbps = burst / (occupancy.to_seconds() * 1e9);
  EXPECT_NEAR(b.dma->channel_stats(0).bandwidth_gbps(), peak_gbps, 0.02 * peak_gbps);
}

TEST(DmaEngine, OneOutstandingReadIsLimitedByLatency) {
  BenchOptions o;
  o.dma.max_outstanding = 1;
  o.ddr_latency = sc_time(400, SC_NS);
  o.ddr_per_byte = sc_time(1, SC_NS);
  Bench b(o);
  const uint32_t burst = b.dma->config().burst_bytes;
  const uint64_t bytes = 32 * 1024, bursts = bytes / burst;
  const sc_time busy = stream_time(b, bytes);
  // Each read waits for the previous one: one latency per burst.
  const sc_time expected = o.ddr_latency * double(bursts);
  EXPECT_NEAR(busy.to_seconds(), expected.to_seconds(), 0.01 * expected.to_seconds());
  EXPECT_NEAR(b.dma->channel_stats(0).bandwidth_gbps(), burst / 400.0, 0.01 * burst / 400.0);
}

TEST(DmaEngine, TwoChannelsShareTheMemoryBandwidth) {
  BenchOptions o;
  o.ddr_latency = sc_time(100, SC_NS);
  o.ddr_per_byte = sc_time(1, SC_NS);
  o.local_bytes = 512 * 1024;
  Bench b(o);
  const uint64_t bytes = 128 * 1024;
  b.ddr->fill(kDdrBase, 2 * bytes, 1);
  Outcome done[2];
  for (unsigned ch = 0; ch < 2; ++ch) {
    DmaDescriptor d = block(kDdrBase + ch * bytes, ch * bytes, 1, static_cast<uint32_t>(bytes), 0, 0);
    d.dst_space = dma::kLocalSpace;
    b.dma->submit(ch, d, record(done[ch]));
  }
  sc_core::sc_start();
  const double peak_gbps = 1.0 / (o.ddr_per_byte.to_seconds() * 1e9);
  for (unsigned ch = 0; ch < 2; ++ch) {
    ASSERT_TRUE(done[ch].called);
    EXPECT_EQ(done[ch].code, DmaErrorCode::none);
    EXPECT_NEAR(b.dma->channel_stats(ch).bandwidth_gbps(), peak_gbps / 2, 0.1 * peak_gbps / 2) << "channel " << ch;
  }
  EXPECT_EQ(std::memcmp(b.local_mem->at(0), b.ddr->at(kDdrBase), 2 * bytes), 0);
  // Together they keep the memory busy: the pair finishes when 2 x bytes could have streamed.
  const double both_ns = std::max(done[0].at, done[1].at).to_seconds() * 1e9;
  EXPECT_NEAR(both_ns, 2.0 * bytes, 0.05 * 2.0 * bytes);
}

// ---------------------------------------------------------------------------------------------
// Configuration

TEST(DmaEngine, ConfigurationErrorsNameTheKey) {
  auto load = [](const char* yaml) {
    DmaConfig c;
    ParamBinder binder(YAML::Load(yaml), "dma", [](const std::string& key) { return "hw.yaml(" + key + ")"; });
    DmaConfig::bind(binder, c);
    binder.finish();
    return c;
  };
  EXPECT_EQ(load("{channels: 3, burst_bytes: 128}").burst_bytes, 128u);
  try {
    load("{burst_bytes: 256, buffer_bytes: 128}");
    FAIL() << "buffer smaller than a burst accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("dma.buffer_bytes"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load("{channels: 5}"), ConfigError);
  EXPECT_THROW(load("{burst: 64}"), ConfigError);

  EnergyLedger ledger(test_tech());
  DmaConfig bad;
  bad.channels = 0;
  EXPECT_THROW(DmaEngine("dma_bad", bad, ledger), ConfigError);
}
