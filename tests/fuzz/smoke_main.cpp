// Runs a fuzz target without libFuzzer, deterministically, as a ctest test: the seed files given on
// the command line, then `iterations` inputs made from random bytes and from random mutations of
// the seeds (byte flips, insertions, deletions, splices). Usage: TARGET ITERATIONS [SEED_FILE]...
#include <systemc>  // sc_main: every dlvp program is one (the libraries link SystemC)

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int sc_main(int argc, char** argv) {
  const long iterations = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 1000;
  std::vector<std::vector<uint8_t>> seeds;
  for (int i = 2; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  for (const auto& s : seeds) LLVMFuzzerTestOneInput(s.data(), s.size());
  std::mt19937_64 rng(12345);
  for (long n = 0; n < iterations; ++n) {
    std::vector<uint8_t> input;
    if (seeds.empty() || rng() % 4 == 0) {
      input.resize(rng() % 512);
      for (auto& b : input) b = static_cast<uint8_t>(rng());
    } else {
      input = seeds[rng() % seeds.size()];
      const int edits = 1 + static_cast<int>(rng() % 8);
      for (int e = 0; e < edits && !input.empty(); ++e) {
        const size_t at = rng() % input.size();
        switch (rng() % 4) {
          case 0: input[at] = static_cast<uint8_t>(rng()); break;
          case 1: input.insert(input.begin() + static_cast<long>(at), static_cast<uint8_t>(" :-[]{},\n0x9az%"[rng() % 16])); break;
          case 2: input.erase(input.begin() + static_cast<long>(at)); break;
          case 3: {
            const auto& other = seeds[rng() % seeds.size()];
            if (!other.empty()) input.insert(input.begin() + static_cast<long>(at), other.begin(), other.begin() + static_cast<long>(rng() % other.size()));
            break;
          }
        }
      }
    }
    LLVMFuzzerTestOneInput(input.data(), input.size());
  }
  std::printf("%ld inputs, no crash\n", iterations + static_cast<long>(seeds.size()));
  return 0;
}
