#include "ddr_storage.h"

#include "ip/common/config_error.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace dlvp {

DdrStorage::DdrStorage(uint64_t bytes) : size_(bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    throw ConfigError("key 'ddr.size_bytes' = " + std::to_string(bytes) +
                      ": cannot reserve that much host address space for the DDR contents (mmap: " +
                      std::strerror(errno) + ")");
  data_ = static_cast<unsigned char*>(p);
  // Huge pages where the host offers them (transparent huge pages in madvise mode): one page
  // fault and one TLB entry per 2 MiB instead of per 4 KiB, which guest traffic spread over the
  // whole DDR otherwise spends most of its host time on. Advice only: without it the DDR works
  // the same.
  madvise(p, bytes, MADV_HUGEPAGE);
}

DdrStorage::~DdrStorage() {
  if (data_) munmap(data_, size_);
}

}  // namespace dlvp
