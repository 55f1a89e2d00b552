// SHA-256 content hashes (OpenSSL's libcrypto) for the calibration cache's keys: a model file, the
// calibration bytes read, the options that change the statistics (docs/dlvpc.md, "Calibration cache").
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace dlvp::dlvpc {

using Digest = std::array<uint8_t, 32>;

std::string hex(const Digest& digest);

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  Sha256& add(const void* data, size_t bytes);
  Sha256& add(std::string_view text);  // its length first, so that ("ab", "c") and ("a", "bc") differ
  Sha256& add(uint64_t value);         // little-endian
  Sha256& add(double value);           // its bit pattern
  Digest finish();

 private:
  void* context_;  // EVP_MD_CTX
};

// The SHA-256 of a whole file, read in chunks. Throws ConfigError naming the file (`what`: the
// kind of file, as InputFile's messages say it).
Digest file_digest(const std::string& path, const std::string& what);

}  // namespace dlvp::dlvpc
