// Writes the hand-built seeds of fuzz_lstm_instruction (format: lstm_fuzz_input.h) into a folder:
// instructions the engine accepts, with valid stream chunks, so that mutations start deep inside
// the checks and the execution. Run at build time; the smoke test and libFuzzer read the files.
// Usage: fuzz_lstm_seeds DIR
#include "ip/lstm/lstm_format.h"
#include "tests/fuzz/lstm_fuzz_input.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

using namespace dlvp;
using fuzz_lstm::Geometry;

// One CSC entry: a 12-bit weight and the zero rows skipped before it.
struct Entry {
  int32_t weight;
  uint32_t skip;
};
using Column = std::vector<Entry>;

// A seed: the instruction, the geometry and the memory it describes.
class Seed {
 public:
  explicit Seed(const Geometry& g) : geometry_(g), memory_(g.weight_bytes() + g.vector_bytes, 0) {
    std::memset(&instruction_, 0, sizeof instruction_);
  }

  isa::Instruction& instruction() { return instruction_; }

  // PE `pe`'s chunk at `offset` in its slice: the pointers (absolute stream indices from
  // `first_entry`), then the entries of `columns`.
  void chunk(uint32_t pe, uint32_t offset, uint32_t first_entry, const std::vector<Column>& columns) {
    uint8_t* at = memory_.data() + uint64_t{pe} * geometry_.slice_bytes + offset;
    uint32_t pointer = first_entry;
    std::vector<uint16_t> entries;
    put<uint32_t>(at, pointer);
    for (size_t j = 0; j < columns.size(); ++j) {
      for (const Entry& e : columns[j]) entries.push_back(lstm::make_entry(e.weight, e.skip));
      pointer = first_entry + static_cast<uint32_t>(entries.size());
      put<uint32_t>(at + (j + 1) * lstm::kPointerBytes, pointer);
    }
    at += (columns.size() + 1) * lstm::kPointerBytes;
    for (size_t e = 0; e < entries.size(); ++e) put<uint16_t>(at + e * lstm::kEntryBytes, entries[e]);
  }

  // Values of type T from `offset` of the vector buffer.
  template <typename T>
  void vector(uint32_t offset, const std::vector<T>& values) {
    for (size_t i = 0; i < values.size(); ++i)
      put<T>(memory_.data() + geometry_.weight_bytes() + offset + i * sizeof(T), values[i]);
  }

  bool write(const std::string& path) const {
    std::ofstream out(path, std::ios::binary);
    const auto geometry = fuzz_lstm::encode_geometry(geometry_);
    out.write(reinterpret_cast<const char*>(instruction_.bytes), sizeof instruction_.bytes);
    out.write(reinterpret_cast<const char*>(geometry.data()), static_cast<std::streamsize>(geometry.size()));
    out.write(reinterpret_cast<const char*>(memory_.data()), static_cast<std::streamsize>(memory_.size()));
    return static_cast<bool>(out);
  }

 private:
  template <typename T>
  static void put(uint8_t* at, T value) {
    std::memcpy(at, &value, sizeof value);
  }

  Geometry geometry_;
  isa::Instruction instruction_;
  std::vector<uint8_t> memory_;
};

Geometry geometry(uint32_t pes, uint32_t slice_bytes, uint32_t vector_bytes, uint32_t accumulator_bits = 32) {
  Geometry g;
  g.pes = pes, g.slice_bytes = slice_bytes, g.vector_bytes = vector_bytes, g.accumulator_bits = accumulator_bits;
  return g;
}

// 2 PEs, 6 rows (3 per PE), a 3-column chunk at the start of the slices: from the bias, y out.
Seed spmv_bias_to_output() {
  Seed s(geometry(2, 256, 512));
  isa::LstmSpmv& i = s.instruction().lstm_spmv;
  i.header.opcode = isa::kOpLstmSpmv;
  i.header.flags = isa::kFlagAccFirst | isa::kFlagAccLast;
  i.weight_offset = 0, i.chunk_bytes = 64, i.rows = 6, i.first_col = 0, i.cols = 3;
  i.input_offset = 0, i.input_stride = 3, i.acc_offset = 128, i.bias_offset = 16, i.output_offset = 64;
  i.channels = 1, i.product_shift = 2, i.output_shift = 4;
  s.chunk(0, 0, 0, {{{5, 0}, {-3, 1}}, {}, {{100, 1}}});
  s.chunk(1, 0, 0, {{{7, 1}}, {{-2048, 0}, {2047, 0}, {1, 0}}, {}});
  s.vector<int16_t>(0, {1000, -2000, 300});
  s.vector<int32_t>(16, {10, -20, 30, -40, 50, -60});
  return s;
}

