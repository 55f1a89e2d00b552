// The ELF loader: segments, bss, entry and symbols of a real RV32 program; every rejection names
// the file and the reason; truncated and bit-flipped files never crash it.
#include "ip/cpu/elf_loader.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <random>

using namespace dlvp;

namespace {

std::string program(const std::string& name) { return std::string(DLVP_CPU_PROGRAMS) + "/" + name + ".elf"; }

std::vector<uint8_t> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The ConfigError message of parsing `bytes`, or "" when it parses.
std::string rejection(std::vector<uint8_t> bytes) {
  try {
    ElfImage::parse(std::move(bytes), "test.elf");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

void put16(std::vector<uint8_t>& b, size_t at, uint16_t v) { std::memcpy(&b[at], &v, 2); }
void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) { std::memcpy(&b[at], &v, 4); }

}  // namespace

TEST(ElfLoader, LoadsSegmentsEntryAndSymbols) {
  const ElfImage elf = ElfImage::load(program("signature"));
  EXPECT_EQ(elf.entry(), 0x80000000u);
  ASSERT_TRUE(elf.symbol("tohost"));
  EXPECT_EQ(*elf.symbol("tohost"), 0x80001000u);  // its own page (programs/link.ld)
  ASSERT_TRUE(elf.symbol("begin_signature"));
  ASSERT_TRUE(elf.symbol("end_signature"));
  EXPECT_EQ(*elf.symbol("end_signature") - *elf.symbol("begin_signature"), 16u);
  EXPECT_FALSE(elf.symbol("no_such_symbol"));
  EXPECT_NO_THROW(elf.check_fits(0x80000000, 1 << 20, "DDR"));

  std::map<uint64_t, std::vector<uint8_t>> written;
  elf.write_to([&](uint64_t address, const uint8_t* data, size_t size) {
    written[address].assign(data, data + size);
    return true;
  });
  ASSERT_EQ(written.size(), elf.segments().size());
  const std::vector<uint8_t> file = file_bytes(program("signature"));
  for (const ElfImage::Segment& s : elf.segments()) {
    const std::vector<uint8_t>& bytes = written.at(s.address);
    ASSERT_EQ(bytes.size(), s.file_size);
    EXPECT_EQ(0, std::memcmp(bytes.data(), &file[s.file_offset], s.file_size));
  }
  // The signature's third word as the file holds it.
  const uint32_t third = *elf.symbol("begin_signature") + 8;
  for (const auto& [address, bytes] : written)
    if (third >= address && third + 4 <= address + bytes.size()) {
      uint32_t v;
      std::memcpy(&v, &bytes[third - address], 4);
      EXPECT_EQ(v, 0xabcdef01u);
    }
}

TEST(ElfLoader, ZeroFillsBss) {
  const ElfImage elf = ElfImage::load(program("bench_c"));
  uint64_t file_bytes_written = 0, zero_bytes = 0;
  bool only_zeros = true;
  const ElfImage::Segment* with_bss = nullptr;
  for (const ElfImage::Segment& s : elf.segments())
    if (s.memory_size > s.file_size) with_bss = &s;
  ASSERT_NE(with_bss, nullptr);
  elf.write_to([&](uint64_t address, const uint8_t* data, size_t size) {
    if (address >= with_bss->address + with_bss->file_size && address < with_bss->address + with_bss->memory_size) {
      zero_bytes += size;
      for (size_t i = 0; i < size; ++i) only_zeros = only_zeros && data[i] == 0;
    } else {
      file_bytes_written += size;
    }
    return true;
  });
  EXPECT_EQ(zero_bytes, with_bss->memory_size - with_bss->file_size);
  EXPECT_TRUE(only_zeros);
}

TEST(ElfLoader, RejectionsNameTheFileAndTheReason) {
  const std::vector<uint8_t> good = file_bytes(program("rv32i"));
  ASSERT_EQ(rejection(good), "");

  std::vector<uint8_t> b = {'h', 'e', 'l', 'l', 'o'};
  EXPECT_EQ(rejection(b), "test.elf: not an ELF file (no ELF magic number)");
  b = good;
  b[4] = 2;
  EXPECT_EQ(rejection(b), "test.elf: ELF64 file: the RV32 CPU needs an ELF32 (RV32) program");
  b = good;
  b[5] = 2;
  EXPECT_EQ(rejection(b), "test.elf: big-endian ELF file: RISC-V programs are little-endian");
  b = good;
  put16(b, 18, 62);  // EM_X86_64
  EXPECT_EQ(rejection(b), "test.elf: not a RISC-V program (e_machine = 62, EM_RISCV is 243)");
  b = good;
  put16(b, 16, 1);  // ET_REL
  EXPECT_EQ(rejection(b), "test.elf: not an executable (e_type = 1, ET_EXEC is 2): link the program");
  b = good;
  put32(b, 36, 0x4);  // EF_RISCV_FLOAT_ABI_DOUBLE
  EXPECT_EQ(rejection(b), "test.elf: uses a hardware floating-point ABI; the CPU is RV32IMAC (ilp32)");
  b.assign(good.begin(), good.begin() + 40);
  EXPECT_EQ(rejection(b),
            "test.elf: truncated ELF file: the ELF header at offset 0 (52 bytes) extends beyond the end of the file (40 bytes)");
  // Cut inside the first PT_LOAD segment's data (program header 1: 0 holds the RISC-V attributes).
  uint32_t type, first_offset;
  std::memcpy(&type, &good[52 + 32], 4);
  ASSERT_EQ(type, 1u);
  std::memcpy(&first_offset, &good[52 + 32 + 4], 4);
  b.assign(good.begin(), good.begin() + first_offset + 8);
  EXPECT_NE(rejection(b).find("truncated ELF file: segment 1 data (p_offset, p_filesz) at offset " +
                              std::to_string(first_offset)),
            std::string::npos)
      << rejection(b);

  EXPECT_THROW(ElfImage::load("/nonexistent/program.elf"), ConfigError);
  try {
    ElfImage::load("/nonexistent/program.elf");
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "/nonexistent/program.elf: cannot read the program (ELF file)");
  }
}

