// dlvpc's input files (the ONNX model, the IDX calibration images), read only when they are regular
// files: a directory, a FIFO or a device such as /dev/zero is refused by name instead of failing
// deep inside a stream or being read forever. Sizes are known before anything is allocated, and
// reads take only the bytes asked for.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace dlvp::dlvpc {

class InputFile {
 public:
  // Opens `path`; `what` names the kind of file in messages ("ONNX model", "IDX file"). Throws
  // ConfigError "PATH: cannot open the WHAT (reason)" or "PATH: is a directory; the WHAT must be a
  // regular file".
  InputFile(const std::string& path, const std::string& what);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }

  // `count` bytes from `offset` (within size()). Throws ConfigError naming the path and the offset
  // when the file cannot deliver them (it shrank, or a read error).
  std::vector<uint8_t> read(uint64_t offset, uint64_t count) const;
  std::string read_text(uint64_t offset, uint64_t count) const;
  // The same into memory the caller sized (`count` bytes at `out`).
  void read_into(void* out, uint64_t offset, uint64_t count) const;

 private:
  void require_within(uint64_t offset, uint64_t count) const;
  void read_all(char* out, uint64_t offset, uint64_t count) const;

  std::string path_, what_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

}  // namespace dlvp::dlvpc
