// CPU benchmark: compute-bound integer kernels — a CRC-32 over a buffer, a heap sort of
// pseudo-random words, an int8 3x3 convolution — run for N iterations on fresh pseudo-random
// input each time, then checked against independent implementations (bit-wise CRC and the
// standard check value; order and multiset fingerprint; tap-by-tap convolution).
//
// It prints the same lines in every mode; the RISC-V build adds the instructions the kernels
// retired (minstret), which tools/bench/riscv_mips divides by wall time. The RISC-V ELF also runs
// on QEMU's virt machine (bench_host.h says how it tells the hosts apart).
//
// Iterations: boot argument 0 on the dlvp SoC (software.args); elsewhere, or when it is 0, the
// word `cpu_bench_iterations`, which tools/bench/riscv_mips patches in a copy of the ELF.
#include "sw/apps/cpu_bench/bench_host.h"
#include "sw/apps/cpu_bench/kernels.h"
#include "sw/hal/hal.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#if defined(__riscv)
#include "sw/bsp/riscv/csr.h"
#endif

extern "C" {
// Patched by tools/bench/riscv_mips (by symbol name): keep it an initialized 32-bit word.
volatile uint32_t cpu_bench_iterations = 10;
}

namespace {

using bench::Host;

constexpr size_t kCrcBytes = 64 * 1024;
constexpr size_t kSortWords = 4096;

// Each kernel's inputs and results; the last iteration's are checked.
struct Workspace {
  uint8_t crc_buffer[kCrcBytes];
  uint32_t sort_seed;  // the sort's input is regenerated from it for the check
  uint32_t sorted[kSortWords];
  uint32_t sort_check[kSortWords];
  bench::ConvData conv;
  bench::ConvOutput conv_out;
  bench::ConvOutput conv_check;
};
Workspace g_work;

struct IterationResult {
  uint32_t crc, sort_digest, conv_digest;
};

void fill_bytes(uint8_t* v, size_t n, bench::Random& r) {
  for (size_t i = 0; i < n; i += 4) {
    const uint32_t x = r.next();
    v[i] = static_cast<uint8_t>(x);
    v[i + 1] = static_cast<uint8_t>(x >> 8);
    v[i + 2] = static_cast<uint8_t>(x >> 16);
    v[i + 3] = static_cast<uint8_t>(x >> 24);
  }
}

void fill_words(uint32_t* v, size_t n, uint32_t seed) {
  bench::Random r(seed);
  for (size_t i = 0; i < n; ++i) v[i] = r.next();
}

IterationResult run_iteration(uint32_t iteration) {
  const uint32_t seed = 0x9E3779B9u * (iteration + 1);
  bench::Random r(seed);
  IterationResult result;

  fill_bytes(g_work.crc_buffer, kCrcBytes, r);
  result.crc = bench::crc32_table_driven(g_work.crc_buffer, kCrcBytes);

  g_work.sort_seed = r.next();
  fill_words(g_work.sorted, kSortWords, g_work.sort_seed);
  bench::heap_sort(g_work.sorted, kSortWords);
  result.sort_digest = bench::digest_words(g_work.sorted, kSortWords);

  fill_bytes(reinterpret_cast<uint8_t*>(g_work.conv.input), sizeof g_work.conv.input, r);
  fill_bytes(reinterpret_cast<uint8_t*>(g_work.conv.weights), sizeof g_work.conv.weights, r);
  bench::conv3x3_direct(g_work.conv, g_work.conv_out);
  result.conv_digest = bench::digest_words(reinterpret_cast<const uint32_t*>(g_work.conv_out),
                                           sizeof g_work.conv_out / sizeof(uint32_t));
  return result;
}

// The console of the host the benchmark found itself on.
Host g_host = Host::dlvp;
void print(const char* format, ...) __attribute__((format(printf, 1, 2)));
void print(const char* format, ...) {
  char line[160];
  va_list args;
  va_start(args, format);
  vsnprintf(line, sizeof line, format, args);
  va_end(args);
  bench::host_write(g_host, line);
}

int g_failures = 0;
void report(const char* kernel, uint32_t value, bool ok, const char* check) {
  print("  %-34s 0x%08lx  %s (%s)\n", kernel, static_cast<unsigned long>(value), ok ? "ok" : "FAILED", check);
  if (!ok) ++g_failures;
}

void check_crc(uint32_t crc) {
  static const uint8_t kCheckInput[] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
  const bool standard = bench::crc32_table_driven(kCheckInput, sizeof kCheckInput) == bench::kCrc32CheckValue &&
                        bench::crc32_bitwise(kCheckInput, sizeof kCheckInput) == bench::kCrc32CheckValue;
  report("crc32 of 64 KiB", crc, standard && bench::crc32_bitwise(g_work.crc_buffer, kCrcBytes) == crc,
         "table-driven = bit-wise, check value 0xCBF43926");
}

void check_sort(uint32_t digest) {
  uint32_t* input = g_work.sort_check;
  fill_words(input, kSortWords, g_work.sort_seed);
  bench::MultisetFingerprint before, after;
  for (size_t i = 0; i < kSortWords; ++i) {
    before.add(input[i]);
    after.add(g_work.sorted[i]);
  }
  report("heap sort of 4096 words", digest, bench::is_ascending(g_work.sorted, kSortWords) && before == after,
         "ascending, same multiset");
}

void check_conv(uint32_t digest) {
  bench::conv3x3_by_taps(g_work.conv, g_work.conv_check);
  const size_t words = sizeof g_work.conv_out / sizeof(uint32_t);
  const uint32_t* direct = reinterpret_cast<const uint32_t*>(g_work.conv_out);
  const uint32_t* by_taps = reinterpret_cast<const uint32_t*>(g_work.conv_check);
  bool same = true;
  for (size_t i = 0; i < words; ++i) same = same && direct[i] == by_taps[i];
  report("int8 conv 3x3, 4 -> 4 ch, 64x64", digest, same, "direct = tap by tap");
}

}  // namespace

int app_main() {
  g_host = bench::detect_host();
  uint32_t iterations = g_host == Host::dlvp ? static_cast<uint32_t>(hal::boot_arg(0)) : 0;
  if (iterations == 0) iterations = cpu_bench_iterations;

  bench::crc32_init_table();
#if defined(__riscv)
  const uint64_t instructions_before = riscv::instructions_retired();
#endif
  IterationResult last{};
  uint32_t digest = bench::kDigestStart;
  for (uint32_t i = 0; i < iterations; ++i) {
    last = run_iteration(i);
    const uint32_t results[] = {last.crc, last.sort_digest, last.conv_digest};
    digest = bench::digest_words(results, 3, digest);
  }
#if defined(__riscv)
  const uint64_t instructions = riscv::instructions_retired() - instructions_before;
#endif

  print("cpu_bench: %lu iterations of crc32, heap sort and int8 convolution\n", static_cast<unsigned long>(iterations));
  if (iterations > 0) {
    check_crc(last.crc);
    check_sort(last.sort_digest);
    check_conv(last.conv_digest);
  }
  print("  %-34s 0x%08lx\n", "digest of all iterations", static_cast<unsigned long>(digest));
  print("cpu_bench: %s\n", g_failures ? "FAIL" : "PASS");
#if defined(__riscv)
  print("cpu_bench: %llu instructions retired by the kernels (minstret) on %s\n",
        static_cast<unsigned long long>(instructions), bench::host_name(g_host));
#endif
  bench::host_exit(g_host, g_failures ? 1 : 0);
}