// Every field the file controls: each refusal names the file, the field and the value.
TEST(ElfLoader, HostileHeaderFieldsAreRejectedNamingTheField) {
  const std::vector<uint8_t> good = file_bytes(program("rv32i"));
  ASSERT_EQ(rejection(good), "");
  const uint32_t phoff = 52;  // as the linker writes it; checked below
  uint32_t v;
  std::memcpy(&v, &good[28], 4);
  ASSERT_EQ(v, phoff);
  const size_t load1 = phoff + 32;  // program header 1: the first PT_LOAD

  std::vector<uint8_t> b = good;
  put32(b, 24, 0x80000001);  // e_entry: odd
  EXPECT_EQ(rejection(b), "test.elf: entry point (e_entry) 0x80000001 is not 2-byte aligned: no RISC-V instruction starts there");
  b = good;
  put32(b, 24, 0x7ffffff0);  // e_entry: even, but outside every segment
  EXPECT_EQ(rejection(b), "test.elf: entry point (e_entry) 0x7ffffff0 lies in no PT_LOAD segment: nothing to run there");
  b = good;
  put16(b, 44, 0xffff);  // e_phnum: a table far larger than the file
  EXPECT_NE(rejection(b).find("test.elf: truncated ELF file: the program header table (e_phoff, e_phnum = 65535) at offset 52 "),
            std::string::npos)
      << rejection(b);
  b = good;
  put32(b, 28, 0xfffffff0);  // e_phoff near 2^32: offset + size must not wrap
  EXPECT_NE(rejection(b).find("the program header table (e_phoff, e_phnum = "), std::string::npos) << rejection(b);
  b = good;
  put16(b, 42, 56);  // e_phentsize of ELF64
  EXPECT_EQ(rejection(b), "test.elf: program header entries of 56 bytes (e_phentsize; ELF32 has 32)");
  b = good;
  put32(b, load1 + 16, 0xffffff00);  // p_filesz above p_memsz
  EXPECT_NE(rejection(b).find("test.elf: segment 1: file size (p_filesz) 4294967040 exceeds its memory size (p_memsz)"),
            std::string::npos)
      << rejection(b);
  b = good;
  put32(b, load1 + 4, 0xfffffff0);  // p_offset past the file
  EXPECT_NE(rejection(b).find("test.elf: truncated ELF file: segment 1 data (p_offset, p_filesz) at offset 4294967280"),
            std::string::npos)
      << rejection(b);
  b = good;
  put32(b, load1 + 20, 0xfffffff0);  // p_memsz: 0x80000000 + memsz wraps past 2^32
  EXPECT_NE(rejection(b).find("test.elf: segment 1 at 0x80000000 (p_paddr, 4294967280 bytes of p_memsz) wraps around"),
            std::string::npos)
      << rejection(b);
  b = good;
  put16(b, 46, 64);  // e_shentsize of ELF64
  EXPECT_EQ(rejection(b), "test.elf: section header entries of 64 bytes (e_shentsize; ELF32 has 40)");
  b = good;
  put16(b, 48, 0xffff);  // e_shnum beyond the file
  EXPECT_NE(rejection(b).find("truncated ELF file: the section header table (e_shoff, e_shnum = 65535)"), std::string::npos)
      << rejection(b);

  // The symbol table's section header: entry size, string table link, data beyond the file.
  uint32_t shoff;
  uint16_t shnum;
  std::memcpy(&shoff, &good[32], 4);
  std::memcpy(&shnum, &good[48], 2);
  size_t symtab = 0;
  uint16_t symtab_index = 0;
  for (uint16_t i = 0; i < shnum; ++i) {
    std::memcpy(&v, &good[shoff + 40u * i + 4], 4);
    if (v == 2) symtab = shoff + 40u * i, symtab_index = i;
  }
  ASSERT_NE(symtab, 0u) << "rv32i.elf has a symbol table";
  const std::string which = "test.elf: section " + std::to_string(symtab_index) + " (symbol table): ";
  b = good;
  put32(b, symtab + 36, 24);
  EXPECT_EQ(rejection(b), which + "entries of 24 bytes (sh_entsize; ELF32 symbols have 16)");
  b = good;
  put32(b, symtab + 24, 0);  // sh_link to section 0 (SHT_NULL)
  EXPECT_EQ(rejection(b), which + "its string table (sh_link) 0 is not a string table (SHT_STRTAB)");
  b = good;
  put32(b, symtab + 24, 0xffff);
  EXPECT_EQ(rejection(b), which + "its string table (sh_link) 65535 does not exist");
  b = good;
  put32(b, symtab + 20, 0xffffffff);  // sh_size
  EXPECT_NE(rejection(b).find("test.elf: truncated ELF file: section " + std::to_string(symtab_index) +
                              " (symbol table) data (sh_offset, sh_size) at offset "),
            std::string::npos)
      << rejection(b);
}

