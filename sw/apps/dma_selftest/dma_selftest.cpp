// DMA self-test: fills DDR, moves it with the DMA (1-D, 2-D strided, through the on-chip
// scratchpad, two channels at once), verifies every byte, measures the achieved bandwidth with
// the timer, and checks that errors reach software: a bad descriptor and an unmapped access.
// Its buffers lie at offsets from hal::workspace_base(), above the RISC-V program's region of DDR.
#include "ip/common/soc_map.h"
#include "sw/driver/dma_driver.h"
#include "sw/driver/intc_driver.h"
#include "sw/driver/pmu_driver.h"
#include "sw/hal/hal.h"

#include <stdint.h>

namespace {

using drv::DmaTransfer;
using dlvp::dma::DmaErrorCode;

constexpr uint32_t kChunkBytes = 4096;  // program-side staging for fills and checks
uint8_t g_chunk[kChunkBytes];
int g_failures = 0;

uint8_t pattern(uint64_t index, uint32_t seed) {
  uint32_t x = static_cast<uint32_t>(index) * 2654435761u + seed;
  return static_cast<uint8_t>(x >> 24);
}

void fill(uint64_t address, uint64_t bytes, uint32_t seed) {
  for (uint64_t done = 0; done < bytes; done += kChunkBytes) {
    const uint32_t n = bytes - done < kChunkBytes ? static_cast<uint32_t>(bytes - done) : kChunkBytes;
    for (uint32_t i = 0; i < n; ++i) g_chunk[i] = pattern(done + i, seed);
    hal::copy_to_soc(address + done, g_chunk, n);
  }
}

void fill_constant(uint64_t address, uint64_t bytes, uint8_t value) {
  for (uint32_t i = 0; i < kChunkBytes; ++i) g_chunk[i] = value;
  for (uint64_t done = 0; done < bytes; done += kChunkBytes)
    hal::copy_to_soc(address + done, g_chunk, bytes - done < kChunkBytes ? static_cast<uint32_t>(bytes - done) : kChunkBytes);
}

// Compares `bytes` at `address` with pattern(first_index + i, seed); returns mismatches.
uint64_t mismatches(uint64_t address, uint64_t bytes, uint64_t first_index, uint32_t seed) {
  uint64_t bad = 0;
  for (uint64_t done = 0; done < bytes; done += kChunkBytes) {
    const uint32_t n = bytes - done < kChunkBytes ? static_cast<uint32_t>(bytes - done) : kChunkBytes;
    hal::copy_from_soc(g_chunk, address + done, n);
    for (uint32_t i = 0; i < n; ++i) bad += g_chunk[i] != pattern(first_index + done + i, seed);
  }
  return bad;
}

uint64_t count_not(uint64_t address, uint64_t bytes, uint8_t value) {
  uint64_t bad = 0;
  for (uint64_t done = 0; done < bytes; done += kChunkBytes) {
    const uint32_t n = bytes - done < kChunkBytes ? static_cast<uint32_t>(bytes - done) : kChunkBytes;
    hal::copy_from_soc(g_chunk, address + done, n);
    for (uint32_t i = 0; i < n; ++i) bad += g_chunk[i] != value;
  }
  return bad;
}

void check(bool ok, const char* what) {
  hal::console_printf("  %-58s %s\n", what, ok ? "ok" : "FAILED");
  if (!ok) ++g_failures;
}

// Bandwidth in MB/s (10^6 B/s) from timer ticks; printed with one decimal.
void print_bandwidth(const char* label, uint64_t bytes, uint64_t ticks) {
  const uint64_t hz = hal::timer_frequency_hz();
  const uint64_t ns = ticks * 1000000000ull / (hz ? hz : 1);
  const uint64_t tenths_mbps = ns ? bytes * 10000ull / ns : 0;  // bytes/ns * 1000 = MB/s
  hal::console_printf("  %-34s %8llu B in %8llu ns = %6llu.%llu MB/s\n", label, static_cast<unsigned long long>(bytes),
                      static_cast<unsigned long long>(ns), static_cast<unsigned long long>(tenths_mbps / 10),
                      static_cast<unsigned long long>(tenths_mbps % 10));
}

void test_linear(drv::Dma& dma, uint64_t work) {
  const uint32_t bytes = 256 * 1024;
  const uint64_t src = work + 0x100000, dst = work + 0x200000;
  fill(src, bytes, 1);
  const uint64_t t0 = hal::timer_ticks();
  const auto r = dma.copy(0, DmaTransfer::linear(src, dst, bytes));
  const uint64_t t1 = hal::timer_ticks();
  print_bandwidth("1-D copy DDR -> DDR", bytes, t1 - t0);
  check(r.ok() && r.bytes_done == bytes, "1-D copy completes without error");
  check(mismatches(dst, bytes, 0, 1) == 0, "1-D copy: every byte arrived");
}

void test_strided(drv::Dma& dma, uint64_t work) {
  // 64 rows of 1000 B taken every 1024 B and placed every 1536 B; the gaps must stay untouched.
  const uint32_t rows = 64, row = 1000, sstride = 1024, dstride = 1536;
  const uint64_t src = work + 0x300000, dst = work + 0x400000;
  fill(src, uint64_t{rows} * sstride, 2);
  fill_constant(dst, uint64_t{rows} * dstride, 0xEE);
  const DmaTransfer t = DmaTransfer::block(src, dst, rows, row, sstride, dstride);
  const uint64_t t0 = hal::timer_ticks();
  const auto r = dma.copy(1 % dma.channels(), t);
  print_bandwidth("2-D strided copy DDR -> DDR", uint64_t{rows} * row, hal::timer_ticks() - t0);
  uint64_t bad = 0, gap_bad = 0;
  for (uint32_t i = 0; i < rows; ++i) {
    bad += mismatches(dst + uint64_t{i} * dstride, row, uint64_t{i} * sstride, 2);
    gap_bad += count_not(dst + uint64_t{i} * dstride + row, dstride - row, 0xEE);
  }
  check(r.ok(), "2-D copy completes without error");
  check(bad == 0, "2-D copy: every row arrived at its stride");
  check(gap_bad == 0, "2-D copy: bytes between destination rows untouched");
}

void test_scratchpad(drv::Dma& dma, uint64_t work) {
  const uint32_t bytes = 32 * 1024;
  const uint64_t src = work + 0x500000, dst = work + 0x580000;
  fill(src, bytes, 3);
  DmaTransfer in = DmaTransfer::linear(src, 0x0, bytes);
  in.destination_local = true;
  DmaTransfer out = DmaTransfer::linear(0x0, dst, bytes);
  out.source_local = true;
  const uint64_t t0 = hal::timer_ticks();
  const auto r_in = dma.copy(0, in);
  const uint64_t t1 = hal::timer_ticks();
  const auto r_out = dma.copy(0, out);
  print_bandwidth("DDR -> on-chip scratchpad", bytes, t1 - t0);
  print_bandwidth("on-chip scratchpad -> DDR", bytes, hal::timer_ticks() - t1);
  check(r_in.ok() && r_out.ok(), "DDR -> scratchpad -> DDR completes");
  check(mismatches(dst, bytes, 0, 3) == 0, "scratchpad round trip: every byte arrived");
}

void test_two_channels(drv::Dma& dma, uint64_t work) {
  if (dma.channels() < 2) return;
  const uint32_t bytes = 256 * 1024;
  fill(work + 0x600000, bytes, 4);
  fill(work + 0x700000, bytes, 5);
  const uint64_t t0 = hal::timer_ticks();
  dma.start(0, DmaTransfer::linear(work + 0x600000, work + 0x800000, bytes));
  dma.start(1, DmaTransfer::linear(work + 0x700000, work + 0x900000, bytes));
  const auto r0 = dma.wait(0);
  const auto r1 = dma.wait(1);
  print_bandwidth("two channels at once (total)", 2ull * bytes, hal::timer_ticks() - t0);
  check(r0.ok() && r1.ok(), "two concurrent channels complete");
  check(mismatches(work + 0x800000, bytes, 0, 4) == 0 && mismatches(work + 0x900000, bytes, 0, 5) == 0,
        "two concurrent channels: every byte arrived");
}

void test_errors(drv::Dma& dma, uint64_t work, uint64_t ddr_end) {
  // A descriptor whose source runs past the end of DDR: refused before anything moves.
  const uint64_t dst = work + 0xA00000;
  fill_constant(dst, 4096, 0x5A);
  const auto r = dma.copy(0, DmaTransfer::linear(ddr_end - 1024, dst, 4096));
  check(r.error == DmaErrorCode::src_out_of_range, "out-of-range descriptor -> ERROR status, code");
  check(count_not(dst, 4096, 0x5A) == 0, "out-of-range descriptor: destination untouched");
  // An access to an address where nothing is mapped comes back to software as a bus error.
  uint32_t value = 0;
  const uint64_t unmapped = 0x20000000;
  check(!hal::probe_read32(unmapped, &value), "read of unmapped 0x20000000 -> bus error to software");
  check(!hal::probe_write32(unmapped, 1), "write to unmapped 0x20000000 -> bus error to software");
}

}  // namespace

