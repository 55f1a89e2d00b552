#include "tools/dlvpc/input_file.h"

#include "ip/common/config_error.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dlvp::dlvpc {

InputFile::InputFile(const std::string& path, const std::string& what) : path_(path), what_(what) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd_ < 0) throw ConfigError(path + ": cannot open the " + what + " (" + std::strerror(errno) + ")");
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    const int error = errno;
    ::close(fd_);
    throw ConfigError(path + ": cannot read the " + what + " (" + std::strerror(error) + ")");
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd_);
    throw ConfigError(path + ": " + (S_ISDIR(st.st_mode) ? "is a directory" : "is a device, FIFO or socket") + "; the " +
                      what + " must be a regular file");
  }
  size_ = static_cast<uint64_t>(st.st_size);
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

void InputFile::require_within(uint64_t offset, uint64_t count) const {
  if (offset > size_ || count > size_ - offset)
    throw ConfigError(path_ + ": offset " + std::to_string(offset) + ": " + std::to_string(count) +
                      " bytes lie beyond the end of the " + what_ + " (" + std::to_string(size_) + " bytes)");
}

void InputFile::read_all(char* out, uint64_t offset, uint64_t count) const {
  for (uint64_t done = 0; done < count;) {
    const ssize_t n = ::pread(fd_, out + done, count - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw ConfigError(path_ + ": offset " + std::to_string(offset + done) + ": cannot read the " + what_ + " (" +
                        (n < 0 ? std::strerror(errno) : "it ended early") + ")");
    done += static_cast<uint64_t>(n);
  }
}

std::vector<uint8_t> InputFile::read(uint64_t offset, uint64_t count) const {
  require_within(offset, count);  // before allocating
  std::vector<uint8_t> bytes(count);
  read_all(reinterpret_cast<char*>(bytes.data()), offset, count);
  return bytes;
}

std::string InputFile::read_text(uint64_t offset, uint64_t count) const {
  require_within(offset, count);
  std::string bytes(count, '\0');
  read_all(bytes.data(), offset, count);
  return bytes;
}

void InputFile::read_into(void* out, uint64_t offset, uint64_t count) const {
  require_within(offset, count);
  read_all(static_cast<char*>(out), offset, count);
}

}  // namespace dlvp::dlvpc