// 2 PEs, 40 rows (20 per PE, so gaps need padding entries), 2 channels, a chunk in the upper half
// of the slices whose stream starts at entry 10 (a streamed chunk): accumulators in and out.
Seed spmv_streamed_accumulators() {
  Seed s(geometry(2, 256, 1024));
  isa::LstmSpmv& i = s.instruction().lstm_spmv;
  i.header.opcode = isa::kOpLstmSpmv;
  i.header.deps = isa::kPopPrev | isa::kPushPrev;
  i.header.tag = 3;
  i.weight_offset = 128, i.chunk_bytes = 128, i.rows = 40, i.first_col = 5, i.cols = 2;
  i.input_offset = 0, i.input_stride = 8, i.acc_offset = 64, i.channels = 2;
  s.chunk(0, 128, 10, {{{0, lstm::kMaxSkip}, {9, 1}}, {{-1, 3}}});
  s.chunk(1, 128, 10, {{}, {{50, 0}, {60, 15}, {70, 2}}});
  s.vector<int16_t>(0, {0, 0, 0, 0, 0, 111, -222, 0, 0, 0, 0, 0, 0, 333, 444});
  std::vector<int64_t> acc(80);
  for (size_t k = 0; k < acc.size(); ++k) acc[k] = (int64_t(k) - 40) * 1000;
  s.vector<int64_t>(64, acc);
  return s;
}

// 4 PEs, 3 channels on 2 multipliers per PE, 48-bit accumulators, no bias, a negative output shift.
Seed spmv_four_pes() {
  Geometry g = geometry(4, 64, 512, 48);
  g.macs_per_pe = 2, g.fifo_depth = 1;
  Seed s(g);
  isa::LstmSpmv& i = s.instruction().lstm_spmv;
  i.header.opcode = isa::kOpLstmSpmv;
  i.header.flags = isa::kFlagAccFirst | isa::kFlagNoBias | isa::kFlagAccLast;
  i.weight_offset = 8, i.chunk_bytes = 56, i.rows = 8, i.first_col = 1, i.cols = 4;
  i.input_offset = 32, i.input_stride = 5, i.output_offset = 128, i.channels = 3, i.product_shift = 15,
  i.output_shift = -3;
  s.chunk(0, 8, 0, {{{1, 0}}, {{2, 1}}, {}, {{3, 0}, {4, 0}}});
  s.chunk(1, 8, 0, {{}, {}, {}, {}});
  s.chunk(2, 8, 0, {{{-5, 1}}, {{-6, 0}}, {{-7, 0}, {-8, 0}}, {}});
  s.chunk(3, 8, 0, {{{2047, 0}, {2047, 0}}, {{2047, 0}, {2047, 0}}, {{2047, 0}}, {{2047, 1}}});
  s.vector<int16_t>(32, {9, 32767, -32768, 100, -100, 9, 1, 2, 3, 4, 9, -1, -2, -3, -4});
  return s;
}

// 4 cells, one channel, no peepholes.
Seed gates_plain() {
  Seed s(geometry(1, 16, 256));
  isa::LstmGates& i = s.instruction().lstm_gates;
  i.header.opcode = isa::kOpLstmGates;
  i.acc_offset = 0, i.c_offset = 128, i.h_offset = 144, i.hidden = 4, i.channels = 1;
  i.gate_frac = 20, i.c_frac = 12, i.h_frac = 12;
  std::vector<int64_t> acc(16);
  for (size_t k = 0; k < acc.size(); ++k) acc[k] = (int64_t(k) - 8) * (int64_t{1} << 18);  // no left shift of a negative value
  s.vector<int64_t>(0, acc);
  s.vector<int16_t>(128, {4096, -4096, 100, 0});
  return s;
}

// 3 cells, two channels, peepholes, 24-bit accumulators.
Seed gates_peephole() {
  Seed s(geometry(1, 16, 256, 24));
  isa::LstmGates& i = s.instruction().lstm_gates;
  i.header.opcode = isa::kOpLstmGates;
  i.header.flags = isa::kFlagPeephole;
  i.acc_offset = 0, i.c_offset = 192, i.h_offset = 208, i.peephole_offset = 224, i.hidden = 3, i.channels = 2;
  i.gate_frac = 16, i.c_frac = 11, i.h_frac = 13, i.peephole_frac = 10;
  std::vector<int64_t> acc(24);
  for (size_t k = 0; k < acc.size(); ++k) acc[k] = (k % 2 ? -1 : 1) * int64_t(k) * 30000;
  s.vector<int64_t>(0, acc);
  s.vector<int16_t>(192, {2048, -2048, 30000, -30000, 0, 1});
  s.vector<int16_t>(224, {512, -512, 2047, -2048, 0, 7, 100, 200, -300});
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const struct {
    const char* name;
    Seed seed;
  } seeds[] = {{"spmv_bias_to_output", spmv_bias_to_output()},
               {"spmv_streamed_accumulators", spmv_streamed_accumulators()},
               {"spmv_four_pes", spmv_four_pes()},
               {"gates_plain", gates_plain()},
               {"gates_peephole", gates_peephole()}};
  for (const auto& s : seeds) {
    const std::string path = dir + "/" + s.name + ".bin";
    if (!s.seed.write(path)) {
      std::fprintf(stderr, "%s: cannot write %s\n", argv[0], path.c_str());
      return 1;
    }
  }
  return 0;
}