int app_main() {
  hal::console_write("dlvp DMA self-test\n");
  drv::Intc intc;
  drv::Dma dma;
  const hal::Device ddr = hal::require_device(dlvp::soc::kDevDdr);
  if (!intc.init() || !dma.init(&intc)) {
    hal::console_write("FAIL: no interrupt controller or DMA in this SoC\n");
    return 1;
  }
  hal::console_printf("DDR at 0x%llx, %llu MiB; DMA with %u channels\n", static_cast<unsigned long long>(ddr.base),
                      static_cast<unsigned long long>(ddr.size >> 20), static_cast<unsigned>(dma.channels()));
  drv::Pmu pmu;
  const bool have_pmu = pmu.init();
  const drv::PmuSnapshot start = have_pmu ? pmu.snapshot() : drv::PmuSnapshot{};
  const uint64_t work = hal::workspace_base();
  test_linear(dma, work);
  test_strided(dma, work);
  test_scratchpad(dma, work);
  test_two_channels(dma, work);
  test_errors(dma, work, ddr.base + ddr.size);
  if (have_pmu) {
    const drv::PmuSnapshot end = pmu.snapshot();
    hal::console_printf("energy of the tests, read from the PMU (%llu ns):\n",
                        static_cast<unsigned long long>(end.time_ns - start.time_ns));
    drv::Pmu::print_energy(start, end);
  }
  hal::console_printf("DMA self-test: %s (%d failure%s)\n", g_failures ? "FAIL" : "PASS", g_failures,
                      g_failures == 1 ? "" : "s");
  return g_failures ? 1 : 0;
}