// Symbols the CPU watches or dumps (tohost, the signature) must lie in memory and be aligned.
TEST(ElfLoader, SymbolsOutsideMemoryAreRejected) {
  const ElfImage elf = ElfImage::load(program("signature"));
  EXPECT_NO_THROW(elf.check_symbol_fits("tohost", 4, 4, 0x80000000, 1 << 20, "DDR"));
  EXPECT_NO_THROW(elf.check_symbol_fits("no_such_symbol", 4, 4, 0x80000000, 1 << 20, "DDR"));
  try {
    elf.check_symbol_fits("tohost", 4, 4, 0x80000000, 0x1000, "DDR");  // tohost is at 0x80001000
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), program("signature") + ": symbol tohost at 0x80001000 (4 bytes) lies outside DDR "
                                                            "(0x80000000..0x80000fff)");
  }
  try {
    elf.check_symbol_fits("tohost", 4, 8192, 0x80000000, 1 << 20, "DDR");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), program("signature") + ": symbol tohost at 0x80001000 is not 8192-byte aligned");
  }
}

TEST(ElfLoader, SegmentsOutsideMemoryAreRejected) {
  const ElfImage elf = ElfImage::load(program("rv32i"));
  try {
    elf.check_fits(0x90000000, 1 << 20, "DDR");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(program("rv32i") + ": segment 1 at 0x80000000 ("), std::string::npos) << m;
    EXPECT_NE(m.find("lies outside DDR (0x90000000..0x900fffff)"), std::string::npos) << m;
  }
  // A memory too small for the data segments (the code fits).
  EXPECT_THROW(elf.check_fits(0x80000000, 0x1000, "DDR"), ConfigError);
}

// Truncations at every length of the headers and random byte flips: parse() either accepts the
// file or throws ConfigError, and an accepted image writes only its own bytes. (Run under the
// asan preset, any read outside the file is an error.)
TEST(ElfLoader, FuzzedFilesNeverCrash) {
  const std::vector<uint8_t> good = file_bytes(program("signature"));
  auto exercise = [](std::vector<uint8_t> bytes) {
    try {
      const ElfImage elf = ElfImage::parse(std::move(bytes), "fuzz.elf");
      try {
        elf.check_fits(0x80000000, 1 << 20, "RAM");
      } catch (const ConfigError&) {
        return;
      }
      uint64_t total = 0;
      elf.write_to([&](uint64_t, const uint8_t* data, size_t size) {
        total += size;
        volatile uint8_t sink = size ? data[size - 1] : 0;
        (void)sink;
        return true;
      });
      (void)elf.symbol("tohost");
    } catch (const ConfigError&) {
    }
  };
  for (size_t n = 0; n < std::min<size_t>(good.size(), 2048); ++n) exercise(std::vector<uint8_t>(good.begin(), good.begin() + n));
  std::mt19937 random(1);
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> bytes = good;
    const int flips = 1 + static_cast<int>(random() % 8);
    for (int f = 0; f < flips; ++f) {
      // Mostly the headers (where offsets and sizes live), sometimes anywhere.
      const size_t at = (random() % 4) ? random() % std::min<size_t>(bytes.size(), 128) : random() % bytes.size();
      bytes[at] = static_cast<uint8_t>(random());
    }
    if (random() % 4 == 0) bytes.resize(random() % bytes.size());
    exercise(std::move(bytes));
  }
  SUCCEED();
}
