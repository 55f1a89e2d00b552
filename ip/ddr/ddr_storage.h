// The DDR contents: one anonymous private mapping reserved without swap, so the host OS
// allocates a page only when it is first touched (a 2 GiB DDR costs what the guest uses).
#pragma once
#include <cstdint>

namespace dlvp {

class DdrStorage {
 public:
  // Throws ConfigError if the host cannot reserve `bytes` of address space.
  explicit DdrStorage(uint64_t bytes);
  ~DdrStorage();
  DdrStorage(const DdrStorage&) = delete;
  DdrStorage& operator=(const DdrStorage&) = delete;

  unsigned char* data() { return data_; }
  const unsigned char* data() const { return data_; }
  uint64_t size() const { return size_; }

 private:
  unsigned char* data_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace dlvp
