// Fuzz target: any bytes as an RV32 program (ELF file), taken as `dlvp run` takes one for cpu.mode
// iss: parsed, checked against a DDR window, its watched symbols checked and looked up, its segments
// written. A ConfigError naming the file is the only acceptable failure; every write the loader
// makes must lie inside the DDR window, and no input may crash it or make it read outside the file
// (the libFuzzer build runs with AddressSanitizer).
#include "ip/common/range_check.h"
#include "ip/cpu/elf_loader.h"

#include <cstdint>
#include <cstdlib>
#include <vector>

namespace {

constexpr uint64_t kDdrBase = 0x80000000, kDdrBytes = uint64_t{64} << 20;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dlvp;
  try {
    const ElfImage elf = ElfImage::parse(std::vector<uint8_t>(data, data + size), "fuzz.elf");
    elf.check_fits(kDdrBase, kDdrBytes, "DDR");
    elf.check_symbol_fits("tohost", 4, 4, kDdrBase, kDdrBytes, "DDR");
    for (const char* name : {"begin_signature", "end_signature", "tohost"}) (void)elf.symbol(name);
    elf.write_to([](uint64_t address, const uint8_t* bytes, size_t n) {
      if (n == 0 || !range_within(address, n, kDdrBase, kDdrBytes)) std::abort();  // a write outside DDR
      volatile uint8_t sink = bytes[0] ^ bytes[n - 1];  // the bytes must be readable (the file or zeros)
      (void)sink;
      return true;
    });
  } catch (const ConfigError&) {
    // The expected way to refuse bad input.
  }
  return 0;
}
